/*
 * show.c - logctl tail and logctl show (see show.h): the options, a reader
 * per stream (logread.c) merged by time, the output, and following.
 *
 * The merge holds one line of each stream and prints the earliest (on a
 * tie, the stream named first): memory is a line per stream, whatever the
 * files hold.  Within a stream lines keep the order of its files.  A stream
 * with nothing to read now does not hold the others back: following, lines
 * come out as logd writes them, in time order among those there are.
 *
 * Following waits in poll() on one inotify descriptor that watches each
 * stream's directory (a write, a file created, renamed or removed), and
 * reads every stream on each wakeup, and at least once a second in case an
 * event was missed.  Without inotify it looks every SHOW_POLL_MS.
 */
#include "show.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "logline.h"
#include "control.h"
#include "logread.h"
#include "logtime.h"
#include "proto.h"

/*
 * The log dir: --log-dir, else $LOGD_LOG_DIR, else what logd says on its
 * control socket ("log_dir" in the stats reply), else logd's own default.
 */
#define SHOW_DEFAULT_LOG_DIR	"/var/log/logd"
#define SHOW_RECHECK_MS		1000	/* following: read again even without an event */
#define SHOW_POLL_MS		100	/* following without inotify */
#define SHOW_WATCH	(IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)

static const char	tail_usage[] =
"Usage: logctl tail [-n N] [-f] [-p PRIORITY] [--json] [--log-dir DIR] STREAM...\n"
"\n"
"Print the last N lines of each STREAM, then with -f the lines logd writes after\n"
"them, across rotations.  Several streams are merged by time, and each line is\n"
"prefixed with \"STREAM: \".\n"
"\n"
"  -n, --lines N            lines of each stream (default 10), from its archives\n"
"                           too when current.log has fewer\n"
"  -f, --follow             then print lines as logd writes them, until killed\n"
"  -p, --priority PRIORITY  only PRIORITY and more important: emerg alert crit\n"
"                           err warning notice info debug, or 0-7\n"
"      --json               one JSON object a line (text lines are converted)\n"
"      --log-dir DIR        logd's log directory (default $LOGD_LOG_DIR, else the\n"
"                           one logd reports on its control socket, else\n"
"                           " SHOW_DEFAULT_LOG_DIR ")\n"
"\n"
"Exit status: 0 success; 1 something could not be read; 2 usage error.\n"
"See logctl(1).\n";

static const char	show_usage[] =
"Usage: logctl show [-S TIME] [-U TIME] [-p PRIORITY] [-g REGEX] [--json]\n"
"                   [--log-dir DIR] STREAM...\n"
"\n"
"Print the lines of each STREAM in a time range, in time order, from its\n"
"archives (compressed ones too) and current.log.  Several streams are merged\n"
"by time, and each line is prefixed with \"STREAM: \".\n"
"\n"
"  -S, --since TIME         lines at TIME or later\n"
"  -U, --until TIME         lines at TIME or earlier\n"
"  -p, --priority PRIORITY  only PRIORITY and more important: emerg alert crit\n"
"                           err warning notice info debug, or 0-7\n"
"  -g, --grep REGEX         only lines whose message matches REGEX (POSIX\n"
"                           extended, as grep -E)\n"
"      --json               one JSON object a line (text lines are converted)\n"
"      --log-dir DIR        logd's log directory (default $LOGD_LOG_DIR, else the\n"
"                           one logd reports on its control socket, else\n"
"                           " SHOW_DEFAULT_LOG_DIR ")\n"
"\n"
"TIME: 2026-11-25T12:00:00Z (RFC 3339; fraction and offset optional, no offset\n"
"is local time; a blank for T), 2026-11-25 (local midnight), 12:00 (today),\n"
"now, today, yesterday, tomorrow, @SECONDS (since 1970), -1h, +30min,\n"
"\"2 days ago\" (units: us ms s min h d w, or their names).\n"
"\n"
"Exit status: 0 success; 1 something could not be read; 2 usage error.\n"
"See logctl(1).\n";

struct show {
	int			 json;
	int			 prefix;	/* several streams: "STREAM: " before each line */
	int			 failed;	/* something could not be read: exit 1 */
	size_t			 n;
	char			**names;
	struct logread		**r;
	struct logread_line	*lines;		/* each stream's next line ... */
	int			*have;		/* ... if it has one now */
};

static void
report(struct show *s, size_t i, int rc)
{
	const char	*path = logread_path(s->r[i]);

	if (rc == -ESTALE) {
		fprintf(stderr, "logctl: %s was truncated: reading it again from its start\n", path);
		return;
	}
	s->failed = 1;
	if (rc == -ENOENT)
		fprintf(stderr, "logctl: %s was removed before it could be read (retention: "
		    "max_files, max_use); its lines are missing here\n", path);
	else if (rc == -EBADMSG)
		fprintf(stderr, "logctl: %s: not a whole zstd file (corrupt or cut short); "
		    "going on with the next file\n", path);
	else if (rc == -EINVAL)
		fprintf(stderr, "logctl: %s: not a regular file: left out\n", path);
	else
		fprintf(stderr, "logctl: %s: %s\n", path, strerror(-rc));
}

/* Stream i's next line, if it has one now. */
static void
pull(struct show *s, size_t i)
{
	int	rc;

	while ((rc = logread_next(s->r[i], &s->lines[i])) < 0)
		report(s, i, rc);
	s->have[i] = rc;
}

static void
emit(struct show *s, size_t i)
{
	const struct logread_line	*l = &s->lines[i];

	if (l->cut)
		fprintf(stderr, "logctl: %s: a line longer than %u MiB: showing its start only\n",
		    logread_path(s->r[i]), LOGREAD_LINE_MAX >> 20);
	if (!s->json) {
		if (s->prefix)
			printf("%s: ", s->names[i]);
		fwrite(l->text, 1, l->len, stdout);
	} else if (l->parsed && !l->cut && l->f.json) {
		fwrite(l->text, 1, l->len, stdout);	/* logd's JSON line: it has "stream" */
	} else if (l->parsed && !l->cut) {
		logline_write_json(stdout, &l->f, s->names[i]);
	} else {
		/* Not one of logd's lines: as it is. */
		fputs("{\"stream\":", stdout);
		logline_json_string(stdout, s->names[i], strlen(s->names[i]));
		fputs(",\"line\":", stdout);
		logline_json_string(stdout, l->text, l->len);
		fputs(l->cut ? ",\"cut\":true}" : "}", stdout);
	}
	putchar('\n');
}

/* Prints the lines there are now, earliest first. */
static void
merge(struct show *s)
{
	size_t	i, best;

	for (i = 0; i < s->n; i++)
		if (!s->have[i])
			pull(s, i);
	for (;;) {
		best = s->n;
		for (i = 0; i < s->n; i++)
			if (s->have[i] && (best == s->n || s->lines[i].ts_ns < s->lines[best].ts_ns))
				best = i;
		if (best == s->n)
			return;
		emit(s, best);
		pull(s, best);
	}
}

static int
flush_out(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "logctl: cannot write to standard output: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* An inotify descriptor watching each stream's directory, or -1 (said why). */
static int
watch(struct show *s, const char *log_dir)
{
	char	path[PATH_MAX];
	size_t	i;
	int	ifd, n;

	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		goto fail;
	for (i = 0; i < s->n; i++) {
		n = snprintf(path, sizeof(path), "%s/%s", log_dir, s->names[i]);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		if (inotify_add_watch(ifd, path, SHOW_WATCH) < 0)
			goto fail;
	}
	return ifd;
fail:
	fprintf(stderr, "logctl: cannot watch the streams with inotify (%s): looking for new "
	    "lines every %d ms instead\n", strerror(errno), SHOW_POLL_MS);
	if (ifd >= 0)
		close(ifd);
	return -1;
}

/* tail -f: prints lines as they come.  Returns only when it cannot write. */
static void
follow(struct show *s, int ifd)
{
	struct pollfd	pfd = { .fd = ifd, .events = POLLIN };
	char		ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		if (flush_out() < 0)
			return;
		if (poll(&pfd, ifd >= 0 ? 1 : 0, ifd >= 0 ? SHOW_RECHECK_MS : SHOW_POLL_MS) < 0 &&
		    errno != EINTR) {
			fprintf(stderr, "logctl: poll: %s\n", strerror(errno));
			return;
		}
		/* Which stream changed does not matter: each reads on from where it is. */
		while (ifd >= 0 && read(ifd, ev, sizeof(ev)) > 0)
			;
		merge(s);
	}
}

/* A TIME option into *ns: 0, or says what is wrong and returns 2. */
static int
time_arg(const char *opt, const char *arg, int64_t now_ns, int64_t *ns)
{
	int	rc;

	if ((rc = logtime_parse(arg, now_ns, ns)) == 0)
		return 0;
	fprintf(stderr, "logctl: bad time \"%s\" for %s: %s\n", arg, opt, rc == -ERANGE ?
	    "out of range" : "use 2026-11-25T12:00:00Z, 2026-11-25, 12:00, now, today, "
	    "yesterday, -1h, \"2 days ago\" or @SECONDS (see logctl show --help)");
	return 2;
}

/* Opens a reader per stream.  0, or the exit status. */
static int
open_streams(struct show *s, const char *log_dir, const struct logread_filter *flt,
    int follow_, int tail, uint64_t lines)
{
	size_t	i;
	int	dfd, rc = 0, err;

	if ((dfd = open(log_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "logctl: cannot open the log directory %s: %s (--log-dir or "
		    "LOGD_LOG_DIR names another)\n", log_dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < s->n && rc == 0; i++) {
		rc = logread_open(dfd, s->names[i], flt, follow_, &s->r[i]);
		if (rc == -ENOENT)
			fprintf(stderr, "logctl: no stream \"%s\" in %s (no such directory)\n",
			    s->names[i], log_dir);
		else if (rc == -ENOTDIR)
			fprintf(stderr, "logctl: %s/%s is not a directory\n", log_dir, s->names[i]);
		else if (rc < 0)
			fprintf(stderr, "logctl: cannot read stream %s in %s: %s\n", s->names[i],
			    log_dir, strerror(-rc));
		else if (tail && (err = logread_tail(s->r[i], lines)) < 0)
			report(s, i, err);	/* the lines after the file are still shown */
	}
	close(dfd);
	return rc < 0 ? 1 : 0;
}

static void
show_free(struct show *s)
{
	size_t	i;

	for (i = 0; s->r != NULL && i < s->n; i++)
		logread_free(s->r[i]);
	free(s->r);
	free(s->lines);
	free(s->have);
	free(s->names);
}

int
show_main(int argc, char *argv[], int tail)
{
	/* Both commands' options; each takes only its own (tail: n f, show: S U g). */
	static const struct option	opts[] = {
		{ "lines", required_argument, NULL, 'n' },
		{ "follow", no_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "grep", required_argument, NULL, 'g' },
		{ "priority", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "log-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct logread_filter	 flt = { INT64_MIN, INT64_MAX, PROTO_MAX_PRIORITY, NULL };
	struct show		 s;
	const char		*cmd = argv[0], *log_dir = getenv("LOGD_LOG_DIR"), *grep = NULL;
	const char		*own = tail ? "nfpjdh:" : "SUgpjdh:";
	int64_t			 now_ns = (int64_t)clock_ns(CLOCK_REALTIME);
	uint64_t		 lines = 10;
	regex_t			 re;
	char			*end, err[256], asked[PATH_MAX];
	size_t			 j;
	int			 c, rc, follow_ = 0, ifd = -1, idx = -1;

	memset(&s, 0, sizeof(s));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, tail ? ":n:fp:h" : ":S:U:p:g:h", opts, &idx)) != -1) {
		if (idx >= 0 && strchr(own, c) == NULL) {
			snprintf(err, sizeof(err), "--%s", opts[idx].name);
			return cli_usage_error(cmd, "unknown option", err);	/* the other's */
		}
		idx = -1;
		switch (c) {
		case 'n':
			errno = 0;
			lines = strtoull(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || errno != 0)
				return cli_usage_error(cmd, "bad number of lines", optarg);
			break;
		case 'f':
			follow_ = 1;
			break;
		case 'p':
			if ((rc = cli_priority(optarg, &flt.max_priority)) != 0)
				return rc;
			break;
		case 'j':
			s.json = 1;
			break;
		case 'd':
			log_dir = optarg;
			break;
		case 'S':
			if ((rc = time_arg("--since", optarg, now_ns, &flt.since_ns)) != 0)
				return rc;
			break;
		case 'U':
			if ((rc = time_arg("--until", optarg, now_ns, &flt.until_ns)) != 0)
				return rc;
			break;
		case 'g':
			grep = optarg;
			break;
		case 'h':
			fputs(tail ? tail_usage : show_usage, stdout);
			return 0;
		case ':':
			return cli_usage_error(cmd, "missing value for option", argv[optind - 1]);
		default:
			return cli_usage_error(cmd, "unknown option", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return cli_usage_error(cmd, tail ? "tail: no STREAM" : "show: no STREAM", NULL);
	if (flt.since_ns > flt.until_ns) {
		fprintf(stderr, "logctl: --since is after --until: no line can be in between\n");
		return 2;
	}
	if ((s.names = calloc((size_t)(argc - optind), sizeof(*s.names))) == NULL)
		goto nomem;
	for (; optind < argc; optind++) {
		if ((rc = cli_check_stream(argv[optind])) != 0)
			goto out;
		for (j = 0; j < s.n && strcmp(s.names[j], argv[optind]) != 0; j++)
			;
		if (j == s.n)
			s.names[s.n++] = argv[optind];	/* each stream once */
	}
	s.prefix = s.n > 1 && !s.json;
	if (grep != NULL) {
		if ((rc = regcomp(&re, grep, REG_EXTENDED | REG_NOSUB)) != 0) {
			regerror(rc, &re, err, sizeof(err));
			fprintf(stderr, "logctl: bad regular expression \"%s\": %s\n", grep, err);
			rc = 2;
			goto out;
		}
		flt.grep = &re;
	}
	if ((s.r = calloc(s.n, sizeof(*s.r))) == NULL ||
	    (s.lines = calloc(s.n, sizeof(*s.lines))) == NULL ||
	    (s.have = calloc(s.n, sizeof(*s.have))) == NULL)
		goto nomem;
	if ((log_dir == NULL || log_dir[0] == '\0') &&
	    (log_dir = control_log_dir(asked, sizeof(asked))) == NULL)
		log_dir = SHOW_DEFAULT_LOG_DIR;
	if ((rc = open_streams(&s, log_dir, &flt, follow_, tail, lines)) != 0)
		goto out;
	/* Like cat(1): a reader that goes away (| head) ends us quietly. */
	signal(SIGPIPE, SIG_DFL);
	if (follow_)
		ifd = watch(&s, log_dir);	/* before reading: no write can fall in between */
	merge(&s);
	if (follow_)
		follow(&s, ifd);
	rc = flush_out() < 0 || s.failed || follow_ ? 1 : 0;
	goto out;
nomem:
	fprintf(stderr, "logctl: out of memory\n");
	rc = 1;
out:
	if (ifd >= 0)
		close(ifd);
	if (flt.grep != NULL)
		regfree(&re);
	show_free(&s);
	return rc;
}
