#include "net/tls.h"
#include "net/net-private.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "lib/log.h"
#include "lib/xalloc.h"

/* TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3 suites are
 * OpenSSL's defaults, all of which are fine. */
#define TLS12_CIPHERS \
	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!eNULL"

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	int refs;
	bool server;
	bool pinned;
	unsigned char pin[TLS_SHA256_LEN];
};

static char tls_errbuf[512];

/* "<what>: <reason>" into the static error buffer. */
static const char *
set_error(const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *
set_error(const char *reason, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (reason != NULL && *reason != '\0')
		snprintf(tls_errbuf, sizeof(tls_errbuf), "%s: %s", what,
			 reason);
	else
		snprintf(tls_errbuf, sizeof(tls_errbuf), "%s", what);
	return tls_errbuf;
}

const char *
tls_log_errors(const char *session, const char *what)
{
	static char first[256];
	unsigned long e;

	first[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		char line[256];

		ERR_error_string_n(e, line, sizeof(line));
		slog_warn(session, "tls: %s: %s", what, line);
		if (first[0] == '\0') {
			const char *r = ERR_reason_error_string(e);

			snprintf(first, sizeof(first), "%s",
				 r != NULL ? r : line);
		}
	}
	ERR_clear_error();
	return first;
}

static struct tls_ctx *
ctx_alloc(const SSL_METHOD *method, bool server)
{
	struct tls_ctx *t = xcalloc(1, sizeof(*t));

	t->ssl_ctx = SSL_CTX_new(method);
	if (t->ssl_ctx == NULL) {
		free(t);
		return NULL;
	}
	t->refs = 1;
	t->server = server;
	SSL_CTX_set_min_proto_version(t->ssl_ctx, TLS1_2_VERSION);
	/* IGNORE_UNEXPECTED_EOF: a peer closing TCP without close_notify is
	 * an ordinary end of stream. Mail protocols delimit their own data,
	 * so truncation is detected above TLS (see conn.md). */
	SSL_CTX_set_options(t->ssl_ctx, SSL_OP_NO_COMPRESSION |
			    SSL_OP_NO_RENEGOTIATION |
			    SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(t->ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(t->ssl_ctx, TLS12_CIPHERS) != 1) {
		SSL_CTX_free(t->ssl_ctx);
		free(t);
		return NULL;
	}
	return t;
}

static int
server_load(struct tls_ctx *t, const char *cert_file, const char *key_file,
	    const char **error_r)
{
	SSL_CTX *ctx = t->ssl_ctx;

	if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		*error_r = set_error(tls_log_errors(NULL, cert_file),
				     "cannot load certificate %s", cert_file);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
		*error_r = set_error(tls_log_errors(NULL, key_file),
				     "cannot load private key %s", key_file);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		*error_r = set_error(tls_log_errors(NULL, key_file),
				     "private key %s does not match the "
				     "certificate", key_file);
		return -1;
	}
	return 0;
}

int
tls_server_new(const char *cert_file, const char *key_file,
	       struct tls_ctx **ctx_r, const char **error_r)
{
	struct tls_ctx *t;

	*ctx_r = NULL;
	t = ctx_alloc(TLS_server_method(), true);
	if (t == NULL) {
		*error_r = set_error(tls_log_errors(NULL, "SSL_CTX_new"),
				     "cannot create TLS server context");
		return -1;
	}
	SSL_CTX_set_options(t->ssl_ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (server_load(t, cert_file, key_file, error_r) < 0) {
		tls_ctx_free(&t);
		return -1;
	}
	*ctx_r = t;
	return 0;
}

/* ---- client ---- */

/* Replaces OpenSSL's whole chain verification when a fingerprint is
 * pinned: the leaf is trusted iff its SHA-256 equals the pin. */
static int
pin_verify(X509_STORE_CTX *xs, void *arg)
{
	const struct tls_ctx *t = arg;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);

	if (leaf == NULL || X509_digest(leaf, EVP_sha256(), md, &mdlen) != 1 ||
	    mdlen != TLS_SHA256_LEN ||
	    CRYPTO_memcmp(md, t->pin, TLS_SHA256_LEN) != 0) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	X509_STORE_CTX_set_error(xs, X509_V_OK);
	return 1;
}

static int
client_trust(struct tls_ctx *t, const struct tls_client_settings *set,
	     const char **error_r)
{
	if (set->pin_sha256 != NULL) {
		if (tls_fingerprint_parse(set->pin_sha256, t->pin) < 0) {
			*error_r = set_error(NULL, "malformed SHA-256 "
					     "fingerprint '%s'",
					     set->pin_sha256);
			return -1;
		}
		t->pinned = true;
		SSL_CTX_set_cert_verify_callback(t->ssl_ctx, pin_verify, t);
		return 0;
	}
	if (set->ca_file != NULL) {
		if (SSL_CTX_load_verify_locations(t->ssl_ctx, set->ca_file,
						  NULL) != 1) {
			*error_r = set_error(tls_log_errors(NULL,
							    set->ca_file),
					     "cannot load CA file %s",
					     set->ca_file);
			return -1;
		}
		return 0;
	}
	if (SSL_CTX_set_default_verify_paths(t->ssl_ctx) != 1) {
		*error_r = set_error(tls_log_errors(NULL, "CA store"),
				     "cannot load the system CA store");
		return -1;
	}
	return 0;
}

int
tls_client_new(const struct tls_client_settings *set,
	       struct tls_ctx **ctx_r, const char **error_r)
{
	static const struct tls_client_settings defaults = { NULL, NULL };
	struct tls_ctx *t;

	*ctx_r = NULL;
	t = ctx_alloc(TLS_client_method(), false);
	if (t == NULL) {
		*error_r = set_error(tls_log_errors(NULL, "SSL_CTX_new"),
				     "cannot create TLS client context");
		return -1;
	}
	SSL_CTX_set_verify(t->ssl_ctx, SSL_VERIFY_PEER, NULL);
	if (client_trust(t, set != NULL ? set : &defaults, error_r) < 0) {
		tls_ctx_free(&t);
		return -1;
	}
	*ctx_r = t;
	return 0;
}

struct tls_ctx *
tls_ctx_ref(struct tls_ctx *t)
{
	t->refs++;
	return t;
}

void
tls_ctx_free(struct tls_ctx **tp)
{
	struct tls_ctx *t = *tp;

	if (t == NULL)
		return;
	*tp = NULL;
	if (--t->refs > 0)
		return;
	SSL_CTX_free(t->ssl_ctx);
	free(t);
}

bool
tls_ctx_is_server(const struct tls_ctx *t)
{
	return t->server;
}

/* ---- per connection ---- */

static bool
is_ip_literal(const char *host)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, host, tmp) == 1 ||
	       inet_pton(AF_INET6, host, tmp) == 1;
}

static int
client_ssl_setup(SSL *ssl, const struct tls_ctx *t, const char *host)
{
	if (host == NULL)
		return t->pinned ? 0 : -1;
	if (is_ip_literal(host))
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
						     host) == 1 ? 0 : -1;
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set1_host(ssl, host) != 1 ||
	    SSL_set_tlsext_host_name(ssl, host) != 1)
		return -1;
	return 0;
}

SSL *
tls_ssl_new(struct tls_ctx *t, const char *host, const char *session)
{
	SSL *ssl = SSL_new(t->ssl_ctx);

	if (ssl == NULL) {
		tls_log_errors(session, "SSL_new");
		return NULL;
	}
	if (!t->server && client_ssl_setup(ssl, t, host) < 0) {
		slog_error(session, "tls: cannot set up verification of %s",
			   host != NULL ? host : "(no host name)");
		tls_log_errors(session, "SSL_set1_host");
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

const char *
tls_verify_error(SSL *ssl, const char *host)
{
	long r = SSL_get_verify_result(ssl);

	switch (r) {
	case X509_V_OK:
		return NULL;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return set_error(NULL, "certificate verify failed: host name "
				 "mismatch (expected %s)",
				 host != NULL ? host : "?");
	case X509_V_ERR_APPLICATION_VERIFICATION:
		return set_error(NULL, "pinned fingerprint mismatch");
	default:
		return set_error(X509_verify_cert_error_string(r),
				 "certificate verify failed");
	}
}

/* ---- fingerprints ---- */

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int
tls_fingerprint_parse(const char *hex, unsigned char out[TLS_SHA256_LEN])
{
	size_t n = 0;

	for (const char *p = hex; *p != '\0'; p++) {
		int v;

		if (*p == ':' && n % 2 == 0 && n > 0 && p[1] != '\0')
			continue;
		v = hexval(*p);
		if (v < 0 || n >= 2 * TLS_SHA256_LEN)
			return -1;
		if (n % 2 == 0)
			out[n / 2] = (unsigned char)(v << 4);
		else
			out[n / 2] |= (unsigned char)v;
		n++;
	}
	return n == 2 * TLS_SHA256_LEN ? 0 : -1;
}

int
tls_fingerprint_of_file(const char *pem_file, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	X509 *x = NULL;
	FILE *f = fopen(pem_file, "r");

	if (f == NULL)
		return -1;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL || X509_digest(x, EVP_sha256(), md, &mdlen) != 1 ||
	    outlen < mdlen * 3) {
		X509_free(x);
		tls_log_errors(NULL, pem_file);
		return -1;
	}
	X509_free(x);
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(out + i * 3, outlen - i * 3, i + 1 < mdlen ?
			 "%02x:" : "%02x", md[i]);
	return 0;
}
