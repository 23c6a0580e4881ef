/* libFuzzer target for src/proto/imap/imap-resp.c: the input is fed as
 * server responses in pieces whose sizes come from the input; literals of
 * FETCH body items are skipped (as the client streams them), others are
 * collected; after an error the parser is reset and goes on. Every
 * VANISHED set also goes through imap_seqset_parse, and every atom is
 * quoted back (imap-quote.c) and must parse to the same value. Without FUZZING, corpus-runner.c
 * supplies main() and the seed corpus runs as a unit test. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap/imap-quote.h"
#include "proto/imap/imap-resp.h"
#include "proto/imap/imap-seqset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct imap_resp_limits limits = {
	.max_line = 4096, .max_literal = 8192, .max_depth = 8,
	.max_resp = 1 << 20,
};

static void
roundtrip(const char *s)
{
	struct imap_resp_parser *p;
	const struct imap_resp *r = NULL;
	const struct imap_literal *lit;
	const char *error;
	struct buf b;
	size_t used;

	buf_init(&b, 16384);
	(void)buf_append_str(&b, "* X ");
	if (imap_quote_astring(&b, s, strlen(s)) < 0) {
		buf_free(&b);
		return;
	}
	(void)buf_append_str(&b, "\r\n");
	p = imap_resp_parser_new(&limits);
	if (imap_resp_feed(p, b.data, b.len, &used, &r, &lit, &error) !=
	    IMAP_RESP_DONE || r->nargs != 1 ||
	    strcmp(imap_arg_string(&r->args[0]), s) != 0)
		abort();
	imap_resp_parser_free(&p);
	buf_free(&b);
}

static void
inspect(const struct imap_resp *r)
{
	struct imap_range *ranges;
	size_t n;
	const char *error;

	if (r->type == IMAP_RT_VANISHED &&
	    imap_seqset_parse(r->uidset, 0, 1000, &ranges, &n, &error) == 0) {
		(void)imap_seqset_count(ranges, n);
		free(ranges);
	}
	for (size_t i = 0; i < r->nargs; i++)
		if (r->args[i].type == IMAP_ARG_ATOM ||
		    r->args[i].type == IMAP_ARG_QUOTED)
			roundtrip(r->args[i].str);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_resp_parser *p = imap_resp_parser_new(&limits);
	const struct imap_resp *r;
	const struct imap_literal *lit;
	const char *error;
	size_t off = 0, used, step = size > 0 ? data[0] % 13 + 1 : 1;
	uint64_t skip = 0;

	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		int rc;

		if (skip > 0) {
			n = n < skip ? n : (size_t)skip;
			skip -= n;
			off += n;
			continue;
		}
		rc = imap_resp_feed(p, data + off, n, &used, &r, &lit, &error);
		off += used;
		if (rc == IMAP_RESP_ERROR) {
			imap_resp_parser_reset(p);
			off += used == 0 ? 1 : 0;
		} else if (rc == IMAP_RESP_DONE) {
			inspect(r);
		} else if (rc == IMAP_RESP_LITERAL &&
			   (lit->too_big || lit->item != NULL)) {
			skip = lit->size;
			imap_resp_literal_skip(p);
		}
	}
	imap_resp_parser_free(&p);
	return 0;
}
