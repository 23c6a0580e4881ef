#ifndef CONFLUX_IMAP_CMD_H
#define CONFLUX_IMAP_CMD_H

/* IMAP commands as a server reads them (RFC 3501 / RFC 9051 grammar).
 * No I/O: the server's connection code gathers bytes, this parses them.
 *
 * Framing. The server reads a line (CRLF stripped). When
 * imap_line_literal() says the line ends in a literal marker {n} / {n+} /
 * ~{n}, the server answers "+ ..." for a synchronising one (after checking
 * n against its limit), reads n bytes and then the next line, and so on.
 * The whole command in WIRE FORM is: the lines joined with CRLF, each
 * literal's bytes right after its "{n}\r\n", and the final CRLF stripped:
 *   "a1 LOGIN {4}\r\nuser \"pass\""
 * imap_cmd_parse() turns that into a tag, an upper-cased command name and a
 * tree of arguments.
 *
 * APPEND's message must not be held in memory: when a line of an APPEND
 * ends in a literal marker, the server calls imap_cmd_parse_prefix() on the
 * wire form so far; it gives the arguments before the literal (the mailbox,
 * flags, date) and the pending literal size, so the server streams the
 * literal to a file and then hands the rest of the line to
 * imap_append_parse_next() (imap-args.h), which also handles MULTIAPPEND.
 *
 * Memory. Everything a parse yields (strings, argument arrays, and what
 * imap-args.h, imap-search.h and imap-fetch-items.h parse from the args)
 * lives in an arena owned by struct imap_cmd: one imap_cmd_clear() frees it
 * all. A struct imap_cmd starts zeroed ({0}); parsing again clears it
 * first. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default bounds (a zero field of struct imap_cmd_limits takes these). */
#define IMAP_CMD_DEFAULT_MAX_DEPTH 16	/* list nesting */
#define IMAP_CMD_DEFAULT_MAX_ARGS 100000 /* arguments in the whole tree */

struct imap_cmd_limits {
	unsigned int max_depth;	/* pre-login: use a small value, e.g. 4 */
	size_t max_args;	/* pre-login: e.g. 100 */
};

/* Named imap_cmd_arg / IMAP_CARG_* because the client-side response parser
 * (imap-resp.h) already owns struct imap_arg in the same library. */
enum imap_cmd_arg_type {
	IMAP_CARG_ATOM,		/* also "BODY[HEADER.FIELDS (A B)]<0.10>" */
	IMAP_CARG_QUOTED,	/* unescaped */
	IMAP_CARG_LITERAL,	/* {n} or ~{n}: str/len, may hold NUL */
	IMAP_CARG_NIL,		/* the atom NIL, any case; str = as sent */
	IMAP_CARG_LIST,		/* ( ... ) */
};

struct imap_cmd_arg {
	enum imap_cmd_arg_type type;
	const char *str;	/* NUL-terminated; NULL for LIST */
	size_t len;		/* of str */
	bool literal8;		/* LITERAL sent as ~{n} (BINARY) */
	bool bracket;		/* ATOM holding "[...]" (FETCH only) */
	const struct imap_cmd_arg *list; /* LIST: its elements */
	size_t count;		/* LIST: number of elements */
};

struct imap_arena;

struct imap_cmd {
	/* NULL when no valid tag could be read: answer "* BAD". Set even
	 * when the rest is bad: answer "<tag> BAD <error>". */
	const char *tag;
	/* Upper-cased ("FETCH"). "UID FETCH ..." gives uid = true and name
	 * "FETCH". NULL when missing. */
	const char *name;
	bool uid;
	const struct imap_cmd_arg *args; /* the top-level arguments */
	size_t nargs;
	/* imap_cmd_parse_prefix() only: the literal that ends the input. */
	bool literal_pending;
	uint64_t literal_size;
	bool literal_nonsync;	/* {n+} */
	bool literal8;		/* ~{n} */
	/* After an error: a short text for the BAD response. */
	const char *error;

	const struct imap_cmd_limits *limits; /* NULL: defaults */
	struct imap_arena *arena;	/* private */
};

/* 1 if line[0..len) (no CRLF) ends in a valid literal marker "{n}",
 * "{n+}", "~{n}" or "~{n+}" (n decimal, no overflow), with *size_r and
 * *nonsync_r set; 0 otherwise (an invalid marker such as "{x}" is 0; the
 * parser then reports it). */
int
imap_line_literal(const char *line, size_t len, uint64_t *size_r,
		  bool *nonsync_r);

/* Parses a whole command in wire form (see above). 0 on success; -1 with
 * cmd->error (and cmd->tag when it was valid). Literals are checked
 * against the bytes present ("Literal size mismatch" when short).
 * For FETCH and UID FETCH an atom may hold "[...]" with spaces and
 * parentheses inside (one ATOM, bracket = true); elsewhere '[' is an
 * ordinary atom character. */
int
imap_cmd_parse(const char *buf, size_t len, struct imap_cmd *cmd);

/* Like imap_cmd_parse() on a wire form that ends right after a literal
 * marker at the top level (not inside a list): "a APPEND box (\Seen) {42}".
 * 1 with cmd->literal_pending, literal_size, literal_nonsync set and the
 * arguments BEFORE the literal in cmd->args; 0 when the input does not end
 * in a top-level literal marker (then it was parsed as a whole command);
 * -1 on error as above. */
int
imap_cmd_parse_prefix(const char *buf, size_t len, struct imap_cmd *cmd);

/* Frees everything the command holds and zeroes it (limits are kept).
 * NULL-safe. */
void
imap_cmd_clear(struct imap_cmd *cmd);

/* Arena allocation tied to cmd (freed by imap_cmd_clear). Zeroed memory;
 * aborts on OOM like xmalloc. */
void *
imap_cmd_alloc(struct imap_cmd *cmd, size_t size);
char *
imap_cmd_strndup(struct imap_cmd *cmd, const char *s, size_t len);

/* ---- argument helpers (imap-args.c) ----
 * Each returns 0 and sets *r when arg has the wanted form, else -1 (the
 * caller answers BAD). arg may be NULL (missing argument): -1. */

/* astring: ATOM, QUOTED, LITERAL or NIL (the text "NIL"). A literal
 * holding a NUL byte is refused. */
int
imap_arg_astring(const struct imap_cmd_arg *arg, const char **r);
/* nstring: QUOTED or LITERAL, or NIL (*r = NULL). */
int
imap_arg_nstring(const struct imap_cmd_arg *arg, const char **r);
/* string: QUOTED or LITERAL. */
int
imap_arg_quoted_string(const struct imap_cmd_arg *arg, const char **r);
/* A plain atom (ATOM or NIL, no brackets). */
int
imap_arg_atom(const struct imap_cmd_arg *arg, const char **r);
/* 1 if arg is an atom equal to `word` ignoring ASCII case, else 0. */
int
imap_arg_atom_eq(const struct imap_cmd_arg *arg, const char *word);
/* number (ATOM of digits, no sign): uint32 / uint64 with overflow check. */
int
imap_arg_number(const struct imap_cmd_arg *arg, uint32_t *r);
int
imap_arg_number64(const struct imap_cmd_arg *arg, uint64_t *r);
/* nz-number: as imap_arg_number but 0 is refused. */
int
imap_arg_nz_number(const struct imap_cmd_arg *arg, uint32_t *r);
/* A LIST: its elements and count (an empty list is fine). */
int
imap_arg_list(const struct imap_cmd_arg *arg,
	      const struct imap_cmd_arg **list_r, size_t *count_r);
/* A mailbox name: an astring; "INBOX" in any case becomes "INBOX" (only
 * the exact name, not "inbox/sub"). The name stays in its wire encoding
 * (modified UTF-7, or UTF-8 after ENABLE UTF8=ACCEPT); lib/utf7 decodes. */
int
imap_arg_mailbox(const struct imap_cmd_arg *arg, const char **r);
/* A sequence set (ATOM): syntax checked with '*' allowed; the server
 * resolves '*' with imap_seqset_parse() when it runs the command. */
int
imap_arg_seqset(const struct imap_cmd_arg *arg, const char **r);

#endif
