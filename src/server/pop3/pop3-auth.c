/* POP3 AUTHORIZATION state: CAPA, STLS, USER/PASS, APOP, AUTH PLAIN. */

#include <string.h>

#include <sodium.h>

#include "lib/b64.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "server/common/auth.h"
#include "server/pop3/pop3-private.h"

#define PLAINTEXT_REFUSED \
	"[AUTH] Plaintext authentication disallowed on non-secure connections"

static bool
plaintext_ok(struct pop3_session *s)
{
	return server_plaintext_ok(s->srv->env, s->c);
}

void
pop3_cmd_capa(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	struct conn *c = s->c;

	(void)cmd;
	pop3_session_ok(s, "Capability list follows");
	conn_write_line(c, "TOP");
	conn_write_line(c, "UIDL");
	conn_write_line(c, "RESP-CODES");
	conn_write_line(c, "AUTH-RESP-CODE");
	conn_write_line(c, "PIPELINING");
	if (s->state == POP3_STATE_AUTH && plaintext_ok(s)) {
		conn_write_line(c, "USER");
		conn_write_line(c, "SASL PLAIN");
	}
	if (s->state == POP3_STATE_AUTH && s->srv->env->tls != NULL &&
	    !conn_is_tls(c))
		conn_write_line(c, "STLS");
	conn_write_line(c, "IMPLEMENTATION conflux");
	conn_write_line(c, ".");
}

void
pop3_cmd_stls(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	(void)cmd;
	if (s->srv->env->tls == NULL) {
		pop3_session_error(s, "STLS not available");
		return;
	}
	if (conn_is_tls(s->c)) {
		pop3_session_error(s, "Already using TLS");
		return;
	}
	pop3_session_ok(s, "Begin TLS negotiation now");
	/* RFC 2595: what the client said before TLS is forgotten. */
	free(s->user);
	s->user = NULL;
	if (conn_starttls_server(s->c, s->srv->env->tls) < 0) {
		slog_error(conn_session_id(s->c),
			  "pop3: cannot start TLS");
		s->state = POP3_STATE_DONE;
	}
}

void
pop3_cmd_user(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	if (!plaintext_ok(s)) {
		pop3_session_error(s, PLAINTEXT_REFUSED);
		return;
	}
	free(s->user);
	s->user = xstrdup(cmd->arg);
	pop3_session_ok(s, "Send your password");
}

static void
login_done(enum auth_result r, void *ctx)
{
	struct pop3_session *s = ctx;

	s->auth_req = NULL;
	if (r == AUTH_OK) {
		if (!pop3_server_lock(s->srv, s->user)) {
			pop3_session_error(s, "[IN-USE] Mailbox is locked "
					   "by another POP3 session");
		} else if (pop3_mailbox_open(s) == 0) {
			s->locked = true;
			s->state = POP3_STATE_TRANS;
			server_log_login("pop3", s->c, s->user,
					 s->auth_method);
			pop3_session_ok(s, "Logged in, %u messages",
					(unsigned int)s->nmsgs);
		}
	} else if (r == AUTH_TEMPFAIL) {
		pop3_session_error(s, "[SYS/TEMP] Temporary authentication "
				   "failure, try again later");
	} else {
		pop3_session_error(s, "[AUTH] Authentication failed");
	}
	if (s->state == POP3_STATE_AUTH) {
		free(s->user);
		s->user = NULL;
	}
	pop3_session_resume(s);
}

static void
verify(struct pop3_session *s, const char *user, const char *password,
       const char *method)
{
	char ip[64], *copy = xstrdup(user);

	/* user may be s->user itself (PASS after USER). */
	free(s->user);
	s->user = copy;
	s->auth_method = method;
	pop3_session_pause(s);
	s->auth_req = auth_verify(s->srv->env->auth,
				  server_peer_ip(s->c, ip, sizeof(ip)),
				  s->user, password, login_done, s);
}

void
pop3_cmd_pass(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	if (!plaintext_ok(s)) {
		pop3_session_error(s, PLAINTEXT_REFUSED);
		return;
	}
	if (s->user == NULL) {
		pop3_session_error(s, "No USER given");
		return;
	}
	verify(s, s->user, cmd->arg, "USER");
}

void
pop3_cmd_apop(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	char digest[33], ip[64];

	for (size_t i = 0; i < 32; i++) {
		char ch = cmd->arg2[i];

		digest[i] = ch >= 'A' && ch <= 'F' ? (char)(ch - 'A' + 'a') :
			ch;
	}
	digest[32] = '\0';
	free(s->user);
	s->user = xstrdup(cmd->arg);
	s->auth_method = "APOP";
	pop3_session_pause(s);
	s->auth_req = auth_verify_apop(s->srv->env->auth,
				       server_peer_ip(s->c, ip, sizeof(ip)),
				       cmd->arg, s->timestamp, digest,
				       login_done, s);
}

/* RFC 4616: [authzid] NUL authcid NUL passwd. An authzid other than the
 * authcid would be a proxy login, which we do not offer. */
static void
sasl_plain(struct pop3_session *s, const char *b64, size_t len)
{
	struct buf raw;
	const char *authz, *user, *pass, *end;

	buf_init(&raw, POP3_CMD_LINE_MAX);
	if (b64_decode(b64, len, &raw) < 0 || raw.len == 0) {
		pop3_session_error(s, "[AUTH] Invalid base64 data");
		goto out;
	}
	authz = raw.data;
	end = raw.data + raw.len;
	user = memchr(authz, '\0', raw.len);
	pass = user != NULL ? memchr(user + 1, '\0',
				     (size_t)(end - user - 1)) : NULL;
	if (user == NULL || pass == NULL || ++user == pass ||
	    memchr(pass + 1, '\0', (size_t)(end - pass - 1)) != NULL) {
		pop3_session_error(s, "[AUTH] Invalid PLAIN response");
		goto out;
	}
	pass++;
	if (*authz != '\0' && strcmp(authz, user) != 0) {
		pop3_session_error(s, "[AUTH] Authorization identity "
				   "not allowed");
		goto out;
	}
	verify(s, user, pass, "PLAIN");
out:
	if (raw.data != NULL)
		sodium_memzero(raw.data, raw.cap);
	buf_free(&raw);
}

void
pop3_cmd_auth(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	if (cmd->arg == NULL) {
		pop3_session_ok(s, "Mechanisms follow");
		if (plaintext_ok(s))
			conn_write_line(s->c, "PLAIN");
		conn_write_line(s->c, ".");
		return;
	}
	if (strcasecmp(cmd->arg, "PLAIN") != 0) {
		pop3_session_error(s, "Unsupported authentication mechanism");
		return;
	}
	if (!plaintext_ok(s)) {
		pop3_session_error(s, PLAINTEXT_REFUSED);
		return;
	}
	if (cmd->arg2 == NULL) {
		s->sasl_wait = true;
		conn_write_line(s->c, "+ ");
		return;
	}
	/* RFC 5034: "=" is an empty initial response. */
	if (strcmp(cmd->arg2, "=") == 0)
		sasl_plain(s, "", 0);
	else
		sasl_plain(s, cmd->arg2, strlen(cmd->arg2));
}

void
pop3_auth_continue(struct pop3_session *s, const char *line, size_t len)
{
	s->sasl_wait = false;
	if (len == 1 && line[0] == '*') {
		pop3_session_error(s, "[AUTH] Authentication cancelled");
		return;
	}
	sasl_plain(s, line, len);
}

void
pop3_auth_cancel(struct pop3_session *s)
{
	auth_cancel(&s->auth_req);
}
