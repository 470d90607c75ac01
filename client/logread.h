/*
 * logread.h - one stream's files read as one sequence of lines, for logctl
 * tail and show: its archives oldest first (zstd ones decompressed as a
 * stream), then current.log, and with follow, every current.log after it.
 *
 * A reader reads one file at a time and holds at most one line of it
 * (LOGREAD_LINE_MAX) plus a read buffer: memory does not grow with the
 * files.  It assumes what logd's files are: an archive named for time T
 * holds lines up to T, and lines are in time order across a stream's files,
 * give or take LOGREAD_SKEW_NS (a sender's clock, a sender held up).  So a
 * range starts at the first archive named at or after it, by binary search
 * on the lines' times in a plain file, and ends at the first line past it;
 * every line returned is checked against the filter.
 */
#ifndef LOGD_LOGREAD_H
#define LOGD_LOGREAD_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "logline.h"

#define LOGREAD_LINE_MAX	(1u << 20)	/* a longer line comes out cut to this */
#define LOGREAD_SKEW_NS		(60 * 1000000000LL)

struct logread;

struct logread_filter {
	int64_t		 since_ns;	/* INT64_MIN: from the first line */
	int64_t		 until_ns;	/* INT64_MAX: to the last (both bounds included) */
	int		 max_priority;	/* 7: every line; below, lines without one are left out */
	const regex_t	*grep;		/* NULL, or matched against the message (REG_STARTEND) */
};

struct logread_line {
	const char	*text;		/* the line as in the file, without its newline */
	size_t		 len;
	int		 parsed;	/* one of logd's lines: f holds its fields */
	struct logline	 f;
	int64_t		 ts_ns;		/* f.ts_ns; a line without a time has the one before it */
	int		 cut;		/* longer than LOGREAD_LINE_MAX: its start only */
};

/*
 * Opens stream in the log dir: current.log now, and the list of archives.
 * With follow, reading waits at the end of current.log and goes on in the
 * file that replaces it.  0; -ENOENT, no such stream; -ENOTDIR; -errno.
 */
int		logread_open(int log_dir_fd, const char *stream, const struct logread_filter *flt,
		    int follow, struct logread **out);

/*
 * Starts reading at the last n lines that pass the filter's priority (a
 * .zst archive in the way is decompressed to count).  The other bounds of
 * the filter are not looked at.  0, or -errno: logread_path() names the
 * file that failed, and reading starts after it.
 */
int		logread_tail(struct logread *r, uint64_t n);

/*
 * The next line that passes the filter: 1, with *line valid until the next
 * call; 0 when there is none (with follow: none yet; call again after the
 * directory changes); -errno when the file logread_path() names fails, and
 * the next call goes on after it.  -ESTALE: current.log shrank under a
 * follower, which reads it again from its start.
 */
int		logread_next(struct logread *r, struct logread_line *line);

/* "stream/file" of the file read last, for messages. */
const char     *logread_path(const struct logread *r);

/* Checks the reader's invariants; 0 or -EINVAL.  For tests. */
int		logread_check(const struct logread *r);

void		logread_free(struct logread *r);

#endif
