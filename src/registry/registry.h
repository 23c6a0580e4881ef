#ifndef CONFLUX_REGISTRY_H
#define CONFLUX_REGISTRY_H

/* Users and their external accounts, in the shared SQLite database.
 *
 * Local passwords are argon2id hashes. External-account passwords and the
 * optional APOP/CRAM-MD5 secret of a user must be recoverable (to log in as
 * the user), so they are sealed with the master key (lib/secret.h) and only
 * opened on demand into wiped memory. Nothing here logs a secret. */

#include <stdint.h>

#include "lib/db.h"
#include "lib/secret.h"

enum registry_rc {
	REG_OK = 0,
	REG_ERROR = -1,		/* database or crypto failure */
	REG_NOTFOUND = -2,
	REG_EXISTS = -3,
	REG_INVALID = -4,	/* bad name or value; see registry_error() */
};

enum account_proto { ACCOUNT_POP3, ACCOUNT_IMAP };
enum account_tls { ACCOUNT_TLS_IMPLICIT, ACCOUNT_TLS_STARTTLS,
		   ACCOUNT_TLS_NONE };
enum account_mode { ACCOUNT_MODE_FETCH, ACCOUNT_MODE_MOVE,
		    ACCOUNT_MODE_FORWARD, ACCOUNT_MODE_REVERSE,
		    ACCOUNT_MODE_BOTH };

struct account {
	int64_t id;
	char *user;
	char *name;
	enum account_proto proto;
	char *host;
	unsigned int port;		/* 0: the protocol's default for tls */
	enum account_tls tls;
	char *login;
	enum account_mode mode;
	char *folders;			/* IMAP: newline-separated remote folders
					   to sync, NULL: all. POP3: the local
					   folder, NULL: INBOX */
	char *prefix;			/* IMAP: local name prefix, NULL: none */
	unsigned int interval;		/* seconds between syncs */
	char *ca_file;			/* NULL: system CAs */
	char *pin_sha256;		/* hex cert fingerprint, or NULL */
};

struct registry;

/* Migrates the registry schema. Borrows db and key (key may be NULL for
 * commands that never touch secrets; sealing then fails with REG_ERROR). */
struct registry *registry_open(struct db *db, const struct secret_key *key,
			       char **error_r);
void registry_close(struct registry **reg);
const char *registry_error(struct registry *reg);

/* User names: 1-64 bytes of [a-z0-9._@+-], starting with a letter or digit
 * (they name directories). 1 valid, 0 not. */
int registry_user_name_valid(const char *name);

int registry_user_add(struct registry *reg, const char *user,
		      const char *password);
int registry_user_del(struct registry *reg, const char *user);
int registry_user_passwd(struct registry *reg, const char *user,
			 const char *password);
/* REG_OK on match, REG_NOTFOUND for unknown user or wrong password (the
 * caller cannot tell which, on purpose), REG_ERROR on failure. Unknown
 * users cost the same time as known ones. */
int registry_user_verify(struct registry *reg, const char *user,
			 const char *password);
/* For checks made off the loop (server/common/auth.c): the user's stored
 * password hash, for password_verify() (lib/secret.h). An unknown user
 * gets REG_NOTFOUND and a dummy hash that matches no password, so both
 * cases cost the same to check. REG_ERROR on a database failure. */
#define REGISTRY_HASH_MAX 128
int registry_user_hash(struct registry *reg, const char *user,
		       char hash[REGISTRY_HASH_MAX]);
int registry_user_exists(struct registry *reg, const char *user);
/* Sorted by name; non-zero from cb stops. */
int registry_user_list(struct registry *reg,
		       int (*cb)(const char *user, void *ctx), void *ctx);
/* Sets (secret != NULL) or clears the APOP/CRAM-MD5 shared secret. */
int registry_user_set_apop(struct registry *reg, const char *user,
			   const char *secret);
/* *secret_r: secret_free() it. REG_NOTFOUND if none is set. */
int registry_user_get_apop(struct registry *reg, const char *user,
			   char **secret_r);

int registry_account_add(struct registry *reg, const struct account *a,
			 const char *password);
int registry_account_del(struct registry *reg, const char *user,
			 const char *name);
/* Fills *a (free with account_clear). */
int registry_account_get(struct registry *reg, const char *user,
			 const char *name, struct account *a);
/* user NULL: all accounts. cb's account is valid during the call only. */
int registry_account_list(struct registry *reg, const char *user,
			  int (*cb)(const struct account *a, void *ctx),
			  void *ctx);
/* *password_r: secret_free() it. */
int registry_account_password(struct registry *reg, const char *user,
			      const char *name, char **password_r);
void account_clear(struct account *a);

/* Names for the enums, and back (-1 when unknown). */
const char *account_proto_name(enum account_proto p);
const char *account_tls_name(enum account_tls t);
const char *account_mode_name(enum account_mode m);
int account_proto_parse(const char *s);
int account_tls_parse(const char *s);
int account_mode_parse(const char *s);

#endif
