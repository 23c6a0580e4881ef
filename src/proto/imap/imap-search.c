/* SEARCH program parser: the command's argument tree becomes a tree of
 * search keys (imap-search.h). */
#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "proto/imap/imap-args.h"
#include "proto/imap/imap-date.h"
#include "proto/imap/imap-search.h"

#define SEARCH_MAX_DEPTH 64

enum key_kind {
	K_ALL, K_FLAG, K_NEW, K_HDR, K_HEADER, K_BODY, K_TEXT, K_KEYWORD,
	K_DATE, K_SIZE, K_NOT, K_OR, K_UID, K_MODSEQ,
};

static const struct key_def {
	const char *name;
	enum key_kind kind;
	unsigned int flag;	/* K_FLAG */
	bool is_set;		/* K_FLAG, K_KEYWORD */
	int field;		/* K_DATE: enum imap_sk_date_field */
	int op;			/* K_DATE, K_SIZE: enum imap_sk_op */
} key_defs[] = {
	{ "ALL", K_ALL, 0, false, 0, 0 },
	{ "ANSWERED", K_FLAG, IMAP_FLAG_ANSWERED, true, 0, 0 },
	{ "DELETED", K_FLAG, IMAP_FLAG_DELETED, true, 0, 0 },
	{ "DRAFT", K_FLAG, IMAP_FLAG_DRAFT, true, 0, 0 },
	{ "FLAGGED", K_FLAG, IMAP_FLAG_FLAGGED, true, 0, 0 },
	{ "RECENT", K_FLAG, IMAP_FLAG_RECENT, true, 0, 0 },
	{ "SEEN", K_FLAG, IMAP_FLAG_SEEN, true, 0, 0 },
	{ "UNANSWERED", K_FLAG, IMAP_FLAG_ANSWERED, false, 0, 0 },
	{ "UNDELETED", K_FLAG, IMAP_FLAG_DELETED, false, 0, 0 },
	{ "UNDRAFT", K_FLAG, IMAP_FLAG_DRAFT, false, 0, 0 },
	{ "UNFLAGGED", K_FLAG, IMAP_FLAG_FLAGGED, false, 0, 0 },
	{ "UNSEEN", K_FLAG, IMAP_FLAG_SEEN, false, 0, 0 },
	{ "OLD", K_FLAG, IMAP_FLAG_RECENT, false, 0, 0 },
	{ "NEW", K_NEW, 0, false, 0, 0 },
	{ "BCC", K_HDR, 0, false, 0, 0 },
	{ "CC", K_HDR, 0, false, 0, 0 },
	{ "FROM", K_HDR, 0, false, 0, 0 },
	{ "SUBJECT", K_HDR, 0, false, 0, 0 },
	{ "TO", K_HDR, 0, false, 0, 0 },
	{ "HEADER", K_HEADER, 0, false, 0, 0 },
	{ "BODY", K_BODY, 0, false, 0, 0 },
	{ "TEXT", K_TEXT, 0, false, 0, 0 },
	{ "KEYWORD", K_KEYWORD, 0, true, 0, 0 },
	{ "UNKEYWORD", K_KEYWORD, 0, false, 0, 0 },
	{ "BEFORE", K_DATE, 0, false, IMAP_SK_DATE_INTERNAL,
	  IMAP_SK_OP_BEFORE },
	{ "ON", K_DATE, 0, false, IMAP_SK_DATE_INTERNAL, IMAP_SK_OP_ON },
	{ "SINCE", K_DATE, 0, false, IMAP_SK_DATE_INTERNAL, IMAP_SK_OP_SINCE },
	{ "SENTBEFORE", K_DATE, 0, false, IMAP_SK_DATE_SENT,
	  IMAP_SK_OP_BEFORE },
	{ "SENTON", K_DATE, 0, false, IMAP_SK_DATE_SENT, IMAP_SK_OP_ON },
	{ "SENTSINCE", K_DATE, 0, false, IMAP_SK_DATE_SENT,
	  IMAP_SK_OP_SINCE },
	{ "LARGER", K_SIZE, 0, false, 0, IMAP_SK_OP_SINCE },
	{ "SMALLER", K_SIZE, 0, false, 0, IMAP_SK_OP_BEFORE },
	{ "NOT", K_NOT, 0, false, 0, 0 },
	{ "OR", K_OR, 0, false, 0, 0 },
	{ "UID", K_UID, 0, false, 0, 0 },
	{ "MODSEQ", K_MODSEQ, 0, false, 0, 0 },
};

struct sctx {
	struct imap_cmd *cmd;
	const struct imap_cmd_arg *args;
	size_t i, n;
	unsigned int depth;
	struct imap_search *s;
	const char *error;
};

static int
serr(struct sctx *c, const char *error)
{
	if (c->error == NULL)
		c->error = error;
	return -1;
}

static struct imap_search_key *
new_key(struct sctx *c, enum imap_sk_type type)
{
	struct imap_search_key *k = imap_cmd_alloc(c->cmd, sizeof(*k));

	k->type = type;
	return k;
}

static const struct imap_cmd_arg *
next_arg(struct sctx *c)
{
	return c->i < c->n ? &c->args[c->i++] : NULL;
}

static int
next_astring(struct sctx *c, const char **r)
{
	if (imap_arg_astring(next_arg(c), r) < 0)
		return serr(c, "Missing or invalid search string");
	return 0;
}

static char *
upper_dup(struct imap_cmd *cmd, const char *s)
{
	char *u = imap_cmd_strndup(cmd, s, strlen(s));

	for (char *p = u; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return u;
}

static int parse_key(struct sctx *c, struct imap_search_key **r);

/* Keys from args[0..n) as children of an AND key. */
static int
parse_and(struct sctx *c, const struct imap_cmd_arg *args, size_t n,
	  struct imap_search_key **r)
{
	const struct imap_cmd_arg *old_args = c->args;
	size_t old_i = c->i, old_n = c->n;
	struct imap_search_key *k = new_key(c, IMAP_SK_AND), **tail;

	if (n == 0)
		return serr(c, "Empty search key list");
	c->args = args;
	c->i = 0;
	c->n = n;
	for (tail = &k->children; c->i < c->n; tail = &(*tail)->next)
		if (parse_key(c, tail) < 0)
			return -1;
	c->args = old_args;
	c->i = old_i;
	c->n = old_n;
	*r = k;
	return 0;
}

static int
parse_strings(struct sctx *c, const struct key_def *d,
	      struct imap_search_key *k)
{
	k->type = d->kind == K_BODY ? IMAP_SK_BODY :
		d->kind == K_TEXT ? IMAP_SK_TEXT : IMAP_SK_HEADER;
	if (d->kind == K_HDR) {
		k->str = d->name;
	} else if (d->kind == K_HEADER) {
		if (next_astring(c, &k->str) < 0)
			return -1;
		k->str = upper_dup(c->cmd, k->str);
	}
	if (next_astring(c, &k->value) < 0)
		return -1;
	c->s->need_header |= d->kind != K_BODY;
	c->s->need_body |= d->kind == K_BODY || d->kind == K_TEXT;
	return 0;
}

static int
parse_modseq(struct sctx *c, struct imap_search_key *k)
{
	const struct imap_cmd_arg *a = next_arg(c);
	const char *type;

	k->type = IMAP_SK_MODSEQ;
	if (a != NULL && (a->type == IMAP_CARG_QUOTED ||
			  a->type == IMAP_CARG_LITERAL)) {
		if (imap_arg_quoted_string(a, &k->entry) < 0 ||
		    !str_has_prefix_ci(k->entry, "/flags/") ||
		    imap_arg_atom(next_arg(c), &type) < 0)
			return serr(c, "Invalid MODSEQ entry");
		if (str_casecmp(type, "priv") == 0)
			k->entry_type = IMAP_SK_ENTRY_PRIV;
		else if (str_casecmp(type, "shared") == 0)
			k->entry_type = IMAP_SK_ENTRY_SHARED;
		else if (str_casecmp(type, "all") != 0)
			return serr(c, "Invalid MODSEQ entry type");
		a = next_arg(c);
	}
	if (imap_arg_number64(a, &k->number) < 0)
		return serr(c, "Invalid MODSEQ value");
	c->s->has_modseq = true;
	return 0;
}

static int
parse_set(struct sctx *c, const struct imap_cmd_arg *a,
	  struct imap_search_key *k)
{
	if (imap_arg_seqset(a, &k->set) < 0)
		return serr(c, "Invalid sequence set");
	return 0;
}

static int
parse_operands(struct sctx *c, const struct key_def *d,
	       struct imap_search_key *k)
{
	if (++c->depth > SEARCH_MAX_DEPTH)
		return serr(c, "Search program nested too deeply");
	k->type = d->kind == K_NOT ? IMAP_SK_NOT : IMAP_SK_OR;
	if (parse_key(c, &k->children) < 0 ||
	    (d->kind == K_OR && parse_key(c, &k->children->next) < 0))
		return -1;
	c->depth--;
	return 0;
}

static int
parse_new(struct sctx *c, struct imap_search_key *k)
{
	struct imap_search_key *r = new_key(c, IMAP_SK_FLAG);
	struct imap_search_key *u = new_key(c, IMAP_SK_FLAG);

	r->flag = IMAP_FLAG_RECENT;
	r->is_set = true;
	u->flag = IMAP_FLAG_SEEN;
	r->next = u;
	k->type = IMAP_SK_AND;
	k->children = r;
	return 0;
}

static int
parse_def(struct sctx *c, const struct key_def *d, struct imap_search_key *k)
{
	k->flag = d->flag;
	k->is_set = d->is_set;
	k->date_field = (enum imap_sk_date_field)d->field;
	k->op = (enum imap_sk_op)d->op;
	switch (d->kind) {
	case K_ALL:
		k->type = IMAP_SK_ALL;
		return 0;
	case K_FLAG:
		k->type = IMAP_SK_FLAG;
		return 0;
	case K_NEW:
		return parse_new(c, k);
	case K_HDR: case K_HEADER: case K_BODY: case K_TEXT:
		return parse_strings(c, d, k);
	case K_KEYWORD:
		k->type = IMAP_SK_KEYWORD;
		if (imap_arg_atom(next_arg(c), &k->str) < 0 ||
		    !imap_keyword_valid(k->str))
			return serr(c, "Invalid keyword");
		return 0;
	case K_DATE:
		k->type = IMAP_SK_DATE;
		c->s->need_header |= d->field == IMAP_SK_DATE_SENT;
		if (imap_arg_date(next_arg(c), &k->date) < 0)
			return serr(c, "Invalid search date");
		return 0;
	case K_SIZE:
		k->type = IMAP_SK_SIZE;
		if (imap_arg_number64(next_arg(c), &k->number) < 0)
			return serr(c, "Invalid size");
		return 0;
	case K_NOT: case K_OR:
		return parse_operands(c, d, k);
	case K_UID:
		k->type = IMAP_SK_UID;
		return parse_set(c, next_arg(c), k);
	case K_MODSEQ:
		return parse_modseq(c, k);
	}
	return serr(c, "Unknown search key");
}

static int
parse_key(struct sctx *c, struct imap_search_key **r)
{
	const struct imap_cmd_arg *a = next_arg(c);
	struct imap_search_key *k;
	const char *s;
	int ret;

	if (a == NULL)
		return serr(c, "Missing search key");
	if (a->type == IMAP_CARG_LIST) {
		if (++c->depth > SEARCH_MAX_DEPTH)
			return serr(c, "Search program nested too deeply");
		ret = parse_and(c, a->list, a->count, r);
		c->depth--;
		return ret;
	}
	if (imap_arg_atom(a, &s) < 0)
		return serr(c, "Invalid search key");
	k = *r = new_key(c, IMAP_SK_SEQSET);
	if ((*s >= '0' && *s <= '9') || *s == '*')
		return parse_set(c, a, k);
	for (size_t i = 0; i < sizeof(key_defs) / sizeof(*key_defs); i++)
		if (str_casecmp(s, key_defs[i].name) == 0)
			return parse_def(c, &key_defs[i], k);
	return serr(c, "Unknown search key");
}

/* ---- RETURN and CHARSET ---- */

static int
parse_return(struct sctx *c)
{
	static const char *const names[] = { "MIN", "MAX", "ALL", "COUNT" };
	const struct imap_cmd_arg *l;
	size_t n, k;

	if (imap_arg_list(next_arg(c), &l, &n) < 0)
		return serr(c, "Invalid RETURN options");
	c->s->esearch = true;
	for (size_t i = 0; i < n; i++) {
		for (k = 0; k < 4 && !imap_arg_atom_eq(&l[i], names[k]); k++)
			;
		if (k == 4)
			return serr(c, "Unknown RETURN option");
		c->s->ret |= 1u << k;
	}
	if (n == 0)
		c->s->ret = IMAP_SEARCH_RET_ALL;
	return 0;
}

static int
parse_charset(struct sctx *c)
{
	const char *cs;

	if (imap_arg_astring(next_arg(c), &cs) < 0)
		return serr(c, "Invalid charset");
	if (str_casecmp(cs, "UTF-8") == 0)
		c->s->charset = "UTF-8";
	else if (str_casecmp(cs, "US-ASCII") == 0)
		c->s->charset = "US-ASCII";
	else
		return IMAP_SEARCH_BADCHARSET;
	return 0;
}

int
imap_search_parse(struct imap_cmd *cmd, const struct imap_cmd_arg *args,
		  size_t n, struct imap_search *r, const char **error_r)
{
	struct sctx c = { .cmd = cmd, .args = args, .n = n, .s = r };
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (n > 0 && imap_arg_atom_eq(&args[0], "RETURN")) {
		c.i++;
		ret = parse_return(&c);
	}
	if (ret == 0 && c.i < n && imap_arg_atom_eq(&args[c.i], "CHARSET")) {
		c.i++;
		ret = parse_charset(&c);
	}
	if (ret == IMAP_SEARCH_BADCHARSET) {
		*error_r = "Unsupported charset";
		return ret;
	}
	if (ret < 0 || parse_and(&c, c.i > 0 ? args + c.i : args, n - c.i,
				 &r->root) < 0) {
		*error_r = c.error != NULL ? c.error : "Invalid search program";
		return -1;
	}
	return 0;
}
