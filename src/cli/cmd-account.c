/* conflux account add|del|list|show: a user's external accounts. The
 * password comes from stdin and is stored sealed with the master key. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/strx.h"
#include "lib/xalloc.h"
#include "sync/state.h"

static const char account_usage[] =
	"usage: conflux account add USER NAME --proto pop3|imap --host H\n"
	"           [--port P] [--tls implicit|starttls|none] --login L\n"
	"           --mode fetch|move|forward|reverse|both [--folder F ...]\n"
	"           [--prefix P] [--interval SECONDS] [--ca-file FILE]\n"
	"           [--pin SHA256]                (password from stdin)\n"
	"       conflux account del USER NAME\n"
	"       conflux account list [USER]\n"
	"       conflux account show USER NAME\n"
	"\n"
	"Modes: fetch copies new mail here and never deletes; move deletes\n"
	"at the source once the copy here is durable; forward also deletes\n"
	"here what was deleted there; reverse deletes there what was deleted\n"
	"here; both does both, and syncs flags for IMAP.\n"
	"IMAP: every folder by default (or each --folder), under the local\n"
	"name prefix --prefix. POP3: into --folder (default INBOX).\n"
	"TLS is verified against the system CAs and the host name, or\n"
	"against --ca-file, or by the certificate's SHA-256 (--pin).\n"
	"Default port: 993/143 for IMAP, 995/110 for POP3.\n";

struct account_opts {
	const char *config;
	struct account a;
	struct buf folders;
	int have_proto, have_mode;
	char **args;
	int nargs;
};

static unsigned int
default_port(const struct account *a)
{
	int implicit = a->tls == ACCOUNT_TLS_IMPLICIT;

	if (a->proto == ACCOUNT_IMAP)
		return implicit ? 993 : 143;
	return implicit ? 995 : 110;
}

static void
parse_enum(const char *what, const char *value, int (*parse)(const char *),
	   int *out)
{
	int v = parse(value);

	if (v < 0)
		cli_die(EXIT_CONFIG, "invalid --%s '%s' (see --help)", what,
			value);
	*out = v;
}

static unsigned int
parse_number(const char *what, const char *value, uint64_t max)
{
	uint64_t v;

	if (str_to_uint64_range(value, 0, max, &v) < 0)
		cli_die(EXIT_CONFIG, "invalid --%s '%s'", what, value);
	return (unsigned int)v;
}

static void
parse_option(struct account_opts *o, int c)
{
	int v;

	switch (c) {
	case 'c': o->config = optarg; break;
	case 'P': parse_enum("proto", optarg, account_proto_parse, &v);
		o->a.proto = (enum account_proto)v; o->have_proto = 1; break;
	case 'H': o->a.host = optarg; break;
	case 'p': o->a.port = parse_number("port", optarg, 65535); break;
	case 't': parse_enum("tls", optarg, account_tls_parse, &v);
		o->a.tls = (enum account_tls)v; break;
	case 'l': o->a.login = optarg; break;
	case 'm': parse_enum("mode", optarg, account_mode_parse, &v);
		o->a.mode = (enum account_mode)v; o->have_mode = 1; break;
	case 'f': if (o->folders.len > 0) buf_append_c(&o->folders, '\n');
		buf_append_str(&o->folders, optarg); break;
	case 'x': o->a.prefix = optarg; break;
	case 'i': o->a.interval = parse_number("interval", optarg, 86400 * 7);
		break;
	case 'C': o->a.ca_file = optarg; break;
	case 'S': o->a.pin_sha256 = optarg; break;
	case 'h': fputs(account_usage, stdout); exit(EXIT_OK);
	default: fputs(account_usage, stderr); exit(EXIT_CONFIG);
	}
}

static void
parse_account_opts(int argc, char **argv, struct account_opts *o)
{
	static const struct option opts[] = {
		{ "proto", required_argument, NULL, 'P' },
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "tls", required_argument, NULL, 't' },
		{ "login", required_argument, NULL, 'l' },
		{ "mode", required_argument, NULL, 'm' },
		{ "folder", required_argument, NULL, 'f' },
		{ "prefix", required_argument, NULL, 'x' },
		{ "interval", required_argument, NULL, 'i' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "pin", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->a.tls = ACCOUNT_TLS_IMPLICIT;
	buf_init(&o->folders, 1 << 16);
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1)
		parse_option(o, c);
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->nargs < 1)
		cli_die(EXIT_CONFIG, "missing sub-command (add, del, list, "
			"show)");
}

static void
require(int ok, const char *what)
{
	if (!ok)
		cli_die(EXIT_CONFIG, "add: %s is required (see --help)", what);
}

static int
account_add(struct cli_ctx *ctx, struct account_opts *o)
{
	const char *error = NULL;
	char *pw = NULL;
	int rc;

	require(o->nargs == 3, "USER NAME");
	require(o->have_proto, "--proto");
	require(o->a.host != NULL, "--host");
	require(o->a.login != NULL, "--login");
	require(o->have_mode, "--mode");
	o->a.user = o->args[1];
	o->a.name = o->args[2];
	o->a.folders = o->folders.len ? (char *)buf_cstr(&o->folders) : NULL;
	if (o->a.port == 0)
		o->a.port = default_port(&o->a);
	if (o->a.tls == ACCOUNT_TLS_NONE)
		cli_warn("account %s/%s: --tls none sends the password in the "
			 "clear", o->a.user, o->a.name);
	if (secret_read_password(stdin, "Password of the account: ", &pw,
				 &error) < 0)
		cli_die(EXIT_CONFIG, "%s", error);
	rc = registry_account_add(ctx->reg, &o->a, pw);
	secret_free(pw);
	if (rc == REG_NOTFOUND)
		cli_die(EXIT_NOUSER, "no such user: %s", o->a.user);
	if (rc == REG_EXISTS)
		cli_die(EXIT_FAIL, "account %s/%s already exists", o->a.user,
			o->a.name);
	if (rc != REG_OK)
		cli_die(rc == REG_INVALID ? EXIT_CONFIG : EXIT_TEMPFAIL, "%s",
			registry_error(ctx->reg));
	printf("added account %s/%s (%s %s:%u, %s, mode %s)\n", o->a.user,
	       o->a.name, account_proto_name(o->a.proto), o->a.host,
	       o->a.port, account_tls_name(o->a.tls),
	       account_mode_name(o->a.mode));
	return EXIT_OK;
}

static int
print_account(const struct account *a, void *ctx)
{
	printf("%s\t%s\t%s\t%s:%u\t%s\t%s\n", a->user, a->name,
	       account_proto_name(a->proto), a->host, a->port,
	       account_tls_name(a->tls), account_mode_name(a->mode));
	return 0;
}

static void
print_time(const char *label, time_t t)
{
	char when[64] = "never";

	if (t != 0)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z",
			 localtime(&t));
	printf("%-12s %s\n", label, when);
}

static int
account_show(struct cli_ctx *ctx, struct account_opts *o)
{
	struct account a;
	struct sync_status s;

	if (o->nargs != 3)
		cli_die(EXIT_CONFIG, "show: expected USER NAME");
	if (registry_account_get(ctx->reg, o->args[1], o->args[2], &a) !=
	    REG_OK)
		cli_die(EXIT_NOUSER, "no account %s/%s", o->args[1],
			o->args[2]);
	printf("%-12s %s/%s\n%-12s %s\n%-12s %s:%u (%s)\n%-12s %s\n"
	       "%-12s %s\n%-12s %u s\n", "account", a.user, a.name,
	       "protocol", account_proto_name(a.proto), "server", a.host,
	       a.port, account_tls_name(a.tls), "login", a.login, "mode",
	       account_mode_name(a.mode), "interval", a.interval);
	if (a.folders != NULL)
		printf("%-12s %s\n", "folders", a.folders);
	if (a.prefix != NULL)
		printf("%-12s %s\n", "prefix", a.prefix);
	if (a.ca_file != NULL)
		printf("%-12s %s\n", "ca-file", a.ca_file);
	if (a.pin_sha256 != NULL)
		printf("%-12s %s\n", "pin", a.pin_sha256);
	if (state_status_get(ctx->db, a.id, &s) == 0) {
		print_time("last sync", s.last_attempt);
		print_time("last success", s.last_success);
		printf("%-12s %llu\n", "messages",
		       (unsigned long long)s.messages);
		if (s.last_error != NULL)
			printf("%-12s %s\n", "last error", s.last_error);
		state_status_clear(&s);
	}
	account_clear(&a);
	return EXIT_OK;
}

int
cmd_account(int argc, char **argv)
{
	struct account_opts o;
	struct cli_ctx ctx;
	const char *verb;
	int rc = EXIT_OK;

	parse_account_opts(argc, argv, &o);
	verb = o.args[0];
	if (strcmp(verb, "add") && strcmp(verb, "del") && strcmp(verb, "list")
	    && strcmp(verb, "show"))
		cli_die(EXIT_CONFIG, "unknown sub-command '%s'", verb);
	cli_open(&ctx, o.config, CLI_OPEN_REGISTRY | CLI_OPEN_SYNC |
		 (strcmp(verb, "add") == 0 ? CLI_OPEN_KEY : 0));
	if (strcmp(verb, "add") == 0) {
		rc = account_add(&ctx, &o);
	} else if (strcmp(verb, "show") == 0) {
		rc = account_show(&ctx, &o);
	} else if (strcmp(verb, "list") == 0) {
		if (registry_account_list(ctx.reg, o.nargs > 1 ? o.args[1] :
					  NULL, print_account, NULL) != REG_OK)
			cli_die(EXIT_TEMPFAIL, "%s", registry_error(ctx.reg));
	} else if (o.nargs != 3) {
		cli_die(EXIT_CONFIG, "del: expected USER NAME");
	} else if (registry_account_del(ctx.reg, o.args[1], o.args[2]) !=
		   REG_OK) {
		cli_die(EXIT_NOUSER, "no account %s/%s", o.args[1], o.args[2]);
	} else {
		printf("deleted account %s/%s (the mail it brought stays)\n",
		       o.args[1], o.args[2]);
	}
	buf_free(&o.folders);
	cli_close(&ctx);
	return rc;
}
