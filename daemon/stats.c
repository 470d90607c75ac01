/*
 * stats.c - logd's counters (see stats.h).  Any thread.
 */
#include "stats.h"

#include <inttypes.h>
#include <stdio.h>

#include "queue.h"

/* The names in stats_line(), in its order; the queue's two gauges come last. */
static const struct {
	const char	*name;
	enum stats_id	 id;
} stats_names[] = {
	{ "records", STATS_RECORDS },
	{ "written", STATS_WRITTEN_LINES },
	{ "datagrams", STATS_DATAGRAMS },
	{ "malformed", STATS_MALFORMED },
	{ "rejected", STATS_REJECTED },
	{ "client_dropped", STATS_CLIENT_DROPPED },
	{ "overflow_dropped", STATS_OVERFLOW_DROPPED },
	{ "unwritable", STATS_UNWRITABLE },
	{ "backpressure", STATS_BACKPRESSURE },
	{ "streams", STATS_STREAMS },
	{ "fsyncs", STATS_FSYNCS },
	{ "write_errors", STATS_WRITE_ERRORS },
	{ "stalls", STATS_STALLS },
	{ "stalled_ms", STATS_STALLED_MS },
	{ "rotations", STATS_ROTATIONS },
	{ "archives_removed", STATS_ARCHIVES_REMOVED },
	{ "archives_compressed", STATS_ARCHIVES_COMPRESSED },
	{ "compress_skipped", STATS_COMPRESS_SKIPPED },
};

int
stats_line(const struct stats *st, const struct queue_stats *qs, char *buf, size_t len)
{
	size_t	i, n = 0;
	int	rc;

	for (i = 0; i < sizeof(stats_names) / sizeof(stats_names[0]); i++) {
		rc = snprintf(buf + n, n < len ? len - n : 0, "%s=%" PRIu64 " ",
		    stats_names[i].name, stats_get(st, stats_names[i].id));
		if (rc < 0)
			return rc;
		n += (size_t)rc;
	}
	rc = snprintf(buf + n, n < len ? len - n : 0, "queue_bytes=%" PRIu64
	    " queue_high_water=%" PRIu64, qs->used_bytes, qs->high_water_bytes);
	return rc < 0 ? rc : (int)(n + (size_t)rc);
}
