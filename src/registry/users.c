#include "registry/registry-private.h"

#include <string.h>
#include <time.h>

#include <sodium.h>

#include "lib/xalloc.h"

/* An argon2id hash (same parameters as password_hash) of a random password
 * nobody knows. Verifying an unknown user against it costs what a real
 * verification costs, so response times do not reveal which users exist. */
static const char dummy_hash[] =
	"$argon2id$v=19$m=16384,t=2,p=1$Cl4K6RIJXYe2uXPoxIeElg$"
	"gflKvBL1wKi0Z51SBos6oSjbAHWzdC2+RZU8saqdvl8";

static int
check_user(struct registry *reg, const char *user)
{
	if (!registry_user_name_valid(user))
		return reg_fail(reg, REG_INVALID, "invalid user name \"%s\": "
				"use 1-64 of a-z 0-9 . _ @ + -, starting "
				"with a letter or digit", user ? user : "");
	return REG_OK;
}

static int
check_password(struct registry *reg, const char *password)
{
	if (password == NULL || *password == '\0')
		return reg_fail(reg, REG_INVALID, "empty password");
	return REG_OK;
}

/* Hashes password into hash; REG_OK, REG_INVALID or REG_ERROR. */
static int
hash_password(struct registry *reg, const char *password, char hash[128])
{
	int rc = check_password(reg, password);

	if (rc != REG_OK)
		return rc;
	if (password_hash(password, hash) < 0)
		return reg_fail(reg, REG_ERROR, "cannot hash the password");
	return REG_OK;
}

static int
not_found(struct registry *reg, const char *user)
{
	return reg_fail(reg, REG_NOTFOUND, "no such user: %s", user);
}

int
registry_user_add(struct registry *reg, const char *user,
		  const char *password)
{
	sqlite3_stmt *st;
	char hash[128];
	int rc, changes;

	if ((rc = check_user(reg, user)) != REG_OK ||
	    (rc = hash_password(reg, password, hash)) != REG_OK)
		return rc;
	st = db_prepare(reg->db, "INSERT INTO users (name, pw_hash, created,"
			" pw_changed) VALUES (?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	rc = reg_step_write(reg, st, &changes);
	sodium_memzero(hash, sizeof(hash));
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return reg_fail(reg, REG_EXISTS, "user %s already exists",
				user);
	return rc == SQLITE_DONE ? REG_OK : reg_db_fail(reg, "adding a user");
}

int
registry_user_del(struct registry *reg, const char *user)
{
	sqlite3_stmt *st;
	int rc, changes;

	if ((rc = check_user(reg, user)) != REG_OK)
		return rc;
	st = db_prepare(reg->db, "DELETE FROM users WHERE name = ?");
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	if (reg_step_write(reg, st, &changes) != SQLITE_DONE)
		return reg_db_fail(reg, "deleting a user");
	return changes > 0 ? REG_OK : not_found(reg, user);
}

int
registry_user_passwd(struct registry *reg, const char *user,
		     const char *password)
{
	sqlite3_stmt *st;
	char hash[128];
	int rc, changes;

	if ((rc = check_user(reg, user)) != REG_OK ||
	    (rc = hash_password(reg, password, hash)) != REG_OK)
		return rc;
	st = db_prepare(reg->db, "UPDATE users SET pw_hash = ?,"
			" pw_changed = ? WHERE name = ?");
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(st, 3, user, -1, SQLITE_STATIC);
	rc = reg_step_write(reg, st, &changes);
	sodium_memzero(hash, sizeof(hash));
	if (rc != SQLITE_DONE)
		return reg_db_fail(reg, "changing a password");
	return changes > 0 ? REG_OK : not_found(reg, user);
}

/* Copies the stored hash of user into hash. REG_OK, REG_NOTFOUND or
 * REG_ERROR. */
static int
lookup_hash(struct registry *reg, const char *user, char hash[128])
{
	sqlite3_stmt *st = db_prepare(reg->db,
		"SELECT pw_hash FROM users WHERE name = ?");
	const unsigned char *h;
	int rc;

	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (h = sqlite3_column_text(st, 0)) != NULL &&
	    strlen((const char *)h) < 128) {
		memcpy(hash, h, strlen((const char *)h) + 1);
		rc = REG_OK;
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		rc = REG_NOTFOUND;	/* a damaged hash fails like a miss */
	} else {
		rc = reg_db_fail(reg, "looking up a user");
	}
	sqlite3_finalize(st);
	return rc;
}

int
registry_user_hash(struct registry *reg, const char *user,
		   char hash[REGISTRY_HASH_MAX])
{
	int rc = REG_NOTFOUND;

	if (registry_user_name_valid(user))
		rc = lookup_hash(reg, user, hash);
	if (rc == REG_NOTFOUND)
		memcpy(hash, dummy_hash, sizeof(dummy_hash));
	return rc;
}

int
registry_user_verify(struct registry *reg, const char *user,
		     const char *password)
{
	char hash[128];
	int rc = REG_NOTFOUND, match;

	if (registry_user_name_valid(user))
		rc = lookup_hash(reg, user, hash);
	if (rc == REG_ERROR)
		return rc;
	if (rc != REG_OK)
		memcpy(hash, dummy_hash, sizeof(dummy_hash));
	match = password_verify(hash, password != NULL ? password : "");
	if (rc != REG_OK || match == 0)
		return reg_fail(reg, REG_NOTFOUND, "authentication failed");
	if (match < 0)
		return reg_fail(reg, REG_ERROR, "stored password hash of %s "
				"is damaged", user);
	return REG_OK;
}

int
registry_user_exists(struct registry *reg, const char *user)
{
	sqlite3_stmt *st;
	int rc;

	if (!registry_user_name_valid(user))
		return 0;
	st = db_prepare(reg->db, "SELECT 1 FROM users WHERE name = ?");
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : reg_db_fail(reg, "looking up a user");
}

int
registry_user_list(struct registry *reg,
		   int (*cb)(const char *user, void *ctx), void *ctx)
{
	sqlite3_stmt *st = db_prepare(reg->db,
		"SELECT name FROM users ORDER BY name");
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb((const char *)sqlite3_column_text(st, 0), ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? REG_OK : reg_db_fail(reg, "listing users");
}

int
registry_user_set_apop(struct registry *reg, const char *user,
		       const char *secret)
{
	struct buf sealed;
	sqlite3_stmt *st;
	int rc, changes;

	if ((rc = check_user(reg, user)) != REG_OK)
		return rc;
	buf_init(&sealed, 0);
	if (secret != NULL && (rc = reg_seal(reg, secret, &sealed)) != REG_OK)
		return rc;
	st = db_prepare(reg->db,
		"UPDATE users SET apop_sealed = ? WHERE name = ?");
	if (secret != NULL)
		sqlite3_bind_blob(st, 1, sealed.data, (int)sealed.len,
				  SQLITE_STATIC);
	sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC);
	rc = reg_step_write(reg, st, &changes);
	buf_free(&sealed);
	if (rc != SQLITE_DONE)
		return reg_db_fail(reg, "storing an APOP secret");
	return changes > 0 ? REG_OK : not_found(reg, user);
}

int
registry_user_get_apop(struct registry *reg, const char *user,
		       char **secret_r)
{
	sqlite3_stmt *st;
	int rc;

	*secret_r = NULL;
	if ((rc = check_user(reg, user)) != REG_OK)
		return rc;
	st = db_prepare(reg->db,
		"SELECT apop_sealed FROM users WHERE name = ?");
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = reg_open_sealed(reg, st, 0, secret_r);
	else if (rc == SQLITE_DONE)
		rc = not_found(reg, user);
	else
		rc = reg_db_fail(reg, "reading an APOP secret");
	sqlite3_finalize(st);
	return rc;
}
