/*
 * syslog_msg.h - one syslog datagram parsed in place: RFC 3164 as glibc's syslog(3)
 * and logger write it (with or without a hostname), RFC 5424, a bare "<PRI>msg",
 * or no PRI at all.  Pure: no allocation, no I/O; never fails.
 *
 * Every pointer set points into the datagram (valid as long as it is); an
 * absent text field has len 0.  Bytes that cannot be parsed are kept in msg:
 * an RFC 5424 header with a malformed field leaves everything after the PRI
 * as the message, and an RFC 3164 message without a recognisable TAG keeps
 * everything after its timestamp.
 *
 * Not "syslog.h": proto/ is on every include path, and that name would hide
 * the system's <syslog.h> from the files that include it.
 */
#ifndef LOGD_SYSLOG_MSG_H
#define LOGD_SYSLOG_MSG_H

#include <stddef.h>
#include <stdint.h>

#define SYSLOG_NO_PID		UINT32_MAX
#define SYSLOG_MAX_PRI		191	/* facility 23, severity 7 */

struct syslog_msg {
	uint8_t		 facility;	/* 0..23; 1 (user) without a PRI */
	uint8_t		 severity;	/* 0..7; 5 (notice) without a PRI */
	uint8_t		 has_pri;
	uint8_t		 rfc5424;	/* "<PRI>1 " and a well-formed header */
	/*
	 * An RFC 3339 TIMESTAMP (UTC ns, offset applied), as RFC 5424 or an RFC 3164
	 * sender in place of "Mmm dd hh:mm:ss" sends it; 0: none, "-", "Mmm dd
	 * hh:mm:ss" (no year, no zone), unparsable, or before 1970 or after 2554.
	 */
	uint64_t	 ts_ns;
	const char	*host;		/* hostname; host_len 0: none or "-" */
	size_t		 host_len;
	/* APP-NAME, or the RFC 3164 TAG (before "[pid]" / ":"); at most PROTO_MAX_TAG; 0: none */
	const char	*ident;
	size_t		 ident_len;
	/* PROCID, or the RFC 3164 "[pid]"'s pid, as sent; procid_len 0: none or "-" */
	const char	*procid;
	size_t		 procid_len;
	const char	*msgid;		/* msgid_len 0: none or "-" */
	size_t		 msgid_len;
	/* STRUCTURED-DATA as sent, "[id k=\"v\"]..."; sd_len 0: "-" or none */
	const char	*sd;
	size_t		 sd_len;
	/* the message: UTF-8 BOM removed, trailing '\n' and NUL bytes trimmed */
	const uint8_t	*msg;
	size_t		 msg_len;
};

/* Parses len bytes at buf into *out.  O(len), reads nothing outside buf. */
void		syslog_parse(const uint8_t *buf, size_t len, struct syslog_msg *out);

/*
 * The pid in m's procid: all digits and below SYSLOG_NO_PID, or SYSLOG_NO_PID.
 * (Apart from syslog_parse(), which only finds it: most lines never need it.)
 */
uint32_t	syslog_pid(const struct syslog_msg *m);

/*
 * syslog's name of facility f (0..23: "kern", "user", "mail", "daemon", "auth", "syslog",
 * "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
 * "solaris-cron", "local0".."local7"); NULL for others.
 */
const char     *syslog_facility_name(unsigned f);

/* The facility named by len bytes at s (as above, in any case: "LOCAL0"), or -1. */
int		syslog_facility(const char *s, size_t len);

/*
 * Walks the SD-PARAMs of out->sd: *off starts at 0 (and is opaque after).  Returns 1
 * and sets id (SD-ID), name (PARAM-NAME) and val (PARAM-VALUE as sent, still
 * escaped: \" \\ \] ) for the next one, 0 when there are no more or the rest is
 * malformed (a malformed SD stays in sd as text).  An element without
 * parameters ("[timeQuality]") gives nothing.  O(sd_len) over a whole walk.
 */
int		syslog_sd_next(const struct syslog_msg *m, size_t *off, const char **id,
		    size_t *id_len, const char **name, size_t *name_len, const char **val,
		    size_t *val_len);

/* Writes the unescaped PARAM-VALUE (at most val_len bytes) into out; returns its length. */
size_t		syslog_sd_unescape(const char *val, size_t val_len, char *out);

#endif
