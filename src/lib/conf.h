#ifndef CONFLUX_CONF_H
#define CONFLUX_CONF_H

/* Typed INI configuration on top of inih.
 *
 * The caller describes every accepted key in a table; conf_load() parses the
 * file into a caller struct at the given offsets. An unknown section or key,
 * a duplicate key or a bad value fails with "<file>:<line>: <message>"
 * (the first error in the file). Keys not in the file keep their defaults.
 * conf_load() first frees target's strings and re-applies the defaults, so
 * target must be zeroed or filled by conf_defaults(); after an error it is
 * still valid and must be released with conf_free().
 * Relative CONF_PATH values set in the file are resolved against the config
 * file's directory; defaults stay as written (the caller resolves them).
 * Lines are limited to 199 bytes by the system inih build.
 * Strings stored in the target are malloc'd (conf_free frees). */

#include <stddef.h>
#include <stdint.h>

enum conf_type {
	CONF_STRING,	/* char *                                            */
	CONF_PATH,	/* char *, made absolute                             */
	CONF_INT,	/* long long, within [min, max]                      */
	CONF_SIZE,	/* uint64_t, "512", "64K", "10M", "2G" (binary units) */
	CONF_BOOL,	/* int, yes/no true/false on/off 1/0                 */
	CONF_DURATION,	/* unsigned int seconds, "30", "30s", "10m", "2h", "1d" */
	CONF_ENUM,	/* int, index into enum_values                       */
};

struct conf_key {
	const char *section;	/* "server" for [server] */
	const char *name;
	enum conf_type type;
	size_t offset;		/* offsetof(struct my_config, field) */
	const char *deflt;	/* default in the file's own syntax, or NULL */
	long long min, max;	/* CONF_INT/CONF_SIZE/CONF_DURATION bounds when
				   max > min */
	const char *const *enum_values; /* NULL-terminated, for CONF_ENUM */
};

/* Sets every key to its default. keys ends with a {NULL} entry. */
void conf_defaults(const struct conf_key *keys, void *target);
/* 0, or -1 with *error_r (malloc'd) "file:line: message". */
int conf_load(const char *path, const struct conf_key *keys, void *target,
	      char **error_r);
/* Frees the strings conf_* put into target. */
void conf_free(const struct conf_key *keys, void *target);

/* Value parsers, also used for command-line options. 0 or -1. */
int conf_parse_size(const char *s, uint64_t *r);
int conf_parse_duration(const char *s, unsigned int *r);
int conf_parse_bool(const char *s, int *r);

#endif
