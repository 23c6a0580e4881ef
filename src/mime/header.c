#include "mime/header.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

/* Where we are in the current line, for finding the blank line that ends
 * the header when input arrives split anywhere (even between CR and LF). */
enum hdr_state {
	HDR_BOL,	/* at the start of a line */
	HDR_BOL_CR,	/* a CR at the start of a line: blank line if LF next */
	HDR_LINE,	/* inside a line */
	HDR_DONE,
};

struct header_reader {
	struct buf raw;		/* header bytes kept, complete lines only */
	enum hdr_state state;
	int capped;		/* the cap was hit: keep nothing more */
};

struct header_reader *
header_reader_new(size_t max_bytes)
{
	struct header_reader *hr = xcalloc(1, sizeof(*hr));

	buf_init(&hr->raw, max_bytes);
	hr->state = HDR_BOL;
	return hr;
}

void
header_reader_free(struct header_reader **hrp)
{
	struct header_reader *hr = *hrp;

	if (hr == NULL)
		return;
	*hrp = NULL;
	buf_free(&hr->raw);
	free(hr);
}

/* Keeps bytes until the cap. When the cap is hit the partial last line is
 * dropped: a field cut in the middle would give a wrong value. */
static void
keep(struct header_reader *hr, const char *p, size_t n)
{
	const char *nl;

	if (hr->capped || n == 0)
		return;
	if (buf_append(&hr->raw, p, n) == 0)
		return;
	hr->capped = 1;
	buf_append(&hr->raw, p, hr->raw.max - hr->raw.len);
	nl = hr->raw.len > 0 ? memrchr(hr->raw.data, '\n', hr->raw.len) : NULL;
	buf_truncate(&hr->raw, nl != NULL ? (size_t)(nl - hr->raw.data) + 1 : 0);
}

/* The CR of a CRLF blank line may have been kept before its LF arrived. */
static void
drop_blank_cr(struct header_reader *hr)
{
	size_t n = hr->raw.len;

	if (n > 0 && hr->raw.data[n - 1] == '\r' &&
	    (n == 1 || hr->raw.data[n - 2] == '\n'))
		buf_truncate(&hr->raw, n - 1);
}

static enum hdr_state
step(enum hdr_state s, char c)
{
	switch (s) {
	case HDR_BOL:
		if (c == '\n')
			return HDR_DONE;
		return c == '\r' ? HDR_BOL_CR : HDR_LINE;
	case HDR_BOL_CR:
		return c == '\n' ? HDR_DONE : HDR_LINE;
	case HDR_LINE:
		return c == '\n' ? HDR_BOL : HDR_LINE;
	case HDR_DONE:
		break;
	}
	return HDR_DONE;
}

size_t
header_reader_feed(struct header_reader *hr, const void *data, size_t len)
{
	const char *p = data;
	size_t i = 0;

	if (hr->state == HDR_DONE)
		return 0;
	while (i < len && hr->state != HDR_DONE) {
		hr->state = step(hr->state, p[i]);
		i++;
	}
	/* The blank line itself is not kept: it ends the block. */
	if (hr->state != HDR_DONE) {
		keep(hr, p, i);
		return i;
	}
	keep(hr, p, i - 1);
	drop_blank_cr(hr);
	return i;
}

int
header_reader_done(const struct header_reader *hr)
{
	return hr->state == HDR_DONE;
}

void
header_reader_finish(struct header_reader *hr)
{
	hr->state = HDR_DONE;
}

char *
header_reader_get(const struct header_reader *hr, const char *name)
{
	return header_field_get(buf_cstr(&hr->raw), hr->raw.len, name);
}

/* ---- field lookup ------------------------------------------------------ */

static size_t
line_end(const char *hdr, size_t len, size_t pos)
{
	const char *nl = memchr(hdr + pos, '\n', len - pos);

	return nl != NULL ? (size_t)(nl - hdr) + 1 : len;
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Appends a line without its line end: unfolding removes the CRLF only,
 * the WSP that follows stays (RFC 5322 2.2.3). */
static void
append_unfolded(struct buf *out, const char *p, size_t n)
{
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	buf_append(out, p, n);
}

static char *
trimmed(struct buf *out)
{
	const char *s = buf_cstr(out);
	size_t start = 0, end = out->len;

	while (start < end && (is_wsp(s[start]) || s[start] == '\r'))
		start++;
	while (end > start && (is_wsp(s[end - 1]) || s[end - 1] == '\r'))
		end--;
	return xstrndup(s + start, end - start);
}

static int
name_matches(const char *line, size_t n, const char *name, size_t nlen)
{
	size_t i = nlen;

	if (n <= nlen || strncasecmp(line, name, nlen) != 0)
		return 0;
	/* obs-optional allows WSP between the name and the colon. */
	while (i < n && is_wsp(line[i]))
		i++;
	return i < n && line[i] == ':';
}

static char *
collect(const char *hdr, size_t len, size_t pos)
{
	struct buf out;
	size_t end = line_end(hdr, len, pos);
	const char *colon = memchr(hdr + pos, ':', end - pos);
	char *value;

	buf_init(&out, SIZE_MAX / 2);
	append_unfolded(&out, colon + 1, end - (size_t)(colon + 1 - hdr));
	for (pos = end; pos < len && is_wsp(hdr[pos]); pos = end) {
		end = line_end(hdr, len, pos);
		append_unfolded(&out, hdr + pos, end - pos);
	}
	value = trimmed(&out);
	buf_free(&out);
	return value;
}

char *
header_field_get(const char *hdr, size_t len, const char *name)
{
	size_t nlen = strlen(name), pos = 0;

	while (pos < len) {
		size_t end = line_end(hdr, len, pos);

		if (!is_wsp(hdr[pos]) &&
		    name_matches(hdr + pos, end - pos, name, nlen))
			return collect(hdr, len, pos);
		pos = end;
	}
	return NULL;
}

/* ---- Message-ID -------------------------------------------------------- */

static const char *
skip_comment(const char *p)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	}
	return p;
}

/* Drops comments and whitespace outside quoted strings, and stops after
 * the first '>' so a value holding several ids yields the first. */
static void
strip_cfws(const char *p, struct buf *out)
{
	int quoted = 0;

	while (*p != '\0') {
		if (quoted) {
			if (*p == '\\' && p[1] != '\0')
				buf_append_c(out, *p++);
			else if (*p == '"')
				quoted = 0;
			buf_append_c(out, *p++);
			continue;
		}
		if (*p == '(') {
			p = skip_comment(p);
			continue;
		}
		if (is_wsp(*p) || *p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		if (*p == '"')
			quoted = 1;
		buf_append_c(out, *p);
		if (*p++ == '>')
			return;
	}
}

char *
header_message_id(const char *value)
{
	struct buf b;
	const char *s, *lt, *gt;
	char *id = NULL;

	if (value == NULL)
		return NULL;
	buf_init(&b, SIZE_MAX / 2);
	strip_cfws(value, &b);
	s = buf_cstr(&b);
	lt = strchr(s, '<');
	if (lt != NULL) {
		gt = strchr(lt, '>');
		s = lt + 1;
		if (gt != NULL)
			b.data[gt - b.data] = '\0';
	}
	if (*s != '\0')
		id = xstrdup(s);
	buf_free(&b);
	return id;
}
