/* libFuzzer target for the server-side IMAP grammar (src/proto/imap:
 * imap-cmd.c, imap-args*.c, imap-search*.c, imap-fetch-items.c,
 * imap-date.c). The input is one command in wire form. It is parsed
 * whole and as a prefix, with tight limits and default ones; the
 * arguments then go through the parser the command name asks for (and
 * SEARCH/FETCH/STORE always, whatever the name), a SEARCH program is bound
 * and evaluated, and every quoted or atom argument is quoted back
 * (imap-quote.c) and must parse to the same value. Without FUZZING,
 * corpus-runner.c supplies main() and the seed corpus runs as a unit
 * test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap/imap-args.h"
#include "proto/imap/imap-cmd.h"
#include "proto/imap/imap-fetch-items.h"
#include "proto/imap/imap-quote.h"
#include "proto/imap/imap-search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const struct imap_cmd_arg *arg)
{
	struct imap_cmd cmd = { 0 };
	struct buf b;

	if (arg->type != IMAP_CARG_QUOTED && (arg->type != IMAP_CARG_ATOM ||
					      arg->bracket))
		return;
	buf_init(&b, 4096);
	(void)buf_append_str(&b, "t X ");
	if (imap_quote_astring(&b, arg->str, arg->len) == 0) {
		if (imap_cmd_parse(b.data, b.len, &cmd) != 0 ||
		    cmd.nargs != 1 || cmd.args[0].len != arg->len ||
		    memcmp(cmd.args[0].str, arg->str, arg->len) != 0)
			abort();
	}
	imap_cmd_clear(&cmd);
	buf_free(&b);
}

static int
content(const struct imap_search_key *key, void *ctx)
{
	(void)ctx;
	if (key->value == NULL)
		return 0;
	return imap_search_substr("Subject: hello World", 20, key->value,
				  strlen(key->value));
}

static void
search(struct imap_cmd *cmd)
{
	static const char *const kw[] = { "$Junk" };
	struct imap_search_msg m = {
		.seq = 2, .uid = 7, .flags = IMAP_FLAG_SEEN, .keywords = kw,
		.nkeywords = 1, .size = 100, .internal_date = 1706778000,
		.modseq = 5,
	};
	struct imap_search s;
	const char *error;

	if (imap_search_parse(cmd, cmd->args, cmd->nargs, &s, &error) != 0 ||
	    imap_search_bind(cmd, &s, 3, 9, &error) != 0)
		return;
	(void)imap_search_eval(&s, &m, NULL, NULL);
	if (imap_search_eval(&s, &m, content, NULL) < 0)
		abort();
}

static void
by_name(struct imap_cmd *cmd)
{
	union {
		struct imap_store_args store;
		struct imap_fetch_args fetch;
		struct imap_select_args select;
		struct imap_list_args list;
	} u;
	const char *const *v1, *const *v2;
	const char *s1, *s2, *error;
	unsigned int items;
	size_t n;

	(void)imap_store_parse(cmd, &u.store, &error);
	(void)imap_fetch_parse(cmd, &u.fetch, &error);
	search(cmd);
	if (strcmp(cmd->name, "SELECT") == 0)
		(void)imap_select_parse(cmd, &u.select, &error);
	else if (strcmp(cmd->name, "LIST") == 0 ||
		 strcmp(cmd->name, "LSUB") == 0)
		(void)imap_list_parse(cmd, &u.list, &error);
	else if (strcmp(cmd->name, "STATUS") == 0)
		(void)imap_status_parse(cmd, &s1, &items, &error);
	else if (strcmp(cmd->name, "ENABLE") == 0)
		(void)imap_enable_parse(cmd, &v1, &n, &error);
	else if (strcmp(cmd->name, "ID") == 0)
		(void)imap_id_parse(cmd, &v1, &v2, &n, &error);
	else if (strcmp(cmd->name, "AUTHENTICATE") == 0)
		(void)imap_authenticate_parse(cmd, &s1, &s2, &error);
	else if (strcmp(cmd->name, "LOGIN") == 0)
		(void)imap_login_parse(cmd, &s1, &s2, &error);
}

static void
prefix(const char *buf, size_t len, const struct imap_cmd_limits *lim)
{
	struct imap_cmd cmd = { .limits = lim };
	struct imap_append_msg msg;
	const char *mbox, *error;

	if (imap_cmd_parse_prefix(buf, len, &cmd) == 1 &&
	    imap_append_parse_prefix(&cmd, &mbox, &msg, &error) == 0) {
		/* the rest of the input's first line as the next one */
		const char *nl = memchr(buf, '\n', len);
		size_t rest = nl == NULL ? 0 : len - (size_t)(nl + 1 - buf);

		(void)imap_append_parse_next(&cmd, nl == NULL ? "" : nl + 1,
					     rest, &msg, &error);
	}
	imap_cmd_clear(&cmd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct imap_cmd_limits tight = {
		.max_depth = 3, .max_args = 20,
	};
	const char *buf = (const char *)data;
	struct imap_cmd cmd = { 0 };
	uint64_t lit;
	bool nonsync;

	(void)imap_line_literal(buf, size, &lit, &nonsync);
	if (imap_cmd_parse(buf, size, &cmd) == 0) {
		by_name(&cmd);
		for (size_t i = 0; i < cmd.nargs; i++)
			roundtrip(&cmd.args[i]);
	} else if (cmd.error == NULL) {
		abort();
	}
	imap_cmd_clear(&cmd);
	cmd.limits = &tight;
	(void)imap_cmd_parse(buf, size, &cmd);
	imap_cmd_clear(&cmd);
	prefix(buf, size, NULL);
	prefix(buf, size, &tight);
	return 0;
}
