/* tests for src/net/tls.c, conn-tls.c, connect.c with TLS: STARTTLS on
 * both sides, plaintext injection, certificate verification (CA file,
 * host name, system store, pinned fingerprint), implicit TLS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/connect.h"
#include "net/tls.h"
#include "nettest.h"

static struct nt_certs certs;
static struct tls_ctx *server_ctx;

struct side {
	struct tls_ctx *tls;	/* client side: its context */
	const char *host;	/* client side: name to verify */
	bool implicit;
};

struct fixture {
	struct loop *loop;
	struct listener *lst;
	struct nt_rec srv, cli;
	struct side sside, cside;
};

static int
group_setup(void **state)
{
	const char *error = NULL;

	nt_certs_make(&certs);
	if (tls_server_new(certs.cert, certs.key, &server_ctx, &error) < 0)
		fail_msg("%s", error);
	return 0;
}

static int
group_teardown(void **state)
{
	tls_ctx_free(&server_ctx);
	nt_certs_remove(&certs);
	return 0;
}

/* The server: STARTTLS -> "OK go" (+ an injected line) and upgrade;
 * HELLO -> "WORLD" and close. */
static void
server_hook(struct nt_rec *r, const struct conn_ev *ev)
{
	if (ev->type != CONN_LINE)
		return;
	if (strcmp(ev->data, "STARTTLS") == 0) {
		conn_write(r->conn, "OK go\r\n* INJECTED\r\n", 19);
		assert_int_equal(conn_starttls_server(r->conn, server_ctx), 0);
	} else if (strcmp(ev->data, "HELLO") == 0) {
		conn_write_line(r->conn, "WORLD");
		conn_close(r->conn);
	}
}

/* The client: after connect, STARTTLS plus an injected command in the
 * same packet; "OK go" -> upgrade; TLS done -> HELLO. */
static void
client_hook(struct nt_rec *r, const struct conn_ev *ev)
{
	struct side *s = r->user;

	if (ev->type == CONN_CONNECTED && !s->implicit)
		conn_write(r->conn, "STARTTLS\r\nINJECTED\r\n", 20);
	else if (ev->type == CONN_LINE && strcmp(ev->data, "OK go") == 0)
		assert_int_equal(conn_starttls_client(r->conn, s->tls,
						      s->host), 0);
	else if (ev->type == CONN_TLS_DONE)
		conn_write_line(r->conn, "HELLO");
	if (ev->type == CONN_ERROR)
		loop_break(r->loop);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->loop = loop_new();
	nt_rec_init(&f->srv, f->loop);
	nt_rec_init(&f->cli, f->loop);
	f->srv.hook = server_hook;
	f->srv.user = &f->sside;
	f->cli.hook = client_hook;
	f->cli.user = &f->cside;
	f->cli.stop_on = CONN_CLOSED;
	f->cli.stop_on_set = true;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	nt_rec_free(&f->cli);
	nt_rec_free(&f->srv);
	listener_free(&f->lst);
	tls_ctx_free(&f->cside.tls);
	nt_run(f->loop, 50);
	loop_free(&f->loop);
	free(f);
	return 0;
}

static void
client_ctx(struct fixture *f, const char *ca_file, const char *pin)
{
	struct tls_client_settings set = { .ca_file = ca_file,
					   .pin_sha256 = pin };
	const char *error = NULL;

	if (tls_client_new(&set, &f->cside.tls, &error) < 0)
		fail_msg("%s", error);
}

/* Runs a whole exchange: connect to our listener as host. */
static void
exchange(struct fixture *f, const char *host, bool implicit)
{
	struct listener_settings ls = { .address = "127.0.0.1:0" };
	struct connect_settings cs = { .host = host, .timeout_ms = 5000 };

	ls.tls = implicit ? server_ctx : NULL;
	f->lst = nt_listen(f->loop, &f->srv, &ls);
	f->cside.host = host;
	f->cside.implicit = implicit;
	cs.port = (unsigned int)listener_port(f->lst);
	cs.tls = implicit ? f->cside.tls : NULL;
	f->cli.conn = connect_start(f->loop, &cs, nt_rec_cb, &f->cli);
	assert_false(nt_run(f->loop, 10000));
}

static void
assert_full_exchange(struct fixture *f, bool implicit)
{
	size_t first = implicit ? 0 : 1;

	assert_int_equal(f->cli.events[CONN_ERROR], 0);
	assert_int_equal(f->cli.events[CONN_TLS_DONE], 1);
	assert_int_equal(f->cli.events[CONN_CLOSED], 1);
	/* the client never saw the server's injected plaintext line */
	assert_int_equal(f->cli.nlines, first + 1);
	if (!implicit)
		assert_string_equal(f->cli.lines[0], "OK go");
	assert_string_equal(f->cli.lines[first], "WORLD");
	/* the server never processed the client's injected command */
	assert_int_equal(f->srv.nlines, first + 1);
	if (!implicit)
		assert_string_equal(f->srv.lines[0], "STARTTLS");
	assert_string_equal(f->srv.lines[first], "HELLO");
	assert_int_equal(f->srv.events[CONN_TLS_DONE], 1);
}

static void
test_tls_starttls_ca_file(void **state)
{
	struct fixture *f = *state;

	client_ctx(f, certs.cert, NULL);
	exchange(f, "localhost", false);
	assert_full_exchange(f, false);
}

static void
test_tls_starttls_ip_literal(void **state)
{
	struct fixture *f = *state;

	client_ctx(f, certs.cert, NULL);
	exchange(f, "127.0.0.1", false);
	assert_full_exchange(f, false);
}

static void
test_tls_implicit(void **state)
{
	struct fixture *f = *state;

	client_ctx(f, certs.cert, NULL);
	exchange(f, "localhost", true);
	assert_full_exchange(f, true);
}

static void
test_tls_host_name_mismatch(void **state)
{
	struct fixture *f = *state;
	struct listener_settings ls = { .address = "127.0.0.1:0" };
	struct connect_settings cs = { .host = "127.0.0.1" };

	/* connect by address, verify as another name (as STARTTLS to a
	 * host whose certificate names someone else) */
	client_ctx(f, certs.cert, NULL);
	f->lst = nt_listen(f->loop, &f->srv, &ls);
	f->cside.host = "mail.wrong.example";
	cs.port = (unsigned int)listener_port(f->lst);
	f->cli.conn = connect_start(f->loop, &cs, nt_rec_cb, &f->cli);
	assert_false(nt_run(f->loop, 10000));
	assert_int_equal(f->cli.events[CONN_ERROR], 1);
	assert_string_equal(f->cli.error, "certificate verify failed: host "
			    "name mismatch (expected mail.wrong.example)");
	assert_int_equal(f->cli.events[CONN_TLS_DONE], 0);
	assert_int_equal(f->srv.nlines, 1);
}

static void
test_tls_untrusted_with_system_store(void **state)
{
	struct fixture *f = *state;

	client_ctx(f, NULL, NULL);
	exchange(f, "localhost", true);
	assert_int_equal(f->cli.events[CONN_ERROR], 1);
	assert_non_null(strstr(f->cli.error, "certificate verify failed"));
	assert_int_equal(f->cli.events[CONN_TLS_DONE], 0);
	assert_int_equal(f->srv.nlines, 0);
}

static void
test_tls_pinned_fingerprint_ok(void **state)
{
	struct fixture *f = *state;
	char fp[128];

	assert_int_equal(tls_fingerprint_of_file(certs.cert, fp,
						 sizeof(fp)), 0);
	client_ctx(f, NULL, fp);
	/* the pin replaces chain and name checks */
	exchange(f, "localhost", true);
	assert_full_exchange(f, true);
}

static void
test_tls_pinned_fingerprint_wrong(void **state)
{
	struct fixture *f = *state;

	client_ctx(f, certs.cert, "00112233445566778899aabbccddeeff"
		   "00112233445566778899aabbccddeeff");
	exchange(f, "localhost", false);
	assert_int_equal(f->cli.events[CONN_ERROR], 1);
	assert_string_equal(f->cli.error, "pinned fingerprint mismatch");
	assert_int_equal(f->cli.events[CONN_TLS_DONE], 0);
}

static void
test_tls_fingerprint_parse(void **state)
{
	unsigned char md[TLS_SHA256_LEN];
	char fp[128];

	assert_int_equal(tls_fingerprint_of_file(certs.cert, fp,
						 sizeof(fp)), 0);
	assert_int_equal(tls_fingerprint_parse(fp, md), 0);
	assert_int_equal(tls_fingerprint_parse(
		"AABBCCDDEEFF00112233445566778899"
		"aabbccddeeff00112233445566778899", md), 0);
	assert_int_equal(md[0], 0xaa);
	assert_int_equal(md[31], 0x99);
	assert_int_equal(tls_fingerprint_parse("aabb", md), -1);
	assert_int_equal(tls_fingerprint_parse(
		"AABBCCDDEEFF00112233445566778899"
		"aabbccddeeff0011223344556677889g", md), -1);
	assert_int_equal(tls_fingerprint_parse(
		"AABBCCDDEEFF00112233445566778899"
		"aabbccddeeff0011223344556677889900", md), -1);
	assert_int_equal(tls_fingerprint_parse(":aa", md), -1);
}

static void
test_tls_context_errors(void **state)
{
	struct tls_client_settings bad_pin = { .pin_sha256 = "zz" };
	struct tls_client_settings bad_ca = { .ca_file = "/nonexistent" };
	struct tls_ctx *t = NULL;
	const char *error = NULL;

	assert_int_equal(tls_client_new(&bad_pin, &t, &error), -1);
	assert_null(t);
	assert_non_null(strstr(error, "malformed SHA-256 fingerprint"));
	assert_int_equal(tls_client_new(&bad_ca, &t, &error), -1);
	assert_non_null(strstr(error, "cannot load CA file /nonexistent"));
	assert_int_equal(tls_server_new("/nonexistent", certs.key, &t,
					&error), -1);
	assert_non_null(strstr(error, "cannot load certificate"));
	/* the key as certificate and vice versa */
	assert_int_equal(tls_server_new(certs.key, certs.cert, &t, &error),
			 -1);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tls_starttls_ca_file),
		T(test_tls_starttls_ip_literal),
		T(test_tls_implicit),
		T(test_tls_host_name_mismatch),
		T(test_tls_untrusted_with_system_store),
		T(test_tls_pinned_fingerprint_ok),
		T(test_tls_pinned_fingerprint_wrong),
		cmocka_unit_test(test_tls_fingerprint_parse),
		cmocka_unit_test(test_tls_context_errors),
	};

	log_open("test-tls", LOG_TARGET_STDERR, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
