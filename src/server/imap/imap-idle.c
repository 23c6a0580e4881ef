/* IDLE (RFC 2177): "+ idling", then changes to the selected folder are
 * sent as they are committed (notify.h wakes the session) until DONE. */

#include "lib/strx.h"
#include "server/imap/imap-session.h"

static void
idle_line(struct imap_session *s, const char *line, size_t len)
{
	s->idling = false;
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
	if (s->cmd.nargs != 0) {
		imap_bad(s, "Unexpected arguments.");
		return true;
	}
	imap_printf(s, "+ idling");
	s->idling = true;
	imap_sync(s, true);
	s->on_line = idle_line;
	return false;
}
