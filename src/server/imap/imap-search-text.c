/* Text matching for SEARCH: header fields with RFC 2047 words decoded,
 * body parts after base64 / quoted-printable decoding. Substring matching
 * is imap_search_substr, with Latin, Greek and Cyrillic letters folded
 * as well when the needle is not ASCII. */

#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "mime/tree.h"
#include "proto/imap/imap-search.h"
#include "server/imap/imap-msg.h"

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

void
imap_decode_b64(const char *p, size_t len, struct buf *out)
{
	unsigned int acc = 0, bits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		int v = b64_val((unsigned char)p[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_append_c(out, (char)((acc >> bits) & 0xff));
		}
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
imap_decode_qp(const char *p, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != '=') {
			buf_append_c(out, p[i]);
		} else if (i + 2 < len && p[i + 1] == '\r' &&
			   p[i + 2] == '\n') {
			i += 2;
		} else if (i + 2 < len && hexval(p[i + 1]) >= 0 &&
			   hexval(p[i + 2]) >= 0) {
			buf_append_c(out, (char)(hexval(p[i + 1]) * 16 +
						 hexval(p[i + 2])));
			i += 2;
		} else {
			buf_append_c(out, '=');
		}
	}
}

/* ---- case folding beyond ASCII ---- */

/* Lower-case of the two-byte UTF-8 character c (U+0080..U+07FF) for the
 * scripts European mail mostly uses: Latin-1, Latin Extended-A, Greek,
 * Cyrillic. Anything else is returned as it is. */
static unsigned int
fold2(unsigned int c)
{
	if ((c >= 0xc0 && c <= 0xde && c != 0xd7) ||
	    (c >= 0x391 && c <= 0x3ab && c != 0x3a2) ||
	    (c >= 0x410 && c <= 0x42f))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 &&
	    c != 0x138 && c != 0x149 && c != 0x178 && c != 0x17f &&
	    ((c < 0x139 || (c >= 0x14a && c < 0x179)) ? c % 2 == 0
						       : c % 2 == 1))
		return c + 1;
	return c;
}

/* Appends s[0..len) with ASCII and the letters of fold2() lower-cased. */
static void
utf8_fold(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		unsigned char b = (unsigned char)s[i];
		if (b >= 'A' && b <= 'Z') {
			buf_append_c(out, (char)(b + 32));
			i++;
		} else if ((b & 0xe0) == 0xc0 && i + 1 < len &&
			   ((unsigned char)s[i + 1] & 0xc0) == 0x80) {
			unsigned int c = fold2(((b & 0x1fu) << 6) |
					       ((unsigned char)s[i + 1] & 0x3fu));
			buf_append_c(out, (char)(0xc0 | (c >> 6)));
			buf_append_c(out, (char)(0x80 | (c & 0x3f)));
			i += 2;
		} else {
			buf_append_c(out, (char)b);
			i++;
		}
	}
}

static bool
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* imap_search_substr, with non-ASCII letters folded too when the needle
 * has any (an ASCII needle only ever matches ASCII letters). */
static bool
text_has(const char *hay, size_t hlen, const char *needle)
{
	struct buf h, n;
	bool r;

	if (is_ascii(needle))
		return imap_search_substr(hay, hlen, needle,
					  strlen(needle)) == 1;
	buf_init(&h, hlen + 16);
	buf_init(&n, strlen(needle) + 16);
	utf8_fold(hay, hlen, &h);
	utf8_fold(needle, strlen(needle), &n);
	r = imap_search_substr(buf_cstr(&h), h.len, buf_cstr(&n), n.len) == 1;
	buf_free(&h);
	buf_free(&n);
	return r;
}

static bool
part_contains(const struct mime_part *p, const char *msg, const char *needle)
{
	const char *body = msg + p->body_off;
	struct buf dec;
	bool r;

	if (p->children != NULL) {
		const struct mime_part *c;
		for (c = p->children; c != NULL; c = c->next)
			if (part_contains(c, msg, needle))
				return true;
		return false;
	}
	if (p->encoding == NULL || (str_casecmp(p->encoding, "base64") != 0 &&
				    str_casecmp(p->encoding,
						"quoted-printable") != 0))
		return text_has(body, p->body_size, needle);
	buf_init(&dec, p->body_size + 16);
	if (str_casecmp(p->encoding, "base64") == 0)
		imap_decode_b64(body, p->body_size, &dec);
	else
		imap_decode_qp(body, p->body_size, &dec);
	r = text_has(buf_cstr(&dec), dec.len, needle);
	buf_free(&dec);
	return r;
}

/* ---- RFC 2047 ---- */

static void
latin1_to_utf8(const char *p, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x80) {
			buf_append_c(out, (char)c);
		} else {
			buf_append_c(out, (char)(0xc0 | (c >> 6)));
			buf_append_c(out, (char)(0x80 | (c & 0x3f)));
		}
	}
}

/* Decodes one "=?charset?X?text?=" at p into out (NULL: only measure);
 * the bytes it spans, 0 if p does not start a valid encoded word. */
static size_t
encoded_word(const char *p, const char *end, struct buf *out)
{
	const char *cs = p + 2, *q, *text, *close;
	struct buf raw;
	char enc;
	size_t i;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	q = memchr(cs, '?', (size_t)(end - cs));
	if (q == NULL || end - q < 4 || q[2] != '?')
		return 0;
	enc = q[1];
	text = q + 3;
	close = text;
	while (close + 1 < end && !(close[0] == '?' && close[1] == '='))
		close++;
	if (close + 1 >= end || (enc != 'B' && enc != 'b' && enc != 'Q' &&
				 enc != 'q'))
		return 0;
	if (out == NULL)
		return (size_t)(close + 2 - p);
	buf_init(&raw, (size_t)(close - text) + 16);
	if (enc == 'B' || enc == 'b') {
		imap_decode_b64(text, (size_t)(close - text), &raw);
	} else {
		struct buf qp;
		buf_init(&qp, (size_t)(close - text) + 16);
		for (i = 0; text + i < close; i++)
			buf_append_c(&qp, text[i] == '_' ? ' ' : text[i]);
		imap_decode_qp(qp.data != NULL ? qp.data : "", qp.len, &raw);
		buf_free(&qp);
	}
	if (q - cs >= 3 && (str_ncasecmp(cs, "iso-8859-1", 10) == 0 ||
			    str_ncasecmp(cs, "latin1", 6) == 0 ||
			    str_ncasecmp(cs, "windows-1252", 12) == 0))
		latin1_to_utf8(buf_cstr(&raw), raw.len, out);
	else
		buf_append(out, buf_cstr(&raw), raw.len);
	buf_free(&raw);
	return (size_t)(close + 2 - p);
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Appends the unfolded value p[0..len) with encoded words decoded;
 * blanks between two encoded words are dropped (RFC 2047 6.2). */
static void
decode_value(const char *p, size_t len, struct buf *out)
{
	const char *end = p + len;

	while (p < end) {
		size_t n;
		const char *q;

		if (*p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		n = encoded_word(p, end, NULL);
		if (n == 0) {
			/* a folded line's tab reads as a space */
			buf_append_c(out, *p == '\t' ? ' ' : *p);
			p++;
			continue;
		}
		encoded_word(p, end, out);
		p += n;
		for (q = p; q < end && blank(*q); q++)
			;
		if (q > p && q < end && encoded_word(q, end, NULL) > 0)
			p = q;
	}
}

/* Any field called `name` (NULL: any field) whose decoded value holds
 * `needle`. */
bool
imap_search_header(const char *hdr, size_t len, const char *name,
		   const char *needle)
{
	size_t nlen = name != NULL ? strlen(name) : 0, i = 0;
	struct buf val;
	bool found = false;

	buf_init(&val, len * 2 + 16);
	while (i < len && !found) {
		size_t start = i, end, colon;
		while (i < len && !(hdr[i] == '\n' &&
				    (i + 1 >= len || (hdr[i + 1] != ' ' &&
						      hdr[i + 1] != '\t'))))
			i++;
		end = i++;
		if (name != NULL &&
		    (end - start <= nlen || hdr[start + nlen] != ':' ||
		     str_ncasecmp(hdr + start, name, nlen) != 0))
			continue;
		colon = start;
		while (colon < end && hdr[colon] != ':')
			colon++;
		if (colon >= end)
			continue;
		buf_reset(&val);
		decode_value(hdr + colon + 1, end - colon - 1, &val);
		found = text_has(buf_cstr(&val), val.len, needle);
	}
	buf_free(&val);
	return found;
}

bool
imap_search_body(const struct mime_part *root, const char *msg,
		 const char *needle)
{
	return part_contains(root, msg, needle);
}
