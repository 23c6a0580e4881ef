/* The sync engine end to end over the store driver (store <-> store):
 * every mode, flags, the same message through two accounts, the deletion
 * guard and identity changes, with a real event loop and a real store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/log.h"
#include "lib/secret.h"
#include "lib/xalloc.h"
#include "net/loop.h"
#include "registry/registry.h"
#include "store/store.h"
#include "sync/drv-store.h"
#include "sync/engine.h"
#include "sync/state.h"

struct fx {
	char dir[64];
	struct db *db;
	struct store *st;
	struct registry *reg;
	struct secret_key *key;
	struct loop *loop;
	struct sync_report last;
};

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct store_limits lim = { 0, 65536 };
	char *error = NULL, *path;

	snprintf(f->dir, sizeof(f->dir), "/tmp/conflux-engine-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	path = xasprintf("%s/db", f->dir);
	f->db = db_open(path, &error);
	free(path);
	assert_non_null(f->db);
	path = xasprintf("%s/key", f->dir);
	assert_int_equal(secret_key_create(path, &error), 0);
	f->key = secret_key_load(path, &error);
	free(path);
	path = xasprintf("%s/mail", f->dir);
	f->st = store_open(f->db, path, &lim, &error);
	free(path);
	assert_non_null(f->st);
	f->reg = registry_open(f->db, f->key, &error);
	assert_non_null(f->reg);
	assert_int_equal(state_migrate(f->db, &error), 0);
	f->loop = loop_new();
	for (int i = 0; i < 3; i++) {
		const char *u = (const char *[]){ "near", "far", "far2" }[i];

		assert_int_equal(registry_user_add(f->reg, u, "pw"), REG_OK);
		assert_int_equal(store_user_create(f->st, u), STORE_OK);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xasprintf("rm -rf %s", f->dir);

	loop_free(&f->loop);
	registry_close(&f->reg);
	store_close(&f->st);
	db_close(&f->db);
	secret_key_free(&f->key);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(cmd);
	free(f);
	return 0;
}

static int64_t
add_account(struct fx *f, const char *name, enum account_mode mode)
{
	struct account a = { .user = (char *)"near", .name = (char *)name,
		.proto = ACCOUNT_IMAP, .host = (char *)"localhost", .port = 143,
		.tls = ACCOUNT_TLS_NONE, .login = (char *)"x", .mode = mode };
	struct account g;
	int64_t id;

	assert_int_equal(registry_account_add(f->reg, &a, "pw"), REG_OK);
	assert_int_equal(registry_account_get(f->reg, "near", name, &g),
			 REG_OK);
	id = g.id;
	account_clear(&g);
	return id;
}

static void
on_done(const struct sync_report *r, void *ctx)
{
	struct fx *f = ctx;

	f->last = *r;
	f->last.error = NULL;
	if (r->error != NULL)
		fprintf(stderr, "sync: %s\n", r->error);
	loop_break(f->loop);
}

/* One sync of account `name` (far side: store user `far_user`). */
static const struct sync_report *
sync_once(struct fx *f, const char *name, const char *far_user, int allow)
{
	struct account a;
	struct sync_options opt = { .allow_mass_delete = allow,
				    .session = "test" };

	assert_int_equal(registry_account_get(f->reg, "near", name, &a),
			 REG_OK);
	sync_start(f->loop, f->db, f->st, &a,
		   drv_store_new(f->loop, f->st, far_user), &opt, on_done, f);
	account_clear(&a);
	assert_int_equal(loop_run(f->loop), 0);
	return &f->last;
}

static uint32_t
put(struct fx *f, const char *user, const char *folder, const char *subject,
    const char *msgid)
{
	char *msg = xasprintf("From: a@example.org\r\nSubject: %s\r\n"
			      "%s%s%s\r\n\r\nbody of %s\r\n", subject,
			      msgid ? "Message-ID: <" : "X-No-Id: 1",
			      msgid ? msgid : "", msgid ? ">" : "", subject);
	uint32_t uid = 0;

	assert_int_equal(store_append(f->st, user, folder, msg, strlen(msg), 0,
				      0, &uid), STORE_OK);
	free(msg);
	return uid;
}

static int
count_cb(const struct store_msg *m, void *ctx)
{
	(*(unsigned *)ctx)++;
	return 0;
}

static unsigned
count(struct fx *f, const char *user, const char *folder)
{
	struct store_folder sf;
	unsigned n = 0;

	if (store_folder_get(f->st, user, folder, &sf) != STORE_OK)
		return 0;
	store_msg_list(f->st, sf.id, 1, count_cb, &n);
	store_folder_clear(&sf);
	return n;
}

static int64_t
folder_id(struct fx *f, const char *user, const char *folder)
{
	struct store_folder sf;
	int64_t id;

	assert_int_equal(store_folder_get(f->st, user, folder, &sf), STORE_OK);
	id = sf.id;
	store_folder_clear(&sf);
	return id;
}

static void
expunge(struct fx *f, const char *user, const char *folder, uint32_t uid)
{
	assert_int_equal(store_msg_expunge(f->st, folder_id(f, user, folder),
					   &uid, 1), STORE_OK);
}

static unsigned
flags_of(struct fx *f, const char *user, const char *folder, uint32_t uid)
{
	struct store_msg m;
	unsigned fl;

	assert_int_equal(store_msg_get(f->st, folder_id(f, user, folder), uid,
				       &m), STORE_OK);
	fl = m.flags;
	store_msg_clear(&m);
	return fl;
}

/* ---- tests ----------------------------------------------------------- */

static void
test_first_sync_maps_folders(void **state)
{
	struct fx *f = *state;
	const struct sync_report *r;

	add_account(f, "acct", ACCOUNT_MODE_FETCH);
	put(f, "far", "INBOX", "one", "1@x");
	put(f, "far", "INBOX", "two", NULL);
	put(f, "far", "Sent", "sent", "s@x");
	assert_int_equal(store_folder_create(f->st, "far", "Projects", NULL),
			 STORE_OK);
	put(f, "far", "Projects", "p", "p@x");
	r = sync_once(f, "acct", "far", 0);
	assert_int_equal(r->status, DRV_OK);
	assert_int_equal(r->fetched, 4);
	assert_int_equal(count(f, "near", "INBOX"), 2);
	assert_int_equal(count(f, "near", "Sent"), 1);
	assert_int_equal(count(f, "near", "Projects"), 1);
	/* nothing changed: nothing moves */
	r = sync_once(f, "acct", "far", 0);
	assert_int_equal(r->status, DRV_OK);
	assert_int_equal(r->fetched + r->deleted_here + r->deleted_there, 0);
	assert_int_equal(count(f, "near", "INBOX"), 2);
}

/* For each mode: delete one message on each side, sync, look. */
static void
run_mode(struct fx *f, const char *name, enum account_mode mode,
	 unsigned near_left, unsigned far_left)
{
	uint32_t a, b;
	const struct sync_report *r;

	add_account(f, name, mode);
	a = put(f, "far", "INBOX", "a", "a@x");
	b = put(f, "far", "INBOX", "b", "b@x");
	put(f, "far", "INBOX", "c", "c@x");
	r = sync_once(f, name, "far", 0);
	assert_int_equal(r->status, DRV_OK);
	if (mode == ACCOUNT_MODE_MOVE) {
		assert_int_equal(count(f, "far", "INBOX"), 0);
		assert_int_equal(count(f, "near", "INBOX"), 3);
		return;
	}
	assert_int_equal(count(f, "near", "INBOX"), 3);
	expunge(f, "far", "INBOX", a);		/* gone there */
	expunge(f, "near", "INBOX", 2);		/* b gone here (uid 2) */
	(void)b;
	r = sync_once(f, name, "far", 0);
	assert_int_equal(r->status, DRV_OK);
	assert_int_equal(count(f, "near", "INBOX"), near_left);
	assert_int_equal(count(f, "far", "INBOX"), far_left);
	/* converged: another sync changes nothing and fetches nothing */
	r = sync_once(f, name, "far", 0);
	assert_int_equal(r->fetched + r->deleted_here + r->deleted_there, 0);
	assert_int_equal(count(f, "near", "INBOX"), near_left);
	assert_int_equal(count(f, "far", "INBOX"), far_left);
}

static void
test_mode_fetch(void **state)
{
	run_mode(*state, "m", ACCOUNT_MODE_FETCH, 2, 2);
}

static void
test_mode_forward(void **state)
{
	run_mode(*state, "m", ACCOUNT_MODE_FORWARD, 1, 2);
}

static void
test_mode_reverse(void **state)
{
	run_mode(*state, "m", ACCOUNT_MODE_REVERSE, 2, 1);
}

static void
test_mode_both(void **state)
{
	run_mode(*state, "m", ACCOUNT_MODE_BOTH, 1, 1);
}

static void
test_mode_move(void **state)
{
	run_mode(*state, "m", ACCOUNT_MODE_MOVE, 3, 0);
}

static void
test_flags_both_ways(void **state)
{
	struct fx *f = *state;
	uint32_t far_a, near_a = 1, near_b = 2;

	add_account(f, "acct", ACCOUNT_MODE_BOTH);
	far_a = put(f, "far", "INBOX", "a", "a@x");
	put(f, "far", "INBOX", "b", "b@x");
	sync_once(f, "acct", "far", 0);
	/* read here, flagged there */
	assert_int_equal(store_msg_set_flags(f->st, folder_id(f, "near",
		"INBOX"), near_b, STORE_F_SEEN, 0, NULL, NULL, NULL), STORE_OK);
	assert_int_equal(store_msg_set_flags(f->st, folder_id(f, "far",
		"INBOX"), far_a, STORE_F_FLAGGED, 0, "$Work", NULL, NULL),
		STORE_OK);
	sync_once(f, "acct", "far", 0);
	assert_int_equal(f->last.status, DRV_OK);
	assert_int_equal(flags_of(f, "near", "INBOX", near_a), STORE_F_FLAGGED);
	assert_int_equal(flags_of(f, "far", "INBOX", 2), STORE_F_SEEN);
	assert_int_equal(f->last.flagged_here, 1);
	assert_int_equal(f->last.flagged_there, 1);
	sync_once(f, "acct", "far", 0);
	assert_int_equal(f->last.flagged_here + f->last.flagged_there, 0);
}

static void
test_same_message_two_accounts(void **state)
{
	struct fx *f = *state;

	add_account(f, "one", ACCOUNT_MODE_BOTH);
	add_account(f, "two", ACCOUNT_MODE_BOTH);
	put(f, "far", "INBOX", "shared", "shared@x");
	put(f, "far2", "INBOX", "shared", "shared@x");
	/* same Message-ID, different content: stays two */
	put(f, "far2", "INBOX", "other content", "shared@x");
	sync_once(f, "one", "far", 0);
	sync_once(f, "two", "far2", 0);
	assert_int_equal(f->last.linked, 1);
	assert_int_equal(count(f, "near", "INBOX"), 2);
	/* deleted here: deleted on both accounts */
	expunge(f, "near", "INBOX", 1);
	sync_once(f, "one", "far", 0);
	sync_once(f, "two", "far2", 0);
	assert_int_equal(count(f, "far", "INBOX"), 0);
	assert_int_equal(count(f, "far2", "INBOX"), 1);
	assert_int_equal(count(f, "near", "INBOX"), 1);
}

static void
test_forward_delete_through_two_accounts(void **state)
{
	struct fx *f = *state;
	uint32_t uid;

	add_account(f, "one", ACCOUNT_MODE_BOTH);
	add_account(f, "two", ACCOUNT_MODE_BOTH);
	uid = put(f, "far", "INBOX", "shared", "shared@x");
	put(f, "far2", "INBOX", "shared", "shared@x");
	sync_once(f, "one", "far", 0);
	sync_once(f, "two", "far2", 0);
	/* deleted on account one: leaves the store, then account two */
	expunge(f, "far", "INBOX", uid);
	sync_once(f, "one", "far", 0);
	assert_int_equal(count(f, "near", "INBOX"), 0);
	sync_once(f, "two", "far2", 0);
	assert_int_equal(count(f, "far2", "INBOX"), 0);
}

static void
test_deletion_guard(void **state)
{
	struct fx *f = *state;
	uint32_t uids[40];

	add_account(f, "acct", ACCOUNT_MODE_BOTH);
	for (int i = 0; i < 40; i++) {
		char id[32];

		snprintf(id, sizeof(id), "g%d@x", i);
		uids[i] = put(f, "far", "INBOX", id, id);
	}
	sync_once(f, "acct", "far", 0);
	for (int i = 0; i < 20; i++)
		expunge(f, "far", "INBOX", uids[i]);
	sync_once(f, "acct", "far", 0);
	assert_true(f->last.guard_tripped);
	assert_int_not_equal(f->last.status, DRV_OK);
	assert_int_equal(count(f, "near", "INBOX"), 40);	/* held back */
	sync_once(f, "acct", "far", 1);
	assert_int_equal(f->last.status, DRV_OK);
	assert_int_equal(count(f, "near", "INBOX"), 20);
}

static void
test_uidvalidity_change_remaps(void **state)
{
	struct fx *f = *state;

	add_account(f, "acct", ACCOUNT_MODE_BOTH);
	assert_int_equal(store_folder_create(f->st, "far", "Box", NULL),
			 STORE_OK);
	put(f, "far", "Box", "a", "a@x");
	put(f, "far", "Box", "b", NULL);
	put(f, "far", "Box", "c", "c@x");
	sync_once(f, "acct", "far", 0);
	assert_int_equal(count(f, "near", "Box"), 3);
	/* recreate the folder there: new UIDVALIDITY, same mail, minus c */
	assert_int_equal(store_folder_delete(f->st, "far", "Box"), STORE_OK);
	assert_int_equal(store_folder_create(f->st, "far", "Box", NULL),
			 STORE_OK);
	put(f, "far", "Box", "a", "a@x");
	put(f, "far", "Box", "b", NULL);
	sync_once(f, "acct", "far", 0);
	assert_int_equal(f->last.remapped, 1);	/* a, by Message-ID */
	assert_int_equal(f->last.deleted_here, 0);	/* never across it */
	assert_int_equal(f->last.fetched, 0);	/* b was linked, not stored */
	assert_int_equal(count(f, "near", "Box"), 3);
	/* afterwards deletions flow again */
	sync_once(f, "acct", "far", 0);
	assert_int_equal(f->last.status, DRV_OK);
}

static void
test_dry_run_changes_nothing(void **state)
{
	struct fx *f = *state;
	struct account a;
	struct sync_options opt = { .dry_run = 1, .session = "t" };

	add_account(f, "acct", ACCOUNT_MODE_BOTH);
	put(f, "far", "INBOX", "a", "a@x");
	assert_int_equal(registry_account_get(f->reg, "near", "acct", &a),
			 REG_OK);
	sync_start(f->loop, f->db, f->st, &a,
		   drv_store_new(f->loop, f->st, "far"), &opt, on_done, f);
	account_clear(&a);
	loop_run(f->loop);
	assert_int_equal(f->last.fetched, 1);
	assert_int_equal(count(f, "near", "INBOX"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_sync_maps_folders,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_forward, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mode_reverse, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mode_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags_both_ways, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_same_message_two_accounts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_forward_delete_through_two_accounts, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_deletion_guard, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_uidvalidity_change_remaps,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_changes_nothing,
						setup, teardown),
	};

	log_open("test", LOG_TARGET_STDERR, LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
