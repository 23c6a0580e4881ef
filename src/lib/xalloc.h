#ifndef CONFLUX_XALLOC_H
#define CONFLUX_XALLOC_H

/* Allocation for memory that WE size. On out-of-memory these log and abort:
 * there is no sane recovery (isync's nfmalloc, Dovecot's i_malloc).
 * Memory a peer sizes is bounded by explicit limits before it gets here. */

#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
