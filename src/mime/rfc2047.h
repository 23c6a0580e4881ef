#ifndef CONFLUX_MIME_RFC2047_H
#define CONFLUX_MIME_RFC2047_H

/* Header values as text for IMAP SEARCH: RFC 2047 encoded words decoded
 * to UTF-8, and a case-insensitive UTF-8 substring match.
 *
 * Nothing here allocates memory that a peer sizes beyond the input it was
 * given: output goes to a caller's struct buf, whose maximum bounds it.
 * All functions run in time linear in their input. */

#include <stdbool.h>
#include <stddef.h>

struct buf;

/* Appends value[0..len) (an unfolded header value, see mime_header_unfold)
 * to out as UTF-8:
 * - encoded words =?charset?B?...?= and =?charset?Q?...?= are decoded
 *   (B and Q case-insensitive; an RFC 2231 language, "charset*lang", is
 *   ignored) and converted from their charset with iconv;
 * - whitespace between two decoded words is dropped (RFC 2047 6.2);
 *   adjacent words in the same charset are converted as one byte string,
 *   so a character split across two words comes out whole;
 * - a word with an unknown charset, an unknown encoding or bad syntax is
 *   kept as its raw text, and whitespace around raw text is kept;
 * - B text is decoded leniently (missing padding accepted, decoding
 *   restarts after a '='), but a byte outside the base64 alphabet makes
 *   the word malformed; in Q text "_" is a space and an "=" not followed by
 *   two hex digits stays a literal "=";
 * - bytes a word's charset cannot convert become U+FFFD;
 * - raw bytes outside encoded words are kept when they form valid UTF-8,
 *   otherwise each such byte is read as Latin-1.
 * The appended text is always valid UTF-8 (NUL and control characters are
 * passed through). At most 32 different charsets are opened per call;
 * words in further charsets are kept raw.
 * Returns 0, or -1 when out's maximum was reached (out then holds a
 * prefix of the result, cut at an append boundary). */
int mime_header_decode_utf8(const char *value, size_t len, struct buf *out);

/* Appends value[0..len) to out unfolded (RFC 5322 2.2.3): every CRLF (or
 * bare LF) that is followed by a space or a tab is dropped; the whitespace
 * itself stays. Other bytes are copied. Returns 0, or -1 when out's
 * maximum was reached (out then holds a prefix). */
int mime_header_unfold(const char *value, size_t len, struct buf *out);

/* True when needle[0..nlen) occurs in hay[0..hlen) ignoring case, as IMAP
 * SEARCH wants (RFC 3501 6.4.4). Both are UTF-8; a byte that is not part
 * of a valid UTF-8 sequence only matches the same byte. Case folding is
 * simple (one code point to one code point) and built in, independent of
 * the locale: ASCII, Latin-1 Supplement (and U+00B5 to U+03BC), Latin
 * Extended-A (U+017F to "s"), Greek (final sigma to sigma) and Cyrillic
 * (U+0400-U+052F). Other code points compare as they are; no
 * normalisation (a precomposed letter does not match letter + combining
 * mark), no multi-character folds ("ß" does not match "ss"). An empty
 * needle matches. O(hlen + nlen) time; allocates O(nlen) when the needle
 * is longer than 256 code points. */
bool mime_utf8_icontains(const char *hay, size_t hlen, const char *needle,
			 size_t nlen);

#endif
