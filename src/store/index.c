/* The index: folders, messages and the modseq journal in the shared
 * database. Every write here runs inside a transaction the caller holds, so
 * a message row, its UID and its journal entry appear together or not. */

#include <string.h>
#include <time.h>

#include "lib/db.h"
#include "lib/xalloc.h"
#include "store/store-private.h"

/* Column "username", not "user": USER is reserved in PostgreSQL.
 * journal.basename is set for expunges only: it lets store_check tell a
 * file whose expunge was interrupted (remove it) from a file that was never
 * indexed (index it).
 * messages and journal are clustered on their keys (WITHOUT ROWID; for
 * PostgreSQL drop the clause): each append then writes two fewer b-tree
 * pages to the WAL, which is most of the cost of a one-message commit. */
static const struct db_migration store_steps[] = {
	{ 1,
	  "CREATE TABLE store_uidvalidity ("
	  " username TEXT PRIMARY KEY,"
	  " last_uidvalidity BIGINT NOT NULL);"
	  "CREATE TABLE folders ("
	  " id INTEGER PRIMARY KEY,"
	  " username TEXT NOT NULL,"
	  " name TEXT NOT NULL,"
	  " special_use TEXT,"
	  " uidvalidity BIGINT NOT NULL,"
	  " uidnext BIGINT NOT NULL DEFAULT 1,"
	  " highestmodseq BIGINT NOT NULL DEFAULT 0,"
	  " subscribed INTEGER NOT NULL DEFAULT 0,"
	  " UNIQUE (username, name));"
	  "CREATE TABLE messages ("
	  " folder_id INTEGER NOT NULL REFERENCES folders(id)"
	  "  ON DELETE CASCADE,"
	  " uid BIGINT NOT NULL,"
	  " basename TEXT NOT NULL,"
	  " psize BIGINT NOT NULL,"
	  " size BIGINT NOT NULL,"
	  " internal_date BIGINT NOT NULL,"
	  " flags INTEGER NOT NULL DEFAULT 0,"
	  " keywords TEXT NOT NULL DEFAULT '',"
	  " message_id TEXT,"
	  " fingerprint TEXT NOT NULL,"
	  " modseq BIGINT NOT NULL,"
	  " PRIMARY KEY (folder_id, uid),"
	  " UNIQUE (folder_id, basename)) WITHOUT ROWID;"
	  "CREATE INDEX messages_message_id ON messages (message_id);"
	  "CREATE INDEX messages_fingerprint ON messages (fingerprint);"
	  "CREATE TABLE journal ("
	  " folder_id INTEGER NOT NULL REFERENCES folders(id)"
	  "  ON DELETE CASCADE,"
	  " modseq BIGINT NOT NULL,"
	  " uid BIGINT NOT NULL,"
	  " kind INTEGER NOT NULL,"
	  " flags INTEGER NOT NULL DEFAULT 0,"
	  " keywords TEXT,"
	  " basename TEXT,"
	  " PRIMARY KEY (folder_id, modseq, uid)) WITHOUT ROWID;"
	  "CREATE INDEX journal_basename ON journal (folder_id, basename)"
	  " WHERE basename IS NOT NULL;" },
};

int
index_migrate(struct store *st, char **error_r)
{
	return db_migrate(st->db, "store", store_steps,
			  sizeof(store_steps) / sizeof(*store_steps), error_r);
}

static int
db_fail(struct store *st)
{
	return store_fail(st, STORE_TEMPFAIL, "database error: %s",
			  db_error(st->db));
}

/* Steps a statement that returns no row and finalizes it. */
static int
run(struct store *st, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? STORE_OK : db_fail(st);
}

int
index_begin(struct store *st)
{
	if (db_begin(st->db) < 0)
		return store_fail(st, STORE_TEMPFAIL, "database busy: %s",
				  db_error(st->db));
	return STORE_OK;
}

int
index_begin_flags(struct store *st)
{
	if (db_begin_relaxed(st->db) < 0)
		return store_fail(st, STORE_TEMPFAIL, "database busy: %s",
				  db_error(st->db));
	return STORE_OK;
}

int
index_commit(struct store *st)
{
	if (db_commit(st->db) < 0)
		return store_fail(st, STORE_TEMPFAIL,
				  "database commit failed: %s",
				  db_error(st->db));
	return STORE_OK;
}

uint32_t
index_next_uidvalidity(struct store *st, const char *user)
{
	sqlite3_stmt *s = db_prepare(st->db,
		"INSERT INTO store_uidvalidity (username, last_uidvalidity)"
		" VALUES (?1, ?2) ON CONFLICT (username) DO UPDATE SET"
		" last_uidvalidity = CASE WHEN last_uidvalidity < ?2 THEN ?2"
		" ELSE last_uidvalidity + 1 END"
		" RETURNING last_uidvalidity");
	int64_t v = 0;

	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)(uint32_t)time(NULL));
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (v == 0)
		db_fail(st);
	return (uint32_t)v;
}

/* Runs "UPDATE folders ... RETURNING <counter>" for one folder. */
static int
bump_counter(struct store *st, const char *sql, int64_t folder_id,
	     uint64_t *value_r)
{
	sqlite3_stmt *s = db_prepare(st->db, sql);
	int rc;

	sqlite3_bind_int64(s, 1, folder_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*value_r = (uint64_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE)
		return store_fail(st, STORE_NOTFOUND, "folder was deleted");
	return db_fail(st);
}

int
index_next_modseq(struct store *st, int64_t folder_id, uint64_t *modseq_r)
{
	return bump_counter(st, "UPDATE folders SET highestmodseq ="
			    " highestmodseq + 1 WHERE id = ?"
			    " RETURNING highestmodseq", folder_id, modseq_r);
}

static int
next_uid(struct store *st, int64_t folder_id, uint32_t *uid_r)
{
	uint64_t uid = 0;
	int rc = bump_counter(st, "UPDATE folders SET uidnext = uidnext + 1"
			      " WHERE id = ? RETURNING uidnext - 1",
			      folder_id, &uid);

	*uid_r = (uint32_t)uid;
	return rc;
}

int
index_journal(struct store *st, int64_t folder_id, uint64_t modseq,
	      uint32_t uid, enum store_change_kind kind, unsigned int flags,
	      const char *keywords)
{
	sqlite3_stmt *s = db_prepare(st->db,
		"INSERT INTO journal (folder_id, modseq, uid, kind, flags,"
		" keywords) VALUES (?, ?, ?, ?, ?, ?)");

	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, (int64_t)modseq);
	sqlite3_bind_int64(s, 3, uid);
	sqlite3_bind_int(s, 4, (int)kind);
	sqlite3_bind_int(s, 5, (int)flags);
	if (keywords != NULL)
		sqlite3_bind_text(s, 6, keywords, -1, SQLITE_STATIC);
	return run(st, s);
}

/* 1 with *uid_r when the basename is indexed already, 0 if not. */
static int
find_basename(struct store *st, int64_t folder_id, const char *basename,
	      uint32_t *uid_r)
{
	sqlite3_stmt *s = db_prepare(st->db,
		"SELECT uid FROM messages WHERE folder_id = ? AND basename = ?");
	int found;

	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_text(s, 2, basename, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	if (found)
		*uid_r = (uint32_t)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return found;
}

static int
insert_row(struct store *st, int64_t folder_id, uint32_t uid,
	   uint64_t modseq, const char *basename, const struct store_meta *m)
{
	sqlite3_stmt *s = db_prepare(st->db,
		"INSERT INTO messages (folder_id, uid, basename, psize, size,"
		" internal_date, flags, keywords, message_id, fingerprint,"
		" modseq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	sqlite3_bind_text(s, 3, basename, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, (int64_t)m->psize);
	sqlite3_bind_int64(s, 5, (int64_t)m->size);
	sqlite3_bind_int64(s, 6, (int64_t)m->internal_date);
	sqlite3_bind_int(s, 7, (int)m->flags);
	sqlite3_bind_text(s, 8, m->keywords != NULL ? m->keywords : "", -1,
			  SQLITE_STATIC);
	if (m->message_id != NULL)
		sqlite3_bind_text(s, 9, m->message_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, m->fingerprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, (int64_t)modseq);
	return run(st, s);
}

int
index_add_msg(struct store *st, int64_t folder_id, const char *basename,
	      const struct store_meta *m, uint32_t *uid_r)
{
	uint64_t modseq = 0;
	uint32_t uid = 0;
	int rc;

	if (find_basename(st, folder_id, basename, uid_r))
		return STORE_OK;
	if ((rc = next_uid(st, folder_id, &uid)) != STORE_OK ||
	    (rc = index_next_modseq(st, folder_id, &modseq)) != STORE_OK ||
	    (rc = insert_row(st, folder_id, uid, modseq, basename, m)) !=
		    STORE_OK)
		return rc;
	rc = index_journal(st, folder_id, modseq, uid, STORE_CHANGE_APPEND,
			   m->flags, m->keywords != NULL ? m->keywords : "");
	if (rc == STORE_OK)
		*uid_r = uid;
	return rc;
}

static int
journal_expunge(struct store *st, int64_t folder_id, uint32_t uid,
		const char *basename, int lost)
{
	sqlite3_stmt *s;
	uint64_t modseq;
	int rc = index_next_modseq(st, folder_id, &modseq);

	if (rc != STORE_OK)
		return rc;
	s = db_prepare(st->db, "INSERT INTO journal (folder_id, modseq, uid,"
		       " kind, flags, basename) VALUES (?, ?, ?, ?, 0, ?)");
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, (int64_t)modseq);
	sqlite3_bind_int64(s, 3, uid);
	sqlite3_bind_int(s, 4, lost ? STORE_CHANGE_LOST : STORE_CHANGE_EXPUNGE);
	/* A lost file that comes back (a restore) must be indexed again,
	 * not removed as an interrupted expunge: no basename for those. */
	if (!lost)
		sqlite3_bind_text(s, 5, basename, -1, SQLITE_STATIC);
	return run(st, s);
}

int
index_drop_msg(struct store *st, int64_t folder_id, uint32_t uid, int lost)
{
	sqlite3_stmt *s = db_prepare(st->db, "DELETE FROM messages"
		" WHERE folder_id = ? AND uid = ? RETURNING basename");
	char *basename = NULL;
	int rc;

	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		basename = xstrdup((const char *)sqlite3_column_text(s, 0));
	else if (rc != SQLITE_DONE)
		db_fail(st);
	sqlite3_finalize(s);
	if (basename == NULL)
		return rc == SQLITE_DONE ? 0 : -1;
	rc = journal_expunge(st, folder_id, uid, basename, lost);
	free(basename);
	return rc == STORE_OK ? 1 : -1;
}

int
store_msg_was_lost(struct store *st, int64_t folder_id, uint32_t uid)
{
	sqlite3_stmt *s = db_prepare(st->db, "SELECT kind FROM journal"
		" WHERE folder_id = ? AND uid = ? AND kind IN (?, ?)"
		" ORDER BY modseq DESC LIMIT 1");
	int rc, lost = 0;

	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	sqlite3_bind_int(s, 3, STORE_CHANGE_EXPUNGE);
	sqlite3_bind_int(s, 4, STORE_CHANGE_LOST);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		lost = sqlite3_column_int(s, 0) == STORE_CHANGE_LOST;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? lost : -1;
}

int
index_was_expunged(struct store *st, int64_t folder_id, const char *basename)
{
	sqlite3_stmt *s = db_prepare(st->db, "SELECT 1 FROM journal"
		" WHERE folder_id = ? AND basename = ? LIMIT 1");
	int found;

	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_text(s, 2, basename, -1, SQLITE_STATIC);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}
