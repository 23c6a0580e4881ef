#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

static const char msg[] = "Subject: s\r\n\r\nbody\r\n";

struct seen {
	struct store_change c[16];
	char kw[16][64];
	size_t n;
};

static int
collect(const struct store_change *c, void *ctx)
{
	struct seen *s = ctx;

	s->c[s->n] = *c;
	snprintf(s->kw[s->n], sizeof(s->kw[0]), "%s",
		 c->keywords != NULL ? c->keywords : "(null)");
	s->c[s->n].keywords = s->kw[s->n];
	s->n++;
	return 0;
}

static int64_t
with_messages(struct fx *fx, int n)
{
	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	for (int i = 0; i < n; i++)
		assert_int_equal(store_append(fx->st, "u", "INBOX", msg,
					      strlen(msg), 0, 0, NULL),
				 STORE_OK);
	return fx_folder_id(fx, "u", "INBOX");
}

static void
test_store_msg_set_flags(void **state)
{
	struct fx *fx = *state;
	int64_t id = with_messages(fx, 1);
	struct seen s = { .n = 0 };
	struct store_msg m;
	uint64_t modseq = 0, again = 0;
	const char *name;

	assert_int_equal(store_msg_set_flags(fx->st, id, 1, STORE_F_FLAGGED |
					     STORE_F_SEEN, 0, "$Work b", NULL,
					     &modseq), STORE_OK);
	assert_int_equal(modseq, 2);
	name = fx_only(fx, "u/cur");
	assert_non_null(strstr(name, ":2,FS"));
	assert_int_equal(store_msg_set_flags(fx->st, id, 1, 0, STORE_F_SEEN,
					     NULL, "b", &modseq), STORE_OK);
	assert_int_equal(modseq, 3);
	assert_non_null(strstr(fx_only(fx, "u/cur"), ":2,F"));
	assert_int_equal(fx_count(fx, "u/cur"), 1);
	/* No change, no new modseq. */
	assert_int_equal(store_msg_set_flags(fx->st, id, 1, STORE_F_FLAGGED, 0,
					     "$work", NULL, &again), STORE_OK);
	assert_int_equal(again, 3);
	assert_int_equal(store_msg_get(fx->st, id, 1, &m), STORE_OK);
	assert_int_equal(m.flags, STORE_F_FLAGGED);
	assert_string_equal(m.keywords, "$Work");
	assert_int_equal(m.modseq, 3);
	assert_int_equal(access(m.path, F_OK), 0);
	store_msg_clear(&m);
	assert_int_equal(store_changes_since(fx->st, id, 1, collect, &s),
			 STORE_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.c[0].kind, STORE_CHANGE_FLAGS);
	assert_int_equal(s.c[0].flags, STORE_F_FLAGGED | STORE_F_SEEN);
	assert_string_equal(s.c[0].keywords, "$Work b");
	assert_int_equal(s.c[1].modseq, 3);
	assert_int_equal(store_msg_set_flags(fx->st, id, 9, STORE_F_SEEN, 0,
					     NULL, NULL, NULL), STORE_NOTFOUND);
}

static void
test_store_msg_expunge(void **state)
{
	struct fx *fx = *state;
	int64_t id = with_messages(fx, 3);
	uint32_t uids[] = { 1, 3, 99 };
	struct seen s = { .n = 0 };
	struct store_msg m;

	assert_int_equal(store_msg_expunge(fx->st, id, uids, 3), STORE_OK);
	assert_int_equal(fx_count(fx, "u/cur"), 1);
	assert_int_equal(store_msg_get(fx->st, id, 1, &m), STORE_NOTFOUND);
	assert_int_equal(store_msg_get(fx->st, id, 2, &m), STORE_OK);
	store_msg_clear(&m);
	assert_int_equal(store_changes_since(fx->st, id, 0, collect, &s),
			 STORE_OK);
	assert_int_equal(s.n, 5);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(s.c[i].kind, STORE_CHANGE_APPEND);
		assert_int_equal(s.c[i].uid, i + 1);
		assert_int_equal(s.c[i].modseq, i + 1);
	}
	assert_int_equal(s.c[3].kind, STORE_CHANGE_EXPUNGE);
	assert_int_equal(s.c[3].uid, 1);
	assert_int_equal(s.c[4].kind, STORE_CHANGE_EXPUNGE);
	assert_int_equal(s.c[4].uid, 3);
	assert_int_equal(s.c[4].modseq, 5);
}

static int
count_msgs(const struct store_msg *m, void *ctx)
{
	(*(unsigned int *)ctx)++;
	return m->uid == 4;	/* stop there */
}

static void
test_store_msg_list(void **state)
{
	struct fx *fx = *state;
	int64_t id = with_messages(fx, 6);
	unsigned int n = 0;

	assert_int_equal(store_msg_list(fx->st, id, 2, count_msgs, &n),
			 STORE_OK);
	assert_int_equal(n, 3);
}

/* A flag rename lost to a crash after the commit: the file is still found
 * by its base name. */
static void
test_store_msg_get_finds_stale_name(void **state)
{
	struct fx *fx = *state;
	int64_t id = with_messages(fx, 1);
	char from[512], to[600];
	struct store_msg m;
	const char *name = fx_only(fx, "u/cur");

	snprintf(from, sizeof(from), "%s/u/cur/%s", fx->root, name);
	snprintf(to, sizeof(to), "%.*s:2,T", (int)(strstr(from, ":2,") - from),
		 from);
	assert_int_equal(rename(from, to), 0);
	assert_int_equal(store_msg_get(fx->st, id, 1, &m), STORE_OK);
	assert_string_equal(m.path, to);
	store_msg_clear(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_msg_set_flags,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_msg_expunge,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_msg_list,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_store_msg_get_finds_stale_name, fx_setup,
			fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
