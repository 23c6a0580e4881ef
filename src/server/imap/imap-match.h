#ifndef CONFLUX_IMAP_MATCH_H
#define CONFLUX_IMAP_MATCH_H

/* LIST/LSUB mailbox patterns (RFC 3501 6.3.8): '*' matches anything,
 * '%' anything but the hierarchy separator '/'. A pattern starting with
 * "INBOX" (any case) matches the INBOX hierarchy case-insensitively in
 * that first component. Time is O(pattern x name), never exponential. */

#include <stdbool.h>

bool imap_list_match(const char *pattern, const char *name);

#endif
