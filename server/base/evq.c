/* rp_evq: a plain singly linked FIFO; events carry their payload inline. */
#include <stdlib.h>
#include <string.h>

#include "rp_base.h"

void rp_evq_init(struct rp_evq *q)
{
	q->head = NULL;
	q->tail = &q->head;
	q->count = 0;
}

struct rp_ev *rp_ev_new(int type, size_t len)
{
	struct rp_ev *ev = calloc(1, sizeof *ev + len);
	if (!ev)
		return NULL;
	ev->type = type;
	ev->len = len;
	return ev;
}

void rp_evq_push(struct rp_evq *q, struct rp_ev *ev)
{
	ev->next = NULL;
	*q->tail = ev;
	q->tail = &ev->next;
	q->count++;
}

struct rp_ev *rp_evq_pop(struct rp_evq *q)
{
	struct rp_ev *ev = q->head;
	if (!ev)
		return NULL;
	q->head = ev->next;
	if (!q->head)
		q->tail = &q->head;
	q->count--;
	ev->next = NULL;
	return ev;
}

void rp_ev_free(struct rp_ev *ev)
{
	if (!ev)
		return;
	rp_wipe(ev->data, ev->len);
	free(ev);
}

void rp_evq_clear(struct rp_evq *q)
{
	struct rp_ev *ev;
	while ((ev = rp_evq_pop(q)))
		rp_ev_free(ev);
}
