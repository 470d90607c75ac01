/*
 * compress.h - the compressor thread: archives become .log.zst off the
 * write path.
 *
 * The writer hands it each archive it rotates (compressor_add()); at most
 * compress_backlog wait, and past that an archive stays plain (the writer
 * counts and says so) until the next start.  The thread's first task,
 * after READY=1 (compressor_start()), is the clean-up of what a crash or a
 * stop left half done in every stream directory: a rotation that stopped
 * half way, a .zst.tmp, a plain archive beside its .zst, and the plain
 * archives of streams with compress = zstd, which it compresses.  Then it
 * compresses one archive at a time as they come, at a lower CPU priority
 * than the loop and the writer.  compressor_free() stops a compression in
 * progress cleanly (the plain archive stays whole for the next start).
 */
#ifndef LOGD_COMPRESS_H
#define LOGD_COMPRESS_H

#include "config.h"
#include "stats.h"

struct compressor;

/*
 * A compressor for the stream directories in log_dir_fd (it takes a dup of
 * it and a copy of cfg, for the clean-up's per-stream settings), counting
 * in st.  The thread does not run yet.  0 or -errno.
 */
int	compressor_new(int log_dir_fd, const struct config *cfg, struct stats *st,
	    struct compressor **out);

/* Starts the thread: the clean-up, then the archives handed to it.  0 or -errno. */
int	compressor_start(struct compressor *c);

/*
 * Writer: archive (a plain archive's name) of stream is to be compressed at
 * level.  0, or -ENOSPC when compress_backlog archives already wait.
 */
int	compressor_add(struct compressor *c, const char *stream, const char *archive, int level);

/* Asks the thread to stop: a compression in progress ends cleanly.  Does not wait. */
void	compressor_stop(struct compressor *c);

/* Stops the thread (compressor_stop()), waits for it, frees c.  NULL is fine. */
void	compressor_free(struct compressor *c);

#endif
