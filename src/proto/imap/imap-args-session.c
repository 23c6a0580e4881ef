/* Arguments of the session commands: ENABLE, ID, AUTHENTICATE, LOGIN. */
#include <string.h>

#include "lib/strx.h"
#include "proto/imap/imap-args.h"

#define ID_MAX_PAIRS 30
#define ID_MAX_FIELD 30
#define ID_MAX_VALUE 1024

static int
bad(const char **error_r, const char *error)
{
	*error_r = error;
	return -1;
}

static char *
upper_dup(struct imap_cmd *cmd, const char *s)
{
	char *u = imap_cmd_strndup(cmd, s, strlen(s));

	for (char *c = u; *c != '\0'; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	return u;
}

int
imap_enable_parse(struct imap_cmd *cmd, const char *const **caps_r,
		  size_t *count_r, const char **error_r)
{
	const char **v;
	const char *s;

	if (cmd->nargs == 0)
		return bad(error_r, "Missing capability");
	v = imap_cmd_alloc(cmd, cmd->nargs * sizeof(*v));
	for (size_t i = 0; i < cmd->nargs; i++) {
		if (cmd->args[i].type != IMAP_CARG_ATOM ||
		    imap_arg_atom(&cmd->args[i], &s) < 0)
			return bad(error_r, "Invalid capability");
		v[i] = upper_dup(cmd, s);
	}
	*caps_r = v;
	*count_r = cmd->nargs;
	return 0;
}

int
imap_id_parse(struct imap_cmd *cmd, const char *const **fields_r,
	      const char *const **values_r, size_t *n_r,
	      const char **error_r)
{
	const struct imap_cmd_arg *l;
	const char **f, **v;
	size_t n;

	*fields_r = *values_r = NULL;
	*n_r = 0;
	if (cmd->nargs != 1)
		return bad(error_r, "Invalid ID arguments");
	if (cmd->args[0].type == IMAP_CARG_NIL)
		return 0;
	if (imap_arg_list(&cmd->args[0], &l, &n) < 0 || n % 2 != 0 ||
	    n / 2 > ID_MAX_PAIRS)
		return bad(error_r, "Invalid ID parameter list");
	f = imap_cmd_alloc(cmd, (n / 2 + 1) * sizeof(*f));
	v = imap_cmd_alloc(cmd, (n / 2 + 1) * sizeof(*v));
	for (size_t i = 0; i < n / 2; i++) {
		if (imap_arg_quoted_string(&l[2 * i], &f[i]) < 0 ||
		    strlen(f[i]) > ID_MAX_FIELD ||
		    imap_arg_nstring(&l[2 * i + 1], &v[i]) < 0 ||
		    (v[i] != NULL && strlen(v[i]) > ID_MAX_VALUE))
			return bad(error_r, "Invalid ID parameter");
	}
	*fields_r = f;
	*values_r = v;
	*n_r = n / 2;
	return 0;
}

int
imap_authenticate_parse(struct imap_cmd *cmd, const char **mech_r,
			const char **ir_r, const char **error_r)
{
	const char *s;

	if (cmd->nargs < 1 || cmd->nargs > 2 ||
	    cmd->args[0].type != IMAP_CARG_ATOM ||
	    imap_arg_atom(&cmd->args[0], &s) < 0)
		return bad(error_r, "Invalid AUTHENTICATE arguments");
	*mech_r = upper_dup(cmd, s);
	*ir_r = NULL;
	if (cmd->nargs == 2 &&
	    (cmd->args[1].type != IMAP_CARG_ATOM ||
	     imap_arg_atom(&cmd->args[1], ir_r) < 0))
		return bad(error_r, "Invalid initial response");
	return 0;
}

int
imap_login_parse(struct imap_cmd *cmd, const char **user_r,
		 const char **pass_r, const char **error_r)
{
	if (cmd->nargs != 2 || imap_arg_astring(&cmd->args[0], user_r) < 0 ||
	    imap_arg_astring(&cmd->args[1], pass_r) < 0)
		return bad(error_r, "Invalid LOGIN arguments");
	return 0;
}
