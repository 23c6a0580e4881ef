#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mime/rfc2047.h"

#define FFFD "\xef\xbf\xbd"

/* ---- helpers ---- */

/* True when s[0..n) is valid UTF-8 (written independently of rfc2047.c:
 * decode each sequence and check its range). */
static bool
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t c = s[i], min;
		size_t l;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			l = 2; c &= 0x1f; min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			l = 3; c &= 0x0f; min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			l = 4; c &= 0x07; min = 0x10000;
		} else {
			return false;
		}
		if (n - i < l)
			return false;
		for (size_t k = 1; k < l; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += l;
	}
	return true;
}

/* Decodes in[0..len) into b (max 4 MiB) and checks the result is UTF-8. */
static const char *
decode_n(struct buf *b, const char *in, size_t len)
{
	buf_init(b, 4u << 20);
	assert_int_equal(mime_header_decode_utf8(in, len, b), 0);
	assert_true(valid_utf8((const unsigned char *)buf_cstr(b), b->len));
	return buf_cstr(b);
}

static void
check_decode(const char *in, const char *expect)
{
	struct buf b;

	assert_string_equal(decode_n(&b, in, strlen(in)), expect);
	buf_free(&b);
}

static bool
icontains(const char *hay, const char *needle)
{
	return mime_utf8_icontains(hay, strlen(hay), needle, strlen(needle));
}

/* ---- RFC 2047 section 8 ---- */

static void
test_mime_header_decode_utf8_rfc_examples(void **state)
{
	(void)state;
	check_decode("=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>",
		     "Keith Moore <moore@cs.utk.edu>");
	check_decode("=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>",
		     "Keld J\xc3\xb8rn Simonsen <keld@dkuug.dk>");
	check_decode("=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
		     "Andr\xc3\xa9 Pirard <PIRARD@vm1.ulg.ac.be>");
	check_decode("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
		     "    =?ISO-8859-2?B?"
		     "dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
		     "If you can read this you understand the example.");
	check_decode("=?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>",
		     "Olle J\xc3\xa4rnefors <ojarnef@admin.kth.se>");
	check_decode("Nathaniel Borenstein <nsb@thumper.bellcore.com>\r\n"
		     "    (=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)",
		     "Nathaniel Borenstein <nsb@thumper.bellcore.com>\r\n"
		     "    (\xd7\x9d\xd7\x95\xd7\x9c\xd7\xa9\x20\xd7\x9f\xd7\x91"
		     "\x20\xd7\x99\xd7\x9c\xd7\x98\xd7\xa4\xd7\xa0)");
	/* The table of section 8. */
	check_decode("(=?ISO-8859-1?Q?a?=)", "(a)");
	check_decode("(=?ISO-8859-1?Q?a?= b)", "(a b)");
	check_decode("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)");
	check_decode("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)");
	check_decode("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)");
	check_decode("(=?ISO-8859-1?Q?a_b?=)", "(a b)");
	check_decode("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)");
}

static void
test_mime_header_decode_utf8_rfc2231_language(void **state)
{
	(void)state;
	check_decode("=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore");
	check_decode("=?utf-8*de-CH?b?R3LDvGV6aQ==?=", "Gr\xc3\xbc" "ezi");
	/* A language without a charset is not a word. */
	check_decode("=?*EN?Q?x?=", "=?*EN?Q?x?=");
}

/* ---- Q and B ---- */

static void
test_mime_header_decode_utf8_q(void **state)
{
	(void)state;
	check_decode("=?utf-8?q?hello_world=5F?=", "hello world_");
	check_decode("=?UTF-8?Q?caf=c3=a9?=", "caf\xc3\xa9");
	/* '=' without two hex digits stays a literal '='. */
	check_decode("=?utf-8?q?a=ZZb=4?=", "a=ZZb=4");
	check_decode("=?utf-8?q?=?=", "=");
	check_decode("=?utf-8?q?\?=", "");	/* empty text */
	check_decode("x=?utf-8?q?a?=y", "xay");
}

static void
test_mime_header_decode_utf8_b_padding(void **state)
{
	(void)state;
	check_decode("=?utf-8?b?SGVsbG8=?=", "Hello");
	check_decode("=?utf-8?b?SGVsbG8?=", "Hello");	/* no padding */
	check_decode("=?utf-8?B?SGVsbG8===?=", "Hello");	/* too much */
	check_decode("=?utf-8?b?SGVsbG8=V29ybGQ=?=", "HelloWorld");
	check_decode("=?utf-8?b?SGVsbG8h?=", "Hello!");
	/* A stray sextet at the end is dropped. */
	check_decode("=?utf-8?b?SGVsbG8hQ?=", "Hello!");
	/* A byte outside the alphabet: the word stays raw. */
	check_decode("=?utf-8?b?SGV$bG8=?=", "=?utf-8?b?SGV$bG8=?=");
	check_decode("=?utf-8?b?SGV\xc3\xa9?=", "=?utf-8?b?SGV\xc3\xa9?=");
}

/* ---- charsets ---- */

static void
test_mime_header_decode_utf8_charsets(void **state)
{
	(void)state;
	check_decode("=?KOI8-R?B?8NLJ18XU?=",
		     "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	check_decode("=?windows-1251?Q?=CC=E8=F0?=",
		     "\xd0\x9c\xd0\xb8\xd1\x80");
	check_decode("=?Shift_JIS?B?k/qWe4zq?=",
		     "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	check_decode("=?gb2312?b?1tDOxA==?=", "\xe4\xb8\xad\xe6\x96\x87");
	check_decode("=?GBK?Q?=D6=D0=CE=C4?=", "\xe4\xb8\xad\xe6\x96\x87");
	check_decode("=?euc-kr?B?x9Gxub7u?=",
		     "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4");
	check_decode("=?ISO-2022-JP?B?GyRCRnxLXBsoQg==?=",
		     "\xe6\x97\xa5\xe6\x9c\xac");
	check_decode("=?iso-8859-7?B?xevr3OTh?=",
		     "\xce\x95\xce\xbb\xce\xbb\xce\xac\xce\xb4\xce\xb1");
	check_decode("=?windows-1252?q?=80?=", "\xe2\x82\xac");
	/* ISO-8859-1 is read as windows-1252, as mailers mean it. */
	check_decode("=?iso-8859-1?q?=93x=94?=",
		     "\xe2\x80\x9cx\xe2\x80\x9d");
}

static void
test_mime_header_decode_utf8_mixed_charsets(void **state)
{
	(void)state;
	check_decode("Re: =?koi8-r?b?8NLJ18XU?= =?iso-8859-2?q?=A3=F3d=BC?="
		     " und =?utf-8?q?=C3=BC?=",
		     "Re: \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"
		     "\xc5\x81\xc3\xb3\x64\xc5\xba und \xc3\xbc");
	/* More charsets than the cache holds, each used twice apart. */
	check_decode("=?koi8-r?q?=F0?= =?iso-8859-2?q?=A3?= "
		     "=?euc-kr?b?x9E=?= =?gb2312?b?1tA=?= =?iso-8859-7?q?=C5?= "
		     "=?koi8-r?q?=F0?= =?iso-8859-2?q?=A3?=",
		     "\xd0\x9f\xc5\x81\xed\x95\x9c\xe4\xb8\xad\xce\x95"
		     "\xd0\x9f\xc5\x81");
}

static void
test_mime_header_decode_utf8_adjacent(void **state)
{
	(void)state;
	/* A UTF-8 character split across two words comes out whole. */
	check_decode("=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?=", "caf\xc3\xa9");
	check_decode("=?utf-8?b?4oI=?=\t=?UTF-8?B?rA==?=", "\xe2\x82\xac");
	/* ... also when the encodings differ. */
	check_decode("=?utf-8?b?w6k=?= =?utf-8?q?=C3?= =?utf-8?b?qQ==?=",
		     "\xc3\xa9\xc3\xa9");
	/* A split across different charsets is two bad halves. */
	check_decode("=?UTF-8?Q?=C3?= =?iso-8859-1?Q?a?=", FFFD "a");
	/* No whitespace between the words. */
	check_decode("=?utf-8?q?a?==?utf-8?q?b?=", "ab");
	/* Whitespace before raw text is kept, also when it is folded. */
	check_decode("=?utf-8?q?a?= \r\n b", "a \r\n b");
	check_decode("=?utf-8?q?a?=  ", "a  ");
	check_decode("  =?utf-8?q?a?=", "  a");
	/* Shift_JIS split after a lead byte. */
	check_decode("=?shift_jis?q?=93?= =?shift_jis?q?=FA?=",
		     "\xe6\x97\xa5");
}

/* ---- bad input ---- */

static void
test_mime_header_decode_utf8_unknown_charset(void **state)
{
	(void)state;
	check_decode("=?x-no-such-charset?q?abc?= =?utf-8?q?d?=",
		     "=?x-no-such-charset?q?abc?= d");
	check_decode("=?utf-8?q?d?= =?x-no-such-charset?q?abc?=",
		     "d =?x-no-such-charset?q?abc?=");
	/* iconv suffixes cannot be smuggled in through the name. */
	check_decode("=?utf-8//TRANSLIT?q?a?=", "=?utf-8//TRANSLIT?q?a?=");
	check_decode("=?utf-8,x?q?a?=", "=?utf-8,x?q?a?=");
}

static void
test_mime_header_decode_utf8_malformed(void **state)
{
	static const char *const raw[] = {
		"=?", "=?utf-8", "=?utf-8?", "=?utf-8?q", "=?utf-8?q?",
		"=?utf-8?q?abc", "=?utf-8?q?abc?", "=?utf-8?q?abc?x",
		"=??q?abc?=", "=?utf-8??abc?=", "=?utf-8?x?abc?=",
		"=?utf-8?qq?abc?=", "=?utf 8?q?abc?=", "=?utf-8?q?a b?=",
		"=?utf-8?q?a?b?=", "?=", "=?=",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		check_decode(raw[i], raw[i]);
	/* A truncated word before a good one. */
	check_decode("=?utf-8?q?ab =?utf-8?q?c?=", "=?utf-8?q?ab c");
	check_decode("=?=?utf-8?q?c?=", "=?c");
	/* A charset name past 64 bytes. */
	check_decode("=?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaa?q?a?=",
		     "=?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     "aaaaaaaaaaaaaaaaaa?q?a?=");
}

static void
test_mime_header_decode_utf8_raw_8bit(void **state)
{
	struct buf b;

	(void)state;
	check_decode("caf\xc3\xa9", "caf\xc3\xa9");
	check_decode("caf\xe9", "caf\xc3\xa9");		/* Latin-1 */
	check_decode("\xe2\x82\xac \xe2\x82", "\xe2\x82\xac \xc3\xa2\xc2\x82");
	/* An encoded surrogate. */
	check_decode("\xed\xa0\x80", "\xc3\xad\xc2\xa0\xc2\x80");
	check_decode("\xc0\xaf", "\xc3\x80\xc2\xaf");	/* overlong */
	check_decode("\xff=?utf-8?q?=C3=BC?=\xf0\x9f\x98\x80",
		     "\xc3\xbf\xc3\xbc\xf0\x9f\x98\x80");
	/* NUL passes through. */
	assert_memory_equal(decode_n(&b, "a\0=?utf-8?q?b=00?=", 18),
			    "a\0b\0", 5);
	assert_int_equal(b.len, 4);
	buf_free(&b);
}

static void
test_mime_header_decode_utf8_conversion_errors(void **state)
{
	(void)state;
	check_decode("=?utf-8?q?a=FFb?=", "a" FFFD "b");
	check_decode("=?utf-8?q?=ED=A0=80?=", FFFD FFFD FFFD);
	check_decode("=?utf-8?b?4oI=?=", FFFD FFFD);	/* truncated */
	/* An 8-bit byte in a US-ASCII word is a mislabel: Latin-1. */
	check_decode("=?us-ascii?q?caf=E9?=", "caf\xc3\xa9");
	/* Truncated multibyte at the end of an iconv charset. */
	check_decode("=?shift_jis?q?a=93?=", "a" FFFD);
	check_decode("=?gb2312?q?=D6=D0=D6?=", "\xe4\xb8\xad" FFFD);
	/* Bytes the charset does not define. */
	check_decode("=?windows-1252?q?a=81b?=", "a" FFFD "b");
	check_decode("=?euc-kr?q?=FFa?=", FFFD "a");
	/* ISO-2022-JP: a half character at the end; glibc passes an
	 * unknown escape through (a control character is valid UTF-8). */
	check_decode("=?iso-2022-jp?q?=1B$Bx?=", FFFD);
	check_decode("=?iso-2022-jp?q?=1B(Zab?=", "\x1b" "(Zab");
}

/* ---- limits and hostile input ---- */

static char *
repeat(const char *unit, size_t times, size_t *len_r)
{
	size_t ul = strlen(unit);
	char *s = malloc(ul * times + 1);

	assert_non_null(s);
	for (size_t i = 0; i < times; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * times] = '\0';
	*len_r = ul * times;
	return s;
}

static void
check_repeat(const char *unit, size_t times, size_t expect_len)
{
	struct buf b;
	size_t len;
	char *s = repeat(unit, times, &len);

	decode_n(&b, s, len);
	assert_int_equal(b.len, expect_len);
	buf_free(&b);
	free(s);
}

static void
test_mime_header_decode_utf8_hostile(void **state)
{
	const size_t n = 200000;

	(void)state;
	/* Each of these is linear; a quadratic decoder would take minutes. */
	check_repeat("=?", n, 2 * n);
	check_repeat("=?utf-8?q?", n, 10 * n);
	check_repeat("=?utf-8?b?", n, 10 * n);
	check_repeat("=?a?q?=", n, 7 * n);
	check_repeat("=?utf-8?q?a?= ", n, n + 1);
	check_repeat("=?utf-8?q?=C3?=", n, 3 * n);	/* one long run */
	check_repeat("=?koi8-r?q?=F0?= =?iso-8859-2?q?=A3?= ", n / 2,
		     2 * n + 1);
	check_repeat("\xe9", n, 2 * n);
	/* Distinct unknown charsets: opened at most 32 times, all raw. */
	{
		struct buf in, out;

		buf_init(&in, SIZE_MAX);
		for (size_t i = 0; i < 20000; i++)
			assert_int_equal(buf_printf(&in, "=?x-cs%zu?q?a?= ", i),
					 0);
		decode_n(&out, in.data, in.len);
		assert_int_equal(out.len, in.len);
		buf_free(&out);
		buf_free(&in);
	}
	/* One huge word. */
	{
		size_t len;
		char *body = repeat("QUJD", n, &len);
		struct buf in, out;

		buf_init(&in, SIZE_MAX);
		assert_int_equal(buf_printf(&in, "=?utf-8?b?%s?=", body), 0);
		decode_n(&out, in.data, in.len);
		assert_int_equal(out.len, 3 * n);
		buf_free(&out);
		buf_free(&in);
		free(body);
	}
}

static void
test_mime_header_decode_utf8_out_max(void **state)
{
	static const char in[] = "abc =?utf-8?q?=C3=A9=C3=A9?= \xe9xyz";
	struct buf b;

	(void)state;
	for (size_t max = 0; max < 14; max++) {
		buf_init(&b, max);
		assert_int_equal(mime_header_decode_utf8(in, strlen(in), &b),
				 -1);
		assert_true(b.len <= max);
		assert_true(valid_utf8((const unsigned char *)buf_cstr(&b),
				       b.len));
		buf_free(&b);
	}
	buf_init(&b, 14);
	assert_int_equal(mime_header_decode_utf8(in, strlen(in), &b), 0);
	assert_string_equal(buf_cstr(&b), "abc \xc3\xa9\xc3\xa9 \xc3\xa9xyz");
	buf_free(&b);
	/* Appends to what out holds. */
	buf_init(&b, 100);
	buf_append_str(&b, "X:");
	assert_int_equal(mime_header_decode_utf8("=?utf-8?q?a?=", 13, &b), 0);
	assert_string_equal(buf_cstr(&b), "X:a");
	buf_free(&b);
}

/* Random inputs built from word fragments: never invalid UTF-8, never a
 * crash (run under ASan). */
static void
test_mime_header_decode_utf8_random(void **state)
{
	static const char *const parts[] = {
		"=?", "?=", "?", "=", "utf-8", "UTF-8", "iso-8859-1",
		"shift_jis", "iso-2022-jp", "koi8-r", "x-bad", "*en", "q", "B",
		"?q?", "?b?", "=C3", "=A9", "=1B", "$B", "(B", "_", " ", "\t",
		"\r\n ", "\xe9", "\xc3", "\xa9", "\xff", "SGVs", "w6", "==",
		"a", "\x1b", "=8", "=E3",
	};
	uint32_t seed = 12345;
	struct buf in, out;

	(void)state;
	buf_init(&in, 4096);
	for (int iter = 0; iter < 20000; iter++) {
		int nparts;

		buf_reset(&in);
		seed = seed * 1103515245u + 12345u;
		nparts = (int)(seed >> 16) % 40;
		for (int k = 0; k < nparts; k++) {
			seed = seed * 1103515245u + 12345u;
			buf_append_str(&in, parts[(seed >> 16) %
				       (sizeof(parts) / sizeof(parts[0]))]);
		}
		decode_n(&out, buf_cstr(&in), in.len);
		buf_free(&out);
	}
	buf_free(&in);
}

/* ---- unfold ---- */

static void
check_unfold(const char *in, const char *expect)
{
	struct buf b;

	buf_init(&b, 1024);
	assert_int_equal(mime_header_unfold(in, strlen(in), &b), 0);
	assert_string_equal(buf_cstr(&b), expect);
	buf_free(&b);
}

static void
test_mime_header_unfold(void **state)
{
	struct buf b;

	(void)state;
	check_unfold("a\r\n b\r\n\tc", "a b\tc");
	check_unfold("a\n b", "a b");
	check_unfold("a\r\nb\r\n", "a\r\nb\r\n");
	check_unfold("a\r\n", "a\r\n");
	check_unfold("a\r \r\n\r\n x", "a\r \r\n x");
	check_unfold("", "");
	buf_init(&b, 2);
	assert_int_equal(mime_header_unfold("abc", 3, &b), -1);
	buf_free(&b);
}

/* ---- icontains ---- */

static void
test_mime_utf8_icontains_ascii(void **state)
{
	(void)state;
	assert_true(icontains("Hello World", "WORLD"));
	assert_true(icontains("Hello World", "o w"));
	assert_true(icontains("Hello World", ""));
	assert_true(icontains("", ""));
	assert_false(icontains("", "a"));
	assert_false(icontains("Hello", "Hello!"));
	assert_false(icontains("Hello World", "worlds"));
	assert_true(icontains("[TAG] x", "[tag]"));
	assert_false(icontains("@", "`"));	/* not letters: no folding */
	assert_true(icontains("aaab", "AAB"));
	assert_true(icontains("abababc", "ababc"));
}

static void
test_mime_utf8_icontains_letters(void **state)
{
	(void)state;
	/* Latin-1 and Latin Extended-A */
	assert_true(icontains("Caf\xc3\xa9", "CAF\xc3\x89"));
	assert_true(icontains("\xc3\x85NGSTR\xc3\x96M",
			      "\xc3\xa5ngstr\xc3\xb6m"));
	assert_false(icontains("\xc3\x97", "\xc3\xb7"));	/* x and / */
	assert_true(icontains("\xc5\x81\xc3\x93\x44\xc5\xb9",
			      "\xc5\x82\xc3\xb3\x64\xc5\xba"));
	assert_true(icontains("\xc5\xb8", "\xc3\xbf"));	/* Y diaeresis */
	assert_true(icontains("ma\xc3\x9f", "MA\xc3\x9f"));
	assert_false(icontains("mass", "ma\xc3\x9f"));	/* no full folding */
	assert_true(icontains("\xc5\xbf", "S"));	/* long s */
	assert_false(icontains("I", "\xc4\xb1"));	/* dotless i */
	assert_true(icontains("\xc2\xb5", "\xce\x9c"));	/* micro, MU */
	/* Greek */
	assert_true(icontains("\xce\xa3\xce\x9f\xce\xa6\xce\x8a\xce\x91",
			      "\xcf\x83\xce\xbf\xcf\x86\xce\xaf\xce\xb1"));
	assert_true(icontains("\xce\xbb\xcf\x8c\xce\xb3\xce\xbf\xcf\x82",
			      "\xce\x9b\xce\x8c\xce\x93\xce\x9f\xce\xa3"));
	/* Cyrillic */
	assert_true(icontains("\xd0\x9f\xd0\xa0\xd0\x98"
			      "\xd0\x92\xd0\x95\xd0\xa2",
			      "\xd0\xbf\xd1\x80\xd0\xb8"
			      "\xd0\xb2\xd0\xb5\xd1\x82"));
	assert_true(icontains("\xd1\x91", "\xd0\x81"));	/* yo */
	assert_true(icontains("\xd2\x91", "\xd2\x90"));	/* ghe upturn */
	assert_true(icontains("\xd3\x8f", "\xd3\x80"));	/* palochka */
	/* Other scripts compare as they are. */
	assert_true(icontains("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
			      "\xe6\x9c\xac"));
	assert_false(icontains("\xe6\x97\xa5", "\xe6\x97"));
}

static void
test_mime_utf8_icontains_invalid(void **state)
{
	(void)state;
	assert_true(icontains("caf\xe9!", "\xe9"));
	assert_false(icontains("caf\xe9", "\xc3\xa9"));
	assert_false(icontains("caf\xc3\xa9", "\xe9"));
	assert_true(icontains("a\xff\xfe" "b", "\xFF\xFE" "B"));
	assert_false(icontains("\xc3", "\xc3\xa9"));
}

static void
test_mime_utf8_icontains_long(void **state)
{
	const size_t n = 1000000;
	size_t hlen, nlen;
	char *hay = repeat("a", n, &hlen);
	char *needle = repeat("A", 5000, &nlen);

	(void)state;
	/* KMP: aaaa...ab against aaaa... is linear, not n * m. */
	needle[nlen - 1] = 'b';
	assert_false(mime_utf8_icontains(hay, hlen, needle, nlen));
	needle[nlen - 1] = 'a';
	assert_true(mime_utf8_icontains(hay, hlen, needle, nlen));
	hay[hlen - 1] = 'B';
	needle[nlen - 1] = 'b';
	assert_true(mime_utf8_icontains(hay, hlen, needle, nlen));
	/* Needle longer than the hay. */
	assert_false(mime_utf8_icontains(needle, 10, hay, 11));
	free(hay);
	free(needle);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime_header_decode_utf8_rfc_examples),
		cmocka_unit_test(test_mime_header_decode_utf8_rfc2231_language),
		cmocka_unit_test(test_mime_header_decode_utf8_q),
		cmocka_unit_test(test_mime_header_decode_utf8_b_padding),
		cmocka_unit_test(test_mime_header_decode_utf8_charsets),
		cmocka_unit_test(test_mime_header_decode_utf8_mixed_charsets),
		cmocka_unit_test(test_mime_header_decode_utf8_adjacent),
		cmocka_unit_test(test_mime_header_decode_utf8_unknown_charset),
		cmocka_unit_test(test_mime_header_decode_utf8_malformed),
		cmocka_unit_test(test_mime_header_decode_utf8_raw_8bit),
		cmocka_unit_test(
			test_mime_header_decode_utf8_conversion_errors),
		cmocka_unit_test(test_mime_header_decode_utf8_hostile),
		cmocka_unit_test(test_mime_header_decode_utf8_out_max),
		cmocka_unit_test(test_mime_header_decode_utf8_random),
		cmocka_unit_test(test_mime_header_unfold),
		cmocka_unit_test(test_mime_utf8_icontains_ascii),
		cmocka_unit_test(test_mime_utf8_icontains_letters),
		cmocka_unit_test(test_mime_utf8_icontains_invalid),
		cmocka_unit_test(test_mime_utf8_icontains_long),
	};

	return cmocka_run_group_tests_name("mime-rfc2047", tests, NULL, NULL);
}
