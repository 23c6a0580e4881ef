/* Folders: rows in the index, Maildir++ directories on disk. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/crash.h"
#include "lib/db.h"
#include "lib/xalloc.h"
#include "store/store-private.h"

#define FOLDER_COLUMNS \
	"SELECT id, username, name, special_use, uidvalidity, uidnext," \
	" highestmodseq, subscribed," \
	" (SELECT count(*) FROM messages m WHERE m.folder_id = f.id)" \
	" FROM folders f "
/* The same without the count, which reads every row of a big folder. */
#define FOLDER_COLUMNS_UNCOUNTED \
	"SELECT id, username, name, special_use, uidvalidity, uidnext," \
	" highestmodseq, subscribed, 0 FROM folders f "

/* IMAP's INBOX is case-insensitive, also as the root of a hierarchy. */
char *
folder_norm_name(const char *name)
{
	char *n = xstrdup(name);

	if (strncasecmp(n, "INBOX", 5) == 0 && (n[5] == '\0' || n[5] == '/'))
		memcpy(n, "INBOX", 5);
	return n;
}

int
folder_dir(struct store *st, const char *user, const char *name,
	   struct buf *out)
{
	buf_init(out, STORE_PATH_MAX);
	if (!store_user_valid(user) ||
	    buf_printf(out, "%s/%s/", st->root, user) < 0)
		return -1;
	if (maildir_name_encode(name, out) < 0)
		return -1;
	if (out->data[out->len - 1] == '/')
		buf_truncate(out, out->len - 1);
	return 0;
}

static void
fill_ref(sqlite3_stmt *s, struct folder_ref *ref)
{
	ref->id = sqlite3_column_int64(s, 0);
	ref->user = xstrdup((const char *)sqlite3_column_text(s, 1));
	ref->name = xstrdup((const char *)sqlite3_column_text(s, 2));
}

static int
ref_from(struct store *st, sqlite3_stmt *s, struct folder_ref *ref_r)
{
	struct buf dir;
	int rc = sqlite3_step(s);

	memset(ref_r, 0, sizeof(*ref_r));
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(s);
		if (rc == SQLITE_DONE)
			return store_fail(st, STORE_NOTFOUND, "no such folder");
		return store_fail(st, STORE_TEMPFAIL, "database error: %s",
				  db_error(st->db));
	}
	fill_ref(s, ref_r);
	sqlite3_finalize(s);
	if (folder_dir(st, ref_r->user, ref_r->name, &dir) < 0) {
		buf_free(&dir);
		folder_ref_clear(ref_r);
		return store_fail(st, STORE_REJECT, "folder path too long");
	}
	ref_r->dir = buf_steal(&dir);
	return STORE_OK;
}

int
folder_ref_get(struct store *st, const char *user, const char *name,
	       struct folder_ref *ref_r)
{
	sqlite3_stmt *s = db_prepare(st->db, "SELECT id, username, name"
		" FROM folders WHERE username = ? AND name = ?");
	char *norm = folder_norm_name(name);
	int rc;

	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, norm, -1, SQLITE_STATIC);
	rc = ref_from(st, s, ref_r);
	free(norm);
	return rc;
}

int
folder_ref_by_id(struct store *st, int64_t id, struct folder_ref *ref_r)
{
	sqlite3_stmt *s = db_prepare(st->db, "SELECT id, username, name"
		" FROM folders WHERE id = ?");

	sqlite3_bind_int64(s, 1, id);
	return ref_from(st, s, ref_r);
}

void
folder_ref_clear(struct folder_ref *ref)
{
	free(ref->user);
	free(ref->name);
	free(ref->dir);
	memset(ref, 0, sizeof(*ref));
}

/* Maildir++ marks every non-INBOX folder with this empty file (Courier,
 * Dovecot and mutt look for it). */
static int
write_marker(const char *dir)
{
	char path[STORE_PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/maildirfolder", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int
folder_mkdirs(const char *dir, int inbox)
{
	if (maildir_mkdirs(dir) < 0)
		return -1;
	return inbox ? 0 : write_marker(dir);
}

static int
insert_folder(struct store *st, const char *user, const char *name,
	      const char *special_use, int subscribed, int64_t *id_r)
{
	sqlite3_stmt *s = db_prepare(st->db, "INSERT INTO folders (username,"
		" name, special_use, uidvalidity, subscribed)"
		" VALUES (?, ?, ?, ?, ?)");
	uint32_t uidvalidity = index_next_uidvalidity(st, user);
	int rc;

	if (uidvalidity == 0) {
		sqlite3_finalize(s);
		return STORE_TEMPFAIL;
	}
	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
	if (special_use != NULL)
		sqlite3_bind_text(s, 3, special_use, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, uidvalidity);
	sqlite3_bind_int(s, 5, subscribed != 0);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_CONSTRAINT)
		return store_fail(st, STORE_EXISTS, "folder %s exists", name);
	if (rc != SQLITE_DONE)
		return store_fail(st, STORE_TEMPFAIL, "database error: %s",
				  db_error(st->db));
	*id_r = sqlite3_last_insert_rowid(st->db->conn);
	return STORE_OK;
}

int
folder_make(struct store *st, const char *user, const char *name,
	    const char *special_use, int subscribed, int64_t *id_r)
{
	struct buf dir;
	int rc;

	if (folder_dir(st, user, name, &dir) < 0) {
		buf_free(&dir);
		return store_fail(st, STORE_REJECT, "bad folder name %s", name);
	}
	rc = insert_folder(st, user, name, special_use, subscribed, id_r);
	if (rc == STORE_OK) {
		/* The directory exists before the row commits, so a committed
		 * folder always has somewhere to put mail. */
		crash_point("store.folder.mkdir");
		if (folder_mkdirs(buf_cstr(&dir),
				  strcmp(name, "INBOX") == 0) < 0)
			rc = store_fail_errno(st, errno, "creating",
					      buf_cstr(&dir));
	}
	buf_free(&dir);
	return rc;
}

/* ---- public folder operations ----------------------------------------- */

int
store_folder_create(struct store *st, const char *user, const char *name,
		    const char *special_use)
{
	struct folder_ref inbox;
	char *norm;
	int64_t id;
	int rc;

	if (store_folder_name_valid(name) != STORE_OK)
		return store_fail(st, STORE_REJECT, "bad folder name");
	if ((rc = index_begin(st)) != STORE_OK)
		return rc;
	rc = folder_ref_get(st, user, "INBOX", &inbox);
	folder_ref_clear(&inbox);
	if (rc == STORE_NOTFOUND)
		store_fail(st, rc, "no such user %s", user);
	norm = folder_norm_name(name);
	if (rc == STORE_OK)
		rc = folder_make(st, user, norm, special_use, 0, &id);
	free(norm);
	if (rc == STORE_OK)
		return index_commit(st);
	db_rollback(st->db);
	return rc;
}

static void
fill_folder(sqlite3_stmt *s, struct store_folder *f)
{
	const char *su = (const char *)sqlite3_column_text(s, 3);

	f->id = sqlite3_column_int64(s, 0);
	f->user = xstrdup((const char *)sqlite3_column_text(s, 1));
	f->name = xstrdup((const char *)sqlite3_column_text(s, 2));
	f->special_use = su != NULL ? xstrdup(su) : NULL;
	f->uidvalidity = (uint32_t)sqlite3_column_int64(s, 4);
	f->uidnext = (uint32_t)sqlite3_column_int64(s, 5);
	f->highestmodseq = (uint64_t)sqlite3_column_int64(s, 6);
	f->subscribed = sqlite3_column_int(s, 7);
	f->messages = (uint32_t)sqlite3_column_int64(s, 8);
}

static int
folder_get(struct store *st, const char *user, const char *name,
	   struct store_folder *f, int counted)
{
	sqlite3_stmt *s = db_prepare(st->db, counted ?
		FOLDER_COLUMNS "WHERE username = ? AND name = ?" :
		FOLDER_COLUMNS_UNCOUNTED "WHERE username = ? AND name = ?");
	char *norm = folder_norm_name(name);
	int rc;

	memset(f, 0, sizeof(*f));
	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, norm, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		fill_folder(s, f);
	sqlite3_finalize(s);
	free(norm);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE)
		return store_fail(st, STORE_NOTFOUND, "no such folder");
	return store_fail(st, STORE_TEMPFAIL, "database error: %s",
			  db_error(st->db));
}

int
store_folder_get(struct store *st, const char *user, const char *name,
		 struct store_folder *f)
{
	return folder_get(st, user, name, f, 1);
}

int
store_folder_find(struct store *st, const char *user, const char *name,
		  struct store_folder *f)
{
	return folder_get(st, user, name, f, 0);
}

void
store_folder_clear(struct store_folder *f)
{
	free(f->user);
	free(f->name);
	free(f->special_use);
	memset(f, 0, sizeof(*f));
}

int
store_folder_list(struct store *st, const char *user,
		  int (*cb)(const struct store_folder *f, void *ctx), void *ctx)
{
	sqlite3_stmt *s = db_prepare(st->db, FOLDER_COLUMNS
				     "WHERE username = ? ORDER BY name");
	struct store_folder f;
	int rc, stop = 0;

	sqlite3_bind_text(s, 1, user, -1, SQLITE_STATIC);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		fill_folder(s, &f);
		stop = cb(&f, ctx);
		store_folder_clear(&f);
	}
	sqlite3_finalize(s);
	if (!stop && rc != SQLITE_DONE)
		return store_fail(st, STORE_TEMPFAIL, "database error: %s",
				  db_error(st->db));
	return STORE_OK;
}

int
store_folder_subscribe(struct store *st, const char *user, const char *name,
		       int subscribed)
{
	sqlite3_stmt *s;
	char *norm = folder_norm_name(name);
	int rc, changed;

	if ((rc = index_begin(st)) != STORE_OK) {
		free(norm);
		return rc;
	}
	s = db_prepare(st->db, "UPDATE folders SET subscribed = ?"
		       " WHERE username = ? AND name = ?");
	sqlite3_bind_int(s, 1, subscribed != 0);
	sqlite3_bind_text(s, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, norm, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	free(norm);
	changed = sqlite3_changes(st->db->conn);
	if (rc != SQLITE_DONE || changed == 0) {
		db_rollback(st->db);
		return rc != SQLITE_DONE ?
			store_fail(st, STORE_TEMPFAIL, "database error") :
			store_fail(st, STORE_NOTFOUND, "no such folder");
	}
	return index_commit(st);
}
