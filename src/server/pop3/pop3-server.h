#ifndef CONFLUX_POP3_SERVER_H
#define CONFLUX_POP3_SERVER_H

/* The POP3 server (RFC 1939, 2449 CAPA, 5034 SASL, 2595 STLS) over the
 * store's INBOX. One struct pop3_server per daemon; it owns its sessions.
 * The calls follow the contract in server/common/server.h. */

struct conn;
struct server_env;
struct server_settings;
struct pop3_server;

/* env and set must outlive the server (set is copied). */
struct pop3_server *pop3_server_new(const struct server_env *env,
				    const struct server_settings *set);
/* A listener_accept_cb; ctx is the pop3_server. Takes over the caller's
 * reference to c. Implicit-TLS (POP3S) conns arrive mid-handshake. */
void pop3_server_accept(struct conn *c, const char *peer, void *ctx);
/* Answers "-ERR [SYS/TEMP] Server shutting down" to every session and
 * closes it (DELE marks are dropped, as without QUIT); refuses new conns. */
void pop3_server_shutdown(struct pop3_server *s);
/* Closes what is left. NULL is a no-op; *s is set to NULL. */
void pop3_server_free(struct pop3_server **s);
unsigned int pop3_server_sessions(const struct pop3_server *s);

#endif
