#ifndef CONFLUX_IMAPC_H
#define CONFLUX_IMAPC_H

/* An asynchronous IMAP client (RFC 3501/9051 + CONDSTORE, QRESYNC,
 * UIDPLUS, IDLE, ENABLE, SASL-IR, LITERAL+, SPECIAL-USE) on net/conn. It
 * knows nothing of sync: the sync driver, the proxy and the gateway use it.
 * See docs/internals/imap-client.md.
 *
 * Model: every call queues one tagged command (or a few) and returns at
 * once. Commands are pipelined: written as soon as nothing blocks the
 * writer (a synchronising literal waiting for "+", or IDLE), several may
 * be outstanding, and their tagged responses are matched by tag. Untagged
 * data is handled whenever it arrives: data a command asked for (LIST,
 * SEARCH, FETCH, STATUS) goes to that command's callback; the rest
 * (EXISTS, EXPUNGE, VANISHED, FETCH of flag changes) to the event
 * callback.
 *
 * Callbacks always run from the loop, never from inside the call that
 * queued the command. Strings and structs passed to callbacks are valid
 * during the callback only. A callback may call imapc_free().
 *
 * Results: IMAPC_OK; IMAPC_NO / IMAPC_BAD (the server refused; error is
 * its text; the session goes on); IMAPC_FAILED (connection, TLS, timeout,
 * BYE or protocol error: the client is dead, every later command fails
 * the same way); IMAPC_CANCELED (imapc_cancel()). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto/imap/imap-resp.h"
#include "proto/imap/imap-seqset.h"

struct loop;
struct imapc;

enum imapc_tls {
	IMAPC_TLS_IMPLICIT,	/* port 993 */
	IMAPC_TLS_STARTTLS,	/* port 143, TLS required before login */
	IMAPC_TLS_NONE,		/* plaintext: only when configured so */
};

enum imapc_result {
	IMAPC_OK,
	IMAPC_NO,
	IMAPC_BAD,
	IMAPC_FAILED,
	IMAPC_CANCELED,
};

enum imapc_cap {
	IMAPC_CAP_IMAP4REV1 = 1 << 0,
	IMAPC_CAP_IMAP4REV2 = 1 << 1,
	IMAPC_CAP_STARTTLS = 1 << 2,
	IMAPC_CAP_LOGINDISABLED = 1 << 3,
	IMAPC_CAP_AUTH_PLAIN = 1 << 4,
	IMAPC_CAP_SASL_IR = 1 << 5,
	IMAPC_CAP_LITERALPLUS = 1 << 6,
	IMAPC_CAP_LITERALMINUS = 1 << 7,
	IMAPC_CAP_IDLE = 1 << 8,
	IMAPC_CAP_UIDPLUS = 1 << 9,
	IMAPC_CAP_CONDSTORE = 1 << 10,
	IMAPC_CAP_QRESYNC = 1 << 11,
	IMAPC_CAP_ENABLE = 1 << 12,
	IMAPC_CAP_SPECIAL_USE = 1 << 13,
	IMAPC_CAP_LIST_EXTENDED = 1 << 14,
};

struct imapc_settings {
	const char *host;
	unsigned int port;	/* 0: 993 for IMPLICIT, else 143 */
	enum imapc_tls tls;
	const char *login;
	const char *password;	/* copied; wiped after authentication */
	const char *ca_file;	/* NULL: system CAs */
	const char *pin_sha256;	/* NULL: chain + host name */
	const char *session;	/* log prefix; NULL: the conn's id */
	unsigned int timeout_ms; /* server silence while waiting; 0: 60 s */
	size_t max_line;	/* 0: 1 MiB */
	uint64_t max_literal;	/* non-body literals; 0: 1 MiB */
};

typedef void imapc_cb(enum imapc_result r, const char *error, void *ctx);

/* Unsolicited mailbox news. */
enum imapc_event_type {
	IMAPC_EV_EXISTS,	/* count */
	IMAPC_EV_EXPUNGE,	/* seq: later messages are renumbered */
	IMAPC_EV_VANISHED,	/* ranges of UIDs (QRESYNC) */
	IMAPC_EV_FETCH,		/* fetch: flags changed */
};

struct imapc_event {
	enum imapc_event_type type;
	uint32_t seq;
	uint32_t count;
	const struct imap_range *ranges;
	size_t nranges;
	bool earlier;
	const struct imap_fetch *fetch;
};

typedef void imapc_event_cb(const struct imapc_event *ev, void *ctx);

/* The open mailbox, as SELECT reported it. */
struct imapc_box {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint32_t exists;
	uint64_t highestmodseq;
	bool nomodseq;
	bool readonly;
};

struct imapc_select {
	const char *mailbox;	/* modified UTF-7, as the server names it */
	bool condstore;		/* SELECT ... (CONDSTORE) when offered */
	/* QRESYNC (when enabled and both are non-zero) */
	uint32_t uidvalidity;
	uint64_t modseq;
};

typedef void imapc_select_cb(enum imapc_result r, const char *error,
			     const struct imapc_box *box, void *ctx);
typedef void imapc_list_cb(const struct imap_list *l, void *ctx);
/* One FETCH response of a listing; seq is its message number now. */
typedef void imapc_fetch_cb(const struct imap_fetch *f, uint32_t seq,
			    void *ctx);
/* VANISHED (EARLIER) for a UID FETCH ... (CHANGEDSINCE m VANISHED). */
typedef void imapc_vanished_cb(const struct imap_range *r, size_t n,
			       void *ctx);
/* Body bytes exactly as received; 0 to go on, -1 to stop delivering (the
 * command then ends with IMAPC_NO, the connection stays usable). */
typedef int imapc_data_cb(const void *data, size_t len, void *ctx);
typedef void imapc_search_cb(const uint32_t *nums, size_t n, void *ctx);
typedef void imapc_append_cb(enum imapc_result r, const char *error,
			     uint32_t uidvalidity, uint32_t uid, void *ctx);

/* What STATUS reported for one mailbox. An item the server did not send
 * (or sent unparsable) is 0; all are 0 when no STATUS data for the
 * mailbox arrived before the tagged OK. */
struct imapc_status_info {
	uint32_t messages;
	uint32_t uidnext;
	uint32_t uidvalidity;
	uint64_t highestmodseq;
};

/* info is never NULL (all 0 unless r is IMAPC_OK). */
typedef void imapc_status_cb(enum imapc_result r, const char *error,
			     const struct imapc_status_info *info,
			     void *ctx);

/* Nothing happens until imapc_connect(). */
struct imapc *
imapc_new(struct loop *loop, const struct imapc_settings *set);
/* Closes the connection; no callback runs after this. NULL ok. */
void
imapc_free(struct imapc **c);

/* Connects, checks the greeting (OK/PREAUTH/BYE), does STARTTLS when set
 * (and refuses to go on without it), CAPABILITY, LOGIN or AUTHENTICATE
 * PLAIN (SASL-IR when offered; LOGINDISABLED respected), ENABLE QRESYNC
 * or CONDSTORE when offered. cb runs once. NO: authentication refused. */
void
imapc_connect(struct imapc *c, imapc_cb *cb, void *ctx);

unsigned int
imapc_caps(const struct imapc *c);
/* QRESYNC was ENABLEd (then VANISHED and (QRESYNC ...) are usable). */
bool
imapc_qresync(const struct imapc *c);
const char *
imapc_session(const struct imapc *c);
/* The mailbox selected last (valid after its select callback). */
const struct imapc_box *
imapc_box(const struct imapc *c);

void
imapc_set_event_cb(struct imapc *c, imapc_event_cb *cb, void *ctx);

/* LIST ref pattern [RETURN (SPECIAL-USE) when asked and offered]. */
void
imapc_list(struct imapc *c, const char *ref, const char *pattern,
	   bool special_use, imapc_list_cb *each, imapc_cb *done, void *ctx);
void
imapc_select(struct imapc *c, const struct imapc_select *req,
	     imapc_select_cb *cb, void *ctx);
/* STATUS mailbox (MESSAGES UIDNEXT UIDVALIDITY [HIGHESTMODSEQ]), with
 * HIGHESTMODSEQ only when the server has CONDSTORE. mailbox is modified
 * UTF-7 as the server names it; the untagged STATUS data is matched to it
 * byte for byte after unquoting (INBOX in any case), whether it comes back
 * as atom, quoted string or literal. Does not change the selected mailbox
 * nor imapc_box(). */
void
imapc_status(struct imapc *c, const char *mailbox, imapc_status_cb *cb,
	     void *ctx);
/* UID FETCH set (items) [(CHANGEDSINCE m [VANISHED])]: items is the
 * parenthesised list without its parens ("UID FLAGS"); changedsince 0
 * omits the modifier; vanished needs QRESYNC. */
void
imapc_uid_fetch(struct imapc *c, const char *set, const char *items,
		uint64_t changedsince, bool vanished, imapc_fetch_cb *each,
		imapc_vanished_cb *van, imapc_cb *done, void *ctx);
/* UID FETCH uid (UID BODY.PEEK[]): streams the literal to data() in
 * chunks as it arrives. done: OK after the whole message; NO when the
 * server had no such message or data() stopped; FAILED when the
 * connection ended inside the literal (never a partial success). */
void
imapc_fetch_body(struct imapc *c, uint32_t uid, imapc_data_cb *data,
		 imapc_cb *done, void *ctx);
/* UID STORE set op flags: op like "+FLAGS.SILENT", flags "(\Seen a)". */
void
imapc_uid_store(struct imapc *c, const char *set, const char *op,
		const char *flags, imapc_cb *cb, void *ctx);
/* UID SEARCH criteria (e.g. "DELETED"); each() gets all UIDs at once. */
void
imapc_uid_search(struct imapc *c, const char *criteria,
		 imapc_search_cb *each, imapc_cb *done, void *ctx);
/* UID EXPUNGE set (UIDPLUS). */
void
imapc_uid_expunge(struct imapc *c, const char *set, imapc_cb *cb,
		  void *ctx);
/* Plain EXPUNGE: removes EVERY \Deleted message of the mailbox. */
void
imapc_expunge(struct imapc *c, imapc_cb *cb, void *ctx);
/* APPEND mailbox [flags] [date] literal. data is copied. uid/uidvalidity
 * come from APPENDUID, 0 when the server did not say. */
void
imapc_append(struct imapc *c, const char *mailbox, const char *flags,
	     time_t date, const void *data, size_t len, imapc_append_cb *cb,
	     void *ctx);
/* IDLE until imapc_idle_stop() or until another command is queued (DONE is
 * sent first). News arrives through the event callback; done runs when the
 * server ends the IDLE command. */
void
imapc_idle(struct imapc *c, imapc_cb *done, void *ctx);
void
imapc_idle_stop(struct imapc *c);
void
imapc_noop(struct imapc *c, imapc_cb *cb, void *ctx);
/* LOGOUT; OK once the server answered (its BYE is expected). */
void
imapc_logout(struct imapc *c, imapc_cb *cb, void *ctx);

/* Every pending callback runs (from the loop) with IMAPC_CANCELED; queued
 * commands are not sent; responses to sent ones are read and dropped. */
void
imapc_cancel(struct imapc *c);

#endif
