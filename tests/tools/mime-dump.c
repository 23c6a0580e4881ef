/* mime-dump FILE [SECTION...]: what conflux's mime/ shows of a message,
 * for comparison with a real IMAP server (tests/integration/
 * test_mime_dovecot.py). The file is CRLF-normalised first, as the
 * server does. Each item is printed as
 *     NAME SP LENGTH LF BYTES LF
 * for NAME = BODYSTRUCTURE, BODY, ENVELOPE and BODY[SECTION]; a section
 * the parser rejects prints "BODY[SECTION] BAD" and a line feed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "mime/imap-mime.h"
#include "mime/tree.h"

#define MSG_MAX (256u * 1024 * 1024)

static int
read_file(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(out, chunk, n) < 0)
			break;
	fclose(f);
	return 0;
}

static void
print_item(const char *name, const char *data, size_t len)
{
	printf("%s %zu\n", name, len);
	fwrite(data, 1, len, stdout);
	putchar('\n');
}

static void
print_section(const struct mime_part *root, const char *msg,
	      const char *spec)
{
	struct mime_section sec;
	struct buf scratch, label;
	const char *error, *data;
	size_t len;

	buf_init(&label, 4096);
	buf_printf(&label, "BODY[%s]", spec);
	if (mime_section_parse(spec, strlen(spec), &sec, &error) < 0) {
		printf("%s BAD\n", buf_cstr(&label));
	} else {
		buf_init(&scratch, MSG_MAX);
		mime_section_get(root, msg, &sec, &scratch, &data, &len);
		print_item(buf_cstr(&label), data, len);
		buf_free(&scratch);
	}
	mime_section_free(&sec);
	buf_free(&label);
}

int
main(int argc, char **argv)
{
	struct buf raw, msg, out;
	struct mime_part *root;

	if (argc < 2) {
		fprintf(stderr, "usage: mime-dump FILE [SECTION...]\n");
		return 2;
	}
	buf_init(&raw, MSG_MAX);
	buf_init(&msg, MSG_MAX * 2);
	buf_init(&out, MSG_MAX);
	if (read_file(argv[1], &raw) < 0) {
		perror(argv[1]);
		return 1;
	}
	mime_crlf_normalize(buf_cstr(&raw), raw.len, &msg);
	root = mime_parse(buf_cstr(&msg), msg.len);
	mime_write_bodystructure(root, buf_cstr(&msg), true, &out);
	print_item("BODYSTRUCTURE", out.data, out.len);
	buf_reset(&out);
	mime_write_bodystructure(root, buf_cstr(&msg), false, &out);
	print_item("BODY", out.data, out.len);
	buf_reset(&out);
	mime_write_envelope(buf_cstr(&msg), root->hdr_size, &out);
	print_item("ENVELOPE", out.data, out.len);
	for (int i = 2; i < argc; i++)
		print_section(root, buf_cstr(&msg), argv[i]);
	mime_free(&root);
	buf_free(&raw);
	buf_free(&msg);
	buf_free(&out);
	return 0;
}
