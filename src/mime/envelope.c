/* ENVELOPE (RFC 3501 7.4.2) as Dovecot 2.3 writes it: the last field of
 * each name wins, Sender and Reply-To fall back to From, Subject and
 * address names are written "for humans" (whitespace collapsed), the rest
 * raw. RFC 2047 words stay encoded. */
#include "mime/imap-mime.h"
#include "mime/address.h"
#include "mime/imap-string.h"
#include "mime/mime-private.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

/* Dovecot caps nothing here; this bounds the work per header field. */
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

/* The last field of each envelope name, unfolded; NULL when absent. */
static void
collect(const char *hdr, size_t len, char *values[ENV_COUNT],
	size_t lens[ENV_COUNT])
{
	struct mime_field_iter it;
	struct mime_field f;
	struct buf v;

	mime_field_iter_init(&it, hdr, len);
	while (mime_field_next(&it, &f) > 0) {
		for (int i = 0; i < ENV_COUNT; i++) {
			if (!mime_field_is(&f, env_names[i]))
				continue;
			buf_init(&v, len + 1);
			mime_field_unfold(&f, &v);
			free(values[i]);
			lens[i] = v.len;
			values[i] = buf_steal(&v);
		}
	}
}

static struct mime_address *
parse_addresses(const char *value, size_t len)
{
	return value == NULL ? NULL :
		mime_address_parse(value, len, MAX_ADDRESSES);
}

/* Sender and Reply-To fall back to From when they hold no address. */
static int
write_addresses(enum env_field f, char *values[ENV_COUNT],
		size_t lens[ENV_COUNT], struct buf *out)
{
	struct mime_address *list = parse_addresses(values[f], lens[f]);
	int ret;

	if (list == NULL && (f == ENV_SENDER || f == ENV_REPLY_TO))
		list = parse_addresses(values[ENV_FROM], lens[ENV_FROM]);
	ret = mime_address_write_imap(list, out);
	mime_address_free(&list);
	return ret;
}

static int
write_field(enum env_field f, char *values[ENV_COUNT],
	    size_t lens[ENV_COUNT], struct buf *out)
{
	if (is_address_field(f))
		return write_addresses(f, values, lens, out);
	if (values[f] == NULL)
		return buf_append_str(out, "NIL");
	if (f == ENV_SUBJECT)
		return mime_imap_append_for_humans(out, values[f], lens[f]);
	return mime_imap_append_string(out, values[f], lens[f]);
}

int
mime_write_envelope(const char *hdr, size_t hdr_len, struct buf *out)
{
	char *values[ENV_COUNT] = { NULL };
	size_t lens[ENV_COUNT] = { 0 };
	int ret = buf_append_c(out, '(');

	collect(hdr, hdr_len, values, lens);
	for (int i = 0; i < ENV_COUNT && ret == 0; i++) {
		if (i > 0)
			ret = buf_append_c(out, ' ');
		if (ret == 0)
			ret = write_field((enum env_field)i, values, lens, out);
	}
	for (int i = 0; i < ENV_COUNT; i++)
		free(values[i]);
	return ret < 0 ? -1 : buf_append_c(out, ')');
}
