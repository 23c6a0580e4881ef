#include "net/certgen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "lib/xalloc.h"

#define CERT_DAYS 825

static int
ssl_fail(const char *what, char **error_r)
{
	unsigned long e = ERR_get_error();
	char msg[256];

	ERR_error_string_n(e, msg, sizeof(msg));
	*error_r = xasprintf("%s: %s", what, e != 0 ? msg : "failed");
	ERR_clear_error();
	return -1;
}

static int
add_san(X509 *x, const char *hostname)
{
	char *san = xasprintf("DNS:localhost,IP:127.0.0.1,IP:::1%s%s",
			      hostname[0] != '\0' ? ",DNS:" : "", hostname);
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
	free(san);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static X509 *
make_cert(EVP_PKEY *pkey, const char *hostname)
{
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn;

	if (x == NULL)
		return NULL;
	X509_set_version(x, 2);
	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 60L * 60 * 24 * CERT_DAYS);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
				   (const unsigned char *)"conflux", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)(hostname[0] ?
				   hostname : "localhost"), -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (!add_san(x, hostname) || X509_sign(x, pkey, EVP_sha256()) == 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

/* Writes through a private fd so the key is never world-readable, even
 * for an instant. */
static FILE *
open_private(const char *path, mode_t mode, char **error_r)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

static int
close_synced(FILE *f, const char *path, char **error_r)
{
	int ok = fflush(f) == 0 && fsync(fileno(f)) == 0;

	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
certgen_selfsigned(const char *cert_path, const char *key_path,
		   const char *hostname, char **error_r)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = NULL;
	FILE *f;
	int ret = -1;

	if (pkey == NULL)
		return ssl_fail("generating a key", error_r);
	x = make_cert(pkey, hostname);
	if (x == NULL) {
		ssl_fail("making a certificate", error_r);
		goto out;
	}
	if ((f = open_private(key_path, 0600, error_r)) == NULL)
		goto out;
	if (!PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL)) {
		fclose(f);
		ssl_fail(key_path, error_r);
		goto out;
	}
	if (close_synced(f, key_path, error_r) < 0)
		goto out;
	if ((f = open_private(cert_path, 0644, error_r)) == NULL)
		goto out;
	if (!PEM_write_X509(f, x)) {
		fclose(f);
		ssl_fail(cert_path, error_r);
		goto out;
	}
	ret = close_synced(f, cert_path, error_r);
out:
	X509_free(x);
	EVP_PKEY_free(pkey);
	return ret;
}
