#ifndef CONFLUX_SECRET_H
#define CONFLUX_SECRET_H

/* Everything that touches keys and passwords, behind one small API (so it
 * can move into a helper process later, as OpenSMTPD's ca process).
 *
 * - The master key: 32 random bytes in a 0600 file created by `conflux
 *   init`; loaded into sodium_malloc'd, mlock'd memory.
 * - Stored external passwords (and APOP/CRAM secrets) are sealed with
 *   crypto_secretbox: blob = 1 version byte || 24-byte nonce || box.
 * - Local passwords are hashed with argon2id (crypto_pwhash_str).
 * Plaintexts handed out by this API live in sodium_malloc'd memory and must
 * be released with secret_free(), which wipes them. */

#include <stddef.h>
#include <stdio.h>

#include "lib/buf.h"

struct secret_key;

/* Creates the key file (O_EXCL, mode 0600, fsynced). -1 with *error_r. */
int secret_key_create(const char *path, char **error_r);
/* Refuses a file readable by group or others, or of the wrong size. */
struct secret_key *secret_key_load(const char *path, char **error_r);
void secret_key_free(struct secret_key **key);

/* Appends the sealed blob to out. 0, or -1 when out's max is too small. */
int secret_seal(const struct secret_key *key, const char *plain, size_t len,
		struct buf *out);
/* -1 when the blob is damaged or sealed with another key. *plain_r is
 * NUL-terminated, sodium_malloc'd: release with secret_free(). */
int secret_open(const struct secret_key *key, const void *blob, size_t len,
		char **plain_r, size_t *len_r);
/* Wipes and frees memory from secret_open/secret_read_password. NULL ok. */
void secret_free(char *plain);

/* argon2id; out is a NUL-terminated string of < 128 bytes. 0 or -1. */
int password_hash(const char *password, char out[128]);
/* 1 match, 0 mismatch, -1 malformed hash. */
int password_verify(const char *hash, const char *password);

/* Reads one password line from `in`. If `in` is a terminal, prints prompt to
 * stderr and turns echo off. The trailing newline is removed. Empty input,
 * or a line over 1024 bytes, is an error. -1 with *error_r (static text). */
int secret_read_password(FILE *in, const char *prompt, char **password_r,
			 const char **error_r);

/* No core dumps and not ptrace-able by other users (keys in memory). */
void secret_protect_process(void);

#endif
