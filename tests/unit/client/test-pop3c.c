/* tests for src/client/pop3c.c and pp.c against an in-process fake POP3
 * server: login paths, STLS, pipelining, cut and garbage answers,
 * timeouts, duplicate UIDLs, QUIT failures, big and bare-LF messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/pop3c.h"
#include "lib/buf.h"
#include "net/tls.h"
#include "fakepop3.h"
#include "nettest.h"

static const struct fake_msg three[] = {
	{ "uid-1", "Subject: one\nMessage-ID: <1@x>\n\nfirst\n" },
	{ "uid-2", "Subject: two\n\n.hidden dot\n.\n..two dots\nend\n" },
	{ "uid-3", "Subject: three\n\nthird\n" },
};

struct fx {
	struct loop *loop;
	struct fake_pop3 srv;
	struct pop3c_settings set;
	struct pop3c *pc;
	/* results */
	unsigned int ncb, want;
	enum pop3c_result last;
	char text[512];
	struct buf data;
	size_t max_chunk, n;
	char uidls[256];
};

static struct nt_certs certs;
static struct tls_ctx *server_tls;

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->loop = loop_new();
	fx->srv.msgs = three;
	fx->srv.nmsgs = 3;
	buf_init(&fx->data, 64 * 1024 * 1024);
	fx->set.host = "127.0.0.1";
	fx->set.tls = POP3C_TLS_NONE;
	fx->set.login = "alice";
	fx->set.password = "s3cret";
	fx->set.session = "test";
	fx->set.timeout_ms = 5000;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	pop3c_free(&fx->pc);
	fake_stop(&fx->srv);
	nt_run(fx->loop, 50);
	loop_free(&fx->loop);
	buf_free(&fx->data);
	free(fx);
	return 0;
}

static void
got(struct fx *fx, const struct pop3c_reply *r)
{
	fx->last = r->result;
	snprintf(fx->text, sizeof(fx->text), "%s", r->text);
	if (++fx->ncb >= fx->want)
		loop_break(fx->loop);
}

static void
on_reply(struct pop3c *pc, const struct pop3c_reply *r, void *ctx)
{
	got(ctx, r);
}

static int
on_data(struct pop3c *pc, const char *d, size_t len, void *ctx)
{
	struct fx *fx = ctx;

	if (len > fx->max_chunk)
		fx->max_chunk = len;
	assert_int_equal(buf_append(&fx->data, d, len), 0);
	return 0;
}

static void
on_uidl(struct pop3c *pc, const struct pop3c_reply *r,
	const struct pop3c_uid *l, size_t n, void *ctx)
{
	struct fx *fx = ctx;
	size_t i, used = 0;

	fx->n = n;
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(fx->uidls + used,
					 sizeof(fx->uidls) - used, "%u=%s ",
					 l[i].msgno, l[i].uidl);
	got(fx, r);
}

static void
on_list(struct pop3c *pc, const struct pop3c_reply *r,
	const struct pop3c_size *l, size_t n, void *ctx)
{
	struct fx *fx = ctx;

	fx->n = n;
	got(fx, r);
}

static void
on_stat(struct pop3c *pc, const struct pop3c_reply *r, uint32_t count,
	uint64_t size, void *ctx)
{
	struct fx *fx = ctx;

	fx->n = count;
	got(fx, r);
}

/* Runs until `want` more callbacks came; fails on a 10 s hang. */
static void
wait_for(struct fx *fx, unsigned int want)
{
	fx->ncb = 0;
	fx->want = want;
	assert_false(nt_run(fx->loop, 10000));
}

static enum pop3c_result
connect_fx(struct fx *fx)
{
	fake_start(&fx->srv, fx->loop);
	fx->set.port = (unsigned int)fx->srv.port;
	fx->pc = pop3c_new(fx->loop, &fx->set);
	pop3c_connect(fx->pc, on_reply, fx);
	wait_for(fx, 1);
	return fx->last;
}

/* ---- login ---- */

static void
test_pop3c_login_user(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(connect_fx(fx), POP3C_OK);
	assert_non_null(strstr(fx->srv.log, "CAPA|USER alice|PASS s3cret|"
			       "CAPA|"));
	pop3c_stat(fx->pc, on_stat, fx);
	pop3c_quit(fx->pc, on_reply, fx);
	wait_for(fx, 2);
	assert_int_equal(fx->last, POP3C_OK);
	assert_int_equal(fx->n, 3);
	assert_true(fx->srv.committed);
}

static void
test_pop3c_login_plain(void **state)
{
	struct fx *fx = *state;

	fx->srv.sasl_plain = true;
	assert_int_equal(connect_fx(fx), POP3C_OK);
	assert_non_null(strstr(fx->srv.log, "AUTH PLAIN AGFsaWNlAHMzY3JldA=="));
	assert_null(strstr(fx->srv.log, "USER"));
}

static void
test_pop3c_login_apop(void **state)
{
	struct fx *fx = *state;

	fx->set.auth = POP3C_AUTH_APOP;
	assert_int_equal(connect_fx(fx), POP3C_OK);
	assert_non_null(strstr(fx->srv.log, "APOP alice "));
}

static void
test_pop3c_login_bad_password(void **state)
{
	struct fx *fx = *state;

	fx->set.password = "wrong";
	assert_int_equal(connect_fx(fx), POP3C_FAILED);
	assert_non_null(strstr(fx->text, "login failed: -ERR [AUTH]"));
	assert_non_null(strstr(pop3c_error(fx->pc), "invalid login"));
}

static void
test_pop3c_login_capa_err(void **state)
{
	struct fx *fx = *state;

	fx->srv.capa_err = true;
	assert_int_equal(connect_fx(fx), POP3C_OK);
	assert_false(pop3c_capa_known(fx->pc));
}

/* ---- STLS ---- */

static void
test_pop3c_stls(void **state)
{
	struct fx *fx = *state;

	fx->srv.stls = server_tls;
	fx->set.tls = POP3C_TLS_STARTTLS;
	fx->set.ca_file = certs.cert;
	fx->set.host = "localhost";
	assert_int_equal(connect_fx(fx), POP3C_OK);
	assert_true(pop3c_is_tls(fx->pc));
	assert_non_null(strstr(fx->srv.log, "CAPA|STLS|CAPA|USER alice|"));
}

static void
test_pop3c_stls_refused(void **state)
{
	struct fx *fx = *state;

	fx->srv.stls = server_tls;
	fx->srv.stls_err = true;
	fx->set.tls = POP3C_TLS_STARTTLS;
	fx->set.ca_file = certs.cert;
	assert_int_equal(connect_fx(fx), POP3C_FAILED);
	assert_non_null(strstr(fx->text, "STLS failed"));
	/* never a login in clear */
	assert_null(strstr(fx->srv.log, "USER"));
	assert_null(strstr(fx->srv.log, "PASS"));
}

static void
test_pop3c_stls_bad_cert(void **state)
{
	struct fx *fx = *state;

	fx->srv.stls = server_tls;
	fx->set.tls = POP3C_TLS_STARTTLS;
	fx->set.pin_sha256 = "00112233445566778899aabbccddeeff"
			     "00112233445566778899aabbccddeeff";
	assert_int_equal(connect_fx(fx), POP3C_FAILED);
	assert_null(strstr(fx->srv.log, "PASS"));
}

/* ---- transaction ---- */

static void
test_pop3c_pipelined_retr(void **state)
{
	struct fx *fx = *state;
	unsigned int i;

	fx->srv.pipelining = true;
	fx->srv.batch = 3;	/* deadlocks unless all 3 are sent at once */
	assert_int_equal(connect_fx(fx), POP3C_OK);
	for (i = 1; i <= 3; i++)
		pop3c_retr(fx->pc, i, on_data, on_reply, fx);
	wait_for(fx, 3);
	assert_int_equal(fx->last, POP3C_OK);
	assert_non_null(strstr(buf_cstr(&fx->data),
			       "\r\n.hidden dot\r\n.\r\n..two dots\r\n"));
	assert_non_null(strstr(buf_cstr(&fx->data), "third\r\n"));
}

static void
test_pop3c_retr_cut(void **state)
{
	struct fx *fx = *state;

	fx->srv.drop_in_retr = true;
	assert_int_equal(connect_fx(fx), POP3C_OK);
	pop3c_retr(fx->pc, 1, on_data, on_reply, fx);
	pop3c_noop(fx->pc, on_reply, fx);
	wait_for(fx, 2);
	assert_int_equal(fx->last, POP3C_FAILED);
	assert_non_null(strstr(fx->text, "closed"));
}

static void
test_pop3c_uidl_err(void **state)
{
	struct fx *fx = *state;

	fx->srv.uidl_err = true;
	assert_int_equal(connect_fx(fx), POP3C_OK);
	pop3c_uidl(fx->pc, on_uidl, fx);
	pop3c_noop(fx->pc, on_reply, fx);
	wait_for(fx, 1);
	assert_int_equal(fx->last, POP3C_ERR);
	assert_string_equal(fx->text, "no UIDL here");
	wait_for(fx, 1);
	assert_int_equal(fx->last, POP3C_OK);	/* the session goes on */
}

static void
test_pop3c_uidl_list(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(connect_fx(fx), POP3C_OK);
	pop3c_list(fx->pc, on_list, fx);
	wait_for(fx, 1);
	assert_int_equal(fx->n, 3);
	pop3c_uidl(fx->pc, on_uidl, fx);
	wait_for(fx, 1);
	assert_int_equal(fx->last, POP3C_OK);
	assert_string_equal(fx->uidls, "1=uid-1 2=uid-2 3=uid-3 ");
}

static void
test_pop3c_uidl_duplicate(void **state)
{
	static const struct fake_msg dup[] = {
		{ "same", "Subject: a\n\na\n" },
		{ "other", "Subject: b\n\nb\n" },
		{ "same", "Subject: c\n\nc\n" },
	};
	struct fx *fx = *state;

	fx->srv.msgs = dup;
	assert_int_equal(connect_fx(fx), POP3C_OK);
	pop3c_uidl(fx->pc, on_uidl, fx);
	wait_for(fx, 1);
	assert_int_equal(fx->last, POP3C_INVALID);
	assert_non_null(strstr(fx->text, "UIDL same twice"));
}

static void
test_pop3c_garbage_greeting(void **state)
{
	struct fx *fx = *state;

	fx->srv.greeting = "HELLO I am not POP3 \x01\xff";
	assert_int_equal(connect_fx(fx), POP3C_FAILED);
	assert_non_null(strstr(fx->text, "neither +OK nor -ERR"));
}

static void
test_pop3c_timeout(void **state)
{
	struct fx *fx = *state;

	fx->srv.hang = true;
	fx->set.timeout_ms = 300;
	assert_int_equal(connect_fx(fx), POP3C_FAILED);
	assert_non_null(strstr(fx->text, "timeout"));
}

static void
test_pop3c_quit_dropped(void **state)
{
	struct fx *fx = *state;

	fx->srv.drop_at_quit = true;
	assert_int_equal(connect_fx(fx), POP3C_OK);
	pop3c_dele(fx->pc, 1, on_reply, fx);
	wait_for(fx, 1);
	assert_int_equal(fx->last, POP3C_OK);
	pop3c_quit(fx->pc, on_reply, fx);
	wait_for(fx, 1);
	assert_int_equal(fx->last, POP3C_FAILED);
	assert_false(fx->srv.committed);
}

static void
test_pop3c_big_message(void **state)
{
	struct fx *fx = *state;

	fx->srv.big_size = 8 * 1024 * 1024;
	assert_int_equal(connect_fx(fx), POP3C_OK);
	pop3c_retr(fx->pc, 1, on_data, on_reply, fx);
	wait_for(fx, 1);
	assert_int_equal(fx->last, POP3C_OK);
	assert_true(fx->data.len >= fx->srv.big_size);
	/* streamed in bounded pieces, never whole */
	assert_true(fx->max_chunk <= 64 * 1024 + 128);
}

static void
test_pop3c_bare_lf(void **state)
{
	struct fx *fx = *state;

	fx->srv.bare_lf = true;
	fx->srv.pipelining = true;
	assert_int_equal(connect_fx(fx), POP3C_OK);
	pop3c_retr(fx->pc, 2, on_data, on_reply, fx);
	pop3c_uidl(fx->pc, on_uidl, fx);
	wait_for(fx, 2);
	assert_int_equal(fx->last, POP3C_OK);
	assert_string_equal(buf_cstr(&fx->data), "Subject: two\r\n\r\n"
			    ".hidden dot\r\n.\r\n..two dots\r\nend\r\n");
	assert_int_equal(fx->n, 3);
}

static void
free_in_cb(struct pop3c *pc, const struct pop3c_reply *r, void *ctx)
{
	struct fx *fx = ctx;

	pop3c_free(&fx->pc);
	got(fx, r);
}

static int
free_in_data(struct pop3c *pc, const char *d, size_t len, void *ctx)
{
	struct fx *fx = ctx;

	pop3c_free(&fx->pc);
	loop_break(fx->loop);
	return 0;
}

static void
test_pop3c_free_in_callback(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(connect_fx(fx), POP3C_OK);
	pop3c_noop(fx->pc, free_in_cb, fx);
	pop3c_noop(fx->pc, on_reply, fx);	/* never called */
	wait_for(fx, 1);
	assert_null(fx->pc);
	assert_int_equal(connect_fx(fx), POP3C_OK);
	pop3c_retr(fx->pc, 1, free_in_data, on_reply, fx);
	fx->ncb = 0;
	fx->want = 1;
	assert_false(nt_run(fx->loop, 5000));
	assert_null(fx->pc);
	assert_int_equal(fx->ncb, 0);
}

static int
group_setup(void **state)
{
	const char *error = NULL;

	nt_certs_make(&certs);
	if (tls_server_new(certs.cert, certs.key, &server_tls, &error) < 0)
		fail_msg("%s", error);
	return 0;
}

static int
group_teardown(void **state)
{
	tls_ctx_free(&server_tls);
	nt_certs_remove(&certs);
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pop3c_login_user),
		T(test_pop3c_login_plain),
		T(test_pop3c_login_apop),
		T(test_pop3c_login_bad_password),
		T(test_pop3c_login_capa_err),
		T(test_pop3c_stls),
		T(test_pop3c_stls_refused),
		T(test_pop3c_stls_bad_cert),
		T(test_pop3c_pipelined_retr),
		T(test_pop3c_retr_cut),
		T(test_pop3c_uidl_err),
		T(test_pop3c_uidl_list),
		T(test_pop3c_uidl_duplicate),
		T(test_pop3c_garbage_greeting),
		T(test_pop3c_timeout),
		T(test_pop3c_quit_dropped),
		T(test_pop3c_big_message),
		T(test_pop3c_bare_lf),
		T(test_pop3c_free_in_callback),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
