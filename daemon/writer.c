/*
 * writer.c - the writer thread (see writer.h).
 *
 * Files are opened O_APPEND, so each write(2) of a batch lands whole at the
 * end even if another process appends too; a short write is continued from
 * where it stopped.  A write that fails part-way through a line (a full
 * disk) has that partial line truncated away before it is retried, so a
 * file only ever holds whole lines.  The file table is indexed by stream id
 * and touched only by this thread.
 */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "format.h"

#define WRITER_BACKOFF_MIN_MS	10
#define WRITER_BACKOFF_MAX_MS	1000
#define WRITER_GROUP_MAX	64	/* batches written before an urgent sync is done */

struct writer {
	pthread_t		 thread;
	struct queue		*q;
	const struct config	*cfg;
	struct stats		*st;
	struct format_cache	 fc;
	struct format_sender	 self;
	int			 dir_fd;
	int			*fds;		/* by stream id; -1 = not open */
	uint8_t			*dirty;		/* by stream id: written since the last sync */
	uint32_t		*dirty_ids;	/* the ids with dirty set, ndirty of them */
	uint32_t		 ndirty;
	uint32_t		 nfds;
	uint64_t		 sync_due_ms;	/* sync = interval: when the dirty files are due */
};

static void	writer_put(struct writer *w, uint32_t id, const char *name, const char *buf,
		    size_t len);

/* Writes a "logd: ..." line at priority warning into stream id's file. */
static void writer_marker(struct writer *w, uint32_t id, const char *name, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
writer_marker(struct writer *w, uint32_t id, const char *name, const char *fmt, ...)
{
	struct proto_record	 rec;
	struct timespec		 ts;
	char			 text[256], line[2048];
	va_list			 ap;
	size_t			 len;
	int			 n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	format_marker(&rec, name, strlen(name), text,
	    n < 0 ? 0 : (size_t)n >= sizeof(text) ? sizeof(text) - 1 : (size_t)n);
	clock_gettime(CLOCK_REALTIME, &ts);
	/* format_max_len() of this record (at most 1850) fits in line[]. */
	len = format_line(&w->fc, config_stream(w->cfg, name, rec.name_len)->format, line, &rec,
	    (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec, &w->self);
	atomic_fetch_add_explicit(&w->st->writer_markers, 1, memory_order_relaxed);
	writer_put(w, id, name, line, len);
}

/* Creates <stream>/ if needed and opens <stream>/current.log for appending. */
static int
writer_open(struct writer *w, const char *name, int *out)
{
	int	dfd, fd, rc = 0, created_dir = 0;

	if (mkdirat(w->dir_fd, name, 0755) == 0)
		created_dir = 1;
	else if (errno != EEXIST)
		return -errno;
	if ((dfd = openat(w->dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	fd = openat(dfd, "current.log", O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	/* Make the new names durable: the file in its directory, the directory in log_dir. */
	if (fsync(dfd) < 0 || (created_dir && fsync(w->dir_fd) < 0)) {
		rc = -errno;
		close(fd);
		goto out;
	}
	*out = fd;
out:
	close(dfd);
	return rc;
}

/* Whether the file ends in the middle of a line (a crash cut a write short). */
static int
writer_torn(int fd)
{
	struct stat	sb;
	char		c;

	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
		return 0;
	return pread(fd, &c, 1, sb.st_size - 1) == 1 && c != '\n';
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
	if (w->dirty[id])
		return;
	if (w->ndirty == 0)
		w->sync_due_ms = diag_now_ms() + w->cfg->sync_interval_ms;
	w->dirty[id] = 1;
	w->dirty_ids[w->ndirty++] = id;
}

static void
writer_sync(struct writer *w, uint32_t id)
{
	/* EINVAL: a FIFO or device in place of current.log, which has nothing to sync. */
	if (fdatasync(w->fds[id]) < 0 && errno != EINVAL)
		diag_errno(LOG_ERR, -errno, "cannot sync a stream file");
	atomic_fetch_add_explicit(&w->st->fsyncs, 1, memory_order_relaxed);
}

static void
writer_sync_dirty(struct writer *w)
{
	uint32_t	i, id;

	for (i = 0; i < w->ndirty; i++) {
		id = w->dirty_ids[i];
		w->dirty[id] = 0;
		if (w->fds[id] >= 0)
			writer_sync(w, id);
	}
	w->ndirty = 0;
}

/*
 * Writes buf to stream id's file (opening it on first use), retrying with
 * backoff until all of it is written.  After a stall, says how long it was.
 */
static void
writer_put(struct writer *w, uint32_t id, const char *name, const char *buf, size_t len)
{
	int		*fd = &w->fds[id];
	size_t		 done = 0;
	unsigned	 backoff_ms = WRITER_BACKOFF_MIN_MS;
	uint64_t	 stalled_at = 0;
	int		 rc, first_err = 0, opened;

	for (;;) {
		opened = 0;
		rc = 0;
		if (*fd < 0 && (rc = writer_open(w, name, fd)) == 0)
			opened = 1;
		if (opened && writer_torn(*fd)) {
			/* Terminate the torn line first; our own record follows. */
			writer_put(w, id, name, "\n", 1);
			writer_marker(w, id, name, "logd: previous run ended uncleanly; "
			    "the line before this one was cut short");
		}
		if (rc == 0)
			rc = writer_write(*fd, buf, len, &done);
		if (rc == 0)
			break;
		atomic_fetch_add_explicit(&w->st->write_errors, 1, memory_order_relaxed);
		if (first_err == 0) {
			first_err = rc;
			stalled_at = diag_now_ms();
			atomic_fetch_add_explicit(&w->st->stalls, 1, memory_order_relaxed);
			diag_errno(LOG_ERR, rc, "stream %s: cannot write %s/current.log; "
			    "keeping its records and retrying every %u ms until it works", name,
			    name, WRITER_BACKOFF_MAX_MS);
		}
		writer_sleep_ms(backoff_ms);
		if ((backoff_ms *= 2) > WRITER_BACKOFF_MAX_MS)
			backoff_ms = WRITER_BACKOFF_MAX_MS;
	}
	writer_dirty(w, id);
	if (first_err != 0) {
		uint64_t	ms = diag_now_ms() - stalled_at;

		atomic_fetch_add_explicit(&w->st->stalled_ms, ms, memory_order_relaxed);
		diag(LOG_NOTICE, "stream %s: writing again after %" PRIu64 ".%03" PRIu64 " s",
		    name, ms / 1000, ms % 1000);
		writer_marker(w, id, name, "logd: writing was stalled for %" PRIu64 ".%03"
		    PRIu64 " s: %s", ms / 1000, ms % 1000, strerror(-first_err));
	}
}

/* Writes b; returns whether it asks for a sync now (a crit record, or sync = always). */
static int
writer_batch(struct writer *w, struct batch *b)
{
	writer_put(w, b->stream_id, b->stream_name, b->data, b->len);
	atomic_fetch_add_explicit(&w->st->written_lines, b->nrecords, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->st->written_bytes, b->len, memory_order_relaxed);
	return (b->flags & BATCH_SYNC) || w->cfg->sync == CONFIG_SYNC_ALWAYS;
}

/*
 * An urgent sync is group commit: the writer first writes whatever else is
 * queued (up to WRITER_GROUP_MAX batches), then syncs every file written
 * since the last sync, once, before it waits for more.  A flood of crit
 * records thus costs one fdatasync per file per round, not one per record.
 */
static void *
writer_main(void *arg)
{
	struct writer	*w = arg;
	struct batch	*b;
	uint64_t	 deadline;
	uint32_t	 i, urgent = 0;	/* batches written since a sync was asked for */
	int		 timed_out;

	for (;;) {
		if (urgent > 0)
			deadline = QUEUE_NOWAIT;
		else if (w->cfg->sync == CONFIG_SYNC_INTERVAL && w->ndirty > 0)
			deadline = w->sync_due_ms;
		else
			deadline = 0;
		b = queue_pop(w->q, deadline, &timed_out);
		if (b != NULL) {
			if (writer_batch(w, b) || urgent > 0)
				urgent++;
			queue_batch_free(w->q, b);
		} else if (!timed_out) {
			break;	/* closed and empty */
		}
		if (urgent > 0 && (b == NULL || urgent >= WRITER_GROUP_MAX)) {
			writer_sync_dirty(w);
			urgent = 0;
		} else if (w->cfg->sync == CONFIG_SYNC_INTERVAL && w->ndirty > 0 &&
		    diag_now_ms() >= w->sync_due_ms) {
			writer_sync_dirty(w);
		}
	}
	/* Make what we wrote durable before the loop exits. */
	for (i = 0; i < w->nfds; i++)
		if (w->fds[i] >= 0)
			writer_sync(w, i);
	queue_finish(w->q);
	return NULL;
}

int
writer_start(struct queue *q, int log_dir_fd, const struct config *cfg, struct stats *st,
    struct writer **out)
{
	struct writer	*w;
	sigset_t	 all, old;
	uint32_t	 i;
	int		 rc;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	w->fds = malloc(cfg->max_streams * sizeof(*w->fds));
	w->dirty = calloc(cfg->max_streams, sizeof(*w->dirty));
	w->dirty_ids = malloc(cfg->max_streams * sizeof(*w->dirty_ids));
	if (w->fds == NULL || w->dirty == NULL || w->dirty_ids == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < cfg->max_streams; i++)
		w->fds[i] = -1;
	w->nfds = cfg->max_streams;
	w->q = q;
	w->cfg = cfg;
	w->st = st;
	w->dir_fd = log_dir_fd;
	format_self(&w->self);
	format_cache_init(&w->fc);
	/* Signals are the loop's: the writer thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = -pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	free(w->dirty_ids);
	free(w->dirty);
	free(w->fds);
	free(w);
	return rc;
}

void
writer_join(struct writer *w)
{
	uint32_t	i;

	if (w == NULL)
		return;
	pthread_join(w->thread, NULL);
	for (i = 0; i < w->nfds; i++)
		if (w->fds[i] >= 0)
			close(w->fds[i]);
	if (fsync(w->dir_fd) < 0)
		diag_errno(LOG_ERR, -errno, "cannot sync the log directory at exit");
	close(w->dir_fd);
	free(w->dirty_ids);
	free(w->dirty);
	free(w->fds);
	free(w);
}
