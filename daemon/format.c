/*
 * format.c - one record -> one line (see format.h).
 *
 * The hot path of the daemon: per record it copies clean runs of the
 * message with memcpy, found 128 bytes at a time with AVX2 (where the CPU
 * has it) or 64 with SSE2, and formats only the microseconds of the time;
 * the rest of the timestamp is cached per second.  No snprintf per record,
 * no allocation.  Loop thread only.
 */
#include "format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TEXT_AVX2	1
static int	text_avx2;	/* the CPU has AVX2: set before main() */

__attribute__((constructor)) static void
text_detect_avx2(void)
{
	__builtin_cpu_init();
	text_avx2 = __builtin_cpu_supports("avx2");
}
#endif

static const char	hex[] = "0123456789abcdef";

/*
 * Text escapes: 0 = copy as is, 'x' = \xNN, else the letter after '\'.
 * JSON escapes: 0 = copy, 'u' = \u00NN, else the letter after '\'.
 * Bytes >= 0x80 are 0 in both tables; both check them as UTF-8.
 */
static const uint8_t	text_esc[256] = {
	[0x00] = 'x', [0x01] = 'x', [0x02] = 'x', [0x03] = 'x', [0x04] = 'x', [0x05] = 'x',
	[0x06] = 'x', [0x07] = 'x', [0x08] = 'x', [0x09] = 't', [0x0a] = 'n', [0x0b] = 'x',
	[0x0c] = 'x', [0x0d] = 'r', [0x0e] = 'x', [0x0f] = 'x', [0x10] = 'x', [0x11] = 'x',
	[0x12] = 'x', [0x13] = 'x', [0x14] = 'x', [0x15] = 'x', [0x16] = 'x', [0x17] = 'x',
	[0x18] = 'x', [0x19] = 'x', [0x1a] = 'x', [0x1b] = 'x', [0x1c] = 'x', [0x1d] = 'x',
	[0x1e] = 'x', [0x1f] = 'x', [0x7f] = 'x', ['\\'] = '\\',
};
static const uint8_t	json_esc[256] = {
	[0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',
	[0x06] = 'u', [0x07] = 'u', [0x08] = 'b', [0x09] = 't', [0x0a] = 'n', [0x0b] = 'u',
	[0x0c] = 'f', [0x0d] = 'r', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u',
	[0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u',
	[0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
	[0x1e] = 'u', [0x1f] = 'u', [0x7f] = 'u', ['"'] = '"', ['\\'] = '\\',
};

void
format_cache_init(struct format_cache *c)
{
	c->sec = INT64_MIN;
	c->pid_len = 0;
}

/* Whether the text line shows a caller: "app.c:10 main(): " before the message. */
static int
has_caller(const struct proto_record *rec)
{
	return rec->file_len > 0 || rec->line > 0 || rec->func_len > 0;
}

/* The most bytes put_caller() writes: the names escaped (or '?'), line, blanks, "(): ". */
static size_t
caller_max_len(const struct proto_record *rec)
{
	return has_caller(rec) ? 4 * (rec->file_len + rec->func_len) + 2 + 1 + 10 + 1 + 4 : 0;
}

size_t
format_max_len(enum config_format fmt, const struct proto_record *rec)
{
	/* Time, priority, "[pid+ @claimed time]", a tag's ": " and blanks below 96; \xNN per byte. */
	if (fmt == CONFIG_FORMAT_TEXT)
		return 96 + 4 * (rec->tag_len + rec->msg_len) + caller_max_len(rec) + 2;
	/* Fixed keys and numbers, then every string at 6 bytes per input byte. */
	return 320 + rec->name_len + 6 * (rec->msg_len + rec->file_len + rec->func_len +
	    rec->tag_len) + 8 * rec->kv_len + 11;
}

static char *
put_mem(char *p, const void *s, size_t len)
{
	memcpy(p, s, len);
	return p + len;
}

/*
 * The name of a valid priority (0-7).  All 8 bytes of the padded name are
 * copied, one move instead of a memcpy() call; the byte after the name is
 * overwritten by what follows it in the line.
 */
static char *
put_priority(char *p, unsigned prio)
{
	memcpy(p, proto_priorities[prio & 7].name, 8);
	return p + proto_priorities[prio & 7].len;
}

static char *
put_u64(char *p, uint64_t v)
{
	char	tmp[20];
	size_t	n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/*
 * A sender's pid: the last one's digits are kept, as a batch of records
 * mostly comes from one sender.  All 10 bytes are copied, one move; the
 * bytes past the digits are overwritten by what follows them.
 */
static char *
put_pid(struct format_cache *c, char *p, uint32_t pid)
{
	if (c->pid_len == 0 || c->pid != pid) {
		c->pid = pid;
		c->pid_len = (uint8_t)(put_u64(c->pid_text, pid) - c->pid_text);
	}
	memcpy(p, c->pid_text, sizeof(c->pid_text));
	return p + c->pid_len;
}

static char *
put_2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* "2026-11-22T12:00:00.123456Z" (27 bytes). */
static char *
put_time(struct format_cache *c, char *p, uint64_t ts_ns)
{
	int64_t		sec = (int64_t)(ts_ns / 1000000000u);
	unsigned	usec = (unsigned)(ts_ns % 1000000000u / 1000u);
	struct tm	tm;
	time_t		t;
	char		*q;

	if (sec != c->sec) {
		t = (time_t)sec;
		gmtime_r(&t, &tm);
		q = c->prefix;
		q = put_2(q, (unsigned)(tm.tm_year + 1900) / 100);
		q = put_2(q, (unsigned)(tm.tm_year + 1900) % 100);
		*q++ = '-';
		q = put_2(q, (unsigned)tm.tm_mon + 1);
		*q++ = '-';
		q = put_2(q, (unsigned)tm.tm_mday);
		*q++ = 'T';
		q = put_2(q, (unsigned)tm.tm_hour);
		*q++ = ':';
		q = put_2(q, (unsigned)tm.tm_min);
		*q++ = ':';
		q = put_2(q, (unsigned)tm.tm_sec);
		*q = '.';
		c->sec = sec;
	}
	p = put_mem(p, c->prefix, 20);
	p = put_2(p, usec / 10000);
	p = put_2(p, usec / 100 % 100);
	p = put_2(p, usec % 100);
	*p++ = 'Z';
	return p;
}

/*
 * Whether any of the 8 bytes at s is one text escapes or checks: below 0x20,
 * DEL, a backslash, or 0x80 and above.  The classic word tricks ("has a
 * byte less than n", "has a zero byte" of w XOR the byte) give an exact yes
 * or no.
 */
static int
text_word_escapes(const uint8_t *s)
{
	const uint64_t	ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t	w, del, bs;

	memcpy(&w, s, sizeof(w));
	del = w ^ (ones * 0x7f);
	bs = w ^ (ones * '\\');
	return ((((w - ones * 0x20) & ~w) | ((del - ones) & ~del) | ((bs - ones) & ~bs) | w) &
	    high) != 0;
}

#ifdef __SSE2__
/*
 * Which of the 16 bytes x text escapes or checks: below 0x20 (unsigned), DEL,
 * a backslash, or 0x80 and above (negative as signed).
 */
static inline __m128i
text_hits16(const uint8_t *s)
{
	const __m128i	x = _mm_loadu_si128((const __m128i *)(const void *)s);

	return _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x),
	    _mm_cmplt_epi8(x, _mm_setzero_si128())),
	    _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)),
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
}
#endif

#ifdef TEXT_AVX2
/* text_hits16() for 32 bytes. */
__attribute__((target("avx2"))) static inline __m256i
text_hits32(const uint8_t *s)
{
	const __m256i	x = _mm256_loadu_si256((const __m256i *)(const void *)s);

	return _mm256_or_si256(_mm256_or_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(x,
	    _mm256_set1_epi8(0x1f)), x), _mm256_cmpgt_epi8(_mm256_setzero_si256(), x)),
	    _mm256_or_si256(_mm256_cmpeq_epi8(x, _mm256_set1_epi8(0x7f)),
	    _mm256_cmpeq_epi8(x, _mm256_set1_epi8('\\'))));
}

/* Skips clean 128-byte rounds; the round with a byte to escape is left to the caller. */
__attribute__((target("avx2"))) static const uint8_t *
text_skip_avx2(const uint8_t *s, const uint8_t *end)
{
	__m256i	hit;

	for (; end - s >= 128; s += 128) {
		hit = _mm256_or_si256(_mm256_or_si256(text_hits32(s), text_hits32(s + 32)),
		    _mm256_or_si256(text_hits32(s + 64), text_hits32(s + 96)));
		if (!_mm256_testz_si256(hit, hit))
			break;
	}
	return s;
}
#endif

/*
 * The first byte in [s, end) that text escapes or checks, or end: 128 bytes a round
 * with AVX2 where the CPU has it, 64 a round with SSE2 (every x86-64 has
 * it), each round one test; then 16 at a time to find the byte, then eight
 * with word arithmetic, then one.
 */
static const uint8_t *
text_clean_run(const uint8_t *s, const uint8_t *end)
{
#ifdef __SSE2__
	int	mask;

#ifdef TEXT_AVX2
	if (text_avx2 && end - s >= 128)
		s = text_skip_avx2(s, end);
#endif

	for (; end - s >= 64; s += 64)
		if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(text_hits16(s),
		    text_hits16(s + 16)), _mm_or_si128(text_hits16(s + 32),
		    text_hits16(s + 48)))) != 0)
			break;
	for (; end - s >= 16; s += 16)
		if ((mask = _mm_movemask_epi8(text_hits16(s))) != 0)
			return s + __builtin_ctz((unsigned)mask);
#endif
	while (end - s >= 8 && !text_word_escapes(s))
		s += 8;
	while (s < end && *s < 0x80 && text_esc[*s] == 0)
		s++;
	return s;
}

/*
 * At a byte >= 0x80: the bytes of its UTF-8 character, copied as they are
 * (*escape 0), or the one byte that is not valid UTF-8, to escape (*escape 1).
 */
static size_t
text_utf8(const uint8_t *s, const uint8_t *end, int *escape)
{
	size_t	n = proto_utf8_len(s, (size_t)(end - s));

	*escape = n == 0;
	return n > 0 ? n : 1;
}

/*
 * The length of s once put_text_escaped() has escaped it; *clean, the bytes
 * before the first one it escapes or checks.
 */
static size_t
text_escaped_len(const uint8_t *s, size_t len, size_t *clean)
{
	const uint8_t	*start = s, *end = s + len;
	size_t		 n = len, k;
	int		 escape;

	s = text_clean_run(s, end);
	*clean = (size_t)(s - start);
	for (; s < end; s = text_clean_run(s, end)) {
		if (*s >= 0x80) {
			k = text_utf8(s, end, &escape);
			n += escape ? 3 : 0;
			s += k;
			continue;
		}
		n += text_esc[*s] == 'x' ? 3 : 1;
		s++;
	}
	return n;
}

size_t
format_len(enum config_format fmt, const struct proto_record *rec, size_t *clean)
{
	size_t	plen, none;

	if (clean == NULL)
		clean = &none;
	*clean = 0;
	if (fmt != CONFIG_FORMAT_TEXT)
		return format_max_len(fmt, rec);
	(void)proto_priority_name(rec->priority, &plen);
	/*
	 * Time 27, blank, priority, " [", pid (at most 10 digits), "+", " @" and
	 * a claimed time 27, "] ", message, newline; a tag and its ": " and a
	 * caller at their most (each byte \xNN).
	 */
	return 27 + 1 + plen + 2 + 10 + 1 + 29 + 2 +
	    text_escaped_len(rec->msg, rec->msg_len, clean) + 1 +
	    (rec->tag_len > 0 ? 4 * rec->tag_len + 2 : 0) + caller_max_len(rec);
}

static char *
put_hex_escape(char *p, uint8_t c)
{
	*p++ = '\\';
	*p++ = 'x';
	*p++ = hex[c >> 4];
	*p++ = hex[c & 15];
	return p;
}

/*
 * The byte at *s that text_clean_run() stopped at (before end), moved past:
 * a UTF-8 character copied whole, a byte that is not valid UTF-8 as \xNN,
 * a control byte, DEL or a backslash escaped C-style or as \xNN.
 */
static char *
put_escaped_byte(char *p, const uint8_t **s, const uint8_t *end)
{
	const uint8_t	*c = *s;
	size_t		 k;
	int		 escape;

	if (*c >= 0x80) {
		k = text_utf8(c, end, &escape);
		*s = c + k;
		return escape ? put_hex_escape(p, *c) : put_mem(p, c, k);
	}
	*s = c + 1;
	if (text_esc[*c] == 'x')
		return put_hex_escape(p, *c);
	*p++ = '\\';
	*p++ = (char)text_esc[*c];
	return p;
}

static char *
put_text_escaped(char *p, const uint8_t *s, size_t len)
{
	const uint8_t	*end = s + len, *run;

	while (s < end) {
		run = s;
		s = text_clean_run(s, end);
		if (s > run)
			p = put_mem(p, run, (size_t)(s - run));
		if (s < end)
			p = put_escaped_byte(p, &s, end);
	}
	return p;
}

/*
 * A tag, file or function name in a text line: escaped as the message is,
 * and a blank and '[' as \x20 and \x5b too, so each is one word (a tag is
 * followed by ": ", a caller's names by a blank).  None is "?", and a name
 * that is "?" is \x3f.
 */
static char *
put_label(char *p, const char *name, size_t len)
{
	const uint8_t	*s = (const uint8_t *)name, *end = s + len;

	if (len == 0 || (len == 1 && *s == '?'))
		return len == 0 ? put_mem(p, "?", 1) : put_hex_escape(p, '?');
	while (s < end) {
		if (*s == ' ' || *s == '[')
			p = put_hex_escape(p, *s++);
		else if (*s < 0x80 && text_esc[*s] == 0)
			*p++ = (char)*s++;
		else
			p = put_escaped_byte(p, &s, end);
	}
	return p;
}

/* The caller, before the message: "app.c:10 main(): " ('?' for a file or function not given). */
static char *
put_caller(char *p, const struct proto_record *rec)
{
	p = put_label(p, rec->file, rec->file_len);
	*p++ = ':';
	p = put_u64(p, rec->line);
	*p++ = ' ';
	p = put_label(p, rec->func, rec->func_len);
	return put_mem(p, "(): ", 4);
}

/*
 * A JSON string body.  Bytes that are not valid UTF-8 become \u00NN of the
 * byte: a genuine U+0080..U+00FF arrives as two UTF-8 bytes and is copied
 * as such, so a reader can tell the two apart and restore the bytes.
 */
static char *
put_json_escaped(char *p, const uint8_t *s, size_t len)
{
	const uint8_t	*end = s + len, *run;
	uint8_t		 e;
	size_t		 n;

	while (s < end) {
		run = s;
		while (s < end && *s < 0x80 && json_esc[*s] == 0)
			s++;
		if (s > run)
			p = put_mem(p, run, (size_t)(s - run));
		if (s == end)
			break;
		if (*s >= 0x80) {
			if ((n = proto_utf8_len(s, (size_t)(end - s))) > 0) {
				p = put_mem(p, s, n);
				s += n;
				continue;
			}
			e = 'u';
		} else {
			e = json_esc[*s];
		}
		*p++ = '\\';
		if (e == 'u') {
			p = put_mem(p, "u00", 3);
			*p++ = hex[*s >> 4];
			*p++ = hex[*s & 15];
		} else {
			*p++ = (char)e;
		}
		s++;
	}
	return p;
}

static char *
put_json_key(char *p, const char *key, size_t len)
{
	*p++ = ',';
	*p++ = '"';
	p = put_mem(p, key, len);
	*p++ = '"';
	*p++ = ':';
	return p;
}

static char *
put_json_str(char *p, const char *key, size_t key_len, const void *s, size_t len)
{
	p = put_json_key(p, key, key_len);
	*p++ = '"';
	p = put_json_escaped(p, s, len);
	*p++ = '"';
	return p;
}

#define KEY(k)	k, sizeof(k) - 1

/* Whether the line's time ts_ns is not what rec's sender claimed (max_clock_skew). */
static int
format_claimed(const struct proto_record *rec, uint64_t ts_ns)
{
	return rec->ts_ns != 0 && rec->ts_ns != ts_ns;
}

/* A claimed time: far from the line's, so not through the line's cache. */
static char *
put_claimed(char *p, uint64_t ts_ns)
{
	struct format_cache	c;

	format_cache_init(&c);
	return put_time(&c, p, ts_ns);
}

static char *
put_json(struct format_cache *c, char *p, const struct proto_record *rec, uint64_t ts_ns,
    const struct format_sender *who)
{
	const char	*key, *val;
	size_t		 off = 0, key_len, val_len;
	int		 first = 1;

	p = put_mem(p, "{\"ts\":\"", 7);
	p = put_time(c, p, ts_ns);
	*p++ = '"';
	p = put_json_key(p, KEY("priority"));
	*p++ = '"';
	p = put_priority(p, rec->priority);
	*p++ = '"';
	/* Stream names are [A-Za-z0-9._-]: nothing to escape. */
	p = put_json_key(p, KEY("stream"));
	*p++ = '"';
	p = put_mem(p, rec->name, rec->name_len);
	*p++ = '"';
	if (who->logd)
		p = put_mem(put_json_key(p, KEY("logd")), "true", 4);
	p = put_pid(c, put_json_key(p, KEY("pid")), (uint32_t)who->pid);
	p = put_u64(put_json_key(p, KEY("uid")), (uint64_t)who->uid);
	p = put_u64(put_json_key(p, KEY("gid")), (uint64_t)who->gid);
	if (rec->tag_len > 0)
		p = put_json_str(p, KEY("ident"), rec->tag, rec->tag_len);
	p = put_json_str(p, KEY("message"), rec->msg, rec->msg_len);
	if (rec->file_len > 0)
		p = put_json_str(p, KEY("file"), rec->file, rec->file_len);
	if (rec->line > 0)
		p = put_u64(put_json_key(p, KEY("line")), rec->line);
	if (rec->func_len > 0)
		p = put_json_str(p, KEY("func"), rec->func, rec->func_len);
	while (proto_kv_next(rec, &off, &key, &key_len, &val, &val_len) == 1) {
		if (first)
			p = put_mem(put_json_key(p, KEY("fields")), "{", 1);
		else
			*p++ = ',';
		first = 0;
		/* Keys are [A-Za-z0-9_]: nothing to escape. */
		*p++ = '"';
		p = put_mem(p, key, key_len);
		p = put_mem(p, "\":\"", 3);
		p = put_json_escaped(p, (const uint8_t *)val, val_len);
		*p++ = '"';
	}
	if (!first)
		*p++ = '}';
	/* Sums of hostile claims can pass 2^53: JSON readers read no more exactly. */
	if (rec->dropped > 0)
		p = put_u64(put_json_key(p, KEY("dropped")),
		    rec->dropped < PROTO_MAX_DROPPED ? rec->dropped : PROTO_MAX_DROPPED);
	if (rec->flags & PROTO_REC_MORE)
		p = put_mem(put_json_key(p, KEY("more")), "true", 4);
	if (format_claimed(rec, ts_ns)) {
		p = put_mem(put_json_key(p, KEY("claimed_ts")), "\"", 1);
		p = put_claimed(p, rec->ts_ns);
		*p++ = '"';
	}
	*p++ = '}';
	return p;
}

size_t
format_line(struct format_cache *c, enum config_format fmt, char *buf,
    const struct proto_record *rec, uint64_t ts_ns, const struct format_sender *who)
{
	return format_line_clean(c, fmt, buf, rec, ts_ns, who, 0);
}

size_t
format_line_clean(struct format_cache *c, enum config_format fmt, char *buf,
    const struct proto_record *rec, uint64_t ts_ns, const struct format_sender *who,
    size_t clean)
{
	char	*p = buf;

	if (fmt == CONFIG_FORMAT_JSON) {
		p = put_json(c, p, rec, ts_ns, who);
	} else {
		p = put_time(c, p, ts_ns);
		*p++ = ' ';
		p = put_priority(p, rec->priority);
		*p++ = ' ';
		*p++ = '[';
		if (who->logd)
			p = put_mem(p, "logd", 4);
		else
			p = put_pid(c, p, (uint32_t)who->pid);
		if (rec->flags & PROTO_REC_MORE)
			*p++ = '+';
		if (format_claimed(rec, ts_ns)) {
			p = put_mem(p, " @", 2);
			p = put_claimed(p, rec->ts_ns);
		}
		*p++ = ']';
		*p++ = ' ';
		if (rec->tag_len > 0) {
			p = put_label(p, rec->tag, rec->tag_len);
			*p++ = ':';
			*p++ = ' ';
		}
		if (has_caller(rec))
			p = put_caller(p, rec);
		if (clean > 0)
			p = put_mem(p, rec->msg, clean);
		p = put_text_escaped(p, rec->msg + clean, rec->msg_len - clean);
	}
	*p++ = '\n';
	return (size_t)(p - buf);
}

size_t
format_own_text(char *text, size_t cap, uint64_t dropped, const char *fmt, va_list ap)
{
	size_t	len;
	int	n;

	n = dropped > 0 ? snprintf(text, cap, FORMAT_LOSS_PREFIX "%" PRIu64 " record%s: ",
	    dropped, format_s(dropped)) : 0;
	len = n < 0 ? 0 : (size_t)n;
	n = vsnprintf(text + len, cap - len, fmt, ap);
	len += n < 0 ? 0 : (size_t)n;
	return len < cap ? len : cap - 1;
}

void
format_marker(struct proto_record *rec, const char *name, size_t name_len, int prio,
    const char *text, size_t text_len, uint64_t dropped)
{
	memset(rec, 0, sizeof(*rec));
	rec->priority = (uint8_t)prio;
	rec->name = name;
	rec->name_len = (uint8_t)name_len;
	rec->msg = (const uint8_t *)text;
	rec->msg_len = text_len;
	rec->dropped = dropped;
}

/*
 * A loss marker is logd's own line: in text, "[logd] dropped N" right after
 * the time and priority (a sender's line has its pid there); in JSON,
 * "logd":true after the stream and "dropped":N, a key only logd's lines
 * have ("fields" holds a sender's keys, with string values).
 */
uint64_t
format_loss(const char *line, size_t len)
{
	static const char	text[] = "[logd] " FORMAT_LOSS_PREFIX, json[] = ",\"dropped\":";
	const char		*end, *p;
	uint64_t		 n = 0;

	if (line == NULL || len == 0)
		return 0;
	end = line + len;
	if (line[0] == '{') {
		if (memmem(line, len, ",\"logd\":true,", 13) == NULL ||
		    (p = memmem(line, len, json, sizeof(json) - 1)) == NULL)
			return 0;
		p += sizeof(json) - 1;
	} else {
		/* After "2026-11-22T12:00:00.123456Z priority ". */
		if (len < 28 || (p = memchr(line + 28, ' ', len - 28)) == NULL ||
		    (size_t)(end - ++p) < sizeof(text) - 1 || memcmp(p, text, sizeof(text) - 1) != 0)
			return 0;
		p += sizeof(text) - 1;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		n = n > (UINT64_MAX - 9) / 10 ? UINT64_MAX : n * 10 + (uint64_t)(*p - '0');
	return n;
}

void
format_self(struct format_sender *who)
{
	who->pid = getpid();
	who->uid = getuid();
	who->gid = getgid();
	who->logd = 1;
}
