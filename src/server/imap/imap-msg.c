/* Message bytes for FETCH and SEARCH; sequence sets against the view. */

#include "server/imap/imap-msg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "mime/tree.h"
#include "proto/imap/imap-seqset.h"
#include "server/imap/imap-session.h"

#define READ_CHUNK (16 * 1024)

/* Offset just past the blank line ending the header in raw bytes (bare LF
 * or CRLF), or 0 when there is none yet. */
static size_t
raw_header_end(const char *p, size_t len)
{
	size_t i;

	if (len >= 1 && p[0] == '\n')
		return 1;
	if (len >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	for (i = 0; i + 1 < len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static int
read_all(int fd, struct buf *raw, size_t max, bool header_only)
{
	char chunk[READ_CHUNK];

	for (;;) {
		size_t want = sizeof(chunk);
		ssize_t n;

		if (header_only && raw->len >= max)
			return 0;
		if (header_only && max - raw->len < want)
			want = max - raw->len;
		n = read(fd, chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (buf_append(raw, chunk, (size_t)n) < 0)
			return 0;	/* our cap: keep the prefix */
		if (header_only && raw_header_end(raw->data, raw->len) > 0)
			return 0;
	}
}

/* The whole file, normalised as it is read: one copy in memory, not a raw
 * and a CRLF one. A CR ending one chunk pairs with an LF starting the
 * next. */
static int
read_whole(int fd, size_t size, struct buf *out)
{
	char chunk[READ_CHUNK];
	char prev = '\0';

	buf_init(out, size * 2 + 64);	/* worst case: every byte an LF */
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		ssize_t i, start = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		for (i = 0; i < n; i++) {
			if (chunk[i] == '\n' && (i > 0 ? chunk[i - 1] : prev) !=
						'\r') {
				if (buf_append(out, chunk + start,
					       (size_t)(i - start)) < 0 ||
				    buf_append_c(out, '\r') < 0)
					return -1;
				start = i;
			}
		}
		if (buf_append(out, chunk + start, (size_t)(n - start)) < 0)
			return -1;
		prev = chunk[n - 1];
	}
}

int
imap_msg_read(const char *path, bool whole, struct imap_msgdata *md)
{
	struct buf raw;
	struct stat st;
	int fd, rc;
	size_t len;

	memset(md, 0, sizeof(*md));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	md->whole = whole;
	if (whole) {
		if (fstat(fd, &st) < 0) {
			close(fd);
			return -1;
		}
		rc = read_whole(fd, (size_t)st.st_size, &md->data);
		close(fd);
		if (rc < 0)
			buf_free(&md->data);
		return rc;
	}
	buf_init(&raw, IMAP_HEADER_MAX);
	rc = read_all(fd, &raw, IMAP_HEADER_MAX, true);
	close(fd);
	if (rc < 0) {
		buf_free(&raw);
		return -1;
	}
	len = raw_header_end(raw.data != NULL ? raw.data : "", raw.len);
	if (len == 0)
		len = raw.len;
	buf_init(&md->data, len * 2 + 16);
	mime_crlf_normalize(raw.data != NULL ? raw.data : "", len, &md->data);
	buf_free(&raw);
	return 0;
}

void
imap_msg_free(struct imap_msgdata *md)
{
	mime_free(&md->root);
	buf_free(&md->data);
}

const struct mime_part *
imap_msg_tree(struct imap_msgdata *md)
{
	if (md->root == NULL)
		md->root = mime_parse(buf_cstr(&md->data), md->data.len);
	return md->root;
}

size_t
imap_msg_header_len(const struct imap_msgdata *md)
{
	const char *p = buf_cstr(&md->data);
	const char *e;

	if (md->data.len >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	e = memmem(p, md->data.len, "\r\n\r\n", 4);
	return e != NULL ? (size_t)(e - p) + 4 : md->data.len;
}

/* ---- sequence sets ---- */

static int
range_cmp(const void *a, const void *b)
{
	const struct imap_range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void
push(uint32_t **a, size_t *n, size_t *cap, uint32_t v)
{
	if (*n == *cap) {
		*cap = *cap < 64 ? 64 : *cap * 2;
		*a = xrealloc(*a, *cap * sizeof(**a));
	}
	(*a)[(*n)++] = v;
}

static void
walk_uids(const struct imap_view *v, const struct imap_range *r, size_t nr,
	  uint32_t **uids_r, size_t *n_r)
{
	size_t cap = 0, ri = 0;
	uint32_t i;

	for (i = 0; i < v->count && ri < nr; i++) {
		uint32_t uid = v->uids[i];
		while (ri < nr && r[ri].hi < uid)
			ri++;
		if (ri < nr && r[ri].lo <= uid)
			push(uids_r, n_r, &cap, uid);
	}
}

static int
walk_seqs(const struct imap_view *v, const struct imap_range *r, size_t nr,
	  uint32_t **uids_r, size_t *n_r, const char **error_r)
{
	size_t cap = 0, ri;
	uint32_t last = 0, seq;

	for (ri = 0; ri < nr; ri++) {
		if (r[ri].hi > v->count) {
			*error_r = "Invalid messageset";
			return -1;
		}
		seq = r[ri].lo > last ? r[ri].lo : last + 1;
		for (; seq <= r[ri].hi; seq++)
			push(uids_r, n_r, &cap, v->uids[seq - 1]);
		if (r[ri].hi > last)
			last = r[ri].hi;
	}
	return 0;
}

int
imap_resolve_set(const struct imap_session *s, const char *set, bool uid,
		 uint32_t **uids_r, size_t *n_r, const char **error_r)
{
	const struct imap_view *v = &s->view;
	struct imap_range *r;
	size_t nr;
	uint32_t star = uid ? imap_view_last_uid(v) : v->count;
	int rc = 0;

	*uids_r = NULL;
	*n_r = 0;
	if (star == 0 && uid)
		star = UINT32_MAX;	/* "UID n:*", empty view: nothing */
	if (star == 0) {
		*error_r = "No messages";
		return -1;
	}
	if (imap_seqset_parse(set, star, 1000000, &r, &nr, error_r) < 0)
		return -1;
	if (nr > 1)
		qsort(r, nr, sizeof(*r), range_cmp);
	if (uid)
		walk_uids(v, r, nr, uids_r, n_r);
	else
		rc = walk_seqs(v, r, nr, uids_r, n_r, error_r);
	free(r);
	if (rc < 0) {
		free(*uids_r);
		*uids_r = NULL;
		*n_r = 0;
	}
	return rc;
}
