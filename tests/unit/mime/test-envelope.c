#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/buf.h"
#include "mime/imap-mime.h"

static void
expect(const char *hdr, const char *want)
{
	struct buf out;

	buf_init(&out, 1 << 16);
	assert_int_equal(mime_write_envelope(hdr, strlen(hdr), &out), 0);
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&out);
}

/* Expected strings are what Dovecot 2.3.19 answered for these headers. */
static void
test_mime_write_envelope_groups(void **state)
{
	expect("To: undisclosed-recipients:;, grp: x@y.z, \"q\" <w@v>;\r\n\r\n",
	       "(NIL NIL NIL NIL NIL ((NIL NIL \"undisclosed-recipients\" NIL)"
	       "(NIL NIL NIL NIL)(NIL NIL \"grp\" NIL)(NIL NIL \"x\" \"y.z\")"
	       "(\"q\" NIL \"w\" \"v\")(NIL NIL NIL NIL)) NIL NIL NIL NIL)");
}

static void
test_mime_write_envelope_repairs(void **state)
{
	expect("From: Joe \\\"x\\\" <joe@x>, b@c\r\n",
	       "(NIL NIL ((NIL NIL \"Joe\" \"MISSING_DOMAIN\")) "
	       "((NIL NIL \"Joe\" \"MISSING_DOMAIN\")) "
	       "((NIL NIL \"Joe\" \"MISSING_DOMAIN\")) NIL NIL NIL NIL NIL)");
}

static void
test_mime_write_envelope_subject_for_humans(void **state)
{
	expect("Subject: a\r\n\tfolded  \r\n more\r\nIn-Reply-To:  <x@y>  \r\n",
	       "(NIL {13}\r\na folded more NIL NIL NIL NIL NIL NIL "
	       "\"<x@y>  \" NIL)");
	expect("Subject: hi \"there\"\r\n",
	       "(NIL {10}\r\nhi \"there\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime_write_envelope_groups),
		cmocka_unit_test(test_mime_write_envelope_repairs),
		cmocka_unit_test(test_mime_write_envelope_subject_for_humans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
