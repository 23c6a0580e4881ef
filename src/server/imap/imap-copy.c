/* COPY, MOVE and their UID forms (RFC 3501 6.4.7, RFC 6851, COPYUID of
 * RFC 4315), and RENAME INBOX's move of every message.
 *
 * A copy is a store batch: every source file is streamed into a draft of
 * the target folder with its flags, keywords and internal date, and the
 * batch commits at once, so the target gets all the messages or none. A
 * MOVE expunges the sources only after that commit. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "proto/imap/imap-args.h"
#include "proto/imap/imap-seqset.h"
#include "server/common/notify.h"
#include "server/imap/imap-msg.h"
#include "server/imap/imap-session.h"
#include "store/store.h"

struct src_msg {
	uint32_t uid;
	unsigned int flags;
	time_t date;
	char *keywords;
	char *path;
};

struct src_list {
	const uint32_t *want;	/* NULL: every message */
	size_t nwant, pos;
	struct src_msg *m;
	size_t n, cap;
};

static int
src_cb(const struct store_msg *m, void *ctx)
{
	struct src_list *sl = ctx;

	if (sl->want != NULL) {
		while (sl->pos < sl->nwant && sl->want[sl->pos] < m->uid)
			sl->pos++;
		if (sl->pos >= sl->nwant)
			return 1;
		if (sl->want[sl->pos] != m->uid)
			return 0;
	}
	if (sl->n == sl->cap) {
		sl->cap = sl->cap < 64 ? 64 : sl->cap * 2;
		sl->m = xrealloc(sl->m, sl->cap * sizeof(*sl->m));
	}
	sl->m[sl->n].uid = m->uid;
	sl->m[sl->n].flags = m->flags;
	sl->m[sl->n].date = m->internal_date;
	sl->m[sl->n].keywords = xstrdup(m->keywords != NULL ? m->keywords : "");
	sl->m[sl->n].path = xstrdup(m->path);
	sl->n++;
	return 0;
}

static void
src_free(struct src_list *sl)
{
	size_t i;

	for (i = 0; i < sl->n; i++) {
		free(sl->m[i].keywords);
		free(sl->m[i].path);
	}
	free(sl->m);
}

static int
copy_file(struct store_draft *d, const char *path)
{
	char chunk[64 * 1024];
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = STORE_OK;
	ssize_t n;

	if (fd < 0)
		return STORE_NOTFOUND;
	while (rc == STORE_OK) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? STORE_TEMPFAIL : STORE_OK;
			break;
		}
		rc = store_draft_write(d, chunk, (size_t)n);
	}
	close(fd);
	return rc;
}

/* Copies sl's messages into `to` as one batch; new UIDs into uids_r. */
static int
copy_batch(struct imap_session *s, const struct src_list *sl, const char *to,
	   uint32_t *uids_r)
{
	struct store_batch *b;
	size_t i;
	int rc = store_batch_begin(imap_store(s), s->user, to, &b);

	for (i = 0; rc == STORE_OK && i < sl->n; i++) {
		struct store_draft *d;
		const struct src_msg *m = &sl->m[i];

		rc = store_draft_begin(b, m->date, m->flags,
				       m->keywords[0] != '\0' ? m->keywords
							      : NULL, &d);
		if (rc == STORE_OK)
			rc = copy_file(d, m->path);
		if (rc == STORE_OK)
			rc = store_draft_finish(d);
	}
	if (rc != STORE_OK) {
		store_batch_abort(&b);
		return rc;
	}
	return store_batch_commit(&b, uids_r);
}

int
imap_copy_all(struct imap_session *s, const char *from, const char *to)
{
	struct store_folder f;
	struct src_list sl;
	uint32_t *uids, *old;
	size_t i;
	int rc = store_folder_find(imap_store(s), s->user, from, &f);

	if (rc != STORE_OK)
		return rc;
	rc = store_folder_create(imap_store(s), s->user, to, NULL);
	memset(&sl, 0, sizeof(sl));
	if (rc == STORE_OK)
		rc = store_msg_list(imap_store(s), f.id, 1, src_cb, &sl);
	uids = xcalloc(sl.n + 1, sizeof(uint32_t));
	old = xcalloc(sl.n + 1, sizeof(uint32_t));
	if (rc == STORE_OK && sl.n > 0)
		rc = copy_batch(s, &sl, to, uids);
	for (i = 0; i < sl.n; i++)
		old[i] = sl.m[i].uid;
	if (rc == STORE_OK && sl.n > 0) {
		rc = store_msg_expunge(imap_store(s), f.id, old, sl.n);
		notify_changed(s->server->env.notify, f.id);
	}
	free(uids);
	free(old);
	src_free(&sl);
	store_folder_clear(&f);
	return rc;
}

/* ---- COPY / MOVE ---- */

static void
copyuid_text(struct imap_session *s, uint32_t uidvalidity,
	     const struct src_list *sl, const uint32_t *uids, struct buf *out)
{
	uint32_t *src = xcalloc(sl->n + 1, sizeof(uint32_t));
	size_t i;

	(void)s;
	for (i = 0; i < sl->n; i++)
		src[i] = sl->m[i].uid;
	buf_printf(out, "[COPYUID %u ", uidvalidity);
	imap_seqset_format(src, sl->n, out);
	buf_append_c(out, ' ');
	imap_seqset_format(uids, sl->n, out);
	buf_append_c(out, ']');
	free(src);
}

static void
move_expunge(struct imap_session *s, const struct src_list *sl)
{
	uint32_t *src = xcalloc(sl->n + 1, sizeof(uint32_t));
	size_t i;

	for (i = 0; i < sl->n; i++)
		src[i] = sl->m[i].uid;
	if (store_msg_expunge(imap_store(s), s->sel.folder_id, src, sl->n) ==
	    STORE_OK) {
		for (i = 0; i < sl->n; i++)
			imap_view_expunged(&s->view, src[i]);
		notify_changed(s->server->env.notify, s->sel.folder_id);
	}
	free(src);
}

static void
copy_reply(struct imap_session *s, bool move, uint32_t uidvalidity,
	   const struct src_list *sl, const uint32_t *uids)
{
	struct buf code;

	buf_init(&code, SIZE_MAX / 2);
	if (sl->n > 0)
		copyuid_text(s, uidvalidity, sl, uids, &code);
	if (!move) {
		imap_tagged(s, "OK", "%s%sCopy completed.", buf_cstr(&code),
			    sl->n > 0 ? " " : "");
	} else {
		if (sl->n > 0)
			imap_printf(s, "* OK %s Moved UIDs.", buf_cstr(&code));
		move_expunge(s, sl);
		imap_send_expunges(s);
		imap_tagged(s, "OK", "Move completed.");
	}
	buf_free(&code);
}

static const char *
copy_error(int rc)
{
	switch (rc) {
	case STORE_REJECT:
		return "[LIMIT] Message can't be copied.";
	case STORE_NOTFOUND:	/* a source file went away meanwhile */
		return "[EXPUNGEISSUED] Some of the requested messages no "
		       "longer exist.";
	default:
		return "[SERVERBUG] Internal error.";
	}
}

static bool
copy_or_move(struct imap_session *s, bool move)
{
	const char *set, *wire, *error = "Invalid arguments.";
	struct store_folder f;
	struct src_list sl;
	uint32_t *want = NULL, *uids;
	size_t nwant;
	char *to = NULL;
	int rc;

	if (s->cmd.nargs != 2 || imap_arg_seqset(&s->cmd.args[0], &set) < 0 ||
	    imap_arg_mailbox(&s->cmd.args[1], &wire) < 0 ||
	    imap_resolve_set(s, set, s->cmd.uid, &want, &nwant, &error) < 0) {
		imap_bad(s, error);
		return true;
	}
	if (move && s->sel.readonly) {
		free(want);
		imap_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only.");
		return true;
	}
	to = imap_mailbox_decode(wire);
	rc = to != NULL ? store_folder_find(imap_store(s), s->user, to, &f)
			: STORE_NOTFOUND;
	if (rc != STORE_OK) {
		free(want);
		free(to);
		imap_tagged(s, "NO", rc == STORE_NOTFOUND
			    ? "[TRYCREATE] Mailbox doesn't exist."
			    : "[SERVERBUG] Internal error.");
		return true;
	}
	memset(&sl, 0, sizeof(sl));
	sl.want = want;
	sl.nwant = nwant;
	if (nwant > 0)
		rc = store_msg_list(imap_store(s), s->sel.folder_id, want[0],
				    src_cb, &sl);
	uids = xcalloc(sl.n + 1, sizeof(uint32_t));
	if (rc == STORE_OK && sl.n > 0)
		rc = copy_batch(s, &sl, to, uids);
	if (rc == STORE_OK && sl.n > 0)
		notify_changed(s->server->env.notify, f.id);
	if (rc == STORE_OK)
		copy_reply(s, move, f.uidvalidity, &sl, uids);
	else
		imap_tagged(s, "NO", "%s", copy_error(rc));
	free(uids);
	src_free(&sl);
	store_folder_clear(&f);
	free(want);
	free(to);
	return true;
}

bool
imap_handle_copy(struct imap_session *s)
{
	return copy_or_move(s, false);
}

bool
imap_handle_move(struct imap_session *s)
{
	return copy_or_move(s, true);
}
