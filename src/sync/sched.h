#ifndef CONFLUX_SYNC_SCHED_H
#define CONFLUX_SYNC_SCHED_H

/* The scheduler: which account syncs when, and how many at once.
 *
 * - Periodic (conflux serve): each account is due every `interval`
 *   seconds, jittered by up to 10% so that many accounts do not start in
 *   the same second; a failure backs off exponentially (interval x 2^n,
 *   at most 1 hour... or the interval when that is longer) until a
 *   success.
 * - Once (conflux sync): every selected account is due now; the
 *   scheduler reports each result and stops when all are done.
 * In both: at most max_jobs syncs at once, at most max_per_host to one
 * server host, and the accounts of one user one after another (so the
 * same message arriving through two of them is stored once). */

#include <stddef.h>

#include "lib/db.h"
#include "lib/secret.h"
#include "registry/registry.h"
#include "store/store.h"
#include "sync/engine.h"

struct loop;
struct sched;

struct sched_options {
	unsigned int max_jobs;		/* default 16 */
	unsigned int max_per_host;	/* default 4 */
	struct sync_options sync;	/* passed to every job */
};

/* Called when one account's sync ended (report valid during the call). */
typedef void sched_report_cb(const struct account *a,
			     const struct sync_report *r, void *ctx);
/* Called when a once-run has no account left to run. */
typedef void sched_idle_cb(void *ctx);

struct sched *sched_new(struct loop *loop, struct db *db, struct store *st,
			struct registry *reg, const struct sched_options *opt,
			sched_report_cb *report, sched_idle_cb *idle,
			void *ctx);
void sched_free(struct sched **s);

/* Queues the accounts of user (NULL: all users), or one account, to run
 * now. Returns how many were queued, -1 on error (unknown user/account:
 * registry_error()). */
int sched_run_now(struct sched *s, const char *user, const char *account);
/* Keeps every account on its interval until sched_free (the daemon). */
int sched_start_periodic(struct sched *s);
/* Makes one account due now (push: IDLE saw a change). */
void sched_poke(struct sched *s, int64_t account_id);
/* Starts nothing new and cancels the running jobs: each keeps what it
 * fetched completely and logs out. The idle callback runs once none is
 * left (at once when none runs). */
void sched_stop(struct sched *s);
/* Jobs running now. */
unsigned int sched_running(const struct sched *s);

/* The driver for an account (IMAP or POP3), NULL with a message for an
 * unsupported protocol. The password must stay valid until the job ends. */
struct mbox *sched_make_driver(struct loop *loop, const struct account *a,
			       const char *password, const char *session);

#endif
