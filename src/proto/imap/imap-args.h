#ifndef CONFLUX_IMAP_ARGS_H
#define CONFLUX_IMAP_ARGS_H

/* Command-specific argument parsers for the IMAP server. Each takes the
 * parsed command (imap-cmd.h) -- usually cmd->args / cmd->nargs -- and
 * fills a result whose strings and arrays live in the command's arena.
 * Each returns 0, or -1 with *error_r (a static string for the BAD
 * response) unless said otherwise. No I/O. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto/imap/imap-cmd.h"

/* ---- flags ---- */

enum imap_flag {
	IMAP_FLAG_SEEN = 1 << 0,
	IMAP_FLAG_ANSWERED = 1 << 1,
	IMAP_FLAG_FLAGGED = 1 << 2,
	IMAP_FLAG_DELETED = 1 << 3,
	IMAP_FLAG_DRAFT = 1 << 4,
	IMAP_FLAG_RECENT = 1 << 5,	/* never storable: only in SEARCH */
};

struct imap_flag_list {
	unsigned int flags;		/* enum imap_flag bits */
	const char *const *keywords;	/* atoms as sent, duplicates removed
					   (ASCII case-insensitively) */
	size_t nkeywords;
};

/* "\Seen" (any case) -> IMAP_FLAG_SEEN etc.; 0 for anything else. */
unsigned int
imap_flag_from_name(const char *name);
/* "\Seen" etc. for one bit, NULL if not exactly one known bit. */
const char *
imap_flag_name(unsigned int flag);
/* 1 if s is a valid keyword (flag-keyword = atom, without '\'). */
int
imap_keyword_valid(const char *s);
/* Parses flags from args[0..n): either one LIST of flags, or (STORE's
 * second form) n >= 0 flag atoms. System flags \Seen \Answered \Flagged
 * \Deleted \Draft; keywords as atoms. \Recent and unknown "\X" flags are
 * errors. */
int
imap_flags_parse(struct imap_cmd *cmd, const struct imap_cmd_arg *args,
		 size_t n, struct imap_flag_list *r, const char **error_r);

/* ---- STORE ---- */

enum imap_store_mode {
	IMAP_STORE_REPLACE,	/* FLAGS */
	IMAP_STORE_ADD,		/* +FLAGS */
	IMAP_STORE_REMOVE,	/* -FLAGS */
};

/* "FLAGS", "+FLAGS", "-FLAGS", each optionally ".SILENT" (any case). */
int
imap_parse_store_action(const char *s, enum imap_store_mode *mode_r,
			bool *silent_r);

struct imap_store_args {
	const char *seqset;		/* syntax-checked, may hold '*' */
	bool unchangedsince_set;	/* (UNCHANGEDSINCE n) given */
	uint64_t unchangedsince;
	enum imap_store_mode mode;
	bool silent;
	struct imap_flag_list flags;
};

/* STORE seqset [(UNCHANGEDSINCE n)] action flags. */
int
imap_store_parse(struct imap_cmd *cmd, struct imap_store_args *r,
		 const char **error_r);

/* ---- SELECT / EXAMINE ---- */

struct imap_select_args {
	const char *mailbox;		/* imap_arg_mailbox() */
	bool condstore;			/* (CONDSTORE) */
	bool qresync;			/* (QRESYNC (...)) given */
	uint32_t uidvalidity;		/* QRESYNC fields */
	uint64_t modseq;
	const char *known_uids;		/* NULL or a set without '*' */
	const char *seq_match;		/* NULL or known-sequence-set */
	const char *uid_match;		/* NULL or known-uid-set */
};

/* SELECT/EXAMINE mailbox [(CONDSTORE | QRESYNC (uidvalidity modseq
 * [known-uids [(seq-match uid-match)]]))]. Whether QRESYNC was enabled is
 * the server's check. */
int
imap_select_parse(struct imap_cmd *cmd, struct imap_select_args *r,
		  const char **error_r);

/* ---- STATUS ---- */

enum imap_status_item {
	IMAP_STATUS_MESSAGES = 1 << 0,
	IMAP_STATUS_RECENT = 1 << 1,
	IMAP_STATUS_UIDNEXT = 1 << 2,
	IMAP_STATUS_UIDVALIDITY = 1 << 3,
	IMAP_STATUS_UNSEEN = 1 << 4,
	IMAP_STATUS_HIGHESTMODSEQ = 1 << 5,
	IMAP_STATUS_SIZE = 1 << 6,	/* RFC 8438 */
};

/* A LIST of status items (non-empty) -> bits. */
int
imap_status_items_parse(const struct imap_cmd_arg *arg,
			unsigned int *items_r, const char **error_r);
/* STATUS mailbox (items). */
int
imap_status_parse(struct imap_cmd *cmd, const char **mailbox_r,
		  unsigned int *items_r, const char **error_r);

/* ---- LIST / LSUB ---- */

enum imap_list_select {
	IMAP_LIST_SEL_SUBSCRIBED = 1 << 0,
	IMAP_LIST_SEL_REMOTE = 1 << 1,
	IMAP_LIST_SEL_RECURSIVEMATCH = 1 << 2,
	IMAP_LIST_SEL_SPECIAL_USE = 1 << 3,
};

enum imap_list_return {
	IMAP_LIST_RET_SUBSCRIBED = 1 << 0,
	IMAP_LIST_RET_CHILDREN = 1 << 1,
	IMAP_LIST_RET_SPECIAL_USE = 1 << 2,
	IMAP_LIST_RET_STATUS = 1 << 3,	/* RFC 5819: status_items set */
};

struct imap_list_args {
	bool extended;		/* selection or return options given */
	unsigned int select;	/* enum imap_list_select */
	unsigned int ret;	/* enum imap_list_return */
	unsigned int status_items; /* RETURN (STATUS (...)) */
	const char *reference;	/* astring, may be "" */
	const char *const *patterns; /* >= 1; wildcards '*' '%' kept */
	size_t npatterns;
};

/* LIST [(selection-opts)] reference (pattern | (patterns)) [RETURN (opts)]
 * (RFC 3501, 5258, 6154, 5819). RECURSIVEMATCH alone is an error
 * (RFC 5258). Also LSUB reference pattern (plain form only). */
int
imap_list_parse(struct imap_cmd *cmd, struct imap_list_args *r,
		const char **error_r);

/* ---- APPEND ---- */

struct imap_append_msg {
	struct imap_flag_list flags;	/* empty when not given */
	bool have_date;
	time_t date;			/* UTC seconds */
	int date_tz;			/* minutes east of UTC */
	uint64_t size;			/* of the message literal */
	bool nonsync;			/* {n+} */
	bool literal8;			/* ~{n}: BINARY */
};

/* After imap_cmd_parse_prefix() returned 1 on an APPEND: if cmd->nargs is
 * 0, the pending literal is the mailbox name (read it inline and go on);
 * otherwise this gives the mailbox (args[0]) and the first message's
 * flags, date and size (the pending literal). */
int
imap_append_parse_prefix(struct imap_cmd *cmd, const char **mailbox_r,
			 struct imap_append_msg *msg_r, const char **error_r);
/* After a message literal was read: `line` is the rest of that line (no
 * CRLF). 0 when it is empty (the command is complete); 1 when it holds
 * " [flags] [date-time] {n}" -- another message (MULTIAPPEND), described
 * in *msg_r; -1 on error. Allocates in cmd's arena. */
int
imap_append_parse_next(struct imap_cmd *cmd, const char *line, size_t len,
		       struct imap_append_msg *msg_r, const char **error_r);

/* ---- session commands ---- */

/* ENABLE cap...: at least one atom; *caps_r upper-cased. */
int
imap_enable_parse(struct imap_cmd *cmd, const char *const **caps_r,
		  size_t *count_r, const char **error_r);

/* ID NIL | ID (field value ...) (RFC 2971: at most 30 pairs, field a
 * string of <= 30 bytes, value an nstring of <= 1024 bytes). *n_r pairs;
 * values may be NULL (NIL). */
int
imap_id_parse(struct imap_cmd *cmd, const char *const **fields_r,
	      const char *const **values_r, size_t *n_r,
	      const char **error_r);

/* AUTHENTICATE mechanism [initial-response] (SASL-IR). *mech_r is
 * upper-cased; *ir_r is NULL when absent, "=" stands for an empty
 * response (the caller base64-decodes the rest). */
int
imap_authenticate_parse(struct imap_cmd *cmd, const char **mech_r,
			const char **ir_r, const char **error_r);

/* LOGIN user password (two astrings). */
int
imap_login_parse(struct imap_cmd *cmd, const char **user_r,
		 const char **pass_r, const char **error_r);

#endif
