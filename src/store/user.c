/* Users: the set of default folders, and purging everything of a user. */

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/crash.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store-private.h"

static const struct {
	const char *name;
	const char *special_use;
} default_folders[] = {
	{ "INBOX", NULL },
	{ "Sent", "\\Sent" },
	{ "Drafts", "\\Drafts" },
	{ "Trash", "\\Trash" },
	{ "Junk", "\\Junk" },
	{ "Archive", "\\Archive" },
};

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	return remove(path);
}

int
store_rm_tree(const char *path)
{
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 &&
	    errno != ENOENT)
		return -1;
	return 0;
}

static int
ensure_folder(struct store *st, const char *user, size_t i)
{
	struct folder_ref ref;
	int64_t id;
	int rc = folder_ref_get(st, user, default_folders[i].name, &ref);

	folder_ref_clear(&ref);
	if (rc != STORE_NOTFOUND)
		return rc;
	return folder_make(st, user, default_folders[i].name,
			   default_folders[i].special_use, 1, &id);
}

int
store_user_create(struct store *st, const char *user)
{
	char path[STORE_PATH_MAX];
	int rc = STORE_OK;

	if (!store_user_valid(user))
		return store_fail(st, STORE_REJECT, "bad user name");
	snprintf(path, sizeof(path), "%s/%s", st->root, user);
	crash_point("store.user.mkdir");
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return store_fail_errno(st, errno, "creating", path);
	if ((rc = index_begin(st)) != STORE_OK)
		return rc;
	for (size_t i = 0; rc == STORE_OK &&
	     i < sizeof(default_folders) / sizeof(*default_folders); i++)
		rc = ensure_folder(st, user, i);
	if (rc == STORE_OK)
		return index_commit(st);
	db_rollback(st->db);
	return rc;
}

static int
delete_user_rows(struct store *st, const char *user)
{
	sqlite3_stmt *s = db_prepare(st->db,
		"DELETE FROM folders WHERE username = ?");
	int rc;

	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, STORE_TEMPFAIL, "database error: %s",
				  db_error(st->db));
	return STORE_OK;
}

/* The user's tree is first renamed out of sight, so a crash before the
 * rows are gone leaves rows without files (dropped by check), never files
 * without rows (which check would index again, undoing the purge). */
int
store_user_purge(struct store *st, const char *user)
{
	char path[STORE_PATH_MAX], gone[STORE_PATH_MAX];
	int rc;

	if (!store_user_valid(user))
		return store_fail(st, STORE_REJECT, "bad user name");
	snprintf(path, sizeof(path), "%s/%s", st->root, user);
	snprintf(gone, sizeof(gone), "%s/.purged.%s.%ld", st->root, user,
		 (long)getpid());
	if ((rc = index_begin(st)) != STORE_OK)
		return rc;
	crash_point("store.user.hide");
	if (rename(path, gone) < 0 && errno != ENOENT) {
		db_rollback(st->db);
		return store_fail_errno(st, errno, "renaming", path);
	}
	if ((rc = delete_user_rows(st, user)) != STORE_OK ||
	    (rc = index_commit(st)) != STORE_OK) {
		if (st->db->in_tx)
			db_rollback(st->db);
		rename(gone, path);
		return rc;
	}
	crash_point("store.user.remove");
	if (store_rm_tree(gone) < 0)
		log_warn("store: cannot remove %s: %s", gone, strerror(errno));
	return STORE_OK;
}
