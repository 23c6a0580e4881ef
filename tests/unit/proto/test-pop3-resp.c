/* tests for src/proto/pop3/pop3-resp.c: status lines and RESP-CODES,
 * multi-line bodies split at every byte, dot-unstuffing, bare LF, CAPA,
 * LIST/UIDL limits, APOP timestamps. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "proto/pop3/pop3-resp.h"

static int
parse(const char *line, struct pop3_status *st)
{
	const char *error = NULL;

	return pop3_status_parse(line, strlen(line), st, &error);
}

static void
test_pop3_status_parse_ok_err(void **state)
{
	struct pop3_status st;

	assert_int_equal(parse("+OK 2 320", &st), 0);
	assert_int_equal(st.kind, POP3_ST_OK);
	assert_string_equal(st.text, "2 320");
	assert_string_equal(st.code, "");
	assert_int_equal(parse("+OK", &st), 0);
	assert_string_equal(st.text, "");
	assert_int_equal(parse("-ERR", &st), 0);
	assert_int_equal(st.kind, POP3_ST_ERR);
	assert_int_equal(parse("+ok fine", &st), 0);
	assert_int_equal(parse("+ ", &st), 0);
	assert_int_equal(st.kind, POP3_ST_CONT);
	assert_int_equal(parse("+ dGVzdA==", &st), 0);
	assert_string_equal(st.text, "dGVzdA==");
}

static void
test_pop3_status_parse_garbage(void **state)
{
	struct pop3_status st;
	char *big = malloc(POP3_RESP_LINE_MAX + 10);

	assert_int_equal(parse("", &st), -1);
	assert_int_equal(parse("OK", &st), -1);
	assert_int_equal(parse("+OKAY", &st), -1);
	assert_int_equal(parse("-ERROR x", &st), -1);
	assert_int_equal(parse("* OK IMAP", &st), -1);
	assert_int_equal(parse("220 smtp", &st), -1);
	memset(big, 'a', POP3_RESP_LINE_MAX + 9);
	memcpy(big, "+OK ", 4);
	big[POP3_RESP_LINE_MAX + 9] = '\0';
	assert_int_equal(parse(big, &st), -1);
	free(big);
}

static void
test_pop3_status_parse_codes(void **state)
{
	struct pop3_status st;

	assert_int_equal(parse("-ERR [IN-USE] mailbox locked", &st), 0);
	assert_string_equal(st.code, "IN-USE");
	assert_string_equal(st.text, "mailbox locked");
	assert_true(pop3_status_has_code(&st, "in-use"));
	assert_int_equal(parse("-ERR [SYS/TEMP] later", &st), 0);
	assert_true(pop3_status_has_code(&st, "SYS"));
	assert_true(pop3_status_has_code(&st, "SYS/TEMP"));
	assert_false(pop3_status_has_code(&st, "SY"));
	assert_int_equal(parse("-ERR [AUTH] bad", &st), 0);
	assert_true(pop3_status_has_code(&st, "AUTH"));
	assert_int_equal(parse("-ERR [LOGIN-DELAY] wait", &st), 0);
	assert_string_equal(st.code, "LOGIN-DELAY");
	/* malformed codes stay in the text */
	assert_int_equal(parse("-ERR [unterminated text", &st), 0);
	assert_string_equal(st.code, "");
	assert_string_equal(st.text, "[unterminated text");
	assert_int_equal(parse("-ERR [] empty", &st), 0);
	assert_string_equal(st.code, "");
}

/* ---- multi-line ---- */

struct sink {
	struct buf out;
};

static void
emit(const char *d, size_t len, void *ctx)
{
	struct sink *s = ctx;

	assert_int_equal(buf_append(&s->out, d, len), 0);
}

/* Feeds in pieces of `step` bytes; returns the bytes consumed at the end
 * and the payload in out. */
static size_t
feed_split(const char *in, size_t step, struct buf *out)
{
	struct pop3_ml ml;
	struct sink s;
	size_t off = 0, used, len = strlen(in), n;
	const char *error;
	int rc = 0;

	buf_init(&s.out, 1 << 20);
	pop3_ml_init(&ml, 0);
	while (off < len && rc == 0) {
		n = len - off < step ? len - off : step;
		rc = pop3_ml_feed(&ml, in + off, n, &used, emit, &s, &error);
		assert_true(rc >= 0);
		off += used;
	}
	assert_int_equal(rc, 1);
	buf_reset(out);
	buf_append(out, s.out.data, s.out.len);
	buf_free(&s.out);
	return off;
}

static void
check_all_splits(const char *in, const char *want, size_t want_used)
{
	struct buf out;
	size_t step;

	buf_init(&out, 1 << 20);
	for (step = 1; step <= strlen(in); step++) {
		assert_int_equal(feed_split(in, step, &out), want_used);
		assert_string_equal(buf_cstr(&out), want);
	}
	buf_free(&out);
}

static void
test_pop3_ml_feed_unstuff(void **state)
{
	const char *in = "line 1\r\n..dot\r\n.\rcr\r\n\r\n.x\r\n.\r\n+OK next";

	check_all_splits(in, "line 1\r\n.dot\r\n\rcr\r\n\r\nx\r\n",
			 strlen(in) - strlen("+OK next"));
}

static void
test_pop3_ml_feed_bare_lf(void **state)
{
	const char *in = "a\n..b\n\n.\n-ERR";

	check_all_splits(in, "a\n.b\n\n", strlen(in) - 4);
	check_all_splits(".\r\n", "", 3);
	check_all_splits(".\n", "", 2);
}

static void
test_pop3_ml_feed_limit(void **state)
{
	struct pop3_ml ml;
	struct sink s;
	const char *error = NULL, *in = "0123456789\r\n.\r\n";
	size_t used;

	buf_init(&s.out, 1024);
	pop3_ml_init(&ml, 8);
	assert_int_equal(pop3_ml_feed(&ml, in, strlen(in), &used, emit, &s,
				      &error), -1);
	assert_non_null(error);
	buf_free(&s.out);
}

static void
test_pop3_ml_line(void **state)
{
	const char *d;
	size_t n;

	assert_int_equal(pop3_ml_line(".", 1, &d, &n), 1);
	assert_int_equal(pop3_ml_line("..", 2, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(d, ".", 1);
	assert_int_equal(pop3_ml_line("abc", 3, &d, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pop3_ml_line("", 0, &d, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(pop3_ml_line(". ", 2, &d, &n), 0);
	assert_int_equal(n, 1);
}

/* ---- CAPA ---- */

static void
capa(struct pop3_capa *c, const char *line)
{
	pop3_capa_line(c, line, strlen(line));
}

static void
test_pop3_capa_line(void **state)
{
	struct pop3_capa c;

	pop3_capa_init(&c);
	capa(&c, "TOP");
	capa(&c, "uidl");
	capa(&c, "USER");
	capa(&c, "PIPELINING");
	capa(&c, "STLS");
	capa(&c, "RESP-CODES");
	capa(&c, "SASL CRAM-MD5 PLAIN");
	capa(&c, "LOGIN-DELAY 900");
	capa(&c, "IMPLEMENTATION whatever v1");
	assert_true(c.top && c.uidl && c.user && c.pipelining && c.stls &&
		    c.resp_codes && c.sasl_plain);
	assert_string_equal(c.sasl, "CRAM-MD5 PLAIN");
	assert_int_equal(c.login_delay, 900);
	pop3_capa_init(&c);
	capa(&c, "SASL PLAINX LOGIN");
	capa(&c, "TOPS");
	capa(&c, "LOGIN-DELAY abc");
	assert_false(c.sasl_plain);
	assert_false(c.top);
	assert_int_equal(c.login_delay, -1);
}

static void
test_pop3_capa_sasl_cap(void **state)
{
	struct pop3_capa c;
	char line[2048] = "SASL";
	size_t used = 4;
	int i;

	pop3_capa_init(&c);
	for (i = 0; i < 100; i++) {
		memcpy(line + used, " MECH-LONGNAME", 14);
		used += 14;
	}
	memcpy(line + used, " PLAIN", 7);
	capa(&c, line);
	assert_true(c.sasl_plain);
	assert_true(strlen(c.sasl) <= POP3_SASL_LIST_MAX);
}

/* ---- listings ---- */

static void
test_pop3_list_line(void **state)
{
	const char *e;
	uint32_t n;
	uint64_t size;

	assert_int_equal(pop3_list_line("1 320", 5, &n, &size, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(size, 320);
	assert_int_equal(pop3_list_line("7 12 extra", 10, &n, &size, &e), 0);
	assert_int_equal(pop3_list_line("0 12", 4, &n, &size, &e), -1);
	assert_int_equal(pop3_list_line("1", 1, &n, &size, &e), -1);
	assert_int_equal(pop3_list_line("1  2", 4, &n, &size, &e), -1);
	assert_int_equal(pop3_list_line("-1 2", 4, &n, &size, &e), -1);
	assert_int_equal(pop3_list_line("4294967296 2", 12, &n, &size, &e),
			 -1);
	assert_int_equal(pop3_list_line("1 99999999999999999999999", 25, &n,
					&size, &e), -1);
	assert_int_equal(pop3_stat_parse("3 1024", &n, &size, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pop3_stat_parse("0 0", &n, &size, &e), 0);
	assert_int_equal(pop3_stat_parse("x", &n, &size, &e), -1);
}

static int
uidl(const char *line, const char **uid, size_t *len)
{
	const char *e;
	uint32_t n;

	return pop3_uidl_line(line, strlen(line), &n, uid, len, &e);
}

static void
test_pop3_uidl_line(void **state)
{
	char seventy[80], seventy1[80];
	const char *u;
	size_t n;

	assert_int_equal(uidl("1 whqtswO00WBw418f9t5JxYwZ", &u, &n), 0);
	assert_int_equal(n, 24);
	assert_int_equal(uidl("2 abc  ", &u, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(uidl("2 ", &u, &n), -1);
	assert_int_equal(uidl("2 a b", &u, &n), -1);
	assert_int_equal(uidl("2 a\x01", &u, &n), -1);
	assert_int_equal(uidl("2 caf\xc3\xa9", &u, &n), -1);
	assert_int_equal(uidl("x abc", &u, &n), -1);
	memcpy(seventy, "1 ", 2);
	memset(seventy + 2, '!', 70);
	seventy[72] = '\0';
	assert_int_equal(uidl(seventy, &u, &n), 0);
	assert_int_equal(n, 70);
	memcpy(seventy1, seventy, 72);
	seventy1[72] = '~';
	seventy1[73] = '\0';
	assert_int_equal(uidl(seventy1, &u, &n), -1);
}

static void
test_pop3_apop_timestamp(void **state)
{
	char ts[POP3_APOP_TS_MAX + 1];

	assert_int_equal(pop3_apop_timestamp("POP3 ready <1896.697170952@"
					     "dbc.mtview.ca.us>", ts,
					     sizeof(ts)), 1);
	assert_string_equal(ts, "<1896.697170952@dbc.mtview.ca.us>");
	assert_int_equal(pop3_apop_timestamp("ready <no-at> <a@b>", ts,
					     sizeof(ts)), 1);
	assert_string_equal(ts, "<a@b>");
	assert_int_equal(pop3_apop_timestamp("ready", ts, sizeof(ts)), 0);
	assert_int_equal(pop3_apop_timestamp("<a @b>", ts, sizeof(ts)), 0);
	assert_int_equal(pop3_apop_timestamp("<a@b", ts, sizeof(ts)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pop3_status_parse_ok_err),
		cmocka_unit_test(test_pop3_status_parse_garbage),
		cmocka_unit_test(test_pop3_status_parse_codes),
		cmocka_unit_test(test_pop3_ml_feed_unstuff),
		cmocka_unit_test(test_pop3_ml_feed_bare_lf),
		cmocka_unit_test(test_pop3_ml_feed_limit),
		cmocka_unit_test(test_pop3_ml_line),
		cmocka_unit_test(test_pop3_capa_line),
		cmocka_unit_test(test_pop3_capa_sasl_cap),
		cmocka_unit_test(test_pop3_list_line),
		cmocka_unit_test(test_pop3_uidl_line),
		cmocka_unit_test(test_pop3_apop_timestamp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
