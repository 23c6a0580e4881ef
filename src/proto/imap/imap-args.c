/* Argument helpers on the parsed command tree, flags and STORE. */
#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "proto/imap/imap-args.h"
#include "proto/imap/imap-seqset.h"

/* ---- generic helpers ---- */

int
imap_arg_astring(const struct imap_cmd_arg *arg, const char **r)
{
	if (arg == NULL || arg->type == IMAP_CARG_LIST || arg->bracket)
		return -1;
	if (arg->type == IMAP_CARG_LITERAL && memchr(arg->str, 0, arg->len))
		return -1;
	*r = arg->str;
	return 0;
}

int
imap_arg_quoted_string(const struct imap_cmd_arg *arg, const char **r)
{
	if (arg == NULL || (arg->type != IMAP_CARG_QUOTED &&
			    arg->type != IMAP_CARG_LITERAL))
		return -1;
	return imap_arg_astring(arg, r);
}

int
imap_arg_nstring(const struct imap_cmd_arg *arg, const char **r)
{
	if (arg != NULL && arg->type == IMAP_CARG_NIL) {
		*r = NULL;
		return 0;
	}
	return imap_arg_quoted_string(arg, r);
}

int
imap_arg_atom(const struct imap_cmd_arg *arg, const char **r)
{
	if (arg == NULL || arg->bracket || (arg->type != IMAP_CARG_ATOM &&
					    arg->type != IMAP_CARG_NIL))
		return -1;
	*r = arg->str;
	return 0;
}

int
imap_arg_atom_eq(const struct imap_cmd_arg *arg, const char *word)
{
	const char *s;

	return imap_arg_atom(arg, &s) == 0 && str_casecmp(s, word) == 0;
}

int
imap_arg_number64(const struct imap_cmd_arg *arg, uint64_t *r)
{
	const char *s;

	if (imap_arg_atom(arg, &s) < 0)
		return -1;
	return str_to_uint64(s, r);
}

int
imap_arg_number(const struct imap_cmd_arg *arg, uint32_t *r)
{
	uint64_t n;

	if (imap_arg_number64(arg, &n) < 0 || n > UINT32_MAX)
		return -1;
	*r = (uint32_t)n;
	return 0;
}

int
imap_arg_nz_number(const struct imap_cmd_arg *arg, uint32_t *r)
{
	uint32_t n;

	if (imap_arg_number(arg, &n) < 0 || n == 0)
		return -1;
	*r = n;
	return 0;
}

int
imap_arg_list(const struct imap_cmd_arg *arg,
	      const struct imap_cmd_arg **list_r, size_t *count_r)
{
	if (arg == NULL || arg->type != IMAP_CARG_LIST)
		return -1;
	*list_r = arg->list;
	*count_r = arg->count;
	return 0;
}

int
imap_arg_mailbox(const struct imap_cmd_arg *arg, const char **r)
{
	if (imap_arg_astring(arg, r) < 0)
		return -1;
	if (str_casecmp(*r, "INBOX") == 0)
		*r = "INBOX";
	return 0;
}

int
imap_arg_seqset(const struct imap_cmd_arg *arg, const char **r)
{
	struct imap_range *ranges;
	const char *s, *error;
	size_t n;

	if (imap_arg_atom(arg, &s) < 0 ||
	    imap_seqset_parse(s, UINT32_MAX, SIZE_MAX, &ranges, &n,
			      &error) < 0)
		return -1;
	free(ranges);
	*r = s;
	return 0;
}

/* ---- flags ---- */

static const struct {
	const char *name;
	unsigned int flag;
} system_flags[] = {
	{ "\\Seen", IMAP_FLAG_SEEN },
	{ "\\Answered", IMAP_FLAG_ANSWERED },
	{ "\\Flagged", IMAP_FLAG_FLAGGED },
	{ "\\Deleted", IMAP_FLAG_DELETED },
	{ "\\Draft", IMAP_FLAG_DRAFT },
	{ "\\Recent", IMAP_FLAG_RECENT },
};

unsigned int
imap_flag_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(system_flags) / sizeof(*system_flags);
	     i++)
		if (str_casecmp(name, system_flags[i].name) == 0)
			return system_flags[i].flag;
	return 0;
}

const char *
imap_flag_name(unsigned int flag)
{
	for (size_t i = 0; i < sizeof(system_flags) / sizeof(*system_flags);
	     i++)
		if (flag == system_flags[i].flag)
			return system_flags[i].name;
	return NULL;
}

int
imap_keyword_valid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return 0;
	}
	return 1;
}

static int
add_flag(struct imap_cmd *cmd, const char *s, struct imap_flag_list *r,
	 size_t *cap, const char **error_r)
{
	unsigned int flag;

	if (*s == '\\') {
		flag = imap_flag_from_name(s);
		if (flag == 0 || flag == IMAP_FLAG_RECENT) {
			*error_r = "Invalid system flag";
			return -1;
		}
		r->flags |= flag;
		return 0;
	}
	if (!imap_keyword_valid(s)) {
		*error_r = "Invalid keyword";
		return -1;
	}
	for (size_t i = 0; i < r->nkeywords; i++)
		if (str_casecmp(r->keywords[i], s) == 0)
			return 0;
	if (r->nkeywords == *cap) {
		const char **v;

		*cap = *cap == 0 ? 4 : *cap * 2;
		v = imap_cmd_alloc(cmd, *cap * sizeof(*v));
		if (r->nkeywords > 0)
			memcpy(v, r->keywords, r->nkeywords * sizeof(*v));
		r->keywords = v;
	}
	((const char **)r->keywords)[r->nkeywords++] = s;
	return 0;
}

int
imap_flags_parse(struct imap_cmd *cmd, const struct imap_cmd_arg *args,
		 size_t n, struct imap_flag_list *r, const char **error_r)
{
	size_t cap = 0;
	const char *s;

	memset(r, 0, sizeof(*r));
	if (n == 1 && args[0].type == IMAP_CARG_LIST) {
		n = args[0].count;
		args = args[0].list;
	}
	for (size_t i = 0; i < n; i++) {
		if (args[i].type != IMAP_CARG_ATOM ||
		    imap_arg_atom(&args[i], &s) < 0) {
			*error_r = "Invalid flag";
			return -1;
		}
		if (add_flag(cmd, s, r, &cap, error_r) < 0)
			return -1;
	}
	return 0;
}

/* ---- STORE ---- */

int
imap_parse_store_action(const char *s, enum imap_store_mode *mode_r,
			bool *silent_r)
{
	enum imap_store_mode mode = IMAP_STORE_REPLACE;

	if (*s == '+' || *s == '-')
		mode = *s++ == '+' ? IMAP_STORE_ADD : IMAP_STORE_REMOVE;
	if (str_ncasecmp(s, "FLAGS", 5) != 0)
		return -1;
	s += 5;
	if (*s != '\0' && str_casecmp(s, ".SILENT") != 0)
		return -1;
	*mode_r = mode;
	*silent_r = *s != '\0';
	return 0;
}

static int
store_modifiers(const struct imap_cmd_arg *arg, struct imap_store_args *r,
		const char **error_r)
{
	const struct imap_cmd_arg *l;
	size_t n;

	(void)imap_arg_list(arg, &l, &n);
	if (n != 2 || !imap_arg_atom_eq(&l[0], "UNCHANGEDSINCE") ||
	    imap_arg_number64(&l[1], &r->unchangedsince) < 0) {
		*error_r = "Invalid STORE modifier";
		return -1;
	}
	r->unchangedsince_set = true;
	return 0;
}

int
imap_store_parse(struct imap_cmd *cmd, struct imap_store_args *r,
		 const char **error_r)
{
	const struct imap_cmd_arg *args = cmd->args;
	size_t n = cmd->nargs, i = 1;
	const char *action;

	memset(r, 0, sizeof(*r));
	if (n < 3) {
		*error_r = "Missing arguments";
		return -1;
	}
	if (imap_arg_seqset(&args[0], &r->seqset) < 0) {
		*error_r = "Invalid sequence set";
		return -1;
	}
	if (args[1].type == IMAP_CARG_LIST &&
	    store_modifiers(&args[i++], r, error_r) < 0)
		return -1;
	if (i >= n || imap_arg_atom(&args[i], &action) < 0 ||
	    imap_parse_store_action(action, &r->mode, &r->silent) < 0) {
		*error_r = "Invalid STORE action";
		return -1;
	}
	i++;
	if (i == n) {
		*error_r = "Missing flags";
		return -1;
	}
	return imap_flags_parse(cmd, &args[i], n - i, &r->flags, error_r);
}
