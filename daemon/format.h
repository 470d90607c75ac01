/*
 * format.h - one record -> one line of a stream file (text or JSON lines).
 *
 * Text:  2026-11-22T12:00:00.123456Z info [1234] message
 *   RFC 3339 UTC with microseconds, priority name, sender pid, then the
 *   message with '\\', control bytes (0x00-0x1f, 0x7f) escaped C-style
 *   (\n \r \t \\ and \xNN), so one record is always one line.  Valid UTF-8
 *   is copied as it is; a byte that is not valid UTF-8 is \xNN, so grep sees
 *   text.  A record flagged PROTO_REC_MORE (its message
 *   continues in the sender's next record) shows its pid as "[1234+]"; one
 *   whose time was not its sender's claim (more than max_clock_skew off)
 *   shows the claim as "[1234 @2001-01-01T00:00:00.000000Z]".
 *   logd's own lines show "[logd]" where a sender's pid goes: no sender can
 *   write one (its pid comes from the kernel).  A tag (rec->tag: logctl -t,
 *   a syslog ident) goes before the pid, as in syslog's files:
 *   "info sshd[1234]: message"; a caller (file, line, function) before the
 *   message: "info [1234] app.c:10 main(): message", "?" for a name not
 *   given.  Tag and names are escaped as the message is, and a blank and
 *   '[' as \x20 and \x5b, so a reader tells them from a message that looks
 *   alike (see logline.h).  Records with neither pay two tests for them.
 * JSON:  {"ts":"...","priority":"info","stream":"web","pid":1234,"uid":0,
 *   "gid":0,"message":"..."} plus "file","line","func","fields":{...},
 *   "more":true, "claimed_ts":"...", "ident" (after "gid") when present;
 *   strings per RFC 8259,
 *   bytes that are not valid UTF-8 as \u00XX of their byte value.  logd's
 *   own lines have "logd":true after "stream".
 *
 * Pure: no I/O, no allocation.  The cache makes the timestamp cheap: the
 * date and time up to the second are formatted once per second.
 * Any thread; a struct format_cache belongs to one (the stream table's to
 * the loop, the writer's own to the writer).
 */
#ifndef LOGD_FORMAT_H
#define LOGD_FORMAT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "proto.h"

/*
 * format_max_len(rec) <= FORMAT_EXPANSION * (proto_head_size(rec) + rec->msg_len)
 * for every valid record: ingest reserves queue space for a datagram from
 * its size alone before reading it.
 */
#define FORMAT_EXPANSION	16

/* Every line format_line() writes is at least this long (a text line with no message is 37). */
#define FORMAT_MIN_LINE		32

/* Who sent the record (from SCM_CREDENTIALS, never from the payload). */
struct format_sender {
	pid_t	pid;
	uid_t	uid;
	gid_t	gid;
	int	logd;		/* one of logd's own lines (about pid, or logd itself) */
};

struct format_cache {
	int64_t		sec;		/* the second prefix[] holds; INT64_MIN = none */
	char		prefix[24];	/* "2026-11-22T12:00:00." */
	uint32_t	pid;		/* the pid pid_text holds */
	uint8_t		pid_len;	/* 0 = none */
	char		pid_text[10];	/* its digits */
};

/* Empties the cache. */
void	format_cache_init(struct format_cache *c);

/* Upper bound of the bytes format_line() writes for rec, from the lengths alone. */
size_t	format_max_len(enum config_format fmt, const struct proto_record *rec);

/*
 * A tighter upper bound: for text, exact but for the pid's digits (or
 * "[logd]"), the "+" and a claimed time, at the cost of a scan of the
 * message; for JSON, format_max_len().  *clean (if clean is not NULL): how
 * many of the message's first bytes the scan found need no escaping (0 for
 * JSON), for format_line_clean().
 */
size_t	format_len(enum config_format fmt, const struct proto_record *rec, size_t *clean);

/*
 * Writes rec as one line ending in '\n' into buf, which must have room for
 * format_max_len(fmt, rec) bytes.  ts_ns is the time to print (the client's,
 * or the receipt time when it sent 0 or a time too far off); a claimed time
 * rec->ts_ns other than 0 and ts_ns is shown as the claim.  Returns the bytes
 * written.
 */
size_t	format_line(struct format_cache *c, enum config_format fmt, char *buf,
	    const struct proto_record *rec, uint64_t ts_ns, const struct format_sender *who);

/*
 * format_line(), told by format_len() that the message's first clean bytes
 * need no escaping: they are copied without a second scan (a big record's
 * bytes are read once to measure them, once to copy them, not three times).
 */
size_t	format_line_clean(struct format_cache *c, enum config_format fmt, char *buf,
	    const struct proto_record *rec, uint64_t ts_ns, const struct format_sender *who,
	    size_t clean);

/*
 * How every loss marker's text starts: FORMAT_LOSS_PREFIX "12 records: <why>"
 * ("1 record: <why>" for one).
 */
#define FORMAT_LOSS_PREFIX	"dropped "

/* "s" after a count other than 1: "%" PRIu64 " record%s", n, format_s(n). */
static inline const char *
format_s(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/*
 * The text of one of logd's own lines into text[cap]: a loss marker
 * FORMAT_LOSS_PREFIX "<dropped> record(s): <fmt>" if dropped > 0, else
 * <fmt>.  Returns its length (cut short to fit).
 */
size_t	format_own_text(char *text, size_t cap, uint64_t dropped, const char *fmt, va_list ap)
	    __attribute__((format(printf, 4, 0)));

/*
 * Fills rec as one of logd's own lines (format_own_text()) at priority prio
 * in stream name, to be written with a sender whose logd is set.  A loss
 * marker has dropped > 0: a JSON line gets "dropped":N, the key a record
 * line never has (its sender's count goes into a marker of its own), so the
 * sum of it over a file is everything lost.  N saturates at
 * PROTO_MAX_DROPPED, the most a JSON reader reads exactly (a sum of
 * senders' claims may be more).
 */
void	format_marker(struct proto_record *rec, const char *name, size_t name_len, int prio,
	    const char *text, size_t text_len, uint64_t dropped);

/*
 * The N of a loss marker line (text or JSON) that format_line() wrote, or
 * 0 for any other line (a sender's too, whatever its message says): what a
 * marker line that will never be written took with it.
 */
uint64_t	format_loss(const char *line, size_t len);

/* logd itself as the sender of its own lines: its pid, uid and gid, and logd set. */
void	format_self(struct format_sender *who);

#endif
