/* libFuzzer target for src/proto/pop3/pop3-resp.c: the first line is a
 * status line, the rest a multi-line body fed in pieces whose sizes come
 * from the input; every body line also goes through the CAPA, LIST, UIDL
 * and APOP parsers. Without FUZZING, corpus-runner.c
 * supplies main() and the seed corpus runs as a unit test. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pop3/pop3-resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sink(const char *data, size_t len, void *ctx)
{
	size_t *total = ctx;

	*total += len;
}

static void
each_line(const char *p, size_t len)
{
	struct pop3_capa capa;
	char ts[POP3_APOP_TS_MAX + 1], *copy;
	const char *d, *uid, *error;
	size_t n, uid_len;
	uint32_t msgno;
	uint64_t sz;

	pop3_capa_init(&capa);
	pop3_capa_line(&capa, p, len);
	(void)pop3_list_line(p, len, &msgno, &sz, &error);
	(void)pop3_uidl_line(p, len, &msgno, &uid, &uid_len, &error);
	(void)pop3_ml_line(p, len, &d, &n);
	copy = malloc(len + 1);
	memcpy(copy, p, len);
	copy[len] = '\0';
	(void)pop3_apop_timestamp(copy, ts, sizeof(ts));
	(void)pop3_stat_parse(copy, &msgno, &sz, &error);
	free(copy);
}

static void
status_line(const char *p, size_t len)
{
	struct pop3_status st;
	const char *error;

	if (pop3_status_parse(p, len, &st, &error) == 0)
		(void)pop3_status_has_code(&st, "SYS");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *nl, *p;
	struct pop3_ml ml;
	size_t off, used, step, total = 0;
	const char *error;
	int rc = 0;

	nl = memchr(in, '\n', size);
	off = nl != NULL ? (size_t)(nl - in) + 1 : size;
	status_line(in, nl != NULL ? (size_t)(nl - in) : size);
	pop3_ml_init(&ml, 1 << 20);
	step = size > 0 ? (size_t)data[0] % 7 + 1 : 1;
	while (off < size && rc == 0) {
		rc = pop3_ml_feed(&ml, in + off, size - off < step ?
				  size - off : step, &used, sink, &total,
				  &error);
		off += used;
	}
	for (p = in; p < in + size; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(in + size - p));
		if (nl == NULL) {
			each_line(p, (size_t)(in + size - p));
			break;
		}
		each_line(p, (size_t)(nl - p));
	}
	return 0;
}
