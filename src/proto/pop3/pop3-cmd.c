/* POP3 command lines (server side): a keyword table and one argument
 * shape per command. */

#include <string.h>

#include "proto/pop3/pop3-cmd.h"

/* What a command takes after its keyword. */
enum arg_shape {
	ARGS_NONE,	/* CAPA STAT ... */
	ARGS_NAME,	/* USER name */
	ARGS_REST,	/* PASS the rest of the line */
	ARGS_APOP,	/* APOP name digest */
	ARGS_AUTH,	/* AUTH [mechanism [initial-response]] */
	ARGS_OPT_MSG,	/* LIST [msg], UIDL [msg] */
	ARGS_MSG,	/* RETR msg, DELE msg */
	ARGS_TOP,	/* TOP msg lines */
};

static const struct {
	const char *name;
	enum pop3_verb verb;
	enum arg_shape shape;
} verbs[] = {
	{ "USER", POP3_CMD_USER, ARGS_NAME },
	{ "PASS", POP3_CMD_PASS, ARGS_REST },
	{ "APOP", POP3_CMD_APOP, ARGS_APOP },
	{ "AUTH", POP3_CMD_AUTH, ARGS_AUTH },
	{ "CAPA", POP3_CMD_CAPA, ARGS_NONE },
	{ "STLS", POP3_CMD_STLS, ARGS_NONE },
	{ "STAT", POP3_CMD_STAT, ARGS_NONE },
	{ "LIST", POP3_CMD_LIST, ARGS_OPT_MSG },
	{ "RETR", POP3_CMD_RETR, ARGS_MSG },
	{ "TOP", POP3_CMD_TOP, ARGS_TOP },
	{ "DELE", POP3_CMD_DELE, ARGS_MSG },
	{ "RSET", POP3_CMD_RSET, ARGS_NONE },
	{ "NOOP", POP3_CMD_NOOP, ARGS_NONE },
	{ "UIDL", POP3_CMD_UIDL, ARGS_OPT_MSG },
	{ "QUIT", POP3_CMD_QUIT, ARGS_NONE },
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

const char *
pop3_verb_name(enum pop3_verb v)
{
	for (size_t i = 0; i < NVERBS; i++) {
		if (verbs[i].verb == v)
			return verbs[i].name;
	}
	return "?";
}

static int
is_sp(char c)
{
	return c == ' ' || c == '\t';
}

static char
upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Cuts the next space-separated word out of *p (NUL-terminating it in
 * place) and advances *p past it and the spaces after. NULL at the end. */
static char *
next_word(char **p)
{
	char *w = *p, *e;

	while (is_sp(*w))
		w++;
	if (*w == '\0')
		return NULL;
	for (e = w; *e != '\0' && !is_sp(*e); e++)
		;
	if (*e != '\0')
		*e++ = '\0';
	while (is_sp(*e))
		e++;
	*p = e;
	return w;
}

/* Decimal digits only (no sign, no spaces), value in [min, max]. */
static int
parse_num(const char *s, uint64_t min, uint64_t max, uint64_t *r)
{
	uint64_t v = 0;

	if (*s == '\0' || strlen(s) > 20)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*r = v;
	return 0;
}

static int
parse_msg(const char *s, uint32_t *msg_r)
{
	uint64_t v;

	if (parse_num(s, 1, UINT32_MAX, &v) < 0)
		return -1;
	*msg_r = (uint32_t)v;
	return 0;
}

static int
is_hex32(const char *s)
{
	if (strlen(s) != 32)
		return 0;
	for (; *s != '\0'; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return 0;
	}
	return 1;
}

static int
arg_ok(const char *a)
{
	return a != NULL && strlen(a) <= POP3_CMD_ARG_MAX;
}

static int
args_msg(struct pop3_cmd *cmd, char *rest, int optional,
	 const char **error_r)
{
	char *a = next_word(&rest);

	if (a == NULL && optional)
		return 0;
	if (a == NULL || *rest != '\0' || parse_msg(a, &cmd->msg) < 0) {
		*error_r = "Invalid message number";
		return -1;
	}
	return 0;
}

static int
args_top(struct pop3_cmd *cmd, char *rest, const char **error_r)
{
	char *a = next_word(&rest), *b = next_word(&rest);

	if (a == NULL || b == NULL || *rest != '\0' ||
	    parse_msg(a, &cmd->msg) < 0 ||
	    parse_num(b, 0, UINT64_MAX, &cmd->lines) < 0) {
		*error_r = "Usage: TOP <message> <lines>";
		return -1;
	}
	return 0;
}

static int
args_auth(struct pop3_cmd *cmd, char *rest, const char **error_r)
{
	cmd->arg = next_word(&rest);
	cmd->arg2 = next_word(&rest);
	if (*rest != '\0' || (cmd->arg != NULL && !arg_ok(cmd->arg))) {
		*error_r = "Usage: AUTH [<mechanism> [<initial-response>]]";
		return -1;
	}
	return 0;
}

static int
args_apop(struct pop3_cmd *cmd, char *rest, const char **error_r)
{
	cmd->arg = next_word(&rest);
	cmd->arg2 = next_word(&rest);
	if (!arg_ok(cmd->arg) || cmd->arg2 == NULL || *rest != '\0' ||
	    !is_hex32(cmd->arg2)) {
		*error_r = "Usage: APOP <name> <digest>";
		return -1;
	}
	return 0;
}

static int
parse_args(struct pop3_cmd *cmd, enum arg_shape shape, char *rest,
	   const char **error_r)
{
	switch (shape) {
	case ARGS_NONE:
		if (next_word(&rest) == NULL)
			return 0;
		*error_r = "Too many arguments";
		return -1;
	case ARGS_NAME:
		cmd->arg = next_word(&rest);
		if (arg_ok(cmd->arg) && *rest == '\0')
			return 0;
		*error_r = "Usage: USER <name>";
		return -1;
	case ARGS_REST:
		/* One separator only: the password is the rest as is. */
		cmd->arg = rest;
		if (*rest != '\0' && strlen(rest) <= POP3_CMD_ARG_MAX)
			return 0;
		*error_r = "Usage: PASS <password>";
		return -1;
	case ARGS_APOP:
		return args_apop(cmd, rest, error_r);
	case ARGS_AUTH:
		return args_auth(cmd, rest, error_r);
	case ARGS_OPT_MSG:
		return args_msg(cmd, rest, 1, error_r);
	case ARGS_MSG:
		return args_msg(cmd, rest, 0, error_r);
	case ARGS_TOP:
		return args_top(cmd, rest, error_r);
	}
	return -1;
}

/* Splits the keyword off: upper-cases it in place and returns where the
 * arguments start (after exactly one separator), or NULL if too long. */
static char *
split_keyword(char *line, char kw[8])
{
	size_t i;

	for (i = 0; line[i] != '\0' && !is_sp(line[i]); i++) {
		if (i >= 7)
			return NULL;
		kw[i] = upper(line[i]);
	}
	kw[i] = '\0';
	return line[i] == '\0' ? line + i : line + i + 1;
}

int
pop3_cmd_parse(const char *line, size_t len, struct pop3_cmd *cmd,
	       const char **error_r)
{
	char kw[8], *rest;

	memset(cmd, 0, offsetof(struct pop3_cmd, line));
	cmd->verb = POP3_CMD_UNKNOWN;
	if (len > POP3_CMD_LINE_MAX) {
		*error_r = "Line too long";
		return -1;
	}
	if (memchr(line, '\0', len) != NULL) {
		*error_r = "NUL byte in command";
		return -1;
	}
	memcpy(cmd->line, line, len);
	cmd->line[len] = '\0';
	rest = split_keyword(cmd->line, kw);
	for (size_t i = 0; rest != NULL && i < NVERBS; i++) {
		if (strcmp(kw, verbs[i].name) != 0)
			continue;
		cmd->verb = verbs[i].verb;
		return parse_args(cmd, verbs[i].shape, rest, error_r);
	}
	*error_r = "Unknown command";
	return -1;
}
