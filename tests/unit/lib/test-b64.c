#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/b64.h"

/* RFC 4648 section 10 test vectors. */
static const char *const vectors[][2] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static void
test_b64_encode_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf b;

		buf_init(&b, 100);
		assert_int_equal(b64_encode(vectors[i][0],
					    strlen(vectors[i][0]), &b), 0);
		assert_string_equal(buf_cstr(&b), vectors[i][1]);
		assert_int_equal(b.len, b64_encoded_len(strlen(vectors[i][0])));
		buf_free(&b);
	}
}

static void
test_b64_decode_vectors(void **state)
{
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		struct buf b;

		buf_init(&b, 100);
		assert_int_equal(b64_decode(vectors[i][1],
					    strlen(vectors[i][1]), &b), 0);
		assert_string_equal(buf_cstr(&b), vectors[i][0]);
		buf_free(&b);
	}
}

static void
test_b64_round_trip_binary(void **state)
{
	unsigned char data[256];
	struct buf enc, dec;

	for (int i = 0; i < 256; i++)
		data[i] = (unsigned char)i;
	for (size_t len = 0; len <= sizeof(data); len += 17) {
		buf_init(&enc, 1000);
		buf_init(&dec, 1000);
		assert_int_equal(b64_encode(data, len, &enc), 0);
		assert_int_equal(b64_decode(enc.data, enc.len, &dec), 0);
		assert_int_equal(dec.len, len);
		if (len > 0)
			assert_memory_equal(dec.data, data, len);
		buf_free(&enc);
		buf_free(&dec);
	}
}

static void
test_b64_decode_sasl_plain(void **state)
{
	struct buf b;
	const char *s = "AHRpbQB0YW5zdGFhZnRhbmJ1aHVsbA==";

	buf_init(&b, 100);
	assert_int_equal(b64_decode(s, strlen(s), &b), 0);
	assert_int_equal(b.len, 22);
	assert_memory_equal(b.data, "\0tim\0tanstaaftanbuhull", 22);
	buf_free(&b);
}

static void
test_b64_decode_rejects(void **state)
{
	static const char *const bad[] = {
		"Zg=", "Zg", "Z", "Zm9", "Zg=a", "Z===", "====", "Zm9v====",
		"Zg==Zg==", "Zm=v", "Zm9v\n", " Zm9", "Zm9-", "Zm9_",
		"Zm9v*A==", "Zh==", "Zm9=", "Zm+/Zh==",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b;

		buf_init(&b, 100);
		buf_append_str(&b, "keep");
		assert_int_equal(b64_decode(bad[i], strlen(bad[i]), &b), -1);
		assert_string_equal(buf_cstr(&b), "keep");
		buf_free(&b);
	}
}

static void
test_b64_max(void **state)
{
	struct buf b;

	buf_init(&b, 7);
	assert_int_equal(b64_encode("foobar", 6, &b), -1);
	assert_int_equal(b.len, 0);
	assert_int_equal(b64_encode("foo", 3, &b), 0);
	buf_free(&b);
	buf_init(&b, 5);
	assert_int_equal(b64_decode("Zm9vYmFy", 8, &b), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_b64_decode_lenient(void **state)
{
	static const char *const rows[][2] = {
		{ "Zm9v\r\nYmFy", "foobar" },		/* line ends skipped */
		{ "Zm9vYg", "foob" },			/* padding missing */
		{ "Zm8=Zm8=", "fofo" },			/* two glued together */
		{ "Zm9v!*YmFy", "foobar" },		/* junk skipped */
		{ "", "" },
	};
	struct buf b;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		buf_init(&b, 100);
		assert_int_equal(b64_decode_lenient(rows[i][0],
						    strlen(rows[i][0]), &b), 0);
		assert_string_equal(buf_cstr(&b), rows[i][1]);
		buf_free(&b);
	}
	buf_init(&b, 2);
	assert_int_equal(b64_decode_lenient("Zm9vYmFy", 8, &b), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_encode_vectors),
		cmocka_unit_test(test_b64_decode_vectors),
		cmocka_unit_test(test_b64_round_trip_binary),
		cmocka_unit_test(test_b64_decode_sasl_plain),
		cmocka_unit_test(test_b64_decode_rejects),
		cmocka_unit_test(test_b64_decode_lenient),
		cmocka_unit_test(test_b64_max),
	};

	return cmocka_run_group_tests_name("b64", tests, NULL, NULL);
}
