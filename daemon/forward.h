/*
 * forward.h - [forward NAME]: streams sent to a central collector as RFC 5424
 * syslog over TCP, octet-counted (RFC 6587 3.4.1), or TLS (RFC 5425,
 * bufferevent_openssl), or RELP (librelp), at least once.
 *
 * The stream files are the durable queue.  Each forwarder is a thread of its
 * own with its own event loop: it reads the files of the streams it forwards
 * (archives oldest first, .zst ones decompressed, then current.log, as logd
 * writes them) from a cursor saved in <log_dir>/.forward/NAME.cursor, turns
 * each line back into a record (client/logline.c for text lines, jansson for
 * JSON lines) and sends it.  It never touches the write path: a collector
 * that is down or slow leaves the files to grow, and the forwarder catches
 * up from disk when it comes back.
 *
 * Plain TCP has no acknowledgement, so a record counts as delivered only
 * once the bytes sent after it exceed what the kernels could still hold
 * (SIOCOUTQ, the send buffer, and what the collector's receive buffer may
 * hold unread: resend_window, or the largest window it offered, less the
 * window it offers now), or the connection has been idle with nothing
 * unacked.
 * The cursor is that point; after a reconnect or a restart everything after
 * it is sent again (counted as duplicates), so nothing is lost and
 * duplicates are bounded by that window.  At most max_unacked records wait
 * so; the reader waits for more.  RELP acknowledges: librelp's window (half
 * of max_unacked) says how many of the records sent may be unacknowledged,
 * and the close of an idle session acknowledges the rest, so there the
 * cursor moves only past what the collector acknowledged.  librelp blocks
 * (its timeout is 10 s): a relp:// forwarder's thread, never another.
 */
#ifndef LOGD_FORWARD_H
#define LOGD_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "proto.h"

#define FORWARD_DIR		".forward"	/* in the log dir: the cursors */
#define FORWARD_TICK_MS		100		/* the reader's and the cursor's pace */

struct forwarder;
struct forward_pins;

/*
 * The forwarders' pins: per stream, the time from which its archives are
 * not yet sent (confirmed) by some forwarder.  The writer's per-stream
 * retention keeps archives named at or after it; only the global disk
 * limits remove them, and say so.  A stream a forwarder of cfg forwards
 * but has not read yet (new, or before the forwarder starts) is pinned
 * whole.  A mutex inside: any thread.
 */
int	forward_pins_new(const struct config *cfg, struct forward_pins **out);
void	forward_pins_free(struct forward_pins *p);

/*
 * The earliest pin of stream (INT64_MAX: none), and the name of the
 * forwarder that holds it into who (if not NULL).
 */
int64_t	forward_pinned(struct forward_pins *p, const char *stream,
	    char who[PROTO_MAX_NAME + 1]);

/* One forwarder's counters, as forward_stats() reads them. */
struct forward_stats {
	uint64_t	records_sent;	/* records written into the connection */
	uint64_t	bytes_sent;	/* their bytes, framing included */
	uint64_t	duplicates;	/* records sent again after a reconnect or restart */
	uint64_t	reconnects;	/* connections made after the first */
	uint64_t	lag_bytes;	/* bytes in the files not yet sent */
	uint64_t	lag_s;		/* age of the oldest line not yet sent; 0 when caught up */
	uint64_t	unacked;	/* records sent and not yet known delivered */
	uint64_t	lost_files;	/* files removed before they were sent, or damaged */
	uint64_t	unparsed;	/* lines that were not logd's: sent as they are */
	int		connected;
};

/*
 * Starts the thread of forwarder fc (config_check()ed) on the log dir
 * log_dir_fd, which it takes over.  The cursor dir is created with
 * dir_mode, the cursor with file_mode.  Its cursor is read before this
 * returns, and its pins go into pins.  0, or -errno after saying why on
 * stderr (a TLS file that cannot be used, the cursor directory).
 */
int	forward_start(const struct config_forward *fc, int log_dir_fd, mode_t dir_mode,
	    mode_t file_mode, struct forward_pins *pins, struct forwarder **out);

/*
 * Stops the thread: what is in flight gets at most a second to be
 * acknowledged by the collector's kernel, the cursor is saved, and
 * everything is freed.  NULL is a no-op.
 */
void	forward_stop(struct forwarder *f);

/* Any thread: f's name and counters now. */
const char *forward_name(const struct forwarder *f);
void	forward_stats(const struct forwarder *f, struct forward_stats *out);

/*
 * Formats one line of a stream file (no newline) as an RFC 5424 message
 * with its octet count ("LEN <PRI>1 ..."), into out[cap].  host and app
 * are HOSTNAME and APP-NAME; stream goes into the structured data.
 * cap must be at least 3 * len + 1024 + the lengths of host and app.
 * *parsed says whether the line was one of logd's (text or JSON); another
 * is sent as its message, with no time and priority notice.  Returns the
 * length, or 0 if cap is too small.  No I/O; any thread (the tests too).
 */
long	forward_format(const char *line, size_t len, const char *stream, const char *host,
	    const char *app, uint32_t facility, char *out, size_t cap, int *parsed);

#endif
