#include "fakepop3.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "lib/b64.h"
#include "lib/buf.h"
#include "lib/strx.h"
#include "net/conn.h"
#include "net/listener.h"

#define TS "<42.7@fake>"

static void
out(struct fake_pop3 *f, const char *s)
{
	conn_write(f->conn, s, strlen(s));
	conn_write(f->conn, f->bare_lf ? "\n" : "\r\n", f->bare_lf ? 1 : 2);
}

static void
body(struct fake_pop3 *f, const char *text, bool header_only)
{
	const char *p = text, *nl;
	char line[1024];
	size_t n;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (header_only && n == 0)
			break;
		snprintf(line, sizeof(line), "%s%.*s", *p == '.' ? "." : "",
			 (int)n, p);
		out(f, line);
		p += n + (nl != NULL);
	}
	if (header_only)
		out(f, "");
}

static void
big_body(struct fake_pop3 *f)
{
	char line[101];
	size_t sent = 0;

	memset(line, 'x', 99);
	line[99] = '\0';
	out(f, "Subject: big");
	out(f, "");
	while (sent < f->big_size) {
		out(f, line);
		sent += 101;
	}
}

static void
capa(struct fake_pop3 *f)
{
	if (f->capa_err) {
		out(f, "-ERR what?");
		return;
	}
	out(f, "+OK caps");
	out(f, "TOP");
	if (!f->uidl_err)
		out(f, "UIDL");
	if (!f->no_user)
		out(f, "USER");
	if (f->pipelining)
		out(f, "PIPELINING");
	if (f->sasl_plain)
		out(f, "SASL PLAIN LOGIN");
	if (f->stls != NULL && !f->tls_on)
		out(f, "STLS");
	out(f, "RESP-CODES");
	out(f, ".");
}

static bool
plain_ok(struct fake_pop3 *f, const char *b64)
{
	struct buf b;
	char want[256];
	size_t n;
	bool ok;

	buf_init(&b, 1024);
	n = (size_t)snprintf(want, sizeof(want), "%c%s%c%s", 0, f->user, 0,
			     f->pass);
	ok = b64_decode(b64, strlen(b64), &b) == 0 && b.len == n &&
	     memcmp(b.data, want, n) == 0;
	buf_free(&b);
	return ok;
}

static bool
apop_ok(struct fake_pop3 *f, const char *arg)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, i;
	char want[256], hex[33];

	snprintf(want, sizeof(want), "%s%s", TS, f->pass);
	EVP_Digest(want, strlen(want), md, &mdlen, EVP_md5(), NULL);
	for (i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(want, sizeof(want), "%s %s", f->user, hex);
	return strcmp(arg, want) == 0;
}

static void
msg_size_line(struct fake_pop3 *f, size_t i, char *buf, size_t len)
{
	size_t size = f->big_size > 0 && i == 0 ? f->big_size :
		strlen(f->msgs[i].text);

	snprintf(buf, len, "%zu %zu", i + 1, size);
}

static void
listing(struct fake_pop3 *f, bool uidl)
{
	char line[128];
	size_t i;

	if (uidl && f->uidl_err) {
		out(f, "-ERR [SYS/PERM] no UIDL here");
		return;
	}
	out(f, "+OK listing");
	for (i = 0; i < f->nmsgs; i++) {
		if (f->deleted[i])
			continue;
		if (uidl)
			snprintf(line, sizeof(line), "%zu %s", i + 1,
				 f->msgs[i].uidl);
		else
			msg_size_line(f, i, line, sizeof(line));
		out(f, line);
	}
	out(f, ".");
}

static void
retr(struct fake_pop3 *f, unsigned int n, bool top)
{
	if (n < 1 || n > f->nmsgs || f->deleted[n - 1]) {
		out(f, "-ERR no such message");
		return;
	}
	if (top && f->top_err) {
		out(f, "-ERR no TOP");
		return;
	}
	out(f, "+OK message follows");
	if (f->drop_in_retr && !top) {
		out(f, "Subject: cut");
		out(f, "");
		out(f, "half of the b");
		conn_close(f->conn);
		return;
	}
	if (n == 1 && f->big_size > 0 && !top)
		big_body(f);
	else
		body(f, f->msgs[n - 1].text, top);
	out(f, ".");
}

static void
do_stat(struct fake_pop3 *f)
{
	char line[64];
	size_t i, count = 0, size = 0;

	for (i = 0; i < f->nmsgs; i++) {
		if (!f->deleted[i]) {
			count++;
			size += strlen(f->msgs[i].text);
		}
	}
	snprintf(line, sizeof(line), "+OK %zu %zu", count, size);
	out(f, line);
}

static void
quit(struct fake_pop3 *f)
{
	if (f->drop_at_quit) {
		conn_close(f->conn);
		return;
	}
	f->committed = true;
	out(f, "+OK bye");
	conn_close(f->conn);
}

static bool
auth_cmd(struct fake_pop3 *f, const char *cmd, const char *arg)
{
	bool ok;

	if (str_casecmp(cmd, "USER") == 0) {
		out(f, "+OK");
		return true;
	}
	if (str_casecmp(cmd, "PASS") == 0)
		ok = strcmp(arg, f->pass) == 0;
	else if (str_has_prefix_ci(cmd, "AUTH"))
		ok = str_has_prefix(arg, "PLAIN ") && plain_ok(f, arg + 6);
	else if (str_casecmp(cmd, "APOP") == 0)
		ok = apop_ok(f, arg);
	else
		return false;
	out(f, ok ? "+OK logged in" : "-ERR [AUTH] invalid login");
	return true;
}

static void
stls(struct fake_pop3 *f)
{
	if (f->stls == NULL || f->stls_err) {
		out(f, "-ERR no TLS today");
		return;
	}
	out(f, "+OK begin TLS");
	f->tls_on = true;
	assert_int_equal(conn_starttls_server(f->conn, f->stls), 0);
}

static void
answer_batch(struct fake_pop3 *f, unsigned int n)
{
	unsigned int i;

	f->queued[f->waiting++] = n;
	if (f->waiting < f->batch)
		return;
	for (i = 0; i < f->waiting; i++)
		retr(f, f->queued[i], false);
	f->waiting = 0;
}

static void
handle(struct fake_pop3 *f, const char *line)
{
	char cmd[16] = "";
	const char *sp = strchr(line, ' '), *arg = sp != NULL ? sp + 1 : "";
	size_t n = sp != NULL ? (size_t)(sp - line) : strlen(line);
	uint64_t num = 0;

	snprintf(cmd, sizeof(cmd), "%.*s", (int)n, line);
	(void)str_to_uint64_prefix(arg, &num, &sp);
	if (strcmp(cmd, "CAPA") == 0)
		capa(f);
	else if (strcmp(cmd, "STLS") == 0)
		stls(f);
	else if (auth_cmd(f, cmd, arg))
		;
	else if (strcmp(cmd, "STAT") == 0)
		do_stat(f);
	else if (strcmp(cmd, "LIST") == 0 || strcmp(cmd, "UIDL") == 0)
		listing(f, cmd[0] == 'U');
	else if (strcmp(cmd, "RETR") == 0 && f->batch > 1)
		answer_batch(f, (unsigned int)num);
	else if (strcmp(cmd, "RETR") == 0 || strcmp(cmd, "TOP") == 0)
		retr(f, (unsigned int)num, cmd[0] == 'T');
	else if (strcmp(cmd, "DELE") == 0 && num >= 1 && num <= f->nmsgs) {
		f->deleted[num - 1] = true;
		out(f, "+OK deleted");
	} else if (strcmp(cmd, "NOOP") == 0 || strcmp(cmd, "RSET") == 0)
		out(f, "+OK");
	else if (strcmp(cmd, "QUIT") == 0)
		quit(f);
	else
		out(f, "-ERR unknown command");
}

static void
record(struct fake_pop3 *f, const char *line)
{
	size_t used = strlen(f->log);

	snprintf(f->log + used, sizeof(f->log) - used, "%s|", line);
}

static void
server_cb(struct conn *c, const struct conn_ev *ev, void *ctx)
{
	struct fake_pop3 *f = ctx;

	if (ev->type == CONN_LINE) {
		record(f, ev->data);
		handle(f, ev->data);
	} else if (ev->type == CONN_CLOSED || ev->type == CONN_ERROR) {
		conn_unref(&f->conn);
	}
}

static void
accept_cb(struct conn *c, const char *peer, void *ctx)
{
	struct fake_pop3 *f = ctx;

	f->connections++;
	conn_unref(&f->conn);
	f->conn = c;
	conn_set_callback(c, server_cb, f);
	if (!f->hang)
		out(f, f->greeting != NULL ? f->greeting :
		    "+OK fake ready " TS);
}

void
fake_start(struct fake_pop3 *f, struct loop *l)
{
	struct listener_settings s = { .address = "127.0.0.1:0" };
	const char *error = NULL;

	if (f->lst != NULL)
		return;		/* already listening: reuse it */
	f->loop = l;
	if (f->user == NULL)
		f->user = "alice";
	if (f->pass == NULL)
		f->pass = "s3cret";
	if (listener_new(l, &s, accept_cb, f, &f->lst, &error) < 0)
		fail_msg("listener: %s", error);
	f->port = listener_port(f->lst);
}

void
fake_stop(struct fake_pop3 *f)
{
	if (f->conn != NULL)
		conn_close(f->conn);
	conn_unref(&f->conn);
	listener_free(&f->lst);
}
