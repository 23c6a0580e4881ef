/* server/common/notify: calls from the loop, coalescing, unwatch during a
 * dispatch, and commits of another database connection found by the
 * data_version poll. */
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
#include "lib/xalloc.h"
#include "net/loop.h"
#include "server/common/notify.h"

struct fx {
	char dir[64];
	char *db_path;
	struct db *db;
	struct loop *loop;
	struct notify *n;
	struct timer *stop;
};

struct watcher {
	int calls;
	int64_t last;
	struct notify_watch *w;
	struct notify_watch **victim;	/* unwatched from the callback */
};

static void
on_stop(void *ctx)
{
	loop_break(ctx);
}

static void
run_for(struct fx *f, unsigned int ms)
{
	timer_start(f->stop, ms, false);
	loop_run(f->loop);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	char *error = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-notify.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->db_path = xasprintf("%s/conflux.db", f->dir);
	f->db = db_open(f->db_path, &error);
	assert_non_null(f->db);
	assert_int_equal(db_exec(f->db, "CREATE TABLE t (x INTEGER)"), 0);
	f->loop = loop_new();
	f->n = notify_new(f->loop, f->db, 100);
	f->stop = timer_new(f->loop, on_stop, f->loop);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xasprintf("rm -rf %s", f->dir);

	timer_free(&f->stop);
	notify_free(&f->n);
	loop_free(&f->loop);
	db_close(&f->db);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->db_path);
	free(f);
	return 0;
}

static void
on_change(int64_t folder_id, void *ctx)
{
	struct watcher *w = ctx;

	w->calls++;
	w->last = folder_id;
	if (w->victim != NULL)
		notify_unwatch(w->victim);
}

static void
test_notify_reaches_the_folder_watchers_once(void **state)
{
	struct fx *f = *state;
	struct watcher a = { 0 }, b = { 0 }, other = { 0 };

	a.w = notify_watch(f->n, 7, on_change, &a);
	b.w = notify_watch(f->n, 7, on_change, &b);
	other.w = notify_watch(f->n, 7 + 1024, on_change, &other);
	notify_changed(f->n, 7);
	notify_changed(f->n, 7);
	assert_int_equal(a.calls, 0);		/* never from inside */
	run_for(f, 50);
	assert_int_equal(a.calls, 1);		/* coalesced */
	assert_int_equal(b.calls, 1);
	assert_int_equal(a.last, 7);
	assert_int_equal(other.calls, 0);	/* same bucket, other id */
	notify_unwatch(&b.w);
	assert_null(b.w);
	notify_changed(f->n, 7);
	run_for(f, 50);
	assert_int_equal(a.calls, 2);
	assert_int_equal(b.calls, 1);
	notify_unwatch(&a.w);
	notify_unwatch(&other.w);
}

static void
test_notify_unwatch_during_dispatch(void **state)
{
	struct fx *f = *state;
	struct watcher a = { 0 }, b = { 0 };

	b.w = notify_watch(f->n, 3, on_change, &b);
	a.w = notify_watch(f->n, 3, on_change, &a);	/* called first */
	a.victim = &b.w;
	notify_changed(f->n, 3);
	run_for(f, 50);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 0);
	assert_null(b.w);
	notify_unwatch(&a.w);
}

static void
test_notify_sees_another_connections_commit(void **state)
{
	struct fx *f = *state;
	struct watcher a = { 0 };
	char *error = NULL;
	struct db *other = db_open(f->db_path, &error);

	a.w = notify_watch(f->n, 42, on_change, &a);
	run_for(f, 250);
	assert_int_equal(a.calls, 0);		/* nothing changed yet */
	assert_int_equal(db_exec(other, "INSERT INTO t VALUES (1)"), 0);
	run_for(f, 350);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.last, 42);
	/* Our own connection's commits are announced by their writer. */
	assert_int_equal(db_exec(f->db, "INSERT INTO t VALUES (2)"), 0);
	run_for(f, 350);
	assert_int_equal(a.calls, 1);
	notify_unwatch(&a.w);
	db_close(&other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_notify_reaches_the_folder_watchers_once, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_notify_unwatch_during_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_notify_sees_another_connections_commit, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
