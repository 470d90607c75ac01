/*
 * stream.h - the stream table: name -> stream, each stream's open batch, and
 * when batches are sealed (by size, by the flush timer, or on demand).
 *
 * Records are formatted straight into the stream's open batch, so the hot
 * path allocates nothing per record.  A batch is sealed into the queue when
 * the next line would not fit in batch_bytes, when flush_interval has passed
 * since the table first became dirty, and by stream_seal_all() (backpressure,
 * shutdown).  Loop thread only.
 */
#ifndef LOGD_STREAM_H
#define LOGD_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "config.h"
#include "format.h"
#include "proto.h"
#include "queue.h"

struct stream;
struct stream_table;

/* A table for at most cfg->max_streams streams, sealing into q.  -errno on failure. */
int		stream_table_new(struct event_base *base, const struct config *cfg,
		    struct queue *q, struct stream_table **out);
void		stream_table_free(struct stream_table *t);

/* The stream named name (a valid stream name), created if new.  -ENOSPC at max_streams. */
int		stream_get(struct stream_table *t, const char *name, size_t len,
		    struct stream **out);

/*
 * Formats rec as a line into s's open batch (after a "dropped N records"
 * marker line when rec->dropped > 0).  Returns 0, or -ENOBUFS when the
 * memory budget can't take it now: then nothing was appended, and the
 * caller retries after the writer has freed memory.
 */
int		stream_append(struct stream_table *t, struct stream *s,
		    const struct proto_record *rec, uint64_t ts_ns,
		    const struct format_sender *who);

/* Seals every non-empty open batch into the queue. */
void		stream_seal_all(struct stream_table *t);

/* Number of streams. */
uint32_t	stream_count(const struct stream_table *t);

/* Records appended (marker lines included) since the table was made. */
uint64_t	stream_lines(const struct stream_table *t);

/* Returns 0 if the invariants hold (hash chains, ids, dirty list, batch sizes). */
int		stream_table_check(const struct stream_table *t);

#endif
