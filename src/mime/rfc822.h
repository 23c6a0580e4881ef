#ifndef CONFLUX_MIME_RFC822_H
#define CONFLUX_MIME_RFC822_H

/* Internal to src/mime: the RFC 822/5322 + MIME token scanner that the
 * Content-* and address parsers share. It reads data[p..end) and follows
 * Dovecot's lenient rules so that what IMAP shows matches Dovecot.
 *
 * Return values of the parse functions: -1 broken input, 0 the item was
 * read and the input is at its end, 1 the item was read and more input
 * follows (whitespace and comments after the item are skipped). */

#include <stddef.h>

struct buf;

struct rfc822 {
	const unsigned char *p, *end;
	struct buf *last_comment;	/* when set: the last comment's text */
};

void rfc822_init(struct rfc822 *r, const char *data, size_t len);
/* Skips whitespace, CR, LF and (nested) comments: -1 on an unterminated
 * comment, 0 at the end of input, 1 otherwise. */
int rfc822_skip_lwsp(struct rfc822 *r);
int rfc822_is_atext(unsigned char c);
int rfc822_is_token_char(unsigned char c);
/* Each appends what it read to out (unescaped for quoted strings). */
int rfc822_parse_atom(struct rfc822 *r, struct buf *out);
int rfc822_parse_dot_atom(struct rfc822 *r, struct buf *out);
int rfc822_parse_mime_token(struct rfc822 *r, struct buf *out);
int rfc822_parse_quoted_string(struct rfc822 *r, struct buf *out);
/* words (quoted strings, runs of atext and dots) joined by spaces; 1
 * with nothing read when the input holds no word here */
int rfc822_parse_phrase(struct rfc822 *r, struct buf *out);
/* r->p is at '@': dot-atom or [domain literal] */
int rfc822_parse_domain(struct rfc822 *r, struct buf *out);

#endif
