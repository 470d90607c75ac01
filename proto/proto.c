/*
 * proto.c - the logd wire format, version 1 (see proto.h, logd-protocol(7)).
 *
 * Pure: no I/O, no globals but constant tables, no allocation.  Every length
 * read from a datagram is checked against the bytes that remain before it is
 * used; sizes are compared by subtraction so nothing can overflow.
 */
#include "proto.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static const uint8_t	proto_magic[4] = { 'l', 'o', 'g', 'd' };

/* 1 for the bytes a stream name may hold: [A-Za-z0-9._-]. */
static const uint8_t	name_ok[256] = {
	['-'] = 1, ['.'] = 1, ['_'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
	['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
	['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
	['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/*
 * Each reason's key (logd-protocol(7)'s name of it, '_' for the space: what
 * logctl stats shows) and its description (what logd says on stderr).
 */
static const struct {
	const char	*key;
	const char	*text;
} proto_reasons[PROTO_E_COUNT] = {
	[PROTO_OK] = { "ok", "no error" },
	[PROTO_E_SHORT] = { "short", "shorter than the 8-byte datagram header" },
	[PROTO_E_TOOBIG] = { "too_big", "longer than 65536 bytes" },
	[PROTO_E_MAGIC] = { "magic", "bad magic (not a logd datagram)" },
	[PROTO_E_VERSION] = { "version", "unsupported protocol version" },
	[PROTO_E_HDR_RESERVED] = { "header_reserved",
	    "non-zero flags or reserved bytes in the datagram header" },
	[PROTO_E_EMPTY] = { "empty", "no record after the header" },
	[PROTO_E_REC_TRUNC] = { "record_truncated",
	    "record truncated (its length runs past the datagram)" },
	[PROTO_E_REC_SHORT] = { "record_short",
	    "record length smaller than its header, name and fields" },
	[PROTO_E_PRIORITY] = { "priority", "priority above 7" },
	[PROTO_E_REC_FLAGS] = { "record_flags", "unknown record flag or non-zero reserved byte" },
	[PROTO_E_NAME] = { "name", "bad stream name" },
	[PROTO_E_FIELD_TRUNC] = { "field_truncated", "field runs past the fields area" },
	[PROTO_E_FIELD_TYPE] = { "field_type", "field of type 0" },
	[PROTO_E_FIELD_SIZE] = { "field_size",
	    "fixed-size field (line, dropped) of the wrong length" },
	[PROTO_E_FIELD_DUP] = { "field_duplicate",
	    "file, line, function, dropped or tag field given twice" },
	[PROTO_E_KV] = { "key_value", "key=value field without '=' or with a bad key" },
	[PROTO_E_TAG] = { "tag", "tag field empty, longer than 48 bytes, or with a byte "
	    "other than printable ASCII but ':' and '['" },
};

static inline uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static inline void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

int
proto_name_valid(const char *name, size_t len)
{
	const uint8_t	*p = (const uint8_t *)name;
	size_t		 i;

	if (len == 0 || len > PROTO_MAX_NAME || p[0] == '.')
		return -PROTO_E_NAME;
	for (i = 0; i < len; i++)
		if (!name_ok[p[i]])
			return -PROTO_E_NAME;
	return 0;
}

int
proto_tag_valid(const char *tag, size_t len)
{
	size_t	i;

	if (len == 0 || len > PROTO_MAX_TAG)
		return -PROTO_E_TAG;
	for (i = 0; i < len; i++)
		if (!proto_tag_byte((uint8_t)tag[i]))
			return -PROTO_E_TAG;
	return 0;
}

const struct proto_priority proto_priorities[PROTO_MAX_PRIORITY + 1] = {
	{ "emerg", 5 }, { "alert", 5 }, { "crit", 4 }, { "err", 3 },
	{ "warning", 7 }, { "notice", 6 }, { "info", 4 }, { "debug", 5 },
};

int
proto_priority_parse(const char *s)
{
	static const struct {
		const char	*name;
		int		 prio;
	} old[] = { { "panic", 0 }, { "error", 3 }, { "warn", 4 } };
	size_t	i;

	if (s[0] >= '0' && s[0] <= '0' + PROTO_MAX_PRIORITY && s[1] == '\0')
		return s[0] - '0';
	for (i = 0; i <= PROTO_MAX_PRIORITY; i++)
		if (strcasecmp(s, proto_priorities[i].name) == 0)
			return (int)i;
	for (i = 0; i < sizeof(old) / sizeof(old[0]); i++)
		if (strcasecmp(s, old[i].name) == 0)
			return old[i].prio;
	return -EINVAL;
}

size_t
proto_utf8_len(const uint8_t *s, size_t left)
{
	uint8_t	c = s[0], lo = 0x80, hi = 0xbf;
	size_t	n, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		lo = c == 0xe0 ? 0xa0 : lo;
		hi = c == 0xed ? 0x9f : hi;	/* no UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		lo = c == 0xf0 ? 0x90 : lo;
		hi = c == 0xf4 ? 0x8f : hi;	/* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (left < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

const char *
proto_strerror(int reason)
{
	if (reason < 0)
		reason = -reason;
	if (reason >= PROTO_E_COUNT)
		return "unknown reason";
	return proto_reasons[reason].text;
}

const char *
proto_reason_key(int reason)
{
	if (reason < 0)
		reason = -reason;
	if (reason >= PROTO_E_COUNT)
		return "unknown";
	return proto_reasons[reason].key;
}

static int
kv_valid(const uint8_t *v, size_t len)
{
	size_t	i;

	for (i = 0; i < len && v[i] != '='; i++) {
		if (!(name_ok[v[i]] && v[i] != '.' && v[i] != '-'))
			return 0;
	}
	return i > 0 && i < len && i <= PROTO_MAX_KEY;
}

/* Checks and decodes the fields area [p, p+len) into rec. */
static int
proto_fields(const uint8_t *p, size_t len, struct proto_record *rec)
{
	unsigned	seen = 0;
	size_t		off = 0, flen;
	uint8_t		type;
	int		has_kv = 0, rc;

	while (off < len) {
		if (len - off < PROTO_FIELD_HDR_SIZE)
			return -PROTO_E_FIELD_TRUNC;
		type = p[off];
		flen = get16(p + off + 1);
		off += PROTO_FIELD_HDR_SIZE;
		if (flen > len - off)
			return -PROTO_E_FIELD_TRUNC;
		if (type == 0)
			return -PROTO_E_FIELD_TYPE;
		if (type != PROTO_F_KV && type <= PROTO_F_TAG) {	/* at most once */
			if (seen & (1u << type))
				return -PROTO_E_FIELD_DUP;
			seen |= 1u << type;
		}
		switch (type) {
		case PROTO_F_FILE:
			rec->file = (const char *)p + off;
			rec->file_len = flen;
			break;
		case PROTO_F_LINE:
			if (flen != 4)
				return -PROTO_E_FIELD_SIZE;
			rec->line = get32(p + off);
			break;
		case PROTO_F_FUNC:
			rec->func = (const char *)p + off;
			rec->func_len = flen;
			break;
		case PROTO_F_KV:
			if (!kv_valid(p + off, flen))
				return -PROTO_E_KV;
			has_kv = 1;
			break;
		case PROTO_F_DROPPED:
			if (flen != 8)
				return -PROTO_E_FIELD_SIZE;
			rec->dropped = get64(p + off);
			break;
		case PROTO_F_TAG:
			if ((rc = proto_tag_valid((const char *)p + off, flen)) < 0)
				return rc;
			rec->tag = (const char *)p + off;
			rec->tag_len = flen;
			break;
		default:
			break;	/* a newer client's field: skip it */
		}
		off += flen;
	}
	if (has_kv) {
		rec->kv = p;
		rec->kv_len = len;
	}
	return 0;
}

int
proto_decode(const void *buf, size_t len, size_t *off, struct proto_record *rec)
{
	const uint8_t	*p = (const uint8_t *)buf + *off;
	size_t		 left, rec_len, name_len, fields_len;
	int		 rc;

	if (*off > len || len - *off < PROTO_REC_HDR_SIZE)
		return -PROTO_E_REC_TRUNC;
	left = len - *off;
	rec_len = get32(p);
	if (rec_len > left)
		return -PROTO_E_REC_TRUNC;
	name_len = p[6];
	fields_len = get16(p + 16);
	if (rec_len < PROTO_REC_HDR_SIZE + name_len + fields_len)
		return -PROTO_E_REC_SHORT;
	if (p[4] > PROTO_MAX_PRIORITY)
		return -PROTO_E_PRIORITY;
	if ((p[5] & ~PROTO_REC_FLAGS) != 0 || p[7] != 0 || get16(p + 18) != 0)
		return -PROTO_E_REC_FLAGS;
	proto_record_clear(rec);
	rec->priority = p[4];
	rec->flags = p[5];
	rec->name = (const char *)p + PROTO_REC_HDR_SIZE;
	rec->name_len = name_len;
	if ((rc = proto_name_valid(rec->name, name_len)) < 0)
		return rc;
	rec->ts_ns = get64(p + 8);
	if ((rc = proto_fields(p + PROTO_REC_HDR_SIZE + name_len, fields_len, rec)) < 0)
		return rc;
	rec->msg = p + PROTO_REC_HDR_SIZE + name_len + fields_len;
	rec->msg_len = rec_len - PROTO_REC_HDR_SIZE - name_len - fields_len;
	*off += rec_len;
	return 0;
}

ssize_t
proto_validate(const void *buf, size_t len)
{
	struct proto_record	rec;
	size_t			next;

	return proto_validate_first(buf, len, &rec, &next);
}

ssize_t
proto_validate_first(const void *buf, size_t len, struct proto_record *first, size_t *next)
{
	const uint8_t		*p = buf;
	struct proto_record	 rec;
	size_t			 off = PROTO_HDR_SIZE;
	ssize_t			 n = 0;
	int			 rc;

	if (len < PROTO_HDR_SIZE)
		return -PROTO_E_SHORT;
	if (len > PROTO_MAX_DGRAM)
		return -PROTO_E_TOOBIG;
	if (memcmp(p, proto_magic, sizeof(proto_magic)) != 0)
		return -PROTO_E_MAGIC;
	if (p[4] != PROTO_VERSION)
		return -PROTO_E_VERSION;
	if (p[5] != 0 || get16(p + 6) != 0)
		return -PROTO_E_HDR_RESERVED;
	if (len == PROTO_HDR_SIZE)
		return -PROTO_E_EMPTY;
	while (off < len) {
		if ((rc = proto_decode(buf, len, &off, n == 0 ? first : &rec)) < 0)
			return rc;
		if (n++ == 0)
			*next = off;
	}
	return n;
}

int
proto_kv_next(const struct proto_record *rec, size_t *off, const char **key, size_t *key_len,
    const char **val, size_t *val_len)
{
	const uint8_t	*p = rec->kv, *eq;
	size_t		 flen;
	uint8_t		 type;

	while (*off + PROTO_FIELD_HDR_SIZE <= rec->kv_len) {
		type = p[*off];
		flen = get16(p + *off + 1);
		if (flen > rec->kv_len - *off - PROTO_FIELD_HDR_SIZE)
			return 0;
		*off += PROTO_FIELD_HDR_SIZE;
		if (type == PROTO_F_KV && (eq = memchr(p + *off, '=', flen)) != NULL) {
			*key = (const char *)p + *off;
			*key_len = (size_t)(eq - (p + *off));
			*val = (const char *)eq + 1;
			*val_len = flen - *key_len - 1;
			*off += flen;
			return 1;
		}
		*off += flen;
	}
	return 0;
}

ssize_t
proto_encode_header(void *buf, size_t cap)
{
	uint8_t	*p = buf;

	if (cap < PROTO_HDR_SIZE)
		return -ENOSPC;
	memcpy(p, proto_magic, sizeof(proto_magic));
	p[4] = PROTO_VERSION;
	p[5] = 0;
	put16(p + 6, 0);
	return PROTO_HDR_SIZE;
}

size_t
proto_head_size(const struct proto_record *rec)
{
	size_t	n = PROTO_REC_HDR_SIZE + rec->name_len;

	if (rec->file_len > 0)
		n += PROTO_FIELD_HDR_SIZE + rec->file_len;
	if (rec->line > 0)
		n += PROTO_FIELD_HDR_SIZE + 4;
	if (rec->func_len > 0)
		n += PROTO_FIELD_HDR_SIZE + rec->func_len;
	if (rec->dropped > 0)
		n += PROTO_FIELD_HDR_SIZE + 8;
	if (rec->tag_len > 0)
		n += PROTO_FIELD_HDR_SIZE + rec->tag_len;
	return n + rec->kv_len;
}

static uint8_t *
put_field(uint8_t *p, uint8_t type, const void *val, size_t len)
{
	p[0] = type;
	put16(p + 1, (uint16_t)len);
	memcpy(p + PROTO_FIELD_HDR_SIZE, val, len);
	return p + PROTO_FIELD_HDR_SIZE + len;
}

ssize_t
proto_encode_head(void *buf, size_t cap, const struct proto_record *rec)
{
	uint8_t	*p = buf, *f, num[8];
	size_t	 head, fields_len, written;

	if (rec->priority > PROTO_MAX_PRIORITY || (rec->flags & ~PROTO_REC_FLAGS) != 0 ||
	    proto_name_valid(rec->name, rec->name_len) < 0 ||
	    rec->file_len > PROTO_MAX_CALLER || rec->func_len > PROTO_MAX_CALLER ||
	    (rec->tag_len > 0 && proto_tag_valid(rec->tag, rec->tag_len) < 0) ||
	    rec->kv_len > PROTO_MAX_DGRAM)
		return -EINVAL;
	head = proto_head_size(rec);
	fields_len = head - PROTO_REC_HDR_SIZE - rec->name_len;
	if (fields_len > UINT16_MAX || rec->msg_len > PROTO_MAX_DGRAM - PROTO_HDR_SIZE ||
	    head + rec->msg_len > PROTO_MAX_DGRAM - PROTO_HDR_SIZE)
		return -EINVAL;
	written = rec->kv != NULL ? head : head - rec->kv_len;
	if (cap < written)
		return -ENOSPC;
	put32(p, (uint32_t)(head + rec->msg_len));
	p[4] = rec->priority;
	p[5] = rec->flags;
	p[6] = (uint8_t)rec->name_len;
	p[7] = 0;
	put64(p + 8, rec->ts_ns);
	put16(p + 16, (uint16_t)fields_len);
	put16(p + 18, 0);
	memcpy(p + PROTO_REC_HDR_SIZE, rec->name, rec->name_len);
	f = p + PROTO_REC_HDR_SIZE + rec->name_len;
	if (rec->file_len > 0)
		f = put_field(f, PROTO_F_FILE, rec->file, rec->file_len);
	if (rec->line > 0) {
		put32(num, rec->line);
		f = put_field(f, PROTO_F_LINE, num, 4);
	}
	if (rec->func_len > 0)
		f = put_field(f, PROTO_F_FUNC, rec->func, rec->func_len);
	if (rec->dropped > 0) {
		put64(num, rec->dropped);
		f = put_field(f, PROTO_F_DROPPED, num, 8);
	}
	if (rec->tag_len > 0)
		f = put_field(f, PROTO_F_TAG, rec->tag, rec->tag_len);
	if (rec->kv_len > 0 && rec->kv != NULL)
		memcpy(f, rec->kv, rec->kv_len);
	return (ssize_t)written;
}

ssize_t
proto_encode_record(void *buf, size_t cap, const struct proto_record *rec)
{
	ssize_t	head;

	if (rec->kv == NULL && rec->kv_len > 0)
		return -EINVAL;		/* a whole record: its kv fields too */
	if ((head = proto_encode_head(buf, cap, rec)) < 0)
		return head;
	if (cap - (size_t)head < rec->msg_len)
		return -ENOSPC;
	if (rec->msg_len > 0)
		memcpy((uint8_t *)buf + head, rec->msg, rec->msg_len);
	return head + (ssize_t)rec->msg_len;
}

ssize_t
proto_encode_kv_head(void *buf, size_t cap, const char *key, size_t key_len, size_t val_len)
{
	uint8_t	*p = buf;
	size_t	 i;

	if (key_len == 0 || key_len > PROTO_MAX_KEY || val_len > UINT16_MAX - 1 - key_len)
		return -EINVAL;
	for (i = 0; i < key_len; i++)
		if (!name_ok[(uint8_t)key[i]] || key[i] == '.' || key[i] == '-')
			return -EINVAL;
	if (cap < PROTO_FIELD_HDR_SIZE + key_len + 1)
		return -ENOSPC;
	p[0] = PROTO_F_KV;
	put16(p + 1, (uint16_t)(key_len + 1 + val_len));
	memcpy(p + PROTO_FIELD_HDR_SIZE, key, key_len);
	p[PROTO_FIELD_HDR_SIZE + key_len] = '=';
	return (ssize_t)(PROTO_FIELD_HDR_SIZE + key_len + 1);
}

ssize_t
proto_encode_kv(void *buf, size_t cap, const char *key, size_t key_len, const char *val,
    size_t val_len)
{
	ssize_t	n;

	if ((n = proto_encode_kv_head(buf, cap, key, key_len, val_len)) < 0)
		return n;
	if (cap - (size_t)n < val_len)
		return -ENOSPC;
	if (val_len > 0)
		memcpy((uint8_t *)buf + n, val, val_len);
	return n + (ssize_t)val_len;
}

size_t
proto_max_msg(const struct proto_record *rec)
{
	size_t	head = proto_head_size(rec);

	if (head >= PROTO_MAX_DGRAM - PROTO_HDR_SIZE)
		return 0;
	return PROTO_MAX_DGRAM - PROTO_HDR_SIZE - head;
}
