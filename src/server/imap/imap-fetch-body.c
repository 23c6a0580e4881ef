/* FETCH items that need the message itself: ENVELOPE, BODY,
 * BODYSTRUCTURE, BODY[section]<partial>, RFC822, RFC822.HEADER,
 * RFC822.TEXT. */

#include <string.h>

#include "lib/strx.h"
#include "mime/imap-mime.h"
#include "proto/imap/imap-fetch-items.h"
#include "server/imap/imap-msg.h"
#include "server/imap/imap-session.h"

/* Big literals go to the conn directly after what `out` holds so far,
 * instead of being copied into `out` first. */
#define DIRECT_MIN (64 * 1024)

static void
append_literal(struct imap_session *s, struct buf *out, const char *data,
	       size_t len)
{
	if (len == 0) {
		buf_append_str(out, "\"\"");
		return;
	}
	buf_printf(out, "{%zu}\r\n", len);
	if (len < DIRECT_MIN) {
		buf_append(out, data, len);
		return;
	}
	imap_write(s, out->data, out->len);
	buf_reset(out);
	imap_write(s, data, len);
}

static void
append_partial(struct imap_session *s, struct buf *out,
	       const struct imap_fetch_item *it, const char *data, size_t len)
{
	if (it->partial) {
		uint64_t off = it->origin < len ? it->origin : len;
		uint64_t n = len - off;
		if (n > it->length)
			n = it->length;
		data += off;
		len = (size_t)n;
	}
	append_literal(s, out, data, len);
}

static enum mime_section_text
section_text(enum imap_section_spec spec)
{
	switch (spec) {
	case IMAP_SECTION_HEADER:
		return MIME_SECTION_HEADER;
	case IMAP_SECTION_HEADER_FIELDS:
		return MIME_SECTION_HEADER_FIELDS;
	case IMAP_SECTION_HEADER_FIELDS_NOT:
		return MIME_SECTION_HEADER_FIELDS_NOT;
	case IMAP_SECTION_TEXT:
		return MIME_SECTION_TEXT;
	case IMAP_SECTION_MIME:
		return MIME_SECTION_MIME;
	case IMAP_SECTION_ALL:
	default:
		return MIME_SECTION_WHOLE;
	}
}

static int
section(struct imap_session *s, const struct imap_fetch_item *it,
	struct imap_msgdata *md, struct buf *out)
{
	struct mime_section sec;
	struct buf scratch;
	const char *data;
	size_t len, i;
	int rc;

	memset(&sec, 0, sizeof(sec));
	if (it->nparts > MIME_SECTION_MAX_PATH)
		return -1;
	for (i = 0; i < it->nparts; i++)
		sec.path[i] = it->parts[i];
	sec.path_len = (unsigned int)it->nparts;
	sec.text = section_text(it->spec);
	sec.fields = (char **)it->fields;
	sec.nfields = (unsigned int)it->nfields;
	buf_init(&scratch, md->data.len + 1024);
	rc = mime_section_get(imap_msg_tree(md), buf_cstr(&md->data), &sec,
			      &scratch, &data, &len);
	if (rc == 0)
		append_partial(s, out, it, data, len);
	buf_free(&scratch);
	return rc;
}

/* ---- BINARY (RFC 3516) ---- */

/* The decoded bytes of a part into dec; -1 for an unknown encoding. */
static int
binary_decode(const struct mime_part *p, const char *msg, struct buf *dec)
{
	const char *body = msg + p->body_off;
	const char *enc = p->encoding;

	if (enc == NULL || str_casecmp(enc, "7bit") == 0 ||
	    str_casecmp(enc, "8bit") == 0 || str_casecmp(enc, "binary") == 0)
		buf_append(dec, body, p->body_size);
	else if (str_casecmp(enc, "base64") == 0)
		imap_decode_b64(body, p->body_size, dec);
	else if (str_casecmp(enc, "quoted-printable") == 0)
		imap_decode_qp(body, p->body_size, dec);
	else
		return -1;
	return 0;
}

static int
binary(struct imap_session *s, const struct imap_fetch_item *it,
       struct imap_msgdata *md, struct buf *out)
{
	const char *msg = buf_cstr(&md->data);
	const struct mime_part *p = NULL;
	struct buf dec;
	const char *data;
	size_t len;

	if (it->nparts > 0)
		p = mime_section_part(imap_msg_tree(md), it->parts,
				      (unsigned int)it->nparts);
	buf_init(&dec, md->data.len + 16);
	if (it->nparts == 0)
		buf_append(&dec, msg, md->data.len);
	else if (p != NULL && binary_decode(p, msg, &dec) < 0) {
		buf_append_str(out, it->type == IMAP_FETCH_BINARY_SIZE ? "0"
								 : "NIL");
		buf_free(&dec);
		return IMAP_FETCH_UNKNOWN_CTE;
	}
	if (it->type == IMAP_FETCH_BINARY_SIZE) {
		buf_printf(out, "%zu", dec.len);
	} else {
		data = buf_cstr(&dec);
		len = dec.len;
		if (it->partial) {
			size_t off = it->origin < len ? (size_t)it->origin
						      : len;
			data += off;
			len -= off;
			if (len > it->length)
				len = (size_t)it->length;
		}
		if (memchr(data, '\0', len) != NULL)
			buf_append_c(out, '~');	/* literal8 */
		append_literal(s, out, data, len);
	}
	buf_free(&dec);
	return 0;
}

/* Appends "NAME value" for one item that needs message data; a big
 * literal flushes `out` and itself to the conn (out is then reset). */
int
imap_fetch_body_item(struct imap_session *s, const struct imap_fetch_item *it,
		     struct imap_msgdata *md, struct buf *out)
{
	const char *msg = buf_cstr(&md->data);
	size_t hlen = imap_msg_header_len(md);

	buf_append_str(out, it->name);
	buf_append_c(out, ' ');
	switch (it->type) {
	case IMAP_FETCH_ENVELOPE:
		return mime_write_envelope(msg, hlen, out);
	case IMAP_FETCH_BODY:
		return mime_write_bodystructure(imap_msg_tree(md), msg, false,
						out);
	case IMAP_FETCH_BODYSTRUCTURE:
		return mime_write_bodystructure(imap_msg_tree(md), msg, true,
						out);
	case IMAP_FETCH_RFC822:
		append_literal(s, out, msg, md->data.len);
		return 0;
	case IMAP_FETCH_RFC822_HEADER:
		append_literal(s, out, msg, hlen);
		return 0;
	case IMAP_FETCH_RFC822_TEXT:
		append_literal(s, out, msg + hlen, md->data.len - hlen);
		return 0;
	case IMAP_FETCH_BINARY:
	case IMAP_FETCH_BINARY_SIZE:
		return binary(s, it, md, out);
	case IMAP_FETCH_BODY_SECTION:
		if (it->nparts == 0 && it->spec == IMAP_SECTION_ALL) {
			append_partial(s, out, it, msg, md->data.len);
			return 0;
		}
		return section(s, it, md, out);
	default:
		return -1;
	}
}
