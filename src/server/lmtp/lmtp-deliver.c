/* DATA: the body streams into one store draft per recipient (each with
 * its own Return-Path, Delivered-To and Received lines); after the final
 * dot the drafts join the group commit, and each recipient is answered
 * once its copy is durable (RFC 2033 4.2). */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "net/conn.h"
#include "server/lmtp/lmtp-private.h"
#include "store/store.h"

#define REPLY_TOO_BIG \
	"552 5.3.4 Message size exceeds fixed maximum message size"

/* Remembers why a recipient failed, while store_error() still says it. */
void
lmtp_rcpt_fail(struct lmtp_rcpt *r, int rc)
{
	const char *why = store_error(r->s->srv->env->store);

	r->rc = rc;
	store_batch_abort(&r->batch);
	r->draft = NULL;
	if (r->reply != NULL)
		return;
	if (rc == STORE_TEMPFAIL && why != NULL &&
	    strstr(why, "disk full") != NULL)
		r->reply = "452 4.3.1 Insufficient system storage";
	else if (rc == STORE_REJECT && r->s->body_size == 0)
		r->reply = "554 5.6.0 Empty message";
	else if (rc == STORE_REJECT)
		r->reply = REPLY_TOO_BIG;
	else
		r->reply = "451 4.3.0 Temporary internal failure";
}

static void
trace_headers(struct lmtp_session *s, struct lmtp_rcpt *r, struct buf *h)
{
	char date[64], ip[64];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	buf_printf(h, "Return-Path: <%s>\r\n", s->sender);
	buf_printf(h, "Delivered-To: %s\r\n", r->addr);
	buf_printf(h, "Received: from %s ([%s])\r\n\tby %s (conflux) with "
		   "LMTP id %s\r\n\tfor <%s>; %s\r\n",
		   s->lhlo != NULL ? s->lhlo : "unknown",
		   server_peer_ip(s->c, ip, sizeof(ip)),
		   s->srv->env->hostname, conn_session_id(s->c), r->addr,
		   date);
}

static void
begin_draft(struct lmtp_session *s, struct lmtp_rcpt *r)
{
	struct store *st = s->srv->env->store;
	struct buf h;
	int rc;

	buf_init(&h, 4096);
	trace_headers(s, r, &h);
	rc = store_batch_begin(st, r->user, "INBOX", &r->batch);
	if (rc == STORE_OK)
		rc = store_draft_begin(r->batch, 0, 0, NULL, &r->draft);
	if (rc == STORE_OK)
		rc = store_draft_write(r->draft, h.data, h.len);
	if (rc != STORE_OK)
		lmtp_rcpt_fail(r, rc);
	buf_free(&h);
}

void
lmtp_cmd_data(struct lmtp_session *s)
{
	if (s->state != LMTP_STATE_MAIL) {
		lmtp_reply_error(s, "503 5.5.1 MAIL needed first");
		return;
	}
	if (s->nrcpts == 0) {
		lmtp_reply_error(s, "503 5.5.1 No valid recipients");
		return;
	}
	for (size_t i = 0; i < s->nrcpts; i++)
		begin_draft(s, s->rcpts[i]);
	s->body_size = 0;
	s->data_error = NULL;
	buf_reset(&s->body);
	s->state = LMTP_STATE_DATA;
	lmtp_reply(s, "354 Start mail input; end with <CRLF>.<CRLF>");
}

static void
flush_body(struct lmtp_session *s)
{
	for (size_t i = 0; i < s->nrcpts && s->body.len > 0; i++) {
		struct lmtp_rcpt *r = s->rcpts[i];
		int rc;

		if (r->draft == NULL)
			continue;
		rc = store_draft_write(r->draft, s->body.data, s->body.len);
		if (rc != STORE_OK)
			lmtp_rcpt_fail(r, rc);
	}
	buf_reset(&s->body);
}

static void
end_of_data(struct lmtp_session *s)
{
	flush_body(s);
	s->state = LMTP_STATE_COMMIT;
	for (size_t i = 0; i < s->nrcpts; i++) {
		struct lmtp_rcpt *r = s->rcpts[i];
		int rc;

		if (s->data_error != NULL && r->draft != NULL) {
			r->reply = s->data_error;
			lmtp_rcpt_fail(r, STORE_REJECT);
		}
		if (r->draft == NULL)
			continue;
		if ((rc = store_draft_finish(r->draft)) != STORE_OK) {
			lmtp_rcpt_fail(r, rc);
			continue;
		}
		r->draft = NULL;
		lmtp_commit_enqueue(s->srv, r);
	}
	lmtp_session_read_commands(s);
	if (s->pending == 0)
		lmtp_deliver_done(s);
	else
		conn_read_pause(s->c);
}

void
lmtp_data_line_in(struct lmtp_session *s, const char *line, size_t len,
		  bool too_long)
{
	uint64_t max = s->srv->env->max_message_size;
	const char *d;
	size_t n;

	if (too_long) {
		if (s->data_error == NULL)
			s->data_error = "552 5.3.4 Line too long";
		return;
	}
	if (lmtp_data_line(line, len, &d, &n) == 1) {
		end_of_data(s);
		return;
	}
	s->body_size += n + 2;
	if (max > 0 && s->body_size > max && s->data_error == NULL)
		s->data_error = REPLY_TOO_BIG;
	if (s->data_error != NULL)
		return;
	buf_append(&s->body, d, n);
	buf_append(&s->body, "\r\n", 2);
	if (s->body.len >= 64 * 1024)
		flush_body(s);
}

void
lmtp_deliver_done(struct lmtp_session *s)
{
	for (size_t i = 0; i < s->nrcpts; i++) {
		struct lmtp_rcpt *r = s->rcpts[i];

		if (r->rc == STORE_OK && r->reply == NULL) {
			lmtp_reply(s, "250 2.0.0 <%s> Saved", r->addr);
			continue;
		}
		if (r->reply == NULL)
			lmtp_rcpt_fail(r, r->rc);
		/* Insert the address after "NNN X.Y.Z ". */
		lmtp_reply(s, "%.10s<%s> %s", r->reply, r->addr,
			   r->reply + 10);
	}
	lmtp_transaction_reset(s);
	lmtp_session_read_commands(s);
}
