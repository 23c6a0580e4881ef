/* One IMAP session: the reader (lines, literals, command framing), the
 * command table and dispatcher, tagged replies. */

#include "server/imap/imap-session.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/strx.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "server/common/auth.h"
#include "server/common/notify.h"
#include "store/store.h"

static const struct imap_command commands[] = {
	{ "CAPABILITY", imap_handle_capability, IMAP_STATES_ANY, 0 },
	{ "NOOP", imap_handle_noop, IMAP_STATES_ANY, 0 },
	{ "LOGOUT", imap_handle_logout, IMAP_STATES_ANY, 0 },
	{ "ID", imap_handle_id, IMAP_STATES_ANY, 0 },
	{ "STARTTLS", imap_handle_starttls, IMAP_STATE_NOAUTH, 0 },
	{ "LOGIN", imap_handle_login, IMAP_STATE_NOAUTH, 0 },
	{ "AUTHENTICATE", imap_handle_authenticate, IMAP_STATE_NOAUTH, 0 },
	{ "ENABLE", imap_handle_enable, IMAP_STATES_AUTHED, 0 },
	{ "NAMESPACE", imap_handle_namespace, IMAP_STATES_AUTHED, 0 },
	{ "SELECT", imap_handle_select, IMAP_STATES_AUTHED, 0 },
	{ "EXAMINE", imap_handle_select, IMAP_STATES_AUTHED, 0 },
	{ "CREATE", imap_handle_create, IMAP_STATES_AUTHED, 0 },
	{ "DELETE", imap_handle_delete, IMAP_STATES_AUTHED, 0 },
	{ "RENAME", imap_handle_rename, IMAP_STATES_AUTHED, 0 },
	{ "SUBSCRIBE", imap_handle_subscribe, IMAP_STATES_AUTHED, 0 },
	{ "UNSUBSCRIBE", imap_handle_unsubscribe, IMAP_STATES_AUTHED, 0 },
	{ "LIST", imap_handle_list, IMAP_STATES_AUTHED, 0 },
	{ "LSUB", imap_handle_lsub, IMAP_STATES_AUTHED, 0 },
	{ "STATUS", imap_handle_status, IMAP_STATES_AUTHED, 0 },
	{ "IDLE", imap_handle_idle, IMAP_STATES_AUTHED, 0 },
	{ "CHECK", imap_handle_check, IMAP_STATE_SELECTED, 0 },
	{ "CLOSE", imap_handle_close, IMAP_STATE_SELECTED, 0 },
	{ "UNSELECT", imap_handle_unselect, IMAP_STATE_SELECTED, 0 },
	{ "EXPUNGE", imap_handle_expunge, IMAP_STATE_SELECTED, CMD_F_UID_OK },
	{ "SEARCH", imap_handle_search, IMAP_STATE_SELECTED,
	  CMD_F_UID_OK | CMD_F_NO_EXPUNGE },
	{ "FETCH", imap_handle_fetch, IMAP_STATE_SELECTED,
	  CMD_F_UID_OK | CMD_F_NO_EXPUNGE },
	{ "STORE", imap_handle_store, IMAP_STATE_SELECTED,
	  CMD_F_UID_OK | CMD_F_NO_EXPUNGE },
	{ "COPY", imap_handle_copy, IMAP_STATE_SELECTED, CMD_F_UID_OK },
	{ "MOVE", imap_handle_move, IMAP_STATE_SELECTED, CMD_F_UID_OK },
};

static const struct imap_cmd_limits noauth_limits = { 4, 100 };

static void on_event(struct conn *c, const struct conn_ev *ev, void *ctx);

struct store *
imap_store(const struct imap_session *s)
{
	return s->server->env.store;
}

const char *
imap_capabilities(const struct imap_session *s)
{
	if (s->state != IMAP_STATE_NOAUTH)
		return "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE NAMESPACE "
		       "UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE ESEARCH "
		       "BINARY LIST-EXTENDED LIST-STATUS CONDSTORE QRESYNC";
	if (!server_plaintext_ok(&s->server->env, s->conn))
		return s->server->env.tls != NULL
			? "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE "
			  "STARTTLS LOGINDISABLED"
			: "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE "
			  "LOGINDISABLED";
	if (s->server->env.tls != NULL && !conn_is_tls(s->conn))
		return "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE STARTTLS "
		       "AUTH=PLAIN";
	return "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE AUTH=PLAIN";
}

struct imap_session *
imap_session_new(struct imap_server *srv, struct conn *c)
{
	struct imap_session *s = xcalloc(1, sizeof(*s));

	s->server = srv;
	s->conn = c;
	s->state = IMAP_STATE_NOAUTH;
	buf_init(&s->in, IMAP_MAX_COMMAND);
	s->cmd.limits = &noauth_limits;
	imap_view_init(&s->view);
	session_list_add(&srv->sessions, &s->link, s);
	conn_set_callback(c, on_event, s);
	conn_read_line(c, IMAP_MAX_LINE);
	/* before login a shorter leash, as Dovecot's imap-login */
	conn_set_timeouts(c, srv->set.idle_timeout_ms < IMAP_NOAUTH_IDLE_MS
			  ? srv->set.idle_timeout_ms : IMAP_NOAUTH_IDLE_MS, 0);
	imap_printf(s, "* OK [CAPABILITY %s] conflux ready.",
		    imap_capabilities(s));
	return s;
}

void
imap_session_free(struct imap_session **sp)
{
	struct imap_session *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	if (s->on_abort != NULL)
		s->on_abort(s);
	auth_cancel(&s->auth_req);
	imap_unselect(s);
	imap_cmd_clear(&s->cmd);
	buf_free(&s->in);
	session_list_remove(&s->server->sessions, &s->link);
	conn_close(s->conn);
	conn_unref(&s->conn);
	free(s->user);
	free(s);
}

void
imap_session_bye(struct imap_session *s, const char *text,
		 const char *reason)
{
	imap_printf(s, "* BYE %s", text);
	if (s->user != NULL)
		server_log_logout("imap", s->conn, s->user, reason);
	s->closing = true;
}

int
imap_write(struct imap_session *s, const void *data, size_t len)
{
	return conn_write(s->conn, data, len);
}

int
imap_printf(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = conn_vprintf(s->conn, fmt, ap);
	va_end(ap);
	if (r >= 0)
		r = conn_write(s->conn, "\r\n", 2);
	return r;
}

/* Peers' mistakes at debug level (DESIGN invariant 5: a reply and a log
 * line), our own failures as warnings with the store's reason. */
static void
log_reply(struct imap_session *s, const char *status, const char *text)
{
	const char *name = s->cmd.name != NULL ? s->cmd.name : "?";

	if (strcmp(status, "BAD") == 0)
		slog_debug(conn_session_id(s->conn), "imap: %s: BAD %s", name,
			   text);
	else if (strstr(text, "[SERVERBUG]") != NULL)
		slog_warn(conn_session_id(s->conn), "imap: %s failed: %s",
			  name, store_error(imap_store(s)));
}

void
imap_tagged(struct imap_session *s, const char *status, const char *fmt, ...)
{
	va_list ap;
	const char *tag = s->cmd.tag != NULL ? s->cmd.tag : "*";
	struct buf text;

	if (s->state == IMAP_STATE_SELECTED && strcmp(status, "BAD") != 0) {
		bool allow = s->running == NULL || s->cmd.uid ||
			     !(s->running->flags & CMD_F_NO_EXPUNGE);
		imap_sync(s, allow);
	}
	if (strcmp(status, "BAD") != 0)
		s->bad_count = 0;
	buf_init(&text, SIZE_MAX / 2);
	va_start(ap, fmt);
	buf_vprintf(&text, fmt, ap);
	va_end(ap);
	log_reply(s, status, buf_cstr(&text));
	conn_printf(s->conn, "%s %s %s\r\n", tag, status, buf_cstr(&text));
	buf_free(&text);
}

static void
count_bad(struct imap_session *s)
{
	if (++s->bad_count < IMAP_MAX_BAD_COMMANDS)
		return;
	slog_info(conn_session_id(s->conn), "imap: %u invalid commands in a "
		  "row from %s: disconnecting", s->bad_count,
		  conn_peer(s->conn));
	imap_session_bye(s, "Too many invalid IMAP commands.",
			 "too many bad commands");
}

void
imap_bad(struct imap_session *s, const char *text)
{
	imap_tagged(s, "BAD", "%s", text);
	count_bad(s);
}

/* The tag of a command that could not be parsed: its first word. */
static void
bad_raw(struct imap_session *s, const char *text)
{
	const char *p = buf_cstr(&s->in);
	size_t n = strcspn(p, " \r\n");

	if (n == 0 || n > 64)
		imap_printf(s, "* BAD %s", text);
	else
		imap_printf(s, "%.*s BAD %s", (int)n, p, text);
	buf_reset(&s->in);
	count_bad(s);
}

static const struct imap_command *
lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
finish(struct imap_session *s)
{
	/* an idle session keeps no big buffer from its last command */
	if (s->in.cap > 4096) {
		buf_free(&s->in);
		buf_init(&s->in, IMAP_MAX_COMMAND);
	}
	imap_cmd_clear(&s->cmd);
	s->running = NULL;
	s->busy = false;
	s->on_line = NULL;
	s->on_literal = NULL;
	s->on_drained = NULL;
	s->on_abort = NULL;
	s->cmd_ctx = NULL;
}

void
imap_cmd_done(struct imap_session *s)
{
	finish(s);
	if (!s->closing)
		conn_read_line(s->conn, IMAP_MAX_LINE);
}

static void
dispatch(struct imap_session *s)
{
	const struct imap_command *c = lookup(s->cmd.name);

	if (c == NULL || (s->cmd.uid && !(c->flags & CMD_F_UID_OK))) {
		imap_bad(s, "Unknown command.");
		return;
	}
	if (!(c->states & s->state)) {
		imap_bad(s, s->state == IMAP_STATE_NOAUTH
			 ? "Command not permitted before authentication."
			 : "Command not permitted in this state.");
		return;
	}
	s->running = c;
	if (!c->fn(s)) {
		s->busy = true;
		if (s->on_line == NULL && s->on_literal == NULL)
			conn_read_pause(s->conn);
	}
}

static void
run_command(struct imap_session *s)
{
	int r = imap_cmd_parse(s->in.data, s->in.len, &s->cmd);

	buf_reset(&s->in);
	if (r < 0 || s->cmd.name == NULL) {
		const char *err = s->cmd.error != NULL ? s->cmd.error
						       : "Missing command.";
		if (s->cmd.tag == NULL)
			imap_printf(s, "* BAD %s", err);
		else
			imap_tagged(s, "BAD", "%s", err);
		count_bad(s);
		imap_cmd_clear(&s->cmd);
		return;
	}
	dispatch(s);
	if (!s->busy)
		finish(s);
}

static void
literal_piece(struct imap_session *s, const char *data, size_t len,
	      bool last)
{
	(void)last;
	if (buf_append(&s->in, data, len) < 0) {
		imap_session_bye(s, "Command too long.", "command too long");
		return;
	}
	s->on_literal = NULL;
}

static bool
is_append(struct imap_session *s)
{
	int r;

	if (s->state == IMAP_STATE_NOAUTH)
		return false;
	r = imap_cmd_parse_prefix(s->in.data, s->in.len, &s->cmd);
	if (r == 1 && s->cmd.name != NULL &&
	    strcmp(s->cmd.name, "APPEND") == 0 && !s->cmd.uid &&
	    s->cmd.nargs > 0)
		return true;
	imap_cmd_clear(&s->cmd);
	return false;
}

static void
literal_announced(struct imap_session *s, uint64_t size, bool nonsync)
{
	uint64_t max = s->state == IMAP_STATE_NOAUTH ? IMAP_MAX_LITERAL_NOAUTH
						     : IMAP_MAX_LITERAL;

	if (is_append(s)) {
		buf_reset(&s->in);
		s->running = NULL;
		s->busy = true;
		imap_append_start(s);
		return;
	}
	if (size > max || s->in.len + size + 2 > s->in.max) {
		if (nonsync) {
			imap_session_bye(s, "Literal too large.",
					 "literal too large");
			return;
		}
		bad_raw(s, "Literal too large.");
		return;
	}
	buf_append(&s->in, "\r\n", 2);
	if (!nonsync)
		imap_printf(s, "+ Ready for literal data");
	s->on_literal = literal_piece;
	conn_read_literal(s->conn, size, (size_t)size);
}

static void
read_line(struct imap_session *s, const char *line, size_t len)
{
	uint64_t size;
	bool nonsync;

	if (s->busy) {
		if (s->on_line != NULL)
			s->on_line(s, line, len);
		return;
	}
	if (buf_append(&s->in, line, len) < 0) {
		bad_raw(s, "Command too long.");
		return;
	}
	if (imap_line_literal(line, len, &size, &nonsync) == 1) {
		literal_announced(s, size, nonsync);
		return;
	}
	if (s->in.len == 0) {
		imap_printf(s, "* BAD Empty command line.");
		count_bad(s);
		return;
	}
	run_command(s);
}

/* The conn may hand over the start of the dropped line (ev->data): then
 * the reply carries the command's tag. */
static void
line_too_long(struct imap_session *s, const struct conn_ev *ev)
{
	if (s->busy && s->on_abort != NULL) {
		imap_session_bye(s, "Line too long.", "line too long");
		return;
	}
	if (s->in.len == 0 && ev->data != NULL && ev->len > 0)
		buf_append(&s->in, ev->data, ev->len < 64 ? ev->len : 64);
	if (s->in.len > 0) {
		bad_raw(s, "Line too long.");
		return;
	}
	imap_printf(s, "* BAD Line too long.");
	count_bad(s);
}

static void
conn_gone(struct imap_session *s, const char *reason)
{
	if (s->user != NULL && !s->closing)
		server_log_logout("imap", s->conn, s->user, reason);
	s->closing = true;
	imap_session_free(&s);
}

static void
on_event(struct conn *c, const struct conn_ev *ev, void *ctx)
{
	struct imap_session *s = ctx;

	(void)c;
	switch (ev->type) {
	case CONN_LINE:
		read_line(s, ev->data, ev->len);
		break;
	case CONN_LINE_TOO_LONG:
		line_too_long(s, ev);
		break;
	case CONN_LITERAL:
		if (s->on_literal != NULL)
			s->on_literal(s, ev->data, ev->len, ev->last);
		break;
	case CONN_DRAINED:
		if (s->on_drained != NULL)
			s->on_drained(s);
		break;
	case CONN_TIMEOUT:
		imap_session_bye(s, "Disconnected for inactivity.",
				 "inactivity");
		break;
	case CONN_CLOSED:
		conn_gone(s, "connection closed");
		return;
	case CONN_ERROR:
		conn_gone(s, ev->error != NULL ? ev->error : "error");
		return;
	default:
		break;
	}
	if (s->closing)
		imap_session_free(&s);
}
