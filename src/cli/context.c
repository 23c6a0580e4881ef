/* Opening what a command needs, as the right user, or exiting with one
 * clear line. */
#include "cli/cli.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "sync/state.h"

static const char *cli_command = NULL;

void
cli_set_command(const char *name)
{
	cli_command = name;
}

void
cli_die(int status, const char *fmt, ...)
{
	va_list ap;

	if (cli_command != NULL)
		fprintf(stderr, "conflux %s: ", cli_command);
	else
		fputs("conflux: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("conflux: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_drop_privileges(const char *user, char **error_r)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (user == NULL || *user == '\0') {
		*error_r = xstrdup("running as root but [server] user is not "
				   "set; refusing to touch mail as root");
		return -1;
	}
	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		*error_r = xasprintf("user '%s' does not exist (create it: "
				     "useradd --system %s)", user, user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		*error_r = xasprintf("[server] user '%s' is root", user);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		*error_r = xasprintf("cannot switch to user %s: %s", user,
				     strerror(errno));
		return -1;
	}
	/* Switching back must be impossible. */
	if (setuid(0) == 0)
		fatal("privileges could be regained after dropping them");
	return 0;
}

static void
cli_open_store(struct cli_ctx *ctx)
{
	struct store_limits limits = {
		.max_message_size = ctx->conf.max_message_size,
		.max_header_parse = (size_t)ctx->conf.max_header_parse,
	};
	char *error = NULL;

	ctx->store = store_open(ctx->db, ctx->conf.mail_dir, &limits, &error);
	if (ctx->store == NULL)
		cli_die(EXIT_TEMPFAIL, "%s", error);
}

static void
cli_open_registry(struct cli_ctx *ctx)
{
	char *error = NULL;

	ctx->reg = registry_open(ctx->db, ctx->key, &error);
	if (ctx->reg == NULL)
		cli_die(EXIT_TEMPFAIL, "%s", error);
}

void
cli_open_config(struct cli_ctx *ctx, const char *config_opt)
{
	memset(ctx, 0, sizeof(*ctx));
	cli_config_load(cli_config_path(config_opt), &ctx->conf);
	log_set_level((enum log_level)ctx->conf.log_level);
}

void
cli_open(struct cli_ctx *ctx, const char *config_opt, unsigned flags)
{
	cli_open_config(ctx, config_opt);
	cli_open_rest(ctx, flags);
}

void
cli_open_rest(struct cli_ctx *ctx, unsigned flags)
{
	char *error = NULL;

	if (cli_drop_privileges(ctx->conf.run_as, &error) < 0)
		cli_die(EXIT_CONFIG, "%s", error);
	if (flags & CLI_OPEN_KEY) {
		secret_protect_process();
		ctx->key = secret_key_load(ctx->conf.key_path, &error);
		if (ctx->key == NULL)
			cli_die(EXIT_FAIL, "%s", error);
	}
	if (access(ctx->conf.db_path, F_OK) < 0)
		cli_die(EXIT_CONFIG, "%s: %s (is %s initialised? run: conflux "
			"init --data DIR)", ctx->conf.db_path, strerror(errno),
			ctx->conf.data_dir);
	ctx->db = db_open(ctx->conf.db_path, &error);
	if (ctx->db == NULL)
		cli_die(EXIT_TEMPFAIL, "%s", error);
	if (flags & CLI_OPEN_STORE)
		cli_open_store(ctx);
	if (flags & (CLI_OPEN_REGISTRY | CLI_OPEN_SYNC))
		cli_open_registry(ctx);
	if ((flags & CLI_OPEN_SYNC) && state_migrate(ctx->db, &error) < 0)
		cli_die(EXIT_TEMPFAIL, "%s", error);
}

void
cli_close(struct cli_ctx *ctx)
{
	store_close(&ctx->store);
	registry_close(&ctx->reg);
	db_close(&ctx->db);
	secret_key_free(&ctx->key);
	cli_config_free(&ctx->conf);
}
