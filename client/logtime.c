/*
 * logtime.c - logd's stamps and logctl's TIME arguments (see logtime.h).
 *
 * A stamp is parsed with digit arithmetic and a days-from-civil formula,
 * not timegm(): show parses one per line it reads.  TIME arguments in local
 * time go through mktime(), so they follow TZ as date(1) and journalctl do.
 * No state, no allocation; any thread.
 */
#include "logtime.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "clock.h"

#define NS_PER_S	1000000000LL
#define MAX_S		(INT64_MAX / NS_PER_S - 1)	/* seconds that still fit as ns */

/* n digits at s as a number, or -1 if one of them is not a digit. */
static int64_t
digits(const char *s, size_t n)
{
	int64_t	v = 0;
	size_t	i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Seconds of a UTC civil time as ns, clamped to what int64_t holds. */
static int64_t
civil_ns(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s)
{
	int64_t	secs = clock_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;

	if (secs > MAX_S)
		return INT64_MAX;
	if (secs < -MAX_S)
		return INT64_MIN;
	return secs * NS_PER_S;
}

int
logtime_stamp(const char *s, size_t len, int64_t *ns)
{
	int64_t	y, mo, d, h, mi, sec, us, t;

	if (len < LOGTIME_STAMP_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != '.' || s[26] != 'Z')
		return -EINVAL;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	us = digits(s + 20, 6);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 ||
	    d > clock_days_in_month((unsigned)y, (unsigned)mo) || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || sec < 0 || sec > 60 || us < 0)
		return -EINVAL;
	t = civil_ns(y, (unsigned)mo, (unsigned)d, (unsigned)h, (unsigned)mi, (unsigned)sec);
	*ns = t > INT64_MAX - us * 1000 ? INT64_MAX : t + us * 1000;
	return 0;
}

/* ns + s seconds, or -ERANGE. */
static int
add_s(int64_t ns, int64_t s, int64_t *out)
{
	if (s > MAX_S || s < -MAX_S)
		return -ERANGE;
	return __builtin_add_overflow(ns, s * NS_PER_S, out) ? -ERANGE : 0;
}

/* A local civil time (mktime() normalises; the caller has checked the fields). */
static int
local_ns(struct tm *tm, int64_t frac_ns, int64_t *ns)
{
	time_t	t;
	int	rc;

	tm->tm_isdst = -1;
	t = mktime(tm);
	if (t == (time_t)-1 && tm->tm_year != 69)
		return -ERANGE;
	if ((rc = add_s(0, (int64_t)t, ns)) < 0)
		return rc;
	return __builtin_add_overflow(*ns, frac_ns, ns) ? -ERANGE : 0;
}

/* Local midnight of today + days. */
static int
midnight(int64_t now_ns, int days, int64_t *ns)
{
	time_t		t = (time_t)(now_ns / NS_PER_S);
	struct tm	tm;

	if (localtime_r(&t, &tm) == NULL)
		return -ERANGE;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday += days;
	return local_ns(&tm, 0, ns);
}

struct unit {
	const char	*name;
	int64_t		 ns;
};

/* Longer names before their prefixes: the first match wins. */
static const struct unit	units[] = {
	{ "usec", 1000 }, { "us", 1000 }, { "msec", 1000000 }, { "ms", 1000000 },
	{ "seconds", NS_PER_S }, { "second", NS_PER_S }, { "sec", NS_PER_S }, { "s", NS_PER_S },
	{ "minutes", 60 * NS_PER_S }, { "minute", 60 * NS_PER_S }, { "min", 60 * NS_PER_S },
	{ "m", 60 * NS_PER_S },
	{ "hours", 3600 * NS_PER_S }, { "hour", 3600 * NS_PER_S }, { "h", 3600 * NS_PER_S },
	{ "days", 86400 * NS_PER_S }, { "day", 86400 * NS_PER_S }, { "d", 86400 * NS_PER_S },
	{ "weeks", 604800 * NS_PER_S }, { "week", 604800 * NS_PER_S },
	{ "w", 604800 * NS_PER_S },
};

/*
 * A span: one or more "N unit" ("1h30min", "2 days", "90s"), blanks allowed
 * between the parts; a last number without a unit is seconds, as in
 * systemd.time(7).  The span must run to s + len.
 */
static int
span_ns(const char *s, size_t len, int64_t *out)
{
	const char	*end = s + len;
	int64_t		 total = 0, n, part;
	size_t		 i, ul;
	int		 any = 0;

	while (s < end) {
		while (s < end && *s == ' ')
			s++;
		if (s == end)
			break;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		for (n = 0; s < end && *s >= '0' && *s <= '9'; s++) {
			if (n > (INT64_MAX - 9) / 10)
				return -ERANGE;
			n = n * 10 + (*s - '0');
		}
		while (s < end && *s == ' ')
			s++;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			ul = strlen(units[i].name);
			if ((size_t)(end - s) >= ul && memcmp(s, units[i].name, ul) == 0 &&
			    (s + ul == end || s[ul] == ' ' || (s[ul] >= '0' && s[ul] <= '9')))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0])) {
			if (s != end)
				return -EINVAL;
			part = n > MAX_S ? -1 : n * NS_PER_S;	/* a bare number: seconds */
		} else {
			s += ul;
			part = n > INT64_MAX / units[i].ns ? -1 : n * units[i].ns;
		}
		if (part < 0 || __builtin_add_overflow(total, part, &total))
			return -ERANGE;
		any = 1;
	}
	if (!any)
		return -EINVAL;
	*out = total;
	return 0;
}

/* ".123" (1-9 digits) at *s: the fraction in ns; *s moves past it.  0 if there is none. */
static int64_t
fraction(const char **s)
{
	const char	*p = *s;
	int64_t		 ns = 0, scale = NS_PER_S;

	if (*p != '.' && *p != ',')
		return 0;
	for (p++; *p >= '0' && *p <= '9'; p++) {
		if (scale == 1)
			return -1;	/* more than 9 digits */
		scale /= 10;
		ns += (*p - '0') * scale;
	}
	if (p == *s + 1)
		return -1;
	*s = p;
	return ns;
}

/* "HH:MM[:SS[.frac]]" at *s into tm and *frac; *s moves past it. */
static int
clock_time(const char **s, struct tm *tm, int64_t *frac)
{
	const char	*p = *s;
	int64_t		 h, mi, sec = 0;

	h = digits(p, 2);
	if (h < 0 || p[2] != ':' || (mi = digits(p + 3, 2)) < 0)
		return -EINVAL;
	p += 5;
	if (*p == ':') {
		if ((sec = digits(p + 1, 2)) < 0)
			return -EINVAL;
		p += 3;
		if ((*frac = fraction(&p)) < 0)
			return -EINVAL;
	}
	if (h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	tm->tm_hour = (int)h;
	tm->tm_min = (int)mi;
	tm->tm_sec = (int)sec;
	*s = p;
	return 0;
}

/* The zone after a time: "", "Z", " UTC", "+01:00", "-0130", "+01".  Its offset east in s. */
static int
zone(const char *p, int *local, int64_t *east_s)
{
	int64_t	h, m = 0;
	int	sign;

	*local = 0;
	*east_s = 0;
	if (*p == '\0') {
		*local = 1;
		return 0;
	}
	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0 || strcmp(p, " UTC") == 0 ||
	    strcmp(p, "UTC") == 0)
		return 0;
	if (*p != '+' && *p != '-')
		return -EINVAL;
	sign = *p++ == '-' ? -1 : 1;
	if ((h = digits(p, 2)) < 0)
		return -EINVAL;
	p += 2;
	if (*p == ':')
		p++;
	if (*p != '\0') {
		if ((m = digits(p, 2)) < 0 || p[2] != '\0')
			return -EINVAL;
	}
	if (h > 23 || m > 59)
		return -EINVAL;
	*east_s = sign * (h * 3600 + m * 60);
	return 0;
}

/* "YYYY-MM-DD" optionally followed by [T ]HH:MM[:SS[.frac]][zone]. */
static int
date_time(const char *p, int64_t *ns)
{
	struct tm	tm;
	int64_t		y, mo, d, frac = 0, east_s, t;
	int		local, rc;

	y = digits(p, 4);
	if (y < 0 || p[4] != '-' || (mo = digits(p + 5, 2)) < 0 || p[7] != '-' ||
	    (d = digits(p + 8, 2)) < 0)
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > clock_days_in_month((unsigned)y, (unsigned)mo))
		return -EINVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	p += 10;
	if (*p == '\0')
		return local_ns(&tm, 0, ns);
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -EINVAL;
	p++;
	if ((rc = clock_time(&p, &tm, &frac)) < 0 || (rc = zone(p, &local, &east_s)) < 0)
		return rc;
	if (local)
		return local_ns(&tm, frac, ns);
	t = civil_ns(y, (unsigned)mo, (unsigned)d, (unsigned)tm.tm_hour, (unsigned)tm.tm_min,
	    (unsigned)tm.tm_sec);
	if (t == INT64_MAX || t == INT64_MIN || (rc = add_s(t, -east_s, &t)) < 0)
		return -ERANGE;
	return __builtin_add_overflow(t, frac, ns) ? -ERANGE : 0;
}

int
logtime_parse(const char *arg, int64_t now_ns, int64_t *ns)
{
	size_t		len = strlen(arg);
	struct tm	tm;
	time_t		now_s = (time_t)(now_ns / NS_PER_S);
	const char	*p;
	int64_t		span, frac = 0, secs;
	int		rc;

	if (strcmp(arg, "now") == 0) {
		*ns = now_ns;
		return 0;
	}
	if (strcmp(arg, "today") == 0)
		return midnight(now_ns, 0, ns);
	if (strcmp(arg, "yesterday") == 0)
		return midnight(now_ns, -1, ns);
	if (strcmp(arg, "tomorrow") == 0)
		return midnight(now_ns, 1, ns);
	if (arg[0] == '@') {
		p = arg + 1;
		if (*p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (secs = 0; *p >= '0' && *p <= '9'; p++) {
			if (secs > MAX_S)
				return -ERANGE;
			secs = secs * 10 + (*p - '0');
		}
		if ((frac = fraction(&p)) < 0 || *p != '\0')
			return -EINVAL;
		if (arg[1] == '-') {
			secs = -secs;
			frac = -frac;
		}
		if ((rc = add_s(0, secs, ns)) < 0)
			return rc;
		*ns += frac;
		return 0;
	}
	if (arg[0] == '-' || arg[0] == '+') {
		if ((rc = span_ns(arg + 1, len - 1, &span)) < 0)
			return rc;
		if (arg[0] == '-')
			span = -span;
		return __builtin_add_overflow(now_ns, span, ns) ? -ERANGE : 0;
	}
	if (len > 4 && strcmp(arg + len - 4, " ago") == 0) {
		if ((rc = span_ns(arg, len - 4, &span)) < 0)
			return rc;
		return __builtin_sub_overflow(now_ns, span, ns) ? -ERANGE : 0;
	}
	if (len >= 10 && arg[4] == '-')
		return date_time(arg, ns);
	if (len >= 5 && arg[2] == ':') {
		if (localtime_r(&now_s, &tm) == NULL)
			return -ERANGE;
		p = arg;
		if ((rc = clock_time(&p, &tm, &frac)) < 0)
			return rc;
		if (*p != '\0')
			return -EINVAL;
		return local_ns(&tm, frac, ns);
	}
	return -EINVAL;
}
