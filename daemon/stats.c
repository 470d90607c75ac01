/*
 * stats.c - logd's counters (see stats.h).  Any thread.
 */
#include "stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	{ "acl_denied", STATS_ACL_DENIED },
	{ "unconfigured", STATS_UNCONFIGURED },
	{ "uid_streams", STATS_UID_STREAMS },
	{ "client_dropped", STATS_CLIENT_DROPPED },
	{ "overflow_dropped", STATS_OVERFLOW_DROPPED },
	{ "rate_limited", STATS_RATE_LIMITED },
	{ "unwritable", STATS_UNWRITABLE },
	{ "backpressure", STATS_BACKPRESSURE },
	{ "bursts", STATS_BURSTS },
	{ "clock_skew", STATS_CLOCK_SKEW },
	{ "streams", STATS_STREAMS },
	{ "fsyncs", STATS_FSYNCS },
	{ "write_errors", STATS_WRITE_ERRORS },
	{ "stalls", STATS_STALLS },
	{ "stalled_ms", STATS_STALLED_MS },
	{ "rotations", STATS_ROTATIONS },
	{ "archives_removed", STATS_ARCHIVES_REMOVED },
	{ "archives_compressed", STATS_ARCHIVES_COMPRESSED },
	{ "compress_skipped", STATS_COMPRESS_SKIPPED },
	{ "archives_unforwarded", STATS_ARCHIVES_UNFORWARDED },
};

int
stats_init(struct stats *st, uint32_t nstreams)
{
	memset(st, 0, sizeof(*st));
	if ((st->streams = calloc(nstreams, sizeof(*st->streams))) == NULL)
		return -ENOMEM;
	st->nstreams = nstreams;
	return 0;
}

void
stats_free(struct stats *st)
{
	free(st->streams);
	st->streams = NULL;
	st->nstreams = 0;
}

/* The smallest latency of bucket b, and its width. */
static uint64_t
stats_bucket_low(unsigned b, uint64_t *width)
{
	unsigned	e = b / 4 + 1;

	if (b < 4) {
		*width = 1;
		return b;
	}
	*width = 1ull << (e - 2);
	return (uint64_t)(4 + b % 4) << (e - 2);
}

uint64_t
stats_latency_quantile(const struct stats *st, double q, uint64_t *count)
{
	uint64_t	n[STATS_LATENCY_BUCKETS], total = 0, seen = 0, rank, low, width;
	unsigned	b;

	for (b = 0; b < STATS_LATENCY_BUCKETS; b++) {
		n[b] = atomic_load_explicit(&st->latency[b], memory_order_relaxed);
		total += n[b];
	}
	*count = total;
	if (total == 0)
		return 0;
	/* The rank of the quantile, 1-based: the smallest with q of the writes at or below it. */
	rank = (uint64_t)(q * (double)total + 0.999999);
	if (rank == 0)
		rank = 1;
	for (b = 0; b < STATS_LATENCY_BUCKETS; b++) {
		seen += n[b];
		if (seen >= rank)
			break;
	}
	if (b == STATS_LATENCY_BUCKETS)
		b--;
	low = stats_bucket_low(b, &width);
	return low + width / 2;
}

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
