#ifndef CONFLUX_IMAP_RESP_H
#define CONFLUX_IMAP_RESP_H

/* An incremental parser of IMAP SERVER responses (RFC 3501, RFC 9051 and
 * the extensions a sync client meets: CONDSTORE/QRESYNC, UIDPLUS, ENABLE,
 * SPECIAL-USE, LITERAL+, BINARY). No I/O: bytes go in, parsed responses
 * come out, so it is tested byte by byte and fuzzed.
 *
 * Feed raw bytes as received, CRLF (or bare LF) included. The parser keeps
 * one line segment at a time (at most limits.max_line bytes) and builds the
 * response's argument tree as segments complete. A literal {n} / ~{n} at
 * the end of a segment stops feeding with IMAP_RESP_LITERAL: the caller then
 * either keeps feeding, and the next n bytes become the literal's value
 * (refused when n > limits.max_literal), or calls imap_resp_literal_skip()
 * and reads the n bytes itself (a BODY[] streamed in chunks), after which
 * the rest of the response is fed as usual. Nothing of the literal is
 * ever held by the parser in that case.
 *
 * Status responses (OK/NO/BAD/BYE/PREAUTH, tagged or not) and continuation
 * requests end at their line end: their text is never a literal. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum imap_resp_rc {
	IMAP_RESP_ERROR = -1,
	IMAP_RESP_MORE = 0,	/* all input consumed, response incomplete */
	IMAP_RESP_DONE = 1,	/* *resp_r is valid until the next feed */
	IMAP_RESP_LITERAL = 2,	/* *lit_r describes the literal that starts */
};

struct imap_resp_limits {
	size_t max_line;	/* bytes of one line segment, CRLF excluded */
	uint64_t max_literal;	/* a literal the parser collects */
	unsigned int max_depth;	/* list nesting */
	size_t max_resp;	/* bytes of one whole response (lines, collected
				   literals, and 32 per argument) */
};

enum imap_arg_type {
	IMAP_ARG_ATOM,
	IMAP_ARG_QUOTED,
	IMAP_ARG_LITERAL,	/* collected: str/len hold it (may hold NUL) */
	IMAP_ARG_STREAMED,	/* skipped: the caller read literal_size bytes */
	IMAP_ARG_NIL,
	IMAP_ARG_LIST,
};

struct imap_arg {
	enum imap_arg_type type;
	const char *str;	/* ATOM, QUOTED, LITERAL: NUL-terminated */
	size_t len;
	uint64_t literal_size;	/* LITERAL, STREAMED */
	bool literal8;		/* ~{n} */
	const struct imap_arg *list;	/* LIST */
	size_t count;		/* LIST */
};

enum imap_resp_kind {
	IMAP_RESP_TAGGED,
	IMAP_RESP_UNTAGGED,
	IMAP_RESP_CONTINUE,	/* "+ text" */
};

enum imap_resp_type {
	IMAP_RT_STATUS,		/* OK NO BAD BYE PREAUTH; also CONTINUE */
	IMAP_RT_CAPABILITY,
	IMAP_RT_ENABLED,
	IMAP_RT_FLAGS,
	IMAP_RT_LIST,
	IMAP_RT_LSUB,
	IMAP_RT_STATUS_DATA,	/* * STATUS mbox (...) */
	IMAP_RT_SEARCH,
	IMAP_RT_ESEARCH,
	IMAP_RT_EXISTS,
	IMAP_RT_RECENT,
	IMAP_RT_EXPUNGE,
	IMAP_RT_FETCH,
	IMAP_RT_VANISHED,
	IMAP_RT_OTHER,		/* anything else: name + args */
};

enum imap_status {
	IMAP_ST_NONE,
	IMAP_ST_OK,
	IMAP_ST_NO,
	IMAP_ST_BAD,
	IMAP_ST_BYE,
	IMAP_ST_PREAUTH,
};

enum imap_code_type {
	IMAP_CODE_NONE,
	IMAP_CODE_ALERT,
	IMAP_CODE_CAPABILITY,	/* text: the capability list */
	IMAP_CODE_UIDVALIDITY,	/* n1 */
	IMAP_CODE_UIDNEXT,	/* n1 */
	IMAP_CODE_HIGHESTMODSEQ, /* n1 */
	IMAP_CODE_NOMODSEQ,
	IMAP_CODE_APPENDUID,	/* n1 = uidvalidity, n2 = uid */
	IMAP_CODE_COPYUID,	/* n1 = uidvalidity, text: "set set" */
	IMAP_CODE_CLOSED,
	IMAP_CODE_READ_WRITE,
	IMAP_CODE_READ_ONLY,
	IMAP_CODE_PERMANENTFLAGS, /* text: "(\Seen ...)" */
	IMAP_CODE_TRYCREATE,
	IMAP_CODE_OTHER,	/* name + text */
};

struct imap_code {
	enum imap_code_type type;
	const char *name;	/* upper-case as sent; "" when none */
	const char *text;	/* what follows the name inside [], or "" */
	uint64_t n1;
	uint32_t n2;
};

/* One FETCH response's items. Fields not sent stay 0/NULL/false. */
struct imap_fetch {
	bool has_uid;
	uint32_t uid;
	bool has_flags;
	const struct imap_arg *flags;	/* atoms */
	size_t nflags;
	bool has_size;
	uint64_t size;			/* RFC822.SIZE as the server claims */
	const char *internaldate;	/* as sent, without quotes */
	bool has_modseq;
	uint64_t modseq;
	/* BODY[HEADER...] / BODY[HEADER.FIELDS (...)] (collected) */
	const char *header;
	size_t header_len;
	/* BODY[] / BINARY[] / RFC822: collected (body != NULL) or
	 * streamed (body == NULL, has_body) */
	bool has_body;
	const char *body;
	uint64_t body_size;
};

struct imap_list {
	const struct imap_arg *attrs;	/* atoms like \Noselect \Sent */
	size_t nattrs;
	char delim;			/* 0 for NIL */
	const char *name;		/* as sent (modified UTF-7) */
	size_t name_len;
};

struct imap_resp {
	enum imap_resp_kind kind;
	enum imap_resp_type type;
	const char *tag;		/* TAGGED */
	enum imap_status status;	/* RT_STATUS */
	struct imap_code code;		/* RT_STATUS */
	const char *text;		/* RT_STATUS, CONTINUE: human text */
	const char *name;		/* data name, upper-case ("FETCH") */
	uint32_t number;		/* EXISTS RECENT EXPUNGE FETCH */
	const struct imap_arg *args;	/* the data after the name */
	size_t nargs;
	struct imap_fetch fetch;	/* FETCH */
	struct imap_list list;		/* LIST, LSUB */
	bool earlier;			/* VANISHED (EARLIER) */
	const char *uidset;		/* VANISHED */
};

/* What IMAP_RESP_LITERAL announces. */
struct imap_literal {
	uint64_t size;
	bool literal8;
	bool too_big;		/* size > max_literal: only skipping works */
	uint32_t fetch_seq;	/* inside "* n FETCH (...)": n; else 0 */
	uint32_t fetch_uid;	/* a UID already seen in that FETCH; else 0 */
	const char *item;	/* FETCH item the literal is the value of,
				   upper-case ("BODY[]"), or NULL */
};

struct imap_resp_parser;

struct imap_resp_parser *
imap_resp_parser_new(const struct imap_resp_limits *limits);
/* NULL is a no-op; *p is set to NULL. */
void
imap_resp_parser_free(struct imap_resp_parser **p);
/* Drops any partial response (after an error, or to resynchronise). */
void
imap_resp_parser_reset(struct imap_resp_parser *p);

/* Consumes bytes from data[0..len) and stops at the first event.
 * *consumed_r: bytes used (feed the rest again after handling the event).
 * DONE: *resp_r is valid until the next feed/reset. LITERAL: *lit_r is
 * valid until the next feed/skip/reset. ERROR: *error_r says why; call
 * imap_resp_parser_reset() before feeding again. */
int
imap_resp_feed(struct imap_resp_parser *p, const void *data, size_t len,
	       size_t *consumed_r, const struct imap_resp **resp_r,
	       const struct imap_literal **lit_r, const char **error_r);
/* After IMAP_RESP_LITERAL: the caller consumes the literal's bytes itself;
 * the parser records an IMAP_ARG_STREAMED argument and expects the rest of
 * the response next. */
void
imap_resp_literal_skip(struct imap_resp_parser *p);

/* ---- argument helpers ---- */

/* 1 if a is an atom equal to s (ASCII case-insensitive), else 0. */
int
imap_arg_atom_is(const struct imap_arg *a, const char *s);
/* The value of an atom, quoted string or collected literal; NULL for NIL,
 * lists and streamed literals. */
const char *
imap_arg_string(const struct imap_arg *a);
/* A number (atom of digits) that fits: 0, or -1. */
int
imap_arg_uint32(const struct imap_arg *a, uint32_t *r);
int
imap_arg_uint64(const struct imap_arg *a, uint64_t *r);

#endif
