#ifndef CONFLUX_SERVER_NOTIFY_H
#define CONFLUX_SERVER_NOTIFY_H

/* "This folder changed": tells sessions with a folder selected (IMAP
 * IDLE, the next command) that a delivery, another session or a sync
 * changed it.
 *
 * In this daemon, whoever commits a change calls notify_changed(). Changes
 * committed by other processes (`conflux deliver`, `conflux sync`) are
 * found by watching SQLite's data_version once a second; then every
 * watcher is told, and each one re-reads its folder (cheap: compare
 * HIGHESTMODSEQ). Callbacks run from the loop, never inside these calls. */

#include <stdint.h>

struct loop;
struct db;
struct notify;
struct notify_watch;

typedef void notify_cb(int64_t folder_id, void *ctx);

/* db: the daemon's connection (to poll data_version); poll_ms 0: 1000. */
struct notify *notify_new(struct loop *l, struct db *db, unsigned int poll_ms);
void notify_free(struct notify **n);

struct notify_watch *notify_watch(struct notify *n, int64_t folder_id,
				  notify_cb *cb, void *ctx);
/* NULL is a no-op; *w is set to NULL. */
void notify_unwatch(struct notify_watch **w);
/* Every watcher of folder_id is called once, soon, from the loop
 * (several calls before then coalesce). */
void notify_changed(struct notify *n, int64_t folder_id);
/* Every watcher is called (a sync in this daemon changed some folders). */
void notify_all(struct notify *n);

#endif
