/* tests for src/proto/lmtp/lmtp-cmd.c: a table of valid and invalid
 * command lines, MAIL parameters, recipients' user parts, DATA lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/lmtp/lmtp-cmd.h"

struct valid_case {
	const char *line;
	enum lmtp_verb verb;
	const char *arg, *addr;
	bool has_size;
	uint64_t size;
	enum lmtp_body body;
};

static const struct valid_case valid[] = {
	{ "LHLO mx.example.org", LMTP_CMD_LHLO, "mx.example.org", NULL,
	  false, 0, LMTP_BODY_NONE },
	{ "lhlo [127.0.0.1]", LMTP_CMD_LHLO, "[127.0.0.1]", NULL, false, 0,
	  LMTP_BODY_NONE },
	{ "LHLO x ", LMTP_CMD_LHLO, "x", NULL, false, 0, LMTP_BODY_NONE },
	{ "MAIL FROM:<a@b.c>", LMTP_CMD_MAIL, NULL, "a@b.c", false, 0,
	  LMTP_BODY_NONE },
	{ "mail from:<>", LMTP_CMD_MAIL, NULL, "", false, 0,
	  LMTP_BODY_NONE },
	{ "MAIL FROM: <a@b.c>", LMTP_CMD_MAIL, NULL, "a@b.c", false, 0,
	  LMTP_BODY_NONE },
	{ "MAIL FROM:<a@b.c> SIZE=1000", LMTP_CMD_MAIL, NULL, "a@b.c", true,
	  1000, LMTP_BODY_NONE },
	{ "MAIL FROM:<a@b.c> BODY=8BITMIME size=5", LMTP_CMD_MAIL, NULL,
	  "a@b.c", true, 5, LMTP_BODY_8BITMIME },
	{ "MAIL FROM:<a@b.c> body=7bit", LMTP_CMD_MAIL, NULL, "a@b.c", false,
	  0, LMTP_BODY_7BIT },
	{ "MAIL FROM:<@relay.org,@r2.org:a@b.c>", LMTP_CMD_MAIL, NULL,
	  "a@b.c", false, 0, LMTP_BODY_NONE },
	{ "MAIL FROM:<\"x y\"@b.c>", LMTP_CMD_MAIL, NULL, "\"x y\"@b.c",
	  false, 0, LMTP_BODY_NONE },
	{ "RCPT TO:<alice@example.org>", LMTP_CMD_RCPT, NULL,
	  "alice@example.org", false, 0, LMTP_BODY_NONE },
	{ "rcpt to:<Bob>", LMTP_CMD_RCPT, NULL, "Bob", false, 0,
	  LMTP_BODY_NONE },
	{ "DATA", LMTP_CMD_DATA, NULL, NULL, false, 0, LMTP_BODY_NONE },
	{ "RSET", LMTP_CMD_RSET, NULL, NULL, false, 0, LMTP_BODY_NONE },
	{ "NOOP", LMTP_CMD_NOOP, NULL, NULL, false, 0, LMTP_BODY_NONE },
	{ "NOOP hello there", LMTP_CMD_NOOP, "hello there", NULL, false, 0,
	  LMTP_BODY_NONE },
	{ "QUIT", LMTP_CMD_QUIT, NULL, NULL, false, 0, LMTP_BODY_NONE },
	{ "VRFY alice", LMTP_CMD_VRFY, "alice", NULL, false, 0,
	  LMTP_BODY_NONE },
	{ "STARTTLS", LMTP_CMD_STARTTLS, NULL, NULL, false, 0,
	  LMTP_BODY_NONE },
};

struct invalid_case {
	const char *line;
	enum lmtp_verb verb;
	const char *code;	/* reply prefix */
};

static const struct invalid_case invalid[] = {
	{ "", LMTP_CMD_UNKNOWN, "500" },
	{ "FOO", LMTP_CMD_UNKNOWN, "500" },
	{ "MAILX FROM:<a>", LMTP_CMD_UNKNOWN, "500" },
	{ "HELO x", LMTP_CMD_HELO, "500" },
	{ "EHLO x", LMTP_CMD_HELO, "500" },
	{ "LHLO", LMTP_CMD_LHLO, "501" },
	{ "LHLO a b", LMTP_CMD_LHLO, "501" },
	{ "MAIL", LMTP_CMD_MAIL, "501" },
	{ "MAIL TO:<a@b>", LMTP_CMD_MAIL, "501" },
	{ "MAIL FROM:a@b", LMTP_CMD_MAIL, "501" },
	{ "MAIL FROM:<a@b", LMTP_CMD_MAIL, "501" },
	{ "MAIL FROM:<a b@c>", LMTP_CMD_MAIL, "501" },
	{ "MAIL FROM:<a@b>x", LMTP_CMD_MAIL, "501" },
	{ "MAIL FROM:<@relay:>", LMTP_CMD_MAIL, "250" },
	{ "MAIL FROM:<@relay>", LMTP_CMD_MAIL, "501" },
	{ "MAIL FROM:<a@b> SIZE=", LMTP_CMD_MAIL, "501" },
	{ "MAIL FROM:<a@b> SIZE=12x", LMTP_CMD_MAIL, "501" },
	{ "MAIL FROM:<a@b> SIZE=1 SIZE=2", LMTP_CMD_MAIL, "501" },
	{ "MAIL FROM:<a@b> SIZE=99999999999999999999999", LMTP_CMD_MAIL,
	  "501" },
	{ "MAIL FROM:<a@b> BODY=BINARYMIME", LMTP_CMD_MAIL, "501" },
	{ "MAIL FROM:<a@b> AUTH=<>", LMTP_CMD_MAIL, "555" },
	{ "RCPT TO:<>", LMTP_CMD_RCPT, "501" },
	{ "RCPT FROM:<a@b>", LMTP_CMD_RCPT, "501" },
	{ "RCPT TO:<a@b> NOTIFY=NEVER", LMTP_CMD_RCPT, "555" },
	{ "DATA now", LMTP_CMD_DATA, "501" },
	{ "QUIT x", LMTP_CMD_QUIT, "501" },
	{ "VRFY", LMTP_CMD_VRFY, "501" },
};

static void
test_lmtp_cmd_parse_valid(void **state)
{
	struct lmtp_cmd cmd;
	const char *error = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const struct valid_case *v = &valid[i];

		if (lmtp_cmd_parse(v->line, strlen(v->line), &cmd, &error))
			fail_msg("'%s': %s", v->line, error);
		assert_int_equal(cmd.verb, v->verb);
		if (v->arg != NULL)
			assert_string_equal(cmd.arg, v->arg);
		else
			assert_null(cmd.arg);
		if (v->addr != NULL)
			assert_string_equal(cmd.addr, v->addr);
		else
			assert_null(cmd.addr);
		assert_int_equal(cmd.has_size, v->has_size);
		assert_int_equal(cmd.size, v->size);
		assert_int_equal(cmd.body, v->body);
	}
}

static void
test_lmtp_cmd_parse_invalid(void **state)
{
	struct lmtp_cmd cmd;
	const char *error;

	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		const struct invalid_case *v = &invalid[i];
		int rc;

		error = NULL;
		rc = lmtp_cmd_parse(v->line, strlen(v->line), &cmd, &error);
		assert_int_equal(cmd.verb, v->verb);
		if (strcmp(v->code, "250") == 0) {
			assert_int_equal(rc, 0);
			continue;
		}
		if (rc != -1)
			fail_msg("'%s' accepted", v->line);
		if (strncmp(error, v->code, 3) != 0)
			fail_msg("'%s': %s", v->line, error);
	}
}

static void
test_lmtp_cmd_parse_limits(void **state)
{
	size_t n = LMTP_CMD_LINE_MAX + 1;
	char *big = malloc(n + 1), path[LMTP_PATH_MAX + 32];
	struct lmtp_cmd cmd;
	const char *error;

	(void)state;
	memset(big, 'a', n);
	memcpy(big, "NOOP ", 5);
	assert_int_equal(lmtp_cmd_parse(big, n, &cmd, &error), -1);
	assert_string_equal(error, "500 5.5.2 Line too long");
	assert_int_equal(lmtp_cmd_parse(big, n - 1, &cmd, &error), 0);
	assert_int_equal(lmtp_cmd_parse("NOOP\0x", 6, &cmd, &error), -1);
	/* A path of 256 octets with brackets is fine, 257 is not. */
	memset(path, 'x', sizeof(path));
	memcpy(path, "RCPT TO:<", 9);
	path[9 + 254] = '>';
	assert_int_equal(lmtp_cmd_parse(path, 9 + 255, &cmd, &error), 0);
	path[9 + 254] = 'x';
	path[9 + 255] = '>';
	assert_int_equal(lmtp_cmd_parse(path, 9 + 256, &cmd, &error), -1);
	free(big);
}

static void
test_lmtp_rcpt_user(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(lmtp_rcpt_user("Alice@Example.org", out,
					sizeof(out)), 0);
	assert_string_equal(out, "alice");
	assert_int_equal(lmtp_rcpt_user("BOB", out, sizeof(out)), 0);
	assert_string_equal(out, "bob");
	assert_int_equal(lmtp_rcpt_user("a@b@c", out, sizeof(out)), 0);
	assert_string_equal(out, "a@b");
	assert_int_equal(lmtp_rcpt_user("@x", out, sizeof(out)), -1);
	assert_int_equal(lmtp_rcpt_user("\"q\"@x", out, sizeof(out)), -1);
	assert_int_equal(lmtp_rcpt_user("0123456789abcdef@x", out,
					sizeof(out)), -1);
}

static void
test_lmtp_data_line(void **state)
{
	const char *d;
	size_t n;

	(void)state;
	assert_int_equal(lmtp_data_line(".", 1, &d, &n), 1);
	assert_int_equal(lmtp_data_line("..", 2, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(d, ".", 1);
	assert_int_equal(lmtp_data_line("...x", 4, &d, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(lmtp_data_line("", 0, &d, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(lmtp_data_line("a.", 2, &d, &n), 0);
	assert_int_equal(n, 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lmtp_cmd_parse_valid),
		cmocka_unit_test(test_lmtp_cmd_parse_invalid),
		cmocka_unit_test(test_lmtp_cmd_parse_limits),
		cmocka_unit_test(test_lmtp_rcpt_user),
		cmocka_unit_test(test_lmtp_data_line),
	};

	return cmocka_run_group_tests_name("lmtp-cmd", tests, NULL, NULL);
}
