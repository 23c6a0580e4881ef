#include "registry/registry-private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crash.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "registry/schema.h"

#define REG_SEALED_MAX (64 * 1024)

struct registry *
registry_open(struct db *db, const struct secret_key *key, char **error_r)
{
	struct registry *reg;

	if (db_migrate(db, "registry", registry_migrations,
		       registry_migration_count, error_r) < 0)
		return NULL;
	reg = xcalloc(1, sizeof(*reg));
	reg->db = db;
	reg->key = key;
	return reg;
}

void
registry_close(struct registry **regp)
{
	struct registry *reg = *regp;

	if (reg == NULL)
		return;
	*regp = NULL;
	free(reg->error);
	free(reg);
}

const char *
registry_error(struct registry *reg)
{
	return reg->error != NULL ? reg->error : "no error";
}

int
reg_fail(struct registry *reg, int rc, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		fatal("out of memory");
	va_end(ap);
	free(reg->error);
	reg->error = msg;
	return rc;
}

int
reg_db_fail(struct registry *reg, const char *what)
{
	return reg_fail(reg, REG_ERROR, "%s: %s", what, db_error(reg->db));
}

int
reg_step_write(struct registry *reg, sqlite3_stmt *st, int *changes_r)
{
	int rc;

	crash_point("registry.write");
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		rc = sqlite3_extended_errcode(reg->db->conn);
	*changes_r = rc == SQLITE_DONE ? sqlite3_changes(reg->db->conn) : 0;
	sqlite3_finalize(st);
	return rc;
}

int
reg_seal(struct registry *reg, const char *plain, struct buf *out)
{
	if (reg->key == NULL)
		return reg_fail(reg, REG_ERROR, "no master key loaded");
	buf_init(out, REG_SEALED_MAX);
	if (secret_seal(reg->key, plain, strlen(plain), out) < 0)
		return reg_fail(reg, REG_ERROR, "secret too long");
	return REG_OK;
}

int
reg_open_sealed(struct registry *reg, sqlite3_stmt *st, int col,
		char **plain_r)
{
	const void *blob;
	int len;

	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return reg_fail(reg, REG_NOTFOUND, "no secret stored");
	if (reg->key == NULL)
		return reg_fail(reg, REG_ERROR, "no master key loaded");
	blob = sqlite3_column_blob(st, col);
	len = sqlite3_column_bytes(st, col);
	if (blob == NULL ||
	    secret_open(reg->key, blob, (size_t)len, plain_r, NULL) < 0)
		return reg_fail(reg, REG_ERROR, "cannot open a sealed secret: "
				"wrong master key or damaged record");
	return REG_OK;
}

static int
name_char_ok(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return !first && c != '\0' && strchr("._@+-", c) != NULL;
}

int
reg_name_valid(const char *name)
{
	size_t len = strnlen(name, 65);

	if (len == 0 || len > 64)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!name_char_ok(name[i], i == 0))
			return 0;
	}
	return 1;
}

int
registry_user_name_valid(const char *name)
{
	return name != NULL && reg_name_valid(name);
}

/* ---- enum names ---- */

static const char *const proto_names[] = { "pop3", "imap", NULL };
static const char *const tls_names[] = { "implicit", "starttls", "none",
					 NULL };
static const char *const mode_names[] = { "fetch", "move", "forward",
					  "reverse", "both", NULL };

static int
name_index(const char *const *names, const char *s)
{
	for (int i = 0; s != NULL && names[i] != NULL; i++) {
		if (strcmp(names[i], s) == 0)
			return i;
	}
	return -1;
}

const char *
account_proto_name(enum account_proto p)
{
	return (unsigned int)p <= ACCOUNT_IMAP ? proto_names[p] : "?";
}

const char *
account_tls_name(enum account_tls t)
{
	return (unsigned int)t <= ACCOUNT_TLS_NONE ? tls_names[t] : "?";
}

const char *
account_mode_name(enum account_mode m)
{
	return (unsigned int)m <= ACCOUNT_MODE_BOTH ? mode_names[m] : "?";
}

int
account_proto_parse(const char *s)
{
	return name_index(proto_names, s);
}

int
account_tls_parse(const char *s)
{
	return name_index(tls_names, s);
}

int
account_mode_parse(const char *s)
{
	return name_index(mode_names, s);
}
