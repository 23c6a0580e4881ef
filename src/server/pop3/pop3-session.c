/* One POP3 session: the connection, the state, the command table. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "server/pop3/pop3-private.h"

/* Errors in a row before we give up on a client (Dovecot: 10). */
#define POP3_MAX_BAD 10
/* A line may exceed RFC 2449's 255 octets by this much before it is
 * answered as too long (AUTH initial responses, sloppy clients). */
#define POP3_MAX_LINE POP3_CMD_LINE_MAX

typedef void cmd_fn(struct pop3_session *s, const struct pop3_cmd *cmd);

#define IN_AUTH (1u << POP3_STATE_AUTH)
#define IN_TRANS (1u << POP3_STATE_TRANS)

/* The state check is made once, here (STYLE 3.7). */
static const struct {
	enum pop3_verb verb;
	cmd_fn *fn;
	unsigned int states;
} commands[] = {
	{ POP3_CMD_CAPA, pop3_cmd_capa, IN_AUTH | IN_TRANS },
	{ POP3_CMD_QUIT, pop3_cmd_quit, IN_AUTH | IN_TRANS },
	{ POP3_CMD_NOOP, pop3_cmd_noop, IN_TRANS },
	{ POP3_CMD_STLS, pop3_cmd_stls, IN_AUTH },
	{ POP3_CMD_USER, pop3_cmd_user, IN_AUTH },
	{ POP3_CMD_PASS, pop3_cmd_pass, IN_AUTH },
	{ POP3_CMD_APOP, pop3_cmd_apop, IN_AUTH },
	{ POP3_CMD_AUTH, pop3_cmd_auth, IN_AUTH },
	{ POP3_CMD_STAT, pop3_cmd_stat, IN_TRANS },
	{ POP3_CMD_LIST, pop3_cmd_list, IN_TRANS },
	{ POP3_CMD_UIDL, pop3_cmd_uidl, IN_TRANS },
	{ POP3_CMD_RETR, pop3_cmd_retr, IN_TRANS },
	{ POP3_CMD_TOP, pop3_cmd_top, IN_TRANS },
	{ POP3_CMD_DELE, pop3_cmd_dele, IN_TRANS },
	{ POP3_CMD_RSET, pop3_cmd_rset, IN_TRANS },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
reply(struct pop3_session *s, const char *status, const char *fmt,
      va_list ap)
{
	char text[512];

	vsnprintf(text, sizeof(text), fmt, ap);
	conn_printf(s->c, "%s %s\r\n", status, text);
}

void
pop3_session_ok(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	s->bad = 0;
	va_start(ap, fmt);
	reply(s, "+OK", fmt, ap);
	va_end(ap);
}

void
pop3_session_error(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply(s, "-ERR", fmt, ap);
	va_end(ap);
	if (++s->bad < POP3_MAX_BAD)
		return;
	conn_write_line(s->c, "-ERR Too many bad commands, closing");
	slog_info(conn_session_id(s->c),
		  "pop3: too many bad commands");
	s->state = POP3_STATE_DONE;
}

void
pop3_session_pause(struct pop3_session *s)
{
	s->busy = true;
	conn_read_pause(s->c);
}

/* From a command (s->dispatching) the session must outlive the call:
 * on_line ends it afterwards. From the loop (auth answer, CONN_DRAINED)
 * it may end here. */
void
pop3_session_resume(struct pop3_session *s)
{
	s->busy = false;
	if (s->state != POP3_STATE_DONE)
		conn_read_line(s->c, POP3_MAX_LINE);
	else if (!s->dispatching)
		pop3_session_end(s, s->locked ? "QUIT" : "closed");
}

static void
run(struct pop3_session *s, const struct pop3_cmd *cmd, int rc,
    const char *error)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (commands[i].verb != cmd->verb)
			continue;
		if (!(commands[i].states & (1u << s->state)))
			pop3_session_error(s, "Command not valid in this "
					   "state");
		else if (rc < 0)
			pop3_session_error(s, "%s", error);
		else
			commands[i].fn(s, cmd);
		return;
	}
	pop3_session_error(s, "%s", rc < 0 ? error : "Unknown command");
}

static void
dispatch(struct pop3_session *s, const char *line, size_t len)
{
	struct pop3_cmd cmd;
	const char *error = NULL;
	int rc = pop3_cmd_parse(line, len, &cmd, &error);

	run(s, &cmd, rc, error);
	/* The copy may hold a password. */
	if (cmd.verb == POP3_CMD_PASS || cmd.verb == POP3_CMD_AUTH)
		sodium_memzero(cmd.line, sizeof(cmd.line));
}

static void
on_line(struct pop3_session *s, const char *line, size_t len)
{
	s->dispatching = true;
	if (s->sasl_wait)
		pop3_auth_continue(s, line, len);
	else
		dispatch(s, line, len);
	s->dispatching = false;
	if (s->state == POP3_STATE_DONE && !s->busy)
		pop3_session_end(s, s->locked ? "QUIT" : "closed");
}

static void
on_event(struct conn *c, const struct conn_ev *ev, void *ctx)
{
	struct pop3_session *s = ctx;

	(void)c;
	switch (ev->type) {
	case CONN_LINE:
		on_line(s, ev->data, ev->len);
		break;
	case CONN_LINE_TOO_LONG:
		s->sasl_wait = false;
		pop3_session_error(s, "Line too long");
		if (s->state == POP3_STATE_DONE)
			pop3_session_end(s, "closed");
		break;
	case CONN_DRAINED:
		pop3_fetch_drained(s);
		break;
	case CONN_TLS_DONE:
	case CONN_CONNECTED:
	case CONN_LITERAL:
		break;
	case CONN_TIMEOUT:
		conn_write_line(s->c, "-ERR Disconnected for inactivity");
		pop3_session_end(s, "timeout");
		break;
	case CONN_CLOSED:
		pop3_session_end(s, "disconnected");
		break;
	case CONN_ERROR:
		slog_info(conn_session_id(s->c), "pop3: %s",
			  ev->error);
		pop3_session_end(s, "error");
		break;
	}
}

struct pop3_session *
pop3_session_new(struct pop3_server *srv, struct conn *c)
{
	struct pop3_session *s = xcalloc(1, sizeof(*s));

	s->srv = srv;
	s->c = c;
	s->fd = -1;
	s->state = POP3_STATE_AUTH;
	buf_init(&s->out, 512 * 1024);
	snprintf(s->timestamp, sizeof(s->timestamp), "<%ld.%u@%s>",
		 (long)getpid(), arc4random(), srv->env->hostname);
	conn_set_callback(c, on_event, s);
	conn_read_line(c, POP3_MAX_LINE);
	conn_set_timeouts(c, srv->set.idle_timeout_ms, 0);
	conn_printf(c, "+OK conflux POP3 ready %s\r\n", s->timestamp);
	return s;
}

void
pop3_session_end(struct pop3_session *s, const char *reason)
{
	pop3_auth_cancel(s);
	pop3_fetch_abort(s);
	if (s->locked)
		server_log_logout("pop3", s->c, s->user, reason);
	pop3_server_remove(s->srv, s);
	conn_close(s->c);
	conn_unref(&s->c);
	buf_free(&s->out);
	free(s->msgs);
	free(s->user);
	free(s);
}
