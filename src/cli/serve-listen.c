/* The access servers of `conflux serve`: IMAP, POP3 and LMTP listeners from
 * the config, bound while still root, started once the store is open.
 * Each protocol server is used through the same five calls (see
 * server/common/server.h), so one table drives all of them. */
#include "cli/serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "net/listener.h"
#include "net/loop.h"
#include "net/tls.h"
#include "server/common/auth.h"
#include "server/common/commitq.h"
#include "server/common/notify.h"
#include "server/common/server.h"
#include "server/imap/imap-server.h"
#include "server/lmtp/lmtp-server.h"
#include "server/pop3/pop3-server.h"

struct proto_ops {
	const char *name;
	void *(*create)(const struct server_env *, const struct server_settings *);
	listener_accept_cb *accept;
	void (*shutdown)(void *);
	void (*destroy)(void *);
	unsigned int (*sessions)(const void *);
	const char *reject_line;	/* to a client over a limit */
};

#define OPS(p, reject) { #p, \
	(void *(*)(const struct server_env *, const struct server_settings *)) \
		p##_server_new, p##_server_accept, \
	(void (*)(void *))p##_server_shutdown, destroy_##p, \
	(unsigned int (*)(const void *))p##_server_sessions, reject }

/* A protocol whose server is not built yet (its sources are guarded in
 * src/server/<proto>/meson.build) has no entry: its listeners are skipped
 * with a warning. */
#ifdef HAVE_SERVER_IMAP
static void destroy_imap(void *s) { imap_server_free((struct imap_server **)&s); }
#endif
#ifdef HAVE_SERVER_POP3
static void destroy_pop3(void *s) { pop3_server_free((struct pop3_server **)&s); }
#endif
#ifdef HAVE_SERVER_LMTP
static void destroy_lmtp(void *s) { lmtp_server_free((struct lmtp_server **)&s); }
#endif

enum { PROTO_IMAP, PROTO_POP3, PROTO_LMTP, PROTO_COUNT };

static const struct proto_ops protos[PROTO_COUNT] = {
#ifdef HAVE_SERVER_IMAP
	OPS(imap, "* BYE Too many connections\r\n"),
#else
	{ "imap", NULL, NULL, NULL, NULL, NULL, NULL },
#endif
#ifdef HAVE_SERVER_POP3
	OPS(pop3, "-ERR [SYS/TEMP] Too many connections\r\n"),
#else
	{ "pop3", NULL, NULL, NULL, NULL, NULL, NULL },
#endif
#ifdef HAVE_SERVER_LMTP
	OPS(lmtp, "421 4.3.2 Too many connections\r\n"),
#else
	{ "lmtp", NULL, NULL, NULL, NULL, NULL, NULL },
#endif
};

/* One bound socket. Its accept callback reaches the server through the
 * slot, which is filled only when the servers start (nothing is accepted
 * before the loop runs). */
struct slot {
	const struct proto_ops *ops;
	void *server;
	struct listener *lst;
	char *address;
	int tls;
};

#define MAX_SLOTS 8

struct servers {
	struct loop *loop;
	struct tls_ctx *tls;
	struct server_env env;
	struct auth *auth;
	struct notify *notify;
	struct commitq *commitq;
	void *server[PROTO_COUNT];
	struct slot slot[MAX_SLOTS];
	unsigned int n_slots;
	char hostname[256];
};

static void
on_accept(struct conn *c, const char *peer, void *ctx)
{
	struct slot *s = ctx;

	s->ops->accept(c, peer, s->server);
}

static int
wanted(const char *address)
{
	return address != NULL && address[0] != '\0';
}

static void
bind_one(struct servers *sv, const struct conflux_config *conf, int proto,
	 const char *address, int tls)
{
	struct listener_settings set;
	struct slot *s;
	const char *error;

	if (!wanted(address))
		return;
	if (protos[proto].create == NULL) {
		log_warn("%s: not built into this conflux; %s ignored",
			 protos[proto].name, address);
		return;
	}
	s = &sv->slot[sv->n_slots++];
	s->ops = &protos[proto];
	s->address = xstrdup(address);
	s->tls = tls;
	memset(&set, 0, sizeof(set));
	set.address = address;
	set.max_conns = (unsigned int)conf->max_connections;
	set.max_per_ip = (unsigned int)conf->max_per_ip;
	set.tls = tls ? sv->tls : NULL;
	set.reject_line = tls ? NULL : s->ops->reject_line;
	if (listener_new(sv->loop, &set, on_accept, s, &s->lst, &error) < 0)
		cli_die(EXIT_CONFIG, "[%s] %s = %s: %s", s->ops->name,
			tls ? "tls_listen" : "listen", address, error);
}

static void
load_tls(struct servers *sv, const struct conflux_config *conf)
{
	const char *error;

	if (access(conf->tls_cert, R_OK) < 0 &&
	    !wanted(conf->imap_tls_listen) && !wanted(conf->pop3_tls_listen))
		return;		/* no certificate, none needed: no STARTTLS */
	if (tls_server_new(conf->tls_cert, conf->tls_key, &sv->tls,
			   &error) < 0)
		cli_die(EXIT_CONFIG, "[tls] %s: %s", conf->tls_cert, error);
}

struct servers *
servers_bind(struct loop *l, const struct conflux_config *conf)
{
	struct servers *sv = xcalloc(1, sizeof(*sv));

	sv->loop = l;
	load_tls(sv, conf);
	bind_one(sv, conf, PROTO_IMAP, conf->imap_listen, 0);
	bind_one(sv, conf, PROTO_IMAP, conf->imap_tls_listen, 1);
	bind_one(sv, conf, PROTO_POP3, conf->pop3_listen, 0);
	bind_one(sv, conf, PROTO_POP3, conf->pop3_tls_listen, 1);
	bind_one(sv, conf, PROTO_LMTP, conf->lmtp_listen, 0);
	return sv;
}

static unsigned int
idle_timeout_ms(const struct conflux_config *conf, int proto)
{
	unsigned int s = proto == PROTO_IMAP ? conf->imap_idle_timeout :
			 proto == PROTO_POP3 ? conf->pop3_idle_timeout :
			 conf->lmtp_idle_timeout;

	return s * 1000u;
}

static void
fill_env(struct servers *sv, struct cli_ctx *ctx)
{
	const struct conflux_config *conf = &ctx->conf;
	struct auth_settings as;

	memset(&as, 0, sizeof(as));
	as.fail_delay_ms = conf->auth_fail_delay * 1000u;
	as.fail_limit = (unsigned int)conf->auth_fail_limit;
	as.cache_ttl_s = conf->auth_cache_ttl;
	sv->auth = auth_new(sv->loop, ctx->reg, &as);
	sv->notify = notify_new(sv->loop, ctx->db, 0);
	sv->commitq = commitq_new(sv->loop, ctx->store, sv->notify);
	if (conf->hostname != NULL && conf->hostname[0] != '\0')
		snprintf(sv->hostname, sizeof(sv->hostname), "%s",
			 conf->hostname);
	else if (gethostname(sv->hostname, sizeof(sv->hostname)) < 0)
		snprintf(sv->hostname, sizeof(sv->hostname), "localhost");
	sv->env.loop = sv->loop;
	sv->env.store = ctx->store;
	sv->env.reg = ctx->reg;
	sv->env.tls = sv->tls;
	sv->env.auth = sv->auth;
	sv->env.notify = sv->notify;
	sv->env.commitq = sv->commitq;
	sv->env.hostname = sv->hostname;
	sv->env.plaintext_auth_anywhere = conf->plaintext_auth == 1;
	sv->env.max_message_size = conf->max_message_size;
}

void
servers_start(struct servers *sv, struct cli_ctx *ctx)
{
	struct server_settings set;
	unsigned int i;
	int p;

	fill_env(sv, ctx);
	for (i = 0; i < sv->n_slots; i++) {
		p = (int)(sv->slot[i].ops - protos);
		if (sv->server[p] == NULL) {
			memset(&set, 0, sizeof(set));
			set.idle_timeout_ms = idle_timeout_ms(&ctx->conf, p);
			sv->server[p] = protos[p].create(&sv->env, &set);
		}
		sv->slot[i].server = sv->server[p];
		log_info("%s: listening on %s%s (port %d)", protos[p].name,
			 sv->slot[i].address, sv->slot[i].tls ? " with TLS" : "",
			 listener_port(sv->slot[i].lst));
	}
}

struct notify *
servers_notify(struct servers *sv)
{
	return sv->notify;
}

unsigned int
servers_sessions(const struct servers *sv)
{
	unsigned int n = 0;
	int p;

	for (p = 0; p < PROTO_COUNT; p++) {
		if (sv->server[p] != NULL)
			n += protos[p].sessions(sv->server[p]);
	}
	return n;
}

void
servers_shutdown(struct servers *sv)
{
	unsigned int i;
	int p;

	for (i = 0; i < sv->n_slots; i++)
		listener_free(&sv->slot[i].lst);
	for (p = 0; p < PROTO_COUNT; p++) {
		if (sv->server[p] != NULL)
			protos[p].shutdown(sv->server[p]);
	}
}

void
servers_free(struct servers **svp)
{
	struct servers *sv = *svp;
	unsigned int i;
	int p;

	if (sv == NULL)
		return;
	*svp = NULL;
	for (i = 0; i < sv->n_slots; i++) {
		listener_free(&sv->slot[i].lst);
		free(sv->slot[i].address);
	}
	for (p = 0; p < PROTO_COUNT; p++) {
		if (sv->server[p] != NULL)
			protos[p].destroy(sv->server[p]);
	}
	commitq_free(&sv->commitq);	/* commits what is queued */
	notify_free(&sv->notify);
	auth_free(&sv->auth);
	tls_ctx_free(&sv->tls);
	free(sv);
}
