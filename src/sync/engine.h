#ifndef CONFLUX_SYNC_ENGINE_H
#define CONFLUX_SYNC_ENGINE_H

/* The sync engine: one job syncs one account (all its linked folders)
 * into the local store, on the event loop.
 *
 * The near side is always the local store, used directly rather than
 * through drv-store: a fetched message and its state row must commit in
 * one transaction (the store's commit hook), which is what makes a sync
 * that is killed at any point and resumed end with every message exactly
 * once. The far side is any driver (IMAP, POP3, or drv-store in tests).
 *
 * Order inside a folder, chosen so that every crash leaves a state a
 * later sync converges from:
 *   1. plan (sync/plan.c) from state rows, remote listing, local listing;
 *   2. local changes: re-maps, tombstones, forward expunges (the store
 *      first, then the rows), flags pulled from the far side;
 *   3. fetches, pipelined, stored in batches whose commit also inserts
 *      their state rows; a message whose fingerprint is already in the
 *      folder through another account is linked, not stored twice;
 *   4. flags pushed to the far side;
 *   5. remote deletes: rows marked pending (committed) before the command
 *      is sent, removed once the far side confirmed (POP3: after QUIT).
 * Nothing is deleted at a source before its local copy committed. */

#include <stdint.h>

#include "lib/db.h"
#include "registry/registry.h"
#include "store/store.h"
#include "sync/driver.h"

struct loop;
struct sync_job;

struct sync_options {
	int dry_run;			/* plan and report, change nothing */
	int allow_mass_delete;		/* override the deletion guard once */
	unsigned int max_delete_percent; /* default 25 */
	unsigned int fetch_window;	/* fetches in flight; default 16 */
	unsigned int batch_messages;	/* per commit; default 100 */
	uint64_t batch_bytes;		/* per commit; default 16 MiB */
	const char *session;		/* log prefix */
};

struct sync_report {
	enum drv_status status;		/* DRV_OK when everything synced */
	char *error;			/* first error, NULL when none */
	unsigned int folders;
	unsigned int fetched;		/* stored here */
	unsigned int linked;		/* already here via another account */
	unsigned int deleted_here;
	unsigned int deleted_there;
	unsigned int flagged_here;
	unsigned int flagged_there;
	unsigned int remapped;		/* identity changes resolved */
	unsigned int held_deletes;	/* held back by the guard */
	int guard_tripped;
};

/* Called once from the loop when the job ended; the report is valid during
 * the call only. The job frees itself after the callback. */
typedef void sync_done_cb(const struct sync_report *r, void *ctx);

/* Starts syncing `acct` using far (owned by the job from now on: it is
 * destroyed with it). The password was already handed to the driver. */
struct sync_job *sync_start(struct loop *loop, struct db *db,
			    struct store *st, const struct account *acct,
			    struct mbox *far, const struct sync_options *opt,
			    sync_done_cb *cb, void *ctx);
/* Stops the job as soon as possible; the callback still runs once. */
void sync_cancel(struct sync_job *job);

/* The local folder a remote folder maps to (caller frees). */
char *sync_local_name(const struct account *acct, const char *remote,
		      const char *special_use);

#endif
