/* store_check over users: folder rows against folder directories, then
 * each folder's files against its rows (check.c). */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/crash.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store-private.h"

struct names {
	char **v;
	int64_t *ids;	/* folder ids, for rows */
	size_t n;
	size_t cap;
};

static void
names_add(struct names *ns, const char *name, int64_t id)
{
	for (size_t i = 0; i < ns->n; i++) {
		if (strcmp(ns->v[i], name) == 0)
			return;
	}
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 16;
		ns->v = xrealloc(ns->v, ns->cap * sizeof(*ns->v));
		ns->ids = xrealloc(ns->ids, ns->cap * sizeof(*ns->ids));
	}
	ns->ids[ns->n] = id;
	ns->v[ns->n++] = xstrdup(name);
}

static int
names_has(const struct names *ns, const char *name)
{
	for (size_t i = 0; i < ns->n; i++) {
		if (strcmp(ns->v[i], name) == 0)
			return 1;
	}
	return 0;
}

static void
names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	free(ns->ids);
	memset(ns, 0, sizeof(*ns));
}

static int
is_maildir(const char *dir, const char *entry)
{
	char path[STORE_PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s%s%s/cur", dir, *entry ? "/" : "",
		 entry);
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int
row_names(struct store *st, const char *user, struct names *ns)
{
	sqlite3_stmt *s = db_prepare(st->db,
		"SELECT id, name FROM folders WHERE username = ?");
	int rc;

	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		names_add(ns, (const char *)sqlite3_column_text(s, 1),
			  sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* "..deleted.*" is a folder delete cut short after its directory was
 * hidden: the rows may or may not be gone, the files must go. */
static void
hidden_dir(struct check *c, const char *user, const char *udir,
	   const char *entry)
{
	char path[STORE_PATH_MAX];

	c->rep->stray_tmp++;
	check_say(c, "%s: leftover of a folder delete %s%s", user, entry,
		  c->repair ? " (removed)" : "");
	if (!c->repair)
		return;
	snprintf(path, sizeof(path), "%s/%s", udir, entry);
	crash_point("store.check.rmtree");
	if (store_rm_tree(path) < 0)
		log_warn("store: cannot remove %s: %s", path, strerror(errno));
}

static void
disk_names(struct check *c, const char *user, const char *udir,
	   struct names *ns)
{
	struct dirent *de;
	struct buf name;
	DIR *d;

	if (is_maildir(udir, ""))
		names_add(ns, "INBOX", 0);
	if ((d = opendir(udir)) == NULL)
		return;
	buf_init(&name, STORE_PATH_MAX);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "..deleted.", 10) == 0)
			hidden_dir(c, user, udir, de->d_name);
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    !is_maildir(udir, de->d_name))
			continue;
		buf_reset(&name);
		if (maildir_name_decode(de->d_name, &name) == 0)
			names_add(ns, buf_cstr(&name), 0);
		else
			check_say(c, "%s: %s is not a folder name", user,
				  de->d_name);
	}
	buf_free(&name);
	closedir(d);
}

static int
check_row(struct check *c, int64_t id, const struct names *disk)
{
	struct folder_ref ref;
	int rc = folder_ref_by_id(c->st, id, &ref);

	if (rc != STORE_OK)
		return rc;
	if (!names_has(disk, ref.name)) {
		c->rep->folders_missing++;
		check_say(c, "%s/%s: folder has no directory%s", ref.user,
			  ref.name, c->repair ? " (created)" : "");
		crash_point("store.check.mkdir");
		if (c->repair && folder_mkdirs(ref.dir,
					       strcmp(ref.name, "INBOX") == 0) < 0)
			rc = store_fail_errno(c->st, errno, "creating",
					      ref.dir);
	}
	if (rc == STORE_OK)
		rc = check_folder(c, &ref);
	folder_ref_clear(&ref);
	return rc;
}

/* A directory without a row: give it a row (a new UIDVALIDITY, as its
 * messages get new UIDs) and index its files. */
static int
adopt_dir(struct check *c, const char *user, const char *name)
{
	struct folder_ref ref;
	int64_t id;
	int rc;

	c->rep->folders_missing++;
	check_say(c, "%s/%s: directory has no folder row%s", user, name,
		  c->repair ? " (added)" : "");
	if (!c->repair)
		return STORE_OK;
	if ((rc = index_begin(c->st)) != STORE_OK)
		return rc;
	rc = folder_make(c->st, user, name, NULL, 1, &id);
	if (rc != STORE_OK) {
		db_rollback(c->st->db);
		return rc;
	}
	if ((rc = index_commit(c->st)) != STORE_OK ||
	    (rc = folder_ref_by_id(c->st, id, &ref)) != STORE_OK)
		return rc;
	rc = check_folder(c, &ref);
	folder_ref_clear(&ref);
	return rc;
}

static int
check_user(struct check *c, const char *user)
{
	struct names rows = { 0 }, disk = { 0 };
	char *udir;
	int rc = STORE_OK, rc2;

	if (!store_user_valid(user))
		return store_fail(c->st, STORE_REJECT, "bad user name");
	udir = xasprintf("%s/%s", c->st->root, user);
	if (row_names(c->st, user, &rows) < 0)
		rc = store_fail(c->st, STORE_TEMPFAIL, "database error: %s",
				db_error(c->st->db));
	disk_names(c, user, udir, &disk);
	for (size_t i = 0; rc == STORE_OK && i < rows.n; i++)
		rc = check_row(c, rows.ids[i], &disk);
	for (size_t i = 0; i < disk.n; i++) {
		if (names_has(&rows, disk.v[i]))
			continue;
		rc2 = adopt_dir(c, user, disk.v[i]);
		rc = rc == STORE_OK ? rc2 : rc;
	}
	names_free(&rows);
	names_free(&disk);
	free(udir);
	return rc;
}

static void
all_users(struct store *st, struct names *ns)
{
	sqlite3_stmt *s = db_prepare(st->db,
		"SELECT DISTINCT username FROM folders");
	struct dirent *de;
	DIR *d;

	while (sqlite3_step(s) == SQLITE_ROW)
		names_add(ns, (const char *)sqlite3_column_text(s, 0), 0);
	sqlite3_finalize(s);
	if ((d = opendir(st->root)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (store_user_valid(de->d_name) &&
		    is_maildir(st->root, de->d_name))
			names_add(ns, de->d_name, 0);
	}
	closedir(d);
}

int
store_check(struct store *st, const char *user, int repair, int quick,
	    struct store_check_report *report,
	    void (*cb)(const char *line, void *ctx), void *ctx)
{
	struct names users = { 0 };
	struct check c;
	int rc = STORE_OK, rc2;

	check_init(&c, st, repair, quick, report, cb, ctx);
	if (user != NULL)
		return check_user(&c, user);
	all_users(st, &users);
	for (size_t i = 0; i < users.n; i++) {
		rc2 = check_user(&c, users.v[i]);
		rc = rc == STORE_OK ? rc2 : rc;
	}
	names_free(&users);
	return rc;
}
