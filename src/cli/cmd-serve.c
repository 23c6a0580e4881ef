/* conflux serve: the daemon. Binds its listeners, drops privileges, checks
 * the store, then runs the one event loop (access servers, scheduled
 * syncs, IDLE watches) until SIGTERM/SIGINT. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/serve.h"
#include "lib/log.h"
#include "net/loop.h"
#include "server/common/notify.h"
#include "sync/push.h"
#include "sync/sched.h"

/* How often new or deleted accounts are picked up by the IDLE watches. */
#define PUSH_REFRESH_MS (60 * 1000)

/* How often the daemon removes orphaned tmp/ files and re-checks folders
 * whose file count drifted from the index (Dovecot does the tmp part too). */
#define MAINTENANCE_INTERVAL_MS (60 * 60 * 1000)

static const char serve_usage[] =
	"usage: conflux serve [-c FILE]\n"
	"\n"
	"Runs the conflux daemon in the foreground until SIGTERM or SIGINT.\n"
	"It serves the store over IMAP, POP3 and LMTP on the addresses of\n"
	"the [imap], [pop3] and [lmtp] sections (the config `conflux init`\n"
	"writes listens on 127.0.0.1 only: IMAP 1143, IMAPS 1993, POP3 1110,\n"
	"POP3S 1995, LMTP 2424). Started as root it switches to [server]\n"
	"user after binding its ports. At start, and hourly, it runs the quick store check: stray\n"
	"tmp/ files are removed and folders whose file count differs from\n"
	"the index are repaired. Logs go to [server] log_target.\n"
	"Every external account syncs on its interval (jittered, with\n"
	"back-off after failures); IMAP accounts whose server has IDLE\n"
	"also sync within seconds of a change in their INBOX.\n";

struct daemon {
	struct cli_ctx ctx;
	struct loop *loop;
	struct timer *maintenance;
	struct sched *sched;
	struct push *push;
	struct servers *servers;
	struct timer *push_refresh;
	struct timer *grace;
	struct timer *flush;
	int had_sessions;
	int stopping;
};

static void
report_line(const char *line, void *ctx)
{
	log_info("store check: %s", line);
}

static void
quick_check(struct daemon *d)
{
	struct store_check_report r;

	memset(&r, 0, sizeof(r));
	if (store_check(d->ctx.store, NULL, 1, 1, &r, report_line, NULL) !=
	    STORE_OK) {
		log_error("store check: %s", store_error(d->ctx.store));
		return;
	}
	log_info("store check: %u folders; repaired %u unindexed, %u missing, "
		 "%u flag, %u stray tmp, %u folder differences", r.folders,
		 r.unindexed, r.missing, r.flags_fixed, r.stray_tmp,
		 r.folders_missing);
}

static void
on_maintenance(void *ctx)
{
	quick_check(ctx);
}

static void
on_sync_report(const struct account *a, const struct sync_report *r,
	       void *ctx)
{
	struct daemon *d = ctx;

	log_write(r->status == DRV_OK ? LOG_LVL_INFO : LOG_LVL_WARN, NULL,
		  "sync %s/%s: %s%u fetched, %u linked, %u deleted here, %u "
		  "deleted there, %u flagged here, %u flagged there%s%s",
		  a->user, a->name, r->status == DRV_OK ? "" : "failed: ",
		  r->fetched, r->linked, r->deleted_here, r->deleted_there,
		  r->flagged_here, r->flagged_there, r->error ? ": " : "",
		  r->error ? r->error : "");
	/* The sync wrote through this process's own database connection,
	 * which the change poll cannot see: tell the sessions. */
	if (r->fetched || r->deleted_here || r->flagged_here)
		notify_all(servers_notify(d->servers));
}

static void on_stopped(void *ctx);
static void on_flushed(void *ctx);

static void
on_push_refresh(void *ctx)
{
	struct daemon *d = ctx;

	push_refresh(d->push);
}

static void
start_sync(struct daemon *d)
{
	struct sched_options so;

	memset(&so, 0, sizeof(so));
	cli_sched_options(&d->ctx, &so);
	d->sched = sched_new(d->loop, d->ctx.db, d->ctx.store, d->ctx.reg,
			     &so, on_sync_report, on_stopped, d);
	d->grace = timer_new(d->loop, on_stopped, d);
	d->flush = timer_new(d->loop, on_flushed, d);
	sched_start_periodic(d->sched);
	d->push = push_new(d->loop, d->ctx.reg, d->sched);
	push_refresh(d->push);
	d->push_refresh = timer_new(d->loop, on_push_refresh, d);
	timer_start(d->push_refresh, PUSH_REFRESH_MS, true);
}

/* Sessions told goodbye at shutdown get this long for their last lines
 * (BYE, -ERR, 421) to leave before the loop ends. */
#define GOODBYE_FLUSH_MS 500

static void
on_flushed(void *ctx)
{
	struct daemon *d = ctx;

	loop_break(d->loop);
}

static void
on_stopped(void *ctx)
{
	struct daemon *d = ctx;

	if (!d->had_sessions) {
		loop_break(d->loop);
		return;
	}
	if (!timer_pending(d->flush))
		timer_start(d->flush, GOODBYE_FLUSH_MS, false);
}

/* Running syncs get a few seconds to store what they fetched completely
 * and log out; after that the loop ends anyway (the state is crash-safe). */
#define SHUTDOWN_GRACE_MS 10000

static void
on_signal(int signo, void *ctx)
{
	struct daemon *d = ctx;

	if (d->stopping) {
		log_info("signal %d again: stopping now", signo);
		loop_break(d->loop);
		return;
	}
	d->stopping = 1;
	log_info("signal %d: shutting down (%u syncs running, %u sessions)",
		 signo, sched_running(d->sched), servers_sessions(d->servers));
	d->had_sessions = servers_sessions(d->servers) > 0;
	servers_shutdown(d->servers);
	timer_start(d->grace, SHUTDOWN_GRACE_MS, false);
	sched_stop(d->sched);
}

static const char *
parse_serve_opts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'h': fputs(serve_usage, stdout); exit(EXIT_OK);
		default: fputs(serve_usage, stderr); exit(EXIT_CONFIG);
		}
	}
	if (optind != argc)
		cli_die(EXIT_CONFIG, "unexpected argument '%s'", argv[optind]);
	return config;
}

int
cmd_serve(int argc, char **argv)
{
	const char *config = parse_serve_opts(argc, argv);
	struct daemon d;
	int rc;

	memset(&d, 0, sizeof(d));
	/* Secrets will live in this process: no core dumps from here on. */
	secret_protect_process();
	cli_open_config(&d.ctx, config);
	log_open("conflux", (enum log_target)d.ctx.conf.log_target,
		 (enum log_level)d.ctx.conf.log_level);
	d.loop = loop_new();
	d.servers = servers_bind(d.loop, &d.ctx.conf);
	cli_open_rest(&d.ctx, CLI_OPEN_STORE | CLI_OPEN_SYNC | CLI_OPEN_KEY);
	if (loop_on_signals(d.loop, on_signal, &d) < 0)
		cli_die(EXIT_SOFTWARE, "cannot install signal handlers");
	quick_check(&d);
	d.maintenance = timer_new(d.loop, on_maintenance, &d);
	timer_start(d.maintenance, MAINTENANCE_INTERVAL_MS, true);
	start_sync(&d);
	servers_start(d.servers, &d.ctx);
	log_info("conflux %s ready (pid %ld, uid %ld, data %s)",
		 CONFLUX_VERSION, (long)getpid(), (long)geteuid(),
		 d.ctx.conf.data_dir);
	rc = loop_run(d.loop) == 0 ? EXIT_OK : EXIT_SOFTWARE;
	timer_free(&d.push_refresh);
	timer_free(&d.grace);
	timer_free(&d.flush);
	push_free(&d.push);
	sched_free(&d.sched);
	servers_free(&d.servers);
	timer_free(&d.maintenance);
	loop_free(&d.loop);
	cli_close(&d.ctx);
	log_info("conflux stopped");
	return rc;
}
