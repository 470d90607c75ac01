/*
 * rotate.h - a stream directory's archives: rotation by rename, retention,
 * compression, and the clean-up of what a crash left behind.
 *
 * An archive is "<UTC time>.log" (2026-11-25T12:00:00.123456Z.log), or
 * ".log.zst" once compressed, in the stream's directory beside current.log:
 * names sort by time, and rotate_archive() never reuses one.  current.log is
 * never deleted, and never missing: rotation puts the new file in its place
 * in one step.  Every function works on directory file descriptors and
 * blocks on the disk: the writer thread's (rotation, retention) and the
 * compressor's (compression, clean-up); they share no state but the files.
 */
#ifndef LOGD_ROTATE_H
#define LOGD_ROTATE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "logdir.h"

#define ROTATE_NAME_MAX		48	/* an archive's name, with ".zst" and the NUL */
#define ROTATE_SWAP		".current.log.swap"	/* a rotation's two files change names here */

/*
 * Rotates current.log in the stream directory dfd: a new, empty file
 * (created with mode) takes the name current.log in one step
 * (renameat2(RENAME_EXCHANGE) with ROTATE_SWAP), so at every instant
 * current.log exists and a follower by name sees one switch; then the old
 * file is renamed to an archive named for the time now (its name in name;
 * "" if that failed: the next rotation or start names it) and the
 * directory is synced.  Returns the new file, open for appending, or
 * -errno (-ENOENT: no current.log; -ELOOP or -LOGDIR_ENOTREG: it is not a
 * regular file, and stays as it is).  Where the file system cannot exchange
 * names, current.log is renamed and the new file takes its name after.
 */
int	rotate_archive(int dfd, const struct logdir_perm *perm, char name[ROTATE_NAME_MAX]);

/*
 * Compresses archive name in dfd with zstd at level: name.zst.tmp is
 * written and synced, renamed to name.zst, the directory synced, and name
 * removed.  A crash at any point leaves name or name.zst complete.  Stops
 * with -ECANCELED as soon as *stop (if not NULL) is set, leaving name, and
 * with -ENOENT if retention removed name meanwhile.  0 or -errno.
 */
int	rotate_compress(int dfd, const char *name, int level, const _Atomic int *stop);

/*
 * Ends a rotation that stopped half way (a crash) in dfd: ROTATE_SWAP
 * empty is the new file that never took the name (removed); with data, the
 * old current.log that never got its archive name (it gets one now).
 * Anything but a regular file there is refused, never removed.  Only the
 * thread that rotates may call it: during a rotation ROTATE_SWAP is the new,
 * empty file.  Returns 1 if it changed something, 0 if there was nothing,
 * or -errno.
 */
int	rotate_finish(int dfd);

/*
 * After a crash: removes *.zst.tmp and every plain archive whose .zst is
 * there (the compression finished but for the removal); with compress,
 * compresses the plain archives left (stopping at *stop, as
 * rotate_compress()), adding how many to *compressed.  ROTATE_SWAP is left
 * to rotate_finish().  Returns how many files it changed.
 */
int	rotate_cleanup(int dfd, int compress, int level, const _Atomic int *stop,
	    int *compressed);

/*
 * Removes the stream's oldest archives until at most max_files are left and
 * they hold at most max_bytes (0 = no limit), but none named for a time at
 * or after keep_from_ns (archives a forwarder has not sent yet; INT64_MAX:
 * none is kept so).  Returns how many it removed and adds their size to
 * *freed.
 */
int	rotate_retain(int dfd, uint32_t max_files, uint64_t max_bytes, int64_t keep_from_ns,
	    uint64_t *freed);

/*
 * Called by rotate_global() before it removes archive name of stream (a
 * directory of the log dir): the writer checks it against the forwarders'
 * pins and says what is lost.
 */
typedef void	(*rotate_removing_fn)(void *arg, const char *stream, const char *name);

/* The time an archive's name gives (CLOCK_REALTIME ns), or -EINVAL if it is not one. */
int	rotate_archive_time(const char *name, int64_t *ns);

/* The lines of archive name in dfd (a .zst one decompressed) into *lines.  0 or -errno. */
int	rotate_count_lines(int dfd, const char *name, uint64_t *lines);

/*
 * Across every stream directory in log_dir_fd: removes the oldest archives
 * until archives and current files together hold at most max_use bytes and
 * the file system has keep_free bytes free (CONFIG_AUTO for either: 10% and
 * 15% of the file system, at most 4 GiB each), and at least one if force
 * (the disk is full).  current.log is never removed: *over says whether the
 * limits are still not met when it is done.  removing (if not NULL) hears
 * of each archive before it goes.  Returns how many it removed
 * and adds their size to *freed.
 */
int	rotate_global(int log_dir_fd, uint64_t max_use, uint64_t keep_free, int force,
	    uint64_t *freed, int *over, rotate_removing_fn removing, void *arg);

/* Whether name is an archive's name (plain or compressed). */
int	rotate_is_archive(const char *name);

#endif
