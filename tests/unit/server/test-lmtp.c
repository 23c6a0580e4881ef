/* tests for the LMTP server's group commit as the store offers it
 * (store_batch_commit_many in src/store/append.c): many users and folders
 * in one pass, failures kept to their own batch. The LMTP protocol is
 * tested end to end in tests/integration/test_lmtp_server.py. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>

#include "lib/db.h"
#include "store/store.h"

struct fx {
	char dir[64];
	char root[128];
	struct db *db;
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct store_limits limits = { 1000, 4096 };
	char path[192], *err = NULL;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/conflux-lmtp-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->root, sizeof(fx->root), "%s/mail", fx->dir);
	snprintf(path, sizeof(path), "%s/index.db", fx->dir);
	fx->db = db_open(path, &err);
	assert_non_null(fx->db);
	fx->st = store_open(fx->db, fx->root, &limits, &err);
	assert_non_null(fx->st);
	for (int i = 0; i < 4; i++) {
		char user[16];

		snprintf(user, sizeof(user), "u%d", i);
		assert_int_equal(store_user_create(fx->st, user), STORE_OK);
	}
	*state = fx;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb;
	(void)type;
	(void)f;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	store_close(&fx->st);
	db_close(&fx->db);
	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* A batch of one message for user's INBOX; finish = 0 leaves the draft
 * open, size > 1000 makes the store reject it. */
static struct store_batch *
one(struct fx *fx, const char *user, size_t size, int finish)
{
	struct store_batch *b;
	struct store_draft *d;
	char *msg = malloc(size + 1);
	int rc;

	memset(msg, 'x', size);
	memcpy(msg, "Subject: t\r\n\r\n", 14);
	assert_int_equal(store_batch_begin(fx->st, user, "INBOX", &b),
			 STORE_OK);
	assert_int_equal(store_draft_begin(b, 0, 0, NULL, &d), STORE_OK);
	rc = store_draft_write(d, msg, size);
	assert_int_equal(rc, size > 1000 ? STORE_REJECT : STORE_OK);
	if (rc == STORE_OK && finish)
		assert_int_equal(store_draft_finish(d), STORE_OK);
	free(msg);
	return b;
}

static uint32_t
count(struct fx *fx, const char *user)
{
	struct store_folder f;
	uint32_t n;

	assert_int_equal(store_folder_get(fx->st, user, "INBOX", &f),
			 STORE_OK);
	n = f.messages;
	store_folder_clear(&f);
	return n;
}

static size_t
files(struct fx *fx, const char *user, const char *sub)
{
	char path[256];
	struct dirent *e;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s/%s", fx->root, user, sub);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void
test_commit_many_users_and_folders(void **state)
{
	struct fx *fx = *state;
	const char *users[] = { "u0", "u1", "u0", "u2", "u3", "u0" };
	struct store_batch *b[6];
	int rcs[6];

	for (size_t i = 0; i < 6; i++)
		b[i] = one(fx, users[i], 100 + i, 1);
	assert_int_equal(store_batch_commit_many(b, 6, rcs, NULL), 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(rcs[i], STORE_OK);
		assert_null(b[i]);
	}
	assert_int_equal(count(fx, "u0"), 3);
	assert_int_equal(count(fx, "u1"), 1);
	assert_int_equal(files(fx, "u0", "cur"), 3);
	assert_int_equal(files(fx, "u0", "tmp"), 0);
}

static void
test_commit_many_small_group(void **state)
{
	struct fx *fx = *state;
	struct store_batch *b[2];
	int rcs[2];

	/* Below the syncfs threshold: one fsync per file. */
	b[0] = one(fx, "u1", 50, 1);
	b[1] = one(fx, "u2", 60, 1);
	assert_int_equal(store_batch_commit_many(b, 2, rcs, NULL), 2);
	assert_int_equal(count(fx, "u1"), 1);
	assert_int_equal(count(fx, "u2"), 1);
	assert_int_equal(store_batch_commit_many(b, 0, rcs, NULL), 0);
}

static void
test_commit_many_failures_stay_apart(void **state)
{
	struct fx *fx = *state;
	struct store_batch *b[5];
	int rcs[5];

	b[0] = one(fx, "u0", 100, 1);
	b[1] = one(fx, "u1", 5000, 1);		/* rejected: too large */
	b[2] = NULL;
	b[3] = one(fx, "u2", 100, 0);		/* draft never finished */
	b[4] = one(fx, "u3", 100, 1);
	assert_int_equal(store_batch_commit_many(b, 5, rcs, NULL), 2);
	assert_int_equal(rcs[0], STORE_OK);
	assert_int_equal(rcs[1], STORE_REJECT);
	assert_int_equal(rcs[2], STORE_REJECT);
	assert_int_equal(rcs[3], STORE_REJECT);
	assert_int_equal(rcs[4], STORE_OK);
	assert_int_equal(count(fx, "u0"), 1);
	assert_int_equal(count(fx, "u1"), 0);
	assert_int_equal(count(fx, "u2"), 0);
	assert_int_equal(count(fx, "u3"), 1);
	assert_int_equal(files(fx, "u1", "tmp"), 0);
	assert_int_equal(files(fx, "u2", "tmp"), 0);
	assert_int_equal(files(fx, "u2", "cur"), 0);
	for (size_t i = 0; i < 5; i++)
		assert_null(b[i]);
}

static void
test_commit_many_uids_ascend(void **state)
{
	struct fx *fx = *state;
	struct store_batch *b[40];
	int rcs[40];

	for (size_t i = 0; i < 40; i++)
		b[i] = one(fx, i % 2 ? "u1" : "u3", 200, 1);
	assert_int_equal(store_batch_commit_many(b, 40, rcs, NULL), 40);
	assert_int_equal(count(fx, "u1"), 20);
	assert_int_equal(count(fx, "u3"), 20);
	assert_int_equal(files(fx, "u3", "cur"), 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_commit_many_users_and_folders, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_commit_many_small_group, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_commit_many_failures_stay_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_commit_many_uids_ascend, setup, teardown),
	};

	return cmocka_run_group_tests_name("server-lmtp", tests, NULL, NULL);
}
