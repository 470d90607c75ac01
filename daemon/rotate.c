/*
 * rotate.c - a stream directory's archives (see rotate.h).
 *
 * Archives are found by name, not kept in memory: a directory listing is
 * cheap next to a rotation, and what is on disk is the truth after a crash.
 */
#include "rotate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "logdir.h"
#include "proto.h"

#define ROTATE_AUTO_CAP		(4ull << 30)	/* max_use and keep_free "auto": at most 4 GiB */

struct archive {
	char		path[PROTO_MAX_NAME + 1 + ROTATE_NAME_MAX];	/* [stream/]name */
	size_t		 name_off;	/* where the archive's name starts in path: an offset,
					 * not a pointer, as qsort() moves the structs */
	uint64_t	 bytes;
};

int
rotate_is_archive(const char *name)
{
	size_t	len = strlen(name);

	/* 2026-11-25T12:00:00.123456Z.log, possibly -N before .log, possibly .zst after. */
	if (len < 31 || len >= ROTATE_NAME_MAX || name[4] != '-' || name[10] != 'T' ||
	    name[26] != 'Z')
		return 0;
	return (len > 4 && strcmp(name + len - 4, ".log") == 0) ||
	    (len > 8 && strcmp(name + len - 8, ".log.zst") == 0);
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t	ls = strlen(s), lx = strlen(suffix);

	return ls > lx && strcmp(s + ls - lx, suffix) == 0;
}

static int
sync_dir(int dfd)
{
	return fsync(dfd) < 0 ? -errno : 0;
}

/*
 * Renames from in dfd to a new archive named for the time now (its name in
 * name), never over another: a name taken (a rotation in the same
 * microsecond, or a clock set back) is tried again a microsecond later.
 */
static int
rotate_rename(int dfd, const char *from, char name[ROTATE_NAME_MAX])
{
	struct timespec	ts;
	struct tm	tm;
	char		zst[ROTATE_NAME_MAX + 4];
	int		tries;

	clock_gettime(CLOCK_REALTIME, &ts);
	for (tries = 0; tries < 1000; tries++) {
		gmtime_r(&ts.tv_sec, &tm);
		strftime(name, ROTATE_NAME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(name + 19, ROTATE_NAME_MAX - 19, ".%06dZ.log", (int)(ts.tv_nsec / 1000));
		snprintf(zst, sizeof(zst), "%.47s.zst", name);
		if (faccessat(dfd, zst, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
			if (renameat2(dfd, from, dfd, name, RENAME_NOREPLACE) == 0)
				return 0;
			if (errno != EEXIST)
				return -errno;
		}
		if ((ts.tv_nsec += 1000) >= 1000000000) {
			ts.tv_nsec -= 1000000000;
			ts.tv_sec++;
		}
	}
	return -EEXIST;
}

int
rotate_finish(int dfd)
{
	char		name[ROTATE_NAME_MAX];
	struct stat	sb;
	int		rc;

	if ((rc = logdir_regular(dfd, ROTATE_SWAP, &sb)) < 0)
		return rc == -ENOENT ? 0 : rc;
	if (sb.st_size > 0)
		rc = rotate_rename(dfd, ROTATE_SWAP, name);
	else
		rc = unlinkat(dfd, ROTATE_SWAP, 0) < 0 ? -errno : 0;
	return rc < 0 ? rc : 1;
}

int
rotate_archive(int dfd, const struct logdir_perm *perm, char name[ROTATE_NAME_MAX])
{
	int	fd, rc;

	/* Only a regular current.log is renamed: a planted link or FIFO stays where it is. */
	if ((rc = logdir_regular(dfd, "current.log", NULL)) < 0 || (rc = rotate_finish(dfd)) < 0)
		return rc;
	if ((fd = logdir_file(dfd, ROTATE_SWAP, O_RDWR | O_APPEND, perm, NULL)) < 0)
		return fd;
	/* current.log is the new, empty file from here on: it never goes missing. */
	if (renameat2(dfd, ROTATE_SWAP, dfd, "current.log", RENAME_EXCHANGE) == 0) {
		/* If this fails, the old file waits under ROTATE_SWAP: rotate_finish(). */
		if (rotate_rename(dfd, ROTATE_SWAP, name) < 0)
			name[0] = '\0';
		(void)sync_dir(dfd);
		return fd;
	}
	if (errno != EINVAL) {
		rc = -errno;
	} else if ((rc = rotate_rename(dfd, "current.log", name)) == 0) {
		/* A file system that cannot exchange names: current.log is missing a moment. */
		if (renameat(dfd, ROTATE_SWAP, dfd, "current.log") == 0) {
			(void)sync_dir(dfd);
			return fd;
		}
		rc = -errno;
	}
	close(fd);
	(void)unlinkat(dfd, ROTATE_SWAP, 0);
	return rc;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Streams in to out through cctx; -ECANCELED as soon as *stop is set. */
static int
compress_fd(ZSTD_CCtx *cctx, int in, int out, const _Atomic int *stop)
{
	size_t		 isz = ZSTD_CStreamInSize(), osz = ZSTD_CStreamOutSize(), r;
	char		*ibuf = malloc(isz), *obuf = malloc(osz);
	ssize_t		 n;
	int		 rc = 0, end = 0;

	if (ibuf == NULL || obuf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while (!end && rc == 0) {
		if (stop != NULL && atomic_load_explicit(stop, memory_order_relaxed)) {
			rc = -ECANCELED;
			break;
		}
		if ((n = read(in, ibuf, isz)) < 0) {
			if (errno != EINTR)
				rc = -errno;
			continue;
		}
		end = n == 0;
		ZSTD_inBuffer	ib = { ibuf, (size_t)n, 0 };

		do {
			ZSTD_outBuffer	ob = { obuf, osz, 0 };

			r = ZSTD_compressStream2(cctx, &ob, &ib, end ? ZSTD_e_end : ZSTD_e_continue);
			if (ZSTD_isError(r)) {
				rc = -EIO;
				break;
			}
			if ((rc = write_all(out, obuf, ob.pos)) < 0)
				break;
		} while (end ? r != 0 : ib.pos < ib.size);
	}
out:
	free(ibuf);
	free(obuf);
	return rc;
}

int
rotate_compress(int dfd, const char *name, int level, const _Atomic int *stop)
{
	char			 zst[ROTATE_NAME_MAX + 4], tmp[ROTATE_NAME_MAX + 8];
	struct logdir_perm	 perm = { 0, 0, (gid_t)-1 };
	struct stat		 sb;
	ZSTD_CCtx		*cctx = NULL;
	int			 in, out = -1, rc;

	snprintf(zst, sizeof(zst), "%.47s.zst", name);
	snprintf(tmp, sizeof(tmp), "%.47s.zst.tmp", name);
	if ((in = logdir_file(dfd, name, O_RDONLY, NULL, NULL)) < 0)
		return in;
	/* The compressed archive gets the plain one's mode and group: never wider. */
	if (fstat(in, &sb) < 0) {
		rc = -errno;
		goto out;
	}
	perm.file_mode = sb.st_mode & 07777;
	perm.gid = sb.st_gid;
	if ((out = logdir_file(dfd, tmp, O_WRONLY, &perm, NULL)) < 0 || ftruncate(out, 0) < 0) {
		rc = out < 0 ? out : -errno;
		goto out;
	}
	if ((cctx = ZSTD_createCCtx()) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1))) {
		rc = -EINVAL;
		goto out;
	}
	if ((rc = compress_fd(cctx, in, out, stop)) < 0)
		goto out;
	/* Retention removed the plain archive meanwhile: it is not to come back compressed. */
	if (faccessat(dfd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		rc = -errno;
		goto out;
	}
	/* The compressed copy is whole and durable before the plain one goes. */
	if (fsync(out) < 0 || renameat(dfd, tmp, dfd, zst) < 0) {
		rc = -errno;
		goto out;
	}
	if ((rc = sync_dir(dfd)) < 0)
		goto out;
	if (unlinkat(dfd, name, 0) < 0) {
		rc = -errno;
		goto out;
	}
	rc = sync_dir(dfd);
out:
	if (rc < 0 && out >= 0)
		unlinkat(dfd, tmp, 0);
	if (out >= 0)
		close(out);
	close(in);
	ZSTD_freeCCtx(cctx);
	return rc;
}

static int
archive_cmp(const void *a, const void *b)
{
	const struct archive	*x = a, *y = b;
	int			 c = strcmp(x->path + x->name_off, y->path + y->name_off);

	return c != 0 ? c : strcmp(x->path, y->path);
}

/*
 * Appends the archives of directory dfd (named dir in log_dir, or NULL) to
 * *list.  0 or -errno.
 */
static int
list_archives(int dfd, const char *dir, struct archive **list, size_t *n, size_t *cap)
{
	struct archive	*a;
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;

	if ((d = logdir_list(dfd)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (!rotate_is_archive(de->d_name) || logdir_regular(dfd, de->d_name, &sb) < 0)
			continue;
		if (*n == *cap) {
			size_t	ncap = *cap ? *cap * 2 : 64;

			if ((a = realloc(*list, ncap * sizeof(**list))) == NULL) {
				closedir(d);
				return -ENOMEM;
			}
			*list = a;
			*cap = ncap;
		}
		a = &(*list)[(*n)++];
		/* Both fit: stream names are at most 64 bytes, archive names below 48. */
		snprintf(a->path, sizeof(a->path), "%.64s%s%.47s", dir != NULL ? dir : "",
		    dir != NULL ? "/" : "", de->d_name);
		a->bytes = (uint64_t)sb.st_blocks * 512;
	}
	closedir(d);
	return 0;
}

/*
 * Finds each archive's name in its path and sorts the list oldest first.
 */
static void
order_archives(struct archive *list, size_t n)
{
	size_t	i;
	char	*slash;

	if (n == 0)
		return;		/* and list may be NULL, which qsort() may not be given */
	for (i = 0; i < n; i++) {
		slash = strrchr(list[i].path, '/');
		list[i].name_off = slash != NULL ? (size_t)(slash + 1 - list[i].path) : 0;
	}
	qsort(list, n, sizeof(*list), archive_cmp);
}

int
rotate_cleanup(int dfd, int compress, int level, const _Atomic int *stop, int *compressed)
{
	struct dirent	*de;
	char		 zst[ROTATE_NAME_MAX + 4];
	char		(*plain)[ROTATE_NAME_MAX] = NULL;
	size_t		 nplain = 0, cap = 0, i;
	DIR		*d;
	int		 changed = 0;

	if ((d = logdir_list(dfd)) == NULL)
		return changed;
	while ((de = readdir(d)) != NULL) {
		/* Only regular files are removed: anything else there is not logd's. */
		if (logdir_regular(dfd, de->d_name, NULL) < 0)
			continue;
		if (has_suffix(de->d_name, ".zst.tmp")) {
			changed += unlinkat(dfd, de->d_name, 0) == 0;
		} else if (rotate_is_archive(de->d_name) && has_suffix(de->d_name, ".log")) {
			snprintf(zst, sizeof(zst), "%.47s.zst", de->d_name);
			if (logdir_regular(dfd, zst, NULL) == 0) {
				changed += unlinkat(dfd, de->d_name, 0) == 0;
			} else if (compress) {
				/* Compressed below: not while the listing is open. */
				if (nplain == cap) {
					void	*p = realloc(plain, (cap = cap ? cap * 2 : 16) *
						    sizeof(*plain));

					if (p == NULL)
						break;
					plain = p;
				}
				snprintf(plain[nplain++], ROTATE_NAME_MAX, "%.47s", de->d_name);
			}
		}
	}
	closedir(d);
	for (i = 0; i < nplain; i++)
		if (rotate_compress(dfd, plain[i], level, stop) == 0) {
			changed++;
			(*compressed)++;
		}
	free(plain);
	if (changed > 0)
		(void)sync_dir(dfd);
	return changed;
}

int
rotate_archive_time(const char *name, int64_t *ns)
{
	struct tm	tm = { 0 };
	unsigned	us;
	char		tail;
	time_t		t;

	if (!rotate_is_archive(name) || sscanf(name, "%4d-%2d-%2dT%2d:%2d:%2d.%6u%c", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us, &tail) != 8 ||
	    tail != 'Z')
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -EINVAL;
	*ns = (int64_t)t * 1000000000 + (int64_t)us * 1000;
	return 0;
}

int
rotate_count_lines(int dfd, const char *name, uint64_t *lines)
{
	ZSTD_DCtx	*zd = NULL;
	char		*in = NULL, *out = NULL;
	size_t		 isz = ZSTD_DStreamInSize(), osz = ZSTD_DStreamOutSize(), r, i;
	ssize_t		 n;
	int		 fd, rc = 0, zst = has_suffix(name, ".zst");

	*lines = 0;
	if ((fd = logdir_file(dfd, name, O_RDONLY | O_CLOEXEC, NULL, NULL)) < 0)
		return fd;
	if ((in = malloc(isz)) == NULL || (out = malloc(osz)) == NULL ||
	    (zst && (zd = ZSTD_createDCtx()) == NULL)) {
		rc = -ENOMEM;
		goto out;
	}
	while ((n = read(fd, in, isz)) > 0) {
		ZSTD_inBuffer	ib = { in, (size_t)n, 0 };

		if (!zst) {
			for (i = 0; i < (size_t)n; i++)
				*lines += in[i] == '\n';
			continue;
		}
		while (ib.pos < ib.size) {
			ZSTD_outBuffer	ob = { out, osz, 0 };

			if (ZSTD_isError(r = ZSTD_decompressStream(zd, &ob, &ib))) {
				rc = -EBADMSG;
				goto out;
			}
			for (i = 0; i < ob.pos; i++)
				*lines += out[i] == '\n';
		}
	}
	if (n < 0)
		rc = -errno;
out:
	ZSTD_freeDCtx(zd);
	free(in);
	free(out);
	close(fd);
	return rc;
}

/*
 * Removes list[0..) oldest first while more than keep remain or over
 * max_bytes, up to the first named at or after keep_from_ns.
 */
static int
remove_oldest(int dfd, struct archive *list, size_t n, size_t keep, uint64_t max_bytes,
    int64_t keep_from_ns, uint64_t *freed)
{
	uint64_t	total = 0;
	int64_t		ns;
	size_t		i;
	int		removed = 0;

	for (i = 0; i < n; i++)
		total += list[i].bytes;
	for (i = 0; i < n && (n - i > keep || (max_bytes > 0 && total > max_bytes)); i++) {
		if (keep_from_ns != INT64_MAX &&
		    rotate_archive_time(list[i].path + list[i].name_off, &ns) == 0 &&
		    ns >= keep_from_ns)
			break;	/* not yet forwarded, and neither is any newer one */
		if (unlinkat(dfd, list[i].path, 0) < 0)
			continue;
		total -= list[i].bytes;
		*freed += list[i].bytes;
		removed++;
	}
	return removed;
}

int
rotate_retain(int dfd, uint32_t max_files, uint64_t max_bytes, int64_t keep_from_ns,
    uint64_t *freed)
{
	struct archive	*list = NULL;
	size_t		 n = 0, cap = 0;
	int		 removed = 0;

	if (list_archives(dfd, NULL, &list, &n, &cap) == 0) {
		order_archives(list, n);
		removed = remove_oldest(dfd, list, n, max_files, max_bytes, keep_from_ns, freed);
		if (removed > 0)
			(void)sync_dir(dfd);
	}
	free(list);
	return removed;
}

/*
 * Removes archive path ("stream/name") of log_dir_fd through the stream
 * directory's own fd: never through a link that took the directory's name.
 */
static int
unlink_archive(int log_dir_fd, const char *path)
{
	const char	*slash = strchr(path, '/');
	char		 dir[PROTO_MAX_NAME + 1];
	int		 dfd, rc;

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((dfd = logdir_dir(log_dir_fd, dir, NULL, NULL)) < 0)
		return dfd;
	rc = unlinkat(dfd, slash + 1, 0) < 0 ? -errno : 0;
	close(dfd);
	return rc;
}

static uint64_t
auto_cap(uint64_t fs_bytes, unsigned percent)
{
	uint64_t	v = fs_bytes / 100 * percent;

	return v < ROTATE_AUTO_CAP ? v : ROTATE_AUTO_CAP;
}

int
rotate_global(int log_dir_fd, uint64_t max_use, uint64_t keep_free, int force,
    uint64_t *freed, int *over, rotate_removing_fn removing, void *arg)
{
	struct archive	*list = NULL;
	struct statvfs	 vfs;
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	size_t		 n = 0, cap = 0, i;
	uint64_t	 total = 0, avail, fs;
	int		 sfd, removed = 0;

	*over = 0;
	if (fstatvfs(log_dir_fd, &vfs) < 0)
		return 0;
	fs = (uint64_t)vfs.f_blocks * vfs.f_frsize;
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (max_use == CONFIG_AUTO)
		max_use = auto_cap(fs, 10);
	if (keep_free == CONFIG_AUTO)
		keep_free = auto_cap(fs, 15);
	if ((d = logdir_list(log_dir_fd)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || (sfd = logdir_dir(log_dir_fd, de->d_name, NULL, NULL)) < 0)
			continue;
		(void)list_archives(sfd, de->d_name, &list, &n, &cap);
		/* current.log counts too, though only archives are ever removed. */
		if (logdir_regular(sfd, "current.log", &sb) == 0)
			total += (uint64_t)sb.st_blocks * 512;
		close(sfd);
	}
	closedir(d);
	order_archives(list, n);
	for (i = 0; i < n; i++)
		total += list[i].bytes;
	for (i = 0; i < n && (total > max_use || avail < keep_free || (force && removed == 0));
	    i++) {
		if (removing != NULL) {
			char	stream[PROTO_MAX_NAME + 1];

			snprintf(stream, sizeof(stream), "%.*s", (int)list[i].name_off - 1,
			    list[i].path);
			removing(arg, stream, list[i].path + list[i].name_off);
		}
		if (unlink_archive(log_dir_fd, list[i].path) < 0)
			continue;
		total -= list[i].bytes;
		avail += list[i].bytes;
		*freed += list[i].bytes;
		removed++;
	}
	*over = total > max_use || avail < keep_free;
	free(list);
	return removed;
}
