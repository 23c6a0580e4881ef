/* server/imap/imap-search-text: SEARCH text matching in headers (RFC 2047
 * decoded, folded lines, any field) and bodies (base64 / QP decoded),
 * with non-ASCII case folding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mime/tree.h"
#include "server/imap/imap-msg.h"

static const char hdr[] =
	"From: =?ISO-8859-1?Q?J=F6rg?= <joerg@example.org>\r\n"
	"Subject: =?UTF-8?B?R3LDvMOfZQ==?= =?UTF-8?Q?_aus_K=C3=B6ln?=\r\n"
	"X-Long: first part\r\n"
	"\tsecond part\r\n"
	"To: plain@example.org\r\n"
	"\r\n";

static bool
h(const char *name, const char *needle)
{
	return imap_search_header(hdr, strlen(hdr), name, needle);
}

static void
test_imap_search_header_decoded(void **state)
{
	(void)state;
	assert_true(h("Subject", "Grüße aus Köln"));	/* words joined */
	assert_true(h("SUBJECT", "grüsse") == false);	/* ß is not ss */
	assert_true(h("subject", "GRÜSSE") == false);
	assert_true(h("subject", "GRÜßE AUS"));		/* folded case */
	assert_true(h("From", "jörg"));			/* Latin-1 -> UTF-8 */
	assert_true(h("From", "JOERG@"));
	assert_false(h("To", "joerg"));
	assert_true(h("X-Long", "part second"));		/* unfolded */
	assert_true(h(NULL, "plain@"));			/* any field */
	assert_false(h("X-Missing", ""));
	assert_true(h("To", ""));
}

static void
test_imap_search_body_decoded(void **state)
{
	static const char msg[] =
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"--b\r\nContent-Type: text/plain\r\n"
		"Content-Transfer-Encoding: base64\r\n\r\n"
		"SGVsbG8gV8OWUkxE\r\n"	/* "Hello WÖRLD" */
		"--b\r\nContent-Type: text/plain\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		"soft=\r\nbreak =C3=9Cber\r\n"
		"--b--\r\n";
	struct mime_part *root = mime_parse(msg, strlen(msg));

	(void)state;
	assert_true(imap_search_body(root, msg, "hello wörld"));
	assert_true(imap_search_body(root, msg, "softbreak über"));
	assert_false(imap_search_body(root, msg, "SGVsbG8"));
	assert_false(imap_search_body(root, msg, "=C3"));
	mime_free(&root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_search_header_decoded),
		cmocka_unit_test(test_imap_search_body_decoded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
