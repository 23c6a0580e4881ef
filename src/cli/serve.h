#ifndef CONFLUX_CLI_SERVE_H
#define CONFLUX_CLI_SERVE_H

/* The access servers of `conflux serve` (serve-listen.c). */

#include "cli/cli.h"

struct loop;
struct notify;
struct servers;

/* Binds every listener the config names; call as root, before privileges
 * are dropped. Dies with one line when an address cannot be bound or the
 * TLS certificate cannot be loaded. */
struct servers *servers_bind(struct loop *l, const struct conflux_config *conf);
/* Creates the protocol servers over the opened store and registry; from
 * the next loop turn connections are served. */
void servers_start(struct servers *sv, struct cli_ctx *ctx);
/* The change hub, for the scheduler's syncs to announce their changes. */
struct notify *servers_notify(struct servers *sv);
unsigned int servers_sessions(const struct servers *sv);
/* Stops listening and says goodbye to every session. */
void servers_shutdown(struct servers *sv);
void servers_free(struct servers **sv);

#endif
