/* Mailbox commands: LIST, SELECT, STATUS, UID STORE, UID SEARCH, (UID)
 * EXPUNGE, APPEND, IDLE, NOOP, LOGOUT. Each builds one command and queues
 * it; the dispatch in imapc.c routes its data and its tagged response
 * back. */
#include <string.h>

#include "client/imapc-private.h"
#include "lib/strx.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "proto/imap/imap-quote.h"

/* Caller-built fragments (sets, flag lists, criteria) go out verbatim:
 * refuse anything that could end the command line early. */
static bool
safe(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

static struct imapc_cmd *
user_cmd(struct imapc *c, enum imapc_cmd_kind kind, const char *verb,
	 imapc_cb *cb, void *ctx)
{
	struct imapc_cmd *cmd = imapc_cmd_new(c, kind, verb);

	cmd->cb = cb;
	cmd->ctx = ctx;
	return cmd;
}

static void
submit_args(struct imapc_cmd *cmd, const char *const *args, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!safe(args[i])) {
			imapc_cmd_defer(cmd, IMAPC_BAD, "bad command argument");
			return;
		}
		(void)buf_printf(&cmd->out, " %s", args[i]);
	}
	imapc_cmd_submit(cmd);
}

void
imapc_list(struct imapc *c, const char *ref, const char *pattern,
	   bool special_use, imapc_list_cb *each, imapc_cb *done, void *ctx)
{
	struct imapc_cmd *cmd = user_cmd(c, IMAPC_CMD_LIST, "LIST", done, ctx);

	cmd->list_cb = each;
	(void)buf_append_c(&cmd->out, ' ');
	imapc_cmd_astring(cmd, ref);
	(void)buf_append_c(&cmd->out, ' ');
	imapc_cmd_astring(cmd, pattern);
	if (special_use && (c->caps & IMAPC_CAP_SPECIAL_USE) != 0)
		(void)buf_append_str(&cmd->out, " RETURN (SPECIAL-USE)");
	imapc_cmd_submit(cmd);
}

static void
select_done(struct imapc_cmd *cmd, enum imapc_result r,
	    const struct imap_resp *tagged, const char *error)
{
	struct imapc *c = cmd->client;

	if (tagged != NULL && tagged->code.type == IMAP_CODE_READ_ONLY)
		c->box.readonly = true;
	if (cmd->select_cb != NULL)
		cmd->select_cb(r, error, &c->box, cmd->ctx);
}

void
imapc_select(struct imapc *c, const struct imapc_select *req,
	     imapc_select_cb *cb, void *ctx)
{
	struct imapc_cmd *cmd = imapc_cmd_new(c, IMAPC_CMD_SELECT, "SELECT");

	cmd->select_cb = cb;
	cmd->ctx = ctx;
	cmd->done = select_done;
	(void)buf_append_c(&cmd->out, ' ');
	imapc_cmd_astring(cmd, req->mailbox);
	if (c->qresync && req->uidvalidity != 0 && req->modseq != 0)
		(void)buf_printf(&cmd->out, " (QRESYNC (%u %llu))",
				 req->uidvalidity,
				 (unsigned long long)req->modseq);
	else if (req->condstore && (c->caps & IMAPC_CAP_CONDSTORE) != 0)
		(void)buf_append_str(&cmd->out, " (CONDSTORE)");
	imapc_cmd_submit(cmd);
}

/* ---- STATUS ---- */

static void
status_done(struct imapc_cmd *cmd, enum imapc_result r,
	    const struct imap_resp *tagged, const char *error)
{
	static const struct imapc_status_info none;

	if (cmd->status_cb != NULL)
		cmd->status_cb(r, error, r == IMAPC_OK ? &cmd->status : &none,
			       cmd->ctx);
}

void
imapc_status(struct imapc *c, const char *mailbox, imapc_status_cb *cb,
	     void *ctx)
{
	struct imapc_cmd *cmd = imapc_cmd_new(c, IMAPC_CMD_STATUS, "STATUS");

	cmd->status_cb = cb;
	cmd->ctx = ctx;
	cmd->done = status_done;
	cmd->mailbox = xstrdup(mailbox);
	(void)buf_append_c(&cmd->out, ' ');
	imapc_cmd_astring(cmd, mailbox);
	(void)buf_append_str(&cmd->out, " (MESSAGES UIDNEXT UIDVALIDITY");
	if ((c->caps & IMAPC_CAP_CONDSTORE) != 0)
		(void)buf_append_str(&cmd->out, " HIGHESTMODSEQ");
	(void)buf_append_c(&cmd->out, ')');
	imapc_cmd_submit(cmd);
}

void
imapc_uid_store(struct imapc *c, const char *set, const char *op,
		const char *flags, imapc_cb *cb, void *ctx)
{
	const char *args[] = { set, op, flags };

	submit_args(user_cmd(c, IMAPC_CMD_PLAIN, "UID STORE", cb, ctx),
		    args, 3);
}

void
imapc_uid_search(struct imapc *c, const char *criteria,
		 imapc_search_cb *each, imapc_cb *done, void *ctx)
{
	struct imapc_cmd *cmd = user_cmd(c, IMAPC_CMD_SEARCH, "UID SEARCH",
					 done, ctx);

	cmd->search_cb = each;
	submit_args(cmd, &criteria, 1);
}

void
imapc_uid_expunge(struct imapc *c, const char *set, imapc_cb *cb,
		  void *ctx)
{
	submit_args(user_cmd(c, IMAPC_CMD_PLAIN, "UID EXPUNGE", cb, ctx),
		    &set, 1);
}

void
imapc_expunge(struct imapc *c, imapc_cb *cb, void *ctx)
{
	imapc_cmd_submit(user_cmd(c, IMAPC_CMD_PLAIN, "EXPUNGE", cb, ctx));
}

void
imapc_noop(struct imapc *c, imapc_cb *cb, void *ctx)
{
	imapc_cmd_submit(user_cmd(c, IMAPC_CMD_PLAIN, "NOOP", cb, ctx));
}

void
imapc_logout(struct imapc *c, imapc_cb *cb, void *ctx)
{
	imapc_cmd_submit(user_cmd(c, IMAPC_CMD_LOGOUT, "LOGOUT", cb, ctx));
}

/* ---- untagged mailbox data ---- */

void
imapc_on_search(struct imapc *c, const struct imap_resp *r)
{
	struct imapc_cmd *cmd = imapc_cmd_find(c, IMAPC_CMD_SEARCH);
	uint32_t *v = xcalloc(r->nargs + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < r->nargs; i++) {
		if (imap_arg_uint32(&r->args[i], &v[n]) == 0 && v[n] != 0)
			n++;
		else if (!imap_arg_atom_is(&r->args[i], "MODSEQ") &&
			 r->args[i].type != IMAP_ARG_LIST)
			break;
	}
	if (cmd != NULL && cmd->search_cb != NULL)
		cmd->search_cb(v, n, cmd->ctx);
	free(v);
}

void
imapc_on_list(struct imapc *c, const struct imap_resp *r)
{
	struct imapc_cmd *cmd = imapc_cmd_find(c, IMAPC_CMD_LIST);

	if (cmd != NULL && cmd->list_cb != NULL)
		cmd->list_cb(&r->list, cmd->ctx);
}

/* The name in STATUS data against the one we sent: byte for byte after
 * unquoting (a literal may hold NUL: compare lengths too), except that
 * INBOX is case-insensitive (RFC 3501 5.1). No UTF-7 decoding: both sides
 * are the server's form. */
static bool
status_name_is(const struct imap_arg *a, const char *mailbox)
{
	const char *s = imap_arg_string(a);
	size_t len = strlen(mailbox);

	if (s == NULL || a->len != len)
		return false;
	if (str_casecmp(mailbox, "INBOX") == 0)
		return str_casecmp(s, "INBOX") == 0;
	return memcmp(s, mailbox, len) == 0;
}

/* The oldest outstanding STATUS for this name still waiting for data. */
static struct imapc_cmd *
status_target(struct imapc *c, const struct imap_arg *name)
{
	for (struct imapc_cmd *cmd = c->sent; cmd != NULL; cmd = cmd->next)
		if (cmd->kind == IMAPC_CMD_STATUS && !cmd->canceled &&
		    !cmd->got_status && status_name_is(name, cmd->mailbox))
			return cmd;
	return NULL;
}

static void
status_item(struct imapc_status_info *st, const struct imap_arg *k,
	    const struct imap_arg *v)
{
	uint32_t n;
	uint64_t m;

	if (imap_arg_atom_is(k, "HIGHESTMODSEQ")) {
		if (imap_arg_uint64(v, &m) == 0)
			st->highestmodseq = m;
		return;
	}
	if (imap_arg_uint32(v, &n) < 0)
		return;
	if (imap_arg_atom_is(k, "MESSAGES"))
		st->messages = n;
	else if (imap_arg_atom_is(k, "UIDNEXT"))
		st->uidnext = n;
	else if (imap_arg_atom_is(k, "UIDVALIDITY"))
		st->uidvalidity = n;
}

void
imapc_on_status(struct imapc *c, const struct imap_resp *r)
{
	const struct imap_arg *items;
	struct imapc_cmd *cmd;

	if (r->nargs < 2 || r->args[1].type != IMAP_ARG_LIST)
		return;
	if ((cmd = status_target(c, &r->args[0])) == NULL)
		return;
	items = &r->args[1];
	cmd->got_status = true;
	for (size_t i = 0; i + 1 < items->count; i += 2)
		status_item(&cmd->status, &items->list[i],
			    &items->list[i + 1]);
}

void
imapc_on_enabled(struct imapc *c, const struct imap_resp *r)
{
	for (size_t i = 0; i < r->nargs; i++)
		if (imap_arg_atom_is(&r->args[i], "QRESYNC"))
			c->qresync = true;
}

void
imapc_on_count(struct imapc *c, const struct imap_resp *r)
{
	struct imapc_event ev = { .seq = r->number, .count = r->number };

	if (r->type == IMAP_RT_EXISTS) {
		ev.type = IMAPC_EV_EXISTS;
		c->box.exists = r->number;
	} else {
		ev.type = IMAPC_EV_EXPUNGE;
		if (c->box.exists > 0)
			c->box.exists--;
	}
	imapc_emit(c, &ev);
}

/* ---- APPEND ---- */

static void
append_done(struct imapc_cmd *cmd, enum imapc_result r,
	    const struct imap_resp *tagged, const char *error)
{
	uint32_t uidvalidity = 0, uid = 0;

	if (r == IMAPC_OK && tagged != NULL &&
	    tagged->code.type == IMAP_CODE_APPENDUID &&
	    tagged->code.n1 <= UINT32_MAX) {
		uidvalidity = (uint32_t)tagged->code.n1;
		uid = tagged->code.n2;
	}
	if (cmd->append_cb != NULL)
		cmd->append_cb(r, error, uidvalidity, uid, cmd->ctx);
}

void
imapc_append(struct imapc *c, const char *mailbox, const char *flags,
	     time_t date, const void *data, size_t len, imapc_append_cb *cb,
	     void *ctx)
{
	struct imapc_cmd *cmd = imapc_cmd_new(c, IMAPC_CMD_PLAIN, "APPEND");
	struct buf d;

	cmd->append_cb = cb;
	cmd->ctx = ctx;
	cmd->done = append_done;
	cmd->out.max += len;
	(void)buf_append_c(&cmd->out, ' ');
	imapc_cmd_astring(cmd, mailbox);
	if (flags != NULL && !safe(flags))
		cmd->overflow = true;
	else if (flags != NULL)
		(void)buf_printf(&cmd->out, " %s", flags);
	buf_init(&d, 64);
	if (date != 0 && time_format_internaldate(date, 0, &d) == 0)
		(void)buf_printf(&cmd->out, " \"%s\"", buf_cstr(&d));
	buf_free(&d);
	(void)buf_append_c(&cmd->out, ' ');
	imapc_cmd_literal(cmd, data, len);
	imapc_cmd_submit(cmd);
}

/* ---- IDLE ---- */

static void
idle_cont(struct imapc_cmd *cmd, const struct imap_resp *r)
{
	struct imapc *c = cmd->client;

	c->idling = true;
	imapc_pump(c);
}

void
imapc_idle(struct imapc *c, imapc_cb *done, void *ctx)
{
	struct imapc_cmd *cmd = user_cmd(c, IMAPC_CMD_IDLE, "IDLE", done, ctx);

	if ((c->caps & IMAPC_CAP_IDLE) == 0) {
		imapc_cmd_defer(cmd, IMAPC_BAD, "server has no IDLE");
		return;
	}
	cmd->cont = idle_cont;
	c->idle_stop = false;
	imapc_cmd_submit(cmd);
}

void
imapc_idle_stop(struct imapc *c)
{
	c->idle_stop = true;
	imapc_pump(c);
}
