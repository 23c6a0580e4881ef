#include "mime/rfc2047.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/b64.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

#define CS_MAX 64		/* charset name, without the language */
#define CS_TOKEN_MAX 128	/* charset*language */
#define CONV_CACHE 4		/* charsets kept open per call */
#define CONV_MAX_OPENS 32	/* iconv_open calls per call */
#define ICONV_CHUNK 1024
#define NEEDLE_STACK 256

/* A code point that no valid UTF-8 decodes to: an invalid byte b becomes
 * RAW_CP + b, so it matches only itself. */
#define RAW_CP 0x110000u

static const char utf8_replacement[] = "\xef\xbf\xbd";	/* U+FFFD */

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at s[0..n), 0 when there is none
 * (Unicode table 3-7: no overlong forms, surrogates or values past
 * U+10FFFF). n >= 1. */
static size_t
utf8_valid_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		lo = c == 0xe0 ? 0xa0 : 0x80;
		hi = c == 0xed ? 0x9f : 0xbf;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (n <= need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return need + 1;
}

/* A byte that is not valid UTF-8: U+FFFD, or the Latin-1 character. */
static int
append_bad_byte(struct buf *out, unsigned char c, bool latin1)
{
	char two[2];

	if (!latin1)
		return buf_append(out, utf8_replacement, 3);
	two[0] = (char)(0xc0 | (c >> 6));
	two[1] = (char)(0x80 | (c & 0x3f));
	return buf_append(out, two, 2);
}

/* Appends s[0..n) keeping valid UTF-8 and replacing each other byte. */
static int
append_text(struct buf *out, const char *s, size_t n, bool latin1)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0;

	while (i < n) {
		size_t l = utf8_valid_len(u + i, n - i);

		if (l > 0) {
			i += l;
			continue;
		}
		if (buf_append(out, s + start, i - start) < 0 ||
		    append_bad_byte(out, u[i], latin1) < 0)
			return -1;
		start = ++i;
	}
	return buf_append(out, s + start, n - start);
}

/* ---- charsets ---- */

enum conv_kind {
	CONV_NONE,	/* unknown: words in it stay raw */
	CONV_UTF8,	/* checked, bad bytes become U+FFFD */
	CONV_ASCII,	/* 8-bit bytes are a mislabel: read like raw bytes */
	CONV_ICONV,
};

struct conv {
	char name[CS_MAX + 1];	/* "" when the slot is free */
	enum conv_kind kind;
	iconv_t cd;
};

/* Names that mailers use for a larger charset than they say (the way
 * WHATWG's encoding standard reads them), and names glibc does not know. */
static const struct {
	const char *name, *iconv_name;
} cs_aliases[] = {
	{ "ISO-8859-1", "WINDOWS-1252" },
	{ "LATIN1", "WINDOWS-1252" },
	{ "US-ASCII", "ASCII" },
	{ "GB2312", "GB18030" },
	{ "GBK", "GB18030" },
	{ "X-GBK", "GB18030" },
	{ "SHIFT_JIS", "CP932" },
	{ "X-SJIS", "CP932" },
	{ "EUC-KR", "CP949" },
	{ "KS_C_5601-1987", "CP949" },
	{ "ISO-8859-8-I", "ISO-8859-8" },
};

static enum conv_kind
builtin_kind(const char *name)
{
	if (strcasecmp(name, "UTF-8") == 0 || strcasecmp(name, "UTF8") == 0)
		return CONV_UTF8;
	if (strcasecmp(name, "US-ASCII") == 0 ||
	    strcasecmp(name, "ASCII") == 0)
		return CONV_ASCII;
	return CONV_NONE;
}

static iconv_t
open_iconv(const char *name)
{
	iconv_t cd;

	for (size_t i = 0; i < sizeof(cs_aliases) / sizeof(cs_aliases[0]);
	     i++) {
		if (strcasecmp(name, cs_aliases[i].name) != 0)
			continue;
		cd = iconv_open("UTF-8", cs_aliases[i].iconv_name);
		if (cd != (iconv_t)-1)
			return cd;
		break;
	}
	return iconv_open("UTF-8", name);
}

/* ---- the decoder ---- */

struct word {
	size_t end;		/* offset just after "?=" */
	const char *cs;
	size_t cs_len;		/* without "*language" */
	char enc;		/* 'B' or 'Q' */
	const char *text;
	size_t text_len;
	int slot;		/* conv cache slot of the charset */
};

struct decoder {
	struct buf *out;
	/* Decoded bytes of adjacent words in one charset, not converted yet,
	 * so that a character split across two words comes out whole. */
	struct buf pend;
	int pend_slot;		/* -1: nothing pending */
	struct conv cache[CONV_CACHE];
	unsigned int next_slot, opens;
};

static void
decoder_init(struct decoder *d, struct buf *out, size_t len)
{
	memset(d, 0, sizeof(*d));
	d->out = out;
	/* Decoding never makes a word longer than its text. */
	buf_init(&d->pend, len + 1);
	d->pend_slot = -1;
}

static void
decoder_deinit(struct decoder *d)
{
	for (unsigned int i = 0; i < CONV_CACHE; i++) {
		if (d->cache[i].kind == CONV_ICONV)
			iconv_close(d->cache[i].cd);
	}
	buf_free(&d->pend);
}

/* A free slot, or the next one round-robin, never the pending one. */
static int
take_slot(struct decoder *d)
{
	struct conv *c;
	int slot;

	do {
		slot = (int)(d->next_slot++ % CONV_CACHE);
	} while (slot == d->pend_slot);
	c = &d->cache[slot];
	if (c->kind == CONV_ICONV)
		iconv_close(c->cd);
	c->kind = CONV_NONE;
	return slot;
}

/* The cache slot for charset cs[0..n) (n <= CS_MAX), -1 when unknown. */
static int
resolve_charset(struct decoder *d, const char *cs, size_t n)
{
	char name[CS_MAX + 1];
	enum conv_kind kind;
	iconv_t cd = (iconv_t)-1;
	int slot;

	memcpy(name, cs, n);
	name[n] = '\0';
	for (slot = 0; slot < CONV_CACHE; slot++) {
		if (d->cache[slot].name[0] != '\0' &&
		    strcasecmp(d->cache[slot].name, name) == 0)
			return d->cache[slot].kind == CONV_NONE ? -1 : slot;
	}
	kind = builtin_kind(name);
	if (kind == CONV_NONE) {
		/* Bounds the work a header full of distinct charsets costs. */
		if (d->opens >= CONV_MAX_OPENS)
			return -1;
		d->opens++;
		cd = open_iconv(name);
		if (cd != (iconv_t)-1)
			kind = CONV_ICONV;
	}
	slot = take_slot(d);
	memcpy(d->cache[slot].name, name, n + 1);
	d->cache[slot].kind = kind;
	d->cache[slot].cd = cd;
	return kind == CONV_NONE ? -1 : slot;
}

/* RFC 2047 token characters; '.' is allowed too (ANSI_X3.4-1968). '/'
 * and ',' are not, so no iconv suffix like //TRANSLIT gets through. */
static bool
is_token_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static bool
b64_text_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '=' && b64_value((unsigned char)s[i]) < 0)
			return false;
	}
	return true;
}

/* Parses "=?charset?E?text?=" at s[0..n) (s starts with "=?"). Each scan
 * stops at the next '?', so trying every "=?" of an input costs O(n). */
static bool
parse_word(const char *s, size_t n, struct word *w)
{
	size_t p = 2, star;

	while (p < n && p - 2 < CS_TOKEN_MAX && is_token_char(s[p]))
		p++;
	if (p == 2 || p + 2 >= n || s[p] != '?' || s[p + 2] != '?')
		return false;
	w->cs = s + 2;
	for (star = 0; star < p - 2 && w->cs[star] != '*'; star++)
		;
	w->cs_len = star;
	w->enc = (char)(s[p + 1] & ~0x20);
	if (w->cs_len == 0 || w->cs_len > CS_MAX ||
	    (w->enc != 'B' && w->enc != 'Q'))
		return false;
	p += 3;
	w->text = s + p;
	while (p < n && s[p] != '?' && (unsigned char)s[p] > 0x20 &&
	       s[p] != 0x7f)
		p++;
	if (p + 1 >= n || s[p] != '?' || s[p + 1] != '=')
		return false;
	w->text_len = (size_t)(s + p - w->text);
	w->end = p + 2;
	return w->enc == 'Q' || b64_text_ok(w->text, w->text_len);
}

/* A decodable word at s[i..len): well formed and in a known charset. */
static bool
word_at(struct decoder *d, const char *s, size_t len, size_t i,
	struct word *w)
{
	if (len - i < 2 || s[i] != '=' || s[i + 1] != '?' ||
	    !parse_word(s + i, len - i, w))
		return false;
	w->end += i;
	w->slot = resolve_charset(d, w->cs, w->cs_len);
	return w->slot >= 0;
}


static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
q_decode(const char *s, size_t n, struct buf *out)
{
	char tmp[256];
	size_t t = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '_') {
			c = ' ';
		} else if (c == '=' && i + 2 < n &&
			   hex_value((unsigned char)s[i + 1]) >= 0 &&
			   hex_value((unsigned char)s[i + 2]) >= 0) {
			c = (char)(hex_value((unsigned char)s[i + 1]) << 4 |
				   hex_value((unsigned char)s[i + 2]));
			i += 2;
		}
		tmp[t++] = c;
		if (t == sizeof(tmp)) {
			if (buf_append(out, tmp, t) < 0)
				return -1;
			t = 0;
		}
	}
	return buf_append(out, tmp, t);
}

/* Converts in[0..n) with cd; what cd cannot read becomes U+FFFD. */
static int
iconv_append(iconv_t cd, char *in, size_t n, struct buf *out)
{
	char chunk[ICONV_CHUNK], *o;
	size_t oleft, r;
	int err;

	iconv(cd, NULL, NULL, NULL, NULL);
	while (n > 0) {
		o = chunk;
		oleft = sizeof(chunk);
		r = iconv(cd, &in, &n, &o, &oleft);
		err = errno;
		if (append_text(out, chunk, (size_t)(o - chunk), false) < 0)
			return -1;
		if (r != (size_t)-1 || (err == E2BIG && o != chunk))
			continue;
		if (buf_append(out, utf8_replacement, 3) < 0)
			return -1;
		if (err == EILSEQ || err == E2BIG) {
			in++;
			n--;
		} else {
			n = 0;	/* EINVAL: a truncated character at the end */
		}
	}
	o = chunk;
	oleft = sizeof(chunk);
	iconv(cd, NULL, NULL, &o, &oleft);	/* back to the initial state */
	return append_text(out, chunk, (size_t)(o - chunk), false);
}

static int
pend_flush(struct decoder *d)
{
	const struct conv *c;
	int ret;

	if (d->pend_slot < 0)
		return 0;
	c = &d->cache[d->pend_slot];
	if (c->kind == CONV_ICONV)
		ret = iconv_append(c->cd, d->pend.data, d->pend.len, d->out);
	else
		ret = append_text(d->out, d->pend.data, d->pend.len,
				  c->kind == CONV_ASCII);
	buf_reset(&d->pend);
	d->pend_slot = -1;
	return ret;
}

static int
pend_add(struct decoder *d, const struct word *w)
{
	if (d->pend_slot != w->slot) {
		if (pend_flush(d) < 0)
			return -1;
		d->pend_slot = w->slot;
	}
	if (w->enc == 'B')
		return b64_decode_lenient(w->text, w->text_len, &d->pend);
	return q_decode(w->text, w->text_len, &d->pend);
}

static bool
is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Decodes the word w and the words that follow it separated only by
 * whitespace (which is dropped). *end_r: offset after the last one. */
static int
decode_run(struct decoder *d, const char *s, size_t len, struct word *w,
	   size_t *end_r)
{
	size_t end, j;

	do {
		if (pend_add(d, w) < 0)
			return -1;
		end = w->end;
		for (j = end; j < len && is_lws(s[j]); j++)
			;
	} while (word_at(d, s, len, j, w));
	*end_r = end;
	return pend_flush(d);
}

static int
decode_all(struct decoder *d, const char *s, size_t len)
{
	size_t i = 0, raw_start = 0;
	struct word w;

	while (i < len) {
		if (!word_at(d, s, len, i, &w)) {
			i++;
			continue;
		}
		/* Raw text ends at "=?", never inside a UTF-8 sequence. */
		if (append_text(d->out, s + raw_start, i - raw_start,
				true) < 0 ||
		    decode_run(d, s, len, &w, &i) < 0)
			return -1;
		raw_start = i;
	}
	return append_text(d->out, s + raw_start, len - raw_start, true);
}

int
mime_header_decode_utf8(const char *value, size_t len, struct buf *out)
{
	struct decoder d;
	int ret;

	if (len == 0)
		return buf_append(out, "", 0);
	decoder_init(&d, out, len);
	ret = decode_all(&d, value, len);
	decoder_deinit(&d);
	return ret;
}

/* ---- unfolding ---- */

int
mime_header_unfold(const char *value, size_t len, struct buf *out)
{
	size_t i = 0, start = 0, eol;

	while (i < len) {
		if (value[i] == '\r' && i + 1 < len && value[i + 1] == '\n')
			eol = 2;
		else if (value[i] == '\n')
			eol = 1;
		else
			eol = 0;
		if (eol == 0 || i + eol >= len ||
		    (value[i + eol] != ' ' && value[i + eol] != '\t')) {
			i += eol > 0 ? eol : 1;
			continue;
		}
		if (buf_append(out, value + start, i - start) < 0)
			return -1;
		i += eol;
		start = i;
	}
	return buf_append(out, value + start, len - start);
}

/* ---- case-insensitive match ---- */

static uint32_t
fold_latin(uint32_t c)
{
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 0x20;
	if (c == 0xb5)
		return 0x3bc;	/* micro sign -> mu */
	if (c < 0x100 || c == 0x130 || c == 0x131 || c == 0x138 ||
	    c == 0x149)
		return c;
	if (c == 0x178)
		return 0xff;
	if (c == 0x17f)
		return 's';	/* long s */
	/* Latin Extended-A pairs: upper case odd in these two runs, even
	 * elsewhere. */
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c + 1 : c;
	return (c & 1) ? c : c + 1;
}

static uint32_t
fold_greek(uint32_t c)
{
	if (c >= 0x391 && c <= 0x3ab && c != 0x3a2)
		return c + 0x20;
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 0x25;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 0x3f;
	if (c == 0x3c2)
		return 0x3c3;	/* final sigma */
	if (c >= 0x3d8 && c <= 0x3ef && !(c & 1))
		return c + 1;
	return c;
}

static uint32_t
fold_cyrillic(uint32_t c)
{
	if (c <= 0x40f)
		return c + 0x50;
	if (c <= 0x42f)
		return c + 0x20;
	if (c == 0x4c0)
		return 0x4cf;
	if (c >= 0x4c1 && c <= 0x4ce)
		return (c & 1) ? c + 1 : c;
	if ((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) ||
	    c >= 0x4d0)
		return (c & 1) ? c : c + 1;
	return c;
}

static uint32_t
fold_cp(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 0x20 : c;
	if (c < 0x180)
		return fold_latin(c);
	if (c >= 0x370 && c < 0x400)
		return fold_greek(c);
	if (c >= 0x400 && c < 0x530)
		return fold_cyrillic(c);
	return c;
}

/* The folded code point at s[*i..n), advancing *i. */
static uint32_t
next_folded(const char *s, size_t n, size_t *i)
{
	const unsigned char *u = (const unsigned char *)s + *i;
	size_t l = utf8_valid_len(u, n - *i);
	uint32_t c;

	*i += l > 0 ? l : 1;
	switch (l) {
	case 0:
		return RAW_CP + u[0];
	case 1:
		c = u[0];
		break;
	case 2:
		c = (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
		break;
	case 3:
		c = (uint32_t)(u[0] & 0x0f) << 12 |
		    (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
		break;
	default:
		c = (uint32_t)(u[0] & 0x07) << 18 |
		    (uint32_t)(u[1] & 0x3f) << 12 |
		    (uint32_t)(u[2] & 0x3f) << 6 | (u[3] & 0x3f);
		break;
	}
	return fold_cp(c);
}

/* Knuth-Morris-Pratt over folded code points: linear in hay + needle. */
static bool
kmp_search(const char *hay, size_t hlen, const uint32_t *pat, size_t *fail,
	   size_t m)
{
	size_t i = 0, k = 0;

	fail[0] = 0;
	for (size_t q = 1; q < m; q++) {
		while (k > 0 && pat[k] != pat[q])
			k = fail[k - 1];
		if (pat[k] == pat[q])
			k++;
		fail[q] = k;
	}
	k = 0;
	while (i < hlen) {
		uint32_t c = next_folded(hay, hlen, &i);

		while (k > 0 && pat[k] != c)
			k = fail[k - 1];
		if (pat[k] == c && ++k == m)
			return true;
	}
	return false;
}

bool
mime_utf8_icontains(const char *hay, size_t hlen, const char *needle,
		    size_t nlen)
{
	uint32_t pat_stack[NEEDLE_STACK], *pat = pat_stack;
	size_t fail_stack[NEEDLE_STACK], *fail = fail_stack;
	size_t m = 0, i = 0;
	bool found;

	if (nlen == 0)
		return true;
	if (nlen > NEEDLE_STACK) {
		pat = xmalloc(nlen * sizeof(*pat));
		fail = xmalloc(nlen * sizeof(*fail));
	}
	while (i < nlen)
		pat[m++] = next_folded(needle, nlen, &i);
	found = kmp_search(hay, hlen, pat, fail, m);
	if (pat != pat_stack) {
		free(pat);
		free(fail);
	}
	return found;
}
