/* Change notification between the sessions of one daemon.
 *
 * Watches hang in buckets by folder id. notify_changed() only records the
 * folder; a zero-length timer then calls its watchers from the loop, so a
 * session committing a change is never re-entered from inside its own
 * command. Watches removed while callbacks run are only marked, and swept
 * once the dispatch is over.
 *
 * Other processes' commits: SQLite's PRAGMA data_version changes when
 * another connection committed to the database; polling it once a second
 * costs one tiny query, and a change tells every watcher. */
#include "server/common/notify.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/db.h"
#include "lib/xalloc.h"
#include "net/loop.h"

#define NOTIFY_BUCKETS 1024
#define NOTIFY_POLL_MS 1000

struct notify_watch {
	struct notify *n;
	int64_t folder_id;
	notify_cb *cb;
	void *ctx;
	bool dead;
	struct notify_watch *prev, *next;
};

struct notify {
	struct loop *loop;
	struct db *db;
	struct timer *dispatch;
	struct timer *poll;
	int64_t data_version;
	struct notify_watch *bucket[NOTIFY_BUCKETS];
	int64_t *pending;	/* folder ids to announce; -1: all */
	size_t n_pending, cap_pending;
	bool dispatching;
	bool have_dead;
};

static unsigned int
bucket_of(int64_t folder_id)
{
	return (unsigned int)((uint64_t)folder_id % NOTIFY_BUCKETS);
}

static void
call_watchers(struct notify *n, unsigned int b, int64_t folder_id)
{
	struct notify_watch *w;

	for (w = n->bucket[b]; w != NULL; w = w->next) {
		if (!w->dead && (folder_id < 0 || w->folder_id == folder_id))
			w->cb(w->folder_id, w->ctx);
	}
}

static void
unlink_watch(struct notify *n, struct notify_watch *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		n->bucket[bucket_of(w->folder_id)] = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	free(w);
}

static void
sweep_dead(struct notify *n)
{
	struct notify_watch *w, *next;
	unsigned int b;

	for (b = 0; b < NOTIFY_BUCKETS; b++) {
		for (w = n->bucket[b]; w != NULL; w = next) {
			next = w->next;
			if (w->dead)
				unlink_watch(n, w);
		}
	}
	n->have_dead = false;
}

static void
on_dispatch(void *ctx)
{
	struct notify *n = ctx;
	int64_t *pending = n->pending;
	size_t count = n->n_pending, i;
	unsigned int b;

	/* Callbacks may call notify_changed(): they start a new list. */
	n->pending = NULL;
	n->n_pending = n->cap_pending = 0;
	n->dispatching = true;
	for (i = 0; i < count; i++) {
		if (pending[i] >= 0) {
			call_watchers(n, bucket_of(pending[i]), pending[i]);
			continue;
		}
		for (b = 0; b < NOTIFY_BUCKETS; b++)
			call_watchers(n, b, -1);
	}
	n->dispatching = false;
	free(pending);
	if (n->have_dead)
		sweep_dead(n);
}

static void
add_pending(struct notify *n, int64_t folder_id)
{
	size_t i;

	for (i = 0; i < n->n_pending; i++) {
		if (n->pending[i] == folder_id || n->pending[i] < 0)
			return;
	}
	if (n->n_pending == n->cap_pending) {
		n->cap_pending = n->cap_pending ? n->cap_pending * 2 : 8;
		n->pending = xrealloc(n->pending,
				      n->cap_pending * sizeof(*n->pending));
	}
	n->pending[n->n_pending++] = folder_id;
	if (!timer_pending(n->dispatch))
		timer_start(n->dispatch, 0, false);
}

void
notify_changed(struct notify *n, int64_t folder_id)
{
	if (n != NULL && folder_id >= 0)
		add_pending(n, folder_id);
}

void
notify_all(struct notify *n)
{
	if (n != NULL)
		add_pending(n, -1);
}

static int64_t
read_data_version(struct db *db)
{
	sqlite3_stmt *s = db_prepare(db, "PRAGMA data_version");
	int64_t v = -1;

	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
on_poll(void *ctx)
{
	struct notify *n = ctx;
	int64_t v = read_data_version(n->db);

	if (v != n->data_version) {
		n->data_version = v;
		notify_all(n);
	}
}

struct notify *
notify_new(struct loop *l, struct db *db, unsigned int poll_ms)
{
	struct notify *n = xcalloc(1, sizeof(*n));

	n->loop = l;
	n->db = db;
	n->dispatch = timer_new(l, on_dispatch, n);
	if (db != NULL) {
		n->data_version = read_data_version(db);
		n->poll = timer_new(l, on_poll, n);
		timer_start(n->poll, poll_ms ? poll_ms : NOTIFY_POLL_MS, true);
	}
	return n;
}

void
notify_free(struct notify **np)
{
	struct notify *n = *np;
	struct notify_watch *w, *next;
	unsigned int b;

	if (n == NULL)
		return;
	*np = NULL;
	timer_free(&n->dispatch);
	timer_free(&n->poll);
	for (b = 0; b < NOTIFY_BUCKETS; b++) {
		for (w = n->bucket[b]; w != NULL; w = next) {
			next = w->next;
			free(w);
		}
	}
	free(n->pending);
	free(n);
}

struct notify_watch *
notify_watch(struct notify *n, int64_t folder_id, notify_cb *cb, void *ctx)
{
	struct notify_watch *w = xcalloc(1, sizeof(*w));
	unsigned int b = bucket_of(folder_id);

	w->n = n;
	w->folder_id = folder_id;
	w->cb = cb;
	w->ctx = ctx;
	w->next = n->bucket[b];
	if (w->next != NULL)
		w->next->prev = w;
	n->bucket[b] = w;
	return w;
}

void
notify_unwatch(struct notify_watch **wp)
{
	struct notify_watch *w = *wp;

	if (w == NULL)
		return;
	*wp = NULL;
	if (w->n->dispatching) {
		w->dead = true;
		w->n->have_dead = true;
		return;
	}
	unlink_watch(w->n, w);
}
