/* The POP3 client: the session (setup, one command object per request on
 * client/pp, its reply and results) and one handler per transaction
 * command. The login state machine is in pop3c-login.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/pop3c-private.h"
#include "client/pp.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/tls.h"

#define POP3C_CHUNK (64 * 1024)
#define POP3C_DEFAULT_WINDOW 16
#define POP3C_DEFAULT_BODY_LINE (1024 * 1024)
#define POP3C_DEFAULT_MAX_MSGS 500000

/* ---- commands ---- */

static void
pcmd_destroy(struct pcmd *c)
{
	free(c->text);
	free(c->invalid);
	buf_free(&c->chunk);
	free(c->items);
	free(c);
}

static void
pcmd_invalid(struct pcmd *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
pcmd_invalid(struct pcmd *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (c->invalid != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->invalid = xstrdup(msg);
}

static int
pcmd_status(struct pp *pp, struct pcmd *c, const char *line, size_t len)
{
	struct pop3_status st;
	const char *error;

	if (pop3_status_parse(line, len, &st, &error) < 0)
		return pp_fail(pp, "%s: %s: \"%.60s\"", c->name, error, line);
	slog_debug(c->pc->session, "S: %.200s", line);
	c->got_status = true;
	c->status = st.kind;
	memcpy(c->code, st.code, sizeof(c->code));
	c->text = xstrdup(st.text);
	if (st.kind == POP3_ST_CONT) {
		if (c->kind != K_STATE ||
		    c->pc->state != POP3C_STATE_AUTH_PLAIN)
			return pp_fail(pp, "%s: unexpected \"+\" continuation",
				       c->name);
		c->cont = true;
		return PP_DONE;
	}
	if (st.kind == POP3_ST_ERR)
		return PP_DONE;
	if (c->kind == K_STATE && c->pc->state == POP3C_STATE_STLS) {
		/* Upgrade now, before another byte is read in clear. */
		c->pc->tls_started = true;
		if (pp_starttls(pp, c->pc->tls, c->pc->host) < 0)
			return PP_ERROR;
	}
	if (!c->multi)
		return PP_DONE;
	if (c->kind == K_DATA)
		pp_set_max_line(pp, c->pc->max_body_line);
	return PP_MORE;
}

/* Hands the collected data to the caller. 1 when the command was freed
 * meanwhile (pop3c_free in the callback): touch nothing then. */
static int
data_flush(struct pcmd *c)
{
	int rc;

	if (c->aborted || c->chunk.len == 0)
		return 0;
	c->busy = true;
	rc = c->data(c->pc, c->chunk.data, c->chunk.len, c->ctx);
	c->busy = false;
	if (c->freed) {
		pcmd_destroy(c);
		return 1;
	}
	buf_reset(&c->chunk);
	if (rc < 0)
		c->aborted = true;
	return 0;
}

static int
data_line(struct pcmd *c, const char *d, size_t n)
{
	if (c->aborted)
		return 0;
	if (buf_append(&c->chunk, d, n) < 0 ||
	    buf_append(&c->chunk, "\r\n", 2) < 0) {
		/* cannot happen: pp caps lines at max_body_line */
		pcmd_invalid(c, "%s: line too long", c->name);
		c->aborted = true;
		return 0;
	}
	return c->chunk.len >= POP3C_CHUNK ? data_flush(c) : 0;
}

static void *
item_add(struct pcmd *c, size_t size)
{
	if (c->n >= c->pc->max_msgs) {
		pcmd_invalid(c, "%s: more than %u messages listed", c->name,
			     c->pc->max_msgs);
		return NULL;
	}
	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 64 : c->cap * 2;
		c->items = xrealloc(c->items, c->cap * size);
	}
	return (char *)c->items + c->n++ * size;
}

static void
list_line(struct pcmd *c, const char *d, size_t n)
{
	struct pop3c_size *it, tmp;
	const char *error;

	if (pop3_list_line(d, n, &tmp.msgno, &tmp.size, &error) < 0) {
		pcmd_invalid(c, "%s: %s: \"%.40s\"", c->name, error, d);
		return;
	}
	if ((it = item_add(c, sizeof(*it))) != NULL)
		*it = tmp;
}

static void
uidl_line(struct pcmd *c, const char *d, size_t n)
{
	struct pop3c_uid *it;
	const char *error, *uid;
	size_t uid_len;
	uint32_t msgno;

	if (pop3_uidl_line(d, n, &msgno, &uid, &uid_len, &error) < 0) {
		pcmd_invalid(c, "%s: %s: \"%.40s\"", c->name, error, d);
		return;
	}
	if ((it = item_add(c, sizeof(*it))) == NULL)
		return;
	it->msgno = msgno;
	memcpy(it->uidl, uid, uid_len);
	it->uidl[uid_len] = '\0';
}

static int
pcmd_body(struct pcmd *c, const char *d, size_t n)
{
	switch (c->kind) {
	case K_STATE:
		pop3_capa_line(&c->pc->capa, d, n);
		break;
	case K_LIST:
		list_line(c, d, n);
		break;
	case K_UIDL:
		uidl_line(c, d, n);
		break;
	case K_DATA:
		return data_line(c, d, n);
	default:
		break;
	}
	return 0;
}

static int
pcmd_line(struct pp *pp, const char *line, size_t len, void *ctx)
{
	struct pcmd *c = ctx;
	const char *d;
	size_t n;

	if (!c->got_status)
		return pcmd_status(pp, c, line, len);
	if (pop3_ml_line(line, len, &d, &n) == 1) {
		if (c->kind == K_DATA && data_flush(c) == 1)
			return PP_MORE;
		return PP_DONE;
	}
	(void)pcmd_body(c, d, n);	/* 1: c is gone; either way more */
	return PP_MORE;
}

/* ---- results ---- */

static int
cmp_msgno(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_uidl(const void *a, const void *b)
{
	const struct pop3c_uid *x = *(const struct pop3c_uid *const *)a;
	const struct pop3c_uid *y = *(const struct pop3c_uid *const *)b;

	return strcmp(x->uidl, y->uidl);
}

/* Both item types start with the message number. */
static void
check_msgnos(struct pcmd *c, size_t size)
{
	const char *p = c->items;
	uint32_t a, b;
	size_t i;

	qsort(c->items, c->n, size, cmp_msgno);
	for (i = 1; i < c->n; i++) {
		memcpy(&a, p + (i - 1) * size, sizeof(a));
		memcpy(&b, p + i * size, sizeof(b));
		if (a == b)
			pcmd_invalid(c, "%s: message %u listed twice",
				     c->name, a);
	}
}

static void
check_uidls(struct pcmd *c)
{
	struct pop3c_uid *l = c->items, **v;
	size_t i;

	if (c->n < 2)
		return;
	v = xcalloc(c->n, sizeof(*v));
	for (i = 0; i < c->n; i++)
		v[i] = &l[i];
	qsort(v, c->n, sizeof(*v), cmp_uidl);
	for (i = 1; i < c->n; i++)
		if (strcmp(v[i - 1]->uidl, v[i]->uidl) == 0)
			pcmd_invalid(c, "server listed UIDL %s twice "
				     "(messages %u and %u)", v[i]->uidl,
				     v[i - 1]->msgno, v[i]->msgno);
	free(v);
}

static void
make_reply(struct pcmd *c, enum pp_end how, const char *error,
	   struct pop3c_reply *r)
{
	r->code = c->code;
	r->text = c->text != NULL ? c->text : "";
	if (how == PP_END_FAILED) {
		r->result = POP3C_FAILED;
		r->text = error;
		return;
	}
	if (c->status == POP3_ST_ERR) {
		r->result = POP3C_ERR;
		return;
	}
	if (c->kind == K_LIST)
		check_msgnos(c, sizeof(struct pop3c_size));
	if (c->kind == K_UIDL) {
		check_msgnos(c, sizeof(struct pop3c_uid));
		check_uidls(c);
	}
	r->result = c->invalid != NULL ? POP3C_INVALID :
		c->aborted ? POP3C_ABORTED : POP3C_OK;
	if (c->invalid != NULL)
		r->text = c->invalid;
}

static void
set_error(struct pop3c *pc, const struct pcmd *c, const struct pop3c_reply *r)
{
	buf_reset(&pc->error);
	buf_printf(&pc->error, "%s: %s%s%s%s%.300s", c->name,
		   r->result == POP3C_ERR ? "-ERR " : "",
		   r->code[0] != '\0' ? "[" : "", r->code,
		   r->code[0] != '\0' ? "] " : "", r->text);
}

static void
finish_stat(struct pcmd *c, struct pop3c_reply *r)
{
	uint32_t count = 0;
	uint64_t size = 0;
	const char *error;

	if (r->result == POP3C_OK &&
	    pop3_stat_parse(c->text, &count, &size, &error) < 0) {
		r->result = POP3C_INVALID;
		r->text = error;
		set_error(c->pc, c, r);
	}
	c->u.stat(c->pc, r, count, size, c->ctx);
}

static void
finish(struct pcmd *c, struct pop3c_reply *r)
{
	switch (c->kind) {
	case K_STATE:
		pop3c_state_resp(c->pc, c, r);
		break;
	case K_STAT:
		finish_stat(c, r);
		break;
	case K_LIST:
		c->u.list(c->pc, r, c->items, c->n, c->ctx);
		break;
	case K_UIDL:
		c->u.uidl(c->pc, r, c->items, c->n, c->ctx);
		break;
	default:
		c->u.cb(c->pc, r, c->ctx);
		break;
	}
}

/* The user callback is the last thing that touches pc: it may free it. */
static void
pcmd_end(struct pp *pp, enum pp_end how, const char *error, void *ctx)
{
	struct pcmd *c = ctx;
	struct pop3c_reply r;

	if (how == PP_END_FREED) {
		if (c->busy)
			c->freed = true;
		else
			pcmd_destroy(c);
		return;
	}
	make_reply(c, how, error, &r);
	if (r.result != POP3C_OK)
		set_error(c->pc, c, &r);
	finish(c, &r);
	pcmd_destroy(c);
}

struct pcmd *
pop3c_cmd_new(struct pop3c *pc, enum pcmd_kind kind, bool multi, void *ctx)
{
	struct pcmd *c = xcalloc(1, sizeof(*c));

	c->pc = pc;
	c->kind = kind;
	c->multi = multi;
	c->ctx = ctx;
	if (kind == K_DATA)
		buf_init(&c->chunk, POP3C_CHUNK + pc->max_body_line + 2);
	return c;
}

void
pop3c_cmd_send(struct pop3c *pc, struct pcmd *c, const char *line,
	       const char *log_line, unsigned int flags)
{
	snprintf(c->name, sizeof(c->name), "%s",
		 log_line != NULL ? log_line : line != NULL ? line :
		 "greeting");
	pp_send(pc->pp, line, log_line, flags, pcmd_line, pcmd_end, c);
}

/* ---- setup ---- */

void
pop3c_wipe_password(struct pop3c *pc)
{
	if (pc->password == NULL)
		return;
	explicit_bzero(pc->password, strlen(pc->password));
	free(pc->password);
	pc->password = NULL;
}

static void
make_tls(struct pop3c *pc, const struct pop3c_settings *set)
{
	struct tls_client_settings ts = { set->ca_file, set->pin_sha256 };
	const char *error = NULL;

	if (set->tls == POP3C_TLS_NONE)
		return;
	if (tls_client_new(&ts, &pc->tls, &error) < 0)
		pc->tls_error = xstrdup(error != NULL ? error : "TLS setup");
}

struct pop3c *
pop3c_new(struct loop *l, const struct pop3c_settings *set)
{
	struct pop3c *pc = xcalloc(1, sizeof(*pc));
	struct pp_settings ps = { set->session, set->timeout_ms, 0, 1 };

	pc->loop = l;
	pc->host = xstrdup(set->host);
	pc->login = xstrdup(set->login != NULL ? set->login : "");
	pc->password = xstrdup(set->password != NULL ? set->password : "");
	pc->session = xstrdup(set->session != NULL ? set->session : "-");
	pc->tls_mode = set->tls;
	pc->port = set->port != 0 ? set->port :
		set->tls == POP3C_TLS_IMPLICIT ? 995 : 110;
	pc->auth = set->auth;
	pc->timeout_ms = set->timeout_ms;
	pc->window = set->window > 0 ? set->window : POP3C_DEFAULT_WINDOW;
	pc->max_body_line = set->max_body_line > 0 ? set->max_body_line :
		POP3C_DEFAULT_BODY_LINE;
	pc->max_msgs = set->max_msgs > 0 ? set->max_msgs :
		POP3C_DEFAULT_MAX_MSGS;
	pop3_capa_init(&pc->capa);
	buf_init(&pc->error, 1024);
	make_tls(pc, set);
	pc->pp = pp_new(l, &ps, NULL, NULL);
	return pc;
}

void
pop3c_free(struct pop3c **pcp)
{
	struct pop3c *pc = *pcp;

	if (pc == NULL)
		return;
	*pcp = NULL;
	pp_free(&pc->pp);
	tls_ctx_free(&pc->tls);
	pop3c_wipe_password(pc);
	free(pc->tls_error);
	free(pc->host);
	free(pc->login);
	free(pc->session);
	buf_free(&pc->error);
	free(pc);
}

/* ---- transaction commands ---- */

static struct pcmd *
txn_cmd(struct pop3c *pc, enum pcmd_kind kind, bool multi, void *ctx)
{
	if (pc->state < POP3C_STATE_TRANSACTION)
		fatal("pop3c: command issued before the login finished");
	return pop3c_cmd_new(pc, kind, multi, ctx);
}

void
pop3c_stat(struct pop3c *pc, pop3c_stat_cb *cb, void *ctx)
{
	struct pcmd *c = txn_cmd(pc, K_STAT, false, ctx);

	c->u.stat = cb;
	pop3c_cmd_send(pc, c, "STAT", NULL, 0);
}

void
pop3c_list(struct pop3c *pc, pop3c_list_cb *cb, void *ctx)
{
	struct pcmd *c = txn_cmd(pc, K_LIST, true, ctx);

	c->u.list = cb;
	pop3c_cmd_send(pc, c, "LIST", NULL, 0);
}

void
pop3c_uidl(struct pop3c *pc, pop3c_uidl_cb *cb, void *ctx)
{
	struct pcmd *c = txn_cmd(pc, K_UIDL, true, ctx);

	c->u.uidl = cb;
	pop3c_cmd_send(pc, c, "UIDL", NULL, 0);
}

static void
data_cmd(struct pop3c *pc, const char *line, pop3c_data_cb *data,
	 pop3c_cb *done, void *ctx)
{
	struct pcmd *c = txn_cmd(pc, K_DATA, true, ctx);

	c->data = data;
	c->u.cb = done;
	pop3c_cmd_send(pc, c, line, NULL, 0);
}

void
pop3c_top(struct pop3c *pc, uint32_t msgno, unsigned int lines,
	  pop3c_data_cb *data, pop3c_cb *done, void *ctx)
{
	char line[48];

	snprintf(line, sizeof(line), "TOP %u %u", msgno, lines);
	data_cmd(pc, line, data, done, ctx);
}

void
pop3c_retr(struct pop3c *pc, uint32_t msgno, pop3c_data_cb *data,
	   pop3c_cb *done, void *ctx)
{
	char line[32];

	snprintf(line, sizeof(line), "RETR %u", msgno);
	data_cmd(pc, line, data, done, ctx);
}

static void
simple_cmd(struct pop3c *pc, const char *line, unsigned int flags,
	   pop3c_cb *cb, void *ctx)
{
	struct pcmd *c = txn_cmd(pc, K_SIMPLE, false, ctx);

	c->u.cb = cb;
	pop3c_cmd_send(pc, c, line, NULL, flags);
}

void
pop3c_dele(struct pop3c *pc, uint32_t msgno, pop3c_cb *cb, void *ctx)
{
	char line[32];

	snprintf(line, sizeof(line), "DELE %u", msgno);
	simple_cmd(pc, line, 0, cb, ctx);
}

void
pop3c_rset(struct pop3c *pc, pop3c_cb *cb, void *ctx)
{
	simple_cmd(pc, "RSET", 0, cb, ctx);
}

void
pop3c_noop(struct pop3c *pc, pop3c_cb *cb, void *ctx)
{
	simple_cmd(pc, "NOOP", 0, cb, ctx);
}

void
pop3c_quit(struct pop3c *pc, pop3c_cb *cb, void *ctx)
{
	simple_cmd(pc, "QUIT", PP_CMD_BARRIER, cb, ctx);
}

/* ---- queries ---- */

const struct pop3_capa *
pop3c_capa(const struct pop3c *pc)
{
	return &pc->capa;
}

bool
pop3c_capa_known(const struct pop3c *pc)
{
	return pc->capa_known;
}

bool
pop3c_is_tls(const struct pop3c *pc)
{
	return pc->pp != NULL && pp_is_tls(pc->pp);
}

const char *
pop3c_error(const struct pop3c *pc)
{
	return buf_cstr(&pc->error);
}
