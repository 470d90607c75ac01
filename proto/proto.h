/*
 * proto.h - the logd wire format, version 1 (normative spec: logd-protocol(7)).
 *
 * Pure functions over bytes: no I/O, no globals, no allocation.  Both liblogd
 * and logd use this; the daemon decodes untrusted datagrams with it, so every
 * length is checked before it is used and every malformed input maps to one
 * distinct reason code (enum proto_err).
 *
 * Layout (all integers little-endian):
 *   datagram = header (8 bytes) record+
 *   header   = magic "logd" (4) | version u8 = 1 | flags u8 = 0 | reserved u16 = 0
 *   record   = rec_len u32 (whole record, this field included)
 *              | priority u8 (0-7) | flags u8 (PROTO_REC_*) | name_len u8 (1-64)
 *              | reserved u8 = 0 | timestamp u64 (CLOCK_REALTIME ns, 0 = stamp on receipt)
 *              | fields_len u16 | reserved u16 = 0
 *              | name (name_len) | fields (fields_len) | message (the rest of the record)
 *   field    = type u8 | len u16 | value (len)
 */
#ifndef LOGD_PROTO_H
#define LOGD_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROTO_VERSION		1
#define PROTO_MAX_DGRAM		65536	/* bytes in one datagram, header included */
#define PROTO_HDR_SIZE		8
#define PROTO_REC_HDR_SIZE	20	/* fixed part of a record, rec_len included */
#define PROTO_MAX_NAME		64
#define PROTO_MAX_PRIORITY	7
#define PROTO_FIELD_HDR_SIZE	3	/* type u8 + len u16 */
#define PROTO_MAX_KEY		64	/* key of a key=value field */
#define PROTO_MAX_CALLER	255	/* encoders cut file and function names to this */
#define PROTO_MAX_TAG		48	/* a tag: syslog's TAG (RFC 3164), logger -t */
/*
 * The most records one dropped field may claim: 2^53 - 1, what a JSON reader
 * still reads exactly, and more than a sender failing ten million sends a
 * second loses in 28 years.  The daemon takes a larger claim as this much
 * and counts the record as malformed.
 */
#define PROTO_MAX_DROPPED	((1ull << 53) - 1)

/* Record flags. */
#define PROTO_REC_MORE		0x01	/* the message continues in the sender's next record */
#define PROTO_REC_REPORT	0x02	/* a loss report only: no line of its own, no message */
#define PROTO_REC_FLAGS		(PROTO_REC_MORE | PROTO_REC_REPORT)

/* Field types.  Unknown types are skipped, so newer clients work with older daemons. */
enum proto_field {
	PROTO_F_FILE = 1,	/* caller's source file, bytes */
	PROTO_F_LINE = 2,	/* caller's line, u32 */
	PROTO_F_FUNC = 3,	/* caller's function, bytes */
	PROTO_F_KV = 4,		/* "key=value": key 1-64 bytes of [A-Za-z0-9_]; repeatable */
	PROTO_F_DROPPED = 5,	/* u64: records this sender failed to deliver before this one */
	PROTO_F_TAG = 6,	/* the sender's tag: 1-48 bytes, see proto_tag_valid() */
};

/* Why a datagram was rejected.  Functions return these negated. */
enum proto_err {
	PROTO_OK = 0,
	PROTO_E_SHORT,		/* shorter than the datagram header */
	PROTO_E_TOOBIG,		/* longer than PROTO_MAX_DGRAM */
	PROTO_E_MAGIC,		/* does not start with "logd" */
	PROTO_E_VERSION,	/* version is not PROTO_VERSION */
	PROTO_E_HDR_RESERVED,	/* header flags or reserved bytes are not zero */
	PROTO_E_EMPTY,		/* header but no record */
	PROTO_E_REC_TRUNC,	/* fewer bytes left than a record header, or rec_len past the end */
	PROTO_E_REC_SHORT,	/* rec_len smaller than header + name + fields */
	PROTO_E_PRIORITY,	/* priority above 7 */
	PROTO_E_REC_FLAGS,	/* unknown record flag or non-zero reserved byte */
	PROTO_E_NAME,		/* stream name empty, too long, bad byte, or leading '.' */
	PROTO_E_FIELD_TRUNC,	/* a field header or value overruns the fields area */
	PROTO_E_FIELD_TYPE,	/* field type 0 */
	PROTO_E_FIELD_SIZE,	/* a fixed-size field (line, dropped) has the wrong length */
	PROTO_E_FIELD_DUP,	/* file, line, func, dropped or tag given twice */
	PROTO_E_KV,		/* key=value field without '=' or with a bad key */
	PROTO_E_TAG,		/* tag field empty, too long, or with a byte a tag cannot have */
	PROTO_E_COUNT		/* number of reasons, not a reason */
};

/*
 * One record.  Decoding fills it with pointers into the datagram (valid as long
 * as the datagram buffer is); encoding reads it.  Absent text fields have len 0.
 */
struct proto_record {
	uint8_t		 priority;
	uint8_t		 flags;		/* PROTO_REC_* */
	const char	*name;
	size_t		 name_len;
	uint64_t	 ts_ns;
	const char	*file;
	size_t		 file_len;
	uint32_t	 line;		/* 0 = none */
	const char	*func;
	size_t		 func_len;
	uint64_t	 dropped;	/* 0 = none */
	const uint8_t	*kv;		/* the raw fields area; walk it with proto_kv_next() */
	size_t		 kv_len;	/* 0 when the record has no key=value field */
	const uint8_t	*msg;
	size_t		 msg_len;
	const char	*tag;		/* PROTO_F_TAG, or a syslog record's ident (any bytes) */
	size_t		 tag_len;	/* 0: none */
};

/*
 * Empties *rec: a copy of an empty record, not memset(), which GCC makes a
 * `rep stos` that costs tens of cycles a record on the hot path.
 */
static inline void
proto_record_clear(struct proto_record *rec)
{
	static const struct proto_record	empty;

	*rec = empty;
}

/*
 * The stream name of a datagram's first record, unchecked (a hint, as for a
 * prefetch): in *name and *name_len if the bytes are there, else NULL and 0.
 */
static inline void
proto_peek_name(const uint8_t *buf, size_t len, const char **name, size_t *name_len)
{
	const size_t	at = PROTO_HDR_SIZE + PROTO_REC_HDR_SIZE;

	*name = NULL;
	*name_len = 0;
	if (len >= at && len - at >= buf[PROTO_HDR_SIZE + 6]) {
		*name = (const char *)buf + at;
		*name_len = buf[PROTO_HDR_SIZE + 6];
	}
}

/* Returns 0 if name is a valid stream name (1-64 of [A-Za-z0-9._-], no leading '.'). */
int		proto_name_valid(const char *name, size_t len);

/* A byte a tag may have: printable ASCII but ':' and '[' (syslog's TAG ends at them). */
static inline int
proto_tag_byte(uint8_t c)
{
	return c > ' ' && c < 0x7f && c != ':' && c != '[';
}

/* Returns 0 if tag is a valid tag (1-48 bytes of proto_tag_byte()), else -PROTO_E_TAG. */
int		proto_tag_valid(const char *tag, size_t len);

/* syslog's names of the priorities 0-7, for proto_priority_name(): NUL-padded to 8 bytes. */
struct proto_priority {
	char	name[8];
	size_t	len;
};
extern const struct proto_priority proto_priorities[PROTO_MAX_PRIORITY + 1];

/* syslog's name of priority prio (0-7: "emerg" ... "debug"), "?" for others; its length in *len. */
static inline const char *
proto_priority_name(unsigned prio, size_t *len)
{
	if (prio > PROTO_MAX_PRIORITY) {
		*len = 1;
		return "?";
	}
	*len = proto_priorities[prio].len;
	return proto_priorities[prio].name;
}

/*
 * A priority as people write it: syslog's name ("warning"), its old names
 * ("panic", "error", "warn", as logger(1) takes them), in any case
 * ("WARNING"; ASCII only: logd and logctl run in the C locale), or a
 * digit 0-7.  Returns 0-7, or -EINVAL.
 */
int		proto_priority_parse(const char *s);

/* Length of the valid UTF-8 sequence (RFC 3629) at s, of left >= 1 bytes, or 0 if none. */
size_t		proto_utf8_len(const uint8_t *s, size_t left);

/* A short English description of a reason code ("bad magic"); never NULL. */
const char     *proto_strerror(int reason);

/* A reason code's name as logd-protocol(7) and logctl stats give it ("record_truncated"). */
const char     *proto_reason_key(int reason);

/*
 * Checks the whole datagram: header and every record.  Returns the number of
 * records (>= 1) or -PROTO_E_*.  Decode only datagrams that passed this, so a
 * bad record never lets its neighbours in the same datagram through half-done.
 */
ssize_t		proto_validate(const void *buf, size_t len);

/*
 * proto_validate(), keeping what it decoded of the first record: on success
 * *first is that record and *next the offset after it, as proto_decode()
 * from PROTO_HDR_SIZE leaves them.  For a caller that goes on to use the
 * records: the first (most datagrams hold one) is not decoded twice.
 */
ssize_t		proto_validate_first(const void *buf, size_t len, struct proto_record *first,
		    size_t *next);

/*
 * Decodes the record at *off (start with *off = PROTO_HDR_SIZE) into rec and
 * advances *off.  Returns 0, or -PROTO_E_* if the record is malformed.  The
 * caller stops when *off == len.
 */
int		proto_decode(const void *buf, size_t len, size_t *off, struct proto_record *rec);

/*
 * Walks the key=value fields of a decoded record: *off starts at 0.  Returns 1
 * and sets key/val for the next pair, 0 when there are no more.
 */
int		proto_kv_next(const struct proto_record *rec, size_t *off, const char **key,
		    size_t *key_len, const char **val, size_t *val_len);

/* Writes the 8-byte datagram header.  Returns PROTO_HDR_SIZE or -ENOSPC. */
ssize_t		proto_encode_header(void *buf, size_t cap);

/*
 * Bytes that proto_encode_head() will write for rec: the record header, name
 * and fields, without the message.  kv fields are taken from rec->kv/kv_len
 * as already-encoded field bytes (see proto_encode_kv()); with rec->kv NULL
 * the caller sends those kv_len bytes itself, right after the head and
 * before the message (and proto_encode_head() counts but does not write them).
 */
size_t		proto_head_size(const struct proto_record *rec);

/*
 * Writes rec's record header, name and fields; rec_len counts rec->msg_len
 * message bytes that the caller sends right after (e.g. as a second iovec).
 * Returns the bytes written, -ENOSPC if cap is too small, -EINVAL if rec is not
 * encodable (bad name, priority or tag, file/func longer than PROTO_MAX_CALLER,
 * record longer than a datagram can carry).
 */
ssize_t		proto_encode_head(void *buf, size_t cap, const struct proto_record *rec);

/* proto_encode_head() and the message bytes: one whole record (rec->kv NULL: -EINVAL). */
ssize_t		proto_encode_record(void *buf, size_t cap, const struct proto_record *rec);

/* Encodes one key=value field (for rec->kv).  Returns bytes written, -ENOSPC or -EINVAL. */
ssize_t		proto_encode_kv(void *buf, size_t cap, const char *key, size_t key_len,
		    const char *val, size_t val_len);

/*
 * proto_encode_kv() but for the value: the field's header, the key and '='
 * (PROTO_FIELD_HDR_SIZE + key_len + 1 bytes), for a sender that sends the
 * val_len value bytes from where they are.  -EINVAL for a bad key (not
 * 1-64 of [A-Za-z0-9_]) or a field longer than a field can be.
 */
ssize_t		proto_encode_kv_head(void *buf, size_t cap, const char *key, size_t key_len,
		    size_t val_len);

/*
 * The most message bytes one record with rec's head can carry in a datagram
 * of its own (PROTO_MAX_DGRAM - header - head).  Longer messages are split
 * into records flagged PROTO_REC_MORE.
 */
size_t		proto_max_msg(const struct proto_record *rec);

#endif
