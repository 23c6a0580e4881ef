/* POP3 responses for the client side: pure parsing, no I/O. */
#include "proto/pop3/pop3-resp.h"

#include <string.h>

#include "lib/strx.h"

/* ---- status lines ---- */

static bool
is_code_char(char ch)
{
	return ch > 0x20 && ch < 0x7f && ch != '[' && ch != ']';
}

/* "[CODE]" at text: copies CODE and returns the byte after ']', or text
 * when there is no well-formed code (it then stays part of the text). */
static const char *
parse_code(const char *text, const char *end, char *code)
{
	const char *p = text + 1;
	size_t n;

	code[0] = '\0';
	if (text >= end || *text != '[')
		return text;
	while (p < end && is_code_char(*p))
		p++;
	n = (size_t)(p - text - 1);
	if (p >= end || *p != ']' || n == 0 || n > POP3_RESP_CODE_MAX)
		return text;
	memcpy(code, text + 1, n);
	code[n] = '\0';
	return p + 1;
}

static size_t
status_word(const char *line, size_t len, enum pop3_status_kind *kind_r)
{
	if (len >= 3 && str_ncasecmp(line, "+OK", 3) == 0) {
		*kind_r = POP3_ST_OK;
		return 3;
	}
	if (len >= 4 && str_ncasecmp(line, "-ERR", 4) == 0) {
		*kind_r = POP3_ST_ERR;
		return 4;
	}
	if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ')) {
		*kind_r = POP3_ST_CONT;
		return 1;
	}
	return 0;
}

int
pop3_status_parse(const char *line, size_t len, struct pop3_status *st_r,
		  const char **error_r)
{
	const char *p, *end = line + len;
	size_t n;

	if (len > POP3_RESP_LINE_MAX) {
		*error_r = "response line too long";
		return -1;
	}
	n = status_word(line, len, &st_r->kind);
	/* "+OKAY" is not "+OK": the word must end here or at a space. */
	if (n == 0 || (n < len && line[n] != ' ')) {
		*error_r = "response is neither +OK nor -ERR";
		return -1;
	}
	p = line + n;
	while (p < end && *p == ' ')
		p++;
	st_r->code[0] = '\0';
	if (st_r->kind != POP3_ST_CONT) {
		p = parse_code(p, end, st_r->code);
		while (p < end && *p == ' ')
			p++;
	}
	st_r->text = p;
	return 0;
}

bool
pop3_status_has_code(const struct pop3_status *st, const char *code)
{
	size_t n = strlen(code);

	if (str_ncasecmp(st->code, code, n) != 0)
		return false;
	return st->code[n] == '\0' || st->code[n] == '/';
}

/* ---- multi-line bodies ---- */

int
pop3_ml_line(const char *line, size_t len, const char **data_r,
	     size_t *len_r)
{
	if (len == 1 && line[0] == '.')
		return 1;
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	*data_r = line;
	*len_r = len;
	return 0;
}

enum ml_state {
	ML_LINE_START = 0,	/* nothing of this line seen yet */
	ML_DOT,			/* the line began with '.' (dropped) */
	ML_DOT_CR,		/* "." then CR: terminator if LF follows */
	ML_IN_LINE,		/* inside a line, passing bytes through */
};

void
pop3_ml_init(struct pop3_ml *ml, uint64_t max_bytes)
{
	ml->state = ML_LINE_START;
	ml->bytes = 0;
	ml->max_bytes = max_bytes;
}

static int
ml_emit(struct pop3_ml *ml, const char *data, size_t len,
	pop3_ml_emit_cb *emit, void *ctx, const char **error_r)
{
	if (len == 0)
		return 0;
	if (ml->max_bytes > 0 && len > ml->max_bytes - ml->bytes) {
		*error_r = "multi-line response too large";
		return -1;
	}
	ml->bytes += len;
	emit(data, len, ctx);
	return 0;
}

/* Bytes of data[i..len) inside the current line, up to and including
 * its LF; the state goes back to line start when the LF was found. */
static size_t
ml_span(struct pop3_ml *ml, const char *data, size_t i, size_t len)
{
	const char *lf = memchr(data + i, '\n', len - i);

	if (lf == NULL)
		return len - i;
	ml->state = ML_LINE_START;
	return (size_t)(lf - (data + i)) + 1;
}

/* One step at data[i]: returns the bytes used, sets *done at the end. */
static size_t
ml_step(struct pop3_ml *ml, const char *data, size_t i, size_t len,
	bool *done, const char **span_r, size_t *span_len_r)
{
	char ch = data[i];

	*span_r = NULL;
	switch (ml->state) {
	case ML_LINE_START:
		if (ch == '.') {
			ml->state = ML_DOT;
			return 1;
		}
		ml->state = ML_IN_LINE;
		return 0;
	case ML_DOT:
		if (ch == '\n') {
			*done = true;
			return 1;
		}
		ml->state = ch == '\r' ? ML_DOT_CR : ML_IN_LINE;
		return ch == '\r' ? 1 : 0;
	case ML_DOT_CR:
		if (ch == '\n') {
			*done = true;
			return 1;
		}
		/* ".\rX": the CR was payload after a stuffed dot. */
		*span_r = "\r";
		*span_len_r = 1;
		ml->state = ML_IN_LINE;
		return 0;
	default:
		*span_r = data + i;
		*span_len_r = ml_span(ml, data, i, len);
		return *span_len_r;
	}
}

int
pop3_ml_feed(struct pop3_ml *ml, const char *data, size_t len,
	     size_t *consumed_r, pop3_ml_emit_cb *emit, void *ctx,
	     const char **error_r)
{
	size_t i = 0, used, span_len = 0;
	const char *span;
	bool done = false;

	while (i < len && !done) {
		used = ml_step(ml, data, i, len, &done, &span, &span_len);
		if (span != NULL &&
		    ml_emit(ml, span, span_len, emit, ctx, error_r) < 0) {
			*consumed_r = i;
			return -1;
		}
		i += used;
	}
	*consumed_r = i;
	return done ? 1 : 0;
}

/* ---- CAPA ---- */

void
pop3_capa_init(struct pop3_capa *c)
{
	memset(c, 0, sizeof(*c));
	c->login_delay = -1;
}

static size_t
word_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q != ' ' && *q != '\t')
		q++;
	return (size_t)(q - p);
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static void
capa_sasl(struct pop3_capa *c, const char *p, const char *end)
{
	size_t used = strlen(c->sasl), n;

	for (p = skip_ws(p, end); p < end; p = skip_ws(p + n, end)) {
		n = word_len(p, end);
		if (n == 5 && str_ncasecmp(p, "PLAIN", 5) == 0)
			c->sasl_plain = true;
		if (used + n + 1 > POP3_SASL_LIST_MAX)
			continue;
		if (used > 0)
			c->sasl[used++] = ' ';
		memcpy(c->sasl + used, p, n);
		used += n;
		c->sasl[used] = '\0';
	}
}

static bool
word_is(const char *p, size_t n, const char *word)
{
	return n == strlen(word) && str_ncasecmp(p, word, n) == 0;
}

static void
capa_login_delay(struct pop3_capa *c, const char *p, const char *end)
{
	char num[16];
	size_t n;
	uint64_t v;

	p = skip_ws(p, end);
	n = word_len(p, end);
	if (n == 0 || n >= sizeof(num))
		return;
	memcpy(num, p, n);
	num[n] = '\0';
	if (str_to_uint64_range(num, 0, 1000000000, &v) == 0)
		c->login_delay = (long)v;
}

void
pop3_capa_line(struct pop3_capa *c, const char *line, size_t len)
{
	const char *end = line + len, *p = skip_ws(line, end);
	size_t n = word_len(p, end);

	if (word_is(p, n, "TOP"))
		c->top = true;
	else if (word_is(p, n, "UIDL"))
		c->uidl = true;
	else if (word_is(p, n, "USER"))
		c->user = true;
	else if (word_is(p, n, "PIPELINING"))
		c->pipelining = true;
	else if (word_is(p, n, "STLS"))
		c->stls = true;
	else if (word_is(p, n, "RESP-CODES"))
		c->resp_codes = true;
	else if (word_is(p, n, "SASL"))
		capa_sasl(c, p + n, end);
	else if (word_is(p, n, "LOGIN-DELAY"))
		capa_login_delay(c, p + n, end);
}

/* ---- listings ---- */

/* A decimal number at *p (1..20 digits) ending at a space or at end. */
static int
take_number(const char **p, const char *end, uint64_t max, uint64_t *v_r)
{
	char num[24];
	size_t n = 0;

	while (*p + n < end && (*p)[n] >= '0' && (*p)[n] <= '9') {
		if (n + 1 >= sizeof(num))
			return -1;
		num[n] = (*p)[n];
		n++;
	}
	if (n == 0 || (*p + n < end && (*p)[n] != ' '))
		return -1;
	num[n] = '\0';
	*p += n;
	return str_to_uint64_range(num, 0, max, v_r);
}

static int
two_numbers(const char *line, size_t len, uint32_t *msgno_r,
	    uint64_t *size_r, uint32_t min_msgno)
{
	const char *p = line, *end = line + len;
	uint64_t a, b;

	if (take_number(&p, end, UINT32_MAX, &a) < 0 || a < min_msgno)
		return -1;
	if (p >= end || *p != ' ')
		return -1;
	p++;
	if (take_number(&p, end, INT64_MAX, &b) < 0)
		return -1;
	*msgno_r = (uint32_t)a;
	*size_r = b;
	return 0;
}

int
pop3_stat_parse(const char *text, uint32_t *count_r, uint64_t *size_r,
		const char **error_r)
{
	if (two_numbers(text, strlen(text), count_r, size_r, 0) < 0) {
		*error_r = "malformed STAT response";
		return -1;
	}
	return 0;
}

int
pop3_list_line(const char *line, size_t len, uint32_t *msgno_r,
	       uint64_t *size_r, const char **error_r)
{
	if (two_numbers(line, len, msgno_r, size_r, 1) < 0) {
		*error_r = "malformed LIST line";
		return -1;
	}
	return 0;
}

int
pop3_uidl_line(const char *line, size_t len, uint32_t *msgno_r,
	       const char **uid_r, size_t *uid_len_r, const char **error_r)
{
	const char *p = line, *end = line + len, *uid;
	uint64_t n;

	*error_r = "malformed UIDL line";
	if (take_number(&p, end, UINT32_MAX, &n) < 0 || n == 0 ||
	    p >= end || *p != ' ')
		return -1;
	uid = ++p;
	while (p < end && *p > 0x20 && *p < 0x7f)
		p++;
	if (p == uid || skip_ws(p, end) != end)
		return -1;
	if ((size_t)(p - uid) > POP3_UIDL_MAX) {
		*error_r = "UIDL longer than 70 characters";
		return -1;
	}
	*msgno_r = (uint32_t)n;
	*uid_r = uid;
	*uid_len_r = (size_t)(p - uid);
	return 0;
}

/* ---- APOP ---- */

int
pop3_apop_timestamp(const char *greeting, char *out, size_t outlen)
{
	const char *lt = strchr(greeting, '<'), *p;
	bool at = false;
	size_t n;

	for (; lt != NULL; lt = strchr(lt + 1, '<')) {
		for (p = lt + 1; *p > 0x20 && *p < 0x7f && *p != '<' &&
		     *p != '>'; p++)
			at = at || *p == '@';
		n = (size_t)(p - lt) + 1;
		if (*p == '>' && at && n <= POP3_APOP_TS_MAX && n < outlen) {
			memcpy(out, lt, n);
			out[n] = '\0';
			return 1;
		}
		at = false;
	}
	return 0;
}
