/* tests for src/proto/imap: imap-search.c (every search key, groups,
 * CHARSET, RETURN, errors) and imap-search-eval.c (bind, three-valued
 * evaluation, substring matching). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "proto/imap/imap-args.h"
#include "proto/imap/imap-search.h"

static void
render_key(struct buf *b, const struct imap_search_key *k)
{
	static const char *const ops = "<=>";
	const struct imap_search_key *c;

	switch (k->type) {
	case IMAP_SK_ALL:
		buf_append_str(b, "ALL");
		break;
	case IMAP_SK_AND:
		buf_append_c(b, '(');
		for (c = k->children; c != NULL; c = c->next) {
			render_key(b, c);
			if (c->next != NULL)
				buf_append_c(b, ' ');
		}
		buf_append_c(b, ')');
		break;
	case IMAP_SK_OR:
	case IMAP_SK_NOT:
		buf_append_str(b, k->type == IMAP_SK_OR ? "OR(" : "NOT(");
		for (c = k->children; c != NULL; c = c->next) {
			render_key(b, c);
			if (c->next != NULL)
				buf_append_c(b, ',');
		}
		buf_append_c(b, ')');
		break;
	case IMAP_SK_SEQSET:
		buf_printf(b, "SEQ:%s", k->set);
		break;
	case IMAP_SK_UID:
		buf_printf(b, "UID:%s", k->set);
		break;
	case IMAP_SK_FLAG:
		buf_printf(b, "%c%s", k->is_set ? '+' : '-',
			   imap_flag_name(k->flag));
		break;
	case IMAP_SK_KEYWORD:
		buf_printf(b, "%ckw:%s", k->is_set ? '+' : '-', k->str);
		break;
	case IMAP_SK_DATE:
		buf_printf(b, "%s%c%lld",
			   k->date_field == IMAP_SK_DATE_SENT ? "SENT" : "DATE",
			   ops[k->op], (long long)k->date);
		break;
	case IMAP_SK_SIZE:
		buf_printf(b, "SIZE%c%llu", ops[k->op],
			   (unsigned long long)k->number);
		break;
	case IMAP_SK_HEADER:
		buf_printf(b, "H(%s,%s)", k->str, k->value);
		break;
	case IMAP_SK_BODY:
		buf_printf(b, "B(%s)", k->value);
		break;
	case IMAP_SK_TEXT:
		buf_printf(b, "T(%s)", k->value);
		break;
	case IMAP_SK_MODSEQ:
		buf_printf(b, "MODSEQ(%llu,%s,%d)",
			   (unsigned long long)k->number,
			   k->entry != NULL ? k->entry : "-", k->entry_type);
		break;
	}
}

static struct imap_cmd cmd;

static int
parse(const char *s, struct imap_search *r, const char **error_r)
{
	imap_cmd_clear(&cmd);
	if (imap_cmd_parse(s, strlen(s), &cmd) != 0)
		fail_msg("%s: %s", s, cmd.error);
	return imap_search_parse(&cmd, cmd.args, cmd.nargs, r, error_r);
}

static const struct {
	const char *in, *out;
	bool header, body;
} valid[] = {
	{ "ALL", "(ALL)", false, false },
	{ "answered deleted DRAFT flagged recent seen",
	  "(+\\Answered +\\Deleted +\\Draft +\\Flagged +\\Recent +\\Seen)",
	  false, false },
	{ "UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN OLD",
	  "(-\\Answered -\\Deleted -\\Draft -\\Flagged -\\Seen -\\Recent)",
	  false, false },
	{ "NEW", "((+\\Recent -\\Seen))", false, false },
	{ "1:3,5 * 4:*", "(SEQ:1:3,5 SEQ:* SEQ:4:*)", false, false },
	{ "UID 1:*", "(UID:1:*)", false, false },
	{ "FROM joe TO \"a b\" CC c BCC d SUBJECT {3}\r\nx y",
	  "(H(FROM,joe) H(TO,a b) H(CC,c) H(BCC,d) H(SUBJECT,x y))",
	  true, false },
	{ "HEADER x-spam yes HEADER Received \"\"",
	  "(H(X-SPAM,yes) H(RECEIVED,))", true, false },
	{ "BODY hello", "(B(hello))", false, true },
	{ "TEXT hello", "(T(hello))", true, true },
	{ "KEYWORD $Junk UNKEYWORD foo", "(+kw:$Junk -kw:foo)", false, false },
	{ "BEFORE 1-Feb-2024 ON \"01-Feb-2024\" SINCE 1-feb-2024",
	  "(DATE<1706745600 DATE=1706745600 DATE>1706745600)", false, false },
	{ "SENTBEFORE 1-Feb-2024 SENTON 1-Feb-2024 SENTSINCE 1-Feb-2024",
	  "(SENT<1706745600 SENT=1706745600 SENT>1706745600)", true, false },
	{ "LARGER 100 SMALLER 18446744073709551615",
	  "(SIZE>100 SIZE<18446744073709551615)", false, false },
	{ "NOT SEEN", "(NOT(+\\Seen))", false, false },
	{ "NOT NOT 1", "(NOT(NOT(SEQ:1)))", false, false },
	{ "OR SEEN FLAGGED", "(OR(+\\Seen,+\\Flagged))", false, false },
	{ "OR (SEEN FLAGGED) NOT (DRAFT)",
	  "(OR((+\\Seen +\\Flagged),NOT((+\\Draft))))", false, false },
	{ "OR OR 1 2 3", "(OR(OR(SEQ:1,SEQ:2),SEQ:3))", false, false },
	{ "((ALL)) ALL", "(((ALL)) ALL)", false, false },
	{ "MODSEQ 0", "(MODSEQ(0,-,0))", false, false },
	{ "MODSEQ \"/flags/\\\\draft\" all 620162338",
	  "(MODSEQ(620162338,/flags/\\draft,0))", false, false },
	{ "MODSEQ \"/flags/$x\" priv 1 MODSEQ \"/flags/y\" shared 2",
	  "(MODSEQ(1,/flags/$x,1) MODSEQ(2,/flags/y,2))", false, false },
	{ "CHARSET utf-8 SUBJECT \"\xc3\xa4\"", "(H(SUBJECT,\xc3\xa4))",
	  true, false },
	{ "CHARSET US-ASCII ALL", "(ALL)", false, false },
	{ "RETURN (MIN MAX) ALL", "(ALL)", false, false },
	{ "RETURN () CHARSET UTF-8 SEEN", "(+\\Seen)", false, false },
};

static void
test_imap_search_parse_valid(void **state)
{
	struct imap_search s;
	const char *error;
	struct buf b;

	(void)state;
	buf_init(&b, 1 << 16);
	for (size_t i = 0; i < sizeof(valid) / sizeof(*valid); i++) {
		char line[512];

		snprintf(line, sizeof(line), "a SEARCH %s", valid[i].in);
		if (parse(line, &s, &error) != 0)
			fail_msg("row %zu: %s", i, error);
		buf_reset(&b);
		render_key(&b, s.root);
		if (strcmp(buf_cstr(&b), valid[i].out) != 0)
			fail_msg("row %zu: got %s", i, buf_cstr(&b));
		if (s.need_header != valid[i].header ||
		    s.need_body != valid[i].body)
			fail_msg("row %zu: needs %d %d", i, s.need_header,
				 s.need_body);
	}
	buf_free(&b);
	imap_cmd_clear(&cmd);
}

static const char *const invalid[] = {
	"", "FOO", "SEEN FOO", "()", "NOT", "OR SEEN", "UID", "UID x",
	"UID 0", "0", "1:0", "1,", "FROM", "HEADER x", "BODY (x)",
	"KEYWORD", "KEYWORD \\Seen", "KEYWORD \"x\"", "KEYWORD a]",
	"BEFORE", "BEFORE 30-Feb-2024", "ON 2024-02-01",
	"SINCE {10}\r\n1-Feb-2024",
	"LARGER", "LARGER -1", "SMALLER x", "LARGER 18446744073709551616",
	"MODSEQ", "MODSEQ x", "MODSEQ \"/flags/x\" 5",
	"MODSEQ \"/flags/x\" bogus 5", "MODSEQ \"/other/x\" all 5",
	"RETURN", "RETURN (FOO) ALL", "RETURN ALL", "RETURN ()",
	"CHARSET", "CHARSET (x) ALL", "CHARSET UTF-8", "NIL",
	"RETURN (MIN) CHARSET UTF-8 RETURN (MAX) ALL",
};

static void
test_imap_search_parse_invalid(void **state)
{
	struct imap_search s;
	const char *error;

	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++) {
		char line[512];

		snprintf(line, sizeof(line), "a SEARCH %s", invalid[i]);
		if (parse(line, &s, &error) != -1)
			fail_msg("row %zu parsed", i);
		assert_non_null(error);
	}
	assert_int_equal(parse("a SEARCH CHARSET ISO-8859-1 ALL", &s, &error),
			 IMAP_SEARCH_BADCHARSET);
	assert_int_equal(parse("a SEARCH RETURN () CHARSET KOI8-R ALL", &s,
			       &error), IMAP_SEARCH_BADCHARSET);
	imap_cmd_clear(&cmd);
}

static void
test_imap_search_parse_options(void **state)
{
	struct imap_search s;
	const char *error;
	struct buf b;

	(void)state;
	assert_int_equal(parse("a SEARCH RETURN (MIN MAX ALL COUNT) ALL", &s,
			       &error), 0);
	assert_true(s.esearch);
	assert_int_equal(s.ret, 0xf);
	assert_null(s.charset);
	assert_int_equal(parse("a SEARCH RETURN () ALL", &s, &error), 0);
	assert_int_equal(s.ret, IMAP_SEARCH_RET_ALL);
	assert_int_equal(parse("a SEARCH CHARSET utf-8 ALL", &s, &error), 0);
	assert_string_equal(s.charset, "UTF-8");
	assert_false(s.esearch || s.has_modseq);
	assert_int_equal(parse("a SEARCH MODSEQ 5", &s, &error), 0);
	assert_true(s.has_modseq);
	/* nesting is bounded */
	buf_init(&b, 1 << 16);
	buf_append_str(&b, "a SEARCH");
	for (int i = 0; i < 100; i++)
		buf_append_str(&b, " NOT");
	buf_append_str(&b, " ALL");
	assert_int_equal(parse(buf_cstr(&b), &s, &error), -1);
	assert_string_equal(error, "Search program nested too deeply");
	buf_reset(&b);
	buf_append_str(&b, "a SEARCH");
	for (int i = 0; i < 60; i++)
		buf_append_str(&b, " OR ALL");
	buf_append_str(&b, " ALL");
	assert_int_equal(parse(buf_cstr(&b), &s, &error), 0);
	buf_free(&b);
	imap_cmd_clear(&cmd);
}

struct content {
	int calls;
	int answer;
};

static int
content_fn(const struct imap_search_key *key, void *ctx)
{
	struct content *c = ctx;

	(void)key;
	c->calls++;
	return c->answer;
}

static int
eval(const char *program, const struct imap_search_msg *m,
     struct content *c)
{
	struct imap_search s;
	const char *error;
	char line[512];

	snprintf(line, sizeof(line), "a SEARCH %s", program);
	if (parse(line, &s, &error) != 0)
		fail_msg("%s: %s", program, error);
	assert_int_equal(imap_search_bind(&cmd, &s, 10, 500, &error), 0);
	return imap_search_eval(&s, m, c != NULL ? content_fn : NULL, c);
}

static void
test_imap_search_eval(void **state)
{
	static const char *const kws[] = { "$Junk", "work" };
	struct imap_search_msg m = {
		.seq = 3, .uid = 300, .flags = IMAP_FLAG_SEEN |
		IMAP_FLAG_RECENT, .keywords = kws, .nkeywords = 2,
		.size = 1000, .internal_date = 1706778000, /* 01-Feb 09:00Z */
		.internal_tz = 0, .modseq = 77,
	};
	static const struct {
		const char *prog;
		int ret;
	} rows[] = {
		{ "ALL", 1 }, { "SEEN", 1 }, { "UNSEEN", 0 }, { "NEW", 0 },
		{ "RECENT", 1 }, { "OLD", 0 }, { "NOT DELETED", 1 },
		{ "3", 1 }, { "1:2,4:*", 0 }, { "*", 0 }, { "2:4", 1 },
		{ "UID 300", 1 }, { "UID 301:*", 0 }, { "UID *", 0 },
		{ "KEYWORD junk", 0 }, { "KEYWORD $junk", 1 },
		{ "UNKEYWORD work", 0 }, { "UNKEYWORD x", 1 },
		{ "LARGER 999", 1 }, { "LARGER 1000", 0 },
		{ "SMALLER 1000", 0 }, { "SMALLER 1001", 1 },
		{ "ON 1-Feb-2024", 1 }, { "SINCE 1-Feb-2024", 1 },
		{ "SINCE 2-Feb-2024", 0 }, { "BEFORE 1-Feb-2024", 0 },
		{ "BEFORE 2-Feb-2024", 1 }, { "MODSEQ 77", 1 },
		{ "MODSEQ 78", 0 }, { "OR UNSEEN 3", 1 }, { "OR 1 2", 0 },
		{ "(SEEN 3) NOT 4", 1 },
		/* content keys: unknown without a callback */
		{ "SUBJECT x", -1 }, { "NOT BODY x", -1 },
		{ "UNSEEN BODY x", 0 }, { "SEEN BODY x", -1 },
		{ "OR SEEN BODY x", 1 }, { "OR UNSEEN TEXT x", -1 },
		{ "SENTON 1-Feb-2024", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		if (eval(rows[i].prog, &m, NULL) != rows[i].ret)
			fail_msg("row %zu: %s", i, rows[i].prog);

	struct content c = { 0, 1 };

	assert_int_equal(eval("SUBJECT x NOT BODY y", &m, &c), 0);
	assert_int_equal(c.calls, 2);
	c.answer = 0;
	assert_int_equal(eval("OR TEXT x HEADER a b", &m, &c), 0);
	assert_int_equal(eval("NOT TEXT x", &m, &c), 1);
	/* the internal date's day is taken in internal_tz */
	m.internal_tz = -600;	/* 31-Jan 23:00 there */
	assert_int_equal(eval("ON 31-Jan-2024", &m, NULL), 1);
	m.sent_known = true;
	m.sent_date = 1706778000;
	m.sent_tz = 900;	/* 02-Feb 00:00 there */
	assert_int_equal(eval("SENTON 2-Feb-2024", &m, NULL), 1);
	assert_int_equal(eval("SENTBEFORE 2-Feb-2024", &m, NULL), 0);
	/* '*' is the last message / UID */
	m.seq = 10;
	m.uid = 500;
	assert_int_equal(eval("*", &m, NULL), 1);
	assert_int_equal(eval("UID 600:*", &m, NULL), 1);
	imap_cmd_clear(&cmd);
}

static void
test_imap_search_helpers(void **state)
{
	static const struct {
		const char *hay, *needle;
		int ret;
	} rows[] = {
		{ "Hello World", "world", 1 }, { "Hello World", "WORLDS", 0 },
		{ "abc", "", 1 }, { "", "a", 0 }, { "aaab", "aab", 1 },
		{ "x\xc3\xa4y", "\xc3\xa4", 1 },
		{ "x\xc3\x84y", "\xc3\xa4", 0 },
		{ "short", "longer needle", 0 }, { "ABC", "abc", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		if (imap_search_substr(rows[i].hay, strlen(rows[i].hay),
				       rows[i].needle,
				       strlen(rows[i].needle)) != rows[i].ret)
			fail_msg("row %zu", i);
	assert_true(imap_search_day(86399, 0) == 0);
	assert_true(imap_search_day(86400, 0) == 86400);
	assert_true(imap_search_day(0, -1) == -86400);
	assert_true(imap_search_day(-1, 0) == -86400);
	assert_true(imap_search_day(82800, 60) == 86400);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_search_parse_valid),
		cmocka_unit_test(test_imap_search_parse_invalid),
		cmocka_unit_test(test_imap_search_parse_options),
		cmocka_unit_test(test_imap_search_eval),
		cmocka_unit_test(test_imap_search_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
