/* tests for src/sync/drv-pop3.c through the driver vtable, against the
 * fake POP3 server of tests/unit/client. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "lib/crash.h"
#include "registry/registry.h"
#include "sync/driver.h"
#include "fakepop3.h"
#include "nettest.h"

static char trace_path[64];

static const struct fake_msg three[] = {
	{ "uid-1", "Subject: one\nMessage-ID: <1@x>\n\nfirst\n" },
	{ "uid-2", "Subject: two\nFrom: b@x\n\n.dot\nsecond\n" },
	{ "uid-3", "Subject: three\n\nthird\n" },
};

struct fx {
	struct loop *loop;
	struct fake_pop3 srv;
	struct mbox *mb;
	bool in_call;
	unsigned int ncb, want;
	enum drv_status st;
	struct drv_msg msgs[8];
	char ids[8][80], mids[8][80];
	size_t nmsgs;
	uint32_t count;
	struct buf data;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->loop = loop_new();
	fx->srv.msgs = three;
	fx->srv.nmsgs = 3;
	fx->srv.pipelining = true;
	buf_init(&fx->data, 1 << 20);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	if (fx->mb != NULL)
		fx->mb->drv->destroy(&fx->mb);
	fake_stop(&fx->srv);
	nt_run(fx->loop, 50);
	loop_free(&fx->loop);
	buf_free(&fx->data);
	free(fx);
	return 0;
}

static void
got(struct fx *fx, enum drv_status st)
{
	assert_false(fx->in_call);	/* never from inside the call */
	fx->st = st;
	if (++fx->ncb >= fx->want)
		loop_break(fx->loop);
}

static void
on_done(enum drv_status st, void *ctx)
{
	got(ctx, st);
}

static void
on_folders(enum drv_status st, const struct drv_folder *f, size_t n,
	   void *ctx)
{
	assert_int_equal(n, 1);
	assert_string_equal(f[0].name, "INBOX");
	got(ctx, st);
}

static void
on_open(enum drv_status st, const struct drv_box_info *i, void *ctx)
{
	struct fx *fx = ctx;

	fx->count = i->count;
	got(fx, st);
}

static void
on_msgs(enum drv_status st, const struct drv_msg_list *l, void *ctx)
{
	struct fx *fx = ctx;
	size_t i;

	fx->nmsgs = l->count;
	for (i = 0; i < l->count && i < 8; i++) {
		fx->msgs[i] = l->msgs[i];
		snprintf(fx->ids[i], sizeof(fx->ids[i]), "%s",
			 l->msgs[i].id);
		snprintf(fx->mids[i], sizeof(fx->mids[i]), "%s",
			 l->msgs[i].message_id != NULL ?
			 l->msgs[i].message_id : "-");
		fx->msgs[i].id = fx->ids[i];
	}
	got(fx, st);
}

static int
on_data(const void *d, size_t len, void *ctx)
{
	struct fx *fx = ctx;

	buf_append(&fx->data, d, len);
	return 0;
}

static void
wait_for(struct fx *fx, unsigned int want)
{
	fx->in_call = false;
	fx->ncb = 0;
	fx->want = want;
	assert_false(nt_run(fx->loop, 10000));
}

static enum drv_status
open_mb(struct fx *fx)
{
	struct drv_account a = { .host = "127.0.0.1",
		.tls = ACCOUNT_TLS_NONE, .login = "alice",
		.password = "s3cret", .session = "drvtest",
		.timeout_ms = 5000 };

	fake_start(&fx->srv, fx->loop);
	a.port = (unsigned int)fx->srv.port;
	fx->mb = drv_pop3_new(fx->loop, &a);
	assert_int_equal(fx->mb->drv->caps(fx->mb), DRV_CAP_DELETE_AT_CLOSE);
	fx->in_call = true;
	fx->mb->drv->connect(fx->mb, on_done, fx);
	fx->mb->drv->open_folder(fx->mb, "INBOX", on_open, fx);
	wait_for(fx, 2);
	return fx->st;
}

static void
list(struct fx *fx, bool want_mid)
{
	struct drv_list_req req = { .want_message_id = want_mid };

	fx->in_call = true;
	fx->mb->drv->list_msgs(fx->mb, &req, on_msgs, fx);
	wait_for(fx, 1);
}

static void
assert_trace_has(const char *name)
{
	char text[4096];
	FILE *f = fopen(trace_path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	assert_non_null(strstr(text, name));
}

static void
test_drv_pop3_full_cycle(void **state)
{
	struct fx *fx = *state;
	const struct drv_msg *del[1];
	unsigned long crash0;

	assert_int_equal(open_mb(fx), DRV_OK);
	assert_int_equal(fx->count, 3);
	fx->in_call = true;
	fx->mb->drv->list_folders(fx->mb, on_folders, fx);
	wait_for(fx, 1);
	list(fx, true);
	assert_int_equal(fx->st, DRV_OK);
	assert_int_equal(fx->nmsgs, 3);
	assert_string_equal(fx->ids[0], "uid-1");
	assert_string_equal(fx->mids[0], "1@x");
	assert_string_equal(fx->mids[1], "-");
	assert_int_equal(fx->msgs[1].seq, 2);
	fx->in_call = true;
	fx->mb->drv->fetch(fx->mb, &fx->msgs[1], on_data, on_done, fx);
	wait_for(fx, 1);
	assert_int_equal(fx->st, DRV_OK);
	assert_string_equal(buf_cstr(&fx->data),
			    "Subject: two\r\nFrom: b@x\r\n\r\n.dot\r\nsecond\r\n");
	crash0 = crash_points_reached();
	del[0] = &fx->msgs[0];
	fx->in_call = true;
	fx->mb->drv->expunge(fx->mb, del, 1, on_done, fx);
	fx->mb->drv->close(fx->mb, on_done, fx);
	wait_for(fx, 2);
	assert_int_equal(fx->st, DRV_OK);
	assert_int_equal(crash_points_reached() - crash0, 2);
	assert_trace_has("remote.pop3.dele");
	assert_trace_has("remote.pop3.quit");
	assert_true(fx->srv.committed);
	assert_true(fx->srv.deleted[0]);
	assert_false(fx->srv.deleted[1]);
}

static void
test_drv_pop3_no_uidl(void **state)
{
	struct fx *fx = *state;

	fx->srv.uidl_err = true;
	assert_int_equal(open_mb(fx), DRV_OK);
	list(fx, false);
	assert_int_equal(fx->st, DRV_OK);
	assert_int_equal(fx->nmsgs, 3);
	assert_true(strncmp(fx->ids[0], "fp:", 3) == 0);
	assert_int_equal(strlen(fx->ids[0]), 3 + 64);
	assert_string_not_equal(fx->ids[0], fx->ids[1]);
	assert_string_equal(fx->mids[0], "1@x");
}

static void
test_drv_pop3_no_uidl_no_top(void **state)
{
	struct fx *fx = *state;

	fx->srv.uidl_err = true;
	fx->srv.top_err = true;
	assert_int_equal(open_mb(fx), DRV_OK);
	list(fx, false);
	assert_int_equal(fx->st, DRV_BOX_BAD);
	assert_non_null(strstr(fx->mb->drv->error(fx->mb), "no UIDL"));
}

static void
test_drv_pop3_duplicate_uidl(void **state)
{
	static const struct fake_msg dup[] = {
		{ "same", "Subject: a\n\na\n" },
		{ "same", "Subject: b\n\nb\n" },
	};
	struct fx *fx = *state;

	fx->srv.msgs = dup;
	fx->srv.nmsgs = 2;
	assert_int_equal(open_mb(fx), DRV_OK);
	list(fx, true);
	assert_int_equal(fx->st, DRV_BOX_BAD);
	assert_non_null(strstr(fx->mb->drv->error(fx->mb),
			       "UIDL same twice"));
}

static void
test_drv_pop3_quit_dropped(void **state)
{
	struct fx *fx = *state;
	const struct drv_msg *del[1];

	fx->srv.drop_at_quit = true;
	assert_int_equal(open_mb(fx), DRV_OK);
	list(fx, false);
	del[0] = &fx->msgs[2];
	fx->in_call = true;
	fx->mb->drv->expunge(fx->mb, del, 1, on_done, fx);
	wait_for(fx, 1);
	assert_int_equal(fx->st, DRV_OK);	/* DELE got +OK */
	fx->in_call = true;
	fx->mb->drv->close(fx->mb, on_done, fx);
	wait_for(fx, 1);
	assert_int_equal(fx->st, DRV_ACCOUNT_BAD);
	assert_false(fx->srv.committed);
	assert_non_null(strstr(fx->mb->drv->error(fx->mb), "QUIT"));
}

static void
test_drv_pop3_bad_login(void **state)
{
	struct fx *fx = *state;

	fx->srv.pass = "other";
	assert_int_equal(open_mb(fx), DRV_ACCOUNT_BAD);
	assert_non_null(strstr(fx->mb->drv->error(fx->mb), "login failed"));
}

static void
test_drv_pop3_cancel(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(open_mb(fx), DRV_OK);
	fx->in_call = true;
	fx->mb->drv->list_msgs(fx->mb, NULL, on_msgs, fx);
	fx->mb->drv->close(fx->mb, on_done, fx);
	fx->mb->drv->cancel(fx->mb);
	wait_for(fx, 2);
	assert_int_equal(fx->st, DRV_CANCELED);
	assert_false(fx->srv.committed);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_drv_pop3_full_cycle),
		T(test_drv_pop3_no_uidl),
		T(test_drv_pop3_no_uidl_no_top),
		T(test_drv_pop3_duplicate_uidl),
		T(test_drv_pop3_quit_dropped),
		T(test_drv_pop3_bad_login),
		T(test_drv_pop3_cancel),
	};

	int rc;

	snprintf(trace_path, sizeof(trace_path), "/tmp/conflux-crash-%d",
		 (int)getpid());
	setenv("CONFLUX_CRASH_TRACE", trace_path, 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(trace_path);
	return rc;
}
