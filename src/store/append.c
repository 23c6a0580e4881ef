/* Appending: drafts stream into tmp/ files, a batch renames them into cur/
 * and commits their rows together (the durability order of store.h). */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/crash.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store-private.h"

struct store_draft {
	struct store_batch *batch;
	int fd;
	char *unique;		/* <sec>.M<usec>P<pid>Q<n>.<host> */
	char *tmp_path;
	char *cur_path;		/* set once renamed */
	char *basename;		/* unique,S=..,W=.. (the index key) */
	struct store_scan *scan;
	struct store_meta meta;
	char *keywords;
	int wrote;
	int finished;
};

struct store_batch {
	struct store *st;
	struct folder_ref folder;
	struct store_draft **drafts;
	size_t n;
	size_t cap;
	int failed;	/* rc of the first failure, STORE_OK if none */
};

/* Names are unique per process: one counter for every store handle. */
static unsigned long name_counter;

int
store_batch_begin(struct store *st, const char *user, const char *folder,
		  struct store_batch **batch_r)
{
	struct store_batch *b = xcalloc(1, sizeof(*b));
	int rc;

	*batch_r = NULL;
	b->st = st;
	rc = folder_ref_get(st, user, folder, &b->folder);
	if (rc != STORE_OK) {
		free(b);
		return rc;
	}
	*batch_r = b;
	return STORE_OK;
}

size_t
store_batch_count(const struct store_batch *b)
{
	return b->n;
}

static void
draft_free(struct store_draft *d)
{
	if (d->fd >= 0)
		close(d->fd);
	store_scan_free(&d->scan);
	free(d->unique);
	free(d->tmp_path);
	free(d->cur_path);
	free(d->basename);
	free(d->meta.message_id);
	free(d->keywords);
	free(d);
}

/* Removes whatever file the draft has now, tmp/ or cur/. */
static void
draft_discard(struct store_draft *d)
{
	const char *path = d->cur_path != NULL ? d->cur_path : d->tmp_path;

	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
	if (path == NULL)
		return;
	crash_point("store.discard");
	if (unlink(path) < 0 && errno != ENOENT)
		log_error("store: cannot remove %s: %s", path,
			  strerror(errno));
	free(d->cur_path);
	free(d->tmp_path);
	d->cur_path = d->tmp_path = NULL;
}

/* Marks the batch failed and removes the draft's file at once, so that no
 * partial message stays in tmp/ even if the caller never aborts. */
static int
draft_fail(struct store_draft *d, int rc)
{
	d->batch->failed = rc;
	draft_discard(d);
	return rc;
}

static int
open_tmp(struct store_draft *d)
{
	struct store *st = d->batch->st;
	struct timeval tv;

	for (int tries = 0; tries < 5; tries++) {
		gettimeofday(&tv, NULL);
		free(d->unique);
		free(d->tmp_path);
		d->unique = xasprintf("%lld.M%ldP%ldQ%lu.%s",
				      (long long)tv.tv_sec, (long)tv.tv_usec,
				      (long)getpid(), ++name_counter,
				      st->host);
		d->tmp_path = xasprintf("%s/tmp/%s", d->batch->folder.dir,
					d->unique);
		d->fd = open(d->tmp_path, O_WRONLY | O_CREAT | O_EXCL |
			     O_CLOEXEC, 0600);
		if (d->fd >= 0 || errno != EEXIST)
			break;
	}
	if (d->fd >= 0)
		return STORE_OK;
	store_fail_errno(st, errno, "creating", d->tmp_path);
	/* Not ours: draft_discard must not unlink it. */
	free(d->tmp_path);
	d->tmp_path = NULL;
	return STORE_TEMPFAIL;
}

static void
batch_add(struct store_batch *b, struct store_draft *d)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->drafts = xrealloc(b->drafts, b->cap * sizeof(*b->drafts));
	}
	b->drafts[b->n++] = d;
}

int
store_draft_begin(struct store_batch *b, time_t internal_date,
		  unsigned int flags, const char *keywords,
		  struct store_draft **draft_r)
{
	struct store_draft *d;
	int rc;

	*draft_r = NULL;
	if (b->failed != STORE_OK)
		return b->failed;
	d = xcalloc(1, sizeof(*d));
	d->batch = b;
	d->fd = -1;
	d->keywords = keywords_merge("", keywords, NULL);
	d->meta.keywords = d->keywords;
	d->meta.flags = flags & (STORE_F_SEEN | STORE_F_ANSWERED |
		STORE_F_FLAGGED | STORE_F_DELETED | STORE_F_DRAFT);
	d->meta.internal_date = internal_date != 0 ? internal_date :
		time(NULL);
	d->scan = store_scan_new(b->st->limits.max_header_parse);
	batch_add(b, d);
	crash_point("store.tmp.create");
	if ((rc = open_tmp(d)) != STORE_OK)
		return draft_fail(d, rc);
	*draft_r = d;
	return STORE_OK;
}

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
store_draft_write(struct store_draft *d, const void *data, size_t len)
{
	struct store *st = d->batch->st;
	uint64_t max = st->limits.max_message_size;
	uint64_t have = store_scan_psize(d->scan);

	if (d->batch->failed != STORE_OK)
		return d->batch->failed;
	if (d->finished)
		fatal("store_draft_write after store_draft_finish");
	if (max != 0 && (len > max || have > max - len))
		return draft_fail(d, store_fail(st, STORE_REJECT,
			"message larger than max_message_size (%llu bytes)",
			(unsigned long long)max));
	if (len == 0)
		return STORE_OK;
	if (!d->wrote) {
		crash_point("store.tmp.write");
		d->wrote = 1;
	}
	if (write_all(d->fd, data, len) < 0)
		return draft_fail(d, store_fail_errno(st, errno, "writing",
						      d->tmp_path));
	store_scan_feed(d->scan, data, len);
	return STORE_OK;
}

/* The file's mtime carries the internal date, as in Dovecot, so that a
 * rebuilt index (store_check) finds it again. Writeback starts now; the
 * fsync waits until commit, so the disk writes of a batch's files overlap
 * instead of costing one full flush each. */
/* From this many drafts on, one syncfs() replaces the fsync of each file:
 * a single device cache flush instead of one per message. Until then a
 * finished draft keeps its fd for that fsync; from then on the fds are
 * closed at once, so a batch of hundreds (times many concurrent syncs)
 * never holds hundreds of descriptors. */
#define BATCH_SYNCFS_MIN 8

static int
release_fds(struct store_batch *b)
{
	if (b->n < BATCH_SYNCFS_MIN)
		return STORE_OK;
	for (size_t i = 0; i < b->n; i++) {
		struct store_draft *d = b->drafts[i];
		int rc;

		if (!d->finished || d->fd < 0)
			continue;
		rc = close(d->fd);
		d->fd = -1;
		if (rc < 0)
			return draft_fail(d, store_fail_errno(b->st, errno,
					  "writing", d->tmp_path));
	}
	return STORE_OK;
}

static int
start_writeback(struct store_draft *d)
{
	struct timespec ts[2] = {
		{ d->meta.internal_date, 0 }, { d->meta.internal_date, 0 },
	};

	if (futimens(d->fd, ts) < 0)
		return -1;
	if (sync_file_range(d->fd, 0, 0, SYNC_FILE_RANGE_WRITE) < 0 &&
	    errno != ESPIPE && errno != EINVAL && errno != ENOSYS)
		return -1;
	return 0;
}

int
store_draft_finish(struct store_draft *d)
{
	struct store *st = d->batch->st;

	if (d->batch->failed != STORE_OK)
		return d->batch->failed;
	if (store_scan_psize(d->scan) == 0)
		return draft_fail(d, store_fail(st, STORE_REJECT,
						"empty message"));
	store_scan_finish(d->scan, &d->meta);
	store_scan_free(&d->scan);
	if (start_writeback(d) < 0)
		return draft_fail(d, store_fail_errno(st, errno, "writing",
						      d->tmp_path));
	d->finished = 1;
	return release_fds(d->batch);
}

/* ---- commit ----------------------------------------------------------- */

static int
close_all(struct store_batch *b)
{
	int rc = STORE_OK;

	for (size_t i = 0; i < b->n; i++) {
		struct store_draft *d = b->drafts[i];

		if (d->fd >= 0 && close(d->fd) < 0 && rc == STORE_OK)
			rc = store_fail_errno(b->st, errno, "writing",
					      d->tmp_path);
		d->fd = -1;
	}
	return rc;
}

/* A draft whose fd was released (the batch once had BATCH_SYNCFS_MIN
 * drafts, then lost some to store_draft_drop) is opened again. */
static int
fsync_draft(struct store_draft *d)
{
	int fd = d->fd >= 0 ? d->fd :
		open(d->tmp_path, O_RDONLY | O_CLOEXEC);
	int rc = fd < 0 ? -1 : fsync(fd);

	if (fd >= 0 && fd != d->fd)
		close(fd);
	return rc;
}

static int
fsync_each(struct store_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct store_draft *d = b->drafts[i];

		crash_point("store.tmp.fsync");
		if (fsync_draft(d) < 0)
			return store_fail_errno(b->st, errno, "writing",
						d->tmp_path);
	}
	return STORE_OK;
}

static int
syncfs_batch(struct store_batch *b)
{
	char *tmp = xasprintf("%s/tmp", b->folder.dir);
	int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	crash_point("store.tmp.syncfs");
	rc = fd < 0 || syncfs(fd) < 0 ?
		store_fail_errno(b->st, errno, "writing", tmp) : STORE_OK;
	if (fd >= 0)
		close(fd);
	free(tmp);
	return rc;
}

/* Every file is on disk before any of them gets its final name. */
static int
sync_all(struct store_batch *b)
{
	int rc;

	if (b->n < BATCH_SYNCFS_MIN)
		rc = fsync_each(b);
	else
		rc = syncfs_batch(b);
	if (rc == STORE_OK)
		rc = close_all(b);
	return rc;
}

static int
rename_draft(struct store_draft *d)
{
	struct store *st = d->batch->st;
	char letters[8];
	char *cur;

	maildir_flags_letters(d->meta.flags, letters);
	d->basename = xasprintf("%s,S=%llu,W=%llu", d->unique,
				(unsigned long long)d->meta.psize,
				(unsigned long long)d->meta.size);
	cur = xasprintf("%s/cur/%s:2,%s", d->batch->folder.dir, d->basename,
			letters);
	crash_point("store.rename");
	if (rename(d->tmp_path, cur) < 0) {
		int err = errno;

		free(cur);
		return store_fail_errno(st, err, "moving into cur/",
					d->tmp_path);
	}
	d->cur_path = cur;
	return STORE_OK;
}

static int
rename_all(struct store_batch *b)
{
	char *cur;
	int rc = STORE_OK;

	for (size_t i = 0; rc == STORE_OK && i < b->n; i++)
		rc = rename_draft(b->drafts[i]);
	if (rc != STORE_OK)
		return rc;
	cur = xasprintf("%s/cur", b->folder.dir);
	crash_point("store.dir.fsync");
	if (maildir_fsync_dir(cur) < 0)
		rc = store_fail_errno(b->st, errno, "syncing", cur);
	free(cur);
	return rc;
}

static int
index_all(struct store_batch *b, uint32_t *uids_r, store_commit_hook *hook,
	  void *ctx)
{
	struct store *st = b->st;
	uint32_t *uids = xcalloc(b->n + 1, sizeof(*uids));
	int rc = index_begin(st);

	for (size_t i = 0; rc == STORE_OK && i < b->n; i++) {
		struct store_draft *d = b->drafts[i];

		rc = index_add_msg(st, b->folder.id, d->basename, &d->meta,
				   &uids[i]);
	}
	if (rc == STORE_OK && hook != NULL && hook(uids, b->n, ctx) != 0)
		rc = store_fail(st, STORE_TEMPFAIL, "commit hook failed");
	if (rc == STORE_OK && uids_r != NULL)
		memcpy(uids_r, uids, b->n * sizeof(*uids));
	free(uids);
	if (rc == STORE_OK)
		return index_commit(st);
	if (st->db->in_tx)
		db_rollback(st->db);
	return rc;
}

static int
check_ready(struct store_batch *b)
{
	if (b->failed != STORE_OK)
		return b->failed;
	for (size_t i = 0; i < b->n; i++) {
		if (!b->drafts[i]->finished)
			return store_fail(b->st, STORE_REJECT,
					  "draft %zu not finished", i);
	}
	return STORE_OK;
}

static void
batch_free(struct store_batch *b, int discard)
{
	for (size_t i = 0; i < b->n; i++) {
		if (discard)
			draft_discard(b->drafts[i]);
		draft_free(b->drafts[i]);
	}
	free(b->drafts);
	folder_ref_clear(&b->folder);
	free(b);
}

int
store_batch_commit_hook(struct store_batch **bp, uint32_t *uids_r,
			store_commit_hook *hook, void *ctx)
{
	struct store_batch *b = *bp;
	int rc;

	*bp = NULL;
	if (b == NULL)
		return STORE_REJECT;
	rc = check_ready(b);
	if (rc == STORE_OK && b->n > 0 && (rc = sync_all(b)) == STORE_OK &&
	    (rc = rename_all(b)) == STORE_OK)
		rc = index_all(b, uids_r, hook, ctx);
	batch_free(b, rc != STORE_OK);
	return rc;
}

int
store_batch_commit(struct store_batch **bp, uint32_t *uids_r)
{
	return store_batch_commit_hook(bp, uids_r, NULL, NULL);
}

void
store_draft_info(const struct store_draft *d, struct store_draft_info *i)
{
	i->size = d->meta.size;
	i->psize = d->meta.psize;
	i->message_id = d->meta.message_id;
	i->fingerprint = d->finished ? d->meta.fingerprint : NULL;
}

void
store_draft_drop(struct store_draft **dp)
{
	struct store_draft *d = *dp;
	struct store_batch *b;

	if (d == NULL)
		return;
	*dp = NULL;
	b = d->batch;
	for (size_t i = 0; i < b->n; i++) {
		if (b->drafts[i] != d)
			continue;
		memmove(&b->drafts[i], &b->drafts[i + 1],
			(b->n - i - 1) * sizeof(*b->drafts));
		b->n--;
		break;
	}
	draft_discard(d);
	draft_free(d);
}

void
store_batch_abort(struct store_batch **bp)
{
	struct store_batch *b = *bp;

	if (b == NULL)
		return;
	*bp = NULL;
	batch_free(b, 1);
}

int
store_append(struct store *st, const char *user, const char *folder,
	     const void *data, size_t len, time_t internal_date,
	     unsigned int flags, uint32_t *uid_r)
{
	struct store_batch *b;
	struct store_draft *d;
	uint32_t uid = 0;
	int rc = store_batch_begin(st, user, folder, &b);

	if (rc != STORE_OK)
		return rc;
	if ((rc = store_draft_begin(b, internal_date, flags, NULL, &d)) !=
		    STORE_OK ||
	    (rc = store_draft_write(d, data, len)) != STORE_OK ||
	    (rc = store_draft_finish(d)) != STORE_OK) {
		store_batch_abort(&b);
		return rc;
	}
	rc = store_batch_commit(&b, &uid);
	if (rc == STORE_OK && uid_r != NULL)
		*uid_r = uid;
	return rc;
}

/* ---- group commit ------------------------------------------------------ */

/* A group commit serves many small batches (one LMTP delivery each), so
 * it turns to syncfs() sooner than a single batch: three fsyncs are three
 * journal commits, one syncfs() is one. */
#define GROUP_SYNCFS_MIN 3
#define DIRS_SYNCFS_MIN 3

static int
sync_many(struct store_batch **b, size_t n, int *rcs)
{
	size_t total = 0, first = n;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (rcs[i] != STORE_OK)
			continue;
		total += b[i]->n;
		first = first < n ? first : i;
	}
	if (total == 0)
		return STORE_OK;
	if (total >= GROUP_SYNCFS_MIN &&
	    (rc = syncfs_batch(b[first])) != STORE_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (rcs[i] != STORE_OK)
			continue;
		if (total < GROUP_SYNCFS_MIN)
			rcs[i] = fsync_each(b[i]);
		if (rcs[i] == STORE_OK)
			rcs[i] = close_all(b[i]);
	}
	return STORE_OK;
}

/* Each distinct cur/ once; from a few on, one syncfs() flushes every
 * directory entry together: on ext4 each directory fsync is a journal
 * commit of its own, and the files' data was flushed just before, so
 * syncfs() has little else to write. */

static void
fsync_dirs_many(struct store_batch **b, size_t n, int *rcs)
{
	size_t ndirs = 0;

	for (size_t i = 0; i < n; i++)
		ndirs += rcs[i] == STORE_OK && b[i]->n > 0;
	if (ndirs >= DIRS_SYNCFS_MIN) {
		for (size_t i = 0; i < n; i++) {
			if (rcs[i] == STORE_OK && b[i]->n > 0) {
				int rc = syncfs_batch(b[i]);

				for (size_t j = i; j < n; j++)
					rcs[j] = rcs[j] == STORE_OK ? rc :
						rcs[j];
				return;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		char *cur;
		int seen = 0;

		if (rcs[i] != STORE_OK || b[i]->n == 0)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = rcs[j] == STORE_OK &&
				b[j]->folder.id == b[i]->folder.id;
		if (seen)
			continue;
		cur = xasprintf("%s/cur", b[i]->folder.dir);
		crash_point("store.dir.fsync");
		if (maildir_fsync_dir(cur) < 0) {
			int rc = store_fail_errno(b[i]->st, errno, "syncing",
						  cur);

			for (size_t j = i; j < n; j++)
				if (rcs[j] == STORE_OK &&
				    b[j]->folder.id == b[i]->folder.id)
					rcs[j] = rc;
		}
		free(cur);
	}
}

static int
index_many(struct store *st, struct store_batch **b, size_t n,
	   const int *rcs, uint32_t *const *uids_r)
{
	int rc = index_begin(st);
	uint32_t uid;

	for (size_t i = 0; rc == STORE_OK && i < n; i++) {
		for (size_t j = 0; rc == STORE_OK && rcs[i] == STORE_OK &&
		     j < b[i]->n; j++) {
			struct store_draft *d = b[i]->drafts[j];

			rc = index_add_msg(st, b[i]->folder.id, d->basename,
					   &d->meta, &uid);
			if (uids_r != NULL && uids_r[i] != NULL)
				uids_r[i][j] = uid;
		}
	}
	if (rc == STORE_OK)
		return index_commit(st);
	if (st->db->in_tx)
		db_rollback(st->db);
	return rc;
}

size_t
store_batch_commit_many(struct store_batch **b, size_t n, int *rcs,
			uint32_t *const *uids_r)
{
	struct store *st = NULL;
	size_t done = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		rcs[i] = b[i] == NULL ? STORE_REJECT : check_ready(b[i]);
		st = b[i] != NULL ? b[i]->st : st;
	}
	if (st == NULL)
		return 0;
	if ((rc = sync_many(b, n, rcs)) != STORE_OK) {
		for (size_t i = 0; i < n; i++)
			rcs[i] = rcs[i] == STORE_OK ? rc : rcs[i];
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; rcs[i] == STORE_OK && j < b[i]->n; j++)
			rcs[i] = rename_draft(b[i]->drafts[j]);
	}
	fsync_dirs_many(b, n, rcs);
	/* A failed shared transaction may be one batch's fault (its folder
	 * went away): give each its own chance rather than fail them all. */
	if (index_many(st, b, n, rcs, uids_r) != STORE_OK) {
		for (size_t i = 0; i < n; i++)
			if (rcs[i] == STORE_OK)
				rcs[i] = index_all(b[i], uids_r != NULL ?
						   uids_r[i] : NULL, NULL,
						   NULL);
	}
	for (size_t i = 0; i < n; i++) {
		if (b[i] == NULL)
			continue;
		done += rcs[i] == STORE_OK;
		batch_free(b[i], rcs[i] != STORE_OK);
		b[i] = NULL;
	}
	return done;
}
