#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mime/header.h"

static const char msg[] =
	"Return-Path: <bounce@example.org>\r\n"
	"From: Alice <alice@example.org>\r\n"
	"subject:  Hello\r\n"
	"   folded\tworld  \r\n"
	"Message-ID:\r\n"
	" <abc.123@example.org>\r\n"
	"\r\n"
	"Body line\r\n";

static struct header_reader *
read_all(const char *data, size_t len, size_t step, size_t cap,
	 size_t *hdr_len_r)
{
	struct header_reader *hr = header_reader_new(cap);
	size_t total = 0;

	for (size_t i = 0; i < len; i += step) {
		size_t n = len - i < step ? len - i : step;
		size_t used = header_reader_feed(hr, data + i, n);

		total += used;
		if (used < n || header_reader_done(hr))
			break;
	}
	*hdr_len_r = total;
	return hr;
}

static void
check_fields(struct header_reader *hr)
{
	char *v = header_reader_get(hr, "SUBJECT");

	/* Unfolding drops the CRLF only; the folding WSP stays. */
	assert_string_equal(v, "Hello   folded\tworld");
	free(v);
	v = header_reader_get(hr, "from");
	assert_string_equal(v, "Alice <alice@example.org>");
	free(v);
	assert_null(header_reader_get(hr, "Date"));
	v = header_reader_get(hr, "Message-ID");
	assert_string_equal(v, "<abc.123@example.org>");
	free(v);
}

static void
test_header_reader_get_unfolds(void **state)
{
	size_t hdr_len;
	struct header_reader *hr = read_all(msg, strlen(msg), strlen(msg),
					    4096, &hdr_len);

	assert_true(header_reader_done(hr));
	assert_int_equal(hdr_len, strstr(msg, "Body") - msg);
	check_fields(hr);
	header_reader_free(&hr);
	assert_null(hr);
}

static void
test_header_reader_feed_byte_at_a_time(void **state)
{
	for (size_t step = 1; step < 8; step++) {
		size_t hdr_len;
		struct header_reader *hr = read_all(msg, strlen(msg), step,
						    4096, &hdr_len);

		assert_true(header_reader_done(hr));
		assert_int_equal(hdr_len, strstr(msg, "Body") - msg);
		check_fields(hr);
		header_reader_free(&hr);
	}
}

static void
test_header_reader_bare_lf(void **state)
{
	const char *m = "From: a@b\nSubject: x\n y\n\nbody\n";
	size_t hdr_len;
	struct header_reader *hr = read_all(m, strlen(m), 1, 4096, &hdr_len);
	char *v = header_reader_get(hr, "subject");

	assert_int_equal(hdr_len, strstr(m, "body") - m);
	assert_string_equal(v, "x y");
	free(v);
	header_reader_free(&hr);
}

static void
test_header_reader_cap(void **state)
{
	const char *m = "From: a@b\r\nX-Long: 0123456789012345678901234\r\n"
			"Subject: late\r\n\r\nbody";
	size_t hdr_len;
	struct header_reader *hr = read_all(m, strlen(m), 3, 30, &hdr_len);
	char *v = header_reader_get(hr, "From");

	/* The header end is still found beyond the cap... */
	assert_true(header_reader_done(hr));
	assert_int_equal(hdr_len, strstr(m, "body") - m);
	/* ...but fields past the cap are not kept. */
	assert_string_equal(v, "a@b");
	free(v);
	assert_null(header_reader_get(hr, "X-Long"));
	assert_null(header_reader_get(hr, "Subject"));
	header_reader_free(&hr);
}

static void
test_header_reader_no_body(void **state)
{
	struct header_reader *hr = header_reader_new(100);
	char *v;

	header_reader_feed(hr, "Subject: only", 13);
	assert_false(header_reader_done(hr));
	header_reader_finish(hr);
	v = header_reader_get(hr, "subject");
	assert_string_equal(v, "only");
	free(v);
	header_reader_free(&hr);
}

static void
expect_id(const char *value, const char *id)
{
	char *got = header_message_id(value);

	if (id == NULL)
		assert_null(got);
	else
		assert_string_equal(got, id);
	free(got);
}

static void
test_header_message_id(void **state)
{
	expect_id("<abc@example.org>", "abc@example.org");
	expect_id("  (comment (nested)) <abc@example.org> (trailer)",
		  "abc@example.org");
	expect_id("< abc@example.org >", "abc@example.org");
	expect_id("<a@b> <c@d>", "a@b");
	expect_id("no-brackets@example.org", "no-brackets@example.org");
	expect_id("<\"quoted id\"@example.org>", "\"quoted id\"@example.org");
	expect_id("", NULL);
	expect_id("   ", NULL);
	expect_id("<>", NULL);
	expect_id("(only a comment)", NULL);
	expect_id(NULL, NULL);
}

static void
test_header_message_id_folded(void **state)
{
	const char *m = "Message-Id:\r\n\t<folded@example.org>\r\n\r\n";
	char *v = header_field_get(m, strlen(m), "message-id");

	expect_id(v, "folded@example.org");
	free(v);
	v = header_field_get(m, strlen(m), "In-Reply-To");
	expect_id(v, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_reader_get_unfolds),
		cmocka_unit_test(test_header_reader_feed_byte_at_a_time),
		cmocka_unit_test(test_header_reader_bare_lf),
		cmocka_unit_test(test_header_reader_cap),
		cmocka_unit_test(test_header_reader_no_body),
		cmocka_unit_test(test_header_message_id),
		cmocka_unit_test(test_header_message_id_folded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
