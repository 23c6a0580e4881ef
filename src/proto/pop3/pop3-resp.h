#ifndef CONFLUX_PROTO_POP3_RESP_H
#define CONFLUX_PROTO_POP3_RESP_H

/* POP3 server responses, as a client reads them (RFC 1939, RFC 2449
 * CAPA/RESP-CODES, RFC 5034 AUTH). Pure grammar: no I/O, no allocation
 * beyond what the caller passes in, every peer-controlled size bounded.
 *
 * Lines are given WITHOUT their line end (CRLF or bare LF), as net/conn
 * delivers them. The multi-line reader pop3_ml_feed() instead works on raw
 * bytes split anywhere, for callers that read the socket themselves (the
 * proxy) and for the fuzzer. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 2449 section 4: response lines are at most 512 octets with CRLF. We
 * accept more (real servers overrun it) but never more than this. */
#define POP3_RESP_LINE_MAX 4096
/* RFC 1939 section 7: a unique-id is 1 to 70 characters 0x21..0x7E. */
#define POP3_UIDL_MAX 70
#define POP3_RESP_CODE_MAX 63
#define POP3_SASL_LIST_MAX 255
#define POP3_APOP_TS_MAX 255

enum pop3_status_kind {
	POP3_ST_OK,	/* "+OK" */
	POP3_ST_ERR,	/* "-ERR" */
	POP3_ST_CONT,	/* "+ " SASL continuation (RFC 5034) */
};

struct pop3_status {
	enum pop3_status_kind kind;
	/* RFC 2449 response code without brackets ("IN-USE", "SYS/TEMP"),
	 * "" when none or malformed. */
	char code[POP3_RESP_CODE_MAX + 1];
	/* The rest of the line after the status and code, leading spaces
	 * skipped; points into the line given (for CONT: the base64). */
	const char *text;
};

/* Parses a status line. 0 on success, -1 with *error_r (a static string)
 * when the line is neither +OK, -ERR nor "+ ..." or is too long. The
 * indicator is matched case-insensitively ("+ok" occurs in the wild). */
int
pop3_status_parse(const char *line, size_t len, struct pop3_status *st_r,
		  const char **error_r);

/* True when the status carries this response code (exact, or as the first
 * level: "SYS" matches "SYS/TEMP"). Case-insensitive. */
bool
pop3_status_has_code(const struct pop3_status *st, const char *code);

/* ---- multi-line bodies ---- */

/* One line of a multi-line body, without its line end. 1 when it is the
 * terminating ".", else 0 and *data_r, *len_r give the line with one
 * leading '.' removed (dot-unstuffing). */
int
pop3_ml_line(const char *line, size_t len, const char **data_r,
	     size_t *len_r);

/* Incremental multi-line reader over raw bytes (after the status line).
 * Needs no line buffer: only the bytes at a line start are inspected, so
 * lines of any length stream through. Bare LF and CRLF are both accepted;
 * line ends are passed on as received. */
struct pop3_ml {
	int state;
	uint64_t bytes;		/* payload bytes emitted so far */
	uint64_t max_bytes;	/* 0: no limit */
};

typedef void pop3_ml_emit_cb(const char *data, size_t len, void *ctx);

void
pop3_ml_init(struct pop3_ml *ml, uint64_t max_bytes);
/* Consumes data[0..len), calling emit() with unstuffed payload pieces
 * (pointers into data, or a static "\r"). Returns 1 when the terminating
 * line was consumed (*consumed_r bytes; the rest is the next response),
 * 0 when all was consumed and more is needed, -1 with *error_r when the
 * payload passed max_bytes. After 1 or -1, call pop3_ml_init() again. */
int
pop3_ml_feed(struct pop3_ml *ml, const char *data, size_t len,
	     size_t *consumed_r, pop3_ml_emit_cb *emit, void *ctx,
	     const char **error_r);

/* ---- CAPA (RFC 2449) ---- */

struct pop3_capa {
	bool top, uidl, user, pipelining, stls, resp_codes;
	bool sasl_plain;
	/* The SASL mechanisms as listed, space separated, truncated at a
	 * mechanism boundary when longer than the cap. */
	char sasl[POP3_SASL_LIST_MAX + 1];
	/* LOGIN-DELAY seconds, EXPIRE days; -1 when not advertised. */
	long login_delay;
};

void
pop3_capa_init(struct pop3_capa *c);
/* One (unstuffed) line of the CAPA body. Unknown capabilities are
 * ignored; the line is never rejected. */
void
pop3_capa_line(struct pop3_capa *c, const char *line, size_t len);

/* ---- listings ---- */

/* "+OK count size" text of STAT (the status text, code removed), or a
 * scan line of LIST ("msg size", more text allowed after a space). 0, or
 * -1 with *error_r. Message numbers must be >= 1. */
int
pop3_stat_parse(const char *text, uint32_t *count_r, uint64_t *size_r,
		const char **error_r);
int
pop3_list_line(const char *line, size_t len, uint32_t *msgno_r,
	       uint64_t *size_r, const char **error_r);
/* "msg uid" of UIDL: uid of 1..70 bytes 0x21..0x7E, trailing spaces
 * allowed. *uid_r points into line (not NUL-terminated: *uid_len_r). */
int
pop3_uidl_line(const char *line, size_t len, uint32_t *msgno_r,
	       const char **uid_r, size_t *uid_len_r, const char **error_r);

/* ---- APOP ---- */

/* Copies the first "<...@...>" timestamp of the greeting text (RFC 1939
 * section 7, a msg-id: no spaces or control bytes, at most
 * POP3_APOP_TS_MAX bytes with brackets) into out (NUL-terminated; outlen
 * must be > POP3_APOP_TS_MAX). 1 when found, 0 when absent. */
int
pop3_apop_timestamp(const char *greeting, char *out, size_t outlen);

#endif
