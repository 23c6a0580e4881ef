#ifndef CONFLUX_NET_LOOP_H
#define CONFLUX_NET_LOOP_H

/* The event loop: one per process (DESIGN "Process model").
 *
 * Wraps a libevent event_base and an evdns_base; nothing outside net/ sees
 * either. All callbacks registered here run from loop_run(), on the loop's
 * thread, never from inside the call that registered them. */

#include <stdbool.h>

struct loop;
struct timer;

typedef void loop_signal_cb(int signo, void *ctx);
typedef void timer_cb(void *ctx);
typedef void loop_defer_cb(void *ctx);

/* A new loop with DNS configured from /etc/resolv.conf (falling back to
 * defaults when that fails). Ignores SIGPIPE for the whole process: a write
 * to a closed socket then fails with EPIPE instead of killing the daemon.
 * Aborts on failure (our own resource). */
struct loop *
loop_new(void);
/* Frees the loop and everything still registered on it except conns and
 * listeners, which must be freed first. NULL is a no-op; *l is set to NULL. */
void
loop_free(struct loop **l);

/* Runs until loop_break() or until nothing is left to wait for.
 * 0 after a normal end, -1 on an internal libevent error. */
int
loop_run(struct loop *l);
/* Makes loop_run() return after the current callback. Safe from any
 * callback, including signal callbacks. */
void
loop_break(struct loop *l);

/* Calls cb(signo, ctx) from the loop when SIGTERM or SIGINT arrives.
 * A second call replaces the callback. 0 on success, -1 on failure. */
int
loop_on_signals(struct loop *l, loop_signal_cb *cb, void *ctx);

/* Runs cb(ctx) once on the next loop turn. ctx must stay valid until then
 * (take a reference, e.g. conn_ref(), when it is a refcounted object).
 * It cannot be cancelled; calls still pending at loop_free() are dropped
 * without running (their ctx is not touched). */
void
loop_defer(struct loop *l, loop_defer_cb *cb, void *ctx);

/* Timers. A timer is created stopped; timer_start() (re)arms it, replacing
 * any pending expiry. A one-shot timer is stopped when its callback runs;
 * a periodic one re-arms itself before. The callback may start, stop or
 * free its own timer. */
struct timer *
timer_new(struct loop *l, timer_cb *cb, void *ctx);
void
timer_start(struct timer *t, unsigned int msecs, bool periodic);
void
timer_stop(struct timer *t);
bool
timer_pending(const struct timer *t);
/* NULL is a no-op; *t is set to NULL. */
void
timer_free(struct timer **t);

/* Calls cb(ctx) from the loop whenever fd is readable (until freed); the
 * caller drains fd. For a worker thread's wake-up pipe. */
typedef void fd_watch_cb(void *ctx);
struct fd_watch *
loop_watch_readable(struct loop *l, int fd, fd_watch_cb *cb, void *ctx);
/* NULL is a no-op; *w is set to NULL. The fd stays open. */
void
fd_watch_free(struct fd_watch **w);

#endif
