#ifndef CONFLUX_IMAP_SERVER_H
#define CONFLUX_IMAP_SERVER_H

/* The IMAP4rev1 server (RFC 3501) with SASL-IR, LITERAL+, ID, ENABLE,
 * IDLE, NAMESPACE, UIDPLUS, MOVE, UNSELECT, CHILDREN, SPECIAL-USE,
 * ESEARCH, BINARY, LIST-EXTENDED, LIST-STATUS, CONDSTORE and QRESYNC.
 * See docs/internals/server.md and server/common/server.h for the shared
 * contract.
 *
 * One imap_server serves every IMAP listener of a daemon (plain port 143
 * with STARTTLS, implicit TLS on 993). It borrows env (and everything env
 * points to) until imap_server_free. Sessions are owned by the server.
 *
 * Behaviour worth knowing (the yardstick is Dovecot 2.3):
 *  - \Recent is always empty ("* 0 RECENT", RECENT 0): the store keeps no
 *    per-session "first to see it" state, RFC 9051 dropped \Recent, and
 *    clients (mbsync, Thunderbird, imaplib) do not depend on it.
 *  - Each selected session keeps its sequence number -> UID map (4 bytes
 *    a message) and applies the store's journal (store_changes_since)
 *    before every tagged reply, and at once during IDLE when notify.h
 *    says the folder changed. EXPUNGE/VANISHED are held back during
 *    FETCH, STORE and SEARCH (RFC 3501 7.4.1) but not their UID forms.
 *  - A mailbox deleted or renamed by another session while selected ends
 *    this session with "* BYE", as Dovecot does.
 *  - CREATE makes the missing parents; LIST shows parents that have no
 *    folder of their own (made by other tools) as \Noselect.
 *  - Idle timeout: server_settings.idle_timeout_ms after login (30 min),
 *    at most 3 min before it; "* BYE Disconnected for inactivity.".
 *  - ENVELOPE strings are cached per server (4 MiB, LRU, keyed by folder,
 *    UIDVALIDITY, UID and size); nothing else is cached.
 *  - Limits: lines 64 KiB, literals 8 KiB before login and 1 MiB after
 *    (APPEND: env->max_message_size, streamed to disk), 20 BAD replies in
 *    a row end the session, LIST patterns over 1 KiB match nothing. */

struct conn;
struct server_env;
struct server_settings;
struct imap_server;

/* env and set are copied (the pointers inside env are borrowed). */
struct imap_server *imap_server_new(const struct server_env *env,
				    const struct server_settings *set);
/* A listener_accept_cb: ctx is the imap_server. Takes over the caller's
 * reference on c. After imap_server_shutdown the conn is closed at once. */
void imap_server_accept(struct conn *c, const char *peer, void *ctx);
/* Sends "* BYE Server shutting down" to every session and closes it. */
void imap_server_shutdown(struct imap_server *s);
/* Frees the server and any session still alive. NULL is a no-op. */
void imap_server_free(struct imap_server **s);
/* Sessions currently open. */
unsigned int imap_server_sessions(const struct imap_server *s);

#endif
