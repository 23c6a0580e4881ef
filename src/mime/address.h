#ifndef CONFLUX_MIME_ADDRESS_H
#define CONFLUX_MIME_ADDRESS_H

/* Internal to src/mime: RFC 5322 address lists as ENVELOPE shows them,
 * with Dovecot's repairs (MISSING_MAILBOX, MISSING_DOMAIN, SYNTAX_ERROR,
 * INVALID_ROUTE) and groups as a start entry (mailbox = group name,
 * domain NULL) and an end entry (all NULL). */

#include <stddef.h>

struct buf;

struct mime_address {
	char *name, *route, *mailbox, *domain;	/* NULL = NIL */
	struct mime_address *next;
};

/* NULL when the value holds no address. At most max entries. */
struct mime_address *mime_address_parse(const char *value, size_t len,
					unsigned int max);
void mime_address_free(struct mime_address **list);
/* "((name route mailbox domain)...)" or NIL for an empty list. */
int mime_address_write_imap(const struct mime_address *list, struct buf *out);

#endif
