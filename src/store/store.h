#ifndef CONFLUX_STORE_H
#define CONFLUX_STORE_H

/* The mail store: Maildir++ files + an index in the shared SQLite database.
 *
 * Layout under the mail root:  <root>/<user>/{cur,new,tmp}        INBOX
 *                              <root>/<user>/.<Name>/{cur,new,tmp} other folders
 * Folder names are UTF-8 with '/' as hierarchy separator; on disk each
 * component is modified UTF-7, '.' and '%' escaped as %2E/%25, joined by '.'
 * (Maildir++). Message files are kept exactly as received (bare LF or CRLF);
 * `size` below is the RFC822.SIZE a client sees (every line end counted as
 * CRLF), `psize` the bytes on disk. File names follow Maildir conventions
 * with ,S=<psize>,W=<size> and :2,<flags>; the index is the authority for
 * flags, keywords and UIDs.
 *
 * Durability order of an append (invariant 1 of DESIGN.md):
 *   write tmp/ file -> fsync file -> rename into cur/ -> fsync cur/
 *   -> commit index row (synchronous=FULL).
 * Nothing returns STORE_OK before all of it completed. A batch shares one
 * directory fsync and one commit. Every step is a crash point (lib/crash.h).
 * After a crash at any point, store_check(..., repair) restores agreement:
 * a renamed file without a row is indexed, a row without a file is dropped
 * and journaled as an expunge, an orphaned tmp/ file is removed.
 *
 * Several processes may use one store at once (the daemon, `conflux
 * deliver`): the database serialises index writers; file names are unique
 * per process. All functions are synchronous and may block on disk. */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/db.h"

enum store_rc {
	STORE_OK = 0,
	STORE_TEMPFAIL = -1,	/* disk full, I/O error, database busy: retry */
	STORE_REJECT = -2,	/* this input can never be stored (too large,
				   empty, bad folder name) */
	STORE_NOTFOUND = -3,	/* no such user, folder or message */
	STORE_EXISTS = -4,	/* folder already exists */
};

/* System flags; keywords are kept apart as a space-separated string. */
enum store_flag {
	STORE_F_SEEN = 1 << 0,
	STORE_F_ANSWERED = 1 << 1,
	STORE_F_FLAGGED = 1 << 2,
	STORE_F_DELETED = 1 << 3,
	STORE_F_DRAFT = 1 << 4,
};

struct store_limits {
	uint64_t max_message_size;	/* bytes; 0: no limit */
	size_t max_header_parse;	/* header bytes parsed for metadata */
};

struct store;

struct store_folder {
	int64_t id;
	char *user;
	char *name;		/* "INBOX", "Sent", "Archive/2024" */
	char *special_use;	/* "\\Sent" ... or NULL */
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t messages;	/* rows in the index */
	int subscribed;
};

struct store_msg {
	uint32_t uid;
	uint64_t modseq;
	unsigned int flags;	/* enum store_flag */
	char *keywords;		/* "" when none */
	uint64_t size;		/* RFC822.SIZE (CRLF line ends) */
	uint64_t psize;		/* bytes in the file */
	time_t internal_date;
	char *message_id;	/* without <>; NULL when absent */
	char fingerprint[65];	/* hex SHA-256, DESIGN.md "Identity" */
	char *path;		/* absolute path of the file right now */
};

/* LOST: the repair dropped a row whose file had vanished. It is not a
 * user's deletion: sync must not pass it on as one (DESIGN invariant 2). */
enum store_change_kind { STORE_CHANGE_APPEND, STORE_CHANGE_FLAGS,
			 STORE_CHANGE_EXPUNGE, STORE_CHANGE_LOST };

struct store_change {
	uint64_t modseq;
	uint32_t uid;
	enum store_change_kind kind;
	unsigned int flags;	/* flags after the change (not for expunge) */
	const char *keywords;
};

/* ---- the store itself ---------------------------------------------- */

/* Migrates the store schema in db. The store borrows db (caller closes it
 * after store_close). NULL with *error_r (malloc'd) on failure. */
struct store *store_open(struct db *db, const char *mail_root,
			 const struct store_limits *limits, char **error_r);
void store_close(struct store **st);
/* Message of the last failed call, valid until the next call. */
const char *store_error(struct store *st);

/* ---- users and folders --------------------------------------------- */

/* Creates INBOX and the special-use folders Sent, Drafts, Trash, Junk,
 * Archive (subscribed). Idempotent. */
int store_user_create(struct store *st, const char *user);
/* Removes every folder, row and file of the user. */
int store_user_purge(struct store *st, const char *user);

int store_folder_create(struct store *st, const char *user, const char *name,
			const char *special_use);
/* Fills *f (free with store_folder_clear); STORE_NOTFOUND if absent. */
int store_folder_get(struct store *st, const char *user, const char *name,
		     struct store_folder *f);
/* As store_folder_get, without counting the messages (f->messages is 0):
 * constant time, where the count reads every row of the folder. */
int store_folder_find(struct store *st, const char *user, const char *name,
		      struct store_folder *f);
void store_folder_clear(struct store_folder *f);
/* Calls cb for each folder of the user, sorted by name; cb's folder is
 * valid during the call only. A non-zero cb return stops the walk. */
int store_folder_list(struct store *st, const char *user,
		      int (*cb)(const struct store_folder *f, void *ctx),
		      void *ctx);
/* Renames a folder and its children (INBOX cannot be renamed here). */
int store_folder_rename(struct store *st, const char *user,
			const char *old_name, const char *new_name);
/* Deletes a folder with its messages; children stay (IMAP semantics). */
int store_folder_delete(struct store *st, const char *user, const char *name);
int store_folder_subscribe(struct store *st, const char *user,
			   const char *name, int subscribed);
/* STORE_REJECT for names that cannot be stored (empty component, NUL,
 * over 255 bytes per component, leading/trailing '/'). */
int store_folder_name_valid(const char *name);

/* ---- appending ----------------------------------------------------- */

struct store_batch;
struct store_draft;

/* A batch appends one or more messages to one folder atomically: either all
 * are in the index after store_batch_commit, or none (their files are
 * removed). */
int store_batch_begin(struct store *st, const char *user, const char *folder,
		      struct store_batch **batch_r);
/* Starts one message (a tmp/ file). internal_date 0 means now. */
int store_draft_begin(struct store_batch *b, time_t internal_date,
		      unsigned int flags, const char *keywords,
		      struct store_draft **draft_r);
/* Streams bytes in; memory use does not grow with the message.
 * STORE_REJECT once max_message_size is exceeded, STORE_TEMPFAIL on a
 * write error (ENOSPC...). After an error only store_batch_abort is valid. */
int store_draft_write(struct store_draft *d, const void *data, size_t len);
/* Ends the message and starts writing it back to disk; the draft joins the
 * batch. Its fsync happens in store_batch_commit, before any rename, so the
 * writeback of a batch's files overlaps. The tmp file stays open until
 * then: keep batches to a few hundred drafts.
 * STORE_REJECT for an empty message. */
int store_draft_finish(struct store_draft *d);
/* fsyncs every finished draft, renames each into cur/, fsyncs the directory
 * once and commits the index once. uids_r (may be NULL) receives the new UIDs in
 * draft order and must have room for store_batch_count() entries.
 * The batch is freed in every case. */
int store_batch_commit(struct store_batch **b, uint32_t *uids_r);
size_t store_batch_count(const struct store_batch *b);
/* As store_batch_commit, and hook(uids, n, ctx) runs inside the index
 * transaction after the rows are in and before COMMIT, so a caller's own
 * rows (the sync state) commit atomically with the messages. A non-zero
 * return from hook rolls everything back and removes the files. */
typedef int store_commit_hook(const uint32_t *uids, size_t n, void *ctx);
int store_batch_commit_hook(struct store_batch **b, uint32_t *uids_r,
			    store_commit_hook *hook, void *ctx);

/* Group commit: several batches (any users and folders of this store) in
 * one pass. The files of all of them are made durable together (one
 * syncfs() from 8 drafts on, counted over all batches), then renamed, each
 * distinct cur/ directory fsynced once (one syncfs() from 8 directories
 * on), and every row is committed in one index transaction. rcs_r[i]
 * receives batch i's result: a batch that fails on its own files does not
 * take the others down; if the shared transaction fails, each remaining
 * batch is tried again in a transaction of its own. Every batch is freed
 * and b[i] set to NULL. Returns how many batches were committed.
 * uids_r (may be NULL; so may each uids_r[i]) receives each batch's new
 * UIDs in draft order, with room for store_batch_count(b[i]) entries. */
size_t store_batch_commit_many(struct store_batch **b, size_t n, int *rcs_r,
			       uint32_t *const *uids_r);

/* What a finished draft turned out to be (valid until the batch ends). */
struct store_draft_info {
	uint64_t size;		/* RFC822.SIZE */
	uint64_t psize;
	const char *message_id;	/* NULL when absent */
	const char *fingerprint; /* NULL until store_draft_finish */
};
void store_draft_info(const struct store_draft *d,
		      struct store_draft_info *info);
/* Takes a draft out of its batch and removes its file (a duplicate that
 * need not be stored). NULL is a no-op. */
void store_draft_drop(struct store_draft **d);
/* Unlinks every file of the batch and frees it. NULL is a no-op. */
void store_batch_abort(struct store_batch **b);

/* One message from memory, as a batch of one. */
int store_append(struct store *st, const char *user, const char *folder,
		 const void *data, size_t len, time_t internal_date,
		 unsigned int flags, uint32_t *uid_r);

/* ---- reading and changing ------------------------------------------ */

/* Messages with uid >= uid_min in UID order; cb's msg is valid during the
 * call only; non-zero from cb stops. */
int store_msg_list(struct store *st, int64_t folder_id, uint32_t uid_min,
		   int (*cb)(const struct store_msg *m, void *ctx), void *ctx);
/* Fills *m (free with store_msg_clear); STORE_NOTFOUND if absent. */
int store_msg_get(struct store *st, int64_t folder_id, uint32_t uid,
		  struct store_msg *m);
void store_msg_clear(struct store_msg *m);
/* Copies of one message in a folder: UIDs (ascending, at most max) whose
 * fingerprint is fp and whose Message-ID is message_id (NULL: none).
 * *n_r is how many were found (<= max). */
int store_msg_find_copies(struct store *st, int64_t folder_id,
			  const char *fp, const char *message_id,
			  uint32_t *uids_r, size_t max, size_t *n_r);
/* 1 if uid left the folder because its file was lost (a repair dropped
 * it), 0 if it was expunged or never existed, -1 on error. */
int store_msg_was_lost(struct store *st, int64_t folder_id, uint32_t uid);
/* Opens the message file read-only; -1 with errno on failure. */
int store_msg_open(struct store *st, int64_t folder_id, uint32_t uid);
/* Adds then removes flags/keywords (keywords: space separated, may be NULL);
 * journals the change with a new modseq, then renames the file so its
 * :2, suffix matches. *modseq_r may be NULL. */
int store_msg_set_flags(struct store *st, int64_t folder_id, uint32_t uid,
			unsigned int add, unsigned int del,
			const char *add_keywords, const char *del_keywords,
			uint64_t *modseq_r);
/* A flag change for store_msg_set_flags_many: add then del (as
 * store_msg_set_flags), or with replace the flags become exactly `add` and
 * the keywords exactly `add_keywords` (IMAP STORE FLAGS). */
struct store_flag_change {
	unsigned int add, del;
	const char *add_keywords, *del_keywords;	/* may be NULL */
	int replace;
};
/* store_msg_set_flags for each of uids[0..n) in ONE transaction (one
 * commit), then the file renames (src/store/flags-many.c). modseqs_r (may
 * be NULL; n entries) receives each message's modseq afterwards: a new one
 * when it changed, its old one when nothing changed, 0 for a UID that is
 * not in the folder (skipped). */
int store_msg_set_flags_many(struct store *st, int64_t folder_id,
			     const uint32_t *uids, size_t n,
			     const struct store_flag_change *ch,
			     uint64_t *modseqs_r);
/* Removes the messages (index first, journaled, then files). Unknown UIDs
 * are skipped. */
int store_msg_expunge(struct store *st, int64_t folder_id,
		      const uint32_t *uids, size_t n);
/* Journal entries with modseq > since, in modseq order. */
int store_changes_since(struct store *st, int64_t folder_id, uint64_t since,
			int (*cb)(const struct store_change *c, void *ctx),
			void *ctx);

/* ---- consistency --------------------------------------------------- */

struct store_check_report {
	unsigned int folders;		/* folders looked at */
	unsigned int messages;		/* rows that matched a file */
	unsigned int unindexed;		/* files without a row (indexed if repair) */
	unsigned int missing;		/* rows without a file (dropped if repair) */
	unsigned int flags_fixed;	/* file names renamed to match the index */
	unsigned int stray_tmp;		/* orphaned tmp/ files (removed if repair) */
	unsigned int folders_missing;	/* folder rows without a directory, or
					   directories without a row */
};

/* Compares files and index for one user, or every user when user is NULL.
 * quick: only stray tmp files and folders whose file count differs from the
 * row count (what `conflux serve` runs at start). repair: fix what is found.
 * Each difference is reported through cb (may be NULL) as one line. */
int store_check(struct store *st, const char *user, int repair, int quick,
		struct store_check_report *report,
		void (*cb)(const char *line, void *ctx), void *ctx);

#endif
