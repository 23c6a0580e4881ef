#ifndef CONFLUX_DRV_IMAP_PRIVATE_H
#define CONFLUX_DRV_IMAP_PRIVATE_H

/* Shared by drv-imap.c (connection, open, status, fetch, append, idle, the
 * in-order completion queue) and drv-imap-list.c (folder list, message
 * listing, flags, expunge). */

#include <stdbool.h>

#include "client/imapc.h"
#include "lib/buf.h"
#include "sync/driver.h"

#define IDLE_RENEW_MS (25 * 60 * 1000)
#define POLL_MS (60 * 1000)

struct timer;
struct listing;

enum op_kind { OP_CB, OP_FOLDERS, OP_OPEN, OP_MSGS, OP_UID };

/* One driver operation, completed in issue order. */
struct op {
	struct op *next;
	struct imap_mbox *mb;
	enum op_kind kind;
	bool finished;
	enum drv_status st;
	char *error;
	union {
		drv_cb *cb;
		drv_folders_cb *folders;
		drv_open_cb *open;
		drv_msgs_cb *msgs;
		drv_uid_cb *uid;
	} u;
	void *ctx;
	drv_data_cb *data;
	enum drv_status refused;	/* what NO/BAD mean for this op */
	unsigned int pending;		/* sub-commands still outstanding */
	/* results */
	struct drv_box_info info;
	uint32_t uid;
	struct drv_folder *folders;
	size_t nfolders, cfolders;
	struct listing *ls;
	/* expunge */
	uint32_t *uids;
	size_t nuids;
	char *set;
	bool others_deleted;
	/* drv_imap_op_done_later */
	enum drv_status later_st;
	const char *later_error;
};

struct imap_mbox {
	struct mbox base;
	struct loop *loop;
	struct imapc *client;
	unsigned int refs;
	bool gone, flushing;
	char delim;
	bool selected;
	struct op *head, *tail;
	struct listing *listing;	/* the list_msgs in progress */
	struct buf error;
	/* idle */
	drv_event_cb *changed;
	void *changed_ctx;
	bool idle_wanted, idle_cmd;
	struct timer *idle_timer;
};

/* drv-imap.c */
struct op *
drv_imap_op_new(struct imap_mbox *mb, enum op_kind kind, void *ctx);
/* Records the result (the worst of several sub-commands) and, when no
 * sub-command is pending, completes the op in order. */
void
drv_imap_op_done(struct op *op, enum drv_status st, const char *error);
/* Same, from the next loop turn (error must be a static string). */
void
drv_imap_op_done_later(struct op *op, enum drv_status st, const char *error);
enum drv_status
drv_imap_status(enum imapc_result r, enum drv_status refused);

/* drv-imap-list.c */
/* "(\Seen \Flagged kw ...)" from store flag bits and keywords. */
void
drv_imap_flag_list(unsigned int flags, const char *keywords, struct buf *out);
void
drv_imap_list_folders(struct mbox *box, drv_folders_cb *cb, void *ctx);
void
drv_imap_list_msgs(struct mbox *box, const struct drv_list_req *req,
		   drv_msgs_cb *cb, void *ctx);
void
drv_imap_set_flags(struct mbox *box, const struct drv_msg *m,
		   unsigned int add, unsigned int del, const char *add_kw,
		   const char *del_kw, drv_cb *cb, void *ctx);
void
drv_imap_expunge(struct mbox *box, const struct drv_msg *const *ms,
		 size_t n, drv_cb *cb, void *ctx);
void
drv_imap_listing_deliver(struct op *op);
void
drv_imap_listing_free(struct listing *ls);
void
drv_imap_folders_free(struct op *op);
/* Renumbers / drops listed messages on EXPUNGE and VANISHED. */
void
drv_imap_listing_event(struct imap_mbox *mb, const struct imapc_event *ev);

#endif
