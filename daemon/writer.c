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
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "format.h"
#include "rotate.h"

#define WRITER_BACKOFF_MIN_MS	10
#define WRITER_BACKOFF_MAX_MS	1000
#define WRITER_GROUP_MAX	64	/* batches written before an urgent sync is done */
#define WRITER_TICK_MS		1000	/* housekeeping: file age, idle files */
#define WRITER_SYNCFS_MIN	64	/* more dirty files than this: syncfs(2) them all */

/* One stream's file, by stream id. */
struct wfile {
	int			 fd;		/* current.log, or -1: not open */
	int			 regular;	/* a regular file (a FIFO is never rotated) */
	int			 dirty;		/* written since the last sync */
	int			 dir_dirty;	/* its directory has a new entry not yet synced */
	uint64_t		 size;
	uint64_t		 born_ms;	/* CLOCK_REALTIME ms it was created (its age) */
	uint64_t		 used_ms;	/* CLOCK_MONOTONIC ms of its last write */
	const char		*name;		/* the stream's (the loop's, outlives us) */
	const struct stream_config *sc;		/* in cfg */
};

struct writer {
	pthread_t		 thread;
	struct queue		*q;
	struct config		*cfg;		/* the writer's own copy */
	struct config *_Atomic	 next_cfg;	/* writer_reconfigure(): to take over */
	_Atomic unsigned	 requests;	/* WRITER_ROTATE, WRITER_REOPEN */
	struct stats		*st;
	struct format_cache	 fc;
	struct format_sender	 self;
	int			 dir_fd;
	struct wfile		*files;		/* by stream id */
	uint32_t		*dirty_ids;	/* the ids with dirty set, ndirty of them */
	uint32_t		 ndirty;
	uint32_t		 nfiles;
	uint64_t		 sync_due_ms;	/* sync = interval: when the dirty files are due */
	uint64_t		 tick_ms;	/* next housekeeping */
	int			 log_dir_dirty;	/* log_dir has a new stream directory not yet synced */
	uint64_t		 written_at_tick;	/* batches written, at the last tick */
	uint64_t		 batches;		/* batches written */
	int			 trimmed;	/* memory given back since the last write */
	struct diag_limit	 rotate_limit;	/* a failing rotation is retried often */
};

static void	writer_put(struct writer *w, uint32_t id, const char *buf, size_t len);

/* Writes a "logd: ..." line at priority warning into stream id's file. */
static void writer_marker(struct writer *w, uint32_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
writer_marker(struct writer *w, uint32_t id, const char *fmt, ...)
{
	struct wfile		*f = &w->files[id];
	struct proto_record	 rec;
	char			 text[256], line[2048];
	va_list			 ap;
	size_t			 len;
	int			 n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	format_marker(&rec, f->name, strlen(f->name), text,
	    n < 0 ? 0 : (size_t)n >= sizeof(text) ? sizeof(text) - 1 : (size_t)n, 0);
	/* format_max_len() of this record (at most 1850) fits in line[]. */
	len = format_line(&w->fc, f->sc->format, line, &rec, clock_ns(CLOCK_REALTIME), &w->self);
	stats_add(w->st, STATS_WRITER_MARKERS, 1);
	writer_put(w, id, line, len);
}

/*
 * Creates <stream>/ if needed, opens <stream>/current.log for appending,
 * and notes its size and age.
 */
static int
writer_open(struct writer *w, uint32_t id)
{
	struct wfile	*f = &w->files[id];
	struct statx	 stx;
	int		 dfd, fd, rc = 0, created_dir = 0;

	if (mkdirat(w->dir_fd, f->name, 0755) == 0)
		created_dir = 1;
	else if (errno != EEXIST)
		return -errno;
	if ((dfd = openat(w->dir_fd, f->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	fd = openat(dfd, "current.log", O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOCTTY, 0640);
	if (fd >= 0)
		f->dir_dirty = 1;	/* a new name: durable with the file's next sync */
	else if (errno == EEXIST)
		fd = openat(dfd, "current.log", O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	w->log_dir_dirty |= created_dir;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE | STATX_BTIME, &stx) < 0) {
		rc = -errno;
		close(fd);
		goto out;
	}
	f->fd = fd;
	f->regular = S_ISREG(stx.stx_mode);
	f->size = stx.stx_size;
	/* The file's age counts from its creation, where the file system knows it. */
	f->born_ms = (stx.stx_mask & STATX_BTIME) ? (uint64_t)stx.stx_btime.tv_sec * 1000 +
	    stx.stx_btime.tv_nsec / 1000000 : clock_ms(CLOCK_REALTIME);
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
 * Syncs id's file, and the names created since the last sync: current.log in
 * its directory, the directory in log_dir.  Creating a file costs no sync of
 * its own, so ten thousand new streams cost no twenty thousand syncs.
 */
static void
writer_sync(struct writer *w, uint32_t id)
{
	struct wfile	*f = &w->files[id];
	int		 dfd;

	/* EINVAL: a FIFO or device in place of current.log, which has nothing to sync. */
	if (fdatasync(f->fd) < 0 && errno != EINVAL)
		diag_errno(LOG_ERR, -errno, "stream %s: cannot sync current.log", f->name);
	stats_add(w->st, STATS_FSYNCS, 1);
	if (f->dir_dirty && (dfd = openat(w->dir_fd, f->name, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) >= 0) {
		if (fsync(dfd) == 0)
			f->dir_dirty = 0;
		close(dfd);
	}
	if (w->log_dir_dirty && fsync(w->dir_fd) == 0)
		w->log_dir_dirty = 0;
}

static void
writer_sync_dirty(struct writer *w)
{
	uint32_t	i, id;

	if (w->ndirty > WRITER_SYNCFS_MIN && syncfs(w->dir_fd) == 0) {
		/* One call for the whole file system beats thousands of fdatasync(2)s. */
		stats_add(w->st, STATS_FSYNCS, 1);
		for (i = 0; i < w->ndirty; i++)
			w->files[w->dirty_ids[i]].dirty = w->files[w->dirty_ids[i]].dir_dirty = 0;
		if (fsync(w->dir_fd) == 0)
			w->log_dir_dirty = 0;
		w->ndirty = 0;
		return;
	}
	for (i = 0; i < w->ndirty; i++) {
		id = w->dirty_ids[i];
		w->files[id].dirty = 0;
		if (w->files[id].fd >= 0)
			writer_sync(w, id);
	}
	w->ndirty = 0;
}

/* Syncs and closes id's file; the next write opens current.log again. */
static void
writer_close(struct writer *w, uint32_t id)
{
	struct wfile	*f = &w->files[id];

	if (f->fd < 0)
		return;
	if (f->dirty)
		writer_sync(w, id);	/* stays on the dirty list, found closed there */
	close(f->fd);
	f->fd = -1;
}

/*
 * The disk is full: makes room by removing the oldest archives of any
 * stream.  Returns how many it removed, adding to *n and *bytes.
 */
static int
writer_make_room(struct writer *w, uint64_t *n, uint64_t *bytes)
{
	int	removed = rotate_global(w->dir_fd, w->cfg->max_use, w->cfg->keep_free, 1, bytes);

	*n += (uint64_t)removed;
	stats_add(w->st, STATS_ARCHIVES_REMOVED, (uint64_t)removed);
	return removed;
}

/*
 * Writes buf to stream id's file (opening it on first use), retrying with
 * backoff until all of it is written; a full disk first gives up the oldest
 * archives.  After a stall or such a removal, a marker line says so.
 */
static void
writer_put(struct writer *w, uint32_t id, const char *buf, size_t len)
{
	struct wfile	*f = &w->files[id];
	size_t		 done = 0;
	unsigned	 backoff_ms = WRITER_BACKOFF_MIN_MS;
	uint64_t	 stalled_at = 0, removed = 0, freed = 0;
	int		 rc, first_err = 0;

	for (;;) {
		if (f->fd < 0 && (rc = writer_open(w, id)) == 0 && writer_torn(f->fd)) {
			/* Terminate the torn line first; our own record follows. */
			writer_put(w, id, "\n", 1);
			writer_marker(w, id, "logd: previous run ended uncleanly; the line before "
			    "this one was cut short");
		}
		rc = f->fd < 0 ? rc : writer_write(f->fd, buf, len, &done);
		if (rc == 0)
			break;
		stats_add(w->st, STATS_WRITE_ERRORS, 1);
		if ((rc == -ENOSPC || rc == -EDQUOT) && writer_make_room(w, &removed, &freed) > 0)
			continue;
		if (first_err == 0) {
			first_err = rc;
			stalled_at = clock_ms(CLOCK_MONOTONIC);
			stats_add(w->st, STATS_STALLS, 1);
			diag_errno(LOG_ERR, rc, "stream %s: cannot write %s/current.log; "
			    "keeping its records and retrying every %u ms until it works", f->name,
			    f->name, WRITER_BACKOFF_MAX_MS);
		}
		writer_sleep_ms(backoff_ms);
		writer_alive(w);	/* retrying a full disk is not hanging */
		if ((backoff_ms *= 2) > WRITER_BACKOFF_MAX_MS)
			backoff_ms = WRITER_BACKOFF_MAX_MS;
	}
	f->size += len;
	f->used_ms = clock_ms(CLOCK_MONOTONIC);
	writer_dirty(w, id);
	if (removed > 0)
		writer_marker(w, id, "logd: the disk was full: removed the %" PRIu64 " oldest "
		    "archives (%" PRIu64 " bytes) to keep writing", removed, freed);
	if (first_err != 0) {
		uint64_t	ms = clock_ms(CLOCK_MONOTONIC) - stalled_at;

		stats_add(w->st, STATS_STALLED_MS, ms);
		diag(LOG_NOTICE, "stream %s: writing again after %" PRIu64 ".%03" PRIu64 " s",
		    f->name, ms / 1000, ms % 1000);
		writer_marker(w, id, "logd: writing was stalled for %" PRIu64 ".%03" PRIu64
		    " s: %s", ms / 1000, ms % 1000, strerror(-first_err));
	}
}

/*
 * Rotates id's current.log (if it has anything): sync, rename to an archive,
 * a new current.log, compression, retention.  Returns -1 if current.log
 * could not be renamed (reported; it stays in use), else 0.
 */
static int
writer_rotate(struct writer *w, uint32_t id)
{
	struct wfile			*f = &w->files[id];
	const struct stream_config	*sc = f->sc;
	char				 arch[ROTATE_NAME_MAX];
	uint64_t			 freed = 0;
	int				 dfd, rc, removed;

	if (f->fd < 0 || !f->regular || f->size == 0)
		return 0;
	writer_close(w, id);
	if ((dfd = openat(w->dir_fd, f->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (rc = rotate_archive(dfd, arch)) < 0) {
		rc = dfd < 0 ? -errno : rc;
		diag_limited(&w->rotate_limit, LOG_ERR, "stream %s: cannot rotate "
		    "(%s); writing on to current.log", f->name, strerror(-rc));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	stats_add(w->st, STATS_ROTATIONS, 1);
	/* The new current.log now, so a reader following the name finds it at once. */
	if ((rc = writer_open(w, id)) < 0)
		diag_errno(LOG_ERR, rc, "stream %s: cannot create current.log; will retry",
		    f->name);
	else if (fsync(dfd) == 0)
		f->dir_dirty = 0;
	if (sc->compress == CONFIG_COMPRESS_ZSTD &&
	    (rc = rotate_compress(dfd, arch, (int)sc->compress_level)) < 0)
		diag_errno(LOG_ERR, rc, "stream %s: cannot compress %s; keeping it as it is",
		    f->name, arch);
	removed = rotate_retain(dfd, sc->max_files, sc->max_stream_bytes, &freed);
	removed += rotate_global(w->dir_fd, w->cfg->max_use, w->cfg->keep_free, 0, &freed);
	stats_add(w->st, STATS_ARCHIVES_REMOVED, (uint64_t)removed);
	close(dfd);
	return 0;
}

/* Whether id's file is due for rotation by age. */
static int
writer_too_old(struct writer *w, uint32_t id, uint64_t now_ms)
{
	struct wfile	*f = &w->files[id];

	return f->fd >= 0 && f->sc->max_file_age_ms > 0 && f->size > 0 &&
	    now_ms - f->born_ms >= f->sc->max_file_age_ms;
}

/*
 * Writes b, rotating first when the file is old enough, and wherever the
 * next line would take the file past max_file_size (a line longer than that
 * gets a file of its own).  Returns whether it asks for a sync now (a crit
 * record, or sync = always).
 */
static int
writer_batch(struct writer *w, struct batch *b)
{
	struct wfile	*f = &w->files[b->stream_id];
	const char	*p = b->data, *nl;
	size_t		 left = b->len, room, n;

	if (f->name == NULL) {
		f->name = b->stream_name;
		f->sc = config_stream(w->cfg, f->name, strlen(f->name));
	}
	if (writer_too_old(w, b->stream_id, clock_ms(CLOCK_REALTIME)))
		(void)writer_rotate(w, b->stream_id);
	while (left > 0) {
		if (f->fd < 0)
			writer_put(w, b->stream_id, "", 0);	/* opens it, however long it takes */
		room = f->size < f->sc->max_file_size ? f->sc->max_file_size - f->size : 0;
		if (left <= room || !f->regular) {
			writer_put(w, b->stream_id, p, left);
			break;
		}
		/* The whole lines that fit; if none and the file is empty, the first line. */
		nl = room > 0 ? memrchr(p, '\n', room) : NULL;
		n = nl != NULL ? (size_t)(nl + 1 - p) : 0;
		if (n == 0 && f->size == 0)
			n = (size_t)((const char *)memchr(p, '\n', left) + 1 - p);
		if (n > 0) {
			writer_put(w, b->stream_id, p, n);
			p += n;
			left -= n;
		}
		if (left > 0 && writer_rotate(w, b->stream_id) < 0) {
			writer_put(w, b->stream_id, p, left);	/* past the size, but written */
			break;
		}
	}
	w->batches++;
	stats_add(w->st, STATS_WRITTEN_LINES, b->nrecords);
	stats_add(w->st, STATS_WRITTEN_BYTES, b->len);
	return (b->flags & BATCH_SYNC) || w->cfg->sync == CONFIG_SYNC_ALWAYS;
}

/*
 * Once a tick: rotation by age, closing files idle for idle_close, and after
 * a tick with nothing to write, giving the heap's free memory back (logd
 * keeps some for the next batches, see main.c): at rest, RSS is back to base.
 */
static void
writer_housekeeping(struct writer *w)
{
	uint64_t	now = clock_ms(CLOCK_REALTIME), mono = clock_ms(CLOCK_MONOTONIC);
	uint32_t	id;

	if (w->batches != w->written_at_tick) {
		w->written_at_tick = w->batches;
		w->trimmed = 0;
	} else if (!w->trimmed) {
		(void)malloc_trim(0);
		w->trimmed = 1;
	}

	for (id = 0; id < w->nfiles; id++) {
		if (w->files[id].fd < 0)
			continue;
		if (writer_too_old(w, id, now))
			(void)writer_rotate(w, id);
		else if (mono - w->files[id].used_ms >= w->cfg->idle_close_ms)
			writer_close(w, id);
	}
	w->tick_ms = mono + WRITER_TICK_MS;
}

/* What the loop asked for: a new configuration, rotation, reopening. */
static void
writer_requests(struct writer *w)
{
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
			writer_close(w, id);
	}
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
	uint32_t	 id, urgent = 0;	/* batches written since a sync was asked for */
	int		 timed_out;

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
			writer_sync_dirty(w);
			urgent = 0;
		} else if (w->cfg->sync == CONFIG_SYNC_INTERVAL && w->ndirty > 0 &&
		    clock_ms(CLOCK_MONOTONIC) >= w->sync_due_ms) {
			writer_sync_dirty(w);
		}
		if (clock_ms(CLOCK_MONOTONIC) >= w->tick_ms)
			writer_housekeeping(w);
	}
	/* Make what we wrote durable before the loop exits. */
	writer_sync_dirty(w);
	for (id = 0; id < w->nfiles; id++)
		writer_close(w, id);
	queue_finish(w->q);
	return NULL;
}

/* At start: what a crash left half done in the archives of every stream. */
static void
writer_cleanup(struct writer *w)
{
	const struct stream_config	*sc;
	struct dirent			*de;
	DIR				*d;
	int				 dfd;

	if ((d = rotate_opendir(w->dir_fd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (proto_name_valid(de->d_name, strlen(de->d_name)) != 0 ||
		    (dfd = openat(w->dir_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
		    O_NOFOLLOW)) < 0)
			continue;
		sc = config_stream(w->cfg, de->d_name, strlen(de->d_name));
		(void)rotate_cleanup(dfd, sc->compress == CONFIG_COMPRESS_ZSTD,
		    (int)sc->compress_level);
		close(dfd);
	}
	closedir(d);
}

static struct config *
config_copy(const struct config *cfg)
{
	struct config	*c = malloc(sizeof(*c));

	if (c != NULL)
		memcpy(c, cfg, sizeof(*c));
	return c;
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
	w->files = calloc(cfg->max_streams, sizeof(*w->files));
	w->dirty_ids = malloc(cfg->max_streams * sizeof(*w->dirty_ids));
	w->cfg = config_copy(cfg);
	if (w->files == NULL || w->dirty_ids == NULL || w->cfg == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < cfg->max_streams; i++)
		w->files[i].fd = -1;
	w->nfiles = cfg->max_streams;
	w->q = q;
	w->st = st;
	w->dir_fd = log_dir_fd;
	atomic_init(&w->next_cfg, NULL);
	atomic_init(&w->requests, 0);
	w->rotate_limit.interval_ms = 60 * 1000;
	format_self(&w->self);
	format_cache_init(&w->fc);
	writer_cleanup(w);
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
	free(w->cfg);
	free(w->dirty_ids);
	free(w->files);
	free(w);
	return rc;
}

void
writer_request(struct writer *w, unsigned what)
{
	atomic_fetch_or(&w->requests, what);
	queue_kick(w->q);
}

int
writer_reconfigure(struct writer *w, const struct config *cfg)
{
	struct config	*c = config_copy(cfg);

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
	free(atomic_exchange(&w->next_cfg, NULL));
	free(w->cfg);
	free(w->dirty_ids);
	free(w->files);
	free(w);
}
