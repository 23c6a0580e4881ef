#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/timeutil.h"

static void
test_time_monotonic_ms(void **state)
{
	uint64_t a = time_monotonic_ms(), b;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	b = time_monotonic_ms();
	assert_true(b >= a + 19);
	assert_true(b < a + 5000);
}

static void
test_time_local_offset_utc(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(time_local_offset(1057049557), 0);
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	/* Summer time, when the zone database is installed. */
	if (time_local_offset(1057049557) != 0)
		assert_int_equal(time_local_offset(1057049557), 120);
	setenv("TZ", "UTC", 1);
	tzset();
}

static void
fmt_check(int (*fn)(time_t, int, struct buf *), time_t t, int tz,
	  const char *expected)
{
	struct buf b;

	buf_init(&b, 100);
	assert_int_equal(fn(t, tz, &b), 0);
	assert_string_equal(buf_cstr(&b), expected);
	buf_free(&b);
}

static void
test_time_format_rfc5322(void **state)
{
	fmt_check(time_format_rfc5322, 1057049557, 120,
		  "Tue, 01 Jul 2003 10:52:37 +0200");
	fmt_check(time_format_rfc5322, 1057049557, 0,
		  "Tue, 01 Jul 2003 08:52:37 +0000");
	fmt_check(time_format_rfc5322, 0, -330,
		  "Wed, 31 Dec 1969 18:30:00 -0530");
	fmt_check(time_format_rfc5322, 0, 0,
		  "Thu, 01 Jan 1970 00:00:00 +0000");
}

static void
test_time_format_internaldate(void **state)
{
	fmt_check(time_format_internaldate, 837596665, -420,
		  "17-Jul-1996 02:44:25 -0700");
	fmt_check(time_format_internaldate, 1057049557, 0,
		  "01-Jul-2003 08:52:37 +0000");
	fmt_check(time_format_internaldate, 1057049557, -30,
		  "01-Jul-2003 08:22:37 -0030");
}

static void
test_time_format_max(void **state)
{
	struct buf b;

	buf_init(&b, 10);
	assert_int_equal(time_format_internaldate(0, 0, &b), -1);
	assert_int_equal(b.len, 0);
	assert_int_equal(time_format_rfc5322(0, 0, &b), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_time_parse_internaldate(void **state)
{
	time_t t;
	int tz;

	assert_int_equal(time_parse_internaldate("17-Jul-1996 02:44:25 -0700",
						 &t, &tz), 0);
	assert_true(t == 837596665);
	assert_int_equal(tz, -420);
	assert_int_equal(time_parse_internaldate(" 1-Jul-2003 10:52:37 +0200",
						 &t, &tz), 0);
	assert_true(t == 1057049557);
	assert_int_equal(tz, 120);
	assert_int_equal(time_parse_internaldate("1-jul-2003 10:52:37 +0200",
						 &t, NULL), 0);
	assert_true(t == 1057049557);
	assert_int_equal(time_parse_internaldate("29-Feb-2020 00:00:00 +0000",
						 &t, NULL), 0);
	assert_true(t == 1582934400);
	assert_int_equal(time_parse_internaldate("31-Dec-2100 23:59:59 +0000",
						 &t, NULL), 0);
	assert_true(t == (time_t)4133980799LL);
}

static void
test_time_parse_internaldate_round_trip(void **state)
{
	for (time_t t = 0; t < 4000000000LL; t += 86399 * 37) {
		struct buf b;
		time_t back;
		int tz;

		buf_init(&b, 100);
		assert_int_equal(time_format_internaldate(t, -90, &b), 0);
		assert_int_equal(time_parse_internaldate(buf_cstr(&b), &back,
							 &tz), 0);
		assert_true(back == t);
		assert_int_equal(tz, -90);
		buf_free(&b);
	}
}

static void
test_time_parse_internaldate_rejects(void **state)
{
	static const char *const bad[] = {
		"", "17-Jul-1996", "17-Jul-1996 02:44:25",
		"17-Jul-1996 02:44:25 0700", "17-Jul-1996 02:44:25 +070",
		"17-Jul-1996 02:44:25 +0760", "17-Jul-1996 24:00:00 +0000",
		"17-Jul-1996 02:60:00 +0000", "17-Jul-1996 02:44:61 +0000",
		"32-Jul-1996 02:44:25 +0000", "00-Jul-1996 02:44:25 +0000",
		"31-Apr-1996 02:44:25 +0000", "29-Feb-2021 02:44:25 +0000",
		"29-Feb-1900 02:44:25 +0000", "17-Foo-1996 02:44:25 +0000",
		"17-Jul-96 02:44:25 +0000", " 17-Jul-1996 02:44:25 +0000",
		"17-Jul-1996 02:44:25 +0000 ", "17-Jul-1996  02:44:25 +0000",
		"17-Jul-1996 2:44:25 +0000", "117-Jul-1996 02:44:25 +0000",
		"17 Jul 1996 02:44:25 +0000", "17-July-1996 02:44:25 +0000",
		"17-Jul-0000 02:44:25 +0000",
	};
	time_t t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(time_parse_internaldate(bad[i], &t, NULL), -1);
}

static void
test_time_parse_imap_date(void **state)
{
	time_t t;

	assert_int_equal(time_parse_imap_date("1-Feb-1994", &t), 0);
	assert_true(t == 760060800);
	assert_int_equal(time_parse_imap_date("01-Feb-1994", &t), 0);
	assert_true(t == 760060800);
	assert_int_equal(time_parse_imap_date(" 1-Feb-1994", &t), -1);
	assert_int_equal(time_parse_imap_date("30-Feb-1994", &t), -1);
	assert_int_equal(time_parse_imap_date("1-Feb-1994x", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_monotonic_ms),
		cmocka_unit_test(test_time_local_offset_utc),
		cmocka_unit_test(test_time_format_rfc5322),
		cmocka_unit_test(test_time_format_internaldate),
		cmocka_unit_test(test_time_format_max),
		cmocka_unit_test(test_time_parse_internaldate),
		cmocka_unit_test(test_time_parse_internaldate_round_trip),
		cmocka_unit_test(test_time_parse_internaldate_rejects),
		cmocka_unit_test(test_time_parse_imap_date),
	};

	return cmocka_run_group_tests_name("timeutil", tests, NULL, NULL);
}
