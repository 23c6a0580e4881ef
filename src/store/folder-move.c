/* Renaming and deleting folders. Directories move first, the index
 * commits after: a crash in between leaves directories and rows that
 * store_check can reconcile, and never resurrects a deleted folder. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/crash.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store-private.h"

/* One folder moving in a rename. */
struct move {
	int64_t id;
	char *new_name;
	char *old_dir;
	char *new_dir;
	int done;	/* directory renamed */
};

struct move_set {
	struct move *v;
	size_t n;
	size_t cap;
};

static void
move_set_free(struct move_set *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->v[i].new_name);
		free(ms->v[i].old_dir);
		free(ms->v[i].new_dir);
	}
	free(ms->v);
	memset(ms, 0, sizeof(*ms));
}

/* "old" itself or one of its children, and the name it gets. */
static char *
renamed(const char *name, const char *old_name, const char *new_name)
{
	size_t n = strlen(old_name);

	if (strncmp(name, old_name, n) != 0 ||
	    (name[n] != '\0' && name[n] != '/'))
		return NULL;
	return xasprintf("%s%s", new_name, name + n);
}

static int
add_move(struct store *st, struct move_set *ms, const char *user,
	 int64_t id, const char *name, char *new_name)
{
	struct buf a, b;
	struct move *m;

	if (folder_dir(st, user, name, &a) < 0 ||
	    folder_dir(st, user, new_name, &b) < 0) {
		buf_free(&a);
		buf_free(&b);
		free(new_name);
		return store_fail(st, STORE_REJECT, "folder name too long");
	}
	if (ms->n == ms->cap) {
		ms->cap = ms->cap ? ms->cap * 2 : 8;
		ms->v = xrealloc(ms->v, ms->cap * sizeof(*ms->v));
	}
	m = &ms->v[ms->n++];
	m->id = id;
	m->new_name = new_name;
	m->old_dir = buf_steal(&a);
	m->new_dir = buf_steal(&b);
	m->done = 0;
	return STORE_OK;
}

static int
collect_moves(struct store *st, const char *user, const char *old_name,
	      const char *new_name, struct move_set *ms)
{
	sqlite3_stmt *s = db_prepare(st->db,
		"SELECT id, name FROM folders WHERE username = ?");
	int rc = STORE_OK, found = 0;

	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	while (rc == STORE_OK && sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 1);
		char *to = renamed(name, old_name, new_name);

		found |= strcmp(name, old_name) == 0;
		if (to != NULL)
			rc = add_move(st, ms, user, sqlite3_column_int64(s, 0),
				      name, to);
	}
	sqlite3_finalize(s);
	/* The folder itself must exist, not only children of it. */
	if (rc == STORE_OK && !found)
		rc = store_fail(st, STORE_NOTFOUND, "no such folder %s",
				old_name);
	return rc;
}

static int
update_names(struct store *st, struct move_set *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		sqlite3_stmt *s = db_prepare(st->db,
			"UPDATE folders SET name = ? WHERE id = ?");
		int rc;

		sqlite3_bind_text(s, 1, ms->v[i].new_name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, ms->v[i].id);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc == SQLITE_CONSTRAINT)
			return store_fail(st, STORE_EXISTS, "folder %s exists",
					  ms->v[i].new_name);
		if (rc != SQLITE_DONE)
			return store_fail(st, STORE_TEMPFAIL,
					  "database error: %s",
					  db_error(st->db));
	}
	return STORE_OK;
}

static void
undo_moves(struct move_set *ms)
{
	for (size_t i = ms->n; i-- > 0;) {
		if (ms->v[i].done &&
		    rename(ms->v[i].new_dir, ms->v[i].old_dir) < 0)
			log_error("store: cannot move %s back to %s: %s",
				  ms->v[i].new_dir, ms->v[i].old_dir,
				  strerror(errno));
	}
}

static int
move_dirs(struct store *st, struct move_set *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		crash_point("store.folder.rename");
		/* rename() would silently replace an empty directory. */
		if (access(ms->v[i].new_dir, F_OK) == 0)
			return store_fail(st, STORE_EXISTS,
					  "directory %s exists",
					  ms->v[i].new_dir);
		if (rename(ms->v[i].old_dir, ms->v[i].new_dir) < 0 &&
		    errno != ENOENT)
			return store_fail_errno(st, errno, "renaming",
						ms->v[i].old_dir);
		ms->v[i].done = 1;
	}
	return STORE_OK;
}

static int
rename_check(struct store *st, const char *old_name, const char *new_name)
{
	size_t n = strlen(old_name);

	if (store_folder_name_valid(old_name) != STORE_OK ||
	    store_folder_name_valid(new_name) != STORE_OK)
		return store_fail(st, STORE_REJECT, "bad folder name");
	if (strcmp(old_name, "INBOX") == 0)
		return store_fail(st, STORE_REJECT, "INBOX cannot be renamed");
	if (strcmp(new_name, "INBOX") == 0)
		return store_fail(st, STORE_EXISTS, "INBOX exists");
	if (strncmp(new_name, old_name, n) == 0 &&
	    (new_name[n] == '\0' || new_name[n] == '/'))
		return store_fail(st, STORE_REJECT,
				  "cannot rename a folder into itself");
	return STORE_OK;
}

static int
rename_norm(struct store *st, const char *user, const char *old_name,
	    const char *new_name)
{
	struct move_set ms = { NULL, 0, 0 };
	int rc = rename_check(st, old_name, new_name);

	if (rc != STORE_OK || (rc = index_begin(st)) != STORE_OK)
		return rc;
	if ((rc = collect_moves(st, user, old_name, new_name, &ms)) ==
		    STORE_OK &&
	    (rc = update_names(st, &ms)) == STORE_OK &&
	    (rc = move_dirs(st, &ms)) == STORE_OK &&
	    (rc = index_commit(st)) == STORE_OK) {
		move_set_free(&ms);
		return STORE_OK;
	}
	if (st->db->in_tx)
		db_rollback(st->db);
	undo_moves(&ms);
	move_set_free(&ms);
	return rc;
}

int
store_folder_rename(struct store *st, const char *user, const char *old_name,
		    const char *new_name)
{
	char *a = folder_norm_name(old_name), *b = folder_norm_name(new_name);
	int rc = rename_norm(st, user, a, b);

	free(a);
	free(b);
	return rc;
}

/* ---- delete ----------------------------------------------------------- */

static int
delete_row(struct store *st, int64_t id)
{
	sqlite3_stmt *s = db_prepare(st->db, "DELETE FROM folders WHERE id = ?");
	int rc;

	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, STORE_TEMPFAIL, "database error: %s",
				  db_error(st->db));
	return STORE_OK;
}

/* The directory is hidden under a name that is no folder ("..deleted.")
 * before the rows go, so a crash cannot bring the folder back. */
static int
delete_ref(struct store *st, struct folder_ref *ref)
{
	char gone[STORE_PATH_MAX];
	int rc;

	snprintf(gone, sizeof(gone), "%s/%s/..deleted.%lld.%ld", st->root,
		 ref->user, (long long)ref->id, (long)getpid());
	crash_point("store.folder.hide");
	if (rename(ref->dir, gone) < 0 && errno != ENOENT)
		return store_fail_errno(st, errno, "renaming", ref->dir);
	if ((rc = delete_row(st, ref->id)) != STORE_OK ||
	    (rc = index_commit(st)) != STORE_OK) {
		rename(gone, ref->dir);
		return rc;
	}
	crash_point("store.folder.remove");
	if (store_rm_tree(gone) < 0)
		log_warn("store: cannot remove %s: %s", gone, strerror(errno));
	return STORE_OK;
}

int
store_folder_delete(struct store *st, const char *user, const char *name)
{
	struct folder_ref ref;
	int rc;

	if ((rc = index_begin(st)) != STORE_OK)
		return rc;
	rc = folder_ref_get(st, user, name, &ref);
	if (rc == STORE_OK && strcmp(ref.name, "INBOX") == 0)
		rc = store_fail(st, STORE_REJECT, "INBOX cannot be deleted");
	if (rc == STORE_OK)
		rc = delete_ref(st, &ref);
	if (st->db->in_tx)
		db_rollback(st->db);
	folder_ref_clear(&ref);
	return rc;
}
