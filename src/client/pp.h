#ifndef CONFLUX_CLIENT_PP_H
#define CONFLUX_CLIENT_PP_H

/* The shared command/response core of the line-protocol clients (curl's
 * "pingpong"): POP3 now, SMTP later. IMAP (tagged) does not use it.
 *
 * A pp owns one struct conn and a FIFO of commands. Each command is a line
 * to send (or none: "expect a response", for a greeting) plus two
 * callbacks: line() gets every response line while the command is at the
 * head of the queue and returns PP_MORE (more lines belong to this
 * response) or PP_DONE (the response ended) or PP_ERROR (protocol
 * violation: the connection is failed; set the reason with pp_fail()).
 * end() runs exactly once per command:
 *   PP_END_DONE    line() returned PP_DONE;
 *   PP_END_FAILED  the connection failed (error says why: closed, timed
 *                  out, I/O or TLS error, protocol violation); the command
 *                  may or may not have reached the server;
 *   PP_END_FREED   pp_free() ran: release ctx, call nothing else.
 *
 * Sending: commands go out in order as soon as the connection is up, at
 * most `window` unanswered at a time (1 = one at a time; a larger window
 * is RFC 2449 PIPELINING / RFC 2920). A PP_CMD_BARRIER command waits until
 * nothing is unanswered, and nothing after it is sent until its response
 * ended (STLS, AUTH, anything that changes the session state).
 *
 * Timeout: while a response is awaited, each received line (and the
 * connect and TLS handshake) must arrive within timeout_ms of the last
 * one; else the connection fails with "timeout ...". A big download is
 * therefore never cut for being slow, only for stalling.
 *
 * Callbacks always run from the loop, never from inside a pp_* call; once
 * a connection failed, commands queued later fail from the loop too. Any
 * callback may call pp_free(): the memory is released once the callback
 * returned. After PP_EV_FAILED only pp_free() is useful. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct conn;
struct connect_settings;
struct loop;
struct pp;
struct tls_ctx;

enum pp_rc { PP_ERROR = -1, PP_MORE = 0, PP_DONE = 1 };
enum pp_end { PP_END_DONE, PP_END_FAILED, PP_END_FREED };
enum pp_event {
	PP_EV_CONNECTED,	/* TCP up (not sent for pp_attach) */
	PP_EV_TLS_DONE,		/* implicit TLS or STARTTLS verified */
	PP_EV_FAILED,		/* after every command's end(FAILED) */
};
enum pp_cmd_flags {
	PP_CMD_BARRIER = 1 << 0,
};

/* line is NUL-terminated, without its line end, valid during the call. */
typedef int pp_line_cb(struct pp *pp, const char *line, size_t len,
		       void *ctx);
/* error: NULL for PP_END_DONE and PP_END_FREED. */
typedef void pp_end_cb(struct pp *pp, enum pp_end how, const char *error,
		       void *ctx);
/* error: NULL except for PP_EV_FAILED. */
typedef void pp_event_cb(struct pp *pp, enum pp_event ev, const char *error,
			 void *ctx);

#define PP_DEFAULT_TIMEOUT_MS 60000

struct pp_settings {
	const char *session;	/* log prefix; copied */
	unsigned int timeout_ms; /* 0: PP_DEFAULT_TIMEOUT_MS */
	size_t max_line;	/* response line cap; 0: conn's default */
	unsigned int window;	/* 0 or 1: no pipelining */
};

struct pp *
pp_new(struct loop *l, const struct pp_settings *set, pp_event_cb *ev,
       void *ctx);
/* Frees the pp and closes its connection. Every queued command gets
 * end(PP_END_FREED) from inside this call. NULL is a no-op; *pp = NULL. */
void
pp_free(struct pp **pp);

/* Connects (connect.h; cs->tls set for implicit TLS). */
void
pp_connect(struct pp *pp, const struct connect_settings *cs);
/* Takes over an open conn (and the caller's reference to it). */
void
pp_attach(struct pp *pp, struct conn *c);

/* Queues a command. line: without CRLF, copied (and wiped when freed, it
 * may hold a password); NULL = send nothing, just read a response (always
 * a barrier). log_line: what the debug log shows instead ("PASS ***");
 * NULL: the line itself. line must not contain CR or LF (fatal). */
void
pp_send(struct pp *pp, const char *line, const char *log_line,
	unsigned int flags, pp_line_cb *line_cb, pp_end_cb *end, void *ctx);

/* Pipelining window from now on (>= 1). */
void
pp_set_window(struct pp *pp, unsigned int window);
/* Response line cap from now on (for bodies with long lines). */
void
pp_set_max_line(struct pp *pp, size_t max_line);

/* From a line() callback, after the server's go-ahead: upgrade to TLS,
 * verifying host. Nothing is sent until PP_EV_TLS_DONE; a TLS failure
 * fails the connection. 0, or -1 (then the connection is failed). */
int
pp_starttls(struct pp *pp, struct tls_ctx *ctx, const char *host);

/* Fails the connection with this reason (the first reason is kept) and
 * returns PP_ERROR, so a line() callback can `return pp_fail(...)`. */
int
pp_fail(struct pp *pp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The failure reason, or NULL while healthy. */
const char *
pp_error(const struct pp *pp);
bool
pp_is_tls(const struct pp *pp);
/* Commands queued and not yet ended. */
size_t
pp_pending(const struct pp *pp);
const char *
pp_session(const struct pp *pp);

#endif
