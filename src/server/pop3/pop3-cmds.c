/* POP3 TRANSACTION state over the INBOX listing taken at login, and the
 * UPDATE state at QUIT. */

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/conn.h"
#include "server/common/notify.h"
#include "store/store.h"
#include "server/pop3/pop3-private.h"

struct listing {
	struct pop3_msg *msgs;
	uint32_t n, cap;
};

static int
list_cb(const struct store_msg *m, void *ctx)
{
	struct listing *l = ctx;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->msgs = xrealloc(l->msgs, l->cap * sizeof(*l->msgs));
	}
	l->msgs[l->n].uid = m->uid;
	l->msgs[l->n].size = m->size;
	l->msgs[l->n].deleted = false;
	l->n++;
	return 0;
}

static int
find_inbox(struct pop3_session *s, struct store_folder *f)
{
	struct store *st = s->srv->env->store;
	int rc = store_folder_find(st, s->user, "INBOX", f);

	/* A user added to the registry whose store was never made. */
	if (rc == STORE_NOTFOUND &&
	    store_user_create(st, s->user) == STORE_OK)
		rc = store_folder_find(st, s->user, "INBOX", f);
	return rc;
}

int
pop3_mailbox_open(struct pop3_session *s)
{
	struct store *st = s->srv->env->store;
	struct listing l = { 0 };
	struct store_folder f;

	if (find_inbox(s, &f) != STORE_OK) {
		slog_error(conn_session_id(s->c),
			  "pop3: cannot open INBOX of %s: %s", s->user,
			  store_error(st));
		pop3_session_error(s, "[SYS/TEMP] Cannot open the mailbox");
		return -1;
	}
	s->folder_id = f.id;
	s->uidvalidity = f.uidvalidity;
	store_folder_clear(&f);
	if (store_msg_list(st, s->folder_id, 1, list_cb, &l) != STORE_OK) {
		free(l.msgs);
		slog_error(conn_session_id(s->c),
			  "pop3: cannot list INBOX of %s: %s", s->user,
			  store_error(st));
		pop3_session_error(s, "[SYS/TEMP] Cannot read the mailbox");
		return -1;
	}
	s->msgs = l.msgs;
	s->nmsgs = l.n;
	return 0;
}

struct pop3_msg *
pop3_msg_get(struct pop3_session *s, uint32_t msg)
{
	if (msg == 0 || msg > s->nmsgs) {
		pop3_session_error(s, "There is no message %u", msg);
		return NULL;
	}
	if (s->msgs[msg - 1].deleted) {
		pop3_session_error(s, "Message %u is deleted", msg);
		return NULL;
	}
	return &s->msgs[msg - 1];
}

void
pop3_cmd_stat(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	uint64_t size = 0;
	uint32_t n = 0;

	(void)cmd;
	for (uint32_t i = 0; i < s->nmsgs; i++) {
		if (s->msgs[i].deleted)
			continue;
		n++;
		size += s->msgs[i].size;
	}
	pop3_session_ok(s, "%u %llu", n, (unsigned long long)size);
}

/* LIST and UIDL share their shape: one line, or a listing. */
static void
listing(struct pop3_session *s, const struct pop3_cmd *cmd, bool uidl)
{
	struct pop3_msg *m;

	if (cmd->msg != 0) {
		if ((m = pop3_msg_get(s, cmd->msg)) == NULL)
			return;
		if (uidl)
			pop3_session_ok(s, "%u %u.%u", cmd->msg,
					s->uidvalidity, m->uid);
		else
			pop3_session_ok(s, "%u %llu", cmd->msg,
					(unsigned long long)m->size);
		return;
	}
	pop3_session_ok(s, "Listing follows");
	for (uint32_t i = 0; i < s->nmsgs; i++) {
		m = &s->msgs[i];
		if (m->deleted)
			continue;
		if (uidl)
			conn_printf(s->c, "%u %u.%u\r\n", i + 1,
				    s->uidvalidity, m->uid);
		else
			conn_printf(s->c, "%u %llu\r\n", i + 1,
				    (unsigned long long)m->size);
	}
	conn_write_line(s->c, ".");
}

void
pop3_cmd_list(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	listing(s, cmd, false);
}

void
pop3_cmd_uidl(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	listing(s, cmd, true);
}

void
pop3_cmd_dele(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	struct pop3_msg *m = pop3_msg_get(s, cmd->msg);

	if (m == NULL)
		return;
	m->deleted = true;
	pop3_session_ok(s, "Marked to be deleted");
}

void
pop3_cmd_rset(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	(void)cmd;
	for (uint32_t i = 0; i < s->nmsgs; i++)
		s->msgs[i].deleted = false;
	pop3_session_ok(s, "%u messages", s->nmsgs);
}

void
pop3_cmd_noop(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	(void)cmd;
	s->bad = 0;
	conn_write_line(s->c, "+OK");
}

/* UPDATE state (RFC 1939 6): the DELE marks take effect now, and only
 * now; a session cut without QUIT leaves the mailbox as it was. */
static int
expunge_marked(struct pop3_session *s, uint32_t *n_r)
{
	struct store *st = s->srv->env->store;
	uint32_t *uids = xcalloc(s->nmsgs + 1, sizeof(*uids)), n = 0;
	int rc = STORE_OK;

	for (uint32_t i = 0; i < s->nmsgs; i++) {
		if (s->msgs[i].deleted)
			uids[n++] = s->msgs[i].uid;
	}
	if (n > 0)
		rc = store_msg_expunge(st, s->folder_id, uids, n);
	free(uids);
	if (rc != STORE_OK) {
		slog_error(conn_session_id(s->c),
			  "pop3: expunge failed for %s: %s", s->user,
			  store_error(st));
		return -1;
	}
	if (n > 0 && s->srv->env->notify != NULL)
		notify_changed(s->srv->env->notify, s->folder_id);
	*n_r = n;
	return 0;
}

void
pop3_cmd_quit(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	uint32_t n = 0;

	(void)cmd;
	if (s->state == POP3_STATE_AUTH) {
		pop3_session_ok(s, "Logging out");
	} else if (expunge_marked(s, &n) < 0) {
		pop3_session_error(s, "[SYS/TEMP] Deleting messages failed, "
				   "none were deleted");
	} else {
		pop3_session_ok(s, "Logging out, %u messages deleted", n);
	}
	s->state = POP3_STATE_DONE;
}
