#ifndef CONFLUX_IMAPC_PRIVATE_H
#define CONFLUX_IMAPC_PRIVATE_H

/* Shared by imapc.c (connection, commands, dispatch), imapc-auth.c
 * (greeting, STARTTLS, login), imapc-mailbox.c (mailbox commands) and
 * imapc-fetch.c (listings, streamed bodies). */

#include "client/imapc.h"
#include "lib/buf.h"

struct conn;
struct conn_ev;
struct tls_ctx;
struct imapc_cmd;

enum imapc_state {
	IMAPC_ST_NEW,
	IMAPC_ST_CONNECTING,	/* TCP/TLS, then the greeting */
	IMAPC_ST_SETUP,		/* STARTTLS, CAPABILITY, login, ENABLE */
	IMAPC_ST_READY,
	IMAPC_ST_DEAD,
};

enum imapc_cmd_kind {
	IMAPC_CMD_PLAIN,
	IMAPC_CMD_LIST,
	IMAPC_CMD_SELECT,
	IMAPC_CMD_FETCH,	/* a listing */
	IMAPC_CMD_BODY,		/* a streamed BODY.PEEK[] */
	IMAPC_CMD_SEARCH,
	IMAPC_CMD_STATUS,
	IMAPC_CMD_IDLE,
	IMAPC_CMD_LOGOUT,
};

#define IMAPC_MAX_WAITS 4

typedef void imapc_done_fn(struct imapc_cmd *cmd, enum imapc_result r,
			   const struct imap_resp *tagged, const char *error);
typedef void imapc_cont_fn(struct imapc_cmd *cmd, const struct imap_resp *r);

struct imapc_cmd {
	struct imapc_cmd *next;
	struct imapc *client;
	enum imapc_cmd_kind kind;
	char tag[16];
	const char *verb;	/* for logs: never the arguments */
	struct buf out;
	/* offsets in out after which "+" must be awaited (literals) */
	size_t waits[IMAPC_MAX_WAITS];
	size_t nwaits, next_wait, sent;
	bool canceled;
	bool setup;		/* part of connecting: may go before READY */
	bool overflow;		/* did not fit: fails with BAD */
	bool secret;		/* out holds a password: wiped on free */
	struct buf secret_resp;	/* AUTHENTICATE response awaiting "+" */
	imapc_done_fn *done;	/* internal completion */
	imapc_cont_fn *cont;	/* "+" for AUTHENTICATE / IDLE */
	/* the caller's callbacks (by kind) */
	void *ctx;
	imapc_cb *cb;
	imapc_select_cb *select_cb;
	imapc_list_cb *list_cb;
	imapc_fetch_cb *fetch_cb;
	imapc_vanished_cb *vanished_cb;
	imapc_data_cb *data_cb;
	imapc_search_cb *search_cb;
	imapc_append_cb *append_cb;
	imapc_status_cb *status_cb;
	/* STATUS: the mailbox as passed in (unquoted), what arrived */
	char *mailbox;
	struct imapc_status_info status;
	bool got_status;
	/* BODY */
	uint32_t uid;
	bool got_body, data_stopped, wrong_uid;
	/* deferred completion */
	enum imapc_result dres;
	char *derror;
};

struct imapc {
	struct loop *loop;
	struct imapc_settings set;	/* strings owned below */
	char *host, *login, *password, *ca_file, *pin, *session;
	enum imapc_state state;
	struct conn *conn;
	struct tls_ctx *tls;
	struct imap_resp_parser *parser;
	unsigned int refs;
	bool freed;
	unsigned int tagno;
	unsigned int caps;
	bool have_caps, preauth, authed, enable_sent, qresync;
	bool starttls_sent;
	char *bye;		/* text of an untagged BYE */
	/* commands: written (outstanding), waiting to be written, and
	 * finished early (callback deferred to the loop) */
	struct imapc_cmd *sent, *queue, *deferred;
	struct imapc_cmd *blocker;	/* waits for "+" */
	struct imapc_cmd *connect_cmd;	/* imapc_connect()'s callback */
	bool defer_pending;
	bool idling, done_sent, idle_stop;
	/* a literal in progress: streamed to lit_cmd, or collected */
	bool in_literal, streaming;
	struct imapc_cmd *lit_cmd;
	struct imapc_box box;
	imapc_event_cb *event_cb;
	void *event_ctx;
	imapc_cb *connect_cb;
	void *connect_ctx;
	struct buf error;
};

/* ---- imapc.c ---- */
void
imapc_ref(struct imapc *c);
/* false once the client was freed (stop touching it). */
bool
imapc_unref(struct imapc *c);
struct imapc_cmd *
imapc_cmd_new(struct imapc *c, enum imapc_cmd_kind kind, const char *verb);
/* Appends an astring argument, as atom, quoted string or literal. */
void
imapc_cmd_astring(struct imapc_cmd *cmd, const char *s);
/* Appends a literal of len bytes (LITERAL+/- when offered). */
void
imapc_cmd_literal(struct imapc_cmd *cmd, const void *data, size_t len);
/* Completes cmd from the next loop turn with r and error. */
void
imapc_cmd_defer(struct imapc_cmd *cmd, enum imapc_result r,
		const char *error);
/* Ends the command line and queues it (or fails it, deferred, when the
 * client is dead). */
void
imapc_cmd_submit(struct imapc_cmd *cmd);
/* Completes a command now (from the loop): calls done, frees it. */
void
imapc_cmd_finish(struct imapc_cmd *cmd, enum imapc_result r,
		 const struct imap_resp *tagged, const char *error);
/* Default done: cmd->cb(r, error). */
void
imapc_done_plain(struct imapc_cmd *cmd, enum imapc_result r,
		 const struct imap_resp *tagged, const char *error);
/* The oldest outstanding command of this kind, or NULL. */
struct imapc_cmd *
imapc_cmd_find(struct imapc *c, enum imapc_cmd_kind kind);
/* Writes what can be written. */
void
imapc_pump(struct imapc *c);
/* Kills the session: every command fails with error. */
void
imapc_fail(struct imapc *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void
imapc_emit(struct imapc *c, const struct imapc_event *ev);
/* Ends connecting: READY on OK; runs imapc_connect()'s callback. */
void
imapc_connect_done(struct imapc *c, enum imapc_result r, const char *error);
void
imapc_wipe_password(struct imapc *c);

/* Re-arms the server-silence timeout for what is outstanding. */
void
imapc_update_timeouts(struct imapc *c);
/* The conn's event callback (ctx: the client). */
void
imapc_conn_event(struct conn *conn, const struct conn_ev *ev, void *ctx);

/* ---- imapc-mailbox.c: untagged data for mailbox commands ---- */
void
imapc_on_search(struct imapc *c, const struct imap_resp *r);
void
imapc_on_list(struct imapc *c, const struct imap_resp *r);
void
imapc_on_enabled(struct imapc *c, const struct imap_resp *r);
/* * STATUS mailbox (items): to the STATUS command for that mailbox. */
void
imapc_on_status(struct imapc *c, const struct imap_resp *r);
/* EXISTS / EXPUNGE */
void
imapc_on_count(struct imapc *c, const struct imap_resp *r);

/* ---- imapc-auth.c ---- */
/* A response while connecting: the greeting. */
void
imapc_auth_greeting(struct imapc *c, const struct imap_resp *r);
/* TLS is up after STARTTLS. */
void
imapc_auth_tls_done(struct imapc *c);
/* CAPABILITY data or [CAPABILITY ...] code text. */
void
imapc_parse_caps(struct imapc *c, const struct imap_arg *args, size_t n,
		 const char *text);

/* ---- imapc-fetch.c ---- */
void
imapc_fetch_untagged(struct imapc *c, const struct imap_resp *r);
void
imapc_vanished_untagged(struct imapc *c, const struct imap_resp *r);
/* A literal starts: stream it (1), let the parser collect it (0), or
 * fail (-1, session killed). */
int
imapc_fetch_literal(struct imapc *c, const struct imap_literal *lit);
void
imapc_fetch_literal_piece(struct imapc *c, const char *data, size_t len,
			  bool last);

#endif
