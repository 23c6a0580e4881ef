#ifndef CONFLUX_NET_CONNECT_H
#define CONFLUX_NET_CONNECT_H

/* Outbound connections: asynchronous DNS (evdns, /etc/hosts included),
 * TCP connect with a timeout, then optionally implicit TLS. */

#include "net/conn.h"

struct loop;
struct tls_ctx;

#define CONNECT_DEFAULT_TIMEOUT_MS 30000

struct connect_settings {
	const char *host;	/* name or IP literal */
	unsigned int port;
	/* DNS + TCP connect; 0 = CONNECT_DEFAULT_TIMEOUT_MS. Set idle and
	 * session timeouts with conn_set_timeouts() (they cover the TLS
	 * handshake). */
	unsigned int timeout_ms;
	/* Implicit TLS with this client context (verification as set in
	 * it, host name = host), or NULL for plaintext; for STARTTLS call
	 * conn_starttls_client() later. The conn keeps its own reference. */
	struct tls_ctx *tls;
};

/* Starts connecting and returns the conn (one reference, the caller's).
 * Events, always from the loop, never from inside this call:
 *   CONN_CONNECTED  TCP is up; writes are accepted from now on (with
 *                   implicit TLS they are held until the handshake ends);
 *   CONN_TLS_DONE   implicit TLS: handshake done and certificate verified;
 *   CONN_ERROR      DNS failure, refused, unreachable, "connect timeout",
 *                   or a TLS/verification failure ("certificate verify
 *                   failed: host name mismatch (expected X)", "pinned
 *                   fingerprint mismatch", ...).
 * Only the first address DNS returns is tried. */
struct conn *
connect_start(struct loop *l, const struct connect_settings *set,
	      conn_cb *cb, void *ctx);

#endif
