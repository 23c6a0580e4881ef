#ifndef CONFLUX_IMAP_MSG_H
#define CONFLUX_IMAP_MSG_H

/* Reading messages for FETCH and SEARCH, and resolving sequence sets
 * against the session's view. Private to src/server/imap. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct imap_session;
struct mime_part;

/* A message (or only its header) with CRLF line ends, as IMAP shows it. */
struct imap_msgdata {
	struct buf data;	/* CRLF-normalised bytes */
	bool whole;		/* the whole message, not just the header */
	struct mime_part *root;	/* parsed on demand (imap_msg_tree) */
};

/* Reads the file at path: the whole message, or (whole = false) its header
 * up to and including the blank line (at most IMAP_HEADER_MAX bytes).
 * 0, or -1 (errno) when the file cannot be read. Free with imap_msg_free. */
int imap_msg_read(const char *path, bool whole, struct imap_msgdata *md);
void imap_msg_free(struct imap_msgdata *md);
/* The MIME tree of what was read (parsed on first use). */
const struct mime_part *imap_msg_tree(struct imap_msgdata *md);
/* Length of the header block (with its blank line) in md->data. */
size_t imap_msg_header_len(const struct imap_msgdata *md);

struct imap_fetch_item;
/* imap-fetch-body.c: appends "NAME value" for a FETCH item that needs the
 * message (ENVELOPE, BODY, BODYSTRUCTURE, BODY[...], RFC822*). A literal
 * of 64 KiB or more is written to s's conn right away, after what `out`
 * held (out is then reset). 0, -1, or IMAP_FETCH_UNKNOWN_CTE (BINARY of a
 * part in an encoding we cannot decode: NIL was written). */
#define IMAP_FETCH_UNKNOWN_CTE (-2)
int imap_fetch_body_item(struct imap_session *s,
			 const struct imap_fetch_item *it,
			 struct imap_msgdata *md, struct buf *out);

/* imap-fetch-stream.c: a whole message sent from its file in pieces,
 * bare LF -> CRLF, skipping `skip` and sending `len` normalised bytes. */
struct imap_stream {
	int fd;
	uint64_t skip, left;
	char prev;
};
int imap_stream_open(struct imap_stream *st, const char *path, uint64_t skip,
		     uint64_t len);
/* 1 when everything was queued (the file is closed), 0 when the write
 * queue is full: call again after CONN_DRAINED. */
int imap_stream_run(struct imap_session *s, struct imap_stream *st);
void imap_stream_close(struct imap_stream *st);

/* imap-search-text.c: SEARCH text matching (case-insensitive substring).
 * A header field called name (NULL: any field) whose value, RFC 2047
 * words decoded, holds needle; a body part (base64/QP decoded) holding
 * needle. */
bool imap_search_header(const char *hdr, size_t len, const char *name,
			const char *needle);
bool imap_search_body(const struct mime_part *root, const char *msg,
		      const char *needle);

/* Lenient content-transfer decoders (whitespace and junk skipped). */
void imap_decode_b64(const char *p, size_t len, struct buf *out);
void imap_decode_qp(const char *p, size_t len, struct buf *out);

/* Resolves a sequence set (message numbers, or UIDs when uid) against the
 * view: the UIDs it names that are in the view, ascending and unique, in
 * *uids_r (malloc'd, may be NULL when *n_r is 0). Message numbers beyond
 * the view are an error (RFC 3501: "Invalid messageset"); UIDs that are
 * not there are skipped. 0, or -1 with *error_r (static text). */
int imap_resolve_set(const struct imap_session *s, const char *set,
		     bool uid, uint32_t **uids_r, size_t *n_r,
		     const char **error_r);

#endif
