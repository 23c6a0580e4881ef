/* IMAP command parser for the server: tag, name, argument tree. The
 * whole command arrives in wire form (imap-cmd.h), so the parser is a
 * plain recursive descent over a byte range; the incremental part (which
 * line ends in a literal) is imap_line_literal(). */
#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "lib/xalloc.h"
#include "proto/imap/imap-cmd-private.h"

/* ---- arena ---- */

#define ARENA_CHUNK 4096

struct imap_arena {
	struct imap_arena *next;
	size_t used, cap;
	max_align_t data[];
};

static struct imap_arena *
arena_chunk(size_t need)
{
	size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
	struct imap_arena *a = xmalloc(sizeof(*a) + cap);

	a->next = NULL;
	a->used = 0;
	a->cap = cap;
	return a;
}

void *
imap_cmd_alloc(struct imap_cmd *cmd, size_t size)
{
	struct imap_arena *a = cmd->arena;
	size_t align = sizeof(max_align_t);
	size_t need = (size + align - 1) / align * align;
	void *p;

	if (need == 0)
		need = align;
	if (a == NULL || a->cap - a->used < need) {
		struct imap_arena *n = arena_chunk(need);

		if (a != NULL && need > ARENA_CHUNK / 4) {
			/* a big block: keep filling the current chunk */
			n->next = a->next;
			a->next = n;
			n->used = need;
			memset(n->data, 0, need);
			return n->data;
		}
		n->next = a;
		cmd->arena = a = n;
	}
	p = (char *)a->data + a->used;
	a->used += need;
	memset(p, 0, need);
	return p;
}

char *
imap_cmd_strndup(struct imap_cmd *cmd, const char *s, size_t len)
{
	char *p = imap_cmd_alloc(cmd, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
imap_cmd_clear(struct imap_cmd *cmd)
{
	const struct imap_cmd_limits *limits;
	struct imap_arena *a, *next;

	if (cmd == NULL)
		return;
	for (a = cmd->arena; a != NULL; a = next) {
		next = a->next;
		free(a);
	}
	limits = cmd->limits;
	memset(cmd, 0, sizeof(*cmd));
	cmd->limits = limits;
}

/* ---- framing ---- */

int
imap_line_literal(const char *line, size_t len, uint64_t *size_r,
		  bool *nonsync_r)
{
	size_t i;
	uint64_t n = 0;
	bool nonsync = false;

	if (len < 3 || line[len - 1] != '}')
		return 0;
	i = len - 1;
	if (line[i - 1] == '+') {
		nonsync = true;
		i--;
	}
	size_t digits_end = i, start;

	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == 0 || i == digits_end || line[i - 1] != '{')
		return 0;
	start = i;
	for (; i < digits_end; i++) {
		uint64_t d = (uint64_t)(line[i] - '0');

		if (n > (UINT64_MAX - d) / 10)
			return 0;
		n = n * 10 + d;
	}
	i = start - 1;	/* the '{' */
	if (i > 0 && line[i - 1] == '~')
		i--;
	if (i > 0 && line[i - 1] != ' ' && line[i - 1] != '(')
		return 0;
	*size_r = n;
	*nonsync_r = nonsync;
	return 1;
}

/* ---- parser ---- */

struct parser {
	struct imap_cmd *cmd;
	const char *p, *end;
	unsigned int max_depth;
	size_t nargs, max_args;
	bool brackets;		/* FETCH: "[...]" in atoms may hold spaces */
	bool prefix;		/* stop at a final top-level literal marker */
	bool stopped;		/* prefix: the marker was reached */
};

struct arg_vec {
	struct imap_cmd_arg *v;
	size_t n, cap;
};

static int
fail(struct parser *ps, const char *error)
{
	if (ps->cmd->error == NULL)
		ps->cmd->error = error;
	return -1;
}

static bool
atom_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
		c != '"';
}

static bool
tag_char(unsigned char c)
{
	return atom_char(c) && c != '%' && c != '*' && c != '\\' && c != '+';
}

static struct imap_cmd_arg *
vec_push(struct parser *ps, struct arg_vec *vec)
{
	if (ps->nargs >= ps->max_args) {
		fail(ps, "Too many arguments");
		return NULL;
	}
	ps->nargs++;
	if (vec->n == vec->cap) {
		vec->cap = vec->cap == 0 ? 8 : vec->cap * 2;
		vec->v = xrealloc(vec->v, vec->cap * sizeof(*vec->v));
	}
	memset(&vec->v[vec->n], 0, sizeof(vec->v[0]));
	return &vec->v[vec->n++];
}

/* Finds the closing quote from ps->p (just after the opening one),
 * checking the content; the unescaped length goes to *len_r. */
static int
quoted_scan(struct parser *ps, const char **close_r, size_t *len_r)
{
	const char *p = ps->p;
	size_t n = 0;

	for (; p < ps->end && *p != '"'; p++, n++) {
		if (*p == '\r' || *p == '\n' || *p == '\0')
			return fail(ps, "Invalid characters in quoted string");
		if (*p != '\\')
			continue;
		if (++p == ps->end)
			break;
		if (*p != '\\' && *p != '"')
			return fail(ps, "Invalid escape in quoted string");
	}
	if (p == ps->end)
		return fail(ps, "Unterminated quoted string");
	*close_r = p;
	*len_r = n;
	return 0;
}

static int
parse_quoted(struct parser *ps, struct imap_cmd_arg *arg)
{
	const char *close;
	char *out;
	size_t len, n = 0;

	ps->p++;
	if (quoted_scan(ps, &close, &len) < 0)
		return -1;
	out = imap_cmd_alloc(ps->cmd, len + 1);
	for (; ps->p < close; ps->p++) {
		if (*ps->p == '\\')
			ps->p++;
		out[n++] = *ps->p;
	}
	ps->p++;
	out[n] = '\0';
	arg->type = IMAP_CARG_QUOTED;
	arg->str = out;
	arg->len = n;
	return 0;
}

/* Reads "{n}" / "{n+}" at ps->p ('~' already skipped). The input is not
 * NUL-terminated, so the digits are read here, bounded by ps->end. */
static int
literal_marker(struct parser *ps, uint64_t *size_r, bool *nonsync_r)
{
	const char *start = ++ps->p;
	uint64_t n = 0;

	for (; ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9'; ps->p++) {
		uint64_t d = (uint64_t)(*ps->p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return fail(ps, "Invalid literal size");
		n = n * 10 + d;
	}
	if (ps->p == start)
		return fail(ps, "Invalid literal size");
	*nonsync_r = ps->p < ps->end && *ps->p == '+';
	if (*nonsync_r)
		ps->p++;
	if (ps->p == ps->end || *ps->p != '}')
		return fail(ps, "Invalid literal size");
	ps->p++;
	*size_r = n;
	return 0;
}

/* 1: prefix mode stopped at the pending literal; 0: literal read. */
static int
parse_literal(struct parser *ps, struct imap_cmd_arg *arg, unsigned int depth)
{
	bool lit8 = *ps->p == '~', nonsync;
	uint64_t size;

	if (lit8)
		ps->p++;
	if (literal_marker(ps, &size, &nonsync) < 0)
		return -1;
	if (ps->p == ps->end && ps->prefix) {
		if (depth > 0)
			return fail(ps, "Literal inside a list");
		ps->cmd->literal_pending = true;
		ps->cmd->literal_size = size;
		ps->cmd->literal_nonsync = nonsync;
		ps->cmd->literal8 = lit8;
		return 1;
	}
	if (ps->end - ps->p < 2 || ps->p[0] != '\r' || ps->p[1] != '\n')
		return fail(ps, "Missing CRLF after literal size");
	ps->p += 2;
	if (size > (uint64_t)(ps->end - ps->p))
		return fail(ps, "Literal size mismatch");
	arg->type = IMAP_CARG_LITERAL;
	arg->str = imap_cmd_strndup(ps->cmd, ps->p, (size_t)size);
	arg->len = (size_t)size;
	arg->literal8 = lit8;
	ps->p += size;
	return 0;
}

/* "[...]" inside a FETCH atom: spaces, parentheses and quoted strings
 * allowed, no nested '[' and no control characters. */
static int
skip_brackets(struct parser *ps)
{
	bool quoted = false;

	for (ps->p++; ps->p < ps->end; ps->p++) {
		unsigned char c = (unsigned char)*ps->p;

		if (c < 0x20 || c >= 0x7f)
			return fail(ps, "Invalid characters in atom");
		if (quoted) {
			if (c == '\\' && ps->p + 1 < ps->end)
				ps->p++;
			else if (c == '"')
				quoted = false;
		} else if (c == '"') {
			quoted = true;
		} else if (c == '[' || c == '{') {
			return fail(ps, "Invalid characters in atom");
		} else if (c == ']') {
			ps->p++;
			return 0;
		}
	}
	return fail(ps, "Missing ']'");
}

static int
parse_atom(struct parser *ps, struct imap_cmd_arg *arg)
{
	const char *s = ps->p;

	while (ps->p < ps->end && *ps->p != ' ' && *ps->p != ')') {
		if (*ps->p == '[' && ps->brackets) {
			if (skip_brackets(ps) < 0)
				return -1;
			arg->bracket = true;
			continue;
		}
		if (!atom_char((unsigned char)*ps->p))
			return fail(ps, "Invalid characters in atom");
		ps->p++;
	}
	if (ps->p == s)
		return fail(ps, "Invalid characters in atom");
	arg->str = imap_cmd_strndup(ps->cmd, s, (size_t)(ps->p - s));
	arg->len = (size_t)(ps->p - s);
	arg->type = !arg->bracket && str_casecmp(arg->str, "NIL") == 0 ?
		IMAP_CARG_NIL : IMAP_CARG_ATOM;
	return 0;
}

static int parse_list(struct parser *ps, unsigned int depth,
		      const struct imap_cmd_arg **list_r, size_t *count_r);

static int
parse_one(struct parser *ps, struct imap_cmd_arg *arg, unsigned int depth)
{
	switch (*ps->p) {
	case '(':
		if (depth + 1 > ps->max_depth)
			return fail(ps, "Too deeply nested lists");
		ps->p++;
		arg->type = IMAP_CARG_LIST;
		return parse_list(ps, depth + 1, &arg->list, &arg->count);
	case '"':
		return parse_quoted(ps, arg);
	case '~':
		/* "~{n}" is a literal8; otherwise '~' is an atom character */
		if (ps->p + 1 < ps->end && ps->p[1] == '{')
			return parse_literal(ps, arg, depth);
		return parse_atom(ps, arg);
	case '{':
		return parse_literal(ps, arg, depth);
	default:
		return parse_atom(ps, arg);
	}
}

/* The separator before an element that is not the first. 1: the list
 * (or the command) ends here; 0: an element follows. */
static int
separator(struct parser *ps, unsigned int depth)
{
	if (*ps->p != ' ')
		return fail(ps, "Missing space between arguments");
	ps->p++;
	if (ps->p == ps->end && depth == 0)
		return 1;	/* a trailing space is tolerated */
	if (ps->p == ps->end || *ps->p == ' ' || *ps->p == ')')
		return fail(ps, "Unexpected space");
	return 0;
}

static int
parse_elements(struct parser *ps, unsigned int depth, struct arg_vec *vec)
{
	int ret;

	for (bool first = true;; first = false) {
		if (ps->p == ps->end)
			return depth == 0 ? 0 : fail(ps, "Missing ')'");
		if (*ps->p == ')') {
			if (depth == 0)
				return fail(ps, "Unexpected ')'");
			ps->p++;
			return 0;
		}
		if (!first && (ret = separator(ps, depth)) != 0)
			return ret < 0 ? -1 : 0;
		struct imap_cmd_arg *arg = vec_push(ps, vec);

		if (arg == NULL || (ret = parse_one(ps, arg, depth)) < 0)
			return -1;
		if (ret > 0) {
			vec->n--;	/* the pending literal is no argument */
			ps->stopped = true;
			return 0;
		}
		if (ps->stopped)
			return 0;
	}
}

static int
parse_list(struct parser *ps, unsigned int depth,
	   const struct imap_cmd_arg **list_r, size_t *count_r)
{
	struct arg_vec vec = { 0 };
	struct imap_cmd_arg *copy = NULL;
	int ret = parse_elements(ps, depth, &vec);

	if (ret == 0 && vec.n > 0) {
		copy = imap_cmd_alloc(ps->cmd, vec.n * sizeof(*copy));
		memcpy(copy, vec.v, vec.n * sizeof(*copy));
	}
	*list_r = copy;
	*count_r = ret == 0 ? vec.n : 0;
	free(vec.v);
	return ret;
}

/* ---- tag and name ---- */

static int
parse_tag(struct parser *ps)
{
	const char *s = ps->p;

	while (ps->p < ps->end && *ps->p != ' ') {
		if (!tag_char((unsigned char)*ps->p))
			return fail(ps, s == ps->p ? "Missing tag" :
				    "Invalid characters in tag");
		ps->p++;
	}
	if (ps->p == s)
		return fail(ps, "Missing tag");
	ps->cmd->tag = imap_cmd_strndup(ps->cmd, s, (size_t)(ps->p - s));
	return 0;
}

static int
parse_word(struct parser *ps, const char **word_r)
{
	const char *s;
	char *w;

	if (ps->p == ps->end || *ps->p != ' ' || ++ps->p == ps->end)
		return fail(ps, "Missing command");
	s = ps->p;
	while (ps->p < ps->end && *ps->p != ' ') {
		if (!atom_char((unsigned char)*ps->p) || *ps->p == '[')
			return fail(ps, "Invalid characters in command name");
		ps->p++;
	}
	if (ps->p == s)
		return fail(ps, "Missing command");
	w = imap_cmd_strndup(ps->cmd, s, (size_t)(ps->p - s));
	for (char *c = w; *c != '\0'; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	*word_r = w;
	return 0;
}

static int
parse_head(struct parser *ps)
{
	struct imap_cmd *cmd = ps->cmd;

	if (parse_tag(ps) < 0 || parse_word(ps, &cmd->name) < 0)
		return -1;
	if (strcmp(cmd->name, "UID") == 0) {
		cmd->uid = true;
		cmd->name = NULL;
		if (parse_word(ps, &cmd->name) < 0) {
			cmd->error = "Missing command after UID";
			return -1;
		}
	}
	ps->brackets = strcmp(cmd->name, "FETCH") == 0;
	if (ps->p < ps->end) {
		ps->p++;	/* the space before the arguments */
		if (ps->p < ps->end && *ps->p == ' ')
			return fail(ps, "Unexpected space");
	}
	return 0;
}

static void
parser_init(struct parser *ps, struct imap_cmd *cmd, const char *buf,
	    size_t len, bool prefix)
{
	const struct imap_cmd_limits *l = cmd->limits;

	memset(ps, 0, sizeof(*ps));
	ps->cmd = cmd;
	ps->p = buf;
	ps->end = buf + len;
	ps->prefix = prefix;
	ps->max_depth = l != NULL && l->max_depth > 0 ? l->max_depth :
		IMAP_CMD_DEFAULT_MAX_DEPTH;
	ps->max_args = l != NULL && l->max_args > 0 ? l->max_args :
		IMAP_CMD_DEFAULT_MAX_ARGS;
}

static int
parse_cmd(const char *buf, size_t len, struct imap_cmd *cmd, bool prefix)
{
	struct parser ps;

	imap_cmd_clear(cmd);
	parser_init(&ps, cmd, buf, len, prefix);
	if (parse_head(&ps) < 0 ||
	    parse_list(&ps, 0, &cmd->args, &cmd->nargs) < 0)
		return -1;
	return cmd->literal_pending ? 1 : 0;
}

int
imap_cmd_parse_args(struct imap_cmd *cmd, const char *buf, size_t len,
		    bool prefix, const struct imap_cmd_arg **args_r,
		    size_t *count_r)
{
	struct parser ps;

	cmd->literal_pending = false;
	cmd->error = NULL;
	parser_init(&ps, cmd, buf, len, prefix);
	if (parse_list(&ps, 0, args_r, count_r) < 0)
		return -1;
	return cmd->literal_pending ? 1 : 0;
}

int
imap_cmd_parse(const char *buf, size_t len, struct imap_cmd *cmd)
{
	return parse_cmd(buf, len, cmd, false) < 0 ? -1 : 0;
}

int
imap_cmd_parse_prefix(const char *buf, size_t len, struct imap_cmd *cmd)
{
	return parse_cmd(buf, len, cmd, true);
}
