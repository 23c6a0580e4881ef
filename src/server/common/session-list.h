#ifndef CONFLUX_SERVER_SESSION_LIST_H
#define CONFLUX_SERVER_SESSION_LIST_H

/* The sessions of one protocol server: a doubly linked list through a
 * link each session embeds, and its length (X_server_sessions()). */

struct session_link {
	struct session_link *prev, *next;
	void *session;
};

struct session_list {
	struct session_link *head;
	unsigned int count;
};

void session_list_add(struct session_list *l, struct session_link *link,
		      void *session);
/* A link not in the list (already removed) is left alone. */
void session_list_remove(struct session_list *l, struct session_link *link);
/* The first session, NULL when there is none. */
void *session_list_first(const struct session_list *l);

#endif
