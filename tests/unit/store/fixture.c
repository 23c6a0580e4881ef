#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static int
fx_open(struct fx *fx, uint64_t max_size)
{
	struct store_limits limits = { max_size, 4096 };
	char path[192], *err = NULL;

	snprintf(path, sizeof(path), "%s/index.db", fx->dir);
	fx->db = db_open(path, &err);
	assert_non_null(fx->db);
	fx->st = store_open(fx->db, fx->root, &limits, &err);
	if (fx->st == NULL)
		fail_msg("store_open: %s", err);
	return 0;
}

static int
setup(void **state, uint64_t max_size)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/conflux-store-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->root, sizeof(fx->root), "%s/mail", fx->dir);
	fx_open(fx, max_size);
	*state = fx;
	return 0;
}

int
fx_setup(void **state)
{
	return setup(state, 0);
}

int
fx_setup_limited(void **state)
{
	return setup(state, 100);
}

static int
rm_entry(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	return remove(path);
}

int
fx_teardown(void **state)
{
	struct fx *fx = *state;

	store_close(&fx->st);
	db_close(&fx->db);
	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

void
fx_reopen(struct fx *fx)
{
	struct store_limits limits = { 0, 4096 };
	char *err = NULL;

	store_close(&fx->st);
	fx->st = store_open(fx->db, fx->root, &limits, &err);
	assert_non_null(fx->st);
}

size_t
fx_count(struct fx *fx, const char *rel)
{
	char path[512];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", fx->root, rel);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

const char *
fx_only(struct fx *fx, const char *rel)
{
	static char name[512];
	char path[512];
	struct dirent *de;
	DIR *d;

	name[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", fx->root, rel);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			snprintf(name, sizeof(name), "%s", de->d_name);
	}
	closedir(d);
	return name[0] != '\0' ? name : NULL;
}

void
fx_write(struct fx *fx, const char *rel, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fx->root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

int64_t
fx_folder_id(struct fx *fx, const char *user, const char *name)
{
	struct store_folder f;
	int64_t id;

	assert_int_equal(store_folder_get(fx->st, user, name, &f), STORE_OK);
	id = f.id;
	store_folder_clear(&f);
	return id;
}
