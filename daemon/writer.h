/*
 * writer.h - the writer thread: the blocking file I/O of the write path.
 *
 * It pops sealed batches from the queue and appends each to
 * <log_dir>/<stream>/current.log, creating the stream's directory and file
 * on first use.  A disk-wide error keeps the batch and is retried with
 * backoff (at most 1 s apart) until it succeeds, so nothing accepted is
 * dropped; the error is reported once per episode on stderr, and a marker
 * line in the file says how long writing was stalled.  An error of one
 * stream's own fails that stream alone (see writer.c).  A file found ending
 * in a torn line (a crash) has the line terminated and a marker line added.
 * It rotates (by size, age, SIGUSR2, and before a line of another format),
 * hands archives to the compressor thread, and applies retention.  Files
 * are synced per the sync policy, and at once after a batch flagged
 * BATCH_SYNC.  After queue_close() it writes what is left, says what
 * failed streams lost and the final counters in logd's own stream, syncs
 * every file, and signals the loop through queue_finish().
 * Everything behind struct writer belongs to the writer thread.
 */
#ifndef LOGD_WRITER_H
#define LOGD_WRITER_H

#include <stdint.h>

#include "compress.h"
#include "config.h"
#include "forward.h"
#include "queue.h"
#include "stats.h"

struct writer;

/*
 * Starts the thread.  log_dir_fd is an O_DIRECTORY fd the writer takes
 * over; comp takes the archives it rotates; a copy of cfg, which the writer
 * keeps, gives max_streams (stream ids are below it + 1), the sync policy,
 * rotation and retention; per-stream retention keeps what pins (if not
 * NULL) say the forwarders have not sent.
 */
int	writer_start(struct queue *q, int log_dir_fd, const struct config *cfg,
	    struct stats *st, struct compressor *comp, struct forward_pins *pins,
	    struct writer **out);

#define WRITER_ROTATE	0x1u	/* rotate every open file that has data (SIGUSR2) */
#define WRITER_REOPEN	0x2u	/* close every file; the next write reopens it (SIGHUP) */
#define WRITER_ROTATE_MARKED 0x4u /* rotate the files writer_mark_rotate() marked, open or not */
#define WRITER_SCAN	0x8u	/* count every stream's files and bytes on disk (stats.h) */

/*
 * Loop: asks the writer for WRITER_* at its next step (between batches).
 * Returns a ticket: once the writer has handled it, writer_done() says so,
 * and the writer wakes the loop (queue_notify()).
 */
uint64_t	writer_request(struct writer *w, unsigned what);

/* Loop: marks stream id's file for the next WRITER_ROTATE_MARKED (logctl rotate). */
void	writer_mark_rotate(struct writer *w, uint32_t id);

/* Any thread: whether the writer has handled the request of ticket. */
int	writer_done(struct writer *w, uint64_t ticket);

/*
 * Loop: the writer takes a copy of cfg (per-stream settings, sync, limits)
 * at its next step; batches queued before are written under the old one.
 * 0 or -ENOMEM.
 */
int	writer_reconfigure(struct writer *w, const struct config *cfg);

/* Waits for the thread to end (after queue_close()) and frees everything. */
void	writer_join(struct writer *w);

#endif
