#ifndef CONFLUX_IMAP_QUOTE_H
#define CONFLUX_IMAP_QUOTE_H

/* Writing command arguments (astring, string). An argument is written as
 * an atom when it can be, else as a quoted string; whatever cannot be
 * quoted (CR, LF, NUL, 8-bit bytes, or longer than IMAP_QUOTE_MAX) must go
 * as a literal, so no argument can ever inject a line end. */

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

#define IMAP_QUOTE_MAX 1024

enum imap_quote_kind {
	IMAP_QUOTE_ATOM,
	IMAP_QUOTE_QUOTED,
	IMAP_QUOTE_LITERAL,
};

/* How s[0..len) has to be written as an astring. "", "NIL" and anything
 * holding "[" (our parser reads "[...]" inside atoms as a section) are
 * quoted. */
enum imap_quote_kind
imap_quote_kind(const char *s, size_t len);
/* Appends s as an atom or a quoted string. 0, or -1 when it needs a
 * literal or out is full (out then unchanged). */
int
imap_quote_astring(struct buf *out, const char *s, size_t len);
/* Same, but always a quoted string (never an atom). */
int
imap_quote_string(struct buf *out, const char *s, size_t len);
/* Appends a literal prefix "{len}" (or "{len+}" when nonsync) + CRLF;
 * the caller sends the len bytes next. 0 or -1 (out full). */
int
imap_quote_literal_prefix(struct buf *out, size_t len, bool nonsync);

#endif
