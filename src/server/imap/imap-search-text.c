/* Text matching for SEARCH: header fields with RFC 2047 words decoded,
 * body parts after base64 / quoted-printable decoding, matched without
 * regard to case (ASCII, Latin, Greek, Cyrillic) by mime/rfc2047.h. */

#include <stdlib.h>
#include <string.h>

#include "lib/b64.h"
#include "lib/strx.h"
#include "mime/rfc2047.h"
#include "mime/tree.h"
#include "proto/imap/imap-search.h"
#include "server/imap/imap-msg.h"

/* Base64 as mail carries it: line breaks and junk skipped (lib/b64). */
void
imap_decode_b64(const char *p, size_t len, struct buf *out)
{
	(void)b64_decode_lenient(p, len, out);
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

/* Case-insensitive (ASCII, Latin, Greek, Cyrillic) substring match,
 * linear time (mime/rfc2047.h). */
static bool
text_has(const char *hay, size_t hlen, const char *needle)
{
	return mime_utf8_icontains(hay, hlen, needle, strlen(needle));
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

/* The unfolded value p[0..len), RFC 2047 words decoded to UTF-8 (mime/
 * rfc2047.h); a folded line's tab reads as a space. */
static void
decode_value(const char *p, size_t len, struct buf *out)
{
	struct buf unfolded;
	size_t i;

	buf_init(&unfolded, len + 16);
	mime_header_unfold(p, len, &unfolded);
	mime_header_decode_utf8(buf_cstr(&unfolded), unfolded.len, out);
	buf_free(&unfolded);
	for (i = 0; i < out->len; i++)
		if (out->data[i] == '\t')
			out->data[i] = ' ';
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
