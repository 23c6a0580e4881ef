/* tests for src/net/conn.c, conn-io.c: lines, literals, back-pressure,
 * timeouts, close paths. Real sockets on 127.0.0.1, a real loop, every
 * wait bounded by nt_run(). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "nettest.h"

struct fixture {
	struct loop *loop;
	struct listener *lst;
	struct nt_rec rec;
	struct nt_peer peer;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->loop = loop_new();
	nt_rec_init(&f->rec, f->loop);
	f->lst = nt_listen(f->loop, &f->rec, NULL);
	f->peer.fd = -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	nt_peer_close(&f->peer);
	nt_rec_free(&f->rec);
	listener_free(&f->lst);
	/* let closing conns finish so nothing leaks */
	nt_run(f->loop, 50);
	loop_free(&f->loop);
	free(f);
	return 0;
}

static void
open_peer(struct fixture *f, int rcvbuf)
{
	nt_peer_open(&f->peer, f->loop, listener_port(f->lst), rcvbuf);
	f->peer.watch = &f->rec.conn;
}

static void
test_conn_read_line_split_everywhere(void **state)
{
	static const char input[] = "A1 LOGIN x y\r\nA2 NOOP\nA3 LOGOUT\r\n";
	struct fixture *f = *state;

	for (size_t k = 0; k <= sizeof(input) - 1; k++) {
		nt_rec_free(&f->rec);
		nt_rec_init(&f->rec, f->loop);
		open_peer(f, 0);
		f->rec.stop_lines = 3;
		nt_peer_send(&f->peer, input, k);
		nt_run(f->loop, 5);
		nt_peer_send(&f->peer, input + k, sizeof(input) - 1 - k);
		if (f->rec.nlines < 3 && nt_run(f->loop, 2000))
			fail_msg("split at %zu: %zu lines", k, f->rec.nlines);
		assert_int_equal(f->rec.nlines, 3);
		assert_string_equal(f->rec.lines[0], "A1 LOGIN x y");
		assert_string_equal(f->rec.lines[1], "A2 NOOP");
		assert_string_equal(f->rec.lines[2], "A3 LOGOUT");
		nt_peer_close(&f->peer);
	}
}

static void
test_conn_read_line_crlf_and_lf(void **state)
{
	struct fixture *f = *state;

	open_peer(f, 0);
	nt_peer_send_str(&f->peer, "one\r\ntwo\nthree\r\r\n\r\nlast\n");
	f->rec.stop_lines = 5;
	assert_false(nt_run(f->loop, 2000));
	assert_string_equal(f->rec.lines[0], "one");
	assert_string_equal(f->rec.lines[1], "two");
	/* only the final CR belongs to the line end */
	assert_string_equal(f->rec.lines[2], "three\r");
	assert_string_equal(f->rec.lines[3], "");
	assert_string_equal(f->rec.lines[4], "last");
	assert_int_equal(conn_bytes_in(f->rec.conn), 24);
}

static bool
run_until(struct fixture *f, bool *cond, unsigned int ms)
{
	for (unsigned int t = 0; t < ms && !*cond; t += 10)
		nt_run(f->loop, 10);
	return *cond;
}

static void
wait_accepted(struct fixture *f)
{
	for (int i = 0; i < 200 && f->rec.conn == NULL; i++)
		nt_run(f->loop, 5);
	assert_non_null(f->rec.conn);
}

static void
reply_too_long(struct nt_rec *r, const struct conn_ev *ev)
{
	if (ev->type == CONN_LINE_TOO_LONG)
		conn_write_line(r->conn, "* BAD line too long");
}

static void
test_conn_read_line_too_long_bounded(void **state)
{
	struct fixture *f = *state;
	size_t big = 1024 * 1024;
	char *line = xmalloc(big);

	memset(line, 'x', big);
	f->rec.hook = reply_too_long;
	open_peer(f, 0);
	nt_peer_send_str(&f->peer, "A1 ");
	nt_peer_send(&f->peer, line, big);
	nt_peer_send_str(&f->peer, "\r\nA2 NOOP\r\n");
	f->rec.stop_lines = 1;
	assert_false(nt_run(f->loop, 10000));
	assert_int_equal(f->rec.events[CONN_LINE_TOO_LONG], 1);
	assert_string_equal(f->rec.lines[0], "A2 NOOP");
	/* never more than the cap plus a little was buffered */
	assert_true(f->peer.max_pending <= 2 * CONN_DEFAULT_MAX_LINE);
	nt_run(f->loop, 20);
	assert_non_null(f->peer.in);
	assert_string_equal(f->peer.in, "* BAD line too long\r\n");
	free(line);
}

static void
test_conn_read_line_cap_boundary(void **state)
{
	struct fixture *f = *state;
	char *line = xmalloc(8194);

	memset(line, 'y', 8193);
	open_peer(f, 0);
	wait_accepted(f);
	conn_read_line(f->rec.conn, 8192);
	nt_peer_send(&f->peer, line, 8192);	/* exactly max: fine */
	nt_peer_send_str(&f->peer, "\r\n");
	nt_peer_send(&f->peer, line, 8193);	/* one more: too long */
	nt_peer_send_str(&f->peer, "\nok\n");
	f->rec.stop_lines = 2;
	assert_false(nt_run(f->loop, 2000));
	assert_int_equal(strlen(f->rec.lines[0]), 8192);
	assert_string_equal(f->rec.lines[1], "ok");
	assert_int_equal(f->rec.events[CONN_LINE_TOO_LONG], 1);
	free(line);
}

static void
literal_hook(struct nt_rec *r, const struct conn_ev *ev)
{
	size_t *chunk = r->user;

	if (ev->type == CONN_LINE && strstr(ev->data, "APPEND {") != NULL) {
		uint64_t n = strtoull(strchr(ev->data, '{') + 1, NULL, 10);

		conn_read_literal(r->conn, n, *chunk);
	}
	if (ev->type == CONN_LITERAL) {
		for (size_t i = 0; i < ev->len; i++)
			assert_int_equal(ev->data[i], 'L');
		assert_true(ev->len <= *chunk);
	}
}

static void
test_conn_read_literal_whole(void **state)
{
	struct fixture *f = *state;
	size_t chunk = 1024;

	f->rec.hook = literal_hook;
	f->rec.user = &chunk;
	open_peer(f, 0);
	nt_peer_send_str(&f->peer, "A1 APPEND {5}\r\nLLLLL\r\nA2 NOOP\r\n");
	f->rec.stop_lines = 3;
	assert_false(nt_run(f->loop, 2000));
	assert_int_equal(f->rec.literal_pieces, 1);
	assert_int_equal(f->rec.literal_total, 5);
	assert_true(f->rec.literal_last_seen);
	assert_string_equal(f->rec.lines[1], "");
	assert_string_equal(f->rec.lines[2], "A2 NOOP");
}

static void
test_conn_read_literal_chunked(void **state)
{
	struct fixture *f = *state;
	size_t chunk = 4096, n = 100000;
	char *lit = xmalloc(n);

	memset(lit, 'L', n);
	f->rec.hook = literal_hook;
	f->rec.user = &chunk;
	open_peer(f, 0);
	nt_peer_send_str(&f->peer, "A1 APPEND {100000}\r\n");
	nt_peer_send(&f->peer, lit, n);
	nt_peer_send_str(&f->peer, "\r\nA2 NOOP\r\n");
	f->rec.stop_lines = 3;
	assert_false(nt_run(f->loop, 5000));
	assert_int_equal(f->rec.literal_total, n);
	assert_int_equal(f->rec.literal_pieces, (n + chunk - 1) / chunk);
	assert_true(f->rec.literal_last_seen);
	assert_string_equal(f->rec.lines[2], "A2 NOOP");
	/* the literal never sat whole in memory */
	assert_true(f->peer.max_pending <= 4 * chunk + 2 * 8192);
	free(lit);
}

static void
test_conn_write_backpressure(void **state)
{
	struct fixture *f = *state;
	static char block[65536];
	int r = 0, big = 4 * 1024 * 1024;

	memset(block, 'D', sizeof(block));
	open_peer(f, 4096);
	f->peer.reading = false;
	wait_accepted(f);
	conn_set_watermarks(f->rec.conn, 16 * 1024, 64 * 1024);
	for (int i = 0; i < 64; i++)
		r = conn_write(f->rec.conn, block, sizeof(block));
	assert_int_equal(r, 1);
	nt_peer_send_str(&f->peer, "PING\r\n");
	nt_run(f->loop, 300);
	/* the peer reads nothing: still blocked, input not delivered */
	assert_int_equal(f->rec.events[CONN_DRAINED], 0);
	assert_int_equal(f->rec.nlines, 0);
	assert_true(conn_write_pending_bytes(f->rec.conn) > 64 * 1024);
	/* now read, with a window that lets it go fast */
	setsockopt(f->peer.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	f->peer.reading = true;
	f->rec.stop_on = CONN_DRAINED;
	f->rec.stop_on_set = true;
	if (nt_run(f->loop, 30000))
		fail_msg("not drained: %zu pending, peer got %zu",
			 conn_write_pending_bytes(f->rec.conn), f->peer.in_len);
	assert_int_equal(f->rec.events[CONN_DRAINED], 1);
	f->rec.stop_lines = 1;
	f->rec.stop_on_set = false;
	if (f->rec.nlines == 0)
		assert_false(nt_run(f->loop, 2000));
	assert_string_equal(f->rec.lines[0], "PING");
	assert_int_equal(conn_bytes_out(f->rec.conn), 64 * sizeof(block));
}

static void
test_conn_idle_timeout(void **state)
{
	struct fixture *f = *state;

	open_peer(f, 0);
	wait_accepted(f);
	conn_set_timeouts(f->rec.conn, 100, 0);
	f->rec.stop_on = CONN_TIMEOUT;
	f->rec.stop_on_set = true;
	assert_false(nt_run(f->loop, 3000));
	assert_string_equal(f->rec.error, "idle timeout");
	/* not re-armed, not closed by the owner: the conn closed itself */
	assert_true(conn_is_closing(f->rec.conn));
	assert_true(run_until(f, &f->peer.eof, 3000));
}

static void
test_conn_idle_timeout_reset_by_input(void **state)
{
	struct fixture *f = *state;

	open_peer(f, 0);
	wait_accepted(f);
	conn_set_timeouts(f->rec.conn, 150, 0);
	for (int i = 0; i < 8; i++) {
		nt_peer_send_str(&f->peer, "NOOP\r\n");
		nt_run(f->loop, 50);
	}
	assert_int_equal(f->rec.events[CONN_TIMEOUT], 0);
	assert_int_equal(f->rec.nlines, 8);
}

static void
test_conn_session_timeout(void **state)
{
	struct fixture *f = *state;

	open_peer(f, 0);
	wait_accepted(f);
	conn_set_timeouts(f->rec.conn, 0, 120);
	f->rec.stop_on = CONN_TIMEOUT;
	f->rec.stop_on_set = true;
	assert_false(nt_run(f->loop, 3000));
	assert_string_equal(f->rec.error, "session timeout");
}

static void
test_conn_peer_close(void **state)
{
	struct fixture *f = *state;

	open_peer(f, 0);
	nt_peer_send_str(&f->peer, "LOGOUT\r\n");
	wait_accepted(f);
	close(f->peer.fd);
	f->peer.fd = -1;
	f->rec.stop_on = CONN_CLOSED;
	f->rec.stop_on_set = true;
	assert_false(nt_run(f->loop, 3000));
	assert_int_equal(f->rec.nlines, 1);
	assert_string_equal(f->rec.lines[0], "LOGOUT");
	assert_int_equal(conn_write_line(f->rec.conn, "late"), -1);
}

static void
quit_hook(struct nt_rec *r, const struct conn_ev *ev)
{
	if (ev->type != CONN_LINE || strcmp(ev->data, "QUIT") != 0)
		return;
	conn_write_line(r->conn, "* BYE");
	conn_close(r->conn);
	assert_int_equal(conn_write_line(r->conn, "after"), -1);
	conn_unref(&r->conn);	/* the last reference, inside the callback */
}

static void
test_conn_close_inside_callback(void **state)
{
	struct fixture *f = *state;

	f->rec.hook = quit_hook;
	open_peer(f, 0);
	/* QUIT followed by more input: must not be processed, and must
	 * not turn our close into a reset that loses "* BYE" */
	nt_peer_send_str(&f->peer, "QUIT\r\nNOOP\r\nNOOP\r\n");
	assert_true(run_until(f, &f->peer.eof, 5000));
	assert_string_equal(f->peer.in, "* BYE\r\n");
	assert_int_equal(f->rec.nlines, 1);
	assert_null(f->rec.conn);
	/* lingering until our peer closes too */
	assert_int_equal(listener_conn_count(f->lst), 1);
	close(f->peer.fd);
	f->peer.fd = -1;
	for (int i = 0; i < 100 && listener_conn_count(f->lst) > 0; i++)
		nt_run(f->loop, 10);
	assert_int_equal(listener_conn_count(f->lst), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_conn_read_line_split_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_conn_read_line_crlf_and_lf, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_conn_read_line_too_long_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_conn_read_line_cap_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_conn_read_literal_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_conn_read_literal_chunked, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_conn_write_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_conn_idle_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_conn_idle_timeout_reset_by_input, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_conn_session_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_conn_peer_close, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_conn_close_inside_callback, setup, teardown),
	};

	log_open("test-conn", LOG_TARGET_STDERR, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
