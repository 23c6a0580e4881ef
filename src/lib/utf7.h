#ifndef CONFLUX_UTF7_H
#define CONFLUX_UTF7_H

/* IMAP modified UTF-7 for mailbox names (RFC 3501 section 5.1.3).
 *
 * Printable US-ASCII (0x20-0x7e) stands for itself, except '&', which is
 * written "&-". Everything else is UTF-16BE in a modified BASE64 run
 * ('/' becomes ',', no padding) between '&' and '-'.
 *
 * Both directions are strict, so a name has exactly one encoding:
 * utf8 -> mutf7 rejects invalid UTF-8 (overlong forms, surrogates, values
 * above U+10FFFF, truncated sequences); mutf7 -> utf8 rejects bytes outside
 * 0x20-0x7e, an unterminated or empty run, characters outside the modified
 * BASE64 alphabet, non-zero or excess leftover bits, unpaired surrogates,
 * U+0000, printable ASCII inside a run, and two runs back to back.
 * Output is appended to out; on failure out is left unchanged. */

#include "lib/buf.h"

/* 0, or -1 on invalid input or when out's max is too small. */
int utf7_from_utf8(const char *utf8, struct buf *out);
int utf7_to_utf8(const char *mutf7, struct buf *out);
/* 1 if s is valid modified UTF-7, else 0. */
int utf7_is_valid(const char *mutf7);
/* 1 if s is valid UTF-8 (same rules as utf7_from_utf8), else 0. */
int utf8_is_valid(const char *s);

#endif
