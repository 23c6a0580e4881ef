/* Metadata of a message as it streams by: the bytes on disk (psize), the
 * RFC822.SIZE with every bare LF counted as CRLF (size), the fingerprint
 * and the Message-ID. Only header bytes up to the parse cap are kept. */

#include <errno.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "mime/fingerprint.h"
#include "mime/header.h"
#include "store/store-private.h"

/* Big enough to read files at disk speed, small enough for any stack. */
#define SCAN_CHUNK 16384

struct store_scan {
	struct fingerprint *fp;
	uint64_t psize;
	uint64_t bare_lf;
	char prev;		/* last byte of the previous chunk */
};

struct store_scan *
store_scan_new(size_t max_header)
{
	struct store_scan *sc = xcalloc(1, sizeof(*sc));

	sc->fp = fingerprint_new(max_header);
	return sc;
}

void
store_scan_free(struct store_scan **scp)
{
	struct store_scan *sc = *scp;

	if (sc == NULL)
		return;
	*scp = NULL;
	fingerprint_free(&sc->fp);
	free(sc);
}

void
store_scan_feed(struct store_scan *sc, const void *data, size_t len)
{
	const char *p = data;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n' && (i > 0 ? p[i - 1] : sc->prev) != '\r')
			sc->bare_lf++;
	}
	if (len > 0)
		sc->prev = p[len - 1];
	sc->psize += len;
	fingerprint_feed(sc->fp, data, len);
}

uint64_t
store_scan_psize(const struct store_scan *sc)
{
	return sc->psize;
}

void
store_scan_finish(struct store_scan *sc, struct store_meta *m)
{
	char *mid;

	fingerprint_finish(sc->fp, m->fingerprint);
	mid = header_reader_get(fingerprint_header(sc->fp), "Message-ID");
	m->message_id = header_message_id(mid);
	free(mid);
	m->psize = sc->psize;
	m->size = sc->psize + sc->bare_lf;
}

int
store_scan_file(int fd, size_t max_header, struct store_meta *m)
{
	struct store_scan *sc = store_scan_new(max_header);
	char chunk[SCAN_CHUNK];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			store_scan_free(&sc);
			errno = err;
			return -1;
		}
		store_scan_feed(sc, chunk, (size_t)n);
	}
	store_scan_finish(sc, m);
	store_scan_free(&sc);
	return 0;
}
