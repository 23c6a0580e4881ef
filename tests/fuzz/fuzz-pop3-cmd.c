/* libFuzzer target for src/proto/pop3/pop3-cmd.c: every line of the
 * input is parsed as a POP3 command; whatever is accepted must hold the
 * parser's promises (arguments NUL-terminated inside the copy, numbers in
 * range). Without FUZZING, corpus-runner.c supplies main(). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pop3/pop3-cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const struct pop3_cmd *cmd, const char *p)
{
	if (p != NULL && (p < cmd->line ||
			  p > cmd->line + sizeof(cmd->line) - 1 ||
			  strlen(p) > POP3_CMD_LINE_MAX))
		abort();
}

static void
one_line(const char *p, size_t len)
{
	struct pop3_cmd cmd;
	const char *error = NULL;

	if (pop3_cmd_parse(p, len, &cmd, &error) < 0) {
		if (error == NULL)
			abort();
		return;
	}
	inside(&cmd, cmd.arg);
	inside(&cmd, cmd.arg2);
	if ((cmd.verb == POP3_CMD_RETR || cmd.verb == POP3_CMD_DELE ||
	     cmd.verb == POP3_CMD_TOP) && cmd.msg == 0)
		abort();
	(void)pop3_verb_name(cmd.verb);
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
