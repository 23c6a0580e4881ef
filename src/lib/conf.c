#include "lib/conf.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/strx.h"
#include "lib/xalloc.h"

/* State of one conf_load(). inih (as Debian builds it) tells the handler
 * neither the line number nor the sections it skips, so we read the file
 * through our own reader: it counts lines, checks section headers, and
 * swallows the tail of over-long lines so inih's count stays equal. */
struct conf_state {
	const char *path;
	const struct conf_key *keys;
	void *target;
	FILE *f;
	int line;		/* line being parsed, 1-based */
	int indented;		/* that line starts with white space */
	int *seen;		/* per key: line it was set on, 0 = not yet */
	int err_line;		/* line of the first error, 0 = none */
	char *err;		/* its message */
	char *dir;		/* absolute directory of path, when needed */
};

static int
conf_fail(struct conf_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records the first error only; returns 0 (inih's "handler failed"). */
static int
conf_fail(struct conf_state *st, const char *fmt, ...)
{
	va_list ap;

	if (st->err != NULL)
		return 0;
	va_start(ap, fmt);
	if (vasprintf(&st->err, fmt, ap) < 0)
		fatal("out of memory");
	va_end(ap);
	st->err_line = st->line;
	return 0;
}

static void *
field(const struct conf_key *k, void *target)
{
	return (char *)target + k->offset;
}

static char *
field_str(const struct conf_key *k, void *target)
{
	char **sp = field(k, target);

	return *sp;
}

/* ---- value parsers ---- */

static int
parse_unit(const char *s, const char *units, const uint64_t *mult,
	   uint64_t *r)
{
	const char *end, *u;
	uint64_t v;

	if (str_to_uint64_prefix(s, &v, &end) < 0)
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return -1;
		if (v > UINT64_MAX / mult[u - units])
			return -1;
		v *= mult[u - units];
	}
	*r = v;
	return 0;
}

int
conf_parse_size(const char *s, uint64_t *r)
{
	static const uint64_t mult[] = {
		1024, 1024, 1ull << 20, 1ull << 20, 1ull << 30, 1ull << 30,
		1ull << 40, 1ull << 40, 1, 1,
	};

	return parse_unit(s, "kKmMgGtTbB", mult, r);
}

int
conf_parse_duration(const char *s, unsigned int *r)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400, 604800 };
	uint64_t v;

	if (parse_unit(s, "smhdw", mult, &v) < 0 || v > UINT_MAX)
		return -1;
	*r = (unsigned int)v;
	return 0;
}

int
conf_parse_bool(const char *s, int *r)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (str_casecmp(s, yes[i]) == 0) {
			*r = 1;
			return 0;
		}
		if (str_casecmp(s, no[i]) == 0) {
			*r = 0;
			return 0;
		}
	}
	return -1;
}

static int
parse_enum(const struct conf_key *k, const char *s, int *r)
{
	for (int i = 0; k->enum_values != NULL && k->enum_values[i] != NULL;
	     i++) {
		if (str_casecmp(s, k->enum_values[i]) == 0) {
			*r = i;
			return 0;
		}
	}
	return -1;
}

/* ---- storing a value ---- */

enum set_rc { SET_OK = 0, SET_BAD = -1, SET_RANGE = -2 };

static int
in_range(const struct conf_key *k, long long v)
{
	return k->max <= k->min || (v >= k->min && v <= k->max);
}

static int
in_range_u(const struct conf_key *k, uint64_t v)
{
	if (k->max <= k->min)
		return 1;
	if (k->max < 0 || v > (uint64_t)k->max)
		return 0;
	return k->min < 0 || v >= (uint64_t)k->min;
}

static enum set_rc
set_number(const struct conf_key *k, const char *s, void *target)
{
	int64_t i;
	uint64_t u;
	unsigned int d;

	switch (k->type) {
	case CONF_INT:
		if (str_to_int64(s, &i) < 0)
			return SET_BAD;
		if (!in_range(k, i))
			return SET_RANGE;
		*(long long *)field(k, target) = i;
		return SET_OK;
	case CONF_SIZE:
		if (conf_parse_size(s, &u) < 0)
			return SET_BAD;
		if (!in_range_u(k, u))
			return SET_RANGE;
		*(uint64_t *)field(k, target) = u;
		return SET_OK;
	default:
		if (conf_parse_duration(s, &d) < 0)
			return SET_BAD;
		if (!in_range_u(k, d))
			return SET_RANGE;
		*(unsigned int *)field(k, target) = d;
		return SET_OK;
	}
}

static enum set_rc
set_value(const struct conf_key *k, const char *s, void *target)
{
	char **sp;

	switch (k->type) {
	case CONF_STRING:
	case CONF_PATH:
		sp = field(k, target);
		free(*sp);
		*sp = xstrdup(s);
		return SET_OK;
	case CONF_BOOL:
		return conf_parse_bool(s, field(k, target)) < 0 ?
			SET_BAD : SET_OK;
	case CONF_ENUM:
		return parse_enum(k, s, field(k, target)) < 0 ?
			SET_BAD : SET_OK;
	case CONF_INT:
	case CONF_SIZE:
	case CONF_DURATION:
		break;
	}
	return set_number(k, s, target);
}

static void
set_zero(const struct conf_key *k, void *target)
{
	switch (k->type) {
	case CONF_STRING:
	case CONF_PATH:
		*(char **)field(k, target) = NULL;
		break;
	case CONF_INT:
		*(long long *)field(k, target) = 0;
		break;
	case CONF_SIZE:
		*(uint64_t *)field(k, target) = 0;
		break;
	case CONF_DURATION:
		*(unsigned int *)field(k, target) = 0;
		break;
	case CONF_BOOL:
	case CONF_ENUM:
		*(int *)field(k, target) = 0;
		break;
	}
}

void
conf_defaults(const struct conf_key *keys, void *target)
{
	for (const struct conf_key *k = keys; k->name != NULL; k++) {
		set_zero(k, target);
		if (k->deflt != NULL && set_value(k, k->deflt, target) != SET_OK)
			fatal("config: bad default \"%s\" for %s.%s", k->deflt,
			      k->section, k->name);
	}
}

void
conf_free(const struct conf_key *keys, void *target)
{
	for (const struct conf_key *k = keys; k->name != NULL; k++) {
		if (k->type == CONF_STRING || k->type == CONF_PATH) {
			free(field_str(k, target));
			*(char **)field(k, target) = NULL;
		}
	}
}

/* ---- error messages ---- */

static const char *
expected_text(const struct conf_key *k, struct buf *b)
{
	switch (k->type) {
	case CONF_INT:
		return "an integer";
	case CONF_SIZE:
		return "a size such as 512, 64K, 10M or 2G";
	case CONF_DURATION:
		return "a duration such as 30, 30s, 10m, 2h or 1d";
	case CONF_BOOL:
		return "yes/no, true/false, on/off or 1/0";
	case CONF_ENUM:
		buf_append_str(b, "one of:");
		for (int i = 0; k->enum_values[i] != NULL; i++)
			buf_printf(b, "%s %s", i > 0 ? "," : "",
				   k->enum_values[i]);
		return buf_cstr(b);
	case CONF_STRING:
	case CONF_PATH:
		break;
	}
	return "a string";
}

static int
fail_value(struct conf_state *st, const struct conf_key *k, const char *v,
	   enum set_rc rc)
{
	struct buf b;

	buf_init(&b, 4096);
	if (rc == SET_RANGE)
		conf_fail(st, "value \"%s\" for '%s' in [%s] is out of range "
			  "(expected %lld to %lld)", v, k->name, k->section,
			  k->min, k->max);
	else
		conf_fail(st, "bad value \"%s\" for '%s' in [%s] (expected %s)",
			  v, k->name, k->section, expected_text(k, &b));
	buf_free(&b);
	return 0;
}

/* ---- inih callbacks ---- */

static int
section_known(const struct conf_key *keys, const char *section)
{
	for (const struct conf_key *k = keys; k->name != NULL; k++) {
		if (strcmp(k->section, section) == 0)
			return 1;
	}
	return 0;
}

static int
find_key(const struct conf_key *keys, const char *section, const char *name)
{
	for (int i = 0; keys[i].name != NULL; i++) {
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return i;
	}
	return -1;
}

static char *
config_dir(const char *path)
{
	char *copy = xstrdup(path), *dir, *abs;

	dir = dirname(copy);
	abs = realpath(dir, NULL);
	if (abs == NULL)
		abs = xstrdup(dir);
	free(copy);
	return abs;
}

/* Only values from the file: defaults stay as the program wrote them
 * (a caller may resolve them against something else, e.g. data_dir). */
static void
resolve_path(struct conf_state *st, const struct conf_key *k)
{
	char **sp = field(k, st->target), *abs;

	if (**sp == '\0' || **sp == '/')
		return;
	if (st->dir == NULL)
		st->dir = config_dir(st->path);
	abs = xasprintf("%s/%s", st->dir, *sp);
	free(*sp);
	*sp = abs;
}

static int
conf_handler(void *user, const char *section, const char *name,
	     const char *value)
{
	struct conf_state *st = user;
	const struct conf_key *k;
	enum set_rc rc;
	int i;

	if (!section_known(st->keys, section))
		return *section == '\0' ?
			conf_fail(st, "key '%s' outside any [section]", name) :
			conf_fail(st, "unknown section [%s]", section);
	if ((i = find_key(st->keys, section, name)) < 0)
		return conf_fail(st, "unknown key '%s' in [%s]", name, section);
	k = &st->keys[i];
	if (st->seen[i] != 0 && st->indented)
		return conf_fail(st, "indented line continues '%s' in [%s]; "
				 "continuation lines are not supported",
				 name, section);
	if (st->seen[i] != 0)
		return conf_fail(st, "duplicate key '%s' in [%s] (first set "
				 "on line %d)", name, section, st->seen[i]);
	st->seen[i] = st->line;
	if ((rc = set_value(k, value, st->target)) != SET_OK)
		return fail_value(st, k, value, rc);
	if (k->type == CONF_PATH)
		resolve_path(st, k);
	return 1;
}

static void
check_section_line(struct conf_state *st, const char *line)
{
	const char *end;
	char *name;

	if (st->line == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;	/* inih skips a UTF-8 BOM too */
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line != '[' || (end = strchr(line, ']')) == NULL)
		return;
	line++;
	while (*line == ' ' || *line == '\t')
		line++;
	/* inih trims the name the same way. */
	while (end > line && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	name = xstrndup(line, (size_t)(end - line));
	if (!section_known(st->keys, name))
		conf_fail(st, "unknown section [%s]", name);
	free(name);
}

static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_state *st = stream;
	size_t len;
	int c;

	if (fgets(str, num, st->f) == NULL)
		return NULL;
	st->line++;
	st->indented = str[0] == ' ' || str[0] == '\t';
	len = strlen(str);
	/* A full buffer without the newline: the line may go on. */
	if (len == (size_t)num - 1 && str[len - 1] != '\n' &&
	    (c = getc(st->f)) != EOF && c != '\n') {
		conf_fail(st, "line too long (more than %d bytes)", num - 1);
		while ((c = getc(st->f)) != EOF && c != '\n')
			;
	}
	check_section_line(st, str);
	return str;
}

/* ---- loading ---- */

static int
parse_file(struct conf_state *st)
{
	int ret, n = 0;

	while (st->keys[n].name != NULL)
		n++;
	st->seen = xcalloc((size_t)n + 1, sizeof(*st->seen));
	ret = ini_parse_stream(conf_reader, st, conf_handler, st);
	free(st->seen);
	free(st->dir);
	if (ret == -2)
		fatal("config: out of memory");
	/* inih reports the first line it disliked: a syntax error there if
	 * our own first error is later (or there is none). */
	if (ret > 0 && (st->err_line == 0 || ret < st->err_line)) {
		free(st->err);
		st->err = xstrdup("syntax error (expected [section], "
				  "key = value, or a comment)");
		st->err_line = ret;
	}
	return st->err != NULL ? -1 : 0;
}

int
conf_load(const char *path, const struct conf_key *keys, void *target,
	  char **error_r)
{
	struct conf_state st = { .path = path, .keys = keys,
				 .target = target };

	*error_r = NULL;
	conf_free(keys, target);
	conf_defaults(keys, target);
	if ((st.f = fopen(path, "re")) == NULL) {
		*error_r = xasprintf("%s: cannot open: %s", path,
				     strerror(errno));
		return -1;
	}
	if (parse_file(&st) < 0) {
		*error_r = xasprintf("%s:%d: %s", path, st.err_line, st.err);
		free(st.err);
		fclose(st.f);
		return -1;
	}
	fclose(st.f);
	return 0;
}
