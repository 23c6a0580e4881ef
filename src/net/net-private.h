#ifndef CONFLUX_NET_PRIVATE_H
#define CONFLUX_NET_PRIVATE_H

/* Internal to src/net: libevent and OpenSSL handles behind the public
 * opaque types. Never include this outside src/net. */

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <openssl/ssl.h>

#include "net/loop.h"

struct conn;
struct tls_ctx;

struct event_base *
loop_base(struct loop *l);
struct evdns_base *
loop_dns(struct loop *l);
/* The head of the loop's list of conns (conn.c keeps it). */
struct conn **
loop_conns(struct loop *l);
/* conn.c: at loop_free, conns still closing (waiting for a peer's EOF or
 * a flush) are released at once instead of leaking. */
void
conn_drop_closing(struct loop *l);

/* tls.c */
struct tls_ctx *
tls_ctx_ref(struct tls_ctx *t);
bool
tls_ctx_is_server(const struct tls_ctx *t);
/* A new SSL for one connection. For a client ctx, host (the name we
 * connect to) is set for SNI and for host-name verification. NULL on
 * failure (logged with session, error queue cleared). */
SSL *
tls_ssl_new(struct tls_ctx *t, const char *host, const char *session);
/* After a failed handshake: a clear message for the peer's certificate
 * problem, or NULL when verification was not the cause. The string lives
 * in a static buffer until the next call. */
const char *
tls_verify_error(SSL *ssl, const char *host);
/* Logs every queued OpenSSL error with `what`, then clears the queue.
 * Returns the first error's reason string ("" when none), in a static
 * buffer valid until the next call. */
const char *
tls_log_errors(const char *session, const char *what);

/* conn.c: a conn over a fresh socket bufferevent. fd < 0 for an outbound
 * conn that connect.c will start. The conn takes ownership of fd. */
struct conn *
conn_new_fd(struct loop *l, int fd, const char *peer);
struct bufferevent *
conn_bev(struct conn *c);
/* Called by conn.c once when the conn's socket is released; used by the
 * listener to keep its counts. */
typedef void conn_release_cb(struct conn *c, void *ctx);
void
conn_set_release_hook(struct conn *c, conn_release_cb *cb, void *ctx);
/* connect.c -> conn.c: connection established / failed. */
void
conn_connected(struct conn *c);
void
conn_fail(struct conn *c, const char *error);
/* conn-tls.c */
int
conn_tls_start(struct conn *c, struct tls_ctx *t, const char *host);

#endif
