/*
 * logline.c - parse logd's lines, undo their escapes, write them as JSON
 * (see logline.h).
 *
 * Text lines escape only bytes below 0x20, DEL and the backslash; bytes of
 * 0x80 and above stand as they are.  So a UTF-8 sequence in a text line
 * never holds an escape, and the JSON writer checks UTF-8 on the escaped
 * text as it goes: no copy of the message is made.  No state; any thread.
 */
#include "logline.h"

#include <errno.h>
#include <string.h>

#include "logtime.h"
#include "proto.h"

static const char	hex[] = "0123456789abcdef";

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The priority named by exactly len bytes at s, or -1. */
static int
priority_of(const char *s, size_t len)
{
	int	i;

	for (i = 0; i <= PROTO_MAX_PRIORITY; i++)
		if (proto_priorities[i].len == len && memcmp(proto_priorities[i].name, s, len) == 0)
			return i;
	return -1;
}

/* A caller's name as the line has it: "?" is none. */
static size_t
caller_name(const char *s, size_t len)
{
	return len == 1 && *s == '?' ? 0 : len;
}

/*
 * A caller at the message's start, as format.c writes it: "FILE:LINE
 * FUNC(): ", each name one word (logd escapes a blank in it), FILE up to
 * the last ':' of its word.  Sets l's caller and returns where the message
 * starts, or p if there is none.
 */
static const char *
parse_caller(const char *p, const char *end, struct logline *l)
{
	const char	*colon, *digits, *func, *blank, *d;
	uint64_t	 line = 0;

	if ((blank = memchr(p, ' ', (size_t)(end - p))) == NULL)
		return p;
	for (digits = blank; digits > p && digits[-1] >= '0' && digits[-1] <= '9'; digits--)
		;
	colon = digits - 1;
	if (digits == blank || blank - digits > 10 || colon <= p || *colon != ':')
		return p;
	for (d = digits; d < blank; d++)
		line = line * 10 + (uint64_t)(*d - '0');
	if (line > UINT32_MAX)
		return p;
	func = blank + 1;
	if ((blank = memchr(func, ' ', (size_t)(end - func))) == NULL)
		blank = end;	/* an empty message, its blank gone */
	if (blank - func < 4 || memcmp(blank - 3, "():", 3) != 0)
		return p;
	l->file = p;
	l->file_len = caller_name(p, (size_t)(colon - p));
	l->line = (uint32_t)line;
	l->func = func;
	l->func_len = caller_name(func, (size_t)(blank - 3 - func));
	return blank < end ? blank + 1 : end;
}

/*
 * "info [1234] message" after the stamp and its blank, or "[1234+]",
 * "[logd]", and either with " @STAMP" before the "]"; a sender's with a
 * caller at the message's start (parse_caller()).
 */
static int
parse_text(const char *p, const char *end, struct logline *l)
{
	const char	*name = p;
	uint64_t	 pid = 0;
	int64_t		 ns;

	while (p < end && *p != ' ')
		p++;
	if ((l->priority = priority_of(name, (size_t)(p - name))) < 0 || end - p < 3 ||
	    p[1] != '[')
		return -EINVAL;
	p += 2;
	if (end - p >= 4 && memcmp(p, "logd", 4) == 0) {
		l->logd = 1;
		p += 4;
	} else if (p < end && *p >= '0' && *p <= '9') {
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if ((pid = pid * 10 + (uint64_t)(*p - '0')) > UINT32_MAX)
				return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (p < end && *p == '+') {
		l->more = 1;
		p++;
	}
	if (end - p > 2 + LOGTIME_STAMP_LEN && p[0] == ' ' && p[1] == '@') {
		if (logtime_stamp(p + 2, LOGTIME_STAMP_LEN, &ns) < 0)
			return -EINVAL;
		l->claimed = p + 2;
		p += 2 + LOGTIME_STAMP_LEN;
	}
	if (p == end || *p++ != ']')
		return -EINVAL;
	if (p < end && *p++ != ' ')
		return -EINVAL;
	l->pid = (uint32_t)pid;
	p = parse_caller(p, end, l);
	l->msg = p;
	l->msg_len = (size_t)(end - p);
	return 0;
}

/* {"ts":"STAMP","priority":"NAME", ... "message":"..." ...} after the stamp. */
static int
parse_json(const char *p, const char *end, struct logline *l)
{
	static const char	prio_key[] = "\",\"priority\":\"", msg_key[] = ",\"message\":\"";
	const char		*name;

	if ((size_t)(end - p) < sizeof(prio_key) - 1 ||
	    memcmp(p, prio_key, sizeof(prio_key) - 1) != 0)
		return -EINVAL;
	name = p += sizeof(prio_key) - 1;
	while (p < end && *p != '"')
		p++;
	if (p == end || (l->priority = priority_of(name, (size_t)(p - name))) < 0)
		return -EINVAL;
	/* The keys before "message" are numbers and stream names: the first match is the key. */
	if ((p = memmem(p, (size_t)(end - p), msg_key, sizeof(msg_key) - 1)) == NULL)
		return 0;
	l->msg = p += sizeof(msg_key) - 1;
	while (p < end && *p != '"')
		p += *p == '\\' && p + 1 < end ? 2 : 1;
	l->msg_len = (size_t)(p - l->msg);
	return 0;
}

/* Where the stamp of a line is: at its start, or in a JSON line's first key. */
static const char *
stamp_of(const char *line, size_t len)
{
	return len > 7 && memcmp(line, "{\"ts\":\"", 7) == 0 ? line + 7 : line;
}

int
logline_time(const char *line, size_t len, int64_t *ns)
{
	const char	*ts = stamp_of(line, len);

	return logtime_stamp(ts, len - (size_t)(ts - line), ns);
}

int
logline_parse(const char *line, size_t len, struct logline *l)
{
	const char	*end = line + len;

	memset(l, 0, sizeof(*l));
	l->ts = stamp_of(line, len);
	l->json = l->ts != line;
	if (logtime_stamp(l->ts, (size_t)(end - l->ts), &l->ts_ns) < 0)
		return -EINVAL;
	if (l->json)
		return parse_json(l->ts + LOGTIME_STAMP_LEN, end, l);
	if (end - l->ts <= LOGTIME_STAMP_LEN || l->ts[LOGTIME_STAMP_LEN] != ' ')
		return -EINVAL;
	return parse_text(l->ts + LOGTIME_STAMP_LEN + 1, end, l);
}

/* Encodes code point c (< 0x110000) as UTF-8 at p; returns the end. */
static char *
put_utf8(char *p, uint32_t c)
{
	if (c < 0x80) {
		*p++ = (char)c;
	} else if (c < 0x800) {
		*p++ = (char)(0xc0 | c >> 6);
		*p++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*p++ = (char)(0xe0 | c >> 12);
		*p++ = (char)(0x80 | (c >> 6 & 0x3f));
		*p++ = (char)(0x80 | (c & 0x3f));
	} else {
		*p++ = (char)(0xf0 | c >> 18);
		*p++ = (char)(0x80 | (c >> 12 & 0x3f));
		*p++ = (char)(0x80 | (c >> 6 & 0x3f));
		*p++ = (char)(0x80 | (c & 0x3f));
	}
	return p;
}

/* The 4 hex digits at s (at least 4 bytes before end), or -1. */
static int32_t
hex4(const char *s, const char *end)
{
	int32_t	v = 0;
	int	i, d;

	if (end - s < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((d = hex_value(s[i])) < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * One JSON escape at s (after the backslash) into *o.  Returns the bytes of
 * s it used, 0 if it is not an escape.  logd writes a byte that is not UTF-8
 * as \u00NN: below U+0100 a \u escape is that byte.
 */
static size_t
json_unescape(const char *s, const char *end, char **o)
{
	static const char	from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char		*c;
	int32_t			 u, lo;

	if (s == end)
		return 0;
	if (*s != 'u') {
		if ((c = memchr(from, *s, sizeof(from) - 1)) == NULL)
			return 0;
		*(*o)++ = to[c - from];
		return 1;
	}
	if ((u = hex4(s + 1, end)) < 0)
		return 0;
	if (u < 0x100) {
		*(*o)++ = (char)u;
		return 5;
	}
	if (u >= 0xd800 && u <= 0xdbff && end - s >= 11 && s[5] == '\\' && s[6] == 'u' &&
	    (lo = hex4(s + 7, end)) >= 0xdc00 && lo <= 0xdfff) {
		*o = put_utf8(*o, 0x10000 + ((uint32_t)(u - 0xd800) << 10) + (uint32_t)(lo - 0xdc00));
		return 11;
	}
	*o = put_utf8(*o, (uint32_t)u);	/* a lone surrogate as its 3 bytes: never longer */
	return 5;
}

/* One text escape at s (after the backslash) into *o: \\ \n \r \t \xNN.  As json_unescape(). */
static size_t
text_unescape(const char *s, const char *end, char **o)
{
	int	hi, lo;

	if (s == end)
		return 0;
	switch (*s) {
	case '\\':
		*(*o)++ = '\\';
		return 1;
	case 'n':
		*(*o)++ = '\n';
		return 1;
	case 'r':
		*(*o)++ = '\r';
		return 1;
	case 't':
		*(*o)++ = '\t';
		return 1;
	case 'x':
		if (end - s < 3 || (hi = hex_value(s[1])) < 0 || (lo = hex_value(s[2])) < 0)
			return 0;
		*(*o)++ = (char)(hi << 4 | lo);
		return 3;
	}
	return 0;
}

size_t
logline_message(const struct logline *l, char *out)
{
	const char	*s = l->msg, *end, *bs;
	char		*o = out;
	size_t		 n;

	if (l->msg_len == 0)
		return 0;	/* msg may be NULL: a JSON line without "message" */
	for (end = s + l->msg_len; s < end;) {
		if ((bs = memchr(s, '\\', (size_t)(end - s))) == NULL)
			bs = end;
		memcpy(o, s, (size_t)(bs - s));
		o += bs - s;
		if ((s = bs) == end)
			break;
		n = l->json ? json_unescape(s + 1, end, &o) : text_unescape(s + 1, end, &o);
		if (n == 0)
			*o++ = *s;	/* not an escape: the backslash stands for itself */
		s += 1 + n;
	}
	return (size_t)(o - out);
}

/* One byte as a JSON string has it: as is, or escaped as logd escapes it. */
static void
put_json_byte(FILE *f, uint8_t c)
{
	static const char	from[] = "\"\\\b\f\n\r\t", to[] = "\"\\bfnrt";
	const char		*e;

	if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
		putc(c, f);
	} else if (c != 0 && (e = memchr(from, c, sizeof(from) - 1)) != NULL) {
		putc('\\', f);
		putc(to[e - from], f);
	} else {
		fprintf(f, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
	}
}

/*
 * The body of a JSON string for the bytes s; with text_escaped, s is a text
 * line's message and its escapes are undone on the way.  Valid UTF-8 is
 * copied; any other byte of 0x80 and above becomes \u00NN, as logd does.
 */
static void
put_json_body(FILE *f, const char *str, size_t len, int text_escaped)
{
	const uint8_t	*s = (const uint8_t *)str, *end = s + len, *run;
	char		 one, *o;
	size_t		 n;

	while (s < end) {
		run = s;
		while (s < end && *s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\')
			s++;
		fwrite(run, 1, (size_t)(s - run), f);
		if (s == end)
			break;
		if (*s >= 0x80 && (n = proto_utf8_len(s, (size_t)(end - s))) > 0) {
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		o = &one;
		if (text_escaped && *s == '\\' &&
		    (n = text_unescape((const char *)s + 1, (const char *)end, &o)) > 0) {
			put_json_byte(f, (uint8_t)one);
			s += 1 + n;
			continue;
		}
		put_json_byte(f, *s++);
	}
}

void
logline_json_string(FILE *f, const char *s, size_t len)
{
	putc('"', f);
	put_json_body(f, s, len, 0);
	putc('"', f);
}

/* ,"key":"s" for the bytes s of a text line (still escaped) or of a JSON line. */
static void
put_json_member(FILE *f, const char *key, const struct logline *l, const char *s, size_t len)
{
	fprintf(f, ",\"%s\":\"", key);
	put_json_body(f, s, len, !l->json);
	putc('"', f);
}

void
logline_write_json(FILE *f, const struct logline *l, const char *stream)
{
	fputs("{\"ts\":\"", f);
	fwrite(l->ts, 1, LOGTIME_STAMP_LEN, f);
	fprintf(f, "\",\"priority\":\"%s\",\"stream\":", proto_priorities[l->priority & 7].name);
	logline_json_string(f, stream, strlen(stream));
	if (l->logd)
		fputs(",\"logd\":true", f);	/* the text has no pid of it */
	else
		fprintf(f, ",\"pid\":%lu", (unsigned long)l->pid);
	put_json_member(f, "message", l, l->msg, l->msg_len);
	if (l->file_len > 0)
		put_json_member(f, "file", l, l->file, l->file_len);
	if (l->line > 0)
		fprintf(f, ",\"line\":%lu", (unsigned long)l->line);
	if (l->func_len > 0)
		put_json_member(f, "func", l, l->func, l->func_len);
	if (l->more)
		fputs(",\"more\":true", f);
	if (l->claimed != NULL)
		fprintf(f, ",\"claimed_ts\":\"%.*s\"", LOGTIME_STAMP_LEN, l->claimed);
	putc('}', f);
}
