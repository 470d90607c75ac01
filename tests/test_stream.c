/* test_stream.c - the stream table: lookup, bounds, batching, sealing, markers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <event2/event.h>

#include "clock.h"
#include "config.h"
#include "queue.h"
#include "stream.h"
#include "unit.h"

/* A sender no ACL or per-uid limit applies to unless a test sets them. */
static const struct format_sender root = { .pid = 1, .uid = 0, .gid = 0 };

struct fixture {
	struct config		 cfg;
	struct event_base	*base;
	struct queue		*q;
	struct stats		 st;
	struct stream_table	*t;
};

/* The queue, its budget per stream, and the overflow policy. */
static void
setup_with(struct fixture *f, uint64_t queue_max, uint64_t stream_max, uint64_t batch_bytes,
    uint32_t max_streams, enum config_overflow overflow)
{
	config_defaults(&f->cfg);
	f->cfg.defaults.stream_queue_max_bytes = stream_max;
	f->cfg.defaults.overflow = overflow;
	f->cfg.queue_max_bytes = queue_max;
	f->cfg.batch_bytes = batch_bytes;
	f->cfg.max_streams = max_streams;
	f->cfg.flush_interval_ms = 1;
	if (f->cfg.defaults.stream_queue_max_bytes == 0)
		f->cfg.defaults.stream_queue_max_bytes = queue_max;
	ck_assert_int_eq(stats_init(&f->st, CONFIG_STREAM_IDS(&f->cfg)), 0);
	ck_assert_ptr_nonnull(f->base = event_base_new());
	ck_assert_int_eq(queue_new(queue_max, f->cfg.defaults.stream_queue_max_bytes,
	    CONFIG_STREAM_IDS(&f->cfg), &f->q), 0);
	ck_assert_int_eq(stream_table_new(f->base, &f->cfg, f->q, &f->st, &f->t), 0);
	ck_assert_int_eq(stream_table_check(f->t), 0);
}

static void
setup(struct fixture *f, uint64_t queue_max, uint64_t batch_bytes, uint32_t max_streams)
{
	setup_with(f, queue_max, 0, batch_bytes, max_streams, CONFIG_OVERFLOW_BLOCK);
}

static struct batch *
pop(struct fixture *f)
{
	int	timed_out;

	return queue_pop(f->q, 0, &timed_out);
}

static void
teardown(struct fixture *f)
{
	struct batch	*b;

	queue_close(f->q);
	while ((b = pop(f)) != NULL)
		queue_batch_free(f->q, b);
	stream_table_free(f->t);
	queue_free(f->q);
	event_base_free(f->base);
	stats_free(&f->st);
}

static struct proto_record
record(const char *name, const char *msg)
{
	struct proto_record	r;

	memset(&r, 0, sizeof(r));
	r.priority = 6;
	r.name = name;
	r.name_len = strlen(name);
	r.ts_ns = 1763812800123456789ull;	/* 2025-11-22T12:00:00.123456Z */
	r.msg = (const uint8_t *)msg;
	r.msg_len = strlen(msg);
	return r;
}

static const struct format_sender who = { .pid = 42, .uid = 1000, .gid = 1000 };

/* Pops every sealed batch and concatenates their bytes into out. */
static size_t
drain(struct fixture *f, char *out, size_t cap, unsigned *nbatches)
{
	struct queue_stats	 st;
	struct batch		*b;
	size_t			 len = 0;

	*nbatches = 0;
	for (;;) {
		queue_stats(f->q, &st);
		if (st.queued_batches == 0)
			break;
		b = pop(f);
		ck_assert_uint_le(len + b->len, cap);
		memcpy(out + len, b->data, b->len);
		len += b->len;
		(*nbatches)++;
		queue_batch_free(f->q, b);
	}
	out[len] = '\0';
	return len;
}

START_TEST(finds_the_same_stream_by_name)
{
	struct fixture	 f;
	struct stream	*a, *b, *c;

	setup(&f, 1 << 20, 4096, 8);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &root, &a), 0);
	ck_assert_int_eq(stream_get(f.t, "db", 2, &root, &b), 0);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &root, &c), 0);
	ck_assert_ptr_eq(a, c);
	ck_assert_ptr_ne(a, b);
	ck_assert_int_eq(stream_get(f.t, "webx", 3, &root, &c), 0);	/* length counts, not NUL */
	ck_assert_ptr_eq(a, c);
	ck_assert_uint_eq(stats_get(&f.st, STATS_STREAMS), 2);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	teardown(&f);
}
END_TEST

START_TEST(prefetch_hints_change_nothing)
{
	struct fixture		 f;
	struct stream		*web, *s;
	struct proto_record	 r = record("web", "first");
	static char		 out[4096];
	const char		*names[] = { "web", "quiet", "nobody" };
	char			 name[16];
	unsigned		 i, nb;
	int			 level;

	setup(&f, 1 << 20, 4096, 2 * STREAM_PREFETCH_MIN);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &root, &web), 0);
	ck_assert_int_eq(stream_append(f.t, web, &r, r.ts_ns, &who), 0);	/* an open batch */
	ck_assert_int_eq(stream_get(f.t, "quiet", 5, &root, &s), 0);	/* none */
	ck_assert_int_eq(stream_table_large(f.t), 0);
	for (i = 0; !stream_table_large(f.t); i++) {
		snprintf(name, sizeof(name), "s%u", i);
		ck_assert_int_eq(stream_get(f.t, name, strlen(name), &root, &s), 0);
	}
	ck_assert_uint_eq(stats_get(&f.st, STATS_STREAMS), STREAM_PREFETCH_MIN);
	for (i = 0; i < 3; i++)
		for (level = 0; level <= 3; level++)
			stream_prefetch(f.t, stream_hash(names[i], strlen(names[i])), level);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &root, &s), 0);
	ck_assert_ptr_eq(s, web);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	stream_seal_all(f.t);
	drain(&f, out, sizeof(out), &nb);
	ck_assert_str_eq(out, "2025-11-22T12:00:00.123456Z info [42] first\n");
	teardown(&f);
}
END_TEST

START_TEST(rejects_new_stream_beyond_max_streams)
{
	struct fixture	 f;
	struct stream	*s;
	char		 name[16];
	int		 i;

	setup(&f, 1 << 20, 4096, 100);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		ck_assert_int_eq(stream_get(f.t, name, strlen(name), &root, &s), 0);
		ck_assert_int_eq(stream_table_check(f.t), 0);
	}
	ck_assert_int_eq(stream_get(f.t, "one-more", 8, &root, &s), -ENOSPC);
	ck_assert_int_eq(stream_get(f.t, "s57", 3, &root, &s), 0);	/* existing ones still work */
	ck_assert_uint_eq(stats_get(&f.st, STATS_STREAMS), 100);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	teardown(&f);
}
END_TEST

START_TEST(seals_batch_when_next_line_does_not_fit)
{
	struct fixture		 f;
	struct stream		*s;
	struct proto_record	 r = record("web", "0123456789012345678901234567890123456789");
	static char		 out[1 << 16];
	unsigned		 nb;
	int			 i;

	setup(&f, 1 << 20, 4096, 8);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &root, &s), 0);
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who), 0);
		ck_assert_int_eq(stream_table_check(f.t), 0);
	}
	/* 100 lines of ~84 bytes do not fit one 4 KiB batch: some were sealed already. */
	drain(&f, out, sizeof(out), &nb);
	ck_assert_uint_ge(nb, 1);
	stream_seal_all(f.t);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	drain(&f, out, sizeof(out), &nb);
	ck_assert_uint_eq(nb, 1);
	ck_assert_uint_eq(f.st.lines, 100);
	teardown(&f);
}
END_TEST

START_TEST(formats_lines_in_order_into_the_batch)
{
	struct fixture		 f;
	struct stream		*s;
	struct proto_record	 r1 = record("web", "first"), r2 = record("web", "second\n");
	static char		 out[4096];
	unsigned		 nb;

	setup(&f, 1 << 20, 4096, 8);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &root, &s), 0);
	ck_assert_int_eq(stream_append(f.t, s, &r1, r1.ts_ns, &who), 0);
	ck_assert_int_eq(stream_append(f.t, s, &r2, r2.ts_ns, &who), 0);
	stream_seal_all(f.t);
	drain(&f, out, sizeof(out), &nb);
	ck_assert_str_eq(out,
	    "2025-11-22T12:00:00.123456Z info [42] first\n"
	    "2025-11-22T12:00:00.123456Z info [42] second\\n\n");
	teardown(&f);
}
END_TEST

/* Appends a record msg from sender w that reports dropped losses; checks the table. */
static void
append_from(struct fixture *f, struct stream *s, const struct format_sender *w, const char *msg,
    uint64_t dropped)
{
	struct proto_record	r = record("web", msg);

	r.dropped = dropped;
	ck_assert_int_eq(stream_append(f->t, s, &r, r.ts_ns, w), 0);
	ck_assert_int_eq(stream_table_check(f->t), 0);
}

/*
 * A sender's reports in a row are one marker, written before its next record
 * that reports nothing, before another sender's report, or at the flush.
 */
START_TEST(sums_a_senders_reports_in_a_row_into_one_marker)
{
	static const struct format_sender	other = { .pid = 43, .uid = 1000, .gid = 1000 };
	struct fixture				f;
	struct stream				*s;
	static char				out[4096];
	unsigned				nb;

	setup(&f, 1 << 20, 4096, 8);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &root, &s), 0);
	append_from(&f, s, &who, "a", 17);
	append_from(&f, s, &who, "b", 3);
	append_from(&f, s, &other, "c", 0);	/* another sender's line: still summing */
	append_from(&f, s, &who, "d", 0);	/* 42 reports nothing: its marker now */
	append_from(&f, s, &who, "e", 1);
	append_from(&f, s, &other, "f", 2);	/* another's report: 42's marker first */
	stream_seal_all(f.t);
	drain(&f, out, sizeof(out), &nb);
	ck_assert_str_eq(out,
	    "2025-11-22T12:00:00.123456Z info [42] a\n"
	    "2025-11-22T12:00:00.123456Z info [42] b\n"
	    "2025-11-22T12:00:00.123456Z info [43] c\n"
	    "2025-11-22T12:00:00.123456Z warning [logd] dropped 20 records: "
	    "pid 42 could not deliver them\n"
	    "2025-11-22T12:00:00.123456Z info [42] d\n"
	    "2025-11-22T12:00:00.123456Z info [42] e\n"
	    "2025-11-22T12:00:00.123456Z warning [logd] dropped 1 record: "
	    "pid 42 could not deliver it\n"
	    "2025-11-22T12:00:00.123456Z info [43] f\n");
	/* 43's 2 wait for the flush timer (stream_flush_markers()). */
	stream_flush_markers(f.t, 0);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	stream_seal_all(f.t);
	drain(&f, out, sizeof(out), &nb);
	ck_assert_ptr_nonnull(strstr(out, " warning [logd] dropped 2 records: pid 43 could not "
	    "deliver them\n"));
	ck_assert_uint_eq(f.st.lines, 9);
	teardown(&f);
}
END_TEST

START_TEST(refuses_record_without_budget_and_appends_nothing)
{
	struct fixture		 f;
	struct stream		*a, *b;
	struct proto_record	 ra = record("a", "x"), rb = record("b", "y");
	struct queue_stats	 st;
	static char		 out[1 << 16];
	unsigned		 nb;

	/* Room for exactly one first batch: its bytes and its line room. */
	setup(&f, STREAM_MIN_BATCH + STREAM_MIN_BATCH / 32 + 1, 4096, 8);
	ck_assert_int_eq(stream_get(f.t, "a", 1, &root, &a), 0);
	ck_assert_int_eq(stream_get(f.t, "b", 1, &root, &b), 0);
	ck_assert_int_eq(stream_append(f.t, a, &ra, ra.ts_ns, &who), 0);
	ck_assert_int_eq(stream_append(f.t, b, &rb, rb.ts_ns, &who), -ENOBUFS);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	queue_stats(f.q, &st);
	ck_assert_uint_le(st.used_bytes, STREAM_MIN_BATCH + STREAM_MIN_BATCH / 32 + 1);
	ck_assert_uint_eq(f.st.lines, 1);
	/* Sealing and writing a frees the budget for b. */
	stream_seal_all(f.t);
	drain(&f, out, sizeof(out), &nb);
	ck_assert_int_eq(stream_append(f.t, b, &rb, rb.ts_ns, &who), 0);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	teardown(&f);
}
END_TEST

START_TEST(a_busy_stream_of_big_records_gets_big_batches)
{
	struct fixture		 f;
	struct stream		*s;
	struct proto_record	 r;
	static char		 msg[1001], out[1 << 20];
	unsigned		 i, nb;

	/* 1,000-byte lines: batches grow from STREAM_MIN_BATCH to 64 KiB, not one line each. */
	memset(msg, 'm', sizeof(msg) - 1);
	r = record("big", msg);
	setup(&f, 1 << 22, 64 * 1024, 8);
	ck_assert_int_eq(stream_get(f.t, "big", 3, &root, &s), 0);
	for (i = 0; i < 500; i++)
		ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who), 0);
	stream_seal_all(f.t);
	ck_assert_uint_gt(drain(&f, out, sizeof(out) - 1, &nb), 500 * 1000);
	/* 8 doublings to 64 KiB, then about 60 lines a batch. */
	ck_assert_uint_le(nb, 8 + 500 / 50);
	teardown(&f);
}
END_TEST

START_TEST(flush_timer_seals_dirty_streams)
{
	struct fixture		 f;
	struct stream		*s;
	struct proto_record	 r = record("web", "hello");
	struct queue_stats	 st;
	int			 rounds = 0;

	setup(&f, 1 << 20, 4096, 8);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &root, &s), 0);
	ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who), 0);
	queue_stats(f.q, &st);
	ck_assert_uint_eq(st.queued_batches, 0);
	/* The only pending event is the flush timer: the loop runs until it has fired. */
	do {
		ck_assert_int_ge(event_base_loop(f.base, EVLOOP_ONCE), 0);
		queue_stats(f.q, &st);
	} while (st.queued_batches == 0 && ++rounds < 1000);
	ck_assert_uint_eq(st.queued_batches, 1);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	teardown(&f);
}
END_TEST

/*
 * More than busy_streams dirty at a flush: each is left to fill its batch
 * until busy_flush_interval has passed since its first line, then sealed.
 */
START_TEST(a_busy_flush_leaves_streams_until_busy_flush_interval)
{
	struct fixture		 f;
	struct stream		*s;
	struct proto_record	 r = record("a", "hello");
	struct queue_stats	 st;
	const char		*names[] = { "a", "b", "c" };
	uint64_t		 t0;
	unsigned		 i, rounds = 0;

	setup(&f, 1 << 20, 4096, 8);
	f.cfg.busy_streams = 2;
	f.cfg.busy_flush_interval_ms = 300;
	stream_table_free(f.t);		/* it read cfg when made */
	ck_assert_int_eq(stream_table_new(f.base, &f.cfg, f.q, &f.st, &f.t), 0);
	t0 = clock_ms(CLOCK_MONOTONIC_COARSE);
	for (i = 0; i < 3; i++) {
		r.name = names[i];
		ck_assert_int_eq(stream_get(f.t, names[i], 1, &root, &s), 0);
		ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who), 0);
	}
	/* The flush timer (1 ms) fires, finds three dirty, seals none of them. */
	ck_assert_int_ge(event_base_loop(f.base, EVLOOP_ONCE), 0);
	queue_stats(f.q, &st);
	if (clock_ms(CLOCK_MONOTONIC_COARSE) < t0 + 250)	/* not a machine stalled that long */
		ck_assert_uint_eq(st.queued_batches, 0);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	/* The timer stays armed until they are due, and then seals all three. */
	do {
		ck_assert_int_ge(event_base_loop(f.base, EVLOOP_ONCE), 0);
		queue_stats(f.q, &st);
	} while (st.queued_batches < 3 && ++rounds < 100000);
	ck_assert_uint_eq(st.queued_batches, 3);
	/* Sealed at the last tick (1 ms apart) before its 300 ms were up, not sooner. */
	ck_assert_uint_ge(clock_ms(CLOCK_MONOTONIC_COARSE), t0 + 300 - 1);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	teardown(&f);
}
END_TEST

/* Counts the lines of out containing what. */
static unsigned
count(const char *out, const char *what)
{
	unsigned	n = 0;

	for (; (out = strstr(out, what)) != NULL; out++)
		n++;
	return n;
}

/* The sum of N over "[logd] dropped N records" in out. */
static unsigned
dropped_sum(const char *out)
{
	unsigned	sum = 0, n;

	for (; (out = strstr(out, "[logd] dropped ")) != NULL; out++)
		if (sscanf(out, "[logd] dropped %u records", &n) == 1)
			sum += n;
	return sum;
}

START_TEST(block_mode_holds_one_stream_to_its_share)
{
	struct fixture		 f;
	struct stream		*a, *b;
	struct proto_record	 ra = record("a", "a flood of lines, all the same"), rb;
	int			 i, rc = 0;

	/* Three batches for stream a, out of a queue that has room for many. */
	setup_with(&f, 1 << 20, 3 * (4096 + 129), 4096, 8, CONFIG_OVERFLOW_BLOCK);
	ck_assert_int_eq(stream_get(f.t, "a", 1, &root, &a), 0);
	ck_assert_int_eq(stream_get(f.t, "b", 1, &root, &b), 0);
	for (i = 0; i < 10000 && (rc = stream_append(f.t, a, &ra, ra.ts_ns, &who)) == 0; i++)
		;
	ck_assert_int_eq(rc, -ENOBUFS);
	ck_assert_int_gt(i, 100);
	ck_assert_int_lt(i, 3 * 4096 / 60);
	/* Another stream is not held up by a's share. */
	rb = record("b", "b is fine");
	ck_assert_int_eq(stream_append(f.t, b, &rb, rb.ts_ns, &who), 0);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	teardown(&f);
}
END_TEST

START_TEST(drop_mode_drops_lowest_priority_first_and_reports_it)
{
	struct fixture		 f;
	struct stream		*s;
	struct proto_record	 r;
	static char		 out[1 << 17];
	unsigned		 nb, i, appended = 0;
	int			 rc;

	setup_with(&f, 1 << 20, 3 * (4096 + 129), 4096, 8, CONFIG_OVERFLOW_DROP);
	ck_assert_int_eq(stream_get(f.t, "s", 1, &root, &s), 0);
	/* 300 debug lines of about 70 bytes: more than three 4 KiB batches. */
	for (i = 0; i < 300; i++) {
		r = record("s", "debug line");
		r.priority = 7;
		rc = stream_append(f.t, s, &r, r.ts_ns, &who);
		ck_assert(rc == 0 || rc == 1);
		appended += rc == 0;
	}
	ck_assert_uint_lt(appended, 300);	/* the share is full: the newest were dropped */
	ck_assert_uint_eq(stats_get(&f.st, STATS_OVERFLOW_DROPPED), 300 - appended);
	/* Then 20 info and 20 err lines: each takes the debug lines' place. */
	for (i = 0; i < 20; i++) {
		r = record("s", "info line");
		ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who), 0);
		r = record("s", "err line");
		r.priority = 3;
		ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who), 0);
		ck_assert_int_eq(stream_table_check(f.t), 0);
		ck_assert_int_eq(queue_check(f.q), 0);
	}
	stream_flush_markers(f.t, 0);
	stream_seal_all(f.t);
	drain(&f, out, sizeof(out), &nb);
	ck_assert_uint_eq(count(out, "info [42] info line"), 20);
	ck_assert_uint_eq(count(out, "err [42] err line"), 20);
	/* Every debug line is either in the file or counted in a marker. */
	ck_assert_uint_eq(count(out, "debug [42] debug line") + dropped_sum(out), 300);
	ck_assert_uint_eq(dropped_sum(out), stats_get(&f.st, STATS_OVERFLOW_DROPPED));
	ck_assert_ptr_nonnull(strstr(out, "warning [" ));
	ck_assert_ptr_nonnull(strstr(out, "the stream's queue was full (overflow = drop; "
	    "lowest priority first): "));
	ck_assert_uint_eq(count(out, " info\n"), 0);	/* no info was dropped */
	teardown(&f);
}
END_TEST

START_TEST(drop_mode_never_drops_a_more_important_line)
{
	struct fixture		 f;
	struct stream		*s;
	struct proto_record	 r;
	static char		 out[1 << 17];
	unsigned		 nb, i, dropped = 0;
	int			 rc;

	setup_with(&f, 1 << 20, 2 * (4096 + 129), 4096, 8, CONFIG_OVERFLOW_DROP);
	ck_assert_int_eq(stream_get(f.t, "s", 1, &root, &s), 0);
	for (i = 0; i < 200; i++) {
		r = record("s", "an err line");
		r.priority = 3;
		ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who) >= 0, 1);
	}
	/* Everything queued is more important than info: the info line goes. */
	r = record("s", "an info line");
	r.dropped = 5;		/* and the loss it reported is carried over */
	rc = stream_append(f.t, s, &r, r.ts_ns, &who);
	ck_assert_int_eq(rc, 1);
	dropped = (unsigned)stats_get(&f.st, STATS_OVERFLOW_DROPPED);
	stream_seal_all(f.t);
	drain(&f, out, sizeof(out), &nb);
	ck_assert_uint_eq(count(out, "an info line"), 0);
	/* Room again: the markers come first. */
	stream_flush_markers(f.t, 0);
	stream_seal_all(f.t);
	drain(&f, out, sizeof(out), &nb);
	ck_assert_ptr_nonnull(strstr(out, "[logd] dropped 5 records: pid 42 could not deliver them"));
	ck_assert_uint_eq(dropped_sum(out), dropped + 5);
	ck_assert_ptr_nonnull(strstr(out, "(overflow = drop; lowest priority first): 1 info"));
	teardown(&f);
}
END_TEST

START_TEST(crit_record_seals_its_batch_for_sync)
{
	struct fixture		 f;
	struct stream		*s;
	struct proto_record	 r = record("s", "info first"), c = record("s", "disk on fire");
	struct batch		*b;

	setup(&f, 1 << 20, 4096, 8);
	c.priority = 2;
	ck_assert_int_eq(stream_get(f.t, "s", 1, &root, &s), 0);
	ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who), 0);
	ck_assert_int_eq(stream_append(f.t, s, &c, c.ts_ns, &who), 0);
	ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who), 0);
	stream_seal_urgent(f.t);
	ck_assert_ptr_nonnull(b = pop(&f));
	ck_assert_uint_eq(b->nrecords, 3);
	ck_assert_uint_eq(b->flags & BATCH_SYNC, BATCH_SYNC);
	queue_batch_free(f.q, b);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	teardown(&f);
}
END_TEST

START_TEST(logds_own_stream_is_apart_and_closed_to_senders)
{
	struct fixture	 f;
	struct stream	*s;
	static char	 out[4096];
	unsigned	 nb;

	setup(&f, 1 << 20, 4096, 1);
	ck_assert_int_eq(stream_get(f.t, CONFIG_SELF_STREAM, 4, &root, &s), -EPERM);
	ck_assert_int_eq(stream_get(f.t, "only", 4, &root, &s), 0);	/* max_streams = 1: its own */
	ck_assert_int_eq(stream_get(f.t, "two", 3, &root, &s), -ENOSPC);
	ck_assert_uint_eq(stats_get(&f.st, STATS_STREAMS), 1);
	ck_assert_int_eq(stream_log(f.t, LOG_NOTICE, "hello %d", 7), 0);
	stream_reject(f.t, "two", 3, &root, 3, -ENOSPC);
	stream_reject(f.t, "two", 3, &root, 2, -ENOSPC);
	stream_reject(f.t, "logd", 4, &root, 1, -EPERM);
	stream_flush_markers(f.t, 1);
	stream_seal_all(f.t);
	drain(&f, out, sizeof(out), &nb);
	ck_assert_ptr_nonnull(strstr(out, " notice ["));
	ck_assert_ptr_nonnull(strstr(out, " [logd] hello 7\n"));
	ck_assert_ptr_nonnull(strstr(out, " [logd] dropped 5 records: stream two could not be "
	    "created: max_streams (1) reached; raise max_streams in logd.conf\n"));
	ck_assert_ptr_nonnull(strstr(out, " [logd] dropped 1 record: stream logd could not be "
	    "created: the name is logd's own stream's\n"));
	ck_assert_int_eq(stream_table_check(f.t), 0);
	teardown(&f);
}
END_TEST

START_TEST(counts_streams_per_uid_and_holds_the_limit)
{
	struct fixture			 f;
	struct stream			*s;
	const struct format_sender	 a = { .pid = 2, .uid = 1000, .gid = 1000 };
	const struct format_sender	 b = { .pid = 3, .uid = 1001, .gid = 1000 };
	char				 name[16];
	int				 i;

	setup(&f, 1 << 20, 4096, 10);
	f.cfg.max_streams_per_uid = 3;
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		ck_assert_int_eq(stream_get(f.t, name, strlen(name), &a, &s), 0);
		ck_assert_int_eq(stream_table_check(f.t), 0);
	}
	ck_assert_int_eq(stream_get(f.t, "a3", 2, &a, &s), -EDQUOT);
	ck_assert_int_eq(stream_get(f.t, "a1", 2, &a, &s), 0);	/* its own still work */
	ck_assert_int_eq(stream_get(f.t, "a2", 2, &b, &s), 0);	/* and others may write them */
	ck_assert_int_eq(stream_get(f.t, "b0", 2, &b, &s), 0);	/* another uid: its own count */
	ck_assert_uint_eq(stream_uid_count(f.t, 1000), 3);
	ck_assert_uint_eq(stream_uid_count(f.t, 1001), 1);
	for (i = 0; i < 6; i++) {				/* root is not counted */
		snprintf(name, sizeof(name), "r%d", i);
		ck_assert_int_eq(stream_get(f.t, name, strlen(name), &root, &s), 0);
	}
	ck_assert_uint_eq(stream_uid_count(f.t, 0), 0);
	ck_assert_int_eq(stream_get(f.t, "b1", 2, &b, &s), -ENOSPC);	/* max_streams = 10 */
	f.cfg.max_streams_per_uid = 0;				/* no limit (SIGHUP) */
	ck_assert_int_eq(stream_get(f.t, "a3", 2, &a, &s), -ENOSPC);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	ck_assert_uint_eq(stats_get(&f.st, STATS_STREAMS), 10);
	teardown(&f);
}
END_TEST

START_TEST(acl_lets_listed_uids_and_primary_gids_write)
{
	struct fixture			 f;
	struct stream			*s, *t;
	const struct format_sender	 in_uid = { .pid = 2, .uid = 1000, .gid = 1000 };
	const struct format_sender	 in_gid = { .pid = 3, .uid = 2000, .gid = 4 };
	const struct format_sender	 out = { .pid = 4, .uid = 3000, .gid = 3000 };
	char				 err[256];

	setup(&f, 1 << 20, 4096, 8);
	ck_assert_int_eq(config_set(&f.cfg, "stream web", "allow_uids", "1000", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&f.cfg, "stream web", "allow_gids", "4", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_check(&f.cfg, err, sizeof(err)), 0);
	stream_reconfigure(f.t);
	/* A denied sender does not create the stream. */
	ck_assert_int_eq(stream_get(f.t, "web", 3, &out, &s), -EACCES);
	ck_assert_uint_eq(stream_count(f.t), 1);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &in_uid, &s), 0);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &in_gid, &t), 0);
	ck_assert_ptr_eq(s, t);
	/* The last lookup is cached: the ACL is still checked on it. */
	ck_assert_int_eq(stream_get(f.t, "web", 3, &out, &t), -EACCES);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &root, &t), -EACCES);	/* root too */
	ck_assert_int_eq(stream_get(f.t, "db", 2, &out, &t), 0);	/* no ACL there */
	ck_assert_int_eq(stream_get(f.t, "web", 3, &out, &t), -EACCES);
	/* SIGHUP: an emptied list lets everyone in. */
	config_defaults(&f.cfg);
	f.cfg.defaults.stream_queue_max_bytes = 1 << 20;
	f.cfg.queue_max_bytes = 1 << 20;
	f.cfg.batch_bytes = 4096;
	f.cfg.max_streams = 8;
	stream_reconfigure(f.t);
	ck_assert_int_eq(stream_get(f.t, "web", 3, &out, &t), 0);
	ck_assert_int_eq(stream_table_check(f.t), 0);
	teardown(&f);
}
END_TEST

START_TEST(create_streams_configured_needs_a_section)
{
	struct fixture			 f;
	struct stream			*s;
	const struct format_sender	 a = { .pid = 2, .uid = 1000, .gid = 1000 };
	char				 err[256], why[160];

	setup(&f, 1 << 20, 4096, 8);
	ck_assert_int_eq(config_set(&f.cfg, "stream known", "max_files", "3", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_check(&f.cfg, err, sizeof(err)), 0);
	f.cfg.create_streams = CONFIG_CREATE_CONFIGURED;
	ck_assert_int_eq(stream_get(f.t, "known", 5, &a, &s), 0);
	ck_assert_int_eq(stream_get(f.t, "unknown", 7, &a, &s), -ENOENT);
	ck_assert_int_eq(stream_get(f.t, "unknown", 7, &root, &s), -ENOENT);
	ck_assert_ptr_nonnull(strstr(stream_reject_why(f.t, -ENOENT, why, sizeof(why)),
	    "create_streams = configured"));
	ck_assert(stream_reject_tells(-ENOENT) && stream_reject_tells(-EACCES) &&
	    stream_reject_tells(-EDQUOT) && !stream_reject_tells(-ENOSPC));
	ck_assert_int_eq(stream_table_check(f.t), 0);
	teardown(&f);
}
END_TEST

START_TEST(a_failed_stream_takes_nothing_and_counts_what_it_loses)
{
	struct fixture		 f;
	struct stream		*s, *ok;
	struct proto_record	 r = record("bad", "lost"), g = record("good", "kept");
	struct batch_loss	 gone = { 0 };
	struct batch		*b;

	setup(&f, 1 << 20, 4096, 8);
	ck_assert_int_eq(stream_get(f.t, "bad", 3, &root, &s), 0);
	ck_assert_int_eq(stream_get(f.t, "good", 4, &root, &ok), 0);
	ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who), 0);	/* in its open batch */
	queue_fail(f.q, 1, 0, &gone);		/* the writer found it cannot write "bad" */
	ck_assert_int_eq(queue_take_news(f.q), 1);
	stream_drop_failed(f.t);		/* its open batch: freed, counted */
	ck_assert_uint_eq(queue_stream_used(f.q, 1), 0);
	r.dropped = 4;				/* and a record carrying a sender's loss */
	ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who), 1);
	ck_assert_int_eq(stream_append(f.t, ok, &g, g.ts_ns, &who), 0);
	stream_seal_all(f.t);
	ck_assert_ptr_nonnull(b = pop(&f));
	ck_assert_uint_eq(b->stream_id, 2);	/* only the good stream's */
	queue_batch_free(f.q, b);
	ck_assert_uint_eq(stats_get(&f.st, STATS_UNWRITABLE), 2);
	ck_assert_uint_eq(stats_get(&f.st, STATS_LINES_REMOVED), 1);
	ck_assert_uint_eq(queue_recover(f.q, 1), 1 + 1 + 4);
	ck_assert_int_eq(stream_append(f.t, s, &r, r.ts_ns, &who), 0);	/* writable again */
	ck_assert_int_eq(stream_table_check(f.t), 0);
	teardown(&f);
}
END_TEST

static Suite *
stream_suite(void)
{
	Suite	*s = suite_create("stream");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, finds_the_same_stream_by_name);
	tcase_add_test(tc, prefetch_hints_change_nothing);
	tcase_add_test(tc, rejects_new_stream_beyond_max_streams);
	tcase_add_test(tc, seals_batch_when_next_line_does_not_fit);
	tcase_add_test(tc, formats_lines_in_order_into_the_batch);
	tcase_add_test(tc, sums_a_senders_reports_in_a_row_into_one_marker);
	tcase_add_test(tc, refuses_record_without_budget_and_appends_nothing);
	tcase_add_test(tc, a_busy_stream_of_big_records_gets_big_batches);
	tcase_add_test(tc, flush_timer_seals_dirty_streams);
	tcase_add_test(tc, a_busy_flush_leaves_streams_until_busy_flush_interval);
	tcase_add_test(tc, block_mode_holds_one_stream_to_its_share);
	tcase_add_test(tc, drop_mode_drops_lowest_priority_first_and_reports_it);
	tcase_add_test(tc, drop_mode_never_drops_a_more_important_line);
	tcase_add_test(tc, crit_record_seals_its_batch_for_sync);
	tcase_add_test(tc, logds_own_stream_is_apart_and_closed_to_senders);
	tcase_add_test(tc, a_failed_stream_takes_nothing_and_counts_what_it_loses);
	tcase_add_test(tc, counts_streams_per_uid_and_holds_the_limit);
	tcase_add_test(tc, acl_lets_listed_uids_and_primary_gids_write);
	tcase_add_test(tc, create_streams_configured_needs_a_section);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(stream_suite());
}
