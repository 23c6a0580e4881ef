/* server/imap/imap-match: LIST patterns ('*', '%', INBOX case) and a
 * pattern that would backtrack exponentially in a naive matcher. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "server/imap/imap-match.h"

static void
test_imap_list_match_wildcards(void **state)
{
	(void)state;
	assert_true(imap_list_match("*", "a/b/c"));
	assert_true(imap_list_match("%", "Sent"));
	assert_false(imap_list_match("%", "a/b"));
	assert_true(imap_list_match("a/%", "a/b"));
	assert_false(imap_list_match("a/%", "a/b/c"));
	assert_true(imap_list_match("a/*", "a/b/c"));
	assert_false(imap_list_match("a/*", "a"));
	assert_true(imap_list_match("a*", "a"));
	assert_true(imap_list_match("%/%/c", "a/b/c"));
	assert_true(imap_list_match("S%t", "Sent"));
	assert_false(imap_list_match("S%t", "Sen/t"));
	assert_true(imap_list_match("S*t", "Sen/t"));
	assert_false(imap_list_match("Sent", "sent"));
	assert_true(imap_list_match("", ""));
	assert_false(imap_list_match("", "a"));
	assert_true(imap_list_match("**%%", "x"));
}

static void
test_imap_list_match_inbox(void **state)
{
	(void)state;
	assert_true(imap_list_match("inbox", "INBOX"));
	assert_true(imap_list_match("InBoX/%", "INBOX/sub"));
	assert_true(imap_list_match("INBOX*", "INBOX"));
	assert_false(imap_list_match("inbox", "Inboxes"));
	assert_false(imap_list_match("inbox2", "INBOX"));
}

static void
test_imap_list_match_no_backtracking(void **state)
{
	char pat[400], name[256];
	clock_t t0 = clock();
	int i;

	(void)state;
	for (i = 0; i < 198; i++)
		pat[i] = i % 2 ? '%' : '*';
	pat[198] = 'x';
	pat[199] = '\0';
	memset(name, 'a', 250);
	name[250] = '\0';
	assert_false(imap_list_match(pat, name));
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_list_match_wildcards),
		cmocka_unit_test(test_imap_list_match_inbox),
		cmocka_unit_test(test_imap_list_match_no_backtracking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
