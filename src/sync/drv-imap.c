/* The IMAP mailbox driver: driver.h operations mapped onto client/imapc
 * (open_folder is SELECT, status is STATUS).
 * Folder names are UTF-8 with '/' here, modified UTF-7 with the server's
 * delimiter there. Completions go through an in-order queue, so callbacks
 * run in the order the operations were issued even when the server's
 * answers to pipelined commands interleave with other work. Listings are
 * in drv-imap-list.c. */
#include <stdlib.h>
#include <string.h>

#include "lib/crash.h"
#include "lib/utf7.h"
#include "lib/xalloc.h"
#include "lib/strx.h"
#include "net/loop.h"
#include "registry/registry.h"
#include "sync/drv-imap-private.h"

/* ---- the completion queue ---- */

struct op *
drv_imap_op_new(struct imap_mbox *mb, enum op_kind kind, void *ctx)
{
	struct op *op = xcalloc(1, sizeof(*op));

	op->mb = mb;
	op->kind = kind;
	op->ctx = ctx;
	if (mb->tail != NULL)
		mb->tail->next = op;
	else
		mb->head = op;
	mb->tail = op;
	return op;
}

static void
op_free(struct op *op)
{
	free(op->error);
	free(op->uids);
	free(op->set);
	drv_imap_listing_free(op->ls);
	drv_imap_folders_free(op);
	free(op);
}

static void
deliver(struct op *op)
{
	switch (op->kind) {
	case OP_CB:
		op->u.cb(op->st, op->ctx);
		break;
	case OP_FOLDERS:
		op->u.folders(op->st, op->folders, op->nfolders, op->ctx);
		break;
	case OP_OPEN:
		op->u.open(op->st, op->st == DRV_OK ? &op->info : NULL,
			   op->ctx);
		break;
	case OP_MSGS:
		drv_imap_listing_deliver(op);
		break;
	case OP_UID:
		op->u.uid(op->st, op->uid, op->ctx);
		break;
	}
}

static void
mb_unref(struct imap_mbox *mb);

static void
flush(struct imap_mbox *mb)
{
	struct op *op;

	if (mb->flushing)
		return;
	mb->flushing = true;
	mb->refs++;
	while (!mb->gone && (op = mb->head) != NULL && op->finished) {
		mb->head = op->next;
		if (mb->head == NULL)
			mb->tail = NULL;
		if (op->st != DRV_OK && op->error != NULL) {
			buf_reset(&mb->error);
			(void)buf_append_str(&mb->error, op->error);
		}
		deliver(op);
		op_free(op);
	}
	mb->flushing = false;
	mb_unref(mb);
}

void
drv_imap_op_done(struct op *op, enum drv_status st, const char *error)
{
	if (op->st == DRV_OK || st == DRV_ACCOUNT_BAD) {
		op->st = st;
		free(op->error);
		op->error = st == DRV_OK || error == NULL ? NULL :
			xstrdup(error);
	}
	if (op->pending > 0 && --op->pending > 0)
		return;
	op->finished = true;
	flush(op->mb);
}

static void
later_cb(void *ctx)
{
	struct op *op = ctx;
	struct imap_mbox *mb = op->mb;

	op->pending = 0;
	drv_imap_op_done(op, op->later_st, op->later_error);
	mb_unref(mb);
}

void
drv_imap_op_done_later(struct op *op, enum drv_status st, const char *error)
{
	op->later_st = st;
	op->later_error = error;
	op->mb->refs++;
	loop_defer(op->mb->loop, later_cb, op);
}

enum drv_status
drv_imap_status(enum imapc_result r, enum drv_status refused)
{
	switch (r) {
	case IMAPC_OK:
		return DRV_OK;
	case IMAPC_CANCELED:
		return DRV_CANCELED;
	case IMAPC_FAILED:
		return DRV_ACCOUNT_BAD;
	default:
		return refused;
	}
}

/* imapc callback for OP_CB-like operations: ctx is the op. */
static void
plain_done(enum imapc_result r, const char *error, void *ctx)
{
	struct op *op = ctx;

	drv_imap_op_done(op, drv_imap_status(r, op->refused), error);
}

/* ---- names ---- */

/* UTF-8 "a/b" -> modified UTF-7 with the server's delimiter. */
static char *
name_to_server(struct imap_mbox *mb, const char *name)
{
	char *tmp = xstrdup(name);
	struct buf out;

	if (str_casecmp(name, "INBOX") == 0) {
		free(tmp);
		return xstrdup("INBOX");
	}
	for (char *p = tmp; *p != '\0' && mb->delim != 0; p++)
		if (*p == '/')
			*p = mb->delim;
	buf_init(&out, 4 * strlen(name) + 16);
	if (utf7_from_utf8(tmp, &out) < 0) {
		buf_free(&out);
		free(tmp);
		return NULL;
	}
	free(tmp);
	return buf_steal(&out);
}

/* ---- connect ---- */

/* ctx is the connect op (connected() passes it to imapc_list). */
static void
delim_each(const struct imap_list *l, void *ctx)
{
	struct op *op = ctx;

	if (l->delim != 0)
		op->mb->delim = l->delim;
}

static void
connected(enum imapc_result r, const char *error, void *ctx)
{
	struct op *op = ctx;

	if (r != IMAPC_OK) {
		drv_imap_op_done(op, r == IMAPC_CANCELED ? DRV_CANCELED :
			DRV_ACCOUNT_BAD, error);
		return;
	}
	/* LIST "" "" gives the hierarchy delimiter */
	imapc_list(op->mb->client, "", "", false, delim_each, plain_done, op);
}

static void
imap_connect(struct mbox *box, drv_cb *cb, void *ctx)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;
	struct op *op = drv_imap_op_new(mb, OP_CB, ctx);

	op->u.cb = cb;
	op->refused = DRV_ACCOUNT_BAD;
	imapc_connect(mb->client, connected, op);
}

static unsigned int
imap_caps(struct mbox *box)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;
	unsigned int ic = imapc_caps(mb->client);
	unsigned int caps = DRV_CAP_FOLDERS | DRV_CAP_FLAGS;

	if ((ic & IMAPC_CAP_CONDSTORE) != 0)
		caps |= DRV_CAP_MODSEQ;
	if (imapc_qresync(mb->client))
		caps |= DRV_CAP_VANISHED;
	if ((ic & IMAPC_CAP_UIDPLUS) != 0)
		caps |= DRV_CAP_UIDPLUS;
	if ((ic & IMAPC_CAP_IDLE) != 0)
		caps |= DRV_CAP_IDLE;
	return caps;
}

/* ---- open ---- */

static void
selected(enum imapc_result r, const char *error,
	 const struct imapc_box *box, void *ctx)
{
	struct op *op = ctx;

	if (r == IMAPC_OK) {
		op->info.identity = box->uidvalidity;
		op->info.count = box->exists;
		op->info.uidnext = box->uidnext;
		op->info.highestmodseq = box->nomodseq ? 0 :
			box->highestmodseq;
		op->mb->selected = true;
	}
	drv_imap_op_done(op, drv_imap_status(r, DRV_BOX_BAD), error);
}

static void
imap_open_folder(struct mbox *box, const char *name, drv_open_cb *cb,
		 void *ctx)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;
	struct op *op = drv_imap_op_new(mb, OP_OPEN, ctx);
	struct imapc_select req = { .condstore = true };
	char *server = name_to_server(mb, name);

	op->u.open = cb;
	mb->selected = false;
	if (server == NULL) {
		drv_imap_op_done_later(op, DRV_BOX_BAD, "folder name is not UTF-8");
		return;
	}
	req.mailbox = server;
	imapc_select(mb->client, &req, selected, op);
	free(server);
}

/* ---- status ---- */

/* A UIDVALIDITY of 0 is no identity (RFC 3501: nz-number): better skip
 * the folder than let the engine take it for a changed one. */
static void
status_got(enum imapc_result r, const char *error,
	   const struct imapc_status_info *st, void *ctx)
{
	struct op *op = ctx;

	if (r == IMAPC_OK && st->uidvalidity == 0) {
		drv_imap_op_done(op, DRV_BOX_BAD,
				 "STATUS did not report UIDVALIDITY");
		return;
	}
	if (r == IMAPC_OK) {
		op->info.identity = st->uidvalidity;
		op->info.count = st->messages;
		op->info.uidnext = st->uidnext;
		op->info.highestmodseq = st->highestmodseq;
	}
	drv_imap_op_done(op, drv_imap_status(r, DRV_BOX_BAD), error);
}

/* STATUS, not SELECT: the open folder (mb->selected) stays as it is. */
static void
imap_status(struct mbox *box, const char *name, drv_open_cb *cb, void *ctx)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;
	struct op *op = drv_imap_op_new(mb, OP_OPEN, ctx);
	char *server = name_to_server(mb, name);

	op->u.open = cb;
	if (server == NULL) {
		drv_imap_op_done_later(op, DRV_BOX_BAD, "folder name is not UTF-8");
		return;
	}
	imapc_status(mb->client, server, status_got, op);
	free(server);
}

/* ---- fetch ---- */

static int
body_data(const void *data, size_t len, void *ctx)
{
	struct op *op = ctx;

	return op->data(data, len, op->ctx);
}

static void
imap_fetch(struct mbox *box, const struct drv_msg *m, drv_data_cb *data,
	   drv_cb *done, void *ctx)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;
	struct op *op = drv_imap_op_new(mb, OP_CB, ctx);

	op->u.cb = done;
	op->data = data;
	op->refused = DRV_MSG_BAD;
	imapc_fetch_body(mb->client, m->uid, body_data, plain_done, op);
}

/* ---- append ---- */

static void
appended(enum imapc_result r, const char *error, uint32_t uidvalidity,
	 uint32_t uid, void *ctx)
{
	struct op *op = ctx;

	op->uid = uid;
	drv_imap_op_done(op, drv_imap_status(r, DRV_BOX_BAD), error);
}

static void
imap_append(struct mbox *box, const char *folder, const void *data,
	    size_t len, unsigned int flags, time_t internal_date,
	    drv_uid_cb *cb, void *ctx)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;
	struct op *op = drv_imap_op_new(mb, OP_UID, ctx);
	char *server = name_to_server(mb, folder);
	struct buf fl;

	op->u.uid = cb;
	if (server == NULL) {
		drv_imap_op_done_later(op, DRV_BOX_BAD, "folder name is not UTF-8");
		return;
	}
	buf_init(&fl, 256);
	drv_imap_flag_list(flags, NULL, &fl);
	crash_point("remote.imap.append");
	imapc_append(mb->client, server, fl.len > 2 ? buf_cstr(&fl) : NULL,
		     internal_date, data, len, appended, op);
	buf_free(&fl);
	free(server);
}

/* ---- idle ---- */

static void
idle_restart(void *ctx);

static void
idle_done(enum imapc_result r, const char *error, void *ctx)
{
	struct imap_mbox *mb = ctx;

	mb->idle_cmd = false;
	if (mb->idle_wanted && r == IMAPC_OK)
		idle_restart(mb);
}

static void
idle_restart(void *ctx)
{
	struct imap_mbox *mb = ctx;

	if (!mb->idle_wanted || mb->idle_cmd)
		return;
	mb->idle_cmd = true;
	imapc_idle(mb->client, idle_done, mb);
	timer_start(mb->idle_timer, IDLE_RENEW_MS, false);
}

static void
idle_tick(void *ctx)
{
	struct imap_mbox *mb = ctx;

	if (!mb->idle_wanted)
		return;
	if ((imapc_caps(mb->client) & IMAPC_CAP_IDLE) == 0) {
		imapc_noop(mb->client, NULL, NULL);
		timer_start(mb->idle_timer, POLL_MS, false);
	} else {
		/* RFC 2177: renew before servers' 30-minute limit; the
		 * restart happens in idle_done */
		imapc_idle_stop(mb->client);
	}
}

static void
imap_idle(struct mbox *box, drv_event_cb *changed, void *ctx)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;

	mb->changed = changed;
	mb->changed_ctx = ctx;
	mb->idle_wanted = true;
	if ((imapc_caps(mb->client) & IMAPC_CAP_IDLE) == 0)
		timer_start(mb->idle_timer, POLL_MS, false);
	else
		idle_restart(mb);
}

static void
idle_off(struct imap_mbox *mb)
{
	mb->idle_wanted = false;
	timer_stop(mb->idle_timer);
	if (mb->idle_cmd)
		imapc_idle_stop(mb->client);
}

/* ---- close, cancel, destroy ---- */

static void
imap_close(struct mbox *box, drv_cb *cb, void *ctx)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;
	struct op *op = drv_imap_op_new(mb, OP_CB, ctx);

	op->u.cb = cb;
	op->refused = DRV_ACCOUNT_BAD;
	idle_off(mb);
	imapc_logout(mb->client, plain_done, op);
}

static void
imap_cancel(struct mbox *box)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;

	idle_off(mb);
	imapc_cancel(mb->client);
}

static void
mb_unref(struct imap_mbox *mb)
{
	if (--mb->refs > 0)
		return;
	while (mb->head != NULL) {
		struct op *op = mb->head;
		mb->head = op->next;
		op_free(op);
	}
	timer_free(&mb->idle_timer);
	buf_free(&mb->error);
	free(mb);
}

static void
imap_destroy(struct mbox **box)
{
	struct imap_mbox *mb = (struct imap_mbox *)*box;

	if (mb == NULL)
		return;
	*box = NULL;
	mb->gone = true;
	imapc_free(&mb->client);
	mb_unref(mb);
}

static const char *
imap_error(struct mbox *box)
{
	struct imap_mbox *mb = (struct imap_mbox *)box;

	return buf_cstr(&mb->error);
}

static void
on_event(const struct imapc_event *ev, void *ctx)
{
	struct imap_mbox *mb = ctx;

	drv_imap_listing_event(mb, ev);
	if (mb->idle_wanted && mb->changed != NULL &&
	    !(ev->type == IMAPC_EV_VANISHED && ev->earlier))
		mb->changed(mb->changed_ctx);
}

static const struct mbox_driver imap_driver = {
	.name = "imap",
	.caps = imap_caps,
	.connect = imap_connect,
	.list_folders = drv_imap_list_folders,
	.open_folder = imap_open_folder,
	.status = imap_status,
	.list_msgs = drv_imap_list_msgs,
	.fetch = imap_fetch,
	.set_flags = drv_imap_set_flags,
	.expunge = drv_imap_expunge,
	.append = imap_append,
	.idle = imap_idle,
	.close = imap_close,
	.cancel = imap_cancel,
	.destroy = imap_destroy,
	.error = imap_error,
};

static enum imapc_tls
tls_mode(int tls)
{
	switch (tls) {
	case ACCOUNT_TLS_STARTTLS:
		return IMAPC_TLS_STARTTLS;
	case ACCOUNT_TLS_NONE:
		return IMAPC_TLS_NONE;
	default:
		return IMAPC_TLS_IMPLICIT;
	}
}

struct mbox *
drv_imap_new(struct loop *loop, const struct drv_account *acct)
{
	struct imap_mbox *mb = xcalloc(1, sizeof(*mb));
	struct imapc_settings set = {
		.host = acct->host, .port = acct->port,
		.tls = tls_mode(acct->tls), .login = acct->login,
		.password = acct->password, .ca_file = acct->ca_file,
		.pin_sha256 = acct->pin_sha256, .session = acct->session,
		.timeout_ms = acct->timeout_ms,
	};

	mb->base.drv = &imap_driver;
	mb->loop = loop;
	mb->refs = 1;
	buf_init(&mb->error, 1024);
	mb->client = imapc_new(loop, &set);
	mb->idle_timer = timer_new(loop, idle_tick, mb);
	imapc_set_event_cb(mb->client, on_event, mb);
	return &mb->base;
}
