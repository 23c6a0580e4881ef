#ifndef CONFLUX_SYNC_PUSH_H
#define CONFLUX_SYNC_PUSH_H

/* Push for IMAP accounts: one extra connection per account whose server
 * has IDLE, idling on INBOX; any change there (new mail, an expunge, a
 * flag) makes the account due at once, so conflux serve syncs within
 * seconds instead of waiting for the interval. A watch that fails is
 * retried with back-off; polling on the interval goes on regardless. */

#include "registry/registry.h"
#include "sync/sched.h"

struct loop;
struct push;

struct push *push_new(struct loop *loop, struct registry *reg,
		      struct sched *sched);
/* Starts (or keeps) a watch for every IMAP account, stops those of
 * deleted accounts. Call again to pick up new accounts. */
void push_refresh(struct push *p);
void push_free(struct push **p);
/* Watches currently idling (for tests and status). */
unsigned int push_idling(const struct push *p);

#endif
