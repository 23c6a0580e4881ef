/* BODY and BODYSTRUCTURE (RFC 3501 7.4.2) in Dovecot 2.3's form: text
 * parts without a charset get "charset" "us-ascii" appended, a multipart
 * without parts shows one empty text/plain part, and the extension data
 * (md5, disposition, language, location) comes only with extended. */
#include "mime/imap-mime.h"

#include <string.h>

#include "lib/buf.h"
#include "lib/strx.h"

static const char empty_text_part[] =
	"\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0";

static int write_part(const struct mime_part *part, const char *msg,
		      bool extended, struct buf *out);

static int
write_params(const struct mime_param *params, uint32_t n, bool charset,
	     struct buf *out)
{
	bool seen = false;
	int ret;

	if (n == 0 && !charset)
		return buf_append_str(out, "NIL");
	ret = buf_append_c(out, '(');
	for (uint32_t i = 0; i < n; i++) {
		seen = seen || str_casecmp(params[i].name, "charset") == 0;
		if (i > 0)
			ret |= buf_append_c(out, ' ');
		ret |= mime_imap_append_nstring(out, params[i].name);
		ret |= buf_append_c(out, ' ');
		ret |= mime_imap_append_nstring(out, params[i].value);
	}
	if (charset && !seen)
		ret |= buf_append_str(out, n > 0 ? " \"charset\" \"us-ascii\"" :
				      "\"charset\" \"us-ascii\"");
	ret |= buf_append_c(out, ')');
	return ret < 0 ? -1 : 0;
}

/* disposition, language, location: shared by every kind of part */
static int
write_extension(const struct mime_part *part, struct buf *out)
{
	int ret = buf_append_c(out, ' ');

	if (part->disposition == NULL) {
		ret |= buf_append_str(out, "NIL");
	} else {
		ret |= buf_append_c(out, '(');
		ret |= mime_imap_append_nstring(out, part->disposition);
		ret |= buf_append_c(out, ' ');
		ret |= write_params(part->disp_params, part->ndisp_params,
				    false, out);
		ret |= buf_append_c(out, ')');
	}
	ret |= buf_append_c(out, ' ');
	if (part->nlanguages == 0) {
		ret |= buf_append_str(out, "NIL");
	} else {
		ret |= buf_append_c(out, '(');
		for (uint32_t i = 0; i < part->nlanguages; i++) {
			if (i > 0)
				ret |= buf_append_c(out, ' ');
			ret |= mime_imap_append_nstring(out,
							part->languages[i]);
		}
		ret |= buf_append_c(out, ')');
	}
	ret |= buf_append_c(out, ' ');
	ret |= mime_imap_append_nstring(out, part->location);
	return ret < 0 ? -1 : 0;
}

static int
write_multipart(const struct mime_part *part, const char *msg,
		bool extended, struct buf *out)
{
	int ret = 0;

	if (part->children == NULL) {
		ret |= buf_append_c(out, '(');
		ret |= buf_append_str(out, empty_text_part);
		if (extended)
			ret |= buf_append_str(out, " NIL NIL NIL NIL");
		ret |= buf_append_c(out, ')');
	}
	for (const struct mime_part *c = part->children; c != NULL;
	     c = c->next) {
		ret |= buf_append_c(out, '(');
		ret |= write_part(c, msg, extended, out);
		ret |= buf_append_c(out, ')');
	}
	ret |= buf_append_c(out, ' ');
	ret |= mime_imap_append_nstring(out, part->subtype);
	if (extended) {
		ret |= buf_append_c(out, ' ');
		ret |= write_params(part->params, part->nparams, false, out);
		ret |= write_extension(part, out);
	}
	return ret < 0 ? -1 : 0;
}

/* The envelope, body structure and line count of message/rfc822. */
static int
write_message_tail(const struct mime_part *part, const char *msg,
		   bool extended, struct buf *out)
{
	const struct mime_part *child = part->children;
	int ret = buf_append_c(out, ' ');

	if (child == NULL) {	/* not looked into: past the limits */
		ret |= mime_write_envelope("", 0, out);
		ret |= buf_append_str(out, " (");
		ret |= buf_append_str(out, empty_text_part);
		ret |= buf_append_c(out, ')');
	} else {
		ret |= mime_write_envelope(msg + child->hdr_off,
					   child->hdr_size, out);
		ret |= buf_append_str(out, " (");
		ret |= write_part(child, msg, extended, out);
		ret |= buf_append_c(out, ')');
	}
	ret |= buf_printf(out, " %u", part->body_lines);
	return ret < 0 ? -1 : 0;
}

static int
write_leaf(const struct mime_part *part, const char *msg, bool extended,
	   struct buf *out)
{
	bool text = (part->flags & MIME_PART_TEXT) != 0;
	int ret = 0;

	ret |= mime_imap_append_nstring(out, part->type);
	ret |= buf_append_c(out, ' ');
	ret |= mime_imap_append_nstring(out, part->subtype);
	ret |= buf_append_c(out, ' ');
	ret |= write_params(part->params, part->nparams, text, out);
	ret |= buf_append_c(out, ' ');
	ret |= mime_imap_append_nstring(out, part->id);
	ret |= buf_append_c(out, ' ');
	ret |= mime_imap_append_nstring(out, part->description);
	ret |= buf_append_c(out, ' ');
	ret |= mime_imap_append_nstring(out, part->encoding != NULL ?
					part->encoding : "7bit");
	ret |= buf_printf(out, " %zu", part->body_size);
	if (text)
		ret |= buf_printf(out, " %u", part->body_lines);
	else if (part->flags & MIME_PART_MESSAGE)
		ret |= write_message_tail(part, msg, extended, out);
	if (extended) {
		ret |= buf_append_c(out, ' ');
		ret |= mime_imap_append_nstring(out, part->md5);
		ret |= write_extension(part, out);
	}
	return ret < 0 ? -1 : 0;
}

static int
write_part(const struct mime_part *part, const char *msg, bool extended,
	   struct buf *out)
{
	if (part->flags & MIME_PART_MULTIPART)
		return write_multipart(part, msg, extended, out);
	return write_leaf(part, msg, extended, out);
}

int
mime_write_bodystructure(const struct mime_part *root, const char *msg,
			 bool extended, struct buf *out)
{
	int ret = buf_append_c(out, '(');

	ret |= write_part(root, msg, extended, out);
	ret |= buf_append_c(out, ')');
	return ret < 0 ? -1 : 0;
}
