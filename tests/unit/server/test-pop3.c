/* tests for src/server/pop3/pop3-fetch.c: the conversion of message
 * files into POP3 multi-line bodies (CRLF, dot-stuffing, TOP), fed whole
 * and split at every byte. The protocol itself is tested end to end in
 * tests/integration/test_pop3_server.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "server/pop3/pop3-private.h"

/* in, fed in pieces of `step` bytes (0: whole), converted with max_lines. */
static char *
convert(const char *in, size_t step, uint64_t max_lines)
{
	struct pop3_stuff s;
	struct buf out;
	size_t len = strlen(in);

	buf_init(&out, 1 << 20);
	pop3_stuff_init(&s, max_lines);
	if (step == 0)
		step = len > 0 ? len : 1;
	for (size_t off = 0; off < len; off += step)
		pop3_stuff_feed(&s, in + off, len - off < step ? len - off :
				step, &out);
	pop3_stuff_end(&s, &out);
	return buf_steal(&out);
}

static void
check_all_splits(const char *in, uint64_t max_lines, const char *want)
{
	for (size_t step = 0; step <= strlen(in) + 1; step++) {
		char *got = convert(in, step, max_lines);

		if (strcmp(got, want) != 0)
			fail_msg("step %zu: got '%s' want '%s'", step, got, want);
		free(got);
	}
}

static void
test_pop3_stuff_line_ends(void **state)
{
	(void)state;
	check_all_splits("a\r\nb\r\n", UINT64_MAX, "a\r\nb\r\n.\r\n");
	check_all_splits("a\nb\n", UINT64_MAX, "a\r\nb\r\n.\r\n");
	check_all_splits("a\nb\r\nc", UINT64_MAX, "a\r\nb\r\nc\r\n.\r\n");
	check_all_splits("no eol", UINT64_MAX, "no eol\r\n.\r\n");
	check_all_splits("cr at end\r", UINT64_MAX, "cr at end\r\n.\r\n");
	check_all_splits("", UINT64_MAX, ".\r\n");
	check_all_splits("\n\n", UINT64_MAX, "\r\n\r\n.\r\n");
}

static void
test_pop3_stuff_dots(void **state)
{
	(void)state;
	check_all_splits(".\n", UINT64_MAX, "..\r\n.\r\n");
	check_all_splits("a\n.b\n..c\nd.\n", UINT64_MAX,
			 "a\r\n..b\r\n...c\r\nd.\r\n.\r\n");
	check_all_splits(".", UINT64_MAX, "..\r\n.\r\n");
	check_all_splits("x\r\n.\r\n", UINT64_MAX, "x\r\n..\r\n.\r\n");
}

static void
test_pop3_stuff_top(void **state)
{
	const char *msg = "H: 1\r\nH2: 2\r\n\r\nb1\r\n.b2\r\nb3\r\n";

	(void)state;
	check_all_splits(msg, 0, "H: 1\r\nH2: 2\r\n\r\n.\r\n");
	check_all_splits(msg, 1, "H: 1\r\nH2: 2\r\n\r\nb1\r\n.\r\n");
	check_all_splits(msg, 2, "H: 1\r\nH2: 2\r\n\r\nb1\r\n..b2\r\n.\r\n");
	check_all_splits(msg, 99, "H: 1\r\nH2: 2\r\n\r\nb1\r\n..b2\r\n"
			 "b3\r\n.\r\n");
	/* Bare LF header separator; a header without a body. */
	check_all_splits("H: 1\n\nb1\nb2\n", 1, "H: 1\r\n\r\nb1\r\n.\r\n");
	check_all_splits("H: 1\nH: 2\n", 0, "H: 1\r\nH: 2\r\n.\r\n");
	/* A last body line without a line end still counts. */
	check_all_splits("H: 1\n\nonly", 5, "H: 1\r\n\r\nonly\r\n.\r\n");
}

static void
test_pop3_stuff_output_bound(void **state)
{
	/* Worst case: every byte a line end, every line a dot. */
	char in[4096];
	struct pop3_stuff s;
	struct buf out;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i += 2) {
		in[i] = '.';
		in[i + 1] = '\n';
	}
	buf_init(&out, 2 * sizeof(in) + 2);
	pop3_stuff_init(&s, UINT64_MAX);
	pop3_stuff_feed(&s, in, sizeof(in), &out);
	assert_int_equal(out.len, sizeof(in) / 2 * 4);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pop3_stuff_line_ends),
		cmocka_unit_test(test_pop3_stuff_dots),
		cmocka_unit_test(test_pop3_stuff_top),
		cmocka_unit_test(test_pop3_stuff_output_bound),
	};

	return cmocka_run_group_tests_name("server-pop3", tests, NULL, NULL);
}
