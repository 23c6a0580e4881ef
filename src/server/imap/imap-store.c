/* STORE and UID STORE (RFC 3501 6.4.6), with UNCHANGEDSINCE and
 * [MODIFIED] (RFC 7162 3.1.3). */

#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "lib/xalloc.h"
#include "proto/imap/imap-args.h"
#include "proto/imap/imap-seqset.h"
#include "server/common/notify.h"
#include "server/imap/imap-msg.h"
#include "server/imap/imap-session.h"
#include "store/store.h"

#define ALL_FLAGS (STORE_F_SEEN | STORE_F_ANSWERED | STORE_F_FLAGGED | \
		   STORE_F_DELETED | STORE_F_DRAFT)

struct cur_msg {
	uint32_t uid;
	unsigned int flags;
	uint64_t modseq;
	char *keywords;
};

struct cur_ctx {
	const uint32_t *uids;
	size_t n, pos;
	struct cur_msg *msgs;
	size_t nmsgs;
};

static int
cur_cb(const struct store_msg *m, void *ctx)
{
	struct cur_ctx *cc = ctx;

	while (cc->pos < cc->n && cc->uids[cc->pos] < m->uid)
		cc->pos++;
	if (cc->pos >= cc->n)
		return 1;
	if (cc->uids[cc->pos] != m->uid)
		return 0;
	cc->msgs[cc->nmsgs].uid = m->uid;
	cc->msgs[cc->nmsgs].flags = m->flags;
	cc->msgs[cc->nmsgs].modseq = m->modseq;
	cc->msgs[cc->nmsgs].keywords = xstrdup(m->keywords != NULL
					       ? m->keywords : "");
	cc->nmsgs++;
	return 0;
}

static void
join_keywords(const struct imap_flag_list *fl, struct buf *out)
{
	size_t i;

	for (i = 0; i < fl->nkeywords; i++) {
		if (i > 0)
			buf_append_c(out, ' ');
		buf_append_str(out, fl->keywords[i]);
	}
}

static void
send_fetch(struct imap_session *s, uint32_t uid)
{
	struct store_msg m;
	struct buf out;

	if (store_msg_get(imap_store(s), s->sel.folder_id, uid, &m) !=
	    STORE_OK)
		return;
	buf_init(&out, SIZE_MAX / 2);
	buf_printf(&out, "* %u FETCH (FLAGS (", imap_view_seq(&s->view, uid));
	imap_flags_append(&out, m.flags, m.keywords);
	buf_append_c(&out, ')');
	if (s->cmd.uid || s->qresync)
		buf_printf(&out, " UID %u", uid);
	if (s->condstore)
		buf_printf(&out, " MODSEQ (%llu)",
			   (unsigned long long)m.modseq);
	buf_append_c(&out, ')');
	imap_printf(s, "%s", buf_cstr(&out));
	buf_free(&out);
	store_msg_clear(&m);
}

static void
reply(struct imap_session *s, int failed, uint32_t *modified, size_t nmod)
{
	struct buf set;
	size_t i;

	if (failed) {
		imap_tagged(s, "NO", "[SERVERBUG] Internal error.");
		return;
	}
	if (nmod == 0) {
		imap_tagged(s, "OK", "Store completed.");
		return;
	}
	if (!s->cmd.uid)
		for (i = 0; i < nmod; i++)
			modified[i] = imap_view_seq(&s->view, modified[i]);
	buf_init(&set, SIZE_MAX / 2);
	imap_seqset_format(modified, nmod, &set);
	imap_tagged(s, "OK", "[MODIFIED %s] Conditional store failed.",
		    buf_cstr(&set));
	buf_free(&set);
}

static void
store_all(struct imap_session *s, const struct imap_store_args *a,
	  struct cur_ctx *cc)
{
	struct store_flag_change ch;
	struct buf kw;
	uint32_t *modified = xcalloc(cc->nmsgs + 1, sizeof(uint32_t));
	uint32_t *changing = xcalloc(cc->nmsgs + 1, sizeof(uint32_t));
	uint64_t *old = xcalloc(cc->nmsgs + 1, sizeof(uint64_t));
	uint64_t *modseqs = xcalloc(cc->nmsgs + 1, sizeof(uint64_t));
	size_t i, nmod = 0, n = 0;
	int rc = STORE_OK, changed = 0;

	buf_init(&kw, 64 * 1024);
	join_keywords(&a->flags, &kw);
	if (a->mode != IMAP_STORE_REMOVE && kw.len > 0)
		imap_keywords_seen(s, buf_cstr(&kw));
	for (i = 0; i < cc->nmsgs; i++) {
		if (a->unchangedsince_set &&
		    cc->msgs[i].modseq > a->unchangedsince) {
			modified[nmod++] = cc->msgs[i].uid;
			continue;
		}
		old[n] = cc->msgs[i].modseq;
		changing[n++] = cc->msgs[i].uid;
	}
	memset(&ch, 0, sizeof(ch));
	if (a->mode == IMAP_STORE_REMOVE) {
		ch.del = a->flags.flags & ALL_FLAGS;
		ch.del_keywords = kw.len > 0 ? buf_cstr(&kw) : NULL;
	} else {
		ch.add = a->flags.flags & ALL_FLAGS;
		ch.add_keywords = kw.len > 0 ? buf_cstr(&kw) : NULL;
	}
	ch.replace = a->mode == IMAP_STORE_REPLACE;
	if (n > 0)
		rc = store_msg_set_flags_many(imap_store(s), s->sel.folder_id,
					      changing, n, &ch, modseqs);
	for (i = 0; rc == STORE_OK && i < n; i++) {
		bool did = modseqs[i] > old[i];
		if (did) {
			imap_view_own(&s->view, modseqs[i]);
			changed = 1;
		}
		if (modseqs[i] != 0 && (!a->silent ||
					(a->unchangedsince_set && did)))
			send_fetch(s, changing[i]);
	}
	if (changed)
		notify_changed(s->server->env.notify, s->sel.folder_id);
	reply(s, rc != STORE_OK, modified, nmod);
	free(modified);
	free(changing);
	free(old);
	free(modseqs);
	buf_free(&kw);
}

bool
imap_handle_store(struct imap_session *s)
{
	struct imap_store_args a;
	struct cur_ctx cc;
	uint32_t *uids;
	size_t n, i;
	const char *error;

	if (imap_store_parse(&s->cmd, &a, &error) < 0 ||
	    imap_resolve_set(s, a.seqset, s->cmd.uid, &uids, &n, &error) < 0) {
		imap_bad(s, error);
		return true;
	}
	if (s->sel.readonly) {
		free(uids);
		imap_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only.");
		return true;
	}
	if (a.unchangedsince_set)
		s->condstore = true;
	memset(&cc, 0, sizeof(cc));
	cc.uids = uids;
	cc.n = n;
	cc.msgs = xcalloc(n + 1, sizeof(*cc.msgs));
	if (n > 0)
		store_msg_list(imap_store(s), s->sel.folder_id, uids[0],
			       cur_cb, &cc);
	store_all(s, &a, &cc);
	for (i = 0; i < cc.nmsgs; i++)
		free(cc.msgs[i].keywords);
	free(cc.msgs);
	free(uids);
	return true;
}
