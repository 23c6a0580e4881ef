/* The sync plan: pure decisions, no I/O (see plan.h for the rules). */
#include "sync/plan.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strx.h"
#include "lib/xalloc.h"

/* ---- small helpers ---------------------------------------------------- */

struct id_index {
	const char *id;
	size_t idx;
};

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct id_index *)a)->id,
		      ((const struct id_index *)b)->id);
}

static struct id_index *
index_remote(const struct drv_msg *m, size_t n)
{
	struct id_index *ix = xcalloc(n, sizeof(*ix));

	for (size_t i = 0; i < n; i++)
		ix[i] = (struct id_index){ m[i].id, i };
	qsort(ix, n, sizeof(*ix), id_cmp);
	return ix;
}

static struct id_index *
index_rows(const struct sync_row *r, size_t n)
{
	struct id_index *ix = xcalloc(n, sizeof(*ix));

	for (size_t i = 0; i < n; i++)
		ix[i] = (struct id_index){ r[i].remote_id, i };
	qsort(ix, n, sizeof(*ix), id_cmp);
	return ix;
}

/* Index of id in ix, or (size_t)-1. */
static size_t
lookup_id(const struct id_index *ix, size_t n, const char *id)
{
	struct id_index key = { id, 0 };
	const struct id_index *hit = n == 0 ? NULL :
		bsearch(&key, ix, n, sizeof(*ix), id_cmp);

	return hit != NULL ? hit->idx : (size_t)-1;
}

static const struct sync_local *
lookup_local(const struct plan_input *in, uint32_t uid)
{
	size_t lo = 0, hi = in->nlocal;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (in->local[mid].uid == uid)
			return &in->local[mid];
		if (in->local[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

#define PUSH(arr, n, v) do { \
	(arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))); \
	(arr)[(n)++] = (v); \
} while (0)

/* ---- keywords as sets --------------------------------------------------- */

static int
str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
keywords_normalise(const char *kw)
{
	size_t n = 0;
	char **words = str_split_ws(kw != NULL ? kw : "", &n);
	struct buf out;

	buf_init(&out, (size_t)1 << 20);
	qsort(words, n, sizeof(*words), str_ptr_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(words[i], words[i - 1]) == 0)
			continue;
		if (out.len > 0)
			buf_append_c(&out, ' ');
		buf_append_str(&out, words[i]);
	}
	str_array_free(&words);
	return buf_steal(&out);
}

static int
kw_has(const char *set, const char *word)
{
	size_t n = 0;
	char **words = str_split_ws(set, &n);
	int found = 0;

	for (size_t i = 0; i < n && !found; i++)
		found = strcmp(words[i], word) == 0;
	str_array_free(&words);
	return found;
}

/* Words of a that are not in b. */
static char *
kw_minus(const char *a, const char *b)
{
	size_t n = 0;
	char **words = str_split_ws(a, &n);
	struct buf out;

	buf_init(&out, (size_t)1 << 20);
	for (size_t i = 0; i < n; i++) {
		if (kw_has(b, words[i]))
			continue;
		if (out.len > 0)
			buf_append_c(&out, ' ');
		buf_append_str(&out, words[i]);
	}
	str_array_free(&words);
	return buf_steal(&out);
}

/* ---- identity changes -------------------------------------------------- */

int
plan_looks_like_reset(const struct sync_row *rows, size_t nrows,
		      const struct drv_msg *remote, size_t nremote)
{
	struct id_index *ix;
	size_t missing = 0, live = 0;

	if (nrows < 10 || nremote == 0)
		return 0;
	ix = index_remote(remote, nremote);
	for (size_t i = 0; i < nrows; i++) {
		if (rows[i].pending_delete)
			continue;
		live++;
		if (lookup_id(ix, nremote, rows[i].remote_id) == (size_t)-1)
			missing++;
	}
	free(ix);
	/* Most known ids gone while the server still holds as many messages:
	 * the ids changed, the mail did not. */
	return live >= 10 && missing * 2 > live && nremote * 2 >= live;
}

static int
same_message(const struct sync_row *r, const struct drv_msg *m)
{
	return r->message_id != NULL && m->message_id != NULL &&
	       strcmp(r->message_id, m->message_id) == 0 && r->size == m->size;
}

/* Index of the only element matching, or -1 when none or several. */
static size_t
unique_remote_match(const struct plan_input *in, const struct sync_row *r)
{
	size_t hit = (size_t)-1;

	for (size_t j = 0; j < in->nremote; j++) {
		if (!same_message(r, &in->remote[j]))
			continue;
		if (hit != (size_t)-1)
			return (size_t)-1;
		hit = j;
	}
	return hit;
}

static size_t
unique_row_match(const struct plan_input *in, const struct drv_msg *m)
{
	size_t hit = (size_t)-1;

	for (size_t i = 0; i < in->nrows; i++) {
		if (!same_message(&in->rows[i], m))
			continue;
		if (hit != (size_t)-1)
			return (size_t)-1;
		hit = i;
	}
	return hit;
}

static void
plan_remote_identity_change(const struct plan_input *in, struct plan *p)
{
	char *remote_used = xcalloc(in->nremote + 1, 1);

	for (size_t i = 0; i < in->nrows; i++) {
		size_t j = unique_remote_match(in, &in->rows[i]);

		if (j != (size_t)-1 && unique_row_match(in, &in->remote[j]) == i &&
		    !remote_used[j]) {
			struct plan_remap rm = { i, j };

			remote_used[j] = 1;
			PUSH(p->remap, p->nremap, rm);
		} else {
			PUSH(p->drop_rows, p->ndrop_rows, i);
		}
	}
	for (size_t j = 0; j < in->nremote; j++) {
		if (!remote_used[j])
			PUSH(p->fetch, p->nfetch, j);
	}
	free(remote_used);
}

static const struct sync_local *
unique_local_by_fingerprint(const struct plan_input *in, const char *fp)
{
	const struct sync_local *hit = NULL;

	for (size_t i = 0; i < in->nlocal; i++) {
		if (in->local[i].fingerprint == NULL ||
		    strcmp(in->local[i].fingerprint, fp) != 0)
			continue;
		if (hit != NULL)
			return NULL;
		hit = &in->local[i];
	}
	return hit;
}

/* The local folder was recreated (store rebuilt): re-find each row's
 * message by fingerprint; what is not found is fetched again. */
static void
plan_local_identity_change(const struct plan_input *in, struct plan *p)
{
	struct id_index *rows_ix = index_rows(in->rows, in->nrows);

	for (size_t i = 0; i < in->nrows; i++) {
		const struct sync_local *l =
			unique_local_by_fingerprint(in, in->rows[i].fingerprint);

		if (l != NULL) {
			struct plan_local_remap rm = { i, l->uid };

			PUSH(p->local_remap, p->nlocal_remap, rm);
		} else {
			PUSH(p->drop_rows, p->ndrop_rows, i);
		}
	}
	for (size_t j = 0; j < in->nremote; j++) {
		size_t r = lookup_id(rows_ix, in->nrows, in->remote[j].id);

		if (r == (size_t)-1 || unique_local_by_fingerprint(
			    in, in->rows[r].fingerprint) == NULL)
			PUSH(p->fetch, p->nfetch, j);
	}
	free(rows_ix);
}

/* ---- flags ---------------------------------------------------------------- */

/* Three-way merge; the local side wins a direct conflict. */
static unsigned int
merge_flags(unsigned int agreed, unsigned int local, unsigned int remote)
{
	unsigned int ladd = local & ~agreed, ldel = agreed & ~local;
	unsigned int radd = remote & ~agreed, rdel = agreed & ~remote;

	return (agreed | ladd | (radd & ~ldel)) & ~(ldel | (rdel & ~ladd));
}

static char *
merge_keywords(const char *agreed, const char *local, const char *remote)
{
	if (strcmp(local, agreed) != 0)
		return xstrdup(local);
	return xstrdup(remote);
}

static struct plan_flag_change
flag_change(size_t row, size_t remote, unsigned int from, unsigned int to,
	    const char *kw_from, const char *kw_to)
{
	struct plan_flag_change c = {
		.row = row, .remote = remote,
		.add = to & ~from, .del = from & ~to,
		.keywords = xstrdup(kw_to),
		.add_kw = kw_minus(kw_to, kw_from),
		.del_kw = kw_minus(kw_from, kw_to),
		.agreed = to,
	};

	return c;
}

static void
plan_flags(const struct plan_input *in, struct plan *p, size_t i, size_t j,
	   const struct sync_local *l)
{
	const struct sync_row *r = &in->rows[i];
	const struct drv_msg *m = &in->remote[j];
	char *lkw = keywords_normalise(l->keywords);
	char *rkw = keywords_normalise(m->keywords);
	unsigned int t = merge_flags(r->flags, l->flags, m->flags);
	char *tkw = merge_keywords(r->keywords, lkw, rkw);
	int push = t != m->flags || strcmp(tkw, rkw) != 0;
	struct plan_flag_change c;

	if (push) {
		c = flag_change(i, j, m->flags, t, rkw, tkw);
		c.agree = 1;
		PUSH(p->push, p->npush, c);
	}
	/* A pull entry also records a new agreement when nothing moves. */
	if (t != l->flags || strcmp(tkw, lkw) != 0 || t != r->flags ||
	    strcmp(tkw, r->keywords) != 0) {
		c = flag_change(i, j, l->flags, t, lkw, tkw);
		c.agree = !push;
		PUSH(p->pull, p->npull, c);
	}
	free(lkw);
	free(rkw);
	free(tkw);
}

/* ---- the normal case ------------------------------------------------------ */

struct candidates {
	size_t *local_del_rows;	/* forward deletions (guarded) */
	size_t nlocal_del;
	size_t *remote_del_rows; /* reverse deletions (guarded) */
	size_t *remote_del_idx;
	size_t nremote_del;
};

static int
mode_forward(enum account_mode m)
{
	return m == ACCOUNT_MODE_FORWARD || m == ACCOUNT_MODE_BOTH;
}

static int
mode_reverse(enum account_mode m)
{
	return m == ACCOUNT_MODE_REVERSE || m == ACCOUNT_MODE_BOTH;
}

static void
remote_delete(struct plan *p, size_t row, size_t idx)
{
	PUSH(p->remote_delete, p->nremote_delete, row);
	p->remote_delete_idx = xrealloc(p->remote_delete_idx,
					p->nremote_delete * sizeof(size_t));
	p->remote_delete_idx[p->nremote_delete - 1] = idx;
}

static void
plan_row_remote_gone(const struct plan_input *in, struct plan *p,
		     struct candidates *c, size_t i,
		     const struct sync_local *l)
{
	if (l != NULL && !in->rows[i].pending_delete &&
	    mode_forward(in->mode))
		PUSH(c->local_del_rows, c->nlocal_del, i);
	else
		PUSH(p->drop_rows, p->ndrop_rows, i);
}

static void
plan_row_local_gone(const struct plan_input *in, struct plan *p,
		    struct candidates *c, size_t i, size_t j)
{
	if (in->rows[i].lost) {
		PUSH(p->drop_rows, p->ndrop_rows, i);
		PUSH(p->fetch, p->nfetch, j);
	} else if (mode_reverse(in->mode)) {
		PUSH(c->remote_del_rows, c->nremote_del, i);
		c->remote_del_idx = xrealloc(c->remote_del_idx,
					     c->nremote_del * sizeof(size_t));
		c->remote_del_idx[c->nremote_del - 1] = j;
	} else if (in->mode == ACCOUNT_MODE_MOVE) {
		remote_delete(p, i, j);
	} else if (in->rows[i].local_uid != 0) {
		PUSH(p->tombstone, p->ntombstone, i);
	}
}

static void
plan_row(const struct plan_input *in, struct plan *p, struct candidates *c,
	 const struct id_index *remote_ix, size_t i)
{
	const struct sync_row *r = &in->rows[i];
	size_t j = lookup_id(remote_ix, in->nremote, r->remote_id);
	const struct sync_local *l = r->local_uid != 0 ?
		lookup_local(in, r->local_uid) : NULL;

	if (j == (size_t)-1)
		plan_row_remote_gone(in, p, c, i, l);
	else if (r->pending_delete)
		remote_delete(p, i, j);	/* retried until it is gone */
	else if (l == NULL)
		plan_row_local_gone(in, p, c, i, j);
	else if (in->mode == ACCOUNT_MODE_MOVE)
		remote_delete(p, i, j);
	else if (in->flags_both_ways && in->mode == ACCOUNT_MODE_BOTH)
		plan_flags(in, p, i, j, l);
}

static int
guard_trips(const struct plan_input *in, size_t deletions, size_t total)
{
	if (in->allow_mass_delete || total < GUARD_MIN_MESSAGES)
		return 0;
	return deletions * 100 > (size_t)in->max_delete_percent * total;
}

static void
apply_guard(const struct plan_input *in, struct plan *p, struct candidates *c)
{
	if (guard_trips(in, c->nlocal_del, in->nlocal)) {
		p->local_guard_tripped = 1;
		p->held_local = c->nlocal_del;
	} else {
		for (size_t k = 0; k < c->nlocal_del; k++) {
			size_t i = c->local_del_rows[k];

			PUSH(p->local_expunge, p->nlocal_expunge,
			     in->rows[i].local_uid);
			PUSH(p->drop_rows, p->ndrop_rows, i);
		}
	}
	if (guard_trips(in, c->nremote_del, in->nremote)) {
		p->remote_guard_tripped = 1;
		p->held_remote = c->nremote_del;
	} else {
		for (size_t k = 0; k < c->nremote_del; k++)
			remote_delete(p, c->remote_del_rows[k],
				      c->remote_del_idx[k]);
	}
}

static void
plan_normal(const struct plan_input *in, struct plan *p)
{
	struct id_index *remote_ix = index_remote(in->remote, in->nremote);
	struct id_index *rows_ix = index_rows(in->rows, in->nrows);
	struct candidates c;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < in->nrows; i++)
		plan_row(in, p, &c, remote_ix, i);
	for (size_t j = 0; j < in->nremote; j++) {
		if (lookup_id(rows_ix, in->nrows, in->remote[j].id) ==
		    (size_t)-1)
			PUSH(p->fetch, p->nfetch, j);
	}
	apply_guard(in, p, &c);
	free(c.local_del_rows);
	free(c.remote_del_rows);
	free(c.remote_del_idx);
	free(remote_ix);
	free(rows_ix);
}

void
plan_make(const struct plan_input *in, struct plan *p)
{
	memset(p, 0, sizeof(*p));
	if (in->identity_changed)
		plan_remote_identity_change(in, p);
	else if (in->local_identity_changed)
		plan_local_identity_change(in, p);
	else
		plan_normal(in, p);
}

static void
free_changes(struct plan_flag_change *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].keywords);
		free(c[i].add_kw);
		free(c[i].del_kw);
	}
	free(c);
}

void
plan_free(struct plan *p)
{
	free(p->fetch);
	free(p->local_expunge);
	free(p->remote_delete);
	free(p->remote_delete_idx);
	free(p->drop_rows);
	free(p->tombstone);
	free(p->remap);
	free(p->local_remap);
	free_changes(p->push, p->npush);
	free_changes(p->pull, p->npull);
	memset(p, 0, sizeof(*p));
}
