/*
 * control.c - the control socket, /metrics and the SIGUSR1 dump (see
 * control.h).
 *
 * Clients are bufferevents.  A client has one request in hand at a time:
 * while its reply waits for the writer (streams, rotate, reload) or is not
 * yet read, reading is off, so a client that pipelines requests and never
 * reads the replies holds at most one reply and is dropped at
 * control_timeout.  JSON is read and written with jansson (Debian's
 * libjansson): a request comes from any local user, so it is parsed by a
 * library that validates UTF-8, nesting and numbers, rather than by hand.
 * The counters go out in JSON or in Prometheus text from one table
 * (control_globals(), control_stream_metrics), so the two never disagree.
 * Once a second the tick takes each stream's records per second and ends
 * waits the writer did not answer within CONTROL_WAIT_MS.
 * Invariant: nclients <= control_max_clients (as it was at their accept).
 * Loop thread only.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <jansson.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "diag.h"
#include "ingest.h"

#define CONTROL_TICK_MS		1000

enum control_op {
	CONTROL_OP_NONE,
	CONTROL_OP_STREAMS,
	CONTROL_OP_ROTATE,
	CONTROL_OP_RELOAD,
};

struct control_client {
	struct control		*c;
	struct bufferevent	*bev;
	uid_t			 uid;
	pid_t			 pid;
	enum control_op		 op;		/* waiting for the writer, or NONE */
	uint64_t		 ticket;
	uint64_t		 wait_until_ms;	/* CLOCK_MONOTONIC */
	json_t			*reply;		/* the reply being made (op's) */
	int			 closing;	/* close once the reply is out */
	LIST_ENTRY(control_client) link;
};

struct control {
	struct control_env	 e;
	struct evconnlistener	*listener;
	int			 activated;	/* the socket is systemd's */
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t			 dev;		/* the socket file we bound, to remove only ours */
	ino_t			 ino;
	LIST_HEAD(, control_client) clients;
	uint32_t		 nclients;
	struct event		*tick_ev;
	uint64_t		 tick_ms;	/* CLOCK_MONOTONIC of the last tick */
	uint64_t		*prev;		/* by stream id: records at the last tick */
	uint64_t		*rate;		/* records per second over the last tick */
	struct evhttp		*http;
	struct diag_limit	 accept_limit;
	char			 log_dir[PATH_MAX];	/* cfg's, absolute */
};

/* One of the global counters, as JSON key and Prometheus metric. */
struct control_metric {
	const char	*key;		/* JSON: top level, or in "dropped" */
	const char	*prom;		/* Prometheus name, after "logd_" */
	const char	*help;
	int		 counter;	/* counter (else gauge) */
	uint64_t	 v;
};

#define CONTROL_MAX_METRICS	24

/* The drop reasons: the "dropped" object, logd_dropped_records_total{reason=...}. */
#define CONTROL_NREASONS	10

/* Per stream: the "streams" object's keys, and logd_stream_* metrics. */
static const struct {
	const char	*key;
	const char	*help;
	int		 counter;
} control_stream_metrics[] = {
	{ "records_received", "Records received for the stream.", 1 },
	{ "records_written", "Records of the stream written to its file.", 1 },
	{ "bytes_written", "Bytes written to the stream's file, marker lines included.", 1 },
	{ "dropped", "Records of the stream lost: reported by senders, dropped under "
	    "overflow = drop, rate limited, or unwritable.", 1 },
	{ "queue_bytes", "Bytes the stream's batches hold now.", 0 },
};
#define CONTROL_NSTREAM_METRICS \
	(sizeof(control_stream_metrics) / sizeof(control_stream_metrics[0]))

/* Per forwarder: the "forwarders" object's keys, and logd_forward_* metrics. */
static const struct {
	const char	*key;
	const char	*help;
	int		 counter;
} control_forward_metrics[] = {
	{ "records_sent", "Records the forwarder sent to its collector, again ones included.", 1 },
	{ "bytes_sent", "Bytes the forwarder sent (RFC 5424 with octet counts).", 1 },
	{ "duplicates", "Records sent again after a reconnect or a restart (at least once).", 1 },
	{ "reconnects", "Connections to the collector after the first.", 1 },
	{ "lag_bytes", "Bytes of the forwarded streams' files not yet sent.", 0 },
	{ "lag_seconds", "Age of the oldest line not yet sent; 0 when caught up.", 0 },
	{ "unacked", "Records sent and not yet known delivered (at most max_unacked).", 0 },
	{ "lost_files", "Files removed before the forwarder had sent them, or damaged archives "
	    "it could not read to their end.", 1 },
	{ "unparsed", "Lines that were not logd's, sent as their message.", 1 },
	{ "connected", "1 while connected to the collector.", 0 },
};
#define CONTROL_NFORWARD_METRICS \
	(sizeof(control_forward_metrics) / sizeof(control_forward_metrics[0]))

static void	control_client_free(struct control_client *cl);
static void	on_client_read(struct bufferevent *bev, void *arg);

/* jansson's integers are signed: a saturated counter shows as the largest. */
static json_t *
control_int(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* The global counters, in the order they are shown; returns how many. */
static size_t
control_globals(struct control *c, struct control_metric *m)
{
	const struct stats	*st = c->e.st;
	struct queue_stats	 qs;
	size_t			 n = 0;

	queue_stats(c->e.q, &qs);
#define M(k, p, h, ctr, val)	m[n++] = (struct control_metric){ k, p, h, ctr, val }
	M("records_received", "records_received_total", "Records received in valid datagrams.",
	    1, stats_get(st, STATS_RECORDS));
	M("records_written", "records_written_total", "Records written to the senders' "
	    "streams (logd's own lines not counted).", 1, stats_get(st, STATS_WRITTEN_RECORDS));
	M("bytes_written", "written_bytes_total", "Bytes written to stream files (batches, "
	    "logd's own stream included).", 1, stats_get(st, STATS_WRITTEN_BYTES));
	M("malformed", "malformed_datagrams_total", "Datagrams rejected as malformed, and "
	    "records with an implausible dropped count.", 1, stats_get(st, STATS_MALFORMED));
	M("queue_bytes", "queue_bytes", "Bytes the batches hold now.", 0, qs.used_bytes);
	M("queue_high_water_bytes", "queue_high_water_bytes", "The most bytes the batches "
	    "ever held.", 0, qs.high_water_bytes);
	M("queue_max_bytes", "queue_max_bytes", "queue_max_bytes: the cap on what the "
	    "batches hold.", 0, qs.max_bytes);
	M("clock_skew", "clock_skew_records_total", "Records whose claimed time was more than "
	    "max_clock_skew off: written with the time logd received them.", 1,
	    stats_get(st, STATS_CLOCK_SKEW));
	M("rotations", "rotations_total", "Files rotated.", 1, stats_get(st, STATS_ROTATIONS));
	M("fsyncs", "fsyncs_total", "fdatasync and syncfs calls.", 1,
	    stats_get(st, STATS_FSYNCS));
	M("streams_count", "streams", "Senders' streams now.", 0, stats_get(st, STATS_STREAMS));
	M("unwritable_streams", "unwritable_streams", "Streams that cannot be written now.", 0,
	    stats_get(st, STATS_UNWRITABLE_STREAMS));
	M("write_errors", "write_errors_total", "Failed writes and opens.", 1,
	    stats_get(st, STATS_WRITE_ERRORS));
	M("archives_unforwarded", "archives_unforwarded_total", "Archives the disk limits "
	    "(max_use, keep_free) removed before a forwarder had sent them.", 1,
	    stats_get(st, STATS_ARCHIVES_UNFORWARDED));
	M("lines_unforwarded", "lines_unforwarded_total", "Lines of those archives.", 1,
	    stats_get(st, STATS_LINES_UNFORWARDED));
#undef M
	return n;
}

/* The drop reasons and their counts; returns CONTROL_NREASONS. */
static size_t
control_reasons(struct control *c, struct control_metric *m)
{
	const struct stats	*st = c->e.st;
	uint64_t		 rejected = stats_get(st, STATS_REJECTED);
	uint64_t		 too_many = stats_get(st, STATS_TOO_MANY_STREAMS);
	uint64_t		 acl = stats_get(st, STATS_ACL_DENIED);
	uint64_t		 unconf = stats_get(st, STATS_UNCONFIGURED);
	uint64_t		 per_uid = stats_get(st, STATS_UID_STREAMS);
	uint64_t		 named = too_many + acl + unconf + per_uid;
	size_t			 n = 0;

#define R(k, h, val)	m[n++] = (struct control_metric){ k, NULL, h, 1, val }
	R("queue_full", "dropped under overflow = drop", stats_get(st, STATS_OVERFLOW_DROPPED));
	R("rate_limited", "suppressed by a rate limit", stats_get(st, STATS_RATE_LIMITED));
	R("client_reported", "that senders could not deliver",
	    stats_get(st, STATS_CLIENT_DROPPED));
	R("too_large", "datagrams longer than 64 KiB (each at least one record)",
	    atomic_load_explicit(&st->malformed_by[PROTO_E_TOOBIG], memory_order_relaxed));
	R("too_many_streams", "for new streams past max_streams", too_many);
	R("acl_denied", "from senders a stream's allow_uids and allow_gids do not list", acl);
	R("unconfigured", "for new streams with no [stream NAME] section under "
	    "create_streams = configured", unconf);
	R("uid_streams", "for new streams of a uid past max_streams_per_uid", per_uid);
	R("refused", "for logd's own stream, or a stream there was no memory for",
	    rejected > named ? rejected - named : 0);
	R("unwritable", "of streams that could not be written", stats_get(st, STATS_UNWRITABLE));
#undef R
	return n;
}

/* Stream id's metrics, in control_stream_metrics' order. */
static void
control_stream_values(struct control *c, uint32_t id, uint64_t v[CONTROL_NSTREAM_METRICS])
{
	const struct stats_stream	*ss = stats_stream(c->e.st, id);

	v[0] = stats_stream_get(ss, STATS_S_RECORDS);
	v[1] = stats_stream_get(ss, STATS_S_WRITTEN);
	v[2] = stats_stream_get(ss, STATS_S_WRITTEN_BYTES);
	v[3] = stats_sat_add(stats_stream_get(ss, STATS_S_DROPPED),
	    stats_stream_get(ss, STATS_S_UNWRITABLE));
	v[4] = queue_stream_used(c->e.q, id);
}

/* Forwarder i's metrics, in control_forward_metrics' order; 0 if it has not started. */
static int
control_forward_values(struct control *c, uint32_t i, uint64_t v[CONTROL_NFORWARD_METRICS])
{
	struct forward_stats	fs;

	if (c->e.fwd == NULL || c->e.fwd[i] == NULL)
		return 0;
	forward_stats(c->e.fwd[i], &fs);
	v[0] = fs.records_sent;
	v[1] = fs.bytes_sent;
	v[2] = fs.duplicates;
	v[3] = fs.reconnects;
	v[4] = fs.lag_bytes;
	v[5] = fs.lag_s;
	v[6] = fs.unacked;
	v[7] = fs.lost_files;
	v[8] = fs.unparsed;
	v[9] = (uint64_t)fs.connected;
	return 1;
}

/* The "stats" reply's object: the keys logctl(1) lists. */
static json_t *
control_stats_json(struct control *c)
{
	struct control_metric	 m[CONTROL_MAX_METRICS];
	json_t			*o = json_object(), *d = json_object(), *l = json_object();
	json_t			*mb = json_object();
	json_t			*streams = json_object(), *so;
	uint64_t		 v[CONTROL_NSTREAM_METRICS], count;
	size_t			 i, n;
	uint32_t		 id;

	n = control_globals(c, m);
	for (i = 0; i < n; i++)
		json_object_set_new(o, m[i].key, control_int(m[i].v));
	/* Where the files are: logctl tail and show look there by default. */
	json_object_set_new(o, "log_dir", json_string(c->log_dir));
	n = control_reasons(c, m);
	for (i = 0; i < n; i++)
		json_object_set_new(d, m[i].key, control_int(m[i].v));
	json_object_set_new(o, "dropped", d);
	for (i = PROTO_E_SHORT; i < PROTO_E_COUNT; i++)
		json_object_set_new(mb, proto_reason_key((int)i),
		    control_int(atomic_load_explicit(&c->e.st->malformed_by[i],
		    memory_order_relaxed)));
	json_object_set_new(o, "malformed_by", mb);
	json_object_set_new(l, "p50", control_int(stats_latency_quantile(c->e.st, 0.5, &count)));
	json_object_set_new(l, "p99", control_int(stats_latency_quantile(c->e.st, 0.99, &count)));
	json_object_set_new(l, "count", control_int(count));
	json_object_set_new(o, "write_latency_us", l);
	for (id = 0; id < stream_count(c->e.streams); id++) {
		so = json_object();
		control_stream_values(c, id, v);
		for (i = 0; i < CONTROL_NSTREAM_METRICS; i++)
			json_object_set_new(so, control_stream_metrics[i].key, control_int(v[i]));
		json_object_set_new(streams, stream_name(c->e.streams, id), so);
	}
	json_object_set_new(o, "streams", streams);
	{
		uint64_t	fv[CONTROL_NFORWARD_METRICS];
		json_t		*fwd = json_object(), *fo;

		for (id = 0; id < c->e.nfwd; id++) {
			if (!control_forward_values(c, id, fv))
				continue;
			fo = json_object();
			for (i = 0; i < CONTROL_NFORWARD_METRICS; i++)
				json_object_set_new(fo, control_forward_metrics[i].key,
				    control_int(fv[i]));
			json_object_set_new(fwd, forward_name(c->e.fwd[id]), fo);
		}
		json_object_set_new(o, "forwarders", fwd);
	}
	return o;
}

/* A label value in Prometheus text: \\, \" and \n escaped. */
static void
control_label(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

static void
control_help(struct evbuffer *b, const char *name, const char *help, const char *type)
{
	evbuffer_add_printf(b, "# HELP logd_%s %s\n# TYPE logd_%s %s\n", name, help, name, type);
}

/* The counters in the Prometheus text exposition format (version 0.0.4). */
static void
control_prometheus(struct control *c, struct evbuffer *b)
{
	struct control_metric	 m[CONTROL_MAX_METRICS];
	uint64_t		 v[CONTROL_NSTREAM_METRICS], count, sum;
	char			 name[64];
	size_t			 i, n;
	uint32_t		 id;

	n = control_globals(c, m);
	for (i = 0; i < n; i++) {
		control_help(b, m[i].prom, m[i].help, m[i].counter ? "counter" : "gauge");
		evbuffer_add_printf(b, "logd_%s %" PRIu64 "\n", m[i].prom, m[i].v);
	}
	n = control_reasons(c, m);
	control_help(b, "dropped_records_total", "Records lost, by reason (too_large counts "
	    "datagrams).", "counter");
	for (i = 0; i < n; i++)
		evbuffer_add_printf(b, "logd_dropped_records_total{reason=\"%s\"} %" PRIu64 "\n",
		    m[i].key, m[i].v);
	control_help(b, "malformed_datagrams_by_reason_total", "Datagrams rejected as "
	    "malformed, by the reason logd-protocol(7) gives.", "counter");
	for (i = PROTO_E_SHORT; i < PROTO_E_COUNT; i++)
		evbuffer_add_printf(b, "logd_malformed_datagrams_by_reason_total{reason=\"%s\"} "
		    "%" PRIu64 "\n", proto_reason_key((int)i),
		    atomic_load_explicit(&c->e.st->malformed_by[i], memory_order_relaxed));
	control_help(b, "write_latency_seconds", "Time a write(2) of a batch took.", "summary");
	evbuffer_add_printf(b, "logd_write_latency_seconds{quantile=\"0.5\"} %.6f\n",
	    (double)stats_latency_quantile(c->e.st, 0.5, &count) / 1e6);
	evbuffer_add_printf(b, "logd_write_latency_seconds{quantile=\"0.99\"} %.6f\n",
	    (double)stats_latency_quantile(c->e.st, 0.99, &count) / 1e6);
	sum = atomic_load_explicit(&c->e.st->latency_sum_us, memory_order_relaxed);
	evbuffer_add_printf(b, "logd_write_latency_seconds_sum %.6f\n", (double)sum / 1e6);
	evbuffer_add_printf(b, "logd_write_latency_seconds_count %" PRIu64 "\n", count);
	for (i = 0; i < CONTROL_NSTREAM_METRICS; i++) {
		snprintf(name, sizeof(name), "stream_%s%s", control_stream_metrics[i].key,
		    control_stream_metrics[i].counter ? "_total" : "");
		control_help(b, name, control_stream_metrics[i].help,
		    control_stream_metrics[i].counter ? "counter" : "gauge");
		for (id = 0; id < stream_count(c->e.streams); id++) {
			control_stream_values(c, id, v);
			evbuffer_add_printf(b, "logd_%s{stream=\"", name);
			control_label(b, stream_name(c->e.streams, id));
			evbuffer_add_printf(b, "\"} %" PRIu64 "\n", v[i]);
		}
	}
	for (i = 0; c->e.nfwd > 0 && i < CONTROL_NFORWARD_METRICS; i++) {
		uint64_t	fv[CONTROL_NFORWARD_METRICS];

		snprintf(name, sizeof(name), "forward_%s%s", control_forward_metrics[i].key,
		    control_forward_metrics[i].counter ? "_total" : "");
		control_help(b, name, control_forward_metrics[i].help,
		    control_forward_metrics[i].counter ? "counter" : "gauge");
		for (id = 0; id < c->e.nfwd; id++) {
			if (!control_forward_values(c, id, fv))
				continue;
			evbuffer_add_printf(b, "logd_%s{forwarder=\"", name);
			control_label(b, forward_name(c->e.fwd[id]));
			evbuffer_add_printf(b, "\"} %" PRIu64 "\n", fv[i]);
		}
	}
}

/* CLOCK_REALTIME ms as RFC 3339 UTC with milliseconds, or JSON null for 0. */
static json_t *
control_time(uint64_t ms)
{
	struct tm	tm;
	time_t		t = (time_t)(ms / 1000);
	char		buf[40];

	if (ms == 0 || gmtime_r(&t, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%03uZ", (unsigned)(ms % 1000));
	return json_string(buf);
}

/* The "streams" reply: each stream's files, bytes on disk, rate and last write. */
static json_t *
control_streams_json(struct control *c)
{
	const struct stats_stream	*ss;
	json_t				*a = json_array(), *o;
	uint32_t			 id;

	for (id = 0; id < stream_count(c->e.streams); id++) {
		ss = stats_stream(c->e.st, id);
		o = json_object();
		json_object_set_new(o, "name", json_string(stream_name(c->e.streams, id)));
		json_object_set_new(o, "files", control_int(stats_stream_get(ss,
		    STATS_S_DISK_FILES)));
		json_object_set_new(o, "disk_bytes", control_int(stats_stream_get(ss,
		    STATS_S_DISK_BYTES)));
		json_object_set_new(o, "records_per_s", control_int(c->rate[id]));
		json_object_set_new(o, "last_write", control_time(stats_stream_get(ss,
		    STATS_S_LAST_WRITE_MS)));
		json_object_set_new(o, "records_received", control_int(stats_stream_get(ss,
		    STATS_S_RECORDS)));
		json_object_set_new(o, "records_written", control_int(stats_stream_get(ss,
		    STATS_S_WRITTEN)));
		json_object_set_new(o, "queue_bytes", control_int(queue_stream_used(c->e.q, id)));
		json_object_set_new(o, "writable", json_boolean(!queue_failed(c->e.q, id)));
		json_array_append_new(a, o);
	}
	return a;
}

/* Queues reply (taking it) as one line; after it the client is closed if close. */
static void
control_send(struct control_client *cl, json_t *reply, int close)
{
	struct evbuffer	*out = bufferevent_get_output(cl->bev);
	char		*s = json_dumps(reply, JSON_COMPACT);

	json_decref(reply);
	if (s == NULL) {
		evbuffer_add_printf(out, "{\"ok\":false,\"error\":\"out of memory\"}\n");
	} else {
		evbuffer_add(out, s, strlen(s));
		evbuffer_add(out, "\n", 1);
		free(s);
	}
	cl->closing |= close;
	/* The next request once this reply is read (on_client_write()). */
	bufferevent_disable(cl->bev, EV_READ);
}

static void control_error(struct control_client *cl, int close, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
control_error(struct control_client *cl, int close, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	control_send(cl, json_pack("{s:b,s:s}", "ok", 0, "error", msg), close);
}

/* A reply {"ok":true} with key set to v (taken), if key. */
static json_t *
control_ok(const char *key, json_t *v)
{
	json_t	*o = json_object();

	json_object_set_new(o, "ok", json_true());
	if (key != NULL)
		json_object_set_new(o, key, v);
	return o;
}

/* The client waits for the writer's ticket, its reply made so far in reply. */
static void
control_wait(struct control_client *cl, enum control_op op, uint64_t ticket, json_t *reply)
{
	cl->op = op;
	cl->ticket = ticket;
	cl->reply = reply;
	cl->wait_until_ms = clock_ms(CLOCK_MONOTONIC) + CONTROL_WAIT_MS;
	bufferevent_disable(cl->bev, EV_READ);	/* no idle timeout while we are the slow one */
	if (writer_done(cl->c->e.writer, ticket))
		control_writer_done(cl->c);
}

/* The writer has handled cl's ticket (done), or CONTROL_WAIT_MS have passed. */
static void
control_finish(struct control_client *cl, int done)
{
	json_t		*reply = cl->reply;
	enum control_op	 op = cl->op;

	cl->reply = NULL;
	cl->op = CONTROL_OP_NONE;
	if (op == CONTROL_OP_STREAMS) {
		/* Not done: what is known, with what the writer did not count yet. */
		if (!done)
			json_object_set_new(reply, "note", json_string("the writer did not count the "
			    "files within 5 s (writing stalled?): files and disk_bytes are from "
			    "earlier"));
		json_object_set_new(reply, "streams", control_streams_json(cl->c));
	} else if (!done) {
		json_decref(reply);
		control_error(cl, 0, "asked the writer; it has not done it within %d s (writing "
		    "stalled? see logctl stats); it will when it can", CONTROL_WAIT_MS / 1000);
		return;
	}
	control_send(cl, reply, 0);
}

void
control_writer_done(struct control *c)
{
	struct control_client	*cl, *next;

	for (cl = LIST_FIRST(&c->clients); cl != NULL; cl = next) {
		next = LIST_NEXT(cl, link);
		if (cl->op != CONTROL_OP_NONE && writer_done(c->e.writer, cl->ticket))
			control_finish(cl, 1);
	}
}

/* Whether cl may change logd's state: root, or logd's own user. */
static int
control_allowed(struct control_client *cl, const char *cmd)
{
	if (cl->uid == 0 || cl->uid == geteuid())
		return 1;
	control_error(cl, 0, "%s: permission denied: only root and logd's own user (uid %ld) "
	    "may; you are uid %ld", cmd, (long)geteuid(), (long)cl->uid);
	return 0;
}

static void
control_rotate(struct control_client *cl, json_t *req)
{
	struct control	*c = cl->c;
	json_t		*names = json_object_get(req, "streams"), *v, *done;
	const char	*name;
	uint32_t	 id;
	size_t		 i;

	if (!control_allowed(cl, "rotate"))
		return;
	if (names != NULL && !json_is_array(names)) {
		control_error(cl, 0, "rotate: \"streams\" must be an array of stream names");
		return;
	}
	/* Every name first: an unknown one rotates nothing. */
	json_array_foreach(names, i, v) {
		name = json_string_value(v);
		if (name == NULL || stream_find(c->e.streams, name, strlen(name), &id) < 0) {
			control_error(cl, 0, "rotate: no stream %s%s%s (logctl streams lists them)",
			    name != NULL ? "\"" : "", name != NULL ? name : "that is not a string",
			    name != NULL ? "\"" : "");
			return;
		}
	}
	done = json_array();
	if (names == NULL || json_array_size(names) == 0) {
		for (id = 0; id < stream_count(c->e.streams); id++) {
			writer_mark_rotate(c->e.writer, id);
			json_array_append_new(done, json_string(stream_name(c->e.streams, id)));
		}
	} else {
		json_array_foreach(names, i, v) {
			name = json_string_value(v);
			(void)stream_find(c->e.streams, name, strlen(name), &id);
			writer_mark_rotate(c->e.writer, id);
			json_array_append_new(done, json_string(name));
		}
	}
	diag(LOG_INFO, "control: uid %ld (pid %ld) asked to rotate %zu stream%s", (long)cl->uid,
	    (long)cl->pid, json_array_size(done), json_array_size(done) == 1 ? "" : "s");
	control_wait(cl, CONTROL_OP_ROTATE, writer_request(c->e.writer, WRITER_ROTATE_MARKED),
	    control_ok("rotated", done));
}

static void
control_reload(struct control_client *cl)
{
	struct control	*c = cl->c;
	uint64_t	 ticket;
	char		 err[512];

	if (!control_allowed(cl, "reload"))
		return;
	diag(LOG_INFO, "control: uid %ld (pid %ld) asked to reload", (long)cl->uid,
	    (long)cl->pid);
	if (c->e.reload(c->e.arg, &ticket, err, sizeof(err)) < 0) {
		control_error(cl, 0, "reload: %s", err);
		return;
	}
	control_wait(cl, CONTROL_OP_RELOAD, ticket, control_ok(NULL, NULL));
}

static void
control_stats(struct control_client *cl, json_t *req)
{
	const char	*format = json_string_value(json_object_get(req, "format"));
	struct evbuffer	*b;
	json_t		*text;

	if (format == NULL || strcmp(format, "json") == 0) {
		control_send(cl, control_ok("stats", control_stats_json(cl->c)), 0);
		return;
	}
	if (strcmp(format, "prometheus") != 0) {
		control_error(cl, 0, "stats: unknown format \"%s\" (json or prometheus)", format);
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		control_error(cl, 0, "out of memory");
		return;
	}
	control_prometheus(cl->c, b);
	text = json_stringn((const char *)evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
	control_send(cl, control_ok("prometheus", text), 0);
}

/* One request line (len bytes, its newline taken off). */
static void
control_request(struct control_client *cl, const char *line, size_t len)
{
	json_error_t	 jerr;
	json_t		*req, *reply;
	const char	*cmd;

	if ((req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		control_error(cl, 1, "not a JSON request (%s, at byte %d); closing", jerr.text,
		    jerr.position);
		return;
	}
	if ((cmd = json_string_value(json_object_get(req, "cmd"))) == NULL) {
		control_error(cl, 0, "a request is an object with \"cmd\": stats, streams, "
		    "rotate or reload");
	} else if (strcmp(cmd, "stats") == 0) {
		control_stats(cl, req);
	} else if (strcmp(cmd, "streams") == 0) {
		reply = control_ok("log_dir", json_string(cl->c->log_dir));
		control_wait(cl, CONTROL_OP_STREAMS, writer_request(cl->c->e.writer, WRITER_SCAN),
		    reply);
	} else if (strcmp(cmd, "rotate") == 0) {
		control_rotate(cl, req);
	} else if (strcmp(cmd, "reload") == 0) {
		control_reload(cl);
	} else {
		control_error(cl, 0, "unknown command \"%.64s\" (stats, streams, rotate or reload)",
		    cmd);
	}
	json_decref(req);
}

static void
on_client_read(struct bufferevent *bev, void *arg)
{
	struct control_client	*cl = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 eol;
	size_t			 eol_len, len;
	char			*line;

	if (cl->op != CONTROL_OP_NONE || cl->closing ||
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;		/* one request at a time */
	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
	if (eol.pos < 0) {
		if (evbuffer_get_length(in) >= CONTROL_MAX_REQUEST)
			control_error(cl, 1, "request longer than %d bytes without a newline; "
			    "closing", CONTROL_MAX_REQUEST);
		return;
	}
	if ((size_t)eol.pos + 1 > CONTROL_MAX_REQUEST) {
		control_error(cl, 1, "request longer than %d bytes; closing", CONTROL_MAX_REQUEST);
		return;
	}
	if ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) == NULL) {
		control_error(cl, 1, "out of memory");
		return;
	}
	control_request(cl, line, len);
	free(line);
}

static void
on_client_write(struct bufferevent *bev, void *arg)
{
	struct control_client	*cl = arg;

	if (cl->closing) {
		control_client_free(cl);
		return;
	}
	if (cl->op == CONTROL_OP_NONE) {
		bufferevent_enable(bev, EV_READ);
		on_client_read(bev, cl);	/* a request that came meanwhile */
	}
}

static void
on_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct control_client	*cl = arg;

	/* EOF, an error, or silent (or not reading) for control_timeout. */
	control_client_free(cl);
}

static void
control_client_free(struct control_client *cl)
{
	LIST_REMOVE(cl, link);
	cl->c->nclients--;
	json_decref(cl->reply);
	bufferevent_free(cl->bev);
	free(cl);
}

/* Turned away: said in one non-blocking send, then closed. */
static void
control_refuse(int fd, const char *msg)
{
	(void)send(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

static void
on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct control		*c = arg;
	struct control_client	*cl;
	struct ucred		 uc;
	socklen_t		 uclen = sizeof(uc);
	struct timeval		 tv = { .tv_sec = (time_t)(c->e.cfg->control_timeout_ms / 1000),
				    .tv_usec = (suseconds_t)(c->e.cfg->control_timeout_ms % 1000) *
				    1000 };

	if (c->nclients >= c->e.cfg->control_max_clients) {
		control_refuse(fd, "{\"ok\":false,\"error\":\"too many control clients "
		    "(control_max_clients); try again\"}\n");
		diag_limited(&c->accept_limit, LOG_WARNING, "control: %u clients already "
		    "(control_max_clients); turned one away", c->nclients);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &uclen) < 0 ||
	    (cl = calloc(1, sizeof(*cl))) == NULL) {
		close(fd);
		return;
	}
	cl->c = c;
	cl->uid = uc.uid;
	cl->pid = uc.pid;
	if ((cl->bev = bufferevent_socket_new(c->e.base, fd, BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		free(cl);
		return;
	}
	LIST_INSERT_HEAD(&c->clients, cl, link);
	c->nclients++;
	bufferevent_setcb(cl->bev, on_client_read, on_client_write, on_client_event, cl);
	bufferevent_set_timeouts(cl->bev, &tv, &tv);
	/* At most one request's worth is read ahead; the rest waits in the socket. */
	bufferevent_setwatermark(cl->bev, EV_READ, 0, CONTROL_MAX_REQUEST);
	bufferevent_enable(cl->bev, EV_READ | EV_WRITE);
}

static void
on_accept_error(struct evconnlistener *l, void *arg)
{
	struct control	*c = arg;

	/* Out of file descriptors: stop accepting until the next tick. */
	diag_limited(&c->accept_limit, LOG_WARNING, "control: cannot accept: %s; trying again "
	    "in a second", strerror(errno));
	evconnlistener_disable(l);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct control		*c = arg;
	struct control_client	*cl, *next;
	uint64_t		 now = clock_ms(CLOCK_MONOTONIC), ms = now - c->tick_ms, v;
	uint32_t		 id;

	for (id = 0; id < stream_count(c->e.streams); id++) {
		v = stats_stream_get(stats_stream(c->e.st, id), STATS_S_RECORDS);
		c->rate[id] = ms > 0 ? (v - c->prev[id]) * 1000 / ms : 0;
		c->prev[id] = v;
	}
	c->tick_ms = now;
	for (cl = LIST_FIRST(&c->clients); cl != NULL; cl = next) {
		next = LIST_NEXT(cl, link);
		if (cl->op != CONTROL_OP_NONE && now >= cl->wait_until_ms)
			control_finish(cl, 0);
	}
	if (c->listener != NULL)
		evconnlistener_enable(c->listener);
}

static void
on_metrics(struct evhttp_request *req, void *arg)
{
	struct control	*c = arg;
	struct evbuffer	*b = evbuffer_new();

	if (b == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	control_prometheus(c, b);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

/* /metrics on cfg->metrics_listen. */
static void
control_metrics(struct control *c)
{
	const char	*where = c->e.cfg->metrics_listen;
	char		 addr[CONFIG_MAX_LISTEN];
	uint16_t	 port;

	if (where[0] == '\0' || config_parse_listen(where, addr, &port) < 0)
		return;
	if ((c->http = evhttp_new(c->e.base)) == NULL)
		return;
	evhttp_set_allowed_methods(c->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(c->http, (int)((c->e.cfg->control_timeout_ms + 999) / 1000));
	evhttp_set_max_headers_size(c->http, 8192);
	evhttp_set_max_body_size(c->http, 0);
	evhttp_set_cb(c->http, "/metrics", on_metrics, c);
	if (evhttp_bind_socket_with_handle(c->http, addr, port) == NULL) {
		diag_errno(LOG_ERR, -errno, "metrics_listen = %s: cannot listen; serving no "
		    "/metrics (logging goes on)", where);
		evhttp_free(c->http);
		c->http = NULL;
		return;
	}
	diag(LOG_INFO, "serving Prometheus metrics at http://%s/metrics", where);
}

/* The control socket: systemd's, or bound at control_path.  Said on stderr if not. */
static void
control_listen(struct control *c)
{
	struct stat	sb;
	char		err[512];
	int		fd, backlog = -1;

	if ((fd = c->e.control_fd) >= 0 &&
	    sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
		diag(LOG_ERR, "systemd passed a socket named control that is not a listening Unix "
		    "stream socket; closed it, binding %s instead", c->e.cfg->control_path);
		close(fd);
		fd = -1;
	}
	snprintf(c->path, sizeof(c->path), "%s", c->e.cfg->control_path);
	if (fd >= 0) {
		c->activated = 1;
		backlog = 0;	/* listening already */
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	} else if (ingest_bind(c->e.cfg->control_path, SOCK_STREAM, 0660, "control", err,
	    sizeof(err), &fd) < 0) {
		diag(LOG_ERR, "control socket: %s; until then logctl stats, streams, rotate and "
		    "reload will not reach this logd (logging goes on)", err);
		return;
	} else if (stat(c->path, &sb) == 0) {
		c->dev = sb.st_dev;
		c->ino = sb.st_ino;
	}
	c->listener = evconnlistener_new(c->e.base, on_accept, c, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC, backlog, fd);
	if (c->listener == NULL) {
		diag(LOG_ERR, "cannot listen on control socket %s: out of memory", c->path);
		close(fd);
		return;
	}
	evconnlistener_set_error_cb(c->listener, on_accept_error);
}

int
control_new(const struct control_env *env, struct control **out)
{
	struct control	*c;
	struct timeval	 tv = { .tv_sec = CONTROL_TICK_MS / 1000 };
	uint32_t	 nids = CONFIG_STREAM_IDS(env->cfg);

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		if (env->control_fd >= 0)
			close(env->control_fd);
		return -ENOMEM;
	}
	c->e = *env;
	LIST_INIT(&c->clients);
	c->accept_limit.interval_ms = 5000;
	c->prev = calloc(nids, sizeof(*c->prev));
	c->rate = calloc(nids, sizeof(*c->rate));
	c->tick_ev = event_new(c->e.base, -1, EV_PERSIST, on_tick, c);
	if (c->prev == NULL || c->rate == NULL || c->tick_ev == NULL ||
	    event_add(c->tick_ev, &tv) < 0) {
		if (c->e.control_fd >= 0)
			close(c->e.control_fd);
		control_free(c);
		return -ENOMEM;
	}
	c->tick_ms = clock_ms(CLOCK_MONOTONIC);
	/* logctl may run elsewhere: the log dir it is told is absolute. */
	if (realpath(env->cfg->log_dir, c->log_dir) == NULL)
		snprintf(c->log_dir, sizeof(c->log_dir), "%s", env->cfg->log_dir);
	control_listen(c);
	control_metrics(c);
	*out = c;
	return 0;
}

void
control_free(struct control *c)
{
	struct stat	sb;

	if (c == NULL)
		return;
	while (!LIST_EMPTY(&c->clients))
		control_client_free(LIST_FIRST(&c->clients));
	if (c->listener != NULL) {
		evconnlistener_free(c->listener);
		if (!c->activated && stat(c->path, &sb) == 0 && sb.st_dev == c->dev &&
		    sb.st_ino == c->ino)
			unlink(c->path);
	}
	if (c->http != NULL)
		evhttp_free(c->http);
	if (c->tick_ev != NULL)
		event_free(c->tick_ev);
	free(c->rate);
	free(c->prev);
	free(c);
}

void
control_dump(struct control *c)
{
	struct stats			*st = c->e.st;
	const struct stats_stream	*ss;
	struct queue_stats		 qs;
	struct tm			 tm;
	uint64_t			 quiet, last, count, p50, p99;
	time_t				 t;
	uint32_t			 id;
	char				 at[32], stall[160];
	int				 err;

	queue_stats(c->e.q, &qs);
	quiet = clock_ms(CLOCK_MONOTONIC) - atomic_load(&st->alive_ms);
	stall[0] = '\0';
	if ((err = atomic_load(&st->stall_err)) != 0)
		snprintf(stall, sizeof(stall), "; stalled: %s", strerror(err));
	p50 = stats_latency_quantile(st, 0.5, &count);
	p99 = stats_latency_quantile(st, 0.99, &count);
	diag(LOG_INFO, "state: writer: %s, last step %" PRIu64 " ms ago%s; %" PRIu64
	    " unwritable streams; write latency p50 %" PRIu64 " us, p99 %" PRIu64 " us over %"
	    PRIu64 " writes", atomic_load(&st->busy) ? "writing" : "waiting for work", quiet,
	    stall, stats_get(st, STATS_UNWRITABLE_STREAMS), p50, p99, count);
	diag(LOG_INFO, "state: queue: %" PRIu64 " of %" PRIu64 " bytes (high water %" PRIu64
	    "), %" PRIu64 " batches (%" PRIu64 " bytes) waiting for the writer", qs.used_bytes,
	    qs.max_bytes, qs.high_water_bytes, qs.queued_batches, qs.queued_bytes);
	for (id = 0; id < stream_count(c->e.streams); id++) {
		ss = stats_stream(st, id);
		last = stats_stream_get(ss, STATS_S_LAST_WRITE_MS);
		t = (time_t)(last / 1000);
		if (last == 0 || gmtime_r(&t, &tm) == NULL)
			snprintf(at, sizeof(at), "never");
		else
			strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
		diag(LOG_INFO, "state: stream %s: queue %" PRIu64 " bytes, current.log %" PRIu64
		    " bytes, last write %s, received %" PRIu64 ", written %" PRIu64 ", dropped %"
		    PRIu64 ", unwritable %" PRIu64 ", rate limit suppressed unreported %" PRIu64
		    "%s", stream_name(c->e.streams, id), queue_stream_used(c->e.q, id),
		    stats_stream_get(ss, STATS_S_FILE_BYTES), at,
		    stats_stream_get(ss, STATS_S_RECORDS), stats_stream_get(ss, STATS_S_WRITTEN),
		    stats_stream_get(ss, STATS_S_DROPPED), stats_stream_get(ss, STATS_S_UNWRITABLE),
		    stream_limited_pending(c->e.streams, id),
		    queue_failed(c->e.q, id) ? "; cannot be written now" : "");
	}
	diag(LOG_INFO, "state: %u control clients", c->nclients);
}
