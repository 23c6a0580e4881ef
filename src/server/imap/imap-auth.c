/* Commands of any state and of the not-authenticated state: CAPABILITY,
 * NOOP, LOGOUT, ID, STARTTLS, LOGIN, AUTHENTICATE; and the session
 * commands ENABLE and NAMESPACE. */

#include <stdlib.h>
#include <string.h>

#include "lib/b64.h"
#include "lib/log.h"
#include "lib/strx.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "proto/imap/imap-args.h"
#include "server/common/auth.h"
#include "server/imap/imap-session.h"
#include "store/store.h"

bool
imap_handle_capability(struct imap_session *s)
{
	imap_printf(s, "* CAPABILITY %s", imap_capabilities(s));
	imap_tagged(s, "OK", "Capability completed.");
	return true;
}

bool
imap_handle_noop(struct imap_session *s)
{
	imap_tagged(s, "OK", "NOOP completed.");
	return true;
}

bool
imap_handle_logout(struct imap_session *s)
{
	imap_session_bye(s, "Logging out", "LOGOUT");
	imap_tagged(s, "OK", "Logout completed.");
	return true;
}

bool
imap_handle_id(struct imap_session *s)
{
	const char *const *fields, *const *values;
	const char *error;
	size_t n;

	if (imap_id_parse(&s->cmd, &fields, &values, &n, &error) < 0) {
		imap_bad(s, error);
		return true;
	}
	imap_printf(s, "* ID (\"name\" \"conflux\")");
	imap_tagged(s, "OK", "ID completed.");
	return true;
}

bool
imap_handle_starttls(struct imap_session *s)
{
	if (s->server->env.tls == NULL) {
		imap_bad(s, "TLS support isn't enabled.");
		return true;
	}
	if (conn_is_tls(s->conn)) {
		imap_bad(s, "TLS is already active.");
		return true;
	}
	imap_tagged(s, "OK", "Begin TLS negotiation now.");
	if (conn_starttls_server(s->conn, s->server->env.tls) < 0)
		imap_session_bye(s, "TLS failed.", "starttls failed");
	return true;
}

/* ---- password checks ---- */

struct login_ctx {
	char *user;
	const char *method;
};

static void
ensure_store(struct imap_session *s)
{
	struct store_folder f;

	if (store_folder_find(imap_store(s), s->user, "INBOX", &f) ==
	    STORE_OK) {
		store_folder_clear(&f);
		return;
	}
	if (store_user_create(imap_store(s), s->user) != STORE_OK)
		slog_warn(conn_session_id(s->conn), "imap: store for %s: %s",
			  s->user, store_error(imap_store(s)));
}

static void
login_done(enum auth_result r, void *ctx)
{
	struct imap_session *s = ctx;
	struct login_ctx *lc = s->cmd_ctx;

	s->auth_req = NULL;
	if (r == AUTH_OK) {
		s->user = lc->user;
		lc->user = NULL;
		s->state = IMAP_STATE_AUTH;
		s->cmd.limits = NULL;
		conn_set_timeouts(s->conn, s->server->set.idle_timeout_ms, 0);
		ensure_store(s);
		server_log_login("imap", s->conn, s->user, lc->method);
		imap_tagged(s, "OK", "[CAPABILITY %s] Logged in",
			    imap_capabilities(s));
	} else if (r == AUTH_TEMPFAIL) {
		imap_tagged(s, "NO", "[UNAVAILABLE] Temporary authentication "
			    "failure.");
	} else {
		imap_tagged(s, "NO", "[AUTHENTICATIONFAILED] Authentication "
			    "failed.");
	}
	free(lc->user);
	free(lc);
	imap_cmd_done(s);
	if (s->closing)
		imap_session_free(&s);
}

static void
login_abort(struct imap_session *s)
{
	struct login_ctx *lc = s->cmd_ctx;

	if (lc != NULL) {
		free(lc->user);
		free(lc);
	}
	s->cmd_ctx = NULL;
}

static bool
start_verify(struct imap_session *s, const char *user, const char *pass,
	     const char *method)
{
	struct login_ctx *lc;
	char ip[64];

	if (s->server->env.auth == NULL) {
		imap_tagged(s, "NO", "[UNAVAILABLE] Authentication is not "
			    "available.");
		return true;
	}
	lc = xcalloc(1, sizeof(*lc));
	lc->user = xstrdup(user);
	lc->method = method;
	s->cmd_ctx = lc;
	s->on_abort = login_abort;
	s->auth_req = auth_verify(s->server->env.auth,
				  server_peer_ip(s->conn, ip, sizeof(ip)),
				  user, pass, login_done, s);
	conn_read_pause(s->conn);
	return false;
}

static bool
plaintext_refused(struct imap_session *s)
{
	if (server_plaintext_ok(&s->server->env, s->conn))
		return false;
	imap_tagged(s, "NO", "[PRIVACYREQUIRED] Plaintext authentication "
		    "disallowed on non-secure (SSL/TLS) connections.");
	return true;
}

bool
imap_handle_login(struct imap_session *s)
{
	const char *user, *pass, *error;
	bool r;

	if (plaintext_refused(s))
		return true;
	if (imap_login_parse(&s->cmd, &user, &pass, &error) < 0) {
		imap_bad(s, error);
		return true;
	}
	r = start_verify(s, user, pass, "LOGIN");
	memset((char *)pass, 0, strlen(pass));
	return r;
}

/* ---- AUTHENTICATE PLAIN (RFC 4616) ---- */

static bool
plain_response(struct imap_session *s, const char *b64, size_t len)
{
	struct buf dec;
	const char *authz, *authc, *pass, *end;
	bool r = true;

	buf_init(&dec, 4096);
	if (len == 1 && b64[0] == '=')
		len = 0;
	if (b64_decode(b64, len, &dec) < 0) {
		imap_bad(s, "Invalid base64 data in initial response.");
		buf_free(&dec);
		return true;
	}
	authz = buf_cstr(&dec);		/* "" for an empty response */
	end = authz + dec.len;
	authc = memchr(authz, '\0', dec.len);
	pass = authc != NULL ? memchr(authc + 1, '\0', end - authc - 1) : NULL;
	if (pass == NULL || memchr(pass + 1, '\0', end - pass - 1) != NULL) {
		imap_tagged(s, "NO", "[AUTHENTICATIONFAILED] Authentication "
			    "failed.");
	} else if (authz[0] != '\0' && strcmp(authz, authc + 1) != 0) {
		imap_tagged(s, "NO", "[AUTHORIZATIONFAILED] Authorization "
			    "failed.");
	} else {
		r = start_verify(s, authc + 1, pass + 1, "PLAIN");
	}
	if (dec.data != NULL)
		memset(dec.data, 0, dec.len);
	buf_free(&dec);
	return r;
}

static void
auth_line(struct imap_session *s, const char *line, size_t len)
{
	s->on_line = NULL;
	if (len == 1 && line[0] == '*') {
		imap_bad(s, "Authentication aborted by client.");
		imap_cmd_done(s);
		return;
	}
	if (plain_response(s, line, len))
		imap_cmd_done(s);
}

bool
imap_handle_authenticate(struct imap_session *s)
{
	const char *mech, *ir, *error;

	if (imap_authenticate_parse(&s->cmd, &mech, &ir, &error) < 0) {
		imap_bad(s, error);
		return true;
	}
	if (strcmp(mech, "PLAIN") != 0) {
		imap_tagged(s, "NO", "Unsupported authentication mechanism.");
		return true;
	}
	if (plaintext_refused(s))
		return true;
	if (ir != NULL)
		return plain_response(s, ir, strlen(ir));
	imap_printf(s, "+ ");
	s->on_line = auth_line;
	return false;
}

/* ---- ENABLE, NAMESPACE ---- */

bool
imap_handle_enable(struct imap_session *s)
{
	const char *const *caps;
	const char *error;
	size_t n, i;
	struct buf out;

	if (imap_enable_parse(&s->cmd, &caps, &n, &error) < 0) {
		imap_bad(s, error);
		return true;
	}
	buf_init(&out, 256);
	buf_append_str(&out, "* ENABLED");
	for (i = 0; i < n; i++) {
		if (strcmp(caps[i], "CONDSTORE") == 0 && !s->condstore) {
			s->condstore = true;
			buf_append_str(&out, " CONDSTORE");
		} else if (strcmp(caps[i], "QRESYNC") == 0 && !s->qresync) {
			s->qresync = true;
			s->condstore = true;
			buf_append_str(&out, " QRESYNC");
		}
	}
	imap_printf(s, "%s", buf_cstr(&out));
	buf_free(&out);
	imap_tagged(s, "OK", "Enabled.");
	return true;
}

bool
imap_handle_namespace(struct imap_session *s)
{
	imap_printf(s, "* NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_tagged(s, "OK", "Namespace completed.");
	return true;
}
