/* The pingpong core: a command FIFO over one conn, a pipelining window,
 * response lines handed to the head command, a progress timeout. */
#include "client/pp.h"

#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "net/connect.h"
#include "net/loop.h"

struct pp_cmd {
	struct pp_cmd *next;
	char *line;		/* NULL: expect a response only */
	char *log_line;
	unsigned int flags;
	bool sent;
	pp_line_cb *line_cb;
	pp_end_cb *end;
	void *ctx;
};

struct pp {
	struct loop *loop;
	struct conn *conn;
	struct timer *timer;
	char *session;
	char *error;
	unsigned int timeout_ms;
	size_t max_line;
	unsigned int window;
	pp_event_cb *ev;
	void *ev_ctx;
	struct pp_cmd *head, *tail, *unsent;
	size_t in_flight, pending;
	unsigned int refs;
	bool open, tls_wait, failed, reported, flush_scheduled, dead;
};

static void pp_timeout(void *ctx);

/* ---- lifetime ---- */

static void
pp_ref(struct pp *pp)
{
	pp->refs++;
}

static void
pp_unref(struct pp *pp)
{
	if (--pp->refs > 0)
		return;
	free(pp->session);
	free(pp->error);
	free(pp);
}

struct pp *
pp_new(struct loop *l, const struct pp_settings *set, pp_event_cb *ev,
       void *ctx)
{
	struct pp *pp = xcalloc(1, sizeof(*pp));

	pp->loop = l;
	pp->session = xstrdup(set->session != NULL ? set->session : "-");
	pp->timeout_ms = set->timeout_ms > 0 ? set->timeout_ms :
		PP_DEFAULT_TIMEOUT_MS;
	pp->max_line = set->max_line > 0 ? set->max_line :
		CONN_DEFAULT_MAX_LINE;
	pp->window = set->window > 1 ? set->window : 1;
	pp->ev = ev;
	pp->ev_ctx = ctx;
	pp->timer = timer_new(l, pp_timeout, pp);
	pp->refs = 1;
	return pp;
}

static void
cmd_free(struct pp_cmd *c)
{
	if (c->line != NULL) {
		explicit_bzero(c->line, strlen(c->line));
		free(c->line);
	}
	free(c->log_line);
	free(c);
}

static struct pp_cmd *
pop_head(struct pp *pp)
{
	struct pp_cmd *c = pp->head;

	pp->head = c->next;
	if (pp->tail == c)
		pp->tail = NULL;
	if (pp->unsent == c)
		pp->unsent = c->next;
	if (c->sent)
		pp->in_flight--;
	pp->pending--;
	return c;
}

static void
drop_conn(struct pp *pp)
{
	if (pp->conn == NULL)
		return;
	conn_close(pp->conn);
	conn_unref(&pp->conn);
}

void
pp_free(struct pp **ppp)
{
	struct pp *pp = *ppp;
	struct pp_cmd *c;

	if (pp == NULL)
		return;
	*ppp = NULL;
	pp->dead = true;
	drop_conn(pp);
	timer_free(&pp->timer);
	while (pp->head != NULL) {
		c = pop_head(pp);
		c->end(pp, PP_END_FREED, NULL, c->ctx);
		cmd_free(c);
	}
	pp_unref(pp);
}

/* ---- timer ---- */

static bool
awaiting(const struct pp *pp)
{
	if (pp->failed || pp->dead)
		return false;
	return pp->in_flight > 0 || pp->tls_wait ||
	       (!pp->open && pp->conn != NULL);
}

static void
timer_touch(struct pp *pp)
{
	if (pp->timer == NULL)
		return;
	if (awaiting(pp))
		timer_start(pp->timer, pp->timeout_ms, false);
	else
		timer_stop(pp->timer);
}

/* ---- failure ---- */

static void
flush_failed(void *ctx)
{
	struct pp *pp = ctx;
	struct pp_cmd *c;

	pp->flush_scheduled = false;
	while (!pp->dead && pp->head != NULL) {
		c = pop_head(pp);
		c->end(pp, PP_END_FAILED, pp->error, c->ctx);
		cmd_free(c);
	}
	if (!pp->dead && !pp->reported) {
		pp->reported = true;
		if (pp->ev != NULL)
			pp->ev(pp, PP_EV_FAILED, pp->error, pp->ev_ctx);
	}
	pp_unref(pp);
}

static void
schedule_flush(struct pp *pp)
{
	if (pp->flush_scheduled || pp->dead)
		return;
	pp->flush_scheduled = true;
	pp_ref(pp);
	loop_defer(pp->loop, flush_failed, pp);
}

static void
fail_str(struct pp *pp, const char *why)
{
	if (pp->failed || pp->dead)
		return;
	pp->failed = true;
	pp->error = xstrdup(why);
	slog_info(pp->session, "connection failed: %s", why);
	timer_touch(pp);
	drop_conn(pp);
	schedule_flush(pp);
}

int
pp_fail(struct pp *pp, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail_str(pp, msg);
	return PP_ERROR;
}

static const char *
head_name(const struct pp *pp)
{
	const struct pp_cmd *c = pp->head;

	if (c == NULL || !c->sent)
		return "nothing";
	if (c->log_line != NULL)
		return c->log_line;
	return c->line != NULL ? c->line : "the greeting";
}

static void
pp_timeout(void *ctx)
{
	struct pp *pp = ctx;

	pp_fail(pp, "timeout: no answer to %s within %u s", head_name(pp),
		(pp->timeout_ms + 999) / 1000);
}

/* ---- sending ---- */

static bool
may_send(const struct pp *pp, const struct pp_cmd *c)
{
	if (pp->in_flight == 0)
		return true;
	if (pp->in_flight >= pp->window)
		return false;
	if ((c->flags & PP_CMD_BARRIER) != 0)
		return false;
	return (pp->head->flags & PP_CMD_BARRIER) == 0;
}

static int
send_cmd(struct pp *pp, struct pp_cmd *c)
{
	if (c->line == NULL)
		return 0;
	slog_debug(pp->session, "C: %s",
		   c->log_line != NULL ? c->log_line : c->line);
	if (conn_write(pp->conn, c->line, strlen(c->line)) < 0 ||
	    conn_write(pp->conn, "\r\n", 2) < 0)
		return pp_fail(pp, "cannot send %s: connection not open",
			       c->log_line != NULL ? c->log_line : c->line);
	return 0;
}

static void
pump(struct pp *pp)
{
	struct pp_cmd *c;

	if (!pp->open || pp->tls_wait || pp->failed || pp->dead)
		return;
	while ((c = pp->unsent) != NULL && may_send(pp, c)) {
		if (send_cmd(pp, c) < 0)
			return;
		c->sent = true;
		pp->unsent = c->next;
		pp->in_flight++;
	}
	timer_touch(pp);
}

void
pp_send(struct pp *pp, const char *line, const char *log_line,
	unsigned int flags, pp_line_cb *line_cb, pp_end_cb *end, void *ctx)
{
	struct pp_cmd *c = xcalloc(1, sizeof(*c));

	if (line != NULL && strpbrk(line, "\r\n") != NULL)
		fatal("pp_send: CR or LF in a command line");
	c->line = line != NULL ? xstrdup(line) : NULL;
	c->log_line = log_line != NULL ? xstrdup(log_line) : NULL;
	c->flags = line == NULL ? flags | PP_CMD_BARRIER : flags;
	c->line_cb = line_cb;
	c->end = end;
	c->ctx = ctx;
	if (pp->tail != NULL)
		pp->tail->next = c;
	else
		pp->head = c;
	pp->tail = c;
	if (pp->unsent == NULL)
		pp->unsent = c;
	pp->pending++;
	if (pp->failed)
		schedule_flush(pp);
	else
		pump(pp);
}

void
pp_set_window(struct pp *pp, unsigned int window)
{
	pp->window = window > 1 ? window : 1;
	pump(pp);
}

void
pp_set_max_line(struct pp *pp, size_t max_line)
{
	if (max_line == 0 || max_line == pp->max_line)
		return;
	pp->max_line = max_line;
	if (pp->conn != NULL)
		conn_read_line(pp->conn, max_line);
}

/* ---- receiving ---- */

static void
complete_head(struct pp *pp)
{
	struct pp_cmd *c = pop_head(pp);

	c->end(pp, PP_END_DONE, NULL, c->ctx);
	cmd_free(c);
	if (pp->dead)
		return;
	timer_touch(pp);
	pump(pp);
}

static void
on_line(struct pp *pp, const char *line, size_t len)
{
	struct pp_cmd *c = pp->head;
	int rc;

	if (c == NULL || !c->sent) {
		pp_fail(pp, "unexpected data from server: \"%.40s\"", line);
		return;
	}
	timer_touch(pp);
	rc = c->line_cb(pp, line, len, c->ctx);
	if (pp->dead || pp->failed)
		return;
	if (rc == PP_ERROR)
		pp_fail(pp, "protocol error in the answer to %s",
			head_name(pp));
	else if (rc == PP_DONE)
		complete_head(pp);
}

static void
on_event(struct pp *pp, enum pp_event ev)
{
	timer_touch(pp);
	if (pp->ev != NULL)
		pp->ev(pp, ev, NULL, pp->ev_ctx);
	if (!pp->dead)
		pump(pp);
}

static void
pp_conn_cb(struct conn *c, const struct conn_ev *ev, void *ctx)
{
	struct pp *pp = ctx;

	pp_ref(pp);
	switch (ev->type) {
	case CONN_CONNECTED:
		pp->open = true;
		on_event(pp, PP_EV_CONNECTED);
		break;
	case CONN_TLS_DONE:
		pp->tls_wait = false;
		on_event(pp, PP_EV_TLS_DONE);
		break;
	case CONN_LINE:
		on_line(pp, ev->data, ev->len);
		break;
	case CONN_LINE_TOO_LONG:
		pp_fail(pp, "response line longer than %zu bytes",
			pp->max_line);
		break;
	case CONN_DRAINED:
		pump(pp);
		break;
	case CONN_LITERAL:
		break;
	case CONN_TIMEOUT:
	case CONN_ERROR:
		pp_fail(pp, "%s", ev->error != NULL ? ev->error : "I/O error");
		break;
	case CONN_CLOSED:
		pp_fail(pp, "connection closed by the server (waiting for "
			"the answer to %s)", head_name(pp));
		break;
	}
	pp_unref(pp);
}

void
pp_connect(struct pp *pp, const struct connect_settings *cs)
{
	pp->conn = connect_start(pp->loop, cs, pp_conn_cb, pp);
	conn_read_line(pp->conn, pp->max_line);
	pp->tls_wait = cs->tls != NULL;
	timer_touch(pp);
}

void
pp_attach(struct pp *pp, struct conn *c)
{
	pp->conn = c;
	pp->open = true;
	conn_set_callback(c, pp_conn_cb, pp);
	conn_read_line(c, pp->max_line);
	pump(pp);
}

int
pp_starttls(struct pp *pp, struct tls_ctx *ctx, const char *host)
{
	if (pp->conn == NULL || pp->failed)
		return -1;
	if (conn_starttls_client(pp->conn, ctx, host) < 0) {
		pp_fail(pp, "cannot start TLS");
		return -1;
	}
	pp->tls_wait = true;
	timer_touch(pp);
	return 0;
}

/* ---- queries ---- */

const char *
pp_error(const struct pp *pp)
{
	return pp->error;
}

bool
pp_is_tls(const struct pp *pp)
{
	return pp->conn != NULL && conn_is_tls(pp->conn);
}

size_t
pp_pending(const struct pp *pp)
{
	return pp->pending;
}

const char *
pp_session(const struct pp *pp)
{
	return pp->session;
}
