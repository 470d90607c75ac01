/* test_config.c - logd.conf parsing, the value parsers, and every kind of error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

#ifndef EXAMPLE_CONF
#error "EXAMPLE_CONF must name daemon/logd.conf.example"
#endif

static char	dir[] = "/tmp/test_config.XXXXXX";
static char	path[256];
static char	errs[8192];

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/logd.conf", dir);
}

static void
teardown(void)
{
	char	p[300];

	snprintf(p, sizeof(p), "%s/stderr", dir);
	unlink(p);
	unlink(path);
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

/* Writes text to the config file, loads it, captures stderr into errs. */
static int
load(struct config *cfg, const char *text, int *nerrors)
{
	char	p[300];
	FILE	*f;
	int	saved, fd, rc;
	ssize_t	n;

	if (text != NULL) {
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		fputs(text, f);
		fclose(f);
	}
	snprintf(p, sizeof(p), "%s/stderr", dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	config_defaults(cfg);
	rc = config_load(cfg, path, 0, nerrors);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, errs, sizeof(errs) - 1);
	errs[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

/* Fails unless errs has the message "PATH:line: text...". */
static void
has_error(int line, const char *text)
{
	char	want[512];

	snprintf(want, sizeof(want), "%s:%d: %s", path, line, text);
	ck_assert_msg(strstr(errs, want) != NULL, "missing <%s> in:\n%s", want, errs);
}

START_TEST(defaults_are_documented_values)
{
	struct config	c;

	config_defaults(&c);
	ck_assert_str_eq(c.socket_path, "/run/logd/socket");
	ck_assert_str_eq(c.log_dir, "/var/log/logd");
	ck_assert_uint_eq(c.queue_max_bytes, 64u << 20);
	ck_assert_uint_eq(c.batch_bytes, 64u << 10);
	ck_assert_uint_eq(c.flush_interval_ms, 100);
	ck_assert_uint_eq(c.busy_streams, 1000);
	ck_assert_uint_eq(c.busy_flush_interval_ms, 1000);
	ck_assert_uint_eq(c.max_streams, 1024);
	ck_assert_int_eq(c.sync, CONFIG_SYNC_INTERVAL);
	ck_assert_uint_eq(c.sync_interval_ms, 1000);
	ck_assert_uint_eq(c.drain_timeout_ms, 10000);
	ck_assert_uint_eq(c.max_use, CONFIG_AUTO);	/* 10% of the file system, at run time */
	ck_assert_uint_eq(c.keep_free, CONFIG_AUTO);
	ck_assert_uint_eq(c.idle_close_ms, 300000);
	ck_assert_int_eq(c.defaults.format, CONFIG_FORMAT_TEXT);
	ck_assert_int_eq(c.defaults.overflow, CONFIG_OVERFLOW_BLOCK);
	ck_assert_uint_eq(c.defaults.stream_queue_max_bytes, 0);	/* a quarter, once checked */
	ck_assert_uint_eq(c.defaults.max_file_size, 64u << 20);
	ck_assert_uint_eq(c.defaults.max_file_age_ms, 0);
	ck_assert_uint_eq(c.defaults.max_files, 10);
	ck_assert_uint_eq(c.defaults.max_stream_bytes, 0);
	ck_assert_int_eq(c.defaults.compress, CONFIG_COMPRESS_NONE);
	ck_assert_uint_eq(c.defaults.compress_level, 3);
	ck_assert_uint_eq(c.defaults.rate_limit_interval_ms, 0);	/* off */
	ck_assert_uint_eq(c.defaults.rate_limit_burst, 0);
	ck_assert_str_eq(c.control_path, "/run/logd/control");
	ck_assert_uint_eq(c.control_max_clients, 16);
	ck_assert_uint_eq(c.control_timeout_ms, 10000);
	ck_assert_str_eq(c.metrics_listen, "");	/* off */
	ck_assert_int_eq(c.create_streams, CONFIG_CREATE_ANY);
	ck_assert_uint_eq(c.max_streams_per_uid, 64);
	ck_assert_uint_eq(c.socket_mode, 0666);
	ck_assert_uint_eq(c.socket_group, CONFIG_NO_ID);
	ck_assert_str_eq(c.user, "");
	ck_assert_uint_eq(c.group, CONFIG_NO_ID);
	ck_assert_uint_eq(c.defaults.allow_uids.n, 0);	/* anyone may write */
	ck_assert_uint_eq(c.defaults.allow_gids.n, 0);
	ck_assert_uint_eq(c.nsections, 0);
}
END_TEST

START_TEST(parses_listen_addresses)
{
	static const struct { const char *s; const char *addr; uint16_t port; } ok[] = {
		{ "127.0.0.1:9465", "127.0.0.1", 9465 }, { "[::1]:80", "::1", 80 },
		{ "0.0.0.0:65535", "0.0.0.0", 65535 },
	};
	static const char *const bad[] = {
		"localhost:9465", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"::1:9465", "[127.0.0.1]:1", ":9465", "1.2.3.4:9x", "[]:1",
	};
	char		addr[CONFIG_MAX_LISTEN];
	uint16_t	port;
	size_t		i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(config_parse_listen(ok[i].s, addr, &port), 0);
		ck_assert_str_eq(addr, ok[i].addr);
		ck_assert_uint_eq(port, ok[i].port);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(config_parse_listen(bad[i], addr, &port) == -EINVAL, "%s", bad[i]);
}
END_TEST

START_TEST(reads_control_metrics_and_rate_limit_keys)
{
	struct config	c;
	char		err[256];
	int		n;

	ck_assert_int_eq(load(&c, "[daemon]\ncontrol = /tmp/ctl\ncontrol_max_clients = 4\n"
	    "control_timeout = 2s\nmetrics_listen = [::1]:9465\n[stream web]\n"
	    "rate_limit_interval = 30s\nrate_limit_burst = 1000\n", &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), 0);
	ck_assert_str_eq(c.control_path, "/tmp/ctl");
	ck_assert_uint_eq(c.control_max_clients, 4);
	ck_assert_uint_eq(c.control_timeout_ms, 2000);
	ck_assert_str_eq(c.metrics_listen, "[::1]:9465");
	ck_assert_uint_eq(config_stream(&c, "web", 3)->rate_limit_interval_ms, 30000);
	ck_assert_uint_eq(config_stream(&c, "web", 3)->rate_limit_burst, 1000);
	ck_assert_uint_eq(config_stream(&c, "app", 3)->rate_limit_burst, 0);
	ck_assert_int_eq(load(&c, "[daemon]\nmetrics_listen = localhost:9465\n"
	    "control_max_clients = 0\n", &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_ptr_nonnull(strstr(errs, "not a numeric address"));
	ck_assert_ptr_nonnull(strstr(errs, "out of range (1..1024)"));
}
END_TEST

START_TEST(reads_every_key)
{
	struct config	c;
	int		n;

	ck_assert_int_eq(load(&c,
	    "; comment\n# comment\n[daemon]\n  socket = /tmp/s\nlog_dir=/tmp/l\n"
	    "queue_max_bytes = 2G\nbatch_bytes = 128K ; inline comment\n"
	    "flush_interval = 2s\nmax_streams = 5000\nsync = always\nsync_interval = 5min\n"
	    "busy_streams = 50\nbusy_flush_interval = 3s\n"
	    "drain_timeout = 250ms\n\n[defaults]\nformat = json\noverflow = drop\n"
	    "stream_queue_max_bytes = 1G\n", &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(errs, "");
	ck_assert_str_eq(c.socket_path, "/tmp/s");
	ck_assert_str_eq(c.log_dir, "/tmp/l");
	ck_assert_uint_eq(c.queue_max_bytes, 2ull << 30);
	ck_assert_uint_eq(c.batch_bytes, 128u << 10);
	ck_assert_uint_eq(c.flush_interval_ms, 2000);
	ck_assert_uint_eq(c.busy_streams, 50);
	ck_assert_uint_eq(c.busy_flush_interval_ms, 3000);
	ck_assert_uint_eq(c.max_streams, 5000);
	ck_assert_int_eq(c.sync, CONFIG_SYNC_ALWAYS);
	ck_assert_uint_eq(c.sync_interval_ms, 300000);
	ck_assert_uint_eq(c.drain_timeout_ms, 250);
	ck_assert_int_eq(c.defaults.format, CONFIG_FORMAT_JSON);
	ck_assert_int_eq(c.defaults.overflow, CONFIG_OVERFLOW_DROP);
	ck_assert_uint_eq(c.defaults.stream_queue_max_bytes, 1ull << 30);
}
END_TEST

START_TEST(example_file_gives_exactly_the_defaults)
{
	struct config	c, d;
	int		n;

	snprintf(path, sizeof(path), "%s", EXAMPLE_CONF);
	ck_assert_int_eq(load(&c, NULL, &n), 0);
	ck_assert_int_eq(n, 0);
	config_defaults(&d);
	ck_assert_int_eq(memcmp(&c, &d, sizeof(c)), 0);
	snprintf(path, sizeof(path), "%s/logd.conf", dir);
}
END_TEST

START_TEST(parses_sizes)
{
	static const struct { const char *s; uint64_t v; int rc; } t[] = {
		{ "0", 0, 0 }, { "123", 123, 0 }, { "4K", 4096, 0 }, { "4k", 4096, 0 },
		{ "4KiB", 4096, 0 }, { "1M", 1 << 20, 0 }, { "3G", 3ull << 30, 0 },
		{ "1T", 1ull << 40, 0 }, { "10B", 10, 0 },
		{ "", 0, -EINVAL }, { "K", 0, -EINVAL }, { "-1", 0, -EINVAL }, { "64Q", 0, -EINVAL },
		{ "64Mx", 0, -EINVAL }, { " 5", 0, -EINVAL }, { "5 M", 0, -EINVAL },
		{ "1.5M", 0, -EINVAL }, { "18446744073709551616", 0, -ERANGE },
		{ "20000000000000000G", 0, -ERANGE },
	};
	uint64_t	v;
	size_t		i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 0;
		ck_assert_msg(config_parse_size(t[i].s, &v) == t[i].rc, "\"%s\"", t[i].s);
		if (t[i].rc == 0)
			ck_assert_msg(v == t[i].v, "\"%s\" = %llu", t[i].s, (unsigned long long)v);
	}
}
END_TEST

START_TEST(parses_durations)
{
	static const struct { const char *s; uint64_t ms; int rc; } t[] = {
		{ "100ms", 100, 0 }, { "1s", 1000, 0 }, { "30", 30000, 0 }, { "5min", 300000, 0 },
		{ "2h", 7200000, 0 }, { "1d", 86400000, 0 }, { "0", 0, 0 },
		{ "", 0, -EINVAL }, { "ms", 0, -EINVAL }, { "1m", 0, -EINVAL }, { "1 s", 0, -EINVAL },
		{ "-5s", 0, -EINVAL }, { "99999999999999999999d", 0, -ERANGE },
		{ "999999999999999999d", 0, -ERANGE },
	};
	uint64_t	v;
	size_t		i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 0;
		ck_assert_msg(config_parse_duration_ms(t[i].s, &v) == t[i].rc, "\"%s\"", t[i].s);
		if (t[i].rc == 0)
			ck_assert_msg(v == t[i].ms, "\"%s\" = %llu", t[i].s, (unsigned long long)v);
	}
}
END_TEST

START_TEST(reports_every_error_with_file_and_line)
{
	struct config	c;
	int		n;

	ck_assert_int_eq(load(&c,
	    "[daemon]\n"
	    "queue_max_bytes = 64Q\n"		/* 2 */
	    "flush_ms = 5\n"			/* 3 */
	    "batch_bytes = 1K\n"		/* 4 */
	    "max_streams = many\n"		/* 5 */
	    "this is not a line\n"		/* 6 */
	    "[defaults]\n"
	    "format = xml\n"			/* 8 */
	    "[stream .web]\n"			/* 9 */
	    "format = json\n"			/* 10: skipped with its section */
	    "[nonsense]\n"			/* 11 */
	    "[daemon]\n"
	    "max_streams = 0\n"			/* 13 */
	    "max_streams = 10\n"		/* 14 */
	    "max_streams = 20\n"		/* 15: twice */
	    "socket =\n",			/* 16: empty */
	    &n), 0);
	ck_assert_int_eq(n, 11);
	has_error(2, "[daemon]: queue_max_bytes: \"64Q\" is not a size");
	has_error(3, "[daemon]: unknown key \"flush_ms\" (did you mean flush_interval?)");
	has_error(4, "[daemon]: batch_bytes: 1K is out of range (4K..16M)");
	has_error(5, "[daemon]: max_streams: \"many\" is not a whole number");
	has_error(6, "syntax error: \"this is not a line\"");
	has_error(8, "[defaults]: format: \"xml\" is not one of text or json");
	has_error(9, "[stream .web]: \".web\" is not a stream name");
	has_error(11, "unknown section [nonsense]");
	has_error(13, "[daemon]: max_streams: 0 is out of range (1..1000000)");
	has_error(15, "[daemon]: max_streams set twice (first on line 14)");
	has_error(16, "[daemon]: socket: empty value");
	/* The good value stands. */
	ck_assert_uint_eq(c.max_streams, 10);
}
END_TEST

/*
 * Keys that depend on each other: every such error in the same pass as the
 * others, naming the line of each key and its value as written.
 */
START_TEST(two_key_errors_name_each_line_and_the_values_as_written)
{
	struct config	c;
	int		n;

	ck_assert_int_eq(load(&c,
	    "[daemon]\n"
	    "queue_max_bytes = 12M\n"		/* 2 */
	    "batch_bytes = 4096K\n"		/* 3 */
	    "max_streams = none\n"		/* 4: an error of its own */
	    "group = root\n"			/* 5: and no user */
	    "[defaults]\n"
	    "stream_queue_max_bytes = 13M\n"	/* 7 */
	    "[stream web]\n"
	    "stream_queue_max_bytes = 1M\n"	/* 9 */
	    "[stream db]\n"
	    "stream_queue_max_bytes = 1G x\n"	/* 11: its own error; no more about it */
	    "[stream ok]\n"
	    "format = json\n", &n), 0);
	ck_assert_int_eq(n, 6);
	has_error(3, "[daemon]: batch_bytes = 4096K (line 3) must be at most a quarter of "
	    "queue_max_bytes = 12M (line 2); lower batch_bytes, or raise queue_max_bytes to at "
	    "least 16M\n");
	has_error(4, "[daemon]: max_streams: \"none\" is not a whole number");
	has_error(5, "[daemon]: group = root (line 5) needs user = too");
	has_error(7, "[defaults]: stream_queue_max_bytes = 13M (line 7) must be between batch_bytes = "
	    "4096K (line 3) and queue_max_bytes = 12M (line 2); lower it to at most 12M\n");
	has_error(9, "[stream web]: stream_queue_max_bytes = 1M (line 9) must be between batch_bytes = "
	    "4096K (line 3) and queue_max_bytes = 12M (line 2); raise it to at least 4M\n");
	has_error(11, "[stream db]: stream_queue_max_bytes: \"1G x\" is not a size");
	/* A key the file does not set is named with its value in use. */
	ck_assert_int_eq(load(&c, "[stream x]\nstream_queue_max_bytes = 8K\n", &n), 0);
	ck_assert_int_eq(n, 1);
	has_error(2, "[stream x]: stream_queue_max_bytes = 8K (line 2) must be between batch_bytes = "
	    "64K (default) and queue_max_bytes = 64M (default); raise it to at least 64K\n");
	/* A busy flush waits at least flush_interval; unset, it follows a longer flush_interval. */
	ck_assert_int_eq(load(&c, "[daemon]\nbusy_flush_interval = 50ms\n", &n), 0);
	ck_assert_int_eq(n, 1);
	has_error(2, "[daemon]: busy_flush_interval = 50ms (line 2) must be at least "
	    "flush_interval = 100ms (default) (a busy flush waits longer, not less); raise "
	    "busy_flush_interval to at least 100ms, or lower flush_interval\n");
	ck_assert_int_eq(load(&c, "[daemon]\nflush_interval = 2s\n", &n), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

/* inih ends a value at " ;", not at " #": a '#' comment after a value says so. */
START_TEST(a_hash_comment_after_a_value_gets_a_hint)
{
	struct config	c;
	int		n;

	ck_assert_int_eq(load(&c,
	    "[daemon]\n"
	    "flush_interval = 100ms # fast\n"	/* 2 */
	    "max_streams = 10 ; ten\n"		/* 3: fine */
	    "[stream web]\n"
	    "format = json\t#json\n", &n), 0);	/* 5 */
	ck_assert_int_eq(n, 2);
	ck_assert_ptr_nonnull(strstr(errs, ":2: [daemon]: flush_interval = 100ms # fast: a comment "
	    "after a value starts with ';', not '#'; write \"flush_interval = 100ms ; ...\", or "
	    "put the comment on a line of its own\n"));
	ck_assert_ptr_nonnull(strstr(errs, ":5: [stream web]: format = json\t#json: a comment "
	    "after a value starts with ';', not '#'; write \"format = json ; ...\""));
	ck_assert_uint_eq(c.flush_interval_ms, 100);	/* the default stands */
	ck_assert_uint_eq(c.max_streams, 10);
	/* A '#' inside a value is the value's. */
	ck_assert_int_eq(load(&c, "[daemon]\nlog_dir = /var/log/a#b\n", &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(c.log_dir, "/var/log/a#b");
}
END_TEST

/* A key in the wrong section is told where it belongs. */
START_TEST(a_key_in_the_wrong_section_names_its_section)
{
	struct config	c;
	int		n;

	ck_assert_int_eq(load(&c,
	    "[defaults]\n"
	    "log_dir = /tmp/x\n"		/* 2 */
	    "[daemon]\n"
	    "max_files = 3\n"			/* 4 */
	    "map = a:b\n"			/* 5 */
	    "[syslog]\n"
	    "user = nobody\n"			/* 7 */
	    "target = tcp://h:1\n", &n), 0);	/* 8: a [forward NAME] key */
	ck_assert_int_eq(n, 5);
	ck_assert_ptr_nonnull(strstr(errs, ":2: [defaults]: log_dir belongs in [daemon], not in "
	    "this section; move it there\n"));
	ck_assert_ptr_nonnull(strstr(errs, ":4: [daemon]: max_files belongs in [defaults] or "
	    "[stream NAME], not in this section; move it there\n"));
	ck_assert_ptr_nonnull(strstr(errs, ":5: [daemon]: map belongs in [syslog]"));
	ck_assert_ptr_nonnull(strstr(errs, ":7: [syslog]: user belongs in [daemon]"));
	ck_assert_ptr_nonnull(strstr(errs, ":8: [syslog]: target belongs in [forward NAME], not in "
	    "this section; move it there\n"));
	/* Outside any section too. */
	ck_assert_int_eq(load(&c, "max_files = 3\n", &n), 0);
	ck_assert_ptr_nonnull(strstr(errs, ":1: \"max_files\" is outside any section; put it "
	    "under [defaults] or [stream NAME]\n"));
}
END_TEST

START_TEST(stream_sections_override_defaults_in_any_order)
{
	struct config			 c;
	const struct stream_config	*sc;
	char				 err[256];
	int				 n;

	ck_assert_int_eq(load(&c,
	    "[stream web]\nmax_files = 3\nformat = text\n"
	    "[defaults]\nformat = json\nmax_file_size = 1M\ncompress = zstd\n"
	    "[stream db]\noverflow = drop\nstream_queue_max_bytes = 1M\n"
	    "[stream web]\nmax_file_age = 1d\n", &n), 0);
	ck_assert_str_eq(errs, "");
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nsections, 2);
	sc = config_stream(&c, "web", 3);
	ck_assert_int_eq(sc->format, CONFIG_FORMAT_TEXT);	/* its own */
	ck_assert_uint_eq(sc->max_files, 3);
	ck_assert_uint_eq(sc->max_file_age_ms, 86400000);
	ck_assert_uint_eq(sc->max_file_size, 1u << 20);		/* [defaults], set after it */
	ck_assert_int_eq(sc->compress, CONFIG_COMPRESS_ZSTD);
	ck_assert_uint_eq(sc->stream_queue_max_bytes, 16u << 20);
	sc = config_stream(&c, "db", 2);
	ck_assert_int_eq(sc->overflow, CONFIG_OVERFLOW_DROP);
	ck_assert_uint_eq(sc->stream_queue_max_bytes, 1u << 20);
	ck_assert_int_eq(sc->format, CONFIG_FORMAT_JSON);
	sc = config_stream(&c, "webx", 3);			/* a prefix is not a match */
	ck_assert_ptr_eq(sc, config_stream(&c, "web", 3));
	ck_assert_ptr_eq(config_stream(&c, "other", 5), &c.defaults);
	ck_assert_ptr_eq(config_stream(&c, "we", 2), &c.defaults);
}
END_TEST

START_TEST(stream_section_errors)
{
	struct config	c;
	char		err[256];
	int		n;

	ck_assert_int_eq(load(&c,
	    "[stream web]\nmax_files = 0\nmax_files = 2\nmax_files = 3\nsocket = /x\n"
	    "[stream a/b]\nmax_files = 2\n", &n), 0);
	ck_assert_int_eq(n, 4);
	ck_assert_ptr_nonnull(strstr(errs, ":2: [stream web]: max_files: 0 is out of range "
	    "(1..100000)"));
	ck_assert_ptr_nonnull(strstr(errs, ":4: [stream web]: max_files set twice"));
	ck_assert_ptr_nonnull(strstr(errs, ":5: [stream web]: socket belongs in [daemon], not in "
	    "this section; move it there"));
	ck_assert_ptr_nonnull(strstr(errs, ":6: [stream a/b]: \"a/b\" is not a stream name"));
	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "stream x", "stream_queue_max_bytes", "4K", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "[stream x]: stream_queue_max_bytes = 4K must be between "
	    "batch_bytes = 64K and queue_max_bytes = 64M; raise it to at least 64K");
}
END_TEST

START_TEST(parses_allow_lists_by_name_and_number_over_defaults)
{
	struct config			 c;
	const struct stream_config	*web, *db, *other;
	char				 err[256];
	int				 n;

	ck_assert_int_eq(load(&c,
	    "[defaults]\nallow_gids = adm\n"
	    "[stream web]\nallow_uids = 0, 1000 ,root,4294967294\n"
	    "[stream db]\nallow_gids = 4,0\nallow_uids = 7\n", &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), 0);
	web = config_stream(&c, "web", 3);
	db = config_stream(&c, "db", 2);
	other = config_stream(&c, "other", 5);
	ck_assert_uint_eq(web->allow_uids.n, 4);
	ck_assert_uint_eq(web->allow_uids.id[0], 0);
	ck_assert_uint_eq(web->allow_uids.id[1], 1000);
	ck_assert_uint_eq(web->allow_uids.id[2], 0);		/* root, by name */
	ck_assert_uint_eq(web->allow_uids.id[3], 4294967294u);
	ck_assert_uint_eq(web->allow_gids.n, 1);		/* [defaults]' */
	ck_assert_uint_eq(web->allow_gids.id[0], 4);		/* adm (Debian's gid 4) */
	ck_assert_uint_eq(db->allow_gids.n, 2);
	ck_assert_uint_eq(db->allow_uids.n, 1);
	ck_assert_uint_eq(db->allow_uids.id[0], 7);
	ck_assert_uint_eq(other->allow_uids.n, 0);
	ck_assert_uint_eq(other->allow_gids.n, 1);
}
END_TEST

START_TEST(allow_list_errors_name_the_item)
{
	struct config	c;
	int		n;
	char		many[512];
	size_t		i, len = 0;

	for (i = 0; i <= CONFIG_MAX_IDS; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "%s%zu", i ? "," : "", i);
	ck_assert_int_eq(load(&c, "[stream web]\n"
	    "allow_uids = nosuchuser-logd\n"		/* 2 */
	    "allow_gids = adm,,4\n"			/* 3 */
	    "allow_gids = nosuchgroup-logd\n"		/* 4: unknown, not "set twice" */
	    "[stream db]\n"
	    "allow_uids = 4294967295\n", &n), 0);	/* 6: (uid_t)-1 */
	ck_assert_int_eq(n, 4);
	ck_assert_ptr_nonnull(strstr(errs, ":2: [stream web]: allow_uids: no user named "
	    "\"nosuchuser-logd\" (give a user name from /etc/passwd, or a number)"));
	ck_assert_ptr_nonnull(strstr(errs, ":3: [stream web]: allow_gids: an empty item in "
	    "\"adm,,4\" (give group names or numbers, separated by commas)"));
	ck_assert_ptr_nonnull(strstr(errs, ":4: [stream web]: allow_gids: no group named "
	    "\"nosuchgroup-logd\""));
	ck_assert_ptr_nonnull(strstr(errs, ":6: [stream db]: allow_uids: no user named "
	    "\"4294967295\""));
	snprintf(errs, sizeof(errs), "%s", "");
	{
		char	text[700];

		snprintf(text, sizeof(text), "[defaults]\nallow_uids = %s\n", many);
		ck_assert_int_eq(load(&c, text, &n), 0);
	}
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(errs, ":2: [defaults]: allow_uids: more than 32 users"));
}
END_TEST

START_TEST(parses_file_modes_log_group_and_clock_skew)
{
	struct config	c;
	int		n;

	config_defaults(&c);
	ck_assert_uint_eq(c.dir_mode, 0750);
	ck_assert_uint_eq(c.file_mode, 0640);
	ck_assert_uint_eq(c.log_gid, CONFIG_NO_ID);
	ck_assert_uint_eq(c.max_clock_skew_ms, 10000);
	ck_assert_int_eq(load(&c, "[daemon]\ndir_mode = 0700\nfile_mode = 600\nlog_group = adm\n"
	    "max_clock_skew = 0\n", &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(c.dir_mode, 0700);
	ck_assert_uint_eq(c.file_mode, 0600);
	ck_assert_uint_eq(c.log_gid, 4);	/* adm, on Debian */
	ck_assert_uint_eq(c.max_clock_skew_ms, 0);
	ck_assert_int_eq(load(&c, "[daemon]\n"
	    "file_mode = rw-r-----\n"			/* 2 */
	    "log_group = nosuchgroup-logd\n"		/* 3 */
	    "max_clock_skew = 3651d\n", &n), 0);	/* 4 */
	ck_assert_int_eq(n, 3);
	ck_assert_ptr_nonnull(strstr(errs, ":2: [daemon]: file_mode: \"rw-r-----\" is not an "
	    "octal mode"));
	ck_assert_ptr_nonnull(strstr(errs, ":3: [daemon]: log_group: no group named "
	    "\"nosuchgroup-logd\""));
	ck_assert_ptr_nonnull(strstr(errs, ":4: [daemon]: max_clock_skew:"));
}
END_TEST

START_TEST(parses_the_syslog_section)
{
	struct config	c;
	int		n;

	config_defaults(&c);
	ck_assert_str_eq(c.syslog_socket, "");
	ck_assert_str_eq(c.syslog_stream, "ident");
	ck_assert_uint_eq(c.syslog_map.n, 0);
	ck_assert_int_eq(load(&c, "[daemon]\nsyslog_socket = /dev/log\n[syslog]\n"
	    "stream = facility\nmap = sshd:auth , CRON : jobs,x.y-z:a_b\n", &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(c.syslog_socket, "/dev/log");
	ck_assert_str_eq(c.syslog_stream, "facility");
	ck_assert_uint_eq(c.syslog_map.n, 3);
	ck_assert_str_eq(c.syslog_map.to[0].ident, "sshd");
	ck_assert_str_eq(c.syslog_map.to[0].stream, "auth");
	ck_assert_str_eq(c.syslog_map.to[1].ident, "CRON");
	ck_assert_str_eq(c.syslog_map.to[1].stream, "jobs");
	ck_assert_str_eq(c.syslog_map.to[2].ident, "x.y-z");
	ck_assert_int_eq(load(&c, "[syslog]\n"
	    "stream = .hidden\n"			/* 2 */
	    "map = sshd\n"				/* 3 */
	    "map = sshd:../x\n"			/* 4 */
	    "format = json\n", &n), 0);		/* 5 */
	ck_assert_int_eq(n, 4);
	ck_assert_ptr_nonnull(strstr(errs, ":2: [syslog]: stream: \".hidden\" is not ident, "
	    "facility or a stream name"));
	ck_assert_ptr_nonnull(strstr(errs, ":3: [syslog]: map: \"sshd\" is not ident:stream"));
	ck_assert_ptr_nonnull(strstr(errs, ":4: [syslog]: map: \"sshd:../x\": want ident:stream"));
	ck_assert_ptr_nonnull(strstr(errs, ":5: [syslog]: format belongs in [defaults] or "
	    "[stream NAME], not in this section; move it there"));
}
END_TEST

START_TEST(parses_daemon_access_keys)
{
	struct config	c;
	char		err[256];
	int		n;

	ck_assert_int_eq(load(&c, "[daemon]\ncreate_streams = configured\n"
	    "max_streams_per_uid = 0\nsocket_mode = 660\nsocket_group = adm\n"
	    "user = root\ngroup = 4\n", &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(c.create_streams, CONFIG_CREATE_CONFIGURED);
	ck_assert_uint_eq(c.max_streams_per_uid, 0);
	ck_assert_uint_eq(c.socket_mode, 0660);
	ck_assert_uint_eq(c.socket_group, 4);
	ck_assert_str_eq(c.user, "root");
	ck_assert_uint_eq(c.group, 4);
	ck_assert_int_eq(load(&c, "[daemon]\n"
	    "socket_mode = 0999\n"			/* 2 */
	    "socket_mode = 01777\n"			/* 3 */
	    "max_streams_per_uid = 1000001\n"		/* 4 */
	    "socket_group = nosuchgroup-logd\n"	/* 5 */
	    "user = nosuchuser-logd\n"		/* 6 */
	    "create_streams = some\n", &n), 0);	/* 7 */
	ck_assert_int_eq(n, 6);
	ck_assert_ptr_nonnull(strstr(errs, ":2: [daemon]: socket_mode: \"0999\" is not an octal "
	    "mode of at most 0777 (such as 0660)"));
	ck_assert_ptr_nonnull(strstr(errs, ":3: [daemon]: socket_mode: \"01777\""));
	ck_assert_ptr_nonnull(strstr(errs, ":4: [daemon]: max_streams_per_uid: 1000001 is out "
	    "of range (0 (no limit)..1000000)"));
	ck_assert_ptr_nonnull(strstr(errs, ":5: [daemon]: socket_group: no group named "
	    "\"nosuchgroup-logd\" (give a group name from /etc/group, or a number)"));
	ck_assert_ptr_nonnull(strstr(errs, ":6: [daemon]: user: no user named "
	    "\"nosuchuser-logd\""));
	ck_assert_ptr_nonnull(strstr(errs, ":7: [daemon]: create_streams: \"some\" is not one "
	    "of any or configured"));
	/* A group alone is not a drop. */
	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "daemon", "group", "adm", err, sizeof(err)), 0);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "[daemon]: group = 4 needs user = too (logd drops to a user and a "
	    "group, not to a group alone); add user =, or remove group =");
}
END_TEST

START_TEST(reload_keeps_socket_access_and_user_but_applies_acls)
{
	struct config	cur, next;
	char		err[256], changed[256];

	config_defaults(&cur);
	config_defaults(&next);
	ck_assert_int_eq(config_set(&next, "daemon", "user", "root", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&next, "daemon", "socket_mode", "0600", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_set(&next, "daemon", "max_streams_per_uid", "3", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&next, "stream web", "allow_uids", "5", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_keep_restart(&next, &cur, changed, sizeof(changed)), 2);
	ck_assert_str_eq(changed, "socket_mode, user");
	ck_assert_str_eq(next.user, "");
	ck_assert_uint_eq(next.socket_mode, 0666);
	ck_assert_uint_eq(next.max_streams_per_uid, 3);		/* applies now */
	ck_assert_uint_eq(next.sections[0].sc.allow_uids.n, 1);
}
END_TEST

START_TEST(key_outside_a_section_is_an_error)
{
	struct config	c;
	int		n;

	ck_assert_int_eq(load(&c, "format = json\n", &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(errs, ":1: \"format\" is outside any section"));
}
END_TEST

START_TEST(overlong_line_is_an_error)
{
	struct config	c;
	char		text[600];
	int		n;

	snprintf(text, sizeof(text), "[daemon]\nlog_dir = /%0400d\nmax_streams = 7\n", 0);
	ck_assert_int_eq(load(&c, text, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(errs, ":2: line longer than"));
	ck_assert_uint_eq(c.max_streams, 7);	/* the next line is read normally */
}
END_TEST

START_TEST(missing_file_is_defaults_only_when_allowed)
{
	struct config	c;
	int		n = -1;

	config_defaults(&c);
	ck_assert_int_eq(config_load(&c, "/nonexistent/logd.conf", 1, &n), 1);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(c.max_streams, 1024);
	ck_assert_int_eq(config_load(&c, "/nonexistent/logd.conf", 0, &n), -ENOENT);
}
END_TEST

START_TEST(flags_use_the_same_setter)
{
	struct config	c;
	char		err[256], longp[200];

	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "daemon", "socket", "/x/s", err, sizeof(err)), 0);
	ck_assert_str_eq(c.socket_path, "/x/s");
	memset(longp, 'p', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	ck_assert_int_eq(config_set(&c, "daemon", "socket", longp, err, sizeof(err)), -ERANGE);
	ck_assert_ptr_nonnull(strstr(err, "path longer than 107 bytes"));
	ck_assert_int_eq(config_set(&c, "daemon", "queue_max_bytes", "2T", err, sizeof(err)),
	    -ERANGE);
	ck_assert_int_eq(config_set(&c, "defaults", "socket", "/x", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "socket belongs in [daemon], not in this section; move it there");
}
END_TEST

START_TEST(batch_must_be_at_most_a_quarter_of_the_queue)
{
	struct config	c;
	char		err[256];

	config_defaults(&c);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), 0);
	c.queue_max_bytes = 1 << 20;
	c.batch_bytes = (1 << 18) + 1;
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "batch_bytes"));
}
END_TEST

START_TEST(stream_share_defaults_to_a_quarter_and_is_checked)
{
	struct config	c;
	char		err[256];

	config_defaults(&c);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.defaults.stream_queue_max_bytes, 16u << 20);
	c.defaults.stream_queue_max_bytes = (64u << 20) + 1;
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "[defaults]: stream_queue_max_bytes = 67108865 must be between "
	    "batch_bytes = 64K and queue_max_bytes = 64M; lower it to at most 64M");
	c.defaults.stream_queue_max_bytes = 32u << 10;
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), -EINVAL);
	c.defaults.stream_queue_max_bytes = 64u << 20;
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), 0);
}
END_TEST

START_TEST(enum_values_are_listed_in_the_error)
{
	struct config	c;
	char		err[256];

	config_defaults(&c);
	ck_assert_int_eq(config_set(&c, "daemon", "sync", "sometimes", err, sizeof(err)),
	    -EINVAL);
	ck_assert_str_eq(err, "sync: \"sometimes\" is not one of none, interval or always");
	ck_assert_int_eq(config_set(&c, "defaults", "overflow", "Drop", err, sizeof(err)),
	    -EINVAL);
	ck_assert_str_eq(err, "overflow: \"Drop\" is not one of block or drop");
	ck_assert_int_eq(config_set(&c, "daemon", "drain_timeout", "0", err, sizeof(err)),
	    -ERANGE);
	ck_assert_str_eq(err, "drain_timeout: 0 is out of range (1ms..1d)");
	ck_assert_int_eq(config_set(&c, "daemon", "sync", "none", err, sizeof(err)), 0);
	ck_assert_int_eq(c.sync, CONFIG_SYNC_NONE);
}
END_TEST

START_TEST(reads_a_forward_section_with_its_defaults)
{
	struct config		 c;
	struct config_forward	*f;
	int			 n;
	char			 err[256];

	ck_assert_int_eq(load(&c, "[forward central]\ntarget = tcp://logs.example.com:514\n"
	    "streams = app, web* , db\n[forward b]\ntarget = tcp://[::1]:6514\nstreams = *\n"
	    "facility = local3\napp_name = myapp\nhostname = box1\nreconnect = 5s\n"
	    "max_unacked = 1000\nresend_window = 1M\nformat = rfc5424\n", &n), 0);
	ck_assert_msg(n == 0, "%s", errs);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nforwards, 2);
	f = &c.forwards[0];
	ck_assert_str_eq(f->name, "central");
	ck_assert_str_eq(f->host, "logs.example.com");
	ck_assert_uint_eq(f->port, 514);
	ck_assert_uint_eq(f->npatterns, 3);
	ck_assert_uint_eq(f->facility, 1);		/* user */
	ck_assert_uint_eq(f->reconnect_ms, 30000);
	ck_assert_uint_eq(f->max_unacked, 100000);
	ck_assert_uint_eq(f->resend_window, 6 * 1024 * 1024);
	ck_assert_str_eq(f->hostname, "");
	ck_assert_str_eq(f->app_name, "");
	ck_assert(config_forward_match(f, "app", 3));
	ck_assert(!config_forward_match(f, "app2", 4));
	ck_assert(config_forward_match(f, "web", 3));
	ck_assert(config_forward_match(f, "web.1", 5));
	ck_assert(!config_forward_match(f, "x", 1));
	f = &c.forwards[1];
	ck_assert_str_eq(f->host, "::1");
	ck_assert_uint_eq(f->port, 6514);
	ck_assert(config_forward_match(f, "anything", 8));
	ck_assert_uint_eq(f->facility, 19);
	ck_assert_str_eq(f->app_name, "myapp");
	ck_assert_str_eq(f->hostname, "box1");
	ck_assert_uint_eq(f->reconnect_ms, 5000);
	ck_assert_uint_eq(f->max_unacked, 1000);
	ck_assert_uint_eq(f->resend_window, 1024 * 1024);
}
END_TEST

START_TEST(forward_errors_say_what_and_where)
{
	static const struct { const char *conf; const char *msg; } bad[] = {
		{ "[forward a]\ntarget = udp://h:514\n",
		  ":2: [forward a]: target: \"udp://h:514\" is not tcp://HOST:PORT, tls://" },
		{ "[forward a]\ntarget = tcp://h\n",
		  ":2: [forward a]: target: \"tcp://h\" has no port of 1..65535" },
		{ "[forward a]\ntarget = tcp://h:70000\n", "has no port of 1..65535" },
		{ "[forward a]\ntarget = tcp://h h:514\n", "the host is not a host name" },
		{ "[forward a]\ntarget = relp://h\n", "\"relp://h\" has no port" },
		{ "[forward a]\nstreams = a, /b\n",
		  ":2: [forward a]: streams: \"/b\" is not a stream name or a prefix ending in *" },
		{ "[forward a]\nstreams = a,,b\n", "\"\" is not a stream name" },
		{ "[forward a]\nstreams = a*b\n", "\"a*b\" is not a stream name" },
		{ "[forward a]\nfacility = usr\n",
		  ":2: [forward a]: facility: \"usr\" is not a syslog facility" },
		{ "[forward a]\nfacility = 24\n", "is not a syslog facility" },
		{ "[forward a]\napp_name = my app\n", "app_name: \"my app\" is not 1-48 printable" },
		{ "[forward a]\nhostname = h\xc3\xa9\n", "hostname: " },
		{ "[forward a]\nreconnect = 10ms\n", "reconnect: 10ms is out of range (100ms..1h)" },
		{ "[forward a]\nmax_unacked = 10\n", "max_unacked: 10 is out of range" },
		{ "[forward a]\nformat = json\n", "format: \"json\" is not one of rfc5424" },
		{ "[forward a]\ntarget = tcp://h:1\ntarget = tcp://h:2\n", ":3: [forward a]: "
		  "target set twice" },
		{ "[forward a]\ntargt = tcp://h:1\n", "unknown key \"targt\" (did you mean target?)" },
		{ "[forward a]\ntls_ca = /a\ntls_ca = /b\n", ":3: [forward a]: tls_ca set twice" },
		{ "[forward .a]\n", "[forward .a]: \".a\" is not a forwarder name" },
	};
	struct config	c;
	size_t		i;
	int		n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(load(&c, bad[i].conf, &n), 0);
		ck_assert_msg(n >= 1 && strstr(errs, bad[i].msg) != NULL, "%s: got %s", bad[i].conf,
		    errs);
	}
}
END_TEST

START_TEST(forward_needs_target_and_streams)
{
	struct config	c;
	char		err[256];
	int		n;

	ck_assert_int_eq(load(&c, "[forward a]\nstreams = x\n", &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "[forward a]: no target (a forwarder needs target = "
	    "tcp://HOST:PORT and streams = NAME, PREFIX*)");
	ck_assert_int_eq(load(&c, "[forward a]\ntarget = tcp://h:1\n", &n), 0);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "[forward a]: no streams") == err);
	ck_assert_int_eq(load(&c, "[forward a]\ntarget = tls://h:1\nstreams = x\n"
	    "tls_cert = /c.pem\n", &n), 0);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "[forward a]: tls_cert and tls_key go together (logd's "
	    "certificate and its key); set both or neither");
	ck_assert_int_eq(load(&c, "[forward a]\ntarget = tcp://h:1\nstreams = x\n"
	    "tls_ca = /ca.pem\n", &n), 0);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "[forward a]: tls_ca, tls_cert and tls_key are for a tls:// "
	    "target (relp:// here is plain)");
	ck_assert_int_eq(load(&c, "[forward a]\ntarget = relp://[::1]:2514\nstreams = x\n", &n),
	    0);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.forwards[0].proto, CONFIG_FORWARD_RELP);
	ck_assert_str_eq(c.forwards[0].host, "::1");
	ck_assert_uint_eq(c.forwards[0].port, 2514);
	ck_assert_int_eq(load(&c, "[forward a]\ntarget = tls://h:6514\nstreams = x\n"
	    "tls_ca = /ca.pem\ntls_cert = /c.pem\ntls_key = /k.pem\n", &n), 0);
	ck_assert_int_eq(config_check(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(c.forwards[0].proto, CONFIG_FORWARD_TLS);
	ck_assert_str_eq(c.forwards[0].tls_ca, "/ca.pem");
}
END_TEST

START_TEST(reload_keeps_the_forwarders_and_says_so)
{
	struct config	cur, next;
	char		err[256], changed[256];
	int		n;

	ck_assert_int_eq(load(&cur, "[forward a]\ntarget = tcp://h:1\nstreams = x\n", &n), 0);
	ck_assert_int_eq(config_check(&cur, err, sizeof(err)), 0);
	ck_assert_int_eq(load(&next, "[forward a]\ntarget = tcp://h:2\nstreams = x\n", &n), 0);
	ck_assert_int_eq(config_check(&next, err, sizeof(err)), 0);
	ck_assert_int_eq(config_keep_restart(&next, &cur, changed, sizeof(changed)), 1);
	ck_assert_str_eq(changed, "[forward]");
	ck_assert_uint_eq(next.forwards[0].port, 1);
}
END_TEST

START_TEST(reload_keeps_the_restart_keys_and_names_those_changed)
{
	struct config	cur, next;
	char		err[256], changed[256];

	config_defaults(&cur);
	config_defaults(&next);
	ck_assert_int_eq(config_keep_restart(&next, &cur, changed, sizeof(changed)), 0);
	ck_assert_str_eq(changed, "");
	ck_assert_int_eq(config_set(&next, "daemon", "socket", "/x", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&next, "daemon", "max_streams", "7", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&next, "daemon", "sync", "none", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&next, "defaults", "max_files", "3", err, sizeof(err)), 0);
	ck_assert_int_eq(config_keep_restart(&next, &cur, changed, sizeof(changed)), 2);
	ck_assert_str_eq(changed, "socket, max_streams");
	ck_assert_str_eq(next.socket_path, cur.socket_path);	/* kept */
	ck_assert_uint_eq(next.max_streams, cur.max_streams);
	ck_assert_int_eq(next.sync, CONFIG_SYNC_NONE);		/* applied now */
	ck_assert_uint_eq(next.defaults.max_files, 3);
	/* The same path written over a longer one is no change. */
	ck_assert_int_eq(config_set(&next, "daemon", "log_dir", CONFIG_DEFAULT_LOG_DIR "/longer",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&next, "daemon", "log_dir", CONFIG_DEFAULT_LOG_DIR, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_keep_restart(&next, &cur, changed, sizeof(changed)), 0);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_are_documented_values);
	tcase_add_test(tc, parses_listen_addresses);
	tcase_add_test(tc, reads_control_metrics_and_rate_limit_keys);
	tcase_add_test(tc, reads_every_key);
	tcase_add_test(tc, example_file_gives_exactly_the_defaults);
	tcase_add_test(tc, parses_sizes);
	tcase_add_test(tc, parses_durations);
	tcase_add_test(tc, reports_every_error_with_file_and_line);
	tcase_add_test(tc, two_key_errors_name_each_line_and_the_values_as_written);
	tcase_add_test(tc, a_hash_comment_after_a_value_gets_a_hint);
	tcase_add_test(tc, a_key_in_the_wrong_section_names_its_section);
	tcase_add_test(tc, stream_sections_override_defaults_in_any_order);
	tcase_add_test(tc, stream_section_errors);
	tcase_add_test(tc, parses_allow_lists_by_name_and_number_over_defaults);
	tcase_add_test(tc, allow_list_errors_name_the_item);
	tcase_add_test(tc, parses_file_modes_log_group_and_clock_skew);
	tcase_add_test(tc, parses_the_syslog_section);
	tcase_add_test(tc, parses_daemon_access_keys);
	tcase_add_test(tc, reload_keeps_socket_access_and_user_but_applies_acls);
	tcase_add_test(tc, key_outside_a_section_is_an_error);
	tcase_add_test(tc, overlong_line_is_an_error);
	tcase_add_test(tc, missing_file_is_defaults_only_when_allowed);
	tcase_add_test(tc, flags_use_the_same_setter);
	tcase_add_test(tc, batch_must_be_at_most_a_quarter_of_the_queue);
	tcase_add_test(tc, stream_share_defaults_to_a_quarter_and_is_checked);
	tcase_add_test(tc, enum_values_are_listed_in_the_error);
	tcase_add_test(tc, reload_keeps_the_restart_keys_and_names_those_changed);
	tcase_add_test(tc, reads_a_forward_section_with_its_defaults);
	tcase_add_test(tc, forward_errors_say_what_and_where);
	tcase_add_test(tc, forward_needs_target_and_streams);
	tcase_add_test(tc, reload_keeps_the_forwarders_and_says_so);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(config_suite());
}
