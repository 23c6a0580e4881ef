/* Sequence sets: parse (VANISHED, COPYUID, SEARCH-like data) and format
 * (UID FETCH/STORE/EXPUNGE arguments). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "lib/xalloc.h"
#include "proto/imap/imap-seqset.h"

static int
seq_number(const char **s, uint32_t star, uint32_t *n_r)
{
	uint64_t n;
	const char *end;

	if (**s == '*') {
		if (star == 0)
			return -1;
		*n_r = star;
		(*s)++;
		return 0;
	}
	if (str_to_uint64_prefix(*s, &n, &end) < 0 || n == 0 ||
	    n > UINT32_MAX)
		return -1;
	*n_r = (uint32_t)n;
	*s = end;
	return 0;
}

static int
seq_range(const char **s, uint32_t star, struct imap_range *r)
{
	uint32_t a, b;

	if (seq_number(s, star, &a) < 0)
		return -1;
	b = a;
	if (**s == ':') {
		(*s)++;
		if (seq_number(s, star, &b) < 0)
			return -1;
	}
	r->lo = a < b ? a : b;
	r->hi = a < b ? b : a;
	return 0;
}

int
imap_seqset_parse(const char *s, uint32_t star, size_t max_ranges,
		  struct imap_range **ranges_r, size_t *count_r,
		  const char **error_r)
{
	struct imap_range *v = NULL;
	size_t n = 0, cap = 0;

	for (;;) {
		if (n == max_ranges) {
			*error_r = "too many ranges in sequence set";
			goto fail;
		}
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			v = xrealloc(v, cap * sizeof(*v));
		}
		if (seq_range(&s, star, &v[n++]) < 0) {
			*error_r = "bad sequence set";
			goto fail;
		}
		if (*s == '\0')
			break;
		if (*s++ != ',') {
			*error_r = "bad sequence set";
			goto fail;
		}
	}
	*ranges_r = v;
	*count_r = n;
	return 0;
fail:
	free(v);
	return -1;
}

uint64_t
imap_seqset_count(const struct imap_range *r, size_t n)
{
	uint64_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += (uint64_t)r[i].hi - r[i].lo + 1;
	return total;
}

int
imap_seqset_contains(const struct imap_range *r, size_t n, uint32_t uid)
{
	for (size_t i = 0; i < n; i++)
		if (uid >= r[i].lo && uid <= r[i].hi)
			return 1;
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
append_range(struct buf *out, uint32_t lo, uint32_t hi, bool first)
{
	if (lo == hi)
		return buf_printf(out, "%s%u", first ? "" : ",", lo);
	return buf_printf(out, "%s%u:%u", first ? "" : ",", lo, hi);
}

int
imap_seqset_format(const uint32_t *uids, size_t n, struct buf *out)
{
	uint32_t *v;
	size_t start = out->len, i = 0;
	int rc = 0;

	if (n == 0)
		return -1;
	v = xmalloc(n * sizeof(*v));
	memcpy(v, uids, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_u32);
	if (v[0] == 0)
		rc = -1;
	while (rc == 0 && i < n) {
		uint32_t lo = v[i], hi = v[i];

		while (i + 1 < n && (v[i + 1] == hi || v[i + 1] == hi + 1))
			hi = v[++i];
		i++;
		rc = append_range(out, lo, hi, out->len == start);
	}
	free(v);
	if (rc < 0)
		buf_truncate(out, start);
	return rc;
}
