/* UID FETCH: listings (one callback per FETCH response), VANISHED, and
 * message bodies streamed from the literal to the caller in chunks, never
 * held whole. */
#include <stdlib.h>
#include <string.h>

#include "client/imapc-private.h"
#include "lib/log.h"
#include "lib/strx.h"
#include "net/conn.h"

#define BODY_CHUNK (64 * 1024)
#define MAX_RANGES (1024 * 1024)

static bool
safe(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

void
imapc_uid_fetch(struct imapc *c, const char *set, const char *items,
		uint64_t changedsince, bool vanished, imapc_fetch_cb *each,
		imapc_vanished_cb *van, imapc_cb *done, void *ctx)
{
	struct imapc_cmd *cmd = imapc_cmd_new(c, IMAPC_CMD_FETCH, "UID FETCH");

	cmd->fetch_cb = each;
	cmd->vanished_cb = van;
	cmd->cb = done;
	cmd->ctx = ctx;
	if (!safe(set) || !safe(items)) {
		imapc_cmd_defer(cmd, IMAPC_BAD, "bad command argument");
		return;
	}
	(void)buf_printf(&cmd->out, " %s (%s)", set, items);
	if (changedsince != 0)
		(void)buf_printf(&cmd->out, " (CHANGEDSINCE %llu%s)",
				 (unsigned long long)changedsince,
				 vanished && c->qresync ? " VANISHED" : "");
	imapc_cmd_submit(cmd);
}

static void
body_done(struct imapc_cmd *cmd, enum imapc_result r,
	  const struct imap_resp *tagged, const char *error)
{
	if (r == IMAPC_OK && cmd->wrong_uid) {
		r = IMAPC_NO;
		error = "the server sent another message";
	} else if (r == IMAPC_OK && !cmd->got_body) {
		r = IMAPC_NO;
		error = "no such message";
	} else if (r == IMAPC_OK && cmd->data_stopped) {
		r = IMAPC_NO;
		error = "stopped by the receiver";
	}
	if (cmd->cb != NULL)
		cmd->cb(r, error, cmd->ctx);
}

void
imapc_fetch_body(struct imapc *c, uint32_t uid, imapc_data_cb *data,
		 imapc_cb *done, void *ctx)
{
	struct imapc_cmd *cmd = imapc_cmd_new(c, IMAPC_CMD_BODY, "UID FETCH");

	cmd->uid = uid;
	cmd->data_cb = data;
	cmd->cb = done;
	cmd->ctx = ctx;
	cmd->done = body_done;
	(void)buf_printf(&cmd->out, " %u (UID BODY.PEEK[])", uid);
	imapc_cmd_submit(cmd);
}

/* ---- literals ---- */

static bool
streamable(const char *item)
{
	if (str_has_prefix(item, "BODY[HEADER") ||
	    strcmp(item, "RFC822.HEADER") == 0)
		return false;
	return str_has_prefix(item, "BODY[") ||
		str_has_prefix(item, "BINARY[") ||
		strcmp(item, "RFC822") == 0 ||
		strcmp(item, "RFC822.TEXT") == 0;
}

/* The BODY command a body belongs to: by UID when known, else the oldest
 * one still waiting (canceled ones included, so their data is dropped
 * rather than given to another). */
static struct imapc_cmd *
body_target(struct imapc *c, uint32_t uid)
{
	for (struct imapc_cmd *cmd = c->sent; cmd != NULL; cmd = cmd->next) {
		if (cmd->kind != IMAPC_CMD_BODY || cmd->got_body)
			continue;
		if (uid == 0 || cmd->uid == uid)
			return cmd;
	}
	return NULL;
}

int
imapc_fetch_literal(struct imapc *c, const struct imap_literal *lit)
{
	struct imapc_cmd *cmd;
	uint64_t size = lit->size;

	if (lit->item == NULL || lit->fetch_seq == 0 ||
	    !streamable(lit->item))
		return 0;
	cmd = body_target(c, lit->fetch_uid);
	if (cmd != NULL)
		cmd->got_body = true;
	c->lit_cmd = cmd;
	/* lit is cleared by the skip */
	imap_resp_literal_skip(c->parser);
	conn_read_literal(c->conn, size, BODY_CHUNK);
	return 1;
}

static void
deliver(struct imapc_cmd *cmd, const void *data, size_t len)
{
	if (cmd->canceled || cmd->data_stopped || cmd->data_cb == NULL)
		return;
	if (cmd->data_cb(data, len, cmd->ctx) < 0)
		cmd->data_stopped = true;
}

void
imapc_fetch_literal_piece(struct imapc *c, const char *data, size_t len,
			  bool last)
{
	if (c->lit_cmd != NULL)
		deliver(c->lit_cmd, data, len);
	if (last)
		c->streaming = false;
}

/* ---- FETCH responses ---- */

static void
body_response(struct imapc *c, const struct imap_resp *r)
{
	const struct imap_fetch *f = &r->fetch;
	struct imapc_cmd *cmd = c->lit_cmd;

	c->lit_cmd = NULL;
	if (cmd == NULL && f->body != NULL) {
		/* a body sent as a quoted string */
		cmd = body_target(c, f->has_uid ? f->uid : 0);
		if (cmd != NULL) {
			cmd->got_body = true;
			deliver(cmd, f->body, (size_t)f->body_size);
		}
	}
	if (cmd != NULL && f->has_uid && f->uid != cmd->uid) {
		slog_warn(imapc_session(c), "imapc: asked for UID %u, got "
			  "UID %u", cmd->uid, f->uid);
		cmd->wrong_uid = true;
	}
}

void
imapc_fetch_untagged(struct imapc *c, const struct imap_resp *r)
{
	struct imapc_cmd *cmd;
	struct imapc_event ev = { .type = IMAPC_EV_FETCH };

	if (r->fetch.has_body) {
		body_response(c, r);
		return;
	}
	cmd = imapc_cmd_find(c, IMAPC_CMD_FETCH);
	if (cmd != NULL && cmd->fetch_cb != NULL) {
		cmd->fetch_cb(&r->fetch, r->number, cmd->ctx);
		return;
	}
	ev.seq = r->number;
	ev.fetch = &r->fetch;
	imapc_emit(c, &ev);
}

static struct imapc_cmd *
vanished_target(struct imapc *c)
{
	for (struct imapc_cmd *cmd = c->sent; cmd != NULL; cmd = cmd->next)
		if (cmd->kind == IMAPC_CMD_FETCH && !cmd->canceled &&
		    cmd->vanished_cb != NULL)
			return cmd;
	return NULL;
}

void
imapc_vanished_untagged(struct imapc *c, const struct imap_resp *r)
{
	struct imap_range *ranges;
	size_t n;
	const char *error;
	struct imapc_cmd *cmd = r->earlier ? vanished_target(c) : NULL;
	struct imapc_event ev = { .type = IMAPC_EV_VANISHED };
	uint64_t count;

	if (imap_seqset_parse(r->uidset, 0, MAX_RANGES, &ranges, &n,
			      &error) < 0) {
		imapc_fail(c, "protocol error: VANISHED: %s", error);
		return;
	}
	count = imap_seqset_count(ranges, n);
	if (!r->earlier)
		c->box.exists = count >= c->box.exists ? 0 :
			c->box.exists - (uint32_t)count;
	if (cmd != NULL) {
		cmd->vanished_cb(ranges, n, cmd->ctx);
	} else {
		ev.ranges = ranges;
		ev.nranges = n;
		ev.earlier = r->earlier;
		imapc_emit(c, &ev);
	}
	free(ranges);
}
