/* struct conn: TLS, implicit and in-session (STARTTLS). */
#include "net/conn-private.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>

#include "net/tls.h"
#include "lib/log.h"
#include "lib/xalloc.h"

static struct bufferevent *
filter_new(struct conn *c, SSL *ssl, bool server)
{
	struct bufferevent *f;

	f = bufferevent_openssl_filter_new(loop_base(c->loop), c->sock, ssl,
					   server ? BUFFEREVENT_SSL_ACCEPTING :
					   BUFFEREVENT_SSL_CONNECTING,
					   BEV_OPT_CLOSE_ON_FREE |
					   BEV_OPT_DEFER_CALLBACKS);
	/* On failure libevent may already have freed ssl and the socket
	 * bufferevent, so there is nothing left to recover: it only fails
	 * on out-of-memory or a broken SSL_CTX, both our own faults. */
	if (f == NULL)
		fatal("bufferevent_openssl_filter_new failed");
	/* A peer that closes TCP without close_notify ends the stream
	 * normally (CONN_CLOSED): the mail protocols above detect a cut
	 * reply themselves. Explicit, because libevent's default differs
	 * between versions. */
	bufferevent_openssl_set_allow_dirty_shutdown(f, 1);
	return f;
}

int
conn_tls_start(struct conn *c, struct tls_ctx *t, const char *host)
{
	bool server = tls_ctx_is_server(t);
	char *host_copy;
	SSL *ssl;

	if (c->ssl != NULL || c->phase != CONN_PHASE_OPEN) {
		slog_error(c->sid, "TLS start refused: %s", c->ssl != NULL ?
			   "TLS already active" : "connection closing");
		return -1;
	}
	ssl = tls_ssl_new(t, host, c->sid);
	if (ssl == NULL)
		return -1;
	/* Anything that arrived in clear after the command that started
	 * TLS must never be read as if it came through TLS
	 * (CVE-2011-0411). */
	conn_discard_input(c, "received in clear before the TLS handshake");
	c->discarding = false;
	c->ssl = ssl;
	c->tls = tls_ctx_ref(t);
	host_copy = host != NULL ? xstrdup(host) : NULL;
	free(c->tls_host);	/* host may point into it */
	c->tls_host = host_copy;
	c->handshaking = true;
	/* The filter stops moving data into the socket buffers at these
	 * marks, so back-pressure still counts encrypted bytes. */
	bufferevent_setwatermark(c->sock, EV_READ, 0, CONN_TLS_SOCK_BUF);
	bufferevent_setwatermark(c->sock, EV_WRITE, CONN_TLS_SOCK_BUF / 2,
				 CONN_TLS_SOCK_BUF);
	conn_install_bev(c, filter_new(c, ssl, server));
	slog_debug(c->sid, "TLS handshake started (%s)",
		   server ? "server" : "client");
	return 0;
}

int
conn_starttls_server(struct conn *c, struct tls_ctx *ctx)
{
	if (!tls_ctx_is_server(ctx)) {
		slog_error(c->sid, "STARTTLS: not a server TLS context");
		return -1;
	}
	return conn_tls_start(c, ctx, NULL);
}

int
conn_starttls_client(struct conn *c, struct tls_ctx *ctx, const char *host)
{
	if (tls_ctx_is_server(ctx)) {
		slog_error(c->sid, "STARTTLS: not a client TLS context");
		return -1;
	}
	return conn_tls_start(c, ctx, host);
}

bool
conn_is_tls(const struct conn *c)
{
	return c->ssl != NULL;
}
