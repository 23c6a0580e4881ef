/* Group commit (see commitq.h). Entries wait in a FIFO; a zero-length
 * timer commits up to COMMITQ_MAX of them in one store pass. While that
 * pass blocks the loop on fsync, new entries pile up and form the next
 * group: the busier the server, the larger the groups. */
#include "server/common/commitq.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/loop.h"
#include "server/common/notify.h"
#include "store/store.h"

#define COMMITQ_MAX 256

struct commitq_entry {
	struct store_batch *batch;
	size_t count;			/* drafts in the batch */
	int64_t folder_id;
	commitq_done_cb *cb;		/* NULL: forgotten */
	void *ctx;
	struct commitq_entry *next;
};

struct commitq {
	struct store *st;
	struct notify *notify;
	struct timer *timer;
	struct commitq_entry *head, *tail;
	uint64_t batches, passes;
};

static void
on_timer(void *ctx)
{
	commitq_flush(ctx);
}

struct commitq *
commitq_new(struct loop *l, struct store *st, struct notify *notify)
{
	struct commitq *q = xcalloc(1, sizeof(*q));

	q->st = st;
	q->notify = notify;
	q->timer = timer_new(l, on_timer, q);
	return q;
}

struct commitq_entry *
commitq_add(struct commitq *q, struct store_batch **b, int64_t folder_id,
	    commitq_done_cb *cb, void *ctx)
{
	struct commitq_entry *e = xcalloc(1, sizeof(*e));

	e->batch = *b;
	*b = NULL;
	e->count = store_batch_count(e->batch);
	e->folder_id = folder_id;
	e->cb = cb;
	e->ctx = ctx;
	if (q->tail != NULL)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	if (!timer_pending(q->timer))
		timer_start(q->timer, 0, false);
	return e;
}

void
commitq_forget(struct commitq_entry **e)
{
	if (*e != NULL)
		(*e)->cb = NULL;
	*e = NULL;
}

/* Takes up to COMMITQ_MAX entries off the front. */
static size_t
take_group(struct commitq *q, struct commitq_entry **group)
{
	size_t n = 0;

	while (q->head != NULL && n < COMMITQ_MAX) {
		group[n++] = q->head;
		q->head = q->head->next;
	}
	if (q->head == NULL)
		q->tail = NULL;
	return n;
}

static void
commit_group(struct commitq *q, struct commitq_entry **group, size_t n)
{
	struct store_batch *b[COMMITQ_MAX];
	uint32_t *uids[COMMITQ_MAX];
	int rcs[COMMITQ_MAX];
	size_t i;

	for (i = 0; i < n; i++) {
		b[i] = group[i]->batch;
		group[i]->batch = NULL;
		uids[i] = xcalloc(group[i]->count + 1, sizeof(uint32_t));
	}
	q->batches += store_batch_commit_many(b, n, rcs, uids);
	q->passes++;
	/* Everyone's fate is decided before anyone is answered: an answer
	 * may end a session, which may forget other entries of its own. */
	for (i = 0; i < n; i++) {
		if (rcs[i] == STORE_OK)
			notify_changed(q->notify, group[i]->folder_id);
		else
			log_error("store: commit failed: %s",
				  store_error(q->st));
	}
	for (i = 0; i < n; i++) {
		if (group[i]->cb != NULL)
			group[i]->cb(rcs[i], uids[i], group[i]->count,
				     group[i]->ctx);
		free(uids[i]);
		free(group[i]);
	}
}

void
commitq_flush(struct commitq *q)
{
	struct commitq_entry *group[COMMITQ_MAX];
	size_t n;

	/* One group per turn keeps the loop responsive under a flood; the
	 * timer comes back for the rest. */
	n = take_group(q, group);
	if (n > 0)
		commit_group(q, group, n);
	if (q->head != NULL && !timer_pending(q->timer))
		timer_start(q->timer, 0, false);
}

void
commitq_free(struct commitq **qp)
{
	struct commitq *q = *qp;

	if (q == NULL)
		return;
	*qp = NULL;
	timer_stop(q->timer);
	while (q->head != NULL)
		commitq_flush(q);
	timer_free(&q->timer);
	free(q);
}

uint64_t
commitq_batches(const struct commitq *q)
{
	return q->batches;
}

uint64_t
commitq_passes(const struct commitq *q)
{
	return q->passes;
}
