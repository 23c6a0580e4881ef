#ifndef CONFLUX_PROTO_POP3_CMD_H
#define CONFLUX_PROTO_POP3_CMD_H

/* POP3 commands, as a server reads them (RFC 1939, RFC 2449 CAPA, RFC
 * 5034 AUTH, RFC 2595 STLS). Pure grammar: no I/O, no allocation; the
 * parsed command lives in the caller's struct.
 *
 * Lines are given without their line end, as net/conn delivers them.
 * Keywords are case-insensitive. Arguments are separated by single
 * spaces (RFC 1939); we also accept runs of spaces and tabs, except inside
 * PASS, whose argument is the rest of the line (passwords may hold
 * spaces, as in Dovecot). */

#include <stddef.h>
#include <stdint.h>

/* RFC 2449 allows 255 octets per command line with CRLF; an AUTH initial
 * response may be longer (RFC 5034), so the hard cap leaves room. */
#define POP3_CMD_LINE_MAX 1024
/* RFC 2449: arguments up to 40 octets; user names are at most 64 here. */
#define POP3_CMD_ARG_MAX 255

enum pop3_verb {
	POP3_CMD_USER, POP3_CMD_PASS, POP3_CMD_APOP, POP3_CMD_AUTH,
	POP3_CMD_CAPA, POP3_CMD_STLS, POP3_CMD_STAT, POP3_CMD_LIST,
	POP3_CMD_RETR, POP3_CMD_TOP, POP3_CMD_DELE, POP3_CMD_RSET,
	POP3_CMD_NOOP, POP3_CMD_UIDL, POP3_CMD_QUIT,
	POP3_CMD_UNKNOWN,
};

struct pop3_cmd {
	enum pop3_verb verb;
	/* USER: the name; PASS: the password; APOP: the name; AUTH: the
	 * mechanism (NULL: list them). NUL-terminated, in `line`. */
	const char *arg;
	/* APOP: the digest; AUTH: the initial response or NULL. */
	const char *arg2;
	/* LIST, UIDL: 0 when absent. RETR, DELE, TOP: >= 1. */
	uint32_t msg;
	/* TOP: number of body lines. */
	uint64_t lines;
	char line[POP3_CMD_LINE_MAX + 1];	/* private copy */
};

/* Parses one command line. 0 on success; -1 with *error_r (a static
 * string fit for "-ERR <error>") for an unknown command, a bad or missing
 * argument, an over-long line or a NUL byte. On -1, cmd_r->verb still
 * tells which command it was (POP3_CMD_UNKNOWN if none). */
int
pop3_cmd_parse(const char *line, size_t len, struct pop3_cmd *cmd_r,
	       const char **error_r);

/* The keyword of a verb, upper case ("RETR"); "?" for UNKNOWN. */
const char *
pop3_verb_name(enum pop3_verb v);

#endif
