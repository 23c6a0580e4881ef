/* IMAP server responses: line segments, tokens, lists and literals.
 * What a finished response means is worked out in imap-resp-data.c. */
#include <string.h>

#include "lib/buf.h"
#include "lib/strx.h"
#include "lib/xalloc.h"
#include "proto/imap/imap-resp-private.h"

#define ARG_COST 32

struct argv {
	struct imap_arg *v;
	size_t n, cap;
};

enum parser_state {
	PS_LINE,	/* collecting a line segment */
	PS_LITWAIT,	/* LITERAL returned: skip, or feed to collect */
	PS_LITERAL,	/* collecting literal bytes */
};

struct imap_resp_parser {
	struct imap_resp_limits lim;
	enum parser_state state;
	struct buf line;
	bool first;		/* the next segment starts a response */
	bool done;		/* a response was returned: clear on feed */
	size_t used;		/* budget spent on this response */
	struct argv *stack;	/* [0] top level, [1..max_depth] lists */
	unsigned int depth;
	struct imap_resp resp;
	char *tag, *name, *head;
	struct imap_literal lit;
	char *lit_item;
	struct buf litbuf;
	uint64_t lit_left;
};

struct imap_resp_parser *
imap_resp_parser_new(const struct imap_resp_limits *limits)
{
	struct imap_resp_parser *p = xcalloc(1, sizeof(*p));

	p->lim = *limits;
	if (p->lim.max_depth == 0)
		p->lim.max_depth = 1;
	/* +1: a CR waiting for its LF */
	buf_init(&p->line, p->lim.max_line + 1);
	buf_init(&p->litbuf, p->lim.max_literal);
	p->stack = xcalloc(p->lim.max_depth + 1, sizeof(*p->stack));
	p->first = true;
	return p;
}

static void
args_free(struct imap_arg *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].type == IMAP_ARG_LIST)
			args_free((struct imap_arg *)v[i].list, v[i].count);
		free((char *)v[i].str);
	}
	free(v);
}

static void
clear_response(struct imap_resp_parser *p)
{
	for (unsigned int i = 0; i <= p->depth; i++) {
		args_free(p->stack[i].v, p->stack[i].n);
		memset(&p->stack[i], 0, sizeof(p->stack[i]));
	}
	p->depth = 0;
	free(p->tag);
	free(p->name);
	free(p->head);
	free(p->lit_item);
	p->tag = p->name = p->head = p->lit_item = NULL;
	memset(&p->resp, 0, sizeof(p->resp));
	memset(&p->lit, 0, sizeof(p->lit));
	buf_reset(&p->line);
	buf_reset(&p->litbuf);
	p->used = 0;
	p->first = true;
	p->done = false;
	p->state = PS_LINE;
}

void
imap_resp_parser_reset(struct imap_resp_parser *p)
{
	clear_response(p);
}

void
imap_resp_parser_free(struct imap_resp_parser **pp)
{
	struct imap_resp_parser *p = *pp;

	if (p == NULL)
		return;
	clear_response(p);
	buf_free(&p->line);
	buf_free(&p->litbuf);
	free(p->stack);
	free(p);
	*pp = NULL;
}

static int
spend(struct imap_resp_parser *p, size_t n, const char **error_r)
{
	if (n > p->lim.max_resp || p->used > p->lim.max_resp - n) {
		*error_r = "response too large";
		return -1;
	}
	p->used += n;
	return 0;
}

static int
add_arg(struct imap_resp_parser *p, const struct imap_arg *a,
	const char **error_r)
{
	struct argv *av = &p->stack[p->depth];

	if (spend(p, ARG_COST, error_r) < 0) {
		free((char *)a->str);
		return -1;
	}
	if (av->n == av->cap) {
		av->cap = av->cap == 0 ? 8 : av->cap * 2;
		av->v = xrealloc(av->v, av->cap * sizeof(*av->v));
	}
	av->v[av->n++] = *a;
	return 0;
}

/* ---- the first segment: tag, number, name ---- */

static char *
take_word(const char **s)
{
	const char *start = *s, *end = strchr(start, ' ');

	if (end == NULL)
		end = start + strlen(start);
	*s = *end == ' ' ? end + 1 : end;
	return xstrndup(start, (size_t)(end - start));
}

static char *
upcase(char *s)
{
	for (char *t = s; *t != '\0'; t++)
		if (*t >= 'a' && *t <= 'z')
			*t = (char)(*t - 'a' + 'A');
	return s;
}

static bool
is_tag(const char *t)
{
	if (*t == '\0')
		return false;
	for (; *t != '\0'; t++) {
		unsigned char c = (unsigned char)*t;
		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\+", c) != NULL)
			return false;
	}
	return true;
}

static int
head_status(struct imap_resp_parser *p, enum imap_status st, const char *s,
	    const char **error_r)
{
	p->resp.type = IMAP_RT_STATUS;
	p->resp.status = st;
	p->head = xstrdup(s);
	if (p->resp.kind == IMAP_RESP_TAGGED &&
	    (st == IMAP_ST_BYE || st == IMAP_ST_PREAUTH)) {
		*error_r = "tagged BYE/PREAUTH";
		return IMAP_RESP_ERROR;
	}
	if (imap_resp_parse_text(&p->resp, p->head, error_r) < 0)
		return IMAP_RESP_ERROR;
	return IMAP_RESP_DONE;
}

static int
head_continue(struct imap_resp_parser *p, const char *s)
{
	p->resp.kind = IMAP_RESP_CONTINUE;
	p->resp.type = IMAP_RT_STATUS;
	p->head = xstrdup(*s == ' ' ? s + 1 : s);
	p->resp.text = p->head;
	p->resp.code.name = "";
	p->resp.code.text = "";
	return IMAP_RESP_DONE;
}

static int
head_number(struct imap_resp_parser *p, const char **s, const char **error_r)
{
	uint64_t n;
	const char *end;

	if (str_to_uint64_prefix(*s, &n, &end) < 0 || n > UINT32_MAX ||
	    *end != ' ') {
		*error_r = "bad message number";
		return -1;
	}
	p->resp.number = (uint32_t)n;
	*s = end + 1;
	return 0;
}

/* 0: go on with the data in *s; else DONE or ERROR. */
static int
parse_head(struct imap_resp_parser *p, const char **s, const char **error_r)
{
	enum imap_status st;
	bool numbered = false;

	if ((*s)[0] == '+' && ((*s)[1] == ' ' || (*s)[1] == '\0'))
		return head_continue(p, *s + 1);
	p->tag = take_word(s);
	if (strcmp(p->tag, "*") == 0) {
		p->resp.kind = IMAP_RESP_UNTAGGED;
	} else if (is_tag(p->tag)) {
		p->resp.kind = IMAP_RESP_TAGGED;
		p->resp.tag = p->tag;
	} else {
		*error_r = "bad tag";
		return IMAP_RESP_ERROR;
	}
	if (p->resp.kind == IMAP_RESP_UNTAGGED &&
	    **s >= '0' && **s <= '9') {
		if (head_number(p, s, error_r) < 0)
			return IMAP_RESP_ERROR;
		numbered = true;
	}
	p->name = upcase(take_word(s));
	if (p->name[0] == '\0') {
		*error_r = "missing response name";
		return IMAP_RESP_ERROR;
	}
	p->resp.name = p->name;
	st = numbered ? IMAP_ST_NONE : imap_resp_status_word(p->name);
	if (st != IMAP_ST_NONE)
		return head_status(p, st, *s, error_r);
	if (p->resp.kind == IMAP_RESP_TAGGED) {
		*error_r = "tagged response is not OK/NO/BAD";
		return IMAP_RESP_ERROR;
	}
	imap_resp_set_type(&p->resp);
	return 0;
}

/* ---- tokens ---- */

static bool
atom_stop(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '(' || c == ')' || c == '"';
}

/* An atom, with "[...]" sections kept whole: BODY[HEADER.FIELDS (X)]. */
static int
tok_atom(struct imap_resp_parser *p, const char **s, const char **error_r)
{
	const char *start = *s, *t = *s;
	struct imap_arg a = { 0 };

	while (!atom_stop((unsigned char)*t)) {
		if (*t++ != '[')
			continue;
		while (*t != ']' && *t != '\0')
			t++;
		if (*t++ != ']') {
			*error_r = "unterminated [ in atom";
			return -1;
		}
	}
	if (t == start) {
		*error_r = "unexpected character";
		return -1;
	}
	*s = t;
	a.len = (size_t)(t - start);
	if (a.len == 3 && str_ncasecmp(start, "NIL", 3) == 0) {
		a.type = IMAP_ARG_NIL;
		return add_arg(p, &a, error_r);
	}
	a.type = IMAP_ARG_ATOM;
	a.str = xstrndup(start, a.len);
	return add_arg(p, &a, error_r);
}

static int
tok_quoted(struct imap_resp_parser *p, const char **s, const char **error_r)
{
	const char *t = *s + 1;
	char *out = xmalloc(strlen(t) + 1);
	struct imap_arg a = { .type = IMAP_ARG_QUOTED, .str = out };

	while (*t != '"') {
		if (*t == '\0' ||
		    (*t == '\\' && t[1] != '\\' && t[1] != '"')) {
			free(out);
			*error_r = *t == '\0' ? "unterminated quoted string" :
				"bad escape in quoted string";
			return -1;
		}
		if (*t == '\\')
			t++;
		out[a.len++] = *t++;
	}
	out[a.len] = '\0';
	*s = t + 1;
	return add_arg(p, &a, error_r);
}

static int
list_open(struct imap_resp_parser *p, const char **error_r)
{
	if (p->depth >= p->lim.max_depth) {
		*error_r = "lists nested too deeply";
		return -1;
	}
	p->depth++;
	memset(&p->stack[p->depth], 0, sizeof(p->stack[p->depth]));
	return 0;
}

static int
list_close(struct imap_resp_parser *p, const char **error_r)
{
	struct argv child;
	struct imap_arg a = { .type = IMAP_ARG_LIST };

	if (p->depth == 0) {
		*error_r = "unbalanced )";
		return -1;
	}
	child = p->stack[p->depth];
	memset(&p->stack[p->depth], 0, sizeof(child));
	p->depth--;
	a.list = child.v;
	a.count = child.n;
	if (add_arg(p, &a, error_r) < 0) {
		args_free(child.v, child.n);
		return -1;
	}
	return 0;
}

/* Fills fetch_seq/fetch_uid/item when the literal is a FETCH item value. */
static void
literal_context(struct imap_resp_parser *p)
{
	const struct argv *av = &p->stack[1];

	if (p->resp.type != IMAP_RT_FETCH || p->depth != 1)
		return;
	p->lit.fetch_seq = p->resp.number;
	for (size_t i = 0; i + 1 < av->n; i += 2) {
		if (imap_arg_atom_is(&av->v[i], "UID"))
			(void)imap_arg_uint32(&av->v[i + 1],
					      &p->lit.fetch_uid);
	}
	if (av->n % 2 == 1 && av->v[av->n - 1].type == IMAP_ARG_ATOM) {
		p->lit_item = upcase(xstrdup(av->v[av->n - 1].str));
		p->lit.item = p->lit_item;
	}
}

static int
tok_literal(struct imap_resp_parser *p, const char *s, const char **error_r)
{
	uint64_t n;
	const char *end;

	p->lit.literal8 = *s == '~';
	s += p->lit.literal8 ? 2 : 1;
	if (str_to_uint64_prefix(s, &n, &end) < 0) {
		*error_r = "bad literal size";
		return IMAP_RESP_ERROR;
	}
	if (*end == '+')
		end++;
	if (end[0] != '}' || end[1] != '\0') {
		*error_r = "literal not at the end of the line";
		return IMAP_RESP_ERROR;
	}
	p->lit.size = n;
	p->lit.too_big = n > p->lim.max_literal;
	literal_context(p);
	p->state = PS_LITWAIT;
	return IMAP_RESP_LITERAL;
}

static int
finish(struct imap_resp_parser *p, const char **error_r)
{
	if (p->depth > 0) {
		*error_r = "unterminated list";
		return IMAP_RESP_ERROR;
	}
	p->resp.args = p->stack[0].v;
	p->resp.nargs = p->stack[0].n;
	if (imap_resp_interpret(&p->resp, error_r) < 0)
		return IMAP_RESP_ERROR;
	return IMAP_RESP_DONE;
}

static int
tokenize(struct imap_resp_parser *p, const char *s, const char **error_r)
{
	int rc = 0;

	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			return finish(p, error_r);
		if (*s == '{' || (*s == '~' && s[1] == '{'))
			return tok_literal(p, s, error_r);
		if (*s == '(') {
			rc = list_open(p, error_r);
			s++;
		} else if (*s == ')') {
			rc = list_close(p, error_r);
			s++;
		} else if (*s == '"') {
			rc = tok_quoted(p, &s, error_r);
		} else {
			rc = tok_atom(p, &s, error_r);
		}
		if (rc < 0)
			return IMAP_RESP_ERROR;
	}
}

static int
segment(struct imap_resp_parser *p, const char **error_r)
{
	const char *s;
	int rc;

	if (p->line.len > 0 && p->line.data[p->line.len - 1] == '\r')
		buf_truncate(&p->line, p->line.len - 1);
	if (spend(p, p->line.len + 2, error_r) < 0)
		return IMAP_RESP_ERROR;
	s = buf_cstr(&p->line);
	if (strlen(s) != p->line.len) {
		*error_r = "NUL in response line";
		return IMAP_RESP_ERROR;
	}
	if (p->first) {
		p->first = false;
		rc = parse_head(p, &s, error_r);
		if (rc != 0)
			return rc;
	}
	return tokenize(p, s, error_r);
}

/* ---- literals ---- */

static int
literal_done(struct imap_resp_parser *p, const char **error_r)
{
	struct imap_arg a = {
		.type = IMAP_ARG_LITERAL, .literal_size = p->lit.size,
		.literal8 = p->lit.literal8, .len = p->litbuf.len,
	};

	a.str = p->litbuf.len == 0 ? xstrdup("") : buf_steal(&p->litbuf);
	free(p->lit_item);
	p->lit_item = NULL;
	memset(&p->lit, 0, sizeof(p->lit));
	p->state = PS_LINE;
	return add_arg(p, &a, error_r);
}

void
imap_resp_literal_skip(struct imap_resp_parser *p)
{
	struct imap_arg a = { .type = IMAP_ARG_STREAMED };
	const char *error;

	if (p->state != PS_LITWAIT)
		return;
	a.literal_size = p->lit.size;
	a.literal8 = p->lit.literal8;
	free(p->lit_item);
	p->lit_item = NULL;
	memset(&p->lit, 0, sizeof(p->lit));
	p->state = PS_LINE;
	/* over budget: the response fails at its next segment */
	if (add_arg(p, &a, &error) < 0)
		p->used = p->lim.max_resp;
}

static int
literal_start(struct imap_resp_parser *p, const char **error_r)
{
	if (p->lit.too_big) {
		*error_r = "literal too large";
		return -1;
	}
	if (spend(p, p->lit.size, error_r) < 0)
		return -1;
	p->lit_left = p->lit.size;
	p->state = PS_LITERAL;
	return p->lit_left == 0 ? literal_done(p, error_r) : 0;
}

static int
feed_literal(struct imap_resp_parser *p, const char *data, size_t len,
	     size_t *i, const char **error_r)
{
	size_t n = len - *i;

	if (n > p->lit_left)
		n = (size_t)p->lit_left;
	if (buf_append(&p->litbuf, data + *i, n) < 0) {
		*error_r = "literal too large";
		return -1;
	}
	*i += n;
	p->lit_left -= n;
	return p->lit_left == 0 ? literal_done(p, error_r) : 0;
}

/* Returns an imap_resp_rc; MORE when data ran out before a line end. */
static int
feed_line(struct imap_resp_parser *p, const char *data, size_t len,
	  size_t *i, const char **error_r)
{
	const char *nl = memchr(data + *i, '\n', len - *i);
	size_t n = nl == NULL ? len - *i : (size_t)(nl - (data + *i));
	int rc;

	if (buf_append(&p->line, data + *i, n) < 0) {
		*error_r = "line too long";
		return IMAP_RESP_ERROR;
	}
	*i += n;
	if (nl == NULL)
		return IMAP_RESP_MORE;
	(*i)++;
	rc = segment(p, error_r);
	buf_reset(&p->line);
	return rc;
}

int
imap_resp_feed(struct imap_resp_parser *p, const void *data, size_t len,
	       size_t *consumed_r, const struct imap_resp **resp_r,
	       const struct imap_literal **lit_r, const char **error_r)
{
	const char *d = data;
	size_t i = 0;
	int rc = IMAP_RESP_MORE;

	*resp_r = NULL;
	*lit_r = NULL;
	if (p->done)
		clear_response(p);
	if (p->state == PS_LITWAIT && literal_start(p, error_r) < 0)
		rc = IMAP_RESP_ERROR;
	while (rc == IMAP_RESP_MORE && i < len) {
		if (p->state == PS_LITERAL) {
			if (feed_literal(p, d, len, &i, error_r) < 0)
				rc = IMAP_RESP_ERROR;
			continue;
		}
		rc = feed_line(p, d, len, &i, error_r);
	}
	*consumed_r = i;
	if (rc == IMAP_RESP_DONE) {
		p->done = true;
		*resp_r = &p->resp;
	} else if (rc == IMAP_RESP_LITERAL) {
		*lit_r = &p->lit;
	}
	return rc;
}
