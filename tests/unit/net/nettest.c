#include "nettest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "lib/xalloc.h"
#include "net/certgen.h"

static bool run_timed_out;

static void
run_guard(void *arg)
{
	run_timed_out = true;
	loop_break(arg);
}

bool
nt_run(struct loop *l, unsigned int ms)
{
	struct timer *t = timer_new(l, run_guard, l);

	run_timed_out = false;
	timer_start(t, ms, false);
	loop_run(l);
	timer_free(&t);
	return run_timed_out;
}

/* ---- raw peer ---- */

static void
peer_write(struct nt_peer *p)
{
	while (p->out_off < p->out_len) {
		ssize_t n = send(p->fd, p->out + p->out_off,
				 p->out_len - p->out_off, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		p->out_off += (size_t)n;
	}
}

static void
peer_read(struct nt_peer *p)
{
	char tmp[65536];
	ssize_t n;

	while (p->reading && !p->eof) {
		n = recv(p->fd, tmp, sizeof(tmp), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			p->eof = true;
			break;
		}
		if (n < 0)
			break;
		p->in = xrealloc(p->in, p->in_len + (size_t)n + 1);
		memcpy(p->in + p->in_len, tmp, (size_t)n);
		p->in_len += (size_t)n;
		p->in[p->in_len] = '\0';
	}
}

static void
peer_pump(void *arg)
{
	struct nt_peer *p = arg;

	if (p->fd < 0)
		return;
	peer_write(p);
	peer_read(p);
	if (p->watch != NULL && *p->watch != NULL) {
		size_t n = conn_read_pending_bytes(*p->watch);

		if (n > p->max_pending)
			p->max_pending = n;
	}
}

void
nt_peer_open(struct nt_peer *p, struct loop *l, int port, int rcvbuf)
{
	struct sockaddr_in sin;

	memset(p, 0, sizeof(*p));
	p->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(p->fd >= 0);
	if (rcvbuf > 0)
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(p->fd, (struct sockaddr *)&sin,
				 sizeof(sin)), 0);
	fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK);
	p->reading = true;
	p->pump = timer_new(l, peer_pump, p);
	timer_start(p->pump, 1, true);
}

void
nt_peer_send(struct nt_peer *p, const void *data, size_t len)
{
	p->out = xrealloc(p->out, p->out_len + len);
	memcpy(p->out + p->out_len, data, len);
	p->out_len += len;
	peer_write(p);
}

void
nt_peer_send_str(struct nt_peer *p, const char *s)
{
	nt_peer_send(p, s, strlen(s));
}

void
nt_peer_close(struct nt_peer *p)
{
	timer_free(&p->pump);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	free(p->out);
	free(p->in);
	p->out = p->in = NULL;
}

/* ---- recording session ---- */

void
nt_rec_init(struct nt_rec *r, struct loop *l)
{
	memset(r, 0, sizeof(*r));
	r->loop = l;
}

void
nt_rec_free(struct nt_rec *r)
{
	for (size_t i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	conn_unref(&r->conn);
}

static void
record(struct nt_rec *r, const struct conn_ev *ev)
{
	r->events[ev->type]++;
	if (ev->error != NULL)
		snprintf(r->error, sizeof(r->error), "%s", ev->error);
	if (ev->type == CONN_LINE && r->nlines < NT_MAX_LINES)
		r->lines[r->nlines++] = xstrndup(ev->data, ev->len);
	if (ev->type == CONN_LITERAL) {
		r->literal_total += ev->len;
		r->literal_pieces++;
		if (ev->last)
			r->literal_last_seen = true;
	}
}

void
nt_rec_cb(struct conn *c, const struct conn_ev *ev, void *ctx)
{
	struct nt_rec *r = ctx;

	record(r, ev);
	if (r->hook != NULL)
		r->hook(r, ev);
	if ((r->stop_lines > 0 && ev->type == CONN_LINE &&
	     r->nlines >= r->stop_lines) ||
	    (r->stop_on_set && ev->type == r->stop_on))
		loop_break(r->loop);
}

void
nt_accept(struct conn *c, const char *peer, void *ctx)
{
	struct nt_rec *r = ctx;

	assert_non_null(peer);
	conn_unref(&r->conn);
	r->conn = c;
	conn_set_callback(c, nt_rec_cb, r);
}

struct listener *
nt_listen(struct loop *l, struct nt_rec *r, const struct listener_settings *s)
{
	struct listener_settings def = { .address = "127.0.0.1:0" };
	struct listener *lst = NULL;
	const char *error = NULL;

	if (s == NULL)
		s = &def;
	assert_int_equal(listener_new(l, s, nt_accept, r, &lst, &error), 0);
	assert_true(listener_port(lst) > 0);
	return lst;
}

/* ---- certificates ---- */

void
nt_certs_make(struct nt_certs *c)
{
	char *error = NULL;

	snprintf(c->dir, sizeof(c->dir), "/tmp/conflux-net-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->cert, sizeof(c->cert), "%s/cert.pem", c->dir);
	snprintf(c->key, sizeof(c->key), "%s/key.pem", c->dir);
	if (certgen_selfsigned(c->cert, c->key, "", &error) < 0)
		fail_msg("certgen: %s", error);
}

void
nt_certs_remove(struct nt_certs *c)
{
	unlink(c->cert);
	unlink(c->key);
	rmdir(c->dir);
}
