/*
 * batch.h - a batch: lines of one stream, formatted and ready to write.
 *
 * The line container the loop formats records into and the writer writes
 * out.  Every line ends in '\n' and has its class recorded (its priority,
 * or BATCH_KEEP for logd's own lines), so that under overflow = drop the
 * lines of one priority can be taken back out.  Only this module changes a
 * batch's fields; anyone holding a batch may read them.  A batch has one
 * owner at a time (see queue.h), so no function here locks anything.
 * Allocation is plain malloc: the memory budget is queue.c's.
 */
#ifndef LOGD_BATCH_H
#define LOGD_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#define BATCH_NPRIO		8		/* priorities 0-7: lines that may be dropped */
#define BATCH_KEEP		BATCH_NPRIO	/* class of lines never dropped (logd's markers) */
#define BATCH_NCLASS		(BATCH_NPRIO + 1)
#define BATCH_SYNC		0x1u		/* sync the file right after writing this batch */

struct batch {
	TAILQ_ENTRY(batch) link;	/* the queue, owned by the queue */
	TAILQ_ENTRY(batch) slink;	/* its stream's queued batches, owned by the queue */
	uint32_t	 stream_id;
	const char	*stream_name;	/* NUL-terminated, valid until the stream table is freed */
	unsigned	 flags;		/* BATCH_* */
	uint32_t	 nrecords;	/* lines in data[] */
	uint32_t	 max_lines;	/* room in prios[] */
	uint32_t	 nprio[BATCH_NCLASS];	/* lines of each class */
	uint8_t		*prios;		/* the class of each line, in order */
	size_t		 len;		/* bytes used in data[] */
	size_t		 cap;		/* bytes allocated for data[] */
	size_t		 cost;		/* what the budgets are charged: cap + max_lines */
	char		 data[];	/* lines, each ending in '\n'; prios[] follows */
};

/* What a batch with room for cap bytes and max_lines lines costs the budgets. */
#define BATCH_COST(cap, max_lines)	((size_t)(cap) + (max_lines))

/* A new empty batch of stream id (named name), or NULL (malloc failed). */
struct batch	*batch_new(uint32_t stream_id, const char *name, size_t cap, uint32_t max_lines);

/* b grown to room for cap bytes and max_lines lines, keeping its lines; or NULL, b unchanged. */
struct batch	*batch_resize(struct batch *b, size_t cap, uint32_t max_lines);

/* A copy of b exactly as big as its lines, or NULL.  b stays as it is. */
struct batch	*batch_copy_fit(const struct batch *b);

/* A copy of b without its lines of priority prio, exactly as big as the rest, or NULL. */
struct batch	*batch_copy_without(const struct batch *b, unsigned prio);

/* Where the next line goes: batch_room(b) bytes are free there. */
static inline char *
batch_end(struct batch *b)
{
	return b->data + b->len;
}

static inline size_t
batch_room(const struct batch *b)
{
	return b->cap - b->len;
}

static inline uint32_t
batch_line_room(const struct batch *b)
{
	return b->max_lines - b->nrecords;
}

/* Counts the line of len bytes just written at batch_end(b); cls is its priority or BATCH_KEEP. */
static inline void
batch_add_line(struct batch *b, size_t len, unsigned cls)
{
	b->len += len;
	b->prios[b->nrecords++] = (uint8_t)cls;
	b->nprio[cls]++;
}

/* Sets flags (BATCH_*) on b. */
static inline void
batch_flag(struct batch *b, unsigned flags)
{
	b->flags |= flags;
}

/* Removes b's lines of priority prio (0-7) in place, keeping the others in order; how many. */
uint32_t	 batch_drop(struct batch *b, unsigned prio);

/* What is lost with lines of a batch that are never written. */
struct batch_loss {
	uint64_t	lines;		/* lines, logd's markers included */
	uint64_t	records;	/* records: the lines that are not logd's markers */
	uint64_t	reported;	/* the losses those markers reported (format_loss()) */
};

/* Adds to *loss what b's lines from byte off on (the start of a line) hold. */
void		 batch_loss(const struct batch *b, size_t off, struct batch_loss *loss);

/* Returns 0 if b's counts match its lines (sizes, classes, one '\n' per line). */
int		 batch_check(const struct batch *b);

#endif
