/* tests for src/sync/drv-imap*.c through the driver vtable, against the
 * scripted fake IMAP server: folders (modified UTF-7, delimiter, special
 * use), open, status (without opening), whole and incremental listings
 * (EXPUNGE inside, VANISHED),
 * fetch, flags, expunge with and without UIDPLUS, append, close, crash
 * points, and that no callback runs inside the call. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fakeimap.h"
#include "lib/buf.h"
#include "nettest.h"
#include "registry/registry.h"
#include "store/store.h"
#include "sync/driver.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static struct loop *loop;
static int pending;
static bool in_call;
static char trace_path[64];

struct res {
	enum drv_status st;
	int calls, order;
	struct drv_box_info info;
	char text[4096];
	struct buf data;
	uint32_t uid;
};

static void
tick(struct res *r)
{
	static int order;

	assert_false(in_call);
	r->calls++;
	r->order = ++order;
	if (--pending <= 0)
		loop_break(loop);
}

static void
wait_for(int n)
{
	pending = n;
	assert_false(nt_run(loop, 5000));
}

static void
cb(enum drv_status st, void *ctx)
{
	struct res *r = ctx;

	r->st = st;
	tick(r);
}

static void
folders_cb(enum drv_status st, const struct drv_folder *f, size_t n,
	   void *ctx)
{
	struct res *r = ctx;
	size_t len = 0;

	r->st = st;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(r->text + len, sizeof(r->text) - len,
					"%s:%s:%d ", f[i].name,
					f[i].special_use != NULL ?
					f[i].special_use : "-",
					f[i].selectable);
	tick(r);
}

static void
open_cb(enum drv_status st, const struct drv_box_info *i, void *ctx)
{
	struct res *r = ctx;

	r->st = st;
	if (i != NULL)
		r->info = *i;
	tick(r);
}

static void
msgs_cb(enum drv_status st, const struct drv_msg_list *l, void *ctx)
{
	struct res *r = ctx;
	size_t len = 0;

	r->st = st;
	for (size_t i = 0; l != NULL && i < l->count; i++) {
		const struct drv_msg *m = &l->msgs[i];
		len += (size_t)snprintf(r->text + len, sizeof(r->text) - len,
			"%s/%u/%u/%llu/%u/%s/%s/%lld/%llu ", m->id, m->uid,
			m->seq, (unsigned long long)m->size, m->flags,
			m->keywords != NULL ? m->keywords : "-",
			m->message_id != NULL ? m->message_id : "-",
			(long long)m->internal_date,
			(unsigned long long)m->modseq);
	}
	for (size_t i = 0; l != NULL && i < l->nvanished; i++)
		len += (size_t)snprintf(r->text + len, sizeof(r->text) - len,
					"v%u ", l->vanished[i]);
	if (l != NULL && l->partial)
		snprintf(r->text + len, sizeof(r->text) - len, "partial");
	tick(r);
}

static int
data_cb(const void *data, size_t len, void *ctx)
{
	struct res *r = ctx;

	assert_false(in_call);
	assert_int_equal(buf_append(&r->data, data, len), 0);
	return 0;
}

static void
uid_cb(enum drv_status st, uint32_t uid, void *ctx)
{
	struct res *r = ctx;

	r->st = st;
	r->uid = uid;
	tick(r);
}

struct fx {
	struct fake_imap srv;
	struct mbox *mb;
	struct res r[4];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	loop = loop_new();
	fake_imap_start(&fx->srv, loop);
	for (int i = 0; i < 4; i++)
		buf_init(&fx->r[i].data, 1 << 20);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	if (fx->mb != NULL)
		fx->mb->drv->destroy(&fx->mb);
	fake_imap_stop(&fx->srv);
	for (int i = 0; i < 4; i++)
		buf_free(&fx->r[i].data);
	nt_run(loop, 20);
	loop_free(&loop);
	free(fx);
	return 0;
}

#define CALL(x) do { in_call = true; x; in_call = false; } while (0)

static void
connect_mb(struct fx *fx, const char *caps, struct fake_rule *rules,
	   size_t n)
{
	struct drv_account acct = {
		.host = "127.0.0.1", .port = (unsigned int)fx->srv.port,
		.tls = ACCOUNT_TLS_NONE, .login = "u", .password = "secret",
		.session = "drv-test", .timeout_ms = 2000,
	};

	fx->srv.caps = caps;
	fx->srv.rules = rules;
	fx->srv.nrules = n;
	fx->mb = drv_imap_new(loop, &acct);
	CALL(fx->mb->drv->connect(fx->mb, cb, &fx->r[0]));
	wait_for(1);
	assert_int_equal(fx->r[0].st, DRV_OK);
}

static void
open_inbox(struct fx *fx, struct res *r)
{
	CALL(fx->mb->drv->open_folder(fx->mb, "INBOX", open_cb, r));
	wait_for(1);
	assert_int_equal(r->st, DRV_OK);
}

#define SELECT_REPLY "* 3 EXISTS\r\n* OK [UIDVALIDITY 1700] v\r\n" \
	"* OK [UIDNEXT 20] n\r\n* OK [HIGHESTMODSEQ 99] h\r\n" \
	"%T OK [READ-WRITE] done\r\n"

static void
test_drv_imap_folders(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "LIST \"\" \"\"", "* LIST (\\Noselect) \".\" \"\"\r\n%T OK\r\n" },
		{ "LIST \"\" \"*\" RETURN (SPECIAL-USE)",
		  "* LIST () \".\" INBOX\r\n"
		  "* LIST (\\HasNoChildren \\Sent) \".\" \"Sent Items\"\r\n"
		  "* LIST (\\Noselect) \".\" Archiv\r\n"
		  "* LIST () \".\" Archiv.&AOQ-lter\r\n%T OK\r\n" },
		{ "SELECT Archiv.&AOQ-lter", SELECT_REPLY },
	};

	connect_mb(fx, "IMAP4rev1 SPECIAL-USE", rules, 3);
	assert_int_equal(fx->mb->drv->caps(fx->mb),
			 DRV_CAP_FOLDERS | DRV_CAP_FLAGS);
	CALL(fx->mb->drv->list_folders(fx->mb, folders_cb, &fx->r[1]));
	wait_for(1);
	assert_string_equal(fx->r[1].text, "INBOX:-:1 Sent Items:\\Sent:1 "
			    "Archiv:-:0 Archiv/\xc3\xa4lter:-:1 ");
	CALL(fx->mb->drv->open_folder(fx->mb, "Archiv/\xc3\xa4lter", open_cb,
				      &fx->r[2]));
	wait_for(1);
	assert_int_equal(fx->r[2].st, DRV_OK);
	assert_int_equal(fx->r[2].info.identity, 1700);
	assert_int_equal(fx->r[2].info.count, 3);
	assert_int_equal(fx->r[2].info.uidnext, 20);
	assert_int_equal(fx->r[2].info.highestmodseq, 99);
	CALL(fx->mb->drv->open_folder(fx->mb, "Nope", open_cb, &fx->r[3]));
	wait_for(1);
	assert_int_equal(fx->r[3].st, DRV_BOX_BAD);
	assert_string_equal(fx->mb->drv->error(fx->mb), "unknown");
}

static void
test_drv_imap_status(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "LIST \"\" \"\"",
		  "* LIST (\\Noselect) \".\" \"\"\r\n%T OK\r\n" },
		{ "SELECT INBOX (CONDSTORE)", SELECT_REPLY },
		{ "STATUS Archiv.&AOQ-lter (MESSAGES UIDNEXT UIDVALIDITY "
		  "HIGHESTMODSEQ)",
		  "* STATUS \"Archiv.&AOQ-lter\" (MESSAGES 3 UIDNEXT 4 "
		  "UIDVALIDITY 7 HIGHESTMODSEQ 98)\r\n%T OK\r\n" },
		{ "STATUS Nope", "%T NO [NONEXISTENT] no such mailbox\r\n" },
		{ "STATUS Empty", "* STATUS Empty (MESSAGES 0)\r\n%T OK\r\n" },
		{ "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE MODSEQ) "
		  "(CHANGEDSINCE 50 VANISHED)",
		  "* VANISHED (EARLIER) 2:3,25\r\n%T OK\r\n" },
	};
	struct drv_list_req req = { .changed_since = 50,
				    .known_identity = 1700 };

	connect_mb(fx, "IMAP4rev1 CONDSTORE QRESYNC ENABLE", rules, 6);
	assert_non_null(fx->mb->drv->status);
	open_inbox(fx, &fx->r[0]);
	CALL(fx->mb->drv->status(fx->mb, "Archiv/\xc3\xa4lter", open_cb,
				 &fx->r[1]));
	CALL(fx->mb->drv->status(fx->mb, "Nope", open_cb, &fx->r[2]));
	CALL(fx->mb->drv->status(fx->mb, "Empty", open_cb, &fx->r[3]));
	wait_for(3);
	assert_int_equal(fx->r[1].st, DRV_OK);
	assert_int_equal(fx->r[1].info.identity, 7);
	assert_int_equal(fx->r[1].info.count, 3);
	assert_int_equal(fx->r[1].info.uidnext, 4);
	assert_int_equal(fx->r[1].info.highestmodseq, 98);
	assert_int_equal(fx->r[2].st, DRV_BOX_BAD);
	/* no UIDVALIDITY is no identity */
	assert_int_equal(fx->r[3].st, DRV_BOX_BAD);
	assert_non_null(strstr(fx->mb->drv->error(fx->mb), "UIDVALIDITY"));
	assert_true(fx->r[1].order < fx->r[2].order);
	assert_true(fx->r[2].order < fx->r[3].order);
	/* INBOX is still the open folder, with SELECT's identity and UIDNEXT:
	 * the listing goes on incrementally without another SELECT */
	CALL(fx->mb->drv->list_msgs(fx->mb, &req, msgs_cb, &fx->r[0]));
	wait_for(1);
	assert_int_equal(fx->r[0].st, DRV_OK);
	assert_string_equal(fx->r[0].text, "v2 v3 partial");
	assert_non_null(strstr(fx->srv.log, "SELECT"));
	assert_null(strstr(strstr(fx->srv.log, "SELECT") + 1, "SELECT"));
}

static void
test_drv_imap_list_msgs(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "SELECT INBOX (CONDSTORE)", SELECT_REPLY },
		{ "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE MODSEQ "
		  "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])",
		  "* 1 FETCH (UID 10 FLAGS (\\Seen) RFC822.SIZE 5 MODSEQ (3) "
		  "INTERNALDATE \"01-Jan-2020 00:00:00 +0000\" "
		  "BODY[HEADER.FIELDS (MESSAGE-ID)] {21}\r\n"
		  "Message-ID: <a@b>\r\n\r\n)\r\n"
		  "* 2 FETCH (UID 11 FLAGS (\\Flagged $Work \\Recent) "
		  "RFC822.SIZE 6 MODSEQ (4) BODY[HEADER.FIELDS (MESSAGE-ID)] "
		  "\"\")\r\n"
		  "* 1 EXPUNGE\r\n"
		  "* 2 FETCH (UID 12 FLAGS () RFC822.SIZE 7 MODSEQ (5))\r\n"
		  "%T OK\r\n" },
	};
	struct drv_list_req req = { .want_message_id = 1 };

	connect_mb(fx, "IMAP4rev1 CONDSTORE", rules, 2);
	open_inbox(fx, &fx->r[1]);
	CALL(fx->mb->drv->list_msgs(fx->mb, &req, msgs_cb, &fx->r[2]));
	wait_for(1);
	assert_int_equal(fx->r[2].st, DRV_OK);
	/* UID 10 was expunged while listing; 11 and 12 renumbered */
	assert_string_equal(fx->r[2].text,
			    "11/11/1/6/4/$Work/-/0/4 12/12/2/7/0/-/-/0/5 ");
}

static void
test_drv_imap_list_incremental(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "SELECT INBOX (CONDSTORE)", SELECT_REPLY },
		{ "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE MODSEQ) "
		  "(CHANGEDSINCE 50 VANISHED)",
		  "* VANISHED (EARLIER) 2:3,25\r\n"
		  "* 1 FETCH (UID 4 FLAGS (\\Seen) MODSEQ (60))\r\n"
		  "%T OK\r\n" },
	};
	struct drv_list_req req = { .changed_since = 50,
				    .known_identity = 1700 };

	connect_mb(fx, "IMAP4rev1 CONDSTORE QRESYNC ENABLE", rules, 2);
	assert_true(fx->mb->drv->caps(fx->mb) & DRV_CAP_VANISHED);
	open_inbox(fx, &fx->r[1]);
	CALL(fx->mb->drv->list_msgs(fx->mb, &req, msgs_cb, &fx->r[2]));
	wait_for(1);
	assert_int_equal(fx->r[2].st, DRV_OK);
	/* 25 >= UIDNEXT 20 never existed */
	assert_string_equal(fx->r[2].text,
			    "4/4/1/0/1/-/-/0/60 v2 v3 partial");
}

static void
test_drv_imap_fetch_flags_append(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "SELECT", SELECT_REPLY },
		{ "UID FETCH 10 (UID BODY.PEEK[])",
		  "* 1 FETCH (UID 10 BODY[] {7}\r\nSubj\r\n\r)\r\n%T OK\r\n" },
		{ "UID FETCH 11 (UID BODY.PEEK[])", "%T OK\r\n" },
		{ "UID STORE 10 +FLAGS.SILENT (\\Seen \\Flagged a)", "%T OK\r\n" },
		{ "UID STORE 10 -FLAGS.SILENT (\\Draft)", "%T OK\r\n" },
		{ "APPEND Sent", "%T OK [APPENDUID 1700 21] ok\r\n" },
	};
	struct drv_msg m10 = { .uid = 10 }, m11 = { .uid = 11 };

	connect_mb(fx, "IMAP4rev1 UIDPLUS", rules, 6);
	open_inbox(fx, &fx->r[0]);
	CALL(fx->mb->drv->fetch(fx->mb, &m10, data_cb, cb, &fx->r[1]));
	CALL(fx->mb->drv->fetch(fx->mb, &m11, data_cb, cb, &fx->r[2]));
	CALL(fx->mb->drv->set_flags(fx->mb, &m10,
				    STORE_F_SEEN | STORE_F_FLAGGED,
				    STORE_F_DRAFT, "a bad\\kw", NULL, cb,
				    &fx->r[3]));
	wait_for(3);
	assert_int_equal(fx->r[1].st, DRV_OK);
	assert_string_equal(buf_cstr(&fx->r[1].data), "Subj\r\n\r");
	assert_int_equal(fx->r[2].st, DRV_MSG_BAD);
	assert_int_equal(fx->r[3].st, DRV_OK);
	CALL(fx->mb->drv->append(fx->mb, "Sent", "x\r\n", 3, STORE_F_SEEN,
				 0, uid_cb, &fx->r[0]));
	wait_for(1);
	assert_int_equal(fx->r[0].st, DRV_OK);
	assert_int_equal(fx->r[0].uid, 21);
	assert_non_null(strstr(fx->srv.log, "APPEND Sent (\\Seen) {3}"));
}

static void
test_drv_imap_expunge_uidplus(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "SELECT", SELECT_REPLY },
		{ "UID STORE 3,5:6 +FLAGS.SILENT (\\Deleted)", "%T OK\r\n" },
		{ "UID EXPUNGE 3,5:6", "* 1 EXPUNGE\r\n%T OK\r\n" },
	};
	struct drv_msg a = { .uid = 5 }, b = { .uid = 3 }, c = { .uid = 6 };
	const struct drv_msg *ms[] = { &a, &b, &c };
	char line[256];
	FILE *f;

	connect_mb(fx, "IMAP4rev1 UIDPLUS", rules, 3);
	open_inbox(fx, &fx->r[0]);
	unlink(trace_path);
	CALL(fx->mb->drv->expunge(fx->mb, ms, 3, cb, &fx->r[1]));
	wait_for(1);
	assert_int_equal(fx->r[1].st, DRV_OK);
	assert_non_null(strstr(fx->srv.log, "UID EXPUNGE 3,5:6"));
	f = fopen(trace_path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "remote.imap.store"));
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "remote.imap.expunge"));
	fclose(f);
	unlink(trace_path);
}

static void
test_drv_imap_expunge_no_uidplus(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "SELECT", SELECT_REPLY },
		{ "UID STORE 5 +FLAGS.SILENT (\\Deleted)", "%T OK\r\n" },
		{ "UID SEARCH DELETED", "* SEARCH 5 9\r\n%T OK\r\n" },
		{ "UID STORE 9 +FLAGS.SILENT (\\Deleted)", "%T OK\r\n" },
		{ "UID SEARCH DELETED", "* SEARCH 9\r\n%T OK\r\n" },
		{ "EXPUNGE", "* 2 EXPUNGE\r\n%T OK\r\n" },
	};
	struct drv_msg a = { .uid = 5 }, b = { .uid = 9 };
	const struct drv_msg *one[] = { &a }, *two[] = { &b };

	connect_mb(fx, "IMAP4rev1", rules, 6);
	open_inbox(fx, &fx->r[0]);
	CALL(fx->mb->drv->expunge(fx->mb, one, 1, cb, &fx->r[1]));
	wait_for(1);
	/* 9 carries \Deleted too: no EXPUNGE, ours left flagged */
	assert_int_equal(fx->r[1].st, DRV_MSG_BAD);
	assert_non_null(strstr(fx->mb->drv->error(fx->mb), "UIDPLUS"));
	assert_null(strstr(fx->srv.log, "|EXPUNGE"));
	CALL(fx->mb->drv->expunge(fx->mb, two, 1, cb, &fx->r[2]));
	wait_for(1);
	assert_int_equal(fx->r[2].st, DRV_OK);
	assert_non_null(strstr(fx->srv.log, "|EXPUNGE"));
	unlink(trace_path);
}

static void
test_drv_imap_order_and_close(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "SELECT", SELECT_REPLY },
		{ "NOOP", "%T OK\r\n" },
	};
	struct drv_msg m = { .uid = 4 };

	connect_mb(fx, "IMAP4rev1", rules, 2);
	open_inbox(fx, &fx->r[0]);
	/* set_flags with nothing to do completes locally, yet after the
	 * fetch issued before it */
	CALL(fx->mb->drv->fetch(fx->mb, &m, data_cb, cb, &fx->r[1]));
	CALL(fx->mb->drv->set_flags(fx->mb, &m, 0, 0, NULL, NULL, cb,
				    &fx->r[2]));
	wait_for(2);
	assert_int_equal(fx->r[1].st, DRV_MSG_BAD);
	assert_int_equal(fx->r[2].st, DRV_OK);
	assert_true(fx->r[1].order < fx->r[2].order);
	CALL(fx->mb->drv->close(fx->mb, cb, &fx->r[3]));
	wait_for(1);
	assert_int_equal(fx->r[3].st, DRV_OK);
	assert_non_null(strstr(fx->srv.log, "LOGOUT"));
}

static void
test_drv_imap_connect_fails(void **state)
{
	struct fx *fx = *state;
	struct fake_rule rules[] = {
		{ "LOGIN", "%T NO [AUTHENTICATIONFAILED] nope\r\n" },
	};
	struct drv_account acct = {
		.host = "127.0.0.1", .port = (unsigned int)fx->srv.port,
		.tls = ACCOUNT_TLS_NONE, .login = "u", .password = "secret",
		.timeout_ms = 2000,
	};

	fx->srv.rules = rules;
	fx->srv.nrules = 1;
	fx->mb = drv_imap_new(loop, &acct);
	CALL(fx->mb->drv->connect(fx->mb, cb, &fx->r[0]));
	wait_for(1);
	assert_int_equal(fx->r[0].st, DRV_ACCOUNT_BAD);
	assert_non_null(strstr(fx->mb->drv->error(fx->mb), "nope"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
		T(test_drv_imap_folders),
		T(test_drv_imap_status),
		T(test_drv_imap_list_msgs),
		T(test_drv_imap_list_incremental),
		T(test_drv_imap_fetch_flags_append),
		T(test_drv_imap_expunge_uidplus),
		T(test_drv_imap_expunge_no_uidplus),
		T(test_drv_imap_order_and_close),
		T(test_drv_imap_connect_fails),
	};

	snprintf(trace_path, sizeof(trace_path), "/tmp/conflux-drvimap-%d",
		 (int)getpid());
	setenv("CONFLUX_CRASH_TRACE", trace_path, 1);
	unlink(trace_path);
	return cmocka_run_group_tests_name("sync-drv-imap", tests, NULL,
					   NULL);
}
