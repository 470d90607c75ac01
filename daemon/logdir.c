/*
 * logdir.c - every open and create in the log dir (see logdir.h).
 */
#include "logdir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
logdir_own(int fd, mode_t mode, gid_t gid)
{
	struct stat	sb;

	/* chown first: it may clear set-id bits that fchmod() sets. */
	if (gid != (gid_t)-1 && (fstat(fd, &sb) < 0 || (sb.st_gid != gid &&
	    fchown(fd, (uid_t)-1, gid) < 0)))
		return -errno;
	return fchmod(fd, mode) < 0 ? -errno : 0;
}

int
logdir_dir(int at, const char *name, const struct logdir_perm *perm, int *created)
{
	struct stat	sb;
	int		fd, rc, made = 0;

	if (perm != NULL) {
		if (mkdirat(at, name, perm->dir_mode) == 0)
			made = 1;
		else if (errno != EEXIST)
			return -errno;
	}
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		/* A link to a directory is ENOTDIR with O_NOFOLLOW: say what it is. */
		if (errno == ENOTDIR && fstatat(at, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(sb.st_mode))
			return -ELOOP;
		return -errno;
	}
	if (made && (rc = logdir_own(fd, perm->dir_mode, perm->gid)) < 0) {
		close(fd);
		return rc;
	}
	if (created != NULL)
		*created = made;
	return fd;
}

int
logdir_file(int dfd, const char *name, int flags, const struct logdir_perm *perm,
    int *created)
{
	struct stat	sb;
	int		fd, rc;

	flags |= O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
	if (perm != NULL) {
		if ((fd = openat(dfd, name, flags | O_CREAT | O_EXCL, perm->file_mode)) >= 0) {
			if ((rc = logdir_own(fd, perm->file_mode, perm->gid)) < 0) {
				close(fd);
				return rc;
			}
			if (created != NULL)
				*created = 1;
			return fd;
		}
		if (errno != EEXIST)
			return -errno;
	}
	if (created != NULL)
		*created = 0;
	/* O_NONBLOCK: opening a FIFO does not wait for its other end before it is refused. */
	if ((fd = openat(dfd, name, flags | O_NONBLOCK)) < 0)
		return errno == ENXIO ? -LOGDIR_ENOTREG : -errno;	/* ENXIO: a socket */
	if (fstat(fd, &sb) < 0)
		rc = -errno;
	else if (!S_ISREG(sb.st_mode))
		rc = -LOGDIR_ENOTREG;
	else if (!(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		rc = -errno;
	else
		return fd;
	close(fd);
	return rc;
}

int
logdir_regular(int dfd, const char *name, struct stat *sb)
{
	struct stat	own;

	if (sb == NULL)
		sb = &own;
	if (fstatat(dfd, name, sb, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISLNK(sb->st_mode))
		return -ELOOP;
	return S_ISREG(sb->st_mode) ? 0 : -LOGDIR_ENOTREG;
}

DIR *
logdir_list(int dfd)
{
	DIR	*d;
	int	 fd;

	/*
	 * A description of its own: a dup() would share dfd's position with
	 * every other listing of it, and two threads listing the log dir at
	 * once (the compressor's clean-up, the writer's scan) would each miss
	 * what the other read.
	 */
	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return NULL;
	}
	return d;
}

const char *
logdir_strerror(int err)
{
	switch (err) {
	case -ELOOP:
		return "it is a symbolic link, which logd never follows";
	case -LOGDIR_ENOTREG:
		return "it is not a regular file (a FIFO, socket or device), which logd never "
		    "writes to";
	case -ENOTDIR:
		return "it is not a directory";
	default:
		return strerror(-err);
	}
}

const char *
logdir_parent(const char *path, char *buf, size_t len)
{
	const char	*slash = strrchr(path, '/');

	snprintf(buf, len, "%.*s", slash == NULL || slash == path ? 1 : (int)(slash - path),
	    slash == NULL ? "." : path);
	return buf;
}
