/* FETCH data items: names, BODY[section]<partial>, BINARY, modifiers. */
#include <string.h>

#include "lib/buf.h"
#include "lib/strx.h"
#include "proto/imap/imap-fetch-items.h"
#include "proto/imap/imap-quote.h"

#define MAX_PARTS 64		/* depth of a part path "1.2.3..." */
#define NAME_MAX_LEN 8192	/* an echoed item name */

static int
bad(const char **error_r, const char *error)
{
	*error_r = error;
	return -1;
}

/* ---- simple items ---- */

static const struct {
	const char *name;
	enum imap_fetch_type type;
	bool header, body, seen;
} simple_items[] = {
	{ "FLAGS", IMAP_FETCH_FLAGS, false, false, false },
	{ "INTERNALDATE", IMAP_FETCH_INTERNALDATE, false, false, false },
	{ "RFC822", IMAP_FETCH_RFC822, true, true, true },
	{ "RFC822.HEADER", IMAP_FETCH_RFC822_HEADER, true, false, false },
	{ "RFC822.SIZE", IMAP_FETCH_RFC822_SIZE, false, false, false },
	{ "RFC822.TEXT", IMAP_FETCH_RFC822_TEXT, true, true, true },
	{ "UID", IMAP_FETCH_UID, false, false, false },
	{ "ENVELOPE", IMAP_FETCH_ENVELOPE, true, false, false },
	{ "BODY", IMAP_FETCH_BODY, true, true, false },
	{ "BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE, true, true, false },
	{ "MODSEQ", IMAP_FETCH_MODSEQ, false, false, false },
};

#define N_SIMPLE (sizeof(simple_items) / sizeof(*simple_items))

static int
simple_item(const char *atom, struct imap_fetch_item *item)
{
	for (size_t i = 0; i < N_SIMPLE; i++) {
		if (str_casecmp(atom, simple_items[i].name) == 0) {
			item->type = simple_items[i].type;
			item->name = simple_items[i].name;
			item->sets_seen = simple_items[i].seen;
			return 1;
		}
	}
	return 0;
}

/* ---- sections ---- */

struct section_ctx {
	struct imap_cmd *cmd;
	const char *p, *end;	/* the text between '[' and ']' */
	struct imap_fetch_item *item;
	uint32_t parts[MAX_PARTS];
};

static int
section_parts(struct section_ctx *c)
{
	uint64_t n;
	const char *e;

	while (c->p < c->end && *c->p >= '1' && *c->p <= '9') {
		if (c->item->nparts == MAX_PARTS ||
		    str_to_uint64_prefix(c->p, &n, &e) < 0 || n > UINT32_MAX)
			return -1;
		c->parts[c->item->nparts++] = (uint32_t)n;
		c->p = e;
		if (c->p == c->end)
			return 0;
		if (*c->p != '.')
			return -1;
		c->p++;
		if (c->p == c->end)
			return -1;
	}
	return 0;
}

static bool
field_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != ':' &&
		strchr("(){\"%*\\[]", c) == NULL;
}

/* One header-fld-name (astring) at c->p. */
static int
field_name(struct section_ctx *c, const char **name_r)
{
	const char *s = c->p;
	char *out;
	size_t n = 0;

	if (*s == '"') {
		out = imap_cmd_alloc(c->cmd, (size_t)(c->end - s));
		for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
			if (*c->p == '\\' && c->p + 1 < c->end)
				c->p++;
			out[n++] = *c->p;
		}
		if (c->p == c->end || n == 0 || memchr(out, ':', n) != NULL)
			return -1;
		c->p++;
		*name_r = out;
		return 0;
	}
	while (c->p < c->end && field_char((unsigned char)*c->p))
		c->p++;
	if (c->p == s)
		return -1;
	*name_r = imap_cmd_strndup(c->cmd, s, (size_t)(c->p - s));
	return 0;
}

/* " (name name ...)" up to the end of the section. */
static int
section_fields(struct section_ctx *c)
{
	const char **v;
	size_t n = 0, max = (size_t)(c->end - c->p) / 2 + 1;

	if (c->end - c->p < 4 || c->p[0] != ' ' || c->p[1] != '(' ||
	    c->end[-1] != ')')
		return -1;
	c->p += 2;
	v = imap_cmd_alloc(c->cmd, max * sizeof(*v));
	for (;;) {
		if (n == max || field_name(c, &v[n++]) < 0)
			return -1;
		if (c->p < c->end && *c->p == ')')
			break;
		if (c->p == c->end || *c->p != ' ')
			return -1;
		c->p++;
	}
	if (++c->p != c->end)
		return -1;
	c->item->fields = v;
	c->item->nfields = n;
	return 0;
}

static bool
section_word(struct section_ctx *c, const char *word)
{
	size_t len = strlen(word);

	if ((size_t)(c->end - c->p) < len ||
	    str_ncasecmp(c->p, word, len) != 0)
		return false;
	c->p += len;
	return true;
}

static int
section_text(struct section_ctx *c)
{
	struct imap_fetch_item *it = c->item;

	if (c->p == c->end)
		it->spec = IMAP_SECTION_ALL;
	else if (section_word(c, "HEADER.FIELDS.NOT"))
		it->spec = IMAP_SECTION_HEADER_FIELDS_NOT;
	else if (section_word(c, "HEADER.FIELDS"))
		it->spec = IMAP_SECTION_HEADER_FIELDS;
	else if (section_word(c, "HEADER"))
		it->spec = IMAP_SECTION_HEADER;
	else if (section_word(c, "TEXT"))
		it->spec = IMAP_SECTION_TEXT;
	else if (section_word(c, "MIME") && it->nparts > 0)
		it->spec = IMAP_SECTION_MIME;
	else
		return -1;
	if (it->spec == IMAP_SECTION_HEADER_FIELDS ||
	    it->spec == IMAP_SECTION_HEADER_FIELDS_NOT)
		return section_fields(c);
	return c->p == c->end ? 0 : -1;
}

static int
parse_section(struct section_ctx *c, bool binary)
{
	uint32_t *parts;

	if (section_parts(c) < 0)
		return -1;
	if (c->item->nparts > 0) {
		parts = imap_cmd_alloc(c->cmd, c->item->nparts *
				       sizeof(*parts));
		memcpy(parts, c->parts, c->item->nparts * sizeof(*parts));
		c->item->parts = parts;
	}
	if (binary)
		return c->p == c->end ? 0 : -1;
	return section_text(c);
}

/* "<origin.length>" from s to the end of the atom. */
static int
parse_partial(const char *s, struct imap_fetch_item *it)
{
	const char *e;

	if (*s == '\0')
		return 0;
	if (*s != '<' || str_to_uint64_prefix(s + 1, &it->origin, &e) < 0 ||
	    *e != '.' || str_to_uint64_prefix(e + 1, &it->length, &e) < 0 ||
	    it->length == 0 || str_casecmp(e, ">") != 0 ||
	    it->origin > UINT32_MAX || it->length > UINT32_MAX)
		return -1;
	it->partial = true;
	return 0;
}

/* ---- the echoed name ---- */

static int
name_section(struct buf *b, const struct imap_fetch_item *it)
{
	static const char *const specs[] = {
		"", "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT",
		"MIME",
	};
	int ret = 0;

	for (size_t i = 0; i < it->nparts; i++)
		ret |= buf_printf(b, "%s%u", i > 0 ? "." : "", it->parts[i]);
	if (it->nparts > 0 && it->spec != IMAP_SECTION_ALL)
		ret |= buf_append_c(b, '.');
	ret |= buf_append_str(b, specs[it->spec]);
	for (size_t i = 0; i < it->nfields; i++) {
		ret |= buf_append_str(b, i == 0 ? " (" : " ");
		ret |= imap_quote_astring(b, it->fields[i],
					  strlen(it->fields[i]));
	}
	if (it->nfields > 0)
		ret |= buf_append_c(b, ')');
	return ret;
}

static int
make_name(struct imap_cmd *cmd, struct imap_fetch_item *it)
{
	static const char *const prefix[] = {
		[IMAP_FETCH_BODY_SECTION] = "BODY[",
		[IMAP_FETCH_BINARY] = "BINARY[",
		[IMAP_FETCH_BINARY_SIZE] = "BINARY.SIZE[",
	};
	struct buf b;
	int ret;

	buf_init(&b, NAME_MAX_LEN);
	ret = buf_append_str(&b, prefix[it->type]);
	ret |= name_section(&b, it);
	ret |= buf_append_c(&b, ']');
	if (it->partial)
		ret |= buf_printf(&b, "<%llu>", (unsigned long long)it->origin);
	if (ret == 0)
		it->name = imap_cmd_strndup(cmd, b.data, b.len);
	buf_free(&b);
	return ret == 0 ? 0 : -1;
}

/* ---- one item ---- */

static const struct {
	const char *prefix;
	enum imap_fetch_type type;
	bool peek;
} section_items[] = {
	{ "BODY[", IMAP_FETCH_BODY_SECTION, false },
	{ "BODY.PEEK[", IMAP_FETCH_BODY_SECTION, true },
	{ "BINARY[", IMAP_FETCH_BINARY, false },
	{ "BINARY.PEEK[", IMAP_FETCH_BINARY, true },
	{ "BINARY.SIZE[", IMAP_FETCH_BINARY_SIZE, true },
};

static int
section_item(struct imap_cmd *cmd, const char *atom, size_t k,
	     struct imap_fetch_item *it)
{
	struct section_ctx c = { .cmd = cmd, .item = it };
	const char *close = strrchr(atom, ']');

	it->type = section_items[k].type;
	it->peek = section_items[k].peek;
	it->sets_seen = !it->peek;
	c.p = atom + strlen(section_items[k].prefix);
	if (close == NULL || close < c.p)
		return -1;
	c.end = close;
	if (parse_section(&c, it->type != IMAP_FETCH_BODY_SECTION) < 0)
		return -1;
	if (it->type == IMAP_FETCH_BINARY_SIZE ? close[1] != '\0' :
	    parse_partial(close + 1, it) < 0)
		return -1;
	return make_name(cmd, it);
}

int
imap_fetch_item_parse(struct imap_cmd *cmd, const char *atom,
		      struct imap_fetch_item *item, const char **error_r)
{
	memset(item, 0, sizeof(*item));
	if (simple_item(atom, item))
		return 0;
	for (size_t k = 0; k < sizeof(section_items) / sizeof(*section_items);
	     k++) {
		if (!str_has_prefix_ci(atom, section_items[k].prefix))
			continue;
		if (section_item(cmd, atom, k, item) < 0)
			return bad(error_r, "Invalid section in FETCH item");
		return 0;
	}
	return bad(error_r, "Unknown FETCH item");
}

/* ---- item lists ---- */

static void
item_needs(const struct imap_fetch_item *it, struct imap_fetch_items *r)
{
	for (size_t i = 0; i < N_SIMPLE; i++) {
		if (it->type == simple_items[i].type) {
			r->need_header |= simple_items[i].header;
			r->need_body |= simple_items[i].body;
			return;
		}
	}
	r->need_header = true;
	if (it->type != IMAP_FETCH_BODY_SECTION || it->nparts > 0 ||
	    (it->spec != IMAP_SECTION_HEADER &&
	     it->spec != IMAP_SECTION_HEADER_FIELDS &&
	     it->spec != IMAP_SECTION_HEADER_FIELDS_NOT))
		r->need_body = true;
}

static const struct {
	const char *name;
	const char *const items[6];
} macros[] = {
	{ "ALL", { "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE" } },
	{ "FAST", { "FLAGS", "INTERNALDATE", "RFC822.SIZE" } },
	{ "FULL", { "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE",
		    "BODY" } },
};

static const char *const *
macro_items(const char *atom)
{
	for (size_t i = 0; i < sizeof(macros) / sizeof(*macros); i++)
		if (str_casecmp(atom, macros[i].name) == 0)
			return macros[i].items;
	return NULL;
}

/* The item atoms of arg into a NULL-terminated array in the arena. */
static const char **
item_atoms(struct imap_cmd *cmd, const struct imap_cmd_arg *arg)
{
	const struct imap_cmd_arg *l = arg;
	const char *const *m;
	const char **v;
	size_t n = 1;

	if (arg->type == IMAP_CARG_ATOM && !arg->bracket &&
	    (m = macro_items(arg->str)) != NULL)
		return (const char **)m;
	if (arg->type == IMAP_CARG_LIST && imap_arg_list(arg, &l, &n) == 0 &&
	    n == 0)
		return NULL;
	v = imap_cmd_alloc(cmd, (n + 2) * sizeof(*v));	/* + UID + NULL */
	for (size_t i = 0; i < n; i++) {
		if (l[i].type != IMAP_CARG_ATOM)
			return NULL;
		v[i] = l[i].str;
	}
	return v;
}

int
imap_fetch_items_parse(struct imap_cmd *cmd, const struct imap_cmd_arg *arg,
		       bool add_uid, struct imap_fetch_items *r,
		       const char **error_r)
{
	const char **atoms = arg == NULL ? NULL : item_atoms(cmd, arg);
	size_t n = 0;
	bool have_uid = false;

	memset(r, 0, sizeof(*r));
	if (atoms == NULL)
		return bad(error_r, "Invalid FETCH items");
	while (atoms[n] != NULL)
		n++;
	r->items = imap_cmd_alloc(cmd, (n + 1) * sizeof(*r->items));
	for (size_t i = 0; i < n; i++) {
		struct imap_fetch_item *it = &r->items[r->count++];

		if (imap_fetch_item_parse(cmd, atoms[i], it, error_r) < 0)
			return -1;
		have_uid |= it->type == IMAP_FETCH_UID;
		r->sets_seen |= it->sets_seen;
		item_needs(it, r);
	}
	if (add_uid && !have_uid)
		(void)simple_item("UID", &r->items[r->count++]);
	return 0;
}

static int
fetch_modifiers(const struct imap_cmd *cmd, const struct imap_cmd_arg *arg,
		struct imap_fetch_args *r, const char **error_r)
{
	const struct imap_cmd_arg *l;
	size_t n;

	if (imap_arg_list(arg, &l, &n) < 0 || n == 0)
		return bad(error_r, "Invalid FETCH modifiers");
	for (size_t i = 0; i < n; i++) {
		if (imap_arg_atom_eq(&l[i], "CHANGEDSINCE") && i + 1 < n &&
		    !r->changedsince_set &&
		    imap_arg_number64(&l[i + 1], &r->changedsince) == 0) {
			r->changedsince_set = true;
			i++;
		} else if (imap_arg_atom_eq(&l[i], "VANISHED") &&
			   !r->vanished) {
			r->vanished = true;
		} else {
			return bad(error_r, "Invalid FETCH modifier");
		}
	}
	if (r->vanished && (!cmd->uid || !r->changedsince_set))
		return bad(error_r,
			   "VANISHED needs UID FETCH and CHANGEDSINCE");
	return 0;
}

int
imap_fetch_parse(struct imap_cmd *cmd, struct imap_fetch_args *r,
		 const char **error_r)
{
	memset(r, 0, sizeof(*r));
	if (cmd->nargs < 2 || cmd->nargs > 3)
		return bad(error_r, "Invalid FETCH arguments");
	if (imap_arg_seqset(&cmd->args[0], &r->seqset) < 0)
		return bad(error_r, "Invalid sequence set");
	if (imap_fetch_items_parse(cmd, &cmd->args[1], cmd->uid, &r->items,
				   error_r) < 0)
		return -1;
	if (cmd->nargs == 3 &&
	    fetch_modifiers(cmd, &cmd->args[2], r, error_r) < 0)
		return -1;
	r->modseq = r->changedsince_set;
	for (size_t i = 0; i < r->items.count; i++)
		r->modseq |= r->items.items[i].type == IMAP_FETCH_MODSEQ;
	return 0;
}
