/* The token scanner behind Content-* and address parsing. Its leniency
 * follows what Dovecot 2.3 accepts, since IMAP output must match it. */
#include "mime/rfc822.h"

#include "lib/buf.h"

void
rfc822_init(struct rfc822 *r, const char *data, size_t len)
{
	r->p = (const unsigned char *)data;
	r->end = r->p + len;
	r->last_comment = NULL;
}

static int
skip_comment(struct rfc822 *r)
{
	struct buf *c = r->last_comment;
	int depth = 0;

	if (c != NULL)
		buf_reset(c);
	for (; r->p < r->end; r->p++) {
		if (*r->p == '\\') {
			if (++r->p == r->end)
				return -1;
		} else if (*r->p == '(') {
			if (depth++ == 0)
				continue;
		} else if (*r->p == ')' && --depth == 0) {
			r->p++;
			return 1;
		}
		if (c != NULL && *r->p != '\r' && *r->p != '\n')
			buf_append_c(c, (char)*r->p);
	}
	return -1;
}

int
rfc822_skip_lwsp(struct rfc822 *r)
{
	while (r->p < r->end) {
		unsigned char c = *r->p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			r->p++;
		else if (c != '(')
			return 1;
		else if (skip_comment(r) < 0)
			return -1;
	}
	return 0;
}

int
rfc822_is_atext(unsigned char c)
{
	static const char specials[] = "()<>@,;:\\\".[]";

	if (c >= 0x80)
		return 1;	/* 8-bit bytes pass as atext, as in Dovecot */
	if (c <= ' ' || c == 0x7f)
		return 0;
	for (const char *s = specials; *s != '\0'; s++)
		if (c == (unsigned char)*s)
			return 0;
	return 1;
}

int
rfc822_is_token_char(unsigned char c)
{
	if (c == '/' || c == '?' || c == '=')
		return 0;
	return c == '.' || rfc822_is_atext(c);
}

static int
append_run(struct rfc822 *r, struct buf *out, int (*ok)(unsigned char))
{
	const unsigned char *start = r->p;

	while (r->p < r->end && ok(*r->p))
		r->p++;
	buf_append(out, start, (size_t)(r->p - start));
	return rfc822_skip_lwsp(r);
}

int
rfc822_parse_atom(struct rfc822 *r, struct buf *out)
{
	if (r->p >= r->end || !rfc822_is_atext(*r->p))
		return -1;
	return append_run(r, out, rfc822_is_atext);
}

int
rfc822_parse_mime_token(struct rfc822 *r, struct buf *out)
{
	return append_run(r, out, rfc822_is_token_char);
}

int
rfc822_parse_dot_atom(struct rfc822 *r, struct buf *out)
{
	int ret;

	/* lenient like Dovecot: whitespace may surround the dots */
	if ((ret = rfc822_parse_atom(r, out)) <= 0)
		return ret;
	while (r->p < r->end && *r->p == '.') {
		buf_append_c(out, '.');
		r->p++;
		if (rfc822_skip_lwsp(r) <= 0)
			return -1;
		if ((ret = rfc822_parse_atom(r, out)) <= 0)
			return ret;
	}
	return 1;
}

int
rfc822_parse_quoted_string(struct rfc822 *r, struct buf *out)
{
	const unsigned char *start = ++r->p;	/* past the opening quote */

	for (; r->p < r->end; r->p++) {
		unsigned char c = *r->p;

		if (c == '"') {
			buf_append(out, start, (size_t)(r->p - start));
			r->p++;
			return rfc822_skip_lwsp(r);
		} else if (c == '\n') {
			/* a folded line: drop the line end, keep the WSP */
			size_t n = (size_t)(r->p - start);

			if (n > 0 && start[n - 1] == '\r')
				n--;
			buf_append(out, start, n);
			start = r->p + 1;
		} else if (c == '\\') {
			buf_append(out, start, (size_t)(r->p - start));
			if (++r->p == r->end)
				return -1;
			start = r->p;
		}
	}
	return -1;
}

static int
is_word_char(unsigned char c)
{
	return c == '.' || rfc822_is_atext(c);
}

int
rfc822_parse_phrase(struct rfc822 *r, struct buf *out)
{
	int ret;

	if (r->p >= r->end)
		return 0;
	if (*r->p == '.')
		return -1;
	for (;;) {
		if (*r->p == '"')
			ret = rfc822_parse_quoted_string(r, out);
		else
			ret = append_run(r, out, is_word_char);
		if (ret <= 0)
			return ret;
		if (*r->p != '"' && !is_word_char(*r->p))
			return 1;
		buf_append_c(out, ' ');
	}
}

static int
parse_domain_literal(struct rfc822 *r, struct buf *out)
{
	const unsigned char *start = r->p;

	for (; r->p < r->end; r->p++) {
		if (*r->p == '\\') {
			if (++r->p == r->end)
				break;
		} else if (*r->p == ']') {
			r->p++;
			buf_append(out, start, (size_t)(r->p - start));
			return rfc822_skip_lwsp(r);
		}
	}
	return -1;
}

int
rfc822_parse_domain(struct rfc822 *r, struct buf *out)
{
	r->p++;		/* '@' */
	if (rfc822_skip_lwsp(r) <= 0)
		return -1;
	if (*r->p == '[')
		return parse_domain_literal(r, out);
	return rfc822_parse_dot_atom(r, out);
}
