/* Mailbox management: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE,
 * STATUS; mailbox name and flag formatting shared by the other files. */

#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "lib/utf7.h"
#include "lib/xalloc.h"
#include "proto/imap/imap-args.h"
#include "proto/imap/imap-quote.h"
#include "server/common/notify.h"
#include "server/imap/imap-session.h"
#include "store/store.h"

/* ---- names and flags ---- */

char *
imap_mailbox_decode(const char *wire)
{
	struct buf out;

	if (str_casecmp(wire, "INBOX") == 0)
		return xstrdup("INBOX");
	buf_init(&out, 4096);
	if (utf7_to_utf8(wire, &out) < 0) {
		buf_free(&out);
		return NULL;
	}
	if (str_has_prefix_ci(buf_cstr(&out), "INBOX/"))
		memcpy(out.data, "INBOX", 5);
	return buf_steal(&out);
}

void
imap_mailbox_append(struct buf *out, const char *name)
{
	struct buf enc;

	buf_init(&enc, 8192);
	if (utf7_from_utf8(name, &enc) < 0)
		buf_append_str(&enc, name);
	if (imap_quote_astring(out, buf_cstr(&enc), enc.len) < 0)
		imap_quote_string(out, buf_cstr(&enc), enc.len);
	buf_free(&enc);
}

void
imap_flags_append(struct buf *out, unsigned int flags, const char *keywords)
{
	static const struct { unsigned int bit; const char *name; } names[] = {
		{ STORE_F_SEEN, "\\Seen" }, { STORE_F_ANSWERED, "\\Answered" },
		{ STORE_F_FLAGGED, "\\Flagged" },
		{ STORE_F_DELETED, "\\Deleted" },
		{ STORE_F_DRAFT, "\\Draft" },
	};
	size_t i, start = out->len;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(flags & names[i].bit))
			continue;
		if (out->len > start)
			buf_append_c(out, ' ');
		buf_append_str(out, names[i].name);
	}
	if (keywords != NULL && keywords[0] != '\0') {
		if (out->len > start)
			buf_append_c(out, ' ');
		buf_append_str(out, keywords);
	}
}

/* ---- helpers ---- */

static char *
mailbox_arg(struct imap_session *s, size_t i)
{
	const char *wire;
	char *name;

	if (i >= s->cmd.nargs ||
	    imap_arg_mailbox(&s->cmd.args[i], &wire) < 0) {
		imap_bad(s, "Invalid mailbox name argument.");
		return NULL;
	}
	name = imap_mailbox_decode(wire);
	if (name == NULL)
		imap_tagged(s, "NO", "Invalid mailbox name.");
	return name;
}

static void
reply_rc(struct imap_session *s, int rc, const char *ok)
{
	switch (rc) {
	case STORE_OK:
		imap_tagged(s, "OK", "%s", ok);
		break;
	case STORE_NOTFOUND:
		imap_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't exist.");
		break;
	case STORE_EXISTS:
		imap_tagged(s, "NO", "[ALREADYEXISTS] Mailbox already exists.");
		break;
	case STORE_REJECT:
		imap_tagged(s, "NO", "[CANNOT] Invalid mailbox name.");
		break;
	default:
		imap_tagged(s, "NO", "[SERVERBUG] Internal error: %s",
			    store_error(imap_store(s)));
		break;
	}
}

/* ---- CREATE, DELETE, RENAME ---- */

/* The store's rules, and no "." or ".." component (Dovecot refuses them
 * too: they read like paths). */
static bool
name_ok(const char *name)
{
	const char *p = name;

	if (store_folder_name_valid(name) != STORE_OK)
		return false;
	while (*p != '\0') {
		size_t n = strcspn(p, "/");
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
						 p[1] == '.'))
			return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

/* Tells the sessions that have `name` selected (they check it again). */
static int
notify_name(struct imap_session *s, const char *name)
{
	struct store_folder f;
	int rc = store_folder_find(imap_store(s), s->user, name, &f);

	if (rc != STORE_OK)
		return rc;
	notify_changed(s->server->env.notify, f.id);
	store_folder_clear(&f);
	return STORE_OK;
}

/* RFC 3501 6.3.3: superior names that are needed are created too. */
static int
create_with_parents(struct imap_session *s, char *name)
{
	char *p;

	for (p = strchr(name, '/'); p != NULL; p = strchr(p + 1, '/')) {
		int rc;
		*p = '\0';
		rc = strcmp(name, "INBOX") == 0 ? STORE_EXISTS
		     : store_folder_create(imap_store(s), s->user, name, NULL);
		*p = '/';
		if (rc != STORE_OK && rc != STORE_EXISTS)
			return rc;
	}
	return store_folder_create(imap_store(s), s->user, name, NULL);
}

bool
imap_handle_create(struct imap_session *s)
{
	char *name = mailbox_arg(s, 0);
	size_t len;
	int rc;

	if (name == NULL)
		return true;
	len = strlen(name);
	while (len > 0 && name[len - 1] == '/')
		name[--len] = '\0';
	if (strcmp(name, "INBOX") == 0)
		rc = STORE_EXISTS;
	else if (!name_ok(name))
		rc = STORE_REJECT;
	else
		rc = create_with_parents(s, name);
	reply_rc(s, rc, "Create completed.");
	free(name);
	return true;
}

bool
imap_handle_delete(struct imap_session *s)
{
	char *name = mailbox_arg(s, 0);
	int rc;

	if (name == NULL)
		return true;
	if (strcmp(name, "INBOX") == 0) {
		imap_tagged(s, "NO", "[CANNOT] INBOX can't be deleted.");
		free(name);
		return true;
	}
	if (s->state == IMAP_STATE_SELECTED && strcmp(s->sel.name, name) == 0) {
		imap_unselect(s);
		imap_printf(s, "* OK [CLOSED] Mailbox deleted.");
	}
	notify_name(s, name);
	rc = store_folder_delete(imap_store(s), s->user, name);
	reply_rc(s, rc, "Delete completed.");
	free(name);
	return true;
}

bool
imap_handle_rename(struct imap_session *s)
{
	char *from = mailbox_arg(s, 0), *to;
	int rc;

	if (from == NULL)
		return true;
	to = mailbox_arg(s, 1);
	if (to == NULL) {
		free(from);
		return true;
	}
	if (strcmp(to, "INBOX") == 0 || strcmp(from, to) == 0)
		rc = STORE_EXISTS;
	else if (!name_ok(to))
		rc = STORE_REJECT;
	else if (strcmp(from, "INBOX") == 0)
		rc = imap_copy_all(s, from, to);	/* RFC 3501 6.3.5 */
	else if ((rc = notify_name(s, from)) == STORE_OK)
		rc = store_folder_rename(imap_store(s), s->user, from, to);
	if (rc == STORE_OK && s->state == IMAP_STATE_SELECTED &&
	    strcmp(s->sel.name, from) == 0 && strcmp(from, "INBOX") != 0) {
		free(s->sel.name);
		s->sel.name = xstrdup(to);
	}
	reply_rc(s, rc, "Rename completed.");
	free(from);
	free(to);
	return true;
}

/* ---- SUBSCRIBE, UNSUBSCRIBE ---- */

static bool
subscribe(struct imap_session *s, int on)
{
	char *name = mailbox_arg(s, 0);
	int rc;

	if (name == NULL)
		return true;
	rc = store_folder_subscribe(imap_store(s), s->user, name, on);
	if (rc == STORE_NOTFOUND && !on)
		rc = STORE_OK;
	reply_rc(s, rc, on ? "Subscribe completed." : "Unsubscribe completed.");
	free(name);
	return true;
}

bool
imap_handle_subscribe(struct imap_session *s)
{
	return subscribe(s, 1);
}

bool
imap_handle_unsubscribe(struct imap_session *s)
{
	return subscribe(s, 0);
}

/* ---- STATUS ---- */

struct status_ctx {
	uint32_t unseen;
	uint64_t size;
};

static int
status_cb(const struct store_msg *m, void *ctx)
{
	struct status_ctx *sc = ctx;

	if (!(m->flags & STORE_F_SEEN))
		sc->unseen++;
	sc->size += m->size;
	return 0;
}

static void
status_items(struct buf *out, unsigned int items,
	     const struct store_folder *f, const struct status_ctx *sc)
{
	size_t start = out->len;

#define SEP() do { if (out->len > start) buf_append_c(out, ' '); } while (0)
	if (items & IMAP_STATUS_MESSAGES) {
		SEP();
		buf_printf(out, "MESSAGES %u", f->messages);
	}
	if (items & IMAP_STATUS_RECENT) {
		SEP();
		buf_append_str(out, "RECENT 0");
	}
	if (items & IMAP_STATUS_UIDNEXT) {
		SEP();
		buf_printf(out, "UIDNEXT %u", f->uidnext);
	}
	if (items & IMAP_STATUS_UIDVALIDITY) {
		SEP();
		buf_printf(out, "UIDVALIDITY %u", f->uidvalidity);
	}
	if (items & IMAP_STATUS_UNSEEN) {
		SEP();
		buf_printf(out, "UNSEEN %u", sc->unseen);
	}
	if (items & IMAP_STATUS_HIGHESTMODSEQ) {
		SEP();
		buf_printf(out, "HIGHESTMODSEQ %llu", (unsigned long long)
			   (f->highestmodseq > 0 ? f->highestmodseq : 1));
	}
	if (items & IMAP_STATUS_SIZE) {
		SEP();
		buf_printf(out, "SIZE %llu", (unsigned long long)sc->size);
	}
#undef SEP
}

/* Appends "name (items)" for STATUS and LIST-STATUS. 0 or a store rc. */
int
imap_status_append(struct imap_session *s, const char *name,
		   unsigned int items, struct buf *out)
{
	struct store_folder f;
	struct status_ctx sc = { 0, 0 };
	int rc = store_folder_get(imap_store(s), s->user, name, &f);

	if (rc != STORE_OK)
		return rc;
	if (items & (IMAP_STATUS_UNSEEN | IMAP_STATUS_SIZE))
		rc = store_msg_list(imap_store(s), f.id, 1, status_cb, &sc);
	if (rc == STORE_OK) {
		imap_mailbox_append(out, name);
		buf_append_str(out, " (");
		status_items(out, items, &f, &sc);
		buf_append_c(out, ')');
	}
	store_folder_clear(&f);
	return rc;
}

bool
imap_handle_status(struct imap_session *s)
{
	const char *wire, *error;
	unsigned int items;
	char *name;
	struct buf out;
	int rc;

	if (imap_status_parse(&s->cmd, &wire, &items, &error) < 0) {
		imap_bad(s, error);
		return true;
	}
	name = imap_mailbox_decode(wire);
	if (name == NULL) {
		imap_tagged(s, "NO", "[NONEXISTENT] Mailbox doesn't exist.");
		return true;
	}
	buf_init(&out, 64 * 1024);
	buf_append_str(&out, "* STATUS ");
	rc = imap_status_append(s, name, items, &out);
	if (rc == STORE_OK)
		imap_printf(s, "%s", buf_cstr(&out));
	reply_rc(s, rc, "Status completed.");
	buf_free(&out);
	free(name);
	return true;
}
