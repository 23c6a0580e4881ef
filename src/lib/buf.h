#ifndef CONFLUX_BUF_H
#define CONFLUX_BUF_H

/* The one byte buffer / string type (curl's dynbuf idea).
 *
 * Always NUL-terminated (data[len] == 0) once anything was added, binary-safe,
 * and bounded: `max` is chosen at init and an append that would make len
 * exceed it fails with -1 and leaves the buffer unchanged. That is how a
 * peer-sized line or literal becomes a protocol error instead of unbounded
 * memory. Our own out-of-memory aborts (xalloc). */

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;	/* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;	/* hard limit on len */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/* Keeps the allocation, sets len to 0. */
void buf_reset(struct buf *b);
/* 0 on success, -1 when len would exceed max (nothing appended). */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_append_str(struct buf *b, const char *s);
int buf_append_c(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Removes the first n bytes (n <= len). */
void buf_consume(struct buf *b, size_t n);
void buf_truncate(struct buf *b, size_t len);
/* Never NULL: "" for an empty buffer. */
const char *buf_cstr(const struct buf *b);
/* Hands the allocation to the caller (NUL-terminated, never NULL) and resets b. */
char *buf_steal(struct buf *b);

#endif
