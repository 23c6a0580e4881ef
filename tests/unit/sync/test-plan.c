/* Table-driven tests of the sync plan (sync/plan.c): every mode against
 * every combination of "still there / gone" on each side, identity
 * changes, the deletion guard and the flag merge. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/strx.h"
#include "lib/xalloc.h"
#include "store/store.h"
#include "sync/plan.h"

/* A scenario in a compact text form:
 *   rows   "a:1 b:2 c:0"   remote id : local uid (0 = tombstone), "!" suffix
 *                          on the id = pending delete
 *   remote "a b d"         ids the server lists now
 *   local  "1 3"           uids the store holds now
 * and the expected plan, each as space-separated ids or uids. */
struct scenario {
	const char *name;
	enum account_mode mode;
	const char *rows, *remote, *local;
	const char *fetch, *local_expunge, *remote_delete, *drop, *tombstone;
	int local_guard, remote_guard;
};

struct built {
	struct sync_row *rows;
	size_t nrows;
	struct drv_msg *remote;
	size_t nremote;
	struct sync_local *local;
	size_t nlocal;
	char **words[3];
};

static void
build(const struct scenario *s, struct built *b)
{
	size_t n;

	memset(b, 0, sizeof(*b));
	b->words[0] = str_split_ws(s->rows, &n);
	b->rows = xcalloc(n + 1, sizeof(*b->rows));
	for (size_t i = 0; i < n; i++) {
		char *w = b->words[0][i], *colon = strchr(w, ':');
		struct sync_row *r = &b->rows[b->nrows++];
		size_t idlen = (size_t)(colon - w);

		r->pending_delete = w[idlen - 1] == '!';
		r->remote_id = xstrndup(w, idlen - (size_t)r->pending_delete);
		r->local_uid = (uint32_t)strtoul(colon + 1, NULL, 10);
		r->keywords = xstrdup("");
		r->size = 100;
		snprintf(r->fingerprint, sizeof(r->fingerprint), "fp-%s",
			 r->remote_id);
	}
	b->words[1] = str_split_ws(s->remote, &n);
	b->remote = xcalloc(n + 1, sizeof(*b->remote));
	for (size_t i = 0; i < n; i++)
		b->remote[b->nremote++] = (struct drv_msg){
			.id = b->words[1][i], .size = 100 };
	b->words[2] = str_split_ws(s->local, &n);
	b->local = xcalloc(n + 1, sizeof(*b->local));
	for (size_t i = 0; i < n; i++)
		b->local[b->nlocal++] = (struct sync_local){
			.uid = (uint32_t)strtoul(b->words[2][i], NULL, 10),
			.keywords = "" };
}

static void
built_free(struct built *b)
{
	for (size_t i = 0; i < b->nrows; i++) {
		free(b->rows[i].remote_id);
		free(b->rows[i].keywords);
	}
	free(b->rows);
	free(b->remote);
	free(b->local);
	for (int i = 0; i < 3; i++)
		str_array_free(&b->words[i]);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, space-joined, for comparison with the expectation. */
static char *
joined(char **items, size_t n)
{
	struct buf out;

	buf_init(&out, 1 << 16);
	qsort(items, n, sizeof(*items), cmp_str);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&out, "%s%s", i ? " " : "", items[i]);
		free(items[i]);
	}
	free(items);
	return buf_steal(&out);
}

static char *
row_ids(const struct built *b, const size_t *rows, size_t n)
{
	char **items = xcalloc(n + 1, sizeof(*items));

	for (size_t i = 0; i < n; i++)
		items[i] = xstrdup(b->rows[rows[i]].remote_id);
	return joined(items, n);
}

static char *
remote_ids(const struct built *b, const size_t *idx, size_t n)
{
	char **items = xcalloc(n + 1, sizeof(*items));

	for (size_t i = 0; i < n; i++)
		items[i] = xstrdup(b->remote[idx[i]].id);
	return joined(items, n);
}

static char *
uids(const uint32_t *u, size_t n)
{
	char **items = xcalloc(n + 1, sizeof(*items));

	for (size_t i = 0; i < n; i++)
		items[i] = xasprintf("%u", u[i]);
	return joined(items, n);
}

static void
expect(const char *scenario, const char *what, char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		print_error("%s: %s: got \"%s\", want \"%s\"\n", scenario,
			    what, got, want);
		free(got);
		fail();
	}
	free(got);
}

static void
run_scenario(const struct scenario *s)
{
	struct built b;
	struct plan p;
	struct plan_input in;

	build(s, &b);
	in = (struct plan_input){
		.mode = s->mode, .max_delete_percent = 25,
		.rows = b.rows, .nrows = b.nrows,
		.remote = b.remote, .nremote = b.nremote,
		.local = b.local, .nlocal = b.nlocal,
	};
	plan_make(&in, &p);
	expect(s->name, "fetch", remote_ids(&b, p.fetch, p.nfetch), s->fetch);
	expect(s->name, "local expunge",
	       uids(p.local_expunge, p.nlocal_expunge), s->local_expunge);
	expect(s->name, "remote delete",
	       row_ids(&b, p.remote_delete, p.nremote_delete),
	       s->remote_delete);
	expect(s->name, "drop", row_ids(&b, p.drop_rows, p.ndrop_rows),
	       s->drop);
	expect(s->name, "tombstone", row_ids(&b, p.tombstone, p.ntombstone),
	       s->tombstone);
	assert_int_equal(p.local_guard_tripped, s->local_guard);
	assert_int_equal(p.remote_guard_tripped, s->remote_guard);
	plan_free(&p);
	built_free(&b);
}

/* a: on both sides. b: gone remotely. c: gone locally. d: new remotely.
 * e: tombstone, still remote. f: pending delete, still remote.
 * g: pending delete, gone remotely. */
#define ROWS "a:1 b:2 c:3 e:0 f!:6 g!:7"
#define REMOTE "a c d e f"
#define LOCAL "1 2 6"

static const struct scenario modes[] = {
	{ "fetch", ACCOUNT_MODE_FETCH, ROWS, REMOTE, LOCAL,
	  "d", "", "f", "b g", "c", 0, 0 },
	{ "move", ACCOUNT_MODE_MOVE, ROWS, REMOTE, LOCAL,
	  "d", "", "a c e f", "b g", "", 0, 0 },
	{ "forward", ACCOUNT_MODE_FORWARD, ROWS, REMOTE, LOCAL,
	  "d", "2", "f", "b g", "c", 0, 0 },
	{ "reverse", ACCOUNT_MODE_REVERSE, ROWS, REMOTE, LOCAL,
	  "d", "", "c e f", "b g", "", 0, 0 },
	{ "both", ACCOUNT_MODE_BOTH, ROWS, REMOTE, LOCAL,
	  "d", "2", "c e f", "b g", "", 0, 0 },
	/* a first sync: everything is new */
	{ "first", ACCOUNT_MODE_BOTH, "", "x y z", "",
	  "x y z", "", "", "", "", 0, 0 },
	/* nothing left on either side */
	{ "empty", ACCOUNT_MODE_BOTH, "a:1", "", "", "", "", "", "a", "", 0, 0 },
};

static void
test_plan_modes(void **state)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		run_scenario(&modes[i]);
}

/* 40 messages; 11 vanished on one side (27.5% > 25%): held back. */
enum many_kind { MANY_ROWS, MANY_IDS, MANY_UIDS };

static char *
many(enum many_kind kind, int from, int to)
{
	struct buf out;

	buf_init(&out, 1 << 16);
	for (int i = from; i <= to; i++) {
		if (kind == MANY_ROWS)
			buf_printf(&out, "m%d:%d ", i, i);
		else if (kind == MANY_IDS)
			buf_printf(&out, "m%d ", i);
		else
			buf_printf(&out, "%d ", i);
	}
	return buf_steal(&out);
}

static void
test_plan_guard(void **state)
{
	char *rows = many(MANY_ROWS, 1, 40);
	char *remote_most = many(MANY_IDS, 12, 40);
	char *remote_all = many(MANY_IDS, 1, 40);
	char *local_most = many(MANY_UIDS, 12, 40);
	char *local_all = many(MANY_UIDS, 1, 40);
	struct scenario forward = { "guard-forward", ACCOUNT_MODE_BOTH, rows,
		remote_most, local_all, "", "", "", "", "", 1, 0 };
	struct scenario reverse = { "guard-reverse", ACCOUNT_MODE_BOTH, rows,
		remote_all, local_most, "", "", "", "", "", 0, 1 };

	run_scenario(&forward);
	run_scenario(&reverse);
	free(rows);
	free(remote_most);
	free(remote_all);
	free(local_most);
	free(local_all);
}

static void
test_plan_guard_small_mailbox(void **state)
{
	/* under GUARD_MIN_MESSAGES: no guard even when all go */
	struct scenario s = { "small", ACCOUNT_MODE_BOTH, "a:1 b:2 c:3",
		"", "1 2 3", "", "1 2 3", "", "a b c", "", 0, 0 };

	run_scenario(&s);
}

static void
test_plan_remote_identity_change(void **state)
{
	struct sync_row rows[3] = {
		{ .remote_id = (char *)"1", .local_uid = 1, .size = 10,
		  .message_id = (char *)"m1@x", .keywords = (char *)"" },
		{ .remote_id = (char *)"2", .local_uid = 2, .size = 20,
		  .message_id = NULL, .keywords = (char *)"" },
		{ .remote_id = (char *)"3", .local_uid = 3, .size = 30,
		  .message_id = (char *)"m3@x", .keywords = (char *)"" },
	};
	struct drv_msg remote[3] = {
		{ .id = "101", .size = 10, .message_id = "m1@x" },
		{ .id = "102", .size = 20, .message_id = NULL },
		{ .id = "103", .size = 31, .message_id = "m3@x" },
	};
	struct sync_local local[3] = { { .uid = 1 }, { .uid = 2 }, { .uid = 3 } };
	struct plan_input in = { .mode = ACCOUNT_MODE_BOTH,
		.identity_changed = 1, .max_delete_percent = 25,
		.rows = rows, .nrows = 3, .remote = remote, .nremote = 3,
		.local = local, .nlocal = 3 };
	struct plan p;

	plan_make(&in, &p);
	/* m1 re-mapped by Message-ID + size; the others fetched again (the
	 * fingerprint check links them); nothing deleted anywhere */
	assert_int_equal(p.nremap, 1);
	assert_int_equal(p.remap[0].row, 0);
	assert_int_equal(p.remap[0].remote, 0);
	assert_int_equal(p.nfetch, 2);
	assert_int_equal(p.nlocal_expunge, 0);
	assert_int_equal(p.nremote_delete, 0);
	assert_int_equal(p.ndrop_rows, 2);
	plan_free(&p);
}

static void
test_plan_duplicate_message_ids_are_not_remapped(void **state)
{
	struct sync_row rows[2] = {
		{ .remote_id = (char *)"1", .local_uid = 1, .size = 10,
		  .message_id = (char *)"dup@x", .keywords = (char *)"" },
		{ .remote_id = (char *)"2", .local_uid = 2, .size = 10,
		  .message_id = (char *)"dup@x", .keywords = (char *)"" },
	};
	struct drv_msg remote[2] = {
		{ .id = "7", .size = 10, .message_id = "dup@x" },
		{ .id = "8", .size = 10, .message_id = "dup@x" },
	};
	struct plan_input in = { .mode = ACCOUNT_MODE_BOTH,
		.identity_changed = 1, .rows = rows, .nrows = 2,
		.remote = remote, .nremote = 2 };
	struct plan p;

	plan_make(&in, &p);
	assert_int_equal(p.nremap, 0);	/* ambiguous: never guess */
	assert_int_equal(p.nfetch, 2);
	plan_free(&p);
}

static void
test_plan_uidl_reset_detection(void **state)
{
	struct sync_row rows[12];
	struct drv_msg remote[12];
	char ids[12][8], new_ids[12][8];

	for (int i = 0; i < 12; i++) {
		snprintf(ids[i], sizeof(ids[i]), "u%d", i);
		snprintf(new_ids[i], sizeof(new_ids[i]), "n%d", i);
		rows[i] = (struct sync_row){ .remote_id = ids[i] };
		remote[i] = (struct drv_msg){ .id = new_ids[i] };
	}
	assert_true(plan_looks_like_reset(rows, 12, remote, 12));
	for (int i = 0; i < 12; i++)
		remote[i].id = ids[i];
	assert_false(plan_looks_like_reset(rows, 12, remote, 12));
	/* a few deleted is not a reset */
	assert_false(plan_looks_like_reset(rows, 12, remote + 4, 8));
}

static void
test_plan_flags_three_way(void **state)
{
	struct sync_row row = { .remote_id = (char *)"1", .local_uid = 1,
		.flags = STORE_F_SEEN, .keywords = (char *)"old" };
	/* local: read->unread conflict with remote adding \Seen? local
	 * removed \Seen, remote added \Flagged and a keyword */
	struct drv_msg remote = { .id = "1", .flags = STORE_F_SEEN |
		STORE_F_FLAGGED, .keywords = "old" };
	struct sync_local local = { .uid = 1, .flags = 0, .keywords = "old new" };
	struct plan_input in = { .mode = ACCOUNT_MODE_BOTH,
		.flags_both_ways = 1, .rows = &row, .nrows = 1,
		.remote = &remote, .nremote = 1, .local = &local, .nlocal = 1 };
	struct plan p;

	plan_make(&in, &p);
	assert_int_equal(p.npush, 1);
	assert_int_equal(p.push[0].add, 0);
	assert_int_equal(p.push[0].del, STORE_F_SEEN);
	assert_string_equal(p.push[0].add_kw, "new");
	assert_int_equal(p.npull, 1);
	assert_int_equal(p.pull[0].add, STORE_F_FLAGGED);
	assert_int_equal(p.pull[0].del, 0);
	assert_int_equal(p.pull[0].agreed, STORE_F_FLAGGED);
	assert_string_equal(p.pull[0].keywords, "new old");
	/* the agreement waits for the push: a crash in between must not
	 * turn the local change into a remote one's reversal */
	assert_false(p.pull[0].agree);
	assert_true(p.push[0].agree);
	plan_free(&p);
}

static void
test_plan_flags_conflict_local_wins(void **state)
{
	struct sync_row row = { .remote_id = (char *)"1", .local_uid = 1,
		.flags = STORE_F_SEEN, .keywords = (char *)"" };
	/* local keeps \Seen and adds \Answered; remote drops \Seen */
	struct drv_msg remote = { .id = "1", .flags = 0 };
	struct sync_local local = { .uid = 1,
		.flags = STORE_F_SEEN | STORE_F_ANSWERED, .keywords = "" };
	struct plan_input in = { .mode = ACCOUNT_MODE_BOTH,
		.flags_both_ways = 1, .rows = &row, .nrows = 1,
		.remote = &remote, .nremote = 1, .local = &local, .nlocal = 1 };
	struct plan p;

	plan_make(&in, &p);
	/* remote removal wins where local did not touch the flag: \Seen
	 * goes; local's \Answered goes up */
	assert_int_equal(p.npush, 1);
	assert_int_equal(p.push[0].add, STORE_F_ANSWERED);
	assert_int_equal(p.npull, 1);
	assert_int_equal(p.pull[0].del, STORE_F_SEEN);
	assert_int_equal(p.pull[0].agreed, STORE_F_ANSWERED);
	plan_free(&p);
}

static void
test_plan_no_flags_outside_both(void **state)
{
	struct sync_row row = { .remote_id = (char *)"1", .local_uid = 1,
		.keywords = (char *)"" };
	struct drv_msg remote = { .id = "1", .flags = STORE_F_SEEN };
	struct sync_local local = { .uid = 1, .keywords = "" };
	struct plan_input in = { .mode = ACCOUNT_MODE_FETCH,
		.flags_both_ways = 1, .rows = &row, .nrows = 1,
		.remote = &remote, .nremote = 1, .local = &local, .nlocal = 1 };
	struct plan p;

	plan_make(&in, &p);
	assert_int_equal(p.npush + p.npull, 0);
	plan_free(&p);
}

static void
test_plan_local_identity_change(void **state)
{
	struct sync_row rows[2] = {
		{ .remote_id = (char *)"1", .local_uid = 5, .keywords = (char *)"",
		  .fingerprint = "aaa" },
		{ .remote_id = (char *)"2", .local_uid = 6, .keywords = (char *)"",
		  .fingerprint = "bbb" },
	};
	struct drv_msg remote[2] = { { .id = "1" }, { .id = "2" } };
	struct sync_local local[1] = { { .uid = 1, .fingerprint = "aaa" } };
	struct plan_input in = { .mode = ACCOUNT_MODE_BOTH,
		.local_identity_changed = 1, .rows = rows, .nrows = 2,
		.remote = remote, .nremote = 2, .local = local, .nlocal = 1 };
	struct plan p;

	plan_make(&in, &p);
	assert_int_equal(p.nlocal_remap, 1);
	assert_int_equal(p.local_remap[0].uid, 1);
	assert_int_equal(p.nfetch, 1);		/* "2" is restored */
	assert_int_equal(p.nremote_delete, 0);	/* never a delete */
	plan_free(&p);
}

static void
test_keywords_normalise(void **state)
{
	char *k = keywords_normalise("  b a  b c ");

	assert_string_equal(k, "a b c");
	free(k);
	k = keywords_normalise(NULL);
	assert_string_equal(k, "");
	free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_modes),
		cmocka_unit_test(test_plan_guard),
		cmocka_unit_test(test_plan_guard_small_mailbox),
		cmocka_unit_test(test_plan_remote_identity_change),
		cmocka_unit_test(test_plan_duplicate_message_ids_are_not_remapped),
		cmocka_unit_test(test_plan_uidl_reset_detection),
		cmocka_unit_test(test_plan_flags_three_way),
		cmocka_unit_test(test_plan_flags_conflict_local_wins),
		cmocka_unit_test(test_plan_no_flags_outside_both),
		cmocka_unit_test(test_plan_local_identity_change),
		cmocka_unit_test(test_keywords_normalise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
