/* LIST/LSUB pattern matching (RFC 3501 6.3.8). Pure: unit tested in
 * tests/unit/server/test-imap-match.c. */

#include "server/imap/imap-match.h"

#include <stdlib.h>
#include <string.h>

#include "lib/strx.h"
#include "lib/xalloc.h"

/* IMAP wildcard match: '*' anything, '%' anything but '/'. Dynamic
 * programming over the name, O(pattern x name): a pattern such as
 * "*%*%*%...x" must not backtrack exponentially. */
static bool
wild_match(const char *p, const char *s)
{
	size_t n = strlen(s), j;
	bool *cur = xcalloc(n + 1, sizeof(bool));
	bool *next = xcalloc(n + 1, sizeof(bool));
	bool r;

	cur[0] = true;
	for (; *p != '\0'; p++) {
		bool acc = false, *t;

		if (*p == '*' && p[1] == '*')
			continue;
		for (j = 0; j <= n; j++) {
			if (*p == '*') {
				acc = acc || cur[j];
				next[j] = acc;
			} else if (*p == '%') {
				if (j > 0 && s[j - 1] == '/')
					acc = false;
				acc = acc || cur[j];
				next[j] = acc;
			} else {
				next[j] = j > 0 && cur[j - 1] && s[j - 1] == *p;
			}
		}
		t = cur;
		cur = next;
		next = t;
	}
	r = cur[n];
	free(cur);
	free(next);
	return r;
}

bool
imap_list_match(const char *pattern, const char *name)
{
	if (str_has_prefix_ci(pattern, "INBOX") &&
	    (strcmp(name, "INBOX") == 0 || str_has_prefix(name, "INBOX/"))) {
		return wild_match(pattern + 5, name + 5);
	}
	return wild_match(pattern, name);
}

