#ifndef CONFLUX_B64_H
#define CONFLUX_B64_H

/* Base64 (RFC 4648 section 4, with padding), as SASL (RFC 4422) uses it.
 * Results are appended to a struct buf, so its max bounds the output. */

#include <stddef.h>

#include "lib/buf.h"

/* Encoded length of len bytes (without NUL). */
size_t b64_encoded_len(size_t len);
/* 0, or -1 when out's max is too small (out unchanged). */
int b64_encode(const void *data, size_t len, struct buf *out);
/* Strict: the length must be a multiple of 4, only the alphabet, '=' only
 * as the final one or two characters, and unused trailing bits zero (so
 * every byte string has exactly one accepted encoding). Whitespace is not
 * accepted. 0, or -1 on bad input or when out's max is too small; out is
 * unchanged on failure. */
int b64_decode(const char *s, size_t len, struct buf *out);
/* As mail readers decode a base64 body part (RFC 2045 6.8) or an RFC 2047
 * word: characters outside the alphabet (line ends, spaces) are skipped,
 * padding may be missing, and '=' ends one encoding so that two glued
 * together both decode. Appends what it decodes; -1 only when out's max
 * is reached. */
int b64_decode_lenient(const char *s, size_t len, struct buf *out);
/* 0-63 for a character of the alphabet, -1 otherwise. */
int b64_value(unsigned char c);

#endif
