/* `conflux`: one binary, one sub-command per job. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "lib/log.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "init", cmd_init, "create a data directory, database, key, cert" },
	{ "serve", cmd_serve, "run the daemon in the foreground" },
	{ "user", cmd_user, "add, delete, list local users, set passwords" },
	{ "deliver", cmd_deliver, "deliver one message from stdin (an LDA)" },
	{ "store", cmd_store, "check and repair the store, list, import" },
	{ "account", cmd_account, "add, delete, list, show external accounts" },
	{ "sync", cmd_sync, "sync accounts now, print what moved" },
	{ "status", cmd_status, "per account: last sync, counts, errors" },
	{ NULL, NULL, NULL },
};

static void
usage(FILE *out)
{
	fputs("usage: conflux [-c FILE] COMMAND [ARGS...]\n"
	      "\n"
	      "conflux makes several mailboxes behave as one.\n"
	      "\n"
	      "commands:\n", out);
	for (const struct command *c = commands; c->name != NULL; c++)
		fprintf(out, "  %-9s %s\n", c->name, c->summary);
	fputs("\n"
	      "Every command takes -c FILE (default: $CONFLUX_CONFIG, else\n"
	      "./conflux.conf) and --help. Passwords are read from stdin,\n"
	      "never from the command line.\n", out);
}

static const struct command *
find_command(const char *name)
{
	for (const struct command *c = commands; c->name != NULL; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* Moves a leading "-c FILE" behind the command name, so both
 * `conflux -c F user list` and `conflux user list -c F` work. */
static int
hoist_config(int argc, char **argv, char **config_r)
{
	*config_r = NULL;
	if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
		*config_r = argv[2];
		return 2;
	}
	if (argc >= 2 && strncmp(argv[1], "--config=", 9) == 0) {
		*config_r = argv[1] + 9;
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	char *config, *args[256];
	int skip, n = 0;

	/* Mail, database, keys: nothing conflux creates is for other users. */
	umask(077);
	log_open("conflux", LOG_TARGET_STDERR, LOG_LVL_INFO);
	skip = hoist_config(argc, argv, &config);
	argc -= skip;
	argv += skip;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_CONFIG : EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		puts("conflux " CONFLUX_VERSION);
		return EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (cmd == NULL)
		cli_die(EXIT_CONFIG, "unknown command '%s' (try conflux --help)",
			argv[1]);
	if (argc + 2 >= (int)(sizeof(args) / sizeof(args[0])))
		cli_die(EXIT_CONFIG, "too many arguments");
	cli_set_command(cmd->name);
	for (int i = 1; i < argc; i++)
		args[n++] = argv[i];
	if (config != NULL) {
		args[n++] = (char *)"-c";
		args[n++] = config;
	}
	args[n] = NULL;
	return cmd->run(n, args);
}
