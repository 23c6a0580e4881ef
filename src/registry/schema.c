#include "registry/schema.h"

/* Column "user_name", not "user": USER is reserved in PostgreSQL, and the
 * SQL here is kept portable. Times are Unix seconds. */
static const char registry_v1[] =
	"CREATE TABLE users ("
	" name TEXT PRIMARY KEY,"
	" pw_hash TEXT NOT NULL,"
	" apop_sealed BLOB,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE accounts ("
	" id INTEGER PRIMARY KEY,"
	" user_name TEXT NOT NULL"
	"  REFERENCES users (name) ON DELETE CASCADE,"
	" name TEXT NOT NULL,"
	" proto TEXT NOT NULL,"
	" host TEXT NOT NULL,"
	" port INTEGER NOT NULL,"
	" tls TEXT NOT NULL,"
	" login TEXT NOT NULL,"
	" password_sealed BLOB NOT NULL,"
	" mode TEXT NOT NULL,"
	" folders TEXT,"
	" interval INTEGER NOT NULL,"
	" ca_file TEXT,"
	" pin_sha256 TEXT,"
	" created INTEGER NOT NULL,"
	" UNIQUE (user_name, name));";

/* Version 2: when a password last changed (for "conflux user list" and
 * password-age policies), backfilled from created; and an index for the
 * scheduler, which walks accounts by host to spread connections. */
static const char registry_v2[] =
	"ALTER TABLE users ADD COLUMN pw_changed INTEGER;"
	"UPDATE users SET pw_changed = created;"
	"CREATE INDEX accounts_host ON accounts (host);";

/* Version 3: the local folder prefix an IMAP account's folders are mapped
 * under ("" keeps the remote names). */
static const char registry_v3[] =
	"ALTER TABLE accounts ADD COLUMN folder_prefix TEXT;";

const struct db_migration registry_migrations[] = {
	{ 1, registry_v1 },
	{ 2, registry_v2 },
	{ 3, registry_v3 },
};

const int registry_migration_count =
	(int)(sizeof(registry_migrations) / sizeof(registry_migrations[0]));
