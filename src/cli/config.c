/* The conflux configuration file: the keys, their defaults, and the paths
 * derived from data_dir. */
#include "cli/cli.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/xalloc.h"

static const char *const log_levels[] = { "debug", "info", "warn", "error",
					  NULL };
static const char *const log_targets[] = { "stderr", "syslog", NULL };
static const char *const plaintext_modes[] = { "loopback", "always", NULL };

#define KEY(sec, name, type, field, def) \
	{ sec, name, type, offsetof(struct conflux_config, field), def, 0, 0, \
	  NULL }

static const struct conf_key config_keys[] = {
	KEY("server", "data_dir", CONF_PATH, data_dir, "."),
	KEY("server", "user", CONF_STRING, run_as, NULL),
	{ "server", "log_level", CONF_ENUM,
	  offsetof(struct conflux_config, log_level), "info", 0, 0,
	  log_levels },
	{ "server", "log_target", CONF_ENUM,
	  offsetof(struct conflux_config, log_target), "stderr", 0, 0,
	  log_targets },
	{ "store", "max_message_size", CONF_SIZE,
	  offsetof(struct conflux_config, max_message_size), "64M", 1024,
	  (long long)1 << 40, NULL },
	{ "store", "max_header_parse", CONF_SIZE,
	  offsetof(struct conflux_config, max_header_parse), "256K", 1024,
	  (long long)16 << 20, NULL },
	{ "sync", "max_delete_percent", CONF_INT,
	  offsetof(struct conflux_config, max_delete_percent), "25", 1, 100,
	  NULL },
	{ "sync", "max_jobs", CONF_INT,
	  offsetof(struct conflux_config, max_jobs), "16", 1, 1000, NULL },
	{ "sync", "max_per_host", CONF_INT,
	  offsetof(struct conflux_config, max_per_host), "4", 1, 1000, NULL },
	KEY("server", "hostname", CONF_STRING, hostname, NULL),
	{ "server", "plaintext_auth", CONF_ENUM,
	  offsetof(struct conflux_config, plaintext_auth), "loopback", 0, 0,
	  plaintext_modes },
	{ "server", "auth_fail_delay", CONF_DURATION,
	  offsetof(struct conflux_config, auth_fail_delay), "2s", 0, 60, NULL },
	{ "server", "auth_fail_limit", CONF_INT,
	  offsetof(struct conflux_config, auth_fail_limit), "20", 0, 100000,
	  NULL },
	{ "server", "auth_cache_ttl", CONF_DURATION,
	  offsetof(struct conflux_config, auth_cache_ttl), "1h", 0, 86400,
	  NULL },
	{ "server", "max_connections", CONF_INT,
	  offsetof(struct conflux_config, max_connections), "20000", 1,
	  1000000, NULL },
	{ "server", "max_per_ip", CONF_INT,
	  offsetof(struct conflux_config, max_per_ip), "0", 0, 1000000, NULL },
	KEY("imap", "listen", CONF_STRING, imap_listen, "127.0.0.1:1143"),
	KEY("imap", "tls_listen", CONF_STRING, imap_tls_listen,
	    "127.0.0.1:1993"),
	{ "imap", "idle_timeout", CONF_DURATION,
	  offsetof(struct conflux_config, imap_idle_timeout), "30m", 60,
	  86400, NULL },
	KEY("pop3", "listen", CONF_STRING, pop3_listen, "127.0.0.1:1110"),
	KEY("pop3", "tls_listen", CONF_STRING, pop3_tls_listen,
	    "127.0.0.1:1995"),
	{ "pop3", "idle_timeout", CONF_DURATION,
	  offsetof(struct conflux_config, pop3_idle_timeout), "10m", 10,
	  86400, NULL },
	KEY("lmtp", "listen", CONF_STRING, lmtp_listen, "127.0.0.1:2424"),
	{ "lmtp", "idle_timeout", CONF_DURATION,
	  offsetof(struct conflux_config, lmtp_idle_timeout), "10m", 10,
	  86400, NULL },
	KEY("tls", "cert", CONF_PATH, tls_cert, "tls/cert.pem"),
	KEY("tls", "key", CONF_PATH, tls_key, "tls/key.pem"),
	{ NULL, NULL, CONF_STRING, 0, NULL, 0, 0, NULL },
};

const char *
cli_config_path(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	env = getenv("CONFLUX_CONFIG");
	if (env != NULL && *env != '\0')
		return env;
	return "conflux.conf";
}

/* Defaults are relative: data_dir to the config file, the rest to data_dir. */
static void
make_absolute(char **path, const char *base)
{
	char *abs;

	if (*path == NULL || (*path)[0] == '/')
		return;
	if (strcmp(*path, ".") == 0)
		abs = xstrdup(base);
	else
		abs = xasprintf("%s/%s", base, *path);
	free(*path);
	*path = abs;
}

static char *
config_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char cwd[4096];

	if (slash == NULL)
		return xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
		return xasprintf("%s/%.*s", cwd, (int)(slash - path), path);
	return xstrndup(path, (size_t)(slash - path + (slash == path)));
}

void
cli_config_load(const char *path, struct conflux_config *conf)
{
	char *error = NULL, *dir;

	memset(conf, 0, sizeof(*conf));
	conf_defaults(config_keys, conf);
	if (conf_load(path, config_keys, conf, &error) < 0) {
		fprintf(stderr, "conflux: %s\n", error);
		free(error);
		exit(EXIT_CONFIG);
	}
	conf->config_path = xstrdup(path);
	dir = config_dir(path);
	make_absolute(&conf->data_dir, dir);
	make_absolute(&conf->tls_cert, conf->data_dir);
	make_absolute(&conf->tls_key, conf->data_dir);
	free(dir);
	conf->mail_dir = xasprintf("%s/mail", conf->data_dir);
	conf->db_path = xasprintf("%s/conflux.db", conf->data_dir);
	conf->key_path = xasprintf("%s/master.key", conf->data_dir);
}

void
cli_config_free(struct conflux_config *conf)
{
	conf_free(config_keys, conf);
	free(conf->mail_dir);
	free(conf->db_path);
	free(conf->key_path);
	free(conf->config_path);
	memset(conf, 0, sizeof(*conf));
}
