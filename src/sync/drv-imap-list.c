/* The IMAP driver's listings and changes: LIST of folders, UID FETCH
 * listings (whole, or CHANGEDSINCE + VANISHED), UID STORE of flags, and
 * the expunge of exactly the messages asked for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crash.h"
#include "lib/strx.h"
#include "lib/timeutil.h"
#include "lib/utf7.h"
#include "lib/xalloc.h"
#include "mime/header.h"
#include "proto/imap/imap-quote.h"
#include "store/store.h"
#include "sync/drv-imap-private.h"

#define MAX_VANISHED (10u * 1000 * 1000)

static const struct {
	const char *name;
	unsigned int bit;
} sys_flags[] = {
	{ "\\Seen", STORE_F_SEEN }, { "\\Answered", STORE_F_ANSWERED },
	{ "\\Flagged", STORE_F_FLAGGED }, { "\\Deleted", STORE_F_DELETED },
	{ "\\Draft", STORE_F_DRAFT },
};

static const char *const special_uses[] = {
	"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent",
	"\\Trash", "\\Important",
};

struct listing {
	struct drv_msg *msgs;
	size_t n, cap;
	uint32_t *vanished;
	size_t nvan, cvan;
	uint32_t uidnext;
	bool partial, too_many;
};

static void
store_done(enum imapc_result r, const char *error, void *ctx)
{
	struct op *op = ctx;

	drv_imap_op_done(op, drv_imap_status(r, DRV_MSG_BAD), error);
}

/* ---- flags ---- */

static bool
keyword_ok(const char *kw)
{
	return kw[0] != '\\' &&
		imap_quote_kind(kw, strlen(kw)) == IMAP_QUOTE_ATOM;
}

void
drv_imap_flag_list(unsigned int flags, const char *keywords, struct buf *out)
{
	bool first = true;

	(void)buf_append_c(out, '(');
	for (size_t i = 0; i < sizeof(sys_flags) / sizeof(sys_flags[0]); i++) {
		if ((flags & sys_flags[i].bit) == 0)
			continue;
		(void)buf_printf(out, "%s%s", first ? "" : " ",
				 sys_flags[i].name);
		first = false;
	}
	if (keywords != NULL) {
		char **words = str_split_ws(keywords, NULL);
		for (char **w = words; *w != NULL; w++) {
			if (!keyword_ok(*w))
				continue;
			(void)buf_printf(out, "%s%s", first ? "" : " ", *w);
			first = false;
		}
		str_array_free(&words);
	}
	(void)buf_append_c(out, ')');
}

static void
flags_from(struct drv_msg *m, const struct imap_fetch *f)
{
	struct buf kw;

	buf_init(&kw, 64 * 1024);
	m->flags = 0;
	for (size_t i = 0; i < f->nflags; i++) {
		const struct imap_arg *a = &f->flags[i];
		bool sys = false;

		if (a->type != IMAP_ARG_ATOM)
			continue;
		for (size_t j = 0; j < sizeof(sys_flags) / sizeof(sys_flags[0]);
		     j++)
			if (str_casecmp(a->str, sys_flags[j].name) == 0) {
				m->flags |= sys_flags[j].bit;
				sys = true;
			}
		if (!sys && a->str[0] != '\\')
			(void)buf_printf(&kw, "%s%s", kw.len > 0 ? " " : "",
					 a->str);
	}
	free((char *)m->keywords);
	m->keywords = kw.len > 0 ? buf_steal(&kw) : NULL;
	buf_free(&kw);
}

/* ---- folders ---- */

void
drv_imap_folders_free(struct op *op)
{
	for (size_t i = 0; i < op->nfolders; i++)
		free((char *)op->folders[i].name);
	free(op->folders);
}

static char *
name_from_server(char delim, const char *raw)
{
	struct buf out;

	buf_init(&out, 4 * strlen(raw) + 16);
	if (utf7_to_utf8(raw, &out) < 0) {
		buf_free(&out);
		return NULL;
	}
	for (size_t i = 0; i < out.len && delim != 0 && delim != '/'; i++)
		if (out.data[i] == delim)
			out.data[i] = '/';
	return buf_steal(&out);
}

static void
folder_attrs(struct drv_folder *f, const struct imap_list *l)
{
	f->selectable = 1;
	for (size_t i = 0; i < l->nattrs; i++) {
		const struct imap_arg *a = &l->attrs[i];

		if (imap_arg_atom_is(a, "\\Noselect") ||
		    imap_arg_atom_is(a, "\\NonExistent"))
			f->selectable = 0;
		for (size_t j = 0; j < sizeof(special_uses) /
			     sizeof(special_uses[0]); j++)
			if (imap_arg_atom_is(a, special_uses[j]))
				f->special_use = special_uses[j];
	}
}

static void
folder_each(const struct imap_list *l, void *ctx)
{
	struct op *op = ctx;
	char *name = name_from_server(l->delim, l->name);
	struct drv_folder *f;

	if (l->delim != 0)
		op->mb->delim = l->delim;
	if (name == NULL)
		return;	/* not valid modified UTF-7: cannot be named */
	if (op->nfolders == op->cfolders) {
		op->cfolders = op->cfolders == 0 ? 16 : op->cfolders * 2;
		op->folders = xrealloc(op->folders,
				       op->cfolders * sizeof(*op->folders));
	}
	f = &op->folders[op->nfolders++];
	memset(f, 0, sizeof(*f));
	f->name = name;
	folder_attrs(f, l);
}

static void
folders_done(enum imapc_result r, const char *error, void *ctx)
{
	drv_imap_op_done(ctx, drv_imap_status(r, DRV_ACCOUNT_BAD), error);
}

void
drv_imap_list_folders(struct mbox *box, drv_folders_cb *cb, void *ctx)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;
	struct op *op = drv_imap_op_new(mb, OP_FOLDERS, ctx);

	op->u.folders = cb;
	imapc_list(mb->client, "", "*", true, folder_each, folders_done, op);
}

/* ---- message listing ---- */

void
drv_imap_listing_free(struct listing *ls)
{
	if (ls == NULL)
		return;
	for (size_t i = 0; i < ls->n; i++) {
		free((char *)ls->msgs[i].id);
		free((char *)ls->msgs[i].keywords);
		free((char *)ls->msgs[i].message_id);
	}
	free(ls->msgs);
	free(ls->vanished);
	free(ls);
}

/* The message with this UID, inserted (sorted by UID) when new. */
static struct drv_msg *
msg_slot(struct listing *ls, uint32_t uid)
{
	size_t lo = 0, hi = ls->n;

	if (ls->n == 0 || ls->msgs[ls->n - 1].uid < uid)
		lo = hi = ls->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ls->msgs[mid].uid == uid)
			return &ls->msgs[mid];
		if (ls->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ls->n == ls->cap) {
		ls->cap = ls->cap == 0 ? 64 : ls->cap * 2;
		ls->msgs = xrealloc(ls->msgs, ls->cap * sizeof(*ls->msgs));
	}
	memmove(&ls->msgs[lo + 1], &ls->msgs[lo],
		(ls->n - lo) * sizeof(*ls->msgs));
	ls->n++;
	memset(&ls->msgs[lo], 0, sizeof(ls->msgs[lo]));
	ls->msgs[lo].uid = uid;
	ls->msgs[lo].id = xasprintf("%u", uid);
	return &ls->msgs[lo];
}

static void
message_id_from(struct drv_msg *m, const struct imap_fetch *f)
{
	char *value = header_field_get(f->header, f->header_len,
				       "Message-ID");

	free((char *)m->message_id);
	m->message_id = header_message_id(value);
	free(value);
}

static void
fetch_each(const struct imap_fetch *f, uint32_t seq, void *ctx)
{
	struct listing *ls = ((struct op *)ctx)->ls;
	struct drv_msg *m;
	time_t t;

	if (!f->has_uid || f->uid == 0)
		return;	/* unsolicited, without UID: nothing to place */
	m = msg_slot(ls, f->uid);
	m->seq = seq;
	if (f->has_flags)
		flags_from(m, f);
	if (f->has_size)
		m->size = f->size;
	if (f->internaldate != NULL &&
	    time_parse_internaldate(f->internaldate, &t, NULL) == 0)
		m->internal_date = t;
	if (f->has_modseq)
		m->modseq = f->modseq;
	if (f->header != NULL)
		message_id_from(m, f);
}

static void
add_vanished(struct listing *ls, uint32_t uid)
{
	if (ls->nvan >= MAX_VANISHED) {
		ls->too_many = true;
		return;
	}
	if (ls->nvan == ls->cvan) {
		ls->cvan = ls->cvan == 0 ? 64 : ls->cvan * 2;
		ls->vanished = xrealloc(ls->vanished,
					ls->cvan * sizeof(*ls->vanished));
	}
	ls->vanished[ls->nvan++] = uid;
}

static void
vanished_add(struct listing *ls, const struct imap_range *r, size_t n)
{
	for (size_t i = 0; i < n && !ls->too_many; i++) {
		uint32_t hi = r[i].hi;

		/* UIDs at or above UIDNEXT never existed */
		if (ls->uidnext != 0 && hi >= ls->uidnext)
			hi = ls->uidnext - 1;
		for (uint64_t u = r[i].lo; u <= hi && !ls->too_many; u++)
			add_vanished(ls, (uint32_t)u);
	}
}

static void
vanished_each(const struct imap_range *r, size_t n, void *ctx)
{
	vanished_add(((struct op *)ctx)->ls, r, n);
}

static void
drop_msg(struct listing *ls, size_t i)
{
	free((char *)ls->msgs[i].id);
	free((char *)ls->msgs[i].keywords);
	free((char *)ls->msgs[i].message_id);
	memmove(&ls->msgs[i], &ls->msgs[i + 1],
		(ls->n - i - 1) * sizeof(*ls->msgs));
	ls->n--;
}

static void
listing_expunge(struct listing *ls, uint32_t seq)
{
	for (size_t i = 0; i < ls->n;) {
		if (ls->msgs[i].seq == seq) {
			drop_msg(ls, i);
			continue;
		}
		if (ls->msgs[i].seq > seq)
			ls->msgs[i].seq--;
		i++;
	}
}

static void
listing_vanished(struct listing *ls, const struct imapc_event *ev)
{
	uint32_t removed = 0;

	for (size_t i = 0; i < ls->n;) {
		if (imap_seqset_contains(ev->ranges, ev->nranges,
					 ls->msgs[i].uid)) {
			if (ls->partial)
				add_vanished(ls, ls->msgs[i].uid);
			drop_msg(ls, i);
			removed++;
			continue;
		}
		ls->msgs[i].seq -= removed;
		i++;
	}
}

void
drv_imap_listing_event(struct imap_mbox *mb, const struct imapc_event *ev)
{
	struct listing *ls = mb->listing;

	if (ls == NULL)
		return;
	if (ev->type == IMAPC_EV_EXPUNGE)
		listing_expunge(ls, ev->seq);
	else if (ev->type == IMAPC_EV_VANISHED && ev->earlier)
		vanished_add(ls, ev->ranges, ev->nranges);
	else if (ev->type == IMAPC_EV_VANISHED)
		listing_vanished(ls, ev);
}

static void
list_done(enum imapc_result r, const char *error, void *ctx)
{
	struct op *op = ctx;

	if (op->mb->listing == op->ls)
		op->mb->listing = NULL;
	if (r == IMAPC_OK && op->ls->too_many)
		drv_imap_op_done(op, DRV_BOX_BAD, "VANISHED lists too many UIDs");
	else
		drv_imap_op_done(op, drv_imap_status(r, DRV_BOX_BAD), error);
}

void
drv_imap_listing_deliver(struct op *op)
{
	struct drv_msg_list l = { 0 };

	if (op->st != DRV_OK) {
		op->u.msgs(op->st, NULL, op->ctx);
		return;
	}
	l.msgs = op->ls->msgs;
	l.count = op->ls->n;
	l.vanished = op->ls->vanished;
	l.nvanished = op->ls->nvan;
	l.partial = op->ls->partial;
	op->u.msgs(DRV_OK, &l, op->ctx);
}

static void
list_items(struct imap_mbox *mb, const struct drv_list_req *req,
	   struct buf *items)
{
	const struct imapc_box *box = imapc_box(mb->client);

	(void)buf_append_str(items, "UID FLAGS RFC822.SIZE INTERNALDATE");
	if ((imapc_caps(mb->client) & IMAPC_CAP_CONDSTORE) != 0 &&
	    !box->nomodseq)
		(void)buf_append_str(items, " MODSEQ");
	if (req->want_message_id)
		(void)buf_append_str(items,
				     " BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]");
}

void
drv_imap_list_msgs(struct mbox *box, const struct drv_list_req *req,
		   drv_msgs_cb *cb, void *ctx)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;
	struct op *op = drv_imap_op_new(mb, OP_MSGS, ctx);
	const struct imapc_box *ib = imapc_box(mb->client);
	struct listing *ls = xcalloc(1, sizeof(*ls));
	struct buf items;
	/* incremental only when expunges are reported too (QRESYNC) */
	bool incr = req->changed_since != 0 && imapc_qresync(mb->client) &&
		req->known_identity == ib->uidvalidity && !ib->nomodseq;

	op->u.msgs = cb;
	op->ls = ls;
	ls->partial = incr;
	ls->uidnext = ib->uidnext;
	if (!mb->selected) {
		drv_imap_op_done_later(op, DRV_BOX_BAD, "no folder is open");
		return;
	}
	if (!incr && ib->exists == 0) {
		drv_imap_op_done_later(op, DRV_OK, NULL);
		return;
	}
	buf_init(&items, 256);
	list_items(mb, req, &items);
	mb->listing = ls;
	imapc_uid_fetch(mb->client, "1:*", buf_cstr(&items),
			incr ? req->changed_since : 0, incr, fetch_each,
			vanished_each, list_done, op);
	buf_free(&items);
}

/* ---- flags ---- */

static void
store(struct op *op, uint32_t uid, const char *how, unsigned int flags,
      const char *kw)
{
	struct buf fl;
	char set[16];

	buf_init(&fl, 64 * 1024);
	drv_imap_flag_list(flags, kw, &fl);
	if (fl.len > 2) {
		snprintf(set, sizeof(set), "%u", uid);
		op->pending++;
		crash_point("remote.imap.store");
		imapc_uid_store(op->mb->client, set, how, buf_cstr(&fl),
				store_done, op);
	}
	buf_free(&fl);
}

void
drv_imap_set_flags(struct mbox *box, const struct drv_msg *m,
		   unsigned int add, unsigned int del, const char *add_kw,
		   const char *del_kw, drv_cb *cb, void *ctx)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;
	struct op *op = drv_imap_op_new(mb, OP_CB, ctx);

	op->u.cb = cb;
	store(op, m->uid, "+FLAGS.SILENT", add, add_kw);
	store(op, m->uid, "-FLAGS.SILENT", del, del_kw);
	if (op->pending == 0)
		drv_imap_op_done_later(op, DRV_OK, NULL);
}

/* ---- expunge ---- */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
search_each(const uint32_t *nums, size_t n, void *ctx)
{
	struct op *op = ctx;

	for (size_t i = 0; i < n; i++)
		if (bsearch(&nums[i], op->uids, op->nuids, sizeof(uint32_t),
			    cmp_u32) == NULL)
			op->others_deleted = true;
}

static void
searched(enum imapc_result r, const char *error, void *ctx)
{
	struct op *op = ctx;

	if (r != IMAPC_OK) {
		drv_imap_op_done(op, drv_imap_status(r, DRV_MSG_BAD), error);
	} else if (op->others_deleted) {
		drv_imap_op_done(op, DRV_MSG_BAD, "other messages of the folder carry "
			"\\Deleted and the server lacks UIDPLUS: ours are "
			"left flagged \\Deleted, not expunged");
	} else {
		crash_point("remote.imap.expunge");
		imapc_expunge(op->mb->client, store_done, op);
	}
}

static void
deleted_stored(enum imapc_result r, const char *error, void *ctx)
{
	struct op *op = ctx;
	struct imapc *c = op->mb->client;

	if (r != IMAPC_OK) {
		drv_imap_op_done(op, drv_imap_status(r, DRV_MSG_BAD), error);
	} else if ((imapc_caps(c) & IMAPC_CAP_UIDPLUS) != 0) {
		crash_point("remote.imap.expunge");
		imapc_uid_expunge(c, op->set, store_done, op);
	} else {
		imapc_uid_search(c, "DELETED", search_each, searched, op);
	}
}

void
drv_imap_expunge(struct mbox *box, const struct drv_msg *const *ms,
		 size_t n, drv_cb *cb, void *ctx)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;
	struct op *op = drv_imap_op_new(mb, OP_CB, ctx);
	struct buf set;

	op->u.cb = cb;
	if (n == 0) {
		drv_imap_op_done_later(op, DRV_OK, NULL);
		return;
	}
	op->uids = xcalloc(n, sizeof(*op->uids));
	for (size_t i = 0; i < n; i++)
		op->uids[op->nuids++] = ms[i]->uid;
	qsort(op->uids, op->nuids, sizeof(*op->uids), cmp_u32);
	buf_init(&set, SIZE_MAX / 2);
	if (imap_seqset_format(op->uids, op->nuids, &set) < 0) {
		buf_free(&set);
		drv_imap_op_done_later(op, DRV_MSG_BAD, "UID 0 in expunge");
		return;
	}
	op->set = buf_steal(&set);
	crash_point("remote.imap.store");
	imapc_uid_store(mb->client, op->set, "+FLAGS.SILENT", "(\\Deleted)",
			deleted_stored, op);
}
