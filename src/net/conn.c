/* struct conn: lifetime, events, graceful close, timeouts.
 * Reading and writing are in conn-io.c, TLS in conn-tls.c. */
#include "net/conn-private.h"
#include "net/tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

#include "lib/log.h"
#include "lib/xalloc.h"

static void on_event(struct bufferevent *bev, short what, void *arg);
static void close_step(struct conn *c);

/* ---- references ---- */

static void
conn_free_now(struct conn *c)
{
	if (c->loop_prev != NULL)
		c->loop_prev->loop_next = c->loop_next;
	else
		*loop_conns(c->loop) = c->loop_next;
	if (c->loop_next != NULL)
		c->loop_next->loop_prev = c->loop_prev;
	tls_ctx_free(&c->tls);
	tls_ctx_free(&c->connect_tls);
	free(c->tls_host);
	free(c->scratch);
	free(c->peer);
	free(c);
}

void
conn_ref(struct conn *c)
{
	c->refs++;
}

/* Drops one reference. The last one closes the conn; the memory goes once
 * the socket is released too. */
static void
conn_release(struct conn *c)
{
	if (--c->refs > 0)
		return;
	if (c->phase == CONN_PHASE_DEAD)
		conn_free_now(c);
	else
		conn_close(c);
}

void
conn_unref(struct conn **cp)
{
	struct conn *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	conn_release(c);
}

/* ---- events to the owner ---- */

static void
emit(struct conn *c, const struct conn_ev *ev)
{
	conn_cb *cb = c->cb;

	if (cb == NULL)
		return;
	c->refs++;
	cb(c, ev, c->cb_ctx);
	conn_release(c);
}

void
conn_emit(struct conn *c, enum conn_event type, const char *error)
{
	struct conn_ev ev = { .type = type, .error = error };

	if (c->phase <= CONN_PHASE_OPEN)
		emit(c, &ev);
}

void
conn_emit_event(struct conn *c, const struct conn_ev *ev)
{
	if (c->phase == CONN_PHASE_OPEN)
		emit(c, ev);
}

void
conn_emit_data(struct conn *c, enum conn_event type, const char *data,
	       size_t len, bool last)
{
	struct conn_ev ev = {
		.type = type, .data = data, .len = len, .last = last,
	};

	if (c->phase == CONN_PHASE_OPEN)
		emit(c, &ev);
}

void
conn_set_callback(struct conn *c, conn_cb *cb, void *ctx)
{
	c->cb = cb;
	c->cb_ctx = ctx;
	conn_schedule_input(c);
}

/* ---- creation ---- */

static void
sock_in_cb(struct evbuffer *b, const struct evbuffer_cb_info *info,
	   void *arg)
{
	if (info->n_added > 0)
		conn_idle_touch(arg);
}

static void
sock_out_cb(struct evbuffer *b, const struct evbuffer_cb_info *info,
	    void *arg)
{
	struct conn *c = arg;

	if (info->n_deleted == 0)
		return;
	conn_idle_touch(c);
	if (c->phase == CONN_PHASE_SOCK_FLUSH && evbuffer_get_length(b) == 0)
		close_step(c);
}

static void
top_in_cb(struct evbuffer *b, const struct evbuffer_cb_info *info,
	  void *arg)
{
	struct conn *c = arg;

	c->bytes_in += info->n_added;
}

#define CONN_MAX_SINGLE_READ (128 * 1024)

void
conn_install_bev(struct conn *c, struct bufferevent *bev)
{
	if (c->in_count_cb != NULL)
		evbuffer_remove_cb_entry(bufferevent_get_input(c->bev),
					 c->in_count_cb);
	c->bev = bev;
	bufferevent_setcb(bev, conn_io_readcb, conn_io_writecb, on_event, c);
	c->in_count_cb = evbuffer_add_cb(bufferevent_get_input(bev),
					 top_in_cb, c);
	bufferevent_setwatermark(bev, EV_WRITE, c->wlow, 0);
	/* libevent reads 16 KiB at a time by default: a message download
	 * then costs a read (and an ioctl) per 16 KiB. The read watermark
	 * still bounds what is buffered. */
	bufferevent_set_max_single_read(bev, CONN_MAX_SINGLE_READ);
	/* Likewise for writes: at 16 KiB a reply's tail is a small segment
	 * that Nagle holds until the peer's delayed ACK (40 ms a reply). */
	bufferevent_set_max_single_write(bev, CONN_MAX_SINGLE_READ);
	conn_update_read_wm(c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void set_nodelay(int fd);
static void process_fired(evutil_socket_t fd, short what, void *arg);
static void idle_fired(void *arg);
static void total_fired(void *arg);
static void close_fired(void *arg);

static void
conn_init_sock(struct conn *c, int fd)
{
	struct event_base *base = loop_base(c->loop);

	if (fd >= 0) {
		evutil_make_socket_nonblocking(fd);
		set_nodelay(fd);
	}
	c->sock = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE |
					 BEV_OPT_DEFER_CALLBACKS);
	if (c->sock == NULL)
		fatal("bufferevent_socket_new failed");
	evbuffer_add_cb(bufferevent_get_input(c->sock), sock_in_cb, c);
	evbuffer_add_cb(bufferevent_get_output(c->sock), sock_out_cb, c);
	c->process_ev = event_new(base, -1, 0, process_fired, c);
	if (c->process_ev == NULL)
		fatal("event_new failed");
	conn_install_bev(c, c->sock);
}

struct conn *
conn_new_fd(struct loop *l, int fd, const char *peer)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->refs = 1;
	c->phase = fd >= 0 ? CONN_PHASE_OPEN : CONN_PHASE_CONNECTING;
	c->loop = l;
	c->loop_next = *loop_conns(l);
	if (c->loop_next != NULL)
		c->loop_next->loop_prev = c;
	*loop_conns(l) = c;
	log_session_id(c->sid);
	c->peer = xstrdup(peer);
	c->mode = CONN_READ_LINE;
	c->max_line = CONN_DEFAULT_MAX_LINE;
	c->wlow = CONN_DEFAULT_WRITE_LOW;
	c->whigh = CONN_DEFAULT_WRITE_HIGH;
	c->idle_timer = timer_new(l, idle_fired, c);
	c->total_timer = timer_new(l, total_fired, c);
	c->close_timer = timer_new(l, close_fired, c);
	conn_init_sock(c, fd);
	return c;
}

struct bufferevent *
conn_bev(struct conn *c)
{
	return c->sock;
}

void
conn_set_release_hook(struct conn *c, conn_release_cb *cb, void *ctx)
{
	c->release_cb = cb;
	c->release_ctx = ctx;
}

/* ---- the end of the socket ---- */

static void
release_socket(struct conn *c)
{
	/* The TLS filter owns the socket bufferevent (CLOSE_ON_FREE) and
	 * frees it, with the SSL, along with itself. */
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	c->bev = c->sock = NULL;
	c->ssl = NULL;
	event_free(c->process_ev);
	c->process_ev = NULL;
	timer_free(&c->idle_timer);
	timer_free(&c->total_timer);
	timer_free(&c->close_timer);
	if (c->release_cb != NULL)
		c->release_cb(c, c->release_ctx);
	c->release_cb = NULL;
}

void
conn_die(struct conn *c, enum conn_event type, const char *error)
{
	bool notify = type == CONN_CLOSED || type == CONN_ERROR;
	struct conn_ev ev = { .type = type, .error = error };

	if (c->phase == CONN_PHASE_DEAD)
		return;
	if (type == CONN_ERROR)
		slog_info(c->sid, "connection error: %s", error);
	c->phase = CONN_PHASE_DEAD;
	c->write_blocked = false;
	c->refs++;
	release_socket(c);
	if (notify)
		emit(c, &ev);
	c->cb = NULL;
	conn_release(c);
}

/* ---- graceful close ---- */

static void
start_linger(struct conn *c)
{
	int fd = bufferevent_getfd(c->sock);

	c->phase = CONN_PHASE_LINGER;
	/* Half-close and keep reading until the peer's EOF: closing with
	 * unread input makes the kernel send RST, which can destroy our
	 * last reply before the peer reads it. */
	if (fd >= 0)
		(void)shutdown(fd, SHUT_WR); /* ENOTCONN: the EOF follows */
	timer_start(c->close_timer, CONN_LINGER_MS, false);
}

static void
close_step(struct conn *c)
{
	if (c->phase == CONN_PHASE_FLUSH) {
		if (!c->handshaking &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
			return;
		if (c->ssl != NULL && !c->handshaking) {
			/* Queues close_notify into the socket buffer. */
			SSL_shutdown(c->ssl);
			ERR_clear_error();
		}
		c->phase = CONN_PHASE_SOCK_FLUSH;
	}
	if (c->phase == CONN_PHASE_SOCK_FLUSH &&
	    evbuffer_get_length(bufferevent_get_output(c->sock)) == 0)
		start_linger(c);
}

void
conn_close(struct conn *c)
{
	if (c->phase >= CONN_PHASE_FLUSH)
		return;
	c->cb = NULL;
	if (c->phase == CONN_PHASE_CONNECTING) {
		conn_die(c, CONN_CONNECTED, NULL);
		return;
	}
	c->phase = CONN_PHASE_FLUSH;
	c->mode = CONN_READ_NONE;
	timer_stop(c->idle_timer);
	timer_stop(c->total_timer);
	timer_start(c->close_timer, CONN_CLOSE_TIMEOUT_MS, false);
	conn_discard_input(c, NULL);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	c->refs++;
	close_step(c);
	conn_release(c);
}

void
conn_io_close_progress(struct conn *c)
{
	close_step(c);
}

bool
conn_is_closing(const struct conn *c)
{
	return c->phase > CONN_PHASE_OPEN;
}

/* ---- libevent events ---- */

static const char *
error_text(struct conn *c, char *buf, size_t len)
{
	unsigned long e = 0, first = 0;
	int err = EVUTIL_SOCKET_ERROR();
	int dns;

	if (c->ssl != NULL && c->handshaking && !tls_ctx_is_server(c->tls)) {
		const char *v = tls_verify_error(c->ssl, c->tls_host);

		if (v != NULL) {
			snprintf(buf, len, "%s", v);
			ERR_clear_error();
			return buf;
		}
	}
	while (c->ssl != NULL && (e = bufferevent_get_openssl_error(c->bev)))
		first = e;
	ERR_clear_error();
	dns = c->sock != NULL ? bufferevent_socket_get_dns_error(c->sock) : 0;
	if (first != 0)
		snprintf(buf, len, "TLS error: %s",
			 ERR_reason_error_string(first) != NULL ?
			 ERR_reason_error_string(first) : "unknown");
	else if (dns != 0)
		snprintf(buf, len, "cannot resolve %s: %s", c->peer,
			 evutil_gai_strerror(dns));
	else if (err != 0)
		snprintf(buf, len, "%s", strerror(err));
	else
		snprintf(buf, len, "connection failed");
	return buf;
}

/* Replies are written whole, so there is nothing for Nagle to merge; it
 * would only hold the last segment of each one for a delayed ACK. */
static void
set_nodelay(int fd)
{
	int one = 1;

	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
				 sizeof(one));
}

static void
on_connected(struct conn *c)
{
	if (c->phase == CONN_PHASE_CONNECTING) {
		c->phase = CONN_PHASE_OPEN;
		set_nodelay(bufferevent_getfd(c->sock));
		timer_stop(c->close_timer);
		slog_debug(c->sid, "connected to %s", c->peer);
		if (c->connect_tls != NULL &&
		    conn_tls_start(c, c->connect_tls, c->tls_host) < 0) {
			conn_die(c, CONN_ERROR, "cannot start TLS");
			return;
		}
		conn_emit(c, CONN_CONNECTED, NULL);
		return;
	}
	if (c->handshaking && c->phase == CONN_PHASE_OPEN) {
		c->handshaking = false;
		slog_debug(c->sid, "TLS established: %s %s",
			   SSL_get_version(c->ssl), SSL_get_cipher(c->ssl));
		c->refs++;
		conn_emit(c, CONN_TLS_DONE, NULL);
		conn_schedule_input(c);
		conn_release(c);
	} else if (c->handshaking) {
		c->handshaking = false;
		close_step(c);
	}
}

static void
on_eof(struct conn *c)
{
	c->refs++;
	/* Deliver what arrived before the EOF (a last "LOGOUT"). */
	conn_process_input(c);
	conn_die(c, CONN_CLOSED, NULL);
	conn_release(c);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	char buf[256];

	if (what & BEV_EVENT_CONNECTED) {
		on_connected(c);
		return;
	}
	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	if (c->phase > CONN_PHASE_OPEN)
		conn_die(c, CONN_CONNECTED, NULL);
	else if (what & BEV_EVENT_EOF)
		on_eof(c);
	else
		conn_die(c, CONN_ERROR, error_text(c, buf, sizeof(buf)));
}

static void
process_fired(evutil_socket_t fd, short what, void *arg)
{
	conn_process_input(arg);
}

void
conn_schedule_input(struct conn *c)
{
	bool empty_literal = c->mode == CONN_READ_LITERAL && c->lit_left == 0;

	if (c->phase == CONN_PHASE_OPEN && c->process_ev != NULL &&
	    (conn_read_pending_bytes(c) > 0 || empty_literal))
		event_active(c->process_ev, EV_READ, 0);
}

/* ---- timeouts ---- */

void
conn_set_timeouts(struct conn *c, unsigned int idle_ms,
		  unsigned int total_ms)
{
	if (c->phase > CONN_PHASE_OPEN)
		return;
	c->timeout_gen++;
	c->idle_ms = idle_ms;
	if (idle_ms > 0)
		timer_start(c->idle_timer, idle_ms, false);
	else
		timer_stop(c->idle_timer);
	if (total_ms > 0)
		timer_start(c->total_timer, total_ms, false);
	else
		timer_stop(c->total_timer);
}

void
conn_idle_touch(struct conn *c)
{
	if (c->idle_ms > 0 && c->phase <= CONN_PHASE_OPEN)
		timer_start(c->idle_timer, c->idle_ms, false);
}

static void
fire_timeout(struct conn *c, const char *what)
{
	unsigned int gen = c->timeout_gen;

	slog_info(c->sid, "%s", what);
	c->refs++;
	conn_emit(c, CONN_TIMEOUT, what);
	if (c->phase <= CONN_PHASE_OPEN && gen == c->timeout_gen)
		conn_close(c);
	conn_release(c);
}

static void
idle_fired(void *arg)
{
	fire_timeout(arg, "idle timeout");
}

static void
total_fired(void *arg)
{
	fire_timeout(arg, "session timeout");
}

static void
close_fired(void *arg)
{
	struct conn *c = arg;

	if (c->phase == CONN_PHASE_CONNECTING)
		conn_die(c, CONN_ERROR, "connect timeout");
	else
		conn_die(c, CONN_CONNECTED, NULL);
}

void
conn_drop_closing(struct loop *l)
{
	struct conn *c, *next;

	for (c = *loop_conns(l); c != NULL; c = next) {
		next = c->loop_next;
		/* Nobody holds a closing conn: its close timer would have
		 * released it. conn_die frees it (and unlinks it). */
		if (c->phase >= CONN_PHASE_FLUSH && c->phase < CONN_PHASE_DEAD &&
		    c->refs == 0)
			conn_die(c, CONN_CONNECTED, NULL);
	}
}

/* Outbound conns arm the connect timeout on the close timer. */
void
conn_connect_timeout(struct conn *c, unsigned int msecs)
{
	if (msecs > 0)
		timer_start(c->close_timer, msecs, false);
}

/* ---- identity ---- */

const char *
conn_session_id(const struct conn *c)
{
	return c->sid;
}

const char *
conn_peer(const struct conn *c)
{
	return c->peer;
}

uint64_t
conn_bytes_in(const struct conn *c)
{
	return c->bytes_in;
}

uint64_t
conn_bytes_out(const struct conn *c)
{
	return c->bytes_out;
}
