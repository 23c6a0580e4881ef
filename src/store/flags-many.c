/* Changing flags: of many messages in one transaction (IMAP STORE 1:*,
 * FETCH's implicit \Seen), and of one (store_msg_set_flags in flags.c is
 * a batch of one). The index commits first -- one modseq and journal
 * entry per changed message, none for a change that changes nothing --
 * then the files are renamed; a crash in between is repaired by
 * store_check. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crash.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store-private.h"

struct many_row {
	uint32_t uid;
	unsigned int old_flags, flags;
	char *basename;		/* NULL: absent or unchanged */
};

static int
load(struct store *st, int64_t folder_id, uint32_t uid, unsigned int *flags_r,
     char **keywords_r, char **basename_r, uint64_t *modseq_r)
{
	sqlite3_stmt *s = db_prepare(st->db,
		"SELECT flags, keywords, basename, modseq FROM messages"
		" WHERE folder_id = ? AND uid = ?");
	int rc;

	sqlite3_bind_int64(s, 1, folder_id);
	sqlite3_bind_int64(s, 2, uid);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*flags_r = (unsigned int)sqlite3_column_int(s, 0);
		*keywords_r = xstrdup((const char *)sqlite3_column_text(s, 1));
		*basename_r = xstrdup((const char *)sqlite3_column_text(s, 2));
		*modseq_r = (uint64_t)sqlite3_column_int64(s, 3);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return STORE_OK;
	if (rc == SQLITE_DONE)
		return STORE_NOTFOUND;
	return store_fail(st, STORE_TEMPFAIL, "database error: %s",
			  db_error(st->db));
}

static int
update(struct store *st, int64_t folder_id, uint32_t uid, unsigned int flags,
       const char *keywords, uint64_t *modseq_r)
{
	sqlite3_stmt *s;
	int rc = index_next_modseq(st, folder_id, modseq_r);

	if (rc != STORE_OK)
		return rc;
	s = db_prepare(st->db, "UPDATE messages SET flags = ?, keywords = ?,"
		       " modseq = ? WHERE folder_id = ? AND uid = ?");
	sqlite3_bind_int(s, 1, (int)flags);
	sqlite3_bind_text(s, 2, keywords, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (int64_t)*modseq_r);
	sqlite3_bind_int64(s, 4, folder_id);
	sqlite3_bind_int64(s, 5, uid);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, STORE_TEMPFAIL, "database error: %s",
				  db_error(st->db));
	return index_journal(st, folder_id, *modseq_r, uid, STORE_CHANGE_FLAGS,
			     flags, keywords);
}

/* One message inside the transaction. */
static int
change_one(struct store *st, int64_t folder_id, struct many_row *row,
	   const struct store_flag_change *ch, uint64_t *modseq_r, int *any)
{
	unsigned int cur = 0;
	char *kw = NULL, *newkw, *base = NULL;
	uint64_t modseq = 0;
	int rc = load(st, folder_id, row->uid, &cur, &kw, &base, &modseq);

	*modseq_r = 0;
	if (rc == STORE_NOTFOUND)
		return STORE_OK;
	if (rc != STORE_OK)
		return rc;
	row->old_flags = cur;
	row->flags = ch->replace ? ch->add : (cur | ch->add) & ~ch->del;
	newkw = ch->replace ? keywords_merge("", ch->add_keywords, NULL)
			    : keywords_merge(kw, ch->add_keywords,
					     ch->del_keywords);
	*modseq_r = modseq;
	if (row->flags != cur || strcmp(newkw, kw) != 0) {
		rc = update(st, folder_id, row->uid, row->flags, newkw,
			    modseq_r);
		*any = 1;
		if (row->flags != cur) {
			row->basename = base;
			base = NULL;
		}
	}
	free(newkw);
	free(kw);
	free(base);
	return rc;
}

/* After the commit; a failed rename is left to store_check. */
static void
rename_one(const char *dir, const struct many_row *row)
{
	struct buf from, to;
	char letters[8];

	buf_init(&from, STORE_PATH_MAX);
	buf_init(&to, STORE_PATH_MAX);
	maildir_flags_letters(row->flags, letters);
	buf_printf(&to, "%s/cur/%s:2,%s", dir, row->basename, letters);
	if (msg_locate(dir, row->basename, row->old_flags, &from) == 0 &&
	    strcmp(buf_cstr(&from), buf_cstr(&to)) != 0) {
		crash_point("store.flags.rename");
		if (rename(buf_cstr(&from), buf_cstr(&to)) < 0)
			log_warn("store: cannot rename %s: %s",
				 buf_cstr(&from), strerror(errno));
	}
	buf_free(&from);
	buf_free(&to);
}

int
store_msg_set_flags_many(struct store *st, int64_t folder_id,
			 const uint32_t *uids, size_t n,
			 const struct store_flag_change *ch,
			 uint64_t *modseqs_r)
{
	struct folder_ref ref;
	struct many_row *rows;
	size_t i;
	int rc, any = 0, begun;

	if ((rc = folder_ref_by_id(st, folder_id, &ref)) != STORE_OK)
		return rc;
	rows = xcalloc(n + 1, sizeof(*rows));
	rc = index_begin_flags(st);
	begun = rc == STORE_OK;
	for (i = 0; rc == STORE_OK && i < n; i++) {
		uint64_t modseq;
		rows[i].uid = uids[i];
		rc = change_one(st, folder_id, &rows[i], ch, &modseq, &any);
		if (modseqs_r != NULL)
			modseqs_r[i] = modseq;
	}
	if (rc == STORE_OK && any)
		rc = index_commit(st);
	else if (begun)
		db_rollback(st->db);
	for (i = 0; i < n; i++) {
		if (rc == STORE_OK && rows[i].basename != NULL)
			rename_one(ref.dir, &rows[i]);
		free(rows[i].basename);
	}
	free(rows);
	folder_ref_clear(&ref);
	return rc;
}
