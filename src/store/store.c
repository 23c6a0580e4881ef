/* The store handle, error reporting and user-level operations. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "store/store-private.h"

struct store *
store_open(struct db *db, const char *mail_root,
	   const struct store_limits *limits, char **error_r)
{
	struct store *st = xcalloc(1, sizeof(*st));
	char host[256];
	size_t n = strlen(mail_root);

	st->db = db;
	while (n > 1 && mail_root[n - 1] == '/')
		n--;
	st->root = xstrndup(mail_root, n);
	if (limits != NULL)
		st->limits = *limits;
	if (st->limits.max_header_parse == 0)
		st->limits.max_header_parse = 64 * 1024;
	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	maildir_host_escape(host, st->host, sizeof(st->host));
	if (mkdir(st->root, 0700) < 0 && errno != EEXIST) {
		*error_r = xasprintf("cannot create mail root %s: %s",
				     st->root, strerror(errno));
		store_close(&st);
		return NULL;
	}
	if (index_migrate(st, error_r) < 0)
		store_close(&st);
	return st;
}

void
store_close(struct store **stp)
{
	struct store *st = *stp;

	if (st == NULL)
		return;
	*stp = NULL;
	free(st->root);
	free(st->error);
	free(st);
}

const char *
store_error(struct store *st)
{
	return st->error != NULL ? st->error : "";
}

int
store_fail(struct store *st, int rc, const char *fmt, ...)
{
	va_list ap;
	struct buf b;

	buf_init(&b, 4096);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(st->error);
	st->error = buf_steal(&b);
	return rc;
}

int
store_fail_errno(struct store *st, int err, const char *what,
		 const char *path)
{
	const char *why;

	switch (err) {
	case ENOSPC:
	case EDQUOT:
		why = "disk full";
		break;
	case EIO:
		why = "I/O error";
		break;
	default:
		why = strerror(err);
		break;
	}
	/* Every errno is worth a retry: a missing directory or a permission
	 * problem is an operator's fix, not a property of the message. */
	return store_fail(st, STORE_TEMPFAIL, "%s while %s %s", why, what,
			  path);
}

int
store_user_valid(const char *user)
{
	if (user == NULL || user[0] == '\0' || user[0] == '.' ||
	    strchr(user, '/') != NULL || strlen(user) > 255)
		return 0;
	return 1;
}
