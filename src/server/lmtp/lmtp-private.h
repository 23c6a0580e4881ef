#ifndef CONFLUX_LMTP_PRIVATE_H
#define CONFLUX_LMTP_PRIVATE_H

/* Shared between the files of the LMTP server; not an API. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "proto/lmtp/lmtp-cmd.h"
#include "server/common/server.h"
#include "server/common/session-list.h"

struct commitq_entry;
struct store_batch;
struct store_draft;

enum lmtp_state {
	LMTP_STATE_INIT,	/* before LHLO (and again after STARTTLS) */
	LMTP_STATE_READY,	/* LHLO done, no transaction */
	LMTP_STATE_MAIL,	/* MAIL FROM given */
	LMTP_STATE_DATA,	/* reading the body */
	LMTP_STATE_COMMIT,	/* body read, waiting for the group commit */
	LMTP_STATE_DONE,	/* QUIT or fatal: closing */
};

struct lmtp_rcpt {
	char *addr;		/* as given in RCPT TO */
	char *user;		/* local user */
	int64_t folder_id;	/* INBOX, for notify */
	struct store_batch *batch;
	struct store_draft *draft;
	struct commitq_entry *entry;	/* waiting in the group commit */
	int rc;			/* enum store_rc once decided */
	const char *reply;	/* failure reply (static), NULL: from rc */
	struct lmtp_session *s;
};

struct lmtp_server {
	const struct server_env *env;
	struct server_settings set;
	struct session_list sessions;
	bool shutting_down;
};

struct lmtp_session {
	struct lmtp_server *srv;
	struct conn *c;
	struct session_link link;	/* in srv->sessions */
	enum lmtp_state state;
	unsigned int bad;		/* errors in a row */
	char *lhlo;			/* the client's name */
	char *sender;			/* MAIL FROM ("" for <>) */
	uint64_t declared_size;		/* MAIL SIZE=, 0 if none */
	struct lmtp_rcpt **rcpts;
	size_t nrcpts, caprcpts;
	/* DATA */
	struct buf body;		/* pending bytes for the drafts */
	uint64_t body_size;
	const char *data_error;		/* a reply for every recipient */
	size_t pending;		/* recipients in the commit queue */
};

/* lmtp-server.c */
void lmtp_server_remove(struct lmtp_server *srv, struct lmtp_session *s);
/* Puts a recipient's finished batch into the daemon's group commit
 * (env->commitq; without one it is committed at once). */
void lmtp_commit_enqueue(struct lmtp_server *srv, struct lmtp_rcpt *r);
/* The session goes: its queued batches are still committed (they were
 * accepted), but nobody is answered. */
void lmtp_commit_forget(struct lmtp_server *srv, struct lmtp_session *s);

/* lmtp-session.c */
struct lmtp_session *lmtp_session_new(struct lmtp_server *srv,
				      struct conn *c);
void lmtp_session_end(struct lmtp_session *s, const char *reason);
/* A reply line; codes >= 400 count as errors (too many closes). */
void lmtp_reply(struct lmtp_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lmtp_reply_error(struct lmtp_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Drops the transaction (sender, recipients, drafts). */
void lmtp_transaction_reset(struct lmtp_session *s);
void lmtp_session_read_commands(struct lmtp_session *s);

/* lmtp-cmds.c */
void lmtp_cmd_dispatch(struct lmtp_session *s, const struct lmtp_cmd *cmd);

/* lmtp-deliver.c */
void lmtp_cmd_data(struct lmtp_session *s);
/* One body line (CONN_LINE in DATA state); too_long for a cut line. */
void lmtp_data_line_in(struct lmtp_session *s, const char *line,
		       size_t len, bool too_long);
/* Records a failed recipient (rc: enum store_rc) with the reply it gets,
 * worded from store_error() while that still describes it; aborts its
 * batch. */
void lmtp_rcpt_fail(struct lmtp_rcpt *r, int rc);
/* Called by the group commit once all of the session's recipients are
 * decided: sends the replies, reads commands again. */
void lmtp_deliver_done(struct lmtp_session *s);

#endif
