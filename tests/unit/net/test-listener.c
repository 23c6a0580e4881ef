/* tests for src/net/listener.c and connect.c: limits, addresses,
 * outbound connect errors and DNS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "lib/log.h"
#include "net/connect.h"
#include "nettest.h"

static bool
wait_eof(struct loop *l, struct nt_peer *p)
{
	for (int i = 0; i < 300 && !p->eof; i++)
		nt_run(l, 10);
	return p->eof;
}

static void
test_listener_max_per_ip(void **state)
{
	struct loop *l = loop_new();
	struct nt_rec r;
	struct listener_settings s = { .address = "127.0.0.1:0",
				       .max_per_ip = 1,
				       .reject_line = "* BYE too many\r\n" };
	struct listener *lst;
	struct nt_peer a, b;

	nt_rec_init(&r, l);
	lst = nt_listen(l, &r, &s);
	nt_peer_open(&a, l, listener_port(lst), 0);
	nt_run(l, 50);
	assert_int_equal(listener_conn_count(lst), 1);
	nt_peer_open(&b, l, listener_port(lst), 0);
	assert_true(wait_eof(l, &b));
	assert_string_equal(b.in, "* BYE too many\r\n");
	assert_int_equal(listener_conn_count(lst), 1);
	assert_false(a.eof);
	nt_peer_close(&a);
	nt_peer_close(&b);
	nt_rec_free(&r);
	for (int i = 0; i < 100 && listener_conn_count(lst) > 0; i++)
		nt_run(l, 10);
	assert_int_equal(listener_conn_count(lst), 0);
	listener_free(&lst);
	loop_free(&l);
}

static void
test_listener_max_conns(void **state)
{
	struct loop *l = loop_new();
	struct nt_rec r;
	struct listener_settings s = { .address = "127.0.0.1:0",
				       .max_conns = 1 };
	struct listener *lst;
	struct nt_peer a, b;

	nt_rec_init(&r, l);
	lst = nt_listen(l, &r, &s);
	nt_peer_open(&a, l, listener_port(lst), 0);
	nt_run(l, 50);
	nt_peer_open(&b, l, listener_port(lst), 0);
	assert_true(wait_eof(l, &b));
	assert_null(b.in);
	nt_peer_close(&a);
	nt_peer_close(&b);
	nt_rec_free(&r);
	nt_run(l, 50);
	/* freed before its lingering conns are gone: they live on */
	listener_free(&lst);
	nt_run(l, 50);
	loop_free(&l);
}

static void
test_listener_bad_address(void **state)
{
	struct loop *l = loop_new();
	struct listener *lst = NULL;
	const char *error = NULL;
	static const char *const bad[] = {
		"nocolon", "127.0.0.1:", "[::1", "::1:143", "[::1]143",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct listener_settings s = { .address = bad[i] };

		assert_int_equal(listener_new(l, &s, nt_accept, NULL, &lst,
					      &error), -1);
		assert_null(lst);
		assert_non_null(strstr(error, bad[i]));
	}
	loop_free(&l);
}

static void
test_listener_ipv6(void **state)
{
	struct loop *l = loop_new();
	struct listener_settings s = { .address = "[::1]:0" };
	struct listener *lst = NULL;
	const char *error = NULL;

	if (listener_new(l, &s, nt_accept, NULL, &lst, &error) < 0) {
		loop_free(&l);
		skip();
	}
	assert_true(listener_port(lst) > 0);
	listener_free(&lst);
	loop_free(&l);
}

static int
closed_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	close(fd);
	return ntohs(sin.sin_port);
}

static void
test_connect_refused(void **state)
{
	struct loop *l = loop_new();
	struct nt_rec r;
	struct connect_settings cs = { .host = "127.0.0.1",
				       .timeout_ms = 5000 };

	nt_rec_init(&r, l);
	r.stop_on = CONN_ERROR;
	r.stop_on_set = true;
	cs.port = (unsigned int)closed_port();
	r.conn = connect_start(l, &cs, nt_rec_cb, &r);
	/* never from inside connect_start */
	assert_int_equal(r.events[CONN_ERROR], 0);
	assert_false(nt_run(l, 5000));
	assert_int_equal(r.events[CONN_CONNECTED], 0);
	assert_non_null(strstr(r.error, "refused"));
	nt_rec_free(&r);
	loop_free(&l);
}

static void
test_connect_bad_port(void **state)
{
	struct loop *l = loop_new();
	struct nt_rec r;
	struct connect_settings cs = { .host = "127.0.0.1", .port = 0 };

	nt_rec_init(&r, l);
	r.stop_on = CONN_ERROR;
	r.stop_on_set = true;
	r.conn = connect_start(l, &cs, nt_rec_cb, &r);
	assert_false(nt_run(l, 5000));
	assert_int_equal(r.events[CONN_ERROR], 1);
	nt_rec_free(&r);
	loop_free(&l);
}

static void
on_line_echo(struct nt_rec *r, const struct conn_ev *ev)
{
	if (ev->type == CONN_LINE)
		conn_printf(r->conn, "echo %s\r\n", ev->data);
}

static void
on_connected_send(struct nt_rec *r, const struct conn_ev *ev)
{
	if (ev->type == CONN_CONNECTED)
		conn_write_line(r->conn, "hi");
}

static void
test_connect_dns_localhost(void **state)
{
	struct loop *l = loop_new();
	struct nt_rec srv, cli;
	struct listener *lst, *lst6 = NULL;
	char addr6[32];
	struct listener_settings s6 = { .address = addr6 };
	struct connect_settings cs = { .host = "localhost",
				       .timeout_ms = 5000 };
	const char *error;

	nt_rec_init(&srv, l);
	nt_rec_init(&cli, l);
	srv.hook = on_line_echo;
	lst = nt_listen(l, &srv, NULL);
	cs.port = (unsigned int)listener_port(lst);
	/* localhost may resolve to ::1 first: listen there too if we can */
	snprintf(addr6, sizeof(addr6), "[::1]:%u", cs.port);
	(void)listener_new(l, &s6, nt_accept, &srv, &lst6, &error);
	cli.hook = on_connected_send;
	cli.stop_lines = 1;
	cli.conn = connect_start(l, &cs, nt_rec_cb, &cli);
	assert_false(nt_run(l, 5000));
	assert_int_equal(cli.events[CONN_CONNECTED], 1);
	assert_string_equal(cli.lines[0], "echo hi");
	assert_non_null(strstr(conn_peer(cli.conn), "localhost:"));
	nt_rec_free(&cli);
	nt_rec_free(&srv);
	listener_free(&lst);
	listener_free(&lst6);
	nt_run(l, 50);
	loop_free(&l);
}

static void
test_connect_dns_failure(void **state)
{
	struct loop *l = loop_new();
	struct nt_rec r;
	struct connect_settings cs = { .host = "no-such-host.invalid",
				       .port = 143, .timeout_ms = 5000 };

	nt_rec_init(&r, l);
	r.stop_on = CONN_ERROR;
	r.stop_on_set = true;
	r.conn = connect_start(l, &cs, nt_rec_cb, &r);
	assert_false(nt_run(l, 10000));
	assert_int_equal(r.events[CONN_ERROR], 1);
	nt_rec_free(&r);
	loop_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listener_max_per_ip),
		cmocka_unit_test(test_listener_max_conns),
		cmocka_unit_test(test_listener_bad_address),
		cmocka_unit_test(test_listener_ipv6),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_connect_bad_port),
		cmocka_unit_test(test_connect_dns_localhost),
		cmocka_unit_test(test_connect_dns_failure),
	};

	log_open("test-listener", LOG_TARGET_STDERR, LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
