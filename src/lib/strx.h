#ifndef CONFLUX_STRX_H
#define CONFLUX_STRX_H

/* Small string helpers. ASCII only and locale-independent: protocol
 * keywords are ASCII, and a locale must never change how we parse.
 * The project bans atoi/strtok/sprintf/strcpy/strcat; use these and buf. */

#include <stddef.h>
#include <stdint.h>

/* strcmp-like, ASCII case folding only. */
int str_casecmp(const char *a, const char *b);
int str_ncasecmp(const char *a, const char *b, size_t n);
/* 1 if s starts with prefix, else 0. */
int str_has_prefix(const char *s, const char *prefix);
int str_has_prefix_ci(const char *s, const char *prefix);
/* Lower-cases ASCII letters in place; returns s. */
char *str_lcase(char *s);

/* Trims ASCII whitespace in place: writes a NUL after the last
 * non-space and returns a pointer to the first non-space inside s. */
char *str_trim(char *s);

/* Splits on runs of ASCII whitespace. Returns a NULL-terminated array of
 * xmalloc'd words (never NULL; empty input gives an empty array) and the
 * number of words in *count_r (count_r may be NULL). Free with
 * str_array_free(). */
char **str_split_ws(const char *s, size_t *count_r);
void str_array_free(char ***arr);

/* Decimal digits only: no sign, no space, no "0x", at least one digit.
 * 0, or -1 on anything else or on overflow (*r untouched). */
int str_to_uint64(const char *s, uint64_t *r);
/* Like str_to_uint64 but also -1 when the value is outside [min, max]. */
int str_to_uint64_range(const char *s, uint64_t min, uint64_t max,
			uint64_t *r);
/* Optional leading '-', then digits as above. */
int str_to_int64(const char *s, int64_t *r);
/* Parses the leading run of digits (at least one) and sets *end_r to the
 * first byte after it. -1 on no digit or overflow. */
int str_to_uint64_prefix(const char *s, uint64_t *r, const char **end_r);

#endif
