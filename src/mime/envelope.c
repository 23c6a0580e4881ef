/* ENVELOPE (RFC 3501 7.4.2) as Dovecot 2.3 writes it: the last field of
 * each name wins, Sender and Reply-To fall back to From, Subject and
 * address names are written "for humans" (whitespace collapsed), the rest
 * raw. Repeated address fields add up. RFC 2047 words stay encoded. */
#include "mime/imap-mime.h"
#include "mime/address.h"
#include "mime/imap-string.h"
#include "mime/mime-private.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

/* Bounds the work per header field (Dovecot has no cap here). */
#define MAX_ADDRESSES 10000

enum env_field {
	ENV_DATE, ENV_SUBJECT, ENV_FROM, ENV_SENDER, ENV_REPLY_TO, ENV_TO,
	ENV_CC, ENV_BCC, ENV_IN_REPLY_TO, ENV_MESSAGE_ID, ENV_COUNT
};

static const char *const env_names[ENV_COUNT] = {
	"Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
	"In-Reply-To", "Message-ID",
};

static bool
is_address_field(enum env_field f)
{
	return f >= ENV_FROM && f <= ENV_BCC;
}

struct envelope {
	char *str[ENV_COUNT];		/* the last field of the name */
	size_t len[ENV_COUNT];
	struct mime_address *addrs[ENV_COUNT];	/* every field's, joined */
	struct mime_address **tail[ENV_COUNT];
};

static void
add_field(struct envelope *env, enum env_field i, const struct mime_field *f,
	  size_t max)
{
	struct buf v;

	buf_init(&v, max + 1);
	mime_field_unfold(f, &v);
	if (is_address_field(i)) {
		*env->tail[i] = mime_address_parse(buf_cstr(&v), v.len,
						   MAX_ADDRESSES);
		while (*env->tail[i] != NULL)
			env->tail[i] = &(*env->tail[i])->next;
		buf_free(&v);
		return;
	}
	free(env->str[i]);
	env->len[i] = v.len;
	env->str[i] = buf_steal(&v);
}

static void
collect(const char *hdr, size_t len, struct envelope *env)
{
	struct mime_field_iter it;
	struct mime_field f;

	for (int i = 0; i < ENV_COUNT; i++)
		env->tail[i] = &env->addrs[i];
	mime_field_iter_init(&it, hdr, len);
	while (mime_field_next(&it, &f) > 0)
		for (int i = 0; i < ENV_COUNT; i++)
			if (mime_field_is(&f, env_names[i]))
				add_field(env, (enum env_field)i, &f, len);
}

static int
write_field(enum env_field f, const struct envelope *env, struct buf *out)
{
	if (is_address_field(f)) {
		/* Sender and Reply-To fall back to From when empty */
		if (env->addrs[f] == NULL &&
		    (f == ENV_SENDER || f == ENV_REPLY_TO))
			f = ENV_FROM;
		return mime_address_write_imap(env->addrs[f], out);
	}
	if (env->str[f] == NULL)
		return buf_append_str(out, "NIL");
	if (f == ENV_SUBJECT)
		return mime_imap_append_for_humans(out, env->str[f],
						   env->len[f]);
	return mime_imap_append_string(out, env->str[f], env->len[f]);
}

int
mime_write_envelope(const char *hdr, size_t hdr_len, struct buf *out)
{
	struct envelope env;
	int ret = buf_append_c(out, '(');

	memset(&env, 0, sizeof(env));
	collect(hdr, hdr_len, &env);
	for (int i = 0; i < ENV_COUNT && ret == 0; i++) {
		if (i > 0)
			ret = buf_append_c(out, ' ');
		if (ret == 0)
			ret = write_field((enum env_field)i, &env, out);
	}
	for (int i = 0; i < ENV_COUNT; i++) {
		free(env.str[i]);
		mime_address_free(&env.addrs[i]);
	}
	return ret < 0 ? -1 : buf_append_c(out, ')');
}
