/* The scripted IMAP server of fakeimap.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fakeimap.h"
#include "lib/buf.h"
#include "lib/strx.h"
#include "net/conn.h"
#include "net/listener.h"

void
fake_imap_send(struct fake_imap *f, const char *s)
{
	if (f->conn != NULL && !f->silent)
		(void)conn_write(f->conn, s, strlen(s));
}

/* Sends reply with %T/%U/%V expanded. */
static void
send_reply(struct fake_imap *f, const char *reply)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	for (const char *p = reply; *p != '\0'; p++) {
		if (*p == '%' && (p[1] == 'T' || p[1] == 'U' || p[1] == 'V')) {
			(void)buf_append_str(&b, f->tags[p[1] - 'T']);
			p++;
		} else {
			(void)buf_append_c(&b, *p);
		}
	}
	fake_imap_send(f, buf_cstr(&b));
	buf_free(&b);
}

static const char *
default_reply(struct fake_imap *f, const char *cmd, bool *close_r)
{
	static char capa[1024];

	if (str_has_prefix_ci(cmd, "CAPABILITY")) {
		snprintf(capa, sizeof(capa), "* CAPABILITY %s\r\n%%T OK\r\n",
			 f->caps != NULL ? f->caps : "IMAP4rev1");
		return capa;
	}
	if (str_has_prefix_ci(cmd, "LOGIN") ||
	    str_has_prefix_ci(cmd, "AUTHENTICATE PLAIN ") ||
	    str_has_prefix_ci(cmd, "NOOP"))
		return "%T OK done\r\n";
	if (str_has_prefix_ci(cmd, "ENABLE QRESYNC"))
		return "* ENABLED QRESYNC\r\n%T OK\r\n";
	if (str_has_prefix_ci(cmd, "ENABLE"))
		return "%T OK\r\n";
	if (str_has_prefix_ci(cmd, "AUTHENTICATE PLAIN"))
		return "+ \r\n";
	if (str_has_prefix_ci(cmd, "LOGOUT")) {
		*close_r = true;
		return "* BYE bye\r\n%T OK\r\n";
	}
	if (str_has_prefix_ci(cmd, "IDLE"))
		return "+ idling\r\n";
	if (str_has_prefix_ci(cmd, "LIST \"\" \"\""))
		return "* LIST (\\Noselect) \"/\" \"\"\r\n%T OK\r\n";
	return "%T BAD unknown\r\n";
}

static struct fake_rule *
find_rule(struct fake_imap *f, const char *cmd)
{
	for (size_t i = 0; i < f->nrules; i++)
		if (!f->rules[i].used &&
		    str_has_prefix_ci(cmd, f->rules[i].cmd))
			return &f->rules[i];
	return NULL;
}

static void
log_cmd(struct fake_imap *f, const char *cmd)
{
	size_t len = strlen(f->log);

	snprintf(f->log + len, sizeof(f->log) - len, "%s%s",
		 len > 0 ? "|" : "", cmd);
	f->commands++;
}

static void
command(struct fake_imap *f, const char *line)
{
	const char *sp = strchr(line, ' ');
	const char *cmd = sp != NULL ? sp + 1 : "";
	struct fake_rule *rule;
	bool close = false;
	const char *reply;

	memmove(f->tags[2], f->tags[1], sizeof(f->tags[0]));
	memmove(f->tags[1], f->tags[0], sizeof(f->tags[0]));
	snprintf(f->tags[0], sizeof(f->tags[0]), "%.*s",
		 (int)(sp != NULL ? sp - line : 0), line);
	log_cmd(f, cmd);
	if (str_has_prefix_ci(cmd, "LOGIN") ||
	    str_has_prefix_ci(cmd, "AUTHENTICATE"))
		f->tls_at_login = conn_is_tls(f->conn);
	if (str_has_prefix_ci(cmd, "IDLE"))
		snprintf(f->idle_tag, sizeof(f->idle_tag), "%s", f->tags[0]);
	rule = find_rule(f, cmd);
	if (rule != NULL) {
		rule->used = true;
		reply = rule->reply;
		close = rule->close;
	} else if (str_has_prefix_ci(cmd, "STARTTLS") && f->tls != NULL) {
		send_reply(f, "%T OK begin TLS\r\n");
		assert_int_equal(conn_starttls_server(f->conn, f->tls), 0);
		return;
	} else {
		reply = default_reply(f, cmd, &close);
		f->awaiting_auth = str_casecmp(cmd, "AUTHENTICATE PLAIN") == 0;
	}
	send_reply(f, reply);
	if (close)
		conn_close(f->conn);
}

/* A line: a command, a continuation of one waiting for a literal,
 * DONE, or an AUTHENTICATE response. */
static void
on_line(struct fake_imap *f, const char *line)
{
	size_t len = strlen(line);
	const char *brace = len > 0 && line[len - 1] == '}' ?
		strrchr(line, '{') : NULL;
	unsigned long long n;

	if (f->awaiting_auth) {
		f->awaiting_auth = false;
		log_cmd(f, line);
		send_reply(f, "%T OK done\r\n");
		return;
	}
	if (f->pending == NULL && strcmp(line, "DONE") == 0) {
		log_cmd(f, "DONE");
		snprintf(f->tags[0], sizeof(f->tags[0]), "%s", f->idle_tag);
		send_reply(f, "%T OK idle done\r\n");
		return;
	}
	f->pending = realloc(f->pending, f->pending_len + len + 1);
	memcpy(f->pending + f->pending_len, line, len + 1);
	f->pending_len += len;
	if (brace != NULL && sscanf(brace, "{%llu", &n) == 1) {
		if (line[len - 2] != '+')
			fake_imap_send(f, "+ go\r\n");
		f->lit_left = n;
		conn_read_literal(f->conn, n, n);
		return;
	}
	command(f, f->pending);
	free(f->pending);
	f->pending = NULL;
	f->pending_len = 0;
}

static void
on_literal(struct fake_imap *f, const struct conn_ev *ev)
{
	f->pending = realloc(f->pending, f->pending_len + ev->len + 1);
	memcpy(f->pending + f->pending_len, ev->data, ev->len);
	f->pending_len += ev->len;
	f->pending[f->pending_len] = '\0';
}

static void
server_cb(struct conn *c, const struct conn_ev *ev, void *ctx)
{
	struct fake_imap *f = ctx;

	if (ev->type == CONN_LINE)
		on_line(f, ev->data);
	else if (ev->type == CONN_LITERAL)
		on_literal(f, ev);
	else if (ev->type == CONN_CLOSED || ev->type == CONN_ERROR)
		conn_close(c);
}

static void
accept_cb(struct conn *c, const char *peer, void *ctx)
{
	struct fake_imap *f = ctx;

	conn_unref(&f->conn);
	f->conn = c;
	conn_set_callback(c, server_cb, f);
	fake_imap_send(f, f->greeting != NULL ? f->greeting :
		       "* OK fake ready\r\n");
}

void
fake_imap_start(struct fake_imap *f, struct loop *l)
{
	struct listener_settings s = { .address = "127.0.0.1:0" };
	const char *error;

	f->loop = l;
	if (listener_new(l, &s, accept_cb, f, &f->lst, &error) < 0)
		fail_msg("listener: %s", error);
	f->port = listener_port(f->lst);
}

void
fake_imap_stop(struct fake_imap *f)
{
	if (f->conn != NULL)
		conn_close(f->conn);
	conn_unref(&f->conn);
	listener_free(&f->lst);
	free(f->pending);
	f->pending = NULL;
}
