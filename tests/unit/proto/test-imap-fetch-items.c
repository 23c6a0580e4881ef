/* tests for src/proto/imap/imap-fetch-items.c: item names, macros,
 * sections, partials, the echoed names, FETCH modifiers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/buf.h"
#include "proto/imap/imap-fetch-items.h"

static struct imap_cmd cmd;

static int
parse(const char *s, struct imap_fetch_args *r, const char **error_r)
{
	imap_cmd_clear(&cmd);
	if (imap_cmd_parse(s, strlen(s), &cmd) != 0) {
		*error_r = cmd.error;
		return -2;	/* the command itself is bad */
	}
	return imap_fetch_parse(&cmd, r, error_r);
}

/* The echoed names joined with '|', then seen/header/body flags. */
static char *
render(const struct imap_fetch_items *it)
{
	struct buf b;

	buf_init(&b, 1 << 16);
	for (size_t i = 0; i < it->count; i++)
		buf_printf(&b, "%s%s", i > 0 ? "|" : "", it->items[i].name);
	buf_printf(&b, " %c%c%c", it->sets_seen ? 'S' : '-',
		   it->need_header ? 'H' : '-', it->need_body ? 'B' : '-');
	return buf_steal(&b);
}

static const struct {
	const char *in, *out;
} valid[] = {
	{ "1 FLAGS", "FLAGS ---" },
	{ "1 (flags uid)", "FLAGS|UID ---" },
	{ "1 ALL", "FLAGS|INTERNALDATE|RFC822.SIZE|ENVELOPE -H-" },
	{ "1 fast", "FLAGS|INTERNALDATE|RFC822.SIZE ---" },
	{ "1 FULL", "FLAGS|INTERNALDATE|RFC822.SIZE|ENVELOPE|BODY -HB" },
	{ "1 (RFC822)", "RFC822 SHB" },
	{ "1 (RFC822.HEADER)", "RFC822.HEADER -H-" },
	{ "1 (RFC822.TEXT)", "RFC822.TEXT SHB" },
	{ "1 (BODYSTRUCTURE MODSEQ)", "BODYSTRUCTURE|MODSEQ -HB" },
	{ "1 BODY[]", "BODY[] SHB" },
	{ "1 body.peek[]", "BODY[] -HB" },
	{ "1 BODY.PEEK[HEADER]", "BODY[HEADER] -H-" },
	{ "1 BODY[header.fields (From To)]",
	  "BODY[HEADER.FIELDS (From To)] SH-" },
	{ "1 BODY.PEEK[HEADER.FIELDS.NOT (\"X-Spam\" Received)]<0.100>",
	  "BODY[HEADER.FIELDS.NOT (X-Spam Received)]<0> -H-" },
	{ "1 BODY[TEXT]<10.5>", "BODY[TEXT]<10> SHB" },
	{ "1 BODY[1]", "BODY[1] SHB" },
	{ "1 BODY[1.2.3.MIME]", "BODY[1.2.3.MIME] SHB" },
	{ "1 BODY[2.HEADER]", "BODY[2.HEADER] SHB" },
	{ "1 BODY[2.text]", "BODY[2.TEXT] SHB" },
	{ "1 BODY[4.2.HEADER.FIELDS (a)]", "BODY[4.2.HEADER.FIELDS (a)] SHB" },
	{ "1 BINARY[1]", "BINARY[1] SHB" },
	{ "1 BINARY.PEEK[]<0.1>", "BINARY[]<0> -HB" },
	{ "1 BINARY.SIZE[2.1]", "BINARY.SIZE[2.1] -HB" },
	{ "1 (UID BODY[] BODY[])", "UID|BODY[]|BODY[] SHB" },
	{ "1 BODY[HEADER.FIELDS (\"a b\")]",
	  "BODY[HEADER.FIELDS (\"a b\")] SH-" },
};

static void
test_imap_fetch_items_valid(void **state)
{
	struct imap_fetch_args f;
	const char *error;

	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(*valid); i++) {
		char line[512];
		char *out;

		snprintf(line, sizeof(line), "a FETCH %s", valid[i].in);
		if (parse(line, &f, &error) != 0)
			fail_msg("row %zu: %s", i, error);
		out = render(&f.items);
		if (strcmp(out, valid[i].out) != 0)
			fail_msg("row %zu: got %s", i, out);
		free(out);
	}
	imap_cmd_clear(&cmd);
}

static const char *const invalid[] = {
	"1", "1 FOO", "1 ()", "1 (ALL)", "1 (FLAGS FAST)", "1 \"FLAGS\"",
	"1 (\"FLAGS\")", "1 NIL", "1 (FLAGS (UID))", "x FLAGS", "0 FLAGS",
	"1 BODY[", "1 BODY[FOO]", "1 BODY[0]", "1 BODY[1.]", "1 BODY[.1]",
	"1 BODY[MIME]", "1 BODY[1.MIME.X]", "1 BODY[HEADER.FIELDS]",
	"1 BODY[HEADER.FIELDS ()]", "1 BODY[HEADER.FIELDS (a]",
	"1 BODY[HEADER.FIELDS (a b) ]", "1 BODY[HEADER.FIELDS  (a)]",
	"1 BODY[HEADER.FIELDS (a  b)]", "1 BODY[HEADER.FIELDS (a:b)]",
	"1 BODY[HEADER.FIELDS (\"\")]", "1 BODY[HEADERX]", "1 BODY[TEXT]x",
	"1 BODY[]<0>", "1 BODY[]<0.0>", "1 BODY[]<a.1>", "1 BODY[]<1.2",
	"1 BODY[]<1.2>x", "1 BODY[]<4294967296.1>", "1 BODY.PEEK",
	"1 BINARY[TEXT]", "1 BINARY.SIZE[1]<0.1>", "1 BINARY[1.MIME]",
	"1 BODY[4294967296]", "1 RFC822.FOO", "1 BODY[1]]",
	"1 FLAGS (CHANGEDSINCE)", "1 FLAGS (CHANGEDSINCE x)",
	"1 FLAGS (VANISHED)", "1 FLAGS (CHANGEDSINCE 1 VANISHED)",
	"1 FLAGS (FOO)", "1 FLAGS ()", "1 FLAGS (CHANGEDSINCE 1) x",
	"1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)",
};

static void
test_imap_fetch_items_invalid(void **state)
{
	struct imap_fetch_args f;
	const char *error;

	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(*invalid); i++) {
		char line[512];

		snprintf(line, sizeof(line), "a FETCH %s", invalid[i]);
		if (parse(line, &f, &error) >= 0)
			fail_msg("row %zu parsed", i);
	}
	imap_cmd_clear(&cmd);
}

static void
test_imap_fetch_items_details(void **state)
{
	struct imap_fetch_args f;
	const struct imap_fetch_item *it;
	const char *error;

	(void)state;
	assert_int_equal(parse("a FETCH 1:* (BODY.PEEK[1.2.HEADER.FIELDS "
			       "(From \"To\")]<5.10>)", &f, &error), 0);
	assert_string_equal(f.seqset, "1:*");
	it = &f.items.items[0];
	assert_int_equal(it->type, IMAP_FETCH_BODY_SECTION);
	assert_int_equal(it->nparts, 2);
	assert_int_equal(it->parts[0], 1);
	assert_int_equal(it->parts[1], 2);
	assert_int_equal(it->spec, IMAP_SECTION_HEADER_FIELDS);
	assert_int_equal(it->nfields, 2);
	assert_string_equal(it->fields[1], "To");
	assert_true(it->partial && it->origin == 5 && it->length == 10);
	assert_true(it->peek && !it->sets_seen);
	assert_false(f.modseq);
	/* UID FETCH adds UID; modifiers */
	assert_int_equal(parse("a UID FETCH 1:* FLAGS (CHANGEDSINCE 12345 "
			       "VANISHED)", &f, &error), 0);
	assert_int_equal(f.items.count, 2);
	assert_int_equal(f.items.items[1].type, IMAP_FETCH_UID);
	assert_string_equal(f.items.items[1].name, "UID");
	assert_true(f.changedsince_set && f.changedsince == 12345);
	assert_true(f.vanished && f.modseq);
	assert_int_equal(parse("a UID FETCH 1 (UID FLAGS)", &f, &error), 0);
	assert_int_equal(f.items.count, 2);
	assert_int_equal(parse("a FETCH 1 (MODSEQ)", &f, &error), 0);
	assert_true(f.modseq);
	assert_int_equal(parse("a UID FETCH 1 ALL", &f, &error), 0);
	assert_int_equal(f.items.count, 5);
	imap_cmd_clear(&cmd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_fetch_items_valid),
		cmocka_unit_test(test_imap_fetch_items_invalid),
		cmocka_unit_test(test_imap_fetch_items_details),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
