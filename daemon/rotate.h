/*
 * rotate.h - a stream directory's archives: rotation by rename, retention,
 * compression, and the clean-up of what a crash left behind.
 *
 * An archive is "<UTC time>.log" (2026-11-25T12:00:00.123456Z.log), or
 * ".log.zst" once compressed, in the stream's directory beside current.log:
 * names sort by time, and rotate_archive() never reuses one.  current.log is
 * never deleted.  Every function works on directory file descriptors and
 * blocks on the disk: writer thread only.
 */
#ifndef LOGD_ROTATE_H
#define LOGD_ROTATE_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define ROTATE_NAME_MAX		48	/* an archive's name, with ".zst" and the NUL */

/*
 * Renames current.log in the stream directory dfd to a new archive named
 * for the time now, and syncs the directory.  The archive's name goes to
 * name.  0 or -errno.
 */
int	rotate_archive(int dfd, char name[ROTATE_NAME_MAX]);

/*
 * Compresses archive name in dfd with zstd at level: name.zst.tmp is
 * written and synced, renamed to name.zst, the directory synced, and name
 * removed.  A crash at any point leaves name or name.zst complete.  0 or -errno.
 */
int	rotate_compress(int dfd, const char *name, int level);

/*
 * After a crash: removes *.zst.tmp, and every plain archive whose .zst is
 * there (the compression finished but for the removal); with compress,
 * compresses the plain archives left.  Returns how many files it changed.
 */
int	rotate_cleanup(int dfd, int compress, int level);

/*
 * Removes the stream's oldest archives until at most max_files are left and
 * they hold at most max_bytes (0 = no limit).  Returns how many it removed
 * and adds their size to *freed.
 */
int	rotate_retain(int dfd, uint32_t max_files, uint64_t max_bytes, uint64_t *freed);

/*
 * Across every stream directory in log_dir_fd: removes the oldest archives
 * until they hold at most max_use bytes and the file system has keep_free
 * bytes free (CONFIG_AUTO for either: 10% and 15% of the file system, at
 * most 4 GiB each), and at least one if force (the disk is full).  Returns how many it
 * removed and adds their size to *freed.
 */
int	rotate_global(int log_dir_fd, uint64_t max_use, uint64_t keep_free, int force,
	    uint64_t *freed);

/* A listing of directory dfd from its start; dfd stays open.  closedir() it.  NULL + errno. */
DIR	*rotate_opendir(int dfd);

/* Whether name is an archive's name (plain or compressed). */
int	rotate_is_archive(const char *name);

#endif
