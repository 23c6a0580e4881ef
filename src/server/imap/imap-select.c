/* SELECT/EXAMINE (with CONDSTORE and QRESYNC), CLOSE, UNSELECT, CHECK,
 * EXPUNGE / UID EXPUNGE, and keeping the session's view up to date: the
 * journal is read before every tagged reply in the selected state, and
 * at once during IDLE when another session or process changed the
 * folder. */

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/strx.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "proto/imap/imap-args.h"
#include "proto/imap/imap-seqset.h"
#include "server/common/notify.h"
#include "server/imap/imap-session.h"
#include "store/store.h"

/* ---- keeping the view current ---- */

static int
change_cb(const struct store_change *c, void *ctx)
{
	imap_view_change(ctx, c);
	return 0;
}

void
imap_send_expunges(struct imap_session *s)
{
	uint32_t seq, uid;

	if (!imap_view_has_expunges(&s->view))
		return;
	if (s->qresync) {
		uint32_t *uids = NULL;
		size_t n = 0, cap = 0;
		struct buf out;

		while (imap_view_expunge_take(&s->view, &seq, &uid) == 1) {
			if (n == cap) {
				cap = cap < 64 ? 64 : cap * 2;
				uids = xrealloc(uids, cap * sizeof(*uids));
			}
			uids[n++] = uid;
		}
		buf_init(&out, SIZE_MAX / 2);
		imap_seqset_format(uids, n, &out);
		imap_printf(s, "* VANISHED %s", buf_cstr(&out));
		buf_free(&out);
		free(uids);
		return;
	}
	while (imap_view_expunge_take(&s->view, &seq, &uid) == 1)
		imap_printf(s, "* %u EXPUNGE", seq);
}

static void
send_flags(struct imap_session *s, uint32_t uid)
{
	struct store_msg m;
	struct buf out;
	uint32_t seq = imap_view_seq(&s->view, uid);

	if (seq == 0 || store_msg_get(imap_store(s), s->sel.folder_id, uid,
				      &m) != STORE_OK)
		return;
	imap_keywords_seen(s, m.keywords);
	buf_init(&out, SIZE_MAX / 2);
	buf_printf(&out, "* %u FETCH (", seq);
	if (s->qresync)
		buf_printf(&out, "UID %u ", uid);
	buf_append_str(&out, "FLAGS (");
	imap_flags_append(&out, m.flags, m.keywords);
	buf_append_c(&out, ')');
	if (s->condstore)
		buf_printf(&out, " MODSEQ (%llu)",
			   (unsigned long long)m.modseq);
	buf_append_c(&out, ')');
	imap_printf(s, "%s", buf_cstr(&out));
	buf_free(&out);
	store_msg_clear(&m);
}

/* Another session may have deleted or renamed the folder (Dovecot then
 * disconnects the sessions that had it selected). */
static bool
folder_still_there(struct imap_session *s)
{
	struct store_folder f;
	bool same;

	if (store_folder_find(imap_store(s), s->user, s->sel.name, &f) !=
	    STORE_OK)
		return false;
	same = f.id == s->sel.folder_id && f.uidvalidity == s->sel.uidvalidity;
	store_folder_clear(&f);
	return same;
}

void
imap_sync(struct imap_session *s, bool allow_expunge)
{
	uint32_t *uids, n, i;

	if (s->state != IMAP_STATE_SELECTED || s->closing)
		return;
	if (s->notified && !folder_still_there(s)) {
		imap_session_bye(s, "Selected mailbox was deleted, have to "
				 "disconnect.", "mailbox deleted");
		return;
	}
	s->notified = false;
	if (store_changes_since(imap_store(s), s->sel.folder_id,
				s->view.modseq, change_cb, &s->view) !=
	    STORE_OK)
		slog_warn(conn_session_id(s->conn), "imap: journal: %s",
			  store_error(imap_store(s)));
	if (!imap_view_has_pending(&s->view))
		return;
	if (allow_expunge)
		imap_send_expunges(s);
	if (imap_view_new_take(&s->view) > 0)
		imap_printf(s, "* %u EXISTS", s->view.count);
	imap_view_flags_take(&s->view, &uids, &n);
	for (i = 0; i < n; i++)
		send_flags(s, uids[i]);
	free(uids);
}

static void
on_notify(int64_t folder_id, void *ctx)
{
	struct imap_session *s = ctx;

	(void)folder_id;
	s->notified = true;
	if (s->idling && !s->closing) {
		imap_sync(s, true);
		if (s->closing)
			imap_session_free(&s);
	}
}

void
imap_unselect(struct imap_session *s)
{
	notify_unwatch(&s->watch);
	imap_view_clear(&s->view);
	free(s->sel.name);
	free(s->sel.keywords);
	memset(&s->sel, 0, sizeof(s->sel));
	if (s->state == IMAP_STATE_SELECTED)
		s->state = IMAP_STATE_AUTH;
}

/* ---- SELECT / EXAMINE ---- */

struct load_ctx {
	struct imap_view *view;
	uint32_t first_unseen;
	char *keywords[64];
	unsigned int nkeywords;
};

static void
note_keywords(struct load_ctx *lc, const char *kws)
{
	while (*kws != '\0') {
		size_t n = strcspn(kws, " ");
		unsigned int i;
		bool seen = false;

		for (i = 0; i < lc->nkeywords && !seen; i++)
			seen = strlen(lc->keywords[i]) == n &&
			       memcmp(lc->keywords[i], kws, n) == 0;
		if (!seen && n > 0 && lc->nkeywords < 64)
			lc->keywords[lc->nkeywords++] = xstrndup(kws, n);
		kws += n;
		while (*kws == ' ')
			kws++;
	}
}

static int
load_cb(const struct store_msg *m, void *ctx)
{
	struct load_ctx *lc = ctx;

	imap_view_load(lc->view, m->uid);
	if (!(m->flags & STORE_F_SEEN) && lc->first_unseen == 0)
		lc->first_unseen = lc->view->count;
	if (m->keywords != NULL && m->keywords[0] != '\0')
		note_keywords(lc, m->keywords);
	return 0;
}

static void
send_flag_lists(struct imap_session *s)
{
	const char *kw = s->sel.keywords != NULL ? s->sel.keywords : "";
	const char *sp = kw[0] != '\0' ? " " : "";

	imap_printf(s, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen "
		    "\\Draft%s%s)", sp, kw);
	if (s->sel.readonly)
		imap_printf(s, "* OK [PERMANENTFLAGS ()] Read-only mailbox.");
	else
		imap_printf(s, "* OK [PERMANENTFLAGS (\\Answered \\Flagged "
			    "\\Deleted \\Seen \\Draft%s%s \\*)] "
			    "Flags permitted.", sp, kw);
}

static bool
has_keyword(const char *list, const char *kw, size_t n)
{
	while (list != NULL && *list != '\0') {
		size_t m = strcspn(list, " ");
		if (m == n && str_ncasecmp(list, kw, n) == 0)
			return true;
		list += m;
		while (*list == ' ')
			list++;
	}
	return false;
}

void
imap_keywords_seen(struct imap_session *s, const char *kws)
{
	struct buf all;
	bool added = false;

	if (kws == NULL || s->state != IMAP_STATE_SELECTED)
		return;
	buf_init(&all, IMAP_KEYWORDS_MAX);
	if (s->sel.keywords != NULL)
		buf_append_str(&all, s->sel.keywords);
	while (*kws != '\0') {
		size_t n = strcspn(kws, " ");
		if (n > 0 && !has_keyword(buf_cstr(&all), kws, n) &&
		    all.len + n + 1 < IMAP_KEYWORDS_MAX) {
			if (all.len > 0)
				buf_append_c(&all, ' ');
			buf_append(&all, kws, n);
			added = true;
		}
		kws += n;
		while (*kws == ' ')
			kws++;
	}
	if (added) {
		free(s->sel.keywords);
		s->sel.keywords = buf_steal(&all);
		send_flag_lists(s);
	}
	buf_free(&all);
}

/* QRESYNC (RFC 7162 3.2.5): what the client missed since its modseq. */
struct qr_ctx {
	struct imap_session *s;
	const struct imap_range *known;
	size_t nknown;
	uint64_t since;
	uint32_t *uids;
	size_t n, cap;
};

static int
qr_vanished_cb(const struct store_change *c, void *ctx)
{
	struct qr_ctx *q = ctx;

	if (c->kind != STORE_CHANGE_EXPUNGE && c->kind != STORE_CHANGE_LOST)
		return 0;
	if (q->known != NULL && !imap_seqset_contains(q->known, q->nknown,
						      c->uid))
		return 0;
	if (imap_view_seq(&q->s->view, c->uid) != 0)
		return 0;
	if (q->n == q->cap) {
		q->cap = q->cap < 64 ? 64 : q->cap * 2;
		q->uids = xrealloc(q->uids, q->cap * sizeof(*q->uids));
	}
	q->uids[q->n++] = c->uid;
	return 0;
}

static int
qr_fetch_cb(const struct store_msg *m, void *ctx)
{
	struct qr_ctx *q = ctx;
	struct buf out;
	uint32_t seq;

	if (m->modseq <= q->since)
		return 0;
	seq = imap_view_seq(&q->s->view, m->uid);
	if (seq == 0)
		return 0;
	buf_init(&out, SIZE_MAX / 2);
	buf_printf(&out, "* %u FETCH (UID %u FLAGS (", seq, m->uid);
	imap_flags_append(&out, m->flags, m->keywords);
	buf_printf(&out, ") MODSEQ (%llu))", (unsigned long long)m->modseq);
	imap_printf(q->s, "%s", buf_cstr(&out));
	buf_free(&out);
	return 0;
}

static void
select_qresync(struct imap_session *s, const struct imap_select_args *a)
{
	struct qr_ctx q;
	struct imap_range *known = NULL;
	size_t nknown = 0;
	const char *err;

	if (a->uidvalidity != s->sel.uidvalidity)
		return;
	memset(&q, 0, sizeof(q));
	q.s = s;
	q.since = a->modseq;
	if (a->known_uids != NULL &&
	    imap_seqset_parse(a->known_uids, UINT32_MAX, 100000, &known,
			      &nknown, &err) == 0) {
		q.known = known;
		q.nknown = nknown;
	}
	store_changes_since(imap_store(s), s->sel.folder_id, a->modseq,
			    qr_vanished_cb, &q);
	if (q.n > 0) {
		struct buf out;
		buf_init(&out, SIZE_MAX / 2);
		imap_seqset_format(q.uids, q.n, &out);
		imap_printf(s, "* VANISHED (EARLIER) %s", buf_cstr(&out));
		buf_free(&out);
	}
	free(q.uids);
	free(known);
	store_msg_list(imap_store(s), s->sel.folder_id, 1, qr_fetch_cb, &q);
}

static void
keep_keywords(struct imap_session *s, struct load_ctx *lc)
{
	struct buf kw;
	unsigned int i;

	buf_init(&kw, IMAP_KEYWORDS_MAX);
	for (i = 0; i < lc->nkeywords; i++) {
		if (kw.len > 0)
			buf_append_c(&kw, ' ');
		buf_append_str(&kw, lc->keywords[i]);
		free(lc->keywords[i]);
	}
	free(s->sel.keywords);
	s->sel.keywords = buf_steal(&kw);
}

static bool
open_folder(struct imap_session *s, const char *name, bool readonly,
	    struct load_ctx *lc, struct store_folder *f)
{
	int rc = store_folder_find(imap_store(s), s->user, name, f);

	if (rc != STORE_OK) {
		imap_tagged(s, "NO", rc == STORE_NOTFOUND
			    ? "[NONEXISTENT] Mailbox doesn't exist."
			    : "[SERVERBUG] Internal error.");
		return false;
	}
	s->sel.folder_id = f->id;
	s->sel.name = xstrdup(name);
	s->sel.uidvalidity = f->uidvalidity;
	s->sel.readonly = readonly;
	s->view.modseq = f->highestmodseq;
	lc->view = &s->view;
	if (store_msg_list(imap_store(s), f->id, 1, load_cb, lc) != STORE_OK) {
		store_folder_clear(f);
		imap_unselect(s);
		imap_tagged(s, "NO", "[SERVERBUG] Internal error.");
		return false;
	}
	s->state = IMAP_STATE_SELECTED;
	if (s->server->env.notify != NULL)
		s->watch = notify_watch(s->server->env.notify, f->id,
					on_notify, s);
	return true;
}

bool
imap_handle_select(struct imap_session *s)
{
	struct imap_select_args a;
	struct load_ctx lc;
	struct store_folder f;
	const char *error;
	char *name;
	bool readonly = strcmp(s->cmd.name, "EXAMINE") == 0;

	if (imap_select_parse(&s->cmd, &a, &error) < 0) {
		imap_bad(s, error);
		return true;
	}
	if (a.qresync && !s->qresync) {
		imap_bad(s, "QRESYNC isn't enabled.");
		return true;
	}
	if (s->state == IMAP_STATE_SELECTED) {
		imap_unselect(s);
		imap_printf(s, "* OK [CLOSED] Previous mailbox closed.");
	}
	name = imap_mailbox_decode(a.mailbox);
	if (name == NULL) {
		imap_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't exist.");
		return true;
	}
	if (a.condstore)
		s->condstore = true;
	memset(&lc, 0, sizeof(lc));
	if (!open_folder(s, name, readonly, &lc, &f)) {
		free(name);
		return true;
	}
	free(name);
	keep_keywords(s, &lc);
	send_flag_lists(s);
	imap_printf(s, "* %u EXISTS", s->view.count);
	imap_printf(s, "* 0 RECENT");
	if (lc.first_unseen != 0)
		imap_printf(s, "* OK [UNSEEN %u] First unseen.",
			    lc.first_unseen);
	imap_printf(s, "* OK [UIDVALIDITY %u] UIDs valid", f.uidvalidity);
	/* a message appended between reading the folder and listing it */
	if (imap_view_last_uid(&s->view) >= f.uidnext)
		f.uidnext = imap_view_last_uid(&s->view) + 1;
	imap_printf(s, "* OK [UIDNEXT %u] Predicted next UID", f.uidnext);
	imap_printf(s, "* OK [HIGHESTMODSEQ %llu] Highest",
		    (unsigned long long)(f.highestmodseq > 0
					 ? f.highestmodseq : 1));
	if (a.qresync)
		select_qresync(s, &a);
	store_folder_clear(&f);
	imap_tagged(s, "OK", "[%s] %s completed.",
		    readonly ? "READ-ONLY" : "READ-WRITE",
		    readonly ? "Examine" : "Select");
	return true;
}

/* ---- EXPUNGE, CLOSE, UNSELECT, CHECK ---- */

struct exp_ctx {
	struct imap_session *s;
	const struct imap_range *set;	/* UID EXPUNGE */
	size_t nset;
	uint32_t *uids;
	size_t n, cap;
};

static int
exp_cb(const struct store_msg *m, void *ctx)
{
	struct exp_ctx *e = ctx;

	if (!(m->flags & STORE_F_DELETED) ||
	    imap_view_seq(&e->s->view, m->uid) == 0)
		return 0;
	if (e->set != NULL && !imap_seqset_contains(e->set, e->nset, m->uid))
		return 0;
	if (e->n == e->cap) {
		e->cap = e->cap < 64 ? 64 : e->cap * 2;
		e->uids = xrealloc(e->uids, e->cap * sizeof(*e->uids));
	}
	e->uids[e->n++] = m->uid;
	return 0;
}

/* Expunges the \Deleted messages (of set, if given). -1 on a store error. */
static int
expunge_deleted(struct imap_session *s, const struct imap_range *set,
		size_t nset)
{
	struct exp_ctx e = { s, set, nset, NULL, 0, 0 };
	size_t i;
	int rc;

	rc = store_msg_list(imap_store(s), s->sel.folder_id, 1, exp_cb, &e);
	if (rc == STORE_OK && e.n > 0)
		rc = store_msg_expunge(imap_store(s), s->sel.folder_id, e.uids,
				       e.n);
	if (rc == STORE_OK && e.n > 0) {
		for (i = 0; i < e.n; i++)
			imap_view_expunged(&s->view, e.uids[i]);
		notify_changed(s->server->env.notify, s->sel.folder_id);
	}
	free(e.uids);
	return rc == STORE_OK ? 0 : -1;
}

/* The selected folder's HIGHESTMODSEQ now (RFC 7162 3.2.10: the tagged OK
 * of EXPUNGE and CLOSE carries it). A lower value than the truth is safe:
 * the client merely asks for more next time. */
static uint64_t
folder_hms(struct imap_session *s)
{
	struct store_folder f;
	uint64_t hms = s->view.modseq;

	if (store_folder_find(imap_store(s), s->user, s->sel.name, &f) ==
	    STORE_OK) {
		if (f.id == s->sel.folder_id)
			hms = f.highestmodseq;
		store_folder_clear(&f);
	}
	return hms > 0 ? hms : 1;
}

bool
imap_handle_expunge(struct imap_session *s)
{
	struct imap_range *set = NULL;
	size_t nset = 0;
	const char *seq, *err;

	if (s->sel.readonly) {
		imap_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only.");
		return true;
	}
	if (s->cmd.uid) {
		if (s->cmd.nargs != 1 ||
		    imap_arg_seqset(&s->cmd.args[0], &seq) < 0 ||
		    imap_seqset_parse(seq, imap_view_last_uid(&s->view) > 0
				      ? imap_view_last_uid(&s->view) : 1,
				      100000, &set, &nset, &err) < 0) {
			imap_bad(s, "Invalid UID set.");
			return true;
		}
	} else if (s->cmd.nargs != 0) {
		imap_bad(s, "Unexpected arguments.");
		return true;
	}
	if (expunge_deleted(s, set, nset) < 0)
		imap_tagged(s, "NO", "[SERVERBUG] Internal error.");
	else if (s->condstore)
		imap_tagged(s, "OK", "[HIGHESTMODSEQ %llu] Expunge completed.",
			    (unsigned long long)folder_hms(s));
	else
		imap_tagged(s, "OK", "Expunge completed.");
	free(set);
	return true;
}

bool
imap_handle_close(struct imap_session *s)
{
	uint64_t hms;

	if (!s->sel.readonly)
		(void)expunge_deleted(s, NULL, 0);
	hms = folder_hms(s);
	imap_unselect(s);
	if (s->condstore)
		imap_tagged(s, "OK", "[HIGHESTMODSEQ %llu] Close completed.",
			    (unsigned long long)hms);
	else
		imap_tagged(s, "OK", "Close completed.");
	return true;
}

bool
imap_handle_unselect(struct imap_session *s)
{
	imap_unselect(s);
	imap_tagged(s, "OK", "Unselect completed.");
	return true;
}

bool
imap_handle_check(struct imap_session *s)
{
	imap_tagged(s, "OK", "Check completed.");
	return true;
}
