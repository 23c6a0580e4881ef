#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "lib/buf.h"
#include "mime/tree.h"

#define S(lit) lit, sizeof(lit) - 1

static void
test_mime_parse_plain_defaults(void **state)
{
	static const char msg[] = "Subject: x\r\n\r\na\r\nb\r\n";
	struct mime_part *root = mime_parse(S(msg));

	assert_string_equal(root->type, "text");
	assert_string_equal(root->subtype, "plain");
	assert_int_equal(root->hdr_size, 14);
	assert_int_equal(root->body_off, 14);
	assert_int_equal(root->body_size, 6);
	assert_int_equal(root->body_lines, 2);
	assert_null(root->children);
	mime_free(&root);
	assert_null(root);
}

static void
test_mime_parse_multipart_offsets(void **state)
{
	static const char msg[] =
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
		"pre\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>\r\n"
		"--b\r\n\r\nplain\r\n--b--\r\nepi\r\n";
	struct mime_part *root = mime_parse(S(msg));
	const struct mime_part *a, *b;

	assert_int_equal(root->child_count, 2);
	a = root->children;
	b = a->next;
	assert_string_equal(a->subtype, "html");
	assert_memory_equal(msg + a->body_off, "<p>", 3);
	assert_int_equal(a->body_size, 3);
	assert_int_equal(b->hdr_size, 2);	/* just the blank line */
	assert_int_equal(b->body_size, 5);
	assert_int_equal(mime_part_count(root), 3);
	mime_free(&root);
}

static void
test_mime_parse_rfc822_child(void **state)
{
	static const char msg[] =
		"Content-Type: message/rfc822\r\n\r\n"
		"Subject: in\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
		"body";
	struct mime_part *root = mime_parse(S(msg));
	const struct mime_part *c = root->children;

	assert_true(root->flags & MIME_PART_MESSAGE);
	assert_non_null(c);
	assert_int_equal(c->params[0].value[0], 'u');
	assert_int_equal(c->body_size, 4);
	assert_ptr_equal(c->parent, root);
	mime_free(&root);
}

static void
test_mime_parse_depth_is_bounded(void **state)
{
	static const char hdr[] = "Content-Type: message/rfc822\r\n\r\n";
	struct buf b;
	struct mime_part *root;

	buf_init(&b, 1 << 20);
	for (int i = 0; i < 500; i++)
		buf_append(&b, hdr, sizeof(hdr) - 1);
	root = mime_parse(b.data, b.len);
	assert_true(mime_part_count(root) <= MIME_MAX_DEPTH + 1);
	mime_free(&root);
	buf_free(&b);
}

static void
test_mime_parse_unterminated_and_broken(void **state)
{
	static const char msg[] =
		"Content-Type: multipart/mixed; boundary=u\r\n\r\n"
		"--u\r\nContent-Type: text\r\n\r\none\r\n";
	struct mime_part *root = mime_parse(S(msg));

	assert_int_equal(root->child_count, 1);
	assert_string_equal(root->children->type, "text");
	assert_string_equal(root->children->subtype, "");
	assert_int_equal(root->children->body_size, 5);	/* "one\r\n" */
	mime_free(&root);
}

static void
test_mime_parse_rfc2231_params(void **state)
{
	static const char msg[] =
		"Content-Type: text/plain; a*0=\"x\"; a*1=y; b*=utf-8''%41\r\n"
		"Content-Disposition: attachment; filename=f\r\n\r\n";
	struct mime_part *root = mime_parse(S(msg));

	assert_int_equal(root->nparams, 2);
	assert_string_equal(root->params[0].name, "a");
	assert_string_equal(root->params[0].value, "xy");
	/* Dovecot's quirk: "b*" keeps the index of the section before */
	assert_string_equal(root->params[1].name, "b*1*");
	assert_string_equal(root->disposition, "attachment");
	assert_string_equal(root->disp_params[0].value, "f");
	mime_free(&root);
}

static void
test_mime_crlf_normalize(void **state)
{
	struct buf b;

	buf_init(&b, 100);
	assert_int_equal(mime_crlf_normalize(S("a\nb\r\nc\rd\n"), &b), 0);
	assert_string_equal(buf_cstr(&b), "a\r\nb\r\nc\rd\r\n");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime_parse_plain_defaults),
		cmocka_unit_test(test_mime_parse_multipart_offsets),
		cmocka_unit_test(test_mime_parse_rfc822_child),
		cmocka_unit_test(test_mime_parse_depth_is_bounded),
		cmocka_unit_test(test_mime_parse_unterminated_and_broken),
		cmocka_unit_test(test_mime_parse_rfc2231_params),
		cmocka_unit_test(test_mime_crlf_normalize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
