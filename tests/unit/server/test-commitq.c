/* server/common/commitq: answers from the loop after the commit, with the
 * new UIDs; several batches in one pass; a forgotten entry is committed
 * all the same; commitq_free commits what is queued. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <ftw.h>

#include "lib/db.h"
#include "net/loop.h"
#include "server/common/commitq.h"
#include "store/store.h"

struct fx {
	char dir[64];
	struct db *db;
	struct store *st;
	struct loop *loop;
	struct commitq *q;
	struct timer *stop;
};

struct answer {
	int calls;
	int rc;
	uint32_t uids[4];
	size_t n;
};

static void
on_stop(void *ctx)
{
	loop_break(ctx);
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct store_limits limits = { 0, 4096 };
	char path[192], *err = NULL;

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/conflux-commitq-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(path, sizeof(path), "%s/index.db", fx->dir);
	fx->db = db_open(path, &err);
	snprintf(path, sizeof(path), "%s/mail", fx->dir);
	fx->st = store_open(fx->db, path, &limits, &err);
	assert_non_null(fx->st);
	assert_int_equal(store_user_create(fx->st, "a"), STORE_OK);
	assert_int_equal(store_user_create(fx->st, "b"), STORE_OK);
	fx->loop = loop_new();
	fx->q = commitq_new(fx->loop, fx->st, NULL);
	fx->stop = timer_new(fx->loop, on_stop, fx->loop);
	*state = fx;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	return remove(path);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	commitq_free(&fx->q);
	timer_free(&fx->stop);
	loop_free(&fx->loop);
	store_close(&fx->st);
	db_close(&fx->db);
	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static struct store_batch *
batch(struct fx *fx, const char *user, int messages)
{
	struct store_batch *b;
	struct store_draft *d;
	char text[64];
	int i;

	assert_int_equal(store_batch_begin(fx->st, user, "INBOX", &b),
			 STORE_OK);
	for (i = 0; i < messages; i++) {
		snprintf(text, sizeof(text), "Subject: %d\r\n\r\nbody\r\n", i);
		assert_int_equal(store_draft_begin(b, 0, 0, NULL, &d),
				 STORE_OK);
		assert_int_equal(store_draft_write(d, text, strlen(text)),
				 STORE_OK);
		assert_int_equal(store_draft_finish(d), STORE_OK);
	}
	return b;
}

static void
on_done(int rc, const uint32_t *uids, size_t n, void *ctx)
{
	struct answer *a = ctx;

	a->calls++;
	a->rc = rc;
	a->n = n;
	memcpy(a->uids, uids, n * sizeof(*uids));
}

static uint32_t
inbox_count(struct fx *fx, const char *user)
{
	struct store_folder f;
	uint32_t n;

	assert_int_equal(store_folder_get(fx->st, user, "INBOX", &f),
			 STORE_OK);
	n = f.messages;
	store_folder_clear(&f);
	return n;
}

static void
test_commitq_groups_and_answers_with_uids(void **state)
{
	struct fx *fx = *state;
	struct answer a1 = { 0 }, a2 = { 0 }, b1 = { 0 };
	struct store_batch *b;

	b = batch(fx, "a", 2);
	commitq_add(fx->q, &b, 1, on_done, &a1);
	assert_null(b);
	b = batch(fx, "b", 1);
	commitq_add(fx->q, &b, 2, on_done, &b1);
	b = batch(fx, "a", 1);
	commitq_add(fx->q, &b, 1, on_done, &a2);
	assert_int_equal(a1.calls, 0);		/* never from inside */
	timer_start(fx->stop, 100, false);
	loop_run(fx->loop);
	assert_int_equal(a1.calls + a2.calls + b1.calls, 3);
	assert_int_equal(a1.rc, STORE_OK);
	assert_int_equal(a1.n, 2);
	assert_int_equal(a1.uids[0], 1);
	assert_int_equal(a1.uids[1], 2);
	assert_int_equal(a2.uids[0], 3);
	assert_int_equal(b1.uids[0], 1);
	assert_int_equal(commitq_passes(fx->q), 1);
	assert_int_equal(commitq_batches(fx->q), 3);
	assert_int_equal(inbox_count(fx, "a"), 3);
}

static void
test_commitq_forgotten_entry_is_still_committed(void **state)
{
	struct fx *fx = *state;
	struct answer a = { 0 };
	struct store_batch *b = batch(fx, "a", 1);
	struct commitq_entry *e = commitq_add(fx->q, &b, 1, on_done, &a);

	commitq_forget(&e);
	assert_null(e);
	timer_start(fx->stop, 100, false);
	loop_run(fx->loop);
	assert_int_equal(a.calls, 0);
	assert_int_equal(inbox_count(fx, "a"), 1);
}

static void
test_commitq_free_commits_what_is_queued(void **state)
{
	struct fx *fx = *state;
	struct answer a = { 0 };
	struct store_batch *b = batch(fx, "b", 2);

	commitq_add(fx->q, &b, 2, on_done, &a);
	commitq_free(&fx->q);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.rc, STORE_OK);
	assert_int_equal(inbox_count(fx, "b"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_commitq_groups_and_answers_with_uids, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_commitq_forgotten_entry_is_still_committed, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_commitq_free_commits_what_is_queued, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
