/* tests for src/proto/imap: imap-resp.c, imap-resp-data.c (every response
 * kind, fed whole and split at every position), imap-seqset.c and
 * imap-quote.c (formatting that parses back). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/imap/imap-quote.h"
#include "proto/imap/imap-resp.h"
#include "proto/imap/imap-seqset.h"

typedef void check_fn(const struct imap_resp *r, unsigned int n);

static const struct imap_resp_limits limits = {
	.max_line = 1024, .max_literal = 4096, .max_depth = 4,
	.max_resp = 64 * 1024,
};

struct run {
	struct imap_resp_parser *p;
	bool skip_bodies;	/* skip literals of FETCH body items */
	unsigned int nresp;
	const char *error;
	uint64_t skipped;	/* literal bytes consumed by "the caller" */
	uint64_t skip_left;
	struct imap_literal last_lit;
	check_fn *check;
};

static bool
is_body(const struct imap_literal *lit)
{
	return lit->item != NULL && strncmp(lit->item, "BODY[]", 6) == 0;
}

/* Feeds data[0..len) in pieces of `step` bytes. false on error. */
static bool
feed_pieces(struct run *run, const char *data, size_t len, size_t step)
{
	size_t off = 0;

	while (off < len) {
		size_t n = len - off < step ? len - off : step, used = 0;
		const struct imap_resp *r;
		const struct imap_literal *lit;
		int rc;

		if (run->skip_left > 0) {
			if (n > run->skip_left)
				n = (size_t)run->skip_left;
			run->skip_left -= n;
			run->skipped += n;
			off += n;
			continue;
		}
		rc = imap_resp_feed(run->p, data + off, n, &used, &r, &lit,
				    &run->error);
		off += used;
		if (rc == IMAP_RESP_ERROR)
			return false;
		if (rc == IMAP_RESP_DONE && run->check != NULL)
			run->check(r, run->nresp);
		if (rc == IMAP_RESP_DONE)
			run->nresp++;
		if (rc == IMAP_RESP_LITERAL) {
			run->last_lit = *lit;
			run->last_lit.item = NULL;
			if (run->skip_bodies && is_body(lit)) {
				run->skip_left = lit->size;
				imap_resp_literal_skip(run->p);
			}
		}
	}
	return true;
}

/* Runs the input whole and split at every step size 1..len; returns the
 * number of responses (the same for every split, checked). */
static unsigned int
run_all(const char *input, check_fn *check, bool skip_bodies)
{
	size_t len = strlen(input);
	unsigned int expect = 0;

	for (size_t step = len; step >= 1; step--) {
		struct run run = { .check = check, .skip_bodies = skip_bodies };

		run.p = imap_resp_parser_new(&limits);
		if (!feed_pieces(&run, input, len, step))
			fail_msg("step %zu: %s", step, run.error);
		if (step == len)
			expect = run.nresp;
		assert_int_equal(run.nresp, expect);
		imap_resp_parser_free(&run.p);
	}
	return expect;
}

/* Expects an error whatever the split; returns the message. */
static const char *
run_error(const char *input, size_t len)
{
	const char *error = NULL;

	for (size_t step = len; step >= 1; step--) {
		struct run run = { 0 };

		run.p = imap_resp_parser_new(&limits);
		if (feed_pieces(&run, input, len, step))
			fail_msg("no error for step %zu: %s", step, input);
		error = run.error;
		imap_resp_parser_free(&run.p);
	}
	return error;
}

/* ---- status responses ---- */

static void
check_tagged(const struct imap_resp *r, unsigned int n)
{
	assert_int_equal(r->kind, IMAP_RESP_TAGGED);
	assert_string_equal(r->tag, n == 0 ? "A1" : "a.2");
	assert_int_equal(r->type, IMAP_RT_STATUS);
	if (n == 0) {
		assert_int_equal(r->status, IMAP_ST_OK);
		assert_int_equal(r->code.type, IMAP_CODE_APPENDUID);
		assert_int_equal(r->code.n1, 38505);
		assert_int_equal(r->code.n2, 3955);
		assert_string_equal(r->text, "APPEND completed");
	} else {
		assert_int_equal(r->status, IMAP_ST_NO);
		assert_int_equal(r->code.type, IMAP_CODE_NONE);
		assert_string_equal(r->text, "no (such) \"thing\" {5}");
	}
}

static void
test_imap_resp_tagged(void **state)
{
	assert_int_equal(run_all("A1 OK [APPENDUID 38505 3955] APPEND "
				 "completed\r\na.2 NO no (such) \"thing\" {5}\n",
				 check_tagged, false), 2);
}

static void
check_codes(const struct imap_resp *r, unsigned int n)
{
	static const enum imap_code_type want[] = {
		IMAP_CODE_UIDVALIDITY, IMAP_CODE_UIDNEXT,
		IMAP_CODE_HIGHESTMODSEQ, IMAP_CODE_NOMODSEQ,
		IMAP_CODE_CAPABILITY, IMAP_CODE_ALERT, IMAP_CODE_CLOSED,
		IMAP_CODE_PERMANENTFLAGS, IMAP_CODE_OTHER,
	};

	assert_int_equal(r->kind, IMAP_RESP_UNTAGGED);
	assert_int_equal(r->status, IMAP_ST_OK);
	assert_int_equal(r->code.type, want[n]);
	if (n == 0)
		assert_int_equal(r->code.n1, 3857529045u);
	if (n == 2)
		assert_true(r->code.n1 == 90060115205545359ull);
	if (n == 4)
		assert_string_equal(r->code.text, "IMAP4rev1 IDLE");
	if (n == 8)
		assert_string_equal(r->code.name, "X-FOO");
}

static void
test_imap_resp_codes(void **state)
{
	assert_int_equal(run_all(
		"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
		"* OK [UIDNEXT 4392] Predicted next UID\r\n"
		"* OK [HIGHESTMODSEQ 90060115205545359] Highest\r\n"
		"* OK [NOMODSEQ] Sorry\r\n"
		"* ok [capability IMAP4rev1 IDLE] hi\r\n"
		"* OK [ALERT] disk full\r\n"
		"* OK [CLOSED] previous mailbox closed\r\n"
		"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"
		"* OK [X-FOO bar baz]\r\n", check_codes, false), 9);
}

static void
check_misc(const struct imap_resp *r, unsigned int n)
{
	switch (n) {
	case 0:
		assert_int_equal(r->status, IMAP_ST_PREAUTH);
		break;
	case 1:
		assert_int_equal(r->status, IMAP_ST_BYE);
		assert_string_equal(r->text, "Autologout; idle for too long");
		break;
	case 2:
		assert_int_equal(r->kind, IMAP_RESP_CONTINUE);
		assert_string_equal(r->text, "idling");
		break;
	case 3:
		assert_int_equal(r->kind, IMAP_RESP_CONTINUE);
		assert_string_equal(r->text, "");
		break;
	case 4:
		assert_int_equal(r->type, IMAP_RT_CAPABILITY);
		assert_int_equal(r->nargs, 3);
		assert_true(imap_arg_atom_is(&r->args[2], "auth=plain"));
		break;
	case 5:
		assert_int_equal(r->type, IMAP_RT_ENABLED);
		assert_true(imap_arg_atom_is(&r->args[0], "QRESYNC"));
		break;
	case 6:
		assert_int_equal(r->type, IMAP_RT_SEARCH);
		assert_int_equal(r->nargs, 3);
		break;
	case 7:
		assert_int_equal(r->type, IMAP_RT_EXISTS);
		assert_int_equal(r->number, 23);
		break;
	case 8:
		assert_int_equal(r->type, IMAP_RT_EXPUNGE);
		assert_int_equal(r->number, 4294967295u);
		break;
	case 9:
		assert_int_equal(r->type, IMAP_RT_FLAGS);
		assert_int_equal(r->args[0].count, 2);
		break;
	default:
		assert_int_equal(r->type, IMAP_RT_OTHER);
		assert_string_equal(r->name, "XYZZY");
	}
}

static void
test_imap_resp_misc(void **state)
{
	assert_int_equal(run_all(
		"* PREAUTH [CAPABILITY IMAP4rev1] logged in\r\n"
		"* BYE Autologout; idle for too long\r\n"
		"+ idling\r\n+\r\n"
		"* CAPABILITY IMAP4rev1 IDLE AUTH=PLAIN\r\n"
		"* ENABLED QRESYNC\r\n* SEARCH 2 84 882\r\n* 23 EXISTS\r\n"
		"* 4294967295 EXPUNGE\r\n* FLAGS (\\Seen $Junk)\r\n"
		"* XYZZY 1 (2 \"3\") NIL\r\n", check_misc, false), 11);
}

/* ---- FETCH ---- */

static void
check_fetch(const struct imap_resp *r, unsigned int n)
{
	const struct imap_fetch *f = &r->fetch;

	assert_int_equal(r->type, IMAP_RT_FETCH);
	assert_int_equal(r->number, 12);
	assert_true(f->has_uid);
	assert_int_equal(f->uid, 4827313);
	assert_true(f->has_flags);
	assert_int_equal(f->nflags, 2);
	assert_string_equal(f->flags[0].str, "\\Seen");
	assert_true(f->has_size);
	assert_int_equal(f->size, 44827);
	assert_string_equal(f->internaldate, "17-Jul-1996 02:44:25 -0700");
	assert_true(f->has_modseq);
	assert_int_equal(f->modseq, 12121231000ull);
	assert_int_equal(f->header_len, 24);
	assert_memory_equal(f->header, "Message-ID: <a@b>\r\n\r\n\0x)", 24);
	assert_false(f->has_body);
}

static void
test_imap_resp_fetch(void **state)
{
	static const char in[] =
		"* 12 FETCH (UID 4827313 FLAGS (\\Seen $Work) RFC822.SIZE "
		"44827 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
		"MODSEQ (12121231000) BODY[HEADER.FIELDS (MESSAGE-ID)] {24}\r\n"
		"Message-ID: <a@b>\r\n\r\n\0x)"
		")\r\n";
	struct run run = { .check = check_fetch };

	/* the literal holds a NUL: feed by length */
	for (size_t step = sizeof(in) - 1; step >= 1; step--) {
		run.p = imap_resp_parser_new(&limits);
		run.nresp = 0;
		if (!feed_pieces(&run, in, sizeof(in) - 1, step))
			fail_msg("step %zu: %s", step, run.error);
		assert_int_equal(run.nresp, 1);
		imap_resp_parser_free(&run.p);
	}
}

static void
check_body(const struct imap_resp *r, unsigned int n)
{
	assert_int_equal(r->type, IMAP_RT_FETCH);
	assert_true(r->fetch.has_body);
	assert_null(r->fetch.body);
	assert_int_equal(r->fetch.body_size, 13);
	assert_int_equal(r->fetch.uid, 7);
	assert_int_equal(r->fetch.size, 3);
}

static void
test_imap_resp_fetch_body_streamed(void **state)
{
	static const char in[] = "* 2 FETCH (UID 7 RFC822.SIZE 3 "
		"BODY[] {13}\r\nhello)\r\n{x}\r\n)\r\n";
	size_t len = sizeof(in) - 1;

	for (size_t step = len; step >= 1; step--) {
		struct run run = { .check = check_body, .skip_bodies = true };

		run.p = imap_resp_parser_new(&limits);
		if (!feed_pieces(&run, in, len, step))
			fail_msg("step %zu: %s", step, run.error);
		assert_int_equal(run.nresp, 1);
		assert_int_equal(run.skipped, 13);
		assert_int_equal(run.last_lit.fetch_seq, 2);
		assert_int_equal(run.last_lit.fetch_uid, 7);
		imap_resp_parser_free(&run.p);
	}
}

static void
test_imap_resp_literal_info(void **state)
{
	struct imap_resp_parser *p = imap_resp_parser_new(&limits);
	const struct imap_resp *r;
	const struct imap_literal *lit;
	const char *error;
	size_t used;
	static const char in[] = "* 5 FETCH (BINARY[] ~{100000}\r\n";

	assert_int_equal(imap_resp_feed(p, in, strlen(in), &used, &r, &lit,
					&error), IMAP_RESP_LITERAL);
	assert_int_equal(used, strlen(in));
	assert_true(lit->literal8);
	assert_true(lit->too_big);
	assert_string_equal(lit->item, "BINARY[]");
	assert_int_equal(lit->fetch_uid, 0);
	/* too big to collect: feeding without skip is an error */
	assert_int_equal(imap_resp_feed(p, "x", 1, &used, &r, &lit, &error),
			 IMAP_RESP_ERROR);
	imap_resp_parser_reset(p);
	assert_int_equal(imap_resp_feed(p, "* 1 EXISTS\r\n", 12, &used, &r,
					&lit, &error), IMAP_RESP_DONE);
	imap_resp_parser_free(&p);
	imap_resp_parser_free(&p);
}

/* ---- LIST, VANISHED, STATUS ---- */

static void
check_list(const struct imap_resp *r, unsigned int n)
{
	assert_int_equal(r->type, IMAP_RT_LIST);
	if (n == 0) {
		assert_int_equal(r->list.nattrs, 2);
		assert_true(imap_arg_atom_is(&r->list.attrs[1], "\\Sent"));
		assert_int_equal(r->list.delim, '/');
		assert_string_equal(r->list.name, "Sent Items");
	} else if (n == 1) {
		assert_int_equal(r->list.delim, 0);
		assert_string_equal(r->list.name, "INBOX");
	} else if (n == 2) {
		assert_int_equal(r->list.delim, '.');
		assert_string_equal(r->list.name, "a \"b\"");
	} else {
		assert_string_equal(r->list.name, "&ZeVnLIqe-");
	}
}

static void
test_imap_resp_list(void **state)
{
	assert_int_equal(run_all(
		"* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n"
		"* LIST () NIL INBOX\r\n"
		"* LIST (\\Noselect) \".\" {5}\r\na \"b\"\r\n"
		"* LIST () \"\\\\\" &ZeVnLIqe-\r\n", check_list, false), 4);
}

static void
check_vanished(const struct imap_resp *r, unsigned int n)
{
	assert_int_equal(r->type, IMAP_RT_VANISHED);
	assert_int_equal(r->earlier, n == 0);
	assert_string_equal(r->uidset, n == 0 ? "41,43:116,118" : "405");
}

static void
test_imap_resp_vanished(void **state)
{
	assert_int_equal(run_all("* VANISHED (EARLIER) 41,43:116,118\r\n"
				 "* VANISHED 405\r\n", check_vanished, false),
			 2);
}

static void
check_quoted(const struct imap_resp *r, unsigned int n)
{
	assert_int_equal(r->type, IMAP_RT_STATUS_DATA);
	assert_string_equal(r->args[0].str, "a\"b\\c");
	assert_int_equal(r->args[1].count, 4);
}

static void
test_imap_resp_quoted(void **state)
{
	assert_int_equal(run_all("* STATUS \"a\\\"b\\\\c\" (MESSAGES 2 "
				 "UIDNEXT 44)\r\n", check_quoted, false), 1);
}

/* ---- errors ---- */

static void
test_imap_resp_errors(void **state)
{
	static const char *const bad[] = {
		"* 4294967296 EXISTS\r\n",
		"* OK [UIDVALIDITY 99999999999999999999999] x\r\n",
		"* OK [UIDVALIDITY x] x\r\n",
		"* OK [ALERT x\r\n",
		"* 1 FETCH (BODY[] {99999999999999999999999}\r\n",
		"* 1 FETCH (BODY[] {5} x\r\n",
		"* LIST (((((x)))))\r\n",
		"* LIST (a))\r\n",
		"* LIST (a\r\n",
		"* X \"abc\r\n",
		"* X \"a\\bc\"\r\n",
		"* 1 FETCH (UID 4294967296)\r\n",
		"* 1 FETCH (UID)\r\n",
		"* 0 EXPUNGE\r\n",
		"* VANISHED\r\n",
		"A1 FOO bar\r\n",
		"A(1 OK x\r\n",
		"*\r\n",
		"A1 BYE x\r\n",
		"* X BODY[abc\r\n",
		"* LIST () 1 x\r\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(run_error(bad[i], strlen(bad[i])));
	assert_non_null(run_error("* X a\0b\r\n", 9));
}

static void
test_imap_resp_limits(void **state)
{
	char *line = malloc(2100);
	struct imap_resp_parser *p = imap_resp_parser_new(&limits);
	const struct imap_resp *r;
	const struct imap_literal *lit;
	const char *error;
	size_t used;

	memset(line, 'a', 2100);
	memcpy(line, "* X ", 4);
	assert_int_equal(imap_resp_feed(p, line, 2100, &used, &r, &lit,
					&error), IMAP_RESP_ERROR);
	assert_string_equal(error, "line too long");
	imap_resp_parser_free(&p);
	free(line);
	/* a literal over max_literal cannot be collected */
	assert_non_null(run_error("* X {5000}\r\nabc", 15));
}

static void
test_imap_resp_garbage(void **state)
{
	unsigned char junk[512];
	struct imap_resp_parser *p = imap_resp_parser_new(&limits);
	const struct imap_resp *r;
	const struct imap_literal *lit;
	const char *error;
	uint32_t x = 12345;

	for (int round = 0; round < 200; round++) {
		size_t off = 0, used;

		for (size_t i = 0; i < sizeof(junk); i++) {
			x = x * 1103515245 + 12345;
			junk[i] = (unsigned char)(x >> 16);
			if (junk[i] % 7 == 0)
				junk[i] = "\r\n (){}\"*+0~["[junk[i] % 14];
		}
		while (off < sizeof(junk)) {
			int rc = imap_resp_feed(p, junk + off,
						sizeof(junk) - off, &used, &r,
						&lit, &error);
			off += used;
			if (rc == IMAP_RESP_ERROR)
				imap_resp_parser_reset(p);
			else if (rc == IMAP_RESP_LITERAL && lit->too_big)
				imap_resp_literal_skip(p);
			else if (rc == IMAP_RESP_MORE)
				break;
		}
	}
	imap_resp_parser_free(&p);
}

/* ---- sequence sets and quoting ---- */

static void
test_imap_seqset(void **state)
{
	uint32_t uids[] = { 9, 1, 2, 3, 5, 8, 3, 4294967295u };
	struct imap_range *r;
	size_t n;
	const char *error;
	struct buf b;

	buf_init(&b, 100);
	assert_int_equal(imap_seqset_format(uids, 8, &b), 0);
	assert_string_equal(buf_cstr(&b), "1:3,5,8:9,4294967295");
	assert_int_equal(imap_seqset_parse(buf_cstr(&b), 0, 10, &r, &n,
					   &error), 0);
	assert_int_equal(n, 4);
	assert_int_equal(imap_seqset_count(r, n), 7);
	assert_true(imap_seqset_contains(r, n, 9));
	assert_false(imap_seqset_contains(r, n, 4));
	free(r);
	assert_int_equal(imap_seqset_parse("5:*", 3, 10, &r, &n, &error), 0);
	assert_int_equal(r[0].lo, 3);
	assert_int_equal(r[0].hi, 5);
	free(r);
	assert_int_equal(imap_seqset_parse("1:*", 0, 10, &r, &n, &error), -1);
	assert_int_equal(imap_seqset_parse("4294967296", 0, 10, &r, &n,
					   &error), -1);
	assert_int_equal(imap_seqset_parse("0", 0, 10, &r, &n, &error), -1);
	assert_int_equal(imap_seqset_parse("1,", 0, 10, &r, &n, &error), -1);
	assert_int_equal(imap_seqset_parse("1,2,3", 0, 2, &r, &n, &error), -1);
	uids[0] = 0;
	buf_reset(&b);
	assert_int_equal(imap_seqset_format(uids, 1, &b), -1);
	buf_free(&b);
}

static void
check_roundtrip(const struct imap_resp *r, unsigned int n)
{
	static const char *const want[] = {
		"INBOX", "a b", "q\"x\\y", "", "NIL", "line\r\nbreak",
	};

	assert_int_equal(r->nargs, 1);
	assert_string_equal(imap_arg_string(&r->args[0]), want[n]);
}

static void
test_imap_quote(void **state)
{
	static const char *const in[] = {
		"INBOX", "a b", "q\"x\\y", "", "NIL", "line\r\nbreak",
	};
	struct buf b;

	buf_init(&b, 4096);
	for (size_t i = 0; i < 6; i++) {
		size_t len = strlen(in[i]);

		(void)buf_append_str(&b, "* X ");
		if (imap_quote_astring(&b, in[i], len) < 0) {
			assert_int_equal(imap_quote_kind(in[i], len),
					 IMAP_QUOTE_LITERAL);
			assert_int_equal(imap_quote_literal_prefix(&b, len,
								   false), 0);
			(void)buf_append(&b, in[i], len);
		}
		(void)buf_append_str(&b, "\r\n");
	}
	assert_int_equal(run_all(buf_cstr(&b), check_roundtrip, false), 6);
	assert_int_equal(imap_quote_kind("a\xc3\xa9", 3), IMAP_QUOTE_LITERAL);
	assert_int_equal(imap_quote_kind("a]", 2), IMAP_QUOTE_QUOTED);
	assert_int_equal(imap_quote_kind("a[", 2), IMAP_QUOTE_QUOTED);
	assert_int_equal(imap_quote_string(&b, "a\n", 2), -1);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_resp_tagged),
		cmocka_unit_test(test_imap_resp_codes),
		cmocka_unit_test(test_imap_resp_misc),
		cmocka_unit_test(test_imap_resp_fetch),
		cmocka_unit_test(test_imap_resp_fetch_body_streamed),
		cmocka_unit_test(test_imap_resp_literal_info),
		cmocka_unit_test(test_imap_resp_list),
		cmocka_unit_test(test_imap_resp_vanished),
		cmocka_unit_test(test_imap_resp_quoted),
		cmocka_unit_test(test_imap_resp_errors),
		cmocka_unit_test(test_imap_resp_limits),
		cmocka_unit_test(test_imap_resp_garbage),
		cmocka_unit_test(test_imap_seqset),
		cmocka_unit_test(test_imap_quote),
	};

	return cmocka_run_group_tests_name("proto-imap-resp", tests, NULL,
					   NULL);
}
