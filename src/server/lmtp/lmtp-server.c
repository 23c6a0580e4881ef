/* The LMTP server: its sessions, and their deliveries handed to the
 * daemon's group commit (server/common/commitq.h).
 *
 * Every commit costs a few fsyncs (files, directories, WAL) whatever its
 * size, so a finished delivery waits in the queue and is committed with
 * every other one (LMTP or IMAP APPEND) on the next loop turn. While a
 * commit runs the loop is busy, other clients' bytes pile up in the
 * socket buffers, and their messages finish on the following turn and
 * join the next commit: the group grows by itself with the load, and one
 * client alone waits no longer than one commit. */

#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "server/common/commitq.h"
#include "server/lmtp/lmtp-private.h"
#include "server/lmtp/lmtp-server.h"
#include "store/store.h"

struct lmtp_server *
lmtp_server_new(const struct server_env *env,
		const struct server_settings *set)
{
	struct lmtp_server *srv = xcalloc(1, sizeof(*srv));

	srv->env = env;
	srv->set = *set;
	if (srv->set.idle_timeout_ms == 0)
		srv->set.idle_timeout_ms = 10 * 60 * 1000;
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
	session_list_add(&srv->sessions, &s->link, s);
}

void
lmtp_server_remove(struct lmtp_server *srv, struct lmtp_session *s)
{
	session_list_remove(&srv->sessions, &s->link);
}

/* ---- group commit ------------------------------------------------------ */

static void
committed(int rc, const uint32_t *uids, size_t n, void *ctx)
{
	struct lmtp_rcpt *r = ctx;
	struct lmtp_session *s = r->s;

	(void)uids;
	(void)n;
	r->entry = NULL;
	r->rc = rc;
	if (rc != STORE_OK) {
		slog_error(conn_session_id(s->c),
			   "lmtp: delivery to %s failed: %s", r->user,
			   store_error(s->srv->env->store));
		lmtp_rcpt_fail(r, rc);
	}
	/* Answered once its last recipient is decided; the answer may
	 * free r, so nothing of it is touched after. */
	if (--s->pending == 0)
		lmtp_deliver_done(s);
}

void
lmtp_commit_enqueue(struct lmtp_server *srv, struct lmtp_rcpt *r)
{
	const struct server_env *env = srv->env;
	int rc;

	if (env->commitq != NULL) {
		r->s->pending++;
		r->entry = commitq_add(env->commitq, &r->batch, r->folder_id,
				       committed, r);
		return;
	}
	rc = store_batch_commit(&r->batch, NULL);
	r->rc = rc;
	if (rc != STORE_OK)
		lmtp_rcpt_fail(r, rc);
}

void
lmtp_commit_forget(struct lmtp_server *srv, struct lmtp_session *s)
{
	(void)srv;
	for (size_t i = 0; i < s->nrcpts; i++)
		commitq_forget(&s->rcpts[i]->entry);
	s->pending = 0;
}

/* ---- shutdown ---------------------------------------------------------- */

void
lmtp_server_shutdown(struct lmtp_server *srv)
{
	srv->shutting_down = true;
	/* Deliveries already written are committed and answered first. */
	if (srv->env->commitq != NULL)
		commitq_flush(srv->env->commitq);
	while (srv->sessions.head != NULL) {
		struct lmtp_session *s = session_list_first(&srv->sessions);

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
	while (srv->sessions.head != NULL)
		lmtp_session_end(session_list_first(&srv->sessions),
				 "shutdown");
	free(srv);
}

unsigned int
lmtp_server_sessions(const struct lmtp_server *srv)
{
	return srv->sessions.count;
}
