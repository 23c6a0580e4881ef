#ifndef CONFLUX_NET_LISTENER_H
#define CONFLUX_NET_LISTENER_H

/* Listening sockets. Bind at start-up, before privileges are dropped; the
 * sockets stay usable afterwards. Each accepted connection becomes a
 * struct conn handed to the accept callback. */

#include <stddef.h>

struct conn;
struct loop;
struct listener;
struct tls_ctx;

struct listener_settings {
	/* "host:port": "127.0.0.1:143", "[::1]:993", "mail.example:25",
	 * "*:143" or ":143" for every address. Port 0 picks a free one. A
	 * name is resolved now (blocking: this is start-up) and every
	 * address it has is bound. */
	const char *address;
	/* Limits; 0 = none. A client over a limit is closed at once. */
	unsigned int max_conns;
	unsigned int max_per_ip;
	/* Implicit TLS (IMAPS, POP3S, SMTPS): a server context; the
	 * listener keeps its own reference. NULL for plaintext. */
	struct tls_ctx *tls;
	/* Plaintext listeners: sent (best effort, never blocking) to a
	 * client refused by a limit before closing, e.g.
	 * "* BYE Too many connections\r\n". NULL: just close. */
	const char *reject_line;
};

/* Runs from the loop for every accepted connection. c carries one
 * reference, which now belongs to the callee (conn_unref() when done); it
 * has no event callback yet, so nothing is read until conn_set_callback().
 * With implicit TLS the handshake is under way and CONN_TLS_DONE follows.
 * peer is "192.0.2.1:50123" or "[2001:db8::1]:50123", valid during the
 * call (conn_peer(c) keeps it). */
typedef void listener_accept_cb(struct conn *c, const char *peer, void *ctx);

/* 0 on success, -1 with *error_r (a static buffer valid until the next
 * failing call) when the address is malformed or nothing could be bound. */
int
listener_new(struct loop *l, const struct listener_settings *set,
	     listener_accept_cb *cb, void *ctx, struct listener **lst_r,
	     const char **error_r);
/* Stops listening. Connections already accepted live on. NULL is a no-op;
 * *lst is set to NULL. */
void
listener_free(struct listener **lst);

/* The port of the first bound socket (for port 0), -1 if unknown. */
int
listener_port(const struct listener *lst);
/* Connections accepted and not yet released. */
unsigned int
listener_conn_count(const struct listener *lst);

#endif
