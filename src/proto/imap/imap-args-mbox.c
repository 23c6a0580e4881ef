/* Arguments of the mailbox commands: SELECT/EXAMINE, STATUS, LIST/LSUB,
 * APPEND. */
#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "proto/imap/imap-args.h"
#include "proto/imap/imap-cmd-private.h"
#include "proto/imap/imap-date.h"
#include "proto/imap/imap-seqset.h"

static int
bad(const char **error_r, const char *error)
{
	*error_r = error;
	return -1;
}

/* A sequence set in which '*' is not allowed (QRESYNC's known sets). */
static int
arg_plain_set(const struct imap_cmd_arg *arg, const char **r)
{
	struct imap_range *ranges;
	const char *s, *error;
	size_t n;

	if (imap_arg_atom(arg, &s) < 0 ||
	    imap_seqset_parse(s, 0, SIZE_MAX, &ranges, &n, &error) < 0)
		return -1;
	free(ranges);
	*r = s;
	return 0;
}

/* ---- SELECT / EXAMINE ---- */

/* (uidvalidity modseq [known-uids [(seq-match uid-match)]]) */
static int
qresync_params(const struct imap_cmd_arg *arg, struct imap_select_args *r)
{
	const struct imap_cmd_arg *l, *m;
	size_t n, mn;

	if (imap_arg_list(arg, &l, &n) < 0 || n < 2 || n > 4 ||
	    imap_arg_nz_number(&l[0], &r->uidvalidity) < 0 ||
	    imap_arg_number64(&l[1], &r->modseq) < 0 || r->modseq == 0)
		return -1;
	m = NULL;
	if (n >= 3 && l[2].type == IMAP_CARG_LIST) {
		if (n != 3)
			return -1;
		m = &l[2];	/* known-uids omitted */
	} else if (n >= 3) {
		if (arg_plain_set(&l[2], &r->known_uids) < 0)
			return -1;
		m = n == 4 ? &l[3] : NULL;
	}
	if (m == NULL)
		return 0;
	if (imap_arg_list(m, &l, &mn) < 0 || mn != 2 ||
	    arg_plain_set(&l[0], &r->seq_match) < 0 ||
	    arg_plain_set(&l[1], &r->uid_match) < 0)
		return -1;
	return 0;
}

int
imap_select_parse(struct imap_cmd *cmd, struct imap_select_args *r,
		  const char **error_r)
{
	const struct imap_cmd_arg *l;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (cmd->nargs < 1 || cmd->nargs > 2 ||
	    imap_arg_mailbox(&cmd->args[0], &r->mailbox) < 0)
		return bad(error_r, "Invalid arguments");
	if (cmd->nargs == 1)
		return 0;
	if (imap_arg_list(&cmd->args[1], &l, &n) < 0 || n == 0)
		return bad(error_r, "Invalid SELECT parameters");
	for (size_t i = 0; i < n; i++) {
		if (imap_arg_atom_eq(&l[i], "CONDSTORE")) {
			r->condstore = true;
		} else if (imap_arg_atom_eq(&l[i], "QRESYNC") && i + 1 < n &&
			   !r->qresync) {
			r->qresync = true;
			if (qresync_params(&l[++i], r) < 0)
				return bad(error_r,
					   "Invalid QRESYNC parameters");
		} else {
			return bad(error_r, "Unknown SELECT parameter");
		}
	}
	return 0;
}

/* ---- STATUS ---- */

static const struct {
	const char *name;
	unsigned int item;
} status_items[] = {
	{ "MESSAGES", IMAP_STATUS_MESSAGES },
	{ "RECENT", IMAP_STATUS_RECENT },
	{ "UIDNEXT", IMAP_STATUS_UIDNEXT },
	{ "UIDVALIDITY", IMAP_STATUS_UIDVALIDITY },
	{ "UNSEEN", IMAP_STATUS_UNSEEN },
	{ "HIGHESTMODSEQ", IMAP_STATUS_HIGHESTMODSEQ },
	{ "SIZE", IMAP_STATUS_SIZE },
};

static unsigned int
status_item(const struct imap_cmd_arg *arg)
{
	for (size_t i = 0; i < sizeof(status_items) / sizeof(*status_items);
	     i++)
		if (imap_arg_atom_eq(arg, status_items[i].name))
			return status_items[i].item;
	return 0;
}

int
imap_status_items_parse(const struct imap_cmd_arg *arg,
			unsigned int *items_r, const char **error_r)
{
	const struct imap_cmd_arg *l;
	size_t n;
	unsigned int items = 0, item;

	if (imap_arg_list(arg, &l, &n) < 0 || n == 0)
		return bad(error_r, "Invalid status items");
	for (size_t i = 0; i < n; i++) {
		if ((item = status_item(&l[i])) == 0)
			return bad(error_r, "Unknown status item");
		items |= item;
	}
	*items_r = items;
	return 0;
}

int
imap_status_parse(struct imap_cmd *cmd, const char **mailbox_r,
		  unsigned int *items_r, const char **error_r)
{
	if (cmd->nargs != 2 || imap_arg_mailbox(&cmd->args[0], mailbox_r) < 0)
		return bad(error_r, "Invalid arguments");
	return imap_status_items_parse(&cmd->args[1], items_r, error_r);
}

/* ---- LIST / LSUB ---- */

static const struct {
	const char *name;
	unsigned int bit;
	bool ret;	/* a return option, else a selection option */
} list_opts[] = {
	{ "SUBSCRIBED", IMAP_LIST_SEL_SUBSCRIBED, false },
	{ "REMOTE", IMAP_LIST_SEL_REMOTE, false },
	{ "RECURSIVEMATCH", IMAP_LIST_SEL_RECURSIVEMATCH, false },
	{ "SPECIAL-USE", IMAP_LIST_SEL_SPECIAL_USE, false },
	{ "SUBSCRIBED", IMAP_LIST_RET_SUBSCRIBED, true },
	{ "CHILDREN", IMAP_LIST_RET_CHILDREN, true },
	{ "SPECIAL-USE", IMAP_LIST_RET_SPECIAL_USE, true },
};

static unsigned int
list_opt(const struct imap_cmd_arg *arg, bool ret)
{
	for (size_t i = 0; i < sizeof(list_opts) / sizeof(*list_opts); i++)
		if (list_opts[i].ret == ret &&
		    imap_arg_atom_eq(arg, list_opts[i].name))
			return list_opts[i].bit;
	return 0;
}

static int
list_options(const struct imap_cmd_arg *arg, bool ret,
	     struct imap_list_args *r, const char **error_r)
{
	const struct imap_cmd_arg *l;
	unsigned int bit, *bits = ret ? &r->ret : &r->select;
	size_t n;

	(void)imap_arg_list(arg, &l, &n);
	r->extended = true;
	for (size_t i = 0; i < n; i++) {
		if (ret && imap_arg_atom_eq(&l[i], "STATUS") && i + 1 < n) {
			r->ret |= IMAP_LIST_RET_STATUS;
			if (imap_status_items_parse(&l[++i], &r->status_items,
						    error_r) < 0)
				return -1;
			continue;
		}
		if ((bit = list_opt(&l[i], ret)) == 0)
			return bad(error_r, "Unknown LIST option");
		*bits |= bit;
	}
	return 0;
}

/* list-mailbox: an atom (wildcards allowed) or a string. */
static int
list_patterns(struct imap_cmd *cmd, const struct imap_cmd_arg *arg,
	      struct imap_list_args *r)
{
	const struct imap_cmd_arg *l = arg;
	size_t n = 1;
	const char **v;

	if (arg->type == IMAP_CARG_LIST &&
	    (imap_arg_list(arg, &l, &n) < 0 || n == 0))
		return -1;
	v = imap_cmd_alloc(cmd, n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		if (imap_arg_astring(&l[i], &v[i]) < 0)
			return -1;
	r->patterns = v;
	r->npatterns = n;
	r->extended |= arg->type == IMAP_CARG_LIST;
	return 0;
}

int
imap_list_parse(struct imap_cmd *cmd, struct imap_list_args *r,
		const char **error_r)
{
	const struct imap_cmd_arg *a = cmd->args;
	size_t n = cmd->nargs, i = 0;
	bool lsub = strcmp(cmd->name, "LSUB") == 0;

	memset(r, 0, sizeof(*r));
	if (!lsub && n > 0 && a[0].type == IMAP_CARG_LIST &&
	    list_options(&a[i++], false, r, error_r) < 0)
		return -1;
	if (n - i < 2 || imap_arg_astring(&a[i], &r->reference) < 0 ||
	    (lsub && a[i + 1].type == IMAP_CARG_LIST) ||
	    list_patterns(cmd, &a[i + 1], r) < 0)
		return bad(error_r, "Invalid arguments");
	i += 2;
	if (i < n && (lsub || n - i != 2 || !imap_arg_atom_eq(&a[i], "RETURN")
		      || a[i + 1].type != IMAP_CARG_LIST))
		return bad(error_r, "Invalid arguments");
	if (i < n && list_options(&a[i + 1], true, r, error_r) < 0)
		return -1;
	if ((r->select & IMAP_LIST_SEL_RECURSIVEMATCH) != 0 &&
	    (r->select & ~(unsigned int)IMAP_LIST_SEL_RECURSIVEMATCH &
	     ~(unsigned int)IMAP_LIST_SEL_REMOTE) == 0)
		return bad(error_r, "RECURSIVEMATCH needs another option");
	return 0;
}

/* ---- APPEND ---- */

/* [flag-list] [date-time] from args[0..n); the literal follows. */
static int
append_opts(struct imap_cmd *cmd, const struct imap_cmd_arg *args, size_t n,
	    struct imap_append_msg *msg, const char **error_r)
{
	size_t i = 0;

	if (i < n && args[i].type == IMAP_CARG_LIST &&
	    imap_flags_parse(cmd, &args[i++], 1, &msg->flags, error_r) < 0)
		return -1;
	if (i < n) {
		if (imap_arg_datetime(&args[i++], &msg->date,
				      &msg->date_tz) < 0)
			return bad(error_r, "Invalid date-time");
		msg->have_date = true;
	}
	if (i < n)
		return bad(error_r, "Invalid APPEND arguments");
	msg->size = cmd->literal_size;
	msg->nonsync = cmd->literal_nonsync;
	msg->literal8 = cmd->literal8;
	return 0;
}

int
imap_append_parse_prefix(struct imap_cmd *cmd, const char **mailbox_r,
			 struct imap_append_msg *msg_r, const char **error_r)
{
	memset(msg_r, 0, sizeof(*msg_r));
	if (!cmd->literal_pending)
		return bad(error_r, "Missing message literal");
	if (cmd->nargs < 1 || imap_arg_mailbox(&cmd->args[0], mailbox_r) < 0)
		return bad(error_r, "Invalid mailbox name");
	return append_opts(cmd, cmd->args + 1, cmd->nargs - 1, msg_r,
			   error_r);
}

int
imap_append_parse_next(struct imap_cmd *cmd, const char *line, size_t len,
		       struct imap_append_msg *msg_r, const char **error_r)
{
	const struct imap_cmd_arg *args;
	size_t n;
	int ret;

	memset(msg_r, 0, sizeof(*msg_r));
	if (len == 0)
		return 0;
	if (line[0] != ' ' || len == 1)
		return bad(error_r, "Missing space after literal");
	ret = imap_cmd_parse_args(cmd, line + 1, len - 1, true, &args, &n);
	if (ret < 0)
		return bad(error_r, cmd->error);
	if (ret == 0)
		return bad(error_r, "Missing message literal");
	if (append_opts(cmd, args, n, msg_r, error_r) < 0)
		return -1;
	return 1;
}
