/* The IMAP client core: lifetime, the connection's events, the command
 * queue (pipelining, literals, IDLE) and the dispatch of responses.
 * Connecting, greeting and login are in imapc-auth.c, mailbox commands
 * and their untagged data in
 * imapc-mailbox.c, listings and streamed bodies in imapc-fetch.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client/imapc-private.h"
#include "lib/log.h"
#include "lib/strx.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "net/connect.h"
#include "net/loop.h"
#include "net/tls.h"
#include "proto/imap/imap-quote.h"

#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_MAX_LINE (1024 * 1024)
#define DEFAULT_MAX_LITERAL (1024 * 1024)
#define MAX_DEPTH 32
#define MAX_RESP (16 * 1024 * 1024)
#define CMD_MAX (1024 * 1024)
#define IDLE_TIMEOUT_MS (29 * 60 * 1000)

static char *
dup_opt(const char *s)
{
	return s == NULL ? NULL : xstrdup(s);
}

struct imapc *
imapc_new(struct loop *loop, const struct imapc_settings *set)
{
	struct imapc *c = xcalloc(1, sizeof(*c));
	struct imap_resp_limits lim;

	c->loop = loop;
	c->set = *set;
	c->set.host = c->host = xstrdup(set->host);
	c->set.login = c->login = dup_opt(set->login);
	c->set.password = c->password = dup_opt(set->password);
	c->set.ca_file = c->ca_file = dup_opt(set->ca_file);
	c->set.pin_sha256 = c->pin = dup_opt(set->pin_sha256);
	c->set.session = c->session = dup_opt(set->session);
	if (c->set.timeout_ms == 0)
		c->set.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (c->set.max_line == 0)
		c->set.max_line = DEFAULT_MAX_LINE;
	if (c->set.max_literal == 0)
		c->set.max_literal = DEFAULT_MAX_LITERAL;
	if (c->set.port == 0)
		c->set.port = set->tls == IMAPC_TLS_IMPLICIT ? 993 : 143;
	lim.max_line = c->set.max_line;
	lim.max_literal = c->set.max_literal;
	lim.max_depth = MAX_DEPTH;
	lim.max_resp = MAX_RESP;
	c->parser = imap_resp_parser_new(&lim);
	buf_init(&c->error, 1024);
	c->refs = 1;
	return c;
}

static void
cmd_free(struct imapc_cmd *cmd)
{
	if (cmd->secret && cmd->out.data != NULL)
		explicit_bzero(cmd->out.data, cmd->out.cap);
	if (cmd->secret_resp.data != NULL)
		explicit_bzero(cmd->secret_resp.data, cmd->secret_resp.cap);
	buf_free(&cmd->secret_resp);
	buf_free(&cmd->out);
	free(cmd->derror);
	free(cmd->mailbox);
	free(cmd);
}

static void
cmds_free(struct imapc_cmd *list)
{
	while (list != NULL) {
		struct imapc_cmd *next = list->next;
		cmd_free(list);
		list = next;
	}
}

void
imapc_wipe_password(struct imapc *c)
{
	if (c->password != NULL) {
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
		c->password = NULL;
		c->set.password = NULL;
	}
}

static void
client_destroy(struct imapc *c)
{
	cmds_free(c->sent);
	cmds_free(c->queue);
	cmds_free(c->deferred);
	if (c->connect_cmd != NULL)
		cmd_free(c->connect_cmd);
	if (c->conn != NULL) {
		conn_close(c->conn);
		conn_unref(&c->conn);
	}
	tls_ctx_free(&c->tls);
	imap_resp_parser_free(&c->parser);
	imapc_wipe_password(c);
	free(c->host);
	free(c->login);
	free(c->ca_file);
	free(c->pin);
	free(c->session);
	free(c->bye);
	buf_free(&c->error);
	free(c);
}

void
imapc_ref(struct imapc *c)
{
	c->refs++;
}

bool
imapc_unref(struct imapc *c)
{
	bool alive = !c->freed;

	if (--c->refs == 0)
		client_destroy(c);
	return alive;
}

void
imapc_free(struct imapc **cp)
{
	struct imapc *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	c->freed = true;
	c->state = IMAPC_ST_DEAD;
	if (c->conn != NULL) {
		conn_close(c->conn);
		conn_unref(&c->conn);
	}
	imapc_unref(c);
}

/* ---- accessors ---- */

unsigned int
imapc_caps(const struct imapc *c)
{
	return c->caps;
}

bool
imapc_qresync(const struct imapc *c)
{
	return c->qresync;
}

const char *
imapc_session(const struct imapc *c)
{
	if (c->session != NULL)
		return c->session;
	return c->conn != NULL ? conn_session_id(c->conn) : "imapc";
}

const struct imapc_box *
imapc_box(const struct imapc *c)
{
	return &c->box;
}

void
imapc_set_event_cb(struct imapc *c, imapc_event_cb *cb, void *ctx)
{
	c->event_cb = cb;
	c->event_ctx = ctx;
}

void
imapc_emit(struct imapc *c, const struct imapc_event *ev)
{
	if (c->event_cb != NULL)
		c->event_cb(ev, c->event_ctx);
}

/* ---- commands ---- */

struct imapc_cmd *
imapc_cmd_new(struct imapc *c, enum imapc_cmd_kind kind, const char *verb)
{
	struct imapc_cmd *cmd = xcalloc(1, sizeof(*cmd));

	cmd->client = c;
	cmd->kind = kind;
	cmd->verb = verb;
	cmd->done = imapc_done_plain;
	snprintf(cmd->tag, sizeof(cmd->tag), "C%u", ++c->tagno);
	buf_init(&cmd->out, CMD_MAX);
	(void)buf_printf(&cmd->out, "%s %s", cmd->tag, verb);
	return cmd;
}

void
imapc_cmd_literal(struct imapc_cmd *cmd, const void *data, size_t len)
{
	unsigned int caps = cmd->client->caps;
	bool nonsync = (caps & IMAPC_CAP_LITERALPLUS) != 0 ||
		((caps & IMAPC_CAP_LITERALMINUS) != 0 && len <= 4096);

	if (imap_quote_literal_prefix(&cmd->out, len, nonsync) < 0)
		cmd->overflow = true;
	if (!nonsync) {
		if (cmd->nwaits == IMAPC_MAX_WAITS)
			fatal("imapc: too many literals in one command");
		cmd->waits[cmd->nwaits++] = cmd->out.len;
	}
	if (buf_append(&cmd->out, data, len) < 0)
		cmd->overflow = true;
}

void
imapc_cmd_astring(struct imapc_cmd *cmd, const char *s)
{
	if (imap_quote_astring(&cmd->out, s, strlen(s)) < 0)
		imapc_cmd_literal(cmd, s, strlen(s));
}

static void
defer_run(void *ctx)
{
	struct imapc *c = ctx;
	struct imapc_cmd *cmd;

	c->defer_pending = false;
	while (!c->freed && (cmd = c->deferred) != NULL) {
		c->deferred = cmd->next;
		cmd->next = NULL;
		if (cmd->done != NULL)
			cmd->done(cmd, cmd->dres, NULL, cmd->derror);
		cmd_free(cmd);
	}
	imapc_unref(c);
}

/* Completes cmd from the loop's next turn with r/error. */
void
imapc_cmd_defer(struct imapc_cmd *cmd, enum imapc_result r,
		const char *error)
{
	struct imapc *c = cmd->client;
	struct imapc_cmd **p = &c->deferred;

	cmd->dres = r;
	cmd->derror = dup_opt(error);
	cmd->next = NULL;
	while (*p != NULL)
		p = &(*p)->next;
	*p = cmd;
	if (!c->defer_pending) {
		c->defer_pending = true;
		imapc_ref(c);
		loop_defer(c->loop, defer_run, c);
	}
}

static void
queue_push(struct imapc_cmd **head, struct imapc_cmd *cmd)
{
	while (*head != NULL)
		head = &(*head)->next;
	cmd->next = NULL;
	*head = cmd;
}

void
imapc_cmd_submit(struct imapc_cmd *cmd)
{
	struct imapc *c = cmd->client;

	if (buf_append(&cmd->out, "\r\n", 2) < 0)
		cmd->overflow = true;
	if (c->state == IMAPC_ST_DEAD) {
		imapc_cmd_defer(cmd, IMAPC_FAILED, buf_cstr(&c->error));
	} else if (cmd->overflow) {
		imapc_cmd_defer(cmd, IMAPC_BAD, "command too long");
	} else if (cmd->setup) {
		cmd->next = c->queue;
		c->queue = cmd;
		imapc_pump(c);
	} else {
		queue_push(&c->queue, cmd);
		imapc_pump(c);
	}
}

void
imapc_done_plain(struct imapc_cmd *cmd, enum imapc_result r,
		 const struct imap_resp *tagged, const char *error)
{
	if (cmd->cb != NULL)
		cmd->cb(r, error, cmd->ctx);
}

void
imapc_cmd_finish(struct imapc_cmd *cmd, enum imapc_result r,
		 const struct imap_resp *tagged, const char *error)
{
	if (cmd->client->lit_cmd == cmd)
		cmd->client->lit_cmd = NULL;
	if (!cmd->canceled && cmd->done != NULL)
		cmd->done(cmd, r, tagged, error);
	cmd_free(cmd);
}

struct imapc_cmd *
imapc_cmd_find(struct imapc *c, enum imapc_cmd_kind kind)
{
	for (struct imapc_cmd *cmd = c->sent; cmd != NULL; cmd = cmd->next)
		if (cmd->kind == kind && !cmd->canceled)
			return cmd;
	return NULL;
}

/* ---- writing ---- */

void
imapc_update_timeouts(struct imapc *c)
{
	unsigned int ms = 0;

	if (c->conn == NULL)
		return;
	if (c->idling && c->sent != NULL && c->sent->next == NULL)
		ms = IDLE_TIMEOUT_MS;
	else if (c->sent != NULL || c->state != IMAPC_ST_READY)
		ms = c->set.timeout_ms;
	conn_set_timeouts(c->conn, ms, 0);
}

static void
write_cmd(struct imapc *c, struct imapc_cmd *cmd)
{
	size_t end = cmd->next_wait < cmd->nwaits ?
		cmd->waits[cmd->next_wait] : cmd->out.len;

	if (cmd->sent == 0)
		slog_debug(imapc_session(c), "imapc > %s %s", cmd->tag,
			   cmd->verb);
	if (cmd->sent == 0 && cmd->kind == IMAPC_CMD_SELECT)
		memset(&c->box, 0, sizeof(c->box));
	(void)conn_write(c->conn, cmd->out.data + cmd->sent,
			 end - cmd->sent);
	cmd->sent = end;
	if (cmd->next_wait < cmd->nwaits) {
		cmd->next_wait++;
		c->blocker = cmd;
	} else if (cmd->cont != NULL) {
		c->blocker = cmd;
	}
}

static bool
may_write(const struct imapc *c, const struct imapc_cmd *cmd)
{
	if (c->state == IMAPC_ST_READY)
		return true;
	return c->state == IMAPC_ST_SETUP && cmd->setup;
}

void
imapc_pump(struct imapc *c)
{
	struct imapc_cmd *cmd;

	if (c->state == IMAPC_ST_DEAD || c->conn == NULL)
		return;
	if (c->idling && !c->done_sent && (c->queue != NULL || c->idle_stop)) {
		(void)conn_write(c->conn, "DONE\r\n", 6);
		c->done_sent = true;
	}
	while (c->blocker == NULL && (cmd = c->queue) != NULL &&
	       may_write(c, cmd)) {
		c->queue = cmd->next;
		queue_push(&c->sent, cmd);
		write_cmd(c, cmd);
	}
	imapc_update_timeouts(c);
}

/* ---- failing ---- */

static void
fail_list(struct imapc *c, struct imapc_cmd *list)
{
	while (list != NULL) {
		struct imapc_cmd *cmd = list;
		enum imapc_result r = IMAPC_FAILED;

		list = cmd->next;
		if (c->freed) {
			cmd_free(cmd);
			continue;
		}
		if (cmd->kind == IMAPC_CMD_LOGOUT && c->bye != NULL)
			r = IMAPC_OK;
		imapc_cmd_finish(cmd, r, NULL, buf_cstr(&c->error));
	}
}

void
imapc_fail(struct imapc *c, const char *fmt, ...)
{
	struct imapc_cmd *list = c->sent, *queue = c->queue;
	va_list ap;

	if (c->state == IMAPC_ST_DEAD)
		return;
	c->state = IMAPC_ST_DEAD;
	buf_reset(&c->error);
	va_start(ap, fmt);
	(void)buf_vprintf(&c->error, fmt, ap);
	va_end(ap);
	slog_info(imapc_session(c), "imapc: %s", buf_cstr(&c->error));
	imapc_wipe_password(c);
	c->sent = c->queue = NULL;
	c->blocker = NULL;
	c->idling = false;
	if (c->conn != NULL) {
		conn_close(c->conn);
		conn_unref(&c->conn);
	}
	fail_list(c, list);
	fail_list(c, queue);
	if (!c->freed && c->connect_cmd != NULL)
		imapc_connect_done(c, IMAPC_FAILED, buf_cstr(&c->error));
}

/* ---- cancel ---- */

static struct imapc_cmd *
cmd_ghost(struct imapc_cmd *cmd)
{
	struct imapc_cmd *g = xmalloc(sizeof(*g));

	*g = *cmd;
	g->next = NULL;
	g->derror = NULL;
	g->mailbox = NULL;
	g->secret = false;
	buf_init(&g->out, 1);
	buf_init(&g->secret_resp, 1);
	cmd->canceled = true;
	return g;
}

static void
cancel_connect(struct imapc *c)
{
	struct imapc_cmd *list = c->sent, *cmd = c->connect_cmd;

	c->connect_cmd = NULL;
	c->sent = NULL;
	c->state = IMAPC_ST_DEAD;
	buf_reset(&c->error);
	(void)buf_append_str(&c->error, "canceled");
	if (c->conn != NULL) {
		conn_close(c->conn);
		conn_unref(&c->conn);
	}
	cmds_free(list);
	imapc_cmd_defer(cmd, IMAPC_CANCELED, "canceled");
}

void
imapc_cancel(struct imapc *c)
{
	struct imapc_cmd *queue;

	if (c->connect_cmd != NULL)
		cancel_connect(c);
	queue = c->queue;

	for (struct imapc_cmd *cmd = c->sent; cmd != NULL; cmd = cmd->next)
		if (!cmd->canceled)
			imapc_cmd_defer(cmd_ghost(cmd), IMAPC_CANCELED,
					"canceled");
	c->queue = NULL;
	while (queue != NULL) {
		struct imapc_cmd *next = queue->next;
		imapc_cmd_defer(queue, IMAPC_CANCELED, "canceled");
		queue = next;
	}
	if (c->idling)
		imapc_idle_stop(c);
}

/* ---- responses ---- */

static enum imapc_result
status_result(enum imap_status st)
{
	switch (st) {
	case IMAP_ST_OK:
		return IMAPC_OK;
	case IMAP_ST_NO:
		return IMAPC_NO;
	default:
		return IMAPC_BAD;
	}
}

static void
on_tagged(struct imapc *c, const struct imap_resp *r)
{
	struct imapc_cmd **p = &c->sent, *cmd;

	while (*p != NULL && strcmp((*p)->tag, r->tag) != 0)
		p = &(*p)->next;
	if ((cmd = *p) == NULL) {
		imapc_fail(c, "protocol error: unknown tag %s", r->tag);
		return;
	}
	*p = cmd->next;
	cmd->next = NULL;
	if (c->blocker == cmd)
		c->blocker = NULL;
	if (cmd->kind == IMAPC_CMD_IDLE)
		c->idling = c->done_sent = c->idle_stop = false;
	if (r->code.type == IMAP_CODE_CAPABILITY)
		imapc_parse_caps(c, NULL, 0, r->code.text);
	if (r->status != IMAP_ST_OK)
		slog_debug(imapc_session(c), "imapc < %s %s %s", r->tag,
			   r->name, r->text);
	imapc_cmd_finish(cmd, status_result(r->status), r, r->text);
	if (!c->freed)
		imapc_pump(c);
}

static void
on_continue(struct imapc *c, const struct imap_resp *r)
{
	struct imapc_cmd *cmd = c->blocker;

	if (cmd == NULL) {
		imapc_fail(c, "protocol error: unexpected continuation");
		return;
	}
	if (cmd->sent < cmd->out.len) {
		c->blocker = NULL;
		write_cmd(c, cmd);
		imapc_pump(c);
	} else if (cmd->cont != NULL) {
		cmd->cont(cmd, r);
	} else {
		imapc_fail(c, "protocol error: unexpected continuation");
	}
}

static void
on_status_code(struct imapc *c, const struct imap_resp *r)
{
	switch (r->code.type) {
	case IMAP_CODE_CAPABILITY:
		imapc_parse_caps(c, NULL, 0, r->code.text);
		break;
	case IMAP_CODE_UIDVALIDITY:
		c->box.uidvalidity = (uint32_t)r->code.n1;
		break;
	case IMAP_CODE_UIDNEXT:
		c->box.uidnext = (uint32_t)r->code.n1;
		break;
	case IMAP_CODE_HIGHESTMODSEQ:
		c->box.highestmodseq = r->code.n1;
		break;
	case IMAP_CODE_NOMODSEQ:
		c->box.nomodseq = true;
		break;
	case IMAP_CODE_READ_ONLY:
		c->box.readonly = true;
		break;
	case IMAP_CODE_ALERT:
		slog_warn(imapc_session(c), "imapc: server alert: %s",
			  r->text);
		break;
	default:
		break;
	}
}

static void
on_status(struct imapc *c, const struct imap_resp *r)
{
	if (r->status == IMAP_ST_BYE) {
		free(c->bye);
		c->bye = xstrdup(r->text);
		slog_debug(imapc_session(c), "imapc < * BYE %s", r->text);
		return;
	}
	if (r->status != IMAP_ST_OK)
		slog_warn(imapc_session(c), "imapc: untagged %s %s",
			  r->name, r->text);
	on_status_code(c, r);
}

static void
on_untagged(struct imapc *c, const struct imap_resp *r)
{
	switch (r->type) {
	case IMAP_RT_STATUS:
		on_status(c, r);
		break;
	case IMAP_RT_CAPABILITY:
		imapc_parse_caps(c, r->args, r->nargs, NULL);
		break;
	case IMAP_RT_ENABLED:
		imapc_on_enabled(c, r);
		break;
	case IMAP_RT_LIST:
		imapc_on_list(c, r);
		break;
	case IMAP_RT_SEARCH:
		imapc_on_search(c, r);
		break;
	case IMAP_RT_STATUS_DATA:
		imapc_on_status(c, r);
		break;
	case IMAP_RT_EXISTS:
	case IMAP_RT_EXPUNGE:
		imapc_on_count(c, r);
		break;
	case IMAP_RT_FETCH:
		imapc_fetch_untagged(c, r);
		break;
	case IMAP_RT_VANISHED:
		imapc_vanished_untagged(c, r);
		break;
	default:
		break;
	}
}

static void
dispatch(struct imapc *c, const struct imap_resp *r)
{
	if (r->kind == IMAP_RESP_CONTINUE)
		on_continue(c, r);
	else if (r->kind == IMAP_RESP_TAGGED)
		on_tagged(c, r);
	else if (c->state == IMAPC_ST_CONNECTING)
		imapc_auth_greeting(c, r);
	else
		on_untagged(c, r);
}

static bool
alive(const struct imapc *c)
{
	return !c->freed && c->state != IMAPC_ST_DEAD;
}

static void
on_literal_start(struct imapc *c, const struct imap_literal *lit)
{
	uint64_t size = lit->size;
	bool too_big = lit->too_big;
	int rc = imapc_fetch_literal(c, lit);

	if (rc < 0)
		return;
	if (rc == 0 && too_big) {
		imapc_fail(c, "protocol error: literal of %llu bytes too large",
			   (unsigned long long)size);
		return;
	}
	c->in_literal = true;
	c->streaming = rc == 1;
	if (rc == 0)
		conn_read_literal(c->conn, size, (size_t)size);
}

static void
feed(struct imapc *c, const char *data, size_t len)
{
	const struct imap_resp *r;
	const struct imap_literal *lit;
	const char *error;
	size_t off = 0, used;
	int rc;

	do {
		rc = imap_resp_feed(c->parser, data + off, len - off, &used,
				    &r, &lit, &error);
		off += used;
		if (rc == IMAP_RESP_ERROR)
			imapc_fail(c, "protocol error: %s", error);
		else if (rc == IMAP_RESP_DONE)
			dispatch(c, r);
		else if (rc == IMAP_RESP_LITERAL)
			on_literal_start(c, lit);
	} while (rc != IMAP_RESP_MORE && off < len && alive(c) &&
		 !c->in_literal);
}

static void
on_line(struct imapc *c, const char *line, size_t len)
{
	feed(c, line, len);
	if (alive(c))
		feed(c, "\r\n", 2);
}

static void
on_literal(struct imapc *c, const struct conn_ev *ev)
{
	if (ev->last)
		c->in_literal = false;
	if (c->streaming)
		imapc_fetch_literal_piece(c, ev->data, ev->len, ev->last);
	else
		feed(c, ev->data, ev->len);
}

static void
on_closed(struct imapc *c)
{
	if (c->in_literal)
		imapc_fail(c, "connection closed inside a literal");
	else if (c->bye != NULL)
		imapc_fail(c, "server said BYE: %s", c->bye);
	else
		imapc_fail(c, "connection closed by the server");
}

void
imapc_conn_event(struct conn *conn, const struct conn_ev *ev, void *ctx)
{
	struct imapc *c = ctx;

	imapc_ref(c);
	switch (ev->type) {
	case CONN_LINE:
		on_line(c, ev->data, ev->len);
		break;
	case CONN_LINE_TOO_LONG:
		imapc_fail(c, "protocol error: response line too long");
		break;
	case CONN_LITERAL:
		on_literal(c, ev);
		break;
	case CONN_TLS_DONE:
		if (c->state == IMAPC_ST_SETUP)
			imapc_auth_tls_done(c);
		break;
	case CONN_TIMEOUT:
		imapc_fail(c, "timeout: %s", ev->error);
		break;
	case CONN_CLOSED:
		on_closed(c);
		break;
	case CONN_ERROR:
		imapc_fail(c, "%s", ev->error);
		break;
	default:
		break;
	}
	imapc_unref(c);
}
