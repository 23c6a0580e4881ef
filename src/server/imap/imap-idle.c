/* IDLE (RFC 2177): "+ idling", then changes to the selected folder are
 * sent as they are committed (notify.h wakes the session) until DONE.
 * Every 2 minutes "* OK Still here" keeps NAT state alive, as Dovecot's
 * imap_idle_notify_interval does. */

#include "lib/strx.h"
#include "net/loop.h"
#include "server/imap/imap-session.h"

#define IDLE_KEEPALIVE_MS (2 * 60 * 1000)

static void
keepalive(void *ctx)
{
	struct imap_session *s = ctx;

	imap_printf(s, "* OK Still here");
}

static void
idle_abort(struct imap_session *s)
{
	struct timer *t = s->cmd_ctx;

	timer_free(&t);
	s->cmd_ctx = NULL;
	s->idling = false;
}

static void
idle_line(struct imap_session *s, const char *line, size_t len)
{
	idle_abort(s);
	s->on_line = NULL;
	if (len == 4 && str_ncasecmp(line, "DONE", 4) == 0)
		imap_tagged(s, "OK", "Idle completed.");
	else
		imap_bad(s, "Expected DONE.");
	imap_cmd_done(s);
}

bool
imap_handle_idle(struct imap_session *s)
{
	struct timer *t;

	if (s->cmd.nargs != 0) {
		imap_bad(s, "Unexpected arguments.");
		return true;
	}
	imap_printf(s, "+ idling");
	s->idling = true;
	imap_sync(s, true);
	t = timer_new(s->server->env.loop, keepalive, s);
	timer_start(t, IDLE_KEEPALIVE_MS, true);
	s->cmd_ctx = t;
	s->on_abort = idle_abort;
	s->on_line = idle_line;
	return false;
}
