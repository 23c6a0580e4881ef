#ifndef CONFLUX_DRIVER_H
#define CONFLUX_DRIVER_H

/* The mailbox driver interface: the sync engine sees every mailbox (an
 * IMAP account, a POP3 account, the local store, later a peer) only
 * through this vtable, the idea of isync's driver_t.
 *
 * Contract for every operation:
 * - Asynchronous: the result arrives through the callback, always from the
 *   event loop, never from inside the call that started the operation.
 * - Operations may be issued before earlier ones completed (pipelining);
 *   a driver runs them in order and calls their callbacks in order.
 * - Memory passed in stays owned by the caller and must stay valid until
 *   the callback ran. Data passed to callbacks is owned by the driver and
 *   valid during the callback only, unless said otherwise.
 * - Results say what to give up on: DRV_MSG_BAD (skip this message),
 *   DRV_BOX_BAD (skip this folder), DRV_ACCOUNT_BAD (stop this account:
 *   connection, login, protocol or TLS failure). Every non-OK result comes
 *   with a one-line reason from drv_error().
 * - A command that changes the remote (flag store, delete, expunge, QUIT
 *   that commits POP3 DELEs, append) calls crash_point("remote.<verb>")
 *   just before it is sent, so tests can stop the process at each one.
 * - After DRV_ACCOUNT_BAD only destroy() is valid.
 */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct loop;
struct mbox;

enum drv_status {
	DRV_OK = 0,
	DRV_MSG_BAD,		/* this message: skip it, go on */
	DRV_BOX_BAD,		/* this folder: skip the folder */
	DRV_ACCOUNT_BAD,	/* connection/auth/server: stop this account */
	DRV_CANCELED,		/* cancel() was called; no side effect happened */
};

enum drv_caps {
	DRV_CAP_FOLDERS = 1 << 0,	/* more than one folder */
	DRV_CAP_FLAGS = 1 << 1,		/* flags and keywords */
	DRV_CAP_MODSEQ = 1 << 2,	/* CONDSTORE: list changes since a modseq */
	DRV_CAP_VANISHED = 1 << 3,	/* QRESYNC: expunges since a modseq */
	DRV_CAP_UIDPLUS = 1 << 4,	/* UID EXPUNGE of exactly these; APPENDUID */
	DRV_CAP_IDLE = 1 << 5,		/* push notification of changes */
	DRV_CAP_BOUNDED = 1 << 6,	/* mirror: a fixed number of slots */
	DRV_CAP_DELETE_AT_CLOSE = 1 << 7, /* POP3: deletes take effect only
					     when close() succeeds */
};

/* One folder as listed. */
struct drv_folder {
	const char *name;	/* UTF-8, '/' as hierarchy separator */
	const char *special_use; /* "\\Sent" ... or NULL */
	int selectable;
};

/* What open_folder() and status() report. */
struct drv_box_info {
	uint64_t identity;	/* IMAP UIDVALIDITY; POP3: 0 (no such thing) */
	uint32_t count;		/* messages now */
	uint32_t uidnext;	/* IMAP; 0 if unknown */
	uint64_t highestmodseq;	/* 0 without CONDSTORE */
};

/* One message as listed. Strings may be NULL. */
struct drv_msg {
	const char *id;		/* stable id: IMAP UID in decimal, POP3 UIDL,
				   or "fp:<hex>" when a POP3 server has no
				   UIDL (fingerprint of the TOP headers) */
	uint32_t uid;		/* IMAP UID; 0 for POP3 */
	uint32_t seq;		/* message number in this session */
	uint64_t size;		/* RFC822.SIZE / POP3 LIST octets */
	unsigned int flags;	/* enum store_flag bits (FLAGS caps only) */
	const char *keywords;	/* space separated, or NULL */
	const char *message_id;	/* without <>, or NULL when absent */
	time_t internal_date;	/* 0 when unknown */
	uint64_t modseq;	/* CONDSTORE; 0 otherwise */
};

/* What list_msgs() asks for. */
struct drv_list_req {
	uint64_t changed_since;	/* MODSEQ caps: only changes after this
				   modseq (0: everything) */
	uint64_t known_identity; /* with changed_since and VANISHED: the
				   UIDVALIDITY the modseq belongs to */
	int want_message_id;	/* fetch Message-ID when it costs a little */
};

struct drv_msg_list {
	const struct drv_msg *msgs;
	size_t count;
	const uint32_t *vanished; /* UIDs expunged since changed_since */
	size_t nvanished;
	int partial;		/* only changes since changed_since */
};

typedef void drv_cb(enum drv_status st, void *ctx);
typedef void drv_folders_cb(enum drv_status st, const struct drv_folder *f,
			    size_t n, void *ctx);
typedef void drv_open_cb(enum drv_status st, const struct drv_box_info *i,
			 void *ctx);
typedef void drv_msgs_cb(enum drv_status st, const struct drv_msg_list *l,
			 void *ctx);
/* A chunk of message data; return 0 to go on, -1 to abort the fetch
 * (the fetch then ends with DRV_MSG_BAD and the connection stays usable
 * when the protocol allows). Line ends are as the server sent them, POP3
 * dot-stuffing removed. */
typedef int drv_data_cb(const void *data, size_t len, void *ctx);
typedef void drv_uid_cb(enum drv_status st, uint32_t uid, void *ctx);
/* Push: something changed in the open folder (IDLE). */
typedef void drv_event_cb(void *ctx);

/* Account parameters for connect(). The password is only read during
 * connect() and may be wiped once the callback ran. */
struct drv_account {
	const char *host;
	unsigned int port;	/* 0: the protocol's default for tls */
	int tls;		/* enum account_tls */
	const char *login;
	const char *password;
	const char *ca_file;	/* NULL: system CAs */
	const char *pin_sha256;	/* hex leaf fingerprint, or NULL */
	const char *session;	/* log prefix (the account's session id) */
	unsigned int timeout_ms; /* per command; 0: default 60 s */
};

struct mbox_driver {
	const char *name;	/* "imap", "pop3", "store" */
	unsigned int (*caps)(struct mbox *mb);
	/* Connects, negotiates TLS, authenticates. */
	void (*connect)(struct mbox *mb, drv_cb *cb, void *ctx);
	/* Every folder (POP3: just INBOX). */
	void (*list_folders)(struct mbox *mb, drv_folders_cb *cb, void *ctx);
	/* Selects a folder read-write. */
	void (*open_folder)(struct mbox *mb, const char *name,
			    drv_open_cb *cb, void *ctx);
	/* Reports identity (UIDVALIDITY), count, uidnext and highestmodseq
	 * of a folder WITHOUT opening it; may be NULL. Does not change which
	 * folder is open. Same drv_box_info as open_folder (IMAP: STATUS;
	 * highestmodseq 0 without CONDSTORE). DRV_BOX_BAD when the folder
	 * cannot be asked about or the server did not report its identity. */
	void (*status)(struct mbox *mb, const char *name, drv_open_cb *cb,
		       void *ctx);
	void (*list_msgs)(struct mbox *mb, const struct drv_list_req *req,
			  drv_msgs_cb *cb, void *ctx);
	/* Streams the whole message to data(). done() follows the last
	 * chunk. Never marks the message \Seen (BODY.PEEK). */
	void (*fetch)(struct mbox *mb, const struct drv_msg *m,
		      drv_data_cb *data, drv_cb *done, void *ctx);
	/* Adds then removes flags/keywords on one message (FLAGS caps). */
	void (*set_flags)(struct mbox *mb, const struct drv_msg *m,
			  unsigned int add, unsigned int del,
			  const char *add_kw, const char *del_kw,
			  drv_cb *cb, void *ctx);
	/* Deletes these messages. IMAP: \Deleted then UID EXPUNGE of exactly
	 * them (without UIDPLUS: EXPUNGE only when no other message of the
	 * folder carries \Deleted, else leave them flagged). POP3: DELE each;
	 * they are gone only after close() succeeded (DELETE_AT_CLOSE). */
	void (*expunge)(struct mbox *mb, const struct drv_msg *const *ms,
			size_t n, drv_cb *cb, void *ctx);
	/* Appends a message (may be NULL when unsupported); uid 0 when the
	 * server does not say (no APPENDUID). */
	void (*append)(struct mbox *mb, const char *folder, const void *data,
		       size_t len, unsigned int flags, time_t internal_date,
		       drv_uid_cb *cb, void *ctx);
	/* Waits for changes in the open folder (IDLE caps; may be NULL).
	 * changed() may run many times until cancel() or close(). */
	void (*idle)(struct mbox *mb, drv_event_cb *changed, void *ctx);
	/* Ends the session cleanly (IMAP LOGOUT, POP3 QUIT). DRV_OK means the
	 * server acknowledged it: for POP3, the DELEs are now effective. */
	void (*close)(struct mbox *mb, drv_cb *cb, void *ctx);
	/* Stops whatever is pending: their callbacks run with DRV_CANCELED. */
	void (*cancel)(struct mbox *mb);
	/* Frees the mailbox; pending callbacks are not called. NULL ok. */
	void (*destroy)(struct mbox **mb);
	/* The reason for the last non-OK result (valid until the next call). */
	const char *(*error)(struct mbox *mb);
};

/* Every mailbox starts with this, so the engine can reach its vtable. */
struct mbox {
	const struct mbox_driver *drv;
};

/* Constructors. The driver copies what it needs from acct. */
struct mbox *drv_imap_new(struct loop *loop, const struct drv_account *acct);
struct mbox *drv_pop3_new(struct loop *loop, const struct drv_account *acct);

#endif
