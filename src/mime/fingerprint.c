#include "mime/fingerprint.h"

#include <sodium.h>
#include <string.h>

#include "lib/xalloc.h"
#include "mime/header.h"

struct fingerprint {
	struct header_reader *hdr;
	crypto_hash_sha256_state sha;
	int body;		/* header done, fields hashed */
	int held_cr;		/* a CR at the end of the last chunk */
};

static const char *const fp_fields[] = { "From", "Date", "Subject" };

struct fingerprint *
fingerprint_new(size_t max_header)
{
	struct fingerprint *fp = xcalloc(1, sizeof(*fp));

	fp->hdr = header_reader_new(max_header);
	crypto_hash_sha256_init(&fp->sha);
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
	sodium_memzero(&fp->sha, sizeof(fp->sha));
	free(fp);
}

static void
hash(struct fingerprint *fp, const char *p, size_t n)
{
	crypto_hash_sha256_update(&fp->sha, (const unsigned char *)p, n);
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
	unsigned char md[crypto_hash_sha256_BYTES];

	if (!fp->body) {
		header_reader_finish(fp->hdr);
		hash_fields(fp);
	}
	if (fp->held_cr) {
		fp->held_cr = 0;
		hash(fp, "\r", 1);
	}
	crypto_hash_sha256_final(&fp->sha, md);
	sodium_bin2hex(hex_r, 65, md, sizeof(md));
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
