/* The sync engine: the job's life (connect, folders, close) and the part
 * of each folder's sync that happens here (listing, plan, local changes).
 * apply.c carries out what touches the far side. */
#include "sync/engine-private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define DEFAULT_WINDOW 32
#define DEFAULT_BATCH 250
#define DEFAULT_BATCH_BYTES ((uint64_t)32 << 20)

static void job_next_folder(struct sync_job *j);
static void job_close(struct sync_job *j);

/* ---- errors and the end of a job ------------------------------------- */

void
job_fail(struct sync_job *j, enum drv_status st, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	slog_warn(j->opt.session, "sync %s/%s: %s", j->acct.user,
		  j->acct.name, msg);
	if (j->rep.error == NULL)
		j->rep.error = xstrdup(msg);
	if (st > j->rep.status && st != DRV_CANCELED)
		j->rep.status = st;
	if (j->rep.status == DRV_OK)
		j->rep.status = DRV_BOX_BAD;
}

const char *
job_far_error(struct sync_job *j)
{
	const char *e = j->far->drv->error(j->far);

	return e != NULL && *e != '\0' ? e : "unknown error";
}

static void
account_copy(struct account *dst, const struct account *src)
{
	memset(dst, 0, sizeof(*dst));
	*dst = *src;
	dst->user = xstrdup(src->user);
	dst->name = xstrdup(src->name);
	dst->host = src->host ? xstrdup(src->host) : NULL;
	dst->login = src->login ? xstrdup(src->login) : NULL;
	dst->folders = src->folders ? xstrdup(src->folders) : NULL;
	dst->prefix = src->prefix ? xstrdup(src->prefix) : NULL;
	dst->ca_file = src->ca_file ? xstrdup(src->ca_file) : NULL;
	dst->pin_sha256 = src->pin_sha256 ? xstrdup(src->pin_sha256) : NULL;
}

static void
save_status(struct sync_job *j)
{
	struct sync_status s;

	if (j->opt.dry_run || state_status_read(j->db, j->acct.id, &s, 0) < 0)
		return;
	s.last_attempt = time(NULL);
	free(s.last_error);
	s.last_error = j->rep.error ? xstrdup(j->rep.error) : NULL;
	if (j->rep.status == DRV_OK) {
		s.last_success = s.last_attempt;
		s.failures = 0;
	} else {
		s.failures++;
	}
	s.fetched += j->rep.fetched;
	s.deleted_here += j->rep.deleted_here;
	s.deleted_there += j->rep.deleted_there;
	s.flagged += j->rep.flagged_here + j->rep.flagged_there;
	if (state_status_save(j->db, j->acct.id, &s) < 0)
		slog_warn(j->opt.session, "sync: cannot save status: %s",
			  db_error(j->db));
	state_status_clear(&s);
}

static void folder_clear(struct sync_job *j);

static void
job_free(struct sync_job *j)
{
	folder_clear(j);
	store_batch_abort(&j->batch);
	for (size_t i = 0; i < j->nfolders; i++) {
		free(j->folders[i].remote);
		free(j->folders[i].special_use);
	}
	free(j->folders);
	for (size_t i = 0; i < j->nclose; i++)
		free(j->close_ids[i]);
	free(j->close_ids);
	free(j->close_links);
	free(j->rep.error);
	if (j->far != NULL)
		j->far->drv->destroy(&j->far);
	account_clear(&j->acct);
	free(j);
}

static void
job_finish(struct sync_job *j)
{
	if (j->finished)
		return;
	j->finished = 1;
	save_status(j);
	j->cb(&j->rep, j->ctx);
	job_free(j);
}

/* ---- folder mapping ------------------------------------------------------ */

static const char *
special_use_local(const char *special_use)
{
	static const char *const map[][2] = {
		{ "\\Sent", "Sent" }, { "\\Drafts", "Drafts" },
		{ "\\Trash", "Trash" }, { "\\Junk", "Junk" },
		{ "\\Archive", "Archive" },
	};

	for (size_t i = 0; special_use != NULL && i < 5; i++) {
		if (strcasecmp(map[i][0], special_use) == 0)
			return map[i][1];
	}
	return NULL;
}

char *
sync_local_name(const struct account *acct, const char *remote,
		const char *special_use)
{
	const char *prefix = acct->prefix != NULL ? acct->prefix : "";
	const char *su = special_use_local(special_use);

	if (acct->proto == ACCOUNT_POP3)
		return xstrdup(acct->folders != NULL && *acct->folders ?
			       acct->folders : "INBOX");
	if (*prefix == '\0' && su != NULL)
		return xstrdup(su);
	if (*prefix == '\0' && strcasecmp(remote, "INBOX") == 0)
		return xstrdup("INBOX");
	return xasprintf("%s%s", prefix, remote);
}

/* Creates the folder and its missing parents. */
static int
ensure_local_folder(struct sync_job *j, const char *name)
{
	char *path = xstrdup(name);
	int rc = STORE_OK;

	for (char *p = path; rc == STORE_OK; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		rc = store_folder_create(j->st, j->acct.user, path, NULL);
		if (rc == STORE_EXISTS)
			rc = STORE_OK;
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(path);
	return rc;
}

/* ---- connect and list folders -------------------------------------------- */

static int
folder_wanted(const struct sync_job *j, const char *name)
{
	char *list, *p, *nl;
	int found = 0;

	if (j->acct.folders == NULL || *j->acct.folders == '\0')
		return 1;
	list = xstrdup(j->acct.folders);
	for (p = list; p != NULL && !found; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		found = strcmp(p, name) == 0;
	}
	free(list);
	return found;
}

static void
on_folders(enum drv_status st, const struct drv_folder *f, size_t n,
	   void *ctx)
{
	struct sync_job *j = ctx;

	if (st != DRV_OK) {
		job_fail(j, DRV_ACCOUNT_BAD, "listing folders: %s",
			 job_far_error(j));
		job_close(j);
		return;
	}
	j->folders = xcalloc(n + 1, sizeof(*j->folders));
	for (size_t i = 0; i < n; i++) {
		if (!f[i].selectable || (j->acct.proto == ACCOUNT_IMAP &&
					 !folder_wanted(j, f[i].name)))
			continue;
		j->folders[j->nfolders].remote = xstrdup(f[i].name);
		j->folders[j->nfolders++].special_use =
			f[i].special_use ? xstrdup(f[i].special_use) : NULL;
	}
	job_next_folder(j);
}

static void
on_connect(enum drv_status st, void *ctx)
{
	struct sync_job *j = ctx;

	if (st != DRV_OK) {
		job_fail(j, DRV_ACCOUNT_BAD, "%s", job_far_error(j));
		job_finish(j);
		return;
	}
	j->caps = j->far->drv->caps(j->far);
	j->far->drv->list_folders(j->far, on_folders, j);
}

struct sync_job *
sync_start(struct loop *loop, struct db *db, struct store *st,
	   const struct account *acct, struct mbox *far,
	   const struct sync_options *opt, sync_done_cb *cb, void *ctx)
{
	struct sync_job *j = xcalloc(1, sizeof(*j));

	j->loop = loop;
	j->db = db;
	j->st = st;
	account_copy(&j->acct, acct);
	j->far = far;
	j->opt = *opt;
	if (j->opt.max_delete_percent == 0)
		j->opt.max_delete_percent = 25;
	if (j->opt.fetch_window == 0)
		j->opt.fetch_window = DEFAULT_WINDOW;
	if (j->opt.batch_messages == 0)
		j->opt.batch_messages = DEFAULT_BATCH;
	if (j->opt.batch_bytes == 0)
		j->opt.batch_bytes = DEFAULT_BATCH_BYTES;
	j->cb = cb;
	j->ctx = ctx;
	far->drv->connect(far, on_connect, j);
	return j;
}

void
sync_cancel(struct sync_job *j)
{
	j->cancelled = 1;
	job_fail(j, DRV_CANCELED, "cancelled");
}

/* ---- one folder: open, list ----------------------------------------------- */

static void folder_plan(struct sync_job *j);

static void
add_unchanged_rows(struct sync_job *j, const struct drv_msg_list *l)
{
	struct listing *r = &j->remote;
	size_t changed = r->count;

	for (size_t i = 0; i < j->nrows; i++) {
		const struct sync_row *row = &j->rows[i];
		struct drv_msg m;
		int skip = 0;

		for (size_t k = 0; k < changed && !skip; k++)
			skip = strcmp(r->msgs[k].id, row->remote_id) == 0;
		for (size_t k = 0; k < l->nvanished && !skip; k++)
			skip = strtoul(row->remote_id, NULL, 10) ==
				l->vanished[k];
		if (skip)
			continue;
		memset(&m, 0, sizeof(m));
		m.id = row->remote_id;
		m.uid = (uint32_t)strtoul(row->remote_id, NULL, 10);
		m.size = row->size;
		m.flags = row->flags;
		m.keywords = row->keywords;
		m.message_id = row->message_id;
		listing_add(r, &m);
	}
}

/* The far side failed on this folder: skip the folder, or stop the
 * account when the connection itself is gone. */
static void
folder_failed(struct sync_job *j, enum drv_status st, const char *what)
{
	job_fail(j, st == DRV_ACCOUNT_BAD ? st : DRV_BOX_BAD, "%s %s: %s",
		 what, j->link.remote_folder, job_far_error(j));
	j->folder_failed = 1;
	if (st == DRV_ACCOUNT_BAD)
		job_close(j);
	else
		job_folder_done(j);
}

static void on_list(enum drv_status st, const struct drv_msg_list *l,
		    void *ctx);

/* POP3 lists without Message-IDs (they cost a TOP per message); only when
 * the UIDLs look reset are they needed, to re-map instead of fetching. */
static int
needs_message_ids(const struct sync_job *j)
{
	return j->acct.proto == ACCOUNT_POP3 && !j->listed_ids &&
	       plan_looks_like_reset(j->rows, j->nrows, j->remote.msgs,
				     j->remote.count);
}

static void
relist_with_message_ids(struct sync_job *j)
{
	struct drv_list_req req = { .want_message_id = 1 };

	j->listed_ids = 1;
	listing_free(&j->remote);
	state_rows_free(j->rows, j->nrows);
	j->rows = NULL;
	j->nrows = 0;
	j->far->drv->list_msgs(j->far, &req, on_list, j);
}

static void
on_list(enum drv_status st, const struct drv_msg_list *l, void *ctx)
{
	struct sync_job *j = ctx;

	if (st != DRV_OK) {
		folder_failed(j, st, "listing");
		return;
	}
	for (size_t i = 0; i < l->count; i++)
		listing_add(&j->remote, &l->msgs[i]);
	if (state_rows_load(j->db, j->link.id, &j->rows, &j->nrows) < 0) {
		job_fail(j, DRV_ACCOUNT_BAD, "reading sync state: %s",
			 db_error(j->db));
		job_close(j);
		return;
	}
	if (l->partial)
		add_unchanged_rows(j, l);
	if (needs_message_ids(j)) {
		relist_with_message_ids(j);
		return;
	}
	folder_plan(j);
}

/* Nothing changed here since the last complete sync, and no delete waits
 * for its confirmation. */
static int
local_unchanged(struct sync_job *j)
{
	const struct sync_link *l = &j->link;

	return (j->caps & DRV_CAP_MODSEQ) && !j->opt.dry_run &&
	       l->remote_modseq != 0 &&
	       l->local_folder_id == j->local_folder.id &&
	       l->local_uidvalidity == j->local_folder.uidvalidity &&
	       l->local_modseq == j->local_folder.highestmodseq &&
	       state_link_has_pending(j->db, l->id) == 0;
}

/* ... and nothing there either: the HIGHESTMODSEQ is where it was. */
static int
remote_unchanged(const struct sync_job *j, const struct drv_box_info *i)
{
	return i->identity == j->link.remote_identity &&
	       i->highestmodseq == j->link.remote_modseq;
}

static int
folder_unchanged(struct sync_job *j)
{
	return remote_unchanged(j, &j->info) && local_unchanged(j);
}

static void
on_open(enum drv_status st, const struct drv_box_info *info, void *ctx)
{
	struct sync_job *j = ctx;
	struct drv_list_req req = { .want_message_id = 0 };

	if (st != DRV_OK) {
		folder_failed(j, st, "opening");
		return;
	}
	j->info = *info;
	j->listed_ids = j->acct.proto != ACCOUNT_POP3;
	req.want_message_id = j->listed_ids;
	if (folder_unchanged(j)) {
		j->skipped = 1;
		job_folder_done(j);
		return;
	}
	if ((j->caps & DRV_CAP_MODSEQ) && j->link.remote_modseq != 0 &&
	    j->link.remote_identity == info->identity &&
	    info->highestmodseq != 0) {
		req.changed_since = j->link.remote_modseq;
		req.known_identity = info->identity;
	}
	j->far->drv->list_msgs(j->far, &req, on_list, j);
}

static void
on_status(enum drv_status st, const struct drv_box_info *info, void *ctx)
{
	struct sync_job *j = ctx;

	if (st == DRV_OK && remote_unchanged(j, info)) {
		j->info = *info;
		j->skipped = 1;
		job_folder_done(j);
		return;
	}
	if (st == DRV_ACCOUNT_BAD) {
		on_open(st, info, j);
		return;
	}
	j->far->drv->open_folder(j->far, j->folders[j->cur].remote, on_open,
				 j);
}

static void
folder_open(struct sync_job *j)
{
	const struct job_folder *f = &j->folders[j->cur];
	char *local = sync_local_name(&j->acct, f->remote, f->special_use);
	int rc = ensure_local_folder(j, local);

	if (rc == STORE_OK)
		rc = store_folder_find(j->st, j->acct.user, local,
				       &j->local_folder);
	if (rc != STORE_OK || state_link_get(j->db, j->acct.id, f->remote,
			j->local_folder.id, j->local_folder.uidvalidity,
			&j->link) < 0) {
		job_fail(j, DRV_BOX_BAD, "local folder %s: %s", local,
			 rc != STORE_OK ? store_error(j->st) :
			 db_error(j->db));
		free(local);
		j->cur++;
		job_next_folder(j);
		return;
	}
	free(local);
	j->rep.folders++;
	/* A STATUS tells whether anything changed there without SELECTing a
	 * folder of maybe 100,000 messages. */
	if (j->far->drv->status != NULL && local_unchanged(j))
		j->far->drv->status(j->far, f->remote, on_status, j);
	else
		j->far->drv->open_folder(j->far, f->remote, on_open, j);
}

static void
job_next_folder(struct sync_job *j)
{
	if (j->cancelled || j->rep.status == DRV_ACCOUNT_BAD ||
	    j->cur >= j->nfolders) {
		job_close(j);
		return;
	}
	j->folder_failed = 0;
	folder_open(j);
}

/* ---- one folder: plan and local changes ----------------------------------- */

static int
collect_local(const struct store_msg *m, void *ctx)
{
	struct sync_job *j = ctx;
	struct sync_local *l;

	j->local = xrealloc(j->local, (j->nlocal + 1) * sizeof(*j->local));
	l = &j->local[j->nlocal++];
	l->uid = m->uid;
	l->flags = m->flags;
	l->keywords = xstrdup(m->keywords ? m->keywords : "");
	l->fingerprint = xstrdup(m->fingerprint);
	return 0;
}

static void
report_plan(struct sync_job *j, const struct plan *p, int remote_changed,
	    int local_changed)
{
	const char *box = j->link.remote_folder;

	if (remote_changed)
		slog_warn(j->opt.session, "sync %s/%s %s: mailbox identity "
			  "changed (UIDVALIDITY %llu -> %llu, or UIDLs reset): "
			  "re-mapping by Message-ID + size, deleting nothing",
			  j->acct.user, j->acct.name, box,
			  (unsigned long long)j->link.remote_identity,
			  (unsigned long long)j->info.identity);
	if (local_changed)
		slog_warn(j->opt.session, "sync %s/%s %s: local folder was "
			  "recreated: re-mapping by fingerprint", j->acct.user,
			  j->acct.name, box);
	if (p->local_guard_tripped || p->remote_guard_tripped) {
		j->rep.guard_tripped = 1;
		j->rep.held_deletes += (unsigned)(p->held_local +
						  p->held_remote);
		job_fail(j, DRV_BOX_BAD, "%s: deletion guard: %zu deletions "
			 "held back (more than %u%% of the mailbox); run "
			 "conflux sync --allow-mass-delete to let them through",
			 box, p->held_local + p->held_remote,
			 j->opt.max_delete_percent);
	}
	j->rep.remapped += (unsigned)(p->nremap + p->nlocal_remap);
}

static void
dry_run_counts(struct sync_job *j, const struct plan *p)
{
	j->rep.fetched += (unsigned)p->nfetch;
	j->rep.deleted_here += (unsigned)p->nlocal_expunge;
	j->rep.deleted_there += (unsigned)p->nremote_delete;
	j->rep.flagged_here += (unsigned)p->npull;
	j->rep.flagged_there += (unsigned)p->npush;
}

static int
state_moves(void *ctx)
{
	struct sync_job *j = ctx;
	const struct plan *p = &j->plan;
	int rc = 0;

	for (size_t k = 0; rc == 0 && k < p->nremap; k++)
		rc = state_row_remap(j->db, j->link.id,
				     j->rows[p->remap[k].row].remote_id,
				     j->remote.msgs[p->remap[k].remote].id);
	for (size_t k = 0; rc == 0 && k < p->nlocal_remap; k++)
		rc = state_row_set_local(j->db, j->link.id,
			j->rows[p->local_remap[k].row].remote_id,
			p->local_remap[k].uid);
	for (size_t k = 0; rc == 0 && k < p->ntombstone; k++)
		rc = state_row_set_local(j->db, j->link.id,
					 j->rows[p->tombstone[k]].remote_id, 0);
	return rc;
}

static int
apply_state_moves(struct sync_job *j)
{
	const struct plan *p = &j->plan;

	if (p->nremap + p->nlocal_remap + p->ntombstone == 0)
		return 0;
	if (db_transaction(j->db, state_moves, j) < 0)
		return -1;
	for (size_t k = 0; k < p->nlocal_remap; k++)
		j->rows[p->local_remap[k].row].local_uid = p->local_remap[k].uid;
	for (size_t k = 0; k < p->ntombstone; k++)
		j->rows[p->tombstone[k]].local_uid = 0;
	return 0;
}

static int
drop_rows(void *ctx)
{
	struct sync_job *j = ctx;
	const struct plan *p = &j->plan;
	int rc = 0;

	for (size_t k = 0; rc == 0 && k < p->ndrop_rows; k++)
		rc = state_row_delete(j->db, j->link.id,
				      j->rows[p->drop_rows[k]].remote_id);
	return rc;
}

/* Forward deletions: the store first, then the rows, so a crash in
 * between leaves rows whose both sides are gone (dropped next time). */
static int
apply_local_deletes(struct sync_job *j)
{
	const struct plan *p = &j->plan;

	if (p->nlocal_expunge > 0) {
		if (store_msg_expunge(j->st, j->local_folder.id,
				      p->local_expunge, p->nlocal_expunge) !=
		    STORE_OK)
			return -1;
		for (size_t k = 0; k < p->nlocal_expunge; k++)
			job_touched(j, p->local_expunge[k]);
		j->rep.deleted_here += (unsigned)p->nlocal_expunge;
	}
	if (p->ndrop_rows == 0)
		return 0;
	if (db_transaction(j->db, drop_rows, j) < 0)
		return -1;
	/* Dropped rows no longer claim their local message. */
	for (size_t k = 0; k < p->ndrop_rows; k++)
		j->rows[p->drop_rows[k]].local_uid = 0;
	return 0;
}

static int
apply_pulls(struct sync_job *j)
{
	const struct plan *p = &j->plan;

	for (size_t k = 0; k < p->npull; k++) {
		const struct plan_flag_change *c = &p->pull[k];
		const struct sync_row *r = &j->rows[c->row];

		job_touched(j, r->local_uid);
		if ((c->add || c->del || *c->add_kw || *c->del_kw) &&
		    store_msg_set_flags(j->st, j->local_folder.id,
					r->local_uid, c->add, c->del,
					c->add_kw, c->del_kw, NULL) !=
		    STORE_OK)
			return -1;
		if (c->agree && state_row_set_flags(j->db, j->link.id,
				r->remote_id, c->agreed, c->keywords) < 0)
			return -1;
		if (c->add || c->del || *c->add_kw || *c->del_kw)
			j->rep.flagged_here++;
	}
	return 0;
}

static int
local_has(const struct sync_job *j, uint32_t uid)
{
	size_t lo = 0, hi = j->nlocal;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->local[mid].uid == uid)
			return 1;
		if (j->local[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Rows whose local message is gone because its file was lost, not
 * because somebody deleted it. */
static void
mark_lost(struct sync_job *j)
{
	for (size_t i = 0; i < j->nrows; i++) {
		struct sync_row *r = &j->rows[i];

		if (r->local_uid != 0 && !local_has(j, r->local_uid) &&
		    store_msg_was_lost(j->st, j->local_folder.id,
				       r->local_uid) == 1) {
			r->lost = 1;
			slog_warn(j->opt.session, "sync %s/%s: message %u of "
				  "%s was lost here; fetching it again",
				  j->acct.user, j->acct.name, r->local_uid,
				  j->local_folder.name);
		}
	}
}

static void
folder_plan(struct sync_job *j)
{
	struct plan_input in;
	int remote_changed, local_changed;

	store_msg_list(j->st, j->local_folder.id, 1, collect_local, j);
	mark_lost(j);
	remote_changed = j->acct.proto == ACCOUNT_POP3 ?
		plan_looks_like_reset(j->rows, j->nrows, j->remote.msgs,
				      j->remote.count) :
		j->link.remote_identity != 0 &&
		j->link.remote_identity != j->info.identity;
	local_changed = j->nrows > 0 &&
		(j->link.local_folder_id != j->local_folder.id ||
		 j->link.local_uidvalidity != j->local_folder.uidvalidity);
	in = (struct plan_input){
		.mode = j->acct.mode,
		.flags_both_ways = (j->caps & DRV_CAP_FLAGS) != 0,
		.identity_changed = remote_changed,
		.local_identity_changed = local_changed,
		.max_delete_percent = j->opt.max_delete_percent,
		.allow_mass_delete = j->opt.allow_mass_delete,
		.rows = j->rows, .nrows = j->nrows,
		.remote = j->remote.msgs, .nremote = j->remote.count,
		.local = j->local, .nlocal = j->nlocal,
	};
	plan_make(&in, &j->plan);
	report_plan(j, &j->plan, remote_changed, local_changed);
	if (j->opt.dry_run) {
		dry_run_counts(j, &j->plan);
		job_folder_done(j);
		return;
	}
	if (apply_state_moves(j) < 0 || apply_local_deletes(j) < 0 ||
	    apply_pulls(j) < 0) {
		job_fail(j, DRV_ACCOUNT_BAD, "applying local changes in %s: "
			 "%s", j->link.remote_folder, store_error(j->st));
		job_close(j);
		return;
	}
	apply_fetches(j);
}

/* ---- end of a folder, end of the job -------------------------------------- */

void
job_touched(struct sync_job *j, uint32_t uid)
{
	j->ours = xrealloc(j->ours, (j->nours + 1) * sizeof(*j->ours));
	j->ours[j->nours++] = uid;
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

struct foreign_scan {
	const struct sync_job *job;
	int found;
};

static int
find_foreign(const struct store_change *c, void *ctx)
{
	struct foreign_scan *fs = ctx;
	const struct sync_job *j = fs->job;

	fs->found = bsearch(&c->uid, j->ours, j->nours, sizeof(*j->ours),
			    uid_cmp) == NULL;
	return fs->found;	/* stop at the first change not ours */
}

/* The local modseq to remember: the folder's present one when every
 * change since we opened it was our own doing (so the next sync can skip
 * the folder at once), else the one seen at the start (so the next sync
 * looks at what somebody else changed meanwhile). */
static uint64_t
local_modseq_to_save(struct sync_job *j)
{
	struct foreign_scan fs = { j, 0 };
	uint64_t since = j->local_folder.highestmodseq, save = since;
	struct store_folder now;

	if (store_folder_find(j->st, j->acct.user, j->local_folder.name,
			      &now) != STORE_OK)
		return since;
	if (j->nours > 0)
		qsort(j->ours, j->nours, sizeof(*j->ours), uid_cmp);
	if (store_changes_since(j->st, j->local_folder.id, since, find_foreign,
				&fs) == STORE_OK && !fs.found)
		save = now.highestmodseq;
	store_folder_clear(&now);
	return save;
}

static void
folder_clear(struct sync_job *j)
{
	for (size_t i = 0; i < j->nlocal; i++) {
		free((char *)j->local[i].keywords);
		free((char *)j->local[i].fingerprint);
	}
	free(j->local);
	j->local = NULL;
	j->nlocal = 0;
	state_rows_free(j->rows, j->nrows);
	j->rows = NULL;
	j->nrows = 0;
	plan_free(&j->plan);
	listing_free(&j->remote);
	for (size_t i = 0; i < j->ncommitted; i++)
		free(j->committed_ids[i]);
	free(j->committed_ids);
	j->committed_ids = NULL;
	j->ncommitted = 0;
	free(j->del);
	j->del = NULL;
	j->ndel = 0;
	j->next_fetch = j->fetches_done = j->inflight = 0;
	j->complete = 0;
	free(j->ours);
	j->ours = NULL;
	j->nours = 0;
	store_folder_clear(&j->local_folder);
	state_link_clear(&j->link);
}

void
job_folder_done(struct sync_job *j)
{
	if (j->skipped) {
		j->skipped = 0;
		folder_clear(j);
		j->cur++;
		job_next_folder(j);
		return;
	}
	if (!j->opt.dry_run && j->link.id != 0) {
		j->link.remote_identity = j->info.identity;
		/* A folder with errors, or whose plan was cut short (a
		 * cancel, a lost connection), keeps its old modseqs, so the
		 * next sync lists everything that may have been missed. */
		/* The local modseq is the one seen before our own changes:
		 * the next sync makes one full pass over them, then the
		 * folder is skipped while nothing changes. */
		if (j->complete && !j->folder_failed &&
		    !j->plan.local_guard_tripped &&
		    !j->plan.remote_guard_tripped) {
			j->link.remote_modseq = j->info.highestmodseq;
			j->link.local_modseq = local_modseq_to_save(j);
		}
		j->link.local_folder_id = j->local_folder.id;
		j->link.local_uidvalidity = j->local_folder.uidvalidity;
		if (state_link_save(j->db, &j->link) < 0)
			job_fail(j, DRV_BOX_BAD, "saving sync state: %s",
				 db_error(j->db));
	}
	folder_clear(j);
	j->cur++;
	job_next_folder(j);
}

static void
on_close(enum drv_status st, void *ctx)
{
	struct sync_job *j = ctx;

	if (st == DRV_OK)
		apply_close_confirmed(j);
	else if (j->nclose > 0)
		job_fail(j, DRV_ACCOUNT_BAD, "the server did not confirm the "
			 "end of the session (%s): %zu deletions stay pending "
			 "and are retried", job_far_error(j), j->nclose);
	job_finish(j);
}

static void
job_close(struct sync_job *j)
{
	if (j->rep.status == DRV_ACCOUNT_BAD && j->nclose == 0) {
		job_finish(j);
		return;
	}
	j->far->drv->close(j->far, on_close, j);
}
