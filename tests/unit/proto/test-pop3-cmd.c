/* tests for src/proto/pop3/pop3-cmd.c: a table of valid and invalid
 * command lines, arguments, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/pop3/pop3-cmd.h"

struct valid_case {
	const char *line;
	enum pop3_verb verb;
	const char *arg, *arg2;
	uint32_t msg;
	uint64_t lines;
};

static const struct valid_case valid[] = {
	{ "USER alice", POP3_CMD_USER, "alice", NULL, 0, 0 },
	{ "user alice", POP3_CMD_USER, "alice", NULL, 0, 0 },
	{ "PASS secret pw", POP3_CMD_PASS, "secret pw", NULL, 0, 0 },
	{ "PASS  lead", POP3_CMD_PASS, " lead", NULL, 0, 0 },
	{ "APOP bob c4c9334bac560ecc979e58001b3e22fb", POP3_CMD_APOP, "bob",
	  "c4c9334bac560ecc979e58001b3e22fb", 0, 0 },
	{ "AUTH", POP3_CMD_AUTH, NULL, NULL, 0, 0 },
	{ "AUTH PLAIN", POP3_CMD_AUTH, "PLAIN", NULL, 0, 0 },
	{ "AUTH PLAIN AGFsaWNlAHNlY3JldA==", POP3_CMD_AUTH, "PLAIN",
	  "AGFsaWNlAHNlY3JldA==", 0, 0 },
	{ "AUTH PLAIN =", POP3_CMD_AUTH, "PLAIN", "=", 0, 0 },
	{ "CAPA", POP3_CMD_CAPA, NULL, NULL, 0, 0 },
	{ "capa", POP3_CMD_CAPA, NULL, NULL, 0, 0 },
	{ "STLS", POP3_CMD_STLS, NULL, NULL, 0, 0 },
	{ "STAT", POP3_CMD_STAT, NULL, NULL, 0, 0 },
	{ "STAT ", POP3_CMD_STAT, NULL, NULL, 0, 0 },
	{ "LIST", POP3_CMD_LIST, NULL, NULL, 0, 0 },
	{ "LIST 3", POP3_CMD_LIST, NULL, NULL, 3, 0 },
	{ "LIST 4294967295", POP3_CMD_LIST, NULL, NULL, 4294967295u, 0 },
	{ "UIDL", POP3_CMD_UIDL, NULL, NULL, 0, 0 },
	{ "UIDL 12", POP3_CMD_UIDL, NULL, NULL, 12, 0 },
	{ "RETR 1", POP3_CMD_RETR, NULL, NULL, 1, 0 },
	{ "retr 007", POP3_CMD_RETR, NULL, NULL, 7, 0 },
	{ "TOP 2 0", POP3_CMD_TOP, NULL, NULL, 2, 0 },
	{ "TOP 2 10", POP3_CMD_TOP, NULL, NULL, 2, 10 },
	{ "TOP 1  5", POP3_CMD_TOP, NULL, NULL, 1, 5 },
	{ "DELE 9", POP3_CMD_DELE, NULL, NULL, 9, 0 },
	{ "RSET", POP3_CMD_RSET, NULL, NULL, 0, 0 },
	{ "NOOP", POP3_CMD_NOOP, NULL, NULL, 0, 0 },
	{ "QUIT", POP3_CMD_QUIT, NULL, NULL, 0, 0 },
	{ "Quit", POP3_CMD_QUIT, NULL, NULL, 0, 0 },
};

struct invalid_case {
	const char *line;
	enum pop3_verb verb;	/* what the parser still recognised */
};

static const struct invalid_case invalid[] = {
	{ "", POP3_CMD_UNKNOWN },
	{ " ", POP3_CMD_UNKNOWN },
	{ "HELO", POP3_CMD_UNKNOWN },
	{ "XYZZYXYZZY", POP3_CMD_UNKNOWN },
	{ "RETRX 1", POP3_CMD_UNKNOWN },
	{ "USER", POP3_CMD_USER },
	{ "USER a b", POP3_CMD_USER },
	{ "PASS", POP3_CMD_PASS },
	{ "PASS ", POP3_CMD_PASS },
	{ "APOP bob", POP3_CMD_APOP },
	{ "APOP bob xyz", POP3_CMD_APOP },
	{ "APOP bob c4c9334bac560ecc979e58001b3e22f", POP3_CMD_APOP },
	{ "APOP bob c4c9334bac560ecc979e58001b3e22fbz", POP3_CMD_APOP },
	{ "APOP bob c4c9334bac560ecc979e58001b3e22fb x", POP3_CMD_APOP },
	{ "AUTH PLAIN a b", POP3_CMD_AUTH },
	{ "CAPA x", POP3_CMD_CAPA },
	{ "QUIT now", POP3_CMD_QUIT },
	{ "LIST 0", POP3_CMD_LIST },
	{ "LIST -1", POP3_CMD_LIST },
	{ "LIST +1", POP3_CMD_LIST },
	{ "LIST 1 2", POP3_CMD_LIST },
	{ "LIST 4294967296", POP3_CMD_LIST },
	{ "LIST 99999999999999999999999", POP3_CMD_LIST },
	{ "LIST x", POP3_CMD_LIST },
	{ "RETR", POP3_CMD_RETR },
	{ "RETR 1x", POP3_CMD_RETR },
	{ "RETR 0", POP3_CMD_RETR },
	{ "DELE", POP3_CMD_DELE },
	{ "TOP 1", POP3_CMD_TOP },
	{ "TOP 1 -1", POP3_CMD_TOP },
	{ "TOP 0 1", POP3_CMD_TOP },
	{ "TOP 1 2 3", POP3_CMD_TOP },
	{ "UIDL abc", POP3_CMD_UIDL },
};

static void
test_pop3_cmd_parse_valid(void **state)
{
	struct pop3_cmd cmd;
	const char *error = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const struct valid_case *v = &valid[i];
		int rc = pop3_cmd_parse(v->line, strlen(v->line), &cmd,
					&error);

		if (rc != 0)
			fail_msg("'%s': %s", v->line, error);
		assert_int_equal(cmd.verb, v->verb);
		if (v->arg != NULL)
			assert_string_equal(cmd.arg, v->arg);
		else
			assert_null(cmd.arg);
		if (v->arg2 != NULL)
			assert_string_equal(cmd.arg2, v->arg2);
		else
			assert_null(cmd.arg2);
		assert_int_equal(cmd.msg, v->msg);
		assert_int_equal(cmd.lines, v->lines);
	}
}

static void
test_pop3_cmd_parse_invalid(void **state)
{
	struct pop3_cmd cmd;
	const char *error;

	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		const struct invalid_case *v = &invalid[i];

		error = NULL;
		if (pop3_cmd_parse(v->line, strlen(v->line), &cmd,
				   &error) != -1)
			fail_msg("'%s' accepted", v->line);
		assert_non_null(error);
		assert_int_equal(cmd.verb, v->verb);
	}
}

static void
test_pop3_cmd_parse_limits(void **state)
{
	char *big = malloc(POP3_CMD_LINE_MAX + 2);
	struct pop3_cmd cmd;
	const char *error;

	(void)state;
	memset(big, 'a', POP3_CMD_LINE_MAX + 1);
	memcpy(big, "USER ", 5);
	assert_int_equal(pop3_cmd_parse(big, POP3_CMD_LINE_MAX + 1, &cmd,
					&error), -1);
	assert_string_equal(error, "Line too long");
	/* An argument over POP3_CMD_ARG_MAX. */
	assert_int_equal(pop3_cmd_parse(big, POP3_CMD_ARG_MAX + 6, &cmd,
					&error), -1);
	assert_int_equal(pop3_cmd_parse(big, POP3_CMD_ARG_MAX + 5, &cmd,
					&error), 0);
	/* A NUL inside the line. */
	assert_int_equal(pop3_cmd_parse("USER a\0b", 8, &cmd, &error), -1);
	assert_string_equal(error, "NUL byte in command");
	free(big);
}

static void
test_pop3_verb_name(void **state)
{
	(void)state;
	assert_string_equal(pop3_verb_name(POP3_CMD_RETR), "RETR");
	assert_string_equal(pop3_verb_name(POP3_CMD_UNKNOWN), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pop3_cmd_parse_valid),
		cmocka_unit_test(test_pop3_cmd_parse_invalid),
		cmocka_unit_test(test_pop3_cmd_parse_limits),
		cmocka_unit_test(test_pop3_verb_name),
	};

	return cmocka_run_group_tests_name("pop3-cmd", tests, NULL, NULL);
}
