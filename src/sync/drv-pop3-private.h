#ifndef CONFLUX_DRV_POP3_PRIVATE_H
#define CONFLUX_DRV_POP3_PRIVATE_H

/* Shared by drv-pop3.c (the op queue, connect, fetch, expunge, close, the
 * vtable) and drv-pop3-list.c (STAT, LIST, UIDL, TOP: the listing and its
 * message ids). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/pop3c.h"
#include "lib/buf.h"
#include "sync/driver.h"

enum op_kind { OP_CONNECT, OP_FOLDERS, OP_OPEN, OP_LIST, OP_FETCH,
	       OP_FLAGS, OP_EXPUNGE, OP_CLOSE };

struct op {
	struct op *next;
	struct pop3_mbox *m;
	enum op_kind kind;
	bool finished;
	enum drv_status st;
	union {
		drv_cb *cb;
		drv_folders_cb *folders;
		drv_open_cb *open;
		drv_msgs_cb *msgs;
	} u;
	drv_data_cb *data;
	void *ctx;
	struct drv_box_info info;
	uint32_t seq;		/* fetch */
	bool bad_name;		/* open_folder */
	/* list_msgs */
	bool want_mid, no_uidl;
	size_t top_next, tops_left;
	struct buf hdr;
	/* expunge */
	size_t left;
	enum drv_status worst;
};

struct pop3_mbox {
	struct mbox mb;
	struct loop *loop;
	struct pop3c *pc;
	struct pop3c_settings set;
	unsigned int refs;
	bool dead, broken, blocked, drain_scheduled;
	struct op *head, *tail, *unissued;
	struct buf error;
	/* the last listing */
	struct drv_msg *msgs;
	char **ids, **mids;
	size_t nmsgs;
};

/* drv-pop3.c */
/* Records the result of op (an error message only when st != DRV_OK);
 * the callback runs later, in order, from drv_pop3_drain(). */
void
drv_pop3_finish(struct pop3_mbox *m, struct op *op, enum drv_status st,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* POP3C_OK -> DRV_OK, POP3C_FAILED -> DRV_ACCOUNT_BAD, else on_err. */
enum drv_status
drv_pop3_status(const struct pop3c_reply *r, enum drv_status on_err);
/* Starts the queued ops unless a listing or the login blocks them. */
void
drv_pop3_issue_ops(struct pop3_mbox *m);
/* Runs the callbacks of finished ops in order; may destroy the mailbox,
 * so it is the last thing a caller does. */
void
drv_pop3_drain(struct pop3_mbox *m);

/* drv-pop3-list.c */
/* STAT for open_folder. */
void
drv_pop3_stat(struct pop3_mbox *m, struct op *op);
/* LIST and UIDL (then TOP as needed) for list_msgs, into m's listing. */
void
drv_pop3_list(struct pop3_mbox *m, struct op *op);
void
drv_pop3_listing_free(struct pop3_mbox *m);

#endif
