/*
 * logd.h - liblogd, the client library of the logd logging daemon.
 *
 * Link with `pkg-config --cflags --libs liblogd`.  A handle sends records of
 * one stream to the daemon's socket ($LOGD_SOCKET, else /run/logd/socket).
 * Every call is thread-safe without locks, allocates nothing on the heap for
 * messages that fit in one datagram, never raises SIGPIPE, never prints and
 * never touches signal handlers; a handle stays usable in a child after fork().
 *
 * By default a send blocks while the daemon's socket is full, so nothing is
 * lost (like syslog(3)).  With LOGD_NONBLOCK a send never blocks: one that
 * would fails with -EAGAIN.  Every record that could not be delivered is
 * counted (logd_dropped()) and the count is reported to the daemon with the
 * next record that does get through, so the stream's file says what is missing.
 * See logd(3).
 */
#ifndef LOGD_H
#define LOGD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct logd_client logd_client;

#define LOGD_NONBLOCK	0x1u	/* never block: drop and count instead */
#define LOGD_MAX_FIELDS	32	/* fields of one logd_send_fields() call */

/* A key=value field of a record: JSON lines have them in "fields". */
struct logd_field {
	const char	*key;	/* 1-64 bytes of [A-Za-z0-9_] */
	const char	*value;	/* any text, NUL-terminated */
};

#if defined(__GNUC__)
#define LOGD_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#else
#define LOGD_PRINTF(f, a)
#endif

/*
 * Opens a handle for stream (1-64 bytes of [A-Za-z0-9._-], not starting with
 * '.').  Returns NULL with errno EINVAL for a bad name or flags, ENOMEM, or
 * the socket(2) error.  A daemon that is not running is not an error here:
 * sends fail and are counted until it is.
 */
logd_client	*logd_open(const char *stream, unsigned flags);

/* Closes the handle.  NULL is allowed. */
void		 logd_close(logd_client *c);

/*
 * Sends msg (len bytes, any bytes) at priority (LOG_EMERG..LOG_DEBUG).
 * Returns 0, or -errno: -EINVAL (bad priority, NULL msg with len > 0),
 * -EAGAIN (LOGD_NONBLOCK and the socket is full), -ECONNREFUSED or -ENOENT
 * (no daemon), or another sendmsg(2) error.  Messages too long for one
 * datagram are split into continuation records; if a later one cannot be
 * sent, the send fails (one record dropped) and the handle's next send or
 * logd_close() ends the parts already sent, so they join no other message.
 */
int		 logd_send(logd_client *c, int priority, const void *msg, size_t len);

/*
 * logd_send() with n key=value fields (at most LOGD_MAX_FIELDS, at most 32 KiB
 * in all), sent from where they are: no copy, no allocation.  -EINVAL also
 * for a NULL or bad key, a NULL value, or too many or too long fields.
 */
int		 logd_send_fields(logd_client *c, int priority, const struct logd_field *fields,
		    size_t n, const void *msg, size_t len);

/* printf-style logd_send(). */
int		 logd_printf(logd_client *c, int priority, const char *fmt, ...) LOGD_PRINTF(3, 4);

/* logd_printf() with a va_list, as vprintf(3): ap is used up. */
int		 logd_vprintf(logd_client *c, int priority, const char *fmt, va_list ap)
		    LOGD_PRINTF(3, 0);

/* logd_printf() that also records the caller's file, line and function. */
int		 logd_sendf_at(logd_client *c, int priority, const char *file, int line,
		    const char *func, const char *fmt, ...) LOGD_PRINTF(6, 7);

/* Records this handle failed to deliver, since logd_open(). */
uint64_t	 logd_dropped(const logd_client *c);

#define LOGD_LOG_(c, prio, ...)	logd_sendf_at((c), (prio), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define LOGD_EMERG(c, ...)	LOGD_LOG_(c, LOG_EMERG, __VA_ARGS__)
#define LOGD_ALERT(c, ...)	LOGD_LOG_(c, LOG_ALERT, __VA_ARGS__)
#define LOGD_CRIT(c, ...)	LOGD_LOG_(c, LOG_CRIT, __VA_ARGS__)
#define LOGD_ERR(c, ...)	LOGD_LOG_(c, LOG_ERR, __VA_ARGS__)
#define LOGD_WARNING(c, ...)	LOGD_LOG_(c, LOG_WARNING, __VA_ARGS__)
#define LOGD_NOTICE(c, ...)	LOGD_LOG_(c, LOG_NOTICE, __VA_ARGS__)
#define LOGD_INFO(c, ...)	LOGD_LOG_(c, LOG_INFO, __VA_ARGS__)
#define LOGD_DEBUG(c, ...)	LOGD_LOG_(c, LOG_DEBUG, __VA_ARGS__)

#ifdef __cplusplus
}
#endif

#endif
