/* What a complete IMAP response means: status text and response codes,
 * FETCH items, LIST, VANISHED. */
#include <string.h>

#include "lib/strx.h"
#include "proto/imap/imap-resp-private.h"

static const struct {
	const char *name;
	enum imap_resp_type type;
} data_names[] = {
	{ "CAPABILITY", IMAP_RT_CAPABILITY }, { "ENABLED", IMAP_RT_ENABLED },
	{ "FLAGS", IMAP_RT_FLAGS }, { "LIST", IMAP_RT_LIST },
	{ "LSUB", IMAP_RT_LSUB }, { "STATUS", IMAP_RT_STATUS_DATA },
	{ "SEARCH", IMAP_RT_SEARCH }, { "ESEARCH", IMAP_RT_ESEARCH },
	{ "EXISTS", IMAP_RT_EXISTS }, { "RECENT", IMAP_RT_RECENT },
	{ "EXPUNGE", IMAP_RT_EXPUNGE }, { "FETCH", IMAP_RT_FETCH },
	{ "VANISHED", IMAP_RT_VANISHED },
};

static const struct {
	const char *name;
	enum imap_code_type type;
} code_names[] = {
	{ "ALERT", IMAP_CODE_ALERT }, { "CAPABILITY", IMAP_CODE_CAPABILITY },
	{ "UIDVALIDITY", IMAP_CODE_UIDVALIDITY },
	{ "UIDNEXT", IMAP_CODE_UIDNEXT },
	{ "HIGHESTMODSEQ", IMAP_CODE_HIGHESTMODSEQ },
	{ "NOMODSEQ", IMAP_CODE_NOMODSEQ },
	{ "APPENDUID", IMAP_CODE_APPENDUID }, { "COPYUID", IMAP_CODE_COPYUID },
	{ "CLOSED", IMAP_CODE_CLOSED }, { "READ-WRITE", IMAP_CODE_READ_WRITE },
	{ "READ-ONLY", IMAP_CODE_READ_ONLY },
	{ "PERMANENTFLAGS", IMAP_CODE_PERMANENTFLAGS },
	{ "TRYCREATE", IMAP_CODE_TRYCREATE },
};

enum imap_status
imap_resp_status_word(const char *w)
{
	if (strcmp(w, "OK") == 0)
		return IMAP_ST_OK;
	if (strcmp(w, "NO") == 0)
		return IMAP_ST_NO;
	if (strcmp(w, "BAD") == 0)
		return IMAP_ST_BAD;
	if (strcmp(w, "BYE") == 0)
		return IMAP_ST_BYE;
	if (strcmp(w, "PREAUTH") == 0)
		return IMAP_ST_PREAUTH;
	return IMAP_ST_NONE;
}

void
imap_resp_set_type(struct imap_resp *r)
{
	r->type = IMAP_RT_OTHER;
	for (size_t i = 0; i < sizeof(data_names) / sizeof(data_names[0]); i++)
		if (strcmp(r->name, data_names[i].name) == 0)
			r->type = data_names[i].type;
}

/* "n" or "n m" as the code's arguments. */
static int
code_numbers(struct imap_code *c, bool two, const char **error_r)
{
	const char *end;
	uint64_t n2;

	if (str_to_uint64_prefix(c->text, &c->n1, &end) < 0)
		goto bad;
	if (!two) {
		if (*end != '\0')
			goto bad;
		return 0;
	}
	if (*end != ' ')
		goto bad;
	/* APPENDUID with MULTIAPPEND may give a set: uid stays 0 */
	if (str_to_uint64_prefix(end + 1, &n2, &end) == 0 && *end == '\0' &&
	    n2 <= UINT32_MAX)
		c->n2 = (uint32_t)n2;
	return 0;
bad:
	*error_r = "bad number in response code";
	return -1;
}

static int
parse_code(struct imap_code *c, char *s, const char **error_r)
{
	char *sp = strchr(s, ' ');

	if (sp != NULL) {
		*sp = '\0';
		c->text = sp + 1;
	} else {
		c->text = "";
	}
	for (char *t = s; *t != '\0'; t++)
		if (*t >= 'a' && *t <= 'z')
			*t = (char)(*t - 'a' + 'A');
	c->name = s;
	c->type = IMAP_CODE_OTHER;
	for (size_t i = 0; i < sizeof(code_names) / sizeof(code_names[0]); i++)
		if (strcmp(s, code_names[i].name) == 0)
			c->type = code_names[i].type;
	switch (c->type) {
	case IMAP_CODE_UIDVALIDITY:
	case IMAP_CODE_UIDNEXT:
	case IMAP_CODE_HIGHESTMODSEQ:
		return code_numbers(c, false, error_r);
	case IMAP_CODE_APPENDUID:
	case IMAP_CODE_COPYUID:
		return code_numbers(c, true, error_r);
	default:
		return 0;
	}
}

int
imap_resp_parse_text(struct imap_resp *r, char *s, const char **error_r)
{
	char *end;

	r->code.name = "";
	r->code.text = "";
	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL) {
			*error_r = "unterminated response code";
			return -1;
		}
		*end = '\0';
		if (parse_code(&r->code, s + 1, error_r) < 0)
			return -1;
		s = end + 1;
		if (*s == ' ')
			s++;
	}
	r->text = s;
	return 0;
}

/* ---- FETCH ---- */

static bool
is_body_item(const char *item)
{
	return str_has_prefix(item, "BODY[") || str_has_prefix(item, "BINARY[")
		|| strcmp(item, "RFC822") == 0
		|| strcmp(item, "RFC822.TEXT") == 0;
}

static bool
is_header_item(const char *item)
{
	return str_has_prefix(item, "BODY[HEADER") ||
		strcmp(item, "RFC822.HEADER") == 0;
}

static int
fetch_string(const struct imap_arg *v, const char **s_r, size_t *len_r)
{
	if (v->type == IMAP_ARG_NIL) {
		*s_r = NULL;
		*len_r = 0;
		return 0;
	}
	if (v->type != IMAP_ARG_QUOTED && v->type != IMAP_ARG_LITERAL)
		return -1;
	*s_r = v->str;
	*len_r = v->len;
	return 0;
}

static int
fetch_body(struct imap_fetch *f, const char *item, const struct imap_arg *v)
{
	size_t len;

	if (is_header_item(item))
		return fetch_string(v, &f->header, &f->header_len);
	f->has_body = true;
	if (v->type == IMAP_ARG_STREAMED) {
		f->body_size = v->literal_size;
		return 0;
	}
	if (fetch_string(v, &f->body, &len) < 0)
		return -1;
	f->body_size = len;
	return 0;
}

static int
fetch_modseq(struct imap_fetch *f, const struct imap_arg *v)
{
	if (v->type != IMAP_ARG_LIST || v->count != 1 ||
	    imap_arg_uint64(&v->list[0], &f->modseq) < 0)
		return -1;
	f->has_modseq = true;
	return 0;
}

static int
fetch_item(struct imap_fetch *f, const struct imap_arg *k,
	   const struct imap_arg *v)
{
	const char *item = k->str;

	if (k->type != IMAP_ARG_ATOM)
		return -1;
	if (str_casecmp(item, "UID") == 0) {
		f->has_uid = true;
		return imap_arg_uint32(v, &f->uid);
	}
	if (str_casecmp(item, "FLAGS") == 0) {
		if (v->type != IMAP_ARG_LIST)
			return -1;
		f->has_flags = true;
		f->flags = v->list;
		f->nflags = v->count;
		return 0;
	}
	if (str_casecmp(item, "RFC822.SIZE") == 0) {
		f->has_size = true;
		return imap_arg_uint64(v, &f->size);
	}
	if (str_casecmp(item, "INTERNALDATE") == 0) {
		f->internaldate = v->type == IMAP_ARG_QUOTED ? v->str : NULL;
		return f->internaldate == NULL ? -1 : 0;
	}
	if (str_casecmp(item, "MODSEQ") == 0)
		return fetch_modseq(f, v);
	if (is_body_item(item))
		return fetch_body(f, item, v);
	return 0;	/* ENVELOPE, BODYSTRUCTURE...: left in args */
}

static int
interpret_fetch(struct imap_resp *r, const char **error_r)
{
	const struct imap_arg *l;

	if (r->nargs != 1 || r->args[0].type != IMAP_ARG_LIST ||
	    r->args[0].count % 2 != 0 || r->number == 0)
		goto bad;
	l = r->args[0].list;
	for (size_t i = 0; i < r->args[0].count; i += 2)
		if (fetch_item(&r->fetch, &l[i], &l[i + 1]) < 0)
			goto bad;
	return 0;
bad:
	*error_r = "bad FETCH response";
	return -1;
}

/* ---- LIST, VANISHED ---- */

static int
interpret_list(struct imap_resp *r, const char **error_r)
{
	const struct imap_arg *a = r->args;
	const char *d;

	if (r->nargs < 3 || a[0].type != IMAP_ARG_LIST)
		goto bad;
	r->list.attrs = a[0].list;
	r->list.nattrs = a[0].count;
	if (a[1].type == IMAP_ARG_QUOTED && a[1].len == 1)
		r->list.delim = a[1].str[0];
	else if (a[1].type != IMAP_ARG_NIL)
		goto bad;
	d = imap_arg_string(&a[2]);
	if (d == NULL || strlen(d) != a[2].len)
		goto bad;
	r->list.name = d;
	r->list.name_len = a[2].len;
	return 0;
bad:
	*error_r = "bad LIST response";
	return -1;
}

static int
interpret_vanished(struct imap_resp *r, const char **error_r)
{
	const struct imap_arg *a = r->args;
	size_t i = 0;

	if (r->nargs == 2 && a[0].type == IMAP_ARG_LIST &&
	    a[0].count == 1 && imap_arg_atom_is(&a[0].list[0], "EARLIER")) {
		r->earlier = true;
		i = 1;
	}
	if (r->nargs != i + 1 || a[i].type != IMAP_ARG_ATOM) {
		*error_r = "bad VANISHED response";
		return -1;
	}
	r->uidset = a[i].str;
	return 0;
}

static int
need_number(const struct imap_resp *r, const char **error_r)
{
	if (r->number == 0 && r->type != IMAP_RT_EXISTS &&
	    r->type != IMAP_RT_RECENT) {
		*error_r = "message number 0";
		return -1;
	}
	return 0;
}

int
imap_resp_interpret(struct imap_resp *r, const char **error_r)
{
	switch (r->type) {
	case IMAP_RT_EXISTS:
	case IMAP_RT_RECENT:
	case IMAP_RT_EXPUNGE:
		return need_number(r, error_r);
	case IMAP_RT_FETCH:
		return interpret_fetch(r, error_r);
	case IMAP_RT_LIST:
	case IMAP_RT_LSUB:
		return interpret_list(r, error_r);
	case IMAP_RT_VANISHED:
		return interpret_vanished(r, error_r);
	default:
		return 0;
	}
}

/* ---- argument helpers ---- */

int
imap_arg_atom_is(const struct imap_arg *a, const char *s)
{
	return a->type == IMAP_ARG_ATOM && str_casecmp(a->str, s) == 0;
}

const char *
imap_arg_string(const struct imap_arg *a)
{
	switch (a->type) {
	case IMAP_ARG_ATOM:
	case IMAP_ARG_QUOTED:
	case IMAP_ARG_LITERAL:
		return a->str;
	default:
		return NULL;
	}
}

int
imap_arg_uint64(const struct imap_arg *a, uint64_t *r)
{
	if (a->type != IMAP_ARG_ATOM)
		return -1;
	return str_to_uint64(a->str, r);
}

int
imap_arg_uint32(const struct imap_arg *a, uint32_t *r)
{
	uint64_t n;

	if (imap_arg_uint64(a, &n) < 0 || n > UINT32_MAX)
		return -1;
	*r = (uint32_t)n;
	return 0;
}
