/* The IMAP server object: the list of sessions, accept and shutdown. */

#include "server/imap/imap-server.h"

#include <stdlib.h>

#include "lib/xalloc.h"
#include "net/conn.h"
#include "server/imap/imap-envcache.h"
#include "server/imap/imap-session.h"

struct imap_server *
imap_server_new(const struct server_env *env,
		const struct server_settings *set)
{
	struct imap_server *s = xcalloc(1, sizeof(*s));

	s->env = *env;
	if (set != NULL)
		s->set = *set;
	if (s->set.idle_timeout_ms == 0)
		s->set.idle_timeout_ms = 30 * 60 * 1000;
	s->envcache = imap_envcache_new(IMAP_ENVCACHE_BYTES);
	return s;
}

void
imap_server_accept(struct conn *c, const char *peer, void *ctx)
{
	struct imap_server *srv = ctx;

	(void)peer;
	if (srv->shutting_down) {
		conn_write_line(c, "* BYE Server shutting down");
		conn_close(c);
		conn_unref(&c);
		return;
	}
	imap_session_new(srv, c);
}

void
imap_server_shutdown(struct imap_server *srv)
{
	srv->shutting_down = true;
	while (srv->sessions.head != NULL) {
		struct imap_session *s = session_list_first(&srv->sessions);

		imap_session_bye(s, "Server shutting down", "shutdown");
		imap_session_free(&s);
	}
}

void
imap_server_free(struct imap_server **sp)
{
	struct imap_server *srv = *sp;

	if (srv == NULL)
		return;
	*sp = NULL;
	while (srv->sessions.head != NULL) {
		struct imap_session *s = session_list_first(&srv->sessions);

		imap_session_free(&s);
	}
	imap_envcache_free(&srv->envcache);
	free(srv);
}

unsigned int
imap_server_sessions(const struct imap_server *srv)
{
	return srv->sessions.count;
}
