#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/xalloc.h"

static const struct db_migration steps[] = {
	{ 1, "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT NOT NULL);" },
	{ 2, "ALTER TABLE t ADD COLUMN c INTEGER;"
	     "CREATE INDEX t_b ON t (b);" },
};

struct fixture {
	char dir[64];
	char *path;
	struct db *db;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char *error = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-db.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->path = xasprintf("%s/conflux.db", f->dir);
	if ((f->db = db_open(f->path, &error)) == NULL) {
		fprintf(stderr, "setup: %s\n", error);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *p;

	db_close(&f->db);
	unlink(f->path);
	p = xasprintf("%s-wal", f->path);
	unlink(p);
	free(p);
	p = xasprintf("%s-shm", f->path);
	unlink(p);
	free(p);
	rmdir(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static int
count_rows(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	int n = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void
test_db_open_wal(void **state)
{
	struct fixture *f = *state;
	sqlite3_stmt *st = db_prepare(f->db, "PRAGMA journal_mode");

	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(count_rows(f->db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(db_schema_version(f->db, "test"), 0);
}

static void
test_db_open_fails(void **state)
{
	char *error = NULL;
	struct db *db = db_open("/nonexistent/dir/x.db", &error);

	assert_null(db);
	assert_non_null(error);
	assert_non_null(strstr(error, "/nonexistent/dir/x.db"));
	free(error);
	db_close(&db);	/* NULL is a no-op */
}

static void
test_db_migrate_twice_idempotent(void **state)
{
	struct fixture *f = *state;
	char *error = NULL;

	assert_int_equal(db_migrate(f->db, "test", steps, 2, &error), 0);
	assert_int_equal(db_schema_version(f->db, "test"), 2);
	assert_int_equal(db_exec(f->db, "INSERT INTO t (b, c) VALUES "
				 "('x', 1)"), 0);
	assert_int_equal(db_migrate(f->db, "test", steps, 2, &error), 0);
	assert_int_equal(db_schema_version(f->db, "test"), 2);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM t"), 1);
}

static void
test_db_migrate_forward(void **state)
{
	struct fixture *f = *state;
	char *error = NULL;

	assert_int_equal(db_migrate(f->db, "test", steps, 1, &error), 0);
	assert_int_equal(db_schema_version(f->db, "test"), 1);
	assert_int_equal(db_exec(f->db, "INSERT INTO t (b) VALUES ('x')"), 0);
	assert_int_equal(db_migrate(f->db, "test", steps, 2, &error), 0);
	assert_int_equal(db_schema_version(f->db, "test"), 2);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM t WHERE "
				    "c IS NULL"), 1);
}

static void
test_db_migrate_components_independent(void **state)
{
	struct fixture *f = *state;
	static const struct db_migration other[] = {
		{ 1, "CREATE TABLE u (x INTEGER);" },
	};
	char *error = NULL;

	assert_int_equal(db_migrate(f->db, "test", steps, 2, &error), 0);
	assert_int_equal(db_migrate(f->db, "other", other, 1, &error), 0);
	assert_int_equal(db_schema_version(f->db, "test"), 2);
	assert_int_equal(db_schema_version(f->db, "other"), 1);
}

static void
test_db_migrate_newer_refused(void **state)
{
	struct fixture *f = *state;
	char *error = NULL;

	assert_int_equal(db_migrate(f->db, "test", steps, 2, &error), 0);
	assert_int_equal(db_migrate(f->db, "test", steps, 1, &error), -1);
	assert_non_null(error);
	assert_non_null(strstr(error, "newer"));
	free(error);
	assert_int_equal(db_schema_version(f->db, "test"), 2);
}

static void
test_db_migrate_bad_step_rolls_back(void **state)
{
	struct fixture *f = *state;
	static const struct db_migration bad[] = {
		{ 1, "CREATE TABLE v (x INTEGER); THIS IS NOT SQL;" },
	};
	char *error = NULL;

	assert_int_equal(db_migrate(f->db, "bad", bad, 1, &error), -1);
	assert_non_null(error);
	free(error);
	assert_int_equal(db_schema_version(f->db, "bad"), 0);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM "
				    "sqlite_master WHERE name = 'v'"), 0);
	assert_int_equal(f->db->in_tx, 0);
}

static void
test_db_transaction(void **state)
{
	struct fixture *f = *state;
	char *error = NULL;

	assert_int_equal(db_migrate(f->db, "test", steps, 2, &error), 0);
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_exec(f->db, "INSERT INTO t (b) VALUES ('a')"), 0);
	db_rollback(f->db);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM t"), 0);
	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_exec(f->db, "INSERT INTO t (b) VALUES ('a')"), 0);
	assert_int_equal(db_commit(f->db), 0);
	assert_int_equal(count_rows(f->db, "SELECT count(*) FROM t"), 1);
	assert_int_equal(db_exec(f->db, "NOT SQL"), -1);
}

/* A relaxed transaction commits (or rolls back) and the connection is
 * back at synchronous=FULL (2) for the next one. */
static void
test_db_relaxed_restores_full(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(db_exec(f->db, "CREATE TABLE r (x INTEGER)"), 0);
	assert_int_equal(db_begin_relaxed(f->db), 0);
	assert_int_equal(count_rows(f->db, "PRAGMA synchronous"), 1);
	assert_int_equal(db_exec(f->db, "INSERT INTO r VALUES (1)"), 0);
	assert_int_equal(db_commit(f->db), 0);
	assert_int_equal(count_rows(f->db, "SELECT x FROM r"), 1);
	assert_int_equal(count_rows(f->db, "PRAGMA synchronous"), 2);
	assert_int_equal(db_begin_relaxed(f->db), 0);
	db_rollback(f->db);
	assert_int_equal(count_rows(f->db, "PRAGMA synchronous"), 2);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_db_open_wal),
		cmocka_unit_test(test_db_open_fails),
		T(test_db_migrate_twice_idempotent),
		T(test_db_migrate_forward),
		T(test_db_migrate_components_independent),
		T(test_db_migrate_newer_refused),
		T(test_db_migrate_bad_step_rolls_back),
		T(test_db_transaction),
		T(test_db_relaxed_restores_full),
	};

	return cmocka_run_group_tests_name("db", tests, NULL, NULL);
}
