#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

static void
test_buf_init_empty(void **state)
{
	struct buf b;

	buf_init(&b, 10);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
	buf_free(&b);	/* twice is fine */
}

static void
test_buf_append_nul_terminated(void **state)
{
	struct buf b;

	buf_init(&b, 100);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(b.len, 3);
	assert_int_equal(b.data[3], '\0');
	assert_int_equal(buf_append_c(&b, 'd'), 0);
	assert_int_equal(buf_append_str(&b, "ef"), 0);
	assert_string_equal(buf_cstr(&b), "abcdef");
	assert_int_equal(b.data[b.len], '\0');
	buf_free(&b);
}

static void
test_buf_append_binary(void **state)
{
	struct buf b;

	buf_init(&b, 100);
	assert_int_equal(buf_append(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);
	buf_free(&b);
}

static void
test_buf_append_max_enforced(void **state)
{
	struct buf b;

	buf_init(&b, 5);
	assert_int_equal(buf_append(&b, "12345", 5), 0);
	assert_int_equal(buf_append_c(&b, 'x'), -1);
	assert_int_equal(buf_append(&b, "", 0), 0);
	assert_string_equal(buf_cstr(&b), "12345");
	buf_reset(&b);
	assert_int_equal(buf_append(&b, "123456", 6), -1);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_true(b.cap <= 6);
	buf_free(&b);
}

static void
test_buf_append_huge_len(void **state)
{
	struct buf b;

	buf_init(&b, 16);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX), -1);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX - 1), -1);
	assert_string_equal(buf_cstr(&b), "abc");
	buf_free(&b);
}

static void
test_buf_printf(void **state)
{
	struct buf b;

	buf_init(&b, 100);
	assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
	assert_int_equal(buf_printf(&b, "%c", '!'), 0);
	assert_string_equal(buf_cstr(&b), "42-x!");
	assert_int_equal(b.len, 5);
	buf_free(&b);
}

static void
test_buf_printf_max(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_printf(&b, "%s", "1234"), 0);
	assert_int_equal(buf_printf(&b, "%s", "56789"), -1);
	assert_string_equal(buf_cstr(&b), "1234");
	assert_int_equal(buf_printf(&b, "%s", "5678"), 0);
	assert_string_equal(buf_cstr(&b), "12345678");
	buf_free(&b);
}

static void
test_buf_printf_grows(void **state)
{
	struct buf b;
	char big[1000];

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 10000);
	assert_int_equal(buf_printf(&b, "<%s>", big), 0);
	assert_int_equal(b.len, 1001);
	assert_int_equal(b.data[1000], '>');
	assert_int_equal(b.data[1001], '\0');
	buf_free(&b);
}

static void
test_buf_consume(void **state)
{
	struct buf b;

	buf_init(&b, 100);
	buf_append_str(&b, "hello world");
	buf_consume(&b, 6);
	assert_string_equal(buf_cstr(&b), "world");
	assert_int_equal(b.len, 5);
	buf_consume(&b, 0);
	assert_string_equal(buf_cstr(&b), "world");
	buf_consume(&b, 5);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

static void
test_buf_consume_frees_room(void **state)
{
	struct buf b;

	buf_init(&b, 4);
	buf_append_str(&b, "abcd");
	assert_int_equal(buf_append_c(&b, 'e'), -1);
	buf_consume(&b, 2);
	assert_int_equal(buf_append_str(&b, "ef"), 0);
	assert_string_equal(buf_cstr(&b), "cdef");
	buf_free(&b);
}

static void
test_buf_truncate(void **state)
{
	struct buf b;

	buf_init(&b, 100);
	buf_append_str(&b, "abcdef");
	buf_truncate(&b, 10);
	assert_string_equal(buf_cstr(&b), "abcdef");
	buf_truncate(&b, 2);
	assert_string_equal(buf_cstr(&b), "ab");
	assert_int_equal(b.len, 2);
	buf_free(&b);
}

static void
test_buf_steal(void **state)
{
	struct buf b;
	char *s;

	buf_init(&b, 100);
	buf_append_str(&b, "mine");
	s = buf_steal(&b);
	assert_string_equal(s, "mine");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 100);
	free(s);
	s = buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	buf_free(&b);
}

static void
test_buf_reset_keeps_allocation(void **state)
{
	struct buf b;
	char *p;

	buf_init(&b, 100);
	buf_append_str(&b, "abc");
	p = b.data;
	buf_reset(&b);
	assert_ptr_equal(b.data, p);
	assert_string_equal(buf_cstr(&b), "");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_init_empty),
		cmocka_unit_test(test_buf_append_nul_terminated),
		cmocka_unit_test(test_buf_append_binary),
		cmocka_unit_test(test_buf_append_max_enforced),
		cmocka_unit_test(test_buf_append_huge_len),
		cmocka_unit_test(test_buf_printf),
		cmocka_unit_test(test_buf_printf_max),
		cmocka_unit_test(test_buf_printf_grows),
		cmocka_unit_test(test_buf_consume),
		cmocka_unit_test(test_buf_consume_frees_room),
		cmocka_unit_test(test_buf_truncate),
		cmocka_unit_test(test_buf_steal),
		cmocka_unit_test(test_buf_reset_keeps_allocation),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
