#ifndef CONFLUX_NET_CONN_PRIVATE_H
#define CONFLUX_NET_CONN_PRIVATE_H

/* The inside of struct conn, shared by conn.c (lifetime, events, close,
 * timeouts), conn-io.c (reading and writing) and conn-tls.c (TLS). */

#include "net/conn.h"
#include "net/net-private.h"

#include <stdint.h>

/* How long a graceful close may take in total, and how long we wait for
 * the peer's EOF after our half-close. */
#define CONN_CLOSE_TIMEOUT_MS 10000
#define CONN_LINGER_MS 2000
/* Socket-level buffers under a TLS filter. */
#define CONN_TLS_SOCK_BUF (64 * 1024)

enum conn_phase {
	CONN_PHASE_CONNECTING,	/* outbound, TCP not yet up */
	CONN_PHASE_OPEN,
	CONN_PHASE_FLUSH,	/* conn_close: sending what is queued */
	CONN_PHASE_SOCK_FLUSH,	/* ... and the TLS close_notify */
	CONN_PHASE_LINGER,	/* half-closed, waiting for the peer's EOF */
	CONN_PHASE_DEAD,	/* socket released */
};

enum conn_read_mode {
	CONN_READ_NONE,
	CONN_READ_LINE,
	CONN_READ_LITERAL,
};

struct conn {
	int refs;
	enum conn_phase phase;
	struct loop *loop;
	struct conn *loop_prev, *loop_next;	/* every conn of the loop */
	struct bufferevent *sock;	/* owns the fd */
	struct bufferevent *bev;	/* top: sock, or the TLS filter on it */
	SSL *ssl;			/* owned by the filter */
	struct tls_ctx *tls;		/* our reference */
	char *tls_host;
	bool handshaking;

	conn_cb *cb;
	void *cb_ctx;
	char sid[13];
	char *peer;

	enum conn_read_mode mode;
	size_t max_line;
	uint64_t lit_left;
	size_t lit_chunk;
	bool discarding;	/* inside an over-long line */
	char *scratch;		/* one line or literal piece */
	size_t scratch_cap;
	struct event *process_ev;	/* deliver buffered input */

	size_t wlow, whigh;
	bool write_blocked;

	struct timer *idle_timer;
	struct timer *total_timer;
	struct timer *close_timer;	/* connect timeout, close/linger */
	unsigned int idle_ms;
	unsigned int timeout_gen;

	/* outbound */
	struct tls_ctx *connect_tls;	/* implicit TLS after connect */

	uint64_t bytes_in, bytes_out;
	struct evbuffer_cb_entry *in_count_cb;
	conn_release_cb *release_cb;
	void *release_ctx;
};

/* conn.c */
void
conn_emit(struct conn *c, enum conn_event type, const char *error);
/* A whole event (CONN_LINE_TOO_LONG with the line's first bytes). */
void
conn_emit_event(struct conn *c, const struct conn_ev *ev);
void
conn_emit_data(struct conn *c, enum conn_event type, const char *data,
	       size_t len, bool last);
/* Releases the socket now; then CONN_CLOSED/CONN_ERROR when type is one
 * of them and the conn is not closing (type CONN_CONNECTED = no event). */
void
conn_die(struct conn *c, enum conn_event type, const char *error);
void
conn_install_bev(struct conn *c, struct bufferevent *bev);
void
conn_idle_touch(struct conn *c);
/* A write-side step of a graceful close may be possible now. */
void
conn_io_close_progress(struct conn *c);
void
conn_connect_timeout(struct conn *c, unsigned int msecs);

/* conn-io.c */
void
conn_io_readcb(struct bufferevent *bev, void *arg);
void
conn_io_writecb(struct bufferevent *bev, void *arg);
void
conn_process_input(struct conn *c);
void
conn_schedule_input(struct conn *c);
void
conn_update_read_wm(struct conn *c);
void
conn_discard_input(struct conn *c, const char *why);

#endif
