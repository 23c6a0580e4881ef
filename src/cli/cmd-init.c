/* conflux init: a data directory with config, database, master key and a
 * self-signed certificate. Safe to re-run after a failure: what exists is
 * kept (never a second master key), and an initialised directory is
 * refused. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "net/certgen.h"
#include "sync/state.h"

static const char init_usage[] =
	"usage: conflux init [--data DIR] [--user USER]\n"
	"\n"
	"Creates DIR (default: the current directory) with conflux.conf, the\n"
	"database conflux.db, the master key master.key (mode 0600, keep it\n"
	"safe: it decrypts stored external passwords), a self-signed TLS\n"
	"certificate under tls/ and the mail store under mail/.\n"
	"Run as root, the files belong to USER (default: conflux), the\n"
	"unprivileged user every conflux command switches to.\n";

static uid_t chown_uid;
static gid_t chown_gid;

static int
chown_one(const char *path, const struct stat *sb, int type, struct FTW *f)
{
	return lchown(path, chown_uid, chown_gid) < 0 ? -1 : 0;
}

static void
make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		cli_die(EXIT_FAIL, "cannot create %s: %s", path,
			strerror(errno));
}

static void
write_config(const char *path, const char *run_as)
{
	struct buf text;
	char *tmp = xasprintf("%s.tmp", path);
	int fd;

	buf_init(&text, 1 << 16);
	buf_append_str(&text,
		"# conflux configuration, written by `conflux init`.\n"
		"# Relative paths: data_dir is relative to this file, the\n"
		"# others to data_dir.\n"
		"\n[server]\n"
		"data_dir = .\n");
	if (run_as != NULL)
		buf_printf(&text, "# conflux switches to this user when "
			   "started as root\nuser = %s\n", run_as);
	buf_append_str(&text,
		"log_level = info\n"
		"log_target = stderr\n"
		"# plaintext passwords without TLS: loopback (from 127.0.0.1\n"
		"# and ::1 only, as Dovecot) or always\n"
		"plaintext_auth = loopback\n"
		"# a failed login is answered after this delay; after\n"
		"# auth_fail_limit failures in 5 minutes an address is refused\n"
		"auth_fail_delay = 2s\n"
		"auth_fail_limit = 20\n"
		"# connections per listener, and per client address (0: any)\n"
		"max_connections = 20000\n"
		"max_per_ip = 0\n"
		"\n# Listeners: host:port; an empty value turns one off.\n"
		"[imap]\n"
		"listen = 127.0.0.1:1143\n"
		"tls_listen = 127.0.0.1:1993\n"
		"idle_timeout = 30m\n"
		"\n[pop3]\n"
		"listen = 127.0.0.1:1110\n"
		"tls_listen = 127.0.0.1:1995\n"
		"idle_timeout = 10m\n"
		"\n[lmtp]\n"
		"listen = 127.0.0.1:2424\n"
		"idle_timeout = 10m\n"
		"\n[store]\n"
		"max_message_size = 64M\n"
		"\n[sync]\n"
		"# a sync that would delete more than this share of a mailbox\n"
		"# (of 20 or more messages) stops and asks\n"
		"max_delete_percent = 25\n"
		"# syncs at once, in all and per server host\n"
		"max_jobs = 16\n"
		"max_per_host = 4\n"
		"\n[tls]\n"
		"cert = tls/cert.pem\n"
		"key = tls/key.pem\n");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write(fd, text.data, text.len) != (ssize_t)text.len ||
	    fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0)
		cli_die(EXIT_FAIL, "cannot write %s: %s", path,
			strerror(errno));
	buf_free(&text);
	free(tmp);
}

static void
init_database(const char *dir)
{
	struct store_limits limits = { 0, 1 << 16 };
	char *db_path = xasprintf("%s/conflux.db", dir);
	char *mail_dir = xasprintf("%s/mail", dir);
	char *error = NULL;
	struct db *db = db_open(db_path, &error);
	struct store *st = NULL;
	struct registry *reg = NULL;

	if (db == NULL)
		cli_die(EXIT_FAIL, "%s", error);
	st = store_open(db, mail_dir, &limits, &error);
	if (st != NULL)
		reg = registry_open(db, NULL, &error);
	if (st == NULL || reg == NULL || state_migrate(db, &error) < 0)
		cli_die(EXIT_FAIL, "%s", error);
	registry_close(&reg);
	store_close(&st);
	db_close(&db);
	free(db_path);
	free(mail_dir);
}

static void
init_secrets(const char *dir)
{
	char *key = xasprintf("%s/master.key", dir);
	char *cert = xasprintf("%s/tls/cert.pem", dir);
	char *tlskey = xasprintf("%s/tls/key.pem", dir);
	char *tlsdir = xasprintf("%s/tls", dir);
	char host[256] = "";
	char *error = NULL;

	if (access(key, F_OK) < 0 && secret_key_create(key, &error) < 0)
		cli_die(EXIT_FAIL, "%s", error);
	make_dir(tlsdir, 0750);
	gethostname(host, sizeof(host) - 1);
	if (access(cert, F_OK) < 0 &&
	    certgen_selfsigned(cert, tlskey, host, &error) < 0)
		cli_die(EXIT_FAIL, "%s", error);
	free(key);
	free(cert);
	free(tlskey);
	free(tlsdir);
}

static const char *
resolve_owner(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return NULL;
	if (user == NULL)
		user = "conflux";
	pw = getpwnam(user);
	if (pw == NULL)
		cli_die(EXIT_CONFIG, "user '%s' does not exist (create it: "
			"useradd --system %s, or pass --user)", user, user);
	if (pw->pw_uid == 0)
		cli_die(EXIT_CONFIG, "refusing to run conflux as root: pass "
			"--user with an unprivileged user");
	chown_uid = pw->pw_uid;
	chown_gid = pw->pw_gid;
	return user;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = ".", *user = NULL, *run_as;
	char *conf, *mail;
	int c;

	while ((c = getopt_long(argc, argv, "d:u:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 'u': user = optarg; break;
		case 'c': break;	/* the config is what we write */
		case 'h': fputs(init_usage, stdout); return EXIT_OK;
		default: fputs(init_usage, stderr); return EXIT_CONFIG;
		}
	}
	if (optind != argc)
		cli_die(EXIT_CONFIG, "unexpected argument '%s'", argv[optind]);
	run_as = resolve_owner(user);
	conf = xasprintf("%s/conflux.conf", dir);
	if (access(conf, F_OK) == 0)
		cli_die(EXIT_FAIL, "%s already exists: %s is initialised",
			conf, dir);
	make_dir(dir, 0750);
	mail = xasprintf("%s/mail", dir);
	make_dir(mail, 0700);
	init_secrets(dir);
	init_database(dir);
	write_config(conf, run_as);
	if (run_as != NULL && nftw(dir, chown_one, 16, FTW_PHYS) != 0)
		cli_die(EXIT_FAIL, "cannot give %s to %s: %s", dir, run_as,
			strerror(errno));
	printf("initialised %s (config: %s)\n", dir, conf);
	free(conf);
	free(mail);
	return EXIT_OK;
}
