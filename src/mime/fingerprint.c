#include "mime/fingerprint.h"

#include <string.h>

/* OpenSSL's SHA-256 uses the CPU's SHA extensions where there are any:
 * five times libsodium's portable code here, and every byte of every
 * fetched or delivered message goes through it. */
#include <openssl/evp.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "mime/header.h"

struct fingerprint {
	struct header_reader *hdr;
	EVP_MD_CTX *sha;
	int body;		/* header done, fields hashed */
	int held_cr;		/* a CR at the end of the last chunk */
};

static const char *const fp_fields[] = { "From", "Date", "Subject" };

struct fingerprint *
fingerprint_new(size_t max_header)
{
	struct fingerprint *fp = xcalloc(1, sizeof(*fp));

	fp->hdr = header_reader_new(max_header);
	fp->sha = EVP_MD_CTX_new();
	if (fp->sha == NULL || EVP_DigestInit_ex(fp->sha, EVP_sha256(),
						 NULL) != 1)
		fatal("fingerprint: cannot set up SHA-256");
	return fp;
}

void
fingerprint_free(struct fingerprint **fpp)
{
	struct fingerprint *fp = *fpp;

	if (fp == NULL)
		return;
	*fpp = NULL;
	header_reader_free(&fp->hdr);
	EVP_MD_CTX_free(fp->sha);
	free(fp);
}

static void
hash(struct fingerprint *fp, const char *p, size_t n)
{
	if (n > 0 && EVP_DigestUpdate(fp->sha, p, n) != 1)
		fatal("fingerprint: SHA-256 update failed");
}

static void
hash_fields(struct fingerprint *fp)
{
	for (size_t i = 0; i < sizeof(fp_fields) / sizeof(*fp_fields); i++) {
		char *v = header_reader_get(fp->hdr, fp_fields[i]);

		if (v != NULL)
			hash(fp, v, strlen(v));
		hash(fp, "\n", 1);
		free(v);
	}
	fp->body = 1;
}

/* Hashes body bytes with CRLF -> LF. A CR is held back until the next byte
 * shows whether it starts a CRLF, possibly in the next chunk. */
static void
hash_body(struct fingerprint *fp, const char *p, size_t n)
{
	size_t start = 0;

	if (n > 0 && fp->held_cr) {
		fp->held_cr = 0;
		if (p[0] != '\n')
			hash(fp, "\r", 1);
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\r')
			continue;
		hash(fp, p + start, i - start);
		start = i + 1;
		if (i + 1 == n)
			fp->held_cr = 1;
		else if (p[i + 1] != '\n')
			hash(fp, "\r", 1);
	}
	hash(fp, p + start, n - start);
}

void
fingerprint_feed(struct fingerprint *fp, const void *data, size_t len)
{
	const char *p = data;
	size_t used = 0;

	if (!fp->body) {
		used = header_reader_feed(fp->hdr, p, len);
		if (!header_reader_done(fp->hdr))
			return;
		hash_fields(fp);
	}
	hash_body(fp, p + used, len - used);
}

void
fingerprint_finish(struct fingerprint *fp, char hex_r[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int len = 0;

	if (!fp->body) {
		header_reader_finish(fp->hdr);
		hash_fields(fp);
	}
	if (fp->held_cr) {
		fp->held_cr = 0;
		hash(fp, "\r", 1);
	}
	if (EVP_DigestFinal_ex(fp->sha, md, &len) != 1 || len != sizeof(md))
		fatal("fingerprint: SHA-256 final failed");
	for (size_t i = 0; i < sizeof(md); i++) {
		hex_r[2 * i] = hex[md[i] >> 4];
		hex_r[2 * i + 1] = hex[md[i] & 15];
	}
	hex_r[64] = '\0';
}

const struct header_reader *
fingerprint_header(const struct fingerprint *fp)
{
	return fp->hdr;
}

void
fingerprint_of(const void *data, size_t len, size_t max_header,
	       char hex_r[65])
{
	struct fingerprint *fp = fingerprint_new(max_header);

	fingerprint_feed(fp, data, len);
	fingerprint_finish(fp, hex_r);
	fingerprint_free(&fp);
}
