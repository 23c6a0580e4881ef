/* Changing flags and expunging. The index commits first (it is the
 * authority, and the journal entry must exist before anyone can observe
 * the change); the file follows: renamed for flags, unlinked for expunge.
 * A crash in between is repaired by store_check. */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/crash.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store-private.h"

struct flag_row {
	unsigned int flags;
	char *keywords;
	char *basename;
	uint64_t modseq;
};

static int
load_row(struct store *st, int64_t folder_id, uint32_t uid,
	 struct flag_row *r)
{
	sqlite3_stmt *s = db_prepare(st->db,
		"SELECT flags, keywords, basename, modseq FROM messages"
		" WHERE folder_id = ? AND uid = ?");
	int rc;

	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		r->flags = (unsigned int)sqlite3_column_int(s, 0);
		r->keywords = xstrdup((const char *)sqlite3_column_text(s, 1));
		r->basename = xstrdup((const char *)sqlite3_column_text(s, 2));
		r->modseq = (uint64_t)sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE)
		return store_fail(st, STORE_NOTFOUND, "no such message");
	return store_fail(st, STORE_TEMPFAIL, "database error: %s",
			  db_error(st->db));
}

/* One message is a batch of one (flags-many.c holds the logic). */
int
store_msg_set_flags(struct store *st, int64_t folder_id, uint32_t uid,
		    unsigned int add, unsigned int del,
		    const char *add_keywords, const char *del_keywords,
		    uint64_t *modseq_r)
{
	struct store_flag_change ch = { add, del, add_keywords, del_keywords,
					0 };
	uint64_t modseq = 0;
	int rc = store_msg_set_flags_many(st, folder_id, &uid, 1, &ch,
					  &modseq);

	if (rc == STORE_OK && modseq == 0)
		return store_fail(st, STORE_NOTFOUND, "no such message");
	if (rc == STORE_OK && modseq_r != NULL)
		*modseq_r = modseq;
	return rc;
}

/* ---- expunge ---------------------------------------------------------- */

struct gone {
	char *basename;
	unsigned int flags;
};

static int
drop_rows(struct store *st, int64_t folder_id, const uint32_t *uids,
	  size_t n, struct gone *gone, size_t *ngone_r)
{
	int rc = STORE_OK;

	*ngone_r = 0;
	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		struct flag_row r = { 0, NULL, NULL, 0 };

		rc = load_row(st, folder_id, uids[i], &r);
		if (rc == STORE_NOTFOUND) {
			rc = STORE_OK;	/* unknown UIDs are skipped */
			continue;
		}
		if (rc != STORE_OK)
			break;
		gone[*ngone_r].basename = r.basename;
		gone[(*ngone_r)++].flags = r.flags;
		free(r.keywords);
		if (index_drop_msg(st, folder_id, uids[i], 0) < 0)
			rc = STORE_TEMPFAIL;
	}
	return rc;
}

static void
unlink_gone(const char *dir, struct gone *gone, size_t n)
{
	struct buf path;

	buf_init(&path, STORE_PATH_MAX);
	for (size_t i = 0; i < n; i++) {
		if (msg_locate(dir, gone[i].basename, gone[i].flags,
			       &path) == 0) {
			crash_point("store.unlink");
			if (unlink(buf_cstr(&path)) < 0 && errno != ENOENT)
				log_warn("store: cannot remove %s: %s",
					 buf_cstr(&path), strerror(errno));
		}
	}
	buf_free(&path);
}

int
store_msg_expunge(struct store *st, int64_t folder_id, const uint32_t *uids,
		  size_t n)
{
	struct folder_ref ref;
	struct gone *gone;
	size_t ngone = 0;
	int rc;

	if ((rc = folder_ref_by_id(st, folder_id, &ref)) != STORE_OK)
		return rc;
	gone = xcalloc(n + 1, sizeof(*gone));
	if ((rc = index_begin(st)) == STORE_OK) {
		rc = drop_rows(st, folder_id, uids, n, gone, &ngone);
		if (rc == STORE_OK)
			rc = index_commit(st);
		else
			db_rollback(st->db);
	}
	if (rc == STORE_OK)
		unlink_gone(ref.dir, gone, ngone);
	for (size_t i = 0; i < ngone; i++)
		free(gone[i].basename);
	free(gone);
	folder_ref_clear(&ref);
	return rc;
}
