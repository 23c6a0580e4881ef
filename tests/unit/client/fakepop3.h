#ifndef CONFLUX_TESTS_FAKEPOP3_H
#define CONFLUX_TESTS_FAKEPOP3_H

/* An in-process POP3 server for client tests, served from the test's own
 * loop on 127.0.0.1 (net/listener + conn). Each flag bends one rule. */

#include <stdbool.h>
#include <stddef.h>

#include "net/loop.h"

struct conn;
struct listener;
struct tls_ctx;

struct fake_msg {
	const char *uidl;
	const char *text;	/* LF line ends; sent as CRLF, dot-stuffed */
};

struct fake_pop3 {
	struct loop *loop;
	struct listener *lst;
	struct conn *conn;
	int port;
	/* behaviour */
	const char *greeting;	/* NULL: "+OK fake ready <42.7@fake>" */
	const char *user, *pass;
	bool capa_err, uidl_err, top_err, pipelining, sasl_plain, no_user;
	bool bare_lf, hang, drop_in_retr, drop_at_quit;
	struct tls_ctx *stls;	/* offer STLS with this context */
	bool stls_err;
	unsigned int batch;	/* answer RETRs only once this many wait */
	const struct fake_msg *msgs;
	size_t nmsgs;

	size_t big_size;	/* >0: message 1 is this many bytes of 'x' lines */
	/* observed */
	bool deleted[32];
	bool committed;
	unsigned int connections;
	char log[4096];		/* every command line, '|' separated */
	/* internal */
	bool tls_on;
	unsigned int waiting;
	unsigned int queued[16];
};

void
fake_start(struct fake_pop3 *f, struct loop *l);
void
fake_stop(struct fake_pop3 *f);

#endif
