/* Password checks off the event loop (see auth.h).
 *
 * The loop thread reads the stored hash (one indexed SQL row), then either
 * finds the check in the cache or queues it for a worker thread, which only
 * runs argon2id on copies of the strings. Results come back through a pipe
 * watched by the loop. Every answer is given from the loop, failures after
 * the per-IP delay. Password copies are wiped before they are freed. */
#include "server/common/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "lib/log.h"
#include "lib/secret.h"
#include "lib/xalloc.h"
#include "net/loop.h"
#include "registry/registry.h"

#define AUTH_CACHE_SLOTS 8192		/* direct-mapped, 40 bytes a slot */
#define AUTH_IP_SLOTS 4096
#define AUTH_MAX_WORKERS 8

struct auth_request {
	struct auth *a;
	enum auth_result result;
	bool cancelled;
	bool in_worker;
	char ip[64];
	char *password;			/* wiped; NULL once checked */
	char hash[REGISTRY_HASH_MAX];
	unsigned char cache_key[crypto_generichash_BYTES];
	struct timer *answer;
	auth_done_cb *cb;
	void *ctx;
	struct auth_request *next;	/* in a queue */
};

struct cache_slot {
	unsigned char key[crypto_generichash_BYTES];
	time_t expires;
};

struct ip_slot {
	char ip[64];
	unsigned int failures;
	time_t window_start;
};

struct auth {
	struct loop *loop;
	struct registry *reg;
	struct auth_settings set;
	unsigned char cache_secret[crypto_generichash_KEYBYTES];
	struct cache_slot *cache;
	struct ip_slot *ips;

	pthread_t threads[AUTH_MAX_WORKERS];
	unsigned int n_threads;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct auth_request *waiting, *waiting_tail;	/* for the workers */
	struct auth_request *done;		/* back to the loop */
	bool stopping;
	int pipe_fd[2];
	struct fd_watch *watch;
};

/* ---- the answer, from the loop ------------------------------------- */

static void
request_free(struct auth_request *r)
{
	if (r->password != NULL) {
		sodium_memzero(r->password, strlen(r->password));
		free(r->password);
	}
	sodium_memzero(r->hash, sizeof(r->hash));
	timer_free(&r->answer);
	free(r);
}

static void
on_answer(void *ctx)
{
	struct auth_request *r = ctx;
	auth_done_cb *cb = r->cb;
	void *cb_ctx = r->ctx;
	enum auth_result result = r->result;

	request_free(r);
	cb(result, cb_ctx);
}

static struct ip_slot *
ip_slot(struct auth *a, const char *ip)
{
	uint32_t h = 2166136261u;
	const char *p;

	for (p = ip; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return &a->ips[h % AUTH_IP_SLOTS];
}

/* Failures of this IP within the window (another IP sharing the slot
 * evicts it: the table stays bounded). */
static unsigned int
ip_failures(struct auth *a, const char *ip, time_t now)
{
	struct ip_slot *s = ip_slot(a, ip);

	if (strcmp(s->ip, ip) != 0 ||
	    now - s->window_start >= (time_t)a->set.fail_window_s)
		return 0;
	return s->failures;
}

static void
ip_record_failure(struct auth *a, const char *ip, time_t now)
{
	struct ip_slot *s = ip_slot(a, ip);

	if (strcmp(s->ip, ip) != 0 ||
	    now - s->window_start >= (time_t)a->set.fail_window_s) {
		snprintf(s->ip, sizeof(s->ip), "%s", ip);
		s->failures = 0;
		s->window_start = now;
	}
	s->failures++;
}

/* Failures wait fail_delay, doubled per recent failure up to 8 times. */
static unsigned int
failure_delay(struct auth *a, const char *ip, time_t now)
{
	unsigned int n = ip_failures(a, ip, now);
	unsigned int shift = n > 3 ? 3 : n;

	return a->set.fail_delay_ms << shift;
}

static void
answer(struct auth_request *r, enum auth_result result)
{
	struct auth *a = r->a;
	time_t now = time(NULL);
	unsigned int delay = 0;

	if (result == AUTH_FAILED) {
		delay = failure_delay(a, r->ip, now);
		ip_record_failure(a, r->ip, now);
	}
	r->result = result;
	r->answer = timer_new(a->loop, on_answer, r);
	timer_start(r->answer, delay, false);
}

/* ---- the cache ------------------------------------------------------ */

static struct cache_slot *
cache_slot(struct auth *a, const unsigned char *key)
{
	uint32_t i;

	memcpy(&i, key, sizeof(i));
	return &a->cache[i % AUTH_CACHE_SLOTS];
}

static bool
cache_hit(struct auth *a, const unsigned char *key)
{
	struct cache_slot *s = cache_slot(a, key);

	return a->set.cache_ttl_s > 0 && s->expires > time(NULL) &&
	       sodium_memcmp(s->key, key, sizeof(s->key)) == 0;
}

static void
cache_add(struct auth *a, const unsigned char *key)
{
	struct cache_slot *s = cache_slot(a, key);

	if (a->set.cache_ttl_s == 0)
		return;
	memcpy(s->key, key, sizeof(s->key));
	s->expires = time(NULL) + a->set.cache_ttl_s;
}

/* keyed BLAKE2b(user NUL hash NUL password): the password never sits in
 * the cache, and a new password (a new hash) misses it. */
static void
make_cache_key(struct auth *a, struct auth_request *r, const char *user)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, a->cache_secret, sizeof(a->cache_secret),
				sizeof(r->cache_key));
	crypto_generichash_update(&st, (const unsigned char *)user,
				  strlen(user) + 1);
	crypto_generichash_update(&st, (const unsigned char *)r->hash,
				  strlen(r->hash) + 1);
	crypto_generichash_update(&st, (const unsigned char *)r->password,
				  strlen(r->password));
	crypto_generichash_final(&st, r->cache_key, sizeof(r->cache_key));
}

/* ---- the workers ---------------------------------------------------- */

static void *
worker_main(void *arg)
{
	struct auth *a = arg;
	struct auth_request *r;
	int match;

	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (a->waiting == NULL && !a->stopping)
			pthread_cond_wait(&a->wake, &a->lock);
		if (a->stopping)
			break;
		r = a->waiting;
		a->waiting = r->next;
		if (a->waiting == NULL)
			a->waiting_tail = NULL;
		pthread_mutex_unlock(&a->lock);

		match = password_verify(r->hash, r->password);
		r->result = match > 0 ? AUTH_OK :
			    match == 0 ? AUTH_FAILED : AUTH_TEMPFAIL;

		pthread_mutex_lock(&a->lock);
		r->next = a->done;
		a->done = r;
		/* A full pipe already holds a wake-up: nothing lost. */
		if (write(a->pipe_fd[1], "x", 1) < 0 && errno != EAGAIN)
			log_warn("auth: wake-up pipe: %s", strerror(errno));
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

static void
on_worker_done(void *ctx)
{
	struct auth *a = ctx;
	struct auth_request *list, *r, *next;
	char drain[64];

	while (read(a->pipe_fd[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&a->lock);
	list = a->done;
	a->done = NULL;
	pthread_mutex_unlock(&a->lock);
	for (r = list; r != NULL; r = next) {
		next = r->next;
		r->in_worker = false;
		if (r->cancelled) {
			request_free(r);
			continue;
		}
		if (r->result == AUTH_OK)
			cache_add(a, r->cache_key);
		if (r->result == AUTH_TEMPFAIL)
			log_error("auth: stored password hash is damaged");
		answer(r, r->result);
	}
}

static void
queue_for_worker(struct auth *a, struct auth_request *r)
{
	r->in_worker = true;
	r->next = NULL;
	pthread_mutex_lock(&a->lock);
	if (a->waiting_tail != NULL)
		a->waiting_tail->next = r;
	else
		a->waiting = r;
	a->waiting_tail = r;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
}

/* ---- requests ------------------------------------------------------- */

static struct auth_request *
request_new(struct auth *a, const char *ip, auth_done_cb *cb, void *ctx)
{
	struct auth_request *r = xcalloc(1, sizeof(*r));

	r->a = a;
	r->cb = cb;
	r->ctx = ctx;
	snprintf(r->ip, sizeof(r->ip), "%s", ip);
	return r;
}

/* True (and answered) when the IP is over its failure limit. */
static bool
blocked(struct auth *a, struct auth_request *r)
{
	if (a->set.fail_limit == 0 ||
	    ip_failures(a, r->ip, time(NULL)) < a->set.fail_limit)
		return false;
	r->result = AUTH_BLOCKED;
	r->answer = timer_new(a->loop, on_answer, r);
	timer_start(r->answer, 0, false);
	return true;
}

struct auth_request *
auth_verify(struct auth *a, const char *ip, const char *user,
	    const char *password, auth_done_cb *cb, void *ctx)
{
	struct auth_request *r = request_new(a, ip, cb, ctx);
	int rc;

	if (blocked(a, r))
		return r;
	rc = registry_user_hash(a->reg, user, r->hash);
	if (rc == REG_ERROR) {
		log_error("auth: %s", registry_error(a->reg));
		answer(r, AUTH_TEMPFAIL);
		return r;
	}
	r->password = xstrdup(password);
	make_cache_key(a, r, user);
	if (rc == REG_OK && cache_hit(a, r->cache_key)) {
		answer(r, AUTH_OK);
		return r;
	}
	/* An unknown user is checked too (against the dummy hash), so that
	 * timing does not tell which names exist. */
	queue_for_worker(a, r);
	return r;
}

static void
md5_hex(const char *a, const char *b, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c == NULL || !EVP_DigestInit_ex(c, EVP_md5(), NULL) ||
	    !EVP_DigestUpdate(c, a, strlen(a)) ||
	    !EVP_DigestUpdate(c, b, strlen(b)) ||
	    !EVP_DigestFinal_ex(c, md, &len))
		len = 0;
	EVP_MD_CTX_free(c);
	for (i = 0; i < len && i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[2 * i] = '\0';
}

struct auth_request *
auth_verify_apop(struct auth *a, const char *ip, const char *user,
		 const char *timestamp, const char *digest_hex,
		 auth_done_cb *cb, void *ctx)
{
	struct auth_request *r = request_new(a, ip, cb, ctx);
	char *secret = NULL, expect[33];
	int rc;

	if (blocked(a, r))
		return r;
	rc = registry_user_name_valid(user) ?
	     registry_user_get_apop(a->reg, user, &secret) : REG_NOTFOUND;
	if (rc != REG_OK) {
		if (rc == REG_ERROR)
			log_error("auth: %s", registry_error(a->reg));
		answer(r, rc == REG_ERROR ? AUTH_TEMPFAIL : AUTH_FAILED);
		return r;
	}
	md5_hex(timestamp, secret, expect);
	secret_free(secret);
	answer(r, strlen(digest_hex) == 32 && expect[0] != '\0' &&
	       sodium_memcmp(expect, digest_hex, 32) == 0 ? AUTH_OK :
	       AUTH_FAILED);
	sodium_memzero(expect, sizeof(expect));
	return r;
}

void
auth_cancel(struct auth_request **rp)
{
	struct auth_request *r = *rp;

	if (r == NULL)
		return;
	*rp = NULL;
	if (r->in_worker) {
		r->cancelled = true;	/* freed when the worker hands it back */
		return;
	}
	request_free(r);
}

/* ---- setup ---------------------------------------------------------- */

struct auth *
auth_new(struct loop *l, struct registry *reg, const struct auth_settings *set)
{
	struct auth *a = xcalloc(1, sizeof(*a));
	unsigned int i;

	a->loop = l;
	a->reg = reg;
	a->set = *set;
	if (a->set.fail_window_s == 0)
		a->set.fail_window_s = 300;
	if (a->set.workers == 0)
		a->set.workers = 2;
	if (a->set.workers > AUTH_MAX_WORKERS)
		a->set.workers = AUTH_MAX_WORKERS;
	randombytes_buf(a->cache_secret, sizeof(a->cache_secret));
	a->cache = xcalloc(AUTH_CACHE_SLOTS, sizeof(*a->cache));
	a->ips = xcalloc(AUTH_IP_SLOTS, sizeof(*a->ips));
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->wake, NULL);
	if (pipe2(a->pipe_fd, O_NONBLOCK | O_CLOEXEC) < 0)
		fatal("auth: pipe: %s", strerror(errno));
	a->watch = loop_watch_readable(l, a->pipe_fd[0], on_worker_done, a);
	for (i = 0; i < a->set.workers; i++) {
		if (pthread_create(&a->threads[i], NULL, worker_main, a) != 0)
			fatal("auth: cannot start a worker thread");
		a->n_threads++;
	}
	return a;
}

static void
free_list(struct auth_request *r)
{
	struct auth_request *next;

	for (; r != NULL; r = next) {
		next = r->next;
		request_free(r);
	}
}

void
auth_free(struct auth **ap)
{
	struct auth *a = *ap;
	unsigned int i;

	if (a == NULL)
		return;
	*ap = NULL;
	pthread_mutex_lock(&a->lock);
	a->stopping = true;
	pthread_cond_broadcast(&a->wake);
	pthread_mutex_unlock(&a->lock);
	for (i = 0; i < a->n_threads; i++)
		pthread_join(a->threads[i], NULL);
	/* Requests still queued or handed back are dropped without a call:
	 * their sessions are going away with the daemon. */
	free_list(a->waiting);
	free_list(a->done);
	fd_watch_free(&a->watch);
	close(a->pipe_fd[0]);
	close(a->pipe_fd[1]);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->wake);
	sodium_memzero(a->cache, AUTH_CACHE_SLOTS * sizeof(*a->cache));
	sodium_memzero(a->cache_secret, sizeof(a->cache_secret));
	free(a->cache);
	free(a->ips);
	free(a);
}
