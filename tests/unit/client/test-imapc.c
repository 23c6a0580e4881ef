/* tests for src/client/imapc*.c against the scripted fake server: login
 * paths, STARTTLS, pipelined FETCH, EXPUNGE inside a listing, BYE, a
 * literal cut short, a lying RFC822.SIZE, NO/BAD, QRESYNC VANISHED,
 * APPEND with a synchronising literal, IDLE, STATUS (names quoted, as
 * literals, in modified UTF-7; pipelined), and a silent server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/imapc.h"
#include "fakeimap.h"
#include "lib/buf.h"
#include "net/tls.h"
#include "nettest.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static struct loop *loop;
static int pending;

struct rec {
	int calls;
	enum imapc_result r;
	char error[512];
	struct buf data;
	char trace[2048];
	uint32_t uidvalidity, uid;
	struct imapc_status_info st;
};

static void
tick(void)
{
	if (--pending <= 0)
		loop_break(loop);
}

static void
wait_for(int n)
{
	pending = n;
	assert_false(nt_run(loop, 5000));
}

static void
trace(struct rec *r, const char *fmt, ...)
{
	size_t len = strlen(r->trace);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->trace + len, sizeof(r->trace) - len, fmt, ap);
	va_end(ap);
}

static void
rec_cb(enum imapc_result res, const char *error, void *ctx)
{
	struct rec *r = ctx;

	r->calls++;
	r->r = res;
	snprintf(r->error, sizeof(r->error), "%s", error != NULL ? error : "");
	tick();
}

static int
rec_data(const void *data, size_t len, void *ctx)
{
	struct rec *r = ctx;

	assert_int_equal(buf_append(&r->data, data, len), 0);
	return 0;
}

static void
rec_fetch(const struct imap_fetch *f, uint32_t seq, void *ctx)
{
	trace(ctx, "F%u:%u ", seq, f->uid);
}

static void
rec_event(const struct imapc_event *ev, void *ctx)
{
	if (ev->type == IMAPC_EV_EXPUNGE)
		trace(ctx, "X%u ", ev->seq);
	else if (ev->type == IMAPC_EV_EXISTS)
		trace(ctx, "E%u ", ev->count);
	else if (ev->type == IMAPC_EV_VANISHED)
		trace(ctx, "V%zu ", ev->nranges);
}

static void
rec_vanished(const struct imap_range *r, size_t n, void *ctx)
{
	for (size_t i = 0; i < n; i++)
		trace(ctx, "v%u-%u ", r[i].lo, r[i].hi);
}

struct fx {
	struct fake_imap srv;
	struct imapc *c;
	struct rec conn, a, b, d;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	loop = loop_new();
	fake_imap_start(&fx->srv, loop);
	buf_init(&fx->a.data, 1 << 20);
	buf_init(&fx->b.data, 1 << 20);
	buf_init(&fx->d.data, 1 << 20);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	imapc_free(&fx->c);
	fake_imap_stop(&fx->srv);
	buf_free(&fx->a.data);
	buf_free(&fx->b.data);
	buf_free(&fx->d.data);
	nt_run(loop, 50);
	loop_free(&loop);
	free(fx);
	return 0;
}

static void
start(struct fx *fx, enum imapc_tls tls, const char *ca_file)
{
	struct imapc_settings set = {
		.host = "127.0.0.1", .port = (unsigned int)fx->srv.port,
		.tls = tls, .login = "user", .password = "p w\"x",
		.ca_file = ca_file, .session = "test", .timeout_ms = 2000,
	};

	fx->c = imapc_new(loop, &set);
	imapc_set_event_cb(fx->c, rec_event, &fx->a);
	imapc_connect(fx->c, rec_cb, &fx->conn);
	wait_for(1);
}

static void
connected(struct fx *fx, const char *caps)
{
	fx->srv.caps = caps;
	start(fx, IMAPC_TLS_NONE, NULL);
	if (fx->conn.r != IMAPC_OK)
		fail_msg("connect: %s", fx->conn.error);
}

/* ---- login paths ---- */

static void
test_imapc_login(void **state)
{
	struct fx *fx = *state;

	connected(fx, "IMAP4rev1 ENABLE QRESYNC CONDSTORE UIDPLUS");
	assert_string_equal(fx->srv.log, "CAPABILITY|LOGIN user \"p w\\\"x\"|"
			    "CAPABILITY|ENABLE QRESYNC");
	assert_true(imapc_qresync(fx->c));
	assert_true(imapc_caps(fx->c) & IMAPC_CAP_UIDPLUS);
}

static void
test_imapc_auth_plain_sasl_ir(void **state)
{
	struct fx *fx = *state;

	fx->srv.greeting = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] "
		"hi\r\n";
	connected(fx, "IMAP4rev1 AUTH=PLAIN SASL-IR");
	/* base64("\0user\0p w\"x") */
	assert_string_equal(fx->srv.log, "AUTHENTICATE PLAIN AHVzZXIAcCB3Ing="
			    "|CAPABILITY");
}

static void
test_imapc_auth_plain_continuation(void **state)
{
	struct fx *fx = *state;

	connected(fx, "IMAP4rev1 AUTH=PLAIN");
	assert_string_equal(fx->srv.log, "CAPABILITY|AUTHENTICATE PLAIN|"
			    "AHVzZXIAcCB3Ing=|CAPABILITY");
}

static void
test_imapc_logindisabled(void **state)
{
	struct fx *fx = *state;

	fx->srv.caps = "IMAP4rev1 LOGINDISABLED";
	start(fx, IMAPC_TLS_NONE, NULL);
	assert_int_equal(fx->conn.r, IMAPC_FAILED);
	assert_non_null(strstr(fx->conn.error, "LOGIN"));
	assert_null(strstr(fx->srv.log, "LOGIN"));
}

static void
test_imapc_login_refused(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "LOGIN", "%T NO [AUTHENTICATIONFAILED] bad password\r\n" },
	};
	struct rec r = { 0 };

	fx->srv.rules = rules;
	fx->srv.nrules = 1;
	start(fx, IMAPC_TLS_NONE, NULL);
	assert_int_equal(fx->conn.r, IMAPC_NO);
	assert_non_null(strstr(fx->conn.error, "bad password"));
	imapc_noop(fx->c, rec_cb, &r);
	wait_for(1);
	assert_int_equal(r.r, IMAPC_FAILED);
}

static void
test_imapc_greeting_bye_and_preauth(void **state)
{
	struct fx *fx = *state;

	fx->srv.greeting = "* BYE go away\r\n";
	start(fx, IMAPC_TLS_NONE, NULL);
	assert_int_equal(fx->conn.r, IMAPC_FAILED);
	assert_non_null(strstr(fx->conn.error, "go away"));
	imapc_free(&fx->c);

	fx->srv.greeting = "* PREAUTH [CAPABILITY IMAP4rev1] welcome\r\n";
	fx->srv.log[0] = '\0';
	start(fx, IMAPC_TLS_NONE, NULL);
	assert_int_equal(fx->conn.r, IMAPC_OK);
	assert_string_equal(fx->srv.log, "");
}

/* ---- STARTTLS ---- */

static void
test_imapc_starttls(void **state)
{
	struct fx *fx = *state;
	struct nt_certs certs;
	const char *error;

	nt_certs_make(&certs);
	assert_int_equal(tls_server_new(certs.cert, certs.key, &fx->srv.tls,
					&error), 0);
	fx->srv.caps = "IMAP4rev1 STARTTLS";
	start(fx, IMAPC_TLS_STARTTLS, certs.cert);
	if (fx->conn.r != IMAPC_OK)
		fail_msg("%s", fx->conn.error);
	assert_string_equal(fx->srv.log, "CAPABILITY|STARTTLS|CAPABILITY|"
			    "LOGIN user \"p w\\\"x\"|CAPABILITY");
	assert_true(fx->srv.tls_at_login);
	tls_ctx_free(&fx->srv.tls);
	nt_certs_remove(&certs);
}

static void
test_imapc_starttls_missing(void **state)
{
	struct fx *fx = *state;
	struct nt_certs certs;

	nt_certs_make(&certs);
	fx->srv.caps = "IMAP4rev1";
	start(fx, IMAPC_TLS_STARTTLS, certs.cert);
	assert_int_equal(fx->conn.r, IMAPC_FAILED);
	assert_non_null(strstr(fx->conn.error, "STARTTLS"));
	assert_null(strstr(fx->srv.log, "LOGIN"));
	nt_certs_remove(&certs);
}

static void
test_imapc_starttls_preauth(void **state)
{
	struct fx *fx = *state;

	fx->srv.greeting = "* PREAUTH hi\r\n";
	start(fx, IMAPC_TLS_STARTTLS, NULL);
	assert_int_equal(fx->conn.r, IMAPC_FAILED);
}

/* ---- FETCH ---- */

static void
test_imapc_fetch_pipelined(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "UID FETCH 5 ", "" },
		{ "UID FETCH 6 ", "" },
		{ "UID FETCH 7 ",
		  "* 1 FETCH (UID 5 BODY[] {3}\r\none)\r\n%V OK\r\n"
		  "* 2 FETCH (BODY[] {3}\r\ntwo UID 6)\r\n%U OK\r\n"
		  "* 3 FETCH (UID 7 BODY[] \"three\")\r\n%T OK\r\n" },
	};

	fx->srv.rules = rules;
	fx->srv.nrules = 3;
	connected(fx, "IMAP4rev1");
	imapc_fetch_body(fx->c, 5, rec_data, rec_cb, &fx->a);
	imapc_fetch_body(fx->c, 6, rec_data, rec_cb, &fx->b);
	imapc_fetch_body(fx->c, 7, rec_data, rec_cb, &fx->d);
	wait_for(3);
	assert_int_equal(fx->a.r, IMAPC_OK);
	assert_int_equal(fx->b.r, IMAPC_OK);
	assert_int_equal(fx->d.r, IMAPC_OK);
	assert_string_equal(buf_cstr(&fx->a.data), "one");
	assert_string_equal(buf_cstr(&fx->b.data), "two");
	assert_string_equal(buf_cstr(&fx->d.data), "three");
	assert_non_null(strstr(fx->srv.log, "UID FETCH 5 (UID BODY.PEEK[])"));
}

static void
test_imapc_expunge_inside_fetch(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "UID FETCH 1:*", "* 1 FETCH (UID 10 FLAGS ())\r\n"
		  "* 2 FETCH (UID 11 FLAGS (\\Seen))\r\n* 1 EXPUNGE\r\n"
		  "* 2 FETCH (UID 12 FLAGS ())\r\n%T OK\r\n" },
	};

	fx->srv.rules = rules;
	fx->srv.nrules = 1;
	connected(fx, "IMAP4rev1");
	imapc_uid_fetch(fx->c, "1:*", "UID FLAGS", 0, false, rec_fetch, NULL,
			rec_cb, &fx->a);
	wait_for(1);
	assert_int_equal(fx->a.r, IMAPC_OK);
	assert_string_equal(fx->a.trace, "F1:10 F2:11 X1 F2:12 ");
}

static void
test_imapc_bye(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "NOOP", "* BYE server shutting down\r\n", true },
	};

	fx->srv.rules = rules;
	fx->srv.nrules = 1;
	connected(fx, "IMAP4rev1");
	imapc_noop(fx->c, rec_cb, &fx->a);
	imapc_noop(fx->c, rec_cb, &fx->b);
	wait_for(2);
	assert_int_equal(fx->a.r, IMAPC_FAILED);
	assert_non_null(strstr(fx->a.error, "shutting down"));
	assert_int_equal(fx->b.r, IMAPC_FAILED);
}

static void
test_imapc_literal_cut(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "UID FETCH 5", "* 1 FETCH (UID 5 BODY[] {100}\r\nshort", true },
	};

	fx->srv.rules = rules;
	fx->srv.nrules = 1;
	connected(fx, "IMAP4rev1");
	imapc_fetch_body(fx->c, 5, rec_data, rec_cb, &fx->a);
	wait_for(1);
	assert_int_equal(fx->a.r, IMAPC_FAILED);
	assert_non_null(strstr(fx->a.error, "literal"));
}

static void
test_imapc_lying_size(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "UID FETCH 5", "* 1 FETCH (UID 5 RFC822.SIZE 3 BODY[] {11}\r\n"
		  "hello world)\r\n%T OK\r\n" },
		{ "UID FETCH 6", "%T OK nothing\r\n" },
	};

	fx->srv.rules = rules;
	fx->srv.nrules = 2;
	connected(fx, "IMAP4rev1");
	imapc_fetch_body(fx->c, 5, rec_data, rec_cb, &fx->a);
	imapc_fetch_body(fx->c, 6, rec_data, rec_cb, &fx->b);
	wait_for(2);
	assert_int_equal(fx->a.r, IMAPC_OK);
	assert_int_equal(fx->a.data.len, 11);
	assert_int_equal(fx->b.r, IMAPC_NO);
}

static void
test_imapc_no_bad(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "SELECT", "%T NO [NONEXISTENT] no such mailbox\r\n" },
	};
	struct imapc_select sel = { .mailbox = "Nope" };

	fx->srv.rules = rules;
	fx->srv.nrules = 1;
	connected(fx, "IMAP4rev1");
	imapc_select(fx->c, &sel, (imapc_select_cb *)NULL, NULL);
	imapc_uid_store(fx->c, "1", "+FLAGS", "(\\Seen)", rec_cb, &fx->a);
	imapc_uid_store(fx->c, "1\r\nX", "+FLAGS", "()", rec_cb, &fx->b);
	wait_for(2);
	assert_int_equal(fx->a.r, IMAPC_BAD);
	assert_string_equal(fx->a.error, "unknown");
	assert_int_equal(fx->b.r, IMAPC_BAD);
	assert_null(strstr(fx->srv.log, "\nX"));
	imapc_noop(fx->c, rec_cb, &fx->d);
	wait_for(1);
	assert_int_equal(fx->d.r, IMAPC_OK);
}

static void
test_imapc_qresync_vanished(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE 5 VANISHED)",
		  "* VANISHED (EARLIER) 1:3,7\r\n"
		  "* 4 FETCH (UID 9 MODSEQ (20) FLAGS ())\r\n%T OK\r\n" },
		{ "NOOP", "* VANISHED 9\r\n%T OK\r\n" },
	};

	fx->srv.rules = rules;
	fx->srv.nrules = 2;
	connected(fx, "IMAP4rev1 ENABLE QRESYNC CONDSTORE");
	imapc_uid_fetch(fx->c, "1:*", "UID FLAGS", 5, true, rec_fetch,
			rec_vanished, rec_cb, &fx->a);
	imapc_noop(fx->c, rec_cb, &fx->b);
	wait_for(2);
	assert_int_equal(fx->a.r, IMAPC_OK);
	assert_string_equal(fx->a.trace, "v1-3 v7-7 F4:9 V1 ");
}

static void
rec_append(enum imapc_result res, const char *error, uint32_t uidvalidity,
	   uint32_t uid, void *ctx)
{
	struct rec *r = ctx;

	r->uidvalidity = uidvalidity;
	r->uid = uid;
	rec_cb(res, error, ctx);
}

static void
test_imapc_append_and_idle(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "APPEND", "%T OK [APPENDUID 77 1234] done\r\n" },
		{ "IDLE", "+ idling\r\n* 3 EXISTS\r\n" },
	};

	fx->srv.rules = rules;
	fx->srv.nrules = 2;
	connected(fx, "IMAP4rev1 IDLE");
	imapc_append(fx->c, "Sent", "(\\Seen)", 0, "a\r\nb\r\n", 6,
		     rec_append, &fx->a);
	imapc_idle(fx->c, rec_cb, &fx->b);
	wait_for(1);
	assert_int_equal(fx->a.uid, 1234);
	assert_int_equal(fx->a.uidvalidity, 77);
	assert_non_null(strstr(fx->srv.log, "APPEND Sent (\\Seen) {6}a\r\nb"));
	/* the EXISTS during IDLE reaches the event callback */
	pending = 1;
	nt_run(loop, 200);
	assert_non_null(strstr(fx->a.trace, "E3"));
	imapc_idle_stop(fx->c);
	wait_for(1);
	assert_int_equal(fx->b.r, IMAPC_OK);
	assert_non_null(strstr(fx->srv.log, "IDLE|DONE"));
}

/* ---- STATUS ---- */

static void
rec_status(enum imapc_result res, const char *error,
	   const struct imapc_status_info *st, void *ctx)
{
	struct rec *r = ctx;

	assert_non_null(st);
	r->st = *st;
	rec_cb(res, error, ctx);
}

static void
test_imapc_status(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "SELECT INBOX", "* 5 EXISTS\r\n* OK [UIDVALIDITY 1700] v\r\n"
		  "%T OK [READ-WRITE] done\r\n" },
		{ "STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)",
		  "* STATUS Other (MESSAGES 50 UIDVALIDITY 1)\r\n"
		  "* STATUS \"INBOX\" (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 7 "
		  "HIGHESTMODSEQ 99)\r\n%T OK done\r\n" },
		{ "STATUS Nope", "%T NO [NONEXISTENT] no such mailbox\r\n" },
	};
	struct imapc_select sel = { .mailbox = "INBOX" };

	fx->srv.rules = rules;
	fx->srv.nrules = 3;
	connected(fx, "IMAP4rev1 CONDSTORE");
	imapc_select(fx->c, &sel, (imapc_select_cb *)NULL, NULL);
	imapc_status(fx->c, "INBOX", rec_status, &fx->b);
	imapc_status(fx->c, "Nope", rec_status, &fx->d);
	wait_for(2);
	assert_int_equal(fx->b.r, IMAPC_OK);
	assert_int_equal(fx->b.st.messages, 3);
	assert_int_equal(fx->b.st.uidnext, 4);
	assert_int_equal(fx->b.st.uidvalidity, 7);
	assert_int_equal(fx->b.st.highestmodseq, 99);
	assert_int_equal(fx->d.r, IMAPC_NO);
	assert_int_equal(fx->d.st.uidvalidity, 0);
	assert_non_null(strstr(fx->d.error, "no such mailbox"));
	/* STATUS leaves the selected mailbox alone */
	assert_int_equal(imapc_box(fx->c)->uidvalidity, 1700);
	assert_int_equal(imapc_box(fx->c)->exists, 5);
}

static void
test_imapc_status_names(void **state)
{
	struct fx *fx = *state;
	/* both answered at once, in the other order, one name as a literal,
	 * one quoted; without CONDSTORE no HIGHESTMODSEQ is asked for */
	struct fake_rule rules[] = {
		{ "STATUS \"Sent Items\" (MESSAGES UIDNEXT UIDVALIDITY)", "" },
		{ "STATUS Entw&APw-rfe (MESSAGES UIDNEXT UIDVALIDITY)",
		  "* STATUS \"Entw&APw-rfe\" (MESSAGES 2 UIDVALIDITY 9)\r\n"
		  "* STATUS {10}\r\nSent Items (MESSAGES 5 UIDNEXT 6 "
		  "UIDVALIDITY 8 UNSEEN 1)\r\n%U OK\r\n%T OK\r\n" },
		{ "STATUS \"a\\\"b\"", "* STATUS \"a\\\"b\" (UIDVALIDITY 11)\r\n"
		  "%T OK\r\n" },
	};

	fx->srv.rules = rules;
	fx->srv.nrules = 3;
	connected(fx, "IMAP4rev1");
	imapc_status(fx->c, "Sent Items", rec_status, &fx->a);
	imapc_status(fx->c, "Entw&APw-rfe", rec_status, &fx->b);
	imapc_status(fx->c, "a\"b", rec_status, &fx->d);
	wait_for(3);
	assert_int_equal(fx->a.r, IMAPC_OK);
	assert_int_equal(fx->a.st.messages, 5);
	assert_int_equal(fx->a.st.uidnext, 6);
	assert_int_equal(fx->a.st.uidvalidity, 8);
	assert_int_equal(fx->b.r, IMAPC_OK);
	assert_int_equal(fx->b.st.messages, 2);
	assert_int_equal(fx->b.st.uidnext, 0);
	assert_int_equal(fx->b.st.uidvalidity, 9);
	assert_int_equal(fx->b.st.highestmodseq, 0);
	assert_int_equal(fx->d.r, IMAPC_OK);
	assert_int_equal(fx->d.st.uidvalidity, 11);
	assert_null(strstr(fx->srv.log, "HIGHESTMODSEQ"));
}

static void
test_imapc_timeout(void **state)
{
	struct fx *fx = *state;

	fx->srv.silent = true;
	start(fx, IMAPC_TLS_NONE, NULL);
	assert_int_equal(fx->conn.r, IMAPC_FAILED);
	assert_non_null(strstr(fx->conn.error, "timeout"));
}

static void
test_imapc_cancel(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = { { "UID FETCH 5", "" } };

	fx->srv.rules = rules;
	fx->srv.nrules = 1;
	connected(fx, "IMAP4rev1");
	imapc_fetch_body(fx->c, 5, rec_data, rec_cb, &fx->a);
	imapc_noop(fx->c, rec_cb, &fx->b);
	imapc_cancel(fx->c);
	wait_for(2);
	assert_int_equal(fx->a.r, IMAPC_CANCELED);
	assert_int_equal(fx->b.r, IMAPC_CANCELED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
		T(test_imapc_login),
		T(test_imapc_auth_plain_sasl_ir),
		T(test_imapc_auth_plain_continuation),
		T(test_imapc_logindisabled),
		T(test_imapc_login_refused),
		T(test_imapc_greeting_bye_and_preauth),
		T(test_imapc_starttls),
		T(test_imapc_starttls_missing),
		T(test_imapc_starttls_preauth),
		T(test_imapc_fetch_pipelined),
		T(test_imapc_expunge_inside_fetch),
		T(test_imapc_bye),
		T(test_imapc_literal_cut),
		T(test_imapc_lying_size),
		T(test_imapc_no_bad),
		T(test_imapc_qresync_vanished),
		T(test_imapc_append_and_idle),
		T(test_imapc_status),
		T(test_imapc_status_names),
		T(test_imapc_timeout),
		T(test_imapc_cancel),
	};

	return cmocka_run_group_tests_name("client-imapc", tests, NULL, NULL);
}
