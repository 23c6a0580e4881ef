/* Reading messages, changing flags, expunging, and the change journal. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/crash.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store-private.h"

#define MSG_COLUMNS \
	"SELECT uid, modseq, flags, keywords, size, psize, internal_date," \
	" message_id, fingerprint, basename FROM messages "

/* ---- keywords --------------------------------------------------------- */

static int
has_word(const char *list, const char *w, size_t n)
{
	while (list != NULL && *list != '\0') {
		size_t len = strcspn(list, " ");

		if (len == n && strncasecmp(list, w, n) == 0)
			return 1;
		list += len;
		list += strspn(list, " ");
	}
	return 0;
}

static void
add_words(struct buf *out, const char *words, const char *del)
{
	while (words != NULL && *words != '\0') {
		size_t n;

		words += strspn(words, " ");
		n = strcspn(words, " ");
		if (n > 0 && !has_word(del, words, n) &&
		    !has_word(buf_cstr(out), words, n)) {
			if (out->len > 0)
				buf_append_c(out, ' ');
			buf_append(out, words, n);
		}
		words += n;
	}
}

char *
keywords_merge(const char *cur, const char *add, const char *del)
{
	struct buf out;

	buf_init(&out, SIZE_MAX / 2);
	add_words(&out, cur, del);
	add_words(&out, add, del);
	return buf_steal(&out);
}

/* ---- locating files --------------------------------------------------- */

static int
find_in(const char *dir, const char *sub, const char *basename,
	struct buf *path_r)
{
	size_t blen = strlen(basename);
	struct dirent *de;
	DIR *d;
	int found = 0;

	buf_reset(path_r);
	buf_printf(path_r, "%s/%s", dir, sub);
	d = opendir(buf_cstr(path_r));
	if (d == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (maildir_base_len(de->d_name) == blen &&
		    strncmp(de->d_name, basename, blen) == 0) {
			buf_printf(path_r, "/%s", de->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

int
msg_locate(const char *dir, const char *basename, unsigned int flags,
	   struct buf *path_r)
{
	char letters[8];
	struct stat sb;

	maildir_flags_letters(flags, letters);
	buf_reset(path_r);
	buf_printf(path_r, "%s/cur/%s:2,%s", dir, basename, letters);
	if (stat(buf_cstr(path_r), &sb) == 0)
		return 0;
	/* A crash between the index commit and the rename, or a file that
	 * another program moved: look for the base name. */
	if (find_in(dir, "cur", basename, path_r) ||
	    find_in(dir, "new", basename, path_r))
		return 0;
	buf_reset(path_r);
	buf_printf(path_r, "%s/cur/%s:2,%s", dir, basename, letters);
	return -1;
}

/* ---- reading ---------------------------------------------------------- */

static char *
col_dup(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	return v != NULL ? xstrdup(v) : NULL;
}

static void
fill_msg(sqlite3_stmt *s, const char *dir, int locate, struct store_msg *m)
{
	const char *fp = (const char *)sqlite3_column_text(s, 8);
	struct buf path;

	m->uid = (uint32_t)sqlite3_column_int64(s, 0);
	m->modseq = (uint64_t)sqlite3_column_int64(s, 1);
	m->flags = (unsigned int)sqlite3_column_int(s, 2);
	m->keywords = col_dup(s, 3);
	m->size = (uint64_t)sqlite3_column_int64(s, 4);
	m->psize = (uint64_t)sqlite3_column_int64(s, 5);
	m->internal_date = (time_t)sqlite3_column_int64(s, 6);
	m->message_id = col_dup(s, 7);
	snprintf(m->fingerprint, sizeof(m->fingerprint), "%s",
		 fp != NULL ? fp : "");
	buf_init(&path, STORE_PATH_MAX);
	if (locate) {
		msg_locate(dir, (const char *)sqlite3_column_text(s, 9),
			   m->flags, &path);
	} else {
		char letters[8];

		maildir_flags_letters(m->flags, letters);
		buf_printf(&path, "%s/cur/%s:2,%s", dir,
			   (const char *)sqlite3_column_text(s, 9), letters);
	}
	m->path = buf_steal(&path);
}

int
store_msg_list(struct store *st, int64_t folder_id, uint32_t uid_min,
	       int (*cb)(const struct store_msg *m, void *ctx), void *ctx)
{
	struct folder_ref ref;
	struct store_msg m;
	sqlite3_stmt *s;
	int rc, stop = 0;

	if ((rc = folder_ref_by_id(st, folder_id, &ref)) != STORE_OK)
		return rc;
	s = db_prepare(st->db, MSG_COLUMNS
		       "WHERE folder_id = ? AND uid >= ? ORDER BY uid");
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid_min);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		fill_msg(s, ref.dir, 0, &m);
		stop = cb(&m, ctx);
		store_msg_clear(&m);
	}
	sqlite3_finalize(s);
	folder_ref_clear(&ref);
	if (!stop && rc != SQLITE_DONE)
		return store_fail(st, STORE_TEMPFAIL, "database error: %s",
				  db_error(st->db));
	return STORE_OK;
}

int
store_msg_get(struct store *st, int64_t folder_id, uint32_t uid,
	      struct store_msg *m)
{
	struct folder_ref ref;
	sqlite3_stmt *s;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((rc = folder_ref_by_id(st, folder_id, &ref)) != STORE_OK)
		return rc;
	s = db_prepare(st->db, MSG_COLUMNS "WHERE folder_id = ? AND uid = ?");
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		fill_msg(s, ref.dir, 1, m);
	sqlite3_finalize(s);
	folder_ref_clear(&ref);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE)
		return store_fail(st, STORE_NOTFOUND, "no such message");
	return store_fail(st, STORE_TEMPFAIL, "database error: %s",
			  db_error(st->db));
}

int
store_msg_find_copies(struct store *st, int64_t folder_id, const char *fp,
		      const char *message_id, uint32_t *uids_r, size_t max,
		      size_t *n_r)
{
	sqlite3_stmt *s = db_prepare(st->db, "SELECT uid FROM messages"
		" WHERE folder_id = ? AND fingerprint = ?"
		" AND message_id IS ? ORDER BY uid");
	int rc;

	*n_r = 0;
	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_text(s, 2, fp, -1, SQLITE_STATIC);
	if (message_id != NULL)
		sqlite3_bind_text(s, 3, message_id, -1, SQLITE_STATIC);
	while (*n_r < max && (rc = sqlite3_step(s)) == SQLITE_ROW)
		uids_r[(*n_r)++] = (uint32_t)sqlite3_column_int64(s, 0);
	if (*n_r < max && rc != SQLITE_DONE) {
		sqlite3_finalize(s);
		return store_fail(st, STORE_TEMPFAIL, "database error: %s",
				  db_error(st->db));
	}
	sqlite3_finalize(s);
	return STORE_OK;
}

void
store_msg_clear(struct store_msg *m)
{
	free(m->keywords);
	free(m->message_id);
	free(m->path);
	memset(m, 0, sizeof(*m));
}

int
store_msg_open(struct store *st, int64_t folder_id, uint32_t uid)
{
	struct store_msg m;
	int fd;

	if (store_msg_get(st, folder_id, uid, &m) != STORE_OK) {
		errno = ENOENT;
		return -1;
	}
	fd = open(m.path, O_RDONLY | O_CLOEXEC);
	store_msg_clear(&m);
	return fd;
}

int
store_changes_since(struct store *st, int64_t folder_id, uint64_t since,
		    int (*cb)(const struct store_change *c, void *ctx),
		    void *ctx)
{
	sqlite3_stmt *s = db_prepare(st->db,
		"SELECT modseq, uid, kind, flags, keywords FROM journal"
		" WHERE folder_id = ? AND modseq > ? ORDER BY modseq, uid");
	struct store_change c;
	int rc, stop = 0;

	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, (int64_t)since);
	while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		c.modseq = (uint64_t)sqlite3_column_int64(s, 0);
		c.uid = (uint32_t)sqlite3_column_int64(s, 1);
		c.kind = (enum store_change_kind)sqlite3_column_int(s, 2);
		c.flags = (unsigned int)sqlite3_column_int(s, 3);
		c.keywords = (const char *)sqlite3_column_text(s, 4);
		stop = cb(&c, ctx);
	}
	sqlite3_finalize(s);
	if (!stop && rc != SQLITE_DONE)
		return store_fail(st, STORE_TEMPFAIL, "database error: %s",
				  db_error(st->db));
	return STORE_OK;
}
