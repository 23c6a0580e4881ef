#ifndef CONFLUX_MIME_TREE_H
#define CONFLUX_MIME_TREE_H

/* The MIME structure of a whole message held in memory.
 *
 * Input is the message as bytes with CRLF line ends (mime_crlf_normalize()
 * makes them from a bare-LF file). Every offset in the tree refers to that
 * buffer, which the caller keeps; the tree copies the header values it
 * needs and does not point into the message.
 *
 * mime_parse() never fails: broken MIME is read the way Dovecot 2.3 reads
 * it (a missing or unknown boundary makes the body one leaf, a multipart
 * without a closing boundary ends at end of input, a Content-Type without
 * a subtype or unparsable falls back to text/plain; charset=us-ascii).
 * Nesting stops at MIME_MAX_DEPTH and the part count at MIME_MAX_PARTS:
 * past either limit a part is kept as a leaf whose body is not looked
 * into.
 *
 * message/rfc822 and message/global parts have exactly one child: the
 * encapsulated message (its header and body). Multipart parts have their
 * body parts as children. Other parts have none.
 *
 * Memory: one allocation block per tree holds the parts and their strings
 * (compact, freed at once by mime_free). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define MIME_MAX_DEPTH 100
#define MIME_MAX_PARTS 10000

enum mime_part_flags {
	MIME_PART_MULTIPART = 1 << 0,	/* multipart/<any> with a boundary */
	MIME_PART_MESSAGE = 1 << 1,	/* message/rfc822 or message/global */
	MIME_PART_TEXT = 1 << 2,	/* text/<any>: BODYSTRUCTURE shows lines */
	MIME_PART_HAS_TYPE = 1 << 3,	/* a Content-Type field was present */
};

/* A parameter of Content-Type or Content-Disposition as IMAP shows it:
 * RFC 2231 continuations (name*0, name*1...) joined, an extended value
 * (name*=charset'lang'value) kept encoded under the name "name*". */
struct mime_param {
	const char *name;
	const char *value;
};

struct mime_part {
	struct mime_part *parent;
	struct mime_part *children;	/* first child, NULL for a leaf */
	struct mime_part *next;		/* next sibling */

	/* Header including the blank line that ends it (0 bytes when the part
	 * starts with its body); body up to, not including, the CRLF that
	 * precedes the next boundary. Offsets into the parsed message. */
	size_t hdr_off, hdr_size;
	size_t body_off, body_size;
	uint32_t body_lines;	/* lines in the body (as IMAP counts them) */
	uint32_t child_count;
	unsigned int flags;	/* enum mime_part_flags */

	/* Never NULL: as written in the header (case kept), or the defaults
	 * "text" / "plain" (or "message" / "rfc822" in a multipart/digest). */
	const char *type, *subtype;
	const struct mime_param *params;	/* params[nparams] */
	uint32_t nparams;

	/* NULL when absent (IMAP NIL). */
	const char *id, *description, *encoding, *md5, *location;
	const char *disposition;		/* its type, NULL when absent */
	const struct mime_param *disp_params;
	uint32_t ndisp_params;
	const char *const *languages;		/* languages[nlanguages] */
	uint32_t nlanguages;
};

/* Parses msg[0..len) (CRLF line ends). Never NULL. Free with mime_free. */
struct mime_part *mime_parse(const char *msg, size_t len);
/* Frees a tree returned by mime_parse; *root becomes NULL. NULL is a no-op. */
void mime_free(struct mime_part **root);

/* Appends in[0..len) to out with every bare LF turned into CRLF (a CR
 * already before the LF is kept; a lone CR is left as it is). Returns 0,
 * or -1 when out's maximum was reached (out then holds a prefix). */
int mime_crlf_normalize(const char *in, size_t len, struct buf *out);

/* Number of parts in the tree, root included. */
uint32_t mime_part_count(const struct mime_part *root);

#endif
