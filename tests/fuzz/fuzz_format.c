/*
 * fuzz_format.c - fuzz target for the lines logd writes: format_line() of a
 * decoded record, as text and as JSON.
 *
 * Input: a 21-byte head, then the record.  Head: mode u8, the time to print
 * u64, the sender's pid, uid and gid u32 (little-endian).  If mode has bit
 * 0x10 the rest is a datagram, and each record proto_decode() finds in it
 * is formatted (every field type reaches format.c); else the rest is the
 * message of one record of stream "fuzz", priority mode & 7, flagged
 * PROTO_REC_MORE if mode has bit 0x08, claiming half the time to print as
 * its own (a claim not taken) if mode has bit 0x40.  Bit 0x20 makes the
 * sender logd itself (its own lines: "[logd]", "logd":true).
 *
 * A libFuzzer target; without libFuzzer driver.c replays corpus/format/
 * and mutates it (see driver.h).
 *
 * Checked, about the structure only, so that it holds however a message is
 * escaped: each line goes into a buffer of exactly format_max_len() bytes
 * (ASan sees a byte more) and is no longer than format_len(), which for
 * text counts the escaped message exactly; format_max_len()
 * stays within FORMAT_EXPANSION times the record's wire size; a cached
 * timestamp prints as a fresh one.  A text line is one line: it ends in
 * '\n' and has no other control byte, and logctl (logline_parse(),
 * logline_message()) reads back its time, priority, pid (or "[logd]"), a
 * claimed time not taken, the tag, the caller, and the message bytes.  A JSON line parses with
 * jansson as one object whose strings hold the record's bytes (bytes that
 * are not UTF-8 as U+0080..U+00FF) and whose numbers are the record's; it
 * has "logd":true exactly when logd is the sender, and "claimed_ts" exactly
 * when the record's claimed time was not taken.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "driver.h"
#include "format.h"
#include "logline.h"
#include "proto.h"

#define HEAD	21

static uint64_t
le(const uint8_t *p, int n)
{
	uint64_t	v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* The bytes s as jansson gives back their JSON string: an invalid byte b as U+00b. */
static size_t
as_json_reads(const uint8_t *s, size_t len, uint8_t *out)
{
	size_t	i = 0, o = 0, n;

	while (i < len) {
		if (s[i] < 0x80) {
			out[o++] = s[i++];
		} else if ((n = proto_utf8_len(s + i, len - i)) > 0) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			out[o++] = (uint8_t)(0xc0 | s[i] >> 6);
			out[o++] = (uint8_t)(0x80 | (s[i] & 0x3f));
			i++;
		}
	}
	return o;
}

/* obj[key] is a string of the bytes s (as JSON holds them), or absent when len is 0 and absent_ok. */
static void
json_bytes(json_t *obj, const char *key, const void *s, size_t len, int absent_ok)
{
	json_t	*v = json_object_get(obj, key);
	uint8_t	*want;
	size_t	 n;

	if (v == NULL && absent_ok && len == 0)
		return;
	REQUIRE(json_is_string(v));
	if ((want = malloc(2 * len + 1)) == NULL)
		abort();
	n = as_json_reads(s, len, want);
	REQUIRE(json_string_length(v) == n && (n == 0 || memcmp(json_string_value(v), want, n) == 0));
	free(want);
}

static void
json_number(json_t *obj, const char *key, uint64_t want)
{
	json_t	*v = json_object_get(obj, key);

	REQUIRE(json_is_integer(v) && json_integer_value(v) >= 0 &&
	    (uint64_t)json_integer_value(v) == want);
}

/* Whether the key=value field at off is the last of its key (jansson keeps the last). */
static int
kv_last(const struct proto_record *rec, size_t off, const char *key, size_t kl)
{
	const char	*k, *v;
	size_t		 klen, vlen;

	while (proto_kv_next(rec, &off, &k, &klen, &v, &vlen) == 1)
		if (klen == kl && memcmp(k, key, kl) == 0)
			return 0;
	return 1;
}

static void
check_json(const char *line, size_t n, const struct proto_record *rec,
    const struct format_sender *who, uint64_t ts_ns)
{
	json_error_t	 jerr;
	json_t		*obj, *fields, *v;
	const char	*key, *val;
	char		 name[PROTO_MAX_KEY + 1];
	size_t		 next = 0, kl, vl, plen;
	const char	*prio = proto_priority_name(rec->priority, &plen);

	REQUIRE(memchr(line, '\n', n - 1) == NULL);
	obj = json_loadb(line, n - 1, JSON_ALLOW_NUL, &jerr);
	if (obj == NULL) {
		fprintf(stderr, "fuzz_format: not JSON (%s at %d): %.*s", jerr.text,
		    jerr.position, (int)n, line);
		REQUIRE(obj != NULL);
	}
	REQUIRE(json_is_object(obj));
	REQUIRE(json_is_string(v = json_object_get(obj, "ts")) && json_string_length(v) == 27);
	REQUIRE(json_is_string(v = json_object_get(obj, "priority")) &&
	    json_string_length(v) == plen && memcmp(json_string_value(v), prio, plen) == 0);
	json_bytes(obj, "stream", rec->name, rec->name_len, 0);
	json_number(obj, "pid", (uint32_t)who->pid);
	json_number(obj, "uid", who->uid);
	json_number(obj, "gid", who->gid);
	json_bytes(obj, "message", rec->msg, rec->msg_len, 0);
	json_bytes(obj, "file", rec->file, rec->file_len, 1);
	json_bytes(obj, "func", rec->func, rec->func_len, 1);
	if (rec->line > 0)
		json_number(obj, "line", rec->line);
	if (rec->dropped > 0)
		json_number(obj, "dropped",
		    rec->dropped < PROTO_MAX_DROPPED ? rec->dropped : PROTO_MAX_DROPPED);
	if (rec->flags & PROTO_REC_MORE)
		REQUIRE(json_is_true(json_object_get(obj, "more")));
	REQUIRE(json_is_true(json_object_get(obj, "logd")) == (who->logd != 0));
	REQUIRE((json_object_get(obj, "claimed_ts") != NULL) ==
	    (rec->ts_ns != 0 && rec->ts_ns != ts_ns));
	fields = json_object_get(obj, "fields");
	REQUIRE(fields == NULL || json_is_object(fields));
	while (proto_kv_next(rec, &next, &key, &kl, &val, &vl) == 1) {
		REQUIRE(fields != NULL && kl < sizeof(name));
		memcpy(name, key, kl);
		name[kl] = '\0';
		if (kv_last(rec, next, key, kl))
			json_bytes(fields, name, val, vl, 0);
	}
	json_decref(obj);
}

/* Whether the escaped bytes s of a text line read back as want (want_len bytes). */
static int
reads_back(const struct logline *l, const char *s, size_t len, const void *want, size_t want_len)
{
	struct logline	 part = *l;
	char		*out;
	size_t		 n;
	int		 same;

	if ((out = malloc(len + 1)) == NULL)
		abort();
	part.msg = s;
	part.msg_len = len;
	n = logline_message(&part, out);
	same = n == want_len && (n == 0 || memcmp(out, want, n) == 0);
	free(out);
	return same;
}

/* Whether l's message reads back as tag, ": ", anything, then msg. */
static int
starts_and_ends(const struct logline *l, const char *tag, size_t tag_len, const uint8_t *msg,
    size_t msg_len)
{
	char	*out;
	size_t	 n;
	int	 ok;

	if ((out = malloc(l->msg_len + 1)) == NULL)
		abort();
	n = logline_message(l, out);
	ok = n >= tag_len + 2 + msg_len && memcmp(out, tag, tag_len) == 0 &&
	    memcmp(out + tag_len, ": ", 2) == 0 &&
	    (msg_len == 0 || memcmp(out + n - msg_len, msg, msg_len) == 0);
	free(out);
	return ok;
}

static void
check_text(const char *line, size_t n, const struct proto_record *rec,
    const struct format_sender *who, uint64_t ts_ns)
{
	struct logline	 l;
	const char	*msg;
	size_t		 i;

	for (i = 0; i < n - 1; i++)
		REQUIRE((uint8_t)line[i] >= 0x20 && (uint8_t)line[i] != 0x7f);
	REQUIRE(logline_parse(line, n - 1, &l) == 0 && !l.json);
	REQUIRE((uint64_t)l.ts_ns == ts_ns / 1000 * 1000);
	REQUIRE(l.priority == rec->priority && l.logd == (who->logd != 0));
	REQUIRE(l.pid == (who->logd ? 0 : (uint32_t)who->pid));
	REQUIRE(l.more == ((rec->flags & PROTO_REC_MORE) != 0));
	REQUIRE((l.claimed != NULL) == (rec->ts_ns != 0 && rec->ts_ns != ts_ns));
	if (rec->tag_len > 0) {
		/* "TAG: " starts the message, which reads back whole (logline.h). */
		REQUIRE(l.file == NULL && l.func == NULL);
		REQUIRE(starts_and_ends(&l, rec->tag, rec->tag_len, rec->msg, rec->msg_len));
		return;
	}
	if (rec->file_len > 0 || rec->line > 0 || rec->func_len > 0) {
		REQUIRE(reads_back(&l, l.file, l.file_len, rec->file, rec->file_len));
		REQUIRE(l.line == rec->line);
		REQUIRE(reads_back(&l, l.func, l.func_len, rec->func, rec->func_len));
		msg = l.msg;
	} else {
		/* A message that starts as a caller does reads as one (logline.h): all of it. */
		msg = l.func != NULL ? l.file : l.msg;
	}
	REQUIRE(reads_back(&l, msg, (size_t)(l.msg + l.msg_len - msg), rec->msg, rec->msg_len));
}

/*
 * format_len() of text counts the escaped message exactly: what it counts
 * beyond the line (a pid's missing digits, ...) is the same without the
 * message.
 */
static void
check_text_len(const struct proto_record *rec, size_t n, uint64_t ts_ns,
    const struct format_sender *who)
{
	struct proto_record	empty = *rec;
	struct format_cache	c;
	char			*line;
	size_t			 n0;

	empty.msg_len = 0;
	if ((line = malloc(format_max_len(CONFIG_FORMAT_TEXT, &empty))) == NULL)
		abort();
	format_cache_init(&c);
	n0 = format_line(&c, CONFIG_FORMAT_TEXT, line, &empty, ts_ns, who);
	REQUIRE(format_len(CONFIG_FORMAT_TEXT, rec, NULL) - n ==
	    format_len(CONFIG_FORMAT_TEXT, &empty, NULL) - n0);
	free(line);
}

static void
check(const struct proto_record *rec, uint64_t ts_ns, const struct format_sender *who)
{
	static struct format_cache	cache;
	static int			inited;
	struct format_cache		fresh;
	enum config_format		fmt;
	size_t				max, n, n2, clean;
	char				*line, *again;

	if (!inited) {
		format_cache_init(&cache);
		inited = 1;
	}
	for (fmt = CONFIG_FORMAT_TEXT; fmt <= CONFIG_FORMAT_JSON; fmt++) {
		max = format_max_len(fmt, rec);
		REQUIRE(max <= FORMAT_EXPANSION * (proto_head_size(rec) + rec->msg_len));
		REQUIRE(format_len(fmt, rec, &clean) <= max);
		REQUIRE(clean <= rec->msg_len);
		if ((line = malloc(max)) == NULL || (again = malloc(max)) == NULL)
			abort();
		n = format_line(&cache, fmt, line, rec, ts_ns, who);
		REQUIRE(n >= FORMAT_MIN_LINE && n <= format_len(fmt, rec, NULL));
		if (fmt == CONFIG_FORMAT_TEXT)
			check_text_len(rec, n, ts_ns, who);
		REQUIRE(line[n - 1] == '\n');
		format_cache_init(&fresh);
		n2 = format_line(&fresh, fmt, again, rec, ts_ns, who);
		REQUIRE(n2 == n && memcmp(line, again, n) == 0);
		/* The bytes format_len() found clean, copied unscanned: the same line. */
		n2 = format_line_clean(&fresh, fmt, again, rec, ts_ns, who, clean);
		REQUIRE(n2 == n && memcmp(line, again, n) == 0);
		if (fmt == CONFIG_FORMAT_TEXT)
			check_text(line, n, rec, who, ts_ns);
		else
			check_json(line, n, rec, who, ts_ns);
		free(again);
		free(line);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_record	rec;
	struct format_sender	who;
	uint64_t		ts_ns;
	size_t			off = PROTO_HDR_SIZE;

	if (size < HEAD)
		return 0;
	memset(&who, 0, sizeof(who));	/* fields the head does not set are 0 */
	/*
	 * The daemon prints times near now only; logctl reads stamps up to
	 * 2262-04-11T23:47:15Z (logtime.c's MAX_S), and saturates after.
	 */
	ts_ns = le(data + 1, 8) % (UINT64_C(9223372035) * 1000000000u);
	who.pid = (pid_t)(uint32_t)le(data + 9, 4);
	who.uid = (uid_t)le(data + 13, 4);
	who.gid = (gid_t)le(data + 17, 4);
	who.logd = (data[0] & 0x20) != 0;
	if (data[0] & 0x10) {
		data += HEAD;
		size -= HEAD;
		if (proto_validate(data, size) < 0)
			return 0;
		while (off < size) {
			REQUIRE(proto_decode(data, size, &off, &rec) == 0);
			check(&rec, ts_ns, &who);
		}
		return 0;
	}
	memset(&rec, 0, sizeof(rec));
	rec.priority = data[0] & 7;
	rec.flags = data[0] & 0x08 ? PROTO_REC_MORE : 0;
	rec.name = "fuzz";
	rec.name_len = 4;
	rec.msg = data + HEAD;
	rec.msg_len = size - HEAD;
	if (data[0] & 0x40)
		rec.ts_ns = ts_ns / 2;
	check(&rec, ts_ns, &who);
	return 0;
}
