#include "net/connect.h"
#include "net/conn-private.h"
#include "net/tls.h"

#include <stdio.h>
#include <sys/socket.h>

#include <event2/dns.h>

#include "lib/log.h"
#include "lib/xalloc.h"

static void
fail_later(void *arg)
{
	struct conn *c = arg;

	conn_die(c, CONN_ERROR, "cannot start connecting");
	conn_unref(&c);
}

struct conn *
connect_start(struct loop *l, const struct connect_settings *set,
	      conn_cb *cb, void *ctx)
{
	char peer[300];
	struct conn *c;
	unsigned int ms = set->timeout_ms > 0 ? set->timeout_ms :
		CONNECT_DEFAULT_TIMEOUT_MS;

	snprintf(peer, sizeof(peer), "%s:%u", set->host, set->port);
	c = conn_new_fd(l, -1, peer);
	conn_set_callback(c, cb, ctx);
	c->tls_host = xstrdup(set->host);
	if (set->tls != NULL)
		c->connect_tls = tls_ctx_ref(set->tls);
	slog_debug(c->sid, "connecting to %s", peer);
	conn_connect_timeout(c, ms);
	if (set->port == 0 || set->port > 65535 ||
	    bufferevent_socket_connect_hostname(conn_bev(c), loop_dns(l),
						AF_UNSPEC, set->host,
						(int)set->port) < 0) {
		conn_ref(c);
		loop_defer(l, fail_later, c);
	}
	return c;
}
