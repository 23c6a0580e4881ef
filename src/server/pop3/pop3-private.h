#ifndef CONFLUX_POP3_PRIVATE_H
#define CONFLUX_POP3_PRIVATE_H

/* Shared between the files of the POP3 server; not an API. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "proto/pop3/pop3-cmd.h"
#include "server/common/server.h"
#include "server/common/session-list.h"

struct auth_request;

enum pop3_state {
	POP3_STATE_AUTH,	/* AUTHORIZATION */
	POP3_STATE_TRANS,	/* TRANSACTION */
	POP3_STATE_DONE,	/* after QUIT or a fatal error: closing */
};

/* One message of the listing taken at login (RFC 1939: numbers stay
 * fixed for the whole session). */
struct pop3_msg {
	uint32_t uid;
	uint64_t size;		/* RFC822.SIZE: CRLF line ends */
	bool deleted;		/* DELE'd in this session */
};

/* Turns message file bytes into a POP3 multi-line body: every line end
 * CRLF (bare LF too), a leading '.' doubled; for TOP, stops after the
 * header and max_lines body lines. Pure, so it is unit-tested alone. */
struct pop3_stuff {
	bool bol;		/* at the beginning of a line */
	bool cr;		/* last byte emitted was a CR from the file */
	bool in_body;
	bool done;		/* TOP: enough lines */
	uint64_t line_len;	/* bytes of the current line so far */
	uint64_t body_lines;
	uint64_t max_lines;	/* UINT64_MAX: the whole message */
};

void pop3_stuff_init(struct pop3_stuff *s, uint64_t max_lines);
/* Appends the converted form of in to out (which must have room for
 * 2 * len + 2 more bytes). Stops early once s->done. */
void pop3_stuff_feed(struct pop3_stuff *s, const char *in, size_t len,
		     struct buf *out);
/* The end: CRLF if the last line had none, then ".\r\n". */
void pop3_stuff_end(struct pop3_stuff *s, struct buf *out);

struct pop3_server {
	const struct server_env *env;
	struct server_settings set;
	struct session_list sessions;
	bool shutting_down;
};

struct pop3_session {
	struct pop3_server *srv;
	struct conn *c;
	struct session_link link;	/* in srv->sessions */
	enum pop3_state state;
	char timestamp[320];		/* APOP: <pid.rand@host> */
	char *user;			/* USER name, then the user in */
	bool locked;			/* holds the user's mailbox */
	unsigned int bad;		/* errors in a row */
	bool busy;			/* input paused: auth or a download */
	bool dispatching;		/* inside a command's function */
	bool sasl_wait;		/* AUTH PLAIN waits for its line */
	struct auth_request *auth_req;
	const char *auth_method;
	/* TRANSACTION */
	int64_t folder_id;
	uint32_t uidvalidity;
	struct pop3_msg *msgs;
	uint32_t nmsgs;
	/* RETR/TOP under way */
	int fd;
	struct pop3_stuff stuff;
	struct buf out;
};

/* pop3-server.c. True when no session holds the user's mailbox (RFC
 * 1939: exclusive access); the caller then sets its own `locked`. */
bool pop3_server_lock(struct pop3_server *srv, const char *user);
void pop3_server_remove(struct pop3_server *srv, struct pop3_session *s);

/* pop3-session.c */
struct pop3_session *pop3_session_new(struct pop3_server *srv,
				      struct conn *c);
/* Ends the session: logs out, releases everything, closes the conn. */
void pop3_session_end(struct pop3_session *s, const char *reason);
/* Counts an error reply; too many in a row closes the session. */
void pop3_session_error(struct pop3_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pop3_session_ok(struct pop3_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Resumes reading after an asynchronous step. */
void pop3_session_resume(struct pop3_session *s);
void pop3_session_pause(struct pop3_session *s);

/* pop3-auth.c: AUTHORIZATION state. */
void pop3_cmd_capa(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_stls(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_user(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_pass(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_apop(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_auth(struct pop3_session *s, const struct pop3_cmd *cmd);
/* The line after "+ " of AUTH PLAIN. */
void pop3_auth_continue(struct pop3_session *s, const char *line,
			size_t len);
/* Frees what a session's authentication holds. */
void pop3_auth_cancel(struct pop3_session *s);

/* pop3-cmds.c: TRANSACTION state. */
void pop3_cmd_stat(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_list(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_uidl(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_dele(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_rset(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_noop(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_quit(struct pop3_session *s, const struct pop3_cmd *cmd);
/* Loads INBOX after a successful login; -1 after answering -ERR. */
int pop3_mailbox_open(struct pop3_session *s);
/* The message numbered msg (1-based), or NULL after answering -ERR. */
struct pop3_msg *pop3_msg_get(struct pop3_session *s, uint32_t msg);

/* pop3-fetch.c: RETR and TOP, streamed with back-pressure. */
void pop3_cmd_retr(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_top(struct pop3_session *s, const struct pop3_cmd *cmd);
/* CONN_DRAINED: go on with the download. */
void pop3_fetch_drained(struct pop3_session *s);
void pop3_fetch_abort(struct pop3_session *s);

#endif
