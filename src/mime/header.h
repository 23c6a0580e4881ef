#ifndef CONFLUX_MIME_HEADER_H
#define CONFLUX_MIME_HEADER_H

/* An incremental reader of an RFC 5322 header section.
 *
 * Feed the message in chunks of any size (one byte at a time works); the
 * reader finds the blank line that ends the header and tells how many bytes
 * of each chunk still belonged to the header, so the rest is body. At most
 * `max_bytes` header bytes are kept for field lookup: the header beyond the
 * cap is still recognised (to find the body) but its fields are ignored;
 * the line cut by the cap is dropped whole (so a folded field that straddles
 * the cap keeps only its lines before it). Memory use is bounded by the cap,
 * never by the message.
 *
 * Both CRLF and bare LF line ends are accepted. A message without a blank
 * line is all header (header_reader_finish() ends it at end of input). */

#include <stddef.h>

struct header_reader;

struct header_reader *header_reader_new(size_t max_bytes);
void header_reader_free(struct header_reader **hr);

/* Consumes header bytes from data[0..len) and returns how many belonged to
 * the header section, including the blank line that ends it. A return
 * value below len means the header ended: data[ret..len) is body, and every
 * later call returns 0. */
size_t header_reader_feed(struct header_reader *hr, const void *data,
			  size_t len);
/* 1 once the blank line (or header_reader_finish) ended the header. */
int header_reader_done(const struct header_reader *hr);
/* End of input: whatever was fed is the whole header. */
void header_reader_finish(struct header_reader *hr);

/* The first field called `name` (case-insensitive), unfolded and with
 * leading/trailing whitespace removed; malloc'd, NULL when absent. */
char *header_reader_get(const struct header_reader *hr, const char *name);

/* The same lookup over a complete header block hdr[0..len) (no body). */
char *header_field_get(const char *hdr, size_t len, const char *name);

/* The msg-id of a Message-ID (or In-Reply-To...) value, without the angle
 * brackets, comments and whitespace; malloc'd, NULL when the value is NULL,
 * empty or holds an empty id ("<>"). */
char *header_message_id(const char *value);

#endif
