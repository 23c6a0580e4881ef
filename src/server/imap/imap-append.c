/* APPEND (RFC 3501 6.3.11) with LITERAL+, MULTIAPPEND-style follow-on
 * messages and APPENDUID (RFC 4315).
 *
 * The reader hands over when an APPEND line ends in a literal marker
 * (imap_cmd_parse_prefix). The literal is streamed in 64 KiB pieces into a
 * store draft, never held whole. The size is checked before anything is
 * read: a synchronising literal that is too big gets "NO [TOOBIG]" and
 * its bytes are never sent; a non-synchronising one that is too big ends
 * the connection. OK comes only after store_batch_commit, so an answered
 * APPEND is on disk. */

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "proto/imap/imap-args.h"
#include "proto/imap/imap-seqset.h"
#include "server/common/commitq.h"
#include "server/common/notify.h"
#include "server/imap/imap-session.h"
#include "store/store.h"

#define APPEND_CHUNK (64 * 1024)
#define APPEND_MAX_MESSAGES 1000
/* Literals discarded after an error are bounded too. */
#define APPEND_MAX_DISCARD (1024 * 1024)

struct append_ctx {
	struct store_batch *batch;
	struct store_draft *draft;
	int64_t folder_id;
	uint32_t uidvalidity;
	int rc;			/* first store error, STORE_OK while fine */
	const char *bad;	/* a syntax error seen after a literal */
	unsigned int count;
	struct commitq_entry *entry;	/* waiting in the group commit */
};

static void
append_abort(struct imap_session *s)
{
	struct append_ctx *ac = s->cmd_ctx;

	if (ac == NULL)
		return;
	/* a batch handed to the group commit is still committed */
	commitq_forget(&ac->entry);
	store_batch_abort(&ac->batch);
	free(ac);
	s->cmd_ctx = NULL;
}

static void
append_end(struct imap_session *s)
{
	append_abort(s);
	imap_cmd_done(s);
}

static const char *
rc_text(int rc)
{
	switch (rc) {
	case STORE_REJECT:
		return "[TOOBIG] Message too large.";
	case STORE_NOTFOUND:
		return "[TRYCREATE] Mailbox doesn't exist.";
	default:
		return "[SERVERBUG] Internal error: message not saved.";
	}
}

/* The tagged reply once the batch is durable (or failed). */
static void
answer(struct imap_session *s, struct append_ctx *ac, int rc,
       const uint32_t *uids, size_t n)
{
	struct buf set;

	if (rc != STORE_OK) {
		imap_tagged(s, "NO", "%s", rc_text(rc));
		return;
	}
	buf_init(&set, SIZE_MAX / 2);
	imap_seqset_format(uids, n, &set);
	imap_tagged(s, "OK", "[APPENDUID %u %s] Append completed.",
		    ac->uidvalidity, buf_cstr(&set));
	buf_free(&set);
}

/* From the loop: the group commit is done (commitq notified the folder's
 * watchers). */
static void
committed(int rc, const uint32_t *uids, size_t n, void *ctx)
{
	struct imap_session *s = ctx;
	struct append_ctx *ac = s->cmd_ctx;

	ac->entry = NULL;
	answer(s, ac, rc, uids, n);
	append_end(s);
	if (s->closing)
		imap_session_free(&s);
}

/* true when answered now; false when the batch waits in the group commit
 * (env.commitq, which shares one fsync pass among concurrent APPENDs and
 * deliveries) and committed() answers later. */
static bool
commit(struct imap_session *s, struct append_ctx *ac)
{
	uint32_t *uids;
	int rc;

	if (s->server->env.commitq != NULL) {
		ac->entry = commitq_add(s->server->env.commitq, &ac->batch,
					ac->folder_id, committed, s);
		conn_read_pause(s->conn);
		return false;
	}
	uids = xcalloc(ac->count + 1, sizeof(uint32_t));
	rc = store_batch_commit(&ac->batch, uids);
	if (rc == STORE_OK)
		notify_changed(s->server->env.notify, ac->folder_id);
	answer(s, ac, rc, uids, ac->count);
	free(uids);
	return true;
}

static void
literal_piece(struct imap_session *s, const char *data, size_t len,
	      bool last)
{
	struct append_ctx *ac = s->cmd_ctx;

	if (ac->rc == STORE_OK && ac->draft != NULL)
		ac->rc = store_draft_write(ac->draft, data, len);
	if (!last)
		return;
	if (ac->rc == STORE_OK && ac->draft != NULL)
		ac->rc = store_draft_finish(ac->draft);
	ac->draft = NULL;
	s->on_literal = NULL;
}

/* Starts one message: checks, then the draft, then the literal. false when
 * the command ended here (reply sent, or the session is closing). */
static bool
start_message(struct imap_session *s, struct append_ctx *ac,
	      const struct imap_append_msg *m)
{
	uint64_t max = s->server->env.max_message_size;
	bool discard = ac->rc != STORE_OK;

	if (max > 0 && m->size > max) {
		if (m->nonsync) {
			imap_session_bye(s, "Message too large.", "too large");
			return false;
		}
		imap_tagged(s, "NO", "[TOOBIG] Message too large.");
		return false;
	}
	if (++ac->count > APPEND_MAX_MESSAGES) {
		ac->rc = STORE_REJECT;
		discard = true;
	}
	if (discard && !m->nonsync) {
		imap_tagged(s, "NO", "%s", rc_text(ac->rc));
		return false;
	}
	if (discard && m->size > APPEND_MAX_DISCARD) {
		imap_session_bye(s, "Message too large.", "too large");
		return false;
	}
	if (!discard) {
		struct buf kw;
		size_t i;

		buf_init(&kw, 64 * 1024);
		for (i = 0; i < m->flags.nkeywords; i++) {
			if (i > 0)
				buf_append_c(&kw, ' ');
			buf_append_str(&kw, m->flags.keywords[i]);
		}
		ac->rc = store_draft_begin(ac->batch,
					   m->have_date ? m->date : 0,
					   m->flags.flags & 0x1f,
					   kw.len > 0 ? buf_cstr(&kw) : NULL,
					   &ac->draft);
		buf_free(&kw);
	}
	if (!m->nonsync)
		imap_printf(s, "+ Ready for literal data");
	s->on_literal = literal_piece;
	conn_read_literal(s->conn, m->size, APPEND_CHUNK);
	return true;
}

static void
append_line(struct imap_session *s, const char *line, size_t len)
{
	struct append_ctx *ac = s->cmd_ctx;
	struct imap_append_msg m;
	const char *error;
	int r;

	if (ac->bad != NULL) {
		imap_bad(s, ac->bad);
		append_end(s);
		return;
	}
	r = imap_append_parse_next(&s->cmd, line, len, &m, &error);

	if (r < 0) {
		imap_bad(s, error);
		append_end(s);
		return;
	}
	if (r == 1) {
		if (!start_message(s, ac, &m))
			append_end(s);
		return;
	}
	s->on_line = NULL;
	if (ac->rc != STORE_OK)
		imap_tagged(s, "NO", "%s", rc_text(ac->rc));
	else if (!commit(s, ac))
		return;		/* committed() answers */
	append_end(s);
}

/* The arguments before the literal are bad. A synchronising literal is
 * never sent; a small non-synchronising one is read and dropped, so the
 * BAD reply lines up and the session goes on; a big one ends it. */
static void
discard_bad(struct imap_session *s, struct append_ctx *ac, const char *error)
{
	if (!s->cmd.literal_nonsync) {
		imap_bad(s, error);
		append_end(s);
		return;
	}
	if (s->cmd.literal_size > APPEND_MAX_DISCARD) {
		imap_session_bye(s, error, "bad APPEND");
		append_end(s);
		return;
	}
	ac->bad = error;
	ac->rc = STORE_REJECT;
	s->on_literal = literal_piece;
	s->on_line = append_line;
	conn_read_literal(s->conn, s->cmd.literal_size, APPEND_CHUNK);
}

static bool
begin(struct imap_session *s, struct append_ctx *ac, const char *wire)
{
	struct store_folder f;
	char *name = imap_mailbox_decode(wire);
	int rc = name != NULL ? store_folder_find(imap_store(s), s->user, name,
						  &f)
			      : STORE_NOTFOUND;

	if (rc == STORE_OK) {
		ac->folder_id = f.id;
		ac->uidvalidity = f.uidvalidity;
		store_folder_clear(&f);
		rc = store_batch_begin(imap_store(s), s->user, name,
				       &ac->batch);
	}
	free(name);
	ac->rc = rc;
	return rc == STORE_OK;
}

void
imap_append_start(struct imap_session *s)
{
	struct append_ctx *ac = xcalloc(1, sizeof(*ac));
	struct imap_append_msg m;
	const char *wire, *error;

	s->cmd_ctx = ac;
	s->on_abort = append_abort;
	if (imap_append_parse_prefix(&s->cmd, &wire, &m, &error) < 0) {
		discard_bad(s, ac, error);
		return;
	}
	begin(s, ac, wire);
	if (!start_message(s, ac, &m)) {
		append_end(s);
		return;
	}
	s->on_line = append_line;
}
