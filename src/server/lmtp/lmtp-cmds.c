/* LMTP commands outside DATA: LHLO MAIL RCPT RSET NOOP VRFY QUIT
 * STARTTLS. Each checks the state, then acts. */

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "registry/registry.h"
#include "server/lmtp/lmtp-private.h"
#include "store/store.h"

/* Recipients per transaction (RFC 5321 4.5.3.1.8 asks for at least 100). */
#define LMTP_MAX_RCPTS 100

static void
cmd_lhlo(struct lmtp_session *s, const struct lmtp_cmd *cmd)
{
	const struct server_env *env = s->srv->env;
	struct conn *c = s->c;

	lmtp_transaction_reset(s);
	free(s->lhlo);
	s->lhlo = xstrdup(cmd->arg);
	s->state = LMTP_STATE_READY;
	s->bad = 0;
	conn_printf(c, "250-%s\r\n", env->hostname);
	conn_write_line(c, "250-PIPELINING");
	conn_write_line(c, "250-8BITMIME");
	conn_write_line(c, "250-ENHANCEDSTATUSCODES");
	if (env->tls != NULL && !conn_is_tls(c))
		conn_write_line(c, "250-STARTTLS");
	if (env->max_message_size > 0)
		conn_printf(c, "250 SIZE %llu\r\n",
			    (unsigned long long)env->max_message_size);
	else
		conn_write_line(c, "250 SIZE");
}

static void
cmd_mail(struct lmtp_session *s, const struct lmtp_cmd *cmd)
{
	uint64_t max = s->srv->env->max_message_size;

	if (s->state == LMTP_STATE_INIT) {
		lmtp_reply_error(s, "503 5.5.1 Send LHLO first");
		return;
	}
	if (s->state != LMTP_STATE_READY) {
		lmtp_reply_error(s, "503 5.5.1 Sender already given");
		return;
	}
	if (cmd->has_size && max > 0 && cmd->size > max) {
		lmtp_reply_error(s, "552 5.3.4 Message size exceeds fixed "
				 "maximum message size");
		return;
	}
	s->sender = xstrdup(cmd->addr);
	s->declared_size = cmd->has_size ? cmd->size : 0;
	s->state = LMTP_STATE_MAIL;
	lmtp_reply(s, "250 2.1.0 OK");
}

/* The user's INBOX: a registered user whose store was never made gets
 * one now. */
static int
inbox_of(struct lmtp_session *s, const char *user, int64_t *id_r)
{
	struct store *st = s->srv->env->store;
	struct store_folder f;
	int rc = store_folder_find(st, user, "INBOX", &f);

	if (rc == STORE_NOTFOUND && store_user_create(st, user) == STORE_OK)
		rc = store_folder_find(st, user, "INBOX", &f);
	if (rc != STORE_OK)
		return rc;
	*id_r = f.id;
	store_folder_clear(&f);
	return STORE_OK;
}

static void
add_rcpt(struct lmtp_session *s, const char *addr, const char *user,
	 int64_t folder_id)
{
	struct lmtp_rcpt *r = xcalloc(1, sizeof(*r));

	r->addr = xstrdup(addr);
	r->user = xstrdup(user);
	r->folder_id = folder_id;
	r->s = s;
	if (s->nrcpts == s->caprcpts) {
		s->caprcpts = s->caprcpts ? s->caprcpts * 2 : 4;
		s->rcpts = xrealloc(s->rcpts,
				    s->caprcpts * sizeof(*s->rcpts));
	}
	s->rcpts[s->nrcpts++] = r;
}

static void
cmd_rcpt(struct lmtp_session *s, const struct lmtp_cmd *cmd)
{
	char user[128];
	int64_t id;
	int rc;

	if (s->state != LMTP_STATE_MAIL) {
		lmtp_reply_error(s, "503 5.5.1 MAIL needed first");
		return;
	}
	if (s->nrcpts >= LMTP_MAX_RCPTS) {
		lmtp_reply_error(s, "452 4.5.3 Too many recipients");
		return;
	}
	if (lmtp_rcpt_user(cmd->addr, user, sizeof(user)) < 0 ||
	    (rc = registry_user_exists(s->srv->env->reg, user)) == 0) {
		lmtp_reply_error(s, "550 5.1.1 <%s> User doesn't exist",
				 cmd->addr);
		return;
	}
	if (rc < 0 || inbox_of(s, user, &id) != STORE_OK) {
		slog_error(conn_session_id(s->c), "lmtp: looking up %s failed",
			   user);
		lmtp_reply_error(s, "451 4.3.0 <%s> Temporary internal error",
				 cmd->addr);
		return;
	}
	add_rcpt(s, cmd->addr, user, id);
	lmtp_reply(s, "250 2.1.5 OK");
}

static void
cmd_starttls(struct lmtp_session *s)
{
	const struct server_env *env = s->srv->env;

	if (env->tls == NULL) {
		lmtp_reply_error(s, "502 5.5.1 STARTTLS not available");
		return;
	}
	if (conn_is_tls(s->c)) {
		lmtp_reply_error(s, "503 5.5.1 TLS already active");
		return;
	}
	if (s->state != LMTP_STATE_READY) {
		lmtp_reply_error(s, "503 5.5.1 Send LHLO first, and no "
				 "STARTTLS inside a transaction");
		return;
	}
	lmtp_reply(s, "220 2.0.0 Ready to start TLS");
	/* RFC 3207 4.2: forget what was said in clear; LHLO again. */
	lmtp_transaction_reset(s);
	s->state = LMTP_STATE_INIT;
	if (conn_starttls_server(s->c, env->tls) < 0)
		s->state = LMTP_STATE_DONE;
}

void
lmtp_cmd_dispatch(struct lmtp_session *s, const struct lmtp_cmd *cmd)
{
	switch (cmd->verb) {
	case LMTP_CMD_LHLO:
		cmd_lhlo(s, cmd);
		break;
	case LMTP_CMD_MAIL:
		cmd_mail(s, cmd);
		break;
	case LMTP_CMD_RCPT:
		cmd_rcpt(s, cmd);
		break;
	case LMTP_CMD_DATA:
		lmtp_cmd_data(s);
		break;
	case LMTP_CMD_RSET:
		lmtp_transaction_reset(s);
		lmtp_reply(s, "250 2.0.0 OK");
		break;
	case LMTP_CMD_NOOP:
		lmtp_reply(s, "250 2.0.0 OK");
		break;
	case LMTP_CMD_VRFY:
		lmtp_reply(s, "252 2.3.3 Try RCPT instead");
		break;
	case LMTP_CMD_QUIT:
		conn_printf(s->c, "221 2.0.0 %s Bye\r\n",
			    s->srv->env->hostname);
		s->state = LMTP_STATE_DONE;
		break;
	case LMTP_CMD_STARTTLS:
		cmd_starttls(s);
		break;
	default:
		lmtp_reply_error(s, "500 5.5.1 Unknown command");
		break;
	}
}
