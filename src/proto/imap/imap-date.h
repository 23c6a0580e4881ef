#ifndef CONFLUX_IMAP_DATE_H
#define CONFLUX_IMAP_DATE_H

/* IMAP dates (RFC 3501): `date` for SEARCH ("1-Feb-2024", optionally in
 * double quotes on the wire) and `date-time` for APPEND and INTERNALDATE
 * ("01-Feb-2024 10:00:00 +0100"). Locale- and TZ-independent; built on
 * lib/timeutil. */

#include <stddef.h>
#include <time.h>

#include "lib/buf.h"
#include "proto/imap/imap-cmd.h"

/* "d-Mon-yyyy" or "dd-Mon-yyyy" (month name any case) -> midnight UTC of
 * that day. Checks the day against the month. 0 or -1. */
int
imap_date_parse(const char *s, time_t *day_r);

/* date-time without the quotes: "dd-Mon-yyyy hh:mm:ss +zzzz" where the
 * day may be " d" (RFC 3501 date-day-fixed) or, leniently, "d". Every
 * field is range-checked (zone within +-2359, minutes < 60). 0 with the
 * UTC time and the zone in minutes east of UTC (tz_r may be NULL), or -1. */
int
imap_datetime_parse(const char *s, time_t *t_r, int *tz_r);

/* Appends "dd-Mon-yyyy hh:mm:ss +zzzz" (t shown in zone tz minutes),
 * with the double quotes when `quoted`. 0 or -1 (out full). */
int
imap_datetime_format(time_t t, int tz, int quoted, struct buf *out);

/* Argument forms: a search date is an atom or a quoted string; a
 * date-time is a quoted string only. 0 or -1. */
int
imap_arg_date(const struct imap_cmd_arg *arg, time_t *day_r);
int
imap_arg_datetime(const struct imap_cmd_arg *arg, time_t *t_r, int *tz_r);

#endif
