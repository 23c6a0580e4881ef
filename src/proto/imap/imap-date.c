/* IMAP date and date-time: thin checks around lib/timeutil, which does
 * the calendar work. */
#include <string.h>

#include "lib/timeutil.h"
#include "proto/imap/imap-date.h"

int
imap_date_parse(const char *s, time_t *day_r)
{
	size_t len = strlen(s);

	/* d-Mon-yyyy or dd-Mon-yyyy, nothing else */
	if (len != 10 && len != 11)
		return -1;
	return time_parse_imap_date(s, day_r);
}

int
imap_datetime_parse(const char *s, time_t *t_r, int *tz_r)
{
	size_t len = strlen(s);
	int tz;

	if (len != 26 && !(len == 25 && s[0] != ' '))
		return -1;
	if (time_parse_internaldate(s, t_r, &tz) < 0 || tz <= -24 * 60 ||
	    tz >= 24 * 60)
		return -1;
	if (tz_r != NULL)
		*tz_r = tz;
	return 0;
}

int
imap_datetime_format(time_t t, int tz, int quoted, struct buf *out)
{
	size_t old = out->len;

	if ((quoted && buf_append_c(out, '"') < 0) ||
	    time_format_internaldate(t, tz, out) < 0 ||
	    (quoted && buf_append_c(out, '"') < 0)) {
		buf_truncate(out, old);
		return -1;
	}
	return 0;
}

int
imap_arg_date(const struct imap_cmd_arg *arg, time_t *day_r)
{
	if (arg == NULL || (arg->type != IMAP_CARG_ATOM &&
			    arg->type != IMAP_CARG_QUOTED) || arg->bracket)
		return -1;
	return imap_date_parse(arg->str, day_r);
}

int
imap_arg_datetime(const struct imap_cmd_arg *arg, time_t *t_r, int *tz_r)
{
	if (arg == NULL || arg->type != IMAP_CARG_QUOTED)
		return -1;
	return imap_datetime_parse(arg->str, t_r, tz_r);
}
