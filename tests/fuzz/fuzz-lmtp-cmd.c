/* libFuzzer target for src/proto/lmtp/lmtp-cmd.c: every line of the
 * input is parsed as an LMTP command, and also taken as a DATA line and
 * as an RCPT address. Without FUZZING, corpus-runner.c supplies main(). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/lmtp/lmtp-cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
one_line(const char *p, size_t len)
{
	struct lmtp_cmd cmd;
	const char *error = NULL, *d;
	char user[64];
	size_t n;

	if (lmtp_cmd_parse(p, len, &cmd, &error) < 0) {
		if (error == NULL || strlen(error) < 10)
			abort();
	} else if (cmd.addr != NULL) {
		if (strlen(cmd.addr) > LMTP_PATH_MAX)
			abort();
		if (lmtp_rcpt_user(cmd.addr, user, sizeof(user)) == 0 &&
		    strlen(user) >= sizeof(user))
			abort();
	}
	if (lmtp_data_line(p, len, &d, &n) == 0 && n > len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *p = in, *nl;

	while (p <= in + size) {
		nl = memchr(p, '\n', (size_t)(in + size - p));
		if (nl == NULL) {
			one_line(p, (size_t)(in + size - p));
			break;
		}
		one_line(p, (size_t)(nl - p));
		p = nl + 1;
	}
	return 0;
}
