/* The LMTP server: its sessions and the group commit.
 *
 * Every commit costs a few fsyncs (files, directory, WAL) whatever its
 * size, so recipients whose message is written wait in a queue and are
 * committed together on the next loop turn. While a commit runs the loop
 * is busy, other clients' bytes pile up in the socket buffers, and their
 * messages finish on the following turn and join the next commit: the
 * batch grows by itself with the load, and one client alone waits no
 * longer than one commit. */

#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "net/loop.h"
#include "server/common/notify.h"
#include "server/lmtp/lmtp-private.h"
#include "server/lmtp/lmtp-server.h"
#include "store/store.h"

/* Upper bound of one commit (its rows share one SQLite transaction). */
#define COMMIT_MAX 512

static void commit_run(void *ctx);

struct lmtp_server *
lmtp_server_new(const struct server_env *env,
		const struct server_settings *set)
{
	struct lmtp_server *srv = xcalloc(1, sizeof(*srv));

	srv->env = env;
	srv->set = *set;
	if (srv->set.idle_timeout_ms == 0)
		srv->set.idle_timeout_ms = 10 * 60 * 1000;
	srv->commit_timer = timer_new(env->loop, commit_run, srv);
	return srv;
}

void
lmtp_server_accept(struct conn *c, const char *peer, void *ctx)
{
	struct lmtp_server *srv = ctx;
	struct lmtp_session *s;

	(void)peer;
	if (srv->shutting_down) {
		conn_printf(c, "421 4.3.2 %s Server shutting down\r\n",
			    srv->env->hostname);
		conn_close(c);
		conn_unref(&c);
		return;
	}
	s = lmtp_session_new(srv, c);
	s->next = srv->sessions;
	if (srv->sessions != NULL)
		srv->sessions->prev = s;
	srv->sessions = s;
	srv->count++;
}

void
lmtp_server_remove(struct lmtp_server *srv, struct lmtp_session *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	srv->count--;
}

/* ---- group commit ------------------------------------------------------ */

void
lmtp_commit_enqueue(struct lmtp_server *srv, struct lmtp_rcpt *r)
{
	if (srv->nqueue == srv->capqueue) {
		srv->capqueue = srv->capqueue ? srv->capqueue * 2 : 64;
		srv->queue = xrealloc(srv->queue,
				      srv->capqueue * sizeof(*srv->queue));
	}
	srv->queue[srv->nqueue++] = r;
	r->s->pending++;
	if (!timer_pending(srv->commit_timer))
		timer_start(srv->commit_timer, 0, false);
}

void
lmtp_commit_forget(struct lmtp_server *srv, struct lmtp_session *s)
{
	size_t j = 0;

	for (size_t i = 0; i < srv->nqueue; i++) {
		if (srv->queue[i]->s != s)
			srv->queue[j++] = srv->queue[i];
	}
	srv->nqueue = j;
	s->pending = 0;
}

/* Takes up to COMMIT_MAX from the front of the queue and commits them in
 * one store pass. */
static size_t
commit_some(struct lmtp_server *srv, struct lmtp_rcpt **rs, int *rcs)
{
	struct store_batch *b[COMMIT_MAX];
	size_t n = srv->nqueue < COMMIT_MAX ? srv->nqueue : COMMIT_MAX;

	memcpy(rs, srv->queue, n * sizeof(*rs));
	memmove(srv->queue, srv->queue + n,
		(srv->nqueue - n) * sizeof(*srv->queue));
	srv->nqueue -= n;
	for (size_t i = 0; i < n; i++) {
		b[i] = rs[i]->batch;
		rs[i]->batch = NULL;
		rs[i]->draft = NULL;
	}
	srv->committed += store_batch_commit_many(b, n, rcs, NULL);
	srv->commits++;
	return n;
}

static void
commit_run(void *ctx)
{
	struct lmtp_server *srv = ctx;
	struct lmtp_rcpt *rs[COMMIT_MAX];
	int rcs[COMMIT_MAX];
	size_t n;

	if (srv->nqueue == 0)
		return;
	n = commit_some(srv, rs, rcs);
	for (size_t i = 0; i < n; i++) {
		rs[i]->rc = rcs[i];
		if (rcs[i] == STORE_OK && srv->env->notify != NULL)
			notify_changed(srv->env->notify, rs[i]->folder_id);
		if (rcs[i] == STORE_OK)
			continue;
		slog_error(conn_session_id(rs[i]->s->c),
			   "lmtp: delivery to %s failed: %s", rs[i]->user,
			   store_error(srv->env->store));
		lmtp_rcpt_fail(rs[i], rcs[i]);
	}
	/* A session is answered once its last recipient is decided. The
	 * answer may end the session, so nothing of it is touched after. */
	for (size_t i = 0; i < n; i++) {
		struct lmtp_session *s = rs[i]->s;

		if (--s->pending == 0)
			lmtp_deliver_done(s);
	}
	if (srv->nqueue > 0)
		timer_start(srv->commit_timer, 0, false);
}

/* ---- shutdown ---------------------------------------------------------- */

void
lmtp_server_shutdown(struct lmtp_server *srv)
{
	srv->shutting_down = true;
	/* Deliveries already written are committed and answered first. */
	while (srv->nqueue > 0)
		commit_run(srv);
	while (srv->sessions != NULL) {
		struct lmtp_session *s = srv->sessions;

		conn_printf(s->c, "421 4.3.2 %s Server shutting down\r\n",
			    srv->env->hostname);
		lmtp_session_end(s, "shutdown");
	}
}

void
lmtp_server_free(struct lmtp_server **srvp)
{
	struct lmtp_server *srv = *srvp;

	if (srv == NULL)
		return;
	*srvp = NULL;
	while (srv->sessions != NULL)
		lmtp_session_end(srv->sessions, "shutdown");
	timer_free(&srv->commit_timer);
	free(srv->queue);
	free(srv);
}

unsigned int
lmtp_server_sessions(const struct lmtp_server *srv)
{
	return srv->count;
}
