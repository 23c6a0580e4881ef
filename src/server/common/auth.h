#ifndef CONFLUX_SERVER_AUTH_H
#define CONFLUX_SERVER_AUTH_H

/* Password checks for the protocol servers, off the event loop.
 *
 * argon2id costs 10-30 ms of CPU, so hashing runs on a small worker pool
 * and the answer comes back through the loop. A verified (user, stored
 * hash, password) triple is remembered for a while under a keyed hash
 * (never the password itself), as Dovecot's auth cache does; changing the
 * password changes the stored hash and so misses the cache.
 *
 * Failures are answered only after a delay (per peer IP, growing with
 * recent failures: 2 s by default, as Dovecot does); after `fail_limit`
 * failures within the window, the IP gets AUTH_BLOCKED at once until the
 * window passes. */

#include <stdint.h>

struct loop;
struct registry;
struct auth;
struct auth_request;

enum auth_result {
	AUTH_OK,
	AUTH_FAILED,	/* unknown user or wrong password (not told apart) */
	AUTH_BLOCKED,	/* too many failures from this IP lately */
	AUTH_TEMPFAIL,	/* database or internal error: try again later */
};

struct auth_settings {
	unsigned int fail_delay_ms;	/* default 2000 */
	unsigned int fail_limit;	/* failures per IP per window; 0: none */
	unsigned int fail_window_s;	/* default 300 */
	unsigned int cache_ttl_s;	/* 0: no cache; default 3600 */
	unsigned int workers;		/* hashing threads; default 2 */
};

struct auth *auth_new(struct loop *l, struct registry *reg,
		      const struct auth_settings *set);
void auth_free(struct auth **a);

/* Called from the loop, never from inside auth_verify*(). user is the
 * name as the registry knows it when AUTH_OK. */
typedef void auth_done_cb(enum auth_result r, void *ctx);

/* Checks a password. The request is owned by auth and ends with the
 * callback; a session that goes away first must auth_cancel() it (the
 * callback then never runs). ip is server_peer_ip(). Copies its strings. */
struct auth_request *auth_verify(struct auth *a, const char *ip,
				 const char *user, const char *password,
				 auth_done_cb *cb, void *ctx);
/* APOP (RFC 1939): digest_hex is MD5(timestamp || secret) in lowercase
 * hex, secret the user's APOP secret (registry_user_get_apop). */
struct auth_request *auth_verify_apop(struct auth *a, const char *ip,
				      const char *user, const char *timestamp,
				      const char *digest_hex,
				      auth_done_cb *cb, void *ctx);
/* NULL is a no-op; *r is set to NULL. */
void auth_cancel(struct auth_request **r);

#endif
