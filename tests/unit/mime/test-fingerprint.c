#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "mime/fingerprint.h"
#include "mime/header.h"

static const char crlf[] =
	"Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	"From: Alice <alice@example.org>\r\n"
	"Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	"Subject: Hi\r\n"
	"\r\n"
	"line one\r\n"
	"line two\r\n";

static const char lf[] =
	"Return-Path: <x@y>\n"
	"Delivered-To: bob@example.org\n"
	"X-Spam: no\n"
	"From: Alice <alice@example.org>\n"
	"Subject:\n Hi\n"
	"Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
	"\n"
	"line one\n"
	"line two\n";

static void
fp_chunked(const char *m, size_t len, size_t step, char hex[65])
{
	struct fingerprint *fp = fingerprint_new(4096);

	for (size_t i = 0; i < len; i += step)
		fingerprint_feed(fp, m + i, len - i < step ? len - i : step);
	fingerprint_finish(fp, hex);
	fingerprint_free(&fp);
	assert_null(fp);
}

static void
test_fingerprint_crlf_equals_lf(void **state)
{
	char a[65], b[65];

	fingerprint_of(crlf, strlen(crlf), 4096, a);
	fingerprint_of(lf, strlen(lf), 4096, b);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 64);
}

static void
test_fingerprint_definition(void **state)
{
	const char *input = "Alice <alice@example.org>\n"
			    "Mon, 1 Jan 2024 00:00:00 +0000\nHi\n"
			    "line one\nline two\n";
	unsigned char md[32];
	char want[65], got[65];

	crypto_hash_sha256(md, (const unsigned char *)input, strlen(input));
	sodium_bin2hex(want, sizeof(want), md, sizeof(md));
	fingerprint_of(crlf, strlen(crlf), 4096, got);
	assert_string_equal(got, want);
}

static void
test_fingerprint_any_chunking(void **state)
{
	char whole[65], part[65];

	fingerprint_of(crlf, strlen(crlf), 4096, whole);
	for (size_t step = 1; step < 10; step++) {
		fp_chunked(crlf, strlen(crlf), step, part);
		assert_string_equal(whole, part);
		fp_chunked(lf, strlen(lf), step, part);
		assert_string_equal(whole, part);
	}
}

static void
test_fingerprint_body_matters(void **state)
{
	const char *m1 = "Subject: a\n\nbody\r\rx\n";
	const char *m2 = "Subject: a\n\nbody\rx\n";
	char a[65], b[65];

	fingerprint_of(m1, strlen(m1), 4096, a);
	fingerprint_of(m2, strlen(m2), 4096, b);
	assert_string_not_equal(a, b);
	/* A bare CR held at a chunk end is not lost. */
	fp_chunked(m1, strlen(m1), 1, b);
	assert_string_equal(a, b);
}

static void
test_fingerprint_header_reader(void **state)
{
	struct fingerprint *fp = fingerprint_new(4096);
	const char *m = "Message-ID: <x@y>\n\nbody";
	char hex[65], *v;

	fingerprint_feed(fp, m, strlen(m));
	fingerprint_finish(fp, hex);
	v = header_reader_get(fingerprint_header(fp), "message-id");
	assert_string_equal(v, "<x@y>");
	free(v);
	fingerprint_free(&fp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint_crlf_equals_lf),
		cmocka_unit_test(test_fingerprint_definition),
		cmocka_unit_test(test_fingerprint_any_chunking),
		cmocka_unit_test(test_fingerprint_body_matters),
		cmocka_unit_test(test_fingerprint_header_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
