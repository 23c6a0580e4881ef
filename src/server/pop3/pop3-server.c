/* The POP3 server: its sessions and the per-user mailbox lock. */

#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "server/pop3/pop3-private.h"
#include "server/pop3/pop3-server.h"

struct pop3_server *
pop3_server_new(const struct server_env *env,
		const struct server_settings *set)
{
	struct pop3_server *srv = xcalloc(1, sizeof(*srv));

	srv->env = env;
	srv->set = *set;
	if (srv->set.idle_timeout_ms == 0)
		srv->set.idle_timeout_ms = 10 * 60 * 1000;
	return srv;
}

void
pop3_server_accept(struct conn *c, const char *peer, void *ctx)
{
	struct pop3_server *srv = ctx;
	struct pop3_session *s;

	(void)peer;
	if (srv->shutting_down) {
		conn_write_line(c, "-ERR [SYS/TEMP] Server shutting down");
		conn_close(c);
		conn_unref(&c);
		return;
	}
	s = pop3_session_new(srv, c);
	session_list_add(&srv->sessions, &s->link, s);
}

void
pop3_server_remove(struct pop3_server *srv, struct pop3_session *s)
{
	session_list_remove(&srv->sessions, &s->link);
}

/* One daemon, few sessions per user: a walk over the sessions is the
 * lock table. */
bool
pop3_server_lock(struct pop3_server *srv, const char *user)
{
	for (struct session_link *k = srv->sessions.head; k != NULL;
	     k = k->next) {
		struct pop3_session *s = k->session;

		if (s->locked && strcmp(s->user, user) == 0)
			return false;
	}
	return true;
}

void
pop3_server_shutdown(struct pop3_server *srv)
{
	srv->shutting_down = true;
	while (srv->sessions.head != NULL) {
		struct pop3_session *s = session_list_first(&srv->sessions);

		/* Not in the middle of a download's bytes. */
		if (s->fd < 0)
			conn_write_line(s->c,
				"-ERR [SYS/TEMP] Server shutting down");
		pop3_session_end(s, "shutdown");
	}
}

void
pop3_server_free(struct pop3_server **srvp)
{
	struct pop3_server *srv = *srvp;

	if (srv == NULL)
		return;
	*srvp = NULL;
	while (srv->sessions.head != NULL)
		pop3_session_end(session_list_first(&srv->sessions),
				 "shutdown");
	free(srv);
}

unsigned int
pop3_server_sessions(const struct pop3_server *srv)
{
	return srv->sessions.count;
}
