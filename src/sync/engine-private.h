#ifndef CONFLUX_SYNC_ENGINE_PRIVATE_H
#define CONFLUX_SYNC_ENGINE_PRIVATE_H

/* Internals shared by engine.c (job, folders, plan, local changes) and
 * apply.c (fetches, flag pushes, remote deletes). */

#include "sync/engine.h"
#include "sync/plan.h"
#include "sync/state.h"

/* A deep copy of a remote listing (the driver's is valid only during its
 * callback), completed with the unchanged rows of a CONDSTORE listing. */
struct listing {
	struct drv_msg *msgs;
	size_t count, cap;
	char **chunks;		/* the strings, packed (no malloc each) */
	size_t nchunks;
	size_t chunk_used;	/* bytes used in the last chunk */
};

/* A message fetched into the open batch, with the state row that commits
 * with it. */
struct pending {
	struct sync_row row;
	struct store_draft *draft;	/* NULL: linked to an existing uid */
};

struct job_folder {
	char *remote;
	char *special_use;
};

struct sync_job {
	struct loop *loop;
	struct db *db;
	struct store *st;
	struct account acct;
	struct mbox *far;
	struct sync_options opt;
	sync_done_cb *cb;
	void *ctx;
	struct sync_report rep;
	unsigned int caps;
	int cancelled;
	int finished;

	struct job_folder *folders;
	size_t nfolders, cur;

	/* the folder being synced */
	struct sync_link link;
	struct store_folder local_folder;
	struct drv_box_info info;
	struct listing remote;
	struct sync_row *rows;
	size_t nrows;
	struct sync_local *local;
	size_t nlocal;
	struct plan plan;
	int folder_failed;
	int skipped;		/* nothing changed: no listing, no plan */
	int complete;		/* the whole plan was carried out */
	int listed_ids;		/* the listing carries Message-IDs */
	uint32_t *ours;		/* local UIDs this job changed */
	size_t nours;

	/* fetching */
	size_t next_fetch, fetches_done, inflight;
	struct store_batch *batch;
	struct pending *pend;
	size_t npend;
	uint64_t batch_bytes;
	char **committed_ids;		/* fetched this run (move mode) */
	size_t ncommitted;

	/* pushing flags / deleting */
	size_t pushes_left;
	const struct drv_msg **del;
	size_t ndel;

	/* POP3: rows whose DELE waits for QUIT: link id + remote id */
	int64_t *close_links;
	char **close_ids;
	size_t nclose;
};

/* engine.c */
void job_fail(struct sync_job *j, enum drv_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void job_folder_done(struct sync_job *j);
const char *job_far_error(struct sync_job *j);

void job_touched(struct sync_job *j, uint32_t uid);

/* apply.c */
void apply_fetches(struct sync_job *j);
void apply_pushes(struct sync_job *j);
void apply_remote_deletes(struct sync_job *j);
void apply_close_confirmed(struct sync_job *j);

void listing_add(struct listing *l, const struct drv_msg *m);
void listing_free(struct listing *l);

#endif
