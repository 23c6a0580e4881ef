#include "registry/registry-private.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/xalloc.h"

#define ACCOUNT_DEFAULT_INTERVAL 300
#define ACCOUNT_MIN_INTERVAL 10
#define ACCOUNT_TEXT_MAX 255

/* ---- validation ---- */

/* Non-empty, at most ACCOUNT_TEXT_MAX bytes, no control characters, and
 * (no_space) no spaces. */
static int
text_ok(const char *s, int no_space)
{
	size_t len;

	if (s == NULL || (len = strnlen(s, ACCOUNT_TEXT_MAX + 1)) == 0 ||
	    len > ACCOUNT_TEXT_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || (no_space && c == ' '))
			return 0;
	}
	return 1;
}

/* Folder names may hold spaces: the list is separated by newlines. */
static int
folders_ok(const char *s)
{
	int ok = 1;
	char *copy = xstrdup(s), *p = copy, *nl;

	do {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		ok = ok && text_ok(p, 0);
		p = nl + 1;
	} while (nl != NULL);
	free(copy);
	return ok;
}

/* Lower-case hex of 64 digits, colons allowed between bytes. */
static char *
normalize_pin(const char *pin)
{
	char out[65];
	size_t n = 0;

	for (const char *p = pin; *p != '\0'; p++) {
		char c = *p;

		if (c == ':')
			continue;
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (n == 64 || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return NULL;
		out[n++] = c;
	}
	if (n != 64)
		return NULL;
	out[64] = '\0';
	return xstrdup(out);
}

static int
check_names(struct registry *reg, const struct account *a)
{
	if (!registry_user_name_valid(a->user))
		return reg_fail(reg, REG_INVALID, "invalid user name \"%s\"",
				a->user ? a->user : "");
	if (a->name == NULL || !reg_name_valid(a->name))
		return reg_fail(reg, REG_INVALID, "invalid account name \"%s\":"
				" use 1-64 of a-z 0-9 . _ @ + -, starting with"
				" a letter or digit", a->name ? a->name : "");
	return REG_OK;
}

static int
check_enums(struct registry *reg, const struct account *a)
{
	if ((unsigned int)a->proto > ACCOUNT_IMAP)
		return reg_fail(reg, REG_INVALID, "invalid protocol");
	if ((unsigned int)a->tls > ACCOUNT_TLS_NONE)
		return reg_fail(reg, REG_INVALID, "invalid TLS mode");
	if ((unsigned int)a->mode > ACCOUNT_MODE_BOTH)
		return reg_fail(reg, REG_INVALID, "invalid sync mode");
	return REG_OK;
}

static int
check_connection(struct registry *reg, const struct account *a)
{
	if (!text_ok(a->host, 1))
		return reg_fail(reg, REG_INVALID, "invalid host: it must be "
				"non-empty, without spaces");
	if (a->port > 65535)
		return reg_fail(reg, REG_INVALID, "invalid port %u: expected "
				"0-65535 (0: the protocol's default)", a->port);
	if (!text_ok(a->login, 0))
		return reg_fail(reg, REG_INVALID, "invalid login: it must be "
				"non-empty, without control characters");
	if (a->interval != 0 && a->interval < ACCOUNT_MIN_INTERVAL)
		return reg_fail(reg, REG_INVALID, "sync interval %u s is too "
				"short: use at least %d s", a->interval,
				ACCOUNT_MIN_INTERVAL);
	return REG_OK;
}

static int
check_options(struct registry *reg, const struct account *a, char **pin_r)
{
	*pin_r = NULL;
	if (a->folders != NULL && *a->folders != '\0' && !folders_ok(a->folders))
		return reg_fail(reg, REG_INVALID, "invalid folder list");
	if (a->prefix != NULL && *a->prefix != '\0' && !text_ok(a->prefix, 0))
		return reg_fail(reg, REG_INVALID, "invalid folder prefix");
	if (a->ca_file != NULL && !text_ok(a->ca_file, 0))
		return reg_fail(reg, REG_INVALID, "invalid CA file name");
	if (a->pin_sha256 != NULL &&
	    (*pin_r = normalize_pin(a->pin_sha256)) == NULL)
		return reg_fail(reg, REG_INVALID, "invalid certificate pin: "
				"expected 64 hex digits of a SHA-256");
	return REG_OK;
}

static int
check_account(struct registry *reg, const struct account *a,
	      const char *password, char **pin_r)
{
	int rc;

	*pin_r = NULL;
	if ((rc = check_names(reg, a)) != REG_OK ||
	    (rc = check_enums(reg, a)) != REG_OK ||
	    (rc = check_connection(reg, a)) != REG_OK)
		return rc;
	if (password == NULL || *password == '\0')
		return reg_fail(reg, REG_INVALID, "empty password");
	return check_options(reg, a, pin_r);
}

/* ---- add / del ---- */

static void
bind_text_or_null(sqlite3_stmt *st, int col, const char *s)
{
	if (s != NULL && *s != '\0')
		sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

static sqlite3_stmt *
insert_stmt(struct registry *reg, const struct account *a,
	    const struct buf *sealed, const char *pin)
{
	sqlite3_stmt *st = db_prepare(reg->db, "INSERT INTO accounts"
		" (user_name, name, proto, host, port, tls, login,"
		" password_sealed, mode, folders, interval, ca_file,"
		" pin_sha256, created, folder_prefix)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

	sqlite3_bind_text(st, 1, a->user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, account_proto_name(a->proto), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->host, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, (int)a->port);
	sqlite3_bind_text(st, 6, account_tls_name(a->tls), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->login, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, sealed->data, (int)sealed->len,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 9, account_mode_name(a->mode), -1,
			  SQLITE_STATIC);
	bind_text_or_null(st, 10, a->folders);
	sqlite3_bind_int(st, 11, a->interval != 0 ? (int)a->interval :
			 ACCOUNT_DEFAULT_INTERVAL);
	bind_text_or_null(st, 12, a->ca_file);
	bind_text_or_null(st, 13, pin);
	sqlite3_bind_int64(st, 14, (sqlite3_int64)time(NULL));
	bind_text_or_null(st, 15, a->prefix);
	return st;
}

static int
insert_result(struct registry *reg, const struct account *a, int rc)
{
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return reg_fail(reg, REG_NOTFOUND, "no such user: %s", a->user);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return reg_fail(reg, REG_EXISTS, "user %s already has an "
				"account named %s", a->user, a->name);
	return rc == SQLITE_DONE ? REG_OK :
		reg_db_fail(reg, "adding an account");
}

int
registry_account_add(struct registry *reg, const struct account *a,
		     const char *password)
{
	struct buf sealed;
	char *pin;
	int rc, changes;

	if ((rc = check_account(reg, a, password, &pin)) != REG_OK)
		return rc;
	if ((rc = reg_seal(reg, password, &sealed)) != REG_OK) {
		free(pin);
		return rc;
	}
	rc = reg_step_write(reg, insert_stmt(reg, a, &sealed, pin), &changes);
	buf_free(&sealed);
	free(pin);
	return insert_result(reg, a, rc);
}

static int
no_account(struct registry *reg, const char *user, const char *name)
{
	return reg_fail(reg, REG_NOTFOUND, "no account %s of user %s", name,
			user);
}

int
registry_account_del(struct registry *reg, const char *user,
		     const char *name)
{
	sqlite3_stmt *st = db_prepare(reg->db,
		"DELETE FROM accounts WHERE user_name = ? AND name = ?");
	int changes;

	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (reg_step_write(reg, st, &changes) != SQLITE_DONE)
		return reg_db_fail(reg, "deleting an account");
	return changes > 0 ? REG_OK : no_account(reg, user, name);
}

/* ---- reading ---- */

#define ACCOUNT_COLUMNS "id, user_name, name, proto, host, port, tls, " \
	"login, mode, folders, interval, ca_file, pin_sha256, folder_prefix"

static char *
column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s != NULL ? xstrdup((const char *)s) : NULL;
}

static int
column_enum(sqlite3_stmt *st, int col, int (*parse)(const char *))
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s != NULL ? parse((const char *)s) : -1;
}

/* Fills *a from a row of ACCOUNT_COLUMNS. REG_OK or REG_ERROR. */
static int
account_from_row(struct registry *reg, sqlite3_stmt *st, struct account *a)
{
	int proto = column_enum(st, 3, account_proto_parse);
	int tls = column_enum(st, 6, account_tls_parse);
	int mode = column_enum(st, 8, account_mode_parse);

	memset(a, 0, sizeof(*a));
	if (proto < 0 || tls < 0 || mode < 0)
		return reg_fail(reg, REG_ERROR, "account %lld has an unknown "
				"protocol, TLS or sync mode",
				(long long)sqlite3_column_int64(st, 0));
	a->id = sqlite3_column_int64(st, 0);
	a->user = column_dup(st, 1);
	a->name = column_dup(st, 2);
	a->proto = (enum account_proto)proto;
	a->host = column_dup(st, 4);
	a->port = (unsigned int)sqlite3_column_int(st, 5);
	a->tls = (enum account_tls)tls;
	a->login = column_dup(st, 7);
	a->mode = (enum account_mode)mode;
	a->folders = column_dup(st, 9);
	a->interval = (unsigned int)sqlite3_column_int(st, 10);
	a->ca_file = column_dup(st, 11);
	a->pin_sha256 = column_dup(st, 12);
	a->prefix = column_dup(st, 13);
	return REG_OK;
}

int
registry_account_get(struct registry *reg, const char *user,
		     const char *name, struct account *a)
{
	sqlite3_stmt *st = db_prepare(reg->db, "SELECT " ACCOUNT_COLUMNS
		" FROM accounts WHERE user_name = ? AND name = ?");
	int rc;

	memset(a, 0, sizeof(*a));
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = account_from_row(reg, st, a);
	else if (rc == SQLITE_DONE)
		rc = no_account(reg, user, name);
	else
		rc = reg_db_fail(reg, "reading an account");
	sqlite3_finalize(st);
	return rc;
}

static sqlite3_stmt *
list_stmt(struct registry *reg, const char *user)
{
	sqlite3_stmt *st;

	if (user == NULL)
		return db_prepare(reg->db, "SELECT " ACCOUNT_COLUMNS
				  " FROM accounts ORDER BY user_name, name");
	st = db_prepare(reg->db, "SELECT " ACCOUNT_COLUMNS " FROM accounts"
			" WHERE user_name = ? ORDER BY name");
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	return st;
}

int
registry_account_list(struct registry *reg, const char *user,
		      int (*cb)(const struct account *a, void *ctx),
		      void *ctx)
{
	sqlite3_stmt *st = list_stmt(reg, user);
	struct account a;
	int rc, stop = 0;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (account_from_row(reg, st, &a) != REG_OK)
			break;
		stop = cb(&a, ctx) != 0;
		account_clear(&a);
	}
	sqlite3_finalize(st);
	if (stop || rc == SQLITE_DONE)
		return REG_OK;
	return rc == SQLITE_ROW ? REG_ERROR :
		reg_db_fail(reg, "listing accounts");
}

int
registry_account_password(struct registry *reg, const char *user,
			  const char *name, char **password_r)
{
	sqlite3_stmt *st = db_prepare(reg->db, "SELECT password_sealed"
		" FROM accounts WHERE user_name = ? AND name = ?");
	int rc;

	*password_r = NULL;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = reg_open_sealed(reg, st, 0, password_r);
	else if (rc == SQLITE_DONE)
		rc = no_account(reg, user, name);
	else
		rc = reg_db_fail(reg, "reading an account password");
	sqlite3_finalize(st);
	return rc;
}

void
account_clear(struct account *a)
{
	free(a->user);
	free(a->name);
	free(a->host);
	free(a->login);
	free(a->folders);
	free(a->prefix);
	free(a->ca_file);
	free(a->pin_sha256);
	memset(a, 0, sizeof(*a));
}
