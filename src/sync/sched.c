/* The scheduler: due times, back-off, concurrency limits (sched.h). */
#include "sync/sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/loop.h"
#include "sync/state.h"

#define TICK_MS 1000
#define RELOAD_SECONDS 60
#define MAX_BACKOFF_SECONDS 3600

struct entry {
	struct sched *s;
	struct account acct;
	time_t due;		/* 0: not queued */
	unsigned int failures;
	int running;
	int keep;		/* seen by the last reload */
	struct sync_job *job;	/* while running */
	char *password;
	char session[13];
};

struct sched {
	struct loop *loop;
	struct db *db;
	struct store *st;
	struct registry *reg;
	struct sched_options opt;
	sched_report_cb *report;
	sched_idle_cb *idle;
	void *ctx;
	struct entry **e;
	size_t n;
	struct timer *tick;
	unsigned int running;
	int periodic;
	int stopping;		/* sched_stop: start nothing new */
	time_t last_reload;
};

static void start_due(struct sched *s);

/* ---- drivers ---------------------------------------------------------- */

struct mbox *
sched_make_driver(struct loop *loop, const struct account *a,
		  const char *password, const char *session)
{
	struct drv_account da = {
		.host = a->host, .port = a->port, .tls = (int)a->tls,
		.login = a->login, .password = password,
		.ca_file = a->ca_file, .pin_sha256 = a->pin_sha256,
		.session = session,
	};

	return a->proto == ACCOUNT_IMAP ? drv_imap_new(loop, &da) :
		drv_pop3_new(loop, &da);
}

/* ---- entries ---------------------------------------------------------- */

static void
entry_free(struct entry *e)
{
	secret_free(e->password);
	account_clear(&e->acct);
	free(e);
}

static struct entry *
find_entry(struct sched *s, int64_t id)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->e[i]->acct.id == id)
			return s->e[i];
	}
	return NULL;
}

static void
copy_account(struct account *d, const struct account *a)
{
	*d = *a;
	d->user = xstrdup(a->user);
	d->name = xstrdup(a->name);
	d->host = xstrdup(a->host);
	d->login = xstrdup(a->login);
	d->folders = a->folders ? xstrdup(a->folders) : NULL;
	d->prefix = a->prefix ? xstrdup(a->prefix) : NULL;
	d->ca_file = a->ca_file ? xstrdup(a->ca_file) : NULL;
	d->pin_sha256 = a->pin_sha256 ? xstrdup(a->pin_sha256) : NULL;
}

/* Adds or refreshes an account; returns its entry. */
static struct entry *
upsert(struct sched *s, const struct account *a)
{
	struct entry *e = find_entry(s, a->id);

	if (e == NULL) {
		e = xcalloc(1, sizeof(*e));
		e->s = s;
		s->e = xrealloc(s->e, (s->n + 1) * sizeof(*s->e));
		s->e[s->n++] = e;
	} else if (!e->running) {
		account_clear(&e->acct);
	} else {
		e->keep = 1;
		return e;	/* refreshed after the running job */
	}
	copy_account(&e->acct, a);
	e->keep = 1;
	return e;
}

/* ---- timing ------------------------------------------------------------- */

static time_t
jitter(unsigned int seconds)
{
	uint32_t span = seconds / 10 + 1;

	return (time_t)randombytes_uniform(span);
}

static time_t
next_due(const struct entry *e, int ok)
{
	unsigned int wait = e->acct.interval ? e->acct.interval : 300;

	if (!ok) {
		unsigned int backoff = 30;

		for (unsigned int i = 1; i < e->failures && backoff <
		     MAX_BACKOFF_SECONDS; i++)
			backoff *= 2;
		wait = backoff < wait ? backoff : wait;
	}
	return time(NULL) + wait + jitter(wait);
}

/* ---- running jobs --------------------------------------------------------- */

static void
on_job_done(const struct sync_report *r, void *ctx)
{
	struct entry *e = ctx;
	struct sched *s = e->s;

	e->running = 0;
	e->job = NULL;
	s->running--;
	state_unlock_user(s->db, e->acct.user);
	secret_free(e->password);
	e->password = NULL;
	e->failures = r->status == DRV_OK ? 0 : e->failures + 1;
	e->due = s->periodic ? next_due(e, r->status == DRV_OK) : 0;
	if (s->report != NULL)
		s->report(&e->acct, r, s->ctx);
	start_due(s);
}

static int
limits_allow(const struct sched *s, const struct entry *e)
{
	unsigned int same_host = 0;

	if (s->running >= s->opt.max_jobs)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct entry *o = s->e[i];

		if (!o->running)
			continue;
		if (strcmp(o->acct.user, e->acct.user) == 0)
			return 0;
		if (strcasecmp(o->acct.host, e->acct.host) == 0)
			same_host++;
	}
	return same_host < s->opt.max_per_host;
}

static void
fail_start(struct entry *e, const char *why)
{
	struct sync_report r;

	memset(&r, 0, sizeof(r));
	r.status = DRV_ACCOUNT_BAD;
	r.error = (char *)why;
	e->running = 1;
	e->s->running++;
	on_job_done(&r, e);
}

static void
check_after_crash(struct sched *s, const char *user)
{
	struct store_check_report r;

	memset(&r, 0, sizeof(r));
	log_warn("sync %s: the previous sync died; checking the store first",
		 user);
	if (store_check(s->st, user, 1, 1, &r, NULL, NULL) != STORE_OK)
		log_warn("store check of %s: %s", user, store_error(s->st));
	else if (r.unindexed + r.stray_tmp > 0)
		log_info("store check of %s: indexed %u files, removed %u "
			 "stray tmp files", user, r.unindexed, r.stray_tmp);
}

/* One process at a time syncs a user: the daemon and `conflux sync` must
 * not fetch the same messages twice. 1 when this entry may start. */
static int
take_user(struct sched *s, struct entry *e)
{
	int stale = 0;
	long holder = 0;
	int rc = state_lock_user(s->db, e->acct.user, &stale, &holder);
	char why[128];

	if (rc == 1) {
		if (stale)
			check_after_crash(s, e->acct.user);
		return 1;
	}
	if (rc == 0 && s->periodic) {
		e->due = time(NULL) + 60;	/* busy elsewhere: later */
		return 0;
	}
	snprintf(why, sizeof(why), rc == 0 ? "a sync of %s is already running "
		 "(pid %ld)" : "cannot lock the syncs of %s", e->acct.user,
		 holder);
	fail_start(e, why);
	return 0;
}

static void
start_entry(struct sched *s, struct entry *e)
{
	struct sync_options opt = s->opt.sync;
	struct mbox *far;

	e->due = 0;
	if (!take_user(s, e))
		return;
	log_session_id(e->session);
	if (registry_account_password(s->reg, e->acct.user, e->acct.name,
				      &e->password) != REG_OK) {
		fail_start(e, registry_error(s->reg));
		return;
	}
	far = sched_make_driver(s->loop, &e->acct, e->password, e->session);
	if (far == NULL) {
		fail_start(e, "unsupported protocol");
		return;
	}
	opt.session = e->session;
	e->running = 1;
	s->running++;
	slog_info(e->session, "sync %s/%s: starting (%s %s:%u, mode %s)",
		  e->acct.user, e->acct.name,
		  account_proto_name(e->acct.proto), e->acct.host,
		  e->acct.port, account_mode_name(e->acct.mode));
	e->job = sync_start(s->loop, s->db, s->st, &e->acct, far, &opt,
			    on_job_done, e);
}

static void
start_due(struct sched *s)
{
	time_t now = time(NULL);
	int queued = 0;

	if (s->stopping) {
		if (s->running == 0 && s->idle != NULL)
			s->idle(s->ctx);
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		struct entry *e = s->e[i];

		if (e->running || e->due == 0)
			continue;
		queued = 1;
		if (e->due <= now && limits_allow(s, e))
			start_entry(s, e);
	}
	if (!s->periodic && !queued && s->running == 0 && s->idle != NULL)
		s->idle(s->ctx);
}

/* ---- loading accounts ------------------------------------------------------ */

struct load_ctx {
	struct sched *s;
	const char *only;	/* account name, or NULL */
	int queued;
	int now;
};

static int
load_one(const struct account *a, void *ctx)
{
	struct load_ctx *lc = ctx;
	struct entry *e;

	if (lc->only != NULL && strcmp(a->name, lc->only) != 0)
		return 0;
	e = upsert(lc->s, a);
	/* A new account syncs soon (within 5 s, spread so that thousands do
	 * not start in the same second; the job limits queue the rest). */
	if (lc->now || e->due == 0)
		e->due = lc->now ? time(NULL) : time(NULL) + jitter(50);
	lc->queued++;
	return 0;
}

static void
drop_unseen(struct sched *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n; i++) {
		if (s->e[i]->keep || s->e[i]->running)
			s->e[k++] = s->e[i];
		else
			entry_free(s->e[i]);
	}
	s->n = k;
}

static void
reload(struct sched *s)
{
	struct load_ctx lc = { s, NULL, 0, 0 };

	for (size_t i = 0; i < s->n; i++)
		s->e[i]->keep = 0;
	if (registry_account_list(s->reg, NULL, load_one, &lc) != REG_OK) {
		log_warn("scheduler: cannot read accounts: %s",
			 registry_error(s->reg));
		return;
	}
	drop_unseen(s);
	s->last_reload = time(NULL);
}

static void
on_tick(void *ctx)
{
	struct sched *s = ctx;

	if (s->periodic && time(NULL) - s->last_reload >= RELOAD_SECONDS)
		reload(s);
	start_due(s);
}

/* ---- public -------------------------------------------------------------------- */

struct sched *
sched_new(struct loop *loop, struct db *db, struct store *st,
	  struct registry *reg, const struct sched_options *opt,
	  sched_report_cb *report, sched_idle_cb *idle, void *ctx)
{
	struct sched *s = xcalloc(1, sizeof(*s));

	s->loop = loop;
	s->db = db;
	s->st = st;
	s->reg = reg;
	s->opt = *opt;
	if (s->opt.max_jobs == 0)
		s->opt.max_jobs = 16;
	if (s->opt.max_per_host == 0)
		s->opt.max_per_host = 4;
	s->report = report;
	s->idle = idle;
	s->ctx = ctx;
	s->tick = timer_new(loop, on_tick, s);
	return s;
}

void
sched_free(struct sched **sp)
{
	struct sched *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	timer_free(&s->tick);
	for (size_t i = 0; i < s->n; i++)
		entry_free(s->e[i]);
	free(s->e);
	free(s);
}

int
sched_run_now(struct sched *s, const char *user, const char *account)
{
	struct load_ctx lc = { s, account, 0, 1 };

	if (registry_account_list(s->reg, user, load_one, &lc) != REG_OK)
		return -1;
	timer_start(s->tick, 0, false);
	return lc.queued;
}

int
sched_start_periodic(struct sched *s)
{
	s->periodic = 1;
	reload(s);
	timer_start(s->tick, TICK_MS, true);
	return 0;
}

void
sched_poke(struct sched *s, int64_t account_id)
{
	struct entry *e = find_entry(s, account_id);

	if (e != NULL && !e->running)
		e->due = time(NULL);
	start_due(s);
}

void
sched_stop(struct sched *s)
{
	s->stopping = 1;
	timer_stop(s->tick);
	for (size_t i = 0; i < s->n; i++) {
		if (s->e[i]->running && s->e[i]->job != NULL)
			sync_cancel(s->e[i]->job);
	}
	start_due(s);
}

unsigned int
sched_running(const struct sched *s)
{
	return s->running;
}
