#include "lib/b64.h"

#include <stdint.h>

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
b64_encoded_len(size_t len)
{
	return (len + 2) / 3 * 4;
}

static void
encode_group(const unsigned char *in, size_t n, char out[4])
{
	uint32_t v = (uint32_t)in[0] << 16;

	if (n > 1)
		v |= (uint32_t)in[1] << 8;
	if (n > 2)
		v |= in[2];
	out[0] = b64_alphabet[(v >> 18) & 63];
	out[1] = b64_alphabet[(v >> 12) & 63];
	out[2] = n > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
	out[3] = n > 2 ? b64_alphabet[v & 63] : '=';
}

int
b64_encode(const void *data, size_t len, struct buf *out)
{
	const unsigned char *p = data;
	size_t start = out->len;
	char group[4];

	if (len > (SIZE_MAX - 2) / 4 * 3 ||
	    b64_encoded_len(len) > out->max - out->len)
		return -1;
	for (size_t i = 0; i < len; i += 3) {
		encode_group(p + i, len - i < 3 ? len - i : 3, group);
		if (buf_append(out, group, 4) < 0) {
			buf_truncate(out, start);
			return -1;
		}
	}
	if (len == 0 && buf_append(out, "", 0) < 0)
		return -1;
	return 0;
}

int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes one 4-character group; last says whether padding is allowed.
 * Returns the number of bytes (1-3) or -1. */
static int
decode_group(const char *s, int last, unsigned char out[3])
{
	int v[4], npad = 0;
	uint32_t bits = 0;

	for (int i = 0; i < 4; i++) {
		if (s[i] == '=' && last && i >= 2) {
			npad++;
			v[i] = 0;
		} else if (npad > 0 || (v[i] = b64_value((unsigned char)s[i])) < 0) {
			return -1;
		}
		bits = bits << 6 | (uint32_t)v[i];
	}
	/* Bits that padding leaves unused must be zero (canonical form). */
	if ((npad == 1 && (bits & 0xff) != 0) ||
	    (npad == 2 && (bits & 0xffff) != 0))
		return -1;
	out[0] = (unsigned char)(bits >> 16);
	out[1] = (unsigned char)(bits >> 8);
	out[2] = (unsigned char)bits;
	return 3 - npad;
}

int
b64_decode(const char *s, size_t len, struct buf *out)
{
	size_t start = out->len;
	unsigned char bytes[3];

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int n = decode_group(s + i, i + 4 == len, bytes);

		if (n < 0 || buf_append(out, bytes, (size_t)n) < 0) {
			buf_truncate(out, start);
			return -1;
		}
	}
	if (len == 0 && buf_append(out, "", 0) < 0)
		return -1;
	return 0;
}

int
b64_decode_lenient(const char *s, size_t len, struct buf *out)
{
	char tmp[256];
	size_t t = 0;
	uint32_t acc = 0;
	unsigned int bits = 0;
	int v;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '=') {	/* end of one encoding; another may follow */
			acc = 0;
			bits = 0;
			continue;
		}
		if ((v = b64_value((unsigned char)s[i])) < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits < 8)
			continue;
		bits -= 8;
		tmp[t++] = (char)(acc >> bits);
		acc &= (1u << bits) - 1;
		if (t == sizeof(tmp)) {
			if (buf_append(out, tmp, t) < 0)
				return -1;
			t = 0;
		}
	}
	return buf_append(out, tmp, t);
}
