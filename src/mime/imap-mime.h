#ifndef CONFLUX_MIME_IMAP_MIME_H
#define CONFLUX_MIME_IMAP_MIME_H

/* What IMAP (RFC 3501) shows of a message's MIME structure, byte for byte
 * as Dovecot 2.3 shows it: BODY / BODYSTRUCTURE, ENVELOPE, and the bytes
 * of BODY[section].
 *
 * `msg` is always the CRLF message that the tree was parsed from (see
 * mime/tree.h). Writers append to `out`; an append past out's maximum is
 * reported by a -1 return and leaves out holding a prefix. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mime/tree.h"

struct buf;

/* ---- BODY / BODYSTRUCTURE (RFC 3501 7.4.2) ---- */

/* Appends the parenthesised body structure of `root`, without the leading
 * "BODY " / "BODYSTRUCTURE ". extended=false gives BODY, true gives
 * BODYSTRUCTURE (with md5, disposition, language, location). */
int mime_write_bodystructure(const struct mime_part *root, const char *msg,
			     bool extended, struct buf *out);

/* ---- ENVELOPE (RFC 3501 7.4.2) ---- */

/* Appends the parenthesised envelope of the header block hdr[0..hdr_len)
 * (a message's or an encapsulated message's header; the blank line may be
 * included). RFC 2047 words are left encoded, as Dovecot does. */
int mime_write_envelope(const char *hdr, size_t hdr_len, struct buf *out);

/* ---- IMAP strings ---- */

/* Appends s[0..len) as a quoted string, or as a literal {n}CRLF... when it
 * holds CR, LF, NUL or 8-bit bytes, or is long. */
int mime_imap_append_string(struct buf *out, const char *s, size_t len);
/* The same, NIL for s == NULL. */
int mime_imap_append_nstring(struct buf *out, const char *s);

/* ---- BODY[section] (RFC 3501 6.4.5) ---- */

#define MIME_SECTION_MAX_PATH 100	/* part numbers in one spec */
#define MIME_SECTION_MAX_FIELDS 256	/* names in HEADER.FIELDS (...) */

enum mime_section_text {
	MIME_SECTION_WHOLE,	/* "" or "1.2": the message / the part */
	MIME_SECTION_HEADER,	/* "HEADER", "1.HEADER" */
	MIME_SECTION_HEADER_FIELDS,
	MIME_SECTION_HEADER_FIELDS_NOT,
	MIME_SECTION_TEXT,	/* "TEXT", "1.TEXT" */
	MIME_SECTION_MIME,	/* "1.MIME" (needs a part number) */
};

struct mime_section {
	uint32_t path[MIME_SECTION_MAX_PATH];	/* part numbers, each >= 1 */
	unsigned int path_len;
	enum mime_section_text text;
	char **fields;		/* HEADER.FIELDS names, malloc'd */
	unsigned int nfields;
};

/* Parses the text between the brackets of BODY[...]: "", "1.2", "HEADER",
 * "TEXT", "1.MIME", "2.HEADER.FIELDS (From To)",
 * "HEADER.FIELDS.NOT (X-A)". Keywords are case-insensitive; field names
 * are atoms or quoted strings. Returns 0, or -1 with *error_r (static
 * text) for a spec the server must reject with BAD. Free with
 * mime_section_free (also after an error). */
int mime_section_parse(const char *spec, size_t len, struct mime_section *sec,
		       const char **error_r);
void mime_section_free(struct mime_section *sec);

/* The bytes of a section. Usually a pointer into msg (*data_r, *len_r);
 * HEADER.FIELDS and HEADER.FIELDS.NOT are built in `scratch` (reset first)
 * and *data_r points there. A part that does not exist gives an empty
 * string (as Dovecot). Returns 0, or -1 when scratch's maximum was
 * reached. */
int mime_section_get(const struct mime_part *root, const char *msg,
		     const struct mime_section *sec, struct buf *scratch,
		     const char **data_r, size_t *len_r);

/* The part that a section's path names, NULL when there is none. For an
 * empty path the root. Path numbers step into an encapsulated message's
 * parts as RFC 3501 says ("1" of a non-multipart message is its body). */
const struct mime_part *mime_section_part(const struct mime_part *root,
					  const uint32_t *path,
					  unsigned int path_len);

#endif
