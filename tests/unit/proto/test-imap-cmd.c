/* tests for src/proto/imap: imap-cmd.c (framing, the argument tree,
 * errors, limits, prefixes), imap-args*.c and imap-date.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "proto/imap/imap-args.h"
#include "proto/imap/imap-cmd.h"
#include "proto/imap/imap-date.h"

/* Renders args as text: atoms bare, quoted as "..", literals {n}.., NIL,
 * lists in (). */
static void
render_args(struct buf *b, const struct imap_cmd_arg *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_append_c(b, ' ');
		switch (a[i].type) {
		case IMAP_CARG_ATOM:
			buf_append_str(b, a[i].str);
			break;
		case IMAP_CARG_QUOTED:
			buf_printf(b, "\"%s\"", a[i].str);
			break;
		case IMAP_CARG_LITERAL:
			buf_printf(b, "{%zu}", a[i].len);
			buf_append(b, a[i].str, a[i].len);
			break;
		case IMAP_CARG_NIL:
			buf_append_str(b, "NIL");
			break;
		case IMAP_CARG_LIST:
			buf_append_c(b, '(');
			render_args(b, a[i].list, a[i].count);
			buf_append_c(b, ')');
			break;
		}
	}
}

static char *
render(const struct imap_cmd *cmd)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_printf(&b, "%s %s%s [", cmd->tag, cmd->uid ? "UID " : "",
		   cmd->name);
	render_args(&b, cmd->args, cmd->nargs);
	buf_append_c(&b, ']');
	return buf_steal(&b);
}

#define V(in, out) { in, sizeof(in) - 1, out, sizeof(out) - 1 }

static const struct {
	const char *in;
	size_t inlen;
	const char *out;
	size_t outlen;
} valid[] = {
	V("a1 NOOP", "a1 NOOP []"),
	V("a1 noop ", "a1 NOOP []"),
	V("x.y] capability", "x.y] CAPABILITY []"),
	V("a LOGIN user pass", "a LOGIN [user pass]"),
	V("a LOGIN \"us\\\"er\" \"p\\\\w\"", "a LOGIN [\"us\"er\" \"p\\w\"]"),
	V("a LOGIN {4}\r\nuser {4+}\r\np ss", "a LOGIN [{4}user {4}p ss]"),
	V("a LOGIN {0}\r\n \"\"", "a LOGIN [{0} \"\"]"),
	V("a SELECT nil", "a SELECT [NIL]"),
	V("a SELECT \"NIL\"", "a SELECT [\"NIL\"]"),
	V("a STORE 1:* +FLAGS (\\Seen $Junk)",
	  "a STORE [1:* +FLAGS (\\Seen $Junk)]"),
	V("a uid fetch 1:* (FLAGS)", "a UID FETCH [1:* (FLAGS)]"),
	V("a FETCH 1 BODY[HEADER.FIELDS (FROM TO)]<0.100>",
	  "a FETCH [1 BODY[HEADER.FIELDS (FROM TO)]<0.100>]"),
	V("a FETCH 1 (UID BODY.PEEK[HEADER.FIELDS.NOT (\"X-A\" b)] FLAGS)",
	  "a FETCH [1 (UID BODY.PEEK[HEADER.FIELDS.NOT (\"X-A\" b)] "
	  "FLAGS)]"),
	V("a FETCH 1 (BODY[])", "a FETCH [1 (BODY[])]"),
	V("a LIST \"\" *", "a LIST [\"\" *]"),
	V("a LIST \"\" %/[x]", "a LIST [\"\" %/[x]]"),
	V("a SEARCH (OR (SEEN) (((ALL))))", "a SEARCH [(OR (SEEN) (((ALL))))]"),
	V("a X ()", "a X [()]"),
	V("a X (() ())", "a X [(() ())]"),
	V("a X \"\xc3\xa4\"", "a X [\"\xc3\xa4\"]"),
	V("a APPEND b ~{3}\r\na\0b", "a APPEND [b {3}a\0b]"),
	V("a X ({1}\r\n) b)", "a X [({1}) b)]"),
	V("a X ~oe ~", "a X [~oe ~]"),
};

static void
test_imap_cmd_parse_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(*valid); i++) {
		struct imap_cmd cmd = { 0 };
		char *out;

		if (imap_cmd_parse(valid[i].in, valid[i].inlen, &cmd) != 0)
			fail_msg("row %zu: %s", i, cmd.error);
		out = render(&cmd);
		if (memcmp(out, valid[i].out, valid[i].outlen + 1) != 0)
			fail_msg("row %zu: got %s", i, out);
		free(out);
		imap_cmd_clear(&cmd);
	}
}

static const struct {
	const char *in, *tag, *error;
} invalid[] = {
	{ "", NULL, "Missing tag" },
	{ " NOOP", NULL, "Missing tag" },
	{ "a+b NOOP", NULL, "Invalid characters in tag" },
	{ "* NOOP", NULL, "Missing tag" },
	{ "a\"b NOOP", NULL, "Invalid characters in tag" },
	{ "a1", "a1", "Missing command" },
	{ "a1 ", "a1", "Missing command" },
	{ "a1 UID", "a1", "Missing command after UID" },
	{ "a1 NO(OP", "a1", "Invalid characters in command name" },
	{ "a1 LOGIN \"abc", "a1", "Unterminated quoted string" },
	{ "a1 LOGIN \"a\\bc\"", "a1", "Invalid escape in quoted string" },
	{ "a1 LOGIN \"a\rb\"", "a1", "Invalid characters in quoted string" },
	{ "a1 LOGIN a\x01", "a1", "Invalid characters in atom" },
	{ "a1 LOGIN a\xc3\xa4", "a1", "Invalid characters in atom" },
	{ "a1 LOGIN ab\"c\"", "a1", "Invalid characters in atom" },
	{ "a1 X a)", "a1", "Unexpected ')'" },
	{ "a1 X (a", "a1", "Missing ')'" },
	{ "a1 X (a))", "a1", "Unexpected ')'" },
	{ "a1 X a  b", "a1", "Unexpected space" },
	{ "a1 X  a", "a1", "Unexpected space" },
	{ "a1 X ( a)", "a1", "Invalid characters in atom" },
	{ "a1 X (a )", "a1", "Unexpected space" },
	{ "a1 X \"a\"b", "a1", "Missing space between arguments" },
	{ "a1 X (a)(b)", "a1", "Missing space between arguments" },
	{ "a1 X {3}\r\nab", "a1", "Literal size mismatch" },
	{ "a1 X {3}", "a1", "Missing CRLF after literal size" },
	{ "a1 X {3}ab", "a1", "Missing CRLF after literal size" },
	{ "a1 X {x}", "a1", "Invalid literal size" },
	{ "a1 X {}", "a1", "Invalid literal size" },
	{ "a1 X {-1}", "a1", "Invalid literal size" },
	{ "a1 X {99999999999999999999}", "a1", "Invalid literal size" },
	{ "a1 X ~{3", "a1", "Invalid literal size" },
	{ "a1 FETCH 1 BODY[HEADER", "a1", "Missing ']'" },
	{ "a1 FETCH 1 BODY[[]]", "a1", "Invalid characters in atom" },
	{ "a1 X (((((((((((((((((a)))))))))))))))))", "a1",
	  "Too deeply nested lists" },
};

static void
test_imap_cmd_parse_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++) {
		struct imap_cmd cmd = { 0 };

		if (imap_cmd_parse(invalid[i].in, strlen(invalid[i].in),
				   &cmd) != -1)
			fail_msg("row %zu parsed", i);
		if (invalid[i].tag == NULL)
			assert_null(cmd.tag);
		else
			assert_string_equal(cmd.tag, invalid[i].tag);
		if (strcmp(cmd.error, invalid[i].error) != 0)
			fail_msg("row %zu: %s", i, cmd.error);
		imap_cmd_clear(&cmd);
	}
}

static void
test_imap_cmd_parse_limits(void **state)
{
	struct imap_cmd_limits lim = { .max_depth = 2, .max_args = 3 };
	struct imap_cmd cmd = { .limits = &lim };
	const char *s;

	(void)state;
	s = "a X ((b))";
	assert_int_equal(imap_cmd_parse(s, strlen(s), &cmd), 0);
	s = "a X (((b)))";
	assert_int_equal(imap_cmd_parse(s, strlen(s), &cmd), -1);
	assert_string_equal(cmd.error, "Too deeply nested lists");
	assert_ptr_equal(cmd.limits, &lim);
	s = "a X a b c";
	assert_int_equal(imap_cmd_parse(s, strlen(s), &cmd), 0);
	s = "a X a (b) c";
	assert_int_equal(imap_cmd_parse(s, strlen(s), &cmd), -1);
	assert_string_equal(cmd.error, "Too many arguments");
	imap_cmd_clear(&cmd);
	imap_cmd_clear(NULL);
}

static void
test_imap_cmd_parse_big(void **state)
{
	struct imap_cmd cmd = { 0 };
	struct buf b;
	size_t n = 20000;

	(void)state;
	buf_init(&b, 1 << 24);
	buf_append_str(&b, "a X");
	for (size_t i = 0; i < n; i++)
		buf_append_str(&b, i % 2 ? " \"quoted string\"" : " atom");
	assert_int_equal(imap_cmd_parse(b.data, b.len, &cmd), 0);
	assert_int_equal(cmd.nargs, n);
	assert_string_equal(cmd.args[n - 1].str, "quoted string");
	buf_free(&b);
	imap_cmd_clear(&cmd);
}

static const struct {
	const char *line;
	int ret;
	uint64_t size;
	bool nonsync;
} literal_rows[] = {
	{ "a LOGIN {5}", 1, 5, false },
	{ "a LOGIN {5+}", 1, 5, true },
	{ "a APPEND x ~{12}", 1, 12, false },
	{ "a APPEND x (\\Seen) {0}", 1, 0, false },
	{ "a X ({18446744073709551615}", 1, UINT64_MAX, false },
	{ "{7}", 1, 7, false },
	{ "a X {18446744073709551616}", 0, 0, false },
	{ "a X {}", 0, 0, false },
	{ "a X {+}", 0, 0, false },
	{ "a X {5", 0, 0, false },
	{ "a X 5}", 0, 0, false },
	{ "a X ab{5}", 0, 0, false },
	{ "a X {5}x", 0, 0, false },
	{ "a X {5++}", 0, 0, false },
	{ "", 0, 0, false },
};

static void
test_imap_line_literal(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(literal_rows) / sizeof(*literal_rows);
	     i++) {
		uint64_t size = 99;
		bool nonsync = false;
		const char *l = literal_rows[i].line;

		if (imap_line_literal(l, strlen(l), &size, &nonsync) !=
		    literal_rows[i].ret)
			fail_msg("row %zu", i);
		if (literal_rows[i].ret == 1) {
			assert_true(size == literal_rows[i].size);
			assert_int_equal(nonsync, literal_rows[i].nonsync);
		}
	}
}

/* The server's framing loop in miniature: lines from a stream, literals
 * gathered after a line that ends in a marker, then one parse. */
static int
frame_and_parse(const char *stream, size_t len, struct imap_cmd *cmd,
		size_t *used_r)
{
	struct buf wire;
	size_t off = 0;
	int ret = -1;

	buf_init(&wire, 1 << 16);
	while (off < len) {
		const char *crlf = memmem(stream + off, len - off, "\r\n", 2);
		size_t ll;
		uint64_t size;
		bool nonsync;

		if (crlf == NULL)
			break;
		ll = (size_t)(crlf - (stream + off));
		buf_append(&wire, stream + off, ll);
		off += ll + 2;
		if (imap_line_literal(stream + off - ll - 2, ll, &size,
				      &nonsync) != 1) {
			ret = imap_cmd_parse(wire.data, wire.len, cmd);
			break;
		}
		if (size > len - off)
			break;
		buf_append(&wire, "\r\n", 2);
		buf_append(&wire, stream + off, (size_t)size);
		off += (size_t)size;
	}
	*used_r = off;
	buf_free(&wire);
	return ret;
}

static void
test_imap_cmd_framing(void **state)
{
	static const char stream[] =
		"a1 LOGIN {4}\r\nuser {6+}\r\np\r\nass\r\n"
		"a2 APPEND box (\\Seen) {3}\r\nx\ry\r\n"
		"a3 X ({2}\r\n{}) \"q\"\r\n";
	struct imap_cmd cmd = { 0 };
	size_t off = 0, used;
	char *out;

	(void)state;
	assert_int_equal(frame_and_parse(stream, sizeof(stream) - 1, &cmd,
					 &used), 0);
	assert_int_equal(cmd.nargs, 2);
	assert_int_equal(cmd.args[1].len, 6);
	assert_memory_equal(cmd.args[1].str, "p\r\nass", 6);
	off += used;
	assert_int_equal(frame_and_parse(stream + off, sizeof(stream) - 1 - off,
					 &cmd, &used), 0);
	assert_int_equal(cmd.nargs, 3);
	assert_string_equal(cmd.args[2].str, "x\ry");
	off += used;
	assert_int_equal(frame_and_parse(stream + off, sizeof(stream) - 1 - off,
					 &cmd, &used), 0);
	out = render(&cmd);
	assert_string_equal(out, "a3 X [({2}{}) \"q\"]");
	free(out);
	assert_int_equal(off + used, sizeof(stream) - 1);
	imap_cmd_clear(&cmd);
}

static void
test_imap_cmd_parse_prefix(void **state)
{
	struct imap_cmd cmd = { 0 };
	struct imap_append_msg msg;
	const char *s, *mbox, *error;

	(void)state;
	s = "A1 APPEND inbox (\\Seen kw) \"01-Feb-2024 10:00:00 +0100\" {310}";
	assert_int_equal(imap_cmd_parse_prefix(s, strlen(s), &cmd), 1);
	assert_int_equal(cmd.nargs, 3);
	assert_true(cmd.literal_size == 310 && !cmd.literal_nonsync);
	assert_int_equal(imap_append_parse_prefix(&cmd, &mbox, &msg, &error),
			 0);
	assert_string_equal(mbox, "INBOX");
	assert_int_equal(msg.flags.flags, IMAP_FLAG_SEEN);
	assert_int_equal(msg.flags.nkeywords, 1);
	assert_true(msg.have_date && msg.date == 1706778000 &&
		    msg.date_tz == 60);
	assert_true(msg.size == 310);
	/* MULTIAPPEND: another message, then the end */
	s = " (\\Draft) {7+}";
	assert_int_equal(imap_append_parse_next(&cmd, s, strlen(s), &msg,
						&error), 1);
	assert_true(msg.size == 7 && msg.nonsync && !msg.have_date);
	assert_int_equal(msg.flags.flags, IMAP_FLAG_DRAFT);
	assert_string_equal(mbox, "INBOX");	/* still in the arena */
	assert_int_equal(imap_append_parse_next(&cmd, "", 0, &msg, &error),
			 0);
	s = " {3}\r\nabc";
	assert_int_equal(imap_append_parse_next(&cmd, s, strlen(s), &msg,
						&error), -1);
	s = "x {3}";
	assert_int_equal(imap_append_parse_next(&cmd, s, strlen(s), &msg,
						&error), -1);
	s = " \"bad date\" {3}";
	assert_int_equal(imap_append_parse_next(&cmd, s, strlen(s), &msg,
						&error), -1);
	assert_string_equal(error, "Invalid date-time");
	/* the mailbox itself as a literal: nargs 0, read it inline */
	s = "A2 APPEND {5}";
	assert_int_equal(imap_cmd_parse_prefix(s, strlen(s), &cmd), 1);
	assert_int_equal(cmd.nargs, 0);
	assert_int_equal(imap_append_parse_prefix(&cmd, &mbox, &msg, &error),
			 -1);
	s = "A3 APPEND {5}\r\nboxes ~{9+}";
	assert_int_equal(imap_cmd_parse_prefix(s, strlen(s), &cmd), 1);
	assert_int_equal(imap_append_parse_prefix(&cmd, &mbox, &msg, &error),
			 0);
	assert_string_equal(mbox, "boxes");
	assert_true(msg.literal8 && msg.nonsync && msg.size == 9);
	/* no literal at the end: parsed whole */
	s = "A4 NOOP";
	assert_int_equal(imap_cmd_parse_prefix(s, strlen(s), &cmd), 0);
	s = "A5 X ({5}";
	assert_int_equal(imap_cmd_parse_prefix(s, strlen(s), &cmd), -1);
	assert_string_equal(cmd.tag, "A5");
	s = "A6 APPEND x (\\Recent) {5}";
	assert_int_equal(imap_cmd_parse_prefix(s, strlen(s), &cmd), 1);
	assert_int_equal(imap_append_parse_prefix(&cmd, &mbox, &msg, &error),
			 -1);
	imap_cmd_clear(&cmd);
}

static struct imap_cmd *
parse(const char *s)
{
	static struct imap_cmd cmd;

	imap_cmd_clear(&cmd);
	if (imap_cmd_parse(s, strlen(s), &cmd) != 0)
		fail_msg("%s: %s", s, cmd.error);
	return &cmd;
}

static void
test_imap_arg_helpers(void **state)
{
	struct imap_cmd *cmd;
	const char *s;
	uint32_t n32;
	uint64_t n64;

	(void)state;
	cmd = parse("a X 4294967295 4294967296 18446744073709551615 "
		    "18446744073709551616 0 -1 12a NIL \"q\" {2}\r\nlx "
		    "InBoX inbox/x (a) 1:*,5 1:0 BODY[x]");
	assert_int_equal(imap_arg_number(&cmd->args[0], &n32), 0);
	assert_true(n32 == UINT32_MAX);
	assert_int_equal(imap_arg_number(&cmd->args[1], &n32), -1);
	assert_int_equal(imap_arg_number64(&cmd->args[1], &n64), 0);
	assert_int_equal(imap_arg_number64(&cmd->args[2], &n64), 0);
	assert_true(n64 == UINT64_MAX);
	assert_int_equal(imap_arg_number64(&cmd->args[3], &n64), -1);
	assert_int_equal(imap_arg_nz_number(&cmd->args[4], &n32), -1);
	assert_int_equal(imap_arg_number(&cmd->args[4], &n32), 0);
	assert_int_equal(imap_arg_number(&cmd->args[5], &n32), -1);
	assert_int_equal(imap_arg_number(&cmd->args[6], &n32), -1);
	assert_int_equal(imap_arg_astring(&cmd->args[7], &s), 0);
	assert_string_equal(s, "NIL");
	assert_int_equal(imap_arg_nstring(&cmd->args[7], &s), 0);
	assert_null(s);
	assert_int_equal(imap_arg_nstring(&cmd->args[8], &s), 0);
	assert_string_equal(s, "q");
	assert_int_equal(imap_arg_atom(&cmd->args[8], &s), -1);
	assert_int_equal(imap_arg_quoted_string(&cmd->args[6], &s), -1);
	assert_int_equal(imap_arg_astring(NULL, &s), -1);
	assert_int_equal(imap_arg_mailbox(&cmd->args[10], &s), 0);
	assert_string_equal(s, "INBOX");
	assert_int_equal(imap_arg_mailbox(&cmd->args[11], &s), 0);
	assert_string_equal(s, "inbox/x");
	assert_int_equal(imap_arg_astring(&cmd->args[12], &s), -1);
	assert_int_equal(imap_arg_seqset(&cmd->args[13], &s), 0);
	assert_int_equal(imap_arg_seqset(&cmd->args[14], &s), -1);
	assert_int_equal(imap_arg_atom_eq(&cmd->args[11], "INBOX/X"), 1);
	imap_cmd_clear(cmd);
	/* a literal holding NUL is no astring */
	assert_int_equal(imap_cmd_parse("a X {2}\r\nl", 11, cmd), 0);
	assert_int_equal(imap_arg_astring(&cmd->args[0], &s), -1);
	assert_int_equal(imap_arg_quoted_string(&cmd->args[0], &s), -1);
	imap_cmd_clear(cmd);
	/* brackets only for FETCH */
	cmd = parse("a FETCH 1 BODY[]");
	assert_true(cmd->args[1].bracket);
	assert_int_equal(imap_arg_astring(&cmd->args[1], &s), -1);
	imap_cmd_clear(cmd);
}

static void
test_imap_args_store(void **state)
{
	static const struct {
		const char *s;
		int ret;
		enum imap_store_mode mode;
		bool silent;
	} actions[] = {
		{ "FLAGS", 0, IMAP_STORE_REPLACE, false },
		{ "+flags", 0, IMAP_STORE_ADD, false },
		{ "-FLAGS.SILENT", 0, IMAP_STORE_REMOVE, true },
		{ "FLAGS.silent", 0, IMAP_STORE_REPLACE, true },
		{ "*FLAGS", -1, 0, false },
		{ "FLAG", -1, 0, false },
		{ "+FLAGS.LOUD", -1, 0, false },
		{ "+-FLAGS", -1, 0, false },
	};
	struct imap_store_args st;
	struct imap_cmd *cmd;
	const char *error;

	(void)state;
	for (size_t i = 0; i < sizeof(actions) / sizeof(*actions); i++) {
		enum imap_store_mode mode = 9;
		bool silent = false;

		assert_int_equal(imap_parse_store_action(actions[i].s, &mode,
							 &silent),
				 actions[i].ret);
		if (actions[i].ret == 0) {
			assert_int_equal(mode, actions[i].mode);
			assert_int_equal(silent, actions[i].silent);
		}
	}
	cmd = parse("a STORE 1:3,7 (UNCHANGEDSINCE 12345) +FLAGS.SILENT "
		    "(\\Seen \\deleted $Junk $junk)");
	assert_int_equal(imap_store_parse(cmd, &st, &error), 0);
	assert_string_equal(st.seqset, "1:3,7");
	assert_true(st.unchangedsince_set && st.unchangedsince == 12345);
	assert_int_equal(st.mode, IMAP_STORE_ADD);
	assert_true(st.silent);
	assert_int_equal(st.flags.flags, IMAP_FLAG_SEEN | IMAP_FLAG_DELETED);
	assert_int_equal(st.flags.nkeywords, 1);
	assert_string_equal(st.flags.keywords[0], "$Junk");
	cmd = parse("a STORE * FLAGS \\Answered \\Flagged kw");
	assert_int_equal(imap_store_parse(cmd, &st, &error), 0);
	assert_int_equal(st.flags.flags,
			 IMAP_FLAG_ANSWERED | IMAP_FLAG_FLAGGED);
	cmd = parse("a STORE 1 FLAGS ()");
	assert_int_equal(imap_store_parse(cmd, &st, &error), 0);
	assert_int_equal(st.flags.flags, 0);
	static const char *const bad[] = {
		"a STORE 1 FLAGS (\\Recent)", "a STORE 1 FLAGS \\Foo",
		"a STORE 1 FLAGS (a]b)", "a STORE 1 FLAGS (\"x\")",
		"a STORE 1 FLAGS ((x))", "a STORE 0 FLAGS (x)",
		"a STORE 1 FLAGS", "a STORE 1 BOGUS (x)",
		"a STORE 1 (UNCHANGEDSINCE x) FLAGS (x)",
		"a STORE 1 (FOO 1) FLAGS (x)", "a STORE 1 FLAGS (x) (y)",
		"a STORE 1 FLAGS (*)", "a STORE 1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (imap_store_parse(parse(bad[i]), &st, &error) != -1)
			fail_msg("%s parsed", bad[i]);
	assert_int_equal(imap_flag_from_name("\\SEEN"), IMAP_FLAG_SEEN);
	assert_string_equal(imap_flag_name(IMAP_FLAG_DRAFT), "\\Draft");
	assert_null(imap_flag_name(3));
	imap_cmd_clear(cmd);
}

static void
test_imap_args_select(void **state)
{
	struct imap_select_args sel;
	const char *error;

	(void)state;
	assert_int_equal(imap_select_parse(parse("a SELECT inbox"), &sel,
					   &error), 0);
	assert_string_equal(sel.mailbox, "INBOX");
	assert_false(sel.condstore || sel.qresync);
	assert_int_equal(imap_select_parse(parse("a SELECT x (condstore)"),
					   &sel, &error), 0);
	assert_true(sel.condstore);
	assert_int_equal(imap_select_parse(parse(
		"a SELECT x (QRESYNC (67890007 20050715194045000 "
		"41,43:211,214:541 (1:10 11:20)))"), &sel, &error), 0);
	assert_true(sel.qresync && sel.uidvalidity == 67890007 &&
		    sel.modseq == 20050715194045000ULL);
	assert_string_equal(sel.known_uids, "41,43:211,214:541");
	assert_string_equal(sel.seq_match, "1:10");
	assert_string_equal(sel.uid_match, "11:20");
	assert_int_equal(imap_select_parse(parse(
		"a SELECT x (QRESYNC (1 2 (1 5)))"), &sel, &error), 0);
	assert_null(sel.known_uids);
	assert_string_equal(sel.uid_match, "5");
	assert_int_equal(imap_select_parse(parse(
		"a SELECT x (QRESYNC (1 2))"), &sel, &error), 0);
	static const char *const bad[] = {
		"a SELECT", "a SELECT x y", "a SELECT x ()",
		"a SELECT x (FOO)", "a SELECT x (QRESYNC)",
		"a SELECT x (QRESYNC (0 2))", "a SELECT x (QRESYNC (1 0))",
		"a SELECT x (QRESYNC (1))", "a SELECT x (QRESYNC (1 2 1:*))",
		"a SELECT x (QRESYNC (1 2 1 (1)))",
		"a SELECT x (QRESYNC (1 2 1 (1 2) 3))",
		"a SELECT x (QRESYNC (1 2 (1 2) (3 4)))",
		"a SELECT (x)",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (imap_select_parse(parse(bad[i]), &sel, &error) != -1)
			fail_msg("%s parsed", bad[i]);
}

static void
test_imap_args_status(void **state)
{
	const char *mbox, *error;
	unsigned int items;

	(void)state;
	assert_int_equal(imap_status_parse(parse(
		"a STATUS Inbox (MESSAGES recent UIDNEXT UIDVALIDITY UNSEEN "
		"HIGHESTMODSEQ SIZE)"), &mbox, &items, &error), 0);
	assert_string_equal(mbox, "INBOX");
	assert_int_equal(items, 0x7f);
	assert_int_equal(imap_status_parse(parse("a STATUS x (FOO)"), &mbox,
					   &items, &error), -1);
	assert_int_equal(imap_status_parse(parse("a STATUS x ()"), &mbox,
					   &items, &error), -1);
	assert_int_equal(imap_status_parse(parse("a STATUS x MESSAGES"),
					   &mbox, &items, &error), -1);
	assert_int_equal(imap_status_parse(parse("a STATUS x"), &mbox,
					   &items, &error), -1);
}

static void
test_imap_args_list(void **state)
{
	struct imap_list_args l;
	const char *error;

	(void)state;
	assert_int_equal(imap_list_parse(parse("a LIST \"\" *"), &l, &error),
			 0);
	assert_false(l.extended);
	assert_string_equal(l.reference, "");
	assert_int_equal(l.npatterns, 1);
	assert_string_equal(l.patterns[0], "*");
	assert_int_equal(imap_list_parse(parse(
		"a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"%\" INBOX/*) "
		"RETURN (CHILDREN special-use STATUS (MESSAGES UNSEEN))"),
		&l, &error), 0);
	assert_true(l.extended);
	assert_int_equal(l.select, IMAP_LIST_SEL_SUBSCRIBED |
			 IMAP_LIST_SEL_RECURSIVEMATCH);
	assert_int_equal(l.ret, IMAP_LIST_RET_CHILDREN |
			 IMAP_LIST_RET_SPECIAL_USE | IMAP_LIST_RET_STATUS);
	assert_int_equal(l.status_items,
			 IMAP_STATUS_MESSAGES | IMAP_STATUS_UNSEEN);
	assert_int_equal(l.npatterns, 2);
	assert_string_equal(l.patterns[1], "INBOX/*");
	assert_int_equal(imap_list_parse(parse(
		"a LIST () x y RETURN ()"), &l, &error), 0);
	assert_true(l.extended);
	assert_int_equal(imap_list_parse(parse("a LSUB \"\" %"), &l, &error),
			 0);
	static const char *const bad[] = {
		"a LIST", "a LIST x", "a LIST (FOO) x y",
		"a LIST (RECURSIVEMATCH) x y",
		"a LIST (RECURSIVEMATCH REMOTE) x y",
		"a LIST x y RETURN", "a LIST x y RETURN (FOO)",
		"a LIST x y RETURN (STATUS (BOGUS))", "a LIST x y z",
		"a LIST x ()", "a LSUB x (y)", "a LSUB (SUBSCRIBED) x y",
		"a LIST (x) y", "a LIST x y RETURN (CHILDREN) z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (imap_list_parse(parse(bad[i]), &l, &error) != -1)
			fail_msg("%s parsed", bad[i]);
}

static void
test_imap_args_session(void **state)
{
	const char *const *caps, *const *fields, *const *values;
	const char *mech, *ir, *user, *pass, *error;
	size_t n;

	(void)state;
	assert_int_equal(imap_enable_parse(parse("a ENABLE condstore "
						 "UTF8=ACCEPT"),
					   &caps, &n, &error), 0);
	assert_int_equal(n, 2);
	assert_string_equal(caps[0], "CONDSTORE");
	assert_string_equal(caps[1], "UTF8=ACCEPT");
	assert_int_equal(imap_enable_parse(parse("a ENABLE"), &caps, &n,
					   &error), -1);
	assert_int_equal(imap_enable_parse(parse("a ENABLE \"x\""), &caps,
					   &n, &error), -1);
	assert_int_equal(imap_id_parse(parse("a ID NIL"), &fields, &values,
				       &n, &error), 0);
	assert_int_equal(n, 0);
	assert_int_equal(imap_id_parse(parse("a ID (\"name\" \"x\" "
					     "\"version\" NIL)"),
				       &fields, &values, &n, &error), 0);
	assert_int_equal(n, 2);
	assert_string_equal(fields[1], "version");
	assert_null(values[1]);
	assert_int_equal(imap_id_parse(parse("a ID (\"name\")"), &fields,
				       &values, &n, &error), -1);
	assert_int_equal(imap_id_parse(parse("a ID (name \"x\")"), &fields,
				       &values, &n, &error), -1);
	assert_int_equal(imap_id_parse(parse("a ID"), &fields, &values, &n,
				       &error), -1);
	assert_int_equal(imap_authenticate_parse(parse("a AUTHENTICATE plain"),
						 &mech, &ir, &error), 0);
	assert_string_equal(mech, "PLAIN");
	assert_null(ir);
	assert_int_equal(imap_authenticate_parse(parse(
		"a AUTHENTICATE PLAIN AHVzZXIAcGFzcw=="), &mech, &ir, &error),
		0);
	assert_string_equal(ir, "AHVzZXIAcGFzcw==");
	assert_int_equal(imap_authenticate_parse(parse(
		"a AUTHENTICATE PLAIN \"x\""), &mech, &ir, &error), -1);
	assert_int_equal(imap_authenticate_parse(parse("a AUTHENTICATE"),
						 &mech, &ir, &error), -1);
	assert_int_equal(imap_login_parse(parse("a LOGIN u {2}\r\npw"),
					  &user, &pass, &error), 0);
	assert_string_equal(pass, "pw");
	assert_int_equal(imap_login_parse(parse("a LOGIN u"), &user, &pass,
					  &error), -1);
	imap_cmd_clear(parse("a NOOP"));
}

static void
test_imap_date(void **state)
{
	static const struct {
		const char *s;
		int ret;
		time_t t;
		int tz;
	} dt[] = {
		{ "01-Feb-2024 10:00:00 +0100", 0, 1706778000, 60 },
		{ " 1-Feb-2024 10:00:00 +0100", 0, 1706778000, 60 },
		{ "1-feb-2024 10:00:00 -0000", 0, 1706781600, 0 },
		{ "29-Feb-2024 23:59:59 -1130", 0, 1709292599, -690 },
		{ "29-Feb-2023 10:00:00 +0000", -1, 0, 0 },
		{ "31-Apr-2024 10:00:00 +0000", -1, 0, 0 },
		{ "01-Foo-2024 10:00:00 +0000", -1, 0, 0 },
		{ "01-Feb-2024 24:00:00 +0000", -1, 0, 0 },
		{ "01-Feb-2024 10:60:00 +0000", -1, 0, 0 },
		{ "01-Feb-2024 10:00:00 +0060", -1, 0, 0 },
		{ "01-Feb-2024 10:00:00 +2400", -1, 0, 0 },
		{ "01-Feb-2024 10:00:00 0100", -1, 0, 0 },
		{ "01-Feb-2024 10:00:00", -1, 0, 0 },
		{ "01-Feb-2024 10:00:00 +0100 ", -1, 0, 0 },
		{ "001-Feb-2024 10:00:00 +0100", -1, 0, 0 },
		{ "01-Feb-24 10:00:00 +0100", -1, 0, 0 },
		{ "", -1, 0, 0 },
	};
	time_t t;
	int tz;
	struct buf b;

	(void)state;
	for (size_t i = 0; i < sizeof(dt) / sizeof(*dt); i++) {
		if (imap_datetime_parse(dt[i].s, &t, &tz) != dt[i].ret)
			fail_msg("row %zu", i);
		if (dt[i].ret == 0 && (t != dt[i].t || tz != dt[i].tz))
			fail_msg("row %zu: %lld %d", i, (long long)t, tz);
	}
	assert_int_equal(imap_date_parse("1-Feb-2024", &t), 0);
	assert_true(t == 1706745600);
	assert_int_equal(imap_date_parse("01-FEB-2024", &t), 0);
	assert_int_equal(imap_date_parse("1-Feb-2024 ", &t), -1);
	assert_int_equal(imap_date_parse(" 1-Feb-2024", &t), -1);
	assert_int_equal(imap_date_parse("30-Feb-2024", &t), -1);
	assert_int_equal(imap_date_parse("1-Feb-24", &t), -1);
	assert_int_equal(imap_date_parse("1/Feb/2024", &t), -1);
	buf_init(&b, 64);
	assert_int_equal(imap_datetime_format(1706778000, 60, 1, &b), 0);
	assert_string_equal(buf_cstr(&b), "\"01-Feb-2024 10:00:00 +0100\"");
	buf_reset(&b);
	assert_int_equal(imap_datetime_format(1706778000, -330, 0, &b), 0);
	assert_string_equal(buf_cstr(&b), "01-Feb-2024 03:30:00 -0530");
	buf_free(&b);
	buf_init(&b, 10);
	assert_int_equal(imap_datetime_format(0, 0, 1, &b), -1);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_cmd_parse_valid),
		cmocka_unit_test(test_imap_cmd_parse_invalid),
		cmocka_unit_test(test_imap_cmd_parse_limits),
		cmocka_unit_test(test_imap_cmd_parse_big),
		cmocka_unit_test(test_imap_line_literal),
		cmocka_unit_test(test_imap_cmd_framing),
		cmocka_unit_test(test_imap_cmd_parse_prefix),
		cmocka_unit_test(test_imap_arg_helpers),
		cmocka_unit_test(test_imap_args_store),
		cmocka_unit_test(test_imap_args_select),
		cmocka_unit_test(test_imap_args_status),
		cmocka_unit_test(test_imap_args_list),
		cmocka_unit_test(test_imap_args_session),
		cmocka_unit_test(test_imap_date),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
