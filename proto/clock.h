/*
 * clock.h - the clock and calendar helpers of logd, liblogd and logctl.
 *
 * Not part of the wire format: it sits in proto/ because proto/ is what
 * both sides build with, and it is a header only, so the proto library
 * itself stays pure.  CLOCK_MONOTONIC measures intervals and deadlines (the
 * wall clock may jump); CLOCK_REALTIME is the time records and archives
 * are stamped with.  The calendar helpers are arithmetic only: parsers of
 * civil times (logtime.c, syslog.c) use them, not timegm().
 */
#ifndef LOGD_CLOCK_H
#define LOGD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* The clock id (CLOCK_MONOTONIC, CLOCK_REALTIME) in nanoseconds. */
static inline uint64_t
clock_ns(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The same in milliseconds. */
static inline uint64_t
clock_ms(clockid_t id)
{
	return clock_ns(id) / 1000000;
}

/* Days from 1970-01-01 to y-m-d (m 1-12) in the proleptic Gregorian calendar (H. Hinnant). */
static inline int64_t
clock_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Days in month m (1-12) of year y. */
static inline unsigned
clock_days_in_month(unsigned y, unsigned m)
{
	static const unsigned char	days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

#endif
