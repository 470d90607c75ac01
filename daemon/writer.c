/*
 * writer.c - the writer thread (see writer.h).
 *
 * Files are opened O_APPEND, so each write(2) of a batch lands whole at the
 * end even if another process appends too; a short write is continued from
 * where it stopped.  The file table is indexed by stream id and touched only
 * by this thread.
 */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"

#define WRITER_BACKOFF_MIN_MS	10
#define WRITER_BACKOFF_MAX_MS	1000

struct writer {
	pthread_t	 thread;
	struct queue	*q;
	struct stats	*st;
	int		 dir_fd;
	int		*fds;		/* by stream id; -1 = not open */
	uint32_t	 nfds;
};

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
	fd = openat(dfd, "current.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
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

static int
writer_write(int fd, const char *buf, size_t len, size_t *done)
{
	ssize_t	n;

	while (*done < len) {
		n = write(fd, buf + *done, len - *done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		*done += (size_t)n;
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

/* Writes b to its stream's file, retrying until it is all written. */
static void
writer_batch(struct writer *w, struct batch *b)
{
	int	*fd = &w->fds[b->stream_id];
	size_t	 done = 0;
	unsigned backoff_ms = WRITER_BACKOFF_MIN_MS;
	int	 rc, failing = 0;

	for (;;) {
		rc = *fd < 0 ? writer_open(w, b->stream_name, fd) : 0;
		if (rc == 0)
			rc = writer_write(*fd, b->data, b->len, &done);
		if (rc == 0)
			break;
		atomic_fetch_add_explicit(&w->st->write_errors, 1, memory_order_relaxed);
		if (!failing)
			diag_errno(LOG_ERR, rc, "stream %s: cannot write %s/current.log; "
			    "keeping its records and retrying every %u ms", b->stream_name,
			    b->stream_name, WRITER_BACKOFF_MAX_MS);
		failing = 1;
		writer_sleep_ms(backoff_ms);
		if ((backoff_ms *= 2) > WRITER_BACKOFF_MAX_MS)
			backoff_ms = WRITER_BACKOFF_MAX_MS;
	}
	if (failing)
		diag(LOG_NOTICE, "stream %s: writing again", b->stream_name);
	atomic_fetch_add_explicit(&w->st->written_lines, b->nrecords, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->st->written_bytes, b->len, memory_order_relaxed);
}

static void *
writer_main(void *arg)
{
	struct writer	*w = arg;
	struct batch	*b;
	uint32_t	 i;

	while ((b = queue_pop(w->q)) != NULL) {
		writer_batch(w, b);
		queue_batch_free(w->q, b);
	}
	/* Closed and empty: make what we wrote durable before the loop exits. */
	for (i = 0; i < w->nfds; i++)
		if (w->fds[i] >= 0 && fdatasync(w->fds[i]) < 0)
			diag_errno(LOG_ERR, -errno, "cannot sync a stream file at exit");
	queue_finish(w->q);
	return NULL;
}

int
writer_start(struct queue *q, int log_dir_fd, uint32_t max_streams, struct stats *st,
    struct writer **out)
{
	struct writer	*w;
	sigset_t	 all, old;
	uint32_t	 i;
	int		 rc;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -ENOMEM;
	if ((w->fds = malloc(max_streams * sizeof(*w->fds))) == NULL) {
		free(w);
		return -ENOMEM;
	}
	for (i = 0; i < max_streams; i++)
		w->fds[i] = -1;
	w->nfds = max_streams;
	w->q = q;
	w->st = st;
	w->dir_fd = log_dir_fd;
	/* Signals are the loop's: the writer thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = -pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0) {
		free(w->fds);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
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
	free(w->fds);
	free(w);
}
