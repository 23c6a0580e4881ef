#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/strx.h"

static void
test_str_casecmp(void **state)
{
	assert_int_equal(str_casecmp("INBOX", "inbox"), 0);
	assert_true(str_casecmp("a", "B") < 0);
	assert_true(str_casecmp("abc", "ab") > 0);
	assert_int_equal(str_ncasecmp("LOGIN x", "login y", 5), 0);
	assert_true(str_ncasecmp("LOGIN x", "login y", 7) != 0);
	/* Only ASCII folds: no locale surprises. */
	assert_true(str_casecmp("\xc3\x84", "\xc3\xa4") != 0);
}

static void
test_str_has_prefix(void **state)
{
	assert_true(str_has_prefix("AUTH PLAIN", "AUTH "));
	assert_false(str_has_prefix("auth plain", "AUTH "));
	assert_true(str_has_prefix_ci("auth plain", "AUTH "));
	assert_true(str_has_prefix("x", ""));
	assert_false(str_has_prefix("AU", "AUTH"));
}

static void
test_str_lcase(void **state)
{
	char s[] = "MiXeD 123";

	assert_string_equal(str_lcase(s), "mixed 123");
}

static void
test_str_trim(void **state)
{
	char a[] = "  \t hello world \r\n", b[] = "   ", c[] = "x";

	assert_string_equal(str_trim(a), "hello world");
	assert_string_equal(str_trim(b), "");
	assert_string_equal(str_trim(c), "x");
}

static void
test_str_split_ws(void **state)
{
	size_t n;
	char **w = str_split_ws("  a  bb\tccc\n", &n);

	assert_int_equal(n, 3);
	assert_string_equal(w[0], "a");
	assert_string_equal(w[1], "bb");
	assert_string_equal(w[2], "ccc");
	assert_null(w[3]);
	str_array_free(&w);
	assert_null(w);
	str_array_free(&w);
}

static void
test_str_split_ws_empty(void **state)
{
	size_t n = 99;
	char **w = str_split_ws(" \t ", &n);

	assert_int_equal(n, 0);
	assert_null(w[0]);
	str_array_free(&w);
}

static void
test_str_split_ws_many(void **state)
{
	char **w = str_split_ws("1 2 3 4 5 6 7 8 9 10 11", NULL);

	assert_string_equal(w[10], "11");
	assert_null(w[11]);
	str_array_free(&w);
}

static void
test_str_to_uint64_ok(void **state)
{
	uint64_t v;

	assert_int_equal(str_to_uint64("0", &v), 0);
	assert_true(v == 0);
	assert_int_equal(str_to_uint64("12345", &v), 0);
	assert_true(v == 12345);
	assert_int_equal(str_to_uint64("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(str_to_uint64("007", &v), 0);
	assert_true(v == 7);
}

static void
test_str_to_uint64_rejects(void **state)
{
	static const char *const bad[] = {
		"", "-1", "+1", " 1", "1 ", "1x", "0x10", "18446744073709551616",
		"99999999999999999999", "1.5", "\t",
	};
	uint64_t v = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(str_to_uint64(bad[i], &v), -1);
		assert_true(v == 42);
	}
}

static void
test_str_to_uint64_range(void **state)
{
	uint64_t v;

	assert_int_equal(str_to_uint64_range("80", 1, 65535, &v), 0);
	assert_true(v == 80);
	assert_int_equal(str_to_uint64_range("0", 1, 65535, &v), -1);
	assert_int_equal(str_to_uint64_range("65536", 1, 65535, &v), -1);
}

static void
test_str_to_int64(void **state)
{
	int64_t v;

	assert_int_equal(str_to_int64("-5", &v), 0);
	assert_true(v == -5);
	assert_int_equal(str_to_int64("9223372036854775807", &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(str_to_int64("-9223372036854775808", &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(str_to_int64("9223372036854775808", &v), -1);
	assert_int_equal(str_to_int64("-9223372036854775809", &v), -1);
	assert_int_equal(str_to_int64("--1", &v), -1);
	assert_int_equal(str_to_int64("-", &v), -1);
}

static void
test_str_to_uint64_prefix(void **state)
{
	const char *end;
	uint64_t v;

	assert_int_equal(str_to_uint64_prefix("64K", &v, &end), 0);
	assert_true(v == 64);
	assert_string_equal(end, "K");
	assert_int_equal(str_to_uint64_prefix("K", &v, &end), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str_casecmp),
		cmocka_unit_test(test_str_has_prefix),
		cmocka_unit_test(test_str_lcase),
		cmocka_unit_test(test_str_trim),
		cmocka_unit_test(test_str_split_ws),
		cmocka_unit_test(test_str_split_ws_empty),
		cmocka_unit_test(test_str_split_ws_many),
		cmocka_unit_test(test_str_to_uint64_ok),
		cmocka_unit_test(test_str_to_uint64_rejects),
		cmocka_unit_test(test_str_to_uint64_range),
		cmocka_unit_test(test_str_to_int64),
		cmocka_unit_test(test_str_to_uint64_prefix),
	};

	return cmocka_run_group_tests_name("strx", tests, NULL, NULL);
}
