#include "lib/db.h"

#include <errno.h>
#include <string.h>

#include "lib/crash.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/* Long enough for a delivery to wait out the daemon's longest transaction. */
#define DB_BUSY_TIMEOUT_MS 30000

static const char *const db_pragmas =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"PRAGMA foreign_keys=ON;"
	"CREATE TABLE IF NOT EXISTS schema_version ("
	" component TEXT PRIMARY KEY,"
	" version INTEGER NOT NULL);";

struct db *
db_open(const char *path, char **error_r)
{
	struct db *db;
	sqlite3 *conn = NULL;
	char *err = NULL;

	if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		*error_r = xasprintf("cannot open database %s: %s", path,
				     conn ? sqlite3_errmsg(conn) : "no memory");
		sqlite3_close(conn);
		return NULL;
	}
	sqlite3_busy_timeout(conn, DB_BUSY_TIMEOUT_MS);
	if (sqlite3_exec(conn, db_pragmas, NULL, NULL, &err) != SQLITE_OK) {
		int sys = sqlite3_system_errno(conn);

		*error_r = xasprintf("cannot set up database %s: %s%s%s%s",
				     path, err ? err : sqlite3_errmsg(conn),
				     sys != 0 ? " (" : "",
				     sys != 0 ? strerror(sys) : "",
				     sys != 0 ? ")" : "");
		sqlite3_free(err);
		sqlite3_close(conn);
		return NULL;
	}
	db = xcalloc(1, sizeof(*db));
	db->conn = conn;
	db->path = xstrdup(path);
	return db;
}

void
db_close(struct db **dbp)
{
	struct db *db = *dbp;

	if (db == NULL)
		return;
	*dbp = NULL;
	if (db->in_tx)
		db_rollback(db);
	sqlite3_close(db->conn);
	free(db->path);
	free(db);
}

int
db_schema_version(struct db *db, const char *component)
{
	sqlite3_stmt *st = db_prepare(db,
		"SELECT version FROM schema_version WHERE component = ?");
	int version = 0, rc;

	sqlite3_bind_text(st, 1, component, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	else if (rc != SQLITE_DONE)
		version = -1;
	sqlite3_finalize(st);
	return version;
}

static int
db_apply_step(struct db *db, const char *component,
	      const struct db_migration *step, char **error_r)
{
	sqlite3_stmt *st;
	char *err = NULL;
	int rc;

	if (db_begin(db) < 0) {
		*error_r = xasprintf("%s: %s", component, db_error(db));
		return -1;
	}
	/* Another process may have migrated while we waited for the lock. */
	if (db_schema_version(db, component) >= step->version) {
		db_rollback(db);
		return 0;
	}
	if (sqlite3_exec(db->conn, step->sql, NULL, NULL, &err) != SQLITE_OK) {
		*error_r = xasprintf("%s schema step %d: %s", component,
				     step->version, err ? err : db_error(db));
		sqlite3_free(err);
		db_rollback(db);
		return -1;
	}
	st = db_prepare(db, "INSERT INTO schema_version (component, version)"
			" VALUES (?, ?) ON CONFLICT (component)"
			" DO UPDATE SET version = excluded.version");
	sqlite3_bind_text(st, 1, component, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, step->version);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || db_commit(db) < 0) {
		*error_r = xasprintf("%s schema step %d: %s", component,
				     step->version, db_error(db));
		if (db->in_tx)
			db_rollback(db);
		return -1;
	}
	log_info("database: %s schema migrated to version %d", component,
		 step->version);
	return 0;
}

int
db_migrate(struct db *db, const char *component,
	   const struct db_migration *steps, int nsteps, char **error_r)
{
	int current = db_schema_version(db, component);

	if (current < 0) {
		*error_r = xasprintf("%s: %s", component, db_error(db));
		return -1;
	}
	if (nsteps > 0 && current > steps[nsteps - 1].version) {
		*error_r = xasprintf("%s schema version %d is newer than this "
				     "program knows (%d): upgrade conflux",
				     component, current,
				     steps[nsteps - 1].version);
		return -1;
	}
	for (int i = 0; i < nsteps; i++) {
		if (steps[i].version <= current)
			continue;
		if (db_apply_step(db, component, &steps[i], error_r) < 0)
			return -1;
	}
	return 0;
}

static void
db_end_relaxed(struct db *db)
{
	if (db->relaxed &&
	    sqlite3_exec(db->conn, "PRAGMA synchronous=FULL", NULL, NULL,
			 NULL) != SQLITE_OK)
		fatal("database %s: cannot restore synchronous=FULL: %s",
		      db->path, db_error(db));
	db->relaxed = 0;
}

int
db_begin(struct db *db)
{
	if (db->in_tx)
		fatal("db_begin: nested transaction on %s", db->path);
	if (db_exec(db, "BEGIN IMMEDIATE") < 0)
		return -1;
	db->in_tx = 1;
	return 0;
}

int
db_begin_relaxed(struct db *db)
{
	/* The safety level cannot change inside a transaction. */
	if (db_exec(db, "PRAGMA synchronous=NORMAL") < 0)
		return -1;
	db->relaxed = 1;
	if (db_begin(db) < 0) {
		db_end_relaxed(db);
		return -1;
	}
	return 0;
}

int
db_commit(struct db *db)
{
	crash_point("db.commit");
	if (sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_error("database %s: commit failed: %s", db->path,
			  db_error(db));
		db_rollback(db);
		return -1;
	}
	db->in_tx = 0;
	db_end_relaxed(db);
	/* Committed but not yet acknowledged to anyone: the "at most once"
	 * window that crash tests must cover too. */
	crash_point("db.commit.done");
	return 0;
}

void
db_rollback(struct db *db)
{
	if (sqlite3_get_autocommit(db->conn) == 0)
		sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = 0;
	db_end_relaxed(db);
}

int
db_transaction(struct db *db, int (*body)(void *ctx), void *ctx)
{
	if (db_begin(db) < 0)
		return -1;
	if (body(ctx) < 0) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db);
}

int
db_exec(struct db *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db->conn, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_error("database %s: %s: %s", db->path, sql,
			  err ? err : db_error(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

sqlite3_stmt *
db_prepare(struct db *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
		fatal("database: cannot prepare \"%s\": %s", sql, db_error(db));
	return st;
}

const char *
db_error(struct db *db)
{
	int sys = sqlite3_system_errno(db->conn);

	/* "disk I/O error" alone does not tell an admin the disk is full. */
	if (sys == ENOSPC || sys == EDQUOT)
		return sys == ENOSPC ? "disk full (No space left on device)" :
			"disk quota exceeded";
	return sqlite3_errmsg(db->conn);
}
