#ifndef CONFLUX_NET_CONN_H
#define CONFLUX_NET_CONN_H

/* struct conn: one TCP connection (inbound from a listener, or outbound
 * from connect.c), optionally with TLS, seen by protocol code as lines,
 * byte-counted literals and events. See docs/internals/conn.md.
 *
 * Events (struct conn_ev.type):
 *   CONN_LINE           a complete line; data/len hold it WITHOUT the CRLF
 *                       or bare LF, NUL-terminated, valid during the
 *                       callback only.
 *   CONN_LINE_TOO_LONG  a line grew past max_line. data/len hold its
 *                       first bytes (at most 64: enough for a tag). The
 *                       bytes read so far are discarded, and so is the
 *                       rest of that line up to its LF (without another
 *                       event). Reading then
 *                       goes on with the next line. Answer with a protocol
 *                       error, or conn_close().
 *   CONN_LITERAL        a piece of a byte-counted read (conn_read_literal);
 *                       `last` is true on the final piece. After the final
 *                       piece the conn is back in line mode.
 *   CONN_DRAINED        the write queue went above the high-water mark
 *                       and has now drained to the low-water mark.
 *   CONN_CONNECTED      outbound: TCP connection established.
 *   CONN_TLS_DONE       TLS handshake finished (and, as a client, the
 *                       peer's certificate verified).
 *   CONN_TIMEOUT        idle or session timeout (error says which). If the
 *                       callback neither closes the conn nor re-arms the
 *                       timeouts, the conn is closed after it returns.
 *   CONN_CLOSED         the peer closed the connection (EOF).
 *   CONN_ERROR          I/O, TLS, DNS, connect or verification error; error
 *                       says what.
 * After CONN_CLOSED and CONN_ERROR the socket is gone: no more events
 * follow, writes are dropped; the owner drops its reference.
 *
 * Lifetime: the creator gets one reference. conn_unref() of the last
 * reference closes the conn (as conn_close) and frees it once the close
 * has finished. It is safe to close or unref a conn inside its own
 * callback: the memory stays valid until the callback returns. After
 * conn_close() no further callbacks are made.
 *
 * Input is only delivered from the loop: a call made here never calls the
 * callback from inside itself. */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct tls_ctx;

enum conn_event {
	CONN_LINE,
	CONN_LINE_TOO_LONG,
	CONN_LITERAL,
	CONN_DRAINED,
	CONN_CONNECTED,
	CONN_TLS_DONE,
	CONN_TIMEOUT,
	CONN_CLOSED,
	CONN_ERROR,
};

struct conn_ev {
	enum conn_event type;
	const char *data;	/* LINE, LITERAL; else NULL */
	size_t len;
	bool last;		/* LITERAL: final piece */
	const char *error;	/* TIMEOUT, ERROR: a readable reason */
};

typedef void conn_cb(struct conn *c, const struct conn_ev *ev, void *ctx);

#define CONN_DEFAULT_MAX_LINE 8192
#define CONN_DEFAULT_WRITE_LOW (64 * 1024)
#define CONN_DEFAULT_WRITE_HIGH (256 * 1024)

/* Sets the event callback. Until it is set nothing is read. */
void
conn_set_callback(struct conn *c, conn_cb *cb, void *ctx);

void
conn_ref(struct conn *c);
/* NULL is a no-op; *c is set to NULL. */
void
conn_unref(struct conn **c);

/* Graceful close: stop reading, send what is queued (and a TLS
 * close_notify), half-close, wait briefly for the peer's EOF so it gets
 * every byte, then release the socket. No callbacks after this call. */
void
conn_close(struct conn *c);
bool
conn_is_closing(const struct conn *c);

/* ---- reading ---- */

/* Line mode (the default, with CONN_DEFAULT_MAX_LINE): deliver each line
 * as CONN_LINE. max_line counts the bytes before the line end. Buffered
 * input never grows much beyond max_line + 16 KiB. */
void
conn_read_line(struct conn *c, size_t max_line);
/* Byte-counted read of `size` bytes (IMAP {n}), delivered as CONN_LITERAL
 * pieces of exactly min(chunk, remaining) bytes each; chunk >= size gives
 * one piece with the whole literal. The caller bounds chunk (it is held in
 * memory). size 0 gives one empty final piece. Called from a CONN_LINE
 * callback, the literal starts right after that line. */
void
conn_read_literal(struct conn *c, uint64_t size, size_t chunk);
/* Stop delivering input (it stays buffered, bounded, and the peer is
 * throttled by TCP) until conn_read_line() or conn_read_literal(). */
void
conn_read_pause(struct conn *c);
/* Bytes received and not yet delivered (tests, diagnostics). */
size_t
conn_read_pending_bytes(const struct conn *c);

/* ---- writing ---- */

/* Queue bytes. 0 when queued, 1 when queued and the queue is now above the
 * high-water mark (stop producing until CONN_DRAINED; input is not
 * delivered meanwhile), -1 when the conn is not open (outbound and not yet
 * connected, closing, or dead): nothing queued. */
int
conn_write(struct conn *c, const void *data, size_t len);
/* s + "\r\n". */
int
conn_write_line(struct conn *c, const char *s);
int
conn_printf(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int
conn_vprintf(struct conn *c, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Queued bytes not yet handed to the kernel (plaintext and TLS records). */
size_t
conn_write_pending_bytes(const struct conn *c);
/* low < high; defaults CONN_DEFAULT_WRITE_LOW/HIGH. */
void
conn_set_watermarks(struct conn *c, size_t low, size_t high);

/* ---- TLS ---- */

/* In-session upgrade (STARTTLS). Call after queueing the plaintext reply
 * that tells the peer to start TLS ("OK Begin TLS"); that reply is still
 * sent in clear. Every byte received but not yet delivered is discarded
 * (and logged): nothing sent in clear may be read as if it came through
 * TLS. CONN_TLS_DONE or CONN_ERROR follow. The conn takes its own
 * reference on ctx. 0 on success, -1 (logged) when TLS is already on or
 * the SSL object cannot be made. */
int
conn_starttls_server(struct conn *c, struct tls_ctx *ctx);
/* Client side; host is the name to verify (the one we connected to). */
int
conn_starttls_client(struct conn *c, struct tls_ctx *ctx, const char *host);
/* True while the socket is alive and TLS was started on it. */
bool
conn_is_tls(const struct conn *c);

/* ---- timeouts (milliseconds, 0 = none) ---- */

/* idle: no byte read from or written to the peer for that long; total:
 * since this call. Each call re-arms both. */
void
conn_set_timeouts(struct conn *c, unsigned int idle_ms,
		  unsigned int total_ms);

/* ---- identity and counters ---- */

/* 12-character id used in every log line of this conn. */
const char *
conn_session_id(const struct conn *c);
/* Peer address: "192.0.2.1:143", "[2001:db8::1]:143", or host:port for
 * an outbound conn. */
const char *
conn_peer(const struct conn *c);
/* Plaintext bytes received from / queued to the peer (TLS records and
 * handshakes not counted). */
uint64_t
conn_bytes_in(const struct conn *c);
uint64_t
conn_bytes_out(const struct conn *c);

#endif
