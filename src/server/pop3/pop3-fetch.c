/* RETR and TOP: the message file streamed through a fixed buffer, line
 * ends made CRLF and leading dots doubled on the way, paced by the conn's
 * write queue (CONN_DRAINED). Memory does not grow with the message. */

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "net/conn.h"
#include "store/store.h"
#include "server/pop3/pop3-private.h"

#define FETCH_CHUNK (64 * 1024)

/* ---- the converter ---------------------------------------------------- */

void
pop3_stuff_init(struct pop3_stuff *s, uint64_t max_lines)
{
	memset(s, 0, sizeof(*s));
	s->bol = true;
	s->max_lines = max_lines;
}

/* A line ends (its LF is at hand). A header line is "empty" (the
 * separator) when it holds nothing, or only the CR of a CRLF. */
static void
line_done(struct pop3_stuff *s)
{
	if (s->in_body)
		s->body_lines++;
	else if (s->line_len == 0 || (s->line_len == 1 && s->cr))
		s->in_body = true;
	s->bol = true;
	s->cr = false;
	s->line_len = 0;
}

/* Bytes that need no change are copied as spans, not line by line: a
 * message stored with CRLF and no leading dots costs one append. */
void
pop3_stuff_feed(struct pop3_stuff *s, const char *in, size_t len,
		struct buf *out)
{
	const char *p = in, *end = in + len, *span = in, *nl, *seg;

	while (p < end) {
		if (s->bol) {
			if (s->in_body && s->body_lines >= s->max_lines) {
				s->done = true;
				break;
			}
			if (*p == '.') {
				buf_append(out, span, (size_t)(p - span));
				buf_append_c(out, '.');
				span = p;
			}
			s->bol = false;
		}
		nl = memchr(p, '\n', (size_t)(end - p));
		seg = nl != NULL ? nl : end;
		if (seg > p) {
			s->cr = seg[-1] == '\r';
			s->line_len += (uint64_t)(seg - p);
		}
		if (nl == NULL)
			break;
		if (!s->cr) {
			buf_append(out, span, (size_t)(nl - span));
			buf_append_c(out, '\r');
			span = nl;
		}
		line_done(s);
		p = nl + 1;
	}
	if (s->done)
		end = p;
	buf_append(out, span, (size_t)(end - span));
}

void
pop3_stuff_end(struct pop3_stuff *s, struct buf *out)
{
	if (!s->bol && !s->done) {
		if (!s->cr)
			buf_append_c(out, '\r');
		buf_append_c(out, '\n');
	}
	buf_append(out, ".\r\n", 3);
}

/* ---- streaming --------------------------------------------------------- */

void
pop3_fetch_abort(struct pop3_session *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void
finish(struct pop3_session *s)
{
	buf_reset(&s->out);
	pop3_stuff_end(&s->stuff, &s->out);
	pop3_fetch_abort(s);
	conn_write(s->c, s->out.data, s->out.len);
	pop3_session_resume(s);
}

/* Reads and sends until the write queue is full or the message ends. */
static void
pump(struct pop3_session *s)
{
	char in[FETCH_CHUNK];
	ssize_t n;

	for (;;) {
		n = read(s->fd, in, sizeof(in));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* +OK is out: the only honest end is to hang up. */
			slog_error(conn_session_id(s->c),
				  "pop3: reading a message: %s",
				  strerror(errno));
			pop3_fetch_abort(s);
			s->state = POP3_STATE_DONE;
			pop3_session_resume(s);
			return;
		}
		if (n == 0 || s->stuff.done) {
			finish(s);
			return;
		}
		buf_reset(&s->out);
		pop3_stuff_feed(&s->stuff, in, (size_t)n, &s->out);
		if (conn_write(s->c, s->out.data, s->out.len) != 0)
			return;
	}
}

void
pop3_fetch_drained(struct pop3_session *s)
{
	if (s->fd >= 0)
		pump(s);
}

static void
fetch(struct pop3_session *s, uint32_t msg, uint64_t max_lines)
{
	struct pop3_msg *m = pop3_msg_get(s, msg);

	if (m == NULL)
		return;
	s->fd = store_msg_open(s->srv->env->store, s->folder_id, m->uid);
	if (s->fd < 0) {
		/* Expunged by another session (IMAP, a sync) meanwhile. */
		pop3_session_error(s, "Message %u no longer exists", msg);
		return;
	}
	pop3_stuff_init(&s->stuff, max_lines);
	if (max_lines == UINT64_MAX)
		pop3_session_ok(s, "%llu octets",
				(unsigned long long)m->size);
	else
		pop3_session_ok(s, "Top of message follows");
	pop3_session_pause(s);
	pump(s);
}

void
pop3_cmd_retr(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	fetch(s, cmd->msg, UINT64_MAX);
}

void
pop3_cmd_top(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	fetch(s, cmd->msg, cmd->lines);
}
