/*
 * logtime.h - times for logctl's readers: the stamp at the start of logd's
 * lines and archive names, and the TIME arguments of --since and --until.
 *
 * Times are nanoseconds since 1970-01-01 UTC in an int64_t (1677 to 2262).
 */
#ifndef LOGD_LOGTIME_H
#define LOGD_LOGTIME_H

#include <stddef.h>
#include <stdint.h>

#define LOGTIME_STAMP_LEN	27	/* "2026-11-22T12:00:00.123456Z" */

/*
 * logd's stamp: exactly "YYYY-MM-DDTHH:MM:SS.ffffffZ" at s (len >= 27; what
 * follows is not looked at).  0, or -EINVAL if s does not start with one.
 */
int	logtime_stamp(const char *s, size_t len, int64_t *ns);

/*
 * A TIME argument (logctl(1) lists the forms): "now", "today", "yesterday",
 * "tomorrow", "@SECONDS", "-1h30min", "+2d", "90 min ago", "2026-11-25",
 * "2026-11-25T12:00:00[.frac][Z|+01:00]" (also with a blank for T and " UTC"
 * for Z; no offset is local time) and "12:00[:00]" (today, local).  now_ns
 * is the time relative forms count from.  0, -EINVAL, or -ERANGE when the
 * time is outside int64_t nanoseconds.
 */
int	logtime_parse(const char *arg, int64_t now_ns, int64_t *ns);

#endif
