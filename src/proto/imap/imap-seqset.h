#ifndef CONFLUX_IMAP_SEQSET_H
#define CONFLUX_IMAP_SEQSET_H

/* IMAP sequence sets ("1:3,5,7:*") of UIDs or message numbers. */

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

struct imap_range {
	uint32_t lo, hi;	/* lo <= hi */
};

/* Parses s. '*' stands for `star`; with star 0 a '*' is an error. Numbers
 * are 1..UINT32_MAX (overflow checked); "5:3" is taken as 3:5. At most
 * max_ranges ranges. On success *ranges_r is malloc'd (free()) and
 * *count_r >= 1; -1 with *error_r otherwise. */
int
imap_seqset_parse(const char *s, uint32_t star, size_t max_ranges,
		  struct imap_range **ranges_r, size_t *count_r,
		  const char **error_r);
/* How many numbers the ranges cover (overlaps counted twice). */
uint64_t
imap_seqset_count(const struct imap_range *r, size_t n);
/* 1 if uid is in one of the ranges, else 0. */
int
imap_seqset_contains(const struct imap_range *r, size_t n, uint32_t uid);

/* Appends uids (any order, duplicates allowed, no 0) as a compressed set:
 * {1,2,3,5,9,8} -> "1:3,5,8:9". 0, or -1 when n is 0, a uid is 0 or out's
 * max is too small (out then unchanged). */
int
imap_seqset_format(const uint32_t *uids, size_t n, struct buf *out);

#endif
