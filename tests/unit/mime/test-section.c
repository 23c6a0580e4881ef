#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/buf.h"
#include "mime/imap-mime.h"

static const char msg[] =
	"From: a@b\r\nTo: c@d\r\nContent-Type: multipart/mixed; boundary=b\r\n"
	"\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n"
	"--b\r\nContent-Type: message/rfc822\r\n\r\n"
	"Subject: in\r\n\r\ninner body\r\n--b--\r\n";

static void
expect(const char *spec, const char *want)
{
	struct mime_part *root = mime_parse(msg, sizeof(msg) - 1);
	struct mime_section sec;
	struct buf scratch;
	const char *err, *d;
	size_t n;

	buf_init(&scratch, 4096);
	assert_int_equal(mime_section_parse(spec, strlen(spec), &sec, &err), 0);
	assert_int_equal(mime_section_get(root, msg, &sec, &scratch, &d, &n),
			 0);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(d, want, n);
	mime_section_free(&sec);
	buf_free(&scratch);
	mime_free(&root);
}

static void
test_mime_section_get_parts(void **state)
{
	expect("1", "one");
	expect("2", "Subject: in\r\n\r\ninner body");
	expect("2.1", "inner body");
	expect("2.HEADER", "Subject: in\r\n\r\n");
	expect("2.TEXT", "inner body");
	expect("1.MIME", "Content-Type: text/plain\r\n\r\n");
	expect("3", "");
	expect("1.1", "one");	/* a leaf inside a multipart, as Dovecot */
	expect("1.HEADER", "");
}

static void
test_mime_section_get_header_fields(void **state)
{
	expect("HEADER.FIELDS (to \"FROM\")", "From: a@b\r\nTo: c@d\r\n\r\n");
	expect("HEADER.FIELDS.NOT (From To Content-Type)", "\r\n");
	expect("2.HEADER.FIELDS (Subject)", "Subject: in\r\n\r\n");
}

static void
test_mime_section_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"MIME", "0", "1.", "01", "1..2", "HEADER.FIELDS", "FOO",
		"HEADER.FIELDS ()", "TEXT ", "1.2.X", "HEADER.FIELDS (a",
		"99999999999",
	};
	struct mime_section sec;
	const char *err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mime_section_parse(bad[i], strlen(bad[i]),
						    &sec, &err), -1);
		assert_non_null(err);
		mime_section_free(&sec);
	}
	assert_int_equal(mime_section_parse("1.2.mime", 8, &sec, &err), 0);
	assert_int_equal(sec.path_len, 2);
	assert_int_equal(sec.text, MIME_SECTION_MIME);
	mime_section_free(&sec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime_section_get_parts),
		cmocka_unit_test(test_mime_section_get_header_fields),
		cmocka_unit_test(test_mime_section_parse_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
