#ifndef CONFLUX_DB_H
#define CONFLUX_DB_H

/* The one SQLite database (index, journal, registry, later sync state).
 *
 * Opened in WAL mode with synchronous=FULL: a COMMIT that returned is on disk.
 * Each component (store, registry, ...) owns a list of forward migrations and
 * its version in table schema_version; db_migrate() applies what is missing,
 * each step in its own transaction. SQL is kept portable (no SQLite-only
 * types) so a PostgreSQL backend can follow. */

#include <sqlite3.h>

struct db {
	sqlite3 *conn;
	char *path;
	int in_tx;
	int relaxed;	/* this transaction: synchronous=NORMAL */
};

struct db_migration {
	int version;		/* 1, 2, 3 ... in order */
	const char *sql;	/* one or more statements */
};

/* NULL with *error_r (malloc'd, caller frees) on failure. */
struct db *db_open(const char *path, char **error_r);
void db_close(struct db **db);

int db_migrate(struct db *db, const char *component,
	       const struct db_migration *steps, int nsteps, char **error_r);
/* Current version of a component, 0 if never migrated, -1 on error. */
int db_schema_version(struct db *db, const char *component);

/* BEGIN IMMEDIATE (takes the write lock now, waiting up to busy_timeout). */
int db_begin(struct db *db);
/* BEGIN IMMEDIATE for changes a power failure may undo but a crash of the
 * process may not: the COMMIT does not wait for fsync (WAL with
 * synchronous=NORMAL). The WAL is written in order, so the next full
 * commit makes these durable too. For flag changes, which Dovecot does
 * not fsync either (mail_fsync=optimized); never for new messages or
 * expunges. */
int db_begin_relaxed(struct db *db);
/* COMMIT behind crash point "db.commit". -1 on failure (rolled back). */
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* Runs body(ctx) in one transaction: BEGIN IMMEDIATE, then COMMIT when
 * body returned 0, ROLLBACK when it returned -1. 0 or -1. */
int db_transaction(struct db *db, int (*body)(void *ctx), void *ctx);

/* Runs SQL without results; -1 and a log line on error. */
int db_exec(struct db *db, const char *sql);
/* Prepares or dies (a bad statement of ours is a bug, not a runtime error). */
sqlite3_stmt *db_prepare(struct db *db, const char *sql);
/* sqlite3_errmsg() of the connection. */
const char *db_error(struct db *db);

#endif
