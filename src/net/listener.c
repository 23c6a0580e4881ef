#include "net/listener.h"
#include "net/conn.h"
#include "net/tls.h"
#include "net/net-private.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/listener.h>

#include "lib/log.h"
#include "lib/xalloc.h"

#define LISTENER_MAX_SOCKS 8
#define LISTENER_BACKLOG 128
/* After EMFILE and friends, stop accepting this long instead of spinning. */
#define LISTENER_PAUSE_MS 1000

/* One accepted conn, as the listener counts it. Detached (lst = NULL) when
 * the listener goes first. */
struct lconn {
	struct listener *lst;
	struct lconn *prev, *next;
	char ip[INET6_ADDRSTRLEN];
};

struct listener {
	struct loop *loop;
	struct evconnlistener *socks[LISTENER_MAX_SOCKS];
	size_t nsocks;
	struct listener_settings set;	/* strings copied */
	listener_accept_cb *cb;
	void *ctx;
	struct lconn *conns;
	unsigned int nconns;
	struct timer *pause_timer;
};

static char listener_errbuf[512];

static const char *
set_error(const char *what, const char *addr, const char *why)
{
	snprintf(listener_errbuf, sizeof(listener_errbuf), "%s %s: %s", what,
		 addr, why);
	return listener_errbuf;
}

/* ---- addresses ---- */

/* "host:port" / "[v6]:port" -> host (NULL = any) and port, in buf. */
static int
split_address(const char *addr, char *buf, size_t len, const char **host_r,
	      const char **port_r)
{
	char *colon;

	if (snprintf(buf, len, "%s", addr) >= (int)len)
		return -1;
	if (buf[0] == '[') {
		char *end = strchr(buf, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		*end = '\0';
		*host_r = buf + 1;
		*port_r = end + 2;
		return **port_r != '\0' ? 0 : -1;
	}
	colon = strrchr(buf, ':');
	if (colon == NULL || colon[1] == '\0' || strchr(buf, ':') != colon)
		return -1;
	*colon = '\0';
	*host_r = buf[0] == '\0' || strcmp(buf, "*") == 0 ? NULL : buf;
	*port_r = colon + 1;
	return 0;
}

static void
sockaddr_ip(const struct sockaddr *sa, char ip[INET6_ADDRSTRLEN], int *port_r)
{
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, INET6_ADDRSTRLEN);
		*port_r = ntohs(s6->sin6_port);
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, INET6_ADDRSTRLEN);
		*port_r = ntohs(s4->sin_port);
	} else {
		snprintf(ip, INET6_ADDRSTRLEN, "local");
		*port_r = 0;
	}
}

static void
format_peer(const char *ip, int port, bool v6, char *out, size_t len)
{
	snprintf(out, len, v6 ? "[%s]:%d" : "%s:%d", ip, port);
}

/* ---- counting ---- */

static unsigned int
count_ip(const struct listener *lst, const char *ip)
{
	unsigned int n = 0;

	for (const struct lconn *lc = lst->conns; lc != NULL; lc = lc->next)
		if (strcmp(lc->ip, ip) == 0)
			n++;
	return n;
}

static void
lconn_released(struct conn *c, void *ctx)
{
	struct lconn *lc = ctx;
	struct listener *lst = lc->lst;

	if (lst != NULL) {
		if (lc->prev != NULL)
			lc->prev->next = lc->next;
		else
			lst->conns = lc->next;
		if (lc->next != NULL)
			lc->next->prev = lc->prev;
		lst->nconns--;
	}
	free(lc);
}

static void
track(struct listener *lst, struct conn *c, const char *ip)
{
	struct lconn *lc = xcalloc(1, sizeof(*lc));

	lc->lst = lst;
	snprintf(lc->ip, sizeof(lc->ip), "%s", ip);
	lc->next = lst->conns;
	if (lst->conns != NULL)
		lst->conns->prev = lc;
	lst->conns = lc;
	lst->nconns++;
	conn_set_release_hook(c, lconn_released, lc);
}

/* ---- accepting ---- */

static bool
over_limit(const struct listener *lst, const char *ip, const char *peer)
{
	if (lst->set.max_conns > 0 && lst->nconns >= lst->set.max_conns) {
		log_warn("refused %s: %u connections (max_conns)", peer,
			 lst->nconns);
		return true;
	}
	if (lst->set.max_per_ip > 0 &&
	    count_ip(lst, ip) >= lst->set.max_per_ip) {
		log_warn("refused %s: %u connections from %s (max_per_ip)",
			 peer, lst->set.max_per_ip, ip);
		return true;
	}
	return false;
}

static void
refuse(const struct listener *lst, evutil_socket_t fd)
{
	const char *line = lst->set.reject_line;

	if (line != NULL && lst->set.tls == NULL)
		(void)send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
	evutil_closesocket(fd);
}

static void
accepted(struct evconnlistener *el, evutil_socket_t fd,
	 struct sockaddr *sa, int salen, void *arg)
{
	struct listener *lst = arg;
	char ip[INET6_ADDRSTRLEN], peer[INET6_ADDRSTRLEN + 16];
	struct conn *c;
	int port;

	sockaddr_ip(sa, ip, &port);
	format_peer(ip, port, sa->sa_family == AF_INET6, peer, sizeof(peer));
	if (over_limit(lst, ip, peer)) {
		refuse(lst, fd);
		return;
	}
	c = conn_new_fd(lst->loop, fd, peer);
	track(lst, c, ip);
	slog_info(conn_session_id(c), "connection from %s", peer);
	if (lst->set.tls != NULL &&
	    conn_tls_start(c, lst->set.tls, NULL) < 0) {
		conn_unref(&c);
		return;
	}
	lst->cb(c, peer, lst->ctx);
}

static void
set_enabled(struct listener *lst, bool on)
{
	for (size_t i = 0; i < lst->nsocks; i++) {
		if (on)
			evconnlistener_enable(lst->socks[i]);
		else
			evconnlistener_disable(lst->socks[i]);
	}
}

static void
pause_over(void *arg)
{
	set_enabled(arg, true);
}

static void
accept_error(struct evconnlistener *el, void *arg)
{
	struct listener *lst = arg;
	int err = EVUTIL_SOCKET_ERROR();

	log_error("accept on %s: %s", lst->set.address, strerror(err));
	set_enabled(lst, false);
	timer_start(lst->pause_timer, LISTENER_PAUSE_MS, false);
}

/* ---- binding ---- */

static int
bind_one(struct listener *lst, const struct addrinfo *ai)
{
	int one = 1;
	evutil_socket_t fd;
	struct evconnlistener *el;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				 sizeof(one));
	if (evutil_make_socket_nonblocking(fd) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	el = evconnlistener_new(loop_base(lst->loop), accepted, lst,
				LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
				LISTENER_BACKLOG, fd);
	if (el == NULL) {
		close(fd);
		return -1;
	}
	evconnlistener_set_error_cb(el, accept_error);
	lst->socks[lst->nsocks++] = el;
	return 0;
}

static int
bind_all(struct listener *lst, const char **error_r)
{
	struct addrinfo hints, *res = NULL;
	const char *host, *port, *why = "no address";
	char buf[512];
	int r;

	if (split_address(lst->set.address, buf, sizeof(buf), &host,
			  &port) < 0) {
		*error_r = set_error("malformed address", lst->set.address,
				     "expected host:port or [v6]:port");
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		*error_r = set_error("cannot resolve", lst->set.address,
				     gai_strerror(r));
		return -1;
	}
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		if (lst->nsocks == LISTENER_MAX_SOCKS)
			break;
		if (bind_one(lst, ai) < 0) {
			why = strerror(errno);
			log_warn("cannot listen on %s: %s", lst->set.address,
				 why);
		}
	}
	freeaddrinfo(res);
	if (lst->nsocks == 0) {
		*error_r = set_error("cannot listen on", lst->set.address, why);
		return -1;
	}
	return 0;
}

int
listener_new(struct loop *l, const struct listener_settings *set,
	     listener_accept_cb *cb, void *ctx, struct listener **lst_r,
	     const char **error_r)
{
	struct listener *lst = xcalloc(1, sizeof(*lst));

	*lst_r = NULL;
	lst->loop = l;
	lst->set = *set;
	lst->set.address = xstrdup(set->address);
	lst->set.reject_line = set->reject_line != NULL ?
		xstrdup(set->reject_line) : NULL;
	lst->set.tls = set->tls != NULL ? tls_ctx_ref(set->tls) : NULL;
	lst->cb = cb;
	lst->ctx = ctx;
	lst->pause_timer = timer_new(l, pause_over, lst);
	if (bind_all(lst, error_r) < 0) {
		listener_free(&lst);
		return -1;
	}
	log_info("listening on %s%s", set->address,
		 set->tls != NULL ? " (TLS)" : "");
	*lst_r = lst;
	return 0;
}

void
listener_free(struct listener **lstp)
{
	struct listener *lst = *lstp;

	if (lst == NULL)
		return;
	*lstp = NULL;
	for (size_t i = 0; i < lst->nsocks; i++)
		evconnlistener_free(lst->socks[i]);
	for (struct lconn *lc = lst->conns; lc != NULL; lc = lc->next)
		lc->lst = NULL;
	timer_free(&lst->pause_timer);
	tls_ctx_free(&lst->set.tls);
	free((char *)lst->set.address);
	free((char *)lst->set.reject_line);
	free(lst);
}

int
listener_port(const struct listener *lst)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];
	int port;

	if (lst->nsocks == 0 ||
	    getsockname(evconnlistener_get_fd(lst->socks[0]),
			(struct sockaddr *)&ss, &len) < 0)
		return -1;
	sockaddr_ip((struct sockaddr *)&ss, ip, &port);
	return port;
}

unsigned int
listener_conn_count(const struct listener *lst)
{
	return lst->nconns;
}
