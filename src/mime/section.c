/* BODY[section] (RFC 3501 6.4.5): the spec parser and the lookup of the
 * bytes it names, with Dovecot 2.3's answers for the corner cases (a
 * part that does not exist is an empty string; HEADER and TEXT of a part
 * need a message/rfc822 part). */
#include "mime/imap-mime.h"
#include "mime/mime-private.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strx.h"
#include "lib/xalloc.h"

#define FIELD_NAME_MAX 1000

/* ---- parsing the spec ---- */

struct spec {
	const char *p, *end;
};

static bool
eat_keyword(struct spec *s, const char *kw)
{
	size_t n = strlen(kw);

	if ((size_t)(s->end - s->p) < n || str_ncasecmp(s->p, kw, n) != 0)
		return false;
	s->p += n;
	return true;
}

static int
parse_number(struct spec *s, uint32_t *num_r)
{
	uint64_t n = 0;

	if (s->p >= s->end || *s->p < '1' || *s->p > '9')
		return -1;
	for (; s->p < s->end && *s->p >= '0' && *s->p <= '9'; s->p++) {
		n = n * 10 + (uint64_t)(*s->p - '0');
		if (n > UINT32_MAX)
			return -1;
	}
	*num_r = (uint32_t)n;
	return 0;
}

static bool
is_atom_char(char c)
{
	return (unsigned char)c > ' ' && (unsigned char)c < 0x7f &&
	       strchr("(){%*\"\\]", c) == NULL;
}

/* one astring (atom or quoted string) */
static char *
parse_field_name(struct spec *s)
{
	struct buf b;

	buf_init(&b, FIELD_NAME_MAX);
	if (s->p < s->end && *s->p == '"') {
		for (s->p++; s->p < s->end && *s->p != '"'; s->p++) {
			if (*s->p == '\\' && s->p + 1 < s->end)
				s->p++;
			if (*s->p == '\r' || *s->p == '\n' ||
			    buf_append_c(&b, *s->p) < 0)
				break;
		}
		if (s->p >= s->end || *s->p != '"') {
			buf_free(&b);
			return NULL;
		}
		s->p++;
	} else {
		for (; s->p < s->end && is_atom_char(*s->p); s->p++)
			if (buf_append_c(&b, *s->p) < 0)
				break;
	}
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static int
parse_field_list(struct spec *s, struct mime_section *sec,
		 const char **error_r)
{
	if (!eat_keyword(s, " ("))
		return *error_r = "HEADER.FIELDS needs a list of names", -1;
	sec->fields = xcalloc(MIME_SECTION_MAX_FIELDS, sizeof(char *));
	for (;;) {
		char *name = parse_field_name(s);

		if (name == NULL)
			return *error_r = "bad header field name", -1;
		if (sec->nfields == MIME_SECTION_MAX_FIELDS) {
			free(name);
			return *error_r = "too many header field names", -1;
		}
		sec->fields[sec->nfields++] = name;
		if (eat_keyword(s, ")"))
			return 0;
		if (!eat_keyword(s, " "))
			return *error_r = "bad header field list", -1;
	}
}

/* HEADER, HEADER.FIELDS[.NOT] (...), TEXT, and MIME after a part */
static int
parse_text(struct spec *s, struct mime_section *sec, const char **error_r)
{
	if (eat_keyword(s, "HEADER.FIELDS.NOT")) {
		sec->text = MIME_SECTION_HEADER_FIELDS_NOT;
		return parse_field_list(s, sec, error_r);
	}
	if (eat_keyword(s, "HEADER.FIELDS")) {
		sec->text = MIME_SECTION_HEADER_FIELDS;
		return parse_field_list(s, sec, error_r);
	}
	if (eat_keyword(s, "HEADER"))
		sec->text = MIME_SECTION_HEADER;
	else if (eat_keyword(s, "TEXT"))
		sec->text = MIME_SECTION_TEXT;
	else if (sec->path_len > 0 && eat_keyword(s, "MIME"))
		sec->text = MIME_SECTION_MIME;
	else
		return *error_r = "unknown section text", -1;
	return 0;
}

static int
parse_path(struct spec *s, struct mime_section *sec, const char **error_r)
{
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		if (sec->path_len == MIME_SECTION_MAX_PATH)
			return *error_r = "section nested too deep", -1;
		if (parse_number(s, &sec->path[sec->path_len++]) < 0)
			return *error_r = "bad part number", -1;
		if (s->p == s->end)
			return 0;
		if (*s->p++ != '.')
			return *error_r = "bad part number", -1;
		if (s->p == s->end)
			return *error_r = "section ends in a dot", -1;
	}
	return 0;
}

int
mime_section_parse(const char *spec, size_t len, struct mime_section *sec,
		   const char **error_r)
{
	struct spec s = { spec, spec + len };

	memset(sec, 0, sizeof(*sec));
	sec->text = MIME_SECTION_WHOLE;
	if (parse_path(&s, sec, error_r) < 0)
		return -1;
	if (s.p < s.end && parse_text(&s, sec, error_r) < 0)
		return -1;
	if (s.p != s.end)
		return *error_r = "junk after the section", -1;
	return 0;
}

void
mime_section_free(struct mime_section *sec)
{
	for (unsigned int i = 0; i < sec->nfields; i++)
		free(sec->fields[i]);
	free(sec->fields);
	sec->fields = NULL;
	sec->nfields = 0;
}

/* ---- finding the bytes ---- */

static const struct mime_part *
nth_child(const struct mime_part *part, uint32_t n)
{
	const struct mime_part *c = part->children;

	while (c != NULL && --n > 0)
		c = c->next;
	return c;
}

const struct mime_part *
mime_section_part(const struct mime_part *root, const uint32_t *path,
		  unsigned int path_len)
{
	const struct mime_part *part = root;

	for (unsigned int i = 0; i < path_len && part != NULL; i++) {
		bool more = i + 1 < path_len;

		if (part->flags & MIME_PART_MULTIPART)
			part = nth_child(part, path[i]);
		else if (path[i] != 1 ||
			 (more && !(part->flags & MIME_PART_MESSAGE)))
			part = NULL;
		/* a number after a message/rfc822 part counts inside it */
		if (part != NULL && more && (part->flags & MIME_PART_MESSAGE))
			part = part->children;
	}
	return part;
}

static bool
field_listed(const struct mime_section *sec, const struct mime_field *f)
{
	for (unsigned int i = 0; i < sec->nfields; i++)
		if (mime_field_is(f, sec->fields[i]))
			return true;
	return false;
}

static bool
has_blank_line(const char *hdr, size_t len)
{
	return (len == 2 && hdr[0] == '\r' && hdr[1] == '\n') ||
	       (len >= 4 && memcmp(hdr + len - 4, "\r\n\r\n", 4) == 0);
}

static int
filter_header(const char *hdr, size_t len, const struct mime_section *sec,
	      struct buf *out)
{
	bool want = sec->text == MIME_SECTION_HEADER_FIELDS;
	struct mime_field_iter it;
	struct mime_field f;
	int ret = 0;

	buf_reset(out);
	mime_field_iter_init(&it, hdr, len);
	while (ret == 0 && mime_field_next(&it, &f) > 0) {
		if (field_listed(sec, &f) != want)
			continue;
		ret = buf_append(out, f.line, f.line_len);
		if (ret == 0 && f.line[f.line_len - 1] != '\n')
			ret = buf_append(out, "\r\n", 2);
	}
	/* HEADER.FIELDS always ends in a blank line; .NOT keeps the
	 * header's own (none when the message is all header), as Dovecot */
	if (ret == 0 && (want || has_blank_line(hdr, len)))
		ret = buf_append(out, "\r\n", 2);
	return ret < 0 ? -1 : 0;
}

static void
set_range(const char *msg, size_t off, size_t len, const char **data_r,
	  size_t *len_r)
{
	*data_r = msg + off;
	*len_r = len;
}

int
mime_section_get(const struct mime_part *root, const char *msg,
		 const struct mime_section *sec, struct buf *scratch,
		 const char **data_r, size_t *len_r)
{
	const struct mime_part *part =
		mime_section_part(root, sec->path, sec->path_len);

	*data_r = "";
	*len_r = 0;
	if (part == NULL)
		return 0;
	if (sec->text == MIME_SECTION_WHOLE) {
		if (sec->path_len == 0)
			set_range(msg, 0, part->hdr_size + part->body_size,
				  data_r, len_r);
		else
			set_range(msg, part->body_off, part->body_size,
				  data_r, len_r);
		return 0;
	}
	if (sec->text == MIME_SECTION_MIME) {
		set_range(msg, part->hdr_off, part->hdr_size, data_r, len_r);
		return 0;
	}
	if (sec->path_len > 0) {	/* HEADER/TEXT of an attached message */
		if (!(part->flags & MIME_PART_MESSAGE) ||
		    part->children == NULL)
			return 0;
		part = part->children;
	}
	if (sec->text == MIME_SECTION_HEADER)
		set_range(msg, part->hdr_off, part->hdr_size, data_r, len_r);
	else if (sec->text == MIME_SECTION_TEXT)
		set_range(msg, part->body_off, part->body_size, data_r, len_r);
	else {
		if (filter_header(msg + part->hdr_off, part->hdr_size, sec,
				  scratch) < 0)
			return -1;
		*data_r = buf_cstr(scratch);
		*len_r = scratch->len;
	}
	return 0;
}
