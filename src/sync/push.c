/* IMAP IDLE watches that poke the scheduler (push.h). */
#include "sync/push.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/secret.h"
#include "lib/xalloc.h"
#include "net/loop.h"

#define RETRY_MIN_MS 5000
#define RETRY_MAX_MS (15 * 60 * 1000)

struct watch {
	struct push *p;
	int64_t account_id;
	char *label;		/* user/account, for the log */
	struct mbox *mb;
	char *password;
	struct timer *retry;
	unsigned int retry_ms;
	int idling;
	int seen;
	char session[13];
};

struct push {
	struct loop *loop;
	struct registry *reg;
	struct sched *sched;
	struct watch **w;
	size_t n;
};

static void watch_start(struct watch *w, const struct account *a);

static void
watch_stop(struct watch *w)
{
	if (w->mb != NULL)
		w->mb->drv->destroy(&w->mb);
	secret_free(w->password);
	w->password = NULL;
	w->idling = 0;
}

static void
watch_free(struct watch *w)
{
	watch_stop(w);
	timer_free(&w->retry);
	free(w->label);
	free(w);
}

/* Schedules a new attempt with back-off; the account still polls. */
static void
watch_failed(struct watch *w, const char *what)
{
	slog_warn(w->session, "push %s: %s: %s (retry in %u s)", w->label,
		  what, w->mb ? w->mb->drv->error(w->mb) : "no driver",
		  w->retry_ms / 1000);
	watch_stop(w);
	timer_start(w->retry, w->retry_ms, false);
	w->retry_ms = w->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
		w->retry_ms * 2;
}

static void
on_change(void *ctx)
{
	struct watch *w = ctx;

	slog_debug(w->session, "push %s: change in INBOX", w->label);
	sched_poke(w->p->sched, w->account_id);
}

static void
on_open(enum drv_status st, const struct drv_box_info *i, void *ctx)
{
	struct watch *w = ctx;

	if (st != DRV_OK) {
		watch_failed(w, "opening INBOX");
		return;
	}
	w->idling = 1;
	w->retry_ms = RETRY_MIN_MS;
	slog_info(w->session, "push %s: idling on INBOX", w->label);
	w->mb->drv->idle(w->mb, on_change, w);
}

static void
on_connect(enum drv_status st, void *ctx)
{
	struct watch *w = ctx;

	if (st != DRV_OK) {
		watch_failed(w, "connecting");
		return;
	}
	if (!(w->mb->drv->caps(w->mb) & DRV_CAP_IDLE) ||
	    w->mb->drv->idle == NULL) {
		slog_info(w->session, "push %s: server has no IDLE; polling "
			  "only", w->label);
		watch_stop(w);
		return;
	}
	w->mb->drv->open_folder(w->mb, "INBOX", on_open, w);
}

static int
load_account(struct watch *w, struct account *a)
{
	char *user = xstrdup(w->label), *slash = strchr(user, '/');
	int rc;

	*slash = '\0';
	rc = registry_account_get(w->p->reg, user, slash + 1, a);
	free(user);
	return rc;
}

static void
on_retry(void *ctx)
{
	struct watch *w = ctx;
	struct account a;

	if (load_account(w, &a) != REG_OK)
		return;
	watch_start(w, &a);
	account_clear(&a);
}

static void
watch_start(struct watch *w, const struct account *a)
{
	log_session_id(w->session);
	if (registry_account_password(w->p->reg, a->user, a->name,
				      &w->password) != REG_OK) {
		watch_failed(w, "reading the password");
		return;
	}
	w->mb = sched_make_driver(w->p->loop, a, w->password, w->session);
	w->mb->drv->connect(w->mb, on_connect, w);
}

static struct watch *
find_watch(struct push *p, int64_t id)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->w[i]->account_id == id)
			return p->w[i];
	}
	return NULL;
}

static int
refresh_one(const struct account *a, void *ctx)
{
	struct push *p = ctx;
	struct watch *w;

	if (a->proto != ACCOUNT_IMAP)
		return 0;
	w = find_watch(p, a->id);
	if (w != NULL) {
		w->seen = 1;
		return 0;
	}
	w = xcalloc(1, sizeof(*w));
	w->p = p;
	w->account_id = a->id;
	w->label = xasprintf("%s/%s", a->user, a->name);
	w->retry = timer_new(p->loop, on_retry, w);
	w->retry_ms = RETRY_MIN_MS;
	w->seen = 1;
	p->w = xrealloc(p->w, (p->n + 1) * sizeof(*p->w));
	p->w[p->n++] = w;
	watch_start(w, a);
	return 0;
}

void
push_refresh(struct push *p)
{
	size_t k = 0;

	for (size_t i = 0; i < p->n; i++)
		p->w[i]->seen = 0;
	registry_account_list(p->reg, NULL, refresh_one, p);
	for (size_t i = 0; i < p->n; i++) {
		if (p->w[i]->seen)
			p->w[k++] = p->w[i];
		else
			watch_free(p->w[i]);
	}
	p->n = k;
}

struct push *
push_new(struct loop *loop, struct registry *reg, struct sched *sched)
{
	struct push *p = xcalloc(1, sizeof(*p));

	p->loop = loop;
	p->reg = reg;
	p->sched = sched;
	return p;
}

void
push_free(struct push **pp)
{
	struct push *p = *pp;

	if (p == NULL)
		return;
	*pp = NULL;
	for (size_t i = 0; i < p->n; i++)
		watch_free(p->w[i]);
	free(p->w);
	free(p);
}

unsigned int
push_idling(const struct push *p)
{
	unsigned int n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += (unsigned)p->w[i]->idling;
	return n;
}
