#ifndef CONFLUX_IMAP_VIEW_H
#define CONFLUX_IMAP_VIEW_H

/* A session's view of its selected folder: the message sequence number ->
 * UID map the client knows (RFC 3501 2.3.1.2), and the changes read from
 * the store's journal that it has not been told about yet.
 *
 * Pure bookkeeping, no I/O (unit tested in tests/unit/server/
 * test-imap-view.c). Memory: 4 bytes per message plus the pending lists,
 * which are emptied when announced.
 *
 * Changes are fed in journal order (imap_view_change). They are
 * announced at the times RFC 3501 7 allows:
 *   - expunges (imap_view_expunge_take) not during FETCH, STORE, SEARCH;
 *     taken in descending sequence order, so every number is valid at
 *     the moment it is sent without renumbering the rest;
 *   - new messages (imap_view_new_take) then "* n EXISTS";
 *   - flag changes (imap_view_flags_take) as FETCH FLAGS.
 * Changes the session made itself are told to the client by the command
 * that made them; their modseqs are registered with imap_view_own() and
 * skipped when the journal brings them back. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_change;

struct imap_view {
	uint32_t *uids;		/* announced messages, ascending */
	uint32_t count, cap;
	uint64_t modseq;	/* journal applied up to this modseq */
	uint32_t *new_uids;	/* appended, not announced; ascending */
	uint32_t n_new, cap_new;
	uint32_t *exp_uids;	/* in uids[], expunged, not announced */
	uint32_t n_exp, cap_exp;
	bool exp_sorted;	/* exp_uids ascending */
	uint32_t *flag_uids;	/* flags changed (unsorted, may repeat) */
	uint32_t n_flag, cap_flag;
	uint64_t *own;		/* modseqs of this session's own changes */
	uint32_t n_own, cap_own;
};

void imap_view_init(struct imap_view *v);
/* Frees everything; the view is empty afterwards (and reusable). */
void imap_view_clear(struct imap_view *v);

/* Initial load (SELECT): uids must come in ascending order. */
void imap_view_load(struct imap_view *v, uint32_t uid);

/* 1-based sequence number of uid, 0 when not in the view. */
uint32_t imap_view_seq(const struct imap_view *v, uint32_t uid);
/* UID at seq (1..count); 0 when out of range. */
uint32_t imap_view_uid(const struct imap_view *v, uint32_t seq);
/* Highest announced UID, 0 for an empty view. */
uint32_t imap_view_last_uid(const struct imap_view *v);

/* A change of our own (flags we stored): skipped when read back. */
void imap_view_own(struct imap_view *v, uint64_t modseq);
/* One journal entry, in modseq order. Advances v->modseq. */
void imap_view_change(struct imap_view *v, const struct store_change *c);
/* Marks uid expunged by this session (EXPUNGE, MOVE): announced by the
 * next imap_view_expunge_take. Unknown uids are ignored. */
void imap_view_expunged(struct imap_view *v, uint32_t uid);

bool imap_view_has_pending(const struct imap_view *v);
bool imap_view_has_expunges(const struct imap_view *v);

/* Takes the next pending expunge, highest sequence number first, and
 * removes it from the view. 1 with *seq_r and *uid_r, 0 when none is
 * left. */
int imap_view_expunge_take(struct imap_view *v, uint32_t *seq_r,
			   uint32_t *uid_r);
/* Appends the pending new messages to the view; returns how many. */
uint32_t imap_view_new_take(struct imap_view *v);
/* Hands over the UIDs whose flags changed and are in the view (sorted,
 * unique; expunged ones and new ones left out). *uids_r is malloc'd
 * (free()), NULL when *n_r is 0. */
void imap_view_flags_take(struct imap_view *v, uint32_t **uids_r,
			  uint32_t *n_r);

#endif
