#ifndef CONFLUX_TIMEUTIL_H
#define CONFLUX_TIMEUTIL_H

/* Clocks and the two date formats mail needs. Formatting and parsing are
 * locale-independent (English names) and do not depend on TZ except where
 * a function says "local". Time zone offsets are in minutes east of UTC. */

#include <stdint.h>
#include <time.h>

#include "lib/buf.h"

/* Milliseconds from CLOCK_MONOTONIC: for timeouts and durations only. */
uint64_t time_monotonic_ms(void);
/* Offset of local time from UTC at t, in minutes. */
int time_local_offset(time_t t);

/* RFC 5322 date-time, e.g. "Tue, 01 Jul 2003 10:52:37 +0200": t shown in
 * the zone tz_min. 0, or -1 when out's max is too small. */
int time_format_rfc5322(time_t t, int tz_min, struct buf *out);
/* IMAP INTERNALDATE (RFC 3501 date-time, without the quotes):
 * "01-Jul-2003 10:52:37 +0200". 0 or -1 as above. */
int time_format_internaldate(time_t t, int tz_min, struct buf *out);

/* Parses "dd-Mon-yyyy hh:mm:ss +zzzz" (the day may also be " d" or "d";
 * the month name is case-insensitive). Checks every field's range and the
 * day against the month. 0 with *t_r (UTC seconds) and *tz_min_r (may be
 * NULL), or -1. */
int time_parse_internaldate(const char *s, time_t *t_r, int *tz_min_r);
/* Parses an IMAP SEARCH date "d-Mon-yyyy" / "dd-Mon-yyyy" into midnight
 * UTC of that day. 0 or -1. */
int time_parse_imap_date(const char *s, time_t *t_r);

#endif
