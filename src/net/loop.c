#include "net/net-private.h"

#include <signal.h>
#include <string.h>

#include <event2/dns.h>

#include "lib/log.h"
#include "lib/xalloc.h"

struct loop {
	struct event_base *base;
	struct evdns_base *dns;
	struct event *sig_term;
	struct event *sig_int;
	loop_signal_cb *sig_cb;
	void *sig_ctx;
	struct conn *conns;
};

struct timer {
	struct event *ev;
	timer_cb *cb;
	void *ctx;
	unsigned int msecs;
	bool periodic;
};

struct defer {
	loop_defer_cb *cb;
	void *ctx;
};

static struct evdns_base *
dns_new(struct event_base *base)
{
	struct evdns_base *dns;

	dns = evdns_base_new(base, 0);
	if (dns == NULL)
		fatal("evdns_base_new failed");
	if (evdns_base_resolv_conf_parse(dns, DNS_OPTIONS_ALL,
					 "/etc/resolv.conf") != 0) {
		log_warn("dns: cannot use /etc/resolv.conf, using 127.0.0.1");
		evdns_base_nameserver_ip_add(dns, "127.0.0.1");
	}
	return dns;
}

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	/* A peer closing first must give EPIPE, never kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	l->base = event_base_new();
	if (l->base == NULL)
		fatal("event_base_new failed");
	l->dns = dns_new(l->base);
	return l;
}

void
loop_free(struct loop **lp)
{
	struct loop *l = *lp;

	if (l == NULL)
		return;
	*lp = NULL;
	conn_drop_closing(l);
	if (l->sig_term != NULL)
		event_free(l->sig_term);
	if (l->sig_int != NULL)
		event_free(l->sig_int);
	/* fail_requests=0: no callbacks into code that is shutting down. */
	evdns_base_free(l->dns, 0);
	event_base_free(l->base);
	free(l);
}

int
loop_run(struct loop *l)
{
	return event_base_dispatch(l->base) < 0 ? -1 : 0;
}

void
loop_break(struct loop *l)
{
	event_base_loopbreak(l->base);
}

struct event_base *
loop_base(struct loop *l)
{
	return l->base;
}

struct conn **
loop_conns(struct loop *l)
{
	return &l->conns;
}

struct evdns_base *
loop_dns(struct loop *l)
{
	return l->dns;
}

/* ---- signals ---- */

static void
signal_fired(evutil_socket_t signo, short what, void *arg)
{
	struct loop *l = arg;

	if (l->sig_cb != NULL)
		l->sig_cb((int)signo, l->sig_ctx);
}

static struct event *
signal_add(struct loop *l, int signo)
{
	struct event *ev = evsignal_new(l->base, signo, signal_fired, l);

	if (ev == NULL || event_add(ev, NULL) != 0) {
		log_error("loop: cannot watch signal %d", signo);
		if (ev != NULL)
			event_free(ev);
		return NULL;
	}
	return ev;
}

int
loop_on_signals(struct loop *l, loop_signal_cb *cb, void *ctx)
{
	l->sig_cb = cb;
	l->sig_ctx = ctx;
	if (l->sig_term == NULL)
		l->sig_term = signal_add(l, SIGTERM);
	if (l->sig_int == NULL)
		l->sig_int = signal_add(l, SIGINT);
	return l->sig_term != NULL && l->sig_int != NULL ? 0 : -1;
}

/* ---- defer ---- */

static void
defer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct defer d = *(struct defer *)arg;

	free(arg);
	d.cb(d.ctx);
}

void
loop_defer(struct loop *l, loop_defer_cb *cb, void *ctx)
{
	static const struct timeval now = { 0, 0 };
	struct defer *d = xmalloc(sizeof(*d));

	d->cb = cb;
	d->ctx = ctx;
	if (event_base_once(l->base, -1, EV_TIMEOUT, defer_fired, d,
			    &now) != 0)
		fatal("event_base_once failed");
}

/* ---- timers ---- */

static void
msecs_to_tv(unsigned int msecs, struct timeval *tv_r)
{
	tv_r->tv_sec = msecs / 1000;
	tv_r->tv_usec = (msecs % 1000) * 1000;
}

static void
timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct timer *t = arg;

	if (t->periodic)
		timer_start(t, t->msecs, true);
	t->cb(t->ctx);
}

struct timer *
timer_new(struct loop *l, timer_cb *cb, void *ctx)
{
	struct timer *t = xcalloc(1, sizeof(*t));

	t->ev = evtimer_new(l->base, timer_fired, t);
	if (t->ev == NULL)
		fatal("evtimer_new failed");
	t->cb = cb;
	t->ctx = ctx;
	return t;
}

void
timer_start(struct timer *t, unsigned int msecs, bool periodic)
{
	struct timeval tv;

	t->msecs = msecs;
	t->periodic = periodic;
	msecs_to_tv(msecs, &tv);
	if (evtimer_add(t->ev, &tv) != 0)
		fatal("evtimer_add failed");
}

void
timer_stop(struct timer *t)
{
	t->periodic = false;
	evtimer_del(t->ev);
}

bool
timer_pending(const struct timer *t)
{
	return evtimer_pending(t->ev, NULL) != 0;
}

void
timer_free(struct timer **tp)
{
	struct timer *t = *tp;

	if (t == NULL)
		return;
	*tp = NULL;
	event_free(t->ev);
	free(t);
}

/* ---- readable file descriptors ---- */

struct fd_watch {
	struct event *ev;
	fd_watch_cb *cb;
	void *ctx;
};

static void
fd_readable(evutil_socket_t fd, short what, void *arg)
{
	struct fd_watch *w = arg;

	w->cb(w->ctx);
}

struct fd_watch *
loop_watch_readable(struct loop *l, int fd, fd_watch_cb *cb, void *ctx)
{
	struct fd_watch *w = xcalloc(1, sizeof(*w));

	w->cb = cb;
	w->ctx = ctx;
	w->ev = event_new(l->base, fd, EV_READ | EV_PERSIST, fd_readable, w);
	if (w->ev == NULL || event_add(w->ev, NULL) < 0)
		fatal("loop: cannot watch fd %d", fd);
	return w;
}

void
fd_watch_free(struct fd_watch **wp)
{
	struct fd_watch *w = *wp;

	if (w == NULL)
		return;
	*wp = NULL;
	event_free(w->ev);
	free(w);
}
