#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/xalloc.h"

struct cfg {
	char *name;
	long long port;
	char *data;
	char *cert;
	uint64_t max_size;
	int fsync;
	unsigned int interval;
	int mode;
};

static const char *const modes[] = { "fetch", "move", NULL };

#define K(sec, name, type, field, def, min, max, ev) \
	{ sec, name, type, offsetof(struct cfg, field), def, min, max, ev }

static const struct conf_key keys[] = {
	K("server", "name", CONF_STRING, name, "conflux", 0, 0, NULL),
	K("server", "port", CONF_INT, port, "143", 1, 65535, NULL),
	K("server", "data", CONF_PATH, data, "data", 0, 0, NULL),
	K("tls", "cert", CONF_PATH, cert, NULL, 0, 0, NULL),
	K("store", "max_size", CONF_SIZE, max_size, "10M", 1024, 1LL << 30,
	  NULL),
	K("store", "fsync", CONF_BOOL, fsync, "yes", 0, 0, NULL),
	K("sync", "interval", CONF_DURATION, interval, "5m", 10, 86400, NULL),
	K("sync", "mode", CONF_ENUM, mode, "fetch", 0, 0, modes),
	{ NULL, NULL, CONF_STRING, 0, NULL, 0, 0, NULL },
};

struct fixture {
	char dir[64];
	char path[128];
	char *real;	/* realpath of dir */
	struct cfg cfg;
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/test-conf.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/conflux.conf", f->dir);
	f->real = realpath(f->dir, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	conf_free(keys, &f->cfg);
	unlink(f->path);
	rmdir(f->dir);
	free(f->real);
	free(f);
	return 0;
}

/* Writes text to the config file and loads it: conf_load's result. */
static int
load(struct fixture *f, const char *text, char **error_r)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	*error_r = NULL;
	return conf_load(f->path, keys, &f->cfg, error_r);
}

/* Loading text fails with "<path>:<line>: <msg>". */
static void
expect_error(struct fixture *f, const char *text, int line, const char *msg)
{
	char *error, *expected = xasprintf("%s:%d: %s", f->path, line, msg);

	assert_int_equal(load(f, text, &error), -1);
	assert_non_null(error);
	assert_string_equal(error, expected);
	free(error);
	free(expected);
}

static void
test_conf_defaults(void **state)
{
	struct fixture *f = *state;

	conf_defaults(keys, &f->cfg);
	assert_string_equal(f->cfg.name, "conflux");
	assert_int_equal(f->cfg.port, 143);
	assert_string_equal(f->cfg.data, "data");
	assert_null(f->cfg.cert);
	assert_true(f->cfg.max_size == 10 << 20);
	assert_int_equal(f->cfg.fsync, 1);
	assert_int_equal(f->cfg.interval, 300);
	assert_int_equal(f->cfg.mode, 0);
}

static void
test_conf_load_values(void **state)
{
	struct fixture *f = *state;
	char *error;

	conf_defaults(keys, &f->cfg);
	assert_int_equal(load(f, "# comment\n; another\n\n"
			      "[server]\nname = my server ; inline comment\n"
			      "port=993\n"
			      "[store]\nmax_size = 64K\nfsync = off\n"
			      "[sync]\ninterval = 2h\nmode = MOVE\n",
			      &error), 0);
	assert_null(error);
	assert_string_equal(f->cfg.name, "my server");
	assert_int_equal(f->cfg.port, 993);
	assert_string_equal(f->cfg.data, "data");	/* default kept */
	assert_true(f->cfg.max_size == 65536);
	assert_int_equal(f->cfg.fsync, 0);
	assert_int_equal(f->cfg.interval, 7200);
	assert_int_equal(f->cfg.mode, 1);
}

static void
test_conf_load_twice_no_leak(void **state)
{
	struct fixture *f = *state;
	char *error;

	assert_int_equal(load(f, "[server]\nname = a\n", &error), 0);
	assert_int_equal(load(f, "[server]\nname = b\n", &error), 0);
	assert_string_equal(f->cfg.name, "b");
	assert_int_equal(load(f, "[store]\nfsync = no\n", &error), 0);
	assert_string_equal(f->cfg.name, "conflux");
}

static void
test_conf_relative_paths(void **state)
{
	struct fixture *f = *state;
	char *error, *expected;

	assert_int_equal(load(f, "[server]\ndata = sub/dir\n"
			      "[tls]\ncert = /etc/cert.pem\n", &error), 0);
	expected = xasprintf("%s/sub/dir", f->real);
	assert_string_equal(f->cfg.data, expected);
	assert_string_equal(f->cfg.cert, "/etc/cert.pem");
	free(expected);
}

static void
test_conf_relative_path_from_relative_config(void **state)
{
	struct fixture *f = *state;
	char cwd[PATH_MAX], *error, *expected;
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	fputs("[tls]\ncert = c.pem\n", fp);
	fclose(fp);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(conf_load("./conflux.conf", keys, &f->cfg, &error),
			 0);
	assert_int_equal(chdir(cwd), 0);
	expected = xasprintf("%s/c.pem", f->real);
	assert_string_equal(f->cfg.cert, expected);
	free(expected);
}

static void
test_conf_error_missing_file(void **state)
{
	struct fixture *f = *state;
	char *error, *expected = xasprintf("%s/nope.conf: cannot open: "
					   "No such file or directory", f->dir);
	char *path = xasprintf("%s/nope.conf", f->dir);

	assert_int_equal(conf_load(path, keys, &f->cfg, &error), -1);
	assert_string_equal(error, expected);
	free(error);
	free(expected);
	free(path);
}

static void
test_conf_error_unknown_section(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[server]\nport = 1\n\n[bogus]\nx = 1\n", 4,
		     "unknown section [bogus]");
	/* Also when the section has no keys. */
	expect_error(f, "[server]\nport = 1\n[ bogus ]\n", 3,
		     "unknown section [bogus]");
}

static void
test_conf_error_unknown_section_after_bom(void **state)
{
	expect_error(*state, "\xef\xbb\xbf[bogus]\n", 1,
		     "unknown section [bogus]");
}

static void
test_conf_error_unknown_key(void **state)
{
	expect_error(*state, "[server]\nprot = 1\n", 2,
		     "unknown key 'prot' in [server]");
	expect_error(*state, "port = 1\n", 1,
		     "key 'port' outside any [section]");
}

static void
test_conf_error_duplicate_key(void **state)
{
	expect_error(*state, "[server]\nport = 1\n\nport = 2\n", 4,
		     "duplicate key 'port' in [server] (first set on line 2)");
	expect_error(*state, "[server]\nport = 1\n[store]\n[server]\n"
		     "port = 2\n", 5,
		     "duplicate key 'port' in [server] (first set on line 2)");
}

static void
test_conf_error_bad_values(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[server]\nport = abc\n", 2, "bad value \"abc\" for "
		     "'port' in [server] (expected an integer)");
	expect_error(f, "[server]\nport = 1 2\n", 2, "bad value \"1 2\" for "
		     "'port' in [server] (expected an integer)");
	expect_error(f, "[store]\nmax_size = 10X\n", 2, "bad value \"10X\" "
		     "for 'max_size' in [store] (expected a size such as 512, "
		     "64K, 10M or 2G)");
	expect_error(f, "[store]\nfsync = maybe\n", 2, "bad value \"maybe\" "
		     "for 'fsync' in [store] (expected yes/no, true/false, "
		     "on/off or 1/0)");
	expect_error(f, "[sync]\ninterval = 5 min\n", 2, "bad value "
		     "\"5 min\" for 'interval' in [sync] (expected a duration "
		     "such as 30, 30s, 10m, 2h or 1d)");
	expect_error(f, "[sync]\nmode = sync\n", 2, "bad value \"sync\" for "
		     "'mode' in [sync] (expected one of: fetch, move)");
	expect_error(f, "[server]\nport =\n", 2, "bad value \"\" for "
		     "'port' in [server] (expected an integer)");
}

static void
test_conf_error_out_of_range(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[server]\nport = 70000\n", 2, "value \"70000\" for "
		     "'port' in [server] is out of range (expected 1 to 65535)");
	expect_error(f, "[server]\nport = 0\n", 2, "value \"0\" for "
		     "'port' in [server] is out of range (expected 1 to 65535)");
	expect_error(f, "[server]\nport = -5\n", 2, "value \"-5\" for "
		     "'port' in [server] is out of range (expected 1 to 65535)");
	expect_error(f, "[store]\nmax_size = 2G\n", 2, "value \"2G\" for "
		     "'max_size' in [store] is out of range (expected 1024 to "
		     "1073741824)");
	expect_error(f, "[sync]\ninterval = 5\n", 2, "value \"5\" for "
		     "'interval' in [sync] is out of range (expected 10 to "
		     "86400)");
}

static void
test_conf_error_syntax(void **state)
{
	expect_error(*state, "[server]\njunk line\n", 2, "syntax error "
		     "(expected [section], key = value, or a comment)");
	expect_error(*state, "[server\nport = 1\n", 1, "syntax error "
		     "(expected [section], key = value, or a comment)");
}

static void
test_conf_error_continuation(void **state)
{
	expect_error(*state, "[server]\nname = a\n  port = 2\n", 3,
		     "indented line continues 'name' in [server]; "
		     "continuation lines are not supported");
}

static void
test_conf_error_long_line(void **state)
{
	struct fixture *f = *state;
	char text[600];
	char *error;

	snprintf(text, sizeof(text), "[server]\nname = %0300d\nport = 1\n", 0);
	expect_error(f, text, 2, "line too long (more than 199 bytes)");
	/* The longest accepted line, and the counting after it. */
	snprintf(text, sizeof(text), "[server]\nname = %0192d\nprot = 1\n",
		 0);
	expect_error(f, text, 3, "unknown key 'prot' in [server]");
	snprintf(text, sizeof(text), "[server]\nname = %0192d", 0);
	assert_int_equal(load(f, text, &error), 0);
	assert_int_equal(strlen(f->cfg.name), 192);
}

static void
test_conf_first_error_wins(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "[server]\nport = x\nfoo = 1\n", 2, "bad value \"x\" "
		     "for 'port' in [server] (expected an integer)");
	expect_error(f, "[server]\njunk\nfoo = 1\n", 2, "syntax error "
		     "(expected [section], key = value, or a comment)");
	expect_error(f, "[server]\nfoo = 1\njunk\n", 2,
		     "unknown key 'foo' in [server]");
	expect_error(f, "[bogus]\njunk\n", 1, "unknown section [bogus]");
}

static void
test_conf_parse_size(void **state)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "512", 512 }, { "64K", 65536 }, { "64k", 65536 },
		{ "10M", 10485760 }, { "2G", 2147483648ULL },
		{ "1T", 1099511627776ULL }, { "100B", 100 },
	};
	static const char *const bad[] = {
		"", "K", "-1", "1.5M", "10MB", "10 M", " 10", "10X",
		"16777216T", "99999999999999999999",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(conf_parse_size(ok[i].s, &v), 0);
		assert_true(v == ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(conf_parse_size(bad[i], &v), -1);
}

static void
test_conf_parse_duration(void **state)
{
	static const struct { const char *s; unsigned int v; } ok[] = {
		{ "30", 30 }, { "30s", 30 }, { "10m", 600 }, { "2h", 7200 },
		{ "1d", 86400 }, { "1w", 604800 }, { "0", 0 },
	};
	static const char *const bad[] = {
		"", "s", "10M", "1 h", "-1", "4294967296", "50000d", "1hm",
	};
	unsigned int v;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(conf_parse_duration(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(conf_parse_duration(bad[i], &v), -1);
}

static void
test_conf_parse_bool(void **state)
{
	static const char *const yes[] = { "yes", "true", "on", "1", "YES",
					   "True" };
	static const char *const no[] = { "no", "false", "off", "0", "OFF" };
	int v;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		assert_int_equal(conf_parse_bool(yes[i], &v), 0);
		assert_int_equal(v, 1);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		assert_int_equal(conf_parse_bool(no[i], &v), 0);
		assert_int_equal(v, 0);
	}
	assert_int_equal(conf_parse_bool("", &v), -1);
	assert_int_equal(conf_parse_bool("2", &v), -1);
	assert_int_equal(conf_parse_bool("yess", &v), -1);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_conf_defaults),
		T(test_conf_load_values),
		T(test_conf_load_twice_no_leak),
		T(test_conf_relative_paths),
		T(test_conf_relative_path_from_relative_config),
		T(test_conf_error_missing_file),
		T(test_conf_error_unknown_section),
		T(test_conf_error_unknown_section_after_bom),
		T(test_conf_error_unknown_key),
		T(test_conf_error_duplicate_key),
		T(test_conf_error_bad_values),
		T(test_conf_error_out_of_range),
		T(test_conf_error_syntax),
		T(test_conf_error_continuation),
		T(test_conf_error_long_line),
		T(test_conf_first_error_wins),
		T(test_conf_parse_size),
		T(test_conf_parse_duration),
		T(test_conf_parse_bool),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
