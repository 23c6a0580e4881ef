/* conflux deliver: a local delivery agent (like dovecot-lda). The message
 * comes on stdin; exit 0 means it is durable in the store. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

#define DELIVER_CHUNK (64 * 1024)

static const char deliver_usage[] =
	"usage: conflux deliver USER [--folder FOLDER]\n"
	"\n"
	"Reads one message from stdin and stores it in FOLDER (default\n"
	"INBOX; a folder that does not exist means INBOX). A leading mbox\n"
	"\"From \" envelope line is dropped. Exit status: 0 stored durably,\n"
	"65 the message can never be stored (empty, too large), 67 unknown\n"
	"user, 75 temporary failure (disk full, busy): try again later.\n";

static int
store_exit(int rc)
{
	switch (rc) {
	case STORE_OK: return EXIT_OK;
	case STORE_REJECT: return EXIT_DATAERR;
	case STORE_NOTFOUND: return EXIT_NOUSER;
	default: return EXIT_TEMPFAIL;
	}
}

/* Reads at most len bytes, retrying on EINTR; 0 at end of input. */
static ssize_t
read_input(char *data, size_t len)
{
	ssize_t n;

	do {
		n = read(STDIN_FILENO, data, len);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* Drops a leading "From " line: an mbox envelope, never a header. */
static size_t
skip_envelope(const char *data, size_t len, int *in_envelope)
{
	const char *nl;

	if (!*in_envelope)
		return 0;
	nl = memchr(data, '\n', len);
	if (nl == NULL)
		return len;
	*in_envelope = 0;
	return (size_t)(nl - data) + 1;
}

static int
copy_stdin(struct store_draft *d, const char **error_r)
{
	char *data = malloc(DELIVER_CHUNK);
	int first = 1, in_envelope = 0, rc = STORE_OK;
	ssize_t n;
	size_t skip;

	if (data == NULL)
		return STORE_TEMPFAIL;
	while ((n = read_input(data, DELIVER_CHUNK)) > 0) {
		if (first && n >= 5 && memcmp(data, "From ", 5) == 0)
			in_envelope = 1;
		first = 0;
		skip = skip_envelope(data, (size_t)n, &in_envelope);
		rc = store_draft_write(d, data + skip, (size_t)n - skip);
		if (rc != STORE_OK)
			break;
	}
	if (n < 0) {
		*error_r = strerror(errno);
		rc = STORE_TEMPFAIL;
	}
	free(data);
	return rc;
}

static const char *
choose_folder(struct cli_ctx *ctx, const char *user, const char *folder,
	      const char *session)
{
	struct store_folder f;

	if (folder == NULL || strcmp(folder, "INBOX") == 0)
		return "INBOX";
	if (store_folder_get(ctx->store, user, folder, &f) == STORE_OK) {
		store_folder_clear(&f);
		return folder;
	}
	slog_warn(session, "deliver: folder '%s' of %s does not exist, "
		  "delivering to INBOX", folder, user);
	return "INBOX";
}

static int
deliver(struct cli_ctx *ctx, const char *user, const char *folder,
	const char *session)
{
	struct store_batch *b = NULL;
	struct store_draft *d = NULL;
	const char *error = NULL;
	uint32_t uid = 0;
	int rc;

	rc = store_batch_begin(ctx->store, user, folder, &b);
	if (rc == STORE_OK)
		rc = store_draft_begin(b, 0, 0, NULL, &d);
	if (rc == STORE_OK)
		rc = copy_stdin(d, &error);
	if (rc == STORE_OK)
		rc = store_draft_finish(d);
	if (rc == STORE_OK)
		rc = store_batch_commit(&b, &uid);
	else
		store_batch_abort(&b);
	if (rc == STORE_OK) {
		slog_info(session, "deliver: %s/%s uid=%u stored", user,
			  folder, uid);
		return EXIT_OK;
	}
	if (error == NULL)
		error = store_error(ctx->store);
	/* stderr goes back to the MTA: one line there, the log elsewhere. */
	if (log_get_target() != LOG_TARGET_STDERR)
		slog_warn(session, "deliver: %s/%s not stored: %s", user,
			  folder, error);
	cli_warn("deliver to %s: %s", user, error);
	return store_exit(rc);
}

int
cmd_deliver(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "folder", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *folder = NULL, *user;
	struct cli_ctx ctx;
	char session[13];
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:f:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'f': case 'm': folder = optarg; break;
		case 'h': fputs(deliver_usage, stdout); return EXIT_OK;
		default: fputs(deliver_usage, stderr); return EXIT_CONFIG;
		}
	}
	if (optind + 1 != argc)
		cli_die(EXIT_CONFIG, "expected exactly one USER (see --help)");
	user = argv[optind];
	cli_open(&ctx, config, CLI_OPEN_STORE | CLI_OPEN_REGISTRY);
	if (registry_user_exists(ctx.reg, user) != 1)
		cli_die(EXIT_NOUSER, "no such user: %s", user);
	log_session_id(session);
	rc = deliver(&ctx, user, choose_folder(&ctx, user, folder, session),
		     session);
	cli_close(&ctx);
	return rc;
}
