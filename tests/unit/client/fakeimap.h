#ifndef CONFLUX_TESTS_FAKEIMAP_H
#define CONFLUX_TESTS_FAKEIMAP_H

/* An in-process, scripted IMAP server for client tests, served from the
 * test's own loop on 127.0.0.1 (net/listener + conn).
 *
 * Each command is answered by the first unused rule whose `cmd` is a
 * prefix of the command (without its tag), else by a default (CAPABILITY,
 * LOGIN, AUTHENTICATE, ENABLE, NOOP, LOGOUT, IDLE/DONE; anything else
 * gets BAD). In replies, "%T" is the command's tag, "%U" the tag of the
 * command before it and "%V" the one before that. Literals in commands
 * ({n} with "+ go", {n+} without) are read into the logged command. */

#include <stdbool.h>
#include <stddef.h>

#include "net/loop.h"

struct conn;
struct listener;
struct tls_ctx;

struct fake_rule {
	const char *cmd;	/* prefix of the command after the tag */
	const char *reply;	/* CRLF-terminated lines; "" says nothing */
	bool close;		/* close the connection after the reply */
	bool used;
};

struct fake_imap {
	struct loop *loop;
	struct listener *lst;
	struct conn *conn;
	int port;
	const char *greeting;	/* NULL: "* OK fake ready" (no code) */
	const char *caps;	/* CAPABILITY list; NULL: IMAP4rev1 */
	struct tls_ctx *tls;	/* STARTTLS with this context */
	struct fake_rule *rules;
	size_t nrules;
	bool silent;		/* never send anything */
	/* observed */
	char log[16384];	/* every command (without tag), '|' separated */
	bool tls_at_login;
	unsigned int commands;
	/* internal */
	char tags[3][32];
	char idle_tag[32];
	bool awaiting_auth;
	char *pending;		/* a command waiting for its literal */
	size_t pending_len;
	unsigned long long lit_left;
};

void
fake_imap_start(struct fake_imap *f, struct loop *l);
void
fake_imap_stop(struct fake_imap *f);
/* Sends raw bytes now (untagged data at any time). */
void
fake_imap_send(struct fake_imap *f, const char *s);

#endif
