/* Command argument formatting: atom, quoted string, or literal. */
#include <string.h>

#include "lib/strx.h"
#include "proto/imap/imap-quote.h"

static bool
atom_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\[]", c) == NULL;
}

static bool
quotable(unsigned char c)
{
	return c != 0 && c != '\r' && c != '\n' && c < 0x80;
}

enum imap_quote_kind
imap_quote_kind(const char *s, size_t len)
{
	bool atom = len > 0 && !(len == 3 && str_ncasecmp(s, "NIL", 3) == 0);

	if (len > IMAP_QUOTE_MAX)
		return IMAP_QUOTE_LITERAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!quotable(c))
			return IMAP_QUOTE_LITERAL;
		if (!atom_char(c))
			atom = false;
	}
	return atom ? IMAP_QUOTE_ATOM : IMAP_QUOTE_QUOTED;
}

int
imap_quote_string(struct buf *out, const char *s, size_t len)
{
	size_t start = out->len;
	int rc;

	if (imap_quote_kind(s, len) == IMAP_QUOTE_LITERAL)
		return -1;
	rc = buf_append_c(out, '"');
	for (size_t i = 0; rc == 0 && i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			rc = buf_append_c(out, '\\');
		if (rc == 0)
			rc = buf_append_c(out, s[i]);
	}
	if (rc == 0)
		rc = buf_append_c(out, '"');
	if (rc < 0)
		buf_truncate(out, start);
	return rc;
}

int
imap_quote_astring(struct buf *out, const char *s, size_t len)
{
	switch (imap_quote_kind(s, len)) {
	case IMAP_QUOTE_ATOM:
		return buf_append(out, s, len);
	case IMAP_QUOTE_QUOTED:
		return imap_quote_string(out, s, len);
	default:
		return -1;
	}
}

int
imap_quote_literal_prefix(struct buf *out, size_t len, bool nonsync)
{
	return buf_printf(out, "{%zu%s}\r\n", len, nonsync ? "+" : "");
}
