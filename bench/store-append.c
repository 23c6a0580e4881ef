/* bench/store-append: durable appends through the store's batch API,
 * against the limit of this machine measured in the same run by a plain
 * loop of write + fsync + rename on the same file system.
 *
 * usage: store-append DIR [COUNT] [BATCH]
 * Generates COUNT messages (default 5000; median ~8 KB, a few of several
 * MB), then runs: (1) the plain loop, (2) the store one message per
 * commit, (3) the store with BATCH messages per commit (default 100).
 * Prints messages/s, MB/s and the ratio to (1). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lib/db.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/store.h"

struct corpus {
	char **msgs;
	size_t *lens;
	size_t count;
	uint64_t bytes;
};

struct result {
	const char *name;
	double seconds;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static double
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (double)(rng_state >> 11) / (double)(1ULL << 53);
}

/* Log-normal sizes around 8 KB; one in 1000 is 2-6 MB. */
static size_t
pick_size(size_t i)
{
	double z;

	if (i % 1000 == 500)
		return (size_t)(2e6 + rnd() * 4e6);
	z = sqrt(-2.0 * log(rnd() + 1e-12)) * cos(6.283185307 * rnd());
	return (size_t)fmin(fmax(8192.0 * exp(0.9 * z), 600.0), 1.5e6);
}

static char *
make_msg(size_t i, size_t size, size_t *len_r)
{
	char *m = xmalloc(size + 512);
	int n = snprintf(m, 512,
		"From: Bench <bench@example.org>\r\nTo: user@example.org\r\n"
		"Subject: message %zu\r\nMessage-ID: <bench-%zu@example.org>\r\n"
		"Date: Sun, 29 Nov 2026 07:00:00 +0000\r\n\r\n", i, i);
	size_t len = (size_t)n;

	while (len + 78 <= size) {
		for (int k = 0; k < 76; k++)
			m[len++] = (char)('a' + (int)(rnd() * 26));
		m[len++] = '\r';
		m[len++] = '\n';
	}
	*len_r = len;
	return m;
}

static void
make_corpus(struct corpus *c, size_t count)
{
	c->msgs = xcalloc(count, sizeof(*c->msgs));
	c->lens = xcalloc(count, sizeof(*c->lens));
	c->count = count;
	c->bytes = 0;
	for (size_t i = 0; i < count; i++) {
		c->msgs[i] = make_msg(i, pick_size(i), &c->lens[i]);
		c->bytes += c->lens[i];
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The limit: what any durable Maildir writer must do per message. */
static double
plain_loop(const char *dir, const struct corpus *c)
{
	char tmp[4096], cur[4096];
	double t0;

	snprintf(tmp, sizeof(tmp), "%s/plain", dir);
	mkdir(tmp, 0700);
	t0 = now();
	for (size_t i = 0; i < c->count; i++) {
		int fd;

		snprintf(tmp, sizeof(tmp), "%s/plain/%zu.tmp", dir, i);
		snprintf(cur, sizeof(cur), "%s/plain/%zu.msg", dir, i);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || write(fd, c->msgs[i], c->lens[i]) !=
		    (ssize_t)c->lens[i] || fsync(fd) < 0 || close(fd) < 0 ||
		    rename(tmp, cur) < 0) {
			fprintf(stderr, "plain loop: %s\n", strerror(errno));
			exit(1);
		}
	}
	return now() - t0;
}

static struct store *
open_store(const char *dir, const char *name, struct db **db_r)
{
	struct store_limits limits = { 0, 256 * 1024 };
	char *path = xasprintf("%s/%s.db", dir, name);
	char *root = xasprintf("%s/%s-mail", dir, name);
	char *error = NULL;
	struct store *st;

	*db_r = db_open(path, &error);
	st = *db_r ? store_open(*db_r, root, &limits, &error) : NULL;
	if (st == NULL || store_user_create(st, "bench") != STORE_OK) {
		fprintf(stderr, "store: %s\n", error ? error : "user create");
		exit(1);
	}
	free(path);
	free(root);
	return st;
}

static void
append_batch(struct store *st, const struct corpus *c, size_t from,
	     size_t n)
{
	struct store_batch *b = NULL;
	struct store_draft *d;

	if (store_batch_begin(st, "bench", "INBOX", &b) != STORE_OK)
		goto fail;
	for (size_t i = from; i < from + n; i++) {
		if (store_draft_begin(b, 0, 0, NULL, &d) != STORE_OK ||
		    store_draft_write(d, c->msgs[i], c->lens[i]) != STORE_OK ||
		    store_draft_finish(d) != STORE_OK)
			goto fail;
	}
	if (store_batch_commit(&b, NULL) == STORE_OK)
		return;
fail:
	fprintf(stderr, "store append: %s\n", store_error(st));
	exit(1);
}

static double
store_run(const char *dir, const char *name, const struct corpus *c,
	  size_t batch)
{
	struct db *db;
	struct store *st = open_store(dir, name, &db);
	double t0 = now();

	for (size_t i = 0; i < c->count; i += batch)
		append_batch(st, c, i, i + batch > c->count ? c->count - i :
			     batch);
	t0 = now() - t0;
	store_close(&st);
	db_close(&db);
	return t0;
}

static void
report(const struct corpus *c, const struct result *r, double limit)
{
	printf("%-28s %8.1f msg/s %8.1f MB/s  ratio %.2f\n", r->name,
	       (double)c->count / r->seconds,
	       (double)c->bytes / 1e6 / r->seconds, limit / r->seconds);
}

int
main(int argc, char **argv)
{
	size_t count = argc > 2 ? strtoul(argv[2], NULL, 10) : 5000;
	size_t batch = argc > 3 ? strtoul(argv[3], NULL, 10) : 100;
	struct result r[3];
	struct corpus c;
	char name[64];

	if (argc < 2 || count == 0 || batch == 0) {
		fputs("usage: store-append DIR [COUNT] [BATCH]\n", stderr);
		return 2;
	}
	log_open("bench", LOG_TARGET_STDERR, LOG_LVL_WARN);
	make_corpus(&c, count);
	printf("corpus: %zu messages, %.1f MB, in %s\n", c.count,
	       (double)c.bytes / 1e6, argv[1]);
	r[0] = (struct result){ "plain write+fsync+rename",
				plain_loop(argv[1], &c) };
	r[1] = (struct result){ "store, 1 per commit",
				store_run(argv[1], "single", &c, 1) };
	snprintf(name, sizeof(name), "store, %zu per commit", batch);
	r[2] = (struct result){ name, store_run(argv[1], "batch", &c, batch) };
	for (int i = 0; i < 3; i++)
		report(&c, &r[i], r[0].seconds);
	return 0;
}
