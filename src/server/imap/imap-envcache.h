#ifndef CONFLUX_IMAP_ENVCACHE_H
#define CONFLUX_IMAP_ENVCACHE_H

/* ENVELOPE strings of stored messages, kept by (folder id, UIDVALIDITY,
 * UID, file size) in at most max_bytes (LRU), shared by the sessions of
 * one server. The loop is single-threaded: no locking. A NULL cache is a
 * no-op. */

#include <stddef.h>
#include <stdint.h>

struct imap_envcache;

struct imap_envcache *imap_envcache_new(size_t max_bytes);
/* NULL is a no-op; *c is set to NULL. */
void imap_envcache_free(struct imap_envcache **c);
/* The cached envelope (not NUL-terminated; *len_r bytes), valid until the
 * next put; NULL when not cached. */
const char *imap_envcache_get(struct imap_envcache *c, int64_t folder_id,
			      uint32_t uidvalidity, uint32_t uid,
			      uint64_t psize, size_t *len_r);
/* Copies data in; an entry over a quarter of the cache is not kept. */
void imap_envcache_put(struct imap_envcache *c, int64_t folder_id,
		       uint32_t uidvalidity, uint32_t uid, uint64_t psize,
		       const char *data, size_t len);

#endif
