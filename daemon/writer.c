/*
 * writer.c - the writer thread (see writer.h).
 *
 * Files are opened O_APPEND, so each write(2) of a batch lands whole at the
 * end even if another process appends too; a short write is continued from
 * where it stopped.  A write that fails part-way through a line (a full
 * disk) has that partial line truncated away before it is retried, so a
 * file only ever holds whole lines.  The file table is indexed by stream id
 * and touched only by this thread.
 *
 * Errors come in two kinds (writer_disk_wide()).  The log dir's file system
 * full, over quota, failing or read-only (and logd out of memory or file
 * descriptors) stalls writing: the batch is kept and retried, every stream
 * waits, nothing is lost.  Any other error is one stream's own (something
 * in the way of its directory or current.log, permissions, a file system of
 * its own): that stream fails alone (writer_fail()).  Its records are
 * dropped and counted, and it is retried 1 s later, then 2, 4... up to 60 s
 * apart (at once on SIGHUP); the first line it gets when it recovers says
 * how many records it lost.  Every other stream goes on as before.
 *
 * Scheduled syncs (sync = interval, and a file closed with unsynced data:
 * rotation) run on a thread of the writer's own, the syncer: fdatasync(2)
 * of a busy file waits for the disk (36-55 ms for 64 MiB on our test VM),
 * and the writer goes on writing meanwhile, as the compressor never holds
 * it up either.  DESIGN.md puts fsync on the writer; the urgent syncs (crit
 * records, sync = always) and shutdown's stay there, done before it goes
 * on.  The syncer gets its own descriptor of each file (a dup(2), or the
 * closed file's), at most WRITER_SYNC_JOBS of them: past that the writer
 * syncs itself, and an interval sync due while the last round is under way
 * waits for it, so nothing goes unsynced.  An urgent sync, a rotation asked
 * for, and a full disk (or EMFILE: its descriptors hold removed files'
 * space) wait for the syncer too.  A rotation by size or age renames the
 * file before its sync is done: a power cut in those milliseconds can cut
 * the archive's last lines, as it can current.log's since the last sync.
 */
#include "writer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "compress.h"
#include "diag.h"
#include "format.h"
#include "forward.h"
#include "logdir.h"
#include "rotate.h"

#define WRITER_BACKOFF_MIN_MS	10
#define WRITER_BACKOFF_MAX_MS	1000
#define WRITER_RETRY_MIN_MS	1000	/* a failed stream is retried after 1 s, */
#define WRITER_RETRY_MAX_MS	60000	/* then twice as long each time, up to a minute */
#define WRITER_GROUP_MAX	64	/* batches written before an urgent sync is done */
#define WRITER_TICK_MS		1000	/* housekeeping: file age, idle files, retries */
#define WRITER_SCAN_MS		60000	/* and the log dir: earlier runs' streams, disk limits */
#define WRITER_SYNCFS_MIN	64	/* more dirty files than this: syncfs(2) them all */
#define WRITER_LINE_MAX		2048	/* one of logd's own lines (format_max_len() <= 1850) */
#define WRITER_SYNC_JOBS	128	/* syncs handed to the syncer and not done yet */
#define WRITER_SYNC_RETRY_MS	20	/* an interval sync waits this long for the last round */

/* One stream's file, by stream id. */
struct wfile {
	int			 fd;		/* current.log, or -1: not open */
	int			 bad_dir;	/* writer_open() failed at the directory */
	int			 dirty;		/* written since the last sync */
	int			 dir_dirty;	/* its directory has a new entry not yet synced */
	int			 torn;		/* ends in a cut line: 2 = end it, 1 = say so */
	int			 json;		/* holds JSON lines (its first line's format) */
	uint64_t		 torn_ns;	/* CLOCK_REALTIME of its last write, at open */
	int			 failed;	/* -errno that failed the stream, 0: writable */
	uint64_t		 mount;		/* current.log's mount (writer_mount()) while open */
	uint64_t		 size;
	uint64_t		 born_ms;	/* CLOCK_REALTIME ms it was created (its age) */
	uint64_t		 used_ms;	/* CLOCK_MONOTONIC ms of its last write */
	uint64_t		 failed_ms;	/* CLOCK_MONOTONIC ms it failed */
	uint64_t		 retry_ms;	/* CLOCK_MONOTONIC ms of its next retry */
	uint64_t		 backoff_ms;	/* the wait before that retry */
	const char		*name;		/* the stream's (the loop's, outlives us) */
	const struct stream_config *sc;		/* in cfg */
};

/* A sync handed to the syncer: what writer_sync() does, on a descriptor of its own. */
struct sync_job {
	int		fd;		/* closed once synced; -1: syncfs(2) the log dir's file system */
	int		dir;		/* and fsync(2) the stream's directory (a new entry) */
	int		log_dir;	/* and the log dir (a new stream directory) */
	char		name[PROTO_MAX_NAME + 1];
};

/* The syncer: a ring of jobs, taken in order by its thread. */
struct syncer {
	pthread_t	thread;
	pthread_mutex_t	lock;
	pthread_cond_t	cond;		/* a job, or stop */
	pthread_cond_t	done;		/* a job done */
	struct sync_job	jobs[WRITER_SYNC_JOBS];
	uint32_t	head, n;	/* n waiting from jobs[head] */
	int		busy;		/* one taken and not done */
	int		stop;		/* finish what is there and end */
	int		running;
};

/* An archive the global limits removed before a forwarder had sent it: said at the next tick. */
struct unsent {
	char		stream[PROTO_MAX_NAME + 1];
	char		archive[ROTATE_NAME_MAX];
	char		who[PROTO_MAX_NAME + 1];
	uint64_t	lines;
};
#define WRITER_MAX_UNSENT	16	/* more in one tick are counted, said together */

struct writer {
	pthread_t		 thread;
	struct queue		*q;
	struct config		*cfg;		/* the writer's own copy */
	struct config *_Atomic	 next_cfg;	/* writer_reconfigure(): to take over */
	_Atomic unsigned	 requests;	/* WRITER_ROTATE, WRITER_REOPEN, ... */
	_Atomic uint8_t		*rotate_marks;	/* by stream id: WRITER_ROTATE_MARKED */
	_Atomic uint64_t	 asked;		/* the loop's last ticket (writer_request()) */
	_Atomic uint64_t	 done;		/* the last ticket handled */
	struct stats		*st;
	struct format_cache	 fc;
	struct format_sender	 self;
	int			 dir_fd;
	uint64_t		 log_mount;	/* the log dir's mount (writer_mount()) */
	struct wfile		*files;		/* by stream id */
	uint32_t		*dirty_ids;	/* the ids with dirty set, ndirty of them */
	uint32_t		 ndirty;
	uint32_t		 nfiles;
	uint32_t		 nfailed;	/* streams failed now */
	uint64_t		 sync_due_ms;	/* sync = interval: when the dirty files are due */
	uint64_t		 tick_ms;	/* next housekeeping */
	int			 log_dir_dirty;	/* log_dir has a new stream directory not yet synced */
	uint64_t		 written_at_tick;	/* batches written, at the last tick */
	uint64_t		 batches;		/* batches written */
	int			 trimmed;	/* memory given back since the last write */
	struct diag_limit	 rotate_limit;	/* a failing rotation is retried often */
	struct diag_limit	 backlog_limit;	/* the compressor's backlog is full */
	uint64_t		 over_said_ms;	/* writer_over_limits() last said so */
	uint64_t		 scan_ms;	/* next writer_scan() and disk limits check */
	struct compressor	*compressor;
	struct forward_pins	*pins;		/* what the forwarders have not sent, or NULL */
	struct unsent		 unsent[WRITER_MAX_UNSENT];
	uint32_t		 nunsent;
	uint64_t		 unsent_more;	/* archives past WRITER_MAX_UNSENT this tick */
	struct syncer		 sy;
};

static int	writer_put(struct writer *w, uint32_t id, const char *buf, size_t len,
		    size_t *done);
static int	writer_rotate(struct writer *w, uint32_t id);
static void	writer_count(struct writer *w, const struct batch *b,
		    const struct batch_loss *held, size_t bytes);

/* Whether the regular file fd of size bytes ends in the middle of a line (a crash cut it). */
static int
writer_torn(int fd, uint64_t size)
{
	char	c;

	return size > 0 && pread(fd, &c, 1, (off_t)size - 1) == 1 && c != '\n';
}

/*
 * Writes buf[*done..len) to fd.  On failure, a partial line at the end of
 * the file is truncated away, and *done set back to the start of that line.
 */
static int
writer_write(int fd, const char *buf, size_t len, size_t *done)
{
	const char	*nl;
	size_t		 start = *done, keep;
	ssize_t		 n;
	off_t		 end;
	int		 rc;

	while (*done < len) {
		n = write(fd, buf + *done, len - *done);
		if (n >= 0) {
			*done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		rc = -errno;
		if (*done > start && buf[*done - 1] != '\n') {
			nl = memrchr(buf + start, '\n', *done - start);
			keep = nl != NULL ? (size_t)(nl + 1 - buf) : start;
			if ((end = lseek(fd, 0, SEEK_END)) >= 0 &&
			    ftruncate(fd, end - (off_t)(*done - keep)) == 0)
				*done = keep;
		}
		return rc;
	}
	return 0;
}

/*
 * Formats one of logd's own lines for stream id into line[WRITER_LINE_MAX],
 * stamped ts_ns: "[logd] <fmt>" at priority prio, or with dropped > 0 the
 * loss marker "[logd] dropped <dropped> records: <fmt>", in the format of
 * the lines already in the file (of the stream's settings for a new file).
 * Returns its length.
 */
static size_t
writer_vformat(struct writer *w, uint32_t id, int prio, uint64_t dropped, uint64_t ts_ns,
    char *line, const char *fmt, va_list ap)
{
	struct wfile		*f = &w->files[id];
	struct proto_record	 rec;
	enum config_format	 format = f->sc->format;
	char			 text[256];

	if (f->fd >= 0 && f->size > 0)
		format = f->json ? CONFIG_FORMAT_JSON : CONFIG_FORMAT_TEXT;
	format_marker(&rec, f->name, strlen(f->name), prio, text,
	    format_own_text(text, sizeof(text), dropped, fmt, ap), dropped);
	stats_inc(w->st, STATS_WRITER_MARKERS);
	return format_line(&w->fc, format, line, &rec, ts_ns, &w->self);
}

static size_t writer_format(struct writer *w, uint32_t id, int prio, uint64_t ts_ns,
    char *line, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static size_t
writer_format(struct writer *w, uint32_t id, int prio, uint64_t ts_ns, char *line,
    const char *fmt, ...)
{
	va_list	ap;
	size_t	len;

	va_start(ap, fmt);
	len = writer_vformat(w, id, prio, 0, ts_ns, line, fmt, ap);
	va_end(ap);
	return len;
}

static int writer_vline(struct writer *w, uint32_t id, int prio, uint64_t dropped,
    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

/* Writes one of logd's own lines (see writer_vformat()) into stream id's file.  0 or -errno. */
static int
writer_vline(struct writer *w, uint32_t id, int prio, uint64_t dropped, const char *fmt,
    va_list ap)
{
	char	line[WRITER_LINE_MAX];

	size_t	len = writer_vformat(w, id, prio, dropped, clock_ns(CLOCK_REALTIME), line, fmt,
		    ap);

	return writer_put(w, id, line, len, NULL);
}

static int writer_line(struct writer *w, uint32_t id, int prio, uint64_t dropped,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
writer_line(struct writer *w, uint32_t id, int prio, uint64_t dropped, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = writer_vline(w, id, prio, dropped, fmt, ap);
	va_end(ap);
	return rc;
}

static int writer_log(struct writer *w, int prio, uint64_t dropped, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void	writer_fail(struct writer *w, uint32_t id, int err, const struct batch_loss *held);

/*
 * One of logd's own lines (see writer_format()) into logd's own stream.  If
 * that stream cannot be written, the loss it reports is counted instead.
 */
static int
writer_log(struct writer *w, int prio, uint64_t dropped, const char *fmt, ...)
{
	struct batch_loss	held = { .reported = dropped };
	va_list			ap;
	int			rc;

	if (w->files[CONFIG_SELF_ID].failed) {
		(void)queue_add_lost(w->q, CONFIG_SELF_ID, dropped);
		return 0;
	}
	va_start(ap, fmt);
	rc = writer_vline(w, CONFIG_SELF_ID, prio, dropped, fmt, ap);
	va_end(ap);
	if (rc < 0)
		writer_fail(w, CONFIG_SELF_ID, rc, &held);
	return rc;
}

/*
 * Which mount a file is on: its mount id where the kernel tells it (a
 * read-only bind mount of a stream's directory shares the log dir's device
 * but is a mount of its own), else its device.
 */
static uint64_t
writer_mount_of(const struct statx *stx)
{
	if (stx->stx_mask & STATX_MNT_ID)
		return stx->stx_mnt_id;
	return makedev(stx->stx_dev_major, stx->stx_dev_minor);
}

/* The mount (writer_mount_of()) and type of path in dfd ("" for dfd itself).  0 or -errno. */
static int
writer_mount(int dfd, const char *path, uint64_t *mount, mode_t *mode)
{
	struct statx	stx;

	if (statx(dfd, path, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MNT_ID,
	    &stx) < 0)
		return -errno;
	*mount = writer_mount_of(&stx);
	*mode = stx.stx_mode;
	return 0;
}

/* When the file stx describes was created (CLOCK_REALTIME ms), or 0 if unknown. */
static uint64_t
writer_born_ms(const struct statx *stx)
{
	if (!(stx->stx_mask & STATX_BTIME))
		return 0;
	return (uint64_t)stx->stx_btime.tv_sec * 1000 + stx->stx_btime.tv_nsec / 1000000;
}

/*
 * fd is stream id's current.log from now on: notes its size, age, file
 * system and format, and whether it ends in a torn line.  Closes fd and
 * returns -errno if it cannot be looked at.
 */
static int
writer_take(struct writer *w, uint32_t id, int fd)
{
	struct wfile	*f = &w->files[id];
	struct statx	 stx;
	char		 c;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE | STATX_BTIME | STATX_MTIME |
	    STATX_MNT_ID, &stx) < 0) {
		close(fd);
		return -errno;
	}
	f->fd = fd;
	f->size = stx.stx_size;
	f->mount = writer_mount_of(&stx);
	/* A file holds one format: its first line's. */
	f->json = f->size > 0 && pread(fd, &c, 1, 0) == 1 && c == '{';
	f->torn = writer_torn(fd, f->size) ? 2 : 0;
	/* The torn line's marker is stamped with the file's last write, so times stay in order. */
	f->torn_ns = (uint64_t)stx.stx_mtime.tv_sec * 1000000000u + stx.stx_mtime.tv_nsec;
	/* The file's age counts from its creation, where the file system knows it. */
	if ((f->born_ms = writer_born_ms(&stx)) == 0)
		f->born_ms = clock_ms(CLOCK_REALTIME);
	return 0;
}

/* The mode and group of what the writer creates. */
static struct logdir_perm
writer_perm(const struct writer *w)
{
	return (struct logdir_perm){ w->cfg->dir_mode, w->cfg->file_mode, (gid_t)w->cfg->log_gid };
}

/*
 * Creates <stream>/ if needed, opens <stream>/current.log for appending,
 * and takes it (writer_take()).  Neither is ever a symbolic link, nor
 * current.log anything but a regular file (logdir.h); f->bad_dir says which
 * of the two an error is about.
 */
static int
writer_open(struct writer *w, uint32_t id)
{
	struct wfile		*f = &w->files[id];
	struct logdir_perm	 perm = writer_perm(w);
	int			 dfd, fd, rc = 0, created_dir, created;

	if ((f->bad_dir = (dfd = logdir_dir(w->dir_fd, f->name, &perm, &created_dir)) < 0))
		return dfd;
	w->log_dir_dirty |= created_dir;
	if ((fd = logdir_file(dfd, "current.log", O_RDWR | O_APPEND, &perm, &created)) < 0) {
		rc = fd;
		goto out;
	}
	f->dir_dirty |= created;	/* a new name: durable with the file's next sync */
	rc = writer_take(w, id, fd);
out:
	close(dfd);
	return rc;
}

/*
 * current.log ends in a line a crash cut short: ends that line, then says
 * so, before anything else is written.  Each step once, however often it
 * is retried.
 */
static int
writer_end_torn(struct writer *w, uint32_t id)
{
	struct wfile	*f = &w->files[id];
	char		 line[WRITER_LINE_MAX];
	size_t		 len, done = 0;
	int		 rc;

	if (f->torn == 2) {
		if ((rc = writer_write(f->fd, "\n", 1, &done)) < 0)
			return rc;
		f->size++;
		f->torn = 1;
		done = 0;
	}
	len = writer_format(w, id, LOG_WARNING, f->torn_ns, line, "previous run ended uncleanly; "
	    "the line before this one was cut short");
	if ((rc = writer_write(f->fd, line, len, &done)) < 0)
		return rc;
	f->size += len;
	f->torn = 0;
	return 0;
}

/* For the watchdog: the writer is making progress. */
static void
writer_alive(struct writer *w)
{
	atomic_store_explicit(&w->st->alive_ms, clock_ms(CLOCK_MONOTONIC), memory_order_relaxed);
}

static void
writer_sleep_ms(unsigned ms)
{
	struct timespec	ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Records that id's file has unsynced data. */
static void
writer_dirty(struct writer *w, uint32_t id)
{
	if (w->files[id].dirty)
		return;
	if (w->ndirty == 0)
		w->sync_due_ms = clock_ms(CLOCK_MONOTONIC) + w->cfg->sync_interval_ms;
	w->files[id].dirty = 1;
	w->dirty_ids[w->ndirty++] = id;
}

/*
 * The sync of id's file through descriptor fd (UINT32_MAX and -1: of the
 * whole file system), with the names created since the last sync:
 * current.log in its directory, the directory in log_dir.  Creating a file
 * costs no sync of its own, so ten thousand new streams cost no twenty
 * thousand syncs.  Those names count as synced from now.
 */
static struct sync_job
writer_sync_job(struct writer *w, uint32_t id, int fd)
{
	struct sync_job	j = { .fd = fd, .log_dir = w->log_dir_dirty };

	if (id != UINT32_MAX) {
		j.dir = w->files[id].dir_dirty;
		snprintf(j.name, sizeof(j.name), "%s", w->files[id].name);
		w->files[id].dir_dirty = 0;
	}
	w->log_dir_dirty = 0;
	return j;
}

/* Does job j, on the syncer or on the writer; a failure is said, not retried. */
static void
sync_job_run(struct writer *w, const struct sync_job *j)
{
	int	dfd;

	if (j->fd < 0 && syncfs(w->dir_fd) < 0)
		diag_errno(LOG_ERR, -errno, "cannot sync the log directory's file system");
	else if (j->fd >= 0 && fdatasync(j->fd) < 0)
		diag_errno(LOG_ERR, -errno, "stream %s: cannot sync current.log", j->name);
	stats_add_shared(w->st, STATS_FSYNCS, 1);
	if (j->dir && (dfd = logdir_dir(w->dir_fd, j->name, NULL, NULL)) >= 0) {
		if (fsync(dfd) < 0)
			diag_errno(LOG_ERR, -errno, "stream %s: cannot sync its directory", j->name);
		close(dfd);
	}
	if (j->log_dir && fsync(w->dir_fd) < 0)
		diag_errno(LOG_ERR, -errno, "cannot sync the log directory");
}

static void *
syncer_main(void *arg)
{
	struct writer	*w = arg;
	struct syncer	*sy = &w->sy;
	struct sync_job	 j;

	pthread_mutex_lock(&sy->lock);
	for (;;) {
		while (sy->n == 0 && !sy->stop)
			pthread_cond_wait(&sy->cond, &sy->lock);
		if (sy->n == 0)
			break;
		j = sy->jobs[sy->head];
		sy->head = (sy->head + 1) % WRITER_SYNC_JOBS;
		sy->n--;
		sy->busy = 1;
		pthread_mutex_unlock(&sy->lock);
		sync_job_run(w, &j);
		if (j.fd >= 0)
			close(j.fd);
		pthread_mutex_lock(&sy->lock);
		sy->busy = 0;
		pthread_cond_signal(&sy->done);
	}
	pthread_mutex_unlock(&sy->lock);
	return NULL;
}

/* Whether the syncer has nothing waiting or under way. */
static int
syncer_idle(struct writer *w)
{
	int	idle;

	pthread_mutex_lock(&w->sy.lock);
	idle = w->sy.n == 0 && !w->sy.busy;
	pthread_mutex_unlock(&w->sy.lock);
	return idle;
}

/*
 * Waits until the syncer has done what it holds: its descriptors keep
 * removed files' space, and count against RLIMIT_NOFILE.  Whether it held
 * anything.
 */
static int
syncer_drain(struct writer *w)
{
	struct syncer	*sy = &w->sy;
	int		 held;

	pthread_mutex_lock(&sy->lock);
	held = sy->n > 0 || sy->busy;
	while (sy->n > 0 || sy->busy)
		pthread_cond_wait(&sy->done, &sy->lock);
	pthread_mutex_unlock(&sy->lock);
	return held;
}

/* Hands j (its fd the syncer's from now) to the syncer.  0, or -EAGAIN: it is full or gone. */
static int
syncer_add(struct writer *w, const struct sync_job *j)
{
	struct syncer	*sy = &w->sy;
	int		 rc = -EAGAIN;

	pthread_mutex_lock(&sy->lock);
	if (sy->running && !sy->stop && sy->n < WRITER_SYNC_JOBS) {
		sy->jobs[(sy->head + sy->n++) % WRITER_SYNC_JOBS] = *j;
		pthread_cond_signal(&sy->cond);
		rc = 0;
	}
	pthread_mutex_unlock(&sy->lock);
	return rc;
}

/* Lets the syncer finish what it has, and ends it: every later sync is the writer's. */
static void
syncer_stop(struct writer *w)
{
	if (!w->sy.running)
		return;
	pthread_mutex_lock(&w->sy.lock);
	w->sy.stop = 1;
	pthread_cond_signal(&w->sy.cond);
	pthread_mutex_unlock(&w->sy.lock);
	pthread_join(w->sy.thread, NULL);
	w->sy.running = 0;
}

/* Syncs id's open file, on the writer. */
static void
writer_sync(struct writer *w, uint32_t id)
{
	struct sync_job	j = writer_sync_job(w, id, w->files[id].fd);

	sync_job_run(w, &j);
}

/*
 * Syncs id's file through fd (see writer_sync_job()) and closes fd: on the
 * syncer if later and it can take it, else here.
 */
static void
writer_sync_close(struct writer *w, uint32_t id, int fd, int later)
{
	struct sync_job	j = writer_sync_job(w, id, fd);

	if (!later || syncer_add(w, &j) < 0) {
		sync_job_run(w, &j);
		if (fd >= 0)
			close(fd);
	}
}

/*
 * Syncs every dirty file (more than WRITER_SYNCFS_MIN: one syncfs(2) beats
 * thousands of fdatasync(2)s).  later (sync = interval): on the syncer,
 * through descriptors of its own, once it is done with the last round.
 */
static void
writer_sync_dirty(struct writer *w, int later)
{
	uint32_t	i, id;
	int		fd;

	if (later && !syncer_idle(w)) {
		w->sync_due_ms = clock_ms(CLOCK_MONOTONIC) + WRITER_SYNC_RETRY_MS;
		return;
	}
	for (i = 0; i < w->ndirty; i++) {
		id = w->dirty_ids[i];
		w->files[id].dirty = 0;
		if (w->ndirty > WRITER_SYNCFS_MIN)
			w->files[id].dir_dirty = 0;
		else if (w->files[id].fd < 0)
			continue;
		else if (later && (fd = fcntl(w->files[id].fd, F_DUPFD_CLOEXEC, 0)) >= 0)
			writer_sync_close(w, id, fd, 1);
		else
			writer_sync(w, id);
	}
	if (w->ndirty > WRITER_SYNCFS_MIN)
		writer_sync_close(w, UINT32_MAX, -1, later);
	w->ndirty = 0;
}

/*
 * Syncs (if dirty: it stays on the dirty list, found closed there) and
 * closes id's file; the next write opens current.log again.  later: the
 * sync may be the syncer's, unless the descriptor is needed back at once.
 */
static void
writer_close(struct writer *w, uint32_t id, int later)
{
	struct wfile	*f = &w->files[id];

	if (f->fd < 0)
		return;
	if (f->dirty)
		writer_sync_close(w, id, f->fd, later);
	else
		close(f->fd);
	f->fd = -1;
}

/*
 * Out of file descriptors: closes the open file unused longest (but id's).
 * Returns whether it closed one.
 */
static int
writer_close_idlest(struct writer *w, uint32_t id)
{
	uint32_t	i, best = UINT32_MAX;

	for (i = 0; i < w->nfiles; i++)
		if (i != id && w->files[i].fd >= 0 &&
		    (best == UINT32_MAX || w->files[i].used_ms < w->files[best].used_ms))
			best = i;
	if (best == UINT32_MAX)
		return 0;
	writer_close(w, best, 0);	/* its descriptor is needed now */
	return 1;
}

/*
 * rotate_global() is about to remove archive name of stream: if a
 * forwarder has not sent it, that is a loss, counted (its lines) and said
 * on stderr now and in a line of the stream at the next tick.
 */
static void
writer_removing(void *arg, const char *stream, const char *name)
{
	struct writer	*w = arg;
	struct unsent	*u;
	char		 who[PROTO_MAX_NAME + 1];
	uint64_t	 lines = 0;
	int64_t		 ns, pin = forward_pinned(w->pins, stream, who);
	int		 dfd;

	if (pin == INT64_MAX || rotate_archive_time(name, &ns) < 0 || ns < pin)
		return;
	if ((dfd = logdir_dir(w->dir_fd, stream, NULL, NULL)) >= 0) {
		(void)rotate_count_lines(dfd, name, &lines);
		close(dfd);
	}
	stats_inc(w->st, STATS_ARCHIVES_UNFORWARDED);
	stats_add(w->st, STATS_LINES_UNFORWARDED, lines);
	diag(LOG_WARNING, "stream %s: archive %s (%" PRIu64 " lines) removed before [forward %s] "
	    "sent it: the log dir is over max_use or short of keep_free", stream, name, lines,
	    who);
	if (w->nunsent == WRITER_MAX_UNSENT) {
		w->unsent_more++;
		return;
	}
	u = &w->unsent[w->nunsent++];
	snprintf(u->stream, sizeof(u->stream), "%s", stream);
	snprintf(u->archive, sizeof(u->archive), "%s", name);
	snprintf(u->who, sizeof(u->who), "%s", who);
	u->lines = lines;
}

/*
 * The lines about what writer_removing() heard: in the stream's own file
 * (so the collector hears of it too) where this run has the stream and it
 * is writable, else in logd's own.
 */
static void
writer_say_unsent(struct writer *w)
{
	struct unsent	u[WRITER_MAX_UNSENT];
	uint32_t	n = w->nunsent, i, id;
	uint64_t	more = w->unsent_more;

	memcpy(u, w->unsent, n * sizeof(u[0]));	/* saying it may rotate, and remove more */
	w->nunsent = 0;
	w->unsent_more = 0;
	for (i = 0; i < n; i++) {
		for (id = 1; id < w->nfiles; id++)
			if (w->files[id].name != NULL && strcmp(w->files[id].name, u[i].stream) == 0)
				break;
		if (id < w->nfiles && !w->files[id].failed &&
		    writer_line(w, id, LOG_WARNING, 0, "archive %s (%" PRIu64 " lines) was removed "
		    "before [forward %s] sent it: the log dir is over max_use or short of "
		    "keep_free", u[i].archive, u[i].lines, u[i].who) == 0)
			continue;
		(void)writer_log(w, LOG_WARNING, 0, "stream %s: archive %s (%" PRIu64 " lines) was "
		    "removed before [forward %s] sent it: the log dir is over max_use or short of "
		    "keep_free", u[i].stream, u[i].archive, u[i].lines, u[i].who);
	}
	if (more > 0)
		(void)writer_log(w, LOG_WARNING, 0, "%" PRIu64 " more archives were removed before "
		    "the forwarders sent them (see logd's standard error)", more);
}

/*
 * The disk is full: makes room by removing the oldest archives of any
 * stream.  Returns how many it removed, adding to *n and *bytes.
 */
static int
writer_make_room(struct writer *w, uint64_t *n, uint64_t *bytes)
{
	int	over, removed = rotate_global(w->dir_fd, w->cfg->max_use, w->cfg->keep_free, 1,
		    bytes, &over, writer_removing, w);

	*n += (uint64_t)removed;
	stats_add(w->st, STATS_ARCHIVES_REMOVED, (uint64_t)removed);
	return removed;
}

/*
 * Whether err, met writing stream id, is the disk's rather than the
 * stream's: the log dir's file system is full, over quota, failing or
 * read-only, or logd is out of memory or file descriptors.  Those stall
 * every stream, so they are waited out; any other error, or one of these
 * on a file system mounted for this stream alone, is the stream's own.
 */
static int
writer_disk_wide(struct writer *w, uint32_t id, int err)
{
	struct wfile	*f = &w->files[id];
	uint64_t	 mount;
	mode_t		 mode;

	switch (err) {
	case -ENOMEM:
	case -EMFILE:
	case -ENFILE:
		return 1;
	case -ENOSPC:
	case -EDQUOT:
	case -EIO:
	case -EROFS:
		break;
	default:
		return 0;
	}
	if (f->fd >= 0)
		return f->mount == w->log_mount;
	if (writer_mount(w->dir_fd, f->name, &mount, &mode) == 0 && S_ISDIR(mode))
		return mount == w->log_mount;
	return 1;	/* the stream's directory is still to be made, in the log dir */
}

/* One episode of failing writes that are waited out (see writer_put()). */
struct writer_stall {
	int		err;		/* the first error, 0: no stall */
	uint64_t	since_ms;	/* CLOCK_MONOTONIC */
	uint64_t	removed;	/* archives removed to make room */
	uint64_t	freed;		/* their bytes */
};

/* A write to id failed with the disk-wide err: the stall starts (once). */
static void
writer_stall(struct writer *w, uint32_t id, struct writer_stall *s, int err)
{
	if (s->err != 0)
		return;
	s->err = err;
	s->since_ms = clock_ms(CLOCK_MONOTONIC);
	stats_inc(w->st, STATS_STALLS);
	atomic_store_explicit(&w->st->stall_since_ms, clock_ms(CLOCK_REALTIME),
	    memory_order_relaxed);
	atomic_store_explicit(&w->st->stall_err, -err, memory_order_relaxed);
	diag_errno(LOG_ERR, err, "stream %s: cannot write %s/%s/current.log; keeping its "
	    "records and retrying every %u ms until it works", w->files[id].name,
	    w->cfg->log_dir, w->files[id].name, WRITER_BACKOFF_MAX_MS);
}

/*
 * The stall s of stream id is over: if written, says how long it lasted in
 * the stream and in logd's own, and what a full disk cost in archives (if
 * not, the error turned out to be the stream's own, and it fails instead).
 */
static void
writer_unstall(struct writer *w, uint32_t id, struct writer_stall *s, int written)
{
	uint64_t	ms;

	if (s->removed > 0 && written)
		(void)writer_line(w, id, LOG_WARNING, 0, "the disk was full: removed the %" PRIu64
		    " oldest archive%s (%" PRIu64 " bytes) to keep writing", s->removed,
		    format_s(s->removed), s->freed);
	if (s->err == 0)
		return;
	ms = clock_ms(CLOCK_MONOTONIC) - s->since_ms;
	stats_add(w->st, STATS_STALLED_MS, ms);
	atomic_store_explicit(&w->st->stall_err, 0, memory_order_relaxed);
	if (!written)
		return;		/* the stream fails instead, and says so */
	diag(LOG_NOTICE, "stream %s: writing again after %" PRIu64 ".%03" PRIu64 " s",
	    w->files[id].name, ms / 1000, ms % 1000);
	(void)writer_line(w, id, LOG_WARNING, 0, "writing was stalled for %" PRIu64 ".%03" PRIu64
	    " s: %s", ms / 1000, ms % 1000, strerror(-s->err));
	if (id != CONFIG_SELF_ID)
		(void)writer_log(w, LOG_WARNING, 0, "writing stream %s was "
		    "stalled for %" PRIu64 ".%03" PRIu64 " s: %s", w->files[id].name, ms / 1000,
		    ms % 1000, strerror(-s->err));
}

/*
 * Writes buf to stream id's file, opening it first if need be.  A
 * disk-wide error (writer_disk_wide()) is waited out: retried with backoff,
 * at most WRITER_BACKOFF_MAX_MS apart, until it works; a full disk first
 * gives up the oldest archives, a lack of file descriptors the file unused
 * longest.  Any other error is returned (-errno), with what was written
 * whole in *done (if not NULL): the caller fails the stream.
 */
static int
writer_put(struct writer *w, uint32_t id, const char *buf, size_t len, size_t *done)
{
	struct wfile		*f = &w->files[id];
	struct writer_stall	 stall = { 0 };
	unsigned		 backoff_ms = WRITER_BACKOFF_MIN_MS;
	size_t			 put = 0;
	uint64_t		 t0;
	int			 rc, reformatted = 0;

	for (;;) {
		rc = f->fd < 0 ? writer_open(w, id) : 0;
		if (rc == 0 && f->torn)
			rc = writer_end_torn(w, id);
		/* A file is one format: lines of the other (after a SIGHUP) start a new one. */
		if (rc == 0 && len > 0 && f->size > 0 && f->json != (buf[0] == '{') &&
		    !reformatted) {
			reformatted = 1;
			if (writer_rotate(w, id) < 0 && f->fd < 0)
				continue;	/* it could not: on in this one, opened again */
		}
		t0 = clock_ns(CLOCK_MONOTONIC);
		if (rc == 0 && (rc = writer_write(f->fd, buf, len, &put)) == 0) {
			if (len > 0)
				stats_latency(w->st, (clock_ns(CLOCK_MONOTONIC) - t0) / 1000);
			break;
		}
		stats_inc(w->st, STATS_WRITE_ERRORS);
		if (!writer_disk_wide(w, id, rc)) {
			if (done != NULL)
				*done = put;
			writer_unstall(w, id, &stall, 0);
			return rc;
		}
		if ((rc == -ENOSPC || rc == -EDQUOT || rc == -EMFILE || rc == -ENFILE) &&
		    syncer_drain(w))
			continue;	/* it held removed files' space, or descriptors */
		if ((rc == -ENOSPC || rc == -EDQUOT) &&
		    writer_make_room(w, &stall.removed, &stall.freed) > 0)
			continue;
		if ((rc == -EMFILE || rc == -ENFILE) && writer_close_idlest(w, id))
			continue;
		writer_stall(w, id, &stall, rc);
		/* Waiting out a full disk is not hanging: the watchdog keeps its pings. */
		atomic_store(&w->st->busy, 0);
		writer_sleep_ms(backoff_ms);
		atomic_store(&w->st->busy, 1);
		writer_alive(w);
		if ((backoff_ms *= 2) > WRITER_BACKOFF_MAX_MS)
			backoff_ms = WRITER_BACKOFF_MAX_MS;
	}
	if (len > 0 && f->size == 0)
		f->json = buf[0] == '{';
	f->size += len;
	f->used_ms = clock_ms(CLOCK_MONOTONIC);
	writer_dirty(w, id);
	if (done != NULL)
		*done = len;
	writer_unstall(w, id, &stall, 1);
	return 0;
}

/* What to do about err in the way of a stream's directory or current.log. */
static const char *
writer_hint(int err)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
		return "; give logd's user write access to it";
	case -ENOTDIR:
	case -ELOOP:
	case -LOGDIR_ENOTREG:
		return "; move it elsewhere";
	case -EISDIR:
		return "; a directory is in the way of current.log: move it elsewhere";
	case -EROFS:
		return "; its file system is read-only";
	default:
		return "";
	}
}

/*
 * Stream id cannot be written, for a reason of its own (err): it fails.
 * Its records are dropped and counted from now until writer_retry() can
 * write it again: held (what of the batch in hand was not written), every
 * batch of it still queued, and what the loop receives meanwhile
 * (queue_fail()).  Said on stderr at every retry, in logd's own stream
 * once.
 */
static void
writer_fail(struct writer *w, uint32_t id, int err, const struct batch_loss *held)
{
	struct wfile		*f = &w->files[id];
	struct batch_loss	 gone = *held;
	uint64_t		 now = clock_ms(CLOCK_MONOTONIC);
	const char		*file = f->bad_dir ? "" : "/current.log";

	queue_fail(w->q, id, stats_sat_add(held->records, held->reported), &gone);
	stats_unwritable(w->st, id, gone.records, gone.lines);
	if (f->fd >= 0) {
		close(f->fd);
		f->fd = -1;
	}
	if (f->failed == 0) {
		f->failed_ms = now;
		f->backoff_ms = WRITER_RETRY_MIN_MS;
		stats_set(w->st, STATS_UNWRITABLE_STREAMS, ++w->nfailed);
		if (id != CONFIG_SELF_ID)
			(void)writer_log(w, LOG_ERR, 0, "stream %s cannot be "
			    "written (%s/%s%s: %s); its records are dropped and counted until it "
			    "can", f->name, w->cfg->log_dir, f->name, file, logdir_strerror(err));
	} else if ((f->backoff_ms *= 2) > WRITER_RETRY_MAX_MS) {
		f->backoff_ms = WRITER_RETRY_MAX_MS;
	}
	f->failed = err;
	f->retry_ms = now + f->backoff_ms;
	diag(LOG_ERR, "stream %s: cannot write %s/%s%s: %s%s; dropping its records (counted) "
	    "and trying again in %" PRIu64 " s, or at SIGHUP", f->name, w->cfg->log_dir, f->name,
	    file, logdir_strerror(err), writer_hint(err), f->backoff_ms / 1000);
}

/*
 * Tries a failed stream again: if its current.log can be written, its first
 * line is the marker of what it lost while failed; if not, it stays failed,
 * with a longer wait.
 */
static void
writer_retry(struct writer *w, uint32_t id)
{
	static const struct batch_loss	 none;
	struct wfile			*f = &w->files[id];
	struct batch_loss		 back = { 0 };
	uint64_t			 lost, ms;
	int				 rc, err = f->failed;

	/* A disk-wide error now is waited out below, as for any stream. */
	if (f->fd < 0 && (rc = writer_open(w, id)) < 0 && !writer_disk_wide(w, id, rc)) {
		writer_fail(w, id, rc, &none);
		return;
	}
	lost = queue_recover(w->q, id);
	ms = clock_ms(CLOCK_MONOTONIC) - f->failed_ms;
	if (lost > 0)
		rc = writer_line(w, id, LOG_WARNING, lost, "the stream could not be written for %"
		    PRIu64 ".%03" PRIu64 " s: %s", ms / 1000, ms % 1000, logdir_strerror(err));
	else
		rc = writer_line(w, id, LOG_WARNING, 0, "the stream could not be written for %"
		    PRIu64 ".%03" PRIu64 " s (%s); no record was lost", ms / 1000, ms % 1000,
		    logdir_strerror(err));
	if (rc < 0) {
		back.reported = lost;	/* the marker's count, for the next one */
		writer_fail(w, id, rc, &back);
		return;
	}
	f->failed = 0;
	stats_set(w->st, STATS_UNWRITABLE_STREAMS, --w->nfailed);
	diag(LOG_NOTICE, "stream %s: writable again after %" PRIu64 ".%03" PRIu64 " s; %" PRIu64
	    " record%s dropped", f->name, ms / 1000, ms % 1000, lost,
	    lost == 1 ? " was" : "s were");
	if (id != CONFIG_SELF_ID)
		(void)writer_log(w, LOG_NOTICE, 0, "stream %s can be written "
		    "again after %" PRIu64 ".%03" PRIu64 " s; its file says what it lost", f->name,
		    ms / 1000, ms % 1000);
}

/* Stream id is failed: b's lines are dropped, counted for its recovery marker. */
static void
writer_discard(struct writer *w, const struct batch *b)
{
	struct batch_loss	loss = { 0 };

	batch_loss(b, 0, &loss);
	(void)queue_add_lost(w->q, b->stream_id, stats_sat_add(loss.records, loss.reported));
	stats_unwritable(w->st, b->stream_id, loss.records, loss.lines);
}

/*
 * Archives and current files together are over max_use (or the file
 * system short of keep_free) with no archive left to remove: logd never
 * removes current.log, so it says so, at most once a minute.
 */
static void
writer_over_limits(struct writer *w)
{
	uint64_t	now = clock_ms(CLOCK_MONOTONIC);

	if (w->over_said_ms != 0 && now - w->over_said_ms < WRITER_SCAN_MS)
		return;
	w->over_said_ms = now;
	diag(LOG_WARNING, "%s: every archive is gone and the log directory is still over "
	    "max_use with current files alone (or short of keep_free); logd never removes "
	    "current.log: raise max_use or lower max_file_size", w->cfg->log_dir);
	(void)writer_log(w, LOG_WARNING, 0, "every archive is gone and the log directory is "
	    "still over max_use with current files alone (or short of keep_free)");
}

/*
 * Retention in stream name's directory dfd (its settings sc; none if dfd <
 * 0), but for archives a forwarder has not sent; then across the log dir.
 */
static void
writer_retain(struct writer *w, const char *name, int dfd, const struct stream_config *sc)
{
	uint64_t	freed = 0;
	int		removed = 0, over;

	if (dfd >= 0)
		removed = rotate_retain(dfd, sc->max_files, sc->max_stream_bytes,
		    forward_pinned(w->pins, name, NULL), &freed);
	removed += rotate_global(w->dir_fd, w->cfg->max_use, w->cfg->keep_free, 0, &freed, &over,
	    writer_removing, w);
	stats_add(w->st, STATS_ARCHIVES_REMOVED, (uint64_t)removed);
	if (over)
		writer_over_limits(w);
}

/*
 * Whether stream name's current.log is a regular file with data; *born_ms
 * (if not NULL) is when it was created, or 0 where the file system does not
 * know.
 */
static int
writer_has_data(struct writer *w, const char *name, uint64_t *born_ms)
{
	struct statx	stx;
	int		dfd, rc;

	if ((dfd = logdir_dir(w->dir_fd, name, NULL, NULL)) < 0)
		return 0;
	rc = statx(dfd, "current.log", AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE |
	    STATX_BTIME, &stx) == 0 && S_ISREG(stx.stx_mode) && stx.stx_size > 0;
	close(dfd);
	if (rc && born_ms != NULL)
		*born_ms = writer_born_ms(&stx);
	return rc;
}

/*
 * Rotates the current.log of stream name (settings sc), open or not: a new
 * current.log takes its name in one step, the old becomes an archive, handed
 * to the compressor, and retention follows.  Returns the new current.log, or
 * -errno (-ENOENT: there was none).
 */
static int
writer_archive(struct writer *w, const char *name, const struct stream_config *sc)
{
	struct logdir_perm	perm = writer_perm(w);
	char			arch[ROTATE_NAME_MAX];
	int			dfd, fd;

	if ((dfd = logdir_dir(w->dir_fd, name, NULL, NULL)) < 0)
		return dfd;
	if ((fd = rotate_archive(dfd, &perm, arch)) < 0) {
		close(dfd);
		return fd;
	}
	stats_inc(w->st, STATS_ROTATIONS);
	if (sc->compress == CONFIG_COMPRESS_ZSTD && arch[0] != '\0' &&
	    compressor_add(w->compressor, name, arch, (int)sc->compress_level) < 0) {
		stats_inc(w->st, STATS_COMPRESS_SKIPPED);
		diag_limited(&w->backlog_limit, LOG_WARNING, "stream %s: %s stays uncompressed: "
		    "%" PRIu32 " archives already wait for the compressor (compress_backlog); the "
		    "next start compresses it", name, arch, w->cfg->compress_backlog);
	}
	writer_retain(w, name, dfd, sc);
	close(dfd);
	return fd;
}

/*
 * Rotates id's current.log if it has anything, whether the writer has it
 * open or not.  Returns -1 if it could not be rotated (reported; it stays in
 * use), else 0.
 */
static int
writer_rotate(struct writer *w, uint32_t id)
{
	struct wfile	*f = &w->files[id];
	int		 fd;

	if (f->name == NULL || f->failed)
		return 0;
	if (f->fd >= 0) {
		if (f->size == 0)
			return 0;
		writer_close(w, id, 1);
	} else if (!writer_has_data(w, f->name, NULL)) {
		return 0;
	}
	if ((fd = writer_archive(w, f->name, f->sc)) < 0) {
		if (fd == -ENOENT)
			return 0;
		diag_limited(&w->rotate_limit, LOG_ERR, "stream %s: cannot rotate (%s); writing "
		    "on to current.log", f->name, logdir_strerror(fd));
		return -1;
	}
	return writer_take(w, id, fd);
}

/* Whether id's file is due for rotation by age (open, or closed since it was). */
static int
writer_too_old(struct writer *w, uint32_t id, uint64_t now_ms)
{
	struct wfile	*f = &w->files[id];

	return f->name != NULL && !f->failed && f->sc->max_file_age_ms > 0 && f->size > 0 &&
	    now_ms - f->born_ms >= f->sc->max_file_age_ms;
}

static int
writer_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The stream directories of earlier runs, that nothing has written to in
 * this one (the writer does not know them by id): rotates the current.log
 * of each, if it has data and, unless all, is max_file_age old.
 */
static void
writer_scan(struct writer *w, int all)
{
	const struct stream_config	 *sc;
	const char			**known;
	struct dirent			 *de;
	uint32_t			  i, n = 0;
	uint64_t			  now = clock_ms(CLOCK_REALTIME), born;
	DIR				 *d;
	int				  fd;

	if ((known = malloc(w->nfiles * sizeof(*known))) == NULL)
		return;
	for (i = 0; i < w->nfiles; i++)
		if (w->files[i].name != NULL)
			known[n++] = w->files[i].name;
	qsort(known, n, sizeof(*known), writer_name_cmp);
	if ((d = logdir_list(w->dir_fd)) == NULL) {
		free(known);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		const char	*name = de->d_name;

		if (proto_name_valid(name, strlen(name)) != 0 ||
		    bsearch(&name, known, n, sizeof(*known), writer_name_cmp) != NULL)
			continue;
		sc = config_stream(w->cfg, name, strlen(name));
		if (!all && sc->max_file_age_ms == 0)
			continue;
		/* Without a creation time, its age is unknown: it waits for SIGUSR2. */
		if (!writer_has_data(w, name, &born) ||
		    (!all && (born == 0 || now - born < sc->max_file_age_ms)))
			continue;
		if ((fd = writer_archive(w, name, sc)) >= 0)
			close(fd);
	}
	closedir(d);
	free(known);
}

/* Writes n bytes of *p, moving *p and *left past what was written, even if it fails. */
static int
writer_put_part(struct writer *w, uint32_t id, const char **p, size_t *left, size_t n)
{
	size_t	done = 0;
	int	rc = writer_put(w, id, *p, n, &done);

	*p += done;
	*left -= done;
	return rc;
}

/*
 * Writes b, rotating first when the file is old enough, and wherever the
 * next line would take the file past max_file_size (a line longer than that
 * gets a file of its own).  If the stream's own error stops it, the stream
 * fails with what was not written.  Returns whether it asks for a sync now
 * (a crit record, or sync = always).
 */
static int
writer_batch(struct writer *w, struct batch *b)
{
	struct wfile		*f = &w->files[b->stream_id];
	struct batch_loss	 held = { 0 };
	const char		*p = b->data, *nl;
	size_t			 left = b->len, room, n;
	int			 rc = 0;

	if (f->name == NULL) {
		f->name = b->stream_name;
		f->sc = config_stream(w->cfg, f->name, strlen(f->name));
	}
	if (f->failed) {
		writer_discard(w, b);	/* it failed while this batch was on its way */
		return 0;
	}
	if (writer_too_old(w, b->stream_id, clock_ms(CLOCK_REALTIME)))
		(void)writer_rotate(w, b->stream_id);
	while (left > 0) {
		if (f->fd < 0 && (rc = writer_put(w, b->stream_id, "", 0, NULL)) < 0)
			break;		/* it cannot be opened */
		room = f->size < f->sc->max_file_size ? f->sc->max_file_size - f->size : 0;
		if (left <= room) {
			n = left;
		} else {
			/* The whole lines that fit; if none and the file is empty, the first line. */
			nl = room > 0 ? memrchr(p, '\n', room) : NULL;
			n = nl != NULL ? (size_t)(nl + 1 - p) : 0;
			if (n == 0 && f->size == 0)
				n = (size_t)((const char *)memchr(p, '\n', left) + 1 - p);
		}
		if (n > 0 && (rc = writer_put_part(w, b->stream_id, &p, &left, n)) < 0)
			break;
		if (left > 0 && writer_rotate(w, b->stream_id) < 0) {
			rc = writer_put_part(w, b->stream_id, &p, &left, left);	/* past the size */
			break;
		}
	}
	if (rc < 0) {
		batch_loss(b, (size_t)(p - b->data), &held);
		writer_fail(w, b->stream_id, rc, &held);
	}
	w->batches++;
	stats_add(w->st, b->stream_id == CONFIG_SELF_ID ? STATS_SELF_LINES : STATS_WRITTEN_LINES,
	    b->nrecords - held.lines);
	stats_add(w->st, STATS_WRITTEN_BYTES, (size_t)(p - b->data));
	writer_count(w, b, &held, (size_t)(p - b->data));
	return rc == 0 && ((b->flags & BATCH_SYNC) || w->cfg->sync == CONFIG_SYNC_ALWAYS);
}

/* The stream's counters after b: its records (not logd's markers) and bytes written. */
static void
writer_count(struct writer *w, const struct batch *b, const struct batch_loss *held,
    size_t bytes)
{
	struct stats_stream	*ss = stats_stream(w->st, b->stream_id);
	uint64_t		 records = b->nrecords - b->nprio[BATCH_KEEP] - held->records;

	if (b->stream_id != CONFIG_SELF_ID)
		stats_add(w->st, STATS_WRITTEN_RECORDS, records);
	stats_stream_add(ss, STATS_S_WRITTEN, records);
	stats_stream_add(ss, STATS_S_WRITTEN_BYTES, bytes);
	stats_stream_set(ss, STATS_S_LAST_WRITE_MS, clock_ms(CLOCK_REALTIME));
	stats_stream_set(ss, STATS_S_FILE_BYTES, w->files[b->stream_id].size);
}

/*
 * WRITER_SCAN: the files of every stream directory (current.log and
 * archives) and their bytes, into its counters.  A directory that cannot
 * be read counts as empty.
 */
static void
writer_count_disk(struct writer *w)
{
	struct stats_stream	*ss;
	struct dirent		*de;
	struct stat		 sb;
	uint64_t		 files, bytes;
	uint32_t		 id;
	DIR			*d;
	int			 dfd;

	for (id = 0; id < w->nfiles; id++) {
		if (w->files[id].name == NULL)
			continue;
		files = bytes = 0;
		if ((dfd = logdir_dir(w->dir_fd, w->files[id].name, NULL, NULL)) >= 0 &&
		    (d = logdir_list(dfd)) != NULL) {
			while ((de = readdir(d)) != NULL) {
				if ((strcmp(de->d_name, "current.log") != 0 &&
				    !rotate_is_archive(de->d_name)) ||
				    fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
					continue;
				files++;
				bytes += (uint64_t)sb.st_size;
			}
			closedir(d);
		}
		if (dfd >= 0)
			close(dfd);
		ss = stats_stream(w->st, id);
		stats_stream_set(ss, STATS_S_DISK_FILES, files);
		stats_stream_set(ss, STATS_S_DISK_BYTES, bytes);
	}
}

/*
 * Once a tick: failed streams due for a retry, rotation by age, closing
 * files idle for idle_close, and after a tick with nothing to write, giving
 * the heap's free memory back (logd keeps some for the next batches, see
 * main.c): at rest, RSS is back to base.
 */
static void
writer_housekeeping(struct writer *w)
{
	uint64_t	now = clock_ms(CLOCK_REALTIME), mono = clock_ms(CLOCK_MONOTONIC);
	uint32_t	id;

	if (w->nunsent > 0 || w->unsent_more > 0)
		writer_say_unsent(w);
	if (w->batches != w->written_at_tick) {
		w->written_at_tick = w->batches;
		w->trimmed = 0;
	} else if (!w->trimmed) {
		(void)malloc_trim(0);
		w->trimmed = 1;
	}

	for (id = 0; id < w->nfiles; id++) {
		if (w->files[id].failed && mono >= w->files[id].retry_ms)
			writer_retry(w, id);
		if (writer_too_old(w, id, now))
			(void)writer_rotate(w, id);
		else if (w->files[id].fd >= 0 &&
		    mono - w->files[id].used_ms >= w->cfg->idle_close_ms)
			writer_close(w, id, 1);
	}
	if (mono >= w->scan_ms) {
		/* Streams of earlier runs come of age too; current files grow past the limits. */
		writer_scan(w, 0);
		writer_retain(w, NULL, -1, NULL);
		w->scan_ms = mono + WRITER_SCAN_MS;
	}
	w->tick_ms = mono + WRITER_TICK_MS;
}

/* What the loop asked for: a new configuration, rotation, reopening (and retrying at once). */
static void
writer_requests(struct writer *w)
{
	/* The ticket first: the loop sets the bits of a ticket before the ticket. */
	uint64_t	 asked = atomic_load(&w->asked);
	struct config	*cfg = atomic_exchange(&w->next_cfg, NULL);
	unsigned	 req = atomic_exchange(&w->requests, 0);
	uint32_t	 id;

	if (cfg != NULL) {
		free(w->cfg);
		w->cfg = cfg;
		for (id = 0; id < w->nfiles; id++)
			if (w->files[id].name != NULL)
				w->files[id].sc = config_stream(cfg, w->files[id].name,
				    strlen(w->files[id].name));
	}
	for (id = 0; req != 0 && id < w->nfiles; id++) {
		if (req & WRITER_ROTATE)
			(void)writer_rotate(w, id);
		if (req & WRITER_REOPEN)
			writer_close(w, id, 1);
		if ((req & WRITER_REOPEN) && w->files[id].failed)
			writer_retry(w, id);
		/* Asked for by name: open or closed, as every rotation. */
		if ((req & WRITER_ROTATE_MARKED) && atomic_exchange(&w->rotate_marks[id], 0))
			(void)writer_rotate(w, id);
	}
	if (req & WRITER_ROTATE)
		writer_scan(w, 1);
	if (req & WRITER_SCAN)
		writer_count_disk(w);
	/* A rotation asked for (logctl rotate, SIGUSR2) is done when its archives are synced. */
	if (req & (WRITER_ROTATE | WRITER_ROTATE_MARKED))
		(void)syncer_drain(w);
	if (asked != atomic_load(&w->done)) {
		atomic_store(&w->done, asked);
		queue_notify(w->q);
	}
}

/*
 * At shutdown, after the last batch: what each stream that is still failed
 * lost goes into logd's own stream (its own file cannot take it), and the
 * final counters after it.
 */
static void
writer_last_words(struct writer *w)
{
	struct queue_stats	qs;
	char			line[1024];
	uint64_t		lost;
	uint32_t		id;

	for (id = 0; id < w->nfiles; id++) {
		if (!w->files[id].failed || id == CONFIG_SELF_ID)
			continue;
		if ((lost = queue_recover(w->q, id)) > 0)
			(void)writer_log(w, LOG_WARNING, lost, "stream %s could not be written "
			    "until logd stopped (%s)", w->files[id].name,
			    strerror(-w->files[id].failed));
	}
	queue_stats(w->q, &qs);
	(void)stats_line(w->st, &qs, line, sizeof(line));
	(void)writer_log(w, LOG_INFO, 0, "stopped: %s", line);
}

/*
 * An urgent sync is group commit: the writer first writes whatever else is
 * queued (up to WRITER_GROUP_MAX batches), then syncs every file written
 * since the last sync, once, before it waits for more.  A flood of crit
 * records thus costs one fdatasync per file per round, not one per record.
 */
/*
 * At start: a rotation a crash stopped half way, in any stream directory,
 * is finished (rotate_finish()).  The writer's to do, as every rotation is:
 * another thread could take the empty new file of a rotation under way for
 * a leftover, and remove it.
 */
static void
writer_finish_rotations(struct writer *w)
{
	struct dirent	*de;
	DIR		*d;
	int		 dfd;

	if ((d = logdir_list(w->dir_fd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (proto_name_valid(de->d_name, strlen(de->d_name)) != 0 ||
		    (dfd = logdir_dir(w->dir_fd, de->d_name, NULL, NULL)) < 0)
			continue;
		(void)rotate_finish(dfd);
		close(dfd);
	}
	closedir(d);
}

static void *
writer_main(void *arg)
{
	struct writer	*w = arg;
	struct batch	*b;
	uint64_t	 deadline;
	uint32_t	 id, urgent = 0;	/* batches written since a sync was asked for */
	int		 timed_out;

	writer_finish_rotations(w);
	w->tick_ms = clock_ms(CLOCK_MONOTONIC) + WRITER_TICK_MS;
	for (;;) {
		deadline = w->tick_ms;
		if (urgent > 0)
			deadline = QUEUE_NOWAIT;
		else if (w->cfg->sync == CONFIG_SYNC_INTERVAL && w->ndirty > 0 &&
		    w->sync_due_ms < deadline)
			deadline = w->sync_due_ms;
		atomic_store(&w->st->busy, 0);
		b = queue_pop(w->q, deadline, &timed_out);
		atomic_store(&w->st->busy, 1);
		writer_alive(w);
		if (b != NULL) {
			if (writer_batch(w, b) || urgent > 0)
				urgent++;
			queue_batch_free(w->q, b);
		} else if (!timed_out) {
			break;	/* closed and empty */
		}
		writer_requests(w);
		if (urgent > 0 && (b == NULL || urgent >= WRITER_GROUP_MAX)) {
			/* And what went to the syncer: a file rotated after its crit record. */
			writer_sync_dirty(w, 0);
			(void)syncer_drain(w);
			urgent = 0;
		} else if (w->cfg->sync == CONFIG_SYNC_INTERVAL && w->ndirty > 0 &&
		    clock_ms(CLOCK_MONOTONIC) >= w->sync_due_ms) {
			writer_sync_dirty(w, 1);
		}
		if (clock_ms(CLOCK_MONOTONIC) >= w->tick_ms)
			writer_housekeeping(w);
	}
	writer_last_words(w);
	/* Make what we wrote durable before the loop exits: the syncer's syncs, then ours. */
	syncer_stop(w);
	writer_sync_dirty(w, 0);
	for (id = 0; id < w->nfiles; id++)
		writer_close(w, id, 0);
	queue_finish(w->q);
	return NULL;
}

int
writer_start(struct queue *q, int log_dir_fd, const struct config *cfg, struct stats *st,
    struct compressor *comp, struct forward_pins *pins, struct writer **out)
{
	struct writer	*w;
	mode_t		 mode;
	sigset_t	 all, old;
	uint32_t	 i;
	int		 rc;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->nfiles = CONFIG_STREAM_IDS(cfg);
	w->files = calloc(w->nfiles, sizeof(*w->files));
	w->dirty_ids = malloc(w->nfiles * sizeof(*w->dirty_ids));
	w->rotate_marks = calloc(w->nfiles, sizeof(*w->rotate_marks));
	w->cfg = config_dup(cfg);
	if (w->files == NULL || w->dirty_ids == NULL || w->rotate_marks == NULL ||
	    w->cfg == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = writer_mount(log_dir_fd, "", &w->log_mount, &mode)) < 0)
		goto fail;
	for (i = 0; i < w->nfiles; i++)
		w->files[i].fd = -1;
	/* Every other stream's file learns its name from its first batch. */
	w->files[CONFIG_SELF_ID].name = CONFIG_SELF_STREAM;
	w->files[CONFIG_SELF_ID].sc = config_stream(w->cfg, CONFIG_SELF_STREAM,
	    strlen(CONFIG_SELF_STREAM));
	w->q = q;
	w->st = st;
	w->dir_fd = log_dir_fd;
	w->compressor = comp;
	w->pins = pins;
	w->backlog_limit.interval_ms = 60 * 1000;
	atomic_init(&w->next_cfg, NULL);
	atomic_init(&w->requests, 0);
	w->rotate_limit.interval_ms = 60 * 1000;
	format_self(&w->self);
	format_cache_init(&w->fc);
	/* Signals are the loop's: the writer thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_mutex_init(&w->sy.lock, NULL);
	pthread_cond_init(&w->sy.cond, NULL);
	pthread_cond_init(&w->sy.done, NULL);
	rc = -pthread_create(&w->sy.thread, NULL, syncer_main, w);
	w->sy.running = rc == 0;
	if (rc == 0 && (rc = -pthread_create(&w->thread, NULL, writer_main, w)) < 0)
		syncer_stop(w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		pthread_cond_destroy(&w->sy.done);
		pthread_cond_destroy(&w->sy.cond);
		pthread_mutex_destroy(&w->sy.lock);
		goto fail;
	}
	*out = w;
	return 0;
fail:
	free(w->cfg);
	free(w->rotate_marks);
	free(w->dirty_ids);
	free(w->files);
	free(w);
	return rc;
}

uint64_t
writer_request(struct writer *w, unsigned what)
{
	uint64_t	ticket = atomic_load(&w->asked) + 1;

	atomic_fetch_or(&w->requests, what);
	atomic_store(&w->asked, ticket);	/* after the bits: see writer_requests() */
	queue_kick(w->q);
	return ticket;
}

void
writer_mark_rotate(struct writer *w, uint32_t id)
{
	if (id < w->nfiles)
		atomic_store(&w->rotate_marks[id], 1);
}

int
writer_done(struct writer *w, uint64_t ticket)
{
	return atomic_load(&w->done) >= ticket;
}

int
writer_reconfigure(struct writer *w, const struct config *cfg)
{
	struct config	*c = config_dup(cfg);

	if (c == NULL)
		return -ENOMEM;
	free(atomic_exchange(&w->next_cfg, c));
	queue_kick(w->q);
	return 0;
}

void
writer_join(struct writer *w)
{
	uint32_t	i;

	if (w == NULL)
		return;
	pthread_join(w->thread, NULL);
	for (i = 0; i < w->nfiles; i++)
		if (w->files[i].fd >= 0)
			close(w->files[i].fd);
	if (fsync(w->dir_fd) < 0)
		diag_errno(LOG_ERR, -errno, "cannot sync the log directory at exit");
	close(w->dir_fd);
	pthread_cond_destroy(&w->sy.done);
	pthread_cond_destroy(&w->sy.cond);
	pthread_mutex_destroy(&w->sy.lock);
	free(atomic_exchange(&w->next_cfg, NULL));
	free(w->cfg);
	free(w->rotate_marks);
	free(w->dirty_ids);
	free(w->files);
	free(w);
}
