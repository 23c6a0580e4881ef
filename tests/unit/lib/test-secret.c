#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "lib/secret.h"
#include "lib/xalloc.h"

struct fixture {
	char dir[64];
	char *key_path, *key2_path;
	struct secret_key *key, *key2;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char *error = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-secret.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->key_path = xasprintf("%s/master.key", f->dir);
	f->key2_path = xasprintf("%s/other.key", f->dir);
	if (secret_key_create(f->key_path, &error) < 0 ||
	    secret_key_create(f->key2_path, &error) < 0 ||
	    (f->key = secret_key_load(f->key_path, &error)) == NULL ||
	    (f->key2 = secret_key_load(f->key2_path, &error)) == NULL) {
		fprintf(stderr, "setup: %s\n", error);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	secret_key_free(&f->key);
	secret_key_free(&f->key2);
	unlink(f->key_path);
	unlink(f->key2_path);
	rmdir(f->dir);
	free(f->key_path);
	free(f->key2_path);
	free(f);
	return 0;
}

static void
test_secret_key_file_mode(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(stat(f->key_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 32);
}

static void
test_secret_key_create_refuses_existing(void **state)
{
	struct fixture *f = *state;
	char *error = NULL;

	assert_int_equal(secret_key_create(f->key_path, &error), -1);
	assert_non_null(strstr(error, "File exists"));
	free(error);
}

static void
test_secret_key_load_refuses_0644(void **state)
{
	struct fixture *f = *state;
	char *error = NULL;
	struct secret_key *k;

	assert_int_equal(chmod(f->key_path, 0644), 0);
	k = secret_key_load(f->key_path, &error);
	assert_null(k);
	assert_non_null(error);
	assert_non_null(strstr(error, "chmod 600"));
	assert_non_null(strstr(error, f->key_path));
	free(error);
	assert_int_equal(chmod(f->key_path, 0640), 0);
	assert_null(secret_key_load(f->key_path, &error));
	free(error);
	assert_int_equal(chmod(f->key_path, 0600), 0);
	k = secret_key_load(f->key_path, &error);
	assert_non_null(k);
	secret_key_free(&k);
	assert_null(k);
	secret_key_free(&k);
}

static void
test_secret_key_load_wrong_size(void **state)
{
	struct fixture *f = *state;
	char *error = NULL, *path = xasprintf("%s/short.key", f->dir);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "short", 5), 5);
	close(fd);
	assert_null(secret_key_load(path, &error));
	assert_non_null(strstr(error, "expected 32"));
	free(error);
	unlink(path);
	free(path);
	assert_null(secret_key_load("/nonexistent/key", &error));
	free(error);
}

static void
test_secret_seal_open_round_trip(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	char *plain;
	size_t len;

	buf_init(&b, 1000);
	assert_int_equal(secret_seal(f->key, "hunter2", 7, &b), 0);
	assert_int_equal(b.len, 1 + 24 + 16 + 7);
	assert_null(memmem(b.data, b.len, "hunter2", 7));
	assert_int_equal(secret_open(f->key, b.data, b.len, &plain, &len), 0);
	assert_string_equal(plain, "hunter2");
	assert_int_equal(len, 7);
	secret_free(plain);
	secret_free(NULL);
	buf_free(&b);
}

static void
test_secret_seal_nonce_differs(void **state)
{
	struct fixture *f = *state;
	struct buf a, b;

	buf_init(&a, 1000);
	buf_init(&b, 1000);
	assert_int_equal(secret_seal(f->key, "same", 4, &a), 0);
	assert_int_equal(secret_seal(f->key, "same", 4, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_true(memcmp(a.data, b.data, a.len) != 0);
	buf_free(&a);
	buf_free(&b);
}

static void
test_secret_open_tampered(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	char *plain = (char *)"untouched";

	buf_init(&b, 1000);
	assert_int_equal(secret_seal(f->key, "hunter2", 7, &b), 0);
	for (size_t i = 0; i < b.len; i++) {
		b.data[i] ^= 0x01;
		assert_int_equal(secret_open(f->key, b.data, b.len, &plain,
					     NULL), -1);
		assert_null(plain);
		b.data[i] ^= 0x01;
	}
	assert_int_equal(secret_open(f->key, b.data, b.len - 1, &plain, NULL),
			 -1);
	assert_int_equal(secret_open(f->key, b.data, 10, &plain, NULL), -1);
	buf_free(&b);
}

static void
test_secret_open_wrong_key(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	char *plain;

	buf_init(&b, 1000);
	assert_int_equal(secret_seal(f->key, "hunter2", 7, &b), 0);
	assert_int_equal(secret_open(f->key2, b.data, b.len, &plain, NULL),
			 -1);
	buf_free(&b);
}

static void
test_secret_seal_max(void **state)
{
	struct fixture *f = *state;
	struct buf b;
	char *plain;

	buf_init(&b, 47);
	assert_int_equal(secret_seal(f->key, "1234567", 7, &b), -1);
	assert_int_equal(b.len, 0);
	assert_int_equal(secret_seal(f->key, "123456", 6, &b), 0);
	assert_int_equal(secret_open(f->key, b.data, b.len, &plain, NULL), 0);
	assert_string_equal(plain, "123456");
	secret_free(plain);
	buf_free(&b);
	buf_init(&b, 10);
	assert_int_equal(secret_seal(f->key, "", 0, &b), -1);
	buf_free(&b);
}

static void
test_password_hash_verify(void **state)
{
	char hash[128];

	assert_int_equal(password_hash("correct horse", hash), 0);
	assert_true(strncmp(hash, "$argon2id$", 10) == 0);
	assert_non_null(strstr(hash, "m=16384,t=2,"));
	assert_int_equal(password_verify(hash, "correct horse"), 1);
	assert_int_equal(password_verify(hash, "correct horsE"), 0);
	assert_int_equal(password_verify(hash, ""), 0);
}

static void
test_password_verify_other_params(void **state)
{
	/* argon2id, m=8192 t=1 p=1, password "secret". */
	static const char other[] =
		"$argon2id$v=19$m=8192,t=1,p=1$EP8Vx9jmTtLQtOfipSlMVg$"
		"vSEDrWG89BBsEG04cOLz1ryMRU01Sfrmon81YP0FHvw";
	static const char argon2i[] =
		"$argon2i$v=19$m=4096,t=3,p=1$4zvLZl825jW+aN/UBuOX2g$"
		"YhbAy8S/HPdSsgaUMaWzTyCEKnVj1Yy5sb5bwci/Nm8";

	assert_int_equal(password_verify(other, "secret"), 1);
	assert_int_equal(password_verify(other, "Secret"), 0);
	assert_int_equal(password_verify(argon2i, "secret"), 1);
}

static void
test_password_verify_malformed(void **state)
{
	assert_int_equal(password_verify("", "x"), -1);
	assert_int_equal(password_verify("$1$abc$def", "x"), -1);
	assert_int_equal(password_verify("$argon2id$v=19$m=16384,t=2,p=1$",
					  "x"), -1);
	assert_int_equal(password_verify("plaintext", "plaintext"), -1);
}

static FILE *
pipe_with(const char *data)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], data, strlen(data)),
			 (ssize_t)strlen(data));
	close(fds[1]);
	return fdopen(fds[0], "r");
}

static void
test_secret_read_password_pipe(void **state)
{
	FILE *in = pipe_with("s3cret pass\nsecond\r\n");
	const char *error = NULL;
	char *pw;

	assert_int_equal(secret_read_password(in, "Password: ", &pw, &error),
			 0);
	assert_string_equal(pw, "s3cret pass");
	secret_free(pw);
	assert_int_equal(secret_read_password(in, "Password: ", &pw, &error),
			 0);
	assert_string_equal(pw, "second");
	secret_free(pw);
	assert_int_equal(secret_read_password(in, "Password: ", &pw, &error),
			 -1);
	assert_null(pw);
	assert_non_null(error);
	fclose(in);
}

static void
test_secret_read_password_no_newline(void **state)
{
	FILE *in = pipe_with("last");
	const char *error;
	char *pw;

	assert_int_equal(secret_read_password(in, "", &pw, &error), 0);
	assert_string_equal(pw, "last");
	secret_free(pw);
	fclose(in);
}

static void
test_secret_read_password_errors(void **state)
{
	char *long_line = xmalloc(1100), *data;
	const char *error = NULL;
	FILE *in;
	char *pw;

	memset(long_line, 'x', 1025);
	long_line[1025] = '\0';
	data = xasprintf("\n%s\nok\n", long_line);
	in = pipe_with(data);
	assert_int_equal(secret_read_password(in, "", &pw, &error), -1);
	assert_string_equal(error, "empty password");
	assert_int_equal(secret_read_password(in, "", &pw, &error), -1);
	assert_non_null(strstr(error, "too long"));
	/* The rest of the long line was consumed. */
	assert_int_equal(secret_read_password(in, "", &pw, &error), 0);
	assert_string_equal(pw, "ok");
	secret_free(pw);
	fclose(in);
	free(data);
	long_line[1024] = '\0';
	data = xasprintf("%s\n", long_line);
	in = pipe_with(data);
	assert_int_equal(secret_read_password(in, "", &pw, &error), 0);
	assert_int_equal(strlen(pw), 1024);
	secret_free(pw);
	fclose(in);
	free(data);
	free(long_line);
}

static void
test_secret_protect_process(void **state)
{
	struct rlimit rl;

	secret_protect_process();
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_true(rl.rlim_cur == 0);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_secret_key_file_mode),
		T(test_secret_key_create_refuses_existing),
		T(test_secret_key_load_refuses_0644),
		T(test_secret_key_load_wrong_size),
		T(test_secret_seal_open_round_trip),
		T(test_secret_seal_nonce_differs),
		T(test_secret_open_tampered),
		T(test_secret_open_wrong_key),
		T(test_secret_seal_max),
		T(test_password_hash_verify),
		T(test_password_verify_other_params),
		T(test_password_verify_malformed),
		T(test_secret_read_password_pipe),
		T(test_secret_read_password_no_newline),
		T(test_secret_read_password_errors),
		cmocka_unit_test(test_secret_protect_process),
	};

	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
