#ifndef CONFLUX_IMAP_RESP_PRIVATE_H
#define CONFLUX_IMAP_RESP_PRIVATE_H

/* Shared between imap-resp.c (segments, tokens, literals) and
 * imap-resp-data.c (what a complete response means). */

#include "proto/imap/imap-resp.h"

/* The status word ("OK"...) -> IMAP_ST_*, IMAP_ST_NONE if not one. */
enum imap_status
imap_resp_status_word(const char *word);
/* Parses resp-text "[code args] text" in place (s is owned by the
 * parser and outlives r's use). 0, or -1 with *error_r. */
int
imap_resp_parse_text(struct imap_resp *r, char *s, const char **error_r);
/* Sets r->type from r->name. */
void
imap_resp_set_type(struct imap_resp *r);
/* Fills the typed views (fetch, list, vanished) from r->args.
 * 0, or -1 with *error_r. */
int
imap_resp_interpret(struct imap_resp *r, const char **error_r);

#endif
