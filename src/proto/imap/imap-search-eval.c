/* Binding and evaluating a parsed SEARCH program on message metadata;
 * content keys are left to the caller (imap-search.h). */
#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "proto/imap/imap-search.h"

/* ---- bind ---- */

static int
bind_key(struct imap_cmd *cmd, struct imap_search_key *k, uint32_t last_seq,
	 uint32_t last_uid, const char **error_r)
{
	struct imap_range *ranges, *copy;
	uint32_t star;
	size_t n;

	for (; k != NULL; k = k->next) {
		if (bind_key(cmd, k->children, last_seq, last_uid,
			     error_r) < 0)
			return -1;
		if (k->type != IMAP_SK_SEQSET && k->type != IMAP_SK_UID)
			continue;
		star = k->type == IMAP_SK_UID ? last_uid : last_seq;
		if (imap_seqset_parse(k->set, star == 0 ? UINT32_MAX : star,
				      SIZE_MAX, &ranges, &n, error_r) < 0)
			return -1;
		copy = imap_cmd_alloc(cmd, n * sizeof(*copy));
		memcpy(copy, ranges, n * sizeof(*copy));
		free(ranges);
		k->ranges = copy;
		k->nranges = n;
	}
	return 0;
}

int
imap_search_bind(struct imap_cmd *cmd, struct imap_search *s,
		 uint32_t last_seq, uint32_t last_uid, const char **error_r)
{
	return bind_key(cmd, s->root, last_seq, last_uid, error_r);
}

/* ---- evaluate ---- */

time_t
imap_search_day(time_t t, int tz)
{
	int64_t local = (int64_t)t + (int64_t)tz * 60;
	int64_t day = local / 86400;

	if (local % 86400 < 0)
		day--;
	return (time_t)(day * 86400);
}

static int
compare_day(time_t day, const struct imap_search_key *k)
{
	switch (k->op) {
	case IMAP_SK_OP_BEFORE:
		return day < k->date;
	case IMAP_SK_OP_ON:
		return day == k->date;
	case IMAP_SK_OP_SINCE:
		return day >= k->date;
	}
	return 0;
}

static int
has_keyword(const struct imap_search_msg *m, const char *kw)
{
	for (size_t i = 0; i < m->nkeywords; i++)
		if (str_casecmp(m->keywords[i], kw) == 0)
			return 1;
	return 0;
}

struct eval_ctx {
	const struct imap_search_msg *m;
	imap_search_content_fn *content;
	void *ctx;
};

static int eval_key(const struct eval_ctx *e, const struct imap_search_key *k);

static int
eval_and(const struct eval_ctx *e, const struct imap_search_key *k)
{
	int res = 1, r;

	for (k = k->children; k != NULL; k = k->next) {
		if ((r = eval_key(e, k)) == 0)
			return 0;
		if (r < 0)
			res = -1;
	}
	return res;
}

static int
eval_or(const struct eval_ctx *e, const struct imap_search_key *k)
{
	int a = eval_key(e, k->children), b;

	if (a == 1)
		return 1;
	b = eval_key(e, k->children->next);
	if (b == 1)
		return 1;
	return a < 0 || b < 0 ? -1 : 0;
}

static int
eval_content(const struct eval_ctx *e, const struct imap_search_key *k)
{
	return e->content != NULL ? e->content(k, e->ctx) != 0 : -1;
}

static int
eval_date(const struct eval_ctx *e, const struct imap_search_key *k)
{
	const struct imap_search_msg *m = e->m;

	if (k->date_field == IMAP_SK_DATE_INTERNAL)
		return compare_day(imap_search_day(m->internal_date,
						   m->internal_tz), k);
	if (!m->sent_known)
		return eval_content(e, k);
	return compare_day(imap_search_day(m->sent_date, m->sent_tz), k);
}

static int
eval_key(const struct eval_ctx *e, const struct imap_search_key *k)
{
	const struct imap_search_msg *m = e->m;
	int r;

	switch (k->type) {
	case IMAP_SK_ALL:
		return 1;
	case IMAP_SK_AND:
		return eval_and(e, k);
	case IMAP_SK_OR:
		return eval_or(e, k);
	case IMAP_SK_NOT:
		r = eval_key(e, k->children);
		return r < 0 ? -1 : !r;
	case IMAP_SK_SEQSET:
		return imap_seqset_contains(k->ranges, k->nranges, m->seq);
	case IMAP_SK_UID:
		return imap_seqset_contains(k->ranges, k->nranges, m->uid);
	case IMAP_SK_FLAG:
		return ((m->flags & k->flag) != 0) == k->is_set;
	case IMAP_SK_KEYWORD:
		return has_keyword(m, k->str) == (int)k->is_set;
	case IMAP_SK_DATE:
		return eval_date(e, k);
	case IMAP_SK_SIZE:
		return k->op == IMAP_SK_OP_BEFORE ? m->size < k->number :
			m->size > k->number;
	case IMAP_SK_MODSEQ:
		return m->modseq >= k->number;
	case IMAP_SK_HEADER: case IMAP_SK_BODY: case IMAP_SK_TEXT:
		return eval_content(e, k);
	}
	return 0;
}

int
imap_search_eval(const struct imap_search *s, const struct imap_search_msg *m,
		 imap_search_content_fn *content, void *ctx)
{
	struct eval_ctx e = { .m = m, .content = content, .ctx = ctx };

	return s->root == NULL ? 1 : eval_key(&e, s->root);
}

/* ---- substring ---- */

static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

int
imap_search_substr(const char *hay, size_t hlen, const char *needle,
		   size_t nlen)
{
	const unsigned char *h = (const unsigned char *)hay;
	const unsigned char *n = (const unsigned char *)needle;
	size_t i, j;

	if (nlen == 0)
		return 1;
	for (i = 0; nlen <= hlen && i <= hlen - nlen; i++) {
		if (fold(h[i]) != fold(n[0]))
			continue;
		for (j = 1; j < nlen && fold(h[i + j]) == fold(n[j]); j++)
			;
		if (j == nlen)
			return 1;
	}
	return 0;
}
