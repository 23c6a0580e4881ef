#include "lib/timeutil.h"

#include <string.h>

#include "lib/log.h"
#include "lib/strx.h"

static const char *const month_names[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
static const char *const day_names[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};

uint64_t
time_monotonic_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		fatal("clock_gettime(CLOCK_MONOTONIC) failed");
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
time_local_offset(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (int)(tm.tm_gmtoff / 60);
}

/* Broken-down time of t as seen in zone tz_min. */
static int
zoned_tm(time_t t, int tz_min, struct tm *tm)
{
	time_t shifted = t + (time_t)tz_min * 60;

	return gmtime_r(&shifted, tm) != NULL ? 0 : -1;
}

static int
format_zone(int tz_min, struct buf *out)
{
	char sign = tz_min < 0 ? '-' : '+';
	int a = tz_min < 0 ? -tz_min : tz_min;

	return buf_printf(out, "%c%02d%02d", sign, a / 60, a % 60);
}

int
time_format_rfc5322(time_t t, int tz_min, struct buf *out)
{
	size_t start = out->len;
	struct tm tm;

	if (zoned_tm(t, tz_min, &tm) < 0 ||
	    buf_printf(out, "%s, %02d %s %04d %02d:%02d:%02d ",
		       day_names[tm.tm_wday], tm.tm_mday,
		       month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		       tm.tm_min, tm.tm_sec) < 0 ||
	    format_zone(tz_min, out) < 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int
time_format_internaldate(time_t t, int tz_min, struct buf *out)
{
	size_t start = out->len;
	struct tm tm;

	if (zoned_tm(t, tz_min, &tm) < 0 ||
	    buf_printf(out, "%02d-%s-%04d %02d:%02d:%02d ", tm.tm_mday,
		       month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		       tm.tm_min, tm.tm_sec) < 0 ||
	    format_zone(tz_min, out) < 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

/* ---- parsing ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): no struct tm normalisation, no TZ. */
static int64_t
days_from_civil(int64_t y, unsigned int m, unsigned int d)
{
	int64_t era;
	unsigned int yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned int)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Parses exactly n digits at *pp into *v. */
static int
digits(const char **pp, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		char c = (*pp)[i];

		if (c < '0' || c > '9')
			return -1;
		x = x * 10 + (c - '0');
	}
	*pp += n;
	*v = x;
	return 0;
}

static int
expect(const char **pp, char c)
{
	if (**pp != c)
		return -1;
	(*pp)++;
	return 0;
}

/* "dd-Mon-yyyy" with day " d", "d" or "dd"; fills y/m/d. */
static int
parse_date(const char **pp, int *y, int *m, int *d)
{
	const char *p = **pp == ' ' ? *pp + 1 : *pp;
	int ndig = p[0] != '\0' && p[1] >= '0' && p[1] <= '9' ? 2 : 1;

	if (ndig == 2 && p != *pp)
		return -1;	/* " dd" */
	if (digits(&p, ndig, d) < 0 || expect(&p, '-') < 0)
		return -1;
	*m = 0;
	for (int i = 0; i < 12; i++) {
		if (str_ncasecmp(p, month_names[i], 3) == 0)
			*m = i + 1;
	}
	if (*m == 0)
		return -1;
	p += 3;
	if (expect(&p, '-') < 0 || digits(&p, 4, y) < 0)
		return -1;
	if (*y < 1 || *d < 1 || *d > days_in_month(*y, *m))
		return -1;
	*pp = p;
	return 0;
}

static int
parse_zone(const char **pp, int *tz_min)
{
	int sign, hh, mm;
	const char *p = *pp;

	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (digits(&p, 2, &hh) < 0 || digits(&p, 2, &mm) < 0 || mm > 59)
		return -1;
	*tz_min = sign * (hh * 60 + mm);
	*pp = p;
	return 0;
}

int
time_parse_internaldate(const char *s, time_t *t_r, int *tz_min_r)
{
	int y, m, d, hh, mi, ss, tz;
	int64_t t;

	if (parse_date(&s, &y, &m, &d) < 0 || expect(&s, ' ') < 0 ||
	    digits(&s, 2, &hh) < 0 || expect(&s, ':') < 0 ||
	    digits(&s, 2, &mi) < 0 || expect(&s, ':') < 0 ||
	    digits(&s, 2, &ss) < 0 || expect(&s, ' ') < 0 ||
	    parse_zone(&s, &tz) < 0 || *s != '\0')
		return -1;
	if (hh > 23 || mi > 59 || ss > 60)
		return -1;
	t = days_from_civil(y, (unsigned int)m, (unsigned int)d) * 86400 +
		hh * 3600 + mi * 60 + ss - (int64_t)tz * 60;
	*t_r = (time_t)t;
	if (tz_min_r != NULL)
		*tz_min_r = tz;
	return 0;
}

int
time_parse_imap_date(const char *s, time_t *t_r)
{
	int y, m, d;

	if (*s == ' ' || parse_date(&s, &y, &m, &d) < 0 || *s != '\0')
		return -1;
	*t_r = (time_t)(days_from_civil(y, (unsigned int)m,
					(unsigned int)d) * 86400);
	return 0;
}
