#include "lib/utf7.h"

#include <stdint.h>
#include <string.h>

static const char mb64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Printable US-ASCII: never inside a BASE64 run ('&' is "&-"). */
static int
is_printable(uint32_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* ---- UTF-8 ---- */

/* Decodes one code point at s. Returns its length (1-4), or -1 when the
 * sequence is invalid, overlong, a surrogate or above U+10FFFF. */
static int
utf8_decode(const unsigned char *s, uint32_t *cp_r)
{
	static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t cp;
	int len;

	if (s[0] < 0x80) {
		*cp_r = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return -1;
	}
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;	/* also stops at the NUL */
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*cp_r = cp;
	return len;
}

static int
utf8_append(struct buf *out, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(out, b, n);
}

int
utf8_is_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	while (*p != '\0') {
		int n = utf8_decode(p, &cp);

		if (n < 0)
			return 0;
		p += n;
	}
	return 1;
}

/* ---- UTF-8 -> modified UTF-7 ---- */

struct b64_state {
	uint32_t bits;
	int nbits;
};

static int
b64_put16(struct buf *out, struct b64_state *st, unsigned int unit)
{
	st->bits = st->bits << 16 | unit;
	st->nbits += 16;
	while (st->nbits >= 6) {
		st->nbits -= 6;
		if (buf_append_c(out, mb64_alphabet[(st->bits >> st->nbits) &
						    63]) < 0)
			return -1;
	}
	st->bits &= (1u << st->nbits) - 1;
	return 0;
}

static int
b64_put_cp(struct buf *out, struct b64_state *st, uint32_t cp)
{
	if (cp < 0x10000)
		return b64_put16(out, st, cp);
	cp -= 0x10000;
	if (b64_put16(out, st, 0xd800 | cp >> 10) < 0)
		return -1;
	return b64_put16(out, st, 0xdc00 | (cp & 0x3ff));
}

static int
b64_flush(struct buf *out, struct b64_state *st)
{
	if (st->nbits > 0 &&
	    buf_append_c(out, mb64_alphabet[(st->bits << (6 - st->nbits)) &
					    63]) < 0)
		return -1;
	return buf_append_c(out, '-');
}

/* Encodes the run of non-direct characters at *pp; advances *pp. */
static int
encode_run(const unsigned char **pp, struct buf *out)
{
	struct b64_state st = { 0, 0 };
	const unsigned char *p = *pp;
	uint32_t cp;
	int n = 0;

	if (buf_append_c(out, '&') < 0)
		return -1;
	while (*p != '\0' && (n = utf8_decode(p, &cp)) > 0 &&
	       !is_printable(cp)) {
		if (b64_put_cp(out, &st, cp) < 0)
			return -1;
		p += n;
	}
	if (*p != '\0' && n < 0)
		return -1;
	*pp = p;
	return b64_flush(out, &st);
}

static int
from_utf8(const unsigned char *p, struct buf *out)
{
	while (*p != '\0') {
		if (*p == '&') {
			if (buf_append(out, "&-", 2) < 0)
				return -1;
			p++;
		} else if (is_printable(*p)) {
			if (buf_append_c(out, (char)*p++) < 0)
				return -1;
		} else if (encode_run(&p, out) < 0) {
			return -1;
		}
	}
	return buf_append(out, "", 0);
}

int
utf7_from_utf8(const char *utf8, struct buf *out)
{
	size_t start = out->len;

	if (from_utf8((const unsigned char *)utf8, out) < 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

/* ---- modified UTF-7 -> UTF-8 ---- */

static int
mb64_value(unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(mb64_alphabet, c)) == NULL)
		return -1;
	return (int)(p - mb64_alphabet);
}

/* Turns UTF-16 units into code points, pairing surrogates. */
struct u16_state {
	uint32_t high;		/* pending high surrogate, 0 if none */
};

static int
u16_put(struct u16_state *st, unsigned int unit, struct buf *out)
{
	uint32_t cp;

	if (unit >= 0xd800 && unit <= 0xdbff) {
		if (st->high != 0)
			return -1;
		st->high = unit;
		return 0;
	}
	if (unit >= 0xdc00 && unit <= 0xdfff) {
		if (st->high == 0)
			return -1;
		cp = 0x10000 + ((st->high - 0xd800) << 10) + (unit - 0xdc00);
		st->high = 0;
	} else {
		if (st->high != 0)
			return -1;
		cp = unit;
	}
	/* Printable ASCII must not be encoded; U+0000 ends C strings. */
	if (cp == 0 || is_printable(cp))
		return -1;
	return utf8_append(out, cp);
}

/* Decodes the run after '&' at *pp up to and including '-'. */
static int
decode_run(const unsigned char **pp, struct buf *out)
{
	struct u16_state u16 = { 0 };
	const unsigned char *p = *pp;
	uint32_t bits = 0;
	int nbits = 0, v;

	for (; (v = mb64_value(*p)) >= 0; p++) {
		bits = bits << 6 | (uint32_t)v;
		nbits += 6;
		if (nbits >= 16) {
			nbits -= 16;
			if (u16_put(&u16, (bits >> nbits) & 0xffff, out) < 0)
				return -1;
			bits &= (1u << nbits) - 1;
		}
	}
	/* Leftover bits: fewer than 6, all zero, and at least one unit. */
	if (*p != '-' || p == *pp || nbits >= 6 ||
	    (bits & ((1u << nbits) - 1)) != 0 || u16.high != 0)
		return -1;
	*pp = p + 1;
	return 0;
}

static int
to_utf8(const unsigned char *p, struct buf *out)
{
	int after_run = 0;

	while (*p != '\0') {
		if (*p < 0x20 || *p > 0x7e)
			return -1;
		if (*p != '&') {
			if (buf_append_c(out, (char)*p++) < 0)
				return -1;
			after_run = 0;
		} else if (p[1] == '-') {
			if (buf_append_c(out, '&') < 0)
				return -1;
			p += 2;
			after_run = 0;
		} else {
			p++;
			if (after_run || decode_run(&p, out) < 0)
				return -1;
			after_run = 1;
		}
	}
	return buf_append(out, "", 0);
}

int
utf7_to_utf8(const char *mutf7, struct buf *out)
{
	size_t start = out->len;

	if (to_utf8((const unsigned char *)mutf7, out) < 0) {
		buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int
utf7_is_valid(const char *mutf7)
{
	struct buf b;
	int ok;

	buf_init(&b, strlen(mutf7) * 2 + 16);
	ok = utf7_to_utf8(mutf7, &b) == 0;
	buf_free(&b);
	return ok;
}
