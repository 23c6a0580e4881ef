/* struct conn: the line reader, the literal reader and the write queue. */
#include "net/conn-private.h"

#include <string.h>

#include <event2/buffer.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* Smallest read high-water mark, so short lines still read in big gulps. */
#define READ_WM_MIN 4096

/* ---- mode changes ---- */

void
conn_update_read_wm(struct conn *c)
{
	size_t need;

	if (c->bev == NULL || c->mode == CONN_READ_NONE)
		return;
	if (c->mode == CONN_READ_LITERAL)
		need = c->lit_left < c->lit_chunk ? c->lit_left : c->lit_chunk;
	else
		need = c->max_line + 2;
	if (need < READ_WM_MIN)
		need = READ_WM_MIN;
	/* Reading stops once this much is buffered: the line cap plus an
	 * EOL, or one literal piece, so a line or piece can always
	 * complete and nothing more piles up. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, need);
}

void
conn_read_line(struct conn *c, size_t max_line)
{
	c->mode = CONN_READ_LINE;
	c->max_line = max_line > 0 ? max_line : CONN_DEFAULT_MAX_LINE;
	conn_update_read_wm(c);
	conn_schedule_input(c);
}

void
conn_read_literal(struct conn *c, uint64_t size, size_t chunk)
{
	c->mode = CONN_READ_LITERAL;
	c->lit_left = size;
	c->lit_chunk = chunk > 0 ? chunk : 1;
	conn_update_read_wm(c);
	conn_schedule_input(c);
}

void
conn_read_pause(struct conn *c)
{
	c->mode = CONN_READ_NONE;
}

size_t
conn_read_pending_bytes(const struct conn *c)
{
	size_t n;

	if (c->bev == NULL)
		return 0;
	n = evbuffer_get_length(bufferevent_get_input(c->bev));
	if (c->sock != c->bev)
		n += evbuffer_get_length(bufferevent_get_input(c->sock));
	return n;
}

void
conn_discard_input(struct conn *c, const char *why)
{
	struct evbuffer *top = bufferevent_get_input(c->bev);
	struct evbuffer *sock = bufferevent_get_input(c->sock);
	size_t n = evbuffer_get_length(top);

	evbuffer_drain(top, n);
	if (sock != top) {
		n += evbuffer_get_length(sock);
		evbuffer_drain(sock, evbuffer_get_length(sock));
	}
	if (why != NULL && n > 0)
		slog_warn(c->sid, "discarded %zu bytes %s", n, why);
}

/* ---- delivering input ---- */

static char *
scratch(struct conn *c, size_t n)
{
	if (n > c->scratch_cap) {
		c->scratch = xrealloc(c->scratch, n);
		c->scratch_cap = n;
	}
	return c->scratch;
}

/* The event carries the line's first bytes (up to LINE_HEAD_MAX), taken
 * before it is drained, so a protocol can still answer with the tag. */
#define LINE_HEAD_MAX 64

static int
line_too_long(struct conn *c, struct evbuffer *in)
{
	char head[LINE_HEAD_MAX + 1];
	ev_ssize_t n = evbuffer_copyout(in, head, LINE_HEAD_MAX);
	struct conn_ev ev = { .type = CONN_LINE_TOO_LONG,
			      .error = "line too long" };

	slog_info(c->sid, "line longer than %zu bytes", c->max_line);
	if (n < 0)
		n = 0;
	head[n] = '\0';
	ev.data = head;
	ev.len = (size_t)n;
	conn_emit_event(c, &ev);
	return 1;
}

/* Inside an over-long line: drop bytes up to and including its LF. */
static int
discard_step(struct conn *c, struct evbuffer *in, struct evbuffer_ptr eol,
	     size_t eol_len)
{
	if (eol.pos < 0) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return 0;
	}
	evbuffer_drain(in, (size_t)eol.pos + eol_len);
	c->discarding = false;
	return 1;
}

static int
deliver_line(struct conn *c, struct evbuffer *in, size_t len,
	     size_t eol_len)
{
	char *line = scratch(c, len + 1);

	evbuffer_remove(in, line, len);
	evbuffer_drain(in, eol_len);
	line[len] = '\0';
	conn_emit_data(c, CONN_LINE, line, len, false);
	return 1;
}

/* The cap is checked BEFORE a line is taken out, on what is buffered, so
 * an endless line costs at most max_line + one read of memory. */
static int
line_step(struct conn *c, struct evbuffer *in)
{
	size_t len = evbuffer_get_length(in), eol_len = 0;
	struct evbuffer_ptr eol;

	if (len == 0)
		return 0;
	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
	if (c->discarding)
		return discard_step(c, in, eol, eol_len);
	if (eol.pos < 0) {
		/* max_line + 1: the CR of a CRLF may wait for its LF. */
		if (len <= c->max_line + 1)
			return 0;
		line_too_long(c, in);
		evbuffer_drain(in, len);
		c->discarding = true;
		return 1;
	}
	if ((size_t)eol.pos > c->max_line) {
		line_too_long(c, in);
		evbuffer_drain(in, (size_t)eol.pos + eol_len);
		return 1;
	}
	return deliver_line(c, in, (size_t)eol.pos, eol_len);
}

static int
literal_step(struct conn *c, struct evbuffer *in)
{
	size_t want = c->lit_left < c->lit_chunk ? (size_t)c->lit_left :
		c->lit_chunk;
	char *piece;
	bool last;

	if (evbuffer_get_length(in) < want)
		return 0;
	piece = scratch(c, want + 1);
	evbuffer_remove(in, piece, want);
	piece[want] = '\0';
	c->lit_left -= want;
	last = c->lit_left == 0;
	if (last) {
		/* Back to lines first, so the callback may pick another
		 * literal or pause. */
		c->mode = CONN_READ_LINE;
		conn_update_read_wm(c);
	}
	conn_emit_data(c, CONN_LITERAL, piece, want, last);
	return 1;
}

static bool
can_deliver(const struct conn *c)
{
	return c->phase == CONN_PHASE_OPEN && c->cb != NULL &&
	       c->mode != CONN_READ_NONE && !c->handshaking &&
	       !c->write_blocked;
}

void
conn_process_input(struct conn *c)
{
	int r = 1;

	conn_ref(c);
	while (r > 0 && can_deliver(c)) {
		/* Re-read c->bev each turn: a callback may have started TLS. */
		struct evbuffer *in = bufferevent_get_input(c->bev);

		if (c->mode == CONN_READ_LINE)
			r = line_step(c, in);
		else
			r = literal_step(c, in);
	}
	conn_unref(&c);
}

void
conn_io_readcb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->phase != CONN_PHASE_OPEN) {
		conn_discard_input(c, NULL);
		return;
	}
	conn_process_input(c);
}

/* ---- writing ---- */

size_t
conn_write_pending_bytes(const struct conn *c)
{
	size_t n;

	if (c->bev == NULL)
		return 0;
	n = evbuffer_get_length(bufferevent_get_output(c->bev));
	if (c->sock != c->bev)
		n += evbuffer_get_length(bufferevent_get_output(c->sock));
	return n;
}

static int
queue(struct conn *c, const void *data, size_t len)
{
	if (c->phase != CONN_PHASE_OPEN)
		return -1;
	if (bufferevent_write(c->bev, data, len) != 0)
		fatal("bufferevent_write failed");
	c->bytes_out += len;
	return 0;
}

static int
check_high(struct conn *c)
{
	if (!c->write_blocked && conn_write_pending_bytes(c) > c->whigh) {
		c->write_blocked = true;
		slog_debug(c->sid, "write queue above %zu bytes, pausing input",
			   c->whigh);
	}
	return c->write_blocked ? 1 : 0;
}

int
conn_write(struct conn *c, const void *data, size_t len)
{
	if (queue(c, data, len) < 0)
		return -1;
	return check_high(c);
}

int
conn_write_line(struct conn *c, const char *s)
{
	if (queue(c, s, strlen(s)) < 0 || queue(c, "\r\n", 2) < 0)
		return -1;
	return check_high(c);
}

int
conn_vprintf(struct conn *c, const char *fmt, va_list ap)
{
	struct buf b;
	int ret = -1;

	buf_init(&b, 16 * 1024 * 1024);
	if (buf_vprintf(&b, fmt, ap) == 0)
		ret = conn_write(c, b.data, b.len);
	buf_free(&b);
	return ret;
}

int
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = conn_vprintf(c, fmt, ap);
	va_end(ap);
	return ret;
}

void
conn_set_watermarks(struct conn *c, size_t low, size_t high)
{
	c->wlow = low;
	c->whigh = high > low ? high : low + 1;
	if (c->phase == CONN_PHASE_OPEN)
		bufferevent_setwatermark(c->bev, EV_WRITE, c->wlow, 0);
}

void
conn_io_writecb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (c->phase == CONN_PHASE_FLUSH || c->phase == CONN_PHASE_SOCK_FLUSH) {
		conn_io_close_progress(c);
		return;
	}
	if (c->phase != CONN_PHASE_OPEN || !c->write_blocked ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) > c->wlow)
		return;
	c->write_blocked = false;
	slog_debug(c->sid, "write queue drained, resuming input");
	conn_ref(c);
	conn_emit(c, CONN_DRAINED, NULL);
	conn_schedule_input(c);
	conn_unref(&c);
}
