/* drv-store: the driver vtable over the local store. */
#include "sync/drv-store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "net/loop.h"

struct store_mbox {
	struct mbox base;
	struct loop *loop;
	struct store *st;
	char *user;
	struct store_folder folder;	/* the open one; id 0 when none */
	char *error;
	int destroyed;
	unsigned int pending;		/* deferred ops not yet run */
};

/* One deferred operation: its arguments and its callback. */
struct op {
	struct store_mbox *mb;
	void (*run)(struct op *op);
	void *cb;
	void *ctx;
	char *name;
	const struct drv_msg *msg;
	const struct drv_msg *const *msgs;
	size_t n;
	unsigned int add, del;
	char *add_kw, *del_kw;
	drv_data_cb *data;
};

static void
set_error(struct store_mbox *mb, const char *what)
{
	free(mb->error);
	mb->error = xasprintf("%s: %s", what, store_error(mb->st));
}

static void
op_free(struct op *op)
{
	free(op->name);
	free(op->add_kw);
	free(op->del_kw);
	free(op);
}

static void
op_run(void *ctx)
{
	struct op *op = ctx;
	struct store_mbox *mb = op->mb;

	/* Still pending while it runs: its callback may destroy the mbox,
	 * which must then wait for us to finish. */
	if (!mb->destroyed)
		op->run(op);
	mb->pending--;
	if (mb->destroyed && mb->pending == 0) {
		free(mb->user);
		free(mb->error);
		free(mb);
	}
	op_free(op);
}

static struct op *
op_new(struct store_mbox *mb, void (*run)(struct op *), void *cb, void *ctx)
{
	struct op *op = xcalloc(1, sizeof(*op));

	op->mb = mb;
	op->run = run;
	op->cb = cb;
	op->ctx = ctx;
	return op;
}

static void
op_defer(struct op *op)
{
	op->mb->pending++;
	loop_defer(op->mb->loop, op_run, op);
}

/* ---- operations ------------------------------------------------------ */

static unsigned int
store_caps(struct mbox *m)
{
	return DRV_CAP_FOLDERS | DRV_CAP_FLAGS | DRV_CAP_UIDPLUS;
}

static void
run_ok(struct op *op)
{
	((drv_cb *)op->cb)(DRV_OK, op->ctx);
}

static void
store_connect(struct mbox *m, drv_cb *cb, void *ctx)
{
	op_defer(op_new((struct store_mbox *)m, run_ok, (void *)cb, ctx));
}

struct folder_acc {
	struct drv_folder *f;
	size_t n;
};

static int
add_folder(const struct store_folder *f, void *ctx)
{
	struct folder_acc *acc = ctx;

	acc->f = xrealloc(acc->f, (acc->n + 1) * sizeof(*acc->f));
	acc->f[acc->n++] = (struct drv_folder){
		xstrdup(f->name),
		f->special_use ? xstrdup(f->special_use) : NULL, 1 };
	return 0;
}

static void
run_list_folders(struct op *op)
{
	struct folder_acc acc = { NULL, 0 };
	int rc = store_folder_list(op->mb->st, op->mb->user, add_folder, &acc);

	if (rc != STORE_OK)
		set_error(op->mb, "listing folders");
	((drv_folders_cb *)op->cb)(rc == STORE_OK ? DRV_OK : DRV_ACCOUNT_BAD,
				   acc.f, acc.n, op->ctx);
	for (size_t i = 0; i < acc.n; i++) {
		free((char *)acc.f[i].name);
		free((char *)acc.f[i].special_use);
	}
	free(acc.f);
}

static void
store_list_folders(struct mbox *m, drv_folders_cb *cb, void *ctx)
{
	op_defer(op_new((struct store_mbox *)m, run_list_folders, (void *)cb,
			ctx));
}

static void
run_open(struct op *op)
{
	struct store_mbox *mb = op->mb;
	struct drv_box_info info = { 0, 0, 0, 0 };
	int rc;

	store_folder_clear(&mb->folder);
	rc = store_folder_get(mb->st, mb->user, op->name, &mb->folder);
	if (rc == STORE_OK) {
		info.identity = mb->folder.uidvalidity;
		info.count = mb->folder.messages;
		info.uidnext = mb->folder.uidnext;
	} else {
		set_error(mb, op->name);
	}
	((drv_open_cb *)op->cb)(rc == STORE_OK ? DRV_OK : DRV_BOX_BAD, &info,
				op->ctx);
}

static void
store_open_folder(struct mbox *m, const char *name, drv_open_cb *cb,
		  void *ctx)
{
	struct op *op = op_new((struct store_mbox *)m, run_open, (void *)cb,
			       ctx);

	op->name = xstrdup(name);
	op_defer(op);
}

struct msg_acc {
	struct drv_msg *m;
	char **strings;
	size_t n;
};

static int
add_msg(const struct store_msg *sm, void *ctx)
{
	struct msg_acc *acc = ctx;
	size_t i = acc->n++;

	acc->m = xrealloc(acc->m, acc->n * sizeof(*acc->m));
	acc->strings = xrealloc(acc->strings, acc->n * 3 * sizeof(char *));
	acc->strings[3 * i] = xasprintf("%" PRIu32, sm->uid);
	acc->strings[3 * i + 1] = xstrdup(sm->keywords ? sm->keywords : "");
	acc->strings[3 * i + 2] = sm->message_id ? xstrdup(sm->message_id) :
		NULL;
	acc->m[i] = (struct drv_msg){
		.id = acc->strings[3 * i], .uid = sm->uid,
		.seq = (uint32_t)acc->n, .size = sm->size, .flags = sm->flags,
		.keywords = acc->strings[3 * i + 1],
		.message_id = acc->strings[3 * i + 2],
		.internal_date = sm->internal_date, .modseq = sm->modseq,
	};
	return 0;
}

static void
run_list_msgs(struct op *op)
{
	struct store_mbox *mb = op->mb;
	struct msg_acc acc = { NULL, NULL, 0 };
	struct drv_msg_list l;
	int rc = store_msg_list(mb->st, mb->folder.id, 1, add_msg, &acc);

	memset(&l, 0, sizeof(l));
	l.msgs = acc.m;
	l.count = acc.n;
	if (rc != STORE_OK)
		set_error(mb, "listing messages");
	((drv_msgs_cb *)op->cb)(rc == STORE_OK ? DRV_OK : DRV_BOX_BAD, &l,
				op->ctx);
	for (size_t i = 0; i < 3 * acc.n; i++)
		free(acc.strings[i]);
	free(acc.strings);
	free(acc.m);
}

static void
store_list_msgs(struct mbox *m, const struct drv_list_req *req,
		drv_msgs_cb *cb, void *ctx)
{
	op_defer(op_new((struct store_mbox *)m, run_list_msgs, (void *)cb,
			ctx));
}

static enum drv_status
stream_file(struct op *op, int fd)
{
	char data[65536];
	ssize_t n;

	while ((n = read(fd, data, sizeof(data))) > 0) {
		if (op->data(data, (size_t)n, op->ctx) < 0)
			return DRV_MSG_BAD;
	}
	return n == 0 ? DRV_OK : DRV_MSG_BAD;
}

static void
run_fetch(struct op *op)
{
	struct store_mbox *mb = op->mb;
	int fd = store_msg_open(mb->st, mb->folder.id, op->msg->uid);
	enum drv_status st = DRV_MSG_BAD;

	if (fd >= 0) {
		st = stream_file(op, fd);
		close(fd);
	}
	if (st != DRV_OK) {
		free(mb->error);
		mb->error = xasprintf("reading message %s: %s", op->msg->id,
				      strerror(fd < 0 ? errno : EIO));
	}
	((drv_cb *)op->cb)(st, op->ctx);
}

static void
store_fetch(struct mbox *m, const struct drv_msg *msg, drv_data_cb *data,
	    drv_cb *done, void *ctx)
{
	struct op *op = op_new((struct store_mbox *)m, run_fetch, (void *)done,
			       ctx);

	op->msg = msg;
	op->data = data;
	op_defer(op);
}

static void
run_set_flags(struct op *op)
{
	struct store_mbox *mb = op->mb;
	int rc = store_msg_set_flags(mb->st, mb->folder.id, op->msg->uid,
				     op->add, op->del, op->add_kw,
				     op->del_kw, NULL);

	if (rc != STORE_OK)
		set_error(mb, "setting flags");
	((drv_cb *)op->cb)(rc == STORE_OK ? DRV_OK : DRV_MSG_BAD, op->ctx);
}

static void
store_set_flags(struct mbox *m, const struct drv_msg *msg, unsigned int add,
		unsigned int del, const char *add_kw, const char *del_kw,
		drv_cb *cb, void *ctx)
{
	struct op *op = op_new((struct store_mbox *)m, run_set_flags,
			       (void *)cb, ctx);

	op->msg = msg;
	op->add = add;
	op->del = del;
	op->add_kw = add_kw ? xstrdup(add_kw) : NULL;
	op->del_kw = del_kw ? xstrdup(del_kw) : NULL;
	op_defer(op);
}

static void
run_expunge(struct op *op)
{
	struct store_mbox *mb = op->mb;
	uint32_t *uids = xcalloc(op->n + 1, sizeof(*uids));
	int rc;

	for (size_t i = 0; i < op->n; i++)
		uids[i] = op->msgs[i]->uid;
	rc = store_msg_expunge(mb->st, mb->folder.id, uids, op->n);
	free(uids);
	if (rc != STORE_OK)
		set_error(mb, "expunging");
	((drv_cb *)op->cb)(rc == STORE_OK ? DRV_OK : DRV_BOX_BAD, op->ctx);
}

static void
store_expunge(struct mbox *m, const struct drv_msg *const *msgs, size_t n,
	      drv_cb *cb, void *ctx)
{
	struct op *op = op_new((struct store_mbox *)m, run_expunge, (void *)cb,
			       ctx);

	op->msgs = msgs;
	op->n = n;
	op_defer(op);
}

static void
sd_close(struct mbox *m, drv_cb *cb, void *ctx)
{
	op_defer(op_new((struct store_mbox *)m, run_ok, (void *)cb, ctx));
}

static void
store_cancel(struct mbox *m)
{
	/* Operations are local and short: they simply run. */
}

static void
store_destroy(struct mbox **m)
{
	struct store_mbox *mb = (struct store_mbox *)*m;

	if (mb == NULL)
		return;
	*m = NULL;
	store_folder_clear(&mb->folder);
	mb->destroyed = 1;
	if (mb->pending == 0) {
		free(mb->user);
		free(mb->error);
		free(mb);
	}
}

static const char *
store_drv_error(struct mbox *m)
{
	struct store_mbox *mb = (struct store_mbox *)m;

	return mb->error != NULL ? mb->error : "";
}

static const struct mbox_driver store_driver = {
	.name = "store",
	.caps = store_caps,
	.connect = store_connect,
	.list_folders = store_list_folders,
	.open_folder = store_open_folder,
	.status = NULL,
	.list_msgs = store_list_msgs,
	.fetch = store_fetch,
	.set_flags = store_set_flags,
	.expunge = store_expunge,
	.append = NULL,
	.idle = NULL,
	.close = sd_close,
	.cancel = store_cancel,
	.destroy = store_destroy,
	.error = store_drv_error,
};

struct mbox *
drv_store_new(struct loop *loop, struct store *st, const char *user)
{
	struct store_mbox *mb = xcalloc(1, sizeof(*mb));

	mb->base.drv = &store_driver;
	mb->loop = loop;
	mb->st = st;
	mb->user = xstrdup(user);
	return &mb->base;
}
