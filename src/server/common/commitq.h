#ifndef CONFLUX_SERVER_COMMITQ_H
#define CONFLUX_SERVER_COMMITQ_H

/* Group commit for the servers: batches finished while a commit runs join
 * the next one, so many concurrent deliveries (LMTP) and APPENDs (IMAP)
 * share one fsync pass and one index transaction
 * (store_batch_commit_many). The commit runs from the loop on the next
 * turn; every entry's callback then gets its own result and new UIDs.
 * Nothing is answered before the batch is durable. */

#include <stddef.h>
#include <stdint.h>

struct loop;
struct store;
struct store_batch;
struct notify;
struct commitq;
struct commitq_entry;

/* rc: enum store_rc; uids: the batch's new UIDs in draft order (n of
 * them), valid during the call. Runs from the loop. */
typedef void commitq_done_cb(int rc, const uint32_t *uids, size_t n,
			     void *ctx);

struct commitq *commitq_new(struct loop *l, struct store *st,
			    struct notify *notify);
/* Commits whatever is queued first (answering it), then frees. */
void commitq_free(struct commitq **q);

/* Takes *b (set to NULL). folder_id is announced through notify once the
 * batch is in. The entry lives until its callback has run. */
struct commitq_entry *commitq_add(struct commitq *q, struct store_batch **b,
				  int64_t folder_id, commitq_done_cb *cb,
				  void *ctx);
/* The caller is going away: its batch is still committed (it was
 * accepted), but cb is not called. NULL is a no-op; *e is set to NULL. */
void commitq_forget(struct commitq_entry **e);
/* Commits everything queued now (at shutdown). */
void commitq_flush(struct commitq *q);

/* Counters for tests and the log: batches committed, commit passes. */
uint64_t commitq_batches(const struct commitq *q);
uint64_t commitq_passes(const struct commitq *q);

#endif
