/* The sessions of one protocol server (see session-list.h). */
#include "server/common/session-list.h"

#include <stddef.h>

void
session_list_add(struct session_list *l, struct session_link *link,
		 void *session)
{
	link->session = session;
	link->prev = NULL;
	link->next = l->head;
	if (l->head != NULL)
		l->head->prev = link;
	l->head = link;
	l->count++;
}

void
session_list_remove(struct session_list *l, struct session_link *link)
{
	if (link->prev == NULL && l->head != link)
		return;
	if (link->prev != NULL)
		link->prev->next = link->next;
	else
		l->head = link->next;
	if (link->next != NULL)
		link->next->prev = link->prev;
	link->prev = link->next = NULL;
	l->count--;
}

void *
session_list_first(const struct session_list *l)
{
	return l->head != NULL ? l->head->session : NULL;
}
