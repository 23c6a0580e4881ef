/* Getting to the transaction state: greeting, CAPA, STLS, then USER/PASS,
 * AUTH PLAIN or APOP, and CAPA again once logged in. One state enum, one
 * handler per state (curl pop3.c); each login command is a barrier. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "client/pop3c-private.h"
#include "client/pp.h"
#include "lib/b64.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/connect.h"

/* RFC 5034 section 4: an AUTH line with initial response <= 255 bytes. */
#define POP3C_AUTH_LINE_MAX 253

/* ---- login: one handler per state ---- */

static void
send_state(struct pop3c *pc, enum pop3c_state st, const char *line,
	   const char *log_line, bool multi)
{
	struct pcmd *c = pop3c_cmd_new(pc, K_STATE, multi, NULL);

	pc->state = st;
	pop3c_cmd_send(pc, c, line, log_line, PP_CMD_BARRIER);
}

static void
connect_done(struct pop3c *pc, enum pop3c_result res, const char *text)
{
	struct pop3c_reply r = { res, text, "" };

	pop3c_wipe_password(pc);
	pc->state = res == POP3C_OK ? POP3C_STATE_TRANSACTION :
		POP3C_STATE_STOPPED;
	if (res != POP3C_OK) {
		buf_reset(&pc->error);
		buf_printf(&pc->error, "%.500s", text);
		slog_info(pc->session, "POP3 login to %s failed: %s",
			  pc->host, text);
	}
	pc->connect_cb(pc, &r, pc->connect_ctx);
}

static void
connect_fail(struct pop3c *pc, const char *what, const struct pop3c_reply *r)
{
	char msg[512];

	if (r->result == POP3C_ERR)
		snprintf(msg, sizeof(msg), "%s: -ERR %s%s%s%.300s", what,
			 r->code[0] != '\0' ? "[" : "", r->code,
			 r->code[0] != '\0' ? "] " : "", r->text);
	else
		snprintf(msg, sizeof(msg), "%s: %.400s", what, r->text);
	connect_done(pc, POP3C_FAILED, msg);
}

static void
send_capa(struct pop3c *pc, enum pop3c_state st)
{
	pop3_capa_init(&pc->capa);
	pc->capa_known = false;
	send_state(pc, st, "CAPA", NULL, true);
}

static void
pop3c_state_greeting_resp(struct pop3c *pc, struct pcmd *c,
			  const struct pop3c_reply *r)
{
	if (r->result != POP3C_OK) {
		connect_fail(pc, "greeting", r);
		return;
	}
	if (pop3_apop_timestamp(c->text, pc->apop_ts,
				sizeof(pc->apop_ts)) == 0)
		pc->apop_ts[0] = '\0';
	send_capa(pc, POP3C_STATE_CAPA);
}

static int
md5_hex(const char *a, const char *b, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = m != NULL && EVP_DigestInit_ex(m, EVP_md5(), NULL) == 1 &&
		 EVP_DigestUpdate(m, a, strlen(a)) == 1 &&
		 EVP_DigestUpdate(m, b, strlen(b)) == 1 &&
		 EVP_DigestFinal_ex(m, md, &mdlen) == 1 && mdlen == 16;

	EVP_MD_CTX_free(m);
	for (i = 0; ok && i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	explicit_bzero(md, sizeof(md));
	return ok ? 0 : -1;
}

static void
auth_apop(struct pop3c *pc)
{
	char hex[33], *line, *log_line;

	if (pc->apop_ts[0] == '\0' ||
	    md5_hex(pc->apop_ts, pc->password, hex) < 0) {
		connect_done(pc, POP3C_FAILED, "APOP: the greeting has no "
			     "timestamp (or MD5 is unavailable)");
		return;
	}
	line = xasprintf("APOP %s %s", pc->login, hex);
	log_line = xasprintf("APOP %s ***", pc->login);
	send_state(pc, POP3C_STATE_APOP, line, log_line, false);
	explicit_bzero(line, strlen(line));
	explicit_bzero(hex, sizeof(hex));
	free(line);
	free(log_line);
}

/* "\0login\0password" in base64 (RFC 4616), into b (wiped by caller). */
static int
plain_response(struct pop3c *pc, struct buf *b)
{
	struct buf raw;
	int rc;

	buf_init(&raw, 2048);
	rc = buf_append_c(&raw, '\0') < 0 ||
	     buf_append_str(&raw, pc->login) < 0 ||
	     buf_append_c(&raw, '\0') < 0 ||
	     buf_append_str(&raw, pc->password) < 0 ||
	     b64_encode(raw.data, raw.len, b) < 0 ? -1 : 0;
	if (raw.data != NULL)
		explicit_bzero(raw.data, raw.cap);
	buf_free(&raw);
	return rc;
}

static void
wipe_buf(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

/* cont: the answer to a "+" continuation, else the AUTH command (with
 * the initial response when the line fits, RFC 5034 section 4). */
static void
auth_plain(struct pop3c *pc, bool cont)
{
	struct buf b;

	buf_init(&b, 4096);
	if ((!cont && buf_append_str(&b, "AUTH PLAIN ") < 0) ||
	    plain_response(pc, &b) < 0) {
		wipe_buf(&b);
		connect_done(pc, POP3C_FAILED, "login or password too long");
		return;
	}
	if (cont)
		send_state(pc, POP3C_STATE_AUTH_CONT, b.data, "***", false);
	else if (b.len <= POP3C_AUTH_LINE_MAX)
		send_state(pc, POP3C_STATE_AUTH_PLAIN, b.data,
			   "AUTH PLAIN ***", false);
	else
		send_state(pc, POP3C_STATE_AUTH_PLAIN, "AUTH PLAIN", NULL,
			   false);
	wipe_buf(&b);
}

static void
start_auth(struct pop3c *pc)
{
	char *line;

	if (pc->auth == POP3C_AUTH_APOP) {
		auth_apop(pc);
		return;
	}
	if (pc->auth == POP3C_AUTH_PLAIN ||
	    (pc->auth == POP3C_AUTH_AUTO && pc->capa.sasl_plain)) {
		auth_plain(pc, false);
		return;
	}
	line = xasprintf("USER %s", pc->login);
	send_state(pc, POP3C_STATE_USER, line, NULL, false);
	free(line);
}

static void
pop3c_state_capa_resp(struct pop3c *pc, struct pcmd *c,
		      const struct pop3c_reply *r)
{
	if (r->result == POP3C_FAILED) {
		connect_fail(pc, "CAPA", r);
		return;
	}
	/* -ERR: an RFC 1939-only server; assume the minimum. */
	pc->capa_known = r->result == POP3C_OK;
	if (!pc->capa_known)
		pop3_capa_init(&pc->capa);
	if (pc->tls_mode == POP3C_TLS_STARTTLS && !pc->tls_started)
		send_state(pc, POP3C_STATE_STLS, "STLS", NULL, false);
	else
		start_auth(pc);
}

static void
pop3c_state_stls_resp(struct pop3c *pc, struct pcmd *c,
		      const struct pop3c_reply *r)
{
	/* Never go on in clear when TLS was asked for. */
	if (r->result != POP3C_OK) {
		connect_fail(pc, "STLS failed", r);
		return;
	}
	/* RFC 2595: forget what was learnt before TLS. */
	send_capa(pc, POP3C_STATE_CAPA);
}

static void
pop3c_state_user_resp(struct pop3c *pc, struct pcmd *c,
		      const struct pop3c_reply *r)
{
	char *line;

	if (r->result != POP3C_OK) {
		connect_fail(pc, "USER refused", r);
		return;
	}
	line = xasprintf("PASS %s", pc->password);
	send_state(pc, POP3C_STATE_PASS, line, "PASS ***", false);
	explicit_bzero(line, strlen(line));
	free(line);
}

static void
pop3c_state_auth_resp(struct pop3c *pc, struct pcmd *c,
		      const struct pop3c_reply *r)
{
	if (c->cont && pc->state == POP3C_STATE_AUTH_PLAIN) {
		auth_plain(pc, true);
		return;
	}
	if (r->result != POP3C_OK) {
		connect_fail(pc, "login failed", r);
		return;
	}
	pop3c_wipe_password(pc);
	/* RFC 2449: capabilities may differ once logged in. */
	send_capa(pc, POP3C_STATE_CAPA2);
}

static void
pop3c_state_capa2_resp(struct pop3c *pc, struct pcmd *c,
		       const struct pop3c_reply *r)
{
	if (r->result == POP3C_FAILED) {
		connect_fail(pc, "CAPA", r);
		return;
	}
	pc->capa_known = r->result == POP3C_OK;
	if (!pc->capa_known)
		pop3_capa_init(&pc->capa);
	if (pc->capa.pipelining)
		pp_set_window(pc->pp, pc->window);
	slog_info(pc->session, "POP3 logged in to %s as %s (%s%s)", pc->host,
		  pc->login, pc->tls_mode == POP3C_TLS_NONE ? "no TLS" : "TLS",
		  pc->capa.pipelining ? ", pipelining" : "");
	connect_done(pc, POP3C_OK, "logged in");
}

void
pop3c_state_resp(struct pop3c *pc, struct pcmd *c,
		 const struct pop3c_reply *r)
{
	switch (pc->state) {
	case POP3C_STATE_GREETING:
		pop3c_state_greeting_resp(pc, c, r);
		break;
	case POP3C_STATE_CAPA:
		pop3c_state_capa_resp(pc, c, r);
		break;
	case POP3C_STATE_STLS:
		pop3c_state_stls_resp(pc, c, r);
		break;
	case POP3C_STATE_USER:
		pop3c_state_user_resp(pc, c, r);
		break;
	case POP3C_STATE_AUTH_PLAIN:
	case POP3C_STATE_AUTH_CONT:
	case POP3C_STATE_PASS:
	case POP3C_STATE_APOP:
		pop3c_state_auth_resp(pc, c, r);
		break;
	case POP3C_STATE_CAPA2:
		pop3c_state_capa2_resp(pc, c, r);
		break;
	default:
		fatal("pop3c: response in state %d", (int)pc->state);
	}
}

/* ---- connect ---- */

void
pop3c_connect(struct pop3c *pc, pop3c_cb *cb, void *ctx)
{
	struct connect_settings cs = { pc->host, pc->port, pc->timeout_ms,
		pc->tls_mode == POP3C_TLS_IMPLICIT ? pc->tls : NULL };

	pc->connect_cb = cb;
	pc->connect_ctx = ctx;
	if (pc->tls_error != NULL)
		pp_fail(pc->pp, "TLS setup: %s", pc->tls_error);
	else
		pp_connect(pc->pp, &cs);
	send_state(pc, POP3C_STATE_GREETING, NULL, NULL, false);
}
