/* IMAP strings the way Dovecot writes them (lib-imap imap-quote): mime
 * may not depend on proto/, so it has its own small quoter. */
#include "mime/imap-mime.h"
#include "mime/imap-string.h"

#include <string.h>

#include "lib/buf.h"

/* Past this many quoted-specials a literal is shorter (Dovecot's rule). */
#define QUOTED_MAX_ESCAPES 4

static int
append_literal(struct buf *out, const char *s, size_t len)
{
	if (buf_printf(out, "{%zu}\r\n", len) < 0)
		return -1;
	return buf_append(out, s, len);
}

static int
append_quoted(struct buf *out, const char *s, size_t len)
{
	int ret = buf_append_c(out, '"');

	for (size_t i = 0; i < len && ret == 0; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n' || c >= 0x80 || c == 0)
			continue;
		if (c == '"' || c == '\\')
			ret = buf_append_c(out, '\\');
		if (ret == 0)
			ret = buf_append_c(out, (char)c);
	}
	return ret < 0 ? -1 : buf_append_c(out, '"');
}

int
mime_imap_append_string(struct buf *out, const char *s, size_t len)
{
	unsigned int escapes = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == 0)
			break;	/* Dovecot's strings end at a NUL */
		if ((c == '"' || c == '\\') && escapes++ < QUOTED_MAX_ESCAPES)
			continue;
		if (c == '"' || c == '\\' || c == '\r' || c == '\n' ||
		    c >= 0x80)
			return append_literal(out, s, strnlen(s, len));
	}
	return append_quoted(out, s, strnlen(s, len));
}

int
mime_imap_append_nstring(struct buf *out, const char *s)
{
	if (s == NULL)
		return buf_append_str(out, "NIL");
	return mime_imap_append_string(out, s, strlen(s));
}

/* How much text the human-readable form keeps, and whether it differs
 * from the input: whitespace runs become one space, CR/LF vanish, TAB is
 * a space, leading and trailing whitespace go, NUL becomes 0x80. */
static bool
humans_scan(const unsigned char *s, size_t len, size_t *keep_r)
{
	bool last_lwsp = true, prefix = true, modify = false;
	size_t removed = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '\t' || c == ' ') {
			modify = modify || c == '\t' || last_lwsp;
			removed += last_lwsp;
			last_lwsp = true;
		} else if (c == '\r' || c == '\n') {
			removed++;
			modify = true;
		} else {
			modify = modify || c == 0 || c == '"' || c == '\\' ||
				 c >= 0x80;
			last_lwsp = false;
		}
		if (!last_lwsp)
			prefix = false;
	}
	if (last_lwsp && len > 0 && !prefix) {
		modify = true;
		removed++;
	}
	*keep_r = len - removed;
	return modify;
}

static int
humans_literal(struct buf *out, const unsigned char *s, size_t len,
	       size_t keep)
{
	bool last_lwsp = true, prefix = true;
	size_t start;

	if (buf_printf(out, "{%zu}\r\n", keep) < 0)
		return -1;
	start = out->len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == ' ' || c == '\t') {
			if (!last_lwsp && buf_append_c(out, ' ') < 0)
				return -1;
			last_lwsp = true;
		} else if (c != '\r' && c != '\n') {
			last_lwsp = false;
			if (buf_append_c(out, c == 0 ? (char)0x80 : (char)c) < 0)
				return -1;
		}
		if (!last_lwsp)
			prefix = false;
	}
	if (last_lwsp && len > 0 && !prefix && out->len > start)
		buf_truncate(out, out->len - 1);
	return 0;
}

int
mime_imap_append_for_humans(struct buf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t keep;

	if (!humans_scan(u, len, &keep)) {
		if (buf_append_c(out, '"') < 0 || buf_append(out, s, len) < 0)
			return -1;
		return buf_append_c(out, '"');
	}
	if (keep == 0)
		return buf_append_str(out, "\"\"");
	return humans_literal(out, u, len, keep);
}
