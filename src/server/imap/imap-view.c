/* The session's sequence number <-> UID map and its pending changes. */

#include "server/imap/imap-view.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "store/store.h"

static void
u32_push(uint32_t **arr, uint32_t *n, uint32_t *cap, uint32_t v)
{
	if (*n == *cap) {
		*cap = *cap < 16 ? 16 : *cap * 2;
		*arr = xrealloc(*arr, (size_t)*cap * sizeof(**arr));
	}
	(*arr)[(*n)++] = v;
}

/* Index of the first element >= key in a[0..n). */
static uint32_t
u32_lower_bound(const uint32_t *a, uint32_t n, uint32_t key)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (a[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
u32_contains(const uint32_t *a, uint32_t n, uint32_t key)
{
	uint32_t i = u32_lower_bound(a, n, key);
	return i < n && a[i] == key;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

void
imap_view_init(struct imap_view *v)
{
	memset(v, 0, sizeof(*v));
}

void
imap_view_clear(struct imap_view *v)
{
	free(v->uids);
	free(v->new_uids);
	free(v->exp_uids);
	free(v->flag_uids);
	free(v->own);
	imap_view_init(v);
}

void
imap_view_load(struct imap_view *v, uint32_t uid)
{
	u32_push(&v->uids, &v->count, &v->cap, uid);
}

uint32_t
imap_view_seq(const struct imap_view *v, uint32_t uid)
{
	uint32_t i = u32_lower_bound(v->uids, v->count, uid);
	return i < v->count && v->uids[i] == uid ? i + 1 : 0;
}

uint32_t
imap_view_uid(const struct imap_view *v, uint32_t seq)
{
	return seq >= 1 && seq <= v->count ? v->uids[seq - 1] : 0;
}

uint32_t
imap_view_last_uid(const struct imap_view *v)
{
	return v->count > 0 ? v->uids[v->count - 1] : 0;
}

void
imap_view_own(struct imap_view *v, uint64_t modseq)
{
	if (v->n_own == v->cap_own) {
		v->cap_own = v->cap_own < 16 ? 16 : v->cap_own * 2;
		v->own = xrealloc(v->own, v->cap_own * sizeof(*v->own));
	}
	v->own[v->n_own++] = modseq;
}

/* True (and forgotten) when modseq is one of our own changes. Own modseqs
 * below it can never come back: the journal is read in order. */
static bool
own_take(struct imap_view *v, uint64_t modseq)
{
	bool found = false;
	uint32_t i, keep = 0;

	for (i = 0; i < v->n_own; i++) {
		if (v->own[i] == modseq)
			found = true;
		else if (v->own[i] > modseq)
			v->own[keep++] = v->own[i];
	}
	v->n_own = keep;
	return found;
}

static void
change_append(struct imap_view *v, uint32_t uid)
{
	if (uid <= imap_view_last_uid(v))
		return;
	if (v->n_new > 0 && uid <= v->new_uids[v->n_new - 1]) {
		if (u32_contains(v->new_uids, v->n_new, uid))
			return;
		/* out of order (two writers): keep the list sorted */
		u32_push(&v->new_uids, &v->n_new, &v->cap_new, uid);
		qsort(v->new_uids, v->n_new, sizeof(uint32_t), u32_cmp);
		return;
	}
	u32_push(&v->new_uids, &v->n_new, &v->cap_new, uid);
}

static bool
drop_new(struct imap_view *v, uint32_t uid)
{
	uint32_t i = u32_lower_bound(v->new_uids, v->n_new, uid);

	if (i >= v->n_new || v->new_uids[i] != uid)
		return false;
	memmove(v->new_uids + i, v->new_uids + i + 1,
		(v->n_new - i - 1) * sizeof(uint32_t));
	v->n_new--;
	return true;
}

void
imap_view_expunged(struct imap_view *v, uint32_t uid)
{
	uint32_t i;

	if (drop_new(v, uid) || imap_view_seq(v, uid) == 0)
		return;
	for (i = 0; i < v->n_exp; i++)
		if (v->exp_uids[i] == uid)
			return;
	u32_push(&v->exp_uids, &v->n_exp, &v->cap_exp, uid);
	v->exp_sorted = false;
}

void
imap_view_change(struct imap_view *v, const struct store_change *c)
{
	if (c->modseq > v->modseq)
		v->modseq = c->modseq;
	switch (c->kind) {
	case STORE_CHANGE_APPEND:
		change_append(v, c->uid);
		break;
	case STORE_CHANGE_FLAGS:
		if (own_take(v, c->modseq))
			break;
		if (imap_view_seq(v, c->uid) != 0)
			u32_push(&v->flag_uids, &v->n_flag, &v->cap_flag,
				 c->uid);
		break;
	case STORE_CHANGE_EXPUNGE:
	case STORE_CHANGE_LOST:
		imap_view_expunged(v, c->uid);
		break;
	}
}

bool
imap_view_has_pending(const struct imap_view *v)
{
	return v->n_new > 0 || v->n_exp > 0 || v->n_flag > 0;
}

bool
imap_view_has_expunges(const struct imap_view *v)
{
	return v->n_exp > 0;
}

int
imap_view_expunge_take(struct imap_view *v, uint32_t *seq_r, uint32_t *uid_r)
{
	uint32_t seq;

	if (v->n_exp == 0)
		return 0;
	if (!v->exp_sorted) {
		qsort(v->exp_uids, v->n_exp, sizeof(uint32_t), u32_cmp);
		v->exp_sorted = true;
	}
	*uid_r = v->exp_uids[--v->n_exp];	/* the highest */
	seq = imap_view_seq(v, *uid_r);
	/* the highest is taken first, so the tail moved is short */
	memmove(v->uids + seq - 1, v->uids + seq,
		(v->count - seq) * sizeof(uint32_t));
	v->count--;
	*seq_r = seq;
	return 1;
}

uint32_t
imap_view_new_take(struct imap_view *v)
{
	uint32_t i, n = v->n_new;

	for (i = 0; i < n; i++)
		imap_view_load(v, v->new_uids[i]);
	v->n_new = 0;
	return n;
}

void
imap_view_flags_take(struct imap_view *v, uint32_t **uids_r, uint32_t *n_r)
{
	uint32_t i, k = 0, n = v->n_flag;
	uint32_t *a = v->flag_uids;

	*uids_r = NULL;
	*n_r = 0;
	if (n == 0)
		return;
	qsort(a, n, sizeof(uint32_t), u32_cmp);
	/* the pending expunges' order does not matter: sort to search */
	if (v->n_exp > 0)	/* qsort(NULL, 0) is undefined */
		qsort(v->exp_uids, v->n_exp, sizeof(uint32_t), u32_cmp);
	v->exp_sorted = true;
	for (i = 0; i < n; i++) {
		if (k > 0 && a[k - 1] == a[i])
			continue;
		if (!u32_contains(v->exp_uids, v->n_exp, a[i]) &&
		    imap_view_seq(v, a[i]) != 0)
			a[k++] = a[i];
	}
	v->flag_uids = NULL;
	v->n_flag = v->cap_flag = 0;
	if (k == 0) {
		free(a);
		return;
	}
	*uids_r = a;
	*n_r = k;
}
