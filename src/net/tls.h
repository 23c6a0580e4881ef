#ifndef CONFLUX_NET_TLS_H
#define CONFLUX_NET_TLS_H

/* TLS contexts: one server context per certificate, one client context per
 * external account (its trust settings).
 *
 * Client verification is always on. By default the peer's chain must lead
 * to a system CA and the certificate must name the host we connected to
 * (DNS name, or IP address for an IP literal). An account may instead name
 * a CA file (replaces the system store), or pin the SHA-256 fingerprint of
 * the leaf certificate (replaces chain and host-name checks: the key is
 * trusted because it is exactly the one pinned). There is no way to accept
 * any certificate.
 *
 * Error strings returned through error_r live in a static buffer that stays
 * valid until the next failing call into this module; copy them to keep. */

#include <stddef.h>

struct tls_ctx;

#define TLS_SHA256_LEN 32

struct tls_client_settings {
	/* PEM file of trusted CAs instead of the system store, or NULL. */
	const char *ca_file;
	/* SHA-256 of the leaf certificate (DER) as 64 hex digits, colons
	 * optional, any case; NULL for chain verification. */
	const char *pin_sha256;
};

/* Server context from PEM files (the cert file may hold the chain).
 * TLS >= 1.2, forward-secret AEAD ciphers, server cipher preference, no
 * renegotiation, no compression. 0 on success, -1 with *error_r. */
int
tls_server_new(const char *cert_file, const char *key_file,
	       struct tls_ctx **ctx_r, const char **error_r);

/* Client context; see the top of this file. 0 on success, -1 with *error_r
 * (unreadable CA file, malformed fingerprint). */
int
tls_client_new(const struct tls_client_settings *set,
	       struct tls_ctx **ctx_r, const char **error_r);

/* Contexts are reference counted: each conn using one holds a reference,
 * so the owner may free it while connections still run. NULL is a no-op;
 * *ctx is set to NULL. */
void
tls_ctx_free(struct tls_ctx **ctx);

/* "AB:CD:..." or "abcd..." -> 32 bytes. 0 on success, -1 when malformed. */
int
tls_fingerprint_parse(const char *hex, unsigned char out[TLS_SHA256_LEN]);

/* SHA-256 fingerprint of the leaf certificate in a PEM file, written as
 * lowercase hex with colons into out (at least 96 bytes). 0 or -1. Used by
 * the CLI to show what to pin, and by tests. */
int
tls_fingerprint_of_file(const char *pem_file, char *out, size_t outlen);

#endif
