#ifndef CONFLUX_CLI_H
#define CONFLUX_CLI_H

/* Shared pieces of the `conflux` sub-commands. */

#include <stdint.h>

#include "lib/db.h"
#include "lib/secret.h"
#include "registry/registry.h"
#include "store/store.h"

/* Exit statuses (sysexits.h where a mail tool's caller expects them). */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* the command failed; one line says why */
	EXIT_CONFIG = 2,	/* bad configuration or command line */
	EXIT_DATAERR = 65,	/* the input can never be accepted */
	EXIT_NOUSER = 67,	/* unknown user */
	EXIT_SOFTWARE = 70,
	EXIT_TEMPFAIL = 75,	/* try again later (disk full, busy) */
};

struct conflux_config {
	char *data_dir;
	char *run_as;		/* user to switch to when started as root */
	int log_level;		/* enum log_level */
	int log_target;		/* enum log_target */
	uint64_t max_message_size;
	uint64_t max_header_parse;
	char *tls_cert;
	char *tls_key;
	/* [server]: access servers (docs/internals/server.md) */
	char *hostname;		/* NULL: gethostname() */
	int plaintext_auth;	/* 0 loopback, 1 always */
	unsigned int auth_fail_delay;	/* seconds */
	long long auth_fail_limit;
	unsigned int auth_cache_ttl;	/* seconds, 0: off */
	long long max_connections;	/* per listener */
	long long max_per_ip;
	/* [imap] [pop3] [lmtp]: "" or NULL disables a listener */
	char *imap_listen, *imap_tls_listen;
	unsigned int imap_idle_timeout;
	char *pop3_listen, *pop3_tls_listen;
	unsigned int pop3_idle_timeout;
	char *lmtp_listen;
	unsigned int lmtp_idle_timeout;
	long long max_delete_percent;	/* [sync] deletion guard */
	long long max_jobs;		/* [sync] syncs at once */
	long long max_per_host;		/* [sync] syncs at once per server */
	/* derived from data_dir */
	char *mail_dir;
	char *db_path;
	char *key_path;
	char *config_path;
};

/* What a command has opened; every member may be NULL. */
struct cli_ctx {
	struct conflux_config conf;
	struct db *db;
	struct store *store;
	struct registry *reg;
	struct secret_key *key;
};

enum cli_open_flags {
	CLI_OPEN_STORE = 1 << 0,
	CLI_OPEN_REGISTRY = 1 << 1,
	CLI_OPEN_KEY = 1 << 2,	/* the master key (sealing secrets) */
	CLI_OPEN_SYNC = 1 << 3,	/* the sync state tables */
};

/* The config file: -c FILE, else $CONFLUX_CONFIG, else ./conflux.conf. */
const char *cli_config_path(const char *opt);
/* Loads the config or exits 2 with "file:line: message". */
void cli_config_load(const char *path, struct conflux_config *conf);
void cli_config_free(struct conflux_config *conf);

/* Loads config, switches to the configured user when root, opens what
 * flags ask for. Exits with a one-line message on failure. */
void cli_open(struct cli_ctx *ctx, const char *config_opt, unsigned flags);
/* cli_open in two steps, for `serve`, which binds its ports as root in
 * between: load the config; then drop privileges and open the rest. */
void cli_open_config(struct cli_ctx *ctx, const char *config_opt);
void cli_open_rest(struct cli_ctx *ctx, unsigned flags);
void cli_close(struct cli_ctx *ctx);

/* The scheduler's limits and the deletion guard from [sync]. */
struct sched_options;
void cli_sched_options(const struct cli_ctx *ctx, struct sched_options *so);

/* When running as root: setgroups/setresgid/setresuid to `user`. */
int cli_drop_privileges(const char *user, char **error_r);

/* "conflux <cmd>: <message>" on stderr, then exit(status). */
void cli_die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* "conflux: <message>" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_set_command(const char *name);

int cmd_init(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_deliver(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_account(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_status(int argc, char **argv);

#endif
