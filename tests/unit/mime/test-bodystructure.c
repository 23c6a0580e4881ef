#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/buf.h"
#include "mime/imap-mime.h"

static void
expect(const char *msg, bool extended, const char *want)
{
	struct mime_part *root = mime_parse(msg, strlen(msg));
	struct buf out;

	buf_init(&out, 1 << 16);
	assert_int_equal(mime_write_bodystructure(root, msg, extended, &out),
			 0);
	assert_string_equal(buf_cstr(&out), want);
	buf_free(&out);
	mime_free(&root);
}

/* Expected strings are what Dovecot 2.3.19 answered for these messages. */
static void
test_mime_write_bodystructure_params(void **state)
{
	expect("Content-Type: text/plain; a=b; bad; c=d; e=\"f\" ; g = h ;"
	       " i=j*k (cmt); z\r\n\r\nx", true,
	       "(\"text\" \"plain\" (\"a\" \"b\" \"e\" \"f\" \"g\" \"h\" \"i\" "
	       "\"j*k\" \"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL "
	       "NIL NIL)");
}

static void
test_mime_write_bodystructure_multipart_without_parts(void **state)
{
	expect("Content-Type: multipart/alternative\r\n\r\nabc\r\n", false,
	       "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
	       "\"7bit\" 0 0) \"alternative\")");
}

static void
test_mime_write_bodystructure_broken_type(void **state)
{
	expect("Content-Type: /plain; a=b\r\n\r\nx", false,
	       "(\"\" \"\" NIL NIL NIL \"7bit\" 1)");
	expect("Content-Type: image\r\n\r\nAAAA", false,
	       "(\"image\" \"\" NIL NIL NIL \"7bit\" 4)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime_write_bodystructure_params),
		cmocka_unit_test(
			test_mime_write_bodystructure_multipart_without_parts),
		cmocka_unit_test(test_mime_write_bodystructure_broken_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
