/*
 * syslog_msg.c - syslog datagrams parsed in place (see syslog_msg.h): RFC 5424, RFC 3164
 * as glibc's syslog(3) and logger(1) send it, "<PRI>msg", or no PRI at all.
 *
 * Pure: no I/O, no globals but constant tables, no allocation.  One pass,
 * forward, over [0, n): every index is compared with n before the byte at it
 * is read, so nothing outside the datagram is touched.  Nothing fails: what
 * does not parse stays in the message.
 */
#include "syslog_msg.h"

#include <string.h>
#include <strings.h>

#include "clock.h"
#include "proto.h"

#define NS_PER_S	1000000000ull
#define SD_MAX_NAME	32	/* RFC 5424's SD-NAME: SD-ID and PARAM-NAME */
#define MAX_HOST	255
#define MAX_PROCID	128
#define MAX_MSGID	32

static const char *const facility_names[] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};
#define NFACILITY	(sizeof(facility_names) / sizeof(facility_names[0]))

/*
 * The months' names, lower case, as 'j' << 16 | 'a' << 8 | 'n', and where to
 * find them: the sum of a month's three lower-case letters mod 21 differs
 * for every month, and month_at[] has its index there (12: no month).
 */
#define MONTH(a, b, c)	((uint32_t)(a) << 16 | (uint32_t)(b) << 8 | (uint32_t)(c))
static const uint32_t	months[12] = {
	MONTH('j', 'a', 'n'), MONTH('f', 'e', 'b'), MONTH('m', 'a', 'r'), MONTH('a', 'p', 'r'),
	MONTH('m', 'a', 'y'), MONTH('j', 'u', 'n'), MONTH('j', 'u', 'l'), MONTH('a', 'u', 'g'),
	MONTH('s', 'e', 'p'), MONTH('o', 'c', 't'), MONTH('n', 'o', 'v'), MONTH('d', 'e', 'c'),
};
static const uint8_t	month_at[21] = {
	12, 12, 7, 10, 12, 2, 11, 1, 3, 12, 12, 9, 4, 8, 12, 12, 6, 12, 5, 0, 12,
};

static int
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* RFC 5424's PRINTUSASCII: what a header field is made of. */
static int
is_print(uint8_t c)
{
	return c > ' ' && c < 0x7f;
}

/* A hostname byte: letters, digits, ".-_", and ":%" for IPv6 addresses. */
static int
is_host(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' ||
	    c == '-' || c == '_' || c == ':' || c == '%';
}

/* An SD-NAME byte: printable but not '=', ']' or '"' (nor space). */
static int
is_sdname(uint8_t c)
{
	return is_print(c) && c != '=' && c != ']' && c != '"';
}

/* Exactly k digits at s into *v; 0, or -1 if one is not a digit. */
static int
digits(const uint8_t *s, size_t k, unsigned *v)
{
	size_t	i;

	*v = 0;
	for (i = 0; i < k; i++) {
		if (!is_digit(s[i]))
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

/*
 * The RFC 3339 timestamp that is exactly the n bytes at s ("2003-10-11T22:14:15.003Z",
 * any number of fraction digits, of which the first 9 count; "Z" or an offset
 * "+hh:mm") as UTC ns in *ns.  0, or -1 if it is not one or not in 1970..2554.
 */
static int
parse_rfc3339(const uint8_t *s, size_t n, uint64_t *ns)
{
	unsigned	y, mo, d, h, mi, sec, oh = 0, om = 0;
	uint64_t	frac = 0, secs;
	int64_t		t, off = 0;
	size_t		i, k = 0;

	if (n < 20 || digits(s, 4, &y) < 0 || s[4] != '-' || digits(s + 5, 2, &mo) < 0 ||
	    s[7] != '-' || digits(s + 8, 2, &d) < 0 || (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &h) < 0 || s[13] != ':' || digits(s + 14, 2, &mi) < 0 ||
	    s[16] != ':' || digits(s + 17, 2, &sec) < 0)
		return -1;
	i = 19;
	if (s[i] == '.') {
		for (i++; i < n && is_digit(s[i]); i++, k++)
			if (k < 9)
				frac = frac * 10 + (uint64_t)(s[i] - '0');
		if (k == 0)
			return -1;
		for (; k < 9; k++)
			frac *= 10;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-') && n - i >= 6) {
		if (digits(s + i + 1, 2, &oh) < 0 || s[i + 3] != ':' ||
		    digits(s + i + 4, 2, &om) < 0 || oh > 23 || om > 59)
			return -1;
		off = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return -1;
	}
	if (i != n || mo < 1 || mo > 12 || d < 1 || d > clock_days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)	/* 60: a leap second, counted as the next one */
		return -1;
	t = clock_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	if (t < 0)
		return -1;
	secs = (uint64_t)t;
	if (secs > (UINT64_MAX - frac) / NS_PER_S)
		return -1;
	*ns = secs * NS_PER_S + frac;
	return 0;
}

/* Index of the first space at or after i, or n. */
static size_t
token_end(const uint8_t *b, size_t i, size_t n)
{
	while (i < n && b[i] != ' ')
		i++;
	return i;
}

/*
 * The PRI at b: "<" 1-3 digits ">", 0..191, no leading zero but in "<0>".
 * Returns the bytes it takes (setting m's facility and severity), or 0.
 */
static size_t
parse_pri(const uint8_t *b, size_t n, struct syslog_msg *m)
{
	unsigned	v = 0;
	size_t		i;

	if (n < 3 || b[0] != '<')
		return 0;
	for (i = 1; i < n && i <= 3 && is_digit(b[i]); i++)
		v = v * 10 + (unsigned)(b[i] - '0');
	if (i == 1 || i >= n || b[i] != '>' || v > SYSLOG_MAX_PRI || (b[1] == '0' && i > 2))
		return 0;
	m->facility = (uint8_t)(v / 8);
	m->severity = (uint8_t)(v % 8);
	m->has_pri = 1;
	return i + 1;
}

/*
 * The header field at *i: 1..max printable bytes and a space, which *i moves
 * past.  "-" (NILVALUE) gives len 0.  0, or -1 if malformed.
 */
static int
field(const uint8_t *b, size_t n, size_t *i, size_t max, const char **s, size_t *len)
{
	size_t	j = *i;

	while (j < n && j - *i < max && is_print(b[j]))
		j++;
	if (j == *i || j >= n || b[j] != ' ')
		return -1;
	*s = NULL;
	*len = 0;
	if (!(j - *i == 1 && b[*i] == '-')) {
		*s = (const char *)b + *i;
		*len = j - *i;
	}
	*i = j + 1;
	return 0;
}

/*
 * The end of the STRUCTURED-DATA at i ("[...]" elements, quoted values with
 * backslash escapes), found by brackets and quotes alone; syslog_sd_next()
 * checks the rest.  0 if an element is not closed.
 */
static size_t
sd_end(const uint8_t *b, size_t i, size_t n)
{
	int	quoted = 0;

	while (i < n && b[i] == '[') {
		for (i++; i < n; i++) {
			if (quoted && b[i] == '\\')
				i++;	/* the escaped byte; may step to n */
			else if (b[i] == '"')
				quoted = !quoted;
			else if (!quoted && b[i] == ']')
				break;
		}
		if (i >= n)
			return 0;
		i++;
	}
	return i;
}

static void
set_msg(const uint8_t *b, size_t i, size_t n, struct syslog_msg *m)
{
	if (n - i >= 3 && b[i] == 0xef && b[i + 1] == 0xbb && b[i + 2] == 0xbf)
		i += 3;
	m->msg = b + i;
	m->msg_len = n - i;
}

/*
 * RFC 5424 after "<PRI>1 ": TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [SP MSG].
 * Sets m only when the whole header is well formed; 0, or -1 if it is not.
 * An unparsable TIMESTAMP is no timestamp, not a malformed header.
 */
static int
parse_5424(const uint8_t *b, size_t i, size_t n, struct syslog_msg *m)
{
	struct syslog_msg	h = *m;
	const char		*ts;
	size_t			 ts_len, e;

	if (field(b, n, &i, SIZE_MAX, &ts, &ts_len) < 0 ||
	    field(b, n, &i, MAX_HOST, &h.host, &h.host_len) < 0 ||
	    field(b, n, &i, PROTO_MAX_TAG, &h.ident, &h.ident_len) < 0 ||
	    field(b, n, &i, MAX_PROCID, &h.procid, &h.procid_len) < 0 ||
	    field(b, n, &i, MAX_MSGID, &h.msgid, &h.msgid_len) < 0)
		return -1;
	if (ts_len > 0 && parse_rfc3339((const uint8_t *)ts, ts_len, &h.ts_ns) < 0)
		h.ts_ns = 0;
	if (i < n && b[i] == '-') {
		e = i + 1;
	} else {
		if ((e = sd_end(b, i, n)) <= i)
			return -1;
		h.sd = (const char *)b + i;
		h.sd_len = e - i;
	}
	if (e < n && b[e] != ' ')
		return -1;
	set_msg(b, e < n ? e + 1 : e, n, &h);
	h.rfc5424 = 1;
	*m = h;
	return 0;
}

/*
 * RFC 3164's "Mmm dd hh:mm:ss" at i (day " 1", "01" or "1"), and the space
 * after it unless the datagram ends there: the bytes it takes, or 0.
 */
static size_t
bsd_time(const uint8_t *b, size_t i, size_t n)
{
	unsigned	d, h, mi, s, mo, c0, c1, c2;
	size_t		j;

	if (n - i < 14)
		return 0;
	c0 = b[i] | 0x20;	/* lower case, if a letter */
	c1 = b[i + 1] | 0x20;
	c2 = b[i + 2] | 0x20;
	mo = month_at[(c0 + c1 + c2) % 21];
	if (mo == 12 || months[mo] != MONTH(c0, c1, c2) || b[i + 3] != ' ')
		return 0;
	j = i + 4;
	if (b[j] == ' ')
		j++;
	if (!is_digit(b[j]))
		return 0;
	d = (unsigned)(b[j++] - '0');
	if (is_digit(b[j]) && b[i + 4] != ' ')
		d = d * 10 + (unsigned)(b[j++] - '0');
	if (b[j++] != ' ' || n - j < 8 || digits(b + j, 2, &h) < 0 || b[j + 2] != ':' ||
	    digits(b + j + 3, 2, &mi) < 0 || b[j + 5] != ':' || digits(b + j + 6, 2, &s) < 0)
		return 0;
	j += 8;
	if (d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || (j < n && b[j] != ' '))
		return 0;
	return (j < n ? j + 1 : j) - i;
}

/*
 * A TAG at i: 1..48 TAG bytes, optionally "[pid]", then ':' and one optional
 * space.  Sets ident, procid and *next (where the message starts); 0, or -1.
 */
static int
parse_tag(const uint8_t *b, size_t i, size_t n, struct syslog_msg *m, size_t *next)
{
	size_t	j = i, p, lim = n - i > PROTO_MAX_TAG ? i + PROTO_MAX_TAG : n;

	while (j < lim && proto_tag_byte(b[j]))
		j++;
	if (j == i || j >= n)
		return -1;
	if (b[j] == '[') {
		lim = n - j > MAX_PROCID ? j + MAX_PROCID + 1 : n;
		for (p = j + 1; p < lim && is_print(b[p]) && b[p] != ']'; p++)
			;
		if (p >= n || b[p] != ']' || p + 1 >= n || b[p + 1] != ':')
			return -1;
		m->procid = (const char *)b + j + 1;
		m->procid_len = p - j - 1;
		p++;
	} else if (b[j] == ':') {
		p = j;
	} else {
		return -1;
	}
	m->ident = (const char *)b + i;
	m->ident_len = j - i;
	p++;
	*next = p < n && b[p] == ' ' ? p + 1 : p;
	return 0;
}

/*
 * RFC 3164 at i: [TIMESTAMP] [HOSTNAME SP] TAG ["[pid]"] ":" [SP] MSG.  The first
 * token is the hostname only after a timestamp, when it is no TAG and the second
 * token is; with no TAG found, the message is everything after the timestamp.
 */
static void
parse_3164(const uint8_t *b, size_t i, size_t n, struct syslog_msg *m)
{
	size_t	t, h, next;
	int	have_ts = 0;

	if ((t = bsd_time(b, i, n)) > 0) {
		i += t;
		have_ts = 1;
	} else if (i < n && is_digit(b[i]) && (t = token_end(b, i, n)) > i &&
	    parse_rfc3339(b + i, t - i, &m->ts_ns) == 0) {
		i = t < n ? t + 1 : t;
		have_ts = 1;
	}
	if (parse_tag(b, i, n, m, &next) == 0) {
		i = next;
	} else if (have_ts) {
		for (h = i; h < n && h - i < MAX_HOST && is_host(b[h]); h++)
			;
		if (h > i && h < n && b[h] == ' ' && parse_tag(b, h + 1, n, m, &next) == 0) {
			m->host = (const char *)b + i;
			m->host_len = h - i;
			i = next;
		}
	}
	set_msg(b, i, n, m);
}

void
syslog_parse(const uint8_t *buf, size_t len, struct syslog_msg *out)
{
	static const struct syslog_msg	empty;	/* copied: memset() is a slow `rep stos` */
	size_t				i, n = len;

	*out = empty;
	out->facility = 1;
	out->severity = 5;
	out->msg = buf;
	if (len == 0)
		return;		/* buf may be NULL: no arithmetic on it */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	i = parse_pri(buf, n, out);
	if (out->has_pri && n - i >= 2 && buf[i] == '1' && buf[i + 1] == ' ') {
		if (parse_5424(buf, i + 2, n, out) < 0)
			set_msg(buf, i, n, out);	/* not RFC 5424 after all: all of it */
		return;
	}
	parse_3164(buf, i, n, out);
}

uint32_t
syslog_pid(const struct syslog_msg *m)
{
	const uint8_t	*s = (const uint8_t *)m->procid;
	uint64_t	 v = 0;
	size_t		 i;

	if (m->procid_len == 0)
		return SYSLOG_NO_PID;
	for (i = 0; i < m->procid_len; i++) {
		if (!is_digit(s[i]))
			return SYSLOG_NO_PID;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v >= SYSLOG_NO_PID)		/* checked every digit, so v never overflows */
			return SYSLOG_NO_PID;
	}
	return (uint32_t)v;
}

const char *
syslog_facility_name(unsigned f)
{
	return f < NFACILITY ? facility_names[f] : NULL;
}

int
syslog_facility(const char *s, size_t len)
{
	size_t	f;

	for (f = 0; f < NFACILITY; f++)
		if (strlen(facility_names[f]) == len && strncasecmp(facility_names[f], s, len) == 0)
			return (int)f;
	return -1;
}

/*
 * The SD-NAME at i (1..32 SD-NAME bytes), ending before n and followed by
 * one of the bytes in stop: its end, or 0.
 */
static size_t
sd_name(const char *s, size_t i, size_t n, const char *stop)
{
	size_t	j = i;

	while (j < n && j - i < SD_MAX_NAME && is_sdname((uint8_t)s[j]))
		j++;
	if (j == i || j >= n || strchr(stop, s[j]) == NULL)
		return 0;
	return j;
}

/*
 * *off packs two offsets into sd: the element being walked (elem) and the
 * position in it (pos), as elem * (sd_len + 1) + pos, so the walk needs no
 * state but *off.  pos == elem: at the element's '['.  Otherwise pos is after
 * its SD-ID or after a parameter, and the SD-ID is read again from elem.
 */
int
syslog_sd_next(const struct syslog_msg *m, size_t *off, const char **id, size_t *id_len,
    const char **name, size_t *name_len, const char **val, size_t *val_len)
{
	const char	*s = m->sd;
	size_t		 n = m->sd_len, elem, pos, id_end, ne, v;

	if (n == 0 || n + 1 > SIZE_MAX / (n + 1))
		return 0;
	elem = *off / (n + 1);
	pos = *off % (n + 1);
	if (elem > n || pos < elem)
		return 0;
	for (;;) {
		if (pos >= n || s[elem] != '[' ||
		    (id_end = sd_name(s, elem + 1, n, " ]")) == 0)
			return 0;
		if (pos == elem)
			pos = id_end;
		if (s[pos] == ']') {	/* the element ends: on to the next one */
			elem = pos = pos + 1;
			continue;
		}
		if (s[pos] != ' ' || (ne = sd_name(s, pos + 1, n, "=")) == 0 ||
		    ne + 1 >= n || s[ne + 1] != '"')
			return 0;
		for (v = ne + 2; v < n && s[v] != '"'; v++)
			if (s[v] == '\\')
				v++;	/* the escaped byte; may step to n */
		if (v >= n)
			return 0;
		*id = s + elem + 1;
		*id_len = id_end - elem - 1;
		*name = s + pos + 1;
		*name_len = ne - pos - 1;
		*val = s + ne + 2;
		*val_len = v - ne - 2;
		*off = elem * (n + 1) + v + 1;
		return 1;
	}
}

size_t
syslog_sd_unescape(const char *val, size_t val_len, char *out)
{
	size_t	i, k = 0;

	for (i = 0; i < val_len; i++) {
		if (val[i] == '\\' && i + 1 < val_len &&
		    (val[i + 1] == '"' || val[i + 1] == '\\' || val[i + 1] == ']'))
			i++;
		out[k++] = val[i];
	}
	return k;
}
