/* server/imap/imap-view: the sequence number <-> UID map and the pending
 * changes read from the journal (appends, flag changes, expunges, our
 * own changes skipped). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "server/imap/imap-view.h"
#include "store/store.h"

static void
load(struct imap_view *v, const uint32_t *uids, size_t n)
{
	size_t i;

	imap_view_init(v);
	for (i = 0; i < n; i++)
		imap_view_load(v, uids[i]);
}

static void
change(struct imap_view *v, uint64_t modseq, uint32_t uid,
       enum store_change_kind kind)
{
	struct store_change c = { modseq, uid, kind, 0, "" };

	imap_view_change(v, &c);
}

static void
test_imap_view_seq_uid(void **state)
{
	static const uint32_t uids[] = { 3, 7, 8, 20 };
	struct imap_view v;

	(void)state;
	load(&v, uids, 4);
	assert_int_equal(imap_view_seq(&v, 3), 1);
	assert_int_equal(imap_view_seq(&v, 20), 4);
	assert_int_equal(imap_view_seq(&v, 5), 0);
	assert_int_equal(imap_view_seq(&v, 21), 0);
	assert_int_equal(imap_view_uid(&v, 2), 7);
	assert_int_equal(imap_view_uid(&v, 0), 0);
	assert_int_equal(imap_view_uid(&v, 5), 0);
	assert_int_equal(imap_view_last_uid(&v), 20);
	assert_false(imap_view_has_pending(&v));
	imap_view_clear(&v);
	assert_int_equal(imap_view_last_uid(&v), 0);
}

static void
test_imap_view_change_append(void **state)
{
	static const uint32_t uids[] = { 1, 2 };
	struct imap_view v;

	(void)state;
	load(&v, uids, 2);
	change(&v, 10, 2, STORE_CHANGE_APPEND);	/* already known */
	change(&v, 11, 4, STORE_CHANGE_APPEND);
	change(&v, 12, 3, STORE_CHANGE_APPEND);	/* out of order */
	change(&v, 13, 4, STORE_CHANGE_APPEND);	/* twice */
	assert_int_equal(v.modseq, 13);
	assert_true(imap_view_has_pending(&v));
	assert_int_equal(imap_view_new_take(&v), 2);
	assert_int_equal(v.count, 4);
	assert_int_equal(imap_view_uid(&v, 3), 3);
	assert_int_equal(imap_view_uid(&v, 4), 4);
	assert_false(imap_view_has_pending(&v));
	imap_view_clear(&v);
}

static void
test_imap_view_expunge_descending(void **state)
{
	static const uint32_t uids[] = { 1, 2, 3, 4, 5 };
	struct imap_view v;
	uint32_t seq, uid;

	(void)state;
	load(&v, uids, 5);
	change(&v, 20, 2, STORE_CHANGE_EXPUNGE);
	change(&v, 21, 4, STORE_CHANGE_LOST);
	change(&v, 22, 9, STORE_CHANGE_EXPUNGE);	/* never known */
	assert_true(imap_view_has_expunges(&v));
	assert_int_equal(imap_view_expunge_take(&v, &seq, &uid), 1);
	assert_int_equal(seq, 4);
	assert_int_equal(uid, 4);
	assert_int_equal(imap_view_expunge_take(&v, &seq, &uid), 1);
	assert_int_equal(seq, 2);
	assert_int_equal(uid, 2);
	assert_int_equal(imap_view_expunge_take(&v, &seq, &uid), 0);
	assert_int_equal(v.count, 3);
	assert_int_equal(imap_view_uid(&v, 2), 3);
	assert_int_equal(imap_view_uid(&v, 3), 5);
	imap_view_clear(&v);
}

static void
test_imap_view_append_then_expunge_unseen(void **state)
{
	static const uint32_t uids[] = { 1 };
	struct imap_view v;

	(void)state;
	load(&v, uids, 1);
	change(&v, 5, 2, STORE_CHANGE_APPEND);
	change(&v, 6, 2, STORE_CHANGE_EXPUNGE);
	assert_false(imap_view_has_expunges(&v));
	assert_int_equal(imap_view_new_take(&v), 0);
	assert_int_equal(v.count, 1);
	imap_view_clear(&v);
}

static void
test_imap_view_flags_own_skipped(void **state)
{
	static const uint32_t uids[] = { 1, 2, 3 };
	struct imap_view v;
	uint32_t *got, n;

	(void)state;
	load(&v, uids, 3);
	imap_view_own(&v, 31);
	change(&v, 30, 3, STORE_CHANGE_FLAGS);
	change(&v, 31, 1, STORE_CHANGE_FLAGS);	/* ours */
	change(&v, 32, 3, STORE_CHANGE_FLAGS);	/* twice */
	change(&v, 33, 2, STORE_CHANGE_FLAGS);
	change(&v, 34, 2, STORE_CHANGE_EXPUNGE);	/* then gone */
	change(&v, 35, 7, STORE_CHANGE_FLAGS);	/* not in the view */
	imap_view_flags_take(&v, &got, &n);
	assert_int_equal(n, 1);
	assert_int_equal(got[0], 3);
	free(got);
	assert_int_equal(v.n_own, 0);
	imap_view_flags_take(&v, &got, &n);
	assert_int_equal(n, 0);
	assert_null(got);
	imap_view_clear(&v);
}

static void
test_imap_view_own_expunge(void **state)
{
	static const uint32_t uids[] = { 1, 2, 3 };
	struct imap_view v;
	uint32_t seq, uid;

	(void)state;
	load(&v, uids, 3);
	imap_view_expunged(&v, 3);
	imap_view_expunged(&v, 3);
	imap_view_expunged(&v, 1);
	imap_view_expunged(&v, 8);
	assert_int_equal(imap_view_expunge_take(&v, &seq, &uid), 1);
	assert_int_equal(seq, 3);
	assert_int_equal(imap_view_expunge_take(&v, &seq, &uid), 1);
	assert_int_equal(seq, 1);
	assert_int_equal(imap_view_expunge_take(&v, &seq, &uid), 0);
	/* the journal brings them back later: nothing happens */
	change(&v, 40, 3, STORE_CHANGE_EXPUNGE);
	change(&v, 41, 1, STORE_CHANGE_EXPUNGE);
	assert_false(imap_view_has_pending(&v));
	assert_int_equal(v.count, 1);
	assert_int_equal(imap_view_uid(&v, 1), 2);
	imap_view_clear(&v);
}

static void
test_imap_view_large(void **state)
{
	struct imap_view v;
	uint32_t i, seq, uid, n = 0;

	(void)state;
	imap_view_init(&v);
	for (i = 1; i <= 10000; i++)
		imap_view_load(&v, i * 2);
	for (i = 1; i <= 10000; i += 2)
		change(&v, i, i * 2, STORE_CHANGE_EXPUNGE);
	while (imap_view_expunge_take(&v, &seq, &uid) == 1) {
		assert_int_equal(seq, uid / 2);
		n++;
	}
	assert_int_equal(n, 5000);
	assert_int_equal(v.count, 5000);
	assert_int_equal(imap_view_seq(&v, 4), 1);
	assert_int_equal(imap_view_seq(&v, 20000), 5000);
	imap_view_clear(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap_view_seq_uid),
		cmocka_unit_test(test_imap_view_change_append),
		cmocka_unit_test(test_imap_view_expunge_descending),
		cmocka_unit_test(test_imap_view_append_then_expunge_unseen),
		cmocka_unit_test(test_imap_view_flags_own_skipped),
		cmocka_unit_test(test_imap_view_own_expunge),
		cmocka_unit_test(test_imap_view_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
