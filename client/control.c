/*
 * control.c - logctl stats, streams, rotate and reload (see control.h).
 *
 * One request line to logd's control socket (--control PATH, else
 * $LOGD_CONTROL, else /run/logd/control), one reply line back, both JSON
 * (jansson).  The reply is read whole, up to CONTROL_MAX_REPLY bytes and
 * CONTROL_TIMEOUT_MS of silence, then shown: as it came (--json), as
 * Prometheus text (--prometheus, made by logd, the same as /metrics), or as
 * a table.
 */
#include "control.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

#define CONTROL_MAX_REPLY	(256u * 1024 * 1024)
#define CONTROL_TIMEOUT_MS	30000

const char control_usage[] =
"       logctl stats [--json | --prometheus] [--control PATH]\n"
"       logctl streams [--json] [--control PATH]\n"
"       logctl rotate [--control PATH] [STREAM...]\n"
"       logctl reload [--control PATH]\n";

int
control_command(const char *cmd)
{
	return strcmp(cmd, "stats") == 0 || strcmp(cmd, "streams") == 0 ||
	    strcmp(cmd, "rotate") == 0 || strcmp(cmd, "reload") == 0;
}

/* $LOGD_CONTROL, else the default: the control socket without --control. */
static const char *
control_default_path(void)
{
	const char	*path = getenv("LOGD_CONTROL");

	return path != NULL && path[0] != '\0' ? path : CONTROL_DEFAULT_PATH;
}

/* Connects to path.  The socket, or -1 after saying why (unless quiet). */
static int
control_connect(const char *path, int quiet)
{
	struct sockaddr_un	sa = { .sun_family = AF_UNIX };
	int			fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "logctl: control socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (!quiet)
			fprintf(stderr, "logctl: cannot reach logd's control socket %s: %s (is "
			    "logd running? --control or LOGD_CONTROL selects another)\n", path,
			    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Sends req (taken) and reads the reply line.  The reply, or NULL after
 * saying why (but not that logd cannot be reached, if quiet).
 */
static json_t *
control_call(const char *path, json_t *req, int quiet)
{
	struct pollfd	 pfd;
	json_error_t	 jerr;
	json_t		*reply = NULL;
	char		*line = json_dumps(req, JSON_COMPACT), *buf = NULL, *nl = NULL, *nbuf;
	size_t		 len = 0, cap = 0, off = 0, n;
	ssize_t		 r;
	int		 fd;

	json_decref(req);
	if (line == NULL || (fd = control_connect(path, quiet)) < 0) {
		free(line);
		return NULL;
	}
	n = strlen(line);
	line[n++] = '\n';	/* over the NUL: json_dumps() sized it */
	while (off < n) {
		if ((r = send(fd, line + off, n - off, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "logctl: %s: cannot send: %s\n", path, strerror(errno));
			goto out;
		}
		off += (size_t)r;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (nl == NULL) {
		if (len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > CONTROL_MAX_REPLY || (nbuf = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "logctl: %s: reply too long\n", path);
				goto out;
			}
			buf = nbuf;
		}
		if ((r = poll(&pfd, 1, CONTROL_TIMEOUT_MS)) == 0) {
			fprintf(stderr, "logctl: %s: no reply within %d s\n", path,
			    CONTROL_TIMEOUT_MS / 1000);
			goto out;
		}
		if (r < 0 || (r = recv(fd, buf + len, cap - len, 0)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "logctl: %s: cannot read the reply: %s\n", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0) {
			fprintf(stderr, "logctl: %s: logd closed the connection without a reply\n",
			    path);
			goto out;
		}
		nl = memchr(buf + len, '\n', (size_t)r);
		len += (size_t)r;
	}
	if ((reply = json_loadb(buf, (size_t)(nl - buf), 0, &jerr)) == NULL || !json_is_object(reply))
		fprintf(stderr, "logctl: %s: the reply is not a JSON object: %s\n", path, jerr.text);
out:
	close(fd);
	free(line);
	free(buf);
	return reply;
}

const char *
control_log_dir(char *buf, size_t len)
{
	json_t		*reply = control_call(control_default_path(),
			    json_pack("{s:s}", "cmd", "stats"), 1);
	const char	*dir;

	dir = json_string_value(json_object_get(json_object_get(reply, "stats"), "log_dir"));
	if (dir != NULL)
		snprintf(buf, len, "%s", dir);
	json_decref(reply);
	return dir != NULL ? buf : NULL;
}

/* The reply's error on stderr if it has "ok": false.  Returns the exit status. */
static int
control_status(json_t *reply)
{
	if (reply == NULL)
		return 1;
	if (json_is_true(json_object_get(reply, "ok")))
		return 0;
	fprintf(stderr, "logctl: logd says: %s\n",
	    json_string_value(json_object_get(reply, "error")) != NULL ?
	    json_string_value(json_object_get(reply, "error")) : "(no reason given)");
	return 1;
}

static uint64_t
control_u64(const json_t *o, const char *key)
{
	json_int_t	v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* n bytes for a person: "512 B", "1.5 KiB", "12.0 MiB". */
static const char *
control_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const	units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double				v = (double)n;
	int				i = -1;

	if (n < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", n);
		return buf;
	}
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%.1f %s", v, units[i]);
	return buf;
}

static void
control_print_json(const json_t *v)
{
	char	*s = json_dumps(v, JSON_INDENT(2));

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

/* The reasons in by (an object of counts) that have a count, a line each under their total. */
static void
control_print_reasons(const json_t *by)
{
	const json_t	*v;
	const char	*key;

	json_object_foreach((json_t *)by, key, v)
		if (json_integer_value(v) > 0)
			printf("  %-16s %" PRIu64 "\n", key, control_u64(by, key));
}

static void
control_print_stats(const json_t *st)
{
	const json_t	*dropped = json_object_get(st, "dropped"), *lat, *v, *fwd;
	const char	*key;
	uint64_t	 total = 0;
	char		 a[32], b[32], c[32];

	json_object_foreach((json_t *)dropped, key, v)
		total += control_u64(dropped, key);
	printf("records received   %" PRIu64 "\n", control_u64(st, "records_received"));
	printf("records written    %" PRIu64 "\n", control_u64(st, "records_written"));
	printf("bytes written      %" PRIu64 " (%s)\n", control_u64(st, "bytes_written"),
	    control_bytes(control_u64(st, "bytes_written"), a, sizeof(a)));
	printf("malformed          %" PRIu64 " datagrams\n", control_u64(st, "malformed"));
	control_print_reasons(json_object_get(st, "malformed_by"));
	printf("dropped            %" PRIu64 "\n", total);
	control_print_reasons(dropped);
	printf("queue              %s now, %s at most, of %s\n",
	    control_bytes(control_u64(st, "queue_bytes"), a, sizeof(a)),
	    control_bytes(control_u64(st, "queue_high_water_bytes"), b, sizeof(b)),
	    control_bytes(control_u64(st, "queue_max_bytes"), c, sizeof(c)));
	printf("rotations          %" PRIu64 "\n", control_u64(st, "rotations"));
	printf("fsyncs             %" PRIu64 "\n", control_u64(st, "fsyncs"));
	lat = json_object_get(st, "write_latency_us");
	printf("write latency      p50 %" PRIu64 " us, p99 %" PRIu64 " us (%" PRIu64 " writes)\n",
	    control_u64(lat, "p50"), control_u64(lat, "p99"), control_u64(lat, "count"));
	printf("\n%-24s %12s %12s %12s %10s %10s\n", "STREAM", "RECEIVED", "WRITTEN", "BYTES",
	    "DROPPED", "QUEUE");
	json_object_foreach(json_object_get(st, "streams"), key, v)
		printf("%-24s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n",
		    key, control_u64(v, "records_received"), control_u64(v, "records_written"),
		    control_u64(v, "bytes_written"), control_u64(v, "dropped"),
		    control_u64(v, "queue_bytes"));
	fwd = json_object_get(st, "forwarders");
	if (json_object_size(fwd) == 0)
		return;
	printf("\n%-24s %9s %12s %12s %8s %10s %10s\n", "FORWARDER", "CONNECTED", "SENT",
	    "LAG BYTES", "LAG S", "RECONNECTS", "DUPLICATES");
	json_object_foreach((json_t *)fwd, key, v)
		printf("%-24s %9s %12" PRIu64 " %12" PRIu64 " %8" PRIu64 " %10" PRIu64 " %10" PRIu64
		    "\n", key, control_u64(v, "connected") ? "yes" : "no",
		    control_u64(v, "records_sent"), control_u64(v, "lag_bytes"),
		    control_u64(v, "lag_seconds"), control_u64(v, "reconnects"),
		    control_u64(v, "duplicates"));
}

static void
control_print_streams(const json_t *reply)
{
	const json_t	*v;
	const char	*last, *note = json_string_value(json_object_get(reply, "note"));
	size_t		 i;
	char		 a[32];

	printf("%-24s %6s %10s %10s  %s\n", "STREAM", "FILES", "ON DISK", "RECORDS/S",
	    "LAST WRITE");
	json_array_foreach(json_object_get(reply, "streams"), i, v) {
		last = json_string_value(json_object_get(v, "last_write"));
		printf("%-24s %6" PRIu64 " %10s %10" PRIu64 "  %s%s\n",
		    json_string_value(json_object_get(v, "name")), control_u64(v, "files"),
		    control_bytes(control_u64(v, "disk_bytes"), a, sizeof(a)),
		    control_u64(v, "records_per_s"), last != NULL ? last : "never",
		    json_is_false(json_object_get(v, "writable")) ? "  (cannot be written)" : "");
	}
	if (note != NULL)
		fprintf(stderr, "logctl: %s\n", note);
}

int
control_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*cmd = argv[0], *path = control_default_path();
	json_t		*req, *reply, *names;
	int		 c, json = 0, prom = 0, rc, i;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'P':
			prom = 1;
			break;
		case 'h':
			printf("Usage:\n%s", control_usage);
			return 0;
		case ':':
			return cli_usage_error(cmd, "missing value for option", argv[optind - 1]);
		default:
			return cli_usage_error(cmd, "unknown option", argv[optind - 1]);
		}
	}
	if ((prom && (json || strcmp(cmd, "stats") != 0)) ||
	    (json && strcmp(cmd, "stats") != 0 && strcmp(cmd, "streams") != 0) ||
	    (optind < argc && strcmp(cmd, "rotate") != 0)) {
		fprintf(stderr, "logctl: %s: unexpected %s\nUsage:\n%s", cmd, optind < argc ?
		    "argument" : "option", control_usage);
		return 2;
	}
	req = json_pack("{s:s}", "cmd", cmd);
	if (prom)
		json_object_set_new(req, "format", json_string("prometheus"));
	if (optind < argc) {
		names = json_array();
		for (i = optind; i < argc; i++)
			json_array_append_new(names, json_string(argv[i]));
		json_object_set_new(req, "streams", names);
	}
	reply = control_call(path, req, 0);
	if ((rc = control_status(reply)) != 0) {
		json_decref(reply);
		return rc;
	}
	if (strcmp(cmd, "stats") == 0 && prom)
		fputs(json_string_value(json_object_get(reply, "prometheus")), stdout);
	else if (strcmp(cmd, "stats") == 0 && json)
		control_print_json(json_object_get(reply, "stats"));
	else if (strcmp(cmd, "stats") == 0)
		control_print_stats(json_object_get(reply, "stats"));
	else if (strcmp(cmd, "streams") == 0 && json)
		control_print_json(reply);
	else if (strcmp(cmd, "streams") == 0)
		control_print_streams(reply);
	json_decref(reply);
	return 0;
}
