/* store_check: compare the Maildir with the index and repair.
 *
 * The rules follow from the durability order. Files reach cur/ before their
 * row commits, so a file without a row is a delivery cut short (index it),
 * unless its writer is alive and it is young (a delivery between rename and
 * commit right now: leave it) or the journal says it was expunged (its
 * unlink was cut short: remove it). Rows commit before flag renames and
 * unlinks, so the index wins on flags and a row without a file is dropped
 * and journaled as an expunge so that sync peers hear of it. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/crash.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store-private.h"

/* A tmp/ file this old is abandoned whoever wrote it (Maildir spec). */
#define TMP_MAX_AGE (36 * 3600)
/* A live writer commits well within this after its rename. */
#define UNINDEXED_GRACE 3600

struct entry {
	char *name;	/* file name in its directory */
	char *base;	/* unique part (index key) */
	int in_new;
	uint32_t uid;	/* rows only */
	unsigned int flags;
};

struct entries {
	struct entry *v;
	size_t n;
	size_t cap;
};

void
check_say(struct check *c, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	if (c->cb == NULL)
		return;
	buf_init(&b, 8192);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	c->cb(buf_cstr(&b), c->ctx);
	buf_free(&b);
}

static struct entry *
entries_add(struct entries *es, const char *name)
{
	struct entry *e;

	if (es->n == es->cap) {
		es->cap = es->cap ? es->cap * 2 : 32;
		es->v = xrealloc(es->v, es->cap * sizeof(*es->v));
	}
	e = &es->v[es->n++];
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	e->base = xstrndup(name, maildir_base_len(name));
	return e;
}

static void
entries_free(struct entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		free(es->v[i].name);
		free(es->v[i].base);
	}
	free(es->v);
	memset(es, 0, sizeof(*es));
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->base,
		      ((const struct entry *)b)->base);
}

/* ---- age and writer liveness ------------------------------------------ */

static int
writer_alive(struct check *c, const char *name)
{
	long pid = maildir_name_pid(name, c->st->host);

	if (pid <= 0)
		return 0;
	return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

/*
 * ctime, not mtime: mtime carries the internal date and may be old.  A file
 * stamped a little after c->now (the file system's clock can run ahead of
 * time()) is age 0, not an error; -1 means the file is gone.
 */
static time_t
age_of(struct check *c, const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) < 0)
		return -1;
	return sb.st_ctime > c->now ? 0 : c->now - sb.st_ctime;
}

/* ---- tmp/ ------------------------------------------------------------- */

static void
check_tmp_file(struct check *c, const char *label, const char *path,
	       const char *name)
{
	time_t age = age_of(c, path);

	if (age < 0 || (age < TMP_MAX_AGE && writer_alive(c, name)))
		return;
	c->rep->stray_tmp++;
	check_say(c, "%s: stray tmp/%s%s", label, name,
	    c->repair ? " (removed)" : "");
	if (!c->repair)
		return;
	crash_point("store.check.tmp.unlink");
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("store: cannot remove %s: %s", path, strerror(errno));
}

static void
check_tmp(struct check *c, const char *label, const char *dir)
{
	char path[STORE_PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/tmp", dir);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/tmp/%s", dir, de->d_name);
		check_tmp_file(c, label, path, de->d_name);
	}
	closedir(d);
}

/* ---- listing files and rows ------------------------------------------- */

static void
list_files(const char *dir, const char *sub, struct entries *es)
{
	char path[STORE_PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		entries_add(es, de->d_name)->in_new = sub[0] == 'n';
	}
	closedir(d);
}

static int
list_rows(struct store *st, int64_t folder_id, struct entries *es)
{
	sqlite3_stmt *s = db_prepare(st->db, "SELECT uid, basename, flags"
		" FROM messages WHERE folder_id = ?");
	struct entry *e;
	int rc;

	sqlite3_bind_int64(s, 1, folder_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		e = entries_add(es, (const char *)sqlite3_column_text(s, 1));
		e->uid = (uint32_t)sqlite3_column_int64(s, 0);
		e->flags = (unsigned int)sqlite3_column_int(s, 2);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- the three kinds of difference ------------------------------------ */

static int
move_to_cur(const char *dir, const struct entry *f, unsigned int flags)
{
	char from[STORE_PATH_MAX], to[STORE_PATH_MAX], letters[8];

	maildir_flags_letters(flags, letters);
	snprintf(from, sizeof(from), "%s/%s/%s", dir,
		 f->in_new ? "new" : "cur", f->name);
	snprintf(to, sizeof(to), "%s/cur/%s:2,%s", dir, f->base, letters);
	if (strcmp(from, to) == 0)
		return 0;
	crash_point("store.check.rename");
	return rename(from, to);
}

static void
fix_flags(struct check *c, const struct folder_ref *ref,
	  const struct entry *f, const struct entry *row)
{
	if (!f->in_new && maildir_name_flags(f->name) == row->flags &&
	    strstr(f->name, ":2,") != NULL)
		return;
	c->rep->flags_fixed++;
	check_say(c, "%s/%s: %s/%s: name does not match index flags%s", ref->user,
	    ref->name, f->in_new ? "new" : "cur", f->name,
	    c->repair ? " (renamed)" : "");
	if (c->repair && move_to_cur(ref->dir, f, row->flags) < 0)
		log_warn("store: cannot rename %s: %s", f->name,
			 strerror(errno));
}

static int
index_file(struct check *c, const struct folder_ref *ref,
	   const struct entry *f)
{
	struct store_meta m;
	char path[STORE_PATH_MAX];
	struct stat sb;
	uint32_t uid;
	int fd, rc;

	memset(&m, 0, sizeof(m));
	snprintf(path, sizeof(path), "%s/%s/%s", ref->dir,
		 f->in_new ? "new" : "cur", f->name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return STORE_OK;	/* gone meanwhile: nothing to index */
	rc = fstat(fd, &sb) < 0 ||
		store_scan_file(fd, c->st->limits.max_header_parse, &m) < 0;
	close(fd);
	if (rc != 0)
		return store_fail_errno(c->st, errno, "reading", path);
	m.flags = maildir_name_flags(f->name);
	m.keywords = "";
	m.internal_date = sb.st_mtime;
	rc = move_to_cur(ref->dir, f, m.flags) < 0 ?
		store_fail_errno(c->st, errno, "renaming", path) :
		index_add_msg(c->st, ref->id, f->base, &m, &uid);
	free(m.message_id);
	return rc;
}

static void
remove_expunged(struct check *c, const struct folder_ref *ref,
		const struct entry *f)
{
	char path[STORE_PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/%s", ref->dir,
		 f->in_new ? "new" : "cur", f->name);
	crash_point("store.check.unlink");
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("store: cannot remove %s: %s", path, strerror(errno));
}

static int
unindexed(struct check *c, const struct folder_ref *ref,
	  const struct entry *f)
{
	char path[STORE_PATH_MAX];
	int expunged = index_was_expunged(c->st, ref->id, f->base);
	time_t age;

	snprintf(path, sizeof(path), "%s/%s/%s", ref->dir,
		 f->in_new ? "new" : "cur", f->name);
	age = age_of(c, path);
	/* An expunged name is never reused, so it cannot be in flight. */
	if (age < 0 || (!expunged && age < UNINDEXED_GRACE &&
			writer_alive(c, f->name)))
		return STORE_OK;	/* a delivery in flight */
	c->rep->unindexed++;
	check_say(c, "%s/%s: %s/%s has no index row%s", ref->user, ref->name,
	    f->in_new ? "new" : "cur", f->name, !c->repair ? "" :
	    expunged ? " (expunged before, removed)" : " (indexed)");
	if (!c->repair)
		return STORE_OK;
	if (expunged) {
		remove_expunged(c, ref, f);
		return STORE_OK;
	}
	return index_file(c, ref, f);
}

static int
missing(struct check *c, const struct folder_ref *ref,
	const struct entry *row)
{
	c->rep->missing++;
	check_say(c, "%s/%s: uid %u has no file (%s)%s", ref->user, ref->name,
	    row->uid, row->base, c->repair ? " (dropped)" : "");
	if (!c->repair)
		return STORE_OK;
	return index_drop_msg(c->st, ref->id, row->uid, 1) < 0 ?
		STORE_TEMPFAIL : STORE_OK;
}

/* ---- one folder ------------------------------------------------------- */

/* Walks both sorted lists; a base present twice on disk counts once. */
static int
merge(struct check *c, const struct folder_ref *ref, struct entries *files,
      struct entries *rows)
{
	size_t i = 0, j = 0;
	int rc = STORE_OK;

	while (rc == STORE_OK && (i < files->n || j < rows->n)) {
		int cmp = i == files->n ? 1 : j == rows->n ? -1 :
			strcmp(files->v[i].base, rows->v[j].base);

		if (i > 0 && i < files->n &&
		    strcmp(files->v[i].base, files->v[i - 1].base) == 0) {
			i++;
			continue;
		}
		if (cmp == 0) {
			c->rep->messages++;
			fix_flags(c, ref, &files->v[i++], &rows->v[j++]);
		} else if (cmp < 0) {
			rc = unindexed(c, ref, &files->v[i++]);
		} else {
			rc = missing(c, ref, &rows->v[j++]);
		}
	}
	return rc;
}

static int
compare_folder(struct check *c, const struct folder_ref *ref,
	       struct entries *files, struct entries *rows)
{
	int rc;

	if (files->n > 0)
		qsort(files->v, files->n, sizeof(*files->v), entry_cmp);
	if (rows->n > 0)
		qsort(rows->v, rows->n, sizeof(*rows->v), entry_cmp);
	if (!c->repair)
		return merge(c, ref, files, rows);
	if ((rc = index_begin(c->st)) != STORE_OK)
		return rc;
	rc = merge(c, ref, files, rows);
	if (rc == STORE_OK)
		return index_commit(c->st);
	db_rollback(c->st->db);
	return rc;
}

int
check_folder(struct check *c, const struct folder_ref *ref)
{
	struct entries files = { NULL, 0, 0 }, rows = { NULL, 0, 0 };
	char *label = xasprintf("%s/%s", ref->user, ref->name);
	int rc = STORE_OK;

	c->rep->folders++;
	check_tmp(c, label, ref->dir);
	list_files(ref->dir, "cur", &files);
	list_files(ref->dir, "new", &files);
	if (list_rows(c->st, ref->id, &rows) < 0)
		rc = store_fail(c->st, STORE_TEMPFAIL, "database error: %s",
				db_error(c->st->db));
	else if (c->quick && files.n == rows.n)
		c->rep->messages += (unsigned int)rows.n;
	else
		rc = compare_folder(c, ref, &files, &rows);
	entries_free(&files);
	entries_free(&rows);
	free(label);
	return rc;
}

void
check_init(struct check *c, struct store *st, int repair, int quick,
	   struct store_check_report *report,
	   void (*cb)(const char *line, void *ctx), void *ctx)
{
	memset(report, 0, sizeof(*report));
	c->st = st;
	c->repair = repair;
	c->quick = quick;
	c->rep = report;
	c->cb = cb;
	c->ctx = ctx;
	c->now = time(NULL);
}
