/* conflux user add|del|list|passwd: local users. Passwords come from
 * stdin (prompted without echo on a terminal), never from argv. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char user_usage[] =
	"usage: conflux user add USER            (password from stdin)\n"
	"       conflux user passwd USER [--apop] (password from stdin)\n"
	"       conflux user del USER [--purge]\n"
	"       conflux user list\n"
	"\n"
	"add creates the user and the mailbox (INBOX, Sent, Drafts, Trash,\n"
	"Junk, Archive). passwd --apop sets the shared secret for POP3 APOP\n"
	"and CRAM-MD5 (kept encrypted; an empty line clears it). del keeps\n"
	"the user's mail on disk unless --purge is given.\n";

struct user_opts {
	const char *config;
	int apop, purge;
	const char *verb, *name;
};

static int
print_user(const char *name, void *ctx)
{
	puts(name);
	return 0;
}

static char *
read_password(const char *prompt)
{
	const char *error = NULL;
	char *pw = NULL;

	if (secret_read_password(stdin, prompt, &pw, &error) < 0)
		cli_die(EXIT_CONFIG, "%s", error);
	return pw;
}

static int
reg_fail(struct cli_ctx *ctx, int rc, const char *user)
{
	if (rc == REG_NOTFOUND)
		cli_die(EXIT_NOUSER, "no such user: %s", user);
	if (rc == REG_EXISTS)
		cli_die(EXIT_FAIL, "user %s already exists", user);
	if (rc == REG_INVALID)
		cli_die(EXIT_CONFIG, "%s", registry_error(ctx->reg));
	cli_die(EXIT_TEMPFAIL, "%s", registry_error(ctx->reg));
}

static int
user_add(struct cli_ctx *ctx, const char *user)
{
	char *pw;
	int rc;

	if (!registry_user_name_valid(user))
		cli_die(EXIT_CONFIG, "invalid user name '%s' (1-64 of a-z 0-9 "
			". _ @ + -, starting with a letter or digit)", user);
	if (registry_user_exists(ctx->reg, user) == 1)
		cli_die(EXIT_FAIL, "user %s already exists", user);
	pw = read_password("Password: ");
	rc = registry_user_add(ctx->reg, user, pw);
	secret_free(pw);
	if (rc != REG_OK)
		return reg_fail(ctx, rc, user);
	if (store_user_create(ctx->store, user) != STORE_OK) {
		registry_user_del(ctx->reg, user);
		cli_die(EXIT_TEMPFAIL, "cannot create the mailbox of %s: %s",
			user, store_error(ctx->store));
	}
	printf("added user %s\n", user);
	return EXIT_OK;
}

static int
user_passwd(struct cli_ctx *ctx, const char *user, int apop)
{
	char *pw;
	int rc;

	if (registry_user_exists(ctx->reg, user) != 1)
		cli_die(EXIT_NOUSER, "no such user: %s", user);
	if (apop) {
		const char *error = NULL;

		pw = NULL;
		/* An empty line clears the secret, so read it leniently. */
		if (secret_read_password(stdin, "APOP secret: ", &pw,
					 &error) < 0)
			pw = NULL;
		rc = registry_user_set_apop(ctx->reg, user, pw);
	} else {
		pw = read_password("New password: ");
		rc = registry_user_passwd(ctx->reg, user, pw);
	}
	secret_free(pw);
	if (rc != REG_OK)
		return reg_fail(ctx, rc, user);
	printf("%s of %s %s\n", apop ? "APOP secret" : "password", user,
	       apop && pw == NULL ? "cleared" : "changed");
	return EXIT_OK;
}

static int
user_del(struct cli_ctx *ctx, const char *user, int purge)
{
	int rc = registry_user_del(ctx->reg, user);

	if (rc != REG_OK)
		return reg_fail(ctx, rc, user);
	if (purge && store_user_purge(ctx->store, user) != STORE_OK)
		cli_die(EXIT_TEMPFAIL, "user %s deleted, but removing the "
			"mail failed: %s", user, store_error(ctx->store));
	printf("deleted user %s%s\n", user,
	       purge ? " and the mail" : " (mail kept; --purge removes it)");
	return EXIT_OK;
}

static void
parse_user_opts(int argc, char **argv, struct user_opts *o)
{
	static const struct option opts[] = {
		{ "apop", no_argument, NULL, 'a' },
		{ "purge", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'a': o->apop = 1; break;
		case 'p': o->purge = 1; break;
		case 'h': fputs(user_usage, stdout); exit(EXIT_OK);
		default: fputs(user_usage, stderr); exit(EXIT_CONFIG);
		}
	}
	if (optind < argc)
		o->verb = argv[optind++];
	if (optind < argc)
		o->name = argv[optind++];
	if (o->verb == NULL)
		cli_die(EXIT_CONFIG, "missing sub-command (add, del, list, "
			"passwd)");
	if (optind < argc)
		cli_die(EXIT_CONFIG, "unexpected argument '%s'", argv[optind]);
	if (strcmp(o->verb, "list") != 0 && o->name == NULL)
		cli_die(EXIT_CONFIG, "%s: missing USER", o->verb);
}

int
cmd_user(int argc, char **argv)
{
	struct user_opts o;
	struct cli_ctx ctx;
	unsigned flags = CLI_OPEN_REGISTRY | CLI_OPEN_STORE;
	int rc;

	parse_user_opts(argc, argv, &o);
	if (strcmp(o.verb, "add") != 0 && strcmp(o.verb, "del") != 0 &&
	    strcmp(o.verb, "list") != 0 && strcmp(o.verb, "passwd") != 0)
		cli_die(EXIT_CONFIG, "unknown sub-command '%s' (add, del, "
			"list, passwd)", o.verb);
	if (o.apop)
		flags |= CLI_OPEN_KEY;
	cli_open(&ctx, o.config, flags);
	if (strcmp(o.verb, "add") == 0)
		rc = user_add(&ctx, o.name);
	else if (strcmp(o.verb, "del") == 0)
		rc = user_del(&ctx, o.name, o.purge);
	else if (strcmp(o.verb, "passwd") == 0)
		rc = user_passwd(&ctx, o.name, o.apop);
	else
		rc = registry_user_list(ctx.reg, print_user, NULL) == REG_OK ?
			EXIT_OK : EXIT_TEMPFAIL;
	cli_close(&ctx);
	return rc;
}
