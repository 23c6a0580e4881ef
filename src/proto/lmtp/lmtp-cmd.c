/* LMTP command lines (server side): keywords, paths, MAIL parameters. */

#include <string.h>

#include "proto/lmtp/lmtp-cmd.h"

static const struct {
	const char *name;
	enum lmtp_verb verb;
} verbs[] = {
	{ "LHLO", LMTP_CMD_LHLO }, { "MAIL", LMTP_CMD_MAIL },
	{ "RCPT", LMTP_CMD_RCPT }, { "DATA", LMTP_CMD_DATA },
	{ "RSET", LMTP_CMD_RSET }, { "NOOP", LMTP_CMD_NOOP },
	{ "QUIT", LMTP_CMD_QUIT }, { "VRFY", LMTP_CMD_VRFY },
	{ "STARTTLS", LMTP_CMD_STARTTLS }, { "HELO", LMTP_CMD_HELO },
	{ "EHLO", LMTP_CMD_HELO },
};

#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static int
is_sp(char c)
{
	return c == ' ' || c == '\t';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int
ci_prefix(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++) {
		if (lower(*s) != lower(*prefix))
			return 0;
	}
	return 1;
}

static char *
skip_sp(char *p)
{
	while (is_sp(*p))
		p++;
	return p;
}

/* Cuts the next space-separated word (NUL-terminated in place). */
static char *
next_word(char **p)
{
	char *w = skip_sp(*p), *e;

	if (*w == '\0')
		return NULL;
	for (e = w; *e != '\0' && !is_sp(*e); e++)
		;
	if (*e != '\0')
		*e++ = '\0';
	*p = skip_sp(e);
	return w;
}

/* "<...>" with an optional source route ("@a,@b:") that is dropped. The
 * closing bracket is the first one outside a quoted string. Returns the
 * address (NUL-terminated in place) and sets *end_r after the '>'. */
static char *
parse_path(char *p, char **end_r)
{
	char *addr, *e;
	int quoted = 0;

	if (*p != '<')
		return NULL;
	addr = p + 1;
	for (e = addr; *e != '\0'; e++) {
		if (quoted && *e == '\\' && e[1] != '\0')
			e++;
		else if (*e == '"')
			quoted = !quoted;
		else if (!quoted && (*e == '>' || is_sp(*e) || *e == '<'))
			break;
	}
	if (*e != '>' || (size_t)(e - p + 1) > LMTP_PATH_MAX)
		return NULL;
	*e = '\0';
	*end_r = e + 1;
	if (*addr == '@') {
		char *colon = strchr(addr, ':');

		if (colon == NULL)
			return NULL;
		addr = colon + 1;
	}
	return addr;
}

static int
parse_size(const char *v, uint64_t *r)
{
	uint64_t n = 0;

	if (*v == '\0' || strlen(v) > 20)
		return -1;
	for (; *v != '\0'; v++) {
		if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*v - '0');
	}
	*r = n;
	return 0;
}

static int
mail_param(struct lmtp_cmd *cmd, const char *w, const char **error_r)
{
	if (ci_prefix(w, "SIZE=")) {
		if (cmd->has_size || parse_size(w + 5, &cmd->size) < 0) {
			*error_r = "501 5.5.4 Invalid SIZE parameter";
			return -1;
		}
		cmd->has_size = true;
		return 0;
	}
	if (ci_prefix(w, "BODY=") && cmd->body == LMTP_BODY_NONE) {
		if (ci_prefix(w + 5, "7BIT") && w[9] == '\0')
			cmd->body = LMTP_BODY_7BIT;
		else if (ci_prefix(w + 5, "8BITMIME") && w[13] == '\0')
			cmd->body = LMTP_BODY_8BITMIME;
		else {
			*error_r = "501 5.5.4 Unsupported BODY parameter";
			return -1;
		}
		return 0;
	}
	*error_r = "555 5.5.4 Unsupported parameter";
	return -1;
}

/* MAIL FROM:<path> [params] / RCPT TO:<path> (no parameters: no DSN). */
static int
parse_mail_rcpt(struct lmtp_cmd *cmd, char *rest, const char *prefix,
		const char **error_r)
{
	char *end, *w;
	bool mail = cmd->verb == LMTP_CMD_MAIL;

	*error_r = mail ? "501 5.5.4 Syntax: MAIL FROM:<address> [params]" :
		"501 5.5.4 Syntax: RCPT TO:<address>";
	if (!ci_prefix(rest, prefix))
		return -1;
	/* A space after the colon is common enough to accept. */
	cmd->addr = parse_path(skip_sp(rest + strlen(prefix)), &end);
	if (cmd->addr == NULL || (*end != '\0' && !is_sp(*end)))
		return -1;
	if (!mail && *cmd->addr == '\0') {
		*error_r = "501 5.1.3 Empty recipient address";
		return -1;
	}
	end = skip_sp(end);
	while ((w = next_word(&end)) != NULL) {
		if (!mail) {
			*error_r = "555 5.5.4 Unsupported parameter";
			return -1;
		}
		if (mail_param(cmd, w, error_r) < 0)
			return -1;
	}
	return 0;
}

static int
parse_args(struct lmtp_cmd *cmd, char *rest, const char **error_r)
{
	switch (cmd->verb) {
	case LMTP_CMD_LHLO:
		cmd->arg = next_word(&rest);
		if (cmd->arg != NULL && *rest == '\0')
			return 0;
		*error_r = "501 5.5.4 Syntax: LHLO <hostname>";
		return -1;
	case LMTP_CMD_MAIL:
		return parse_mail_rcpt(cmd, rest, "FROM:", error_r);
	case LMTP_CMD_RCPT:
		return parse_mail_rcpt(cmd, rest, "TO:", error_r);
	case LMTP_CMD_VRFY:
		cmd->arg = *rest != '\0' ? rest : NULL;
		if (cmd->arg != NULL)
			return 0;
		*error_r = "501 5.5.4 Syntax: VRFY <address>";
		return -1;
	case LMTP_CMD_NOOP:
		cmd->arg = *rest != '\0' ? rest : NULL;
		return 0;
	case LMTP_CMD_HELO:
		*error_r = "500 5.5.1 This is LMTP: use LHLO";
		return -1;
	default:
		if (*rest == '\0')
			return 0;
		*error_r = "501 5.5.4 No arguments allowed";
		return -1;
	}
}

static int
find_verb(const char *kw, size_t n, enum lmtp_verb *verb_r)
{
	for (size_t i = 0; i < NVERBS; i++) {
		if (strlen(verbs[i].name) == n &&
		    ci_prefix(kw, verbs[i].name)) {
			*verb_r = verbs[i].verb;
			return 0;
		}
	}
	return -1;
}

int
lmtp_cmd_parse(const char *line, size_t len, struct lmtp_cmd *cmd,
	       const char **error_r)
{
	size_t n;
	char *rest;

	memset(cmd, 0, offsetof(struct lmtp_cmd, line));
	cmd->verb = LMTP_CMD_UNKNOWN;
	if (len > LMTP_CMD_LINE_MAX) {
		*error_r = "500 5.5.2 Line too long";
		return -1;
	}
	if (memchr(line, '\0', len) != NULL) {
		*error_r = "500 5.5.2 NUL byte in command";
		return -1;
	}
	memcpy(cmd->line, line, len);
	cmd->line[len] = '\0';
	for (n = 0; n < len && !is_sp(cmd->line[n]); n++)
		;
	if (find_verb(cmd->line, n, &cmd->verb) < 0) {
		*error_r = "500 5.5.1 Unknown command";
		return -1;
	}
	rest = skip_sp(cmd->line + n);
	/* Trailing spaces are noise some clients send. */
	for (size_t e = strlen(rest); e > 0 && is_sp(rest[e - 1]); e--)
		rest[e - 1] = '\0';
	return parse_args(cmd, rest, error_r);
}

int
lmtp_rcpt_user(const char *addr, char *out, size_t size)
{
	const char *at = strrchr(addr, '@');
	size_t n = at != NULL ? (size_t)(at - addr) : strlen(addr);

	if (n == 0 || n >= size || memchr(addr, '"', n) != NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = lower(addr[i]);
	out[n] = '\0';
	return 0;
}

int
lmtp_data_line(const char *line, size_t len, const char **data_r,
	       size_t *len_r)
{
	if (len == 1 && line[0] == '.')
		return 1;
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	*data_r = line;
	*len_r = len;
	return 0;
}
