/*
 * batch.c - the line container (see batch.h).
 * Invariant: len <= cap, nrecords <= max_lines, cost == cap + max_lines,
 * data[0..len) is nrecords lines each ending in '\n', prios[i] is the class
 * of line i and nprio[] counts them.  Whichever thread owns the batch.
 */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "stats.h"

static void
batch_init(struct batch *b, uint32_t stream_id, const char *name, size_t cap,
    uint32_t max_lines)
{
	memset(b, 0, sizeof(*b));
	b->stream_id = stream_id;
	b->stream_name = name;
	b->cap = cap;
	b->max_lines = max_lines;
	b->cost = BATCH_COST(cap, max_lines);
	b->prios = (uint8_t *)b->data + cap;
}

struct batch *
batch_new(uint32_t stream_id, const char *name, size_t cap, uint32_t max_lines)
{
	struct batch	*b;

	if ((b = malloc(sizeof(*b) + BATCH_COST(cap, max_lines))) != NULL)
		batch_init(b, stream_id, name, cap, max_lines);
	return b;
}

struct batch *
batch_resize(struct batch *b, size_t cap, uint32_t max_lines)
{
	struct batch	*nb;

	/* Never smaller: prios[] moves after the realloc. */
	if (cap < b->cap || max_lines < b->max_lines ||
	    (nb = realloc(b, sizeof(*nb) + BATCH_COST(cap, max_lines))) == NULL)
		return NULL;
	/* prios[] follows data[]: move it to the end of the new data[]. */
	memmove(nb->data + cap, nb->data + nb->cap, nb->nrecords);
	nb->prios = (uint8_t *)nb->data + cap;
	nb->cap = cap;
	nb->max_lines = max_lines;
	nb->cost = BATCH_COST(cap, max_lines);
	return nb;
}

struct batch *
batch_copy_fit(const struct batch *b)
{
	struct batch	*nb;

	if ((nb = batch_new(b->stream_id, b->stream_name, b->len, b->nrecords)) == NULL)
		return NULL;
	memcpy(nb->data, b->data, b->len);
	memcpy(nb->prios, b->prios, b->nrecords);
	memcpy(nb->nprio, b->nprio, sizeof(nb->nprio));
	nb->len = b->len;
	nb->nrecords = b->nrecords;
	nb->flags = b->flags;
	return nb;
}

/*
 * Copies src's lines except those of priority prio to dst, which may be src
 * itself (lines only move towards the start).  dst must have room for them.
 */
static uint32_t
batch_filter(struct batch *dst, const struct batch *src, unsigned prio)
{
	const char	*p = src->data, *end = src->data + src->len, *nl;
	size_t		 len = 0, n;
	uint32_t	 i, kept = 0, nrecords = src->nrecords;

	for (i = 0; i < nrecords && p < end; i++, p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end - 1;	/* cannot happen: every line ends in '\n' */
		if (src->prios[i] == prio)
			continue;
		n = (size_t)(nl + 1 - p);
		memmove(dst->data + len, p, n);
		len += n;
		dst->prios[kept++] = src->prios[i];
	}
	if (dst != src)
		memcpy(dst->nprio, src->nprio, sizeof(dst->nprio));
	dst->nprio[prio] = 0;
	dst->nrecords = kept;
	dst->len = len;
	dst->flags = src->flags;
	return nrecords - kept;
}

struct batch *
batch_copy_without(const struct batch *b, unsigned prio)
{
	struct batch	*nb;
	const char	*p, *nl;
	size_t		 cap = 0;
	uint32_t	 i;

	/* The kept lines' length, to allocate exactly that. */
	for (i = 0, p = b->data; i < b->nrecords; i++, p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(b->data + b->len - p));
		if (b->prios[i] != prio)
			cap += (size_t)(nl + 1 - p);
	}
	if ((nb = batch_new(b->stream_id, b->stream_name, cap, b->nrecords - b->nprio[prio])) ==
	    NULL)
		return NULL;
	(void)batch_filter(nb, b, prio);
	return nb;
}

uint32_t
batch_drop(struct batch *b, unsigned prio)
{
	if (prio >= BATCH_NPRIO || b->nprio[prio] == 0)
		return 0;
	return batch_filter(b, b, prio);
}

void
batch_loss(const struct batch *b, size_t off, struct batch_loss *loss)
{
	const char	*p = b->data, *end = b->data + b->len, *nl;
	uint32_t	 i;

	for (i = 0; i < b->nrecords && p < end; i++, p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;	/* cannot happen: every line ends in '\n' */
		if ((size_t)(p - b->data) < off)
			continue;
		loss->lines++;
		if (b->prios[i] != BATCH_KEEP)
			loss->records++;
		else	/* logd's own line: a loss marker takes its count with it */
			loss->reported = stats_sat_add(loss->reported,
			    format_loss(p, (size_t)(nl + 1 - p)));
	}
}

int
batch_check(const struct batch *b)
{
	uint32_t	n[BATCH_NCLASS] = { 0 }, i, lines = 0;
	size_t		j;

	if (b->len > b->cap || b->nrecords > b->max_lines ||
	    b->cost != BATCH_COST(b->cap, b->max_lines))
		return -1;
	for (j = 0; j < b->len; j++)
		lines += b->data[j] == '\n';
	if (lines != b->nrecords || (b->len > 0 && b->data[b->len - 1] != '\n'))
		return -1;
	for (i = 0; i < b->nrecords; i++) {
		if (b->prios[i] >= BATCH_NCLASS)
			return -1;
		n[b->prios[i]]++;
	}
	return memcmp(n, b->nprio, sizeof(n)) == 0 ? 0 : -1;
}
