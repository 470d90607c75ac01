/*
 * logctl.c - the logd command-line tool: send one record, or pipe lines
 * (standard input, or a command's stdout and stderr) into a stream.
 *
 * cat packs every complete line it already has into as few datagrams as it
 * can (several records per datagram, up to PROTO_MAX_DGRAM) and sends them
 * at once: it never waits for more input to fill a datagram.  A partial
 * line is kept until its newline arrives, or for at most CAT_PARTIAL_MS,
 * after which what there is goes out as a record flagged PROTO_REC_MORE
 * (the line continues in the next record), so nothing sits in logctl while
 * a slow program writes half a line.  Lines longer than one record are
 * split the same way.  Records that cannot be delivered are counted,
 * reported with the next record that gets through, and summed on exit.
 *
 * Every record of a run carries the same tag and key=value fields (-t,
 * --field, the facility of -p FACILITY.LEVEL, and cat's cmd_pid), encoded
 * once into the packer.  With COMMAND, cat sends as the command's pid
 * (SCM_CREDENTIALS) where the kernel lets it (CAP_SYS_ADMIN), else as its
 * own: cmd_pid names the command either way.
 *
 * A lost datagram may hold the next part of a line whose earlier part the
 * daemon has (flagged MORE): the reader would join that part with whatever
 * comes next.  So the next datagram starts with an empty record without
 * MORE that ends the line there (logd-protocol(7)), as liblogd does; it
 * carries no count, and a datagram that fails leaves it due.  What is left
 * of the line goes on as a line of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build_config.h"
#include "cli.h"
#include "clock.h"
#include "control.h"
#include "proto.h"
#include "show.h"
#include "syslog_msg.h"
#include "transport.h"

#define CAT_BUF		65536	/* read buffer per input */
#define CAT_PARTIAL_MS	100	/* a partial line waits at most this long */
#define CAT_CLOSE_WAIT_MS	1000	/* at exit, the loss report waits this long for room */
/* The fields of every record: --field's, encoded; the rest of a datagram is the message's. */
#define FIELDS_MAX	16384
#define OWN_FIELDS_MAX	64	/* and the facility and cmd_pid */

/* After "Usage: " or 7 blanks. */
#define SEND_SYNOPSIS \
"logctl send [-s STREAM] [-p PRIORITY] [-t TAG] [--field KEY=VALUE]...\n" \
"                   [--nonblock] MESSAGE...\n"
#define CAT_SYNOPSIS \
"logctl cat [-s STREAM] [-p PRIORITY] [--stderr-priority PRIORITY] [-t TAG]\n" \
"                  [--field KEY=VALUE]... [--level-prefix] [--nonblock]\n" \
"                  [-- COMMAND [ARG...]]\n"
#define SEND_CAT_OPTIONS \
"  -s, --stream STREAM         1-64 of A-Z a-z 0-9 . _ -, not starting with '.'\n" \
"  -p, --priority PRIORITY     emerg alert crit err warning notice info debug\n" \
"                              (any case), 0-7, or FACILITY.LEVEL as logger(1)\n" \
"                              takes it (local0.warning: the field facility=local0);\n" \
"                              default info\n" \
"  -t, --tag TAG               shown before the message, \"[1234] TAG: message\"\n" \
"                              (JSON: \"ident\"): 1-48 of printable ASCII but ':'\n" \
"                              and '['\n" \
"      --field KEY=VALUE       a field of the record (JSON lines' \"fields\"); KEY is\n" \
"                              1-64 of A-Z a-z 0-9 _; repeatable\n" \
"      --nonblock              never wait for a busy daemon: drop and count instead\n"
#define CAT_OPTIONS \
"      --stderr-priority PRIO  priority of COMMAND's standard error (default err)\n" \
"      --level-prefix          a line that starts with <N> (N 0-7, as sd-daemon(3)\n" \
"                              prefixes) goes at priority N, without the prefix\n"
#define SOCKET_ENV \
"Environment: LOGD_SOCKET is the daemon's socket (default " TRANSPORT_DEFAULT_PATH ").\n"

static const char send_usage[] =
"Usage: " SEND_SYNOPSIS
"\n"
"Send MESSAGE (the arguments joined by blanks) to logd as one record, as\n"
"logger(1) does (default stream \"user\").\n"
"\n"
SEND_CAT_OPTIONS
"\n"
SOCKET_ENV
"Exit status: 0 sent; 1 not delivered; 2 usage error.  See logctl(1).\n";

static const char cat_usage[] =
"Usage: " CAT_SYNOPSIS
"\n"
"Send each line of standard input to logd as a record, as systemd-cat(1) does\n"
"(default stream \"stdin\").  With COMMAND, run it, send the lines of its\n"
"standard output and standard error, and exit with its exit status; the\n"
"stream and the tag are COMMAND's name, and each record has the field\n"
"cmd_pid (and COMMAND's pid on its line where logctl may send as another\n"
"process: with CAP_SYS_ADMIN; else logctl's own).\n"
"\n"
SEND_CAT_OPTIONS
CAT_OPTIONS
"\n"
SOCKET_ENV
"Exit status: 0 success (or COMMAND's status); 1 lines not delivered; 2 usage\n"
"error.  See logctl(1).\n";

static const char usage_text[] =
"Usage: " SEND_SYNOPSIS
"       " CAT_SYNOPSIS
"%s"
"       logctl tail [-n N] [-f] [-p PRIORITY] [--json] [--log-dir DIR] STREAM...\n"
"       logctl show [-S TIME] [-U TIME] [-p PRIORITY] [-g REGEX] [--json]\n"
"                   [--log-dir DIR] STREAM...\n"
"       logctl --help | --version\n"
"\n"
"Send log records to logd, and read the files it writes.\n"
"\n"
"  send     send MESSAGE (the arguments joined by spaces) as one record;\n"
"           default stream \"user\" (logctl send --help)\n"
"  cat      send each line of standard input as a record (default stream \"stdin\");\n"
"           with COMMAND, run it and send its standard output at PRIORITY and its\n"
"           standard error at --stderr-priority (default stream and tag: COMMAND's\n"
"           name), then exit with its exit status (logctl cat --help)\n"
"  stats    logd's counters: a table, --json, or --prometheus (text exposition)\n"
"  streams  every stream: files, bytes on disk, records/s now, last write\n"
"  rotate   rotate the named streams' files now (all without STREAM)\n"
"  reload   re-read logd's configuration and reopen its files (as SIGHUP)\n"
"  tail     print the last lines of streams, then with -f follow them\n"
"           (logctl tail --help)\n"
"  show     print the lines of streams in a time range, archives included\n"
"           (logctl show --help)\n"
"\n"
"Options of send and cat:\n"
SEND_CAT_OPTIONS
"Of cat:\n"
CAT_OPTIONS
"\n"
"Environment: LOGD_SOCKET is the daemon's socket (default " TRANSPORT_DEFAULT_PATH "),\n"
"LOGD_CONTROL its control socket (default " CONTROL_DEFAULT_PATH "; also --control PATH),\n"
"LOGD_LOG_DIR its log directory for tail and show (default /var/log/logd).\n"
"Exit status: 0 success; 1 records could not be delivered (or COMMAND's status),\n"
"logd could not be reached, or files could not be read; 2 usage error.\n"
"See logctl(1).\n";

/* Records bound for the daemon, packed into one datagram at a time. */
struct packer {
	struct transport	t;
	int			nonblock;
	int			warned;		/* the daemon-unreachable message was printed */
	const char		*stream;
	size_t			stream_len;
	const char		*tag;		/* every record's; NULL: none */
	size_t			tag_len;
	uint8_t			kv[FIELDS_MAX + OWN_FIELDS_MAX];	/* every record's fields */
	size_t			kv_len;
	size_t			max_msg;	/* message bytes one record can carry */
	uint8_t			buf[PROTO_MAX_DGRAM];
	size_t			len;		/* bytes in buf, header included; 0 = empty */
	unsigned		nrecords;	/* records in buf */
	uint64_t		report;		/* dropped count the first record in buf carries */
	uint64_t		unreported;	/* lost records not yet reported to the daemon */
	uint64_t		lost;
	/* 1 + priority of a line continued in the next record (MORE), else 0: */
	unsigned		buf_open;	/* after the last record in buf */
	unsigned		open;		/* after the last record the daemon got */
	unsigned		end;		/* open, then a datagram lost: end it first */
};

/*
 * The message bytes one record can carry, leaving room for a dropped-count
 * field in any record and an end record before it.  Call it again after a
 * field is added.  The fields take at most FIELDS_MAX + OWN_FIELDS_MAX.
 */
static void
packer_room(struct packer *p)
{
	struct proto_record	rec = {
		.name = p->stream,
		.name_len = p->stream_len,
		.dropped = 1,
		.tag = p->tag,
		.tag_len = p->tag_len,
		.kv = p->kv,
		.kv_len = p->kv_len,
	};

	p->max_msg = proto_max_msg(&rec) - (PROTO_REC_HDR_SIZE + p->stream_len);
}

/*
 * Adds a key=value field to every record, the fields taking at most limit
 * bytes (<= sizeof(p->kv)): 0, -EINVAL (bad key) or -ENOSPC.
 */
static int
packer_field(struct packer *p, size_t limit, const char *key, size_t key_len, const char *val,
    size_t val_len)
{
	ssize_t	n = proto_encode_kv(p->kv + p->kv_len, limit - p->kv_len, key, key_len, val,
	    val_len);

	if (n < 0)
		return (int)n;
	p->kv_len += (size_t)n;
	return 0;
}

static int
packer_open(struct packer *p, const char *stream, int nonblock)
{
	int	rc;

	if ((rc = transport_open(&p->t)) < 0) {
		fprintf(stderr, "logctl: cannot use socket %s: %s\n",
		    getenv("LOGD_SOCKET") != NULL ? getenv("LOGD_SOCKET") : TRANSPORT_DEFAULT_PATH,
		    strerror(-rc));
		return -1;
	}
	p->nonblock = nonblock;
	p->stream = stream;
	p->stream_len = strlen(stream);
	packer_room(p);
	return 0;
}

/* Starts a datagram in buf: the header, and the end of a line a lost datagram left open. */
static void
packer_start(struct packer *p)
{
	struct proto_record	end = {
		.priority = (uint8_t)(p->end - 1),
		.name = p->stream,
		.name_len = p->stream_len,
		.ts_ns = clock_ns(CLOCK_REALTIME),
	};
	ssize_t			n;

	p->len = (size_t)proto_encode_header(p->buf, sizeof(p->buf));
	p->report = p->unreported;
	p->buf_open = 0;
	if (p->end > 0 && (n = proto_encode_record(p->buf + p->len, sizeof(p->buf) - p->len,
	    &end)) > 0)
		p->len += (size_t)n;
}

/* Sends what is packed.  A failure counts its records (not an end record) as lost. */
static void
packer_flush(struct packer *p)
{
	struct iovec	iov = { .iov_base = p->buf, .iov_len = p->len };
	int		rc;

	if (p->len <= PROTO_HDR_SIZE)
		return;		/* not even an end record */
	if ((rc = transport_send(&p->t, &iov, 1, p->nonblock)) == 0) {
		p->unreported -= p->report;
		p->open = p->buf_open;
		p->end = 0;
	} else {
		p->lost += p->nrecords;
		p->unreported += p->nrecords;
		p->end = p->open;
		if (!p->warned) {
			fprintf(stderr, "logctl: cannot reach logd at %s: %s%s\n",
			    transport_path(&p->t), strerror(-rc),
			    rc == -EAGAIN ? " (the daemon is busy; --nonblock drops records)" :
			    " (is logd running? LOGD_SOCKET selects another socket)");
			p->warned = 1;
		}
	}
	p->len = 0;
	p->nrecords = 0;
	p->report = 0;
}

/* Adds one record (msg must fit max_msg), sending the datagram first if it is full. */
static void
packer_add(struct packer *p, int priority, int more, const void *msg, size_t len)
{
	struct proto_record	rec = {
		.priority = (uint8_t)priority,
		.flags = more ? PROTO_REC_MORE : 0,
		.name = p->stream,
		.name_len = p->stream_len,
		.ts_ns = clock_ns(CLOCK_REALTIME),
		.tag = p->tag,
		.tag_len = p->tag_len,
		.kv = p->kv,
		.kv_len = p->kv_len,
		.msg = msg,
		.msg_len = len,
	};
	ssize_t			n;

	if (p->len == 0)
		packer_start(p);
	if (p->nrecords == 0)
		rec.dropped = p->report;
	n = proto_encode_record(p->buf + p->len, sizeof(p->buf) - p->len, &rec);
	if (n == -ENOSPC) {
		packer_flush(p);
		packer_add(p, priority, more, msg, len);
		return;
	}
	if (n < 0) {
		/* Cannot happen: stream and priority were checked, len <= max_msg. */
		p->lost++;
		p->unreported++;
		return;
	}
	p->len += (size_t)n;
	p->nrecords++;
	p->buf_open = more ? 1u + (unsigned)priority : 0;
}

/* One message of any length: split into records of at most max_msg bytes. */
static void
packer_message(struct packer *p, int priority, int more, const char *msg, size_t len)
{
	size_t	part;

	do {
		part = len > p->max_msg ? p->max_msg : len;
		packer_add(p, priority, more || part < len, msg, part);
		msg += part;
		len -= part;
	} while (len > 0);
}

/*
 * At exit: the end of a line a lost datagram left open, and the losses not
 * yet reported, in a record of their own (as logd_close() does), waiting at
 * most CAT_CLOSE_WAIT_MS for room: then every loss is in the file.
 */
static void
packer_report(struct packer *p)
{
	struct proto_record	rec = {
		.priority = LOG_WARNING,
		.flags = PROTO_REC_REPORT,
		.name = p->stream,
		.name_len = p->stream_len,
		.ts_ns = clock_ns(CLOCK_REALTIME),
		.dropped = p->unreported,
	};
	struct iovec		iov = { .iov_base = p->buf };
	ssize_t			n = 0;

	packer_start(p);
	if (p->unreported > 0 &&
	    (n = proto_encode_record(p->buf + p->len, sizeof(p->buf) - p->len, &rec)) < 0)
		n = 0;
	iov.iov_len = p->len + (size_t)n;
	if (transport_send_within(&p->t, &iov, 1, CAT_CLOSE_WAIT_MS) == 0) {
		p->unreported = 0;
		p->end = 0;
	}
	p->len = 0;
}

/* Exit status for what was lost; prints the summary. */
static int
packer_close(struct packer *p)
{
	packer_flush(p);
	if (p->unreported > 0 || p->end > 0)
		packer_report(p);
	transport_close(&p->t);
	if (p->lost > 0) {
		fprintf(stderr, "logctl: %llu record%s could not be delivered\n",
		    (unsigned long long)p->lost, p->lost == 1 ? "" : "s");
		return 1;
	}
	return 0;
}

/* What send and cat were told on the command line. */
struct opts {
	const char	*stream;
	int		 priority;
	int		 err_priority;	/* cat: COMMAND's standard error */
	int		 nonblock;
	int		 level_prefix;	/* cat: --level-prefix */
};

static int
cmd_send(struct packer *p, int argc, char *argv[], const struct opts *o)
{
	size_t	 len = 0, n;
	char	*msg;
	int	 i, rc;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((msg = malloc(len + 1)) == NULL) {
		fprintf(stderr, "logctl: out of memory\n");
		return 1;
	}
	for (len = 0, i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		memcpy(msg + len, argv[i], n);
		len += n;
		if (i + 1 < argc)
			msg[len++] = ' ';
	}
	if (packer_open(p, o->stream, o->nonblock) < 0) {
		free(msg);
		return 1;
	}
	packer_message(p, o->priority, 0, msg, len);
	rc = packer_close(p);
	free(msg);
	return rc;
}

/* One input of cat: a file descriptor, its priority and its partial line. */
struct input {
	int		fd;
	int		priority;
	int		level_prefix;	/* --level-prefix: a line's <N> is its priority */
	int		line_priority;	/* the priority of the line under way */
	int		midline;	/* a part of the line under way was sent */
	size_t		len;		/* bytes in buf */
	uint64_t	partial_since_ms;	/* when buf began to hold a partial line */
	char		buf[CAT_BUF];
};

/*
 * Packs part of a line (more: the line goes on after it) at the input's
 * priority, or with --level-prefix at the N of a "<N>" (0-7, as sd-daemon(3)
 * writes it) that starts the line, which is taken off.  The parts after
 * the first go at the first's priority.
 */
static void
input_send(struct packer *p, struct input *in, int more, const char *s, size_t len)
{
	if (!in->midline) {
		in->line_priority = in->priority;
		if (in->level_prefix && len >= 3 && s[0] == '<' && s[1] >= '0' &&
		    s[1] <= '0' + PROTO_MAX_PRIORITY && s[2] == '>') {
			in->line_priority = s[1] - '0';
			s += 3;
			len -= 3;
		}
	}
	packer_message(p, in->line_priority, more, s, len);
	in->midline = more;
}

/*
 * Packs every complete line of in->buf and keeps the partial one.  A buffer
 * full without a newline goes out as a continued record.
 */
static void
input_lines(struct packer *p, struct input *in)
{
	char	*start = in->buf, *end = in->buf + in->len, *nl;

	while ((nl = memchr(start, '\n', (size_t)(end - start))) != NULL) {
		input_send(p, in, 0, start, (size_t)(nl - start));
		start = nl + 1;
	}
	in->len = (size_t)(end - start);
	if (in->len == sizeof(in->buf)) {
		input_send(p, in, 1, in->buf, in->len);
		in->len = 0;
	} else if (start != in->buf && in->len > 0) {
		memmove(in->buf, start, in->len);
	}
}

/* Sends a pending partial line: as the line's end at EOF, else as a continued part. */
static void
input_partial(struct packer *p, struct input *in, int eof)
{
	if (in->len == 0)
		return;
	input_send(p, in, !eof, in->buf, in->len);
	in->len = 0;
}

/* Reads the inputs until all are at end of file. */
static void
cat_loop(struct packer *p, struct input *ins, int nins)
{
	struct pollfd	pfd[2];
	uint64_t	now;
	ssize_t		n;
	int		i, open = nins, timeout, had;

	while (open > 0) {
		timeout = -1;
		now = clock_ms(CLOCK_MONOTONIC);
		for (i = 0; i < nins; i++) {
			pfd[i].fd = ins[i].fd;
			pfd[i].events = POLLIN;
			if (ins[i].fd >= 0 && ins[i].len > 0) {
				uint64_t	due = ins[i].partial_since_ms + CAT_PARTIAL_MS;
				int		left = due > now ? (int)(due - now) : 0;

				if (timeout < 0 || left < timeout)
					timeout = left;
			}
		}
		if (poll(pfd, (nfds_t)nins, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "logctl: poll: %s\n", strerror(errno));
			break;
		}
		now = clock_ms(CLOCK_MONOTONIC);
		for (i = 0; i < nins; i++) {
			struct input	*in = &ins[i];

			if (in->fd < 0)
				continue;
			if (pfd[i].revents == 0) {
				if (in->len > 0 && now >= in->partial_since_ms + CAT_PARTIAL_MS)
					input_partial(p, in, 0);
				continue;
			}
			had = in->len > 0;
			n = read(in->fd, in->buf + in->len, sizeof(in->buf) - in->len);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				if (n < 0)
					fprintf(stderr, "logctl: read: %s\n", strerror(errno));
				input_partial(p, in, 1);	/* a last line without newline */
				in->fd = -1;
				open--;
				continue;
			}
			in->len += (size_t)n;
			input_lines(p, in);
			if (in->len > 0 && !had)
				in->partial_since_ms = now;
		}
		/* Never hold complete lines back waiting for more input. */
		packer_flush(p);
	}
	packer_flush(p);
}

static pid_t	child_pid;

/*
 * In the command, before exec: every signal at its default disposition and
 * none blocked, as for a command started by itself (logctl ignores SIGPIPE,
 * and exec keeps what is ignored and the mask).
 */
static void
child_default_signals(void)
{
	struct sigaction	sa;
	sigset_t		none;
	int			sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);	/* SIGKILL, SIGSTOP, libc's own: EINVAL */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

static void
forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static int
cmd_cat(struct packer *p, char *argv[], const struct opts *o)
{
	struct input		*ins;
	struct sigaction	 sa;
	char			 pid[24];
	int			 out[2], err[2], status, rc, nins = 1, saved_errno, n;
	pid_t			 waited;

	if ((ins = calloc(2, sizeof(*ins))) == NULL) {
		fprintf(stderr, "logctl: out of memory\n");
		return 1;
	}
	if (packer_open(p, o->stream, o->nonblock) < 0)
		return 1;
	ins[0].fd = STDIN_FILENO;
	ins[0].priority = o->priority;
	ins[0].level_prefix = ins[1].level_prefix = o->level_prefix;
	if (argv[0] != NULL) {
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
			fprintf(stderr, "logctl: pipe: %s\n", strerror(errno));
			return 1;
		}
		/* Inherited SIG_IGN has the kernel reap the command: no status to wait for. */
		signal(SIGCHLD, SIG_DFL);
		fflush(NULL);
		if ((child_pid = fork()) < 0) {
			fprintf(stderr, "logctl: fork: %s\n", strerror(errno));
			return 1;
		}
		if (child_pid == 0) {
			int	tty_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);

			dup2(out[1], STDOUT_FILENO);
			dup2(err[1], STDERR_FILENO);
			child_default_signals();
			execvp(argv[0], argv);
			saved_errno = errno;
			if (tty_err >= 0)
				dprintf(tty_err, "logctl: cannot run %s: %s\n", argv[0],
				    strerror(saved_errno));
			_exit(saved_errno == ENOENT ? 127 : 126);
		}
		close(out[1]);
		close(err[1]);
		ins[0].fd = out[0];
		ins[1].fd = err[0];
		ins[1].priority = o->err_priority;
		nins = 2;
		/* Its records name the command: a field, and their pid where the kernel lets us. */
		n = snprintf(pid, sizeof(pid), "%ld", (long)child_pid);
		(void)packer_field(p, sizeof(p->kv), "cmd_pid", 7, pid, (size_t)n);	/* fits */
		packer_room(p);
		p->t.as_pid = child_pid;
		/* The terminal's ^C reaches the command itself; we keep reading until it exits. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGQUIT, &sa, NULL);
		sa.sa_handler = forward_signal;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	cat_loop(p, ins, nins);
	rc = packer_close(p);
	if (nins == 2) {
		close(out[0]);
		close(err[0]);
		while ((waited = waitpid(child_pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (waited < 0) {
			fprintf(stderr, "logctl: cannot get the exit status of %s (pid %ld): %s; "
			    "exiting with 1\n", argv[0], (long)child_pid, strerror(errno));
			rc = 1;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			rc = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			rc = 128 + WTERMSIG(status);
	}
	free(ins);
	return rc;
}

static const char *
base_name(const char *path)
{
	const char	*s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/*
 * -p as logger(1) takes it: a priority, or FACILITY.PRIORITY (local0.warning),
 * in any case; the facility (-1: none) in *facility.  0, or says what is
 * wrong and returns 2.
 */
static int
facility_priority(const char *s, int *prio, int *facility)
{
	const char	*dot = strchr(s, '.');
	unsigned	 f;

	*facility = -1;
	if (dot == NULL)
		return cli_priority(s, prio);
	if ((*facility = syslog_facility(s, (size_t)(dot - s))) < 0) {
		fprintf(stderr, "logctl: bad facility \"%.*s\" in \"%s\": use", (int)(dot - s), s,
		    s);
		for (f = 0; syslog_facility_name(f) != NULL; f++)
			fprintf(stderr, " %s", syslog_facility_name(f));
		fputc('\n', stderr);
		return 2;
	}
	return cli_priority(dot + 1, prio);
}

/* --field KEY=VALUE: one more field of every record.  0, or says what is wrong and returns 2. */
static int
add_field(struct packer *p, const char *arg)
{
	const char	*eq = strchr(arg, '=');
	size_t		 key_len, val_len;
	int		 rc;

	if (eq == NULL) {
		fprintf(stderr, "logctl: bad field \"%s\": use KEY=VALUE\n", arg);
		return 2;
	}
	key_len = (size_t)(eq - arg);
	val_len = strlen(eq + 1);
	rc = val_len > FIELDS_MAX ? -ENOSPC : packer_field(p, FIELDS_MAX, arg, key_len, eq + 1,
	    val_len);
	if (rc == -EINVAL) {
		fprintf(stderr, "logctl: bad field key \"%.*s\": use 1-64 of A-Z a-z 0-9 _\n",
		    (int)(key_len < 80 ? key_len : 80), arg);
		return 2;
	}
	if (rc < 0) {
		fprintf(stderr, "logctl: --field: the fields take more than %d bytes\n",
		    FIELDS_MAX);
		return 2;
	}
	return 0;
}

/* logctl send and logctl cat: argv[0] is the command. */
static int
send_cat_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "stream", required_argument, NULL, 's' },
		{ "priority", required_argument, NULL, 'p' },
		{ "tag", required_argument, NULL, 't' },
		{ "field", required_argument, NULL, 'F' },
		{ "stderr-priority", required_argument, NULL, 'E' },
		{ "level-prefix", no_argument, NULL, 'L' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*cmd = argv[0], *tag = NULL, *f;
	struct opts	 o = { .priority = LOG_INFO, .err_priority = LOG_ERR };
	struct packer	*p;
	char		 name[PROTO_MAX_NAME + 1];
	int		 c, rc = 0, send = strcmp(cmd, "send") == 0, facility = -1;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		fprintf(stderr, "logctl: out of memory\n");
		return 1;
	}
	opterr = 0;
	optind = 1;
	/* '+': stop at the first non-option, so COMMAND's own flags stay its own. */
	while (rc == 0 && (c = getopt_long(argc, argv, "+:s:p:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.stream = optarg;
			rc = cli_check_stream(o.stream);
			break;
		case 'p':
			rc = facility_priority(optarg, &o.priority, &facility);
			break;
		case 't':
			tag = optarg;
			if (proto_tag_valid(tag, strlen(tag)) < 0) {
				fprintf(stderr, "logctl: bad tag \"%s\": use 1-%d of printable "
				    "ASCII but ':' and '['\n", tag, PROTO_MAX_TAG);
				rc = 2;
			}
			break;
		case 'F':
			rc = add_field(p, optarg);
			break;
		case 'E':
		case 'L':
			if (send)
				rc = cli_usage_error(cmd, "only logctl cat has option",
				    c == 'E' ? "--stderr-priority" : "--level-prefix");
			else if (c == 'E')
				rc = cli_priority(optarg, &o.err_priority);
			else
				o.level_prefix = 1;
			break;
		case 'n':
			o.nonblock = 1;
			break;
		case 'h':
			fputs(send ? send_usage : cat_usage, stdout);
			free(p);
			return 0;
		case ':':
			rc = cli_usage_error(cmd, "missing value for option", argv[optind - 1]);
			break;
		default:
			rc = cli_usage_error(cmd, "unknown option", argv[optind - 1]);
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (rc == 0 && send && argc == 0)
		rc = cli_usage_error(cmd, "send: no MESSAGE (to send standard input, use "
		    "logctl cat)", NULL);
	if (rc != 0) {
		free(p);
		return rc;
	}
	if (facility >= 0) {
		f = syslog_facility_name((unsigned)facility);
		(void)packer_field(p, sizeof(p->kv), "facility", 8, f, strlen(f));	/* fits */
	}
	/* cat -- COMMAND: the command's name is the stream and the tag, when it makes one. */
	snprintf(name, sizeof(name), "%s", !send && argc > 0 ? base_name(argv[0]) : "");
	if (tag == NULL && proto_tag_valid(name, strlen(name)) == 0)
		tag = name;
	if (o.stream == NULL && send)
		o.stream = "user";
	else if (o.stream == NULL)
		o.stream = proto_name_valid(name, strlen(name)) == 0 ? name : "stdin";
	p->tag = tag;
	p->tag_len = tag != NULL ? strlen(tag) : 0;
	rc = send ? cmd_send(p, argc, argv, &o) : cmd_cat(p, argv, &o);
	free(p);
	return rc;
}

int
main(int argc, char *argv[])
{
	const char	*cmd;

	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		return cli_usage_error(NULL, "missing command (send, cat, tail, show, stats, "
		    "streams, rotate or reload)", NULL);
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		printf(usage_text, control_usage);
		return 0;
	}
	if (control_command(cmd))
		return control_main(argc - 1, argv + 1);
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("logctl %s\n", LOGD_VERSION);
		return 0;
	}
	if (strcmp(cmd, "tail") == 0 || strcmp(cmd, "show") == 0)
		return show_main(argc - 1, argv + 1, cmd[0] == 't');
	if (strcmp(cmd, "send") != 0 && strcmp(cmd, "cat") != 0)
		return cli_usage_error(NULL, "unknown command", cmd);
	return send_cat_main(argc - 1, argv + 1);
}
