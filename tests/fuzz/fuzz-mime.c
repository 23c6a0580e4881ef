/* libFuzzer target for src/mime: the input is a message (bare LFs are
 * normalised first, as the server does); it is parsed, and BODY,
 * BODYSTRUCTURE, ENVELOPE and a few sections are written. Every part's
 * offsets must stay inside the message. Without FUZZING, corpus-runner.c
 * supplies main() and the seed corpus runs as a unit test. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mime/imap-mime.h"
#include "mime/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const sections[] = {
	"", "1", "2", "1.1", "2.1.1", "HEADER", "TEXT", "1.MIME", "2.HEADER",
	"1.TEXT", "HEADER.FIELDS (From To)", "1.HEADER.FIELDS.NOT (X-A)",
};

static void
check_offsets(const struct mime_part *p, size_t len)
{
	if (p->hdr_off + p->hdr_size > len || p->body_off + p->body_size > len)
		abort();
	for (const struct mime_part *c = p->children; c != NULL; c = c->next)
		check_offsets(c, len);
}

static void
fetch_sections(const struct mime_part *root, const char *msg)
{
	struct buf scratch;

	buf_init(&scratch, 1 << 24);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		struct mime_section sec;
		const char *err, *d;
		size_t n;

		if (mime_section_parse(sections[i], strlen(sections[i]), &sec,
				       &err) == 0) {
			mime_section_get(root, msg, &sec, &scratch, &d, &n);
			if (n > 0 && d[n - 1] == 0x7f)	/* touch the bytes */
				scratch.len += 0;
		}
		mime_section_free(&sec);
	}
	buf_free(&scratch);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf msg, out;
	struct mime_part *root;
	struct mime_section sec;
	const char *err;

	buf_init(&msg, 1 << 26);
	buf_init(&out, 1 << 26);
	mime_crlf_normalize((const char *)data, size, &msg);
	root = mime_parse(buf_cstr(&msg), msg.len);
	check_offsets(root, msg.len);
	mime_write_bodystructure(root, buf_cstr(&msg), true, &out);
	mime_write_bodystructure(root, buf_cstr(&msg), false, &out);
	mime_write_envelope(buf_cstr(&msg), root->hdr_size, &out);
	fetch_sections(root, buf_cstr(&msg));
	/* the raw input as a section spec too */
	(void)mime_section_parse((const char *)data, size, &sec, &err);
	mime_section_free(&sec);
	mime_free(&root);
	buf_free(&msg);
	buf_free(&out);
	return 0;
}
