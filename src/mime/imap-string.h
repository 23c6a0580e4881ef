#ifndef CONFLUX_MIME_IMAP_STRING_H
#define CONFLUX_MIME_IMAP_STRING_H

/* Internal to src/mime (the public quoters are in mime/imap-mime.h). */

#include <stddef.h>

struct buf;

/* Text meant for people (ENVELOPE subject and address names): folded
 * whitespace collapsed to single spaces, trimmed; a literal whenever it
 * had to change anything, as Dovecot writes it. */
int mime_imap_append_for_humans(struct buf *out, const char *s, size_t len);

#endif
