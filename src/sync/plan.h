#ifndef CONFLUX_PLAN_H
#define CONFLUX_PLAN_H

/* The plan of one link's sync: what to fetch, delete and re-flag on each
 * side, computed from (saved state, remote listing, local listing) with no
 * I/O at all, so every rule here is unit-tested table by table.
 *
 * Rules (DESIGN.md "Identity and state", seeds C1-C4, issue 3):
 * - A remote id with no state row is new: fetched in every mode.
 * - A row whose remote id vanished: forward/both expunge the local copy
 *   (forward deletion); other modes drop the row and keep the mail.
 * - A row whose local copy was lost (its file vanished and the store's
 *   repair dropped it) is fetched again: only a user's deletion counts.
 * - A row whose local copy vanished: reverse/both delete it remotely
 *   (reverse deletion); other modes keep the row as a tombstone
 *   (local_uid 0) so the message is not fetched again.
 * - move: every row whose remote copy still exists and whose local copy is
 *   durable is deleted remotely.
 * - both, with flags on both sides: three-way merge against the flags last
 *   agreed; when the two sides changed one flag in opposite directions the
 *   local change wins.
 * - Identity change (UIDVALIDITY differs, or most POP3 UIDLs vanished at
 *   once): nothing is deleted on either side; rows are re-mapped to the new
 *   ids by Message-ID + size where that match is unique, the rest of the
 *   rows are dropped (their mail stays) and unmatched remote messages are
 *   fetched (the fingerprint check at store time then links a re-fetched
 *   known message instead of storing it twice).
 * - Deletion guard: when the deletions planned for one side exceed
 *   max_delete_percent of that side (of at least GUARD_MIN_MESSAGES), they
 *   are held back unless allow_mass_delete. */

#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"
#include "sync/driver.h"

#define GUARD_MIN_MESSAGES 20

/* One saved state row (sync_msgs). */
struct sync_row {
	char *remote_id;
	uint32_t local_uid;	/* 0: tombstone, deleted here */
	uint64_t size;
	char *message_id;	/* NULL when the message has none */
	char fingerprint[65];
	unsigned int flags;	/* last agreed */
	char *keywords;		/* last agreed, normalised; never NULL */
	int pending_delete;	/* a remote delete was started */
	int lost;		/* the local file was lost (not deleted by a
				   user): fetch it again, delete nothing */
};

/* One local message of the linked folder. */
struct sync_local {
	uint32_t uid;
	unsigned int flags;
	const char *keywords;
	const char *fingerprint;
};

struct plan_input {
	enum account_mode mode;
	int flags_both_ways;		/* both sides carry flags, mode both */
	int identity_changed;		/* remote UIDVALIDITY changed */
	int local_identity_changed;	/* local folder recreated */
	unsigned int max_delete_percent;
	int allow_mass_delete;
	const struct sync_row *rows;
	size_t nrows;
	const struct drv_msg *remote;	/* the complete remote view */
	size_t nremote;
	const struct sync_local *local;	/* sorted by uid */
	size_t nlocal;
};

struct plan_flag_change {
	size_t row;			/* index into rows */
	size_t remote;			/* index into remote (push only) */
	unsigned int add, del;		/* system flags */
	char *keywords;			/* the merged keyword set */
	char *add_kw, *del_kw;		/* for the side being changed */
	unsigned int agreed;		/* flags agreed after the change */
	int agree;			/* record `agreed` once applied: not
					   for a pull whose row still waits for
					   its push (a crash in between would
					   otherwise revert the local change) */
};

struct plan_remap {
	size_t row;
	size_t remote;
};

struct plan {
	size_t *fetch;			/* remote indexes of new messages */
	size_t nfetch;
	uint32_t *local_expunge;	/* forward deletions */
	size_t nlocal_expunge;
	size_t *remote_delete;		/* rows to delete remotely */
	size_t nremote_delete;
	size_t *remote_delete_idx;	/* ... and their remote indexes */
	size_t *drop_rows;		/* rows to remove from the state */
	size_t ndrop_rows;
	size_t *tombstone;		/* rows whose local copy is gone */
	size_t ntombstone;
	struct plan_remap *remap;	/* identity change: row -> new id */
	size_t nremap;
	struct plan_local_remap {	/* local identity change */
		size_t row;
		uint32_t uid;
	} *local_remap;
	size_t nlocal_remap;
	struct plan_flag_change *push;	/* local change -> remote */
	size_t npush;
	struct plan_flag_change *pull;	/* remote change -> local */
	size_t npull;
	/* guard */
	int local_guard_tripped;
	int remote_guard_tripped;
	size_t held_local, held_remote;	/* deletions held back */
};

/* Computes the plan. Never fails (allocation failure aborts). */
void plan_make(const struct plan_input *in, struct plan *p);
void plan_free(struct plan *p);

/* POP3 has no UIDVALIDITY: a UIDL reset shows as most known ids missing
 * while as many unknown ids appear. 1 if that is what the listing shows. */
int plan_looks_like_reset(const struct sync_row *rows, size_t nrows,
			  const struct drv_msg *remote, size_t nremote);

/* Keyword sets as normalised strings: sorted, unique, space separated,
 * never NULL (caller frees). */
char *keywords_normalise(const char *kw);

#endif
