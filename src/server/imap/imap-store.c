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

/* Keywords of `cur` not in the new list (for a FLAGS replace). */
static void
dropped_keywords(const char *cur, const struct imap_flag_list *fl,
		 struct buf *out)
{
	while (*cur != '\0') {
		size_t n = strcspn(cur, " "), i;
		bool keep = false;

		for (i = 0; i < fl->nkeywords && !keep; i++)
			keep = strlen(fl->keywords[i]) == n &&
			       str_ncasecmp(fl->keywords[i], cur, n) == 0;
		if (!keep && n > 0) {
			if (out->len > 0)
				buf_append_c(out, ' ');
			buf_append(out, cur, n);
		}
		cur += n;
		while (*cur == ' ')
			cur++;
	}
}

static int
apply(struct imap_session *s, const struct imap_store_args *a,
      const struct cur_msg *m, const char *kw, uint64_t *modseq_r)
{
	unsigned int add = 0, del = 0;
	const char *add_kw = NULL, *del_kw = NULL;
	struct buf drop;
	int rc;

	buf_init(&drop, 64 * 1024);
	switch (a->mode) {
	case IMAP_STORE_ADD:
		add = a->flags.flags;
		add_kw = kw;
		break;
	case IMAP_STORE_REMOVE:
		del = a->flags.flags;
		del_kw = kw;
		break;
	case IMAP_STORE_REPLACE:
		add = a->flags.flags;
		del = ALL_FLAGS & ~a->flags.flags;
		add_kw = kw;
		dropped_keywords(m->keywords, &a->flags, &drop);
		del_kw = buf_cstr(&drop);
		break;
	}
	rc = store_msg_set_flags(imap_store(s), s->sel.folder_id, m->uid,
				 add & ALL_FLAGS, del & ALL_FLAGS,
				 add_kw != NULL && *add_kw ? add_kw : NULL,
				 del_kw != NULL && *del_kw ? del_kw : NULL,
				 modseq_r);
	buf_free(&drop);
	return rc;
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
	struct buf kw;
	uint32_t *modified = xcalloc(cc->nmsgs + 1, sizeof(uint32_t));
	size_t i, nmod = 0;
	int failed = 0, changed = 0;

	buf_init(&kw, 64 * 1024);
	join_keywords(&a->flags, &kw);
	for (i = 0; i < cc->nmsgs && !failed; i++) {
		const struct cur_msg *m = &cc->msgs[i];
		uint64_t modseq = 0;

		if (a->unchangedsince_set && m->modseq > a->unchangedsince) {
			modified[nmod++] = m->uid;
			continue;
		}
		if (apply(s, a, m, buf_cstr(&kw), &modseq) != STORE_OK) {
			failed = 1;
			break;
		}
		if (modseq > m->modseq) {
			imap_view_own(&s->view, modseq);
			changed = 1;
		}
		if (!a->silent || (a->unchangedsince_set && modseq > m->modseq))
			send_fetch(s, m->uid);
	}
	if (changed)
		notify_changed(s->server->env.notify, s->sel.folder_id);
	reply(s, failed, modified, nmod);
	free(modified);
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
