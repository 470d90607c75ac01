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
#include "transport.h"

#define CAT_BUF		65536	/* read buffer per input */
#define CAT_PARTIAL_MS	100	/* a partial line waits at most this long */
#define CAT_CLOSE_WAIT_MS	1000	/* at exit, the loss report waits this long for room */

static const char usage_text[] =
"Usage: logctl send [-s STREAM] [-p PRIORITY] MESSAGE...\n"
"       logctl cat [-s STREAM] [-p PRIORITY] [--stderr-priority PRIORITY]\n"
"                  [--nonblock] [-- COMMAND [ARG...]]\n"
"%s"
"       logctl tail [-n N] [-f] [-p PRIORITY] [--json] [--log-dir DIR] STREAM...\n"
"       logctl show [-S TIME] [-U TIME] [-p PRIORITY] [-g REGEX] [--json]\n"
"                   [--log-dir DIR] STREAM...\n"
"       logctl --help | --version\n"
"\n"
"Send log records to logd, and read the files it writes.\n"
"\n"
"  send     send MESSAGE (the arguments joined by spaces) as one record;\n"
"           default stream \"user\"\n"
"  cat      send each line of standard input as a record (default stream \"stdin\");\n"
"           with COMMAND, run it and send its standard output at PRIORITY and its\n"
"           standard error at --stderr-priority (default stream: COMMAND's name),\n"
"           then exit with its exit status\n"
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
"  -s, --stream STREAM         1-64 of A-Z a-z 0-9 . _ -, not starting with '.'\n"
"  -p, --priority PRIORITY     emerg alert crit err warning notice info debug,\n"
"                              or 0-7 (default info)\n"
"      --stderr-priority PRIO  priority of COMMAND's standard error (default err)\n"
"      --nonblock              never wait for a busy daemon: drop and count instead\n"
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

static int
packer_open(struct packer *p, const char *stream, int nonblock)
{
	struct proto_record	rec = { .name = stream, .name_len = strlen(stream), .dropped = 1 };
	int			rc;

	if ((rc = transport_open(&p->t)) < 0) {
		fprintf(stderr, "logctl: cannot use socket %s: %s\n",
		    getenv("LOGD_SOCKET") != NULL ? getenv("LOGD_SOCKET") : TRANSPORT_DEFAULT_PATH,
		    strerror(-rc));
		return -1;
	}
	p->nonblock = nonblock;
	p->stream = stream;
	p->stream_len = rec.name_len;
	/* Leave room for a dropped-count field in any record, and an end record before it. */
	p->max_msg = proto_max_msg(&rec) - (PROTO_REC_HDR_SIZE + p->stream_len);
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

static int
cmd_send(int argc, char *argv[], const char *stream, int priority, int nonblock)
{
	struct packer	*p;
	size_t		 len = 0, n;
	char		*msg;
	int		 i, rc;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((msg = malloc(len + 1)) == NULL || (p = calloc(1, sizeof(*p))) == NULL) {
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
	if (packer_open(p, stream, nonblock) < 0) {
		free(msg);
		free(p);
		return 1;
	}
	packer_message(p, priority, 0, msg, len);
	rc = packer_close(p);
	free(msg);
	free(p);
	return rc;
}

/* One input of cat: a file descriptor, its priority and its partial line. */
struct input {
	int		fd;
	int		priority;
	size_t		len;		/* bytes in buf */
	uint64_t	partial_since_ms;	/* when buf began to hold a partial line */
	char		buf[CAT_BUF];
};

/*
 * Packs every complete line of in->buf and keeps the partial one.  A buffer
 * full without a newline goes out as a continued record.
 */
static void
input_lines(struct packer *p, struct input *in)
{
	char	*start = in->buf, *end = in->buf + in->len, *nl;

	while ((nl = memchr(start, '\n', (size_t)(end - start))) != NULL) {
		packer_message(p, in->priority, 0, start, (size_t)(nl - start));
		start = nl + 1;
	}
	in->len = (size_t)(end - start);
	if (in->len == sizeof(in->buf)) {
		packer_message(p, in->priority, 1, in->buf, in->len);
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
	packer_message(p, in->priority, !eof, in->buf, in->len);
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
cmd_cat(char *argv[], const char *stream, int priority, int err_priority, int nonblock)
{
	struct packer		*p;
	struct input		*ins;
	struct sigaction	 sa;
	int			 out[2], err[2], status, rc, nins = 1, saved_errno;
	pid_t			 waited;

	if ((p = calloc(1, sizeof(*p))) == NULL || (ins = calloc(2, sizeof(*ins))) == NULL) {
		fprintf(stderr, "logctl: out of memory\n");
		return 1;
	}
	if (packer_open(p, stream, nonblock) < 0)
		return 1;
	ins[0].fd = STDIN_FILENO;
	ins[0].priority = priority;
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
		ins[1].priority = err_priority;
		nins = 2;
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
	free(p);
	return rc;
}

static const char *
base_name(const char *path)
{
	const char	*s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "stream", required_argument, NULL, 's' },
		{ "priority", required_argument, NULL, 'p' },
		{ "stderr-priority", required_argument, NULL, 'E' },
		{ "nonblock", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char	*cmd, *stream = NULL;
	char		 name[PROTO_MAX_NAME + 1];
	int		 c, priority = 6, err_priority = 3, nonblock = 0, rc;

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
	argc--;
	argv++;
	opterr = 0;
	/* '+': stop at the first non-option, so COMMAND's own flags stay its own. */
	while ((c = getopt_long(argc, argv, "+:s:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			stream = optarg;
			if ((rc = cli_check_stream(stream)) != 0)
				return rc;
			break;
		case 'p':
			if ((rc = cli_priority(optarg, &priority)) != 0)
				return rc;
			break;
		case 'E':
			if ((rc = cli_priority(optarg, &err_priority)) != 0)
				return rc;
			break;
		case 'n':
			nonblock = 1;
			break;
		case 'h':
			printf(usage_text, control_usage);
			return 0;
		case 'V':
			printf("logctl %s\n", LOGD_VERSION);
			return 0;
		case ':':
			return cli_usage_error(NULL, "missing value for option", argv[optind - 1]);
		default:
			return cli_usage_error(NULL, "unknown option", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "send") == 0) {
		if (argc == 0)
			return cli_usage_error(NULL, "send: no MESSAGE (to send standard input, "
			    "use logctl cat)", NULL);
		return cmd_send(argc, argv, stream != NULL ? stream : "user", priority, nonblock);
	}
	if (stream == NULL) {
		stream = "stdin";
		if (argc > 0) {
			/* The command's name, when it makes a valid stream name. */
			snprintf(name, sizeof(name), "%s", base_name(argv[0]));
			if (proto_name_valid(name, strlen(name)) == 0)
				stream = name;
		}
	}
	return cmd_cat(argv, stream, priority, err_priority, nonblock);
}
