#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "store/store-private.h"

static const char msg[] = "Subject: s\r\n\r\nbody\r\n";

static void
count_line(const char *line, void *ctx)
{
	(*(unsigned int *)ctx)++;
	if (getenv("CHECK_VERBOSE"))
		printf("check: %s\n", line);
}

static unsigned int
check(struct fx *fx, int repair, int quick, struct store_check_report *r)
{
	unsigned int lines = 0;

	assert_int_equal(store_check(fx->st, NULL, repair, quick, r,
				     count_line, &lines), STORE_OK);
	return lines;
}

static void
assert_clean(struct fx *fx, unsigned int messages)
{
	struct store_check_report r;

	assert_int_equal(check(fx, 0, 0, &r), 0);
	assert_int_equal(r.messages, messages);
	assert_int_equal(r.unindexed + r.missing + r.flags_fixed +
			 r.stray_tmp + r.folders_missing, 0);
}

static int64_t
with_messages(struct fx *fx, int n, unsigned int flags)
{
	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	for (int i = 0; i < n; i++)
		assert_int_equal(store_append(fx->st, "u", "INBOX", msg,
					      strlen(msg), 0, flags, NULL),
				 STORE_OK);
	return fx_folder_id(fx, "u", "INBOX");
}

static void
path_of(struct fx *fx, int64_t id, uint32_t uid, char *out, size_t size)
{
	struct store_msg m;

	assert_int_equal(store_msg_get(fx->st, id, uid, &m), STORE_OK);
	snprintf(out, size, "%s", m.path);
	store_msg_clear(&m);
}

static void
test_store_check_clean(void **state)
{
	struct fx *fx = *state;
	struct store_check_report r;

	with_messages(fx, 3, 0);
	assert_clean(fx, 3);
	check(fx, 0, 0, &r);
	assert_int_equal(r.folders, 6);
}

static void
test_store_check_unindexed(void **state)
{
	struct fx *fx = *state;
	int64_t id = with_messages(fx, 0, 0);
	struct store_check_report r;
	struct store_msg m;

	fx_write(fx, "u/cur/1700000000.M1P1Q1.elsewhere,S=40:2,RS",
		 "From: x\nMessage-ID: <hand@made>\n\nhi\n");
	fx_write(fx, "u/new/1700000001.M2P1Q1.elsewhere",
		 "Subject: new\n\nbody\n");
	assert_int_equal(check(fx, 0, 0, &r), 2);
	assert_int_equal(r.unindexed, 2);
	assert_int_equal(check(fx, 1, 0, &r), 2);
	assert_int_equal(r.unindexed, 2);
	assert_int_equal(fx_count(fx, "u/new"), 0);
	assert_int_equal(fx_count(fx, "u/cur"), 2);
	assert_int_equal(store_msg_get(fx->st, id, 1, &m), STORE_OK);
	assert_int_equal(m.flags, STORE_F_SEEN | STORE_F_ANSWERED);
	assert_string_equal(m.message_id, "hand@made");
	assert_int_equal(m.psize, 36);
	assert_int_equal(m.size, 40);
	store_msg_clear(&m);
	assert_int_equal(store_msg_get(fx->st, id, 2, &m), STORE_OK);
	assert_non_null(strstr(m.path, "/cur/1700000001.M2P1Q1.elsewhere:2,"));
	store_msg_clear(&m);
	assert_clean(fx, 2);
}

struct kinds {
	unsigned int expunges;
	uint32_t uid;
	unsigned int lost;
};

static int
count_expunges(const struct store_change *c, void *ctx)
{
	struct kinds *k = ctx;

	if (c->kind == STORE_CHANGE_EXPUNGE || c->kind == STORE_CHANGE_LOST) {
		k->expunges++;
		k->uid = c->uid;
		k->lost += c->kind == STORE_CHANGE_LOST;
	}
	return 0;
}

static void
test_store_check_missing(void **state)
{
	struct fx *fx = *state;
	int64_t id = with_messages(fx, 2, 0);
	struct store_check_report r;
	struct kinds k = { 0, 0, 0 };
	char path[512];

	path_of(fx, id, 2, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	check(fx, 0, 0, &r);
	assert_int_equal(r.missing, 1);
	assert_int_equal(r.messages, 1);
	check(fx, 1, 0, &r);
	assert_int_equal(r.missing, 1);
	assert_int_equal(store_changes_since(fx->st, id, 0, count_expunges,
					     &k), STORE_OK);
	assert_int_equal(k.expunges, 1);
	assert_int_equal(k.uid, 2);
	/* journaled as lost, not as a user's expunge: sync must not pass
	 * it on as a deletion */
	assert_int_equal(k.lost, 1);
	assert_int_equal(store_msg_was_lost(fx->st, id, 2), 1);
	assert_int_equal(store_msg_was_lost(fx->st, id, 1), 0);
	assert_clean(fx, 1);
}

static void
test_store_check_flags(void **state)
{
	struct fx *fx = *state;
	int64_t id = with_messages(fx, 2, STORE_F_SEEN);
	struct store_check_report r;
	char path[512], moved[600];

	path_of(fx, id, 1, path, sizeof(path));
	snprintf(moved, sizeof(moved), "%.*sF", (int)strlen(path) - 1, path);
	assert_int_equal(rename(path, moved), 0);
	path_of(fx, id, 2, path, sizeof(path));
	snprintf(moved, sizeof(moved), "%s/u/new/%.*s", fx->root,
		 (int)(strstr(path, ":2,") - strrchr(path, '/') - 1),
		 strrchr(path, '/') + 1);
	assert_int_equal(rename(path, moved), 0);
	check(fx, 0, 0, &r);
	assert_int_equal(r.flags_fixed, 2);
	assert_int_equal(r.messages, 2);
	check(fx, 1, 0, &r);
	assert_int_equal(r.flags_fixed, 2);
	assert_int_equal(fx_count(fx, "u/new"), 0);
	path_of(fx, id, 1, path, sizeof(path));
	assert_non_null(strstr(path, ":2,S"));
	assert_int_equal(access(path, F_OK), 0);
	assert_clean(fx, 2);
}

static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void
test_store_check_tmp_and_in_flight(void **state)
{
	struct fx *fx = *state;
	struct store_check_report r;
	char rel[512];

	with_messages(fx, 1, 0);
	snprintf(rel, sizeof(rel), "u/tmp/1.M1P%ldQ1.%s", (long)dead_pid(),
		 fx->st->host);
	fx_write(fx, rel, "partial");
	/* Our own, alive and young: a delivery in progress. */
	snprintf(rel, sizeof(rel), "u/tmp/2.M1P%ldQ2.%s", (long)getpid(),
		 fx->st->host);
	fx_write(fx, rel, "writing");
	snprintf(rel, sizeof(rel), "u/cur/3.M1P%ldQ3.%s,S=4:2,", (long)getpid(),
		 fx->st->host);
	fx_write(fx, rel, "x\n\n\n");
	check(fx, 1, 0, &r);
	assert_int_equal(r.stray_tmp, 1);
	assert_int_equal(r.unindexed, 0);
	assert_int_equal(fx_count(fx, "u/tmp"), 1);
	assert_int_equal(fx_count(fx, "u/cur"), 2);
}

/* A crash after an expunge committed but before the unlink. */
static void
test_store_check_interrupted_expunge(void **state)
{
	struct fx *fx = *state;
	int64_t id = with_messages(fx, 2, 0);
	struct store_check_report r;
	uint32_t uid = 1;
	char path[512];
	FILE *f;

	path_of(fx, id, 1, path, sizeof(path));
	assert_int_equal(store_msg_expunge(fx->st, id, &uid, 1), STORE_OK);
	f = fopen(path, "w");
	fputs(msg, f);
	fclose(f);
	check(fx, 1, 0, &r);
	assert_int_equal(r.unindexed, 1);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(fx_count(fx, "u/cur"), 1);
	assert_clean(fx, 1);
}

static void
test_store_check_folders(void **state)
{
	struct fx *fx = *state;
	struct store_check_report r;
	struct store_folder f;
	char path[512];

	with_messages(fx, 0, 0);
	snprintf(path, sizeof(path), "%s/u/.Junk", fx->root);
	assert_int_equal(store_rm_tree(path), 0);
	snprintf(path, sizeof(path), "%s/u/.Orphan.S&APw-d", fx->root);
	assert_int_equal(maildir_mkdirs(path), 0);
	fx_write(fx, "u/.Orphan.S&APw-d/cur/9.M9P9Q9.far:2,S", "Subject: o\n\n");
	check(fx, 0, 0, &r);
	assert_int_equal(r.folders_missing, 2);
	check(fx, 1, 0, &r);
	assert_int_equal(r.folders_missing, 2);
	assert_int_equal(r.unindexed, 1);
	assert_int_equal(store_folder_get(fx->st, "u", "Orphan/Süd", &f),
			 STORE_OK);
	assert_int_equal(f.messages, 1);
	store_folder_clear(&f);
	assert_int_equal(fx_count(fx, "u/.Junk/cur"), 0);
	assert_clean(fx, 1);
}

static void
test_store_check_quick(void **state)
{
	struct fx *fx = *state;
	int64_t id = with_messages(fx, 1, 0);
	struct store_check_report r;
	char path[512], moved[600];

	path_of(fx, id, 1, path, sizeof(path));
	snprintf(moved, sizeof(moved), "%sT", path);
	assert_int_equal(rename(path, moved), 0);
	/* Same count on both sides: quick does not look at names. */
	check(fx, 0, 1, &r);
	assert_int_equal(r.flags_fixed, 0);
	assert_int_equal(r.messages, 1);
	fx_write(fx, "u/new/5.M5P5Q5.far", "Subject: n\n\n");
	check(fx, 1, 1, &r);
	assert_int_equal(r.unindexed, 1);
	assert_int_equal(r.flags_fixed, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_check_clean,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_check_unindexed,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_check_missing,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_check_flags,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_store_check_tmp_and_in_flight, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_store_check_interrupted_expunge, fx_setup,
			fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_check_folders,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_check_quick,
						fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
