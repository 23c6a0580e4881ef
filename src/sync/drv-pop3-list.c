/* The POP3 driver's listings: STAT for open_folder; LIST and UIDL,
 * pipelined, for list_msgs; then TOP per message for the Message-ID or,
 * on a server without UIDL, a header fingerprint as the id. Ids that
 * could stand for two messages fail the folder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mime/header.h"
#include "sync/drv-pop3-private.h"

#define TOP_HEADER_MAX (64 * 1024)

/* ---- open_folder ---- */

static void
stat_done(struct pop3c *pc, const struct pop3c_reply *r, uint32_t count,
	  uint64_t size, void *ctx)
{
	struct op *op = ctx;

	op->info.count = count;
	drv_pop3_finish(op->m, op, drv_pop3_status(r, DRV_BOX_BAD), "STAT: %s",
			pop3c_error(pc));
	drv_pop3_drain(op->m);
}

void
drv_pop3_stat(struct pop3_mbox *m, struct op *op)
{
	pop3c_stat(m->pc, stat_done, op);
}

/* ---- list_msgs ---- */

void
drv_pop3_listing_free(struct pop3_mbox *m)
{
	size_t i;

	for (i = 0; i < m->nmsgs; i++) {
		free(m->ids[i]);
		free(m->mids[i]);
	}
	free(m->ids);
	free(m->mids);
	free(m->msgs);
	m->ids = m->mids = NULL;
	m->msgs = NULL;
	m->nmsgs = 0;
}

static void
list_done(struct pop3c *pc, const struct pop3c_reply *r,
	  const struct pop3c_size *l, size_t n, void *ctx)
{
	struct op *op = ctx;
	struct pop3_mbox *m = op->m;
	size_t i;

	drv_pop3_listing_free(m);
	if (r->result != POP3C_OK) {
		drv_pop3_finish(m, op, drv_pop3_status(r, DRV_BOX_BAD), "%s",
				pop3c_error(pc));
		return;
	}
	m->msgs = xcalloc(n + 1, sizeof(*m->msgs));
	m->ids = xcalloc(n + 1, sizeof(*m->ids));
	m->mids = xcalloc(n + 1, sizeof(*m->mids));
	m->nmsgs = n;
	for (i = 0; i < n; i++) {
		m->msgs[i].seq = l[i].msgno;
		m->msgs[i].size = l[i].size;
	}
}

static struct drv_msg *
msg_by_seq(struct pop3_mbox *m, uint32_t seq, size_t *idx_r)
{
	size_t lo = 0, hi = m->nmsgs, mid;

	while (lo < hi) {	/* the listing is sorted by number */
		mid = lo + (hi - lo) / 2;
		if (m->msgs[mid].seq == seq) {
			*idx_r = mid;
			return &m->msgs[mid];
		}
		if (m->msgs[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
apply_uidls(struct pop3_mbox *m, struct op *op, const struct pop3c_uid *l,
	    size_t n)
{
	size_t i, idx;

	for (i = 0; i < n; i++) {
		if (msg_by_seq(m, l[i].msgno, &idx) == NULL)
			continue;	/* deleted meanwhile, or bogus */
		m->ids[idx] = xstrdup(l[i].uidl);
		m->msgs[idx].id = m->ids[idx];
	}
	for (i = 0; i < m->nmsgs; i++) {
		if (m->ids[i] == NULL) {
			drv_pop3_finish(m, op, DRV_BOX_BAD, "UIDL: message "
					"%u has no unique id",
					m->msgs[i].seq);
			return -1;
		}
	}
	return 0;
}

static void issue_tops(struct pop3_mbox *m, struct op *op);

static void
uidl_done(struct pop3c *pc, const struct pop3c_reply *r,
	  const struct pop3c_uid *l, size_t n, void *ctx)
{
	struct op *op = ctx;
	struct pop3_mbox *m = op->m;

	if (op->finished) {		/* LIST failed */
	} else if (r->result == POP3C_ERR) {
		op->no_uidl = true;
		slog_warn(m->set.session, "pop3: server lacks UIDL (%s); "
			  "identifying messages by a header fingerprint",
			  r->text);
	} else if (r->result != POP3C_OK) {
		/* Duplicate UIDLs: give up on the folder, so nothing that
		 * could be two messages is ever deleted as one. */
		drv_pop3_finish(m, op, drv_pop3_status(r, DRV_BOX_BAD), "%s",
				pop3c_error(pc));
	} else {
		(void)apply_uidls(m, op, l, n);
	}
	if (!op->finished && (op->want_mid || op->no_uidl) &&
	    m->nmsgs > 0) {
		issue_tops(m, op);
		return;
	}
	if (!op->finished)
		drv_pop3_finish(m, op, DRV_OK, NULL);
	m->blocked = false;
	drv_pop3_issue_ops(m);
	drv_pop3_drain(m);
}

static int
top_data(struct pop3c *pc, const char *data, size_t len, void *ctx)
{
	struct op *op = ctx;

	/* Past the cap the header is cut: the fields we need come first in
	 * practice, and an id must never cost unbounded memory. */
	(void)buf_append(&op->hdr, data, len);
	return 0;
}

/* "fp:" + SHA-256 of From, Date, Subject, Message-ID and the size. */
static char *
header_fp(const struct buf *hdr, uint64_t size)
{
	static const char *const names[] = { "From", "Date", "Subject",
					     "Message-ID" };
	crypto_hash_sha256_state st;
	unsigned char md[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1], num[32], *v;
	size_t i;

	crypto_hash_sha256_init(&st);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		v = header_field_get(buf_cstr(hdr), hdr->len, names[i]);
		if (v != NULL)
			crypto_hash_sha256_update(&st, (unsigned char *)v,
						  strlen(v));
		crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
		free(v);
	}
	snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
	crypto_hash_sha256_update(&st, (unsigned char *)num, strlen(num));
	crypto_hash_sha256_final(&st, md);
	sodium_bin2hex(hex, sizeof(hex), md, sizeof(md));
	return xasprintf("fp:%s", hex);
}

static void
top_result(struct pop3_mbox *m, struct op *op, size_t idx,
	   const struct pop3c_reply *r)
{
	char *v;

	if (r->result != POP3C_OK) {
		if (!op->no_uidl && r->result != POP3C_FAILED)
			return;		/* just no Message-ID */
		if (op->worst != DRV_ACCOUNT_BAD)
			op->worst = drv_pop3_status(r, DRV_BOX_BAD);
		buf_reset(&m->error);
		buf_printf(&m->error, "no UIDL, and %s", pop3c_error(m->pc));
		return;
	}
	v = header_field_get(buf_cstr(&op->hdr), op->hdr.len, "Message-ID");
	m->mids[idx] = header_message_id(v);
	m->msgs[idx].message_id = m->mids[idx];
	free(v);
	if (op->no_uidl) {
		m->ids[idx] = header_fp(&op->hdr, m->msgs[idx].size);
		m->msgs[idx].id = m->ids[idx];
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Two messages with one fingerprint cannot be told apart: refuse. */
static bool
fp_collision(struct pop3_mbox *m)
{
	char **v = xcalloc(m->nmsgs, sizeof(*v));
	bool dup = false;
	size_t i;

	memcpy(v, m->ids, m->nmsgs * sizeof(*v));
	qsort(v, m->nmsgs, sizeof(*v), cmp_str);
	for (i = 1; i < m->nmsgs && !dup; i++)
		dup = strcmp(v[i - 1], v[i]) == 0;
	if (dup) {
		buf_reset(&m->error);
		buf_printf(&m->error, "no UIDL, and two messages have the "
			   "same header fingerprint %s", v[i - 1]);
	}
	free(v);
	return dup;
}

static void
top_done(struct pop3c *pc, const struct pop3c_reply *r, void *ctx)
{
	struct op *op = ctx;
	struct pop3_mbox *m = op->m;

	top_result(m, op, op->top_next++, r);
	buf_reset(&op->hdr);
	if (--op->tops_left > 0)
		return;
	if (op->worst == DRV_OK && op->no_uidl && fp_collision(m))
		op->worst = DRV_BOX_BAD;
	drv_pop3_finish(m, op, op->worst, "%s", buf_cstr(&m->error));
	drv_pop3_drain(m);
}

static void
issue_tops(struct pop3_mbox *m, struct op *op)
{
	size_t i;

	buf_init(&op->hdr, TOP_HEADER_MAX);
	op->tops_left = m->nmsgs;
	for (i = 0; i < m->nmsgs; i++)
		pop3c_top(m->pc, m->msgs[i].seq, 0, top_data, top_done, op);
	m->blocked = false;
	drv_pop3_issue_ops(m);
}

void
drv_pop3_list(struct pop3_mbox *m, struct op *op)
{
	/* Later ops are issued only once UIDL answered and the TOPs, if
	 * any, are queued: uidl_done() or issue_tops() unblocks. */
	m->blocked = true;
	pop3c_list(m->pc, list_done, op);
	pop3c_uidl(m->pc, uidl_done, op);
}
