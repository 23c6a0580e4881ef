#ifndef CONFLUX_TEST_STORE_FIXTURE_H
#define CONFLUX_TEST_STORE_FIXTURE_H

/* A fresh store in a mkdtemp directory per test. */

#include <stddef.h>

#include "lib/db.h"
#include "store/store.h"

struct fx {
	char dir[64];
	char root[128];
	struct db *db;
	struct store *st;
};

int fx_setup(void **state);
/* Like fx_setup with a message size limit. */
int fx_setup_limited(void **state);
int fx_teardown(void **state);
/* Reopens the store on the same database (a fresh handle). */
void fx_reopen(struct fx *fx);
/* Number of entries (not dot-files) in <root>/<rel>. */
size_t fx_count(struct fx *fx, const char *rel);
/* Writes a file <root>/<rel> with the given content. */
void fx_write(struct fx *fx, const char *rel, const char *content);
/* Name of the single entry of <root>/<rel> (static buffer), NULL if none. */
const char *fx_only(struct fx *fx, const char *rel);
int64_t fx_folder_id(struct fx *fx, const char *user, const char *name);

#endif
