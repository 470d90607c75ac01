/*
 * config.c - logd.conf and the command-line overrides (see config.h).
 *
 * libinih splits the file into (section, key, value).  Our line reader in
 * front of it counts lines, so every message carries FILE:LINE, and catches
 * what inih would report only once or not at all: lines that are neither a
 * section, a key = value nor a comment, over-long lines, and unknown
 * sections (whose keys are then skipped, so one typo gives one message).
 * Leading blanks are stripped, which turns inih's multi-line values off:
 * no key of ours spans lines.  Loop thread only, before the writer starts.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "proto.h"

enum config_type {
	CONFIG_T_SOCKET,
	CONFIG_T_PATH,
	CONFIG_T_SIZE,
	CONFIG_T_DURATION,
	CONFIG_T_COUNT,
	CONFIG_T_ENUM,		/* one of names[], stored as its index (an int) */
	CONFIG_T_LISTEN,	/* "address:port" (config_parse_listen()) */
	CONFIG_T_MODE,		/* octal permission bits, as chmod(1) takes them */
	CONFIG_T_USER,		/* a user name or number (config_user()), kept as written */
	CONFIG_T_GROUP,		/* a group name or number (config_group()), kept as its gid */
	CONFIG_T_UIDS,		/* "0, 1000, www-data": struct config_ids */
	CONFIG_T_GIDS,		/* "adm, 4": struct config_ids */
	CONFIG_T_SYSLOG_STREAM,	/* "ident", "facility" or a stream name */
	CONFIG_T_SYSLOG_MAP,	/* "sshd:auth, cron:jobs": struct config_syslog_map */
	CONFIG_T_TARGET,	/* "tcp://host:port": proto, host and port of a config_forward */
	CONFIG_T_PATTERNS,	/* "a, b*": stream names and prefixes */
	CONFIG_T_HOST,		/* an RFC 5424 HOSTNAME */
	CONFIG_T_APP_NAME,	/* an RFC 5424 APP-NAME */
	CONFIG_T_FACILITY,	/* "user", "local0": a syslog facility */
};

/* Which sections take a key. */
enum config_scope {
	CONFIG_SCOPE_DAEMON,	/* [daemon] */
	CONFIG_SCOPE_STREAM,	/* [defaults] and [stream NAME] */
	CONFIG_SCOPE_SYSLOG,	/* [syslog] */
	CONFIG_SCOPE_FORWARD,	/* [forward NAME] (struct config_forward) */
};

struct config_key {
	enum config_scope	 scope;
	int			 restart;	/* a change takes effect at the next start only */
	const char		*name;
	size_t			 offset;	/* in struct config, or in struct stream_config */
	size_t			 size;
	enum config_type	 type;
	uint64_t		 min;
	uint64_t		 max;
	const char		*range;		/* min..max as a person writes it */
	const char *const	*names;		/* CONFIG_T_ENUM: the values, NULL-terminated */
};

static const char *const format_names[] = { "text", "json", NULL };
static const char *const overflow_names[] = { "block", "drop", NULL };
static const char *const sync_names[] = { "none", "interval", "always", NULL };
static const char *const compress_names[] = { "none", "zstd", NULL };
static const char *const create_names[] = { "any", "configured", NULL };
static const char *const forward_format_names[] = { "rfc5424", NULL };

#define KIB	1024ull
#define MIB	(1024ull * KIB)
#define GIB	(1024ull * MIB)
#define TIB	(1024ull * GIB)
#define DAY_MS	(86400ull * 1000)

#define KEY(scope, restart, name, type, f)	scope, restart, name, offsetof(type, f), \
						sizeof(((type *)0)->f)
#define D(n, f)		KEY(CONFIG_SCOPE_DAEMON, 0, n, struct config, f)
#define RESTART(n, f)	KEY(CONFIG_SCOPE_DAEMON, 1, n, struct config, f)
#define S(n, f)		KEY(CONFIG_SCOPE_STREAM, 0, n, struct stream_config, f)
#define SYSLOG(n, f)	KEY(CONFIG_SCOPE_SYSLOG, 0, n, struct config, f)
/* [forward NAME] keys: the whole section takes effect at the next start (config_keep_restart()). */
#define F(n, f)		KEY(CONFIG_SCOPE_FORWARD, 0, n, struct config_forward, f)

/*
 * Every key, with its scope.  RESTART keys are what the running daemon is
 * built around (its socket, directory, queue and tables): SIGHUP keeps them.
 */
static const struct config_key config_keys[] = {
	{ RESTART("socket", socket_path), CONFIG_T_SOCKET, 0, 0, NULL, NULL },
	{ RESTART("log_dir", log_dir), CONFIG_T_PATH, 0, 0, NULL, NULL },
	{ RESTART("queue_max_bytes", queue_max_bytes), CONFIG_T_SIZE, MIB, TIB, "1M..1T", NULL },
	{ RESTART("batch_bytes", batch_bytes), CONFIG_T_SIZE, 4 * KIB, 16 * MIB, "4K..16M",
	    NULL },
	{ RESTART("flush_interval", flush_interval_ms), CONFIG_T_DURATION, 1, 60 * 1000,
	    "1ms..1min", NULL },
	{ RESTART("busy_streams", busy_streams), CONFIG_T_COUNT, 1, 1000000, "1..1000000", NULL },
	{ RESTART("busy_flush_interval", busy_flush_interval_ms), CONFIG_T_DURATION, 1,
	    10 * 60 * 1000, "1ms..10min", NULL },
	{ RESTART("max_streams", max_streams), CONFIG_T_COUNT, 1, 1000000, "1..1000000", NULL },
	{ D("sync", sync), CONFIG_T_ENUM, 0, 0, NULL, sync_names },
	{ D("sync_interval", sync_interval_ms), CONFIG_T_DURATION, 1, 3600 * 1000, "1ms..1h",
	    NULL },
	{ D("drain_timeout", drain_timeout_ms), CONFIG_T_DURATION, 1, DAY_MS, "1ms..1d", NULL },
	{ D("max_clock_skew", max_clock_skew_ms), CONFIG_T_DURATION, 0, 3650 * DAY_MS,
	    "0 (off)..3650d", NULL },
	{ D("max_use", max_use), CONFIG_T_SIZE, MIB, 1024 * TIB, "1M..1024T", NULL },
	{ D("keep_free", keep_free), CONFIG_T_SIZE, 0, 1024 * TIB, "0..1024T", NULL },
	{ D("idle_close", idle_close_ms), CONFIG_T_DURATION, 1000, DAY_MS, "1s..1d", NULL },
	{ RESTART("compress_backlog", compress_backlog), CONFIG_T_COUNT, 1, 100000, "1..100000",
	    NULL },
	{ RESTART("control", control_path), CONFIG_T_SOCKET, 0, 0, NULL, NULL },
	{ D("control_max_clients", control_max_clients), CONFIG_T_COUNT, 1, 1024, "1..1024",
	    NULL },
	{ D("control_timeout", control_timeout_ms), CONFIG_T_DURATION, 100, 3600 * 1000,
	    "100ms..1h", NULL },
	{ RESTART("metrics_listen", metrics_listen), CONFIG_T_LISTEN, 0, 0, NULL, NULL },
	{ D("create_streams", create_streams), CONFIG_T_ENUM, 0, 0, NULL, create_names },
	{ D("max_streams_per_uid", max_streams_per_uid), CONFIG_T_COUNT, 0, 1000000,
	    "0 (no limit)..1000000", NULL },
	{ RESTART("socket_mode", socket_mode), CONFIG_T_MODE, 0, 0777, "0..0777", NULL },
	{ RESTART("socket_group", socket_group), CONFIG_T_GROUP, 0, 0, NULL, NULL },
	{ RESTART("user", user), CONFIG_T_USER, 0, 0, NULL, NULL },
	{ RESTART("group", group), CONFIG_T_GROUP, 0, 0, NULL, NULL },
	{ D("dir_mode", dir_mode), CONFIG_T_MODE, 0, 0777, "0..0777", NULL },
	{ D("file_mode", file_mode), CONFIG_T_MODE, 0, 0777, "0..0777", NULL },
	{ RESTART("log_group", log_gid), CONFIG_T_GROUP, 0, 0, NULL, NULL },
	{ RESTART("syslog_socket", syslog_socket), CONFIG_T_SOCKET, 0, 0, NULL, NULL },
	{ SYSLOG("stream", syslog_stream), CONFIG_T_SYSLOG_STREAM, 0, 0, NULL, NULL },
	{ SYSLOG("map", syslog_map), CONFIG_T_SYSLOG_MAP, 0, 0, NULL, NULL },
	{ S("format", format), CONFIG_T_ENUM, 0, 0, NULL, format_names },
	{ S("overflow", overflow), CONFIG_T_ENUM, 0, 0, NULL, overflow_names },
	{ S("stream_queue_max_bytes", stream_queue_max_bytes), CONFIG_T_SIZE, 4 * KIB, TIB,
	    "4K..1T", NULL },
	{ S("max_file_size", max_file_size), CONFIG_T_SIZE, 4 * KIB, TIB, "4K..1T", NULL },
	{ S("max_file_age", max_file_age_ms), CONFIG_T_DURATION, 0, 365 * DAY_MS,
	    "0 (never)..365d", NULL },
	{ S("max_files", max_files), CONFIG_T_COUNT, 1, 100000, "1..100000", NULL },
	{ S("max_stream_bytes", max_stream_bytes), CONFIG_T_SIZE, 0, 1024 * TIB,
	    "0 (no limit)..1024T", NULL },
	{ S("compress", compress), CONFIG_T_ENUM, 0, 0, NULL, compress_names },
	{ S("compress_level", compress_level), CONFIG_T_COUNT, 1, 19, "1..19", NULL },
	{ S("rate_limit_interval", rate_limit_interval_ms), CONFIG_T_DURATION, 0, 3600 * 1000,
	    "0 (off)..1h", NULL },
	{ S("rate_limit_burst", rate_limit_burst), CONFIG_T_COUNT, 0, 1000000,
	    "0 (off)..1000000", NULL },
	{ S("allow_uids", allow_uids), CONFIG_T_UIDS, 0, 0, NULL, NULL },
	{ S("allow_gids", allow_gids), CONFIG_T_GIDS, 0, 0, NULL, NULL },
	{ F("target", host), CONFIG_T_TARGET, 0, 0, NULL, NULL },
	{ F("streams", patterns), CONFIG_T_PATTERNS, 0, 0, NULL, NULL },
	{ F("format", format), CONFIG_T_ENUM, 0, 0, NULL, forward_format_names },
	{ F("hostname", hostname), CONFIG_T_HOST, 0, 0, NULL, NULL },
	{ F("app_name", app_name), CONFIG_T_APP_NAME, 0, 0, NULL, NULL },
	{ F("facility", facility), CONFIG_T_FACILITY, 0, 0, NULL, NULL },
	{ F("reconnect", reconnect_ms), CONFIG_T_DURATION, 100, 3600 * 1000, "100ms..1h", NULL },
	{ F("max_unacked", max_unacked), CONFIG_T_COUNT, 100, 10000000, "100..10000000", NULL },
	{ F("resend_window", resend_window), CONFIG_T_SIZE, 0, GIB, "0..1G", NULL },
	{ F("tls_ca", tls_ca), CONFIG_T_PATH, 0, 0, NULL, NULL },
	{ F("tls_cert", tls_cert), CONFIG_T_PATH, 0, 0, NULL, NULL },
	{ F("tls_key", tls_key), CONFIG_T_PATH, 0, 0, NULL, NULL },
};
#define NKEYS	(sizeof(config_keys) / sizeof(config_keys[0]))

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s", CONFIG_DEFAULT_SOCKET);
	snprintf(cfg->log_dir, sizeof(cfg->log_dir), "%s", CONFIG_DEFAULT_LOG_DIR);
	cfg->queue_max_bytes = 64 * MIB;
	cfg->batch_bytes = 64 * KIB;
	cfg->flush_interval_ms = 100;
	cfg->busy_streams = 1000;
	cfg->busy_flush_interval_ms = 1000;
	cfg->max_streams = 1024;
	cfg->sync = CONFIG_SYNC_INTERVAL;
	cfg->sync_interval_ms = 1000;
	cfg->drain_timeout_ms = 10 * 1000;
	cfg->max_clock_skew_ms = 10 * 1000;
	cfg->max_use = CONFIG_AUTO;		/* at run time: 10% of the file system, <= 4G */
	cfg->keep_free = CONFIG_AUTO;		/* at run time: 15% of the file system, <= 4G */
	cfg->idle_close_ms = 5 * 60 * 1000;
	cfg->compress_backlog = 64;
	snprintf(cfg->control_path, sizeof(cfg->control_path), "%s", CONFIG_DEFAULT_CONTROL);
	cfg->control_max_clients = 16;
	cfg->control_timeout_ms = 10 * 1000;
	cfg->metrics_listen[0] = '\0';		/* off */
	cfg->create_streams = CONFIG_CREATE_ANY;
	cfg->max_streams_per_uid = 64;
	cfg->socket_mode = 0666;		/* anyone may log, as with /dev/log */
	cfg->socket_group = CONFIG_NO_ID;
	cfg->user[0] = '\0';			/* stay who we were started as */
	cfg->group = CONFIG_NO_ID;
	cfg->dir_mode = 0750;			/* the log dir and stream directories */
	cfg->file_mode = 0640;
	cfg->log_gid = CONFIG_NO_ID;
	cfg->syslog_socket[0] = '\0';		/* off */
	snprintf(cfg->syslog_stream, sizeof(cfg->syslog_stream), "ident");
	cfg->defaults.format = CONFIG_FORMAT_TEXT;
	cfg->defaults.overflow = CONFIG_OVERFLOW_BLOCK;
	cfg->defaults.stream_queue_max_bytes = 0;	/* config_check(): a quarter of the queue */
	cfg->defaults.max_file_size = 64 * MIB;
	cfg->defaults.max_file_age_ms = 0;
	cfg->defaults.max_files = 10;
	cfg->defaults.max_stream_bytes = 0;
	cfg->defaults.compress = CONFIG_COMPRESS_NONE;
	cfg->defaults.compress_level = 3;
	cfg->defaults.rate_limit_interval_ms = 0;	/* off */
	cfg->defaults.rate_limit_burst = 0;
}

/* Digits only, no sign, no blanks.  Sets *end after them. */
static int
parse_u64(const char *s, uint64_t *out, const char **end)
{
	uint64_t	v = 0;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*s); s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	*end = s;
	return 0;
}

struct config_unit {
	const char	*suffix;
	uint64_t	 scale;
};

/* A whole number followed by exactly one of units' suffixes, scaled. */
static int
parse_with_unit(const char *s, const struct config_unit *units, size_t nunits, uint64_t *out)
{
	const char	*end;
	uint64_t	 v;
	size_t		 i;
	int		 rc;

	if ((rc = parse_u64(s, &v, &end)) < 0)
		return rc;
	for (i = 0; i < nunits; i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (v > UINT64_MAX / units[i].scale)
			return -ERANGE;
		*out = v * units[i].scale;
		return 0;
	}
	return -EINVAL;
}

int
config_parse_size(const char *s, uint64_t *out)
{
	static const struct config_unit units[] = {
		{ "", 1 }, { "B", 1 },
		{ "K", KIB }, { "KB", KIB }, { "KiB", KIB }, { "k", KIB },
		{ "M", MIB }, { "MB", MIB }, { "MiB", MIB }, { "m", MIB },
		{ "G", GIB }, { "GB", GIB }, { "GiB", GIB }, { "g", GIB },
		{ "T", TIB }, { "TB", TIB }, { "TiB", TIB }, { "t", TIB },
	};

	return parse_with_unit(s, units, sizeof(units) / sizeof(units[0]), out);
}

int
config_parse_duration_ms(const char *s, uint64_t *out)
{
	static const struct config_unit units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "sec", 1000 },
		{ "min", 60 * 1000 }, { "h", 3600 * 1000 }, { "d", 86400 * 1000 },
	};

	return parse_with_unit(s, units, sizeof(units) / sizeof(units[0]), out);
}

int
config_parse_listen(const char *s, char *addr, uint16_t *port)
{
	const char	*colon = strrchr(s, ':'), *host = s, *end;
	unsigned char	 bin[16];
	uint64_t	 p;
	size_t		 len;

	if (colon == NULL || parse_u64(colon + 1, &p, &end) < 0 || *end != '\0' || p == 0 ||
	    p > 65535)
		return -EINVAL;
	len = (size_t)(colon - s);
	if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len == 0 || len >= CONFIG_MAX_LISTEN)
		return -EINVAL;
	memcpy(addr, host, len);
	addr[len] = '\0';
	if (inet_pton(host == s ? AF_INET : AF_INET6, addr, bin) != 1)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

/* The scope of the keys section takes ([daemon], [defaults], [stream NAME]), or -1. */
static int
config_scope(const char *section)
{
	if (strcmp(section, "daemon") == 0)
		return CONFIG_SCOPE_DAEMON;
	if (strcmp(section, "defaults") == 0 || strncmp(section, "stream ", 7) == 0)
		return CONFIG_SCOPE_STREAM;
	if (strcmp(section, "syslog") == 0)
		return CONFIG_SCOPE_SYSLOG;
	if (strncmp(section, "forward ", 8) == 0)
		return CONFIG_SCOPE_FORWARD;
	return -1;
}

static const struct config_key *
config_find(const char *section, const char *key)
{
	int	scope = config_scope(section);
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if ((int)config_keys[i].scope == scope && strcmp(config_keys[i].name, key) == 0)
			return &config_keys[i];
	return NULL;
}

/*
 * A stream key's bit in config_section.set (a forward key's in
 * config_forward.set): its place among the keys of its scope.
 */
static uint32_t
config_stream_bit(const struct config_key *k)
{
	const struct config_key	*i;
	unsigned		 n = 0;

	for (i = config_keys; i < k; i++)
		n += i->scope == k->scope;
	return 1u << n;
}

/* The [stream NAME] section named name, created if new; NULL (and err) if it can't be. */
static struct config_section *
config_section(struct config *cfg, const char *name, char *err, size_t err_len)
{
	struct config_section	*sec;
	size_t			 len = strlen(name);
	uint32_t		 i;

	for (i = 0; i < cfg->nsections; i++)
		if (strcmp(cfg->sections[i].name, name) == 0)
			return &cfg->sections[i];
	if (proto_name_valid(name, len) != 0) {
		snprintf(err, err_len, "\"%s\" is not a stream name (1-64 bytes of "
		    "A-Z a-z 0-9 . _ -, not starting with a dot)", name);
		return NULL;
	}
	if (cfg->nsections >= CONFIG_MAX_SECTIONS) {
		snprintf(err, err_len, "more than %d [stream] sections", CONFIG_MAX_SECTIONS);
		return NULL;
	}
	sec = &cfg->sections[cfg->nsections++];
	memset(sec, 0, sizeof(*sec));
	memcpy(sec->name, name, len + 1);
	return sec;
}

/* Edit distance, capped: we only care whether it is small. */
static size_t
distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, prev[65], cur[65];

	if (la > 64 || lb > 64)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t	sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t	del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, sizeof(cur));
	}
	return prev[lb];
}

/* A known key of the section that key is probably a typo of, or NULL. */
static const char *
config_hint(const char *section, const char *key)
{
	const char	*us = strchr(key, '_');
	size_t		 i, word = us != NULL ? (size_t)(us - key) : strlen(key);
	int		 scope = config_scope(section);

	for (i = 0; i < NKEYS; i++) {
		const char	*name = config_keys[i].name;

		if ((int)config_keys[i].scope != scope)
			continue;
		if (distance(key, name) <= 2 ||
		    (word >= 3 && strncmp(key, name, word) == 0 &&
		    (name[word] == '_' || name[word] == '\0')))
			return name;
	}
	return NULL;
}

/* The sections of a key known under that name: "[daemon]", or NULL if there is no such key. */
static const char *
config_home(const char *key)
{
	/* By enum config_scope. */
	static const char *const	homes[] = {
		[CONFIG_SCOPE_DAEMON] = "[daemon]",
		[CONFIG_SCOPE_STREAM] = "[defaults] or [stream NAME]",
		[CONFIG_SCOPE_SYSLOG] = "[syslog]",
		[CONFIG_SCOPE_FORWARD] = "[forward NAME]",
	};
	size_t				i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(config_keys[i].name, key) == 0)
			return homes[config_keys[i].scope];
	return NULL;
}

static int
set_enum(const struct config_key *k, char *field, const char *value, char *err,
    size_t err_len)
{
	char	list[128] = "";
	size_t	i, n = 0;

	for (i = 0; k->names[i] != NULL; i++) {
		if (strcmp(value, k->names[i]) == 0) {
			*(int *)(void *)field = (int)i;
			return 0;
		}
	}
	for (i = 0; k->names[i] != NULL; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
		    i == 0 ? "" : k->names[i + 1] == NULL ? " or " : ", ", k->names[i]);
	snprintf(err, err_len, "%s: \"%s\" is not one of %s", k->name, value, list);
	return -EINVAL;
}

/* A whole id of 0..4294967294 ((uid_t)-1 means "none" to the kernel), or -EINVAL. */
static int
parse_id(const char *s, uint32_t *out)
{
	const char	*end;
	uint64_t	 v;

	if (parse_u64(s, &v, &end) < 0 || *end != '\0' || v >= CONFIG_NO_ID)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int
config_user(const char *s, uint32_t *uid, uint32_t *gid, char *name)
{
	struct passwd	 pw, *res = NULL;
	char		 buf[16384];
	uint32_t	 id;
	int		 rc;

	if (parse_id(s, &id) == 0)
		rc = getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &res);
	else
		rc = getpwnam_r(s, &pw, buf, sizeof(buf), &res);
	if (rc != 0)
		return -rc;
	if (res == NULL)
		return -ENOENT;
	if (strlen(pw.pw_name) >= CONFIG_MAX_USER)
		return -ENAMETOOLONG;
	*uid = (uint32_t)pw.pw_uid;
	*gid = (uint32_t)pw.pw_gid;
	memcpy(name, pw.pw_name, strlen(pw.pw_name) + 1);
	return 0;
}

int
config_group(const char *s, uint32_t *gid)
{
	struct group	 gr, *res = NULL;
	char		 buf[16384];
	int		 rc;

	if (parse_id(s, gid) == 0)
		return 0;	/* a number need not be named */
	if ((rc = getgrnam_r(s, &gr, buf, sizeof(buf), &res)) != 0)
		return -rc;
	if (res == NULL)
		return -ENOENT;
	*gid = (uint32_t)gr.gr_gid;
	return 0;
}

/* "no user named ..." for a failed config_user() or config_group(). */
static void
lookup_error(const char *key, const char *what, const char *name, int rc, char *err,
    size_t err_len)
{
	if (rc == -ENOENT)
		snprintf(err, err_len, "%s: no %s named \"%s\" (give a %s name from %s, or a "
		    "number)", key, what, name, what, what[0] == 'u' ? "/etc/passwd" :
		    "/etc/group");
	else
		snprintf(err, err_len, "%s: cannot look up %s \"%s\": %s", key, what, name,
		    strerror(-rc));
}

/* The len bytes at *s without the blanks around them: *s moves past the leading ones. */
static size_t
trim(const char **s, size_t len)
{
	while (len > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)(*s)[len - 1]))
		len--;
	return len;
}

/* "0, 1000, www-data" (allow_uids) or "adm, 4" (allow_gids) into ids. */
static int
set_ids(const char *key, int users, const char *value, struct config_ids *ids, char *err,
    size_t err_len)
{
	struct config_ids	 out = { .n = 0 };
	char			 item[256], name[CONFIG_MAX_USER];
	const char		*p = value, *comma;
	uint32_t		 id, gid;
	size_t			 len;
	int			 rc;

	for (;;) {
		comma = strchr(p, ',');
		len = trim(&p, comma != NULL ? (size_t)(comma - p) : strlen(p));
		if (len == 0 || len >= sizeof(item)) {
			snprintf(err, err_len, "%s: %s item in \"%s\" (give %s names or numbers, "
			    "separated by commas)", key, len == 0 ? "an empty" : "an over-long",
			    value, users ? "user" : "group");
			return -EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		rc = users ? config_user(item, &id, &gid, name) : config_group(item, &id);
		if (rc == -ENOENT && users && parse_id(item, &id) == 0)
			rc = 0;		/* a uid with no name may still send */
		if (rc < 0) {
			lookup_error(key, users ? "user" : "group", item, rc, err, err_len);
			return -EINVAL;
		}
		if (out.n == CONFIG_MAX_IDS) {
			snprintf(err, err_len, "%s: more than %d %s; use allow_gids and a group "
			    "for more", key, CONFIG_MAX_IDS, users ? "users" : "groups");
			return -ERANGE;
		}
		out.id[out.n++] = id;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*ids = out;
	return 0;
}

/* "sshd:auth, cron : jobs" ([syslog] map) into map. */
static int
set_syslog_map(const char *key, const char *value, struct config_syslog_map *map, char *err,
    size_t err_len)
{
	struct config_syslog_map	 out = { .n = 0 };
	const char			*p = value, *end, *colon, *stream;
	size_t				 il, sl;

	for (;;) {
		end = p + strcspn(p, ",");
		colon = memchr(p, ':', (size_t)(end - p));
		(void)trim(&p, (size_t)(end - p));
		if (out.n == CONFIG_MAX_SYSLOG_MAP) {
			snprintf(err, err_len, "%s: more than %d ident:stream pairs", key,
			    CONFIG_MAX_SYSLOG_MAP);
			return -ERANGE;
		}
		if (colon == NULL) {
			snprintf(err, err_len, "%s: \"%.*s\" is not ident:stream", key,
			    (int)(end - p), p);
			return -EINVAL;
		}
		il = trim(&p, (size_t)(colon - p));
		stream = colon + 1;
		sl = trim(&stream, (size_t)(end - stream));
		if (il == 0 || il > CONFIG_MAX_IDENT || proto_name_valid(stream, sl) != 0) {
			snprintf(err, err_len, "%s: \"%.*s\": want ident:stream, an ident of 1-%d "
			    "bytes and a stream name (1-64 of A-Z a-z 0-9 . _ -)", key,
			    (int)(end - p), p, CONFIG_MAX_IDENT);
			return -EINVAL;
		}
		memcpy(out.to[out.n].ident, p, il);
		out.to[out.n].ident[il] = '\0';
		memcpy(out.to[out.n].stream, stream, sl);
		out.to[out.n].stream[sl] = '\0';
		out.n++;
		if (*end == '\0')
			break;
		p = end + 1;
	}
	*map = out;
	return 0;
}

/* "0660", "660" -> permission bits (at most 0777). */
static int
set_mode(const char *key, const char *value, uint32_t *mode, char *err, size_t err_len)
{
	const char	*s;
	uint32_t	 v = 0;

	for (s = value; *s >= '0' && *s <= '7' && v <= 0777; s++)
		v = v * 8 + (uint32_t)(*s - '0');
	if (*s != '\0' || s == value || v > 0777) {
		snprintf(err, err_len, "%s: \"%s\" is not an octal mode of at most 0777 (such as "
		    "0660)", key, value);
		return -EINVAL;
	}
	*mode = v;
	return 0;
}

/* The [forward NAME] section named name, created with its defaults if new; NULL (and err). */
static struct config_forward *
config_forward(struct config *cfg, const char *name, char *err, size_t err_len)
{
	struct config_forward	*f;
	size_t			 len = strlen(name);
	uint32_t		 i;

	for (i = 0; i < cfg->nforwards; i++)
		if (strcmp(cfg->forwards[i].name, name) == 0)
			return &cfg->forwards[i];
	if (proto_name_valid(name, len) != 0) {
		snprintf(err, err_len, "\"%s\" is not a forwarder name (1-64 bytes of "
		    "A-Z a-z 0-9 . _ -, not starting with a dot)", name);
		return NULL;
	}
	if (cfg->nforwards >= CONFIG_MAX_FORWARDS) {
		snprintf(err, err_len, "more than %d [forward] sections", CONFIG_MAX_FORWARDS);
		return NULL;
	}
	f = &cfg->forwards[cfg->nforwards++];
	memset(f, 0, sizeof(*f));
	memcpy(f->name, name, len + 1);
	f->proto = CONFIG_FORWARD_TCP;
	f->format = CONFIG_FORWARD_RFC5424;
	f->facility = 1;			/* user */
	f->reconnect_ms = 30 * 1000;
	f->max_unacked = 100000;
	f->resend_window = 6 * MIB;		/* Linux's largest receive buffer (tcp_rmem) */
	return f;
}

/* "tcp://host:port", "tcp://[::1]:514" into f. */
static int
set_target(const char *key, const char *value, struct config_forward *f, char *err,
    size_t err_len)
{
	const char	*host, *colon, *end;
	size_t		 len, i;
	uint64_t	 port;

	if (strncmp(value, "relp://", 7) == 0) {
		f->proto = CONFIG_FORWARD_RELP;
	} else if (strncmp(value, "tcp://", 6) == 0) {
		f->proto = CONFIG_FORWARD_TCP;
	} else if (strncmp(value, "tls://", 6) == 0) {
		f->proto = CONFIG_FORWARD_TLS;
	} else {
		snprintf(err, err_len, "%s: \"%s\" is not tcp://HOST:PORT, tls://HOST:PORT or "
		    "relp://HOST:PORT (such as tcp://logs.example.com:514)", key, value);
		return -EINVAL;
	}
	host = value + (f->proto == CONFIG_FORWARD_RELP ? 7 : 6);
	if ((colon = strrchr(host, ':')) == NULL || parse_u64(colon + 1, &port, &end) < 0 ||
	    *end != '\0' || port == 0 || port > 65535) {
		snprintf(err, err_len, "%s: \"%s\" has no port of 1..65535 (SCHEME://HOST:PORT)",
		    key, value);
		return -EINVAL;
	}
	len = (size_t)(colon - host);
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)host[i]) && strchr(".-_:", host[i]) == NULL)
			break;
	if (len == 0 || len >= sizeof(f->host) || i < len) {
		snprintf(err, err_len, "%s: \"%s\": the host is not a host name or an address "
		    "(IPv6 in brackets: tcp://[::1]:514)", key, value);
		return -EINVAL;
	}
	memcpy(f->host, host, len);
	f->host[len] = '\0';
	f->port = (uint16_t)port;
	return 0;
}

/* "app, web*, *" into f's patterns: stream names, or prefixes ending in '*'. */
static int
set_patterns(const char *key, const char *value, struct config_forward *f, char *err,
    size_t err_len)
{
	const char	*p = value, *comma;
	size_t		 len, nlen;
	uint32_t	 n = 0;

	for (;;) {
		comma = strchr(p, ',');
		len = trim(&p, comma != NULL ? (size_t)(comma - p) : strlen(p));
		nlen = len > 0 && p[len - 1] == '*' ? len - 1 : len;
		if (n == CONFIG_MAX_PATTERNS) {
			snprintf(err, err_len, "%s: more than %d names", key, CONFIG_MAX_PATTERNS);
			return -ERANGE;
		}
		if (len == 0 || (nlen > 0 && proto_name_valid(p, nlen) != 0) ||
		    memchr(p, '*', nlen) != NULL) {
			snprintf(err, err_len, "%s: \"%.*s\" is not a stream name or a prefix "
			    "ending in * (give names such as app, web*, separated by commas)", key,
			    (int)len, p);
			return -EINVAL;
		}
		memcpy(f->patterns[n], p, len);
		f->patterns[n][len] = '\0';
		n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	f->npatterns = n;
	return 0;
}

int
config_forward_match(const struct config_forward *f, const char *name, size_t len)
{
	size_t		plen;
	uint32_t	i;

	for (i = 0; i < f->npatterns; i++) {
		plen = strlen(f->patterns[i]);
		if (plen > 0 && f->patterns[i][plen - 1] == '*') {
			if (len >= plen - 1 && memcmp(name, f->patterns[i], plen - 1) == 0)
				return 1;
		} else if (plen == len && memcmp(name, f->patterns[i], len) == 0) {
			return 1;
		}
	}
	return 0;
}

/* HOSTNAME or APP-NAME (RFC 5424): 1..cap-1 printable US-ASCII bytes, no blank. */
static int
set_printable(const struct config_key *k, const char *value, char *field, char *err,
    size_t err_len)
{
	size_t	len = strlen(value), i, max = k->type == CONFIG_T_HOST ? 255 : CONFIG_MAX_APP_NAME;

	for (i = 0; i < len; i++)
		if (value[i] < 33 || value[i] > 126)
			break;
	if (len > max || i < len) {
		snprintf(err, err_len, "%s: \"%s\" is not 1-%zu printable ASCII characters "
		    "without blanks (RFC 5424 %s)", k->name, value, max,
		    k->type == CONFIG_T_HOST ? "HOSTNAME" : "APP-NAME");
		return -EINVAL;
	}
	memcpy(field, value, len + 1);
	return 0;
}

static const char *const facility_names[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
	"authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};

/* "user", "local3" or 0..23 into a facility number. */
static int
set_facility(const char *key, const char *value, uint32_t *out, char *err, size_t err_len)
{
	const char	*end;
	uint64_t	 v;
	uint32_t	 i;

	for (i = 0; i < 24; i++)
		if (strcmp(value, facility_names[i]) == 0) {
			*out = i;
			return 0;
		}
	if (parse_u64(value, &v, &end) == 0 && *end == '\0' && v < 24) {
		*out = (uint32_t)v;
		return 0;
	}
	snprintf(err, err_len, "%s: \"%s\" is not a syslog facility (kern, user, mail, daemon, "
	    "auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0..local7, or 0..23)",
	    key, value);
	return -EINVAL;
}

/* The types config_set() parses with a function of their own; 0 or -errno. */
static int
set_special(const struct config_key *k, char *field, const char *value, char *err,
    size_t err_len)
{
	char		name[CONFIG_MAX_USER];
	uint32_t	uid, gid;
	int		rc;

	switch (k->type) {
	case CONFIG_T_MODE:
		return set_mode(k->name, value, (uint32_t *)(void *)field, err, err_len);
	case CONFIG_T_USER:
		if ((rc = config_user(value, &uid, &gid, name)) < 0) {
			lookup_error(k->name, "user", value, rc, err, err_len);
			return -EINVAL;
		}
		if (strlen(value) >= k->size) {
			snprintf(err, err_len, "%s: longer than %zu bytes", k->name, k->size - 1);
			return -ERANGE;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case CONFIG_T_GROUP:
		if ((rc = config_group(value, &gid)) < 0) {
			lookup_error(k->name, "group", value, rc, err, err_len);
			return -EINVAL;
		}
		*(uint32_t *)(void *)field = gid;
		return 0;
	case CONFIG_T_SYSLOG_STREAM:
		if (strcmp(value, "ident") != 0 && strcmp(value, "facility") != 0 &&
		    proto_name_valid(value, strlen(value)) != 0) {
			snprintf(err, err_len, "%s: \"%s\" is not ident, facility or a stream name "
			    "(1-64 of A-Z a-z 0-9 . _ -, not starting with .)", k->name, value);
			return -EINVAL;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case CONFIG_T_SYSLOG_MAP:
		return set_syslog_map(k->name, value, (struct config_syslog_map *)(void *)field,
		    err, err_len);
	case CONFIG_T_HOST:
	case CONFIG_T_APP_NAME:
		return set_printable(k, value, field, err, err_len);
	case CONFIG_T_FACILITY:
		return set_facility(k->name, value, (uint32_t *)(void *)field, err, err_len);
	default:
		return set_ids(k->name, k->type == CONFIG_T_UIDS, value,
		    (struct config_ids *)(void *)field, err, err_len);
	}
}

int
config_set(struct config *cfg, const char *section, const char *key, const char *value,
    char *err, size_t err_len)
{
	const struct config_key	*k;
	struct config_section	*sec = NULL;
	struct config_forward	*fwd = NULL;
	const char		*hint;
	char			*field;
	uint64_t		 v;
	uint32_t		 bit = 0, *set = NULL;
	int			 rc;

	if ((k = config_find(section, key)) == NULL) {
		if ((hint = config_home(key)) != NULL) {
			snprintf(err, err_len, "%s belongs in %s, not in this section; move it "
			    "there", key, hint);
			return -EINVAL;
		}
		hint = config_hint(section, key);
		snprintf(err, err_len, "unknown key \"%s\"%s%s%s", key,
		    hint != NULL ? " (did you mean " : "", hint != NULL ? hint : "",
		    hint != NULL ? "?)" : "");
		return -EINVAL;
	}
	if (strcmp(section, "daemon") == 0 || strcmp(section, "syslog") == 0) {
		field = (char *)cfg;
	} else if (strcmp(section, "defaults") == 0) {
		field = (char *)&cfg->defaults;
	} else if (k->scope == CONFIG_SCOPE_FORWARD) {
		if ((fwd = config_forward(cfg, section + 8, err, err_len)) == NULL)
			return -EINVAL;
		bit = config_stream_bit(k);
		if (fwd->set & bit) {
			snprintf(err, err_len, "%s set twice", key);
			return -EINVAL;
		}
		set = &fwd->set;
		field = (char *)fwd;
	} else {
		if ((sec = config_section(cfg, section + 7, err, err_len)) == NULL)
			return -EINVAL;
		bit = config_stream_bit(k);
		if (sec->set & bit) {
			snprintf(err, err_len, "%s set twice", key);
			return -EINVAL;
		}
		set = &sec->set;
		field = (char *)&sec->sc;
	}
	field += k->offset;
	if (*value == '\0') {
		snprintf(err, err_len, "%s: empty value", key);
		return -EINVAL;
	}
	switch (k->type) {
	case CONFIG_T_LISTEN: {
		char		addr[CONFIG_MAX_LISTEN];
		uint16_t	port;

		if (config_parse_listen(value, addr, &port) < 0) {
			snprintf(err, err_len, "%s: \"%s\" is not a numeric address and port "
			    "(127.0.0.1:9465, [::1]:9465)", key, value);
			return -EINVAL;
		}
	}
	/* FALLTHROUGH */
	case CONFIG_T_SOCKET:
	case CONFIG_T_PATH: {
		size_t	cap = k->size;

		if (strlen(value) >= cap) {
			snprintf(err, err_len, "%s: path longer than %zu bytes", key, cap - 1);
			return -ERANGE;
		}
		memcpy(field, value, strlen(value) + 1);
		if (set != NULL)
			*set |= bit;	/* a [forward] section's tls_* */
		return 0;
	}
	case CONFIG_T_TARGET:
	case CONFIG_T_PATTERNS:
		rc = k->type == CONFIG_T_TARGET ? set_target(key, value, fwd, err, err_len) :
		    set_patterns(key, value, fwd, err, err_len);
		if (rc == 0)
			fwd->set |= bit;
		return rc;
	case CONFIG_T_ENUM:
		if ((rc = set_enum(k, field, value, err, err_len)) == 0 && set != NULL)
			*set |= bit;
		return rc;
	case CONFIG_T_HOST:
	case CONFIG_T_APP_NAME:
	case CONFIG_T_FACILITY:
	case CONFIG_T_MODE:
	case CONFIG_T_USER:
	case CONFIG_T_GROUP:
	case CONFIG_T_UIDS:
	case CONFIG_T_GIDS:
	case CONFIG_T_SYSLOG_STREAM:
	case CONFIG_T_SYSLOG_MAP:
		if ((rc = set_special(k, field, value, err, err_len)) == 0 && set != NULL)
			*set |= bit;
		return rc;
	case CONFIG_T_SIZE:
		rc = config_parse_size(value, &v);
		if (rc == -EINVAL) {
			snprintf(err, err_len, "%s: \"%s\" is not a size (use bytes, or a "
			    "number with K, M, G or T)", key, value);
			return rc;
		}
		break;
	case CONFIG_T_DURATION:
		rc = config_parse_duration_ms(value, &v);
		if (rc == -EINVAL) {
			snprintf(err, err_len, "%s: \"%s\" is not a duration (use a number "
			    "with ms, s, min, h or d)", key, value);
			return rc;
		}
		break;
	case CONFIG_T_COUNT:
	default: {
		const char	*end;

		if ((rc = parse_u64(value, &v, &end)) == 0 && *end != '\0')
			rc = -EINVAL;
		if (rc == -EINVAL) {
			snprintf(err, err_len, "%s: \"%s\" is not a whole number", key, value);
			return rc;
		}
		break;
	}
	}
	if (rc < 0 || v < k->min || v > k->max) {
		snprintf(err, err_len, "%s: %s is out of range (%s)", key, value, k->range);
		return -ERANGE;
	}
	if (k->type == CONFIG_T_COUNT)
		*(uint32_t *)(void *)field = (uint32_t)v;
	else
		*(uint64_t *)(void *)field = v;
	if (set != NULL)
		*set |= bit;
	return 0;
}

/* Where a value came from, for the messages about two keys. */
struct config_origin {
	unsigned	line;		/* the line that set it; 0: not set in the file */
	int		bad;		/* set with an error: the checks that need it are skipped */
	char		text[48];	/* as written ("12M", not 12582912), cut short to fit */
};

/*
 * What the reader, the handler and the checks of keys that depend on each
 * other (config_check_keys()) share while one file is parsed; f NULL for
 * config_check(), which has no file: its first error goes into err.
 */
struct config_parse {
	struct config	*cfg;
	FILE		*f;
	const char	*path;
	unsigned	 line;
	int		 nerrors;
	char		*err;
	size_t		 err_len;
	int		 skip_section;	/* inside an unknown section: one message was enough */
	int		 read_errno;	/* why reading failed (EISDIR for a directory) */
	struct config_origin key[NKEYS];	/* [daemon], [defaults] and [syslog] keys */
	struct config_origin share[CONFIG_MAX_SECTIONS];	/* stream_queue_max_bytes of each
							 * [stream NAME] */
};

static void config_error(struct config_parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "FILE:LINE: message" ("FILE: message" at line 0) on stderr, or into err; counted. */
static void
config_error(struct config_parse *p, const char *fmt, ...)
{
	va_list	ap;
	char	msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->f == NULL) {
		if (p->nerrors == 0)
			snprintf(p->err, p->err_len, "%s", msg);
	} else if (p->line > 0) {
		fprintf(stderr, "%s:%u: %s\n", p->path, p->line, msg);
	} else {
		fprintf(stderr, "%s: %s\n", p->path, msg);
	}
	p->nerrors++;
}

/* v as a person writes a size: "64M", "4K", or bytes. */
static const char *
config_size_text(uint64_t v, char *buf, size_t len)
{
	static const char	units[] = "KMGT";
	int			i;

	for (i = 3; i >= 0; i--) {
		uint64_t	scale = KIB << (10 * i);

		if (v >= scale && v % scale == 0) {
			snprintf(buf, len, "%" PRIu64 "%c", v / scale, units[i]);
			return buf;
		}
	}
	snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/*
 * "batch_bytes = 4M (line 3)": a key's value as the file has it, and where;
 * for one the file does not set, the value in use (now), "(default)" after
 * it when there is a file.
 */
static const char *
config_describe(const struct config_parse *p, const struct config_origin *o, const char *name,
    const char *now, char *buf, size_t len)
{
	if (o->line > 0)
		snprintf(buf, len, "%s = %s (line %u)", name, o->text, o->line);
	else
		snprintf(buf, len, "%s = %s%s", name, now, p->f != NULL ? " (default)" : "");
	return buf;
}

/* config_describe() of a size v. */
static const char *
config_describe_size(const struct config_parse *p, const struct config_origin *o,
    const char *name, uint64_t v, char *buf, size_t len)
{
	char	now[24];

	return config_describe(p, o, name, config_size_text(v, now, sizeof(now)), buf, len);
}

/* p's origin of the key name of section ("daemon", "defaults"). */
static struct config_origin *
config_origin(struct config_parse *p, const char *section, const char *name)
{
	return &p->key[config_find(section, name) - config_keys];
}

/*
 * Whether sc's share (stream_queue_max_bytes, origin o) lies between
 * batch_bytes and queue_max_bytes (origins b and q).
 */
static void
check_share(struct config_parse *p, const struct stream_config *sc, const char *where,
    const struct config_origin *o, const struct config_origin *b, const struct config_origin *q)
{
	const struct config	*cfg = p->cfg;
	uint64_t		 v = sc->stream_queue_max_bytes;
	char			 to[24], s[96], bs[96], qs[96];

	if (o->bad || q->bad || b->bad || (v >= cfg->batch_bytes && v <= cfg->queue_max_bytes))
		return;
	p->line = o->line > b->line ? o->line : b->line;
	p->line = p->line > q->line ? p->line : q->line;
	config_error(p, "%s: %s must be between %s and %s; %s it to %s %s", where,
	    config_describe_size(p, o, "stream_queue_max_bytes", v, s, sizeof(s)),
	    config_describe_size(p, b, "batch_bytes", cfg->batch_bytes, bs, sizeof(bs)),
	    config_describe_size(p, q, "queue_max_bytes", cfg->queue_max_bytes, qs, sizeof(qs)),
	    v < cfg->batch_bytes ? "raise" : "lower", v < cfg->batch_bytes ? "at least" : "at most",
	    config_size_text(v < cfg->batch_bytes ? cfg->batch_bytes : cfg->queue_max_bytes, to,
	    sizeof(to)));
}

/*
 * The checks of keys that depend on each other, each error said once with
 * the line and the value as written of every key it names; cfg is not
 * changed.  A key set with an error of its own is left out of them.
 */
static void
config_check_keys(struct config_parse *p)
{
	const struct config	*cfg = p->cfg;
	struct config_origin	*q = config_origin(p, "daemon", "queue_max_bytes");
	struct config_origin	*b = config_origin(p, "daemon", "batch_bytes");
	struct config_origin	*fi = config_origin(p, "daemon", "flush_interval");
	struct config_origin	*bf = config_origin(p, "daemon", "busy_flush_interval");
	struct config_origin	*g = config_origin(p, "daemon", "group");
	struct config_origin	*u = config_origin(p, "daemon", "user");
	uint32_t		 bit = config_stream_bit(config_find("defaults",
				    "stream_queue_max_bytes"));
	char			 v[24], d1[96], d2[96], where[PROTO_MAX_NAME + 16];
	uint32_t		 i;

	if (!q->bad && !b->bad && cfg->batch_bytes > cfg->queue_max_bytes / 4) {
		p->line = b->line > q->line ? b->line : q->line;
		config_error(p, "[daemon]: %s must be at most a quarter of %s; lower batch_bytes, "
		    "or raise queue_max_bytes to at least %s",
		    config_describe_size(p, b, "batch_bytes", cfg->batch_bytes, d1, sizeof(d1)),
		    config_describe_size(p, q, "queue_max_bytes", cfg->queue_max_bytes, d2,
		    sizeof(d2)), config_size_text(cfg->batch_bytes * 4, v, sizeof(v)));
	}
	/* Unset, it is the larger of its default and flush_interval (stream_table_new()). */
	if (!fi->bad && !bf->bad && bf->line > 0 &&
	    cfg->busy_flush_interval_ms < cfg->flush_interval_ms) {
		p->line = bf->line;
		snprintf(v, sizeof(v), "%" PRIu64 "ms", cfg->busy_flush_interval_ms);
		config_describe(p, bf, "busy_flush_interval", v, d1, sizeof(d1));
		snprintf(v, sizeof(v), "%" PRIu64 "ms", cfg->flush_interval_ms);
		config_error(p, "[daemon]: %s must be at least %s (a busy flush waits longer, "
		    "not less); raise busy_flush_interval to at least %s, or lower flush_interval",
		    d1, config_describe(p, fi, "flush_interval", v, d2, sizeof(d2)), v);
	}
	if (!g->bad && !u->bad && cfg->group != CONFIG_NO_ID && cfg->user[0] == '\0') {
		p->line = g->line;
		snprintf(v, sizeof(v), "%" PRIu32, cfg->group);
		config_error(p, "[daemon]: %s needs user = too (logd drops to a user and a group, "
		    "not to a group alone); add user =, or remove group =",
		    config_describe(p, g, "group", v, d1, sizeof(d1)));
	}
	if (cfg->defaults.stream_queue_max_bytes != 0)	/* 0: a quarter of the queue */
		check_share(p, &cfg->defaults, "[defaults]",
		    config_origin(p, "defaults", "stream_queue_max_bytes"), b, q);
	for (i = 0; i < cfg->nsections; i++) {
		if (!(cfg->sections[i].set & bit))
			continue;	/* [defaults]' share, checked above */
		snprintf(where, sizeof(where), "[stream %s]", cfg->sections[i].name);
		check_share(p, &cfg->sections[i].sc, where, &p->share[i], b, q);
	}
}

int
config_check(struct config *cfg, char *err, size_t err_len)
{
	struct config_parse	 p = { .cfg = cfg, .err = err, .err_len = err_len };
	const struct config_key	*k;
	struct config_section	*sec;
	uint32_t		 i;

	config_check_keys(&p);
	if (p.nerrors > 0)
		return -EINVAL;
	if (cfg->defaults.stream_queue_max_bytes == 0)
		cfg->defaults.stream_queue_max_bytes = cfg->queue_max_bytes / 4;
	for (i = 0; i < cfg->nsections; i++) {
		sec = &cfg->sections[i];
		for (k = config_keys; k < &config_keys[NKEYS]; k++)
			if (k->scope == CONFIG_SCOPE_STREAM && !(sec->set & config_stream_bit(k)))
				memcpy((char *)&sec->sc + k->offset,
				    (const char *)&cfg->defaults + k->offset, k->size);
	}
	for (i = 0; i < cfg->nforwards; i++) {
		const struct config_forward	*f = &cfg->forwards[i];

		if (f->host[0] == '\0' || f->npatterns == 0) {
			snprintf(err, err_len, "[forward %s]: no %s (a forwarder needs target = "
			    "tcp://HOST:PORT and streams = NAME, PREFIX*)", f->name,
			    f->host[0] == '\0' ? "target" : "streams");
			return -EINVAL;
		}
		if ((f->tls_cert[0] == '\0') != (f->tls_key[0] == '\0')) {
			snprintf(err, err_len, "[forward %s]: tls_cert and tls_key go together (logd's "
			    "certificate and its key); set both or neither", f->name);
			return -EINVAL;
		}
		if (f->proto != CONFIG_FORWARD_TLS && (f->tls_ca[0] != '\0' ||
		    f->tls_cert[0] != '\0')) {
			snprintf(err, err_len, "[forward %s]: tls_ca, tls_cert and tls_key are for a "
			    "tls:// target (relp:// here is plain)", f->name);
			return -EINVAL;
		}
	}
	return 0;
}

/* Whether key k's values a and b differ (paths as strings: bytes after the NUL are not theirs). */
static int
config_differ(const struct config_key *k, const char *a, const char *b)
{
	if (k->type == CONFIG_T_SOCKET || k->type == CONFIG_T_PATH || k->type == CONFIG_T_LISTEN ||
	    k->type == CONFIG_T_USER || k->type == CONFIG_T_SYSLOG_STREAM)
		return strcmp(a, b) != 0;
	return memcmp(a, b, k->size) != 0;
}

int
config_keep_restart(struct config *next, const struct config *cur, char *changed, size_t len)
{
	const struct config_key	*k;
	size_t			 n = 0;
	int			 nchanged = 0, rc;

	if (len > 0)
		changed[0] = '\0';
	for (k = config_keys; k < &config_keys[NKEYS]; k++) {
		if (!k->restart)
			continue;
		if (config_differ(k, (char *)next + k->offset, (const char *)cur + k->offset)) {
			rc = snprintf(changed + n, n < len ? len - n : 0, "%s%s",
			    nchanged > 0 ? ", " : "", k->name);
			n += rc > 0 ? (size_t)rc : 0;
			nchanged++;
		}
		memcpy((char *)next + k->offset, (const char *)cur + k->offset, k->size);
	}
	/* The forwarders' threads are started once, with the settings they had. */
	if (next->nforwards != cur->nforwards || memcmp(next->forwards, cur->forwards,
	    cur->nforwards * sizeof(cur->forwards[0])) != 0) {
		rc = snprintf(changed + n, n < len ? len - n : 0, "%s[forward]",
		    nchanged > 0 ? ", " : "");
		n += rc > 0 ? (size_t)rc : 0;
		nchanged++;
	}
	memcpy(next->forwards, cur->forwards, sizeof(cur->forwards));
	next->nforwards = cur->nforwards;
	return nchanged;
}

struct config *
config_dup(const struct config *cfg)
{
	struct config	*c = malloc(sizeof(*c));

	if (c != NULL)
		memcpy(c, cfg, sizeof(*c));
	return c;
}

const struct stream_config *
config_stream(const struct config *cfg, const char *name, size_t len)
{
	uint32_t	i;

	for (i = 0; i < cfg->nsections; i++)
		if (strncmp(cfg->sections[i].name, name, len) == 0 &&
		    cfg->sections[i].name[len] == '\0')
			return &cfg->sections[i].sc;
	return &cfg->defaults;
}

/* "[name]" -> whether name is a section we know. */
static int
config_section_known(const char *s, size_t len)
{
	return (len == 6 && memcmp(s, "daemon", 6) == 0) ||
	    (len == 8 && memcmp(s, "defaults", 8) == 0) ||
	    (len == 6 && memcmp(s, "syslog", 6) == 0);
}

static char *
config_reader(char *str, int num, void *arg)
{
	struct config_parse	*p = arg;
	char			*s, *e;
	size_t			 len;
	int			 c;

	if (fgets(str, num, p->f) == NULL) {
		if (ferror(p->f))
			p->read_errno = errno;
		return NULL;
	}
	p->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && !feof(p->f)) {
		config_error(p, "line longer than %d bytes; it was skipped", num - 2);
		while ((c = fgetc(p->f)) != EOF && c != '\n')
			;
		str[0] = '\0';
		return str;
	}
	for (s = str; *s == ' ' || *s == '\t'; s++)
		;
	memmove(str, s, strlen(s) + 1);
	for (e = str + strlen(str); e > str && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	if (str[0] == '\0' || str[0] == '#' || str[0] == ';')
		return str;
	if (str[0] == '[') {
		if ((e = strchr(str, ']')) == NULL) {
			config_error(p, "syntax error: \"%s\" has no closing ']'", str);
			str[0] = '\0';
			return str;
		}
		p->skip_section = 0;
		*e = '\0';
		if (strncmp(str + 1, "stream ", 7) == 0) {
			char	err[256];

			if (config_section(p->cfg, str + 8, err, sizeof(err)) == NULL) {
				config_error(p, "[%s]: %s", str + 1, err);
				p->skip_section = 1;
			}
		} else if (strncmp(str + 1, "forward ", 8) == 0) {
			char	err[256];

			if (config_forward(p->cfg, str + 9, err, sizeof(err)) == NULL) {
				config_error(p, "[%s]: %s", str + 1, err);
				p->skip_section = 1;
			}
		} else if (!config_section_known(str + 1, strlen(str + 1))) {
			config_error(p, "unknown section [%s] (known: [daemon], [defaults], "
			    "[stream NAME], [syslog], [forward NAME])", str + 1);
			p->skip_section = 1;
		}
		*e = ']';
		return str;
	}
	if (strchr(str, '=') == NULL && strchr(str, ':') == NULL) {
		config_error(p, "syntax error: \"%s\" is not \"key = value\" or "
		    "\"[section]\"", str);
		str[0] = '\0';
	}
	return str;
}

/* Whether value holds what was meant as a '#' comment ("100ms # fast"). */
static int
config_hash_comment(const char *value)
{
	const char	*h = strchr(value, '#');

	return h != NULL && (h == value || h[-1] == ' ' || h[-1] == '\t');
}

/*
 * Where p keeps the origin of key k in section, or NULL (a [forward NAME] key,
 * a [stream NAME] key but its share).
 */
static struct config_origin *
config_origin_of(struct config_parse *p, const char *section, const struct config_key *k)
{
	uint32_t	i;

	if (strncmp(section, "forward ", 8) == 0)
		return NULL;	/* a [forward NAME] finds its own repeats */
	if (strncmp(section, "stream ", 7) != 0)
		return &p->key[k - config_keys];
	if (strcmp(k->name, "stream_queue_max_bytes") != 0)
		return NULL;
	for (i = 0; i < p->cfg->nsections; i++)
		if (strcmp(p->cfg->sections[i].name, section + 7) == 0)
			return &p->share[i];
	return NULL;
}

static int
config_handler(void *arg, const char *section, const char *key, const char *value)
{
	struct config_parse	*p = arg;
	const struct config_key	*k;
	struct config_origin	*o;
	const char		*home;
	char			 err[512], where[128];
	size_t			 n;

	if (p->skip_section)
		return 1;
	if (section[0] == '\0') {
		home = config_home(key);
		config_error(p, "\"%s\" is outside any section; put it under %s", key,
		    home != NULL ? home : "[daemon] or [defaults]");
		return 1;
	}
	snprintf(where, sizeof(where), "[%s]", section);
	k = config_find(section, key);
	o = k != NULL ? config_origin_of(p, section, k) : NULL;
	/* A key of [daemon] or [syslog] (a [stream]'s or [forward]'s section finds its own). */
	if (o != NULL && o == &p->key[k - config_keys] && o->line != 0) {
		config_error(p, "%s: %s set twice (first on line %u)", where, key, o->line);
		return 1;
	}
	if (k != NULL && config_hash_comment(value)) {
		/* inih ends a value at " ;" only: the '#' and the comment are in it. */
		for (n = strcspn(value, "#"); n > 0 && isspace((unsigned char)value[n - 1]); n--)
			;
		config_error(p, "%s: %s = %s: a comment after a value starts with ';', not '#'; "
		    "write \"%s = %.*s ; ...\", or put the comment on a line of its own", where,
		    key, value, key, (int)n, value);
	} else if (config_set(p->cfg, section, key, value, err, sizeof(err)) < 0) {
		config_error(p, "%s: %s", where, err);
	} else {
		if (o != NULL) {
			o->line = p->line;
			o->bad = 0;
			snprintf(o->text, sizeof(o->text), "%s", value);
		}
		return 1;
	}
	if (o != NULL)
		o->bad = 1;
	return 1;
}

int
config_load_file(struct config *cfg, FILE *f, const char *name, int *nerrors)
{
	struct config_parse	p = { .cfg = cfg, .f = f, .path = name };
	int			rc;

	*nerrors = 0;
	rc = ini_parse_stream(config_reader, &p, config_handler, &p);
	if (rc > 0 && p.nerrors == 0) {
		/* Our reader passes inih only lines it accepts; this is a safety net. */
		p.line = (unsigned)rc;
		config_error(&p, "syntax error");
	}
	if (ferror(f))
		return p.read_errno != 0 ? -p.read_errno : -EIO;
	config_check_keys(&p);
	*nerrors = p.nerrors;
	return 0;
}

int
config_load(struct config *cfg, const char *path, int missing_ok, int *nerrors)
{
	FILE	*f;
	int	 rc;

	*nerrors = 0;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT && missing_ok)
			return 1;
		return -errno;
	}
	rc = config_load_file(cfg, f, path, nerrors);
	fclose(f);
	return rc;
}
