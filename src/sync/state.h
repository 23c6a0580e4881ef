#ifndef CONFLUX_SYNC_STATE_H
#define CONFLUX_SYNC_STATE_H

/* Per-link sync state in the shared database (component "sync"): which
 * remote message is which local one, the flags last agreed on, pending
 * remote deletes, and each account's last result.
 *
 * Functions that change rows do not open transactions: the engine wraps
 * them, so that a message and its state row commit together (through the
 * store's commit hook) and a remote delete is recorded as pending before it
 * is sent. */

#include <stdint.h>
#include <time.h>

#include "lib/db.h"
#include "sync/plan.h"

struct sync_link {
	int64_t id;
	int64_t account_id;
	char *remote_folder;
	int64_t local_folder_id;
	uint64_t remote_identity;	/* UIDVALIDITY; 0: none yet / POP3 */
	uint32_t local_uidvalidity;
	uint64_t remote_modseq;		/* HIGHESTMODSEQ agreed; 0: none */
	uint64_t local_modseq;		/* the store folder's, same moment */
};

struct sync_status {
	time_t last_attempt;
	time_t last_success;
	char *last_error;		/* NULL after a success */
	unsigned int failures;		/* in a row */
	uint64_t fetched, deleted_here, deleted_there, flagged;
	uint64_t messages;		/* rows in all the account's links */
};

int state_migrate(struct db *db, char **error_r);

/* Finds or creates the link of (account, remote folder). A new link
 * starts with the given local folder and uidvalidity. */
int state_link_get(struct db *db, int64_t account_id, const char *remote,
		   int64_t local_folder_id, uint32_t local_uidvalidity,
		   struct sync_link *link);
int state_link_save(struct db *db, const struct sync_link *link);
void state_link_clear(struct sync_link *link);
/* 1 if a remote delete of the link waits to be confirmed, 0 if not. */
int state_link_has_pending(struct db *db, int64_t link_id);

/* All rows of a link; free with state_rows_free. */
int state_rows_load(struct db *db, int64_t link_id, struct sync_row **rows_r,
		    size_t *n_r);
void state_rows_free(struct sync_row *rows, size_t n);

int state_row_insert(struct db *db, int64_t link_id,
		     const struct sync_row *row);
int state_row_delete(struct db *db, int64_t link_id, const char *remote_id);
int state_row_set_pending(struct db *db, int64_t link_id,
			  const char *remote_id);
int state_row_set_local(struct db *db, int64_t link_id,
			const char *remote_id, uint32_t local_uid);
int state_row_set_flags(struct db *db, int64_t link_id,
			const char *remote_id, unsigned int flags,
			const char *keywords);
int state_row_remap(struct db *db, int64_t link_id, const char *old_id,
		    const char *new_id);

/* Takes the lock on a user's syncs for this process: 1 taken, 0 held by
 * another live process (*holder_r), -1 error. *stale_r is 1 when the
 * previous holder died mid-sync: its files may wait for store_check. */
int state_lock_user(struct db *db, const char *user, int *stale_r,
		    long *holder_r);
void state_unlock_user(struct db *db, const char *user);

int state_status_get(struct db *db, int64_t account_id,
		     struct sync_status *s);
/* Without counting the account's messages (s->messages stays 0), which
 * reads every state row. */
int state_status_read(struct db *db, int64_t account_id,
		      struct sync_status *s, int count_messages);
int state_status_save(struct db *db, int64_t account_id,
		      const struct sync_status *s);
void state_status_clear(struct sync_status *s);

#endif
