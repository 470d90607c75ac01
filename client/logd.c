/*
 * logd.c - liblogd, the client library (see logd.h, logd(3)).
 *
 * A handle is immutable after logd_open() except for three atomics, so
 * every call is thread-safe without locks.  One record = one sendmsg:
 * iov[0] holds the datagram header and record head, encoded on the stack;
 * the last iov points at the caller's message, which is never copied.  Key=
 * value fields (logd_send_fields()) go between them: each field's header,
 * key and '=' encoded on the stack, its value an iov of its own where the
 * caller has it.  A message too long for one datagram goes out as several
 * records, all but the last flagged PROTO_REC_MORE, each with the fields.
 *
 * A part after the first that cannot be sent leaves the parts before it
 * open: the reader would join them with this process's next message.  So
 * the handle notes that (open_prio), and the next datagram it sends, from
 * any thread or from logd_close(), starts with an empty record without MORE
 * that ends that message (logd-protocol(7)).  The end and the record after
 * it share the datagram, so neither goes without the other: a send that
 * fails leaves the end due.  The end carries no count: the record after
 * it does (logd-protocol(7)).  (Without
 * a lock, a record another thread sends while the end is under way can get
 * in before it, as one can between the parts of another thread's message.)
 *
 * Loss accounting: a record that could not be sent adds 1 to dropped and
 * to unreported.  A send takes all of unreported at once (an atomic
 * exchange, so no two threads report the same loss) and carries it as its
 * first part's dropped field; if that part is not sent, the count goes back
 * (an atomic add, with the 1 for the record itself).  So the daemon is told
 * of every failed send exactly once, whatever the number of threads.
 */
#include "logd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "proto.h"
#include "transport.h"

#define LOGD_API	__attribute__((visibility("default")))
#define LOGD_FMT_STACK	4096	/* printf messages up to this size need no heap */
#define LOGD_CLOSE_WAIT_MS	100	/* logd_close() waits this long to deliver a report */
#define LOGD_END_LEN(name_len)	(PROTO_REC_HDR_SIZE + (name_len))	/* an end record */
#define LOGD_HEAD_MAX	(PROTO_HDR_SIZE + LOGD_END_LEN(PROTO_MAX_NAME) + PROTO_REC_HDR_SIZE + \
			 PROTO_MAX_NAME + 4 * PROTO_FIELD_HDR_SIZE + 2 * PROTO_MAX_CALLER + 4 + 8)
#define LOGD_KV_HEAD	(PROTO_FIELD_HDR_SIZE + PROTO_MAX_KEY + 1)	/* a field but its value */
#define LOGD_FIELDS_MAX	32768	/* bytes of a record's fields: the message keeps room */

/* The key=value fields of a record, for send_record(). */
struct fields {
	/* [0] the head, then each field's head and value, then the message */
	struct iovec	iov[1 + 2 * LOGD_MAX_FIELDS + 1];
	int		n;		/* iovs of the fields */
	size_t		len;		/* their bytes */
	uint8_t		heads[LOGD_MAX_FIELDS][LOGD_KV_HEAD];
};

struct logd_client {
	struct transport	t;
	unsigned		flags;
	size_t			name_len;
	char			name[PROTO_MAX_NAME + 1];
	_Atomic uint64_t	dropped;
	_Atomic uint64_t	unreported;
	_Atomic unsigned	open_prio;	/* 1 + priority of a message left open; 0: none */
};

LOGD_API logd_client *
logd_open(const char *stream, unsigned flags)
{
	logd_client	*c;
	size_t		 len;
	int		 rc;

	if (stream == NULL || (flags & ~LOGD_NONBLOCK) != 0 ||
	    (len = strnlen(stream, PROTO_MAX_NAME + 1)) > PROTO_MAX_NAME ||
	    proto_name_valid(stream, len) != 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((rc = transport_open(&c->t)) < 0) {
		free(c);
		errno = -rc;
		return NULL;
	}
	c->flags = flags;
	c->name_len = len;
	memcpy(c->name, stream, len);
	atomic_init(&c->dropped, 0);
	atomic_init(&c->unreported, 0);
	atomic_init(&c->open_prio, 0);
	return c;
}

/*
 * Sends one datagram: if end > 0, the record that ends the message left open
 * at priority end - 1, then rec, with the fields kv (NULL: none; rec->kv_len
 * their bytes) and the message msg/len (the caller leaves room for the end).
 * timeout_ms < 0: block or not as the handle does.
 */
static int
send_record(logd_client *c, unsigned end, struct proto_record *rec, struct fields *kv,
    const uint8_t *msg, size_t len, int timeout_ms)
{
	struct proto_record	eom;
	uint8_t			head[LOGD_HEAD_MAX];
	struct iovec		plain[2], *iov = kv != NULL ? kv->iov : plain;
	size_t			off = PROTO_HDR_SIZE;
	ssize_t			n;
	int			niov = kv != NULL ? 1 + kv->n : 1;

	(void)proto_encode_header(head, sizeof(head));
	if (end > 0) {
		memset(&eom, 0, sizeof(eom));
		eom.priority = (uint8_t)(end - 1);
		eom.name = c->name;
		eom.name_len = c->name_len;
		eom.ts_ns = rec->ts_ns;
		if ((n = proto_encode_head(head + off, sizeof(head) - off, &eom)) < 0)
			return (int)n;
		off += (size_t)n;
	}
	rec->msg = msg;
	rec->msg_len = len;
	if ((n = proto_encode_head(head + off, sizeof(head) - off, rec)) < 0)
		return (int)n;
	iov[0].iov_base = head;
	iov[0].iov_len = off + (size_t)n;
	if (len > 0) {
		iov[niov].iov_base = (void *)msg;
		iov[niov++].iov_len = len;
	}
	if (timeout_ms >= 0)
		return transport_send_within(&c->t, iov, niov, timeout_ms);
	return transport_send(&c->t, iov, niov, (c->flags & LOGD_NONBLOCK) != 0);
}

/* Sends a record that only reports the unreported losses, waiting at most LOGD_CLOSE_WAIT_MS. */
static void
send_report(logd_client *c)
{
	struct proto_record	rec;

	memset(&rec, 0, sizeof(rec));
	rec.priority = LOG_WARNING;
	rec.flags = PROTO_REC_REPORT;
	rec.name = c->name;
	rec.name_len = c->name_len;
	rec.ts_ns = clock_ns(CLOCK_REALTIME);
	/* The handle is going away: what this fails to deliver is lost with it. */
	rec.dropped = atomic_exchange_explicit(&c->unreported, 0, memory_order_relaxed);
	(void)send_record(c, atomic_exchange_explicit(&c->open_prio, 0, memory_order_relaxed),
	    &rec, NULL, NULL, 0, LOGD_CLOSE_WAIT_MS);
}

LOGD_API void
logd_close(logd_client *c)
{
	if (c == NULL)
		return;
	if (atomic_load_explicit(&c->unreported, memory_order_relaxed) > 0 ||
	    atomic_load_explicit(&c->open_prio, memory_order_relaxed) > 0)
		send_report(c);
	transport_close(&c->t);
	free(c);
}

LOGD_API uint64_t
logd_dropped(const logd_client *c)
{
	return c == NULL ? 0 : atomic_load_explicit(&c->dropped, memory_order_relaxed);
}

/*
 * One record will never reach the daemon: counted, and reported with the
 * next that does, with given_back (a count a failed send had taken).
 */
static void
count_drop(logd_client *c, uint64_t given_back)
{
	atomic_fetch_add_explicit(&c->dropped, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->unreported, given_back + 1, memory_order_relaxed);
}

/* Sends msg (len bytes) at priority, with a caller (file NULL: none) and fields (NULL: none). */
static int
send_message(logd_client *c, int priority, const char *file, int line, const char *func,
    struct fields *kv, const void *msg, size_t len)
{
	struct proto_record	 rec;
	const uint8_t		*p = msg;
	size_t			 max, part;
	unsigned		 end = 0;
	int			 rc;

	if (c == NULL || priority < 0 || priority > PROTO_MAX_PRIORITY || (msg == NULL && len > 0))
		return -EINVAL;
	memset(&rec, 0, sizeof(rec));
	rec.priority = (uint8_t)priority;
	rec.name = c->name;
	rec.name_len = c->name_len;
	rec.ts_ns = clock_ns(CLOCK_REALTIME);
	if (file != NULL) {
		rec.file_len = strlen(file);
		/* The end of a long path says more than its start. */
		if (rec.file_len > PROTO_MAX_CALLER) {
			file += rec.file_len - PROTO_MAX_CALLER;
			rec.file_len = PROTO_MAX_CALLER;
		}
		rec.file = file;
	}
	if (line > 0)
		rec.line = (uint32_t)line;
	if (func != NULL) {
		rec.func = func;
		rec.func_len = strnlen(func, PROTO_MAX_CALLER);
	}
	if (kv != NULL)
		rec.kv_len = kv->len;	/* rec.kv NULL: the iovs carry them */
	/* Exchanges only when there is something to take: the usual case is two loads. */
	if (atomic_load_explicit(&c->unreported, memory_order_relaxed) > 0)
		rec.dropped = atomic_exchange_explicit(&c->unreported, 0, memory_order_relaxed);
	if (atomic_load_explicit(&c->open_prio, memory_order_relaxed) > 0)
		end = atomic_exchange_explicit(&c->open_prio, 0, memory_order_relaxed);
	for (;;) {
		max = proto_max_msg(&rec);
		if (end > 0)
			max -= LOGD_END_LEN(c->name_len);
		part = len > max ? max : len;
		rec.flags = part < len ? PROTO_REC_MORE : 0;
		if ((rc = send_record(c, end, &rec, kv, p, part, -1)) < 0)
			break;
		rec.dropped = 0;	/* delivered with the first part */
		end = 0;
		p += part;
		len -= part;
		if (len == 0)
			return 0;
	}
	/*
	 * Parts already sent stay open until an end record goes; an end that did
	 * not go stays due.  A count the first part did not deliver goes back,
	 * with this record.
	 */
	if (p != msg)
		end = 1u + rec.priority;
	if (end > 0)
		atomic_store_explicit(&c->open_prio, end, memory_order_relaxed);
	count_drop(c, rec.dropped);
	return rc;
}

LOGD_API int
logd_send(logd_client *c, int priority, const void *msg, size_t len)
{
	return send_message(c, priority, NULL, 0, NULL, NULL, msg, len);
}

LOGD_API int
logd_send_fields(logd_client *c, int priority, const struct logd_field *fields, size_t n,
    const void *msg, size_t len)
{
	struct fields	kv;
	size_t		i, key_len, val_len;
	ssize_t		k;

	if (n > LOGD_MAX_FIELDS || (fields == NULL && n > 0))
		return -EINVAL;
	kv.n = 0;
	kv.len = 0;
	for (i = 0; i < n; i++) {
		if (fields[i].key == NULL || fields[i].value == NULL)
			return -EINVAL;
		key_len = strnlen(fields[i].key, PROTO_MAX_KEY + 1);
		val_len = strlen(fields[i].value);
		if ((k = proto_encode_kv_head(kv.heads[i], sizeof(kv.heads[i]), fields[i].key,
		    key_len, val_len)) < 0)
			return -EINVAL;		/* a bad key, or a value over 64 KiB */
		kv.iov[1 + kv.n].iov_base = kv.heads[i];
		kv.iov[1 + kv.n++].iov_len = (size_t)k;
		if (val_len > 0) {
			kv.iov[1 + kv.n].iov_base = (void *)fields[i].value;
			kv.iov[1 + kv.n++].iov_len = val_len;
		}
		kv.len += (size_t)k + val_len;
	}
	if (kv.len > LOGD_FIELDS_MAX)
		return -EINVAL;
	return send_message(c, priority, NULL, 0, NULL, n > 0 ? &kv : NULL, msg, len);
}

static int
send_vformat(logd_client *c, int priority, const char *file, int line, const char *func,
    const char *fmt, va_list ap)
{
	char	 stack[LOGD_FMT_STACK], *buf = stack;
	va_list	 ap2;
	int	 n, rc;

	if (fmt == NULL)
		return -EINVAL;
	va_copy(ap2, ap);
	n = vsnprintf(stack, sizeof(stack), fmt, ap);
	if (n < 0) {
		va_end(ap2);
		return -EINVAL;
	}
	if ((size_t)n >= sizeof(stack)) {
		/* Rare: a message longer than the stack buffer gets one allocation. */
		if ((buf = malloc((size_t)n + 1)) == NULL) {
			va_end(ap2);
			if (c != NULL && priority >= 0 && priority <= PROTO_MAX_PRIORITY)
				count_drop(c, 0);	/* a valid record, lost */
			return -ENOMEM;
		}
		vsnprintf(buf, (size_t)n + 1, fmt, ap2);
	}
	va_end(ap2);
	rc = send_message(c, priority, file, line, func, NULL, buf, (size_t)n);
	if (buf != stack)
		free(buf);
	return rc;
}

LOGD_API int
logd_printf(logd_client *c, int priority, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = send_vformat(c, priority, NULL, 0, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

LOGD_API int
logd_vprintf(logd_client *c, int priority, const char *fmt, va_list ap)
{
	return send_vformat(c, priority, NULL, 0, NULL, fmt, ap);
}

LOGD_API int
logd_sendf_at(logd_client *c, int priority, const char *file, int line, const char *func,
    const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = send_vformat(c, priority, file, line, func, fmt, ap);
	va_end(ap);
	return rc;
}
