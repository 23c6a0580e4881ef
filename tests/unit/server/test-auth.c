/* server/common/auth: answers from the loop, failure delay and limit,
 * cache invalidated by a new password, cancel, APOP. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lib/db.h"
#include "lib/secret.h"
#include "lib/xalloc.h"
#include "net/loop.h"
#include "registry/registry.h"
#include "server/common/auth.h"

struct fx {
	char dir[64];
	struct db *db;
	struct secret_key *key;
	struct registry *reg;
	struct loop *loop;
	struct auth *auth;
	struct timer *guard;
	int answers;
	enum auth_result last;
};

static void
on_guard(void *ctx)
{
	loop_break(ctx);
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct auth_settings set = { .fail_delay_ms = 300, .fail_limit = 3,
				     .fail_window_s = 60, .cache_ttl_s = 60,
				     .workers = 2 };
	char *error = NULL, *p;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-auth.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	p = xasprintf("%s/master.key", f->dir);
	assert_int_equal(secret_key_create(p, &error), 0);
	f->key = secret_key_load(p, &error);
	free(p);
	p = xasprintf("%s/conflux.db", f->dir);
	f->db = db_open(p, &error);
	free(p);
	assert_non_null(f->db);
	f->reg = registry_open(f->db, f->key, &error);
	assert_non_null(f->reg);
	assert_int_equal(registry_user_add(f->reg, "alice", "right-pw"),
			 REG_OK);
	f->loop = loop_new();
	f->auth = auth_new(f->loop, f->reg, &set);
	f->guard = timer_new(f->loop, on_guard, f->loop);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char *cmd = xasprintf("rm -rf %s", f->dir);

	timer_free(&f->guard);
	auth_free(&f->auth);
	loop_free(&f->loop);
	registry_close(&f->reg);
	db_close(&f->db);
	secret_key_free(&f->key);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f);
	return 0;
}

static void
on_done(enum auth_result r, void *ctx)
{
	struct fx *f = ctx;

	f->answers++;
	f->last = r;
	loop_break(f->loop);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Runs one check to its answer; returns how long it took in ms. */
static double
check(struct fx *f, const char *ip, const char *user, const char *pw)
{
	double start = now_ms();
	int before = f->answers;

	assert_non_null(auth_verify(f->auth, ip, user, pw, on_done, f));
	assert_int_equal(f->answers, before);	/* never from inside */
	timer_start(f->guard, 10000, false);
	loop_run(f->loop);
	assert_int_equal(f->answers, before + 1);
	return now_ms() - start;
}

static void
test_auth_right_and_wrong(void **state)
{
	struct fx *f = *state;

	check(f, "192.0.2.1", "alice", "right-pw");
	assert_int_equal(f->last, AUTH_OK);
	assert_true(check(f, "192.0.2.1", "alice", "wrong") >= 290);
	assert_int_equal(f->last, AUTH_FAILED);
	assert_true(check(f, "192.0.2.1", "nobody", "right-pw") >= 290);
	assert_int_equal(f->last, AUTH_FAILED);
	/* A good password is not delayed by earlier failures. */
	assert_true(check(f, "192.0.2.1", "alice", "right-pw") < 250);
	assert_int_equal(f->last, AUTH_OK);
}

static void
test_auth_limit_blocks_the_address_only(void **state)
{
	struct fx *f = *state;
	int i;

	for (i = 0; i < 3; i++) {
		check(f, "192.0.2.7", "alice", "wrong");
		assert_int_equal(f->last, AUTH_FAILED);
	}
	check(f, "192.0.2.7", "alice", "right-pw");
	assert_int_equal(f->last, AUTH_BLOCKED);
	check(f, "192.0.2.8", "alice", "right-pw");
	assert_int_equal(f->last, AUTH_OK);
}

static void
test_auth_new_password_misses_the_cache(void **state)
{
	struct fx *f = *state;

	check(f, "192.0.2.1", "alice", "right-pw");
	check(f, "192.0.2.1", "alice", "right-pw");	/* cached now */
	assert_int_equal(f->last, AUTH_OK);
	assert_int_equal(registry_user_passwd(f->reg, "alice", "new-pw"),
			 REG_OK);
	check(f, "192.0.2.1", "alice", "right-pw");
	assert_int_equal(f->last, AUTH_FAILED);
	check(f, "192.0.2.1", "alice", "new-pw");
	assert_int_equal(f->last, AUTH_OK);
	assert_int_equal(registry_user_del(f->reg, "alice"), REG_OK);
	check(f, "192.0.2.1", "alice", "new-pw");
	assert_int_equal(f->last, AUTH_FAILED);
}

static void
test_auth_cancel_means_no_answer(void **state)
{
	struct fx *f = *state;
	struct auth_request *r;

	r = auth_verify(f->auth, "192.0.2.1", "alice", "right-pw", on_done, f);
	auth_cancel(&r);
	assert_null(r);
	r = auth_verify(f->auth, "192.0.2.1", "alice", "wrong", on_done, f);
	auth_cancel(&r);
	timer_start(f->guard, 700, false);
	loop_run(f->loop);
	assert_int_equal(f->answers, 0);
}

static void
md5_hex(const char *s, char out[33])
{
	unsigned char md[16];
	unsigned int len = 0, i;

	EVP_Digest(s, strlen(s), md, &len, EVP_md5(), NULL);
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void
test_auth_apop(void **state)
{
	struct fx *f = *state;
	const char *ts = "<1896.697170952@dbc.mtview.ca.us>";
	char digest[33];
	char *both = xasprintf("%s%s", ts, "tanstaaf");

	md5_hex(both, digest);
	free(both);
	/* No APOP secret set: refused. */
	auth_verify_apop(f->auth, "192.0.2.1", "alice", ts, digest, on_done, f);
	timer_start(f->guard, 10000, false);
	loop_run(f->loop);
	assert_int_equal(f->last, AUTH_FAILED);
	assert_int_equal(registry_user_set_apop(f->reg, "alice", "tanstaaf"),
			 REG_OK);
	auth_verify_apop(f->auth, "192.0.2.2", "alice", ts, digest, on_done, f);
	loop_run(f->loop);
	assert_int_equal(f->last, AUTH_OK);
	digest[0] = digest[0] == 'a' ? 'b' : 'a';
	auth_verify_apop(f->auth, "192.0.2.2", "alice", ts, digest, on_done, f);
	loop_run(f->loop);
	assert_int_equal(f->last, AUTH_FAILED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_auth_right_and_wrong,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_auth_limit_blocks_the_address_only, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_auth_new_password_misses_the_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_cancel_means_no_answer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_apop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
