/*
 * logdir.h - every open and create in the log dir goes through here.
 *
 * Names are opened relative to a directory fd (the log dir's, a stream
 * directory's), never through a symbolic link (O_NOFOLLOW), and only as
 * what they are meant to be: a directory with O_DIRECTORY, a file only if
 * it is a regular one.  A FIFO, socket or device planted in the log dir is
 * refused before anything is read from or written to it.  What logd
 * creates gets its mode and group whatever the umask.
 *
 * Any thread: the functions share nothing but what they are given.
 */
#ifndef LOGD_LOGDIR_H
#define LOGD_LOGDIR_H

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

/* A name that is there but not a regular file (a FIFO, socket or device): refused. */
#define LOGDIR_ENOTREG		EMEDIUMTYPE

/* The mode and group of what logd creates; gid (gid_t)-1 keeps the creator's. */
struct logdir_perm {
	mode_t	dir_mode;
	mode_t	file_mode;
	gid_t	gid;
};

/*
 * Opens directory name in at (O_RDONLY | O_DIRECTORY), never through a
 * symbolic link (-ELOOP) nor anything else that is not a directory
 * (-ENOTDIR).  With perm, creates it first where it is missing, and *created
 * (if not NULL) says whether it did.  fd or -errno.
 */
int	logdir_dir(int at, const char *name, const struct logdir_perm *perm, int *created);

/*
 * Opens name in dfd with flags (O_RDONLY, O_RDWR | O_APPEND, ...) if it is
 * a regular file: a symbolic link is -ELOOP, anything else not regular
 * -LOGDIR_ENOTREG, and neither is opened for I/O.  With perm, creates it
 * (O_CREAT | O_EXCL: never an existing one) where it is missing, and
 * *created (if not NULL) says whether it did.  fd or -errno.
 */
int	logdir_file(int dfd, const char *name, int flags, const struct logdir_perm *perm,
	    int *created);

/*
 * 0 if name in dfd is a regular file (its stat in *sb, if not NULL), else
 * why not: -ENOENT, -ELOOP (a symbolic link), -LOGDIR_ENOTREG or -errno.
 */
int	logdir_regular(int dfd, const char *name, struct stat *sb);

/* Gives fd, which logd just created, mode (whatever the umask) and group gid. */
int	logdir_own(int fd, mode_t mode, gid_t gid);

/*
 * A listing of directory dfd from its start, with a position of its own (any
 * thread may list dfd at the same time); dfd stays open.  closedir() it.
 * NULL + errno.
 */
DIR	*logdir_list(int dfd);

/*
 * The directory path is in, into buf ("/run/logd/socket" -> "/run/logd",
 * "/s" -> "/", "s" -> "."): for a message about where a file would go.
 */
const char *logdir_parent(const char *path, char *buf, size_t len);

/*
 * err in words, for a message about a path in the log dir: the refusals
 * (-ELOOP, -LOGDIR_ENOTREG, -ENOTDIR) say what is in the way, else strerror().
 */
const char *logdir_strerror(int err);

#endif
