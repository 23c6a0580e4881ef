#ifndef CONFLUX_REGISTRY_PRIVATE_H
#define CONFLUX_REGISTRY_PRIVATE_H

/* Shared by the files of src/registry only. */

#include "lib/buf.h"
#include "registry/registry.h"

struct registry {
	struct db *db;			/* borrowed */
	const struct secret_key *key;	/* borrowed, may be NULL */
	char *error;			/* last message, for registry_error() */
};

/* Sets the message for registry_error() and returns rc. */
int reg_fail(struct registry *reg, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* REG_ERROR with "<what>: <sqlite message>". */
int reg_db_fail(struct registry *reg, const char *what);

/* Runs one write statement (behind crash point "registry.write") and
 * finalizes it. Returns SQLITE_DONE or SQLite's extended error code;
 * *changes_r gets the number of rows changed. */
int reg_step_write(struct registry *reg, sqlite3_stmt *st, int *changes_r);

/* Seals plain with the master key into out (max 64 KiB).
 * REG_OK, or REG_ERROR (no key loaded, or too long). */
int reg_seal(struct registry *reg, const char *plain, struct buf *out);
/* Opens the sealed blob in column col of st into *plain_r (secret_free).
 * REG_OK, REG_NOTFOUND when the column is NULL, REG_ERROR. */
int reg_open_sealed(struct registry *reg, sqlite3_stmt *st, int col,
		    char **plain_r);

/* Names of users and accounts: 1-64 of [a-z0-9._@+-], letter/digit first. */
int reg_name_valid(const char *name);

#endif
