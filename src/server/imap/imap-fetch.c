/* FETCH and UID FETCH (RFC 3501 6.4.5, CHANGEDSINCE/VANISHED RFC 7162).
 *
 * The messages are walked with store_msg_list from the first wanted UID;
 * one response is built per message and queued. When the write queue goes
 * above its high-water mark the walk stops and resumes on CONN_DRAINED,
 * so a FETCH 1:* of a big folder never holds more than one message and
 * the conn's queue in memory. Implicit \Seen is set before the walk (the
 * store is not written to from inside a listing). */

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "proto/imap/imap-fetch-items.h"
#include "proto/imap/imap-seqset.h"
#include "server/common/notify.h"
#include "server/imap/imap-envcache.h"
#include "server/imap/imap-msg.h"
#include "server/imap/imap-session.h"
#include "store/store.h"

struct fetch_ctx {
	struct imap_fetch_args fa;
	uint32_t *uids;		/* wanted, ascending */
	size_t n, pos;
	uint32_t *seen;		/* UIDs that got \Seen now, ascending */
	size_t nseen;
	bool want_flags;	/* FLAGS asked for */
	bool want_modseq;	/* MODSEQ asked for */
	bool stopped;		/* write queue full: resume when drained */
	bool failed;		/* a message could not be read */
	bool unknown_cte;	/* BINARY of a part we cannot decode */
	int stream_item;	/* item sent from the file, -1: none */
	bool read_body;		/* other items need the whole message */
	bool read_header;	/* ... or its header */
	bool streaming;		/* a message body is being streamed */
	struct imap_stream stream;
	struct buf out;		/* one message's response */
	bool want_env;		/* ENVELOPE asked for */
	bool other_header;	/* a header item other than ENVELOPE */
	const char *env;	/* this message's cached ENVELOPE, or NULL */
	size_t envlen;
};

static bool
u32_in(const uint32_t *a, size_t n, uint32_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] == key)
			return true;
		if (a[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* ---- one message ---- */

static void
simple_item(struct imap_session *s, const struct imap_fetch_item *it,
	    const struct store_msg *m, struct buf *out)
{
	(void)s;
	switch (it->type) {
	case IMAP_FETCH_FLAGS:
		buf_append_str(out, "FLAGS (");
		imap_flags_append(out, m->flags, m->keywords);
		buf_append_c(out, ')');
		break;
	case IMAP_FETCH_INTERNALDATE:
		buf_append_str(out, "INTERNALDATE \"");
		time_format_internaldate(m->internal_date,
					 time_local_offset(m->internal_date),
					 out);
		buf_append_c(out, '"');
		break;
	case IMAP_FETCH_RFC822_SIZE:
		buf_printf(out, "RFC822.SIZE %llu",
			   (unsigned long long)m->size);
		break;
	case IMAP_FETCH_UID:
		buf_printf(out, "UID %u", m->uid);
		break;
	case IMAP_FETCH_MODSEQ:
		buf_printf(out, "MODSEQ (%llu)", (unsigned long long)m->modseq);
		break;
	default:
		break;
	}
}

static bool
needs_message(enum imap_fetch_type t)
{
	return t != IMAP_FETCH_FLAGS && t != IMAP_FETCH_INTERNALDATE &&
	       t != IMAP_FETCH_RFC822_SIZE && t != IMAP_FETCH_UID &&
	       t != IMAP_FETCH_MODSEQ;
}

static bool
whole_message(const struct imap_fetch_item *it)
{
	return it->type == IMAP_FETCH_RFC822 ||
	       (it->type == IMAP_FETCH_BODY_SECTION && it->nparts == 0 &&
		it->spec == IMAP_SECTION_ALL);
}

static bool
header_only(const struct imap_fetch_item *it)
{
	return it->type == IMAP_FETCH_ENVELOPE ||
	       it->type == IMAP_FETCH_RFC822_HEADER ||
	       (it->type == IMAP_FETCH_BODY_SECTION && it->nparts == 0 &&
		(it->spec == IMAP_SECTION_HEADER ||
		 it->spec == IMAP_SECTION_HEADER_FIELDS ||
		 it->spec == IMAP_SECTION_HEADER_FIELDS_NOT));
}

/* Which item (if any) streams from the file, and what the others read. */
static void
plan(struct fetch_ctx *fc)
{
	const struct imap_fetch_items *items = &fc->fa.items;
	size_t i;

	fc->stream_item = -1;
	for (i = 0; i < items->count; i++) {
		const struct imap_fetch_item *it = &items->items[i];
		if (!needs_message(it->type))
			continue;
		if (whole_message(it) && fc->stream_item < 0)
			fc->stream_item = (int)i;
		else if (header_only(it))
			fc->read_header = true;
		else
			fc->read_body = true;
		if (it->type == IMAP_FETCH_ENVELOPE)
			fc->want_env = true;
		else if (header_only(it))
			fc->other_header = true;
	}
}

/* ENVELOPE from the server's cache, or made from the header and kept. */
static void
envelope(struct imap_session *s, struct fetch_ctx *fc,
	 const struct store_msg *m, struct imap_msgdata *md, struct buf *out)
{
	static const struct imap_fetch_item env_item = {
		.type = IMAP_FETCH_ENVELOPE, .name = "ENVELOPE" };
	size_t start = out->len + strlen("ENVELOPE ");

	if (fc->env != NULL) {
		buf_append_str(out, "ENVELOPE ");
		buf_append(out, fc->env, fc->envlen);
		return;
	}
	if (imap_fetch_body_item(s, &env_item, md, out) == 0 &&
	    out->len > start)
		imap_envcache_put(s->server->envcache, s->sel.folder_id,
				  s->sel.uidvalidity, m->uid, m->psize,
				  out->data + start, out->len - start);
}

/* A space before every item but the first. `out` may have been flushed
 * to the conn by a big literal, so its length says nothing. */
static void
sep(struct buf *out, bool *any)
{
	if (*any)
		buf_append_c(out, ' ');
	*any = true;
}

static int
build_items(struct imap_session *s, struct fetch_ctx *fc,
	    const struct store_msg *m, struct imap_msgdata *md,
	    struct buf *out, bool *any)
{
	const struct imap_fetch_items *items = &fc->fa.items;
	size_t i;
	int r;

	/* UID first, as Dovecot does (UID FETCH adds it at the end) */
	for (i = 0; i < items->count; i++) {
		if (items->items[i].type == IMAP_FETCH_UID) {
			sep(out, any);
			buf_printf(out, "UID %u", m->uid);
			break;
		}
	}
	for (i = 0; i < items->count; i++) {
		const struct imap_fetch_item *it = &items->items[i];
		if (it->type == IMAP_FETCH_UID || (int)i == fc->stream_item)
			continue;
		sep(out, any);
		if (!needs_message(it->type)) {
			simple_item(s, it, m, out);
			continue;
		}
		if (it->type == IMAP_FETCH_ENVELOPE) {
			envelope(s, fc, m, md, out);
			continue;
		}
		r = imap_fetch_body_item(s, it, md, out);
		if (r == IMAP_FETCH_UNKNOWN_CTE)
			fc->unknown_cte = true;
		else if (r < 0)
			return -1;
	}
	if (!fc->want_flags && u32_in(fc->seen, fc->nseen, m->uid)) {
		sep(out, any);
		buf_append_str(out, "FLAGS (");
		imap_flags_append(out, m->flags, m->keywords);
		buf_append_c(out, ')');
	}
	if (fc->fa.modseq && !fc->want_modseq) {
		sep(out, any);
		buf_printf(out, "MODSEQ (%llu)",
			   (unsigned long long)m->modseq);
	}
	return 0;
}

/* The streamed item's name and literal prefix; opens the file. 1 when
 * there are bytes to stream, 0 when not, -1 when the file is gone. */
static int
stream_start(struct fetch_ctx *fc, const struct store_msg *m,
	     struct buf *out, bool *any)
{
	const struct imap_fetch_item *it = &fc->fa.items.items[fc->stream_item];
	uint64_t off = 0, len = m->size;

	if (it->partial) {
		off = it->origin < m->size ? it->origin : m->size;
		len = m->size - off < it->length ? m->size - off : it->length;
	}
	sep(out, any);
	buf_append_str(out, it->name);
	if (len == 0) {
		buf_append_str(out, " \"\"");
		return 0;
	}
	if (imap_stream_open(&fc->stream, m->path, off, len) < 0)
		return -1;
	buf_printf(out, " {%llu}\r\n", (unsigned long long)len);
	return 1;
}

/* Queues one message's response; 1 when the queue is now full. */
static int
fetch_one(struct imap_session *s, struct fetch_ctx *fc,
	  const struct store_msg *m)
{
	struct imap_msgdata md;
	struct buf *out = &fc->out;	/* reused: no allocation per message */
	bool have = false, any = false;
	int rc = 0, st = 0;

	memset(&md, 0, sizeof(md));
	fc->env = fc->want_env
		  ? imap_envcache_get(s->server->envcache, s->sel.folder_id,
				      s->sel.uidvalidity, m->uid, m->psize,
				      &fc->envlen)
		  : NULL;
	if (fc->read_body ||
	    (fc->read_header && (fc->env == NULL || fc->other_header))) {
		if (imap_msg_read(m->path, fc->read_body, &md) < 0) {
			fc->failed = true;
			return 0;
		}
		have = true;
	}
	buf_reset(out);
	buf_printf(out, "* %u FETCH (", imap_view_seq(&s->view, m->uid));
	/* Once begun (and maybe partly sent) a response is always ended. */
	if (build_items(s, fc, m, &md, out, &any) < 0 ||
	    (fc->stream_item >= 0 &&
	     (st = stream_start(fc, m, out, &any)) < 0))
		fc->failed = true;
	if (st == 1) {
		imap_write(s, out->data, out->len);
		if (imap_stream_run(s, &fc->stream) == 0) {
			fc->streaming = true;
			rc = 1;
		} else {
			rc = imap_write(s, ")\r\n", 3) == 1 ? 1 : 0;
		}
	} else {
		buf_append_str(out, ")\r\n");
		rc = imap_write(s, out->data, out->len) == 1 ? 1 : 0;
	}
	if (have)
		imap_msg_free(&md);
	return rc;
}

/* ---- the walk ---- */

static int
fetch_cb(const struct store_msg *m, void *ctx)
{
	struct imap_session *s = ctx;
	struct fetch_ctx *fc = s->cmd_ctx;

	while (fc->pos < fc->n && fc->uids[fc->pos] < m->uid)
		fc->pos++;		/* expunged meanwhile: skip */
	if (fc->pos >= fc->n)
		return 1;
	if (fc->uids[fc->pos] != m->uid)
		return 0;
	fc->pos++;
	if (imap_view_seq(&s->view, m->uid) == 0)
		return 0;
	if (fc->fa.changedsince_set && m->modseq <= fc->fa.changedsince)
		return 0;
	if (fetch_one(s, fc, m) == 1) {
		fc->stopped = true;
		return 1;
	}
	return fc->pos >= fc->n;
}

static void
fetch_free(struct imap_session *s)
{
	struct fetch_ctx *fc = s->cmd_ctx;

	if (fc == NULL)
		return;
	if (fc->streaming)
		imap_stream_close(&fc->stream);
	free(fc->uids);
	free(fc->seen);
	buf_free(&fc->out);
	free(fc);
	s->cmd_ctx = NULL;
}

static void fetch_drained(struct imap_session *s);

/* true when the command has finished (tagged reply queued). */
static bool
fetch_run(struct imap_session *s)
{
	struct fetch_ctx *fc = s->cmd_ctx;
	int rc = STORE_OK;

	while (fc->pos < fc->n && rc == STORE_OK) {
		fc->stopped = false;
		rc = store_msg_list(imap_store(s), s->sel.folder_id,
				    fc->uids[fc->pos], fetch_cb, s);
		if (fc->stopped) {
			s->on_drained = fetch_drained;
			return false;
		}
		if (rc == STORE_OK)
			break;	/* the listing ended: the rest is gone */
	}
	if (fc->nseen > 0)
		notify_changed(s->server->env.notify, s->sel.folder_id);
	if (rc != STORE_OK)
		imap_tagged(s, "NO", "[SERVERBUG] Internal error.");
	else if (fc->unknown_cte)
		imap_tagged(s, "NO", "[UNKNOWN-CTE] Unknown "
			    "Content-Transfer-Encoding.");
	else if (fc->failed)
		imap_tagged(s, "NO", "Some messages could not be FETCHed.");
	else
		imap_tagged(s, "OK", "Fetch completed.");
	fetch_free(s);
	return true;
}

static void
fetch_drained(struct imap_session *s)
{
	struct fetch_ctx *fc = s->cmd_ctx;

	if (fc->streaming) {
		if (imap_stream_run(s, &fc->stream) == 0)
			return;		/* wait for the next CONN_DRAINED */
		fc->streaming = false;
		if (imap_write(s, ")\r\n", 3) == 1)
			return;
	}
	s->on_drained = NULL;
	if (fetch_run(s))
		imap_cmd_done(s);
}

/* ---- implicit \Seen, VANISHED ---- */

struct seen_ctx {
	struct fetch_ctx *fc;
	size_t pos, cap;
};

static int
unseen_cb(const struct store_msg *m, void *ctx)
{
	struct seen_ctx *sc = ctx;
	struct fetch_ctx *fc = sc->fc;

	while (sc->pos < fc->n && fc->uids[sc->pos] < m->uid)
		sc->pos++;
	if (sc->pos >= fc->n)
		return 1;
	if (fc->uids[sc->pos] != m->uid || (m->flags & STORE_F_SEEN))
		return 0;
	if (fc->nseen == sc->cap) {
		sc->cap = sc->cap < 64 ? 64 : sc->cap * 2;
		fc->seen = xrealloc(fc->seen, sc->cap * sizeof(uint32_t));
	}
	fc->seen[fc->nseen++] = m->uid;
	return 0;
}

static void
set_seen(struct imap_session *s, struct fetch_ctx *fc)
{
	struct seen_ctx sc = { fc, 0, 0 };
	size_t i;

	if (fc->n == 0 ||
	    store_msg_list(imap_store(s), s->sel.folder_id, fc->uids[0],
			   unseen_cb, &sc) != STORE_OK)
		return;
	if (fc->nseen > 0) {
		struct store_flag_change ch = { STORE_F_SEEN, 0, NULL, NULL,
						0 };
		uint64_t *modseqs = xcalloc(fc->nseen, sizeof(uint64_t));

		if (store_msg_set_flags_many(imap_store(s), s->sel.folder_id,
					     fc->seen, fc->nseen, &ch,
					     modseqs) == STORE_OK)
			for (i = 0; i < fc->nseen; i++)
				if (modseqs[i] != 0)
					imap_view_own(&s->view, modseqs[i]);
		free(modseqs);
	}
}

struct vanished_ctx {
	const struct imap_range *r;
	size_t nr;
	const struct imap_view *view;
	uint32_t *uids;
	size_t n, cap;
};

static int
vanished_cb(const struct store_change *c, void *ctx)
{
	struct vanished_ctx *v = ctx;

	if ((c->kind != STORE_CHANGE_EXPUNGE && c->kind != STORE_CHANGE_LOST) ||
	    !imap_seqset_contains(v->r, v->nr, c->uid) ||
	    imap_view_seq(v->view, c->uid) != 0)
		return 0;
	if (v->n == v->cap) {
		v->cap = v->cap < 64 ? 64 : v->cap * 2;
		v->uids = xrealloc(v->uids, v->cap * sizeof(uint32_t));
	}
	v->uids[v->n++] = c->uid;
	return 0;
}

static void
send_vanished(struct imap_session *s, const struct fetch_ctx *fc)
{
	struct vanished_ctx v;
	struct imap_range *r;
	const char *err;
	struct buf out;

	memset(&v, 0, sizeof(v));
	if (imap_seqset_parse(fc->fa.seqset, UINT32_MAX, 1000000, &r, &v.nr,
			      &err) < 0)
		return;
	v.r = r;
	v.view = &s->view;
	store_changes_since(imap_store(s), s->sel.folder_id,
			    fc->fa.changedsince, vanished_cb, &v);
	if (v.n > 0) {
		buf_init(&out, SIZE_MAX / 2);
		imap_seqset_format(v.uids, v.n, &out);
		imap_printf(s, "* VANISHED (EARLIER) %s", buf_cstr(&out));
		buf_free(&out);
	}
	free(v.uids);
	free(r);
}

/* ---- the command ---- */

static void
note_wanted(struct fetch_ctx *fc)
{
	size_t i;

	for (i = 0; i < fc->fa.items.count; i++) {
		enum imap_fetch_type t = fc->fa.items.items[i].type;
		if (t == IMAP_FETCH_FLAGS)
			fc->want_flags = true;
		if (t == IMAP_FETCH_MODSEQ)
			fc->want_modseq = true;
	}
}

bool
imap_handle_fetch(struct imap_session *s)
{
	struct fetch_ctx *fc = xcalloc(1, sizeof(*fc));
	const char *error;

	buf_init(&fc->out, SIZE_MAX / 2);
	s->cmd_ctx = fc;
	s->on_abort = fetch_free;
	if (imap_fetch_parse(&s->cmd, &fc->fa, &error) < 0 ||
	    (fc->fa.vanished && !s->qresync &&
	     (error = "QRESYNC isn't enabled.")) ||
	    imap_resolve_set(s, fc->fa.seqset, s->cmd.uid, &fc->uids, &fc->n,
			     &error) < 0) {
		fetch_free(s);
		imap_bad(s, error);
		return true;
	}
	if (fc->fa.changedsince_set || fc->fa.modseq)
		s->condstore = true;
	note_wanted(fc);
	plan(fc);
	if (fc->fa.vanished)
		send_vanished(s, fc);
	if (fc->fa.items.sets_seen && !s->sel.readonly)
		set_seen(s, fc);
	return fetch_run(s);
}
