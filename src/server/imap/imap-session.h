#ifndef CONFLUX_IMAP_SESSION_H
#define CONFLUX_IMAP_SESSION_H

/* Private to src/server/imap: one IMAP session, the command table and the
 * helpers every command file uses.
 *
 * A command handler runs from the dispatcher with s->cmd parsed. It
 * returns true when it has finished (its tagged reply is queued) or false
 * when it goes on asynchronously (auth, a FETCH waiting for the write queue
 * to drain, APPEND streaming a literal, IDLE); it then calls
 * imap_cmd_done() itself when it ends. While a command runs asynchronously
 * no further command is read (pipelined input waits in the conn). */

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "proto/imap/imap-cmd.h"
#include "server/common/server.h"
#include "server/common/session-list.h"
#include "server/imap/imap-view.h"

struct conn;
struct imap_session;
struct notify_watch;
struct auth_request;
struct store;

enum imap_state {
	IMAP_STATE_NOAUTH = 1 << 0,
	IMAP_STATE_AUTH = 1 << 1,
	IMAP_STATE_SELECTED = 1 << 2,
	IMAP_STATE_LOGOUT = 1 << 3,
};

#define IMAP_STATES_AUTHED (IMAP_STATE_AUTH | IMAP_STATE_SELECTED)
#define IMAP_STATES_ANY \
	(IMAP_STATE_NOAUTH | IMAP_STATE_AUTH | IMAP_STATE_SELECTED)

/* Limits on what a client sends (Dovecot-like). */
#define IMAP_MAX_LINE (64 * 1024)
#define IMAP_MAX_LITERAL_NOAUTH 8192
#define IMAP_MAX_LITERAL (1024 * 1024)	/* non-APPEND literals */
#define IMAP_MAX_COMMAND (2 * 1024 * 1024)
#define IMAP_MAX_BAD_COMMANDS 20
#define IMAP_NOAUTH_IDLE_MS (3 * 60 * 1000)	/* idle timeout before login */
#define IMAP_HEADER_MAX (64 * 1024)	/* header bytes read for ENVELOPE */
#define IMAP_KEYWORDS_MAX (16 * 1024)	/* keywords kept per selected box */
#define IMAP_ENVCACHE_BYTES (4 * 1024 * 1024)	/* per server */

enum imap_cmd_flags {
	CMD_F_UID_OK = 1 << 0,		/* "UID <name>" exists */
	CMD_F_NO_EXPUNGE = 1 << 1,	/* no EXPUNGE (7.4.1) unless UID */
};

typedef bool imap_cmd_fn(struct imap_session *s);
/* Continuation for an asynchronous command: a line from the client (IDLE
 * DONE, a SASL response, the rest of an APPEND line) or a literal piece. */
typedef void imap_line_fn(struct imap_session *s, const char *line,
			  size_t len);
typedef void imap_literal_fn(struct imap_session *s, const char *data,
			     size_t len, bool last);
typedef void imap_drained_fn(struct imap_session *s);

struct imap_command {
	const char *name;
	imap_cmd_fn *fn;
	unsigned int states;	/* enum imap_state bits */
	unsigned int flags;	/* enum imap_cmd_flags */
};

struct imap_selected {
	int64_t folder_id;
	char *name;		/* UTF-8 store name */
	uint32_t uidvalidity;
	bool readonly;
	char *keywords;		/* announced in FLAGS, space separated */
};

struct imap_server {
	struct server_env env;
	struct server_settings set;
	struct imap_envcache *envcache;	/* ENVELOPE strings, bounded */
	struct session_list sessions;
	bool shutting_down;
};

struct imap_session {
	struct imap_server *server;
	struct conn *conn;
	struct session_link link;	/* in server->sessions */
	enum imap_state state;
	char *user;
	unsigned int bad_count;

	/* The command being gathered (wire form) and the one running. */
	struct buf in;
	struct imap_cmd cmd;
	const struct imap_command *running;
	bool busy;		/* an asynchronous command is running */
	bool closing;
	imap_line_fn *on_line;
	imap_literal_fn *on_literal;
	imap_drained_fn *on_drained;
	void (*on_abort)(struct imap_session *s); /* conn gone mid-command */
	void *cmd_ctx;		/* the running command's own state */
	struct auth_request *auth_req;

	/* Selected state. */
	struct imap_selected sel;
	struct imap_view view;
	struct notify_watch *watch;
	bool condstore;		/* CONDSTORE enabled (explicitly or not) */
	bool qresync;		/* ENABLE QRESYNC: VANISHED, not EXPUNGE */
	bool idling;
	bool notified;		/* the folder changed: check it still exists */
};

/* ---- imap-session.c ---- */
struct imap_session *imap_session_new(struct imap_server *srv,
				      struct conn *c);
void imap_session_free(struct imap_session **s);
/* Queues "* BYE <text>", logs the logout and closes. */
void imap_session_bye(struct imap_session *s, const char *text,
		      const char *reason);
/* Queue a response line (CRLF added). Returns conn_write's value. */
int imap_printf(struct imap_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int imap_write(struct imap_session *s, const void *data, size_t len);
/* "<tag> <status> <text>": status "OK", "NO" or "BAD". Sends the pending
 * view updates first for OK/NO in selected state. */
void imap_tagged(struct imap_session *s, const char *status,
		 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Tagged BAD with a count towards IMAP_MAX_BAD_COMMANDS. */
void imap_bad(struct imap_session *s, const char *text);
/* Ends an asynchronous command: clears the command and reads on. */
void imap_cmd_done(struct imap_session *s);
const char *imap_capabilities(const struct imap_session *s);
struct store *imap_store(const struct imap_session *s);

/* ---- imap-select.c ---- */
/* Reads the journal into the view and sends what may be sent now. */
void imap_sync(struct imap_session *s, bool allow_expunge);
/* Leaves the selected folder (no expunge). */
void imap_unselect(struct imap_session *s);
/* Announces the view's pending expunges (EXPUNGE or VANISHED). */
void imap_send_expunges(struct imap_session *s);
/* Keywords (space separated, may be NULL) about to be shown: any the
 * client was not told of yet are added, and FLAGS / PERMANENTFLAGS are
 * sent again (RFC 3501 7.2.6). */
void imap_keywords_seen(struct imap_session *s, const char *keywords);

/* ---- imap-mailbox.c ---- */
/* Client mailbox name (modified UTF-7) -> store name (UTF-8, malloc'd);
 * NULL when it is not valid. */
char *imap_mailbox_decode(const char *wire);
/* Appends a store name as a client mailbox astring (modified UTF-7). */
void imap_mailbox_append(struct buf *out, const char *name);
/* Flags as "\Seen \Answered kw1 kw2" (no parentheses). */
void imap_flags_append(struct buf *out, unsigned int flags,
		       const char *keywords);

/* Appends "name (items)" (STATUS, LIST-STATUS); a store rc. */
int imap_status_append(struct imap_session *s, const char *name,
		       unsigned int items, struct buf *out);

/* ---- imap-copy.c ---- */
/* RENAME INBOX: moves every message of `from` into the new folder `to`. */
int imap_copy_all(struct imap_session *s, const char *from, const char *to);

/* ---- command handlers ---- */
bool imap_handle_capability(struct imap_session *s);
bool imap_handle_noop(struct imap_session *s);
bool imap_handle_logout(struct imap_session *s);
bool imap_handle_starttls(struct imap_session *s);
bool imap_handle_login(struct imap_session *s);
bool imap_handle_authenticate(struct imap_session *s);
bool imap_handle_id(struct imap_session *s);
bool imap_handle_enable(struct imap_session *s);
bool imap_handle_namespace(struct imap_session *s);
bool imap_handle_select(struct imap_session *s);
bool imap_handle_close(struct imap_session *s);
bool imap_handle_unselect(struct imap_session *s);
bool imap_handle_check(struct imap_session *s);
bool imap_handle_expunge(struct imap_session *s);
bool imap_handle_create(struct imap_session *s);
bool imap_handle_delete(struct imap_session *s);
bool imap_handle_rename(struct imap_session *s);
bool imap_handle_subscribe(struct imap_session *s);
bool imap_handle_unsubscribe(struct imap_session *s);
bool imap_handle_status(struct imap_session *s);
bool imap_handle_list(struct imap_session *s);
bool imap_handle_lsub(struct imap_session *s);
bool imap_handle_fetch(struct imap_session *s);
bool imap_handle_store(struct imap_session *s);
bool imap_handle_copy(struct imap_session *s);
bool imap_handle_move(struct imap_session *s);
bool imap_handle_search(struct imap_session *s);
bool imap_handle_idle(struct imap_session *s);
/* APPEND is started from the reader, not the table (streamed literal). */
void imap_append_start(struct imap_session *s);

#endif
