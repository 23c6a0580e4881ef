#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/timeutil.h"
#include "lib/xalloc.h"
#include "registry/registry.h"
#include "registry/schema.h"

struct fixture {
	char dir[64];
	char *db_path, *key_path;
	struct db *db;
	struct secret_key *key;
	struct registry *reg;
};

static void
remove_file(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);

	unlink(p);
	free(p);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char *error = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-registry.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->db_path = xasprintf("%s/conflux.db", f->dir);
	f->key_path = xasprintf("%s/master.key", f->dir);
	if (secret_key_create(f->key_path, &error) < 0 ||
	    (f->key = secret_key_load(f->key_path, &error)) == NULL ||
	    (f->db = db_open(f->db_path, &error)) == NULL ||
	    (f->reg = registry_open(f->db, f->key, &error)) == NULL) {
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

	registry_close(&f->reg);
	registry_close(&f->reg);
	db_close(&f->db);
	secret_key_free(&f->key);
	remove_file(f->dir, "conflux.db");
	remove_file(f->dir, "conflux.db-wal");
	remove_file(f->dir, "conflux.db-shm");
	remove_file(f->dir, "master.key");
	rmdir(f->dir);
	free(f->db_path);
	free(f->key_path);
	free(f);
	return 0;
}

/* ---- users ---- */

static int
collect_user(const char *user, void *ctx)
{
	struct buf *b = ctx;

	buf_printf(b, "%s,", user);
	return 0;
}

static int
stop_after_first(const char *user, void *ctx)
{
	(*(int *)ctx)++;
	return 1;
}

static void
test_registry_user_add_verify(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(registry_user_add(f->reg, "alice", "pw1"), REG_OK);
	assert_int_equal(registry_user_exists(f->reg, "alice"), 1);
	assert_int_equal(registry_user_exists(f->reg, "bob"), 0);
	assert_int_equal(registry_user_verify(f->reg, "alice", "pw1"), REG_OK);
	assert_int_equal(registry_user_verify(f->reg, "alice", "pw2"),
			 REG_NOTFOUND);
	assert_int_equal(registry_user_verify(f->reg, "bob", "pw1"),
			 REG_NOTFOUND);
	assert_int_equal(registry_user_verify(f->reg, "Not Valid", "pw1"),
			 REG_NOTFOUND);
}

static void
test_registry_user_duplicate(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(registry_user_add(f->reg, "alice", "pw1"), REG_OK);
	assert_int_equal(registry_user_add(f->reg, "alice", "other"),
			 REG_EXISTS);
	assert_non_null(strstr(registry_error(f->reg), "already exists"));
	assert_int_equal(registry_user_verify(f->reg, "alice", "pw1"), REG_OK);
}

static void
test_registry_user_name_valid(void **state)
{
	static const char *const good[] = {
		"a", "0", "alice", "john.doe@example.com", "a+b-c_d", "9lives",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	static const char *const bad[] = {
		"", "Alice", "-x", ".x", "_x", "@x", "a b", "a/b", "../x",
		"a\n", "\xc3\xa4", "a:b",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(registry_user_name_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(registry_user_name_valid(bad[i]));
		assert_int_equal(registry_user_add(f->reg, bad[i], "pw"),
				 REG_INVALID);
	}
	assert_false(registry_user_name_valid(NULL));
	assert_non_null(strstr(registry_error(f->reg), "invalid user name"));
}

static void
test_registry_user_empty_password(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(registry_user_add(f->reg, "alice", ""), REG_INVALID);
	assert_int_equal(registry_user_add(f->reg, "alice", NULL), REG_INVALID);
	assert_int_equal(registry_user_exists(f->reg, "alice"), 0);
}

static void
test_registry_user_passwd(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(registry_user_add(f->reg, "alice", "old"), REG_OK);
	assert_int_equal(registry_user_passwd(f->reg, "alice", "new"), REG_OK);
	assert_int_equal(registry_user_verify(f->reg, "alice", "old"),
			 REG_NOTFOUND);
	assert_int_equal(registry_user_verify(f->reg, "alice", "new"), REG_OK);
	assert_int_equal(registry_user_passwd(f->reg, "bob", "x"),
			 REG_NOTFOUND);
	assert_int_equal(registry_user_passwd(f->reg, "alice", ""),
			 REG_INVALID);
}

static void
test_registry_user_del_list(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	int n = 0;

	assert_int_equal(registry_user_add(f->reg, "carol", "x"), REG_OK);
	assert_int_equal(registry_user_add(f->reg, "alice", "x"), REG_OK);
	assert_int_equal(registry_user_add(f->reg, "bob", "x"), REG_OK);
	buf_init(&b, 1000);
	assert_int_equal(registry_user_list(f->reg, collect_user, &b), REG_OK);
	assert_string_equal(buf_cstr(&b), "alice,bob,carol,");
	assert_int_equal(registry_user_list(f->reg, stop_after_first, &n),
			 REG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(registry_user_del(f->reg, "bob"), REG_OK);
	assert_int_equal(registry_user_del(f->reg, "bob"), REG_NOTFOUND);
	assert_int_equal(registry_user_del(f->reg, "B O B"), REG_INVALID);
	buf_reset(&b);
	assert_int_equal(registry_user_list(f->reg, collect_user, &b), REG_OK);
	assert_string_equal(buf_cstr(&b), "alice,carol,");
	buf_free(&b);
}

static void
test_registry_user_verify_timing(void **state)
{
	struct fixture *f = *state;
	uint64_t t0, known = 0, unknown = 0;

	assert_int_equal(registry_user_add(f->reg, "alice", "pw"), REG_OK);
	for (int i = 0; i < 3; i++) {
		t0 = time_monotonic_ms();
		registry_user_verify(f->reg, "alice", "wrong");
		known += time_monotonic_ms() - t0;
		t0 = time_monotonic_ms();
		registry_user_verify(f->reg, "nobody", "wrong");
		unknown += time_monotonic_ms() - t0;
	}
	/* Same work either way; generous bounds for a loaded machine. */
	assert_true(known >= 3);
	assert_true(unknown * 3 >= known);
	assert_true(known * 3 >= unknown);
}

/* The stored value of column col of table for key, as a buf. */
static void
fetch_blob(struct fixture *f, const char *sql, const char *key,
	   struct buf *out)
{
	sqlite3_stmt *st = db_prepare(f->db, sql);

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	buf_init(out, 100000);
	buf_append(out, sqlite3_column_blob(st, 0),
		   (size_t)sqlite3_column_bytes(st, 0));
	sqlite3_finalize(st);
}

static void
test_registry_apop_sealed(void **state)
{
	struct fixture *f = *state;
	char *secret = NULL;
	struct buf blob;

	assert_int_equal(registry_user_add(f->reg, "alice", "pw"), REG_OK);
	assert_int_equal(registry_user_get_apop(f->reg, "alice", &secret),
			 REG_NOTFOUND);
	assert_int_equal(registry_user_set_apop(f->reg, "alice",
						"tanstaaf-apop"), REG_OK);
	assert_int_equal(registry_user_get_apop(f->reg, "alice", &secret),
			 REG_OK);
	assert_string_equal(secret, "tanstaaf-apop");
	secret_free(secret);
	fetch_blob(f, "SELECT apop_sealed FROM users WHERE name = ?", "alice",
		   &blob);
	assert_true(blob.len > 40);
	assert_null(memmem(blob.data, blob.len, "tanstaaf", 8));
	buf_free(&blob);
	assert_int_equal(registry_user_set_apop(f->reg, "alice", NULL), REG_OK);
	assert_int_equal(registry_user_get_apop(f->reg, "alice", &secret),
			 REG_NOTFOUND);
	assert_null(secret);
	assert_int_equal(registry_user_set_apop(f->reg, "bob", "x"),
			 REG_NOTFOUND);
	assert_int_equal(registry_user_get_apop(f->reg, "bob", &secret),
			 REG_NOTFOUND);
}

static void
test_registry_no_key(void **state)
{
	struct fixture *f = *state;
	struct registry *reg;
	struct account a = { .user = (char *)"alice", .name = (char *)"x",
			     .host = (char *)"h", .login = (char *)"l" };
	char *error = NULL, *secret;

	reg = registry_open(f->db, NULL, &error);
	assert_non_null(reg);
	assert_int_equal(registry_user_add(reg, "alice", "pw"), REG_OK);
	assert_int_equal(registry_user_set_apop(reg, "alice", "s"), REG_ERROR);
	assert_non_null(strstr(registry_error(reg), "master key"));
	assert_int_equal(registry_account_add(reg, &a, "pw"), REG_ERROR);
	/* Sealed with the real key, opened without one. */
	assert_int_equal(registry_user_set_apop(f->reg, "alice", "s"), REG_OK);
	assert_int_equal(registry_user_get_apop(reg, "alice", &secret),
			 REG_ERROR);
	registry_close(&reg);
}

static void
test_registry_wrong_key(void **state)
{
	struct fixture *f = *state;
	char *error = NULL, *path = xasprintf("%s/other.key", f->dir), *s;
	struct secret_key *other;
	struct registry *reg;

	assert_int_equal(secret_key_create(path, &error), 0);
	other = secret_key_load(path, &error);
	assert_non_null(other);
	reg = registry_open(f->db, other, &error);
	assert_int_equal(registry_user_add(f->reg, "alice", "pw"), REG_OK);
	assert_int_equal(registry_user_set_apop(f->reg, "alice", "s"), REG_OK);
	assert_int_equal(registry_user_get_apop(reg, "alice", &s), REG_ERROR);
	assert_non_null(strstr(registry_error(reg), "wrong master key"));
	registry_close(&reg);
	secret_key_free(&other);
	unlink(path);
	free(path);
}

/* ---- accounts ---- */

static struct account
sample_account(const char *user, const char *name)
{
	struct account a = {
		.user = (char *)user, .name = (char *)name,
		.proto = ACCOUNT_IMAP, .host = (char *)"imap.example.com",
		.port = 993, .tls = ACCOUNT_TLS_IMPLICIT,
		.login = (char *)"alice@example.com",
		.mode = ACCOUNT_MODE_BOTH, .folders = (char *)"INBOX\nSent Messages", .prefix = (char *)"Work/",
		.interval = 600, .ca_file = (char *)"/etc/ca.pem",
		.pin_sha256 = NULL,
	};

	return a;
}

static void
test_registry_account_add_get(void **state)
{
	struct fixture *f = *state;
	struct account a = sample_account("alice", "work"), g;

	a.pin_sha256 = (char *)"AB:CD:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:"
		"89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89";
	assert_int_equal(registry_user_add(f->reg, "alice", "pw"), REG_OK);
	assert_int_equal(registry_account_add(f->reg, &a, "remote-pw"),
			 REG_OK);
	assert_int_equal(registry_account_get(f->reg, "alice", "work", &g),
			 REG_OK);
	assert_true(g.id > 0);
	assert_string_equal(g.user, "alice");
	assert_string_equal(g.name, "work");
	assert_int_equal(g.proto, ACCOUNT_IMAP);
	assert_string_equal(g.host, "imap.example.com");
	assert_int_equal(g.port, 993);
	assert_int_equal(g.tls, ACCOUNT_TLS_IMPLICIT);
	assert_string_equal(g.login, "alice@example.com");
	assert_int_equal(g.mode, ACCOUNT_MODE_BOTH);
	assert_string_equal(g.folders, "INBOX\nSent Messages");
	assert_string_equal(g.prefix, "Work/");
	assert_int_equal(g.interval, 600);
	assert_string_equal(g.ca_file, "/etc/ca.pem");
	assert_string_equal(g.pin_sha256, "abcdef0123456789abcdef0123456789"
			    "abcdef0123456789abcdef0123456789");
	account_clear(&g);
	assert_null(g.user);
	assert_int_equal(registry_account_get(f->reg, "alice", "home", &g),
			 REG_NOTFOUND);
}

static void
test_registry_account_defaults(void **state)
{
	struct fixture *f = *state;
	struct account a = sample_account("alice", "pop"), g;

	a.proto = ACCOUNT_POP3;
	a.port = 0;
	a.tls = ACCOUNT_TLS_STARTTLS;
	a.mode = ACCOUNT_MODE_FETCH;
	a.folders = NULL;
	a.interval = 0;
	a.ca_file = NULL;
	assert_int_equal(registry_user_add(f->reg, "alice", "pw"), REG_OK);
	assert_int_equal(registry_account_add(f->reg, &a, "pw"), REG_OK);
	assert_int_equal(registry_account_get(f->reg, "alice", "pop", &g),
			 REG_OK);
	assert_int_equal(g.proto, ACCOUNT_POP3);
	assert_int_equal(g.port, 0);
	assert_int_equal(g.interval, 300);
	assert_null(g.folders);
	assert_null(g.ca_file);
	assert_null(g.pin_sha256);
	account_clear(&g);
}

static void
test_registry_account_password_sealed(void **state)
{
	struct fixture *f = *state;
	struct account a = sample_account("alice", "work");
	char *pw = NULL;
	struct buf blob;

	assert_int_equal(registry_user_add(f->reg, "alice", "pw"), REG_OK);
	assert_int_equal(registry_account_add(f->reg, &a, "s3cr3t-remote"),
			 REG_OK);
	assert_int_equal(registry_account_password(f->reg, "alice", "work",
						   &pw), REG_OK);
	assert_string_equal(pw, "s3cr3t-remote");
	secret_free(pw);
	fetch_blob(f, "SELECT password_sealed FROM accounts WHERE name = ?",
		   "work", &blob);
	assert_null(memmem(blob.data, blob.len, "s3cr3t", 6));
	buf_free(&blob);
	assert_int_equal(registry_account_password(f->reg, "alice", "nope",
						   &pw), REG_NOTFOUND);
	assert_null(pw);
}

static void
test_registry_account_duplicate_and_unknown_user(void **state)
{
	struct fixture *f = *state;
	struct account a = sample_account("alice", "work");
	struct account b = sample_account("bob", "work");

	assert_int_equal(registry_user_add(f->reg, "alice", "pw"), REG_OK);
	assert_int_equal(registry_account_add(f->reg, &a, "pw"), REG_OK);
	assert_int_equal(registry_account_add(f->reg, &a, "pw"), REG_EXISTS);
	assert_int_equal(registry_account_add(f->reg, &b, "pw"), REG_NOTFOUND);
	assert_non_null(strstr(registry_error(f->reg), "no such user"));
}

static void
expect_invalid(struct fixture *f, const struct account *a, const char *pw)
{
	assert_int_equal(registry_account_add(f->reg, a, pw), REG_INVALID);
}

static void
test_registry_account_invalid(void **state)
{
	struct fixture *f = *state;
	struct account a;

	assert_int_equal(registry_user_add(f->reg, "alice", "pw"), REG_OK);
	a = sample_account("alice", "Work");
	expect_invalid(f, &a, "pw");
	a = sample_account("alice", "");
	expect_invalid(f, &a, "pw");
	a = sample_account("Alice", "work");
	expect_invalid(f, &a, "pw");
	a = sample_account("alice", "work");
	expect_invalid(f, &a, "");
	expect_invalid(f, &a, NULL);
	a.host = (char *)"";
	expect_invalid(f, &a, "pw");
	a.host = (char *)"imap example.com";
	expect_invalid(f, &a, "pw");
	a.host = NULL;
	expect_invalid(f, &a, "pw");
	a = sample_account("alice", "work");
	a.port = 65536;
	expect_invalid(f, &a, "pw");
	a = sample_account("alice", "work");
	a.interval = 9;
	expect_invalid(f, &a, "pw");
	a = sample_account("alice", "work");
	a.login = (char *)"";
	expect_invalid(f, &a, "pw");
	a = sample_account("alice", "work");
	a.pin_sha256 = (char *)"abcd";
	expect_invalid(f, &a, "pw");
	a = sample_account("alice", "work");
	a.mode = (enum account_mode)17;
	expect_invalid(f, &a, "pw");
	a = sample_account("alice", "work");
	a.port = 65535;
	a.interval = 10;
	assert_int_equal(registry_account_add(f->reg, &a, "pw"), REG_OK);
}

struct collected {
	struct buf names;
	int stop_after;
	int seen;
};

static int
collect_account(const struct account *a, void *ctx)
{
	struct collected *c = ctx;

	buf_printf(&c->names, "%s/%s,", a->user, a->name);
	return ++c->seen == c->stop_after;
}

static void
test_registry_account_list_del(void **state)
{
	struct fixture *f = *state;
	struct collected c = { .stop_after = 0 };
	struct account a;

	assert_int_equal(registry_user_add(f->reg, "bob", "pw"), REG_OK);
	assert_int_equal(registry_user_add(f->reg, "alice", "pw"), REG_OK);
	a = sample_account("bob", "b1");
	assert_int_equal(registry_account_add(f->reg, &a, "pw"), REG_OK);
	a = sample_account("alice", "z9");
	assert_int_equal(registry_account_add(f->reg, &a, "pw"), REG_OK);
	a = sample_account("alice", "a1");
	assert_int_equal(registry_account_add(f->reg, &a, "pw"), REG_OK);
	buf_init(&c.names, 1000);
	assert_int_equal(registry_account_list(f->reg, NULL, collect_account,
					       &c), REG_OK);
	assert_string_equal(buf_cstr(&c.names), "alice/a1,alice/z9,bob/b1,");
	buf_reset(&c.names);
	assert_int_equal(registry_account_list(f->reg, "alice",
					       collect_account, &c), REG_OK);
	assert_string_equal(buf_cstr(&c.names), "alice/a1,alice/z9,");
	buf_reset(&c.names);
	c.seen = 0;
	c.stop_after = 1;
	assert_int_equal(registry_account_list(f->reg, NULL, collect_account,
					       &c), REG_OK);
	assert_string_equal(buf_cstr(&c.names), "alice/a1,");
	assert_int_equal(registry_account_del(f->reg, "alice", "z9"), REG_OK);
	assert_int_equal(registry_account_del(f->reg, "alice", "z9"),
			 REG_NOTFOUND);
	buf_reset(&c.names);
	c.stop_after = 0;
	assert_int_equal(registry_account_list(f->reg, NULL, collect_account,
					       &c), REG_OK);
	assert_string_equal(buf_cstr(&c.names), "alice/a1,bob/b1,");
	buf_free(&c.names);
}

static void
test_registry_user_del_cascades(void **state)
{
	struct fixture *f = *state;
	struct collected c = { .stop_after = 0 };
	struct account a = sample_account("alice", "work"), g;

	assert_int_equal(registry_user_add(f->reg, "alice", "pw"), REG_OK);
	assert_int_equal(registry_user_add(f->reg, "bob", "pw"), REG_OK);
	assert_int_equal(registry_account_add(f->reg, &a, "pw"), REG_OK);
	a = sample_account("bob", "work");
	assert_int_equal(registry_account_add(f->reg, &a, "pw"), REG_OK);
	assert_int_equal(registry_user_del(f->reg, "alice"), REG_OK);
	assert_int_equal(registry_account_get(f->reg, "alice", "work", &g),
			 REG_NOTFOUND);
	buf_init(&c.names, 1000);
	assert_int_equal(registry_account_list(f->reg, NULL, collect_account,
					       &c), REG_OK);
	assert_string_equal(buf_cstr(&c.names), "bob/work,");
	buf_free(&c.names);
}

static void
test_registry_enum_names(void **state)
{
	assert_string_equal(account_proto_name(ACCOUNT_POP3), "pop3");
	assert_string_equal(account_tls_name(ACCOUNT_TLS_STARTTLS), "starttls");
	assert_string_equal(account_mode_name(ACCOUNT_MODE_REVERSE), "reverse");
	assert_int_equal(account_proto_parse("imap"), ACCOUNT_IMAP);
	assert_int_equal(account_tls_parse("none"), ACCOUNT_TLS_NONE);
	assert_int_equal(account_mode_parse("move"), ACCOUNT_MODE_MOVE);
	assert_int_equal(account_proto_parse("smtp"), -1);
	assert_int_equal(account_tls_parse(""), -1);
	assert_int_equal(account_mode_parse("IMAP"), -1);
	assert_int_equal(account_mode_parse(NULL), -1);
}

/* ---- migrations ---- */

static int
query_int(struct db *db, const char *sql)
{
	sqlite3_stmt *st = db_prepare(db, sql);
	int v = -1;

	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_registry_migrate_1_to_latest(void **state)
{
	struct fixture *f = *state;
	char *error = NULL, *path = xasprintf("%s/old.db", f->dir);
	struct db *db = db_open(path, &error);
	struct registry *reg;

	assert_non_null(db);
	assert_int_equal(db_migrate(db, "registry", registry_migrations, 1,
				    &error), 0);
	assert_int_equal(db_schema_version(db, "registry"), 1);
	assert_int_equal(db_exec(db, "INSERT INTO users (name, pw_hash, "
				 "created) VALUES ('old', 'x', 1234)"), 0);
	reg = registry_open(db, f->key, &error);
	assert_non_null(reg);
	assert_int_equal(db_schema_version(db, "registry"),
			 registry_migration_count);
	assert_int_equal(registry_migration_count, 3);
	/* version 3: the folder prefix column */
	assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info"
				   "('accounts') WHERE name = 'folder_prefix'"),
			 1);
	assert_int_equal(query_int(db, "SELECT pw_changed FROM users WHERE "
				   "name = 'old'"), 1234);
	assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master "
				   "WHERE name = 'accounts_host'"), 1);
	assert_int_equal(registry_user_exists(reg, "old"), 1);
	registry_close(&reg);
	/* Opening again is a no-op. */
	reg = registry_open(db, f->key, &error);
	assert_non_null(reg);
	registry_close(&reg);
	db_close(&db);
	remove_file(f->dir, "old.db");
	remove_file(f->dir, "old.db-wal");
	remove_file(f->dir, "old.db-shm");
	free(path);
}

static void
test_registry_open_newer_refused(void **state)
{
	struct fixture *f = *state;
	char *error = NULL;
	struct registry *reg;

	assert_int_equal(db_exec(f->db, "UPDATE schema_version SET version ="
				 " 99 WHERE component = 'registry'"), 0);
	reg = registry_open(f->db, f->key, &error);
	assert_null(reg);
	assert_non_null(error);
	assert_non_null(strstr(error, "newer"));
	free(error);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_registry_user_add_verify),
		T(test_registry_user_duplicate),
		T(test_registry_user_name_valid),
		T(test_registry_user_empty_password),
		T(test_registry_user_passwd),
		T(test_registry_user_del_list),
		T(test_registry_user_verify_timing),
		T(test_registry_apop_sealed),
		T(test_registry_no_key),
		T(test_registry_wrong_key),
		T(test_registry_account_add_get),
		T(test_registry_account_defaults),
		T(test_registry_account_password_sealed),
		T(test_registry_account_duplicate_and_unknown_user),
		T(test_registry_account_invalid),
		T(test_registry_account_list_del),
		T(test_registry_user_del_cascades),
		cmocka_unit_test(test_registry_enum_names),
		T(test_registry_migrate_1_to_latest),
		T(test_registry_open_newer_refused),
	};

	log_set_level(LOG_LVL_WARN);	/* no "schema migrated" per test */
	return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
