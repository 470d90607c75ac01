/*
 * compress.c - the compressor thread (see compress.h).
 *
 * The archives waiting are a ring of compress_backlog fixed-size entries,
 * so its memory is bounded; a mutex and a condition variable guard it and
 * the stop flag.  Only this thread touches the files it compresses, and
 * rotate_compress() renames them so a crash or a stop at any point leaves a
 * whole plain or .zst archive (retention, on the writer, may remove an
 * archive meanwhile: rotate_compress() then drops its copy).
 */
#include "compress.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include "diag.h"
#include "logdir.h"
#include "proto.h"
#include "rotate.h"

#define COMPRESS_NICE	10	/* below the loop and the writer */

struct compress_job {
	char	stream[PROTO_MAX_NAME + 1];
	char	archive[ROTATE_NAME_MAX];
	int	level;
};

struct compressor {
	pthread_t		 thread;
	int			 started;
	int			 dir_fd;
	struct config		*cfg;		/* the clean-up's: each stream's compress settings */
	struct stats		*st;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;
	struct compress_job	*jobs;		/* a ring of max_jobs */
	uint32_t		 max_jobs;
	uint32_t		 head;
	uint32_t		 njobs;
	_Atomic int		 stop;
};

int
compressor_new(int log_dir_fd, const struct config *cfg, struct stats *st,
    struct compressor **out)
{
	struct compressor	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->max_jobs = cfg->compress_backlog;
	c->jobs = calloc(c->max_jobs, sizeof(*c->jobs));
	c->cfg = config_dup(cfg);
	c->dir_fd = fcntl(log_dir_fd, F_DUPFD_CLOEXEC, 3);
	if (c->jobs == NULL || c->cfg == NULL || c->dir_fd < 0) {
		int	rc = c->dir_fd < 0 ? -errno : -ENOMEM;

		if (c->dir_fd >= 0)
			close(c->dir_fd);
		free(c->cfg);
		free(c->jobs);
		free(c);
		return rc;
	}
	c->st = st;
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cond, NULL);
	atomic_init(&c->stop, 0);
	*out = c;
	return 0;
}

static int
compressor_stopping(struct compressor *c)
{
	return atomic_load_explicit(&c->stop, memory_order_relaxed);
}

/* Every stream directory: what a crash or a stop left half done. */
static void
compressor_cleanup(struct compressor *c)
{
	const struct stream_config	*sc;
	struct dirent			*de;
	DIR				*d;
	int				 dfd, n = 0;

	if ((d = logdir_list(c->dir_fd)) == NULL)
		return;
	while (!compressor_stopping(c) && (de = readdir(d)) != NULL) {
		if (proto_name_valid(de->d_name, strlen(de->d_name)) != 0 ||
		    (dfd = logdir_dir(c->dir_fd, de->d_name, NULL, NULL)) < 0)
			continue;
		sc = config_stream(c->cfg, de->d_name, strlen(de->d_name));
		(void)rotate_cleanup(dfd, sc->compress == CONFIG_COMPRESS_ZSTD,
		    (int)sc->compress_level, &c->stop, &n);
		close(dfd);
	}
	closedir(d);
	stats_add(c->st, STATS_ARCHIVES_COMPRESSED, (uint64_t)n);
}

static void
compressor_one(struct compressor *c, const struct compress_job *job)
{
	int	dfd, rc;

	if ((dfd = logdir_dir(c->dir_fd, job->stream, NULL, NULL)) < 0) {
		rc = dfd;
	} else {
		rc = rotate_compress(dfd, job->archive, job->level, &c->stop);
		close(dfd);
	}
	if (rc == 0)
		stats_inc(c->st, STATS_ARCHIVES_COMPRESSED);
	else if (rc != -ECANCELED && rc != -ENOENT)	/* stopping; removed by retention */
		diag_errno(LOG_ERR, rc, "stream %s: cannot compress %s; keeping it as it is",
		    job->stream, job->archive);
}

static void *
compressor_main(void *arg)
{
	struct compressor	*c = arg;
	struct compress_job	 job;

	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), COMPRESS_NICE);
	compressor_cleanup(c);
	pthread_mutex_lock(&c->mtx);
	for (;;) {
		while (c->njobs == 0 && !compressor_stopping(c))
			pthread_cond_wait(&c->cond, &c->mtx);
		if (compressor_stopping(c))
			break;
		job = c->jobs[c->head];
		c->head = (c->head + 1) % c->max_jobs;
		c->njobs--;
		pthread_mutex_unlock(&c->mtx);
		compressor_one(c, &job);
		pthread_mutex_lock(&c->mtx);
	}
	pthread_mutex_unlock(&c->mtx);
	return NULL;
}

int
compressor_start(struct compressor *c)
{
	sigset_t	all, old;
	int		rc;

	/* Signals are the loop's: the thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = -pthread_create(&c->thread, NULL, compressor_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	c->started = rc == 0;
	return rc;
}

int
compressor_add(struct compressor *c, const char *stream, const char *archive, int level)
{
	struct compress_job	*job;
	int			 rc = 0;

	pthread_mutex_lock(&c->mtx);
	if (c->njobs == c->max_jobs) {
		rc = -ENOSPC;
	} else {
		job = &c->jobs[(c->head + c->njobs) % c->max_jobs];
		snprintf(job->stream, sizeof(job->stream), "%s", stream);
		snprintf(job->archive, sizeof(job->archive), "%s", archive);
		job->level = level;
		c->njobs++;
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&c->mtx);
	return rc;
}

void
compressor_stop(struct compressor *c)
{
	pthread_mutex_lock(&c->mtx);
	atomic_store(&c->stop, 1);
	pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->mtx);
}

void
compressor_free(struct compressor *c)
{
	if (c == NULL)
		return;
	compressor_stop(c);
	if (c->started)
		pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->mtx);
	close(c->dir_fd);
	free(c->cfg);
	free(c->jobs);
	free(c);
}
