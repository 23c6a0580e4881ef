#ifndef CONFLUX_PROTO_LMTP_CMD_H
#define CONFLUX_PROTO_LMTP_CMD_H

/* LMTP commands, as a server reads them (RFC 2033 over RFC 5321, with
 * SIZE (RFC 1870), 8BITMIME (RFC 1652), PIPELINING, STARTTLS). Pure
 * grammar: no I/O, no allocation; the parsed command lives in the
 * caller's struct. Lines come without their line end. Keywords and
 * parameter names are case-insensitive. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5321 4.5.3.1.4: 512 octets with CRLF; some slack for parameters. */
#define LMTP_CMD_LINE_MAX 2048
/* RFC 5321 4.5.3.1.3: a path is at most 256 octets with the brackets. */
#define LMTP_PATH_MAX 256

enum lmtp_verb {
	LMTP_CMD_LHLO, LMTP_CMD_MAIL, LMTP_CMD_RCPT, LMTP_CMD_DATA,
	LMTP_CMD_RSET, LMTP_CMD_NOOP, LMTP_CMD_QUIT, LMTP_CMD_VRFY,
	LMTP_CMD_STARTTLS,
	LMTP_CMD_HELO,		/* HELO, EHLO: not LMTP (RFC 2033 4.1) */
	LMTP_CMD_UNKNOWN,
};

enum lmtp_body { LMTP_BODY_NONE, LMTP_BODY_7BIT, LMTP_BODY_8BITMIME };

struct lmtp_cmd {
	enum lmtp_verb verb;
	/* LHLO: the domain; VRFY: the argument; NOOP: NULL or its text. */
	const char *arg;
	/* MAIL, RCPT: the address without brackets and source route;
	 * "" for the null sender <>. */
	const char *addr;
	bool has_size;		/* MAIL SIZE= */
	uint64_t size;
	enum lmtp_body body;	/* MAIL BODY= */
	char line[LMTP_CMD_LINE_MAX + 1];	/* private copy */
};

/* Parses one command line. 0 on success; -1 with *error_r, a whole
 * static reply line ("501 5.5.4 Syntax: MAIL FROM:<address>"), for an
 * unknown command (500), bad syntax (501), an unknown parameter (555) or
 * an over-long line (500). On -1 cmd_r->verb still tells the command. */
int
lmtp_cmd_parse(const char *line, size_t len, struct lmtp_cmd *cmd_r,
	       const char **error_r);

/* The local user an RCPT address names: the part before the last '@'
 * (or the whole address without one), lower-cased, into out. A quoted
 * local part is refused. 0, or -1 when empty, quoted or over size. */
int
lmtp_rcpt_user(const char *addr, char *out, size_t size);

/* One line of a DATA body, without its line end: 1 when it is the
 * terminating ".", else 0 and *data_r, *len_r without the one leading dot
 * a sender doubles (RFC 5321 4.5.2). */
int
lmtp_data_line(const char *line, size_t len, const char **data_r,
	       size_t *len_r);

#endif
