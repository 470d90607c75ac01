/*
 * stream.c - the stream table (see stream.h).
 *
 * Open addressing with linear probing over a power-of-two slot array at
 * least twice the number of ids, so a lookup ends within a few probes and
 * the table never resizes.  Stream id 0 is logd's own stream, made with the
 * table; senders' streams take ids 1..max_streams.  Streams live until the
 * table is freed (their names are referenced by queued batches).  The
 * streams with a non-empty open batch form the dirty list, which the flush
 * timer seals.  Records for a stream the writer could not write
 * (queue_failed()) are dropped and counted instead (queue_add_lost()).
 * Records for streams that cannot be created are counted by name, and
 * logd's own stream says so at most once a second (stream_reject()).
 * Who may write is checked in stream_get(): a stream's ACL (allow_uids,
 * allow_gids) against the sender's credentials, its last allowed sender
 * cached; and at creation create_streams and max_streams_per_uid, with the
 * streams each uid created counted in a hash of uid -> count as big as the
 * stream slots (a uid with a count owns a stream: at most nids of them).
 * A stream with a rate limit has a limiter (ratelimit.c) from its first
 * limited record on; the limit timer writes its suppression markers when
 * their window ends, and stream_flush_markers(force) at shutdown.
 * Invariant: t->nstreams <= t->nids; every stream with open != NULL and
 * open->len > 0 is on the dirty list.  Loop thread only.
 */
#include "stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "clock.h"
#include "diag.h"
#include "ratelimit.h"

/*
 * What every record reads comes first, in one 64-byte cache line, and the
 * name in the next: with ten thousand streams most records find their
 * stream out of the cache, and each line more is a miss more.
 */
struct stream {
	uint32_t	 hash;
	uint32_t	 id;
	uint32_t	 name_len;
	int		 acl;		/* sc has allow_uids or allow_gids */
	const struct stream_config *sc;	/* its settings: [stream NAME] or [defaults] */
	const _Atomic int *failed;	/* the writer could not write it (queue_failed_flag()) */
	struct stats_stream *ss;	/* its counters */
	struct ratelimit *rl;		/* its senders' rate limit, or NULL */
	struct batch	*open;		/* the batch lines are formatted into, or NULL */
	int		 dirty;
	/* Drops not yet reported by a marker line (see stream_markers()). */
	int		 due;			/* report > 0, or a dropped[] > 0 */
	char		 name[PROTO_MAX_NAME + 1];
	enum config_format format;	/* its lines' (sc's, kept: SIGHUP overwrites sc) */
	size_t		 next_cap;	/* the size of its next batch (see stream_seal()) */
	struct stream	*dirty_next;
	uint64_t	 dirty_ms;	/* CLOCK_MONOTONIC_COARSE ms it became dirty */
	uint64_t	 dropped[BATCH_NPRIO];	/* by logd under overflow = drop, by priority */
	uint64_t	 report;		/* losses senders reported, summed (stream_report()) */
	struct format_sender report_who;	/* who reported them; pid 0: several senders */
	uint32_t	 owner;		/* the uid that created it (its first record's) */
	int		 acl_ok;	/* ok_uid, ok_gid: a sender the ACL let through */
	uint32_t	 ok_uid, ok_gid;
};
/* With 64-bit pointers; with 32-bit ones they take less. */
_Static_assert(sizeof(void *) != 8 || offsetof(struct stream, name) == 64,
    "a stream's hot fields fill one cache line");

/* Streams one uid created (stream_get()); n == 0: a free slot. */
struct stream_uid {
	uint32_t	 uid;
	uint32_t	 n;
};

/* Records for a stream that could not be created, by name (see stream_reject()). */
struct stream_reject {
	char		 name[PROTO_MAX_NAME + 1];
	int		 err;		/* -ENOSPC: max_streams; -EPERM: logd's own; -ENOMEM;
					 * -EACCES, -ENOENT, -EDQUOT: see stream_get() */
	uint64_t	 lost;		/* records, and the losses they reported */
	struct format_sender who;	/* the last sender refused */
};

/* The refusals by kind, for those beyond STREAM_MAX_REJECTS names. */
enum stream_reason {
	STREAM_R_TOO_MANY,	/* -ENOSPC */
	STREAM_R_SELF,		/* -EPERM */
	STREAM_R_ACL,		/* -EACCES */
	STREAM_R_UNCONFIGURED,	/* -ENOENT */
	STREAM_R_UID,		/* -EDQUOT */
	STREAM_R_NOMEM,		/* -ENOMEM, and anything else */
	STREAM_R_COUNT
};

#define STREAM_MAX_REJECTS	16	/* names kept; the rest are summed */
#define STREAM_REJECT_MS	1000	/* logd's stream says so at most this often */

struct stream_table {
	const struct config	*cfg;
	struct queue		*q;
	struct stats		*st;
	struct event		*flush_ev;
	struct timeval		 flush_tv;
	uint64_t		 busy_flush_ms;	/* busy_flush_interval, at least flush_interval */
	struct stream		**slots;
	size_t			 slot_mask;
	struct stream		**by_id;
	uint32_t		 nstreams;	/* logd's own included */
	uint32_t		 nids;		/* max_streams + 1 */
	struct stream		*last;		/* the most recent lookup: senders repeat themselves */
	struct stream		*dirty_head;	/* oldest first (stream_seal_due()) */
	struct stream		*dirty_tail;
	uint32_t		 ndirty;
	struct stream_uid	*uids;		/* slot_mask + 1 of them */
	struct format_cache	 fc;
	struct format_sender	 self;		/* logd, the sender of its own marker lines */
	uint32_t		 ndue;		/* streams with drops to report */
	int			 urgent;	/* an open batch is flagged BATCH_SYNC */
	struct stream_reject	 rejects[STREAM_MAX_REJECTS];
	uint32_t		 nrejects;
	uint64_t		 rejects_other[STREAM_R_COUNT];	/* lost for names beyond rejects[] */
	uint64_t		 rejects_due_ms;	/* CLOCK_MONOTONIC: when to say so next */
	struct event		*limit_ev;	/* rate limit reports */
	uint64_t		 limit_due_ms;	/* CLOCK_MONOTONIC it fires at; 0: not armed */
};

/* The marker lines due before a record: at most one of each kind. */
#define STREAM_MAX_MARKERS	4

struct stream_markers {
	struct proto_record	rec[STREAM_MAX_MARKERS];
	struct format_sender	who[STREAM_MAX_MARKERS];
	char			text[STREAM_MAX_MARKERS][256];
	unsigned		n;
	size_t			need;	/* format_max_len() of them all */
	int			report;	/* the stream's summed report is among them */
};

static void	on_flush(evutil_socket_t fd, short what, void *arg);
static void	on_limits(evutil_socket_t fd, short what, void *arg);
static int	stream_create(struct stream_table *t, const char *name, size_t len,
		    uint32_t hash, size_t slot, struct stream **out);

/* FNV-1a: names are short, and this is one multiply per byte. */
uint32_t
stream_hash(const char *name, size_t len)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 16777619u;
	}
	return h;
}

/* The stream named name, or NULL with *slot the free slot where it would go. */
static struct stream *
stream_lookup(const struct stream_table *t, const char *name, size_t len, uint32_t hash,
    size_t *slot)
{
	struct stream	*s;
	size_t		 i;

	for (i = hash & t->slot_mask; (s = t->slots[i]) != NULL; i = (i + 1) & t->slot_mask)
		if (s->hash == hash && s->name_len == len && memcmp(s->name, name, len) == 0)
			return s;
	*slot = i;
	return NULL;
}

int
stream_table_large(const struct stream_table *t)
{
	return t->nstreams > STREAM_PREFETCH_MIN;
}

void
stream_prefetch(const struct stream_table *t, uint32_t hash, int level)
{
	struct stream *const	*slot = &t->slots[hash & t->slot_mask];
	const struct stream	*s;

	if (level == 0) {
		__builtin_prefetch(slot);
		return;
	}
	if ((s = *slot) == NULL)
		return;
	switch (level) {
	case 1:
		__builtin_prefetch(s);
		__builtin_prefetch(s->name);
		break;
	case 2:
		__builtin_prefetch(s->ss);
		if (s->open != NULL)
			__builtin_prefetch(s->open);
		break;
	default:
		if (s->open != NULL) {
			__builtin_prefetch(s->open->data + s->open->len, 1);
			__builtin_prefetch(&s->open->prios[s->open->nrecords], 1);
		}
		break;
	}
}

int
stream_table_new(struct event_base *base, const struct config *cfg, struct queue *q,
    struct stats *st, struct stream_table **out)
{
	struct stream_table	*t;
	struct stream		*self;
	size_t			 nslots = 16, slot, len = strlen(CONFIG_SELF_STREAM);
	uint32_t		 hash = stream_hash(CONFIG_SELF_STREAM, len);

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	t->nids = CONFIG_STREAM_IDS(cfg);
	while (nslots < (size_t)t->nids * 2)
		nslots <<= 1;
	t->slots = calloc(nslots, sizeof(*t->slots));
	t->by_id = calloc(t->nids, sizeof(*t->by_id));
	t->uids = calloc(nslots, sizeof(*t->uids));
	t->flush_ev = evtimer_new(base, on_flush, t);
	t->limit_ev = evtimer_new(base, on_limits, t);
	t->slot_mask = nslots - 1;
	t->cfg = cfg;
	t->q = q;
	t->st = st;
	if (t->slots == NULL || t->by_id == NULL || t->uids == NULL || t->flush_ev == NULL ||
	    t->limit_ev == NULL || st->nstreams < t->nids)
		goto fail;
	/* logd's own stream, first: it gets id 0 (CONFIG_SELF_ID). */
	(void)stream_lookup(t, CONFIG_SELF_STREAM, len, hash, &slot);
	if (stream_create(t, CONFIG_SELF_STREAM, len, hash, slot, &self) < 0)
		goto fail;
	t->flush_tv.tv_sec = (time_t)(cfg->flush_interval_ms / 1000);
	t->flush_tv.tv_usec = (suseconds_t)(cfg->flush_interval_ms % 1000) * 1000;
	t->busy_flush_ms = cfg->busy_flush_interval_ms > cfg->flush_interval_ms ?
	    cfg->busy_flush_interval_ms : cfg->flush_interval_ms;
	format_cache_init(&t->fc);
	format_self(&t->self);
	*out = t;
	return 0;
fail:
	stream_table_free(t);
	return -ENOMEM;
}

void
stream_table_free(struct stream_table *t)
{
	uint32_t	i;

	if (t == NULL)
		return;
	if (t->flush_ev != NULL)
		event_free(t->flush_ev);
	if (t->limit_ev != NULL)
		event_free(t->limit_ev);
	for (i = 0; i < t->nstreams; i++) {
		if (t->by_id[i]->open != NULL)
			queue_batch_free(t->q, t->by_id[i]->open);
		ratelimit_free(t->by_id[i]->rl);
		free(t->by_id[i]);
	}
	free(t->by_id);
	free(t->uids);
	free(t->slots);
	free(t);
}

/* A new stream in slot, with the next id. */
static int
stream_create(struct stream_table *t, const char *name, size_t len, uint32_t hash,
    size_t slot, struct stream **out)
{
	struct stream	*s;

	/* On a line of its own (see struct stream). */
	if ((s = aligned_alloc(64, (sizeof(*s) + 63) & ~(size_t)63)) == NULL)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, len);
	s->name[len] = '\0';
	s->name_len = len;
	s->hash = hash;
	s->id = t->nstreams;
	s->sc = config_stream(t->cfg, s->name, len);
	s->acl = s->sc->allow_uids.n + s->sc->allow_gids.n > 0;
	s->format = s->sc->format;
	s->next_cap = STREAM_MIN_BATCH;
	s->failed = queue_failed_flag(t->q, s->id);
	s->ss = stats_stream(t->st, s->id);
	queue_set_share(t->q, s->id, s->sc->stream_queue_max_bytes);
	t->slots[slot] = s;
	t->by_id[t->nstreams++] = s;
	stats_set(t->st, STATS_STREAMS, t->nstreams - 1);	/* the senders' */
	*out = s;
	return 0;
}

/* Whether sc's allow_uids or allow_gids has who (sc has at least one of them). */
static int
stream_acl_allows(const struct stream_config *sc, const struct format_sender *who)
{
	uint32_t	i;

	for (i = 0; i < sc->allow_uids.n; i++)
		if (sc->allow_uids.id[i] == (uint32_t)who->uid)
			return 1;
	for (i = 0; i < sc->allow_gids.n; i++)
		if (sc->allow_gids.id[i] == (uint32_t)who->gid)
			return 1;
	return 0;
}

/* Whether who may write to s (which has an ACL); the last sender let through is cached. */
static int
stream_acl_ok(struct stream *s, const struct format_sender *who)
{
	if (s->acl_ok && s->ok_uid == (uint32_t)who->uid && s->ok_gid == (uint32_t)who->gid)
		return 1;
	if (!stream_acl_allows(s->sc, who))
		return 0;
	s->acl_ok = 1;
	s->ok_uid = (uint32_t)who->uid;
	s->ok_gid = (uint32_t)who->gid;
	return 1;
}

/* uid's entry in the per-uid counts: its own, or the free one where it would go. */
static struct stream_uid *
stream_uid(const struct stream_table *t, uint32_t uid)
{
	struct stream_uid	*u;
	size_t			 i;

	for (i = (uid * 2654435761u) & t->slot_mask; (u = &t->uids[i])->n > 0;
	    i = (i + 1) & t->slot_mask)
		if (u->uid == uid)
			break;
	return u;
}

uint32_t
stream_uid_count(const struct stream_table *t, uint32_t uid)
{
	return stream_uid(t, uid)->n;
}

int
stream_get(struct stream_table *t, const char *name, size_t len,
    const struct format_sender *who, struct stream **out)
{
	const struct stream_config	*sc;
	struct stream_uid		*u = NULL;
	struct stream			*s = t->last;
	uint32_t			 h, uid = (uint32_t)who->uid;
	size_t				 slot;
	int				 rc;

	if (s != NULL && s->name_len == len && memcmp(s->name, name, len) == 0) {
		if (s->acl && !stream_acl_ok(s, who))
			return -EACCES;
		*out = s;
		return 0;
	}
	h = stream_hash(name, len);
	if ((s = stream_lookup(t, name, len, h, &slot)) != NULL) {
		if (s->id == CONFIG_SELF_ID)
			return -EPERM;
		if (s->acl && !stream_acl_ok(s, who))
			return -EACCES;
		*out = t->last = s;
		return 0;
	}
	if (len > PROTO_MAX_NAME)
		return -ENOSPC;
	sc = config_stream(t->cfg, name, len);
	if (sc->allow_uids.n + sc->allow_gids.n > 0 && !stream_acl_allows(sc, who))
		return -EACCES;
	if (t->cfg->create_streams == CONFIG_CREATE_CONFIGURED && sc == &t->cfg->defaults)
		return -ENOENT;
	/* Root is not counted: it could take max_streams whole anyway. */
	if (uid != 0 && t->cfg->max_streams_per_uid > 0 &&
	    (u = stream_uid(t, uid))->n >= t->cfg->max_streams_per_uid)
		return -EDQUOT;
	if (t->nstreams >= t->nids)
		return -ENOSPC;
	if ((rc = stream_create(t, name, len, h, slot, &s)) < 0)
		return rc;
	s->owner = uid;
	if (uid != 0) {
		if (u == NULL)
			u = stream_uid(t, uid);
		u->uid = uid;
		u->n++;
	}
	*out = t->last = s;
	return 0;
}

static void
stream_arm_flush(struct stream_table *t)
{
	if (!evtimer_pending(t->flush_ev, NULL))
		evtimer_add(t->flush_ev, &t->flush_tv);
}

/*
 * Hands s's open batch to the writer.  The next batch starts at twice what
 * this one held, from STREAM_MIN_BATCH up to batch_bytes (and grows, see
 * stream_reserve()): a busy stream's batches start at batch_bytes; ten
 * thousand quiet ones, sealed by the flush timer, do not each hold
 * batch_bytes of the budget.
 */
/* Whether the writer could not write s: its records are to be dropped and counted. */
static inline int
stream_failed(const struct stream *s)
{
	return atomic_load_explicit(s->failed, memory_order_relaxed);
}

/*
 * The writer could not write s (stream_failed()): frees its open batch now,
 * counting what it held as lost.  Returns 1, or 0 if s has recovered
 * meanwhile (then the batch stays, to be written).
 */
static int
stream_discard(struct stream_table *t, struct stream *s)
{
	struct batch_loss	loss = { 0 };

	if (s->open == NULL)
		return 1;
	batch_loss(s->open, 0, &loss);
	if (!queue_add_lost(t->q, s->id, stats_sat_add(loss.records, loss.reported)))
		return 0;
	stats_unwritable(t->st, s->id, loss.records, loss.lines);
	queue_batch_free(t->q, s->open);
	s->open = NULL;
	return 1;
}

static void
stream_seal(struct stream_table *t, struct stream *s)
{
	size_t	next;

	if (s->open == NULL)
		return;
	if (s->open->len == 0)
		return;		/* keep the empty batch for the next line */
	if (stream_failed(s) && stream_discard(t, s))
		return;
	next = 2 * s->open->len;
	s->next_cap = next < STREAM_MIN_BATCH ? STREAM_MIN_BATCH :
	    next > t->cfg->batch_bytes ? t->cfg->batch_bytes : next;
	queue_push(t->q, s->open);
	s->open = NULL;
}

/* Takes the oldest stream off the dirty list. */
static struct stream *
stream_pop_dirty(struct stream_table *t)
{
	struct stream	*s = t->dirty_head;

	if ((t->dirty_head = s->dirty_next) == NULL)
		t->dirty_tail = NULL;
	s->dirty_next = NULL;
	s->dirty = 0;
	t->ndirty--;
	return s;
}

/*
 * Seals the streams dirty since cutoff_ms or before, oldest first (a busy
 * flush leaves the younger ones to fill their batches), and hands the
 * writer those and the full batches sealed since the last flush.
 */
static void
stream_seal_due(struct stream_table *t, uint64_t cutoff_ms)
{
	while (t->dirty_head != NULL && t->dirty_head->dirty_ms <= cutoff_ms)
		stream_seal(t, stream_pop_dirty(t));
	queue_flush(t->q);
}

void
stream_seal_all(struct stream_table *t)
{
	stream_seal_due(t, UINT64_MAX);
}

void
stream_seal_urgent(struct stream_table *t)
{
	struct stream	*s;

	if (!t->urgent)
		return;
	t->urgent = 0;
	for (s = t->dirty_head; s != NULL; s = s->dirty_next)
		if (s->open != NULL && (s->open->flags & BATCH_SYNC))
			stream_seal(t, s);
	queue_flush(t->q);
}

void
stream_drop_failed(struct stream_table *t)
{
	struct stream	*s;

	for (s = t->dirty_head; s != NULL; s = s->dirty_next)
		if (s->open != NULL && stream_failed(s))
			(void)stream_discard(t, s);
}

/*
 * Every flush_interval while a stream is dirty.  With more than busy_streams
 * of them, a write each per flush_interval would cost more than the records
 * do (ten thousand quiet streams: a write(2) per record or two), so each is
 * left to fill its batch for up to busy_flush_interval instead.
 */
static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct stream_table	*t = arg;
	const struct config	*cfg = t->cfg;
	uint32_t		 k, other = 0;
	/* A batch left now is sealed at the next tick at the latest. */
	uint64_t		 next = clock_ms(CLOCK_MONOTONIC_COARSE) + cfg->flush_interval_ms;

	stream_flush_markers(t, 0);
	if (t->ndirty > cfg->busy_streams)
		stream_seal_due(t, next > t->busy_flush_ms ? next - t->busy_flush_ms : 0);
	else
		stream_seal_all(t);
	for (k = 0; k < STREAM_R_COUNT; k++)
		other |= t->rejects_other[k] > 0;
	if (t->dirty_head != NULL || t->ndue > 0 || t->nrejects > 0 || other)
		stream_arm_flush(t);	/* not due yet, or no room for a marker: try again */
}

/*
 * Grows s's open batch, to twice its size or what need takes, at most
 * batch_bytes, rather than seal it half-used: a batch is sealed full only at
 * batch_bytes.  -1 if that is not enough, or the budget has no room.
 */
static int
stream_grow(struct stream_table *t, struct stream *s, size_t need)
{
	struct batch	*b = s->open;
	size_t		 cap = 2 * b->cap > b->len + need ? 2 * b->cap : b->len + need;

	if (cap > t->cfg->batch_bytes)
		cap = t->cfg->batch_bytes;
	if (cap < b->len + need ||
	    (b = queue_batch_grow(t->q, b, cap, (uint32_t)(cap / FORMAT_MIN_LINE + 1))) == NULL)
		return -1;
	s->open = b;
	return 0;
}

/* Makes sure s's open batch has room for need more bytes in nlines more lines. */
static int
stream_reserve(struct stream_table *t, struct stream *s, size_t need, uint32_t nlines,
    int force)
{
	size_t	cap;

	if (s->open != NULL && batch_room(s->open) >= need && batch_line_room(s->open) >= nlines)
		return 0;
	if (s->open != NULL && s->open->len > 0) {
		/* A line is at least FORMAT_MIN_LINE bytes: room for the bytes is room for the lines. */
		if (stream_grow(t, s, need) == 0)
			return 0;
		stream_seal(t, s);
		stream_arm_flush(t);	/* queue_push() may leave it queued until the next flush */
	}
	if (s->open != NULL) {
		/* Empty but too small for this record. */
		queue_batch_free(t->q, s->open);
		s->open = NULL;
	}
	cap = s->next_cap > need ? s->next_cap : need;
	/* A line is at least FORMAT_MIN_LINE bytes: this many always fit. */
	s->open = queue_batch_new(t->q, s->id, s->name, cap, (uint32_t)(cap / FORMAT_MIN_LINE + 1),
	    force);
	if (s->open == NULL)
		return -ENOBUFS;
	return 0;
}

static void
stream_mark_dirty(struct stream_table *t, struct stream *s)
{
	if (s->dirty)
		return;
	s->dirty = 1;
	s->dirty_ms = clock_ms(CLOCK_MONOTONIC_COARSE);
	if (t->dirty_tail != NULL)
		t->dirty_tail->dirty_next = s;
	else
		t->dirty_head = s;
	t->dirty_tail = s;
	t->ndirty++;
	stream_arm_flush(t);
}

/*
 * Adds one of logd's own lines to m, about who, at priority prio: a loss
 * marker "dropped <dropped> records: <fmt>" if dropped > 0, else <fmt>.
 */
static void stream_vmarker(const struct stream *s, struct stream_markers *m,
    const struct format_sender *who, int prio, uint64_t dropped, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

static void
stream_vmarker(const struct stream *s, struct stream_markers *m, const struct format_sender *who,
    int prio, uint64_t dropped, const char *fmt, va_list ap)
{
	struct proto_record	*r = &m->rec[m->n];
	char			*text = m->text[m->n];

	format_marker(r, s->name, s->name_len, prio, text,
	    format_own_text(text, sizeof(m->text[m->n]), dropped, fmt, ap), dropped);
	m->who[m->n] = *who;
	m->who[m->n].logd = 1;	/* "[logd]", never who's pid: no sender can write it */
	m->need += format_max_len(s->sc->format, r);
	m->n++;
}

static void stream_marker(const struct stream *s, struct stream_markers *m,
    const struct format_sender *who, uint64_t dropped, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Adds the loss marker "dropped <dropped> records: <fmt>" to m. */
static void
stream_marker(const struct stream *s, struct stream_markers *m, const struct format_sender *who,
    uint64_t dropped, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	stream_vmarker(s, m, who, LOG_WARNING, dropped, fmt, ap);
	va_end(ap);
}

/*
 * The marker lines due in s before a record from who (who NULL: at a flush,
 * all that are due).  Every marker says "[logd] dropped N records: <why>",
 * so the sum of N in a file is everything its senders and logd lost.  What
 * logd dropped under overflow = drop is said before the next record.  A
 * sender's reports are summed while they come one after another
 * (stream_report()): their one marker waits for that sender's next record
 * that reports nothing, another sender's report, or the flush timer, so a
 * sender that drops in a storm gets one line per flush_interval, not one
 * per record it could deliver.
 */
static void
stream_markers(struct stream_table *t, const struct stream *s, const struct proto_record *rec,
    const struct format_sender *who, struct stream_markers *m)
{
	char		 by_prio[128];
	uint64_t	 total = 0;
	size_t		 n = 0, plen;
	int		 prio;

	m->n = 0;
	m->need = 0;
	m->report = 0;
	if (!s->due)
		return;		/* the common case */
	if (s->report > 0 && (who == NULL || (who->pid == s->report_who.pid) ==
	    (rec->dropped == 0))) {
		if (s->report_who.pid == 0)
			stream_marker(s, m, &t->self, s->report, "several senders could not "
			    "deliver them");
		else
			stream_marker(s, m, &s->report_who, s->report, "pid %ld could not "
			    "deliver %s", (long)s->report_who.pid, s->report == 1 ? "it" : "them");
		m->report = 1;
	}
	by_prio[0] = '\0';
	for (prio = BATCH_NPRIO - 1; prio >= 0; prio--) {
		if (s->dropped[prio] == 0)
			continue;
		total = stats_sat_add(total, s->dropped[prio]);
		n += (size_t)snprintf(by_prio + n, sizeof(by_prio) - n, "%s%" PRIu64 " %s",
		    n > 0 ? ", " : "", s->dropped[prio], proto_priority_name((unsigned)prio, &plen));
		if (n >= sizeof(by_prio))
			n = sizeof(by_prio) - 1;
	}
	if (total > 0)
		stream_marker(s, m, &t->self, total, "the stream's queue was full "
		    "(overflow = drop; lowest priority first): %s", by_prio);
}

/*
 * Appends m's lines, stamped ts_ns, to s's open batch, which has room for
 * them, and marks s dirty; they are now reported.
 */
static void
stream_put_markers(struct stream_table *t, struct stream *s, const struct stream_markers *m,
    uint64_t ts_ns)
{
	struct batch	*b = s->open;
	unsigned	 i;

	for (i = 0; i < m->n; i++) {
		batch_add_line(b, format_line(&t->fc, s->sc->format, batch_end(b), &m->rec[i],
		    ts_ns, &m->who[i]), BATCH_KEEP);
		t->st->lines++;
	}
	if (s->due) {
		/* m has every overflow drop; the summed report it may leave for later. */
		memset(s->dropped, 0, sizeof(s->dropped));
		if (m->report)
			s->report = 0;
		if (s->report == 0) {
			s->due = 0;
			t->ndue--;
		}
	}
	stream_mark_dirty(t, s);
}

/*
 * stream_put_markers() after making room for m in s's open batch (past the
 * budget with force).  0, or -ENOBUFS: nothing is appended.
 */
static int
stream_add_markers(struct stream_table *t, struct stream *s, const struct stream_markers *m,
    int force, uint64_t ts_ns)
{
	if (stream_reserve(t, s, m->need, m->n, force) < 0)
		return -ENOBUFS;
	stream_put_markers(t, s, m, ts_ns);
	return 0;
}

/* s has drops to report in a marker line (stream_markers()). */
static void
stream_set_due(struct stream_table *t, struct stream *s)
{
	if (!s->due) {
		s->due = 1;
		t->ndue++;
	}
}

/* The lowest priority (largest number) of any line of s not yet popped, or -1. */
static int
stream_lowest(struct stream_table *t, const struct stream *s)
{
	int	low = queue_lowest(t->q, s->id), prio;

	for (prio = BATCH_NPRIO - 1; s->open != NULL && prio > low; prio--)
		if (s->open->nprio[prio] > 0)
			return prio;
	return low;
}

/*
 * overflow = drop: takes s's least important lines out, lowest priority
 * first and only those less important than prio, until need bytes in
 * nlines lines fit.
 */
static int
stream_make_room(struct stream_table *t, struct stream *s, unsigned prio, size_t need,
    uint32_t nlines)
{
	uint32_t	n;
	int		low;

	while ((low = stream_lowest(t, s)) > (int)prio) {
		n = queue_drop(t->q, s->id, (unsigned)low);
		if (s->open != NULL)
			n += batch_drop(s->open, (unsigned)low);
		if (n == 0)
			break;		/* out of memory for the copy: drop the record instead */
		s->dropped[low] += n;
		stats_add(t->st, STATS_OVERFLOW_DROPPED, n);
		stats_stream_add(s->ss, STATS_S_DROPPED, n);
		stats_add_shared(t->st, STATS_LINES_REMOVED, n);
		stream_set_due(t, s);
		if (stream_reserve(t, s, need, nlines, 0) == 0)
			return 0;
	}
	return -ENOBUFS;
}

/*
 * rec (appended, or dropped) reported losses of its sender who: they are
 * added to s's summed report, due in a marker (stream_markers()).  One
 * sender's, unless a record logd dropped brings another's in before the
 * marker could be written: then it names no pid.
 */
static void
stream_report(struct stream_table *t, struct stream *s, const struct proto_record *rec,
    const struct format_sender *who)
{
	if (rec->dropped == 0)
		return;
	if (s->report > 0 && s->report_who.pid != who->pid)
		s->report_who.pid = 0;
	else
		s->report_who = *who;
	s->report = stats_sat_add(s->report, rec->dropped);
	stream_set_due(t, s);
	stream_arm_flush(t);
}

/* overflow = drop: rec does not fit; count it (and the losses it reported) as due. */
static void
stream_drop_record(struct stream_table *t, struct stream *s, const struct proto_record *rec,
    const struct format_sender *who)
{
	if (!(rec->flags & PROTO_REC_REPORT)) {
		s->dropped[rec->priority & (BATCH_NPRIO - 1)]++;
		stats_inc(t->st, STATS_OVERFLOW_DROPPED);
		stats_stream_add(s->ss, STATS_S_DROPPED, 1);
		stream_set_due(t, s);
		stream_arm_flush(t);
	}
	stream_report(t, s, rec, who);
}

/*
 * The writer could not write s: drops rec (and what s's open batch holds),
 * counting them for s's recovery marker.  0 if s has recovered meanwhile.
 */
static int
stream_unwritable(struct stream_table *t, struct stream *s, const struct proto_record *rec)
{
	uint32_t	line = (rec->flags & PROTO_REC_REPORT) ? 0 : 1;

	if (!stream_discard(t, s) ||
	    !queue_add_lost(t->q, s->id, stats_sat_add(line, rec->dropped)))
		return 0;
	stats_unwritable(t->st, s->id, line, 0);	/* its line was never put in a batch */
	return 1;
}

/* Formats rec into s's open batch: stream_append() but for the rate limit. */
static int
stream_put(struct stream_table *t, struct stream *s, const struct proto_record *rec,
    uint64_t ts_ns, const struct format_sender *who)
{
	struct stream_markers	 m;
	struct proto_record	 plain;
	size_t			 need, clean = 0;
	uint32_t		 line = (rec->flags & PROTO_REC_REPORT) ? 0 : 1;
	int			 tries;

	if (stream_failed(s) && stream_unwritable(t, s, rec))
		return 1;
	/* A loss report (line = 0) has no line of its own: only its count. */
	for (tries = 0;; tries++) {
		stream_markers(t, s, rec, who, &m);
		if (m.n + line == 0) {
			stream_report(t, s, rec, who);
			return 0;
		}
		need = m.need + (line ? format_max_len(s->sc->format, rec) : 0);
		/*
		 * The bound from lengths alone assumes every byte escaped: a big
		 * record would take a batch of its own.  Short of room, count.
		 */
		if (line && (s->open == NULL || batch_room(s->open) < need))
			need = m.need + format_len(s->sc->format, rec, &clean);
		if (stream_reserve(t, s, need, m.n + line, 0) == 0)
			break;
		if (s->sc->overflow != CONFIG_OVERFLOW_DROP)
			return -ENOBUFS;
		/* Making room adds an overflow marker: the second try counts it in. */
		if (tries > 0 || stream_make_room(t, s, rec->priority, need, m.n + line) < 0) {
			stream_drop_record(t, s, rec, who);
			return 1;
		}
	}
	stream_put_markers(t, s, &m, ts_ns);
	if (rec->dropped > 0) {
		/* Its count goes into a marker line: the line itself does not say it again. */
		stream_report(t, s, rec, who);
		plain = *rec;
		plain.dropped = 0;
		rec = &plain;
	}
	if (!line)
		return 0;
	batch_add_line(s->open, format_line_clean(&t->fc, s->sc->format, batch_end(s->open), rec,
	    ts_ns, who, clean), rec->priority & (BATCH_NPRIO - 1));
	t->st->lines++;
	if (rec->priority <= LOG_CRIT) {
		/* As journald does: crit and worse go to disk now (stream_seal_urgent()), synced. */
		batch_flag(s->open, BATCH_SYNC);
		t->urgent = 1;
	}
	return 0;
}

/* Arms the limit timer to fire at due_ms (CLOCK_MONOTONIC), unless it fires sooner. */
static void
stream_arm_limits(struct stream_table *t, uint64_t due_ms)
{
	uint64_t	now = clock_ms(CLOCK_MONOTONIC), wait;
	struct timeval	tv;

	if (t->limit_due_ms != 0 && t->limit_due_ms <= due_ms)
		return;
	wait = due_ms > now ? due_ms - now : 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	t->limit_due_ms = due_ms;
	evtimer_add(t->limit_ev, &tv);
}

/*
 * The rate limit of s: returns 1 if rec is suppressed (counted, and the
 * losses it reports kept for their marker), 0 if it goes on.
 */
static int
stream_limit(struct stream_table *t, struct stream *s, const struct proto_record *rec,
    const struct format_sender *who)
{
	uint64_t	due;

	if (s->rl == NULL && ratelimit_new(&s->rl) < 0)
		return 0;	/* no memory for the limiter: let it through */
	if (ratelimit_take(s->rl, who->pid, clock_ms(CLOCK_MONOTONIC), s->sc->rate_limit_interval_ms,
	    s->sc->rate_limit_burst, rec->flags & PROTO_REC_MORE, &due))
		return 0;
	stats_inc(t->st, STATS_RATE_LIMITED);
	stats_stream_add(s->ss, STATS_S_DROPPED, 1);
	stream_report(t, s, rec, who);
	stream_arm_limits(t, due);
	return 1;
}

enum config_format
stream_format(const struct stream *s)
{
	return s->sc->format;
}

/* Whether claimed is further than max_ms from now (max_ms 0: never). */
static int
stream_skewed(uint64_t claimed, uint64_t now, uint64_t max_ms)
{
	uint64_t	off = claimed > now ? claimed - now : now - claimed;

	return max_ms > 0 && off / 1000000u > max_ms;
}

int
stream_append(struct stream_table *t, struct stream *s, const struct proto_record *rec,
    uint64_t now_ns, const struct format_sender *who)
{
	uint64_t	ts_ns = rec->ts_ns;
	int		limited = 0, skewed = 0, rc;

	if (ts_ns == 0 || (skewed = stream_skewed(ts_ns, now_ns, t->cfg->max_clock_skew_ms)))
		ts_ns = now_ns;

	/* crit and worse, and a loss report, are never limited. */
	if (s->sc->rate_limit_burst > 0 && s->sc->rate_limit_interval_ms > 0 &&
	    rec->priority > LOG_CRIT && !(rec->flags & PROTO_REC_REPORT)) {
		if (stream_limit(t, s, rec, who)) {
			stats_stream_inc(s->ss, STATS_S_RECORDS);
			return 1;
		}
		limited = s->rl != NULL;
	}
	if ((rc = stream_put(t, s, rec, ts_ns, who)) < 0) {
		if (limited)
			ratelimit_untake(s->rl);	/* it comes back when there is room */
		return rc;
	}
	stats_stream_inc(s->ss, STATS_S_RECORDS);
	if (rec->dropped > 0)
		stats_stream_add(s->ss, STATS_S_DROPPED, rec->dropped);
	if (skewed)
		stats_inc(t->st, STATS_CLOCK_SKEW);
	return rc;
}

/* What stream_limit_report() appends to, and how. */
struct stream_limit_ctx {
	struct stream_table	*t;
	struct stream		*s;
	int			 force;
};

static void
stream_duration(char *buf, size_t len, uint64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 " s", ms / 1000);
	else
		snprintf(buf, len, "%" PRIu64 " ms", ms);
}

/*
 * A loss marker for n records the rate limit suppressed from pid (or from
 * senders it had to forget), after what else is due in the stream.  -ENOBUFS
 * when the budget has no room (it stays due).
 */
static int
stream_limit_report(void *arg, pid_t pid, uint64_t n, uint64_t senders)
{
	struct stream_limit_ctx	*c = arg;
	struct stream_table	*t = c->t;
	struct stream		*s = c->s;
	struct format_sender	 who = { .pid = pid, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	struct stream_markers	 m;
	char			 per[32];

	if (stream_failed(s) && queue_add_lost(t->q, s->id, n))
		return 0;	/* its recovery marker counts them */
	stream_markers(t, s, NULL, NULL, &m);
	stream_duration(per, sizeof(per), s->sc->rate_limit_interval_ms);
	if (senders == 0)
		stream_marker(s, &m, &who, n, "pid %ld sent more than %" PRIu32 " record%s in %s "
		    "(rate limit)", (long)pid, s->sc->rate_limit_burst,
		    format_s(s->sc->rate_limit_burst), per);
	else
		stream_marker(s, &m, &t->self, n, "%" PRIu64 " senders sent more than %" PRIu32
		    " record%s in %s (rate limit; more senders than logd tracks, %d)", senders,
		    s->sc->rate_limit_burst, format_s(s->sc->rate_limit_burst), per,
		    RATELIMIT_SENDERS);
	return stream_add_markers(t, s, &m, c->force, clock_ns(CLOCK_REALTIME));
}

/* Writes the rate limit markers that are due (all, with force); re-arms the timer. */
static void
stream_flush_limits(struct stream_table *t, int force)
{
	struct stream_limit_ctx	 c = { .t = t, .force = force };
	uint64_t		 now = clock_ms(CLOCK_MONOTONIC), next = 0, due;
	uint32_t		 i;

	for (i = 0; i < t->nstreams; i++) {
		if ((c.s = t->by_id[i])->rl == NULL)
			continue;
		due = ratelimit_report(c.s->rl, now, force, stream_limit_report, &c);
		if (due != 0 && (next == 0 || due < next))
			next = due;
	}
	if (next != 0) {
		/* Due already: there was no room; try again after a flush. */
		stream_arm_limits(t, next > now ? next : now + t->cfg->flush_interval_ms);
		stream_arm_flush(t);
	}
}

static void
on_limits(evutil_socket_t fd, short what, void *arg)
{
	struct stream_table	*t = arg;

	t->limit_due_ms = 0;
	stream_flush_limits(t, 0);
}

/* Appends one of logd's own lines to its stream (see stream_log()). */
static int
stream_vlog(struct stream_table *t, int prio, uint64_t dropped, int force, const char *fmt,
    va_list ap)
{
	struct stream		*s = t->by_id[CONFIG_SELF_ID];
	struct stream_markers	 m = { .n = 0 };

	if (stream_failed(s) && queue_add_lost(t->q, s->id, stats_sat_add(1, dropped)))
		return 0;	/* counted: logd's own stream cannot be written either */
	stream_vmarker(s, &m, &t->self, prio, dropped, fmt, ap);
	return stream_add_markers(t, s, &m, force, clock_ns(CLOCK_REALTIME));
}

int
stream_log(struct stream_table *t, int prio, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = stream_vlog(t, prio, 0, 1, fmt, ap);
	va_end(ap);
	return rc;
}

static int stream_log_loss(struct stream_table *t, uint64_t dropped, int force,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A loss marker in logd's own stream; without force, -ENOBUFS when the budget is full. */
static int
stream_log_loss(struct stream_table *t, uint64_t dropped, int force, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = stream_vlog(t, LOG_WARNING, dropped, force, fmt, ap);
	va_end(ap);
	return rc;
}

static enum stream_reason
stream_reason(int err)
{
	switch (err) {
	case -ENOSPC:
		return STREAM_R_TOO_MANY;
	case -EPERM:
		return STREAM_R_SELF;
	case -EACCES:
		return STREAM_R_ACL;
	case -ENOENT:
		return STREAM_R_UNCONFIGURED;
	case -EDQUOT:
		return STREAM_R_UID;
	default:
		return STREAM_R_NOMEM;
	}
}

int
stream_reject_tells(int err)
{
	return err == -EACCES || err == -ENOENT || err == -EDQUOT;
}

void
stream_reject(struct stream_table *t, const char *name, size_t len,
    const struct format_sender *who, uint64_t lost, int err)
{
	struct stream_reject	*r;
	uint32_t		 i;

	for (i = 0; i < t->nrejects; i++) {
		r = &t->rejects[i];
		if (r->err == err && strncmp(r->name, name, len) == 0 && r->name[len] == '\0')
			break;
	}
	if (i == t->nrejects && t->nrejects < STREAM_MAX_REJECTS && len <= PROTO_MAX_NAME) {
		r = &t->rejects[t->nrejects++];
		memcpy(r->name, name, len);
		r->name[len] = '\0';
		r->err = err;
		r->lost = 0;
	}
	if (i < t->nrejects) {
		t->rejects[i].lost = stats_sat_add(t->rejects[i].lost, lost);
		t->rejects[i].who = *who;
	} else {
		enum stream_reason	k = stream_reason(err);

		t->rejects_other[k] = stats_sat_add(t->rejects_other[k], lost);
	}
	stream_arm_flush(t);
}

const char *
stream_reject_why(const struct stream_table *t, int err, char *buf, size_t len)
{
	switch (err) {
	case -EPERM:
		return "the name is logd's own stream's";
	case -ENOSPC:
		snprintf(buf, len, "max_streams (%" PRIu32 ") reached; raise max_streams in "
		    "logd.conf", t->nids - 1);
		return buf;
	case -EACCES:
		return "the sender is not in its allow_uids or allow_gids; add its uid to "
		    "allow_uids (or its group to allow_gids) in logd.conf";
	case -ENOENT:
		return "create_streams = configured and logd.conf has no [stream NAME] section "
		    "for it; add one, or set create_streams = any";
	case -EDQUOT:
		snprintf(buf, len, "the sender's uid has created max_streams_per_uid (%" PRIu32
		    ") streams; raise max_streams_per_uid in logd.conf", t->cfg->max_streams_per_uid);
		return buf;
	default:
		return "out of memory";
	}
}

/* What r's records were refused for, naming the sender where it is the sender's rights. */
static const char *
stream_reject_text(const struct stream_table *t, const struct stream_reject *r, char *buf,
    size_t len)
{
	const struct stream_config	*sc = config_stream(t->cfg, r->name, strlen(r->name));
	char				 why[160];
	long				 uid = (long)(uint32_t)r->who.uid;
	long				 gid = (long)(uint32_t)r->who.gid;
	long				 pid = (long)r->who.pid;

	switch (r->err) {
	case -EACCES:
		snprintf(buf, len, "stream %s: uid %ld (gid %ld, pid %ld) may not write to it: "
		    "not in allow_uids or allow_gids of %s%s%s; add the uid to allow_uids (or "
		    "its group to allow_gids) there in logd.conf", r->name, uid, gid, pid,
		    sc == &t->cfg->defaults ? "[defaults]" : "[stream ", sc == &t->cfg->defaults ?
		    "" : r->name, sc == &t->cfg->defaults ? "" : "]");
		return buf;
	case -ENOENT:
		snprintf(buf, len, "stream %s could not be created for uid %ld (pid %ld): "
		    "create_streams = configured and logd.conf has no [stream %s] section; add one, "
		    "or set create_streams = any", r->name, uid, pid, r->name);
		return buf;
	case -EDQUOT:
		snprintf(buf, len, "stream %s could not be created: uid %ld (pid %ld) has created "
		    "max_streams_per_uid (%" PRIu32 ") streams; raise max_streams_per_uid in "
		    "logd.conf, or have it reuse its streams", r->name, uid, pid,
		    t->cfg->max_streams_per_uid);
		return buf;
	default:
		snprintf(buf, len, "stream %s could not be created: %s", r->name,
		    stream_reject_why(t, r->err, why, sizeof(why)));
		return buf;
	}
}

/* Records for streams beyond the named ones, refused for reason k. */
static const char *
stream_reject_other(const struct stream_table *t, enum stream_reason k, char *buf,
    size_t len)
{
	static const int	errs[STREAM_R_COUNT] = { -ENOSPC, -EPERM, -EACCES, -ENOENT,
				    -EDQUOT, -ENOMEM };
	char			why[160];

	snprintf(buf, len, "more streams could not be %s: %s", k == STREAM_R_ACL ? "written" :
	    "created", stream_reject_why(t, errs[k], why, sizeof(why)));
	return buf;
}

/*
 * Says in logd's own stream how many records each stream that could not be
 * created (or written, for a sender its ACL refuses) lost: at most once
 * every STREAM_REJECT_MS (however many records a sender throws at new
 * names, logd's own stream gets a few lines a second), and with force at
 * shutdown.  What does not fit in the budget waits.  The refusals of a
 * sender's rights (stream_reject_tells()) go to stderr too, with the same
 * bound: at most one line per stream a second, and one for the rest.
 */
static void
stream_flush_rejects(struct stream_table *t, int force)
{
	uint64_t	now = clock_ms(CLOCK_MONOTONIC);
	uint32_t	i, kept = 0, k, any = 0;
	char		text[512];

	for (k = 0; k < STREAM_R_COUNT; k++)
		any |= t->rejects_other[k] > 0;
	if ((t->nrejects == 0 && !any) || (!force && now < t->rejects_due_ms))
		return;
	t->rejects_due_ms = now + STREAM_REJECT_MS;
	for (i = 0; i < t->nrejects; i++) {
		struct stream_reject	*r = &t->rejects[i];

		stream_reject_text(t, r, text, sizeof(text));
		if (stream_reject_tells(r->err) && r->lost > 0)
			diag(LOG_WARNING, "%s (%" PRIu64 " record%s refused)", text, r->lost,
			    format_s(r->lost));
		if (stream_log_loss(t, r->lost, force, "%s", text) < 0)
			t->rejects[kept++] = *r;	/* stays due (and is told again) */
	}
	t->nrejects = kept;
	for (k = 0; k < STREAM_R_COUNT; k++) {
		if (t->rejects_other[k] == 0)
			continue;
		stream_reject_other(t, (enum stream_reason)k, text, sizeof(text));
		if (k == STREAM_R_ACL || k == STREAM_R_UNCONFIGURED || k == STREAM_R_UID)
			diag(LOG_WARNING, "%s (%" PRIu64 " record%s refused)", text,
			    t->rejects_other[k], format_s(t->rejects_other[k]));
		if (stream_log_loss(t, t->rejects_other[k], force, "%s", text) == 0)
			t->rejects_other[k] = 0;
	}
}

void
stream_flush_markers(struct stream_table *t, int force)
{
	struct stream_markers	 m;
	struct stream		*s;
	uint32_t		 i;
	uint64_t		 ts_ns;

	stream_flush_rejects(t, force);
	if (force)
		stream_flush_limits(t, force);
	if (t->ndue == 0)
		return;
	ts_ns = clock_ns(CLOCK_REALTIME);
	for (i = 0; i < t->nstreams && t->ndue > 0; i++) {
		s = t->by_id[i];
		if (!s->due)
			continue;
		stream_markers(t, s, NULL, NULL, &m);
		(void)stream_add_markers(t, s, &m, force, ts_ns);	/* if not, it stays due */
	}
}

void
stream_reconfigure(struct stream_table *t)
{
	struct stream	*s;
	uint32_t	 i;

	for (i = 0; i < t->nstreams; i++) {
		s = t->by_id[i];
		/* A batch holds one format: a new one starts one (the writer starts a new file). */
		if (config_stream(t->cfg, s->name, s->name_len)->format != s->format)
			stream_seal(t, s);
		s->sc = config_stream(t->cfg, s->name, s->name_len);
		s->format = s->sc->format;
		/* A changed ACL applies from the next record on. */
		s->acl = s->sc->allow_uids.n + s->sc->allow_gids.n > 0;
		s->acl_ok = 0;
		queue_set_share(t->q, s->id, s->sc->stream_queue_max_bytes);
	}
}

uint32_t
stream_count(const struct stream_table *t)
{
	return t->nstreams;
}

const char *
stream_name(const struct stream_table *t, uint32_t id)
{
	return id < t->nstreams ? t->by_id[id]->name : NULL;
}

int
stream_find(const struct stream_table *t, const char *name, size_t len, uint32_t *id)
{
	struct stream	*s;
	size_t		 slot;

	if (len > PROTO_MAX_NAME || (s = stream_lookup(t, name, len, stream_hash(name, len),
	    &slot)) == NULL)
		return -ENOENT;
	*id = s->id;
	return 0;
}

uint64_t
stream_limited_pending(const struct stream_table *t, uint32_t id)
{
	return id < t->nstreams && t->by_id[id]->rl != NULL ?
	    ratelimit_pending(t->by_id[id]->rl) : 0;
}

int
stream_table_check(const struct stream_table *t)
{
	const struct stream	*s;
	uint32_t		 i, ndirty = 0, nslots = 0, nowned = 0, ndue = 0;
	uint64_t		 counted = 0, dropped;
	size_t			 j;

	if (t->nstreams > t->nids)
		return -EINVAL;
	for (j = 0; j <= t->slot_mask; j++)
		if (t->slots[j] != NULL)
			nslots++;
	if (nslots != t->nstreams)
		return -EINVAL;
	/* Every stream of a uid but root's is counted for it, once. */
	for (j = 0; j <= t->slot_mask; j++) {
		if (t->uids[j].n > 0 && stream_uid(t, t->uids[j].uid) != &t->uids[j])
			return -EINVAL;
		counted += t->uids[j].n;
	}
	for (i = 1; i < t->nstreams; i++)
		nowned += t->by_id[i]->owner != 0;
	if (counted != nowned)
		return -EINVAL;
	for (s = t->dirty_head; s != NULL; s = s->dirty_next) {
		if (!s->dirty || ++ndirty > t->nstreams)
			return -EINVAL;
		if (s->dirty_next == NULL ? s != t->dirty_tail : s->dirty_ms > s->dirty_next->dirty_ms)
			return -EINVAL;
	}
	if (ndirty != t->ndirty || (ndirty == 0) != (t->dirty_tail == NULL))
		return -EINVAL;
	for (i = 0; i < t->nstreams; i++) {
		s = t->by_id[i];
		if (s->id != i || s->hash != stream_hash(s->name, s->name_len))
			return -EINVAL;
		if (proto_name_valid(s->name, s->name_len) != 0)
			return -EINVAL;
		if (s->open != NULL && (s->open->len > s->open->cap ||
		    (s->open->len > 0 && !s->dirty)))
			return -EINVAL;
		if (s->rl != NULL && ratelimit_check(s->rl) != 0)
			return -EINVAL;
		/* due says exactly whether s has drops to report; ndue counts those streams. */
		for (dropped = 0, j = 0; j < BATCH_NPRIO; j++)
			dropped |= s->dropped[j];
		if (s->due != (s->report > 0 || dropped > 0))
			return -EINVAL;
		ndue += s->due;
	}
	return ndue == t->ndue ? 0 : -EINVAL;
}
