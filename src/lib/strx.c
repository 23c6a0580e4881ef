#include "lib/strx.h"

#include <string.h>

#include "lib/xalloc.h"

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

int
str_ncasecmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int ca = lc((unsigned char)a[i]), cb = lc((unsigned char)b[i]);

		if (ca != cb)
			return ca - cb;
		if (ca == 0)
			break;
	}
	return 0;
}

int
str_casecmp(const char *a, const char *b)
{
	return str_ncasecmp(a, b, SIZE_MAX);
}

int
str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
str_has_prefix_ci(const char *s, const char *prefix)
{
	return str_ncasecmp(s, prefix, strlen(prefix)) == 0;
}

char *
str_lcase(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		*p = (char)lc((unsigned char)*p);
	return s;
}

char *
str_trim(char *s)
{
	size_t len;

	while (is_space((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && is_space((unsigned char)s[len - 1]))
		len--;
	s[len] = '\0';
	return s;
}

char **
str_split_ws(const char *s, size_t *count_r)
{
	size_t n = 0, cap = 4;
	char **arr = xmalloc(cap * sizeof(*arr));

	for (;;) {
		size_t len;

		while (is_space((unsigned char)*s))
			s++;
		if (*s == '\0')
			break;
		for (len = 0; s[len] != '\0' && !is_space((unsigned char)s[len]);
		     len++)
			;
		if (n + 1 >= cap) {
			cap *= 2;
			arr = xrealloc(arr, cap * sizeof(*arr));
		}
		arr[n++] = xstrndup(s, len);
		s += len;
	}
	arr[n] = NULL;
	if (count_r != NULL)
		*count_r = n;
	return arr;
}

void
str_array_free(char ***arrp)
{
	char **arr = *arrp;

	if (arr == NULL)
		return;
	*arrp = NULL;
	for (size_t i = 0; arr[i] != NULL; i++)
		free(arr[i]);
	free(arr);
}

int
str_to_uint64_prefix(const char *s, uint64_t *r, const char **end_r)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; is_digit((unsigned char)s[i]); i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (i == 0)
		return -1;
	*r = v;
	*end_r = s + i;
	return 0;
}

int
str_to_uint64(const char *s, uint64_t *r)
{
	const char *end;
	uint64_t v;

	if (str_to_uint64_prefix(s, &v, &end) < 0 || *end != '\0')
		return -1;
	*r = v;
	return 0;
}

int
str_to_uint64_range(const char *s, uint64_t min, uint64_t max, uint64_t *r)
{
	uint64_t v;

	if (str_to_uint64(s, &v) < 0 || v < min || v > max)
		return -1;
	*r = v;
	return 0;
}

int
str_to_int64(const char *s, int64_t *r)
{
	int neg = *s == '-';
	uint64_t v;

	if (str_to_uint64(s + neg, &v) < 0)
		return -1;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -1;
		*r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > INT64_MAX)
			return -1;
		*r = (int64_t)v;
	}
	return 0;
}
