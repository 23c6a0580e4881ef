/* The MIME tree: where each part's header and body lie in the message.
 *
 * The parse walks the message once, recursively, with a stack of the
 * boundaries that are open. Like Dovecot's message parser, any open
 * boundary (innermost first) ends a part, so a child multipart that never
 * closes ends where its parent's next boundary is, and the CRLF before a
 * boundary line belongs to the boundary, not to the part. */
#include "mime/tree.h"
#include "mime/mime-private.h"

#include <stdalign.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strx.h"
#include "lib/xalloc.h"

/* ---- pool ---- */

struct mime_pool_block {
	struct mime_pool_block *next;
	size_t used, size;
	alignas(max_align_t) unsigned char data[];
};

#define POOL_BLOCK_MIN 2048

void *
mime_pool_alloc(struct mime_pool *pool, size_t size)
{
	struct mime_pool_block *b = pool->head;
	size_t align = alignof(max_align_t);

	size = (size + align - 1) & ~(align - 1);
	if (b == NULL || b->size - b->used < size) {
		size_t bsize = size > POOL_BLOCK_MIN ? size : POOL_BLOCK_MIN;

		b = xmalloc(sizeof(*b) + bsize);
		b->used = 0;
		b->size = bsize;
		b->next = pool->head;
		pool->head = b;
	}
	b->used += size;
	return memset(b->data + b->used - size, 0, size);
}

char *
mime_pool_strndup(struct mime_pool *pool, const char *s, size_t len)
{
	char *d = mime_pool_alloc(pool, len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

void
mime_pool_clear(struct mime_pool *pool)
{
	while (pool->head != NULL) {
		struct mime_pool_block *next = pool->head->next;

		free(pool->head);
		pool->head = next;
	}
}

/* ---- header fields ---- */

void
mime_field_iter_init(struct mime_field_iter *it, const char *hdr, size_t len)
{
	it->p = hdr;
	it->end = hdr + len;
}

static const char *
line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl == NULL ? end : nl + 1;
}

static bool
is_blank_line(const char *p, const char *end)
{
	return (p < end && *p == '\n') ||
	       (end - p >= 2 && p[0] == '\r' && p[1] == '\n');
}

static void
split_field(struct mime_field *f)
{
	const char *colon = memchr(f->line, ':', f->line_len);
	const char *end = f->line + f->line_len;
	const char *v;

	f->name = f->line;
	f->name_len = (size_t)(colon - f->line);
	while (f->name_len > 0 && (f->name[f->name_len - 1] == ' ' ||
				   f->name[f->name_len - 1] == '\t'))
		f->name_len--;
	for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	f->value = v;
	f->value_len = (size_t)(end - v);
}

int
mime_field_next(struct mime_field_iter *it, struct mime_field *f)
{
	while (it->p < it->end && !is_blank_line(it->p, it->end)) {
		const char *start = it->p, *e = line_end(start, it->end);
		const char *colon;

		/* continuation lines belong to this field */
		while (e < it->end && (*e == ' ' || *e == '\t'))
			e = line_end(e, it->end);
		it->p = e;
		colon = memchr(start, ':', (size_t)(line_end(start, e) - start));
		if (colon == NULL)
			continue;
		f->line = start;
		f->line_len = (size_t)(e - start);
		split_field(f);
		return 1;
	}
	return 0;
}

void
mime_field_unfold(const struct mime_field *f, struct buf *out)
{
	const char *p = f->value, *end = f->value + f->value_len;

	for (; p < end; p++)
		if (*p != '\r' && *p != '\n')
			buf_append_c(out, *p);
}

bool
mime_field_is(const struct mime_field *f, const char *name)
{
	return strlen(name) == f->name_len &&
	       str_ncasecmp(f->name, name, f->name_len) == 0;
}

/* ---- structure ---- */

struct boundary {
	const char *s;
	size_t len;
	const struct boundary *outer;
};

/* Where a part stopped: a boundary line, or the end of the message. */
struct hit {
	size_t line;		/* start of the boundary line, or msg len */
	size_t next;		/* start of the line after it */
	const struct boundary *b;	/* NULL at the end of the message */
	bool closing;		/* "--boundary--" */
	size_t floor;		/* a part ending here ends no earlier */
};

struct parse_ctx {
	const char *msg;
	size_t len;
	struct mime_pool pool;
	uint32_t parts;
};

static const struct boundary *
boundary_at(const struct parse_ctx *ctx, size_t pos,
	    const struct boundary *stack)
{
	size_t left = ctx->len - pos;
	const char *p = ctx->msg + pos;

	if (left < 2 || p[0] != '-' || p[1] != '-')
		return NULL;
	for (const struct boundary *b = stack; b != NULL; b = b->outer)
		if (left - 2 >= b->len && memcmp(p + 2, b->s, b->len) == 0)
			return b;
	return NULL;
}

static void
set_hit(const struct parse_ctx *ctx, size_t pos, const struct boundary *b,
	struct hit *h)
{
	const char *after = ctx->msg + pos + 2 + b->len;
	const char *end = ctx->msg + ctx->len;

	h->line = pos;
	h->floor = 0;
	h->b = b;
	h->closing = end - after >= 2 && after[0] == '-' && after[1] == '-';
	h->next = (size_t)(line_end(ctx->msg + pos, end) - ctx->msg);
}

static void
set_eof(const struct parse_ctx *ctx, struct hit *h)
{
	h->line = h->next = ctx->len;
	h->floor = 0;
	h->b = NULL;
	h->closing = false;
}

/* The first boundary line at or after pos (a line start). */
static void
find_boundary(const struct parse_ctx *ctx, size_t pos,
	      const struct boundary *stack, struct hit *h)
{
	const char *end = ctx->msg + ctx->len;

	while (stack != NULL && pos < ctx->len) {
		const struct boundary *b = boundary_at(ctx, pos, stack);

		if (b != NULL) {
			set_hit(ctx, pos, b, h);
			return;
		}
		pos = (size_t)(line_end(ctx->msg + pos, end) - ctx->msg);
	}
	set_eof(ctx, h);
}

/* Reads the header from part->hdr_off; stops at the blank line (which
 * it includes), at a boundary line (*h set, returns true) or at the end. */
static bool
scan_header(struct parse_ctx *ctx, struct mime_part *part,
	    const struct boundary *stack, struct hit *h)
{
	const char *end = ctx->msg + ctx->len;
	size_t pos = part->hdr_off;

	while (pos < ctx->len) {
		const char *p = ctx->msg + pos;
		const struct boundary *b = boundary_at(ctx, pos, stack);

		if (b != NULL) {
			set_hit(ctx, pos, b, h);
			part->hdr_size = pos - part->hdr_off;
			return true;
		}
		pos = (size_t)(line_end(p, end) - ctx->msg);
		if (is_blank_line(p, end))
			break;
	}
	part->hdr_size = pos - part->hdr_off;
	return false;
}

static void
read_fields(struct parse_ctx *ctx, struct mime_part *part)
{
	struct mime_field_iter it;
	struct mime_field f;

	mime_field_iter_init(&it, ctx->msg + part->hdr_off, part->hdr_size);
	while (mime_field_next(&it, &f) > 0)
		if (f.name_len > 8 && str_ncasecmp(f.name, "Content-", 8) == 0)
			mime_content_field(&ctx->pool, part, &f);
}

static void
apply_defaults(struct mime_part *part)
{
	bool in_digest = part->parent != NULL &&
		(part->parent->flags & MIME_PART_MULTIPART) != 0 &&
		str_casecmp(part->parent->subtype, "digest") == 0;

	if (part->type == NULL) {
		part->type = in_digest ? "message" : "text";
		part->subtype = in_digest ? "rfc822" : "plain";
	} else {
		part->flags |= MIME_PART_HAS_TYPE;
	}
	if (str_casecmp(part->type, "text") == 0)
		part->flags |= MIME_PART_TEXT;
	else if (str_casecmp(part->type, "multipart") == 0)
		part->flags |= MIME_PART_MULTIPART;
	else if (str_casecmp(part->type, "message") == 0 &&
		 str_casecmp(part->subtype, "rfc822") == 0)
		part->flags |= MIME_PART_MESSAGE;
}

/* Ends part at the boundary line h: the CRLF before it is the
 * boundary's, and the header and body are cut to what lies before. */
static void
finish_part(const struct parse_ctx *ctx, struct mime_part *part,
	    const struct hit *h)
{
	size_t end = h->line;

	if (h->b != NULL && end >= part->hdr_off + 1 &&
	    ctx->msg[end - 1] == '\n') {
		end--;
		if (end > part->hdr_off && ctx->msg[end - 1] == '\r')
			end--;
	}
	if (end < h->floor)
		end = h->floor;
	if (part->hdr_off + part->hdr_size > end)
		part->hdr_size = end - part->hdr_off;
	if (part->body_off > end)
		part->body_off = end;
	part->body_size = end - part->body_off;
}

static struct mime_part *parse_part(struct parse_ctx *ctx,
				    struct mime_part *parent, size_t start,
				    const struct boundary *stack,
				    unsigned int depth, struct hit *h);

static struct mime_part *
new_part(struct parse_ctx *ctx, struct mime_part *parent, size_t start)
{
	struct mime_part *part = mime_pool_alloc(&ctx->pool, sizeof(*part));

	part->parent = parent;
	part->hdr_off = start;
	ctx->parts++;
	return part;
}

static void
append_child(struct mime_part *parent, struct mime_part **tail,
	     struct mime_part *child)
{
	if (*tail == NULL)
		parent->children = child;
	else
		(*tail)->next = child;
	*tail = child;
	parent->child_count++;
}

static bool
may_descend(const struct parse_ctx *ctx, unsigned int depth)
{
	return depth < MIME_MAX_DEPTH && ctx->parts < MIME_MAX_PARTS;
}

/* The body parts of a multipart; *h is where the multipart ends. */
static void
parse_multipart(struct parse_ctx *ctx, struct mime_part *part,
		const struct boundary *own, unsigned int depth, struct hit *h)
{
	struct mime_part *tail = NULL;

	find_boundary(ctx, part->body_off, own, h);	/* skip the preamble */
	while (h->b == own && !h->closing) {
		struct mime_part *child;

		if (!may_descend(ctx, depth + 1)) {
			find_boundary(ctx, h->next, own->outer, h);
			return;
		}
		child = parse_part(ctx, part, h->next, own, depth + 1, h);
		append_child(part, &tail, child);
	}
	if (h->b == own) {
		/* the closing boundary: skip the epilogue. Its line end is
		 * the boundary's own, so the next boundary cannot take it. */
		size_t epilogue = h->next;

		find_boundary(ctx, epilogue, own->outer, h);
		h->floor = epilogue;
	}
}

static void
parse_body(struct parse_ctx *ctx, struct mime_part *part,
	   const struct boundary *stack, unsigned int depth, struct hit *h)
{
	const char *bnd = mime_part_param(part, "boundary");

	if ((part->flags & MIME_PART_MULTIPART) && bnd != NULL &&
	    may_descend(ctx, depth)) {
		struct boundary own = { bnd, strlen(bnd), stack };

		parse_multipart(ctx, part, &own, depth, h);
	} else if ((part->flags & MIME_PART_MESSAGE) &&
		   may_descend(ctx, depth + 1)) {
		part->children = parse_part(ctx, part, part->body_off, stack,
					    depth + 1, h);
		part->child_count = 1;
	} else {
		find_boundary(ctx, part->body_off, stack, h);
	}
}

static uint32_t
count_lines(const char *p, size_t len)
{
	uint32_t n = 0;
	const char *end = p + len;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

static struct mime_part *
parse_part(struct parse_ctx *ctx, struct mime_part *parent, size_t start,
	   const struct boundary *stack, unsigned int depth, struct hit *h)
{
	struct mime_part *part = new_part(ctx, parent, start);
	bool cut = scan_header(ctx, part, stack, h);

	read_fields(ctx, part);
	apply_defaults(part);
	part->body_off = part->hdr_off + part->hdr_size;
	if (!cut)
		parse_body(ctx, part, stack, depth, h);
	finish_part(ctx, part, h);
	if (part->flags & (MIME_PART_TEXT | MIME_PART_MESSAGE))
		part->body_lines = count_lines(ctx->msg + part->body_off,
					       part->body_size);
	return part;
}

/* The root owns the pool; it sits in front of the root part so that
 * mime_free can find it. */
struct mime_tree {
	struct mime_part root;
	struct mime_pool pool;
};

struct mime_part *
mime_parse(const char *msg, size_t len)
{
	struct parse_ctx ctx = { .msg = msg, .len = len };
	struct mime_tree *tree = mime_pool_alloc(&ctx.pool, sizeof(*tree));
	struct mime_part *root;
	struct hit h;

	root = parse_part(&ctx, NULL, 0, NULL, 0, &h);
	tree->root = *root;	/* the root is always copied into the tree */
	for (struct mime_part *c = tree->root.children; c != NULL; c = c->next)
		c->parent = &tree->root;
	tree->pool = ctx.pool;
	return &tree->root;
}

void
mime_free(struct mime_part **root)
{
	struct mime_tree *tree;
	struct mime_pool pool;

	if (*root == NULL)
		return;
	tree = (struct mime_tree *)*root;
	pool = tree->pool;
	mime_pool_clear(&pool);
	*root = NULL;
}

uint32_t
mime_part_count(const struct mime_part *root)
{
	uint32_t n = 1;

	for (const struct mime_part *c = root->children; c != NULL; c = c->next)
		n += mime_part_count(c);
	return n;
}

int
mime_crlf_normalize(const char *in, size_t len, struct buf *out)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] != '\n' || (i > 0 && in[i - 1] == '\r'))
			continue;
		if (buf_append(out, in + start, i - start) < 0 ||
		    buf_append(out, "\r\n", 2) < 0)
			return -1;
		start = i + 1;
	}
	return buf_append(out, in + start, len - start);
}
