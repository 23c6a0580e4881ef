/* Maildir++ naming: folder directory names, message file names, flags. */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/utf7.h"
#include "lib/xalloc.h"
#include "store/store-private.h"

/* ---- modified UTF-7 (RFC 3501 5.1.3), from lib/utf7 ------------------- */

/* One folder-name component (not NUL-terminated) to mUTF-7. */
int
maildir_mutf7_encode(const char *utf8, size_t len, struct buf *out)
{
	char *s = xstrndup(utf8, len);
	int rc = strlen(s) == len ? utf7_from_utf8(s, out) : -1;

	free(s);
	return rc < 0 ? -1 : 0;
}

int
maildir_mutf7_decode(const char *mutf7, size_t len, struct buf *out)
{
	char *s = xstrndup(mutf7, len);
	int rc = strlen(s) == len ? utf7_to_utf8(s, out) : -1;

	free(s);
	return rc < 0 ? -1 : 0;
}

/* ---- folder names ----------------------------------------------------- */

int
store_folder_name_valid(const char *name)
{
	const char *p = name, *slash;
	struct buf tmp;
	int ok;

	if (name == NULL || *name == '\0')
		return STORE_REJECT;
	do {
		slash = strchr(p, '/');
		size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

		if (n == 0 || n > 255)
			return STORE_REJECT;
		buf_init(&tmp, 4 * n + 16);
		ok = maildir_mutf7_encode(p, n, &tmp);
		buf_free(&tmp);
		if (ok < 0)
			return STORE_REJECT;
		p = slash + 1;
	} while (slash != NULL);
	return STORE_OK;
}

static int
is_inbox(const char *p, size_t n)
{
	return n == 5 && strncasecmp(p, "INBOX", 5) == 0;
}

static void
escape_component(const char *enc, struct buf *out)
{
	for (; *enc != '\0'; enc++) {
		if (*enc == '.')
			buf_append_str(out, "%2E");
		else if (*enc == '%')
			buf_append_str(out, "%25");
		else
			buf_append_c(out, *enc);
	}
}

int
maildir_name_encode(const char *name, struct buf *out)
{
	const char *p = name, *slash;
	struct buf comp;
	int rc = 0;

	if (store_folder_name_valid(name) != STORE_OK)
		return -1;
	if (is_inbox(name, strlen(name)))
		return 0;
	buf_init(&comp, SIZE_MAX / 2);
	do {
		slash = strchr(p, '/');
		size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);

		buf_reset(&comp);
		if (p == name && is_inbox(p, n))
			buf_append_str(&comp, "INBOX");
		else
			rc = maildir_mutf7_encode(p, n, &comp);
		buf_append_c(out, '.');
		escape_component(buf_cstr(&comp), out);
		p = slash + 1;
	} while (rc == 0 && slash != NULL);
	buf_free(&comp);
	/* Maildir++ keeps the whole hierarchy in one directory entry. */
	return rc == 0 && out->len <= 255 ? 0 : -1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
unescape_component(const char *p, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (p[i] != '%') {
			buf_append_c(out, p[i]);
			continue;
		}
		if (i + 2 >= n)
			return -1;
		hi = hexval(p[i + 1]);
		lo = hexval(p[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		buf_append_c(out, (char)(hi * 16 + lo));
		i += 2;
	}
	return 0;
}

int
maildir_name_decode(const char *dirname, struct buf *out)
{
	const char *p = dirname + 1, *dot;
	struct buf comp;
	int rc = 0;

	if (dirname[0] != '.' || dirname[1] == '\0')
		return -1;
	buf_init(&comp, SIZE_MAX / 2);
	do {
		dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

		buf_reset(&comp);
		if (n == 0 || unescape_component(p, n, &comp) < 0 ||
		    maildir_mutf7_decode(buf_cstr(&comp), comp.len, out) < 0)
			rc = -1;
		if (dot != NULL)
			buf_append_c(out, '/');
		p = dot + 1;
	} while (rc == 0 && dot != NULL);
	buf_free(&comp);
	if (rc == 0 && store_folder_name_valid(buf_cstr(out)) != STORE_OK)
		rc = -1;
	return rc;
}

/* ---- message file names ----------------------------------------------- */

/* Maildir flag letters, in the ASCII order the spec requires. */
static const struct {
	char letter;
	unsigned int flag;
} flag_letters[] = {
	{ 'D', STORE_F_DRAFT },
	{ 'F', STORE_F_FLAGGED },
	{ 'R', STORE_F_ANSWERED },
	{ 'S', STORE_F_SEEN },
	{ 'T', STORE_F_DELETED },
};

#define N_FLAG_LETTERS (sizeof(flag_letters) / sizeof(*flag_letters))

void
maildir_flags_letters(unsigned int flags, char out[8])
{
	size_t n = 0;

	for (size_t i = 0; i < N_FLAG_LETTERS; i++) {
		if (flags & flag_letters[i].flag)
			out[n++] = flag_letters[i].letter;
	}
	out[n] = '\0';
}

unsigned int
maildir_letters_flags(const char *letters)
{
	unsigned int flags = 0;

	for (; *letters != '\0' && *letters != ','; letters++) {
		for (size_t i = 0; i < N_FLAG_LETTERS; i++) {
			if (*letters == flag_letters[i].letter)
				flags |= flag_letters[i].flag;
		}
	}
	return flags;
}

size_t
maildir_base_len(const char *filename)
{
	const char *colon = strchr(filename, ':');

	return colon != NULL ? (size_t)(colon - filename) : strlen(filename);
}

unsigned int
maildir_name_flags(const char *filename)
{
	const char *info = strstr(filename, ":2,");

	return info != NULL ? maildir_letters_flags(info + 3) : 0;
}

long
maildir_name_pid(const char *filename, const char *host)
{
	const char *dot = strchr(filename, '.'), *hp, *p;
	size_t hlen;
	long pid = 0;

	if (dot == NULL || (hp = strchr(dot + 1, '.')) == NULL)
		return 0;
	hp++;
	hlen = strcspn(hp, ",:");
	if (hlen != strlen(host) || strncmp(hp, host, hlen) != 0)
		return 0;
	p = memchr(dot + 1, 'P', (size_t)(hp - dot - 1));
	if (p == NULL)
		return 0;
	for (p++; *p >= '0' && *p <= '9' && pid < 0x7fffffffL; p++)
		pid = pid * 10 + (*p - '0');
	return pid;
}

void
maildir_host_escape(const char *host, char *out, size_t outsize)
{
	size_t n = 0;

	for (; *host != '\0' && n + 5 < outsize; host++) {
		if (*host == '/' || *host == ':') {
			memcpy(out + n, *host == '/' ? "\\057" : "\\072", 4);
			n += 4;
		} else {
			out[n++] = *host;
		}
	}
	out[n] = '\0';
}

/* ---- directories ------------------------------------------------------ */

static int
mkdir_ok(const char *path)
{
	return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

int
maildir_mkdirs(const char *dir)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	char path[STORE_PATH_MAX];

	if (mkdir_ok(dir) < 0)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     subs[i]) >= sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (mkdir_ok(path) < 0)
			return -1;
	}
	return 0;
}

int
maildir_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc, err;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}
