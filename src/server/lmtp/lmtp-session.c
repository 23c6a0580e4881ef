/* One LMTP session: the connection, the state, replies. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "server/lmtp/lmtp-private.h"
#include "store/store.h"

/* Errors in a row before the client is sent away (Postfix: 20 soft). */
#define LMTP_MAX_BAD 10
/* Body lines: RFC 5321 says 1000 octets, but real mail has longer ones;
 * a line beyond this fails the message (552) rather than memory. */
#define LMTP_DATA_LINE_MAX (256 * 1024)
/* Body bytes gathered before they are written to the drafts. */
#define LMTP_BODY_FLUSH (64 * 1024)

static void
vreply(struct lmtp_session *s, const char *fmt, va_list ap)
{
	conn_vprintf(s->c, fmt, ap);
	conn_write(s->c, "\r\n", 2);
}

void
lmtp_reply(struct lmtp_session *s, const char *fmt, ...)
{
	va_list ap;

	s->bad = 0;
	va_start(ap, fmt);
	vreply(s, fmt, ap);
	va_end(ap);
}

void
lmtp_reply_error(struct lmtp_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreply(s, fmt, ap);
	va_end(ap);
	if (++s->bad < LMTP_MAX_BAD)
		return;
	conn_printf(s->c, "421 4.7.0 %s Too many errors, closing\r\n",
		    s->srv->env->hostname);
	slog_info(conn_session_id(s->c), "lmtp: too many errors");
	s->state = LMTP_STATE_DONE;
}

static void
rcpt_free(struct lmtp_rcpt *r)
{
	store_batch_abort(&r->batch);
	free(r->addr);
	free(r->user);
	free(r);
}

void
lmtp_transaction_reset(struct lmtp_session *s)
{
	lmtp_commit_forget(s->srv, s);
	for (size_t i = 0; i < s->nrcpts; i++)
		rcpt_free(s->rcpts[i]);
	s->nrcpts = 0;
	free(s->sender);
	s->sender = NULL;
	s->declared_size = 0;
	s->body_size = 0;
	s->data_error = NULL;
	buf_reset(&s->body);
	if (s->state > LMTP_STATE_READY && s->state < LMTP_STATE_DONE)
		s->state = LMTP_STATE_READY;
}

void
lmtp_session_read_commands(struct lmtp_session *s)
{
	conn_read_line(s->c, LMTP_CMD_LINE_MAX);
}

static void
on_line(struct lmtp_session *s, const char *line, size_t len)
{
	struct lmtp_cmd cmd;
	const char *error;

	if (s->state == LMTP_STATE_DATA) {
		lmtp_data_line_in(s, line, len, false);
		return;
	}
	if (lmtp_cmd_parse(line, len, &cmd, &error) < 0)
		lmtp_reply_error(s, "%s", error);
	else
		lmtp_cmd_dispatch(s, &cmd);
	if (s->state == LMTP_STATE_DATA)
		conn_read_line(s->c, LMTP_DATA_LINE_MAX);
}

static void
on_event(struct conn *c, const struct conn_ev *ev, void *ctx)
{
	struct lmtp_session *s = ctx;

	(void)c;
	switch (ev->type) {
	case CONN_LINE:
		on_line(s, ev->data, ev->len);
		if (s->state == LMTP_STATE_DONE)
			lmtp_session_end(s, "QUIT");
		break;
	case CONN_LINE_TOO_LONG:
		if (s->state == LMTP_STATE_DATA)
			lmtp_data_line_in(s, NULL, 0, true);
		else
			lmtp_reply_error(s, "500 5.5.2 Line too long");
		if (s->state == LMTP_STATE_DONE)
			lmtp_session_end(s, "errors");
		break;
	case CONN_TIMEOUT:
		conn_printf(s->c, "421 4.4.2 %s Timeout, closing\r\n",
			    s->srv->env->hostname);
		lmtp_session_end(s, "timeout");
		break;
	case CONN_CLOSED:
		lmtp_session_end(s, "disconnected");
		break;
	case CONN_ERROR:
		slog_info(conn_session_id(s->c), "lmtp: %s", ev->error);
		lmtp_session_end(s, "error");
		break;
	default:
		break;
	}
}

struct lmtp_session *
lmtp_session_new(struct lmtp_server *srv, struct conn *c)
{
	struct lmtp_session *s = xcalloc(1, sizeof(*s));

	s->srv = srv;
	s->c = c;
	s->state = LMTP_STATE_INIT;
	buf_init(&s->body, LMTP_BODY_FLUSH + LMTP_DATA_LINE_MAX + 16);
	conn_set_callback(c, on_event, s);
	lmtp_session_read_commands(s);
	conn_set_timeouts(c, srv->set.idle_timeout_ms, 0);
	conn_printf(c, "220 %s conflux LMTP ready\r\n", srv->env->hostname);
	return s;
}

void
lmtp_session_end(struct lmtp_session *s, const char *reason)
{
	slog_debug(conn_session_id(s->c), "lmtp: session ends (%s), "
		   "in=%llu out=%llu", reason,
		   (unsigned long long)conn_bytes_in(s->c),
		   (unsigned long long)conn_bytes_out(s->c));
	lmtp_transaction_reset(s);
	lmtp_server_remove(s->srv, s);
	conn_close(s->c);
	conn_unref(&s->c);
	buf_free(&s->body);
	free(s->rcpts);
	free(s->lhlo);
	free(s);
}
