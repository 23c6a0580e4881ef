/* conflux sync: sync accounts now. conflux status: how they fared. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "net/loop.h"
#include "sync/sched.h"
#include "sync/state.h"

static const char sync_usage[] =
	"usage: conflux sync [USER [ACCOUNT]] [--dry-run] [--allow-mass-delete]\n"
	"\n"
	"Syncs every account (of USER, or just ACCOUNT) now and prints what\n"
	"moved per account: fetched here, linked (already here through\n"
	"another account), deleted here, deleted there, flags changed on each\n"
	"side. --dry-run only says what would happen. A sync that would\n"
	"delete more than [sync] max_delete_percent (25) of a mailbox of 20\n"
	"or more messages stops before deleting; --allow-mass-delete lets it\n"
	"through once. At most [sync] max_jobs accounts sync at once\n"
	"(max_per_host to one server), one per user at a time.\n"
	"Exit status 0 only if every account synced.\n";

static const char status_usage[] =
	"usage: conflux status [--json]\n"
	"\n"
	"Per account: last sync, last success, messages tracked, failures\n"
	"in a row and the last error.\n";

struct sync_run {
	struct loop *loop;
	int queued, done, failed;
	int dry_run;
	int tty;
};

void
cli_sched_options(const struct cli_ctx *ctx, struct sched_options *so)
{
	so->max_jobs = (unsigned int)ctx->conf.max_jobs;
	so->max_per_host = (unsigned int)ctx->conf.max_per_host;
	so->sync.max_delete_percent = (unsigned int)ctx->conf.max_delete_percent;
}

static void
print_report(const struct account *a, const struct sync_report *r,
	     void *ctx)
{
	struct sync_run *run = ctx;

	run->done++;
	if (run->tty)
		fputs("\r\033[K", stderr);
	printf("%s/%s: %s%u fetched, %u linked, %u deleted here, %u deleted "
	       "there, %u flagged here, %u flagged there%s\n", a->user,
	       a->name, r->status == DRV_OK ? "" : "FAILED: ", r->fetched,
	       r->linked, r->deleted_here, r->deleted_there, r->flagged_here,
	       r->flagged_there, run->dry_run ? " (dry run: nothing changed)"
	       : "");
	if (r->status != DRV_OK) {
		run->failed++;
		printf("%s/%s: %s\n", a->user, a->name,
		       r->error ? r->error : "failed");
	}
	if (run->tty && run->done < run->queued)
		fprintf(stderr, "syncing: %d of %d accounts done", run->done,
			run->queued);
	fflush(stdout);
}

static void
on_idle(void *ctx)
{
	struct sync_run *run = ctx;

	loop_break(run->loop);
}

static void
parse_sync_opts(int argc, char **argv, const char **config,
		struct sched_options *so, char ***args, int *nargs)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "allow-mass-delete", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': *config = optarg; break;
		case 'n': so->sync.dry_run = 1; break;
		case 'A': so->sync.allow_mass_delete = 1; break;
		case 'h': fputs(sync_usage, stdout); exit(EXIT_OK);
		default: fputs(sync_usage, stderr); exit(EXIT_CONFIG);
		}
	}
	*args = argv + optind;
	*nargs = argc - optind;
	if (*nargs > 2)
		cli_die(EXIT_CONFIG, "unexpected argument '%s'", argv[optind + 2]);
}

int
cmd_sync(int argc, char **argv)
{
	struct sched_options so;
	struct sync_run run;
	struct cli_ctx ctx;
	const char *config = NULL;
	struct sched *s;
	char **args;
	int nargs;

	memset(&so, 0, sizeof(so));
	memset(&run, 0, sizeof(run));
	parse_sync_opts(argc, argv, &config, &so, &args, &nargs);
	cli_open(&ctx, config, CLI_OPEN_STORE | CLI_OPEN_SYNC | CLI_OPEN_KEY);
	cli_sched_options(&ctx, &so);
	if (nargs > 0 && registry_user_exists(ctx.reg, args[0]) != 1)
		cli_die(EXIT_NOUSER, "no such user: %s", args[0]);
	run.loop = loop_new();
	run.dry_run = so.sync.dry_run;
	run.tty = isatty(STDERR_FILENO);
	s = sched_new(run.loop, ctx.db, ctx.store, ctx.reg, &so, print_report,
		      on_idle, &run);
	run.queued = sched_run_now(s, nargs > 0 ? args[0] : NULL,
				   nargs > 1 ? args[1] : NULL);
	if (run.queued < 0)
		cli_die(EXIT_TEMPFAIL, "%s", registry_error(ctx.reg));
	if (run.queued == 0)
		cli_die(nargs > 1 ? EXIT_NOUSER : EXIT_FAIL, "no account to "
			"sync%s%s", nargs > 1 ? " named " : "",
			nargs > 1 ? args[1] : "");
	if (run.tty)
		fprintf(stderr, "syncing %d account%s", run.queued,
			run.queued == 1 ? "" : "s");
	loop_run(run.loop);
	sched_free(&s);
	loop_free(&run.loop);
	cli_close(&ctx);
	return run.failed == 0 && run.done == run.queued ? EXIT_OK : EXIT_FAIL;
}

/* ---- status -------------------------------------------------------------- */

struct status_ctx {
	struct cli_ctx *cli;
	int json;
	int count;
};

static void
json_string(const char *s)
{
	putchar('"');
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
status_json(const struct account *a, const struct sync_status *s, int first)
{
	printf("%s\n  {\"user\": ", first ? "" : ",");
	json_string(a->user);
	printf(", \"account\": ");
	json_string(a->name);
	printf(", \"proto\": \"%s\", \"host\": ", account_proto_name(a->proto));
	json_string(a->host);
	printf(", \"mode\": \"%s\", \"last_sync\": %lld, \"last_success\": "
	       "%lld, \"messages\": %llu, \"fetched\": %llu, "
	       "\"deleted_here\": %llu, \"deleted_there\": %llu, "
	       "\"failures\": %u, \"last_error\": ", account_mode_name(a->mode),
	       (long long)s->last_attempt, (long long)s->last_success,
	       (unsigned long long)s->messages, (unsigned long long)s->fetched,
	       (unsigned long long)s->deleted_here,
	       (unsigned long long)s->deleted_there, s->failures);
	if (s->last_error != NULL)
		json_string(s->last_error);
	else
		fputs("null", stdout);
	putchar('}');
}

static void
status_text(const struct account *a, const struct sync_status *s)
{
	char last[32] = "never", ok[32] = "never";

	if (s->last_attempt)
		strftime(last, sizeof(last), "%Y-%m-%d %H:%M",
			 localtime(&s->last_attempt));
	if (s->last_success)
		strftime(ok, sizeof(ok), "%Y-%m-%d %H:%M",
			 localtime(&s->last_success));
	printf("%s/%s\t%s %s\t%s\tlast %s\tok %s\t%llu messages\t%u "
	       "failures%s%s\n", a->user, a->name, account_proto_name(a->proto),
	       a->host, account_mode_name(a->mode), last, ok,
	       (unsigned long long)s->messages, s->failures,
	       s->last_error ? "\t" : "", s->last_error ? s->last_error : "");
}

static int
status_one(const struct account *a, void *ctx)
{
	struct status_ctx *sc = ctx;
	struct sync_status s;

	if (state_status_get(sc->cli->db, a->id, &s) < 0)
		return -1;
	if (sc->json)
		status_json(a, &s, sc->count == 0);
	else
		status_text(a, &s);
	sc->count++;
	state_status_clear(&s);
	return 0;
}

int
cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct status_ctx sc = { NULL, 0, 0 };
	const char *config = NULL;
	struct cli_ctx ctx;
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'j': sc.json = 1; break;
		case 'h': fputs(status_usage, stdout); return EXIT_OK;
		default: fputs(status_usage, stderr); return EXIT_CONFIG;
		}
	}
	cli_open(&ctx, config, CLI_OPEN_SYNC);
	sc.cli = &ctx;
	if (sc.json)
		putchar('[');
	if (registry_account_list(ctx.reg, NULL, status_one, &sc) != REG_OK)
		cli_die(EXIT_TEMPFAIL, "%s", registry_error(ctx.reg));
	if (sc.json)
		puts(sc.count ? "\n]" : "]");
	cli_close(&ctx);
	return EXIT_OK;
}
