#ifndef CONFLUX_STORE_PRIVATE_H
#define CONFLUX_STORE_PRIVATE_H

/* Shared between the store's own files; not part of the store API. */

#include <stdint.h>

#include "lib/buf.h"
#include "store/store.h"

/* Longest path we build; longer ones are rejected, never truncated. */
#define STORE_PATH_MAX 4096

struct store {
	struct db *db;
	char *root;
	struct store_limits limits;
	char *error;
	char host[256];		/* hostname escaped for file names */
};

/* The metadata the index keeps about one message file. */
struct store_meta {
	uint64_t psize;
	uint64_t size;
	time_t internal_date;
	unsigned int flags;
	const char *keywords;
	char *message_id;
	char fingerprint[65];
};

/* Reads a message as it streams by: sizes, fingerprint, Message-ID. */
struct store_scan;

struct store_scan *store_scan_new(size_t max_header);
void store_scan_feed(struct store_scan *sc, const void *data, size_t len);
/* Fills psize, size, message_id (malloc'd), fingerprint of *m. */
void store_scan_finish(struct store_scan *sc, struct store_meta *m);
void store_scan_free(struct store_scan **sc);
uint64_t store_scan_psize(const struct store_scan *sc);
/* Streams a whole file through a scan (fixed buffer); -1 with errno. */
int store_scan_file(int fd, size_t max_header, struct store_meta *m);

/* ---- store.c ---------------------------------------------------------- */

/* Sets the error message and returns rc (so: return store_fail(...)). */
int store_fail(struct store *st, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* TEMPFAIL for ENOSPC/EDQUOT/EIO and every other errno, worded for them. */
int store_fail_errno(struct store *st, int err, const char *what,
		     const char *path);
int store_user_valid(const char *user);

/* Removes a directory tree (no symlinks followed); 0 or -1 with errno. */
int store_rm_tree(const char *path);

/* ---- folder.c --------------------------------------------------------- */

/* A folder row as the other files need it. */
struct folder_ref {
	int64_t id;
	char *user;
	char *name;
	char *dir;	/* absolute maildir of the folder */
};

int folder_ref_get(struct store *st, const char *user, const char *name,
		   struct folder_ref *ref_r);
int folder_ref_by_id(struct store *st, int64_t id, struct folder_ref *ref_r);
void folder_ref_clear(struct folder_ref *ref);
/* Copy of name with a leading INBOX component in upper case. */
char *folder_norm_name(const char *name);
/* cur/ new/ tmp/ and, outside INBOX, the maildirfolder marker. */
int folder_mkdirs(const char *dir, int inbox);
/* Creates the folder row (caller holds a transaction) and its directory. */
int folder_make(struct store *st, const char *user, const char *name,
		const char *special_use, int subscribed, int64_t *id_r);
/* <root>/<user> and <root>/<user>/<encoded name>; -1 if too long/invalid. */
int folder_dir(struct store *st, const char *user, const char *name,
	       struct buf *out);

/* ---- maildir.c -------------------------------------------------------- */

/* Folder name (UTF-8, '/'-separated) -> on-disk directory name relative to
 * the user root: "" for INBOX, ".Sent", ".Archive.2024". -1 when invalid. */
int maildir_name_encode(const char *name, struct buf *out);
/* The reverse of maildir_name_encode for a directory entry (".X.Y"). -1 for
 * names that encode_name cannot have produced. */
int maildir_name_decode(const char *dirname, struct buf *out);
/* One component <-> IMAP modified UTF-7 (RFC 3501 5.1.3). Kept behind these
 * two functions so lib/utf7 can replace them. -1 on invalid input. */
int maildir_mutf7_encode(const char *utf8, size_t len, struct buf *out);
int maildir_mutf7_decode(const char *mutf7, size_t len, struct buf *out);

/* ":2," flag letters in the required sorted order (D F R S T). */
void maildir_flags_letters(unsigned int flags, char out[8]);
unsigned int maildir_letters_flags(const char *letters);
/* Length of the unique part of a file name (before ":2," or ':'). */
size_t maildir_base_len(const char *filename);
/* Flags from a file name's ":2," suffix (0 when there is none). */
unsigned int maildir_name_flags(const char *filename);
/* The P<pid> and host of a name written by a Dovecot-style writer; 0 when
 * the name has no pid or another host wrote it. */
long maildir_name_pid(const char *filename, const char *host);
/* Escapes '/' and ':' of a host name as Dovecot does (\057, \072). */
void maildir_host_escape(const char *host, char *out, size_t outsize);
/* mkdir cur/ new/ tmp/ under dir (and dir itself); 0 or -1 with errno. */
int maildir_mkdirs(const char *dir);
/* fsync a directory; 0 or -1 with errno. */
int maildir_fsync_dir(const char *dir);

/* ---- index.c ---------------------------------------------------------- */

int index_migrate(struct store *st, char **error_r);
/* Next UIDVALIDITY for the user: time(NULL), but strictly above any value
 * given before (caller holds a transaction). 0 on database error. */
uint32_t index_next_uidvalidity(struct store *st, const char *user);
/* Inserts a message row + journal entry, allocating the UID (caller holds a
 * transaction). When the basename is already indexed (a concurrent check
 * got there first) that row's UID is returned and nothing is inserted. */
int index_add_msg(struct store *st, int64_t folder_id, const char *basename,
		  const struct store_meta *m, uint32_t *uid_r);
/* Deletes a row and journals the expunge; 1 done, 0 absent, -1 error. */
/* lost: the file vanished (journaled as STORE_CHANGE_LOST). */
int index_drop_msg(struct store *st, int64_t folder_id, uint32_t uid,
		   int lost);
/* 1 when a file of that basename was expunged (its unlink may have been
 * cut short by a crash), else 0. */
int index_was_expunged(struct store *st, int64_t folder_id,
		       const char *basename);
/* Allocates the folder's next modseq (caller holds a transaction). */
int index_next_modseq(struct store *st, int64_t folder_id, uint64_t *modseq_r);
int index_journal(struct store *st, int64_t folder_id, uint64_t modseq,
		  uint32_t uid, enum store_change_kind kind,
		  unsigned int flags, const char *keywords);
/* Begins a transaction; STORE_TEMPFAIL with the error set on failure. */
int index_begin(struct store *st);
/* For a transaction that changes flags only: see db_begin_relaxed(). */
int index_begin_flags(struct store *st);
int index_commit(struct store *st);

/* Keywords after adding then removing (space-separated, each may be
 * NULL); duplicates dropped case-insensitively; malloc'd, "" when none. */
char *keywords_merge(const char *cur, const char *add, const char *del);

/* ---- message.c -------------------------------------------------------- */

/* The current absolute path of an indexed file: cur/<base>:2,<flags> when it
 * exists, else whatever cur/ or new/ entry carries that base. */
int msg_locate(const char *dir, const char *basename, unsigned int flags,
	       struct buf *path_r);

/* ---- check.c --------------------------------------------------------- */

struct check {
	struct store *st;
	int repair;
	int quick;
	struct store_check_report *rep;
	void (*cb)(const char *line, void *ctx);
	void *ctx;
	time_t now;
};

void check_init(struct check *c, struct store *st, int repair, int quick,
		struct store_check_report *report,
		void (*cb)(const char *line, void *ctx), void *ctx);
/* Reports one difference through the caller's callback. */
void check_say(struct check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int check_folder(struct check *c, const struct folder_ref *ref);

#endif
