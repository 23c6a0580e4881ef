#ifndef CONFLUX_IMAP_SEARCH_H
#define CONFLUX_IMAP_SEARCH_H

/* SEARCH programs (RFC 3501 6.4.4, RFC 7162 MODSEQ, RFC 4731 RETURN) as a
 * tree, plus a pure evaluator for the parts that need no message content.
 * No I/O. The tree lives in the command's arena (imap-cmd.h). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto/imap/imap-cmd.h"
#include "proto/imap/imap-seqset.h"

enum imap_sk_type {
	IMAP_SK_ALL,
	IMAP_SK_AND,		/* children: all must match ("(...)", top) */
	IMAP_SK_OR,		/* children: exactly two */
	IMAP_SK_NOT,		/* children: exactly one */
	IMAP_SK_SEQSET,		/* message numbers: set */
	IMAP_SK_UID,		/* UIDs: set */
	IMAP_SK_FLAG,		/* flag (one enum imap_flag bit), is_set */
	IMAP_SK_KEYWORD,	/* str = keyword, is_set (UNKEYWORD: false) */
	IMAP_SK_DATE,		/* date_field, date_op, date (midnight UTC) */
	IMAP_SK_SIZE,		/* LARGER (op SINCE: >) / SMALLER (BEFORE: <) */
	IMAP_SK_HEADER,		/* str = field name (upper-cased), value */
	IMAP_SK_BODY,		/* value: in the body */
	IMAP_SK_TEXT,		/* value: in header or body */
	IMAP_SK_MODSEQ,		/* number; entry / entry_type optional */
};

enum imap_sk_date_field {
	IMAP_SK_DATE_INTERNAL,	/* BEFORE ON SINCE */
	IMAP_SK_DATE_SENT,	/* SENTBEFORE SENTON SENTSINCE (Date: header) */
};

enum imap_sk_op {
	IMAP_SK_OP_BEFORE,	/* date <  / size <  (SMALLER) */
	IMAP_SK_OP_ON,		/* date == */
	IMAP_SK_OP_SINCE,	/* date >= / size >  (LARGER) */
};

enum imap_sk_entry_type {
	IMAP_SK_ENTRY_ALL,	/* also when no entry was given */
	IMAP_SK_ENTRY_PRIV,
	IMAP_SK_ENTRY_SHARED,
};

struct imap_search_key {
	enum imap_sk_type type;
	struct imap_search_key *children; /* AND, OR, NOT: first child */
	struct imap_search_key *next;	/* next sibling */

	unsigned int flag;		/* FLAG */
	bool is_set;			/* FLAG, KEYWORD: true = must be set */
	const char *str;		/* KEYWORD, HEADER field */
	const char *value;		/* HEADER, BODY, TEXT: substring */

	const char *set;		/* SEQSET, UID: as sent, may hold '*' */
	const struct imap_range *ranges; /* after imap_search_bind() */
	size_t nranges;

	enum imap_sk_date_field date_field;
	enum imap_sk_op op;		/* DATE, SIZE */
	time_t date;			/* DATE: midnight UTC of the day */
	uint64_t number;		/* SIZE: octets; MODSEQ: mod-sequence */
	const char *entry;		/* MODSEQ entry name or NULL */
	enum imap_sk_entry_type entry_type;
};

enum imap_search_return {
	IMAP_SEARCH_RET_MIN = 1 << 0,
	IMAP_SEARCH_RET_MAX = 1 << 1,
	IMAP_SEARCH_RET_ALL = 1 << 2,
	IMAP_SEARCH_RET_COUNT = 1 << 3,
};

struct imap_search {
	struct imap_search_key *root;	/* an AND of the top-level keys */
	const char *charset;		/* "UTF-8" / "US-ASCII", NULL if none */
	bool esearch;			/* RETURN (...) given: answer ESEARCH */
	unsigned int ret;		/* enum imap_search_return; RETURN ()
					   means ALL */
	bool need_header;		/* HEADER/FROM/.../SENT* keys, TEXT */
	bool need_body;			/* BODY, TEXT */
	bool has_modseq;		/* a MODSEQ key: answer (MODSEQ n) */
};

/* Parse failure because of the charset: answer
 * "NO [BADCHARSET (UTF-8 US-ASCII)]". */
#define IMAP_SEARCH_BADCHARSET (-2)

/* Parses a SEARCH command's arguments (args[0..n), i.e. cmd->args):
 * [RETURN (opts)] [CHARSET name] key... 0, -1 with *error_r (BAD), or
 * IMAP_SEARCH_BADCHARSET. Nesting of NOT/OR/() is bounded (64). */
int
imap_search_parse(struct imap_cmd *cmd, const struct imap_cmd_arg *args,
		  size_t n, struct imap_search *r, const char **error_r);

/* Resolves the SEQSET and UID keys' sets for the current mailbox: '*' is
 * last_seq or last_uid (an empty mailbox: nothing will match anyway).
 * Call before imap_search_eval(); again when the mailbox changed. 0, or -1
 * with *error_r (cannot happen for a parsed program, but checked). */
int
imap_search_bind(struct imap_cmd *cmd, struct imap_search *s,
		 uint32_t last_seq, uint32_t last_uid, const char **error_r);

/* What the evaluator knows about a message without reading it. */
struct imap_search_msg {
	uint32_t seq, uid;
	unsigned int flags;		/* enum imap_flag bits incl. RECENT */
	const char *const *keywords;
	size_t nkeywords;
	uint64_t size;			/* RFC822.SIZE */
	time_t internal_date;
	int internal_tz;		/* zone (minutes) in which the day of
					   internal_date is taken */
	bool sent_known;		/* sent_date from the index */
	time_t sent_date;		/* the Date: header's instant ... */
	int sent_tz;			/* ... and its own zone */
	uint64_t modseq;
};

/* Decides a content key (HEADER, BODY, TEXT, or a SENT* date when
 * !sent_known): 1 match, 0 no match. */
typedef int imap_search_content_fn(const struct imap_search_key *key,
				   void *ctx);

/* Evaluates the bound program on m. With content == NULL, content keys are
 * unknown: 1 match, 0 no match, -1 "unknown: read the message and call
 * again with a content callback" (three-valued: NOT unknown is unknown,
 * AND with a false child is false, OR with a true child is true). With a
 * callback the result is 1 or 0. */
int
imap_search_eval(const struct imap_search *s, const struct imap_search_msg *m,
		 imap_search_content_fn *content, void *ctx);

/* 1 if needle[0..nlen) occurs in hay[0..hlen), ignoring case; an empty
 * needle always matches. Case folding is ASCII only: UTF-8 bytes >= 0x80
 * must match exactly (no Unicode case folding, no normalisation). The
 * caller decodes MIME encodings (RFC 2047, base64/QP) before matching. */
int
imap_search_substr(const char *hay, size_t hlen, const char *needle,
		   size_t nlen);

/* Day of t (midnight UTC of the calendar day) as seen in zone tz minutes:
 * what BEFORE/ON/SINCE compare with key->date. */
time_t
imap_search_day(time_t t, int tz);

#endif
