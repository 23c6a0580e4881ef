/* Content-* header fields of a MIME part, read the way Dovecot 2.3 reads
 * them (lib-mail message-part-data): the first field of each name wins,
 * a broken Content-Type keeps what could be read but loses its
 * parameters, RFC 2231 continuations are joined and extended values stay
 * percent-encoded. */
#include "mime/mime-private.h"
#include "mime/rfc822.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strx.h"
#include "lib/xalloc.h"

#define MAX_PARAMS 256	/* more parameters than this are ignored */
#define VALUE_MAX (1024 * 1024)

struct raw_param {
	char *name, *value;
};

/* RFC 2231 section: name*<idx>[*] */
struct section_param {
	char *key, *value;
	unsigned int idx;
	bool extended;
	size_t order;	/* for a stable sort */
};

struct param_list {
	struct raw_param plain[MAX_PARAMS];
	size_t nplain;
	struct section_param sect[MAX_PARAMS];
	size_t nsect;
};

/* ";" token "=" (token / quoted-string): 1 read, 0 end, -1 broken */
static int
parse_param(struct rfc822 *r, struct buf *key, struct buf *value)
{
	int ret;

	buf_reset(key);
	buf_reset(value);
	if (r->p >= r->end)
		return 0;
	if (*r->p != ';')
		return -1;
	r->p++;
	if (rfc822_skip_lwsp(r) <= 0 || rfc822_parse_mime_token(r, key) <= 0)
		return -1;
	if (*r->p != '=')
		return -1;
	r->p++;
	if ((ret = rfc822_skip_lwsp(r)) <= 0) {
		/* no value: an empty one */
	} else if (*r->p == '"') {
		ret = rfc822_parse_quoted_string(r, value);
	} else if (*r->p == '=') {
		/* a bare encoded word: name==?utf-8?b?...?= */
		while (r->p < r->end && *r->p != ';' && *r->p != ' ' &&
		       *r->p != '\t' && *r->p != '\r' && *r->p != '\n')
			buf_append_c(value, (char)*r->p++);
		ret = 1;
	} else {
		ret = rfc822_parse_mime_token(r, value);
	}
	return ret < 0 ? -1 : 1;
}

/* Splits name*<n>[*] / name*; the index carries over from the previous
 * section when absent, as it does in Dovecot. */
static bool
split_section(const char *key, struct section_param *sp, unsigned int *idx)
{
	const char *star = strchr(key, '*'), *p = star;

	if (p[1] != '\0') {
		p++;
		*idx = 0;
		for (; *p >= '0' && *p <= '9'; p++)
			*idx = *idx * 10 + (unsigned int)(*p - '0');
	}
	sp->extended = *p == '*';
	if (sp->extended)
		p++;
	if (*p != '\0')
		return false;
	sp->key = xstrndup(key, (size_t)(star - key));
	sp->idx = *idx;
	return true;
}

static void
collect_params(struct rfc822 *r, struct param_list *pl)
{
	struct buf key, value;
	unsigned int idx = 0;
	int ret;

	buf_init(&key, VALUE_MAX);
	buf_init(&value, VALUE_MAX);
	while ((ret = parse_param(r, &key, &value)) != 0) {
		const char *k = buf_cstr(&key);
		struct section_param *sp = &pl->sect[pl->nsect];

		if (ret < 0) {	/* skip a byte and try again */
			if (r->p >= r->end)
				break;
			r->p++;
			continue;
		}
		if (strchr(k, '*') != NULL && pl->nsect < MAX_PARAMS &&
		    split_section(k, sp, &idx)) {
			sp->value = xstrdup(buf_cstr(&value));
			sp->order = pl->nsect++;
		} else if (pl->nplain < MAX_PARAMS) {
			pl->plain[pl->nplain].name = xstrdup(k);
			pl->plain[pl->nplain++].value =
				xstrdup(buf_cstr(&value));
		}
	}
	buf_free(&key);
	buf_free(&value);
}

static int
section_cmp(const void *a, const void *b)
{
	const struct section_param *x = a, *y = b;
	int ret = strcmp(x->key, y->key);

	if (ret != 0)
		return ret;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return x->order < y->order ? -1 : (x->order > y->order);
}

static void
add_param(struct mime_pool *pool, struct mime_param *out, size_t *n,
	  const char *name, const char *value)
{
	out[*n].name = mime_pool_strndup(pool, name, strlen(name));
	out[*n].value = mime_pool_strndup(pool, value, strlen(value));
	(*n)++;
}

/* One name's sections [i, j): joined when their indexes are 0, 1, 2...,
 * else each kept under its own name. */
static void
merge_sections(struct mime_pool *pool, const struct section_param *s,
	       size_t i, size_t j, struct mime_param *out, size_t *n)
{
	bool contiguous = true, extended = false;
	struct buf name, value;

	buf_init(&name, VALUE_MAX);
	buf_init(&value, VALUE_MAX * 4);
	for (size_t k = i; k < j; k++) {
		contiguous = contiguous && s[k].idx == k - i;
		extended = extended || s[k].extended;
	}
	if (!contiguous) {
		for (size_t k = i; k < j; k++) {
			buf_reset(&name);
			buf_printf(&name, "%s*%u%s", s[k].key, s[k].idx,
				   s[k].extended ? "*" : "");
			add_param(pool, out, n, buf_cstr(&name), s[k].value);
		}
	} else {
		if (extended && !s[i].extended)
			buf_append_str(&value, "''");
		for (size_t k = i; k < j; k++)
			for (const char *v = s[k].value; *v != '\0'; v++)
				buf_append_str(&value, *v == '%' &&
					       extended && !s[k].extended ?
					       "%25" : (char[2]){ *v, 0 });
		buf_printf(&name, "%s%s", s[i].key, extended ? "*" : "");
		add_param(pool, out, n, buf_cstr(&name), buf_cstr(&value));
	}
	buf_free(&name);
	buf_free(&value);
}

static void
free_params(struct param_list *pl)
{
	for (size_t i = 0; i < pl->nplain; i++) {
		free(pl->plain[i].name);
		free(pl->plain[i].value);
	}
	for (size_t i = 0; i < pl->nsect; i++) {
		free(pl->sect[i].key);
		free(pl->sect[i].value);
	}
}

/* The parameters after the value: plain ones in order, then the RFC 2231
 * ones sorted by name. */
static void
read_params(struct mime_pool *pool, struct rfc822 *r,
	    const struct mime_param **params_r, uint32_t *count_r)
{
	struct param_list *pl = xcalloc(1, sizeof(*pl));
	struct mime_param *out;
	size_t n = 0;

	collect_params(r, pl);
	out = mime_pool_alloc(pool, (pl->nplain + pl->nsect + 1) *
			      sizeof(*out));
	for (size_t i = 0; i < pl->nplain; i++)
		add_param(pool, out, &n, pl->plain[i].name,
			  pl->plain[i].value);
	qsort(pl->sect, pl->nsect, sizeof(pl->sect[0]), section_cmp);
	for (size_t i = 0, j; i < pl->nsect; i = j) {
		for (j = i + 1; j < pl->nsect &&
		     str_casecmp(pl->sect[i].key, pl->sect[j].key) == 0; j++)
			;
		merge_sections(pool, pl->sect, i, j, out, &n);
	}
	/* no parameters stays NULL: a later field may then still set them */
	*params_r = n > 0 ? out : NULL;
	*count_r = (uint32_t)n;
	free_params(pl);
	free(pl);
}

/* type "/" subtype; on a broken value out keeps what Dovecot keeps */
static int
parse_type(struct rfc822 *r, struct buf *out)
{
	size_t sub;
	int ret;

	if (rfc822_skip_lwsp(r) <= 0)
		return -1;
	if (rfc822_parse_mime_token(r, out) <= 0 || out->len == 0)
		return -1;
	if (*r->p != '/' || (r->p++, rfc822_skip_lwsp(r)) <= 0) {
		buf_reset(out);
		return -1;
	}
	buf_append_c(out, '/');
	sub = out->len;
	ret = rfc822_parse_mime_token(r, out);
	if (ret < 0 || out->len == sub || (r->p < r->end && *r->p != ';')) {
		buf_reset(out);
		return -1;
	}
	return ret;
}

static void
content_type(struct mime_pool *pool, struct mime_part *part,
	     const char *value, size_t len)
{
	struct rfc822 r;
	struct buf t;
	const char *slash;
	int ret;

	buf_init(&t, VALUE_MAX);
	rfc822_init(&r, value, len);
	rfc822_skip_lwsp(&r);
	ret = parse_type(&r, &t);
	slash = memchr(buf_cstr(&t), '/', t.len);
	if (slash == NULL) {
		part->type = mime_pool_strndup(pool, buf_cstr(&t), t.len);
		part->subtype = "";
	} else {
		part->type = mime_pool_strndup(pool, t.data,
					       (size_t)(slash - t.data));
		part->subtype = mime_pool_strndup(pool, slash + 1,
			t.len - (size_t)(slash + 1 - t.data));
	}
	if (ret >= 0)
		read_params(pool, &r, &part->params, &part->nparams);
	buf_free(&t);
}

static void
content_encoding(struct mime_pool *pool, struct mime_part *part,
		 const char *value, size_t len)
{
	struct rfc822 r;
	struct buf t;

	buf_init(&t, VALUE_MAX);
	rfc822_init(&r, value, len);
	rfc822_skip_lwsp(&r);
	if (rfc822_parse_mime_token(&r, &t) >= 0 &&
	    rfc822_skip_lwsp(&r) == 0 && t.len > 0)
		part->encoding = mime_pool_strndup(pool, t.data, t.len);
	buf_free(&t);
}

static void
content_disposition(struct mime_pool *pool, struct mime_part *part,
		    const char *value, size_t len)
{
	struct rfc822 r;
	struct buf t;

	buf_init(&t, VALUE_MAX);
	rfc822_init(&r, value, len);
	rfc822_skip_lwsp(&r);
	if (rfc822_parse_mime_token(&r, &t) >= 0) {
		part->disposition = mime_pool_strndup(pool, buf_cstr(&t),
						      t.len);
		read_params(pool, &r, &part->disp_params,
			    &part->ndisp_params);
	}
	buf_free(&t);
}

#define MAX_LANGUAGES 64

static void
content_language(struct mime_pool *pool, struct mime_part *part,
		 const char *value, size_t len)
{
	const char *langs[MAX_LANGUAGES];
	const char **out;
	uint32_t n = 0;
	struct rfc822 r;
	struct buf t;

	buf_init(&t, VALUE_MAX);
	rfc822_init(&r, value, len);
	rfc822_skip_lwsp(&r);
	while (n < MAX_LANGUAGES && rfc822_parse_atom(&r, &t) >= 0) {
		langs[n++] = mime_pool_strndup(pool, buf_cstr(&t), t.len);
		buf_reset(&t);
		if (r.p >= r.end || *r.p != ',')
			break;
		r.p++;
		rfc822_skip_lwsp(&r);
	}
	buf_free(&t);
	if (n == 0)
		return;
	out = mime_pool_alloc(pool, n * sizeof(*out));
	memcpy(out, langs, n * sizeof(*out));
	part->languages = out;
	part->nlanguages = n;
}

void
mime_content_field(struct mime_pool *pool, struct mime_part *part,
		   const struct mime_field *f)
{
	struct mime_field sub = *f;
	struct buf v;
	const char *val;

	sub.name += 8;	/* "Content-" */
	sub.name_len -= 8;
	buf_init(&v, VALUE_MAX * 4);
	mime_field_unfold(f, &v);
	val = buf_cstr(&v);
	if (mime_field_is(&sub, "ID") && part->id == NULL)
		part->id = mime_pool_strndup(pool, val, v.len);
	else if (mime_field_is(&sub, "MD5") && part->md5 == NULL)
		part->md5 = mime_pool_strndup(pool, val, v.len);
	else if (mime_field_is(&sub, "Type") && part->type == NULL)
		content_type(pool, part, val, v.len);
	else if (mime_field_is(&sub, "Transfer-Encoding") &&
		 part->encoding == NULL)
		content_encoding(pool, part, val, v.len);
	else if (mime_field_is(&sub, "Language") && part->languages == NULL)
		content_language(pool, part, val, v.len);
	else if (mime_field_is(&sub, "Location") && part->location == NULL)
		part->location = mime_pool_strndup(pool, val, v.len);
	else if (mime_field_is(&sub, "Description") &&
		 part->description == NULL)
		part->description = mime_pool_strndup(pool, val, v.len);
	else if (mime_field_is(&sub, "Disposition") &&
		 part->disp_params == NULL)
		content_disposition(pool, part, val, v.len);
	buf_free(&v);
}

const char *
mime_part_param(const struct mime_part *part, const char *name)
{
	for (uint32_t i = 0; i < part->nparams; i++)
		if (str_casecmp(part->params[i].name, name) == 0)
			return part->params[i].value;
	return NULL;
}
