/* Address lists for ENVELOPE. Broken input is repaired the way Dovecot
 * 2.3's message-address parser repairs it, so that the ENVELOPE of a
 * malformed header matches Dovecot's byte for byte. */
#include "mime/address.h"
#include "mime/imap-mime.h"
#include "mime/imap-string.h"
#include "mime/rfc822.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

#define TEXT_MAX (1024 * 1024)

struct addr_ctx {
	struct rfc822 r;
	struct buf str, comment;
	struct mime_address *first, *last, cur;
	bool invalid;
	unsigned int left;
};

static void
push(struct addr_ctx *ctx)
{
	struct mime_address *a = xmalloc(sizeof(*a));

	*a = ctx->cur;
	a->next = NULL;
	memset(&ctx->cur, 0, sizeof(ctx->cur));
	ctx->invalid = false;
	if (ctx->first == NULL)
		ctx->first = a;
	else
		ctx->last->next = a;
	ctx->last = a;
}

static void
set(char **field, const char *value)
{
	free(*field);
	*field = value == NULL ? NULL : xstrdup(value);
}

static int
local_part(struct addr_ctx *ctx)
{
	int ret;

	buf_reset(&ctx->str);
	if (*ctx->r.p == '"')
		ret = rfc822_parse_quoted_string(&ctx->r, &ctx->str);
	else
		ret = rfc822_parse_dot_atom(&ctx->r, &ctx->str);
	if (ret < 0)
		return -1;
	set(&ctx->cur.mailbox, buf_cstr(&ctx->str));
	return ret;
}

static int
domain(struct addr_ctx *ctx)
{
	buf_reset(&ctx->str);
	if (rfc822_parse_domain(&ctx->r, &ctx->str) < 0)
		return -1;
	set(&ctx->cur.domain, buf_cstr(&ctx->str));
	return ctx->r.p < ctx->r.end ? 1 : 0;
}

/* "@a,@b" of an obsolete route */
static int
route(struct addr_ctx *ctx)
{
	int ret;

	buf_reset(&ctx->str);
	for (;;) {
		if (ctx->r.p >= ctx->r.end)
			return 0;
		if (*ctx->r.p != '@')
			break;
		if (ctx->str.len > 0)
			buf_append_c(&ctx->str, ',');
		buf_append_c(&ctx->str, '@');
		if ((ret = rfc822_parse_domain(&ctx->r, &ctx->str)) <= 0)
			return ret;
		while (rfc822_skip_lwsp(&ctx->r) > 0 && *ctx->r.p == ',')
			ctx->r.p++;
	}
	set(&ctx->cur.route, buf_cstr(&ctx->str));
	return 1;
}

static int
angle_addr(struct addr_ctx *ctx)
{
	ctx->r.p++;	/* '<' */
	if (rfc822_skip_lwsp(&ctx->r) <= 0)
		return -1;
	if (*ctx->r.p == '@') {
		if (route(ctx) > 0 && *ctx->r.p == ':') {
			ctx->r.p++;
		} else {
			set(&ctx->cur.route, "INVALID_ROUTE");
			if (ctx->r.p >= ctx->r.end)
				return -1;
		}
		if (rfc822_skip_lwsp(&ctx->r) <= 0)
			return -1;
	}
	if (*ctx->r.p != '>') {
		if (local_part(ctx) <= 0)
			return -1;
		if (*ctx->r.p == '@' && domain(ctx) <= 0)
			return -1;
	}
	if (*ctx->r.p != '>')
		return -1;
	ctx->r.p++;
	return rfc822_skip_lwsp(&ctx->r);
}

static int
name_addr(struct addr_ctx *ctx)
{
	buf_reset(&ctx->str);
	if (rfc822_parse_phrase(&ctx->r, &ctx->str) <= 0 || *ctx->r.p != '<')
		return -1;
	set(&ctx->cur.name, ctx->str.len > 0 ? buf_cstr(&ctx->str) : NULL);
	if (angle_addr(ctx) < 0) {
		set(&ctx->cur.domain, "SYNTAX_ERROR");
		ctx->invalid = true;
	}
	return ctx->r.p < ctx->r.end ? 1 : 0;
}

/* A lone word is a mailbox; words followed by more words are a name. */
static int
lone_word(struct addr_ctx *ctx, bool quoted)
{
	size_t before;

	buf_append_c(&ctx->str, ' ');
	before = ctx->str.len;
	(void)rfc822_parse_phrase(&ctx->r, &ctx->str);
	if (ctx->str.len != before) {
		set(&ctx->cur.mailbox, NULL);
		set(&ctx->cur.name, buf_cstr(&ctx->str));
	} else if (!quoted) {
		set(&ctx->cur.domain, "");
	}
	ctx->invalid = true;
	return -1;
}

static int
addr_spec(struct addr_ctx *ctx)
{
	bool quoted = *ctx->r.p == '"';
	int ret, ret2 = -2;

	buf_reset(&ctx->comment);
	ret = local_part(ctx);
	if (ret <= 0)
		ctx->invalid = true;
	if (ret != 0 && ctx->r.p < ctx->r.end && *ctx->r.p == '@') {
		ret2 = domain(ctx);
		if (ret2 <= 0)
			ret = ret2;
	}
	if (ctx->comment.len > 0)
		set(&ctx->cur.name, buf_cstr(&ctx->comment));
	else if (ret2 == -2)
		ret = lone_word(ctx, quoted);
	return ret;
}

static void
push_fixed(struct addr_ctx *ctx)
{
	if (ctx->cur.mailbox == NULL)
		set(&ctx->cur.mailbox, "MISSING_MAILBOX");
	if (ctx->cur.domain == NULL || ctx->cur.domain[0] == '\0')
		set(&ctx->cur.domain, "MISSING_DOMAIN");
	push(ctx);
}

static int
mailbox(struct addr_ctx *ctx)
{
	const unsigned char *start = ctx->r.p;
	int ret;

	if ((ret = name_addr(ctx)) < 0) {
		ctx->r.p = start;
		ret = addr_spec(ctx);
		if (ctx->invalid && ctx->cur.name == NULL &&
		    ctx->cur.mailbox != NULL && ctx->cur.domain == NULL) {
			ctx->cur.name = ctx->cur.mailbox;
			ctx->cur.mailbox = NULL;
		}
	}
	push_fixed(ctx);
	return ret;
}

static int
group_members(struct addr_ctx *ctx)
{
	for (;;) {
		(void)mailbox(ctx);	/* broken members: go on anyway */
		if (ctx->r.p >= ctx->r.end || *ctx->r.p != ',')
			return 1;
		ctx->r.p++;
		if (rfc822_skip_lwsp(&ctx->r) <= 0)
			return -1;
	}
}

static int
group(struct addr_ctx *ctx)
{
	int ret;

	buf_reset(&ctx->str);
	if (rfc822_parse_phrase(&ctx->r, &ctx->str) <= 0 || *ctx->r.p != ':')
		return -1;
	/* from here on it is a group, whatever follows */
	ctx->r.p++;
	ret = rfc822_skip_lwsp(&ctx->r);
	set(&ctx->cur.mailbox, buf_cstr(&ctx->str));
	push(ctx);
	if (ret > 0 && *ctx->r.p != ';')
		ret = group_members(ctx);
	if (ret >= 0) {
		if (ctx->r.p >= ctx->r.end || *ctx->r.p != ';') {
			ret = -1;
		} else {
			ctx->r.p++;
			ret = rfc822_skip_lwsp(&ctx->r);
		}
	}
	push(ctx);
	return ret == 0 ? 0 : 1;
}

static int
address(struct addr_ctx *ctx)
{
	const unsigned char *start = ctx->r.p;
	int ret;

	if ((ret = group(ctx)) < 0) {
		ctx->r.p = start;
		ret = mailbox(ctx);
	}
	return ret;
}

static void
address_list(struct addr_ctx *ctx)
{
	int ret;

	while (ctx->left > 0) {
		ctx->left--;
		if (address(ctx) == 0)
			break;
		if (ctx->r.p >= ctx->r.end || *ctx->r.p != ',')
			break;
		ctx->r.p++;
		if ((ret = rfc822_skip_lwsp(&ctx->r)) <= 0) {
			if (ret < 0)	/* ends in garbage */
				push_fixed(ctx);
			break;
		}
	}
}

struct mime_address *
mime_address_parse(const char *value, size_t len, unsigned int max)
{
	struct addr_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	buf_init(&ctx.str, TEXT_MAX);
	buf_init(&ctx.comment, TEXT_MAX);
	rfc822_init(&ctx.r, value, len);
	ctx.r.last_comment = &ctx.comment;
	ctx.left = max;
	if (rfc822_skip_lwsp(&ctx.r) > 0)
		address_list(&ctx);
	buf_free(&ctx.str);
	buf_free(&ctx.comment);
	free(ctx.cur.name);
	free(ctx.cur.route);
	free(ctx.cur.mailbox);
	free(ctx.cur.domain);
	return ctx.first;
}

void
mime_address_free(struct mime_address **list)
{
	while (*list != NULL) {
		struct mime_address *next = (*list)->next;

		free((*list)->name);
		free((*list)->route);
		free((*list)->mailbox);
		free((*list)->domain);
		free(*list);
		*list = next;
	}
}

int
mime_address_write_imap(const struct mime_address *list, struct buf *out)
{
	int ret;

	if (list == NULL)
		return buf_append_str(out, "NIL");
	ret = buf_append_c(out, '(');
	for (const struct mime_address *a = list; a != NULL && ret == 0;
	     a = a->next) {
		ret = buf_append_c(out, '(');
		if (a->name == NULL)
			ret |= buf_append_str(out, "NIL");
		else
			ret |= mime_imap_append_for_humans(out, a->name,
							   strlen(a->name));
		ret |= buf_append_c(out, ' ');
		ret |= mime_imap_append_nstring(out, a->route);
		ret |= buf_append_c(out, ' ');
		ret |= mime_imap_append_nstring(out, a->mailbox);
		ret |= buf_append_c(out, ' ');
		ret |= mime_imap_append_nstring(out, a->domain);
		ret |= buf_append_c(out, ')');
	}
	return ret < 0 ? -1 : buf_append_c(out, ')');
}
