#ifndef CONFLUX_MIME_PRIVATE_H
#define CONFLUX_MIME_PRIVATE_H

/* Internal to src/mime: the tree's memory pool, the header field iterator
 * and the Content-* field parsers shared by tree.c, content.c, section.c
 * and envelope.c. */

#include <stdbool.h>
#include <stddef.h>

#include "mime/tree.h"

struct buf;

/* ---- pool: one growing chain of blocks per tree ---- */
struct mime_pool_block;
struct mime_pool {
	struct mime_pool_block *head;
};
void *mime_pool_alloc(struct mime_pool *pool, size_t size);
char *mime_pool_strndup(struct mime_pool *pool, const char *s, size_t len);
void mime_pool_clear(struct mime_pool *pool);

/* ---- header fields of hdr[0..len) ---- */
struct mime_field {
	const char *line;	/* start of the field's first line */
	size_t line_len;	/* all its lines, with their CRLFs */
	const char *name;
	size_t name_len;	/* trailing whitespace dropped */
	const char *value;	/* after ':' and leading SP/TAB */
	size_t value_len;	/* raw: folds and the last CRLF included */
};
struct mime_field_iter {
	const char *p, *end;
};
void mime_field_iter_init(struct mime_field_iter *it, const char *hdr,
			  size_t len);
/* 1 with *f set, 0 at the end of the header (blank line or end). Lines
 * without a colon are skipped. */
int mime_field_next(struct mime_field_iter *it, struct mime_field *f);
/* The value with every CR and LF removed (folding WSP kept), as Dovecot's
 * "full value". Appended to out. */
void mime_field_unfold(const struct mime_field *f, struct buf *out);
bool mime_field_is(const struct mime_field *f, const char *name);

/* ---- Content-* fields (content.c) ---- */
/* Reads one header field into the part when it is a Content-* field the
 * part does not have yet (the first one wins, as in Dovecot). */
void mime_content_field(struct mime_pool *pool, struct mime_part *part,
			const struct mime_field *f);
/* The value of a Content-Type parameter, NULL when absent. */
const char *mime_part_param(const struct mime_part *part, const char *name);

#endif
