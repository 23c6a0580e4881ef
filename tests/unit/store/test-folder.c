#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

struct names {
	char v[16][64];
	char su[16][16];
	int sub[16];
	size_t n;
};

static int
collect(const struct store_folder *f, void *ctx)
{
	struct names *ns = ctx;

	snprintf(ns->v[ns->n], sizeof(ns->v[0]), "%s", f->name);
	snprintf(ns->su[ns->n], sizeof(ns->su[0]), "%s",
		 f->special_use != NULL ? f->special_use : "");
	ns->sub[ns->n++] = f->subscribed;
	return 0;
}

static int
exists(struct fx *fx, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", fx->root, rel);
	return access(path, F_OK) == 0;
}

static void
test_store_user_create(void **state)
{
	static const char *const want[] = { "Archive", "Drafts", "INBOX",
					     "Junk", "Sent", "Trash" };
	static const char *const su[] = { "\\Archive", "\\Drafts", "",
					  "\\Junk", "\\Sent", "\\Trash" };
	struct fx *fx = *state;
	struct names ns = { .n = 0 };

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_folder_list(fx->st, "u", collect, &ns),
			 STORE_OK);
	assert_int_equal(ns.n, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(ns.v[i], want[i]);
		assert_string_equal(ns.su[i], su[i]);
		assert_true(ns.sub[i]);
	}
	assert_true(exists(fx, "u/cur"));
	assert_false(exists(fx, "u/maildirfolder"));
	assert_true(exists(fx, "u/.Sent/maildirfolder"));
	assert_true(exists(fx, "u/.Junk/tmp"));
	assert_int_equal(store_user_create(fx->st, "../x"), STORE_REJECT);
}

static void
test_store_folder_create(void **state)
{
	struct fx *fx = *state;
	struct store_folder f;

	assert_int_equal(store_folder_create(fx->st, "u", "X", NULL),
			 STORE_NOTFOUND);
	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_folder_create(fx->st, "u", "Projekte/Öl.2024",
					     NULL), STORE_OK);
	assert_true(exists(fx, "u/.Projekte.&ANY-l%2E2024/cur"));
	assert_int_equal(store_folder_create(fx->st, "u", "Sent", NULL),
			 STORE_EXISTS);
	assert_int_equal(store_folder_create(fx->st, "u", "inbox", NULL),
			 STORE_EXISTS);
	assert_int_equal(store_folder_create(fx->st, "u", "a//b", NULL),
			 STORE_REJECT);
	assert_int_equal(store_folder_get(fx->st, "u", "Projekte/Öl.2024", &f),
			 STORE_OK);
	assert_false(f.subscribed);
	assert_int_equal(f.uidnext, 1);
	assert_int_equal(f.messages, 0);
	assert_null(f.special_use);
	store_folder_clear(&f);
	assert_int_equal(store_folder_get(fx->st, "u", "InBoX", &f), STORE_OK);
	assert_string_equal(f.name, "INBOX");
	store_folder_clear(&f);
	assert_int_equal(store_folder_get(fx->st, "u", "Nope", &f),
			 STORE_NOTFOUND);
}

static void
test_store_folder_uidvalidity(void **state)
{
	struct fx *fx = *state;
	struct store_folder f;
	uint32_t first;

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_folder_create(fx->st, "u", "X", NULL), STORE_OK);
	assert_int_equal(store_folder_get(fx->st, "u", "X", &f), STORE_OK);
	first = f.uidvalidity;
	assert_true(first >= (uint32_t)time(NULL) - 5);
	store_folder_clear(&f);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_folder_delete(fx->st, "u", "X"),
				 STORE_OK);
		assert_int_equal(store_folder_create(fx->st, "u", "X", NULL),
				 STORE_OK);
		assert_int_equal(store_folder_get(fx->st, "u", "X", &f),
				 STORE_OK);
		assert_true(f.uidvalidity > first);
		first = f.uidvalidity;
		store_folder_clear(&f);
	}
}

static void
test_store_folder_rename(void **state)
{
	struct fx *fx = *state;
	struct names ns = { .n = 0 };
	struct store_folder f;
	uint32_t uv;

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_folder_create(fx->st, "u", "A", NULL), STORE_OK);
	assert_int_equal(store_folder_create(fx->st, "u", "A/b", NULL),
			 STORE_OK);
	assert_int_equal(store_folder_create(fx->st, "u", "A/b/c", NULL),
			 STORE_OK);
	assert_int_equal(store_folder_create(fx->st, "u", "AB", NULL),
			 STORE_OK);
	assert_int_equal(store_append(fx->st, "u", "A/b", "x\n", 2, 0, 0,
				      NULL), STORE_OK);
	assert_int_equal(store_folder_get(fx->st, "u", "A/b", &f), STORE_OK);
	uv = f.uidvalidity;
	store_folder_clear(&f);
	assert_int_equal(store_folder_rename(fx->st, "u", "A", "Z/y"),
			 STORE_OK);
	assert_int_equal(store_folder_list(fx->st, "u", collect, &ns),
			 STORE_OK);
	assert_int_equal(ns.n, 10);
	assert_string_equal(ns.v[0], "AB");
	assert_string_equal(ns.v[7], "Z/y");
	assert_string_equal(ns.v[8], "Z/y/b");
	assert_string_equal(ns.v[9], "Z/y/b/c");
	assert_true(exists(fx, "u/.Z.y.b.c/cur"));
	assert_false(exists(fx, "u/.A.b"));
	assert_true(exists(fx, "u/.AB"));
	assert_int_equal(fx_count(fx, "u/.Z.y.b/cur"), 1);
	assert_int_equal(store_folder_get(fx->st, "u", "Z/y/b", &f), STORE_OK);
	assert_int_equal(f.uidvalidity, uv);
	assert_int_equal(f.messages, 1);
	store_folder_clear(&f);
	assert_int_equal(store_folder_rename(fx->st, "u", "INBOX", "Q"),
			 STORE_REJECT);
	assert_int_equal(store_folder_rename(fx->st, "u", "AB", "Sent"),
			 STORE_EXISTS);
	assert_int_equal(store_folder_rename(fx->st, "u", "Z", "Q"),
			 STORE_NOTFOUND);
	assert_int_equal(store_folder_rename(fx->st, "u", "Z/y", "Z/y/q"),
			 STORE_REJECT);
	assert_true(exists(fx, "u/.AB/cur"));
}

static void
test_store_folder_delete(void **state)
{
	struct fx *fx = *state;
	struct store_folder f;

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_folder_create(fx->st, "u", "P", NULL), STORE_OK);
	assert_int_equal(store_folder_create(fx->st, "u", "P/c", NULL),
			 STORE_OK);
	assert_int_equal(store_append(fx->st, "u", "P", "x\n", 2, 0, 0, NULL),
			 STORE_OK);
	assert_int_equal(store_folder_delete(fx->st, "u", "P"), STORE_OK);
	assert_false(exists(fx, "u/.P"));
	assert_true(exists(fx, "u/.P.c/cur"));
	assert_int_equal(store_folder_get(fx->st, "u", "P", &f),
			 STORE_NOTFOUND);
	assert_int_equal(store_folder_get(fx->st, "u", "P/c", &f), STORE_OK);
	store_folder_clear(&f);
	assert_int_equal(store_folder_delete(fx->st, "u", "INBOX"),
			 STORE_REJECT);
	assert_int_equal(store_folder_delete(fx->st, "u", "P"),
			 STORE_NOTFOUND);
	assert_int_equal(fx_count(fx, "u"), 3);	/* cur new tmp */
}

static void
test_store_folder_subscribe(void **state)
{
	struct fx *fx = *state;
	struct store_folder f;

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_folder_subscribe(fx->st, "u", "Junk", 0),
			 STORE_OK);
	assert_int_equal(store_folder_get(fx->st, "u", "Junk", &f), STORE_OK);
	assert_false(f.subscribed);
	store_folder_clear(&f);
	assert_int_equal(store_folder_subscribe(fx->st, "u", "Junk", 1),
			 STORE_OK);
	assert_int_equal(store_folder_get(fx->st, "u", "Junk", &f), STORE_OK);
	assert_true(f.subscribed);
	store_folder_clear(&f);
	assert_int_equal(store_folder_subscribe(fx->st, "u", "None", 1),
			 STORE_NOTFOUND);
}

static void
test_store_user_purge(void **state)
{
	struct fx *fx = *state;
	struct names ns = { .n = 0 };

	assert_int_equal(store_user_create(fx->st, "u"), STORE_OK);
	assert_int_equal(store_user_create(fx->st, "v"), STORE_OK);
	assert_int_equal(store_append(fx->st, "u", "INBOX", "x\n", 2, 0, 0,
				      NULL), STORE_OK);
	assert_int_equal(store_user_purge(fx->st, "u"), STORE_OK);
	assert_false(exists(fx, "u"));
	assert_int_equal(fx_count(fx, ""), 1);
	assert_int_equal(store_folder_list(fx->st, "u", collect, &ns),
			 STORE_OK);
	assert_int_equal(ns.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store_user_create,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_folder_create,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_folder_uidvalidity,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_folder_rename,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_folder_delete,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_folder_subscribe,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_store_user_purge,
						fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
