#ifndef CONFLUX_TESTS_NETTEST_H
#define CONFLUX_TESTS_NETTEST_H

/* Shared helpers for the net/ unit tests: a bounded loop run, a raw
 * non-blocking socket peer pumped by a timer, a recording conn callback,
 * and a temporary directory with a self-signed certificate. */

#include <stdbool.h>
#include <stddef.h>

#include "net/conn.h"
#include "net/listener.h"
#include "net/loop.h"

#define NT_MAX_LINES 256

/* Runs the loop until loop_break() or ms elapsed; true on timeout. */
bool
nt_run(struct loop *l, unsigned int ms);

/* ---- raw peer ---- */
struct nt_peer {
	int fd;
	char *out;
	size_t out_len, out_off;
	char *in;
	size_t in_len;
	bool reading;	/* read what arrives (else leave it in the kernel) */
	bool eof;
	struct timer *pump;
	/* sampled on every pump: max conn_read_pending_bytes(*watch) */
	struct conn **watch;
	size_t max_pending;
};
/* Connects (blocking) to 127.0.0.1:port, then switches to non-blocking.
 * rcvbuf > 0 sets SO_RCVBUF first. */
void
nt_peer_open(struct nt_peer *p, struct loop *l, int port, int rcvbuf);
void
nt_peer_send(struct nt_peer *p, const void *data, size_t len);
void
nt_peer_send_str(struct nt_peer *p, const char *s);
void
nt_peer_close(struct nt_peer *p);

/* ---- recording session ---- */
struct nt_rec {
	struct loop *loop;
	struct conn *conn;
	char *lines[NT_MAX_LINES];
	size_t nlines;
	unsigned int events[CONN_ERROR + 1];
	char error[256];
	size_t literal_total;
	unsigned int literal_pieces;
	bool literal_last_seen;
	/* break the loop when nlines reaches this (0: never) */
	size_t stop_lines;
	/* break the loop on this event (when stop_on_set) */
	enum conn_event stop_on;
	bool stop_on_set;
	/* optional hook after recording (may act on the conn) */
	void (*hook)(struct nt_rec *r, const struct conn_ev *ev);
	void *user;
};
void
nt_rec_init(struct nt_rec *r, struct loop *l);
void
nt_rec_free(struct nt_rec *r);
void
nt_rec_cb(struct conn *c, const struct conn_ev *ev, void *ctx);
/* A listener accept callback: stores the conn in the nt_rec given as ctx
 * and sets nt_rec_cb on it. */
void
nt_accept(struct conn *c, const char *peer, void *ctx);
/* A plaintext listener on 127.0.0.1:0 delivering to r. */
struct listener *
nt_listen(struct loop *l, struct nt_rec *r, const struct listener_settings *s);

/* ---- certificates ---- */
struct nt_certs {
	char dir[64];
	char cert[128];
	char key[128];
};
void
nt_certs_make(struct nt_certs *c);
void
nt_certs_remove(struct nt_certs *c);

#endif
