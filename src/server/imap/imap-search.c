/* SEARCH and UID SEARCH (RFC 3501 6.4.4), MODSEQ (RFC 7162), ESEARCH
 * results (RFC 4731). Keys that need no content are decided from the
 * index; the message is read only when the program needs it (header for
 * HEADER/FROM/.../SENT*, the whole message for BODY/TEXT). Matching text
 * is in imap-search-text.c. */

#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "mime/header.h"
#include "proto/imap/imap-seqset.h"
#include "proto/imap/imap-search.h"
#include "server/imap/imap-msg.h"
#include "server/imap/imap-session.h"
#include "store/store.h"

struct search_ctx {
	struct imap_session *s;
	struct imap_search srch;
	uint32_t *hits;
	size_t n, cap;
	uint64_t max_modseq;
	struct imap_msgdata md;
	bool have_md;
	bool failed;
};

static int
content_cb(const struct imap_search_key *key, void *ctx)
{
	struct search_ctx *sc = ctx;
	const char *msg = buf_cstr(&sc->md.data);
	size_t hlen = imap_msg_header_len(&sc->md);

	switch (key->type) {
	case IMAP_SK_HEADER:
		return imap_search_header(msg, hlen, key->str, key->value);
	case IMAP_SK_BODY:
		return imap_search_body(imap_msg_tree(&sc->md), msg,
					key->value);
	case IMAP_SK_TEXT:
		return imap_search_header(msg, hlen, NULL, key->value) ||
		       imap_search_body(imap_msg_tree(&sc->md), msg,
					key->value);
	default:
		return 0;
	}
}

/* ---- the Date: header (RFC 5322 3.3, with the obsolete zones) ---- */

static const char *
skip_cfws(const char *p)
{
	int depth = 0;

	for (;; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p != ' ' && *p != '\t' && *p != '\r' &&
			 *p != '\n' && depth == 0)
			return p;
		else if (*p == '\0')
			return p;
	}
}

static int
read_num(const char **pp, unsigned int maxdigits, int *r)
{
	const char *p = *pp;
	unsigned int n = 0;
	int v = 0;

	while (*p >= '0' && *p <= '9' && n < maxdigits) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0)
		return -1;
	*r = v;
	*pp = p;
	return 0;
}

static int
zone_minutes(const char *p, int *tz_r)
{
	static const struct { const char *name; int off; } zones[] = {
		{ "UT", 0 }, { "GMT", 0 }, { "Z", 0 }, { "EST", -300 },
		{ "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
		{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 },
		{ "PDT", -420 },
	};
	size_t i;
	int v;

	if ((*p == '+' || *p == '-') && p[1] != '\0') {
		const char *q = p + 1;
		if (read_num(&q, 4, &v) < 0 || q - p != 5)
			return -1;
		*tz_r = (v / 100 * 60 + v % 100) * (*p == '-' ? -1 : 1);
		return 0;
	}
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		size_t n = strlen(zones[i].name);

		if (str_ncasecmp(p, zones[i].name, n) == 0) {
			*tz_r = zones[i].off;
			return 0;
		}
	}
	*tz_r = 0;
	return 0;
}

static int
date_rfc5322(const char *p, time_t *t_r, int *tz_r)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	struct tm tm;
	int day, year, hh, mm, ss = 0, mon;
	const char *m;

	memset(&tm, 0, sizeof(tm));
	p = skip_cfws(p);
	if (strchr(p, ',') != NULL)
		p = skip_cfws(strchr(p, ',') + 1);
	if (read_num(&p, 2, &day) < 0)
		return -1;
	p = skip_cfws(p);
	if (strlen(p) < 3)
		return -1;
	for (mon = 0, m = months; mon < 12; mon++, m += 3)
		if (str_ncasecmp(p, m, 3) == 0)
			break;
	if (mon == 12)
		return -1;
	p = skip_cfws(p + 3);
	if (read_num(&p, 4, &year) < 0)
		return -1;
	if (year < 50)
		year += 2000;
	else if (year < 1000)
		year += 1900;
	p = skip_cfws(p);
	if (read_num(&p, 2, &hh) < 0 || *p++ != ':' || read_num(&p, 2, &mm) < 0)
		return -1;
	if (*p == ':' && (p++, read_num(&p, 2, &ss) < 0))
		return -1;
	if (zone_minutes(skip_cfws(p), tz_r) < 0)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	*t_r = timegm(&tm) - (time_t)*tz_r * 60;
	return 0;
}

/* ---- the walk ---- */

static void
split_keywords(const char *kw, char *copy, const char **arr, size_t max,
	       size_t *n_r)
{
	char *p = copy;
	size_t n = 0;

	memcpy(copy, kw, strlen(kw) + 1);
	while (*p != '\0' && n < max) {
		while (*p == ' ')
			*p++ = '\0';
		if (*p == '\0')
			break;
		arr[n++] = p;
		p += strcspn(p, " ");
	}
	*n_r = n;
}

static void
sent_date(struct search_ctx *sc, struct imap_search_msg *sm)
{
	char *date = header_field_get(buf_cstr(&sc->md.data),
				      imap_msg_header_len(&sc->md), "Date");

	if (date != NULL &&
	    date_rfc5322(date, &sm->sent_date, &sm->sent_tz) == 0)
		sm->sent_known = true;
	free(date);
}

static int
eval_msg(struct search_ctx *sc, const struct store_msg *m, uint32_t seq)
{
	struct imap_search_msg sm;
	const char *kws[128];
	char kwcopy[4096];
	int r;

	memset(&sm, 0, sizeof(sm));
	sm.seq = seq;
	sm.uid = m->uid;
	sm.flags = m->flags;
	if (m->keywords != NULL && strlen(m->keywords) < sizeof(kwcopy))
		split_keywords(m->keywords, kwcopy, kws, 128, &sm.nkeywords);
	sm.keywords = kws;
	sm.size = m->size;
	sm.internal_date = m->internal_date;
	sm.internal_tz = time_local_offset(m->internal_date);
	sm.modseq = m->modseq;
	r = imap_search_eval(&sc->srch, &sm, NULL, NULL);
	if (r >= 0)
		return r;
	if (imap_msg_read(m->path, sc->srch.need_body, &sc->md) < 0) {
		sc->failed = true;
		return 0;
	}
	sent_date(sc, &sm);
	r = imap_search_eval(&sc->srch, &sm, content_cb, sc);
	imap_msg_free(&sc->md);
	return r;
}

static int
search_cb(const struct store_msg *m, void *ctx)
{
	struct search_ctx *sc = ctx;
	uint32_t seq = imap_view_seq(&sc->s->view, m->uid);

	if (seq == 0 || eval_msg(sc, m, seq) != 1)
		return 0;
	if (sc->n == sc->cap) {
		sc->cap = sc->cap < 256 ? 256 : sc->cap * 2;
		sc->hits = xrealloc(sc->hits, sc->cap * sizeof(uint32_t));
	}
	sc->hits[sc->n++] = sc->s->cmd.uid ? m->uid : seq;
	if (m->modseq > sc->max_modseq)
		sc->max_modseq = m->modseq;
	return 0;
}

/* ---- results ---- */

static void
reply_esearch(struct search_ctx *sc, struct buf *out)
{
	unsigned int ret = sc->srch.ret != 0 ? sc->srch.ret
					     : IMAP_SEARCH_RET_ALL;

	buf_printf(out, "* ESEARCH (TAG \"%s\")", sc->s->cmd.tag);
	if (sc->s->cmd.uid)
		buf_append_str(out, " UID");
	if ((ret & IMAP_SEARCH_RET_MIN) && sc->n > 0)
		buf_printf(out, " MIN %u", sc->hits[0]);
	if ((ret & IMAP_SEARCH_RET_MAX) && sc->n > 0)
		buf_printf(out, " MAX %u", sc->hits[sc->n - 1]);
	if (ret & IMAP_SEARCH_RET_COUNT)
		buf_printf(out, " COUNT %zu", sc->n);
	if ((ret & IMAP_SEARCH_RET_ALL) && sc->n > 0) {
		buf_append_str(out, " ALL ");
		imap_seqset_format(sc->hits, sc->n, out);
	}
	if (sc->srch.has_modseq && sc->n > 0)
		buf_printf(out, " MODSEQ %llu",
			   (unsigned long long)sc->max_modseq);
}

static void
reply(struct search_ctx *sc)
{
	struct buf out;
	size_t i;

	buf_init(&out, SIZE_MAX / 2);
	if (sc->srch.esearch) {
		reply_esearch(sc, &out);
	} else {
		buf_append_str(&out, "* SEARCH");
		for (i = 0; i < sc->n; i++)
			buf_printf(&out, " %u", sc->hits[i]);
		if (sc->srch.has_modseq && sc->n > 0)
			buf_printf(&out, " (MODSEQ %llu)",
				   (unsigned long long)sc->max_modseq);
	}
	imap_printf(sc->s, "%s", buf_cstr(&out));
	buf_free(&out);
	if (sc->failed)
		imap_tagged(sc->s, "NO", "Some messages could not be read.");
	else
		imap_tagged(sc->s, "OK", "Search completed.");
}

bool
imap_handle_search(struct imap_session *s)
{
	struct search_ctx sc;
	const char *error;
	int r;

	memset(&sc, 0, sizeof(sc));
	sc.s = s;
	r = imap_search_parse(&s->cmd, s->cmd.args, s->cmd.nargs, &sc.srch,
			      &error);
	if (r == IMAP_SEARCH_BADCHARSET) {
		imap_tagged(s, "NO", "[BADCHARSET (UTF-8 US-ASCII)] "
			    "Unsupported charset.");
		return true;
	}
	if (r < 0 || imap_search_bind(&s->cmd, &sc.srch, s->view.count,
				      imap_view_last_uid(&s->view),
				      &error) < 0) {
		imap_bad(s, error);
		return true;
	}
	if (sc.srch.has_modseq)
		s->condstore = true;
	if (store_msg_list(imap_store(s), s->sel.folder_id, 1, search_cb,
			   &sc) != STORE_OK) {
		free(sc.hits);
		imap_tagged(s, "NO", "[SERVERBUG] Internal error.");
		return true;
	}
	reply(&sc);
	free(sc.hits);
	return true;
}
