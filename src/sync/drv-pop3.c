/* The POP3 mailbox driver: one folder (INBOX), ids from UIDL (or a header
 * fingerprint), deletes that count only once QUIT got +OK. A thin adapter
 * of driver.h onto client/pop3c. See docs/internals/pop3-client.md.
 * Listings (STAT, LIST, UIDL, TOP) are in drv-pop3-list.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client/pop3c.h"
#include "lib/buf.h"
#include "lib/crash.h"
#include "lib/log.h"
#include "lib/strx.h"
#include "lib/xalloc.h"
#include "net/loop.h"
#include "registry/registry.h"
#include "sync/drv-pop3-private.h"

static const struct mbox_driver pop3_driver;

/* ---- lifetime, op queue ---- */

static void
mbox_unref(struct pop3_mbox *m)
{
	if (--m->refs > 0)
		return;
	free(m);
}

static void
op_free(struct op *op)
{
	buf_free(&op->hdr);
	free(op);
}

static void
deliver(struct pop3_mbox *m, struct op *op)
{
	struct drv_folder inbox = { "INBOX", NULL, 1 };
	struct drv_msg_list l = { m->msgs, m->nmsgs, NULL, 0, 0 };

	switch (op->kind) {
	case OP_FOLDERS:
		op->u.folders(op->st, &inbox, op->st == DRV_OK, op->ctx);
		break;
	case OP_OPEN:
		op->u.open(op->st, &op->info, op->ctx);
		break;
	case OP_LIST:
		if (op->st != DRV_OK)
			l.count = 0;
		op->u.msgs(op->st, &l, op->ctx);
		break;
	default:
		op->u.cb(op->st, op->ctx);
		break;
	}
}

/* Runs the callbacks of finished ops at the head, in order. The last
 * thing a caller does: a callback may destroy the mailbox. */
void
drv_pop3_drain(struct pop3_mbox *m)
{
	struct op *op;

	m->refs++;
	while (!m->dead && (op = m->head) != NULL && op->finished) {
		m->head = op->next;
		if (m->tail == op)
			m->tail = NULL;
		deliver(m, op);
		op_free(op);
	}
	mbox_unref(m);
}

static void
drain_deferred(void *ctx)
{
	struct pop3_mbox *m = ctx;

	m->drain_scheduled = false;
	drv_pop3_drain(m);
	mbox_unref(m);
}

static void
schedule_drain(struct pop3_mbox *m)
{
	if (m->drain_scheduled)
		return;
	m->drain_scheduled = true;
	m->refs++;
	loop_defer(m->loop, drain_deferred, m);
}

void
drv_pop3_finish(struct pop3_mbox *m, struct op *op, enum drv_status st,
		const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	op->finished = true;
	op->st = st;
	if (st == DRV_ACCOUNT_BAD)
		m->broken = true;
	if (st == DRV_OK || fmt == NULL)
		return;
	/* Format first: an argument may point into m->error. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	buf_reset(&m->error);
	buf_append_str(&m->error, msg);
	slog_info(m->set.session, "pop3: %s", buf_cstr(&m->error));
}

enum drv_status
drv_pop3_status(const struct pop3c_reply *r, enum drv_status on_err)
{
	switch (r->result) {
	case POP3C_OK:
		return DRV_OK;
	case POP3C_FAILED:
		return DRV_ACCOUNT_BAD;
	default:
		return on_err;
	}
}

static void start_op(struct pop3_mbox *m, struct op *op);

void
drv_pop3_issue_ops(struct pop3_mbox *m)
{
	struct op *op;

	while (!m->blocked && (op = m->unissued) != NULL) {
		m->unissued = op->next;
		if (m->broken) {
			drv_pop3_finish(m, op, DRV_ACCOUNT_BAD, NULL);
			schedule_drain(m);
		} else {
			start_op(m, op);
		}
	}
}

static struct op *
add_op(struct pop3_mbox *m, enum op_kind kind, void *ctx)
{
	struct op *op = xcalloc(1, sizeof(*op));

	op->m = m;
	op->kind = kind;
	op->ctx = ctx;
	if (m->tail != NULL)
		m->tail->next = op;
	else
		m->head = op;
	m->tail = op;
	if (m->unissued == NULL)
		m->unissued = op;
	return op;
}

/* ---- connect, folders, open ---- */

static void
connect_done(struct pop3c *pc, const struct pop3c_reply *r, void *ctx)
{
	struct op *op = ctx;

	struct pop3_mbox *m = op->m;

	if (r->result == POP3C_OK)
		drv_pop3_finish(m, op, DRV_OK, NULL);
	else
		drv_pop3_finish(m, op, DRV_ACCOUNT_BAD, "%s", r->text);
	m->blocked = false;
	drv_pop3_issue_ops(m);
	drv_pop3_drain(m);
}

/* ---- fetch, expunge, close ---- */

static int
fetch_data(struct pop3c *pc, const char *data, size_t len, void *ctx)
{
	struct op *op = ctx;
	struct pop3_mbox *m = op->m;
	bool dead;

	/* Earlier ops that finished locally report first. */
	m->refs++;
	drv_pop3_drain(m);
	dead = m->dead;
	mbox_unref(m);
	if (dead)
		return -1;
	return op->data(data, len, op->ctx);
}

static void
fetch_done(struct pop3c *pc, const struct pop3c_reply *r, void *ctx)
{
	struct op *op = ctx;

	drv_pop3_finish(op->m, op, drv_pop3_status(r, DRV_MSG_BAD), "%s",
			pop3c_error(pc));
	drv_pop3_drain(op->m);
}

static void
dele_done(struct pop3c *pc, const struct pop3c_reply *r, void *ctx)
{
	struct op *op = ctx;
	struct pop3_mbox *m = op->m;
	enum drv_status st = drv_pop3_status(r, DRV_BOX_BAD);

	if (st != DRV_OK && op->worst != DRV_ACCOUNT_BAD) {
		op->worst = st;
		buf_reset(&m->error);
		buf_printf(&m->error, "%s", pop3c_error(pc));
	}
	if (--op->left > 0)
		return;
	drv_pop3_finish(m, op, op->worst, "%s", buf_cstr(&m->error));
	drv_pop3_drain(m);
}

static void
quit_done(struct pop3c *pc, const struct pop3c_reply *r, void *ctx)
{
	struct op *op = ctx;
	struct pop3_mbox *m = op->m;

	if (r->result == POP3C_OK)
		drv_pop3_finish(m, op, DRV_OK, NULL);
	else
		drv_pop3_finish(m, op, DRV_ACCOUNT_BAD, "QUIT failed, "
				"deletions not committed: %s",
				pop3c_error(pc));
	m->broken = true;	/* the session is over either way */
	drv_pop3_drain(m);
}

/* ---- issuing ---- */

static void
local_finish(struct pop3_mbox *m, struct op *op, enum drv_status st,
	     const char *why)
{
	drv_pop3_finish(m, op, st, "%s", why);
	schedule_drain(m);
}

static void
start_expunge(struct pop3_mbox *m, struct op *op)
{
	const struct drv_msg *const *ms = (const void *)op->hdr.data;
	size_t i;

	op->left = op->hdr.len / sizeof(*ms);
	if (op->left == 0) {
		local_finish(m, op, DRV_OK, "");
		return;
	}
	for (i = 0; i < op->hdr.len / sizeof(*ms); i++) {
		crash_point("remote.pop3.dele");
		pop3c_dele(m->pc, ms[i]->seq, dele_done, op);
	}
}

static void
start_op(struct pop3_mbox *m, struct op *op)
{
	switch (op->kind) {
	case OP_CONNECT:
		m->blocked = true;
		pop3c_connect(m->pc, connect_done, op);
		break;
	case OP_FOLDERS:
		local_finish(m, op, DRV_OK, "");
		break;
	case OP_OPEN:
		if (op->bad_name)
			local_finish(m, op, DRV_BOX_BAD,
				     "POP3 has no folder but INBOX");
		else
			drv_pop3_stat(m, op);
		break;
	case OP_LIST:
		drv_pop3_list(m, op);
		break;
	case OP_FETCH:
		pop3c_retr(m->pc, op->seq, fetch_data, fetch_done, op);
		break;
	case OP_FLAGS:
		local_finish(m, op, DRV_BOX_BAD, "POP3 has no flags");
		break;
	case OP_EXPUNGE:
		start_expunge(m, op);
		break;
	case OP_CLOSE:
		crash_point("remote.pop3.quit");
		pop3c_quit(m->pc, quit_done, op);
		break;
	}
}

/* ---- the vtable ---- */

#define MB(mb) ((struct pop3_mbox *)(mb))

static unsigned int
pop3_caps(struct mbox *mb)
{
	return DRV_CAP_DELETE_AT_CLOSE;
}

static void
pop3_connect(struct mbox *mb, drv_cb *cb, void *ctx)
{
	struct op *op = add_op(MB(mb), OP_CONNECT, ctx);

	op->u.cb = cb;
	drv_pop3_issue_ops(MB(mb));
}

static void
pop3_list_folders(struct mbox *mb, drv_folders_cb *cb, void *ctx)
{
	struct op *op = add_op(MB(mb), OP_FOLDERS, ctx);

	op->u.folders = cb;
	drv_pop3_issue_ops(MB(mb));
}

static void
pop3_open_folder(struct mbox *mb, const char *name, drv_open_cb *cb,
		 void *ctx)
{
	struct op *op = add_op(MB(mb), OP_OPEN, ctx);

	op->u.open = cb;
	op->bad_name = str_casecmp(name, "INBOX") != 0;
	drv_pop3_issue_ops(MB(mb));
}

static void
pop3_list_msgs(struct mbox *mb, const struct drv_list_req *req,
	       drv_msgs_cb *cb, void *ctx)
{
	struct op *op = add_op(MB(mb), OP_LIST, ctx);

	op->u.msgs = cb;
	op->want_mid = req != NULL && req->want_message_id;
	drv_pop3_issue_ops(MB(mb));
}

static void
pop3_fetch(struct mbox *mb, const struct drv_msg *msg, drv_data_cb *data,
	   drv_cb *done, void *ctx)
{
	struct op *op = add_op(MB(mb), OP_FETCH, ctx);

	op->u.cb = done;
	op->data = data;
	op->seq = msg->seq;
	drv_pop3_issue_ops(MB(mb));
}

static void
pop3_set_flags(struct mbox *mb, const struct drv_msg *msg, unsigned int add,
	       unsigned int del, const char *add_kw, const char *del_kw,
	       drv_cb *cb, void *ctx)
{
	struct op *op = add_op(MB(mb), OP_FLAGS, ctx);

	op->u.cb = cb;
	drv_pop3_issue_ops(MB(mb));
}

static void
pop3_expunge(struct mbox *mb, const struct drv_msg *const *ms, size_t n,
	     drv_cb *cb, void *ctx)
{
	struct op *op = add_op(MB(mb), OP_EXPUNGE, ctx);

	op->u.cb = cb;
	/* The caller's array stays valid until the callback: keep a copy
	 * of the pointers anyway, so issue order does not depend on it. */
	buf_init(&op->hdr, (n + 1) * sizeof(*ms));
	if (n > 0)
		(void)buf_append(&op->hdr, ms, n * sizeof(*ms));
	drv_pop3_issue_ops(MB(mb));
}

static void
pop3_close(struct mbox *mb, drv_cb *cb, void *ctx)
{
	struct op *op = add_op(MB(mb), OP_CLOSE, ctx);

	op->u.cb = cb;
	drv_pop3_issue_ops(MB(mb));
}

static void
pop3_cancel(struct mbox *mb)
{
	struct pop3_mbox *m = MB(mb);
	struct op *op;

	for (op = m->head; op != NULL; op = op->next)
		if (!op->finished)
			drv_pop3_finish(m, op, DRV_CANCELED, "canceled");
	/* Without QUIT the server applies no DELE (RFC 1939 section 6). */
	pop3c_free(&m->pc);
	m->broken = true;
	m->blocked = false;
	m->unissued = NULL;
	schedule_drain(m);
}

static void
pop3_destroy(struct mbox **mbp)
{
	struct pop3_mbox *m = MB(*mbp);
	struct op *op;

	if (m == NULL)
		return;
	*mbp = NULL;
	m->dead = true;
	pop3c_free(&m->pc);
	while ((op = m->head) != NULL) {
		m->head = op->next;
		op_free(op);
	}
	drv_pop3_listing_free(m);
	free((char *)m->set.host);
	free((char *)m->set.login);
	free((char *)m->set.session);
	free((char *)m->set.ca_file);
	free((char *)m->set.pin_sha256);
	buf_free(&m->error);
	mbox_unref(m);
}

static const char *
pop3_error(struct mbox *mb)
{
	return buf_cstr(&MB(mb)->error);
}

static const struct mbox_driver pop3_driver = {
	.name = "pop3",
	.caps = pop3_caps,
	.connect = pop3_connect,
	.list_folders = pop3_list_folders,
	.open_folder = pop3_open_folder,
	.status = NULL,
	.list_msgs = pop3_list_msgs,
	.fetch = pop3_fetch,
	.set_flags = pop3_set_flags,
	.expunge = pop3_expunge,
	.append = NULL,
	.idle = NULL,
	.close = pop3_close,
	.cancel = pop3_cancel,
	.destroy = pop3_destroy,
	.error = pop3_error,
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static enum pop3c_tls
tls_mode(int tls)
{
	switch (tls) {
	case ACCOUNT_TLS_STARTTLS:
		return POP3C_TLS_STARTTLS;
	case ACCOUNT_TLS_NONE:
		return POP3C_TLS_NONE;
	default:
		return POP3C_TLS_IMPLICIT;
	}
}

struct mbox *
drv_pop3_new(struct loop *loop, const struct drv_account *acct)
{
	struct pop3_mbox *m = xcalloc(1, sizeof(*m));

	m->mb.drv = &pop3_driver;
	m->loop = loop;
	m->refs = 1;
	m->set.host = xstrdup(acct->host);
	m->set.port = acct->port;
	m->set.tls = tls_mode(acct->tls);
	m->set.login = dup_or_null(acct->login);
	m->set.session = xstrdup(acct->session != NULL ? acct->session : "-");
	m->set.ca_file = dup_or_null(acct->ca_file);
	m->set.pin_sha256 = dup_or_null(acct->pin_sha256);
	m->set.timeout_ms = acct->timeout_ms;
	m->set.password = acct->password;
	buf_init(&m->error, 1024);
	m->pc = pop3c_new(loop, &m->set);
	m->set.password = NULL;
	return &m->mb;
}
