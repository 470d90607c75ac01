/*
 * forward.c - [forward NAME]: the stream files sent to a collector (see forward.h).
 *
 * Each forwarder owns its thread, event base, connection, files and cursor;
 * nothing here is shared with the loop or the writer but the files on disk
 * and the counters (atomics any thread may read).
 *
 * Positions: every file a stream's reader has been in since the cursor gets
 * a sequence number and an identity (inode, the time of its first line, its
 * archive name once known), so a position is (seq, offset) and survives
 * rotation (same inode), compression (same first line, same name) and a
 * restart (the cursor file).  Invariant: s->files holds every file from the
 * confirmed position's to the reader's, in order, and the ring holds every
 * record sent past the confirmed positions, oldest first.
 */
#include "forward.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <jansson.h>
#include <librelp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <zstd.h>

#include "clock.h"
#include "diag.h"
#include "logdir.h"
#include "logline.h"
#include "logtime.h"
#include "proto.h"
#include "rotate.h"

#define FWD_SD_ID		"logd@32473"	/* our SD-ID (enterprise number as rsyslog's) */
#define FWD_CHUNK		(64 * 1024)	/* read from a file at a time */
#define FWD_LINE_MAX		(1u << 20)	/* a longer line is sent cut to this */
#define FWD_OUT_HIGH		(1u << 20)	/* stop reading with this much unsent */
#define FWD_OUT_LOW		(256u * 1024)	/* ... and go on below this */
#define FWD_SNDBUF		(256 * 1024)	/* the socket's send buffer: bounds duplicates */
#define FWD_TLS_SLACK		(64 * 1024)	/* what OpenSSL may hold besides: 4 records */
#define FWD_RELP_BUDGET_MS	(FORWARD_TICK_MS * 8 / 10)	/* RELP sends per tick, at most */
#define FWD_RELP_TIMEOUT_S	10	/* librelp waits this long for an ack or a connect */
#define FWD_SCAN_TICKS		10		/* streams, lag and the cursor: every second */
#define FWD_DRAIN_MS		1000		/* at stop: for the collector to take what is sent */
#define FWD_BACKOFF_MIN_MS	100
#define FWD_CURSOR_MAGIC	"logd-forward-cursor 1"
#define FWD_CURSOR_AGAIN	".again"	/* the cursor file's count of records sent after it */
#define FWD_CURRENT		"current.log"

/* A file a stream's reader has been in. */
struct fwd_file {
	uint64_t	seq;
	uint64_t	ino;
	int64_t		first_ts;	/* its first line's time; 0: empty when seen */
	int64_t		seen_ns;	/* CLOCK_REALTIME when the reader first met it */
	char		name[ROTATE_NAME_MAX];	/* archive name without .zst; "" while unknown */
};

struct fwd_pos {
	uint64_t	seq;
	uint64_t	off;		/* in the file's (decompressed) bytes */
};

/* One entry of a stream directory's listing. */
struct fwd_entry {
	char		name[ROTATE_NAME_MAX];	/* as on disk */
	int		zst;
	uint64_t	ino;
	uint64_t	size;
};

struct fwd_stream {
	char		 name[PROTO_MAX_NAME + 1];
	int		 dfd;			/* its directory, or -1 */
	struct fwd_file	*files;			/* files[0].seq .. the reader's */
	size_t		 nfiles, capfiles;
	struct fwd_pos	 confirmed;		/* everything before is delivered */
	uint64_t	 next_seq;		/* the next file's seq */
	int		 open;			/* fd is the reader's file at next */
	int		 fd;
	ZSTD_DCtx	*zd;			/* reading a .zst archive, else NULL */
	char		*zin;			/* its compressed input */
	size_t		 zin_len, zin_pos;
	char		*buf;			/* read but not yet sent: [start, len) */
	size_t		 start, len, cap;
	uint64_t	 buf_off;		/* file offset of buf[0] */
	int		 skipping;		/* inside a line cut at FWD_LINE_MAX */
	int		 eof;			/* the file is read to its end */
	int		 damaged;		/* an archive that cannot be read on: skipped */
	int64_t		 last_ts;		/* the time of the last line sent */
	uint64_t	 lag_bytes;
	int64_t		 lag_ts;		/* the first unsent line's time, 0: none */
	/* A cursor loaded at start, until the stream is found. */
	int		 has_cursor;
	struct fwd_file	 cursor_file;
	uint64_t	 cursor_off;
};

/* A record sent and not yet known delivered. */
struct fwd_sent {
	uint32_t	stream;
	uint64_t	seq;
	uint64_t	off;		/* its end: the stream's position after it */
	uint64_t	out_end;	/* the connection's bytes up to its end */
};

/* One pin: forwarder fwd has not sent stream's archives named from t_ns on. */
struct forward_pin {
	uint32_t	 fwd;		/* its index in cfg->forwards */
	char		 stream[PROTO_MAX_NAME + 1];
	int64_t		 t_ns;
};

struct forward_pins {
	pthread_mutex_t		 lock;
	struct config_forward	 fwd[CONFIG_MAX_FORWARDS];	/* their names and streams */
	uint32_t		 nfwd;
	struct forward_pin	*pin;
	size_t			 n, cap;
};

struct forwarder {
	struct config_forward	 fc;
	struct forward_pins	*pins;
	char			 host[CONFIG_MAX_HOST];	/* HOSTNAME */
	int			 log_fd;
	int			 cursor_dfd;
	mode_t			 dir_mode, file_mode;
	pthread_t		 thread;
	struct event_base	*base;
	struct event		*ev_tick, *ev_stop;
	struct bufferevent	*bev;
	SSL_CTX			*ssl_ctx;	/* tls:// */
	SSL			*ssl;		/* the connection's (bev owns it), or NULL */
	/* relp://: librelp's client blocks this thread, never the others */
	relpEngine_t		*relp;
	relpClt_t		*relp_clt;	/* connected, or NULL */
	struct evbuffer		*relp_out;	/* records formatted, not yet given to librelp */
	size_t			 relp_sent;	/* ring entries given to librelp, unconfirmed */
	size_t			 relp_window;	/* at most this many unacknowledged (librelp's) */
	int			 relp_failed;	/* librelp reported an error (on_relp_err()) */
	char			 relp_err[256];
	int			 connected;
	uint64_t		 out_total;	/* bytes put into this connection */
	uint64_t		 peer_wnd;	/* the largest window the collector offered */
	int			 idle_ticks;	/* ticks with nothing unsent and unacked */
	uint64_t		 backoff_ms, next_try_ms;
	int			 failing;	/* said once per episode */
	int			 stopping;
	uint64_t		 stop_deadline_ms;
	unsigned		 ticks;
	int			 dirty;		/* the cursor moved since it was saved */
	struct diag_limit	 read_limit;	/* current.log failing to read, retried */
	struct fwd_stream	*streams;
	size_t			 nstreams, capstreams;
	size_t			 rr;		/* round robin over streams */
	struct fwd_sent		*ring;
	size_t			 ring_head, ring_n;
	char			*scratch;	/* one formatted record */
	size_t			 scratch_cap;
	/* Counters: this thread writes, any thread reads. */
	_Atomic uint64_t	 c_records, c_bytes, c_dups, c_reconnects, c_lag_bytes, c_lag_s;
	_Atomic uint64_t	 c_lost, c_unparsed, c_unacked;
	_Atomic int		 c_connected;
	int			 ever_connected;
};

static void	fwd_fill(struct forwarder *f);
static size_t	fwd_send_lines(struct forwarder *f, struct fwd_stream *s, uint32_t idx,
		    int final);

static uint64_t
now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static void
add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

/* ---- pins ---- */

int
forward_pins_new(const struct config *cfg, struct forward_pins **out)
{
	struct forward_pins	*p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	memcpy(p->fwd, cfg->forwards, sizeof(p->fwd));
	p->nfwd = cfg->nforwards;
	*out = p;
	return 0;
}

void
forward_pins_free(struct forward_pins *p)
{
	if (p == NULL)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p->pin);
	free(p);
}

int64_t
forward_pinned(struct forward_pins *p, const char *stream, char who[PROTO_MAX_NAME + 1])
{
	int64_t		t = INT64_MAX, ft;
	uint32_t	k;
	size_t		i;

	if (p == NULL)
		return t;
	pthread_mutex_lock(&p->lock);
	for (k = 0; k < p->nfwd; k++) {
		if (!config_forward_match(&p->fwd[k], stream, strlen(stream)))
			continue;
		ft = INT64_MIN;		/* not read yet: every file waits for it */
		for (i = 0; i < p->n; i++)
			if (p->pin[i].fwd == k && strcmp(p->pin[i].stream, stream) == 0)
				ft = p->pin[i].t_ns;
		if (ft < t) {
			t = ft;
			if (who != NULL)
				snprintf(who, PROTO_MAX_NAME + 1, "%s", p->fwd[k].name);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return t;
}

/* Sets forwarder fwd's pin of stream to t_ns. */
static void
pins_set(struct forward_pins *p, const char *name, const char *stream, int64_t t_ns)
{
	struct forward_pin	*e;
	uint32_t		 fwd;
	size_t			 i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	for (fwd = 0; fwd < p->nfwd && strcmp(p->fwd[fwd].name, name) != 0; fwd++)
		;
	for (i = 0; i < p->n; i++)
		if (p->pin[i].fwd == fwd && strcmp(p->pin[i].stream, stream) == 0)
			break;
	if (i == p->n) {
		if (p->n == p->cap) {
			size_t	cap = p->cap ? p->cap * 2 : 16;

			if ((e = realloc(p->pin, cap * sizeof(*e))) == NULL) {
				pthread_mutex_unlock(&p->lock);
				return;	/* it stays pinned whole: nothing removed unsent */
			}
			p->pin = e;
			p->cap = cap;
		}
		e = &p->pin[p->n++];
		e->fwd = fwd;
		snprintf(e->stream, sizeof(e->stream), "%s", stream);
	}
	p->pin[i].t_ns = t_ns;
	pthread_mutex_unlock(&p->lock);
}

/*
 * Pins s's archives from the confirmed position's file on: from its own
 * archive name's time, or, while it is (or was when met) current.log, from
 * the time it was met: every archive named before was rotated before it,
 * and its own archive will be named later.  A cursor's current.log of an
 * earlier run pins everything until it is found again.
 */
static void
fwd_pin(struct forwarder *f, const char *stream, const struct fwd_file *id)
{
	int64_t	t = INT64_MIN;

	if (id->name[0] == '\0' || rotate_archive_time(id->name, &t) < 0)
		t = id->seen_ns != 0 ? id->seen_ns : INT64_MIN;
	pins_set(f->pins, f->fc.name, stream, t);
}

/* The wall clock in ns, signed as the lines' times are. */
static int64_t
wall_ns(void)
{
	return (int64_t)clock_ns(CLOCK_REALTIME);
}

/* ---- RFC 5424 ---- */

/* An SD-PARAM value: '"', '\' and ']' escaped (RFC 5424 6.3.3). */
static char *
put_sd_value(char *p, const char *s, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\' || s[i] == ']')
			*p++ = '\\';
		*p++ = s[i];
	}
	return p;
}

static char *
put_param(char *p, const char *name, const char *v, size_t len)
{
	size_t	n = strlen(name);

	*p++ = ' ';
	memcpy(p, name, n);
	p += n;
	*p++ = '=';
	*p++ = '"';
	p = put_sd_value(p, v, len);
	*p++ = '"';
	return p;
}

static char *
put_param_u64(char *p, const char *name, uint64_t v)
{
	char	num[24];
	int	n = snprintf(num, sizeof(num), "%" PRIu64, v);

	return put_param(p, name, num, (size_t)n);
}

/* Whether s is UTF-8 with at least one byte above 0x7f: then MSG gets its BOM. */
static int
needs_bom(const unsigned char *s, size_t len)
{
	size_t	i = 0, n, k;
	int	high = 0;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		high = 1;
		if ((s[i] & 0xe0) == 0xc0 && s[i] >= 0xc2)
			n = 1;
		else if ((s[i] & 0xf0) == 0xe0)
			n = 2;
		else if ((s[i] & 0xf8) == 0xf0 && s[i] <= 0xf4)
			n = 3;
		else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += n + 1;
	}
	return high;
}

static int
priority_named(const char *s)
{
	int	i;

	for (i = 0; i <= PROTO_MAX_PRIORITY; i++)
		if (s != NULL && strcmp(proto_priorities[i].name, s) == 0)
			return i;
	return 5;	/* notice */
}

/* A JSON field key as an SD-NAME: at most 32 of printable ASCII but = ] " and blank. */
static char *
put_sd_name_param(char *p, const char *key, const char *v, size_t len)
{
	char	name[33];
	size_t	i;

	for (i = 0; key[i] != '\0' && i < 32; i++)
		name[i] = key[i] > 32 && key[i] < 127 && key[i] != '=' && key[i] != ']' &&
		    key[i] != '"' ? key[i] : '_';
	name[i] = '\0';
	if (i == 0)
		return p;
	return put_param(p, name, v, len);
}

long
forward_format(const char *line, size_t len, const char *stream, const char *host,
    const char *app, uint32_t facility, char *out, size_t cap, int *parsed)
{
	struct logline	 l;
	json_t		*o = NULL, *v;
	const char	*ts = "-", *msg = line, *key;
	char		*p, *body, *m;
	size_t		 ts_len = 1, msg_len = len, n;
	uint64_t	 pid = 0;
	int		 prio = 5, digits;
	char		 num[24];

	if (cap < 3 * (size_t)len + 1024 + strlen(host) + strlen(app))
		return 0;
	*parsed = logline_parse(line, len, &l) == 0;
	if (*parsed && l.json) {
		json_error_t	jerr;

		if ((o = json_loadb(line, len, 0, &jerr)) == NULL || !json_is_object(o))
			*parsed = 0;
	}
	/* The header after room for the octet count: 20 digits and a blank. */
	body = p = out + 21;
	if (*parsed) {
		ts = l.ts;
		ts_len = LOGTIME_STAMP_LEN;
		prio = l.priority;
		pid = l.pid;
		if (o != NULL) {
			prio = priority_named(json_string_value(json_object_get(o, "priority")));
			v = json_object_get(o, "pid");
			pid = json_is_integer(v) && json_integer_value(v) > 0 ?
			    (uint64_t)json_integer_value(v) : 0;
			if (json_is_true(json_object_get(o, "logd")))
				pid = 0;
		} else if (l.logd) {
			pid = 0;
		}
	}
	p += snprintf(p, 8, "<%u>1 ", facility * 8 + (uint32_t)prio);
	memcpy(p, ts, ts_len);
	p += ts_len;
	p += snprintf(p, cap - (size_t)(p - out), " %s %s ", host, app);
	if (pid > 0)
		p += snprintf(p, 24, "%" PRIu64, pid);
	else
		*p++ = '-';
	memcpy(p, " - [" FWD_SD_ID, 4 + sizeof(FWD_SD_ID) - 1);
	p += 4 + sizeof(FWD_SD_ID) - 1;
	p = put_param(p, "stream", stream, strlen(stream));
	if (o != NULL) {
		static const char *const strs[] = { "ident", "file", "func", "claimed_ts" };
		size_t	i;

		if (json_is_integer(v = json_object_get(o, "uid")))
			p = put_param_u64(p, "uid", (uint64_t)json_integer_value(v));
		if (json_is_integer(v = json_object_get(o, "gid")))
			p = put_param_u64(p, "gid", (uint64_t)json_integer_value(v));
		for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (json_is_string(v = json_object_get(o, strs[i])))
				p = put_param(p, strs[i], json_string_value(v),
				    json_string_length(v));
		if (json_is_integer(v = json_object_get(o, "line")))
			p = put_param_u64(p, "line", (uint64_t)json_integer_value(v));
		if (json_is_integer(v = json_object_get(o, "dropped")))
			p = put_param_u64(p, "dropped", (uint64_t)json_integer_value(v));
		if (json_is_true(json_object_get(o, "more")))
			p = put_param(p, "more", "1", 1);
		json_object_foreach(json_object_get(o, "fields"), key, v)
			if (json_is_string(v))
				p = put_sd_name_param(p, key, json_string_value(v),
				    json_string_length(v));
	} else if (*parsed) {
		if (l.more)
			p = put_param(p, "more", "1", 1);
		if (l.claimed != NULL)
			p = put_param(p, "claimed_ts", l.claimed, LOGTIME_STAMP_LEN);
	}
	*p++ = ']';
	*p++ = ' ';
	/* MSG: the message as it was sent (escapes undone), a BOM only for non-ASCII UTF-8. */
	m = p + 3;
	if (o != NULL) {
		v = json_object_get(o, "message");
		msg = json_is_string(v) ? json_string_value(v) : "";
		msg_len = json_is_string(v) ? json_string_length(v) : 0;
		memcpy(m, msg, msg_len);
		n = msg_len;
	} else if (*parsed) {
		n = logline_message(&l, m);
	} else {
		memcpy(m, line, len);
		n = len;
	}
	if (needs_bom((const unsigned char *)m, n)) {
		memcpy(p, "\xef\xbb\xbf", 3);
		p = m + n;
	} else {
		memmove(p, m, n);
		p += n;
	}
	json_decref(o);
	/* The octet count goes right before the message (RFC 6587 3.4.1). */
	digits = snprintf(num, sizeof(num), "%zu ", (size_t)(p - body));
	memcpy(body - digits, num, (size_t)digits);
	memmove(out, body - digits, (size_t)(p - body) + (size_t)digits);
	return (long)((size_t)(p - body) + (size_t)digits);
}

/* ---- a stream's files ---- */

static int
entry_cmp(const void *a, const void *b)
{
	const struct fwd_entry	*x = a, *y = b;
	int			 xc = strcmp(x->name, FWD_CURRENT) == 0;
	int			 yc = strcmp(y->name, FWD_CURRENT) == 0;

	if (xc != yc)
		return xc - yc;		/* current.log is the newest */
	return strcmp(x->name, y->name);
}

/* An entry's name without ".zst": its archive name ("" for current.log). */
static void
entry_stem(const struct fwd_entry *e, char stem[ROTATE_NAME_MAX])
{
	size_t	len = strlen(e->name);

	if (strcmp(e->name, FWD_CURRENT) == 0)
		len = 0;
	else if (e->zst)
		len -= 4;
	memcpy(stem, e->name, len);
	stem[len] = '\0';
}

/* The archives of dfd, oldest first, then current.log (if there).  0 or -errno. */
static int
fwd_list(int dfd, struct fwd_entry **out, size_t *nout)
{
	struct fwd_entry	*list = NULL, *e;
	struct dirent		*de;
	struct stat		 sb;
	size_t			 n = 0, cap = 0, i, k;
	char			 stem[ROTATE_NAME_MAX];
	DIR			*d;

	if ((d = logdir_list(dfd)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if ((!rotate_is_archive(de->d_name) && strcmp(de->d_name, FWD_CURRENT) != 0) ||
		    logdir_regular(dfd, de->d_name, &sb) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((e = realloc(list, cap * sizeof(*list))) == NULL) {
				free(list);
				closedir(d);
				return -ENOMEM;
			}
			list = e;
		}
		e = &list[n++];
		snprintf(e->name, sizeof(e->name), "%.47s", de->d_name);	/* fits: archive names */
		e->zst = strlen(e->name) > 4 && strcmp(e->name + strlen(e->name) - 4, ".zst") == 0;
		e->ino = (uint64_t)sb.st_ino;
		e->size = (uint64_t)sb.st_size;
	}
	closedir(d);
	if (n > 0)
		qsort(list, n, sizeof(*list), entry_cmp);
	/*
	 * An archive and its .zst (sorted next to it) both there: the compressor
	 * has made the .zst whole and is about to remove the archive.  Only the
	 * .zst is listed, or a reader at the end of the archive would take the
	 * .zst for the file after it, and send it all again.
	 */
	for (i = k = 0; i < n; i++) {
		if (i + 1 < n && !list[i].zst && list[i + 1].zst) {
			entry_stem(&list[i + 1], stem);
			if (strcmp(stem, list[i].name) == 0)
				continue;
		}
		list[k++] = list[i];
	}
	*out = list;
	*nout = k;
	return 0;
}

/*
 * The time of the first line of the open file fd (zst: compressed), 0 if it
 * is empty or has none.  pread(2): fd's offset does not move.
 */
static void
fd_head(int fd, int zst, int64_t *ts)
{
	char		 buf[64];
	size_t		 got = 0;
	ssize_t		 n;

	if (zst) {
		ZSTD_DCtx	*zd = ZSTD_createDCtx();
		char		 in[4096];
		off_t		 at = 0;
		ZSTD_outBuffer	 ob = { buf, sizeof(buf), 0 };

		while (zd != NULL && ob.pos < ob.size && (n = pread(fd, in, sizeof(in), at)) > 0) {
			ZSTD_inBuffer	ib = { in, (size_t)n, 0 };

			at += n;
			while (ib.pos < ib.size && ob.pos < ob.size)
				if (ZSTD_isError(ZSTD_decompressStream(zd, &ob, &ib)))
					break;
		}
		got = ob.pos;
		ZSTD_freeDCtx(zd);
	} else if ((n = pread(fd, buf, sizeof(buf), 0)) > 0) {
		got = (size_t)n;
	}
	if (logline_time(buf, got, ts) < 0)
		*ts = 0;
}

/* The time of the first line of entry e (0 if it is empty or has none).  0 or -errno. */
static int
entry_head(int dfd, const struct fwd_entry *e, int64_t *ts)
{
	int	fd;

	*ts = 0;
	if ((fd = logdir_file(dfd, e->name, O_RDONLY | O_CLOEXEC, NULL, NULL)) < 0)
		return fd;
	fd_head(fd, e->zst, ts);
	close(fd);
	return 0;
}

/*
 * Where file id is in list: by inode (a plain file), by archive name (.zst
 * too), or by the time of its first line (an archive compressed before its
 * name was seen).  An inode is freed when its archive is compressed and
 * may come back as a new file, empty at first: once id's first line is
 * known, a file with its inode is id only if it starts with that line.
 * Failing all that, a file with its inode whose first line says nothing
 * (empty: a crash lost what the cursor saw, or current.log read just as a
 * rotation replaced it) is taken for id.  Its index, or -1.
 */
static long
fwd_find(int dfd, const struct fwd_entry *list, size_t n, const struct fwd_file *id)
{
	char	stem[ROTATE_NAME_MAX];
	int64_t	ts;
	long	blank = -1;	/* the first file with its inode and a head that says nothing */
	size_t	i;

	for (i = 0; i < n; i++) {
		if (list[i].zst || list[i].ino != id->ino)
			continue;
		if (id->first_ts == 0)
			return (long)i;
		if (entry_head(dfd, &list[i], &ts) < 0 || ts == 0) {
			if (blank < 0)
				blank = (long)i;
		} else if (ts == id->first_ts) {
			return (long)i;
		}
	}
	for (i = 0; id->name[0] != '\0' && i < n; i++) {
		entry_stem(&list[i], stem);
		if (strcmp(stem, id->name) == 0)
			return (long)i;
	}
	for (i = 0; id->first_ts != 0 && i < n; i++)
		if (entry_head(dfd, &list[i], &ts) == 0 && ts == id->first_ts)
			return (long)i;
	return blank;
}

static void
fwd_close_file(struct fwd_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	ZSTD_freeDCtx(s->zd);
	s->zd = NULL;
	s->zin_len = s->zin_pos = 0;
	s->open = 0;
	s->start = s->len = 0;
	s->skipping = 0;
	s->eof = 0;
	s->damaged = 0;
}

static struct fwd_file *
fwd_last(struct fwd_stream *s)
{
	return &s->files[s->nfiles - 1];
}

/* Appends a file to s's list (a new seq).  0 or -ENOMEM. */
static int
fwd_push_file(struct fwd_stream *s, const struct fwd_file *id)
{
	struct fwd_file	*p;

	if (s->nfiles == s->capfiles) {
		size_t	cap = s->capfiles ? s->capfiles * 2 : 4;

		if ((p = realloc(s->files, cap * sizeof(*p))) == NULL)
			return -ENOMEM;
		s->files = p;
		s->capfiles = cap;
	}
	s->files[s->nfiles] = *id;
	s->files[s->nfiles].seq = s->next_seq++;
	s->nfiles++;
	return 0;
}

/* Decompressed or plain bytes of s's open file into buf.  Bytes, 0 at the end, or -errno. */
static ssize_t
fwd_read(struct fwd_stream *s, char *buf, size_t cap)
{
	ssize_t	n;

	if (s->zd == NULL) {
		while ((n = read(s->fd, buf, cap)) < 0 && errno == EINTR)
			;
		return n < 0 ? -errno : n;
	}
	for (;;) {
		ZSTD_outBuffer	ob = { buf, cap, 0 };
		ZSTD_inBuffer	ib = { s->zin, s->zin_len, s->zin_pos };
		size_t		r;

		if (s->zin_pos == s->zin_len) {
			if ((n = read(s->fd, s->zin, FWD_CHUNK)) < 0)
				return errno == EINTR ? 0 : -errno;
			if (n == 0)
				return 0;
			s->zin_len = (size_t)n;
			s->zin_pos = 0;
			ib.size = s->zin_len;
			ib.pos = 0;
		}
		r = ZSTD_decompressStream(s->zd, &ob, &ib);
		s->zin_pos = ib.pos;
		if (ZSTD_isError(r))
			return -EBADMSG;
		if (ob.pos > 0)
			return (ssize_t)ob.pos;
	}
}

/*
 * Opens list entry e of s's directory: a descriptor, or -errno.  Between the
 * listing and now the name may have come to hold another file (current.log
 * rotated, an archive compressed and its inode reused): -ESTALE, list again.
 * Reading one file under another's identity would confirm its offsets as
 * the other's, and skip the other whole.
 */
static int
fwd_open_listed(struct fwd_stream *s, const struct fwd_entry *e)
{
	struct stat	sb;
	int		fd;

	if ((fd = logdir_file(s->dfd, e->name, O_RDONLY | O_CLOEXEC, NULL, NULL)) < 0)
		return fd;
	if (fstat(fd, &sb) < 0 || (uint64_t)sb.st_ino != e->ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* Reads entry e of s's directory, open as fd (fwd_open_listed()), from off.  0 or -errno. */
static int
fwd_open_entry(struct fwd_stream *s, const struct fwd_entry *e, int fd, uint64_t off)
{
	char	skip[8192];
	ssize_t	n;

	s->fd = fd;
	if (e->zst) {
		if ((s->zin == NULL && (s->zin = malloc(FWD_CHUNK)) == NULL) ||
		    (s->zd = ZSTD_createDCtx()) == NULL) {
			fwd_close_file(s);
			return -ENOMEM;
		}
		s->buf_off = 0;
		while (s->buf_off < off) {
			n = fwd_read(s, skip, off - s->buf_off < sizeof(skip) ?
			    (size_t)(off - s->buf_off) : sizeof(skip));
			if (n <= 0)
				break;
			s->buf_off += (uint64_t)n;
		}
	} else {
		s->buf_off = off <= e->size ? off : 0;	/* shorter than we knew: a new file */
		if (lseek(s->fd, (off_t)s->buf_off, SEEK_SET) < 0) {
			fwd_close_file(s);
			return -errno;
		}
	}
	s->open = 1;
	return 0;
}

/* An identity for list entry e of s's directory, open as fd (its head is read there). */
static void
fwd_identify(const struct fwd_entry *e, int fd, struct fwd_file *id)
{
	memset(id, 0, sizeof(*id));
	id->ino = e->ino;
	id->seen_ns = wall_ns();
	entry_stem(e, id->name);
	fd_head(fd, e->zst, &id->first_ts);
}

/*
 * Positions s's reader at id's file, offset off (a cursor, or the confirmed
 * position after a reconnect).  A file that is gone (retention removed it
 * unsent) is counted and the oldest file there is read from its start.
 * s->files becomes that one file.  0 or -errno.
 */
static int
fwd_seek(struct forwarder *f, struct fwd_stream *s, const struct fwd_file *id, uint64_t off)
{
	struct fwd_entry	*list = NULL;
	struct fwd_file		 at;
	size_t			 n;
	long			 i = -1;
	int			 rc, fd, found;

	fwd_close_file(s);
	if ((rc = fwd_list(s->dfd, &list, &n)) < 0)
		return rc;
	if (n == 0) {
		free(list);
		return -ENOENT;		/* no current.log yet */
	}
	if (id != NULL)
		i = fwd_find(s->dfd, list, n, id);
	if (!(found = i >= 0))
		i = 0;		/* the oldest file there, from its start */
	/* Nothing changes until the file is open: a failure is tried again from id. */
	if ((fd = fwd_open_listed(s, &list[i])) < 0) {
		free(list);
		return fd;
	}
	if (!found) {
		if (id != NULL) {
			add(&f->c_lost, 1);
			diag(LOG_WARNING, "forward %s: stream %s: the file at the cursor (%s, "
			    "offset %" PRIu64 ") is gone, removed before it was sent; going on "
			    "with the oldest file there", f->fc.name, s->name,
			    id->name[0] != '\0' ? id->name : "current.log then", off);
		}
		off = 0;
	}
	fwd_identify(&list[i], fd, &at);
	if (found && id->first_ts != 0)
		at.first_ts = id->first_ts;
	s->nfiles = 0;
	if ((rc = fwd_push_file(s, &at)) < 0)
		close(fd);
	else
		rc = fwd_open_entry(s, &list[i], fd, off);
	if (rc == 0) {
		s->confirmed = (struct fwd_pos){ fwd_last(s)->seq, s->buf_off };
		fwd_pin(f, s->name, fwd_last(s));
	}
	free(list);
	return rc;
}

/*
 * The reader is at the end of its file: if the file is no longer
 * current.log (rotated), goes on with the next one.  1 if it moved, 0 if
 * the file is still the live one (wait for more), -errno.
 */
static int
fwd_next_file(struct forwarder *f, struct fwd_stream *s, uint32_t idx)
{
	struct fwd_entry	*list = NULL;
	struct fwd_file		*cur = fwd_last(s), id;
	struct stat		 sb;
	size_t			 n;
	long			 i;
	int			 rc, fd;

	if (cur->name[0] == '\0' && fstatat(s->dfd, FWD_CURRENT, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (uint64_t)sb.st_ino == cur->ino)
		return 0;	/* still current.log */
	if (!s->eof) {
		s->eof = 1;	/* rotated: read what was written before, once more */
		return 1;
	}
	/* Its last line, if the writer never ended it (a crash), goes as it is. */
	if (s->len > s->start) {
		fwd_send_lines(f, s, idx, 1);
		if (s->len > s->start)
			return 0;	/* no room yet */
		diag(LOG_WARNING, "forward %s: stream %s: a file ended in a line without its "
		    "newline; sent it as it was", f->fc.name, s->name);
	}
	if ((rc = fwd_list(s->dfd, &list, &n)) < 0)
		return rc;
	if (n == 0) {
		free(list);
		return 0;
	}
	if ((i = fwd_find(s->dfd, list, n, cur)) >= 0 && (size_t)i + 1 < n) {
		entry_stem(&list[i], cur->name);	/* its archive name, for the cursor */
		if (cur == &s->files[0])
			fwd_pin(f, s->name, cur);
		i++;
	} else if (i < 0) {
		/* Gone from the directory (we read it through our fd): the next by time. */
		int64_t	ts;

		for (i = 0; (size_t)i < n; i++)
			if (entry_head(s->dfd, &list[i], &ts) == 0 && ts >= s->last_ts)
				break;
		if ((size_t)i == n)
			i = (long)n - 1;
	} else {
		free(list);
		return 0;	/* current.log rotated but the new one is not here yet */
	}
	/* Still at the end of this file until the next is open: a failure tries again. */
	if ((fd = fwd_open_listed(s, &list[i])) < 0) {
		free(list);
		return fd == -ESTALE || fd == -ENOENT ? 0 : fd;
	}
	fwd_identify(&list[i], fd, &id);
	fwd_close_file(s);
	if ((rc = fwd_push_file(s, &id)) < 0)
		close(fd);
	else
		rc = fwd_open_entry(s, &list[i], fd, 0);
	free(list);
	return rc < 0 ? rc : 1;
}

/* ---- the connection ---- */

static struct fwd_sent *
ring_at(struct forwarder *f, size_t i)
{
	return &f->ring[(f->ring_head + i) % f->fc.max_unacked];
}

/* Where formatted records go: the connection's output, or RELP's buffer. */
static struct evbuffer *
fwd_out(struct forwarder *f)
{
	return f->relp != NULL ? f->relp_out : bufferevent_get_output(f->bev);
}

/* Bytes the kernel has not had acknowledged (SIOCOUTQ), or -1. */
static long
fwd_outq(struct forwarder *f)
{
	int	fd = f->bev != NULL ? bufferevent_getfd(f->bev) : -1, v;

	if (fd < 0 || ioctl(fd, SIOCOUTQ, &v) < 0)
		return -1;
	return v;
}

/*
 * Bytes the collector's kernel may hold that it acknowledged and the
 * collector has not read: at most its receive buffer (resend_window, or the
 * largest window it offered if more) less the window it offers now
 * (TCP_INFO's tcpi_snd_wnd, Linux 5.4 and later; without it, all of it).
 */
static uint64_t
fwd_peer_unread(struct forwarder *f)
{
	struct tcp_info	ti;
	socklen_t	len = sizeof(ti);
	uint64_t	wnd = 0, most;

	if (getsockopt(bufferevent_getfd(f->bev), IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
	    len >= offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof(ti.tcpi_snd_wnd))
		wnd = ti.tcpi_snd_wnd;
	if (wnd > f->peer_wnd)
		f->peer_wnd = wnd;
	most = f->peer_wnd > f->fc.resend_window ? f->peer_wnd : f->fc.resend_window;
	return most - wnd;
}

/* The connection's bytes handed to the kernel; the rest waits in its output buffer. */
static uint64_t
fwd_written(struct forwarder *f)
{
	return f->out_total - evbuffer_get_length(bufferevent_get_output(f->bev));
}

/* Moves the confirmed positions up to the records whose end is at most safe. */
static void
fwd_confirm(struct forwarder *f, uint64_t safe)
{
	struct fwd_sent		*r;
	struct fwd_stream	*s;
	size_t			 k;

	while (f->ring_n > 0 && (r = ring_at(f, 0))->out_end <= safe) {
		s = &f->streams[r->stream];
		f->ring_head = (f->ring_head + 1) % f->fc.max_unacked;
		f->ring_n--;
		/* A record of a file the reader has left by seeking (a read error) is done. */
		if (s->nfiles == 0 || r->seq < s->files[0].seq || r->seq > fwd_last(s)->seq)
			continue;
		s->confirmed = (struct fwd_pos){ r->seq, r->off };
		f->dirty = 1;
		/* Files before the confirmed one are not needed any more. */
		for (k = 0; k < s->nfiles && s->files[k].seq < s->confirmed.seq; k++)
			;
		if (k > 0) {
			memmove(s->files, s->files + k, (s->nfiles - k) * sizeof(*s->files));
			s->nfiles -= k;
			fwd_pin(f, s->name, &s->files[0]);
		}
	}
	atomic_store(&f->c_unacked, f->ring_n);
}

/*
 * What may still be lost in the kernels: what SIOCOUTQ reports
 * unacknowledged, the send buffer, and what the collector's kernel may hold
 * unread.  Nothing once the connection has been idle with nothing
 * unacknowledged.
 */
static void
fwd_confirm_now(struct forwarder *f, long outq)
{
	uint64_t	written = fwd_written(f);
	uint64_t	window;
	int		sndbuf = 0;
	socklen_t	len = sizeof(sndbuf);

	if (outq == 0 && written == f->out_total)
		f->idle_ticks++;
	else
		f->idle_ticks = 0;
	if (f->idle_ticks >= 2) {
		fwd_confirm(f, written);
		return;
	}
	(void)getsockopt(bufferevent_getfd(f->bev), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len);
	window = (uint64_t)(outq < 0 ? sndbuf : outq) + (uint64_t)sndbuf + fwd_peer_unread(f) +
	    (f->ssl_ctx != NULL ? FWD_TLS_SLACK : 0);
	if (written > window)
		fwd_confirm(f, written - window);
}

/*
 * Records sent after the confirmed positions, which a reconnect or a restart
 * sends again: RELP's unacknowledged, or those the kernel was given (and
 * one it may have been given a part of); not those still in the output.
 */
static uint64_t
fwd_unconfirmed(struct forwarder *f)
{
	uint64_t	written;
	size_t		n = 0;

	if (f->relp != NULL)
		return f->relp_sent;
	if (f->bev == NULL)
		return f->ring_n;
	written = fwd_written(f);
	while (n < f->ring_n && ring_at(f, n)->out_end <= written)
		n++;
	return n < f->ring_n && written > (n > 0 ? ring_at(f, n - 1)->out_end : 0) ? n + 1 : n;
}

/*
 * The connection is gone: every stream goes back to its confirmed
 * position, and what was sent after it will be sent again.
 */
static void
fwd_rewind(struct forwarder *f)
{
	struct fwd_stream	*s;
	size_t			 i;
	uint64_t		 again = fwd_unconfirmed(f);

	add(&f->c_dups, again);
	f->ring_n = 0;
	f->ring_head = 0;
	f->relp_sent = 0;
	if (f->relp_out != NULL)	/* its records are read again from the files */
		evbuffer_drain(f->relp_out, evbuffer_get_length(f->relp_out));
	atomic_store(&f->c_unacked, 0);
	for (i = 0; i < f->nstreams; i++) {
		s = &f->streams[i];
		if (s->dfd < 0 || s->nfiles == 0)
			continue;
		struct fwd_file	id = s->files[0];
		uint64_t	off = s->confirmed.off;

		/* files[0] is the confirmed position's file (fwd_confirm() keeps it so). */
		if (fwd_seek(f, s, &id, off) < 0)
			fwd_close_file(s);
	}
	if (again > 0)
		diag(LOG_INFO, "forward %s: sending again the %" PRIu64 " records sent after "
		    "the cursor", f->fc.name, again);
}

/*
 * The connection is gone (said by the caller): failing until the next one
 * succeeds, every stream back at its confirmed position, the next attempt
 * after the backoff, which doubles up to reconnect.
 */
static void
fwd_down(struct forwarder *f)
{
	f->failing = 1;
	f->connected = 0;
	atomic_store(&f->c_connected, 0);
	fwd_rewind(f);
	f->next_try_ms = now_ms() + f->backoff_ms;
	f->backoff_ms = f->backoff_ms * 2 < f->fc.reconnect_ms ? f->backoff_ms * 2 :
	    f->fc.reconnect_ms;
}

/*
 * The connection failed or ended (why; err an errno, or 0, or tls a TLS
 * reason): said once per episode, and every stream goes back to its
 * confirmed position for the next connection.
 */
static void
fwd_disconnect(struct forwarder *f, const char *why, int err, const char *tls)
{
	long	outq = fwd_outq(f);
	char	reason[640];

	if (tls != NULL)
		snprintf(reason, sizeof(reason), ": %s", tls);
	else if (err != 0)
		snprintf(reason, sizeof(reason), ": %s", strerror(err));
	else
		reason[0] = '\0';
	if (f->connected) {
		fwd_confirm_now(f, outq);	/* what is surely delivered stays so */
		diag(LOG_WARNING, "forward %s: connection to %s:%u %s%s; resending from the "
		    "cursor after reconnecting", f->fc.name, f->fc.host, f->fc.port, why, reason);
	} else if (!f->failing) {
		diag(LOG_WARNING, "forward %s: cannot connect to %s:%u%s; retrying every %" PRIu64
		    " ms at most (reconnect)", f->fc.name, f->fc.host, f->fc.port,
		    tls != NULL || err != 0 ? reason : ": Connection refused", f->fc.reconnect_ms);
	}
	fwd_down(f);		/* counts what the kernel was given: before the free */
	bufferevent_free(f->bev);
	f->bev = NULL;
	f->ssl = NULL;
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct forwarder	*f = arg;
	int			 err = EVUTIL_SOCKET_ERROR(), v = FWD_SNDBUF;

	if (what & BEV_EVENT_CONNECTED) {
		(void)setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
		f->connected = 1;
		f->out_total = 0;
		f->peer_wnd = 0;
		f->idle_ticks = 0;
		atomic_store(&f->c_connected, 1);
		if (f->ever_connected)
			add(&f->c_reconnects, 1);
		f->ever_connected = 1;
		diag(LOG_INFO, "forward %s: connected to %s:%u", f->fc.name, f->fc.host,
		    f->fc.port);
		f->failing = 0;
		f->backoff_ms = FWD_BACKOFF_MIN_MS;
		fwd_fill(f);
		return;
	}
	if (f->ssl != NULL && !(what & BEV_EVENT_EOF)) {
		char		 tls[600];
		unsigned long	 e = bufferevent_get_openssl_error(bev);
		long		 verify = SSL_get_verify_result(f->ssl);

		if (verify != X509_V_OK)
			snprintf(tls, sizeof(tls), "TLS: the collector's certificate was refused: "
			    "%s (check tls_ca, and that the certificate names %s)",
			    X509_verify_cert_error_string(verify), f->fc.host);
		else if (e != 0)
			snprintf(tls, sizeof(tls), "TLS: %s", ERR_reason_error_string(e) != NULL ?
			    ERR_reason_error_string(e) : "handshake failed");
		else
			snprintf(tls, sizeof(tls), "TLS: %s", err != 0 ? strerror(err) :
			    "the collector closed the connection during the handshake");
		fwd_disconnect(f, "failed", err, tls);
		return;
	}
	fwd_disconnect(f, (what & BEV_EVENT_EOF) ? "closed by the collector" : "failed",
	    (what & BEV_EVENT_EOF) ? 0 : err, NULL);
}

/* tls://: the client context, with the CAs to check the collector against.  0 or -EINVAL. */
static int
fwd_tls_init(struct forwarder *f)
{
	const struct config_forward	*fc = &f->fc;
	const char			*key = "tls", *what = "TLS";
	char				 err[256] = "";

	if ((f->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	(void)SSL_CTX_set_min_proto_version(f->ssl_ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(f->ssl_ctx, SSL_VERIFY_PEER, NULL);
	key = "tls_ca";
	what = fc->tls_ca[0] != '\0' ? fc->tls_ca : "(unset: the system's CA certificates)";
	if ((fc->tls_ca[0] != '\0' ? SSL_CTX_load_verify_locations(f->ssl_ctx, fc->tls_ca, NULL) :
	    SSL_CTX_set_default_verify_paths(f->ssl_ctx)) != 1)
		goto fail;
	if (fc->tls_cert[0] != '\0') {
		key = "tls_cert";
		what = fc->tls_cert;
		if (SSL_CTX_use_certificate_chain_file(f->ssl_ctx, fc->tls_cert) != 1)
			goto fail;
		key = "tls_key";
		what = fc->tls_key;
		if (SSL_CTX_use_PrivateKey_file(f->ssl_ctx, fc->tls_key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(f->ssl_ctx) != 1)
			goto fail;
	}
	return 0;
fail:
	if (what[0] == '/' && access(what, R_OK) < 0)
		snprintf(err, sizeof(err), "%s", strerror(errno));	/* clearer than OpenSSL's */
	else
		ERR_error_string_n(ERR_peek_last_error(), err, sizeof(err));
	diag(LOG_ERR, "[forward %s]: %s %s cannot be used: %s; fix it, or remove the section",
	    fc->name, key, what, err);
	ERR_clear_error();
	return -EINVAL;
}

/* A TLS session for host: its name (or address) is what the certificate must name. */
static SSL *
fwd_tls_session(struct forwarder *f)
{
	unsigned char	 bin[16];
	SSL		*ssl = SSL_new(f->ssl_ctx);
	int		 ip;

	if (ssl == NULL)
		return NULL;
	ip = inet_pton(AF_INET, f->fc.host, bin) == 1 || inet_pton(AF_INET6, f->fc.host, bin) == 1;
	if ((ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), f->fc.host) :
	    SSL_set1_host(ssl, f->fc.host)) != 1 ||
	    (!ip && SSL_set_tlsext_host_name(ssl, f->fc.host) != 1)) {
		SSL_free(ssl);
		return NULL;
	}
	return ssl;
}

/* The collector has nothing to say over plain TCP: anything it sends is read and dropped. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	fwd_fill(arg);
}

static void
fwd_connect(struct forwarder *f)
{
	struct addrinfo	 hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo	*ai = NULL;
	char		 port[8];
	int		 rc;

	snprintf(port, sizeof(port), "%u", f->fc.port);
	if ((rc = getaddrinfo(f->fc.host, port, &hints, &ai)) != 0) {
		if (!f->failing)
			diag(LOG_WARNING, "forward %s: cannot resolve %s: %s; retrying", f->fc.name,
			    f->fc.host, gai_strerror(rc));
		f->failing = 1;
		f->next_try_ms = now_ms() + f->fc.reconnect_ms;
		return;
	}
	if (f->ssl_ctx != NULL) {
		if ((f->ssl = fwd_tls_session(f)) != NULL &&
		    (f->bev = bufferevent_openssl_socket_new(f->base, -1, f->ssl,
		    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE)) == NULL)
			SSL_free(f->ssl);
		if (f->bev != NULL)	/* a collector that just closes is an EOF, not an error */
			bufferevent_openssl_set_allow_dirty_shutdown(f->bev, 1);
	} else {
		f->bev = bufferevent_socket_new(f->base, -1, BEV_OPT_CLOSE_ON_FREE);
	}
	if (f->bev == NULL) {
		f->ssl = NULL;
		freeaddrinfo(ai);
		f->next_try_ms = now_ms() + f->fc.reconnect_ms;
		return;
	}
	bufferevent_setcb(f->bev, on_read, on_write, on_event, f);
	bufferevent_setwatermark(f->bev, EV_WRITE, FWD_OUT_LOW, 0);
	bufferevent_enable(f->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(f->bev, ai->ai_addr, (int)ai->ai_addrlen) < 0) {
		freeaddrinfo(ai);
		fwd_disconnect(f, "failed", errno, NULL);
		return;
	}
	freeaddrinfo(ai);
}

/* ---- relp:// ---- */

/* librelp tells of a broken session here (its pUsr is the forwarder). */
static void
on_relp_err(void *usr, char *objinfo, char *errmsg, relpRetVal code)
{
	struct forwarder	*f = usr;

	if (f == NULL)
		return;
	f->relp_failed = 1;
	snprintf(f->relp_err, sizeof(f->relp_err), "%s (RELP error %d)",
	    errmsg != NULL ? errmsg : "error", (int)code);
}

static void	on_relp_debug(char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* librelp calls its debug printer unconditionally: it must have one. */
static void
on_relp_debug(char *fmt, ...)
{
}

/* librelp's errors without a session: nothing to add to ours. */
static void
on_relp_generic_err(char *objinfo, char *errmsg, relpRetVal code)
{
}

static int
fwd_relp_init(struct forwarder *f)
{
	f->relp_window = f->fc.max_unacked / 2;
	if (relpEngineConstruct(&f->relp) != RELP_RET_OK ||
	    relpEngineSetDbgprint(f->relp, on_relp_debug) != RELP_RET_OK ||
	    relpEngineSetEnableCmd(f->relp, (unsigned char *)"syslog", eRelpCmdState_Required) !=
	    RELP_RET_OK ||
	    relpEngineSetOnErr(f->relp, on_relp_err) != RELP_RET_OK ||
	    relpEngineSetOnGenericErr(f->relp, on_relp_generic_err) != RELP_RET_OK ||
	    (f->relp_out = evbuffer_new()) == NULL) {
		diag(LOG_ERR, "[forward %s]: cannot set up librelp", f->fc.name);
		return -ENOMEM;
	}
	return 0;
}

/* The session failed (rc): every stream goes back to its confirmed position. */
static void
fwd_relp_fail(struct forwarder *f, const char *what, relpRetVal rc)
{
	char	why[320];

	snprintf(why, sizeof(why), "%s", f->relp_err[0] != '\0' ? f->relp_err :
	    "RELP error");
	if (f->relp_err[0] == '\0')
		snprintf(why, sizeof(why), "RELP error %d", (int)rc);
	if (f->connected)
		diag(LOG_WARNING, "forward %s: relp://%s:%u %s: %s; resending what it did not "
		    "acknowledge after reconnecting", f->fc.name, f->fc.host, f->fc.port, what, why);
	else if (!f->failing)
		diag(LOG_WARNING, "forward %s: cannot connect to relp://%s:%u: %s; retrying every "
		    "%" PRIu64 " ms at most (reconnect)", f->fc.name, f->fc.host, f->fc.port, why,
		    f->fc.reconnect_ms);
	if (f->relp_clt != NULL)
		(void)relpEngineCltDestruct(f->relp, &f->relp_clt);
	f->relp_clt = NULL;
	fwd_down(f);
}

static int
fwd_relp_connect(struct forwarder *f)
{
	char		port[8];
	relpRetVal	rc;

	snprintf(port, sizeof(port), "%u", f->fc.port);
	f->relp_err[0] = '\0';
	if ((rc = relpEngineCltConstruct(f->relp, &f->relp_clt)) != RELP_RET_OK) {
		f->relp_clt = NULL;
		fwd_relp_fail(f, "failed", rc);
		return -1;
	}
	(void)relpCltSetUsrPtr(f->relp_clt, f);
	(void)relpCltSetTimeout(f->relp_clt, FWD_RELP_TIMEOUT_S);
	(void)relpCltSetConnTimeout(f->relp_clt, FWD_RELP_TIMEOUT_S);
	(void)relpCltSetWindowSize(f->relp_clt, (int)f->relp_window);
	if ((rc = relpCltConnect(f->relp_clt, AF_UNSPEC, (unsigned char *)port,
	    (unsigned char *)f->fc.host)) != RELP_RET_OK) {
		fwd_relp_fail(f, "failed", rc);
		return -1;
	}
	if (f->failing || !f->ever_connected)
		diag(LOG_INFO, "forward %s: connected to relp://%s:%u", f->fc.name, f->fc.host,
		    f->fc.port);
	if (f->failing && f->ever_connected)
		add(&f->c_reconnects, 1);
	f->ever_connected = 1;
	f->failing = 0;
	f->backoff_ms = FWD_BACKOFF_MIN_MS;
	f->connected = 1;
	atomic_store(&f->c_connected, 1);
	return 0;
}

/* Records ring[0 .. n) are acknowledged: they go, and the cursor with them. */
static void
fwd_relp_acked(struct forwarder *f, size_t n)
{
	if (n == 0)
		return;
	fwd_confirm(f, ring_at(f, n - 1)->out_end);
	f->relp_sent -= n;
}

/*
 * Gives librelp the next record of relp_out ("LEN MSG", as for TCP: the
 * count goes).  librelp returns once fewer than relp_window are
 * unacknowledged, so all but the last relp_window sent are acknowledged.
 * 0, or -1 after the session failed.
 */
static int
fwd_relp_send(struct forwarder *f)
{
	unsigned char	head[24], *msg;
	size_t		len = 0, digits = 0, n;
	relpRetVal	rc;

	n = (size_t)evbuffer_copyout(f->relp_out, head, sizeof(head));
	while (digits < n && head[digits] >= '0' && head[digits] <= '9')
		len = len * 10 + (size_t)(head[digits++] - '0');
	msg = evbuffer_pullup(f->relp_out, (ev_ssize_t)(digits + 1 + len));
	if ((rc = relpCltSendSyslog(f->relp_clt, msg + digits + 1, len)) != RELP_RET_OK) {
		fwd_relp_fail(f, "failed", rc);
		return -1;
	}
	evbuffer_drain(f->relp_out, digits + 1 + len);
	if (++f->relp_sent > f->relp_window)
		fwd_relp_acked(f, f->relp_sent - f->relp_window);
	return 0;
}

/*
 * Ends the session politely: librelp sends "close" and waits for its
 * answer, which comes after every earlier one, so without an error
 * everything sent is acknowledged.
 */
static void
fwd_relp_close(struct forwarder *f)
{
	f->relp_failed = 0;
	(void)relpEngineCltDestruct(f->relp, &f->relp_clt);
	f->relp_clt = NULL;
	if (f->relp_failed) {
		fwd_relp_fail(f, "failed at close", RELP_RET_SESSION_BROKEN);
		return;
	}
	fwd_relp_acked(f, f->relp_sent);
	f->connected = 0;
	atomic_store(&f->c_connected, 0);
	f->next_try_ms = now_ms();
}

/*
 * A tick of a relp:// forwarder: (re)connect, send for most of a tick, and
 * when there is nothing more to send, close the session to have the last
 * window acknowledged (the next records open a new one).
 */
static void
fwd_relp_tick(struct forwarder *f)
{
	uint64_t	deadline = now_ms() + FWD_RELP_BUDGET_MS;
	size_t		sent = 0;

	if (f->relp_clt == NULL) {
		if (f->stopping) {
			event_base_loopbreak(f->base);
			return;
		}
		if (now_ms() < f->next_try_ms || fwd_relp_connect(f) < 0)
			return;
	}
	while (!f->stopping && now_ms() < deadline) {
		if (evbuffer_get_length(f->relp_out) == 0)
			fwd_fill(f);
		if (evbuffer_get_length(f->relp_out) == 0)
			break;
		if (fwd_relp_send(f) < 0)
			return;
		sent++;
	}
	if (f->stopping || (sent == 0 && f->relp_sent > 0))
		fwd_relp_close(f);
	if (f->stopping)
		event_base_loopbreak(f->base);
}

/* ---- reading and sending ---- */

/* Sends the complete lines in s's buffer; stops when the ring is full.  Lines sent. */
static size_t
fwd_send_lines(struct forwarder *f, struct fwd_stream *s, uint32_t idx, int final)
{
	struct evbuffer	*out = fwd_out(f);
	const char	*app = f->fc.app_name[0] != '\0' ? f->fc.app_name : s->name;
	char		*nl, *line;
	size_t		 len, need, sent = 0;
	long		 n;
	int		 parsed, cut;
	int64_t		 ts;

	while (s->start < s->len && f->ring_n < f->fc.max_unacked) {
		line = s->buf + s->start;
		nl = memchr(line, '\n', s->len - s->start);
		cut = 0;
		if (nl == NULL) {
			if (!final && s->len - s->start < FWD_LINE_MAX)
				break;
			len = s->len - s->start;
			cut = !final;
		} else {
			len = (size_t)(nl - line);
		}
		if (s->skipping) {	/* the rest of a line sent cut */
			s->skipping = nl == NULL;
			s->start += len + (nl != NULL);
			continue;
		}
		need = 3 * len + 1024 + sizeof(f->host) + sizeof(f->fc.app_name);
		if (need > f->scratch_cap) {
			char	*p = realloc(f->scratch, need);

			if (p == NULL)
				break;
			f->scratch = p;
			f->scratch_cap = need;
		}
		n = forward_format(line, len, s->name, f->host, app, f->fc.facility, f->scratch,
		    f->scratch_cap, &parsed);
		if (n <= 0 || evbuffer_add(out, f->scratch, (size_t)n) < 0)
			break;
		if (!parsed && len > 0)
			add(&f->c_unparsed, 1);
		if (logline_time(line, len, &ts) == 0) {
			s->last_ts = ts;
			if (fwd_last(s)->first_ts == 0 && s->buf_off + s->start == 0)
				fwd_last(s)->first_ts = ts;
		}
		s->start += len + (nl != NULL);
		s->skipping = cut;
		f->out_total += (uint64_t)n;
		*ring_at(f, f->ring_n++) = (struct fwd_sent){ idx, fwd_last(s)->seq,
		    s->buf_off + s->start, f->out_total };
		add(&f->c_records, 1);
		add(&f->c_bytes, (uint64_t)n);
		sent++;
	}
	return sent;
}

/* Reads and sends what s has; 1 if it sent or read anything. */
static int
fwd_pump(struct forwarder *f, struct fwd_stream *s, uint32_t idx)
{
	ssize_t	n;
	int	rc;

	if (s->dfd < 0)
		return 0;
	if (!s->open) {
		if (s->nfiles > 0)
			rc = fwd_seek(f, s, &s->files[0], s->confirmed.off);
		else if (s->has_cursor)
			rc = fwd_seek(f, s, &s->cursor_file, s->cursor_off);
		else
			rc = fwd_seek(f, s, NULL, 0);
		if (rc < 0)
			return 0;
		s->has_cursor = 0;
	}
	if (fwd_send_lines(f, s, idx, 0) > 0)
		return 1;
	if (f->ring_n >= f->fc.max_unacked)
		return 0;
	if (s->damaged)		/* waiting for a file after it */
		return fwd_next_file(f, s, idx) > 0;
	/* Room for a chunk: what is sent goes, the partial line moves to the front. */
	if (s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->len - s->start);
		s->buf_off += s->start;
		s->len -= s->start;
		s->start = 0;
	}
	if (s->cap - s->len < FWD_CHUNK) {
		size_t	cap = s->len + FWD_CHUNK;
		char	*p = realloc(s->buf, cap);

		if (p == NULL)
			return 0;
		s->buf = p;
		s->cap = cap;
	}
	if ((n = fwd_read(s, s->buf + s->len, FWD_CHUNK)) > 0) {
		s->len += (size_t)n;
		fwd_send_lines(f, s, idx, 0);
		return 1;
	}
	if (n < 0 && fwd_last(s)->name[0] != '\0') {
		/* A damaged archive: what is left of it is lost, counted; the next file goes on. */
		s->damaged = 1;
		add(&f->c_lost, 1);
		diag(LOG_WARNING, "forward %s: stream %s: cannot read archive %s%s after byte %"
		    PRIu64 ": %s; the rest of it is not sent, going on with the next file",
		    f->fc.name, s->name, fwd_last(s)->name, s->zd != NULL ? ".zst" : "",
		    s->buf_off + s->len, strerror((int)-n));
		s->start = s->len;
		s->eof = 1;
		return fwd_next_file(f, s, idx) > 0;
	}
	if (n < 0) {
		diag_limited(&f->read_limit, LOG_WARNING, "forward %s: stream %s: cannot read "
		    "current.log: %s; trying again", f->fc.name, s->name, strerror((int)-n));
		fwd_close_file(s);
		return 0;
	}
	/* At its end: if it was rotated, the next file. */
	return fwd_next_file(f, s, idx) > 0;
}

static void
fwd_fill(struct forwarder *f)
{
	size_t	i, idle = 0;

	if (!f->connected || f->stopping)
		return;
	while (evbuffer_get_length(fwd_out(f)) < FWD_OUT_HIGH &&
	    f->ring_n < f->fc.max_unacked && f->nstreams > 0 && idle < f->nstreams) {
		i = f->rr++ % f->nstreams;
		idle = fwd_pump(f, &f->streams[i], (uint32_t)i) ? 0 : idle + 1;
	}
	atomic_store(&f->c_unacked, f->ring_n);
}

/* ---- streams and the cursor ---- */

static struct fwd_stream *
fwd_stream_find(struct forwarder *f, const char *name)
{
	size_t	i;

	for (i = 0; i < f->nstreams; i++)
		if (strcmp(f->streams[i].name, name) == 0)
			return &f->streams[i];
	return NULL;
}

static struct fwd_stream *
fwd_stream_add(struct forwarder *f, const char *name)
{
	struct fwd_stream	*s;

	if (f->nstreams == f->capstreams) {
		size_t	cap = f->capstreams ? f->capstreams * 2 : 8;

		if ((s = realloc(f->streams, cap * sizeof(*s))) == NULL)
			return NULL;
		f->streams = s;
		f->capstreams = cap;
	}
	s = &f->streams[f->nstreams++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->dfd = -1;
	s->fd = -1;
	return s;
}

/* Finds the stream directories the patterns match (new streams appear at any time). */
static void
fwd_scan(struct forwarder *f)
{
	struct fwd_stream	*s;
	struct dirent		*de;
	DIR			*d;

	if ((d = logdir_list(f->log_fd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t	len = strlen(de->d_name);

		if (proto_name_valid(de->d_name, len) != 0 ||
		    !config_forward_match(&f->fc, de->d_name, len))
			continue;
		if ((s = fwd_stream_find(f, de->d_name)) == NULL &&
		    (s = fwd_stream_add(f, de->d_name)) == NULL)
			break;
		if (s->dfd < 0)
			s->dfd = logdir_dir(f->log_fd, de->d_name, NULL, NULL);
	}
	closedir(d);
}

/* Bytes on disk after s's reader, and the time of the first unsent line. */
static void
fwd_stream_lag(struct fwd_stream *s)
{
	struct fwd_entry	*list = NULL;
	size_t			 n, k;
	long			 i;
	uint64_t		 lag = 0, pos;
	char			 buf[64];
	ssize_t			 got;

	s->lag_ts = 0;
	if (s->dfd < 0 || fwd_list(s->dfd, &list, &n) < 0)
		return;
	if (!s->open || s->nfiles == 0 || (i = fwd_find(s->dfd, list, n, fwd_last(s))) < 0) {
		for (k = 0; k < n; k++)
			lag += list[k].size;
	} else {
		pos = s->buf_off + s->start;
		if (!list[i].zst && list[i].size > pos) {
			lag += list[i].size - pos;
			if ((got = pread(s->fd, buf, sizeof(buf), (off_t)pos)) > 0)
				(void)logline_time(buf, (size_t)got, &s->lag_ts);
		} else if (list[i].zst && s->len > s->start) {
			lag += s->len - s->start;
			(void)logline_time(s->buf + s->start, s->len - s->start, &s->lag_ts);
		}
		for (k = (size_t)i + 1; k < n; k++)
			lag += list[k].size;
		if (s->lag_ts == 0 && lag > 0)
			s->lag_ts = s->last_ts;
	}
	s->lag_bytes = lag;
	free(list);
}

static void
fwd_lag(struct forwarder *f)
{
	uint64_t	bytes = 0;
	int64_t		oldest = 0, now_ns;
	size_t		i;

	for (i = 0; i < f->nstreams; i++) {
		fwd_stream_lag(&f->streams[i]);
		bytes += f->streams[i].lag_bytes;
		if (f->streams[i].lag_ts != 0 && (oldest == 0 || f->streams[i].lag_ts < oldest))
			oldest = f->streams[i].lag_ts;
	}
	if (f->bev != NULL || f->relp != NULL)
		bytes += evbuffer_get_length(fwd_out(f));
	now_ns = wall_ns();
	atomic_store(&f->c_lag_bytes, bytes);
	atomic_store(&f->c_lag_s, bytes > 0 && oldest != 0 && now_ns > oldest ?
	    (uint64_t)(now_ns - oldest) / 1000000000 : 0);
}

/* Writes the cursor: NAME.cursor.tmp, fsync, rename, fsync the directory.  0 or -errno. */
static int
fwd_save(struct forwarder *f)
{
	struct logdir_perm	 perm = { f->dir_mode, f->file_mode, (gid_t)-1 };
	char			 tmp[PROTO_MAX_NAME + 16], name[PROTO_MAX_NAME + 16];
	struct fwd_stream	*s;
	struct fwd_file		*id;
	FILE			*fp;
	size_t			 i;
	int			 fd, rc = 0;

	if (f->cursor_dfd < 0)
		return -EBADF;
	snprintf(name, sizeof(name), "%s.cursor", f->fc.name);
	snprintf(tmp, sizeof(tmp), "%s.cursor.tmp", f->fc.name);
	(void)unlinkat(f->cursor_dfd, tmp, 0);
	if ((fd = logdir_file(f->cursor_dfd, tmp, O_WRONLY | O_CLOEXEC, &perm, NULL)) < 0)
		return fd;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -errno;
	}
	fprintf(fp, "%s\n", FWD_CURSOR_MAGIC);
	for (i = 0; i < f->nstreams; i++) {
		s = &f->streams[i];
		if (s->nfiles > 0) {
			id = &s->files[0];
			fprintf(fp, "%s %" PRIu64 " %" PRId64 " %" PRIu64 " %s\n", s->name, id->ino,
			    id->first_ts, s->confirmed.off, id->name[0] != '\0' ? id->name : "-");
		} else if (s->has_cursor) {
			id = &s->cursor_file;
			fprintf(fp, "%s %" PRIu64 " %" PRId64 " %" PRIu64 " %s\n", s->name, id->ino,
			    id->first_ts, s->cursor_off, id->name[0] != '\0' ? id->name : "-");
		}
	}
	/* What the next start sends again and counts as duplicates ('.': no stream's name). */
	fprintf(fp, "%s %" PRIu64 "\n", FWD_CURSOR_AGAIN, fwd_unconfirmed(f));
	if (fflush(fp) != 0 || fsync(fileno(fp)) < 0)
		rc = -errno;
	if (fclose(fp) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(f->cursor_dfd, tmp, f->cursor_dfd, name) < 0)
		rc = -errno;
	if (rc == 0 && fsync(f->cursor_dfd) < 0)
		rc = -errno;
	if (rc < 0)
		diag_errno(LOG_WARNING, rc, "forward %s: cannot save the cursor %s/%s in the log "
		    "dir; trying again in a second", f->fc.name, FORWARD_DIR, name);
	else
		f->dirty = 0;
	return rc;
}

/* Reads the cursor, if any, into streams waiting to be found. */
static void
fwd_load(struct forwarder *f)
{
	char			 name[PROTO_MAX_NAME + 16], line[512], stream[PROTO_MAX_NAME + 2];
	char			 archive[ROTATE_NAME_MAX + 2];
	struct fwd_stream	*s;
	uint64_t		 ino, off, again = 0;
	int64_t			 ts;
	unsigned		 lineno = 1;
	FILE			*fp;
	int			 fd;

	snprintf(name, sizeof(name), "%s.cursor", f->fc.name);
	if ((fd = logdir_file(f->cursor_dfd, name, O_RDONLY | O_CLOEXEC, NULL, NULL)) < 0) {
		if (fd != -ENOENT)
			diag(LOG_WARNING, "forward %s: cannot read its cursor %s: %s; starting "
			    "from the oldest files", f->fc.name, name, logdir_strerror(fd));
		return;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return;
	}
	if (fgets(line, sizeof(line), fp) == NULL || strncmp(line, FWD_CURSOR_MAGIC,
	    strlen(FWD_CURSOR_MAGIC)) != 0) {
		diag(LOG_WARNING, "forward %s: %s/%s is not a cursor; starting from the oldest "
		    "files", f->fc.name, FORWARD_DIR, name);
		fclose(fp);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strncmp(line, FWD_CURSOR_AGAIN " ", strlen(FWD_CURSOR_AGAIN) + 1) == 0 &&
		    sscanf(line + strlen(FWD_CURSOR_AGAIN), "%" SCNu64, &again) == 1)
			continue;
		if (sscanf(line, "%65s %" SCNu64 " %" SCNd64 " %" SCNu64 " %49s", stream, &ino, &ts,
		    &off, archive) != 5 || proto_name_valid(stream, strlen(stream)) != 0 ||
		    strlen(archive) >= ROTATE_NAME_MAX) {
			diag(LOG_WARNING, "forward %s: %s/%s:%u: not a cursor line; that stream "
			    "starts from its oldest file", f->fc.name, FORWARD_DIR, name, lineno);
			continue;
		}
		if ((s = fwd_stream_find(f, stream)) == NULL &&
		    (s = fwd_stream_add(f, stream)) == NULL)
			break;
		s->has_cursor = 1;
		s->cursor_file.ino = ino;
		s->cursor_file.first_ts = ts;
		snprintf(s->cursor_file.name, sizeof(s->cursor_file.name), "%s",
		    strcmp(archive, "-") == 0 ? "" : archive);
		s->cursor_off = off;
		fwd_pin(f, s->name, &s->cursor_file);
	}
	fclose(fp);
	if (again > 0) {
		add(&f->c_dups, again);
		diag(LOG_INFO, "forward %s: sending again the %" PRIu64 " records the last run sent "
		    "after its cursor", f->fc.name, again);
	}
}

/* ---- the thread ---- */

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct forwarder	*f = arg;
	long			 outq;

	f->ticks++;
	if (f->ticks % FWD_SCAN_TICKS == 1)
		fwd_scan(f);
	if (f->relp != NULL) {
		fwd_relp_tick(f);
		if (f->stopping)
			return;
	} else if (f->connected) {
		outq = fwd_outq(f);
		fwd_confirm_now(f, outq);
		if (f->stopping && ((outq == 0 && evbuffer_get_length(
		    bufferevent_get_output(f->bev)) == 0) || now_ms() >= f->stop_deadline_ms)) {
			/* Acknowledged by the collector's kernel, which it will read: delivered. */
			if (outq == 0)
				fwd_confirm(f, f->out_total -
				    evbuffer_get_length(bufferevent_get_output(f->bev)));
			event_base_loopbreak(f->base);
			return;
		}
		fwd_fill(f);
	} else if (f->stopping) {
		event_base_loopbreak(f->base);
		return;
	} else if (f->bev == NULL && now_ms() >= f->next_try_ms) {
		fwd_connect(f);
	}
	if (f->ticks % FWD_SCAN_TICKS == 0) {
		fwd_lag(f);
		if (f->dirty)
			(void)fwd_save(f);
	}
}

static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct forwarder	*f = arg;

	f->stopping = 1;
	f->stop_deadline_ms = now_ms() + FWD_DRAIN_MS;
}

static void *
forward_main(void *arg)
{
	struct forwarder	*f = arg;

	fwd_scan(f);
	fwd_lag(f);
	f->next_try_ms = 0;
	(void)event_base_dispatch(f->base);
	(void)fwd_save(f);
	return NULL;
}

static void
fwd_free(struct forwarder *f)
{
	size_t	i;

	if (f == NULL)
		return;
	if (f->bev != NULL)
		bufferevent_free(f->bev);
	for (i = 0; i < f->nstreams; i++) {
		fwd_close_file(&f->streams[i]);
		if (f->streams[i].dfd >= 0)
			close(f->streams[i].dfd);
		free(f->streams[i].files);
		free(f->streams[i].buf);
		free(f->streams[i].zin);
	}
	free(f->streams);
	if (f->ev_tick != NULL)
		event_free(f->ev_tick);
	if (f->ev_stop != NULL)
		event_free(f->ev_stop);
	if (f->base != NULL)
		event_base_free(f->base);
	SSL_CTX_free(f->ssl_ctx);
	if (f->relp_clt != NULL)
		(void)relpEngineCltDestruct(f->relp, &f->relp_clt);
	if (f->relp != NULL)
		(void)relpEngineDestruct(&f->relp);
	if (f->relp_out != NULL)
		evbuffer_free(f->relp_out);
	if (f->cursor_dfd >= 0)
		close(f->cursor_dfd);
	if (f->log_fd >= 0)
		close(f->log_fd);
	free(f->ring);
	free(f->scratch);
	free(f);
}

int
forward_start(const struct config_forward *fc, int log_dir_fd, mode_t dir_mode,
    mode_t file_mode, struct forward_pins *pins, struct forwarder **out)
{
	struct logdir_perm	 perm = { dir_mode, file_mode, (gid_t)-1 };
	struct timeval		 tv = { 0, FORWARD_TICK_MS * 1000 };
	struct forwarder	*f;
	sigset_t		 all, old;
	int			 rc;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		close(log_dir_fd);
		return -ENOMEM;
	}
	f->fc = *fc;
	f->pins = pins;
	f->cursor_dfd = -1;
	f->log_fd = log_dir_fd;
	f->dir_mode = dir_mode;
	f->file_mode = file_mode;
	f->backoff_ms = FWD_BACKOFF_MIN_MS;
	f->read_limit.interval_ms = 60 * 1000;
	if (fc->hostname[0] != '\0') {
		snprintf(f->host, sizeof(f->host), "%s", fc->hostname);
	} else if (gethostname(f->host, sizeof(f->host) - 1) < 0 || f->host[0] == '\0') {
		snprintf(f->host, sizeof(f->host), "-");
	}
	f->host[strcspn(f->host, " ")] = '\0';
	if (fc->proto == CONFIG_FORWARD_TLS && (rc = fwd_tls_init(f)) < 0)
		goto fail;
	if (fc->proto == CONFIG_FORWARD_RELP && (rc = fwd_relp_init(f)) < 0)
		goto fail;
	if ((f->cursor_dfd = logdir_dir(log_dir_fd, FORWARD_DIR, &perm, NULL)) < 0) {
		rc = f->cursor_dfd;
		diag(LOG_ERR, "forward %s: cannot open the cursor directory %s in the log dir: %s",
		    fc->name, FORWARD_DIR, logdir_strerror(rc));
		goto fail;
	}
	rc = -ENOMEM;
	if ((f->ring = calloc(fc->max_unacked, sizeof(*f->ring))) == NULL ||
	    (f->base = event_base_new()) == NULL ||
	    (f->ev_tick = event_new(f->base, -1, EV_PERSIST, on_tick, f)) == NULL ||
	    (f->ev_stop = event_new(f->base, -1, 0, on_stop, f)) == NULL ||
	    event_add(f->ev_tick, &tv) < 0) {
		diag(LOG_ERR, "[forward %s]: out of memory", fc->name);
		goto fail;
	}
	fwd_load(f);	/* its pins hold from now on */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = -pthread_create(&f->thread, NULL, forward_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		diag_errno(LOG_ERR, rc, "[forward %s]: cannot start its thread", fc->name);
		goto fail;
	}
	diag(LOG_INFO, "forward %s: forwarding to %s://%s:%u", fc->name,
	    fc->proto == CONFIG_FORWARD_TLS ? "tls" : fc->proto == CONFIG_FORWARD_RELP ? "relp" :
	    "tcp", fc->host, fc->port);
	*out = f;
	return 0;
fail:
	fwd_free(f);
	return rc;
}

void
forward_stop(struct forwarder *f)
{
	if (f == NULL)
		return;
	event_active(f->ev_stop, EV_TIMEOUT, 0);
	pthread_join(f->thread, NULL);
	fwd_free(f);
}

const char *
forward_name(const struct forwarder *f)
{
	return f->fc.name;
}

void
forward_stats(const struct forwarder *f, struct forward_stats *o)
{
	o->records_sent = atomic_load(&f->c_records);
	o->bytes_sent = atomic_load(&f->c_bytes);
	o->duplicates = atomic_load(&f->c_dups);
	o->reconnects = atomic_load(&f->c_reconnects);
	o->lag_bytes = atomic_load(&f->c_lag_bytes);
	o->lag_s = atomic_load(&f->c_lag_s);
	o->unacked = atomic_load(&f->c_unacked);
	o->lost_files = atomic_load(&f->c_lost);
	o->unparsed = atomic_load(&f->c_unparsed);
	o->connected = atomic_load(&f->c_connected);
}
