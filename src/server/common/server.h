#ifndef CONFLUX_SERVER_H
#define CONFLUX_SERVER_H

/* What every protocol server of one daemon shares (docs/internals/server.md).
 * `conflux serve` fills one struct server_env and hands it to each protocol
 * server; the servers never free what it points to.
 *
 * Each protocol server (imap/, pop3/, lmtp/) offers the same four calls:
 *   struct X_server *X_server_new(const struct server_env *env,
 *                                 const struct server_settings *set);
 *   void X_server_accept(struct conn *c, const char *peer, void *ctx);
 *        -- a listener_accept_cb; ctx is the X_server. Implicit-TLS
 *           listeners hand over conns whose handshake is under way.
 *   void X_server_shutdown(struct X_server *s);
 *        -- says goodbye to every session ("* BYE", "-ERR", "421") and
 *           closes it; new conns are refused from then on.
 *   void X_server_free(struct X_server **s);
 *   unsigned int X_server_sessions(const struct X_server *s);
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct loop;
struct store;
struct registry;
struct tls_ctx;
struct auth;
struct notify;
struct commitq;

struct server_env {
	struct loop *loop;
	struct store *store;
	struct registry *reg;
	struct tls_ctx *tls;	/* STARTTLS/STLS; NULL: not offered */
	struct auth *auth;	/* password checks, failure delay */
	struct notify *notify;	/* "this folder changed" between sessions */
	struct commitq *commitq; /* group commit of APPENDs and deliveries */
	const char *hostname;	/* for greetings and LMTP replies */
	/* Plaintext passwords over an unencrypted connection are accepted
	 * from loopback peers only (as Dovecot treats localhost as secure),
	 * unless this is set ([server] plaintext_auth = always). */
	bool plaintext_auth_anywhere;
	uint64_t max_message_size;	/* APPEND / LMTP SIZE; 0: none */
};

struct server_settings {
	unsigned int idle_timeout_ms;	/* 30 min IMAP, 10 min POP3/LMTP */
};

/* True when a plaintext password may be accepted on c now: TLS is on, the
 * peer is a loopback address, or the config allows it everywhere. */
bool server_plaintext_ok(const struct server_env *env, const struct conn *c);
/* True when the peer of c is 127.0.0.0/8 or ::1. */
bool server_peer_is_loopback(const struct conn *c);
/* The address part of conn_peer(c) ("192.0.2.1", "2001:db8::1"), written
 * into buf; used as the key of the per-IP limits. */
const char *server_peer_ip(const struct conn *c, char *buf, size_t size);

/* One log line per login and per logout (the operator's audit trail):
 *   imap: login user=alice method=PLAIN tls=yes peer=127.0.0.1:50123
 *   imap: logout user=alice in=123 out=45678 reason="LOGOUT"
 * The session id comes from the conn. Never pass a password. */
void server_log_login(const char *proto, struct conn *c, const char *user,
		      const char *method);
void server_log_logout(const char *proto, struct conn *c, const char *user,
		       const char *reason);

#endif
