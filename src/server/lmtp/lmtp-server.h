#ifndef CONFLUX_LMTP_SERVER_H
#define CONFLUX_LMTP_SERVER_H

/* The LMTP server (RFC 2033 with PIPELINING, 8BITMIME, SIZE,
 * ENHANCEDSTATUSCODES, STARTTLS) delivering into the store's INBOX of
 * local users. Deliveries that finish while a commit runs join the next
 * one (group commit); a recipient is answered 250 only once its message
 * is durable. The calls follow the contract in server/common/server.h. */

struct conn;
struct server_env;
struct server_settings;
struct lmtp_server;

/* env and set must outlive the server (set is copied). */
struct lmtp_server *lmtp_server_new(const struct server_env *env,
				    const struct server_settings *set);
/* A listener_accept_cb; ctx is the lmtp_server. Takes over the caller's
 * reference to c. */
void lmtp_server_accept(struct conn *c, const char *peer, void *ctx);
/* Answers "421 4.3.2 Server shutting down" to every session and closes
 * it; a delivery waiting for its commit is answered first. Refuses new
 * conns from then on. */
void lmtp_server_shutdown(struct lmtp_server *s);
/* Closes what is left. NULL is a no-op; *s is set to NULL. */
void lmtp_server_free(struct lmtp_server **s);
unsigned int lmtp_server_sessions(const struct lmtp_server *s);

#endif
