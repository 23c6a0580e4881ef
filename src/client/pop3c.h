#ifndef CONFLUX_CLIENT_POP3C_H
#define CONFLUX_CLIENT_POP3C_H

/* An asynchronous POP3 client (RFC 1939, RFC 2449 CAPA/PIPELINING/
 * RESP-CODES, RFC 2595 STLS, RFC 5034 AUTH PLAIN) on the pingpong core
 * (client/pp.h). It knows nothing about sync: the proxy and the gateway
 * use it as well as sync/drv-pop3.c. See docs/internals/pop3-client.md.
 *
 * Usage: pop3c_new(), pop3c_connect(); once its callback reported
 * POP3C_OK, issue any number of operations: they are queued, sent in
 * order (pipelined when the server advertises PIPELINING) and their
 * callbacks run in order, always from the loop, never from inside the
 * call. Calling an operation before pop3c_connect() succeeded is a bug
 * (fatal). After a POP3C_FAILED result every later operation fails too.
 *
 * Any callback may call pop3c_free(); callbacks of operations still
 * queued are then not called.
 *
 * The password is kept only until the login finished and is wiped then;
 * it never appears in a log line ("PASS ***"). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/pop3/pop3-resp.h"

struct loop;
struct pop3c;
struct tls_ctx;

enum pop3c_tls {
	POP3C_TLS_IMPLICIT,	/* POP3S, port 995 */
	POP3C_TLS_STARTTLS,	/* STLS; fails rather than go on in clear */
	POP3C_TLS_NONE,
};

enum pop3c_auth {
	POP3C_AUTH_AUTO,	/* AUTH PLAIN if offered, else USER/PASS */
	POP3C_AUTH_PLAIN,
	POP3C_AUTH_USER,
	POP3C_AUTH_APOP,	/* needs a greeting timestamp */
};

struct pop3c_settings {
	const char *host;
	unsigned int port;	/* 0: 995 for implicit TLS, else 110 */
	enum pop3c_tls tls;
	const char *ca_file;	/* NULL: system CAs */
	const char *pin_sha256;	/* leaf fingerprint, replaces CA checks */
	const char *login;
	const char *password;
	enum pop3c_auth auth;
	const char *session;	/* log prefix */
	unsigned int timeout_ms; /* progress timeout; 0: 60 s */
	unsigned int window;	/* pipelining window; 0: 16 */
	size_t max_body_line;	/* longest message line; 0: 1 MiB */
	uint32_t max_msgs;	/* longest listing; 0: 500000 */
};

enum pop3c_result {
	POP3C_OK,
	POP3C_ERR,	/* the server said -ERR; the session goes on */
	POP3C_INVALID,	/* the answer broke the rules (bad listing line,
			   duplicate UIDL); the session goes on */
	POP3C_ABORTED,	/* a data callback returned -1; the session goes on */
	POP3C_FAILED,	/* connection, TLS, login or protocol failure: the
			   session is gone */
};

struct pop3c_reply {
	enum pop3c_result result;
	/* +OK/-ERR text, or what went wrong; never NULL. */
	const char *text;
	/* RFC 2449 response code ("IN-USE", "SYS/TEMP"), or "". */
	const char *code;
};

struct pop3c_size {
	uint32_t msgno;
	uint64_t size;
};

struct pop3c_uid {
	uint32_t msgno;
	char uidl[POP3_UIDL_MAX + 1];
};

typedef void pop3c_cb(struct pop3c *pc, const struct pop3c_reply *r,
		      void *ctx);
typedef void pop3c_stat_cb(struct pop3c *pc, const struct pop3c_reply *r,
			   uint32_t count, uint64_t size, void *ctx);
/* The lists are owned by the client, valid during the callback, in the
 * server's order. */
typedef void pop3c_list_cb(struct pop3c *pc, const struct pop3c_reply *r,
			   const struct pop3c_size *l, size_t n, void *ctx);
typedef void pop3c_uidl_cb(struct pop3c *pc, const struct pop3c_reply *r,
			   const struct pop3c_uid *l, size_t n, void *ctx);
/* A piece of a message (dot-stuffing removed, every line ending in CRLF).
 * 0 to go on, -1 to stop: the rest is read and dropped, and the command
 * ends with POP3C_ABORTED. */
typedef int pop3c_data_cb(struct pop3c *pc, const char *data, size_t len,
			  void *ctx);

/* Copies what it needs from set (password included). */
struct pop3c *
pop3c_new(struct loop *l, const struct pop3c_settings *set);
/* NULL is a no-op; *pc is set to NULL. Closes without QUIT: the server
 * then applies no DELE (RFC 1939 section 6). */
void
pop3c_free(struct pop3c **pc);

/* Connects, reads the greeting, CAPA, TLS, login, CAPA again. POP3C_OK
 * once logged in; any other result means the session is unusable. */
void
pop3c_connect(struct pop3c *pc, pop3c_cb *cb, void *ctx);

void
pop3c_stat(struct pop3c *pc, pop3c_stat_cb *cb, void *ctx);
void
pop3c_list(struct pop3c *pc, pop3c_list_cb *cb, void *ctx);
/* POP3C_INVALID when a line is malformed, a number repeats, or two
 * messages share a UIDL ("server listed UIDL X twice (messages 3 and
 * 7)"); the list is still given. */
void
pop3c_uidl(struct pop3c *pc, pop3c_uidl_cb *cb, void *ctx);
/* TOP msgno lines: the header plus `lines` body lines. */
void
pop3c_top(struct pop3c *pc, uint32_t msgno, unsigned int lines,
	  pop3c_data_cb *data, pop3c_cb *done, void *ctx);
/* RETR, streamed: memory stays bounded whatever the message size. */
void
pop3c_retr(struct pop3c *pc, uint32_t msgno, pop3c_data_cb *data,
	   pop3c_cb *done, void *ctx);
void
pop3c_dele(struct pop3c *pc, uint32_t msgno, pop3c_cb *cb, void *ctx);
void
pop3c_rset(struct pop3c *pc, pop3c_cb *cb, void *ctx);
void
pop3c_noop(struct pop3c *pc, pop3c_cb *cb, void *ctx);
/* QUIT. POP3C_OK only on +OK: then the server committed the DELEs. */
void
pop3c_quit(struct pop3c *pc, pop3c_cb *cb, void *ctx);

/* What the server advertised (after the last CAPA of the login), and
 * whether CAPA itself worked. */
const struct pop3_capa *
pop3c_capa(const struct pop3c *pc);
bool
pop3c_capa_known(const struct pop3c *pc);
bool
pop3c_is_tls(const struct pop3c *pc);
/* The last failure as one line ("RETR 3: -ERR [SYS/TEMP] busy"), or "". */
const char *
pop3c_error(const struct pop3c *pc);

#endif
