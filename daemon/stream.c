/*
 * stream.c - the stream table (see stream.h).
 *
 * Open addressing with linear probing over a power-of-two slot array at
 * least twice max_streams, so a lookup ends within a few probes and the
 * table never resizes.  Streams live until the table is freed (their names
 * are referenced by queued batches).  The streams with a non-empty open
 * batch form the dirty list, which the flush timer seals.
 * Invariant: t->nstreams <= t->max_streams; every stream with open != NULL
 * and open->len > 0 is on the dirty list.  Loop thread only.
 */
#include "stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

struct stream {
	char		 name[PROTO_MAX_NAME + 1];
	size_t		 name_len;
	uint32_t	 hash;
	uint32_t	 id;
	struct batch	*open;		/* the batch lines are formatted into, or NULL */
	struct stream	*dirty_next;
	int		 dirty;
};

struct stream_table {
	const struct config	*cfg;
	struct queue		*q;
	struct event		*flush_ev;
	struct timeval		 flush_tv;
	struct stream		**slots;
	size_t			 slot_mask;
	struct stream		**by_id;
	uint32_t		 nstreams;
	uint32_t		 max_streams;
	struct stream		*last;		/* the most recent lookup: senders repeat themselves */
	struct stream		*dirty_head;
	struct format_cache	 fc;
	uint64_t		 lines;
};

static void	on_flush(evutil_socket_t fd, short what, void *arg);

int
stream_table_new(struct event_base *base, const struct config *cfg, struct queue *q,
    struct stream_table **out)
{
	struct stream_table	*t;
	size_t			 nslots = 16;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	while (nslots < (size_t)cfg->max_streams * 2)
		nslots <<= 1;
	t->slots = calloc(nslots, sizeof(*t->slots));
	t->by_id = calloc(cfg->max_streams, sizeof(*t->by_id));
	t->flush_ev = evtimer_new(base, on_flush, t);
	if (t->slots == NULL || t->by_id == NULL || t->flush_ev == NULL) {
		stream_table_free(t);
		return -ENOMEM;
	}
	t->slot_mask = nslots - 1;
	t->cfg = cfg;
	t->q = q;
	t->max_streams = cfg->max_streams;
	t->flush_tv.tv_sec = (time_t)(cfg->flush_interval_ms / 1000);
	t->flush_tv.tv_usec = (suseconds_t)(cfg->flush_interval_ms % 1000) * 1000;
	format_cache_init(&t->fc);
	*out = t;
	return 0;
}

void
stream_table_free(struct stream_table *t)
{
	uint32_t	i;

	if (t == NULL)
		return;
	if (t->flush_ev != NULL)
		event_free(t->flush_ev);
	for (i = 0; i < t->nstreams; i++) {
		if (t->by_id[i]->open != NULL)
			queue_batch_free(t->q, t->by_id[i]->open);
		free(t->by_id[i]);
	}
	free(t->by_id);
	free(t->slots);
	free(t);
}

/* FNV-1a: names are short, and this is one multiply per byte. */
static uint32_t
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

int
stream_get(struct stream_table *t, const char *name, size_t len, struct stream **out)
{
	struct stream	*s = t->last;
	uint32_t	 h;
	size_t		 i;

	if (s != NULL && s->name_len == len && memcmp(s->name, name, len) == 0) {
		*out = s;
		return 0;
	}
	h = stream_hash(name, len);
	for (i = h & t->slot_mask; (s = t->slots[i]) != NULL; i = (i + 1) & t->slot_mask) {
		if (s->hash == h && s->name_len == len && memcmp(s->name, name, len) == 0) {
			*out = t->last = s;
			return 0;
		}
	}
	if (t->nstreams >= t->max_streams || len > PROTO_MAX_NAME)
		return -ENOSPC;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	memcpy(s->name, name, len);
	s->name[len] = '\0';
	s->name_len = len;
	s->hash = h;
	s->id = t->nstreams;
	t->slots[i] = s;
	t->by_id[t->nstreams++] = s;
	*out = t->last = s;
	return 0;
}

static void
stream_seal(struct stream_table *t, struct stream *s)
{
	if (s->open == NULL)
		return;
	if (s->open->len == 0)
		return;		/* keep the empty batch for the next line */
	queue_push(t->q, s->open);
	s->open = NULL;
}

void
stream_seal_all(struct stream_table *t)
{
	struct stream	*s;

	while ((s = t->dirty_head) != NULL) {
		t->dirty_head = s->dirty_next;
		s->dirty_next = NULL;
		s->dirty = 0;
		stream_seal(t, s);
	}
}

static void
on_flush(evutil_socket_t fd, short what, void *arg)
{
	stream_seal_all(arg);
}

/* Makes sure s's open batch has room for need more bytes. */
static int
stream_reserve(struct stream_table *t, struct stream *s, size_t need)
{
	size_t	cap;

	if (s->open != NULL && s->open->cap - s->open->len >= need)
		return 0;
	stream_seal(t, s);
	if (s->open != NULL) {
		/* Empty but too small for this record. */
		queue_batch_free(t->q, s->open);
		s->open = NULL;
	}
	cap = t->cfg->batch_bytes > need ? t->cfg->batch_bytes : need;
	if ((s->open = queue_batch_new(t->q, cap)) == NULL)
		return -ENOBUFS;
	s->open->stream_id = s->id;
	s->open->stream_name = s->name;
	return 0;
}

static void
stream_mark_dirty(struct stream_table *t, struct stream *s)
{
	if (s->dirty)
		return;
	s->dirty = 1;
	s->dirty_next = t->dirty_head;
	t->dirty_head = s;
	if (!evtimer_pending(t->flush_ev, NULL))
		evtimer_add(t->flush_ev, &t->flush_tv);
}

int
stream_append(struct stream_table *t, struct stream *s, const struct proto_record *rec,
    uint64_t ts_ns, const struct format_sender *who)
{
	enum config_format	 fmt = t->cfg->format;
	struct proto_record	 marker;
	char			 text[160];
	size_t			 need;
	int			 n;
	struct batch		*b;

	need = format_max_len(fmt, rec);
	if (rec->dropped > 0) {
		n = snprintf(text, sizeof(text),
		    "logd: dropped %" PRIu64 " records: pid %ld could not deliver them",
		    rec->dropped, (long)who->pid);
		memset(&marker, 0, sizeof(marker));
		marker.priority = LOG_WARNING;
		marker.name = rec->name;
		marker.name_len = rec->name_len;
		marker.msg = (const uint8_t *)text;
		marker.msg_len = (size_t)n;
		need += format_max_len(fmt, &marker);
	}
	if (stream_reserve(t, s, need) < 0)
		return -ENOBUFS;
	b = s->open;
	if (rec->dropped > 0) {
		b->len += format_line(&t->fc, fmt, b->data + b->len, &marker, ts_ns, who);
		b->nrecords++;
		t->lines++;
	}
	b->len += format_line(&t->fc, fmt, b->data + b->len, rec, ts_ns, who);
	b->nrecords++;
	t->lines++;
	stream_mark_dirty(t, s);
	return 0;
}

uint32_t
stream_count(const struct stream_table *t)
{
	return t->nstreams;
}

uint64_t
stream_lines(const struct stream_table *t)
{
	return t->lines;
}

int
stream_table_check(const struct stream_table *t)
{
	const struct stream	*s;
	uint32_t		 i, ndirty = 0, nslots = 0;
	size_t			 j;

	if (t->nstreams > t->max_streams)
		return -EINVAL;
	for (j = 0; j <= t->slot_mask; j++)
		if (t->slots[j] != NULL)
			nslots++;
	if (nslots != t->nstreams)
		return -EINVAL;
	for (s = t->dirty_head; s != NULL; s = s->dirty_next)
		if (!s->dirty || ++ndirty > t->nstreams)
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
	}
	return 0;
}
