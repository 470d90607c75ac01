/*
 * main.c - logd: options, set-up, the event loop, and shutdown.
 *
 * The daemon's state is one struct daemon, made here and passed explicitly.
 * This thread runs the libevent loop (sockets, decoding, streams, timers,
 * signals); writer.c runs the only other thread.  Shutdown order matters:
 * stop ingest (no new senders, read what is queued in the socket), seal every
 * batch, close the queue, let the writer drain and sync, then exit 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <systemd/sd-daemon.h>

#include "build_config.h"
#include "clock.h"
#include "compress.h"
#include "config.h"
#include "control.h"
#include "diag.h"
#include "forward.h"
#include "logdir.h"
#include "ingest.h"
#include "queue.h"
#include "stats.h"
#include "stream.h"
#include "writer.h"

#define NSIGNALS	5
#define NFLAGS		5	/* flags that set [daemon] keys (struct daemon's flags) */
#define LOGD_STATUS_S	5	/* STATUS= every this many seconds */
#define LOGD_LOCK_FILE	".lock"	/* in the log dir: one logd per log dir */
#define LOGD_QLEN_PATH	"/proc/sys/net/unix/max_dgram_qlen"
#define LOGD_QLEN_WANT	512	/* what systemd sets at boot */

/* user = and group =: whom logd becomes once its sockets are bound. */
struct drop {
	int		 drop;		/* 1: become uid:gid; 0: stay (no user =, or already) */
	uint32_t	 uid;
	uint32_t	 gid;
	char		 name[CONFIG_MAX_USER];
};

struct daemon {
	struct config		 cfg;
	struct drop		 to;
	struct stats		 st;
	struct event_base	*base;
	struct queue		*queue;
	struct stream_table	*streams;
	struct writer		*writer;
	struct compressor	*compressor;
	struct ingest		*ingest;
	struct ingest		*syslog;	/* syslog text, or NULL (syslog_socket unset) */
	int			 ndrained;	/* ingests whose sockets are read to the end */
	struct control		*control;
	struct forwarder	*fwd[CONFIG_MAX_FORWARDS];	/* [forward NAME]: cfg.nforwards */
	struct forward_pins	*pins;		/* what they have not sent: for retention */
	struct event		*ev_sig[NSIGNALS];
	struct event		*ev_wake;
	struct event		*ev_drain;	/* drain_timeout after the first signal */
	struct event		*ev_watchdog;	/* WATCHDOG=1 at half of WATCHDOG_USEC */
	struct event		*ev_status;	/* STATUS= every few seconds */
	uint64_t		 watchdog_ms;
	uint64_t		 status_records;	/* records at the last STATUS= */
	int			 stopping;
	int			 lock_fd;	/* flock()ed <log_dir>/.lock, or -1 */
	/* Where the configuration came from, for SIGHUP. */
	const char		*conf_path;
	int			 conf_given;
	const char		*flags[NFLAGS][2];	/* --socket, --log-dir, --control,
						 * --log-group, --syslog-socket: { key, value } */
};

static const int handled_signals[NSIGNALS] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2 };

static const char usage_text[] =
"Usage: logd [OPTION]...\n"
"Receive log records on a Unix datagram socket and write them to one file per stream.\n"
"\n"
"  -c, --config FILE    read FILE (default " CONFIG_DEFAULT_PATH "; a missing default\n"
"                       file means built-in defaults)\n"
"  -s, --socket PATH    receive on PATH (default " CONFIG_DEFAULT_SOCKET ")\n"
"  -d, --log-dir DIR    write <DIR>/<stream>/current.log (default " CONFIG_DEFAULT_LOG_DIR ")\n"
"      --control PATH   answer logctl on PATH (default " CONFIG_DEFAULT_CONTROL ")\n"
"      --syslog-socket PATH\n"
"                       also receive syslog(3), RFC 3164 and RFC 5424 text on PATH\n"
"                       (such as /dev/log; default: off)\n"
"      --log-group GROUP\n"
"                       give the log dir and what logd creates in it group\n"
"                       GROUP, whose members may read the logs\n"
"      --check-config   check the configuration and the paths it names (the\n"
"                       socket's directory; a log dir the user logd writes as\n"
"                       can write), print every problem, and exit\n"
"  -V, --version        print the version and exit\n"
"  -h, --help           print this help and exit\n"
"\n"
"[forward NAME] sections of the file send streams to a central collector\n"
"(RFC 5424 over TCP, TLS or RELP, at least once; see logd.conf(5)).\n"
"Flags override the file.  SIGTERM or SIGINT: stop receiving, write everything\n"
"received, exit 0; a second one, or drain_timeout passing, exits at once, with\n"
"status 3 if lines were left unwritten.  SIGHUP: reload the configuration,\n"
"reopen files, retry streams that could not be written.  SIGUSR1: print the\n"
"counters and every stream's state to stderr.  SIGUSR2: rotate every stream's\n"
"file now.\n"
"Exit status: 0 success, 1 configuration or start-up error (or a problem\n"
"--check-config found), 2 usage error, 3 stopped before everything was\n"
"written.  See logd(8) and logd.conf(5).\n";

static int
usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "logd: %s '%s'\nTry 'logd --help' for more information.\n", what, arg);
	return 2;
}

/*
 * Loads the file, then the flags over it; *missing if there is no file (the
 * default one: built-in defaults).  Returns 0, or 1 after printing every error.
 */
static int
load_config(struct config *cfg, const char *path, int path_given, const char *flags[][2],
    size_t nflags, int *missing)
{
	char	err[512];
	int	nerrors = 0, rc;
	size_t	i;

	config_defaults(cfg);
	*missing = (rc = config_load(cfg, path, !path_given, &nerrors)) == 1;
	if (rc < 0) {
		fprintf(stderr, "logd: cannot read %s: %s%s\n", path, strerror(-rc),
		    rc == -EISDIR ? " (--config takes a file, such as " CONFIG_DEFAULT_PATH ")" : "");
		return 1;
	}
	for (i = 0; i < nflags; i++) {
		if (flags[i][1] == NULL)
			continue;
		if (config_set(cfg, "daemon", flags[i][0], flags[i][1], err, sizeof(err)) < 0) {
			fprintf(stderr, "logd: --%s: %s\n", flags[i][0], err);
			nerrors++;
		}
	}
	if (nerrors == 0 && config_check(cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "logd: %s: %s\n", path, err);
		nerrors++;
	}
	return nerrors > 0;
}

/*
 * Opens (creating one level if needed, with dir_mode) the log directory;
 * *created if it made it.  log_group is given to it if logd made it, or if
 * it is the (unprivileged) user's own, as systemd's LogsDirectory= is: never
 * to somebody else's directory.  The log dir itself may be a symbolic link
 * (the administrator's choice); nothing in it is ever followed (logdir.h).
 */
static int
open_log_dir(const struct config *cfg, int *out, int *created)
{
	const char	*dir = cfg->log_dir;
	struct stat	 sb;
	int		 fd, rc = 0;

	*created = mkdir(dir, cfg->dir_mode) == 0;
	if (!*created && errno != EEXIST) {
		diag_errno(LOG_ERR, -errno, "cannot create log directory %s%s", dir,
		    errno == ENOENT ? " (its parent does not exist; create it, or choose "
		    "another --log-dir)" : "");
		return -1;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		diag_errno(LOG_ERR, -errno, "cannot open log directory %s", dir);
		return -1;
	}
	if (*created)
		rc = logdir_own(fd, cfg->dir_mode, (gid_t)cfg->log_gid);
	else if (cfg->log_gid != CONFIG_NO_ID && geteuid() != 0 && fstat(fd, &sb) == 0 &&
	    sb.st_uid == geteuid() && sb.st_gid != cfg->log_gid)
		rc = fchown(fd, (uid_t)-1, cfg->log_gid) == 0 ? 0 : -errno;
	if (rc < 0) {
		diag_errno(LOG_ERR, rc, "cannot give log directory %s its %s", dir, *created ?
		    "mode and group" : "group (log_group)");
		close(fd);
		return -1;
	}
	*out = fd;
	return 0;
}

/*
 * One logd per log dir: a second one (on another socket) would go on writing
 * into files the first has renamed and removed, while its senders were told
 * all is well.  So logd holds flock() on <log_dir>/.lock for as long as it
 * runs (the kernel lets go when it exits, however it exits) and writes its
 * pid into the file, for the message a second logd prints.  ".lock" is never
 * a stream: stream names do not start with a dot.
 */
static int
lock_log_dir(int dir_fd, const struct config *cfg, int *out)
{
	struct logdir_perm	 perm = { cfg->dir_mode, cfg->file_mode, (gid_t)-1 };
	const char		*dir = cfg->log_dir;
	char			 buf[32];
	ssize_t			 n;
	int			 fd, len;

	if ((fd = logdir_file(dir_fd, LOGD_LOCK_FILE, O_RDWR, &perm, NULL)) < 0) {
		diag(LOG_ERR, "cannot open %s/%s: %s", dir, LOGD_LOCK_FILE, logdir_strerror(fd));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			diag_errno(LOG_ERR, -errno, "cannot lock %s/%s", dir, LOGD_LOCK_FILE);
		} else {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			diag(LOG_ERR, "log directory %s is in use by another logd (pid %s); stop "
			    "that one, or give this one another --log-dir", dir,
			    buf[0] != '\0' ? buf : "unknown");
		}
		close(fd);
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len)
		diag_errno(LOG_WARNING, -errno, "cannot write logd's pid into %s/%s", dir,
		    LOGD_LOCK_FILE);
	*out = fd;
	return 0;
}

/*
 * user =: resolves whom to become into to.  Already that user and group (a
 * unit's User=): nothing to drop.  Not root: logd cannot, and says so.
 * Returns 0, or -1 after saying why.
 */
static int
drop_target(const struct config *cfg, struct drop *to)
{
	int	rc;

	to->drop = 0;
	if (cfg->user[0] == '\0')
		return 0;
	if ((rc = config_user(cfg->user, &to->uid, &to->gid, to->name)) < 0) {
		diag_errno(LOG_ERR, rc, "user = %s: cannot look the user up", cfg->user);
		return -1;
	}
	if (cfg->group != CONFIG_NO_ID)
		to->gid = cfg->group;
	if (getuid() == to->uid && geteuid() == to->uid && getgid() == to->gid &&
	    getegid() == to->gid)
		return 0;
	if (geteuid() != 0) {
		diag(LOG_ERR, "user = %s: logd runs as uid %ld, not root, so it cannot become "
		    "uid %" PRIu32 " (gid %" PRIu32 "); start it as root, or remove user = and group "
		    "= (under systemd, the unit's User= does this)", cfg->user,
		    (long)geteuid(), to->uid, to->gid);
		return -1;
	}
	to->drop = 1;
	return 0;
}

/*
 * Becomes to's user: its supplementary groups (initgroups(): as login
 * would give them, so access granted to a group of the user's works), then
 * the gid, then the uid; then checks that there is no way back.  All
 * threads change with us (glibc applies set*id to every thread).  -1 after
 * saying why: logd must not go on as root when told not to.
 */
static int
drop_privileges(const struct drop *to)
{
	if (initgroups(to->name, (gid_t)to->gid) < 0 || setgid((gid_t)to->gid) < 0 ||
	    setuid((uid_t)to->uid) < 0) {
		diag_errno(LOG_ERR, -errno, "user = %s: cannot become uid %" PRIu32 ", gid %"
		    PRIu32, to->name, to->uid, to->gid);
		return -1;
	}
	if (setuid(0) == 0 || getuid() != to->uid || geteuid() != to->uid ||
	    getgid() != to->gid || getegid() != to->gid) {
		diag(LOG_ERR, "user = %s: privileges were not dropped (uid %ld, euid %ld, gid "
		    "%ld, egid %ld); stopping", to->name, (long)getuid(), (long)geteuid(),
		    (long)getgid(), (long)getegid());
		return -1;
	}
	diag(LOG_INFO, "running as user %s (uid %" PRIu32 ", gid %" PRIu32 ")", to->name,
	    to->uid, to->gid);
	return 0;
}

/*
 * Before the drop, what logd made as root becomes the user's: the log dir
 * if logd created it now (an existing one is the operator's: it is checked
 * after the drop, never chowned), the lock file, and the control socket
 * (0660: the user answers logctl rotate and reload on it).
 */
static int
drop_give(const struct daemon *d, int log_fd, int created)
{
	const struct drop	*to = &d->to;
	uint32_t		 gid = d->cfg.log_gid != CONFIG_NO_ID ? d->cfg.log_gid : to->gid;

	if ((created && fchown(log_fd, (uid_t)to->uid, (gid_t)gid) < 0) ||
	    fchown(d->lock_fd, (uid_t)to->uid, (gid_t)to->gid) < 0) {
		diag_errno(LOG_ERR, -errno, "user = %s: cannot give %s to uid %" PRIu32,
		    to->name, d->cfg.log_dir, to->uid);
		return -1;
	}
	return 0;
}

/* Whether dir is a directory this process may create files in: 0 or -errno. */
static int
dir_usable(const char *dir)
{
	struct stat	sb;

	if (stat(dir, &sb) < 0)
		return -errno;
	if (!S_ISDIR(sb.st_mode))
		return -ENOTDIR;
	return faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0 ? 0 : -errno;
}

/*
 * dir_usable() for the user to drops to, in a child that becomes it (the
 * kernel's answer, ACLs and all; called before any thread starts); to NULL,
 * or not dropping: as logd is now.
 */
static int
dir_usable_as(const struct drop *to, const char *dir)
{
	pid_t	pid;
	int	status;

	if (to == NULL || !to->drop)
		return dir_usable(dir);
	if ((pid = fork()) < 0)
		return -errno;
	if (pid == 0)
		_exit(initgroups(to->name, (gid_t)to->gid) < 0 || setgid((gid_t)to->gid) < 0 ||
		    setuid((uid_t)to->uid) < 0 ? EPERM : -dir_usable(dir));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? -WEXITSTATUS(status) : -ECHILD;
}

/*
 * The log dir must be writable for the user logd writes as (to's, or its
 * own), or nothing can be logged: every stream would fail.  -1 after saying
 * so: what, where, and what to do.
 */
static int
check_log_dir(const struct config *cfg, const struct drop *to)
{
	char		name[CONFIG_MAX_USER], num[16];
	uint32_t	uid = to != NULL && to->drop ? to->uid : (uint32_t)geteuid(), gid;
	int		rc;

	if ((rc = dir_usable_as(to, cfg->log_dir)) == 0)
		return 0;
	if (rc == -EROFS) {
		diag(LOG_ERR, "log directory %s is on a read-only file system, so nothing could be "
		    "logged; mount it read-write, or choose another log_dir (--log-dir)",
		    cfg->log_dir);
		return -1;
	}
	snprintf(num, sizeof(num), "%" PRIu32, uid);
	if (config_user(num, &uid, &gid, name) < 0)
		snprintf(name, sizeof(name), "%s", num);	/* a uid with no name */
	diag(LOG_ERR, "log directory %s is not writable for %s (uid %" PRIu32 "), whom logd "
	    "writes as (%s), so nothing could be logged; give it write access (chown %s %s), "
	    "or choose another log_dir (--log-dir)", cfg->log_dir, name, uid, strerror(-rc),
	    name, cfg->log_dir);
	return -1;
}

/*
 * log_group: logd gives what it creates to that group, which it can only as
 * root or a member (else every new stream would fail).  -1 after saying so.
 */
static int
check_log_group(const struct config *cfg)
{
	gid_t	*groups;
	int	 n, i, member = 0;

	if (cfg->log_gid == CONFIG_NO_ID || geteuid() == 0 || getegid() == cfg->log_gid)
		return 0;
	if ((n = getgroups(0, NULL)) > 0 && (groups = calloc((size_t)n, sizeof(*groups))) != NULL) {
		n = getgroups(n, groups);
		for (i = 0; i < n; i++)
			member |= groups[i] == (gid_t)cfg->log_gid;
		free(groups);
	}
	if (member)
		return 0;
	diag(LOG_ERR, "log_group = %" PRIu32 ": logd (uid %ld) is not a member of that group, "
	    "so it cannot give the log files to it; add its user to the group (under systemd: "
	    "SupplementaryGroups=), or unset log_group", cfg->log_gid, (long)geteuid());
	return -1;
}

/*
 * --check-config: can logd bind the socket path (option --option) as this
 * user: does its directory exist, can it create files there?  A problem is
 * said as at start; returns 1 if there is one and fatal (the socket logd
 * cannot start without), else 0.
 */
static int
check_socket_path(const char *path, const char *option, int fatal)
{
	char	dir[CONFIG_MAX_PATH], err[512];
	int	rc;

	if ((rc = dir_usable(logdir_parent(path, dir, sizeof(dir)))) == 0) {
		printf("%s %s: ok\n", option, path);
		return 0;
	}
	ingest_bind_error(path, option, rc, err, sizeof(err));
	diag(fatal ? LOG_ERR : LOG_WARNING, "%s%s", err, fatal ? "" : " (logd would start "
	    "without it)");
	return fatal;
}

/*
 * --check-config: what can be known now of the paths logd would use if
 * this user started it (as root: with user =, the user it drops to writes
 * the logs).  What is fine goes to stdout, each problem to stderr, said as
 * logd would say it at start.  Returns the number of problems.
 */
static int
check_paths(const struct config *cfg)
{
	struct drop	to;
	char		parent[CONFIG_MAX_PATH];
	int		n = 0, rc;

	n += check_socket_path(cfg->socket_path, "socket", 1);
	if (cfg->syslog_socket[0] != '\0')
		n += check_socket_path(cfg->syslog_socket, "syslog-socket", 1);
	(void)check_socket_path(cfg->control_path, "control", 0);
	if (drop_target(cfg, &to) < 0)
		return n + 1;
	if ((rc = dir_usable(cfg->log_dir)) != -ENOENT) {
		if (rc == -ENOTDIR) {
			diag(LOG_ERR, "log directory %s is not a directory; choose another log_dir "
			    "(--log-dir)", cfg->log_dir);
			return n + 1;
		}
		if (check_log_dir(cfg, &to) < 0)
			return n + 1;
		printf("log_dir %s: ok (writable for uid %ld)\n", cfg->log_dir,
		    to.drop ? (long)to.uid : (long)geteuid());
		return n;
	}
	/* logd creates it (one level, as the user that starts it), then gives it to user =. */
	if ((rc = dir_usable(logdir_parent(cfg->log_dir, parent, sizeof(parent)))) < 0) {
		diag(LOG_ERR, "cannot create log directory %s: %s %s; %s, or choose another "
		    "log_dir (--log-dir)", cfg->log_dir, parent, rc == -ENOENT ? "does not exist" :
		    strerror(-rc), rc == -ENOENT ? "create it" : "start logd as a user who may "
		    "write there");
		return n + 1;
	}
	printf("log_dir %s: ok (does not exist; logd creates it in %s)\n", cfg->log_dir, parent);
	return n;
}

/*
 * A datagram socket queues at most net.unix.max_dgram_qlen datagrams, read
 * when the socket is made: the kernel's default, 10, unless systemd raised
 * it to 512 at boot (it does, and a socket systemd passes has that).  With
 * 10, a blocking sender waits for logd every few records of a burst, and a
 * non-blocking one drops them.  Says so, once, for a socket logd bound.
 */
static void
check_dgram_qlen(const char *socket_path)
{
	FILE	*f;
	long	 qlen;

	if ((f = fopen(LOGD_QLEN_PATH, "re")) == NULL)
		return;
	if (fscanf(f, "%ld", &qlen) == 1 && qlen < LOGD_QLEN_WANT)
		diag(LOG_NOTICE, "net.unix.max_dgram_qlen is %ld: %s holds at most %ld datagrams "
		    "waiting for logd, so in a burst a blocking sender waits for logd every %ld "
		    "datagrams (records, with liblogd), and a non-blocking one drops what does not "
		    "fit; raise it (sysctl -w net.unix.max_dgram_qlen=%d, and in /etc/sysctl.d/ to "
		    "keep it) and restart logd, or start logd from systemd's logd.socket", qlen,
		    socket_path, qlen, qlen, LOGD_QLEN_WANT);
	fclose(f);
}

/* Open files: one per stream plus a few; ask for the hard limit. */
static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* The counters, on one line after label. */
static void
print_stats(struct daemon *d, int prio, const char *label)
{
	struct queue_stats	qs;
	char			line[1024];

	queue_stats(d->queue, &qs);
	(void)stats_line(&d->st, &qs, line, sizeof(line));
	diag(prio, "%s: %s", label, line);
}

/*
 * The drain did not finish in drain_timeout (a disk that fails every write),
 * or the operator won't wait (a second signal): exits now, with 0 if nothing
 * logd took in is left unwritten (what unwritable streams lost is dropped
 * and counted, not left), else 3 with the count.
 */
static void
exit_now(struct daemon *d, const char *why)
{
	/* The loop's count is current; the writer's can only lag: never negative. */
	uint64_t	left = d->st.lines -
			    stats_get(&d->st, STATS_WRITTEN_LINES) -
			    stats_get(&d->st, STATS_SELF_LINES) -
			    stats_get(&d->st, STATS_LINES_REMOVED);
	int		unread = ingest_pending(d->ingest) ||
			    (d->syslog != NULL && ingest_pending(d->syslog));

	if (left == 0 && !unread) {
		diag(LOG_NOTICE, "%s: nothing taken in is left unwritten; exiting now", why);
		print_stats(d, LOG_INFO, "stopped");
		_exit(0);
	}
	diag(LOG_ERR, "%s: exiting now; %" PRIu64 " line%s not written%s", why, left,
	    left == 1 ? " was" : "s were",
	    unread ? ", and datagrams still in the socket were not read" : "");
	print_stats(d, LOG_INFO, "stopped");
	_exit(3);
}

static int	reload_config(struct daemon *d, char *err, size_t len);

/*
 * SIGHUP: reads the configuration again (telling systemd RELOADING=1, then
 * READY=1).  If it has errors, the one in use
 * stays.  Settings the running daemon is built around (socket, log_dir, the
 * queue's size, batch_bytes, flush_interval, max_streams) take effect at the
 * next start; everything else now.  Then every file is closed and reopened
 * (for logrotate's create + postrotate).  Nothing queued is lost.
 */
static int
reload(struct daemon *d, char *err, size_t len)
{
	int	rc;

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, clock_ms(CLOCK_MONOTONIC) * 1000);
	rc = reload_config(d, err, len);
	sd_notify(0, "READY=1");
	return rc;
}

/* logctl reload: as SIGHUP, with the writer's ticket for the reopening. */
static int
on_control_reload(void *arg, uint64_t *ticket, char *err, size_t len)
{
	struct daemon	*d = arg;

	if (reload(d, err, len) < 0)
		return -1;
	*ticket = writer_request(d->writer, 0);	/* after WRITER_REOPEN: done together */
	return 0;
}

static int
reload_config(struct daemon *d, char *why, size_t why_len)
{
	static struct config	next;
	char			err[512], changed[256];
	int			missing;

	if (load_config(&next, d->conf_path, d->conf_given, d->flags, NFLAGS, &missing) != 0) {
		diag(LOG_ERR, "SIGHUP: %s has errors (above); keeping the configuration in use",
		    d->conf_path);
		(void)stream_log(d->streams, LOG_ERR, "SIGHUP: %s has errors (see logd's standard "
		    "error); kept the configuration in use", d->conf_path);
		snprintf(why, why_len, "%s has errors (logd's standard error lists them); kept "
		    "the configuration in use", d->conf_path);
		return -1;
	}
	if (config_keep_restart(&next, &d->cfg, changed, sizeof(changed)) > 0)
		diag(LOG_NOTICE, "SIGHUP: %s take%s effect at the next start", changed,
		    strchr(changed, ',') != NULL ? "" : "s");
	if (config_check(&next, err, sizeof(err)) < 0) {
		diag(LOG_ERR, "SIGHUP: %s: %s; keeping the configuration in use", d->conf_path,
		    err);
		(void)stream_log(d->streams, LOG_ERR, "SIGHUP: %s: %s; kept the configuration in "
		    "use", d->conf_path, err);
		snprintf(why, why_len, "%s: %s; kept the configuration in use", d->conf_path, err);
		return -1;
	}
	if (writer_reconfigure(d->writer, &next) < 0) {
		diag(LOG_ERR, "SIGHUP: out of memory; keeping the configuration in use");
		snprintf(why, why_len, "out of memory; kept the configuration in use");
		return -1;
	}
	memcpy(&d->cfg, &next, sizeof(next));
	stream_reconfigure(d->streams);
	writer_request(d->writer, WRITER_REOPEN);
	diag(LOG_INFO, "SIGHUP: reloaded %s%s; reopening every file", d->conf_path,
	    missing ? " (not found: built-in defaults)" : "");
	(void)stream_log(d->streams, LOG_INFO, "SIGHUP: reloaded %s%s%s", d->conf_path,
	    changed[0] != '\0' ? "; at the next start: " : "", changed);
	return 0;
}

/*
 * Batches come and go by the thousand: while logd is busy, keep what they
 * free in the heap, up to the queue's budget (glibc would give it back to
 * the kernel at 128 KiB, and every new batch would fault its pages in
 * again: 4% of logd's time with 1 KiB records, a third of it with 16 KiB
 * records), and take even large batches from the heap.  After an idle
 * second the writer gives it all back (malloc_trim), so RSS at rest is
 * logd's base.
 */
static void
keep_heap(uint64_t queue_max_bytes)
{
	(void)mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, queue_max_bytes > INT_MAX ? INT_MAX :
	    (int)queue_max_bytes);
}

static void
on_drained(void *arg)
{
	struct daemon	*d = arg;

	if (++d->ndrained < (d->syslog != NULL ? 2 : 1))
		return;		/* the other socket is still being read */
	/* Everything that was in the sockets is in the batches now. */
	stream_flush_markers(d->streams, 1);
	stream_seal_all(d->streams);
	queue_close(d->queue);
}

static void
on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;
	char		 why[64];

	snprintf(why, sizeof(why), "drain_timeout (%" PRIu64 " ms) passed",
	    d->cfg.drain_timeout_ms);
	exit_now(d, why);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon	*d = arg;
	const char	*name = sig == SIGINT ? "SIGINT" : "SIGTERM";
	struct timeval	 tv = { .tv_sec = (time_t)(d->cfg.drain_timeout_ms / 1000),
			    .tv_usec = (suseconds_t)(d->cfg.drain_timeout_ms % 1000) * 1000 };

	if (sig == SIGUSR1) {
		print_stats(d, LOG_INFO, "SIGUSR1");
		if (d->control != NULL)
			control_dump(d->control);
		return;
	}
	if (sig == SIGHUP) {
		char	err[512];

		(void)reload(d, err, sizeof(err));
		return;
	}
	if (sig == SIGUSR2) {
		diag(LOG_INFO, "SIGUSR2: rotating every stream");
		writer_request(d->writer, WRITER_ROTATE);
		return;
	}
	if (d->stopping) {
		char	why[32];

		snprintf(why, sizeof(why), "%s again", name);
		exit_now(d, why);
	}
	d->stopping = 1;
	compressor_stop(d->compressor);	/* what it was doing waits, whole, for the next start */
	diag(LOG_INFO, "%s: stopping; writing everything received (at most %" PRIu64 " ms)",
	    name, d->cfg.drain_timeout_ms);
	sd_notify(0, "STOPPING=1");
	evtimer_add(d->ev_drain, &tv);
	ingest_stop(d->ingest);		/* no new senders; read what is queued */
	if (d->syslog != NULL)
		ingest_stop(d->syslog);
}

/*
 * WATCHDOG=1, but only while the writer makes progress or waits for work:
 * a writer stuck in one write(2) for a whole watchdog period stops the pings,
 * and systemd restarts logd.
 */
static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;
	uint64_t	 quiet = clock_ms(CLOCK_MONOTONIC) - atomic_load(&d->st.alive_ms);

	if (!atomic_load(&d->st.busy) || quiet < d->watchdog_ms)
		sd_notify(0, "WATCHDOG=1");
	else
		diag(LOG_ERR, "the writer has been stuck for %" PRIu64 " ms; not telling the "
		    "watchdog all is well", quiet);
}

/* STATUS=: a line for systemctl status. */
static void
on_status(evutil_socket_t fd, short what, void *arg)
{
	struct daemon		*d = arg;
	struct queue_stats	 qs;
	struct tm		 tm;
	uint64_t		 records, failed;
	time_t			 since;
	char			 stalled[128], unwritable[48], at[32];
	int			 err;

	queue_stats(d->queue, &qs);
	records = stats_get(&d->st, STATS_RECORDS);
	stalled[0] = '\0';
	if ((err = atomic_load_explicit(&d->st.stall_err, memory_order_relaxed)) != 0) {
		since = (time_t)(atomic_load_explicit(&d->st.stall_since_ms, memory_order_relaxed) /
		    1000);
		gmtime_r(&since, &tm);
		strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(stalled, sizeof(stalled), "stalled: %s since %s; ", strerror(err), at);
	}
	if ((failed = stats_get(&d->st, STATS_UNWRITABLE_STREAMS)) > 0)
		snprintf(unwritable, sizeof(unwritable), "%" PRIu64 " unwritable, ", failed);
	else
		unwritable[0] = '\0';
	sd_notifyf(0, "STATUS=%s%" PRIu64 " streams, %s%" PRIu64 " records/s, queue %" PRIu64
	    "%% full, %" PRIu64 " records in all", stalled, stats_get(&d->st, STATS_STREAMS),
	    unwritable, (records - d->status_records) / LOGD_STATUS_S,
	    qs.used_bytes * 100 / qs.max_bytes, records);
	d->status_records = records;
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct daemon	*d = arg;

	queue_wake_clear(d->queue);
	if (queue_finished(d->queue)) {
		event_base_loopbreak(d->base);
		return;
	}
	if (queue_take_news(d->queue))
		stream_drop_failed(d->streams);	/* their memory, at once */
	if (d->control != NULL)
		control_writer_done(d->control);
	ingest_resume(d->ingest);
	if (d->syslog != NULL)
		ingest_resume(d->syslog);
}

/* The watchdog and STATUS= timers, when systemd asks for them. */
static int
start_notify(struct daemon *d)
{
	struct timeval	tv = { .tv_sec = LOGD_STATUS_S };
	uint64_t	usec;

	atomic_store(&d->st.alive_ms, clock_ms(CLOCK_MONOTONIC));
	if (sd_watchdog_enabled(0, &usec) > 0) {
		d->watchdog_ms = usec / 1000;
		d->ev_watchdog = event_new(d->base, -1, EV_PERSIST, on_watchdog, d);
		tv.tv_sec = (time_t)(usec / 2 / 1000000);
		tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
		if (d->ev_watchdog == NULL || event_add(d->ev_watchdog, &tv) < 0)
			return -1;
		sd_notify(0, "WATCHDOG=1");
	}
	if (getenv("NOTIFY_SOCKET") != NULL) {
		tv.tv_sec = LOGD_STATUS_S;
		tv.tv_usec = 0;
		d->ev_status = event_new(d->base, -1, EV_PERSIST, on_status, d);
		if (d->ev_status == NULL || event_add(d->ev_status, &tv) < 0)
			return -1;
	}
	return 0;
}

/*
 * The forwarders' threads, on the log dir fds in fds (theirs now), after
 * the privileges are dropped: their cursors are the user's.
 */
static int
start_forwarders(struct daemon *d, int *fds)
{
	uint32_t	i;
	int		rc;

	for (i = 0; i < d->cfg.nforwards; i++) {
		rc = forward_start(&d->cfg.forwards[i], fds[i], d->cfg.dir_mode, d->cfg.file_mode,
		    d->pins, &d->fwd[i]);
		fds[i] = -1;
		if (rc < 0)
			return -1;	/* it said why */
	}
	return 0;
}

static int
daemon_run(struct daemon *d)
{
	int	log_fd = -1, rc = 1, created, fd, fwd_fds[CONFIG_MAX_FORWARDS];
	size_t	i;

	for (i = 0; i < CONFIG_MAX_FORWARDS; i++)
		fwd_fds[i] = -1;

	raise_nofile();
	keep_heap(d->cfg.queue_max_bytes);
	signal(SIGPIPE, SIG_IGN);
	if (evthread_use_pthreads() < 0 || (d->base = event_base_new()) == NULL) {
		diag(LOG_ERR, "cannot create the event loop");
		return 1;
	}
	if (drop_target(&d->cfg, &d->to) < 0 || (!d->to.drop && check_log_group(&d->cfg) < 0) ||
	    open_log_dir(&d->cfg, &log_fd, &created) < 0 ||
	    (!d->to.drop && check_log_dir(&d->cfg, NULL) < 0) ||
	    lock_log_dir(log_fd, &d->cfg, &d->lock_fd) < 0 ||
	    (d->to.drop && (drop_give(d, log_fd, created) < 0 ||
	    check_log_dir(&d->cfg, &d->to) < 0)))
		goto out;
	if ((rc = stats_init(&d->st, CONFIG_STREAM_IDS(&d->cfg))) < 0 ||
	    (rc = queue_new(d->cfg.queue_max_bytes, d->cfg.defaults.stream_queue_max_bytes,
	    CONFIG_STREAM_IDS(&d->cfg), &d->queue)) < 0 ||
	    (rc = stream_table_new(d->base, &d->cfg, d->queue, &d->st, &d->streams)) < 0) {
		diag_errno(LOG_ERR, rc, "cannot set up the queue");
		rc = 1;
		goto out;
	}
	rc = 1;
	for (i = 0; i < NSIGNALS; i++) {
		d->ev_sig[i] = evsignal_new(d->base, handled_signals[i], on_signal, d);
		if (d->ev_sig[i] == NULL || evsignal_add(d->ev_sig[i], NULL) < 0) {
			diag(LOG_ERR, "cannot set up signal handling");
			goto out;
		}
	}
	d->ev_wake = event_new(d->base, queue_wake_fd(d->queue), EV_READ | EV_PERSIST, on_wake, d);
	d->ev_drain = evtimer_new(d->base, on_drain_timeout, d);
	if (d->ev_wake == NULL || d->ev_drain == NULL || event_add(d->ev_wake, NULL) < 0) {
		diag(LOG_ERR, "cannot set up the event loop");
		goto out;
	}
	if (ingest_new(d->base, &d->cfg, 0, -1, d->streams, d->queue, &d->st, on_drained, d,
	    &d->ingest) < 0)
		goto out;
	/* Syslog text: systemd's socket named "syslog", or syslog_socket. */
	if (((fd = ingest_syslog_fd(d->ingest)) >= 0 || d->cfg.syslog_socket[0] != '\0') &&
	    ingest_new(d->base, &d->cfg, 1, fd, d->streams, d->queue, &d->st, on_drained, d,
	    &d->syslog) < 0)
		goto out;
	if ((rc = compressor_new(log_fd, &d->cfg, &d->st, &d->compressor)) < 0) {
		diag_errno(LOG_ERR, rc, "cannot set up the compressor");
		rc = 1;
		goto out;
	}
	if (d->cfg.nforwards > 0 && (rc = forward_pins_new(&d->cfg, &d->pins)) < 0) {
		diag_errno(LOG_ERR, rc, "cannot set up the forwarders");
		rc = 1;
		goto out;
	}
	rc = 1;		/* from here on a failure exits 1, and out: closes the queue for the writer */
	for (i = 0; i < d->cfg.nforwards; i++)
		if ((fwd_fds[i] = fcntl(log_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
			diag_errno(LOG_ERR, -errno, "cannot set up the forwarders");
			goto out;
		}
	if (writer_start(d->queue, log_fd, &d->cfg, &d->st, d->compressor, d->pins,
	    &d->writer) < 0) {
		diag(LOG_ERR, "cannot start the writer thread");
		goto out;
	}
	log_fd = -1;	/* the writer's now */
	{
		struct control_env	env = { .base = d->base, .cfg = &d->cfg, .st = &d->st,
					    .streams = d->streams, .q = d->queue,
					    .writer = d->writer, .reload = on_control_reload,
					    .arg = d, .control_fd = ingest_control_fd(d->ingest),
					    .fwd = d->fwd, .nfwd = d->cfg.nforwards };

		if (control_new(&env, &d->control) < 0) {
			diag(LOG_ERR, "cannot set up the control socket: out of memory");
			goto out;
		}
	}
	/* Every socket is bound; the writer has written nothing yet: now or never. */
	if (d->to.drop) {
		if (!ingest_activated(d->ingest) && lchown(d->cfg.control_path,
		    (uid_t)d->to.uid, (gid_t)d->to.gid) < 0 && errno != ENOENT)
			diag_errno(LOG_WARNING, -errno, "user = %s: cannot give control socket %s "
			    "to it; logctl rotate and reload will need root", d->to.name,
			    d->cfg.control_path);
		if (drop_privileges(&d->to) < 0)
			goto out;
	}
	if (d->to.drop && check_log_group(&d->cfg) < 0)
		goto out;
	if (start_forwarders(d, fwd_fds) < 0)
		goto out;
	diag(LOG_INFO, "ready: receiving on %s%s%s%s, writing to %s", d->cfg.socket_path,
	    ingest_activated(d->ingest) ? " (socket from systemd)" : "",
	    d->syslog != NULL ? ", syslog text on " : "",
	    d->syslog != NULL ? ingest_path(d->syslog) : "", d->cfg.log_dir);
	(void)stream_log(d->streams, LOG_INFO, "started: logd %s, pid %ld, configuration %s; "
	    "receiving on %s%s", LOGD_VERSION, (long)getpid(), d->conf_path, d->cfg.socket_path,
	    ingest_activated(d->ingest) ? " (socket from systemd)" : "");
	if (!ingest_activated(d->ingest))
		check_dgram_qlen(d->cfg.socket_path);	/* after ready: advice, not an error */
	if (start_notify(d) < 0)
		goto out;
	sd_notify(0, "READY=1");
	/* Only now what a crash left to compress: it never holds up the start. */
	if ((rc = compressor_start(d->compressor)) < 0) {
		diag_errno(LOG_ERR, rc, "cannot start the compressor thread");
		rc = 1;
		goto out;
	}
	rc = 1;
	if (event_base_dispatch(d->base) < 0) {
		diag(LOG_ERR, "the event loop failed");
		goto out;
	}
	rc = 0;
out:
	if (d->writer != NULL) {
		if (rc != 0)
			queue_close(d->queue);
		writer_join(d->writer);
		print_stats(d, LOG_INFO, "stopped");
	}
	/* After the writer: what it wrote last is on disk for the next start to send. */
	for (i = 0; i < CONFIG_MAX_FORWARDS; i++) {
		forward_stop(d->fwd[i]);
		if (fwd_fds[i] >= 0)
			close(fwd_fds[i]);
	}
	forward_pins_free(d->pins);
	compressor_free(d->compressor);
	control_free(d->control);
	ingest_free(d->syslog);
	ingest_free(d->ingest);
	stream_table_free(d->streams);
	queue_free(d->queue);
	if (d->ev_drain != NULL)
		event_free(d->ev_drain);
	if (d->ev_watchdog != NULL)
		event_free(d->ev_watchdog);
	if (d->ev_status != NULL)
		event_free(d->ev_status);
	if (d->ev_wake != NULL)
		event_free(d->ev_wake);
	for (i = 0; i < NSIGNALS; i++)
		if (d->ev_sig[i] != NULL)
			event_free(d->ev_sig[i]);
	if (log_fd >= 0)
		close(log_fd);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	event_base_free(d->base);
	stats_free(&d->st);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "log-dir", required_argument, NULL, 'd' },
		{ "control", required_argument, NULL, 'K' },
		{ "log-group", required_argument, NULL, 'G' },
		{ "syslog-socket", required_argument, NULL, 'Y' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct daemon	 d = { .flags = { { "socket", NULL }, { "log_dir", NULL },
				    { "control", NULL }, { "log_group", NULL },
				    { "syslog_socket", NULL } }, .lock_fd = -1 };
	const char		*path = CONFIG_DEFAULT_PATH;
	int			 c, path_given = 0, check = 0, missing;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:s:d:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			path_given = 1;
			break;
		case 's':
			d.flags[0][1] = optarg;
			break;
		case 'd':
			d.flags[1][1] = optarg;
			break;
		case 'K':
			d.flags[2][1] = optarg;
			break;
		case 'G':
			d.flags[3][1] = optarg;
			break;
		case 'Y':
			d.flags[4][1] = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'V':
			printf("logd %s\n", LOGD_VERSION);
			return 0;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case ':':
			return usage_error("missing value for option", argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);

	if (load_config(&d.cfg, path, path_given, d.flags, NFLAGS, &missing) != 0)
		return 1;
	d.conf_path = path;
	d.conf_given = path_given;
	if (check) {
		setvbuf(stdout, NULL, _IOLBF, 0);	/* in order with the problems on stderr */
		printf("%s: %s\n", path, missing ? "not found; built-in defaults" : "ok");
		diag_init(0);
		return check_paths(&d.cfg) > 0;
	}
	/* A person reading a terminal does not want "<6>" prefixes. */
	diag_init(!isatty(STDERR_FILENO));
	diag_crash_init();
	return daemon_run(&d);
}
