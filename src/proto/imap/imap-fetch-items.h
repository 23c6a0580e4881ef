#ifndef CONFLUX_IMAP_FETCH_ITEMS_H
#define CONFLUX_IMAP_FETCH_ITEMS_H

/* FETCH data items (RFC 3501 6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ and
 * CHANGEDSINCE/VANISHED). No I/O; results live in the command's arena. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/imap/imap-cmd.h"

enum imap_fetch_type {
	IMAP_FETCH_FLAGS,
	IMAP_FETCH_INTERNALDATE,
	IMAP_FETCH_RFC822,		/* = BODY[], sets \Seen */
	IMAP_FETCH_RFC822_HEADER,	/* = BODY.PEEK[HEADER] */
	IMAP_FETCH_RFC822_SIZE,
	IMAP_FETCH_RFC822_TEXT,		/* = BODY[TEXT], sets \Seen */
	IMAP_FETCH_UID,
	IMAP_FETCH_ENVELOPE,
	IMAP_FETCH_BODY,		/* BODY without section: structure */
	IMAP_FETCH_BODYSTRUCTURE,
	IMAP_FETCH_MODSEQ,
	IMAP_FETCH_BODY_SECTION,	/* BODY[...] / BODY.PEEK[...] */
	IMAP_FETCH_BINARY,		/* BINARY[...] / BINARY.PEEK[...] */
	IMAP_FETCH_BINARY_SIZE,		/* BINARY.SIZE[...] */
};

enum imap_section_spec {
	IMAP_SECTION_ALL,		/* BODY[] or BODY[1.2]: whole part */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME,		/* only after a part number */
};

struct imap_fetch_item {
	enum imap_fetch_type type;
	/* The name to echo in the response: "FLAGS", "RFC822.SIZE",
	 * "BODY[HEADER.FIELDS (From To)]<0>" (PEEK dropped, keywords upper-
	 * cased, header names as requested, the partial shown as <origin>
	 * only, as RFC 3501 7.4.2 says), "BINARY[1]", "BINARY.SIZE[1]". */
	const char *name;
	/* BODY_SECTION, BINARY, BINARY_SIZE: */
	const uint32_t *parts;		/* part path "1.2.3" -> {1,2,3} */
	size_t nparts;			/* 0: the whole message */
	enum imap_section_spec spec;
	const char *const *fields;	/* HEADER.FIELDS(.NOT): as requested */
	size_t nfields;
	bool partial;			/* <origin.length> given */
	uint64_t origin;
	uint64_t length;		/* >= 1 when partial */
	bool peek;			/* .PEEK */
	bool sets_seen;			/* BODY[..] / BINARY[..] without PEEK,
					   RFC822, RFC822.TEXT */
};

struct imap_fetch_items {
	struct imap_fetch_item *items;
	size_t count;
	bool sets_seen;		/* any item sets \Seen */
	bool need_header;	/* ENVELOPE, RFC822.HEADER, header sections */
	bool need_body;		/* whole message or body parts, BODY,
				   BODYSTRUCTURE, BINARY*, RFC822(.TEXT) */
};

/* Parses the item argument of FETCH: a macro (ALL, FAST, FULL), one item
 * atom, or a LIST of item atoms (macros not allowed there). Duplicates
 * are kept in order. With add_uid (UID FETCH) a UID item is appended when
 * none was asked for. 0, or -1 with *error_r. */
int
imap_fetch_items_parse(struct imap_cmd *cmd, const struct imap_cmd_arg *arg,
		       bool add_uid, struct imap_fetch_items *r,
		       const char **error_r);

/* Parses one item atom (no macro) into *item. 0 or -1. */
int
imap_fetch_item_parse(struct imap_cmd *cmd, const char *atom,
		      struct imap_fetch_item *item, const char **error_r);

struct imap_fetch_args {
	const char *seqset;		/* syntax-checked, may hold '*' */
	struct imap_fetch_items items;
	bool changedsince_set;		/* (CHANGEDSINCE n) */
	uint64_t changedsince;
	bool vanished;			/* (... VANISHED): UID FETCH only, and
					   only with CHANGEDSINCE (RFC 7162) */
	bool modseq;			/* MODSEQ asked, or CHANGEDSINCE given:
					   the response carries MODSEQ */
};

/* FETCH seqset items [(CHANGEDSINCE n [VANISHED])] on cmd->args; UID is
 * added for cmd->uid. */
int
imap_fetch_parse(struct imap_cmd *cmd, struct imap_fetch_args *r,
		 const char **error_r);

#endif
