/* Carrying out a folder's plan on the far side: pipelined fetches stored
 * in batches that commit with their state rows, flag pushes, and remote
 * deletes that are recorded as pending before they are sent. */
#include "sync/engine-private.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"

/* ---- the remote listing copy ---------------------------------------- */

#define LISTING_CHUNK (64 * 1024)

/* Copies s into the listing's chunks: a 100,000-message listing holds
 * three strings per message, and a malloc each would cost more than the
 * strings themselves. */
static const char *
keep(struct listing *l, const char *s)
{
	size_t len;
	char *dst;

	if (s == NULL)
		return NULL;
	if (*s == '\0')
		return "";
	len = strlen(s) + 1;
	if (len > LISTING_CHUNK / 4) {		/* rare: a chunk of its own */
		l->chunks = xrealloc(l->chunks, (l->nchunks + 1) *
				     sizeof(*l->chunks));
		dst = l->chunks[l->nchunks++] = xmalloc(len);
		memcpy(dst, s, len);
		l->chunk_used = LISTING_CHUNK;	/* next string: new chunk */
		return dst;
	}
	if (l->nchunks == 0 || l->chunk_used + len > LISTING_CHUNK) {
		l->chunks = xrealloc(l->chunks, (l->nchunks + 1) *
				     sizeof(*l->chunks));
		l->chunks[l->nchunks++] = xmalloc(LISTING_CHUNK);
		l->chunk_used = 0;
	}
	dst = l->chunks[l->nchunks - 1] + l->chunk_used;
	memcpy(dst, s, len);
	l->chunk_used += len;
	return dst;
}

void
listing_add(struct listing *l, const struct drv_msg *m)
{
	struct drv_msg *c;

	if (l->count == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->msgs = xrealloc(l->msgs, l->cap * sizeof(*l->msgs));
	}
	c = &l->msgs[l->count++];
	*c = *m;
	c->id = keep(l, m->id);
	c->keywords = keep(l, m->keywords);
	c->message_id = keep(l, m->message_id);
}

void
listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->nchunks; i++)
		free(l->chunks[i]);
	free(l->chunks);
	free(l->msgs);
	memset(l, 0, sizeof(*l));
}

/* ---- fetching ----------------------------------------------------------- */

struct fetch_slot {
	struct sync_job *job;
	const struct drv_msg *msg;
	struct store_draft *draft;
	int store_rc;		/* first store error while writing */
};

static void fetch_more(struct sync_job *j);

static int
insert_rows(const uint32_t *uids, size_t n, void *ctx)
{
	struct sync_job *j = ctx;
	size_t next = 0;

	for (size_t i = 0; i < j->npend; i++) {
		struct pending *p = &j->pend[i];

		if (p->draft != NULL) {
			if (next >= n)
				return -1;
			p->row.local_uid = uids[next++];
			job_touched(j, p->row.local_uid);
		}
		if (state_row_insert(j->db, j->link.id, &p->row) < 0)
			return -1;
	}
	return 0;
}

static int
insert_linked_rows(void *ctx)
{
	return insert_rows(NULL, 0, ctx);
}

static void
pending_clear(struct sync_job *j, int committed)
{
	for (size_t i = 0; i < j->npend; i++) {
		struct sync_row *r = &j->pend[i].row;

		if (committed) {
			j->committed_ids = xrealloc(j->committed_ids,
				(j->ncommitted + 1) * sizeof(char *));
			j->committed_ids[j->ncommitted++] = r->remote_id;
		} else {
			free(r->remote_id);
		}
		free(r->message_id);
		free(r->keywords);
	}
	free(j->pend);
	j->pend = NULL;
	j->npend = 0;
	j->batch_bytes = 0;
}

/* Commits the open batch and its rows. -1 after a failure (reported). */
static int
commit_batch(struct sync_job *j)
{
	size_t stored = j->batch != NULL ? store_batch_count(j->batch) : 0;
	int rc;

	if (j->npend == 0) {
		store_batch_abort(&j->batch);
		return 0;
	}
	if (stored > 0)
		rc = store_batch_commit_hook(&j->batch, NULL, insert_rows, j) ==
			STORE_OK ? 0 : -1;
	else
		rc = db_transaction(j->db, insert_linked_rows, j);
	store_batch_abort(&j->batch);
	if (rc < 0) {
		job_fail(j, DRV_ACCOUNT_BAD, "storing messages in %s: %s",
			 j->link.remote_folder, store_error(j->st));
		pending_clear(j, 0);
		return -1;
	}
	j->rep.fetched += (unsigned)stored;
	j->rep.linked += (unsigned)(j->npend - stored);
	pending_clear(j, 1);
	return 0;
}

static int
linked_here(const struct sync_job *j, uint32_t uid)
{
	for (size_t i = 0; i < j->nrows; i++) {
		if (j->rows[i].local_uid == uid)
			return 1;
	}
	for (size_t i = 0; i < j->npend; i++) {
		if (j->pend[i].row.local_uid == uid)
			return 1;
	}
	return 0;
}

/* The message is already in the folder (through another account, or
 * from before an identity change or a crash of this one): link to a copy
 * this link does not map yet instead of storing it twice. Same content
 * and same Message-ID make the same message; a copy this link already
 * maps is a second message, and is stored. 0 when there is none. */
#define COPIES_MAX 64

static uint32_t
duplicate_of(struct sync_job *j, const struct store_draft_info *info)
{
	uint32_t uids[COPIES_MAX];
	size_t n = 0;

	if (store_msg_find_copies(j->st, j->local_folder.id, info->fingerprint,
				  info->message_id, uids, COPIES_MAX, &n) !=
	    STORE_OK)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!linked_here(j, uids[i]))
			return uids[i];
	}
	return 0;
}

static void
add_pending(struct sync_job *j, struct fetch_slot *s)
{
	struct store_draft_info info;
	struct pending *p;
	uint32_t dup;

	store_draft_info(s->draft, &info);
	j->pend = xrealloc(j->pend, (j->npend + 1) * sizeof(*j->pend));
	p = &j->pend[j->npend++];
	memset(p, 0, sizeof(*p));
	p->row.remote_id = xstrdup(s->msg->id);
	p->row.size = s->msg->size;
	p->row.message_id = info.message_id ? xstrdup(info.message_id) : NULL;
	memcpy(p->row.fingerprint, info.fingerprint, 64);
	p->row.flags = s->msg->flags;
	p->row.keywords = keywords_normalise(s->msg->keywords);
	dup = duplicate_of(j, &info);
	if (dup != 0) {
		p->row.local_uid = dup;
		store_draft_drop(&s->draft);
	} else {
		p->draft = s->draft;
		j->batch_bytes += info.psize;
	}
}

static int
on_fetch_data(const void *data, size_t len, void *ctx)
{
	struct fetch_slot *s = ctx;

	if (s->store_rc == STORE_OK)
		s->store_rc = store_draft_write(s->draft, data, len);
	return s->store_rc == STORE_OK ? 0 : -1;
}

static void
fetch_failed(struct sync_job *j, struct fetch_slot *s, enum drv_status st)
{
	if (s->store_rc == STORE_TEMPFAIL)
		job_fail(j, DRV_ACCOUNT_BAD, "storing message %s: %s",
			 s->msg->id, store_error(j->st));
	else if (s->store_rc != STORE_OK)
		job_fail(j, DRV_BOX_BAD, "message %s of %s cannot be stored: %s",
			 s->msg->id, j->link.remote_folder, store_error(j->st));
	else
		job_fail(j, st == DRV_ACCOUNT_BAD ? st : DRV_BOX_BAD,
			 "fetching message %s of %s: %s", s->msg->id,
			 j->link.remote_folder, job_far_error(j));
	j->folder_failed = 1;
	store_draft_drop(&s->draft);
}

static void
on_fetched(enum drv_status st, void *ctx)
{
	struct fetch_slot *s = ctx;
	struct sync_job *j = s->job;

	j->inflight--;
	j->fetches_done++;
	if (st == DRV_OK && s->store_rc == STORE_OK)
		s->store_rc = store_draft_finish(s->draft);
	if (st != DRV_OK || s->store_rc != STORE_OK)
		fetch_failed(j, s, st);
	else
		add_pending(j, s);
	free(s);
	fetch_more(j);
}

static int
start_fetch(struct sync_job *j)
{
	struct fetch_slot *s = xcalloc(1, sizeof(*s));
	const struct drv_msg *m = &j->remote.msgs[j->plan.fetch[j->next_fetch]];
	int rc = STORE_OK;

	if (j->batch == NULL)
		rc = store_batch_begin(j->st, j->acct.user,
				       j->local_folder.name, &j->batch);
	if (rc == STORE_OK)
		rc = store_draft_begin(j->batch, m->internal_date,
				       m->flags & ~(unsigned)STORE_F_DELETED,
				       m->keywords, &s->draft);
	if (rc != STORE_OK) {
		free(s);
		job_fail(j, DRV_ACCOUNT_BAD, "storing into %s: %s",
			 j->local_folder.name, store_error(j->st));
		return -1;
	}
	s->job = j;
	s->msg = m;
	j->next_fetch++;
	j->inflight++;
	j->far->drv->fetch(j->far, m, on_fetch_data, on_fetched, s);
	return 0;
}

static int
stopping(const struct sync_job *j)
{
	return j->cancelled || j->rep.status == DRV_ACCOUNT_BAD;
}

/* A batch commits only when no fetch is writing into it: when it is full,
 * no new fetch starts until those in flight are done. */
static int
batch_full(const struct sync_job *j)
{
	return j->npend >= j->opt.batch_messages ||
	       j->batch_bytes >= j->opt.batch_bytes;
}

static void
fetch_more(struct sync_job *j)
{
	while (!stopping(j) && !batch_full(j) &&
	       j->next_fetch < j->plan.nfetch &&
	       j->inflight < j->opt.fetch_window) {
		if (start_fetch(j) < 0)
			break;
	}
	if (j->inflight > 0)
		return;
	/* Whatever arrived complete is kept, even when stopping. */
	if (commit_batch(j) < 0 || stopping(j)) {
		job_folder_done(j);
		return;
	}
	if (j->next_fetch < j->plan.nfetch)
		fetch_more(j);
	else
		apply_pushes(j);
}

void
apply_fetches(struct sync_job *j)
{
	if (j->plan.nfetch == 0) {
		apply_pushes(j);
		return;
	}
	fetch_more(j);
}

/* ---- flags to the far side ------------------------------------------------- */

struct push_ctx {
	struct sync_job *job;
	const struct plan_flag_change *change;
};

static void
on_pushed(enum drv_status st, void *ctx)
{
	struct push_ctx *pc = ctx;
	struct sync_job *j = pc->job;
	const struct plan_flag_change *c = pc->change;

	free(pc);
	if (st == DRV_OK) {
		if (state_row_set_flags(j->db, j->link.id,
					j->rows[c->row].remote_id, c->agreed,
					c->keywords) < 0)
			job_fail(j, DRV_BOX_BAD, "saving flags: %s",
				 db_error(j->db));
		j->rep.flagged_there++;
	} else {
		job_fail(j, st == DRV_ACCOUNT_BAD ? st : DRV_BOX_BAD,
			 "setting flags in %s: %s", j->link.remote_folder,
			 job_far_error(j));
		j->folder_failed = 1;
	}
	if (--j->pushes_left == 0)
		apply_remote_deletes(j);
}

void
apply_pushes(struct sync_job *j)
{
	const struct plan *p = &j->plan;

	if (p->npush == 0 || !(j->caps & DRV_CAP_FLAGS) || stopping(j)) {
		apply_remote_deletes(j);
		return;
	}
	j->pushes_left = p->npush;
	for (size_t k = 0; k < p->npush; k++) {
		const struct plan_flag_change *c = &p->push[k];
		struct push_ctx *pc = xcalloc(1, sizeof(*pc));

		pc->job = j;
		pc->change = c;
		j->far->drv->set_flags(j->far, &j->remote.msgs[c->remote],
				       c->add, c->del, c->add_kw, c->del_kw,
				       on_pushed, pc);
	}
}

/* ---- deletes on the far side -------------------------------------------------- */

static const struct drv_msg *
remote_by_id(const struct sync_job *j, const char *id)
{
	for (size_t i = 0; i < j->remote.count; i++) {
		if (strcmp(j->remote.msgs[i].id, id) == 0)
			return &j->remote.msgs[i];
	}
	return NULL;
}

static void
collect_deletes(struct sync_job *j)
{
	const struct plan *p = &j->plan;
	size_t cap = p->nremote_delete + j->ncommitted + 1;

	j->del = xcalloc(cap, sizeof(*j->del));
	for (size_t k = 0; k < p->nremote_delete; k++)
		j->del[j->ndel++] = &j->remote.msgs[p->remote_delete_idx[k]];
	/* move: what this run stored is now durable here */
	for (size_t k = 0; j->acct.mode == ACCOUNT_MODE_MOVE &&
	     k < j->ncommitted; k++) {
		const struct drv_msg *m = remote_by_id(j, j->committed_ids[k]);

		if (m != NULL)
			j->del[j->ndel++] = m;
	}
}

static int
mark_pending(void *ctx)
{
	struct sync_job *j = ctx;
	int rc = 0;

	for (size_t k = 0; rc == 0 && k < j->ndel; k++)
		rc = state_row_set_pending(j->db, j->link.id, j->del[k]->id);
	return rc;
}

static int
drop_deleted(void *ctx)
{
	struct sync_job *j = ctx;
	int rc = 0;

	for (size_t k = 0; rc == 0 && k < j->ndel; k++)
		rc = state_row_delete(j->db, j->link.id, j->del[k]->id);
	return rc;
}

static int
rows_mark(struct sync_job *j, int pending)
{
	return db_transaction(j->db, pending ? mark_pending : drop_deleted, j);
}

static void
remember_for_close(struct sync_job *j)
{
	size_t n = j->nclose + j->ndel;

	j->close_links = xrealloc(j->close_links, n * sizeof(int64_t));
	j->close_ids = xrealloc(j->close_ids, n * sizeof(char *));
	for (size_t k = 0; k < j->ndel; k++) {
		j->close_links[j->nclose] = j->link.id;
		j->close_ids[j->nclose++] = xstrdup(j->del[k]->id);
	}
}

static void
on_deleted(enum drv_status st, void *ctx)
{
	struct sync_job *j = ctx;

	if (st != DRV_OK) {
		job_fail(j, st == DRV_ACCOUNT_BAD ? st : DRV_BOX_BAD,
			 "deleting in %s: %s (kept pending, retried next "
			 "sync)", j->link.remote_folder, job_far_error(j));
		j->folder_failed = 1;
	} else if (j->caps & DRV_CAP_DELETE_AT_CLOSE) {
		remember_for_close(j);
	} else if (rows_mark(j, 0) < 0) {
		job_fail(j, DRV_BOX_BAD, "saving deletes: %s",
			 db_error(j->db));
	} else {
		j->rep.deleted_there += (unsigned)j->ndel;
	}
	j->complete = st == DRV_OK;
	job_folder_done(j);
}

void
apply_remote_deletes(struct sync_job *j)
{
	if (stopping(j)) {
		job_folder_done(j);
		return;
	}
	collect_deletes(j);
	if (j->ndel == 0) {
		j->complete = 1;
		job_folder_done(j);
		return;
	}
	/* Pending first: a crash after the command went out must not lose
	 * the fact that it was asked for. */
	if (rows_mark(j, 1) < 0) {
		job_fail(j, DRV_BOX_BAD, "marking deletes: %s",
			 db_error(j->db));
		job_folder_done(j);
		return;
	}
	j->far->drv->expunge(j->far, j->del, j->ndel, on_deleted, j);
}

static int
drop_confirmed(void *ctx)
{
	struct sync_job *j = ctx;
	int rc = 0;

	for (size_t k = 0; rc == 0 && k < j->nclose; k++)
		rc = state_row_delete(j->db, j->close_links[k],
				      j->close_ids[k]);
	return rc;
}

void
apply_close_confirmed(struct sync_job *j)
{
	if (j->nclose == 0)
		return;
	if (db_transaction(j->db, drop_confirmed, j) < 0) {
		job_fail(j, DRV_BOX_BAD, "saving deletes: %s", db_error(j->db));
		return;
	}
	j->rep.deleted_there += (unsigned)j->nclose;
}
