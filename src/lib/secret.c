#include "lib/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <sodium.h>

#include "lib/log.h"
#include "lib/xalloc.h"

#define SECRET_KEY_BYTES crypto_secretbox_KEYBYTES
#define SEAL_VERSION 1
#define SEAL_OVERHEAD (1 + crypto_secretbox_NONCEBYTES + \
		       crypto_secretbox_MACBYTES)
#define PASSWORD_MAX 1024

/* argon2id at ~10-30 ms per login on two cores: OPSLIMIT_INTERACTIVE with
 * 16 MiB (sodium's interactive default of 64 MiB costs too much when many
 * POP3 clients poll at once). Verification reads the parameters from the
 * hash itself, so they can change without invalidating old hashes. */
#define PWHASH_OPSLIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PWHASH_MEMLIMIT (16u * 1024 * 1024)

struct secret_key {
	unsigned char *k;	/* sodium_malloc'd, read-only once loaded */
};

static void
secret_init(void)
{
	/* Idempotent and thread-safe; cheap after the first call. */
	if (sodium_init() < 0)
		fatal("libsodium initialisation failed");
}

/* ---- the master key file ---- */

static int
write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_parent_dir(const char *path)
{
	char *copy = xstrdup(path);
	int fd, ret;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

static int
write_new_key(int fd)
{
	unsigned char *k = sodium_malloc(SECRET_KEY_BYTES);
	int ret;

	if (k == NULL)
		fatal("sodium_malloc failed");
	randombytes_buf(k, SECRET_KEY_BYTES);
	ret = write_all(fd, k, SECRET_KEY_BYTES);
	sodium_free(k);
	return ret < 0 ? -1 : fsync(fd);
}

int
secret_key_create(const char *path, char **error_r)
{
	int fd, err;

	secret_init();
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		*error_r = xasprintf("%s: cannot create key file: %s", path,
				     strerror(errno));
		return -1;
	}
	if (write_new_key(fd) < 0) {
		err = errno;
		close(fd);
		unlink(path);
		*error_r = xasprintf("%s: cannot write key file: %s", path,
				     strerror(err));
		return -1;
	}
	if (close(fd) < 0 || fsync_parent_dir(path) < 0) {
		*error_r = xasprintf("%s: cannot sync key file: %s", path,
				     strerror(errno));
		return -1;
	}
	return 0;
}

static int
check_key_file(int fd, const char *path, char **error_r)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = xasprintf("%s: key file is not a regular file",
				     path);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		*error_r = xasprintf("%s: key file is accessible by group or "
				     "others (mode %04o); fix it with: "
				     "chmod 600 %s", path,
				     (unsigned int)(st.st_mode & 07777), path);
		return -1;
	}
	if (st.st_size != SECRET_KEY_BYTES) {
		*error_r = xasprintf("%s: key file has %lld bytes, expected %d",
				     path, (long long)st.st_size,
				     SECRET_KEY_BYTES);
		return -1;
	}
	return 0;
}

static int
read_all(int fd, unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

struct secret_key *
secret_key_load(const char *path, char **error_r)
{
	struct secret_key *key;
	int fd;

	secret_init();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*error_r = xasprintf("%s: cannot open key file: %s", path,
				     strerror(errno));
		return NULL;
	}
	if (check_key_file(fd, path, error_r) < 0) {
		close(fd);
		return NULL;
	}
	key = xcalloc(1, sizeof(*key));
	if ((key->k = sodium_malloc(SECRET_KEY_BYTES)) == NULL)
		fatal("sodium_malloc failed");
	if (read_all(fd, key->k, SECRET_KEY_BYTES) < 0) {
		*error_r = xasprintf("%s: cannot read key file", path);
		close(fd);
		secret_key_free(&key);
		return NULL;
	}
	close(fd);
	sodium_mprotect_readonly(key->k);
	return key;
}

void
secret_key_free(struct secret_key **keyp)
{
	struct secret_key *key = *keyp;

	if (key == NULL)
		return;
	*keyp = NULL;
	sodium_free(key->k);	/* wipes, also when read-only */
	free(key);
}

/* ---- sealing ---- */

int
secret_seal(const struct secret_key *key, const char *plain, size_t len,
	    struct buf *out)
{
	size_t start = out->len;
	unsigned char *p;

	secret_init();
	if (out->max < out->len || out->max - out->len < SEAL_OVERHEAD ||
	    len > out->max - out->len - SEAL_OVERHEAD)
		return -1;
	/* Reserve the room, then write the blob in place. */
	for (size_t i = 0; i < SEAL_OVERHEAD + len; i++)
		buf_append_c(out, 0);
	p = (unsigned char *)out->data + start;
	p[0] = SEAL_VERSION;
	randombytes_buf(p + 1, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(p + 1 + crypto_secretbox_NONCEBYTES,
			      (const unsigned char *)plain, len, p + 1,
			      key->k);
	return 0;
}

int
secret_open(const struct secret_key *key, const void *blob, size_t len,
	    char **plain_r, size_t *len_r)
{
	const unsigned char *b = blob;
	size_t plen;
	char *plain;

	secret_init();
	*plain_r = NULL;
	if (len < SEAL_OVERHEAD || b[0] != SEAL_VERSION)
		return -1;
	plen = len - SEAL_OVERHEAD;
	if ((plain = sodium_malloc(plen + 1)) == NULL)
		fatal("sodium_malloc failed");
	if (crypto_secretbox_open_easy((unsigned char *)plain,
				       b + 1 + crypto_secretbox_NONCEBYTES,
				       len - 1 - crypto_secretbox_NONCEBYTES,
				       b + 1, key->k) != 0) {
		sodium_free(plain);
		return -1;
	}
	plain[plen] = '\0';
	*plain_r = plain;
	if (len_r != NULL)
		*len_r = plen;
	return 0;
}

void
secret_free(char *plain)
{
	sodium_free(plain);	/* NULL is a no-op; wipes before freeing */
}

/* ---- local passwords ---- */

int
password_hash(const char *password, char out[128])
{
	secret_init();
	if (crypto_pwhash_str_alg(out, password, strlen(password),
				  PWHASH_OPSLIMIT, PWHASH_MEMLIMIT,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -1;
	return 0;
}

int
password_verify(const char *hash, const char *password)
{
	secret_init();
	if (strnlen(hash, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES)
		return -1;
	/* sodium's verify says only "no"; a hash it cannot even decode is
	 * a damaged record, which the caller must hear about. */
	if (crypto_pwhash_str_needs_rehash(hash, PWHASH_OPSLIMIT,
					   PWHASH_MEMLIMIT) < 0)
		return -1;
	return crypto_pwhash_str_verify(hash, password,
					strlen(password)) == 0 ? 1 : 0;
}

/* ---- reading a password ---- */

/* Reads one line into buf (PASSWORD_MAX + 2 bytes). 0, or -1 with
 * *error_r. Reads the rest of an over-long line so it is not taken as the
 * next input. */
static int
read_line(FILE *in, char *buf, const char **error_r)
{
	size_t len = 0;
	int c;

	while ((c = getc(in)) != EOF && c != '\n') {
		if (len <= PASSWORD_MAX)
			buf[len] = (char)c;
		len++;
	}
	if (len > 0 && len <= PASSWORD_MAX + 1 && buf[len - 1] == '\r')
		len--;
	if (len > PASSWORD_MAX) {
		*error_r = "password too long (more than 1024 bytes)";
		return -1;
	}
	buf[len] = '\0';
	if (len == 0) {
		*error_r = c == EOF && ferror(in) ? "cannot read password" :
			"empty password";
		return -1;
	}
	return 0;
}

static int
read_noecho(FILE *in, const char *prompt, char *buf, const char **error_r)
{
	struct termios old, quiet;
	int fd = fileno(in), restore, ret;

	fputs(prompt, stderr);
	fflush(stderr);
	restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	ret = read_line(in, buf, error_r);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return ret;
}

int
secret_read_password(FILE *in, const char *prompt, char **password_r,
		     const char **error_r)
{
	char *buf;
	int ret;

	secret_init();
	*password_r = NULL;
	if ((buf = sodium_malloc(PASSWORD_MAX + 2)) == NULL)
		fatal("sodium_malloc failed");
	if (isatty(fileno(in)))
		ret = read_noecho(in, prompt, buf, error_r);
	else
		ret = read_line(in, buf, error_r);
	if (ret < 0) {
		sodium_free(buf);
		return -1;
	}
	*password_r = buf;
	return 0;
}

/* ---- process hardening ---- */

void
secret_protect_process(void)
{
	struct rlimit rl = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		log_warn("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
	if (setrlimit(RLIMIT_CORE, &rl) < 0)
		log_warn("setrlimit(RLIMIT_CORE): %s", strerror(errno));
}
