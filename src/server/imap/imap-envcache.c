/* A bounded cache of ENVELOPE strings shared by the sessions of one
 * server. A message never changes once stored, so (folder id,
 * UIDVALIDITY, UID, file size) names its envelope for good; clients fetch
 * ENVELOPE for the same messages again and again (every resync of a
 * header list), and without the cache each time costs an open, a read and
 * a header parse. The UIDVALIDITY is part of the key: a folder deleted
 * and made again (even with the same row id) never gets the same one.
 * Least recently used entries go first once max_bytes is reached. */

#include "server/imap/imap-envcache.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

struct env_entry {
	struct env_entry *hnext;		/* hash chain */
	struct env_entry *prev, *next;		/* LRU list, head = newest */
	int64_t folder_id;
	uint64_t psize;
	uint32_t uidvalidity, uid;
	size_t len;
	char data[];
};

struct imap_envcache {
	struct env_entry **buckets;
	size_t nbuckets;
	struct env_entry *head, *tail;
	size_t bytes, max_bytes;
};

struct imap_envcache *
imap_envcache_new(size_t max_bytes)
{
	struct imap_envcache *c = xcalloc(1, sizeof(*c));

	c->nbuckets = 4096;
	c->buckets = xcalloc(c->nbuckets, sizeof(*c->buckets));
	c->max_bytes = max_bytes;
	return c;
}

void
imap_envcache_free(struct imap_envcache **cp)
{
	struct imap_envcache *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	while (c->head != NULL) {
		struct env_entry *e = c->head;
		c->head = e->next;
		free(e);
	}
	free(c->buckets);
	free(c);
}

static size_t
bucket(const struct imap_envcache *c, int64_t folder_id, uint32_t uid)
{
	uint64_t h = (uint64_t)folder_id * 0x9e3779b97f4a7c15ULL ^ uid;

	h ^= h >> 29;
	return (size_t)(h % c->nbuckets);
}

static void
lru_unlink(struct imap_envcache *c, struct env_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct imap_envcache *c, struct env_entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

static void
drop(struct imap_envcache *c, struct env_entry *e)
{
	struct env_entry **pp = &c->buckets[bucket(c, e->folder_id, e->uid)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(c, e);
	c->bytes -= sizeof(*e) + e->len;
	free(e);
}

const char *
imap_envcache_get(struct imap_envcache *c, int64_t folder_id,
		  uint32_t uidvalidity, uint32_t uid, uint64_t psize,
		  size_t *len_r)
{
	struct env_entry *e;

	if (c == NULL)
		return NULL;
	for (e = c->buckets[bucket(c, folder_id, uid)]; e != NULL;
	     e = e->hnext) {
		if (e->folder_id != folder_id || e->uid != uid)
			continue;
		if (e->psize != psize || e->uidvalidity != uidvalidity) {
			/* not the same message (a folder made anew) */
			drop(c, e);
			return NULL;
		}
		lru_unlink(c, e);
		lru_push(c, e);
		*len_r = e->len;
		return e->data;
	}
	return NULL;
}

void
imap_envcache_put(struct imap_envcache *c, int64_t folder_id,
		  uint32_t uidvalidity, uint32_t uid, uint64_t psize,
		  const char *data, size_t len)
{
	struct env_entry *e;
	size_t b, need = sizeof(*e) + len;

	if (c == NULL || need > c->max_bytes / 4)
		return;
	if (imap_envcache_get(c, folder_id, uidvalidity, uid, psize, &b) !=
	    NULL)
		return;
	while (c->tail != NULL && c->bytes + need > c->max_bytes)
		drop(c, c->tail);
	e = xmalloc(need);
	e->folder_id = folder_id;
	e->uidvalidity = uidvalidity;
	e->uid = uid;
	e->psize = psize;
	e->len = len;
	memcpy(e->data, data, len);
	b = bucket(c, folder_id, uid);
	e->hnext = c->buckets[b];
	c->buckets[b] = e;
	lru_push(c, e);
	c->bytes += need;
}
