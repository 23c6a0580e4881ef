/* The sync state tables and their queries. */
#include "sync/state.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xalloc.h"

/* sync_links.account_id refers to the registry's accounts(id): deleting
 * an account drops its state. sync_msgs is clustered on its key. */
static const struct db_migration sync_steps[] = {
	{ 1,
	  "CREATE TABLE sync_links ("
	  " id INTEGER PRIMARY KEY,"
	  " account_id INTEGER NOT NULL REFERENCES accounts(id)"
	  "  ON DELETE CASCADE,"
	  " remote_folder TEXT NOT NULL,"
	  " local_folder_id INTEGER NOT NULL,"
	  " remote_identity BIGINT NOT NULL DEFAULT 0,"
	  " local_uidvalidity BIGINT NOT NULL DEFAULT 0,"
	  " remote_modseq BIGINT NOT NULL DEFAULT 0,"
	  " UNIQUE (account_id, remote_folder));"
	  "CREATE TABLE sync_msgs ("
	  " link_id INTEGER NOT NULL REFERENCES sync_links(id)"
	  "  ON DELETE CASCADE,"
	  " remote_id TEXT NOT NULL,"
	  " local_uid BIGINT NOT NULL,"
	  " size BIGINT NOT NULL DEFAULT 0,"
	  " message_id TEXT,"
	  " fingerprint TEXT NOT NULL DEFAULT '',"
	  " flags INTEGER NOT NULL DEFAULT 0,"
	  " keywords TEXT NOT NULL DEFAULT '',"
	  " pending_delete INTEGER NOT NULL DEFAULT 0,"
	  " PRIMARY KEY (link_id, remote_id)) WITHOUT ROWID;"
	  "CREATE INDEX sync_msgs_local ON sync_msgs (local_uid);"
	  "CREATE TABLE sync_status ("
	  " account_id INTEGER PRIMARY KEY REFERENCES accounts(id)"
	  "  ON DELETE CASCADE,"
	  " last_attempt BIGINT NOT NULL DEFAULT 0,"
	  " last_success BIGINT NOT NULL DEFAULT 0,"
	  " last_error TEXT,"
	  " failures INTEGER NOT NULL DEFAULT 0,"
	  " fetched BIGINT NOT NULL DEFAULT 0,"
	  " deleted_here BIGINT NOT NULL DEFAULT 0,"
	  " deleted_there BIGINT NOT NULL DEFAULT 0,"
	  " flagged BIGINT NOT NULL DEFAULT 0);" },
	/* The local folder's HIGHESTMODSEQ seen by the last complete sync:
	 * with the remote one unchanged too, a folder is skipped without
	 * listing either side. */
	{ 2,
	  "ALTER TABLE sync_links ADD COLUMN local_modseq BIGINT NOT NULL"
	  " DEFAULT 0;" },
	/* Which process syncs a user's accounts now: a lock between the
	 * daemon and `conflux sync`, and the sign that a sync died. */
	{ 3,
	  "CREATE TABLE sync_locks ("
	  " username TEXT PRIMARY KEY,"
	  " pid INTEGER NOT NULL,"
	  " since BIGINT NOT NULL);" },
	/* Pending deletes are few: find them without reading every row
	 * (two equalities, so the planner prefers it to the key's prefix). */
	{ 4,
	  "CREATE INDEX sync_msgs_pending ON sync_msgs"
	  " (pending_delete, link_id);" },
};

int
state_migrate(struct db *db, char **error_r)
{
	return db_migrate(db, "sync", sync_steps,
			  (int)(sizeof(sync_steps) / sizeof(sync_steps[0])),
			  error_r);
}

static char *
column_dup(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

/* Steps a write statement and finalizes it: 0 or -1. */
static int
step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- links ------------------------------------------------------------ */

static int
link_load(struct db *db, int64_t account_id, const char *remote,
	  struct sync_link *l)
{
	sqlite3_stmt *s = db_prepare(db, "SELECT id, local_folder_id,"
		" remote_identity, local_uidvalidity, remote_modseq,"
		" local_modseq"
		" FROM sync_links WHERE account_id = ? AND remote_folder = ?");
	int rc;

	sqlite3_bind_int64(s, 1, account_id);
	sqlite3_bind_text(s, 2, remote, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		l->id = sqlite3_column_int64(s, 0);
		l->local_folder_id = sqlite3_column_int64(s, 1);
		l->remote_identity = (uint64_t)sqlite3_column_int64(s, 2);
		l->local_uidvalidity = (uint32_t)sqlite3_column_int64(s, 3);
		l->remote_modseq = (uint64_t)sqlite3_column_int64(s, 4);
		l->local_modseq = (uint64_t)sqlite3_column_int64(s, 5);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
state_link_get(struct db *db, int64_t account_id, const char *remote,
	       int64_t local_folder_id, uint32_t local_uidvalidity,
	       struct sync_link *l)
{
	sqlite3_stmt *s;
	int rc;

	memset(l, 0, sizeof(*l));
	l->account_id = account_id;
	l->remote_folder = xstrdup(remote);
	if ((rc = link_load(db, account_id, remote, l)) != 0)
		return rc < 0 ? -1 : 0;
	s = db_prepare(db, "INSERT INTO sync_links (account_id, remote_folder,"
		       " local_folder_id, local_uidvalidity) VALUES (?,?,?,?)");
	sqlite3_bind_int64(s, 1, account_id);
	sqlite3_bind_text(s, 2, remote, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, local_folder_id);
	sqlite3_bind_int64(s, 4, local_uidvalidity);
	if (step_done(s) < 0)
		return -1;
	return link_load(db, account_id, remote, l) == 1 ? 0 : -1;
}

int
state_link_save(struct db *db, const struct sync_link *l)
{
	sqlite3_stmt *s = db_prepare(db, "UPDATE sync_links SET"
		" local_folder_id = ?, remote_identity = ?,"
		" local_uidvalidity = ?, remote_modseq = ?, local_modseq = ?"
		" WHERE id = ?");

	sqlite3_bind_int64(s, 1, l->local_folder_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)l->remote_identity);
	sqlite3_bind_int64(s, 3, l->local_uidvalidity);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)l->remote_modseq);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)l->local_modseq);
	sqlite3_bind_int64(s, 6, l->id);
	return step_done(s);
}

int
state_link_has_pending(struct db *db, int64_t link_id)
{
	sqlite3_stmt *s = db_prepare(db, "SELECT 1 FROM sync_msgs"
		" WHERE pending_delete = 1 AND link_id = ? LIMIT 1");
	int rc;

	sqlite3_bind_int64(s, 1, link_id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

void
state_link_clear(struct sync_link *l)
{
	free(l->remote_folder);
	memset(l, 0, sizeof(*l));
}

/* ---- rows --------------------------------------------------------------- */

static void
row_from(sqlite3_stmt *s, struct sync_row *r)
{
	const unsigned char *fp = sqlite3_column_text(s, 4);

	memset(r, 0, sizeof(*r));
	r->remote_id = column_dup(s, 0);
	r->local_uid = (uint32_t)sqlite3_column_int64(s, 1);
	r->size = (uint64_t)sqlite3_column_int64(s, 2);
	r->message_id = column_dup(s, 3);
	if (fp != NULL)
		memcpy(r->fingerprint, fp, strnlen((const char *)fp, 64));
	r->flags = (unsigned int)sqlite3_column_int(s, 5);
	r->keywords = column_dup(s, 6);
	if (r->keywords == NULL)
		r->keywords = xstrdup("");
	r->pending_delete = sqlite3_column_int(s, 7);
}

int
state_rows_load(struct db *db, int64_t link_id, struct sync_row **rows_r,
		size_t *n_r)
{
	sqlite3_stmt *s = db_prepare(db, "SELECT remote_id, local_uid, size,"
		" message_id, fingerprint, flags, keywords, pending_delete"
		" FROM sync_msgs WHERE link_id = ?");
	struct sync_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc;

	sqlite3_bind_int64(s, 1, link_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			rows = xrealloc(rows, cap * sizeof(*rows));
		}
		row_from(s, &rows[n++]);
	}
	sqlite3_finalize(s);
	*rows_r = rows;
	*n_r = n;
	return rc == SQLITE_DONE ? 0 : -1;
}

void
state_rows_free(struct sync_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].remote_id);
		free(rows[i].message_id);
		free(rows[i].keywords);
	}
	free(rows);
}

int
state_row_insert(struct db *db, int64_t link_id, const struct sync_row *r)
{
	sqlite3_stmt *s = db_prepare(db, "INSERT OR REPLACE INTO sync_msgs"
		" (link_id, remote_id, local_uid, size, message_id,"
		" fingerprint, flags, keywords, pending_delete)"
		" VALUES (?,?,?,?,?,?,?,?,?)");

	sqlite3_bind_int64(s, 1, link_id);
	sqlite3_bind_text(s, 2, r->remote_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, r->local_uid);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)r->size);
	if (r->message_id != NULL)
		sqlite3_bind_text(s, 5, r->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, r->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 7, (int)r->flags);
	sqlite3_bind_text(s, 8, r->keywords ? r->keywords : "", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int(s, 9, r->pending_delete);
	return step_done(s);
}

/* UPDATE sync_msgs SET <set> WHERE link_id = ? AND remote_id = ?, with
 * the SET's own parameters bound by the caller first. */
static sqlite3_stmt *
row_update(struct db *db, const char *sql, int64_t link_id, int first,
	   const char *remote_id)
{
	sqlite3_stmt *s = db_prepare(db, sql);

	sqlite3_bind_int64(s, first, link_id);
	sqlite3_bind_text(s, first + 1, remote_id, -1, SQLITE_TRANSIENT);
	return s;
}

int
state_row_delete(struct db *db, int64_t link_id, const char *remote_id)
{
	return step_done(row_update(db, "DELETE FROM sync_msgs WHERE"
		" link_id = ? AND remote_id = ?", link_id, 1, remote_id));
}

int
state_row_set_pending(struct db *db, int64_t link_id, const char *remote_id)
{
	return step_done(row_update(db, "UPDATE sync_msgs SET"
		" pending_delete = 1 WHERE link_id = ? AND remote_id = ?",
		link_id, 1, remote_id));
}

int
state_row_set_local(struct db *db, int64_t link_id, const char *remote_id,
		    uint32_t local_uid)
{
	sqlite3_stmt *s = row_update(db, "UPDATE sync_msgs SET local_uid = ?"
		" WHERE link_id = ? AND remote_id = ?", link_id, 2, remote_id);

	sqlite3_bind_int64(s, 1, local_uid);
	return step_done(s);
}

int
state_row_set_flags(struct db *db, int64_t link_id, const char *remote_id,
		    unsigned int flags, const char *keywords)
{
	sqlite3_stmt *s = row_update(db, "UPDATE sync_msgs SET flags = ?,"
		" keywords = ? WHERE link_id = ? AND remote_id = ?",
		link_id, 3, remote_id);

	sqlite3_bind_int(s, 1, (int)flags);
	sqlite3_bind_text(s, 2, keywords ? keywords : "", -1,
			  SQLITE_TRANSIENT);
	return step_done(s);
}

int
state_row_remap(struct db *db, int64_t link_id, const char *old_id,
		const char *new_id)
{
	sqlite3_stmt *s = row_update(db, "UPDATE sync_msgs SET remote_id = ?"
		" WHERE link_id = ? AND remote_id = ?", link_id, 2, old_id);

	sqlite3_bind_text(s, 1, new_id, -1, SQLITE_TRANSIENT);
	return step_done(s);
}

/* ---- locks ------------------------------------------------------------- */

static int
pid_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static long
lock_holder(struct db *db, const char *user)
{
	sqlite3_stmt *s = db_prepare(db, "SELECT pid FROM sync_locks"
				     " WHERE username = ?");
	long pid = 0;

	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		pid = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return pid;
}

int
state_lock_user(struct db *db, const char *user, int *stale_r,
		long *holder_r)
{
	long pid = (long)getpid(), holder;
	sqlite3_stmt *s;

	*stale_r = 0;
	if (db_begin(db) < 0)
		return -1;
	holder = lock_holder(db, user);
	*holder_r = holder;
	if (holder != 0 && holder != pid && pid_alive(holder)) {
		db_rollback(db);
		return 0;
	}
	*stale_r = holder != 0 && holder != pid;
	s = db_prepare(db, "INSERT OR REPLACE INTO sync_locks"
		       " (username, pid, since) VALUES (?, ?, ?)");
	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, pid);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
	if (step_done(s) < 0) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db) < 0 ? -1 : 1;
}

void
state_unlock_user(struct db *db, const char *user)
{
	sqlite3_stmt *s = db_prepare(db, "DELETE FROM sync_locks"
				     " WHERE username = ? AND pid = ?");

	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)getpid());
	step_done(s);
}

/* ---- status ------------------------------------------------------------- */

static const char status_counted[] = "SELECT last_attempt, last_success,"
	" last_error, failures, fetched, deleted_here, deleted_there,"
	" flagged, (SELECT count(*) FROM sync_msgs m JOIN sync_links l"
	" ON l.id = m.link_id WHERE l.account_id = ?)"
	" FROM sync_status WHERE account_id = ?";
static const char status_uncounted[] = "SELECT last_attempt, last_success,"
	" last_error, failures, fetched, deleted_here, deleted_there,"
	" flagged, ? * 0 FROM sync_status WHERE account_id = ?";

int
state_status_get(struct db *db, int64_t account_id, struct sync_status *st)
{
	return state_status_read(db, account_id, st, 1);
}

int
state_status_read(struct db *db, int64_t account_id, struct sync_status *st,
		  int count_messages)
{
	sqlite3_stmt *s = db_prepare(db, count_messages ? status_counted :
				     status_uncounted);
	int rc;

	memset(st, 0, sizeof(*st));
	sqlite3_bind_int64(s, 1, account_id);
	sqlite3_bind_int64(s, 2, account_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		st->last_attempt = (time_t)sqlite3_column_int64(s, 0);
		st->last_success = (time_t)sqlite3_column_int64(s, 1);
		st->last_error = column_dup(s, 2);
		st->failures = (unsigned int)sqlite3_column_int(s, 3);
		st->fetched = (uint64_t)sqlite3_column_int64(s, 4);
		st->deleted_here = (uint64_t)sqlite3_column_int64(s, 5);
		st->deleted_there = (uint64_t)sqlite3_column_int64(s, 6);
		st->flagged = (uint64_t)sqlite3_column_int64(s, 7);
		st->messages = (uint64_t)sqlite3_column_int64(s, 8);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
state_status_save(struct db *db, int64_t account_id,
		  const struct sync_status *st)
{
	sqlite3_stmt *s = db_prepare(db, "INSERT OR REPLACE INTO sync_status"
		" (account_id, last_attempt, last_success, last_error,"
		" failures, fetched, deleted_here, deleted_there, flagged)"
		" VALUES (?,?,?,?,?,?,?,?,?)");

	sqlite3_bind_int64(s, 1, account_id);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)st->last_attempt);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)st->last_success);
	if (st->last_error != NULL)
		sqlite3_bind_text(s, 4, st->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, (int)st->failures);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)st->fetched);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)st->deleted_here);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)st->deleted_there);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)st->flagged);
	return step_done(s);
}

void
state_status_clear(struct sync_status *s)
{
	free(s->last_error);
	memset(s, 0, sizeof(*s));
}
