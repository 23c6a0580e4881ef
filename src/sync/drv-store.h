#ifndef CONFLUX_DRV_STORE_H
#define CONFLUX_DRV_STORE_H

/* The mailbox driver over the local store (one user's folders): the same
 * interface as an IMAP account, so the engine and its tests can use the
 * store as the far side (store <-> store scenarios). Every operation runs
 * on the next loop turn. caps: FOLDERS | FLAGS | UIDPLUS. */

#include "store/store.h"
#include "sync/driver.h"

struct loop;

/* Borrows st; user's folders are the mailbox. */
struct mbox *drv_store_new(struct loop *loop, struct store *st,
			   const char *user);

#endif
