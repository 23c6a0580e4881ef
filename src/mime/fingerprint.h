#ifndef CONFLUX_MIME_FINGERPRINT_H
#define CONFLUX_MIME_FINGERPRINT_H

/* The content fingerprint of DESIGN.md "Identity and state": lowercase hex
 * SHA-256 over
 *     From value "\n" Date value "\n" Subject value "\n" body
 * where each value is unfolded and trimmed ("" when the field is absent)
 * and the body is every byte after the blank line that ends the header,
 * with CRLF turned into LF. Trace fields (Received, Return-Path,
 * Delivered-To, X-*) are left out on purpose, so the same message reaching
 * a user through two accounts, in CRLF or in LF form, has one fingerprint.
 *
 * Streaming: feed chunks of any size. Only the header bytes up to the cap
 * are kept in memory (see mime/header.h); the body is hashed as it comes.
 * The header reader stays available for other fields (Message-ID). */

#include <stddef.h>

struct fingerprint;
struct header_reader;

struct fingerprint *fingerprint_new(size_t max_header);
void fingerprint_free(struct fingerprint **fp);
void fingerprint_feed(struct fingerprint *fp, const void *data, size_t len);
/* Ends the input and writes the 64 hex digits plus NUL. Call once; the
 * header reader stays valid until fingerprint_free. */
void fingerprint_finish(struct fingerprint *fp, char hex_r[65]);
const struct header_reader *fingerprint_header(const struct fingerprint *fp);

/* The fingerprint of a whole message in memory. */
void fingerprint_of(const void *data, size_t len, size_t max_header,
		    char hex_r[65]);

#endif
