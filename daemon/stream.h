/*
 * stream.h - the stream table: name -> stream, each stream's open batch, and
 * when batches are sealed (by size, by the flush timer, or on demand).
 *
 * Records are formatted straight into the stream's open batch, so the hot
 * path allocates nothing per record.  A batch is sealed into the queue when
 * the next line would not fit in it (batch_bytes, or less for a stream that
 * is new or has been quiet), when flush_interval has passed since the table first
 * became dirty (with more than busy_streams dirty: busy_flush_interval since
 * the stream did), and by stream_seal_all() (backpressure, shutdown).  Loop
 * thread only.
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
#include "stats.h"

struct stream;
struct stream_table;

/*
 * A new stream's first batch, and the smallest any stream is given; a busy
 * stream's batches double at each seal, up to batch_bytes.
 */
#define STREAM_MIN_BATCH	512

/*
 * A table for at most cfg->max_streams streams, sealing into q and counting
 * in st.  -errno on failure.
 */
int		stream_table_new(struct event_base *base, const struct config *cfg,
		    struct queue *q, struct stats *st, struct stream_table **out);
void		stream_table_free(struct stream_table *t);

#define STREAM_PREFETCH_MIN	1024	/* more streams than stay in the caches */

/*
 * The stream named name (a valid stream name), created if new, for a
 * record from sender who (SCM_CREDENTIALS): -EPERM for logd's own stream,
 * -EACCES if the stream's allow_uids / allow_gids do not let who write,
 * and for a new stream -ENOENT if create_streams = configured and it has no
 * [stream NAME] section, -EDQUOT if who's uid (root's never) has created
 * max_streams_per_uid streams, -ENOSPC at max_streams.  A stream belongs
 * to the uid that created it for as long as it lives (streams are never
 * removed).  With no ACL the cost over a lookup is one compare.
 */
int		stream_get(struct stream_table *t, const char *name, size_t len,
		    const struct format_sender *who, struct stream **out);

/* FNV-1a of a stream name: the table's hash. */
uint32_t	stream_hash(const char *name, size_t len);

/*
 * Hints that a record for the stream whose name hashes to hash comes soon:
 * each level starts loading what the next one reads, and the last what
 * stream_get() and stream_append() will: 0 its slot in the table, 1 the
 * stream, 2 its counters and open batch, 3 where its next line goes.  With
 * thousands of streams these are cache misses the records before it can
 * hide; stream_table_large() says whether the table has that many.
 */
void		stream_prefetch(const struct stream_table *t, uint32_t hash, int level);
int		stream_table_large(const struct stream_table *t);

/*
 * A sender's record for stream name was refused (err from stream_get()):
 * lost counts it and the losses it reported.  Said in logd's own stream,
 * per name, at most once a second (and at shutdown).
 */
void		stream_reject(struct stream_table *t, const char *name, size_t len,
		    const struct format_sender *who, uint64_t lost, int err);

/*
 * Whether stream_reject() reports err on stderr itself (with the sender, at
 * most once a second per stream): the refusals of a sender's rights
 * (-EACCES, -ENOENT, -EDQUOT).  The others the caller says.
 */
int		stream_reject_tells(int err);

/* Why stream_get() refused a stream (its err), in buf[len] if need be. */
const char	*stream_reject_why(const struct stream_table *t, int err, char *buf, size_t len);

/*
 * Appends "[logd] <fmt>" at priority prio to logd's own stream, past the
 * budget (a few lines at start, reload and the like).  0, or -ENOBUFS
 * (out of memory).
 */
int		stream_log(struct stream_table *t, int prio, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

/* Frees the open batches of streams the writer could not write (queue_take_news()). */
void		stream_drop_failed(struct stream_table *t);

/*
 * Formats rec as a line into s's open batch, after the marker lines that are
 * due ("[logd] dropped N records: ...").  rec->dropped, its sender's loss,
 * is summed with the sender's reports just before it into one marker, due
 * before the sender's next record that reports nothing, another sender's
 * report, or the flush timer.  A stream the writer could not write (queue_failed())
 * takes nothing: rec is dropped and counted for its recovery marker.  A
 * record at priority crit or higher flags its batch for
 * stream_seal_urgent().  When the budget is full:
 *   overflow = block: returns -ENOBUFS and appends nothing; the caller
 *     retries after the writer has freed memory;
 *   overflow = drop: takes the stream's lowest-priority lines (only lines
 *     less important than rec) back out of its queued batches until rec
 *     fits; when nothing less important is queued, drops rec itself.  Every
 *     drop is counted and reported by a marker line when there is room.
 * With a rate limit ([stream] rate_limit_burst and rate_limit_interval), a
 * record below crit from a sender past its burst is suppressed and counted
 * instead, and a marker "[logd] dropped N records: pid P sent more than
 * BURST records in INTERVAL (rate limit)" goes into the stream when the
 * sender's window ends (or at shutdown).
 * The line's time is rec's claim (rec->ts_ns) if it is within
 * max_clock_skew of now_ns, when logd received it; else now_ns, and the
 * claim is shown beside it (format.h) and counted (STATS_CLOCK_SKEW).
 * Returns 0 when rec was appended, 1 when it was dropped, -ENOBUFS.
 */
int		stream_append(struct stream_table *t, struct stream *s,
		    const struct proto_record *rec, uint64_t now_ns,
		    const struct format_sender *who);

/* The format s's lines are written in (its settings'). */
enum config_format stream_format(const struct stream *s);

/* Seals every non-empty open batch into the queue. */
void		stream_seal_all(struct stream_table *t);

/*
 * Seals the batches holding a record at priority crit or worse (flagged
 * BATCH_SYNC: the writer syncs them at once).  Called after each round of
 * receiving, so every such record goes to disk right away, and all those of
 * one round share one sync.
 */
void		stream_seal_urgent(struct stream_table *t);

/*
 * Appends the marker lines of drops not yet reported, and logd's own lines
 * about streams that could not be created.  With force (at shutdown) past
 * the budget; otherwise those that don't fit stay due.
 */
void		stream_flush_markers(struct stream_table *t, int force);

/* The configuration changed (SIGHUP): every stream takes its settings again. */
void		stream_reconfigure(struct stream_table *t);

/* How many streams uid has created (0 for root, who is not counted). */
uint32_t	stream_uid_count(const struct stream_table *t, uint32_t uid);

/* How many streams there are: ids 0 (logd's own) to stream_count() - 1. */
uint32_t	stream_count(const struct stream_table *t);

/* Stream id's name (NUL-terminated), or NULL if there is no such id. */
const char	*stream_name(const struct stream_table *t, uint32_t id);

/* The id of the stream named name (logd's own too), or -ENOENT. */
int		stream_find(const struct stream_table *t, const char *name, size_t len,
		    uint32_t *id);

/* Records of stream id its rate limit suppressed and has not reported yet. */
uint64_t	stream_limited_pending(const struct stream_table *t, uint32_t id);

/* Returns 0 if the invariants hold (hash chains, ids, dirty list, batch sizes). */
int		stream_table_check(const struct stream_table *t);

#endif
