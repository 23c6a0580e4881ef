/* LIST and LSUB (RFC 3501 6.3.8-9, SPECIAL-USE RFC 6154, the basic
 * selection/return options of RFC 5258 and LIST-STATUS RFC 5819).
 * Hierarchy separator '/'. Parents that have no folder of their own are
 * listed as \Noselect (Maildir++ lets "a/b" exist without "a"). */

#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "lib/xalloc.h"
#include "proto/imap/imap-args.h"
#include "server/imap/imap-match.h"
#include "server/imap/imap-session.h"
#include "store/store.h"

#define LIST_PATTERN_MAX 1024	/* longer patterns match nothing */

struct list_entry {
	char *name;
	char *special_use;	/* NULL when none */
	bool exists;		/* a folder row (else an implied parent) */
	bool subscribed;
	bool sub_child;		/* a subscribed folder lies below */
	bool children;
	bool done;		/* already listed for an earlier pattern */
};

struct list_set {
	struct list_entry *e;
	size_t n, cap;
};

static int
entry_cmp(const void *a, const void *b)
{
	const struct list_entry *x = a, *y = b;
	bool xi = strcmp(x->name, "INBOX") == 0;
	bool yi = strcmp(y->name, "INBOX") == 0;

	if (xi != yi)
		return xi ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct list_entry *)a)->name,
		      ((const struct list_entry *)b)->name);
}

/* Appends; duplicates (a parent named by several children, a parent that
 * is also a folder) are merged by merge_dups(), so thousands of folders
 * cost n log n, not n squared. */
static struct list_entry *
entry_add(struct list_set *ls, const char *name, size_t len)
{
	if (ls->n == ls->cap) {
		ls->cap = ls->cap < 16 ? 16 : ls->cap * 2;
		ls->e = xrealloc(ls->e, ls->cap * sizeof(*ls->e));
	}
	memset(&ls->e[ls->n], 0, sizeof(ls->e[0]));
	ls->e[ls->n].name = xstrndup(name, len);
	return &ls->e[ls->n++];
}

static int
folder_cb(const struct store_folder *f, void *ctx)
{
	struct list_set *ls = ctx;
	struct list_entry *e = entry_add(ls, f->name, strlen(f->name));
	const char *p;

	e->exists = true;
	e->subscribed = f->subscribed != 0;
	if (f->special_use != NULL)
		e->special_use = xstrdup(f->special_use);
	for (p = strchr(f->name, '/'); p != NULL; p = strchr(p + 1, '/')) {
		struct list_entry *parent = entry_add(ls, f->name,
						      (size_t)(p - f->name));
		parent->children = true;
		if (f->subscribed)
			parent->sub_child = true;
	}
	return 0;
}

static void
merge_dups(struct list_set *ls)
{
	size_t i, k = 0;

	if (ls->n > 1)		/* qsort(NULL, 0) is undefined */
		qsort(ls->e, ls->n, sizeof(ls->e[0]), name_cmp);
	for (i = 0; i < ls->n; i++) {
		struct list_entry *e = &ls->e[i], *m;
		if (k == 0 || strcmp(ls->e[k - 1].name, e->name) != 0) {
			ls->e[k++] = *e;
			continue;
		}
		m = &ls->e[k - 1];
		m->exists = m->exists || e->exists;
		m->subscribed = m->subscribed || e->subscribed;
		m->sub_child = m->sub_child || e->sub_child;
		m->children = m->children || e->children;
		if (m->special_use == NULL) {
			m->special_use = e->special_use;
			e->special_use = NULL;
		}
		free(e->name);
		free(e->special_use);
	}
	ls->n = k;
	if (ls->n > 1)
		qsort(ls->e, ls->n, sizeof(ls->e[0]), entry_cmp);
}

static void
list_set_free(struct list_set *ls)
{
	size_t i;

	for (i = 0; i < ls->n; i++) {
		free(ls->e[i].name);
		free(ls->e[i].special_use);
	}
	free(ls->e);
}

struct list_req {
	bool lsub;
	unsigned int select, ret, status_items;
	bool extended;		/* RFC 5258 form: \NonExistent, CHILDINFO */
};

enum emit_kind {
	EMIT_NORMAL,
	EMIT_NOSELECT,		/* LSUB: a parent of a subscribed folder */
	EMIT_CHILDINFO,		/* RECURSIVEMATCH: a child is subscribed */
};

static void
emit(struct imap_session *s, const struct list_req *rq,
     const struct list_entry *e, enum emit_kind kind)
{
	struct buf out;
	size_t start;

	buf_init(&out, 64 * 1024);
	buf_printf(&out, "* %s (", rq->lsub ? "LSUB" : "LIST");
	start = out.len;
#define ATTR(a) do { if (out.len > start) buf_append_c(&out, ' '); \
		     buf_append_str(&out, a); } while (0)
	if (!e->exists && rq->extended)
		ATTR("\\NonExistent");
	else if (kind == EMIT_NOSELECT || !e->exists)
		ATTR("\\Noselect");
	if (!rq->lsub)
		ATTR(e->children ? "\\HasChildren" : "\\HasNoChildren");
	if ((rq->ret & IMAP_LIST_RET_SUBSCRIBED) && e->subscribed)
		ATTR("\\Subscribed");
	if (e->special_use != NULL)	/* in LSUB too, as Dovecot */
		ATTR(e->special_use);
#undef ATTR
	buf_append_str(&out, ") \"/\" ");
	imap_mailbox_append(&out, e->name);
	if (kind == EMIT_CHILDINFO)
		buf_append_str(&out, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	imap_printf(s, "%s", buf_cstr(&out));
	if ((rq->ret & IMAP_LIST_RET_STATUS) && e->exists) {
		buf_reset(&out);
		buf_append_str(&out, "* STATUS ");
		if (imap_status_append(s, e->name, rq->status_items, &out) == 0)
			imap_printf(s, "%s", buf_cstr(&out));
	}
	buf_free(&out);
}

static void
list_pattern(struct imap_session *s, const struct list_req *rq,
	     struct list_set *ls, const char *pattern)
{
	bool pct = strchr(pattern, '%') != NULL;
	size_t i;

	for (i = 0; i < ls->n; i++) {
		struct list_entry *e = &ls->e[i];
		bool sub_only = rq->lsub ||
				(rq->select & IMAP_LIST_SEL_SUBSCRIBED);

		if (e->done || !imap_list_match(pattern, e->name))
			continue;
		if ((rq->select & IMAP_LIST_SEL_SPECIAL_USE) &&
		    e->special_use == NULL)
			continue;
		if (sub_only && !e->subscribed) {
			enum emit_kind k = rq->lsub ? EMIT_NOSELECT
						    : EMIT_CHILDINFO;
			/* LSUB: a parent of a subscribed folder matched by
			 * '%'; LIST: only with RECURSIVEMATCH (RFC 5258) */
			if (!e->sub_child || (rq->lsub && !pct) ||
			    (!rq->lsub && !(rq->select &
					    IMAP_LIST_SEL_RECURSIVEMATCH)))
				continue;
			e->done = true;
			emit(s, rq, e, k);
			continue;
		}
		e->done = true;
		emit(s, rq, e, EMIT_NORMAL);
	}
}

static char *
full_pattern(const char *ref, const char *pat)
{
	struct buf b;
	char *r;

	buf_init(&b, 16 * 1024);
	if (pat[0] != '/' || ref[0] == '\0')
		buf_append_str(&b, ref);
	buf_append_str(&b, pat);
	r = imap_mailbox_decode(buf_cstr(&b));
	buf_free(&b);
	return r;
}

static bool
do_list(struct imap_session *s, struct list_req *rq)
{
	struct imap_list_args a;
	struct list_set ls = { NULL, 0, 0 };
	const char *error;
	size_t i;

	if (imap_list_parse(&s->cmd, &a, &error) < 0) {
		imap_bad(s, error);
		return true;
	}
	rq->select = a.select;
	rq->ret = a.ret;
	rq->extended = a.extended;
	rq->status_items = a.status_items;
	if (a.select & IMAP_LIST_SEL_SUBSCRIBED)
		rq->ret |= IMAP_LIST_RET_SUBSCRIBED;
	if (!rq->lsub && a.npatterns == 1 && a.patterns[0][0] == '\0') {
		imap_printf(s, "* LIST (\\Noselect) \"/\" \"\"");
		imap_tagged(s, "OK", "List completed.");
		return true;
	}
	if (store_folder_list(imap_store(s), s->user, folder_cb, &ls) != 0) {
		list_set_free(&ls);
		imap_tagged(s, "NO", "[SERVERBUG] Internal error.");
		return true;
	}
	merge_dups(&ls);
	for (i = 0; i < a.npatterns; i++) {
		char *p = full_pattern(a.reference, a.patterns[i]);
		if (p != NULL && strlen(p) <= LIST_PATTERN_MAX)
			list_pattern(s, rq, &ls, p);
		free(p);
	}
	list_set_free(&ls);
	imap_tagged(s, "OK", "%s completed.", rq->lsub ? "Lsub" : "List");
	return true;
}

bool
imap_handle_list(struct imap_session *s)
{
	struct list_req rq = { false, 0, 0, 0, false };

	return do_list(s, &rq);
}

bool
imap_handle_lsub(struct imap_session *s)
{
	struct list_req rq = { true, 0, 0, 0, false };

	return do_list(s, &rq);
}
