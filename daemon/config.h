/*
 * config.h - logd.conf (INI, parsed with inih) and the command-line overrides.
 *
 * A struct config is filled once from built-in defaults, then the file, then
 * flags.  Every key has a default, a range and a unit; sizes take plain bytes
 * or K/M/G (powers of 1024), durations take ms/s/min/h/d (a bare number is
 * seconds, as in systemd).  Errors are printed as "FILE:LINE: message" and
 * counted, so --check-config reports every error in one run.
 * The loop thread owns the daemon's struct config: it fills it at start and
 * copies a new one over it at SIGHUP (the stream table reads it through a
 * pointer).  The writer never reads it: it works on a copy of its own
 * (writer_start(), writer_reconfigure()).
 */
#ifndef LOGD_CONFIG_H
#define LOGD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/un.h>

#include "proto.h"

#define CONFIG_DEFAULT_PATH	"/etc/logd/logd.conf"
#define CONFIG_DEFAULT_SOCKET	"/run/logd/socket"
#define CONFIG_DEFAULT_LOG_DIR	"/var/log/logd"
#define CONFIG_DEFAULT_CONTROL	"/run/logd/control"
#define CONFIG_MAX_LISTEN	64	/* "[IPv6 address]:port" with its NUL */
#define CONFIG_MAX_PATH		4096
#define CONFIG_MAX_SECTIONS	256	/* [stream NAME] sections in one file */
#define CONFIG_AUTO		UINT64_MAX	/* max_use, keep_free: from the file system's size */
#define CONFIG_MAX_IDS		32	/* uids or gids in one allow_uids, allow_gids */
#define CONFIG_MAX_SYSLOG_MAP	32	/* ident:stream pairs in [syslog] map */
#define CONFIG_MAX_IDENT	48	/* a syslog ident in [syslog] map */
#define CONFIG_MAX_USER		64	/* a user name (user =) with its NUL */
#define CONFIG_NO_ID		UINT32_MAX	/* socket_group, group: unset */
#define CONFIG_MAX_FORWARDS	16	/* [forward NAME] sections */
#define CONFIG_MAX_PATTERNS	32	/* stream names or prefixes in one streams = */
#define CONFIG_MAX_HOST		256	/* a host name with its NUL */
#define CONFIG_MAX_APP_NAME	48	/* RFC 5424 APP-NAME */

/*
 * logd's own stream: <log_dir>/logd/, id 0, beside at most max_streams of
 * the senders' (ids 1..max_streams).  Senders cannot write to it.
 */
#define CONFIG_SELF_STREAM	"logd"
#define CONFIG_SELF_ID		0
#define CONFIG_STREAM_IDS(cfg)	((cfg)->max_streams + 1)

enum config_format {
	CONFIG_FORMAT_TEXT,
	CONFIG_FORMAT_JSON,
};

enum config_overflow {
	CONFIG_OVERFLOW_BLOCK,		/* stop reading the socket until there is room */
	CONFIG_OVERFLOW_DROP,		/* drop the stream's lowest-priority records */
};

enum config_compress {
	CONFIG_COMPRESS_NONE,
	CONFIG_COMPRESS_ZSTD,
};

enum config_create {
	CONFIG_CREATE_ANY,		/* any sender may create any stream */
	CONFIG_CREATE_CONFIGURED,	/* only streams with a [stream NAME] section */
};

/* allow_uids, allow_gids: n ids (uids or gids, resolved from names at load). */
/* [syslog] map: records of this ident go to this stream. */
struct config_syslog_map {
	uint32_t	n;
	struct {
		char	ident[CONFIG_MAX_IDENT + 1];
		char	stream[PROTO_MAX_NAME + 1];
	} to[CONFIG_MAX_SYSLOG_MAP];
};

struct config_ids {
	uint32_t	n;
	uint32_t	id[CONFIG_MAX_IDS];
};

enum config_sync {
	CONFIG_SYNC_NONE,		/* only at shutdown (and rotation) */
	CONFIG_SYNC_INTERVAL,		/* dirty files every sync_interval */
	CONFIG_SYNC_ALWAYS,		/* after every write */
};

/* What [defaults] sets for every stream, and [stream NAME] for one. */
struct stream_config {
	enum config_format format;		/* text */
	enum config_overflow overflow;		/* block */
	uint64_t	stream_queue_max_bytes;	/* one stream's share; 0 = queue_max_bytes / 4 */
	uint64_t	max_file_size;		/* rotate at this size; 64M, 4K..1T */
	uint64_t	max_file_age_ms;	/* rotate at this age; 0 = never, ..365d */
	uint32_t	max_files;		/* archives kept; 10, 1..100000 */
	uint64_t	max_stream_bytes;	/* archives' bytes kept; 0 = no limit */
	enum config_compress compress;		/* none */
	uint32_t	compress_level;		/* zstd level; 3, 1..19 */
	uint64_t	rate_limit_interval_ms;	/* per sender; 0 = off, ..1h */
	uint32_t	rate_limit_burst;	/* records per interval per sender; 0 = off */
	/*
	 * Who may write: a sender whose uid is in allow_uids or whose primary
	 * gid (SCM_CREDENTIALS carries no others) is in allow_gids.  Neither
	 * set (n == 0 both): anyone.
	 */
	struct config_ids allow_uids;
	struct config_ids allow_gids;
};

enum config_forward_proto {
	CONFIG_FORWARD_TCP,		/* tcp://host:port: RFC 5424, octet-counted (RFC 6587) */
	CONFIG_FORWARD_TLS,		/* tls://host:port: the same over TLS (RFC 5425) */
	CONFIG_FORWARD_RELP,		/* relp://host:port: RELP (librelp), acknowledged */
};

enum config_forward_format {
	CONFIG_FORWARD_RFC5424,
};

/*
 * A [forward NAME] section: the streams matching one of patterns (a name,
 * or a prefix ending in '*') sent to target as RFC 5424 syslog.
 */
struct config_forward {
	char		name[PROTO_MAX_NAME + 1];
	enum config_forward_proto proto;
	enum config_forward_format format;	/* rfc5424 */
	char		host[CONFIG_MAX_HOST];	/* a name or a numeric address */
	uint16_t	port;
	char		patterns[CONFIG_MAX_PATTERNS][PROTO_MAX_NAME + 2];
	uint32_t	npatterns;
	char		hostname[CONFIG_MAX_HOST];	/* HOSTNAME; "" = gethostname() */
	char		app_name[CONFIG_MAX_APP_NAME + 1];	/* APP-NAME; "" = the stream's name */
	uint32_t	facility;		/* 0..23; 1 (user) */
	uint64_t	reconnect_ms;		/* the longest wait between attempts; 30 s */
	uint32_t	max_unacked;		/* records sent and not yet known delivered; 100000 */
	uint64_t	resend_window;		/* the collector's receive buffer; 6M */
	char		tls_ca[CONFIG_MAX_PATH];	/* CAs the collector's certificate must
						 * chain to; "" = the system's */
	char		tls_cert[CONFIG_MAX_PATH];	/* logd's own certificate, or "" */
	char		tls_key[CONFIG_MAX_PATH];	/* ... and its key */
	uint32_t	set;			/* bit i: the section sets forward key i */
};

/* A [stream NAME] section: its settings, resolved over [defaults] by config_check(). */
struct config_section {
	char			name[PROTO_MAX_NAME + 1];
	struct stream_config	sc;
	uint32_t		set;		/* bit i: the section sets stream key i */
};

struct config {
	/* [daemon] */
	char		socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char		log_dir[CONFIG_MAX_PATH];
	uint64_t	queue_max_bytes;	/* all buffered + queued bytes; 64M, 1M..1T */
	uint64_t	batch_bytes;		/* seal a batch at this size; 64K, 4K..16M */
	uint64_t	flush_interval_ms;	/* seal after this; 100 ms, 1 ms..1 min */
	uint32_t	busy_streams;		/* more dirty than this at a flush: 1000 */
	uint64_t	busy_flush_interval_ms;	/* then seal after this; 1 s, 1 ms..10 min */
	uint32_t	max_streams;		/* 1024, 1..1000000 */
	enum config_sync sync;			/* interval */
	uint64_t	sync_interval_ms;	/* 1 s, 1 ms..1 h */
	uint64_t	drain_timeout_ms;	/* 10 s, 1 ms..1 d */
	uint64_t	max_clock_skew_ms;	/* a claimed time further off is not the line's; 10 s */
	uint64_t	max_use;		/* archives in log_dir; CONFIG_AUTO: 10% of the fs, <= 4G */
	uint64_t	keep_free;		/* free space kept; CONFIG_AUTO: 15% of the fs, <= 4G */
	uint64_t	idle_close_ms;		/* close a file unused this long; 5 min */
	uint32_t	compress_backlog;	/* archives waiting to be compressed; 64, 1..100000 */
	char		control_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint32_t	control_max_clients;	/* 16, 1..1024 */
	uint64_t	control_timeout_ms;	/* a silent client is dropped; 10 s, 100ms..1h */
	char		metrics_listen[CONFIG_MAX_LISTEN];	/* "addr:port", "" = off */
	enum config_create create_streams;	/* any */
	uint32_t	max_streams_per_uid;	/* streams one uid (not root) may create; 64, 0 = no limit */
	uint32_t	socket_mode;		/* of the socket logd binds itself; 0666 */
	uint32_t	socket_group;		/* its group; CONFIG_NO_ID: logd's */
	char		user[CONFIG_MAX_USER];	/* drop to this user after binding; "" = stay */
	uint32_t	group;			/* ... and this group; CONFIG_NO_ID: the user's */
	uint32_t	dir_mode;		/* what logd creates in log_dir; 0750 */
	uint32_t	file_mode;		/* 0640 */
	uint32_t	log_gid;		/* log_group; CONFIG_NO_ID: logd's own */
	char		syslog_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* "" = off */
	/* [syslog] */
	char		syslog_stream[PROTO_MAX_NAME + 1];	/* "ident", "facility" or a name */
	struct config_syslog_map syslog_map;
	/* [defaults] */
	struct stream_config defaults;
	/* [stream NAME] */
	struct config_section sections[CONFIG_MAX_SECTIONS];
	uint32_t	nsections;
	/* [forward NAME]: take effect at the next start */
	struct config_forward forwards[CONFIG_MAX_FORWARDS];
	uint32_t	nforwards;
};

/* Fills cfg with the built-in defaults. */
void	config_defaults(struct config *cfg);

/*
 * Reads path over cfg.  A missing file is not an error when missing_ok (the
 * built-in defaults stay).  Prints each problem as "path:line: message" to
 * stderr and sets *nerrors to their number.  Returns 0 if the file was read
 * (even with errors; check *nerrors), 1 if it does not exist and missing_ok,
 * -errno if it could not be opened or read.
 */
int	config_load(struct config *cfg, const char *path, int missing_ok, int *nerrors);

/*
 * config_load() of the open file f (a file, a pipe, fmemopen()), named name
 * in messages; the caller closes f.  After the last line it checks the keys
 * that depend on each other as config_check() does (without changing cfg),
 * each error naming the line and the value as written of every key in it.
 * Returns 0 or -errno of a read error.
 */
int	config_load_file(struct config *cfg, FILE *f, const char *name, int *nerrors);

/*
 * Sets one key, as a file line "key = value" in [section] would.  On error
 * returns -EINVAL (or -ERANGE for a number out of range) and writes a message
 * without location into err ("unknown key \"flush_ms\" (did you mean
 * flush_interval?)", "socket belongs in [daemon], not in this section; move
 * it there").  Used by config_load() and by the command-line flags.
 */
int	config_set(struct config *cfg, const char *section, const char *key, const char *value,
	    char *err, size_t err_len);

/*
 * Checks settings that depend on each other (batch_bytes <= queue_max_bytes / 4,
 * batch_bytes <= stream_queue_max_bytes <= queue_max_bytes, group only with
 * user), writing the first error into err ("[daemon]: batch_bytes = 4M must
 * be ..."), then fills in stream_queue_max_bytes when it was left at 0 (a
 * quarter of the queue), and resolves every [stream NAME] section over
 * [defaults].  0, or -EINVAL (cfg unchanged).
 */
int	config_check(struct config *cfg, char *err, size_t err_len);

/*
 * SIGHUP: keeps in next cur's settings that take effect only at the next
 * start (the keys config.c's table marks RESTART: the socket, the log dir,
 * the queue's size, max_streams, the control socket ...), and lists in
 * changed ("socket, max_streams") those next had changed.  Returns how many
 * had changed.
 */
int	config_keep_restart(struct config *next, const struct config *cur, char *changed,
	    size_t len);

/* Whether stream name (len bytes) matches one of f's patterns. */
int	config_forward_match(const struct config_forward *f, const char *name, size_t len);

/* A copy of cfg of the caller's own (other threads keep one), to free(); or NULL. */
struct config *config_dup(const struct config *cfg);

/* The settings of the stream name (after config_check()): its section's, or [defaults]. */
const struct stream_config *config_stream(const struct config *cfg, const char *name,
	    size_t len);

/*
 * A user name or number from the password database (getpwnam_r(),
 * getpwuid_r()): its uid, primary gid, and name into name[CONFIG_MAX_USER].
 * -ENOENT if there is no such user, -errno if the lookup failed.
 */
int	config_user(const char *s, uint32_t *uid, uint32_t *gid, char *name);

/* A group name (getgrnam_r()) or number: its gid.  -ENOENT if there is no such name. */
int	config_group(const char *s, uint32_t *gid);

/* "64K", "1M", "123" -> bytes.  -EINVAL on syntax, -ERANGE on overflow. */
int	config_parse_size(const char *s, uint64_t *out);

/* "100ms", "1s", "5min", "2h", "1d", "30" (seconds) -> milliseconds. */
int	config_parse_duration_ms(const char *s, uint64_t *out);

/*
 * "127.0.0.1:9465", "[::1]:9465" -> the numeric address (no names: nothing
 * is looked up) into addr[CONFIG_MAX_LISTEN] and the port (1..65535).
 * -EINVAL on anything else.
 */
int	config_parse_listen(const char *s, char *addr, uint16_t *port);

#endif
