#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/utf7.h"

/* utf8, mutf7 */
static const char *const pairs[][2] = {
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	  "\xe8\xaa\x9e", "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
	{ "Tom & Jerry", "Tom &- Jerry" },
	{ "&", "&-" },
	{ "&&", "&-&-" },
	{ "Hi Mom -\xe2\x98\xba-!", "Hi Mom -&Jjo--!" },
	{ "\xf0\x9f\x98\x80", "&2D3eAA-" },
	{ "caf\xc3\xa9", "caf&AOk-" },
	{ "\x01", "&AAE-" },
	{ "a\x7f" "b", "a&AH8-b" },
	{ "\xc3\xa9&\xc3\xa9", "&AOk-&-&AOk-" },
};

static void
test_utf7_from_utf8_examples(void **state)
{
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct buf b;

		buf_init(&b, 1000);
		assert_int_equal(utf7_from_utf8(pairs[i][0], &b), 0);
		assert_string_equal(buf_cstr(&b), pairs[i][1]);
		buf_free(&b);
	}
}

static void
test_utf7_to_utf8_examples(void **state)
{
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct buf b;

		buf_init(&b, 1000);
		assert_int_equal(utf7_to_utf8(pairs[i][1], &b), 0);
		assert_string_equal(buf_cstr(&b), pairs[i][0]);
		assert_true(utf7_is_valid(pairs[i][1]));
		buf_free(&b);
	}
}

static void
test_utf7_round_trip_all_bmp(void **state)
{
	struct buf u8, m7, back;

	buf_init(&u8, 1 << 20);
	for (uint32_t cp = 1; cp < 0x10000; cp += 7) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		if (cp < 0x80) {
			buf_append_c(&u8, (char)cp);
		} else if (cp < 0x800) {
			buf_append_c(&u8, (char)(0xc0 | cp >> 6));
			buf_append_c(&u8, (char)(0x80 | (cp & 0x3f)));
		} else {
			buf_append_c(&u8, (char)(0xe0 | cp >> 12));
			buf_append_c(&u8, (char)(0x80 | ((cp >> 6) & 0x3f)));
			buf_append_c(&u8, (char)(0x80 | (cp & 0x3f)));
		}
	}
	buf_init(&m7, 1 << 20);
	buf_init(&back, 1 << 20);
	assert_int_equal(utf7_from_utf8(buf_cstr(&u8), &m7), 0);
	assert_int_equal(utf7_to_utf8(buf_cstr(&m7), &back), 0);
	assert_string_equal(buf_cstr(&back), buf_cstr(&u8));
	buf_free(&u8);
	buf_free(&m7);
	buf_free(&back);
}

static void
test_utf7_from_utf8_rejects(void **state)
{
	static const char *const bad[] = {
		"\xc0\xaf",		/* overlong '/' */
		"\xe0\x80\xaf",		/* overlong */
		"\xf0\x80\x80\xaf",	/* overlong */
		"\xed\xa0\x80",		/* surrogate U+D800 */
		"\xf4\x90\x80\x80",	/* above U+10FFFF */
		"\xe6\x97",		/* truncated */
		"a\xe6\x97",		/* truncated at the end */
		"\xff", "\x80", "ok\xc3",
		"\xc3\xa9\xc3",		/* valid, then truncated */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b;

		buf_init(&b, 1000);
		buf_append_str(&b, "keep");
		assert_int_equal(utf7_from_utf8(bad[i], &b), -1);
		assert_string_equal(buf_cstr(&b), "keep");
		assert_false(utf8_is_valid(bad[i]));
		buf_free(&b);
	}
}

static void
test_utf7_to_utf8_rejects(void **state)
{
	static const char *const bad[] = {
		"&U,BTFw",		/* unterminated */
		"&",			/* lone & */
		"a&",
		"&AGE-",		/* 'a' encoded: printable ASCII */
		"&ACY-",		/* '&' encoded instead of "&-" */
		"&ACA-",		/* space encoded */
		"&Jjp-",		/* non-zero leftover bits */
		"&JjoA-",		/* 8 leftover bits: an extra character */
		"&Jj/-",		/* '/' is not modified BASE64 */
		"&Jj=-",		/* padding */
		"&ZeVnLIqe-&ZeVnLIqe-",	/* two runs back to back */
		"&2D0-",		/* lone high surrogate */
		"&3gA-",		/* lone low surrogate */
		"&2D3YPQ-",		/* high surrogate followed by high */
		"&AAA-",		/* U+0000 */
		"caf\xc3\xa9",		/* 8-bit byte */
		"tab\there",		/* control character */
		"&U,BTFw-x&-&",		/* valid, then a lone & */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b;

		buf_init(&b, 1000);
		buf_append_str(&b, "keep");
		assert_int_equal(utf7_to_utf8(bad[i], &b), -1);
		assert_string_equal(buf_cstr(&b), "keep");
		assert_false(utf7_is_valid(bad[i]));
		buf_free(&b);
	}
}

static void
test_utf7_max(void **state)
{
	struct buf b;

	buf_init(&b, 10);
	assert_int_equal(utf7_from_utf8("~peter/mail/\xe5\x8f\xb0", &b), -1);
	assert_int_equal(b.len, 0);
	assert_int_equal(utf7_to_utf8("~peter/mail/&U,BTFw-", &b), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf7_from_utf8_examples),
		cmocka_unit_test(test_utf7_to_utf8_examples),
		cmocka_unit_test(test_utf7_round_trip_all_bmp),
		cmocka_unit_test(test_utf7_from_utf8_rejects),
		cmocka_unit_test(test_utf7_to_utf8_rejects),
		cmocka_unit_test(test_utf7_max),
	};

	return cmocka_run_group_tests_name("utf7", tests, NULL, NULL);
}
