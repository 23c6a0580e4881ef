/* Streaming a whole message (BODY[], BODY.PEEK[], RFC822, with or without
 * <partial>) from its file to the client with bare LF turned into CRLF,
 * in pieces, so a 50 MB message never sits in memory: the literal's size
 * is the store's RFC822.SIZE, which counts exactly those CRLFs. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "net/conn.h"
#include "server/imap/imap-msg.h"
#include "server/imap/imap-session.h"

#define STREAM_CHUNK (32 * 1024)

int
imap_stream_open(struct imap_stream *st, const char *path, uint64_t skip,
		 uint64_t len)
{
	memset(st, 0, sizeof(*st));
	st->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (st->fd < 0)
		return -1;
	st->skip = skip;
	st->left = len;
	return 0;
}

void
imap_stream_close(struct imap_stream *st)
{
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
}

/* Normalises raw[0..n) into out (room for 2n), dropping the first
 * st->skip bytes and keeping at most st->left. */
static size_t
normalize(struct imap_stream *st, const char *raw, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n && st->left > 0; i++) {
		char pair[2];
		size_t k = 0, j;

		if (raw[i] == '\n' && st->prev != '\r')
			pair[k++] = '\r';
		pair[k++] = raw[i];
		st->prev = raw[i];
		for (j = 0; j < k && st->left > 0; j++) {
			if (st->skip > 0) {
				st->skip--;
				continue;
			}
			out[o++] = pair[j];
			st->left--;
		}
	}
	return o;
}

/* The file ended early (changed under us): the literal must still have
 * its announced size, or the protocol stream breaks. */
static void
pad(struct imap_session *s, struct imap_stream *st)
{
	char spaces[1024];

	slog_warn(conn_session_id(s->conn), "imap: message file shorter than "
		  "its size, padding %llu bytes", (unsigned long long)st->left);
	memset(spaces, ' ', sizeof(spaces));
	while (st->left > 0) {
		size_t n = st->left < sizeof(spaces) ? (size_t)st->left
						     : sizeof(spaces);
		imap_write(s, spaces, n);
		st->left -= n;
	}
}

int
imap_stream_run(struct imap_session *s, struct imap_stream *st)
{
	char raw[STREAM_CHUNK], out[2 * STREAM_CHUNK];

	while (st->left > 0) {
		ssize_t n = read(st->fd, raw, sizeof(raw));
		size_t o;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			pad(s, st);
			break;
		}
		o = normalize(st, raw, (size_t)n, out);
		if (o > 0 && imap_write(s, out, o) == 1 && st->left > 0)
			return 0;
	}
	imap_stream_close(st);
	return 1;
}
