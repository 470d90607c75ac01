/* test_rotate.c - archive names, rotation by rename, retention, compression, clean-up. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "rotate.h"
#include "unit.h"

static char	dir[] = "/tmp/test_rotate.XXXXXX";
static int	dfd = -1;
static const struct logdir_perm	perm = { 0750, 0640, (gid_t)-1 };

static void
setup(void)
{
	dfd = unit_tmpdir(dir);
}

static void
teardown(void)
{
	unit_rmdir(dir, dfd);
}

static void
put(const char *name, const char *text)
{
	int	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
exists(const char *name)
{
	return faccessat(dfd, name, F_OK, 0) == 0;
}

static int
count_files(void)
{
	struct dirent	*de;
	DIR		*d = opendir(dir);
	int		 n = 0;

	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(archive_names_are_recognised)
{
	ck_assert_int_eq(rotate_is_archive("2026-11-25T12:00:00.123456Z.log"), 1);
	ck_assert_int_eq(rotate_is_archive("2026-11-25T12:00:00.123456Z.log.zst"), 1);
	ck_assert_int_eq(rotate_is_archive("current.log"), 0);
	ck_assert_int_eq(rotate_is_archive("2026-11-25T12:00:00.123456Z.log.zst.tmp"), 0);
	ck_assert_int_eq(rotate_is_archive("2026-11-25T12:00:00.123456Z.txt"), 0);
	ck_assert_int_eq(rotate_is_archive("notes.log"), 0);
}
END_TEST

/* The size of name in the test directory, or -1. */
static long
size_of(const char *name)
{
	struct stat	sb;

	return fstatat(dfd, name, &sb, 0) == 0 ? (long)sb.st_size : -1;
}

START_TEST(rotation_swaps_in_a_new_file_and_never_reuses_a_name)
{
	char	a[ROTATE_NAME_MAX], b[ROTATE_NAME_MAX];
	int	fd;

	ck_assert_int_eq(rotate_archive(dfd, &perm, a), -ENOENT);	/* no current.log */
	ck_assert_int_eq(exists(ROTATE_SWAP), 0);
	put("current.log", "one\n");
	ck_assert_int_ge(fd = rotate_archive(dfd, &perm, a), 0);
	ck_assert_int_eq(rotate_is_archive(a), 1);
	ck_assert_int_eq(size_of(a), 4);
	ck_assert_int_eq(size_of("current.log"), 0);	/* the new one, already there */
	ck_assert_int_eq(write(fd, "two\n", 4), 4);	/* fd is it */
	close(fd);
	ck_assert_int_eq(size_of("current.log"), 4);
	ck_assert_int_eq(exists(ROTATE_SWAP), 0);
	ck_assert_int_ge(fd = rotate_archive(dfd, &perm, b), 0);
	close(fd);
	ck_assert_str_lt(a, b);		/* later, even within one microsecond */
	ck_assert_int_eq(exists(a) && exists(b), 1);
}
END_TEST

START_TEST(a_rotation_stopped_half_way_is_finished)
{
	char	a[ROTATE_NAME_MAX];
	int	fd, n = 0;

	/* Stopped after the exchange: the old file under the swap name becomes an archive. */
	put("current.log", "new\n");
	put(ROTATE_SWAP, "old\n");
	/* Not by the compressor's clean-up: mid-rotation the swap file is the new one. */
	ck_assert_int_eq(rotate_cleanup(dfd, 0, 3, NULL, &n), 0);
	ck_assert_int_eq(exists(ROTATE_SWAP), 1);
	ck_assert_int_eq(rotate_finish(dfd), 1);
	ck_assert_int_eq(exists(ROTATE_SWAP), 0);
	ck_assert_int_eq(count_files(), 2);
	/* Stopped before it: the empty new file goes; a rotation then works as ever. */
	put(ROTATE_SWAP, "");
	ck_assert_int_ge(fd = rotate_archive(dfd, &perm, a), 0);
	close(fd);
	ck_assert_int_eq(count_files(), 3);
	ck_assert_int_eq(size_of("current.log"), 0);
}
END_TEST

START_TEST(retention_removes_the_oldest_first)
{
	uint64_t	freed = 0;

	put("2026-01-01T00:00:00.000001Z.log", "a\n");
	put("2026-01-01T00:00:00.000002Z.log.zst", "b\n");
	put("2026-01-01T00:00:00.000003Z.log", "c\n");
	put("2026-01-01T00:00:00.000004Z.log", "d\n");
	put("current.log", "now\n");
	put("unrelated.txt", "x\n");
	ck_assert_int_eq(rotate_retain(dfd, 2, 0, INT64_MAX, &freed), 2);
	ck_assert_uint_gt(freed, 0);
	ck_assert_int_eq(exists("2026-01-01T00:00:00.000001Z.log"), 0);
	ck_assert_int_eq(exists("2026-01-01T00:00:00.000002Z.log.zst"), 0);
	ck_assert_int_eq(exists("2026-01-01T00:00:00.000003Z.log"), 1);
	ck_assert_int_eq(exists("current.log") && exists("unrelated.txt"), 1);
	/* A byte limit: every archive takes at least one block, so 1 byte keeps none. */
	ck_assert_int_eq(rotate_retain(dfd, 100, 1, INT64_MAX, &freed), 2);
	ck_assert_int_eq(count_files(), 2);
}
END_TEST

static char *
decompress(const char *name, size_t *len)
{
	static char	in[1 << 16], out[1 << 20];
	int		fd = openat(dfd, name, O_RDONLY);
	ssize_t		n;
	size_t		r;

	ck_assert_int_ge(fd, 0);
	n = read(fd, in, sizeof(in));
	close(fd);
	ck_assert_int_gt(n, 0);
	r = ZSTD_decompress(out, sizeof(out), in, (size_t)n);
	ck_assert_int_eq(ZSTD_isError(r), 0);
	*len = r;
	return out;
}

START_TEST(compression_replaces_the_archive_with_a_whole_zst)
{
	char	text[8192], *got;
	size_t	len, i;

	for (i = 0; i < sizeof(text) - 1; i++)
		text[i] = i % 64 == 63 ? '\n' : (char)('a' + i % 26);
	text[sizeof(text) - 1] = '\0';
	put("2026-01-01T00:00:00.000001Z.log", text);
	ck_assert_int_eq(rotate_compress(dfd, "2026-01-01T00:00:00.000001Z.log", 3, NULL), 0);
	ck_assert_int_eq(exists("2026-01-01T00:00:00.000001Z.log"), 0);
	ck_assert_int_eq(exists("2026-01-01T00:00:00.000001Z.log.zst.tmp"), 0);
	got = decompress("2026-01-01T00:00:00.000001Z.log.zst", &len);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_int_eq(memcmp(got, text, len), 0);
	ck_assert_int_eq(rotate_compress(dfd, "2026-01-01T00:00:00.000009Z.log", 3, NULL),
	    -ENOENT);
}
END_TEST

START_TEST(a_stopped_compression_leaves_the_plain_archive_whole)
{
	_Atomic int	stop = 1;

	put("2026-01-01T00:00:00.000001Z.log", "plain\n");
	ck_assert_int_eq(rotate_compress(dfd, "2026-01-01T00:00:00.000001Z.log", 3, &stop),
	    -ECANCELED);
	ck_assert_int_eq(size_of("2026-01-01T00:00:00.000001Z.log"), 6);
	ck_assert_int_eq(count_files(), 1);	/* no .zst, no .tmp */
}
END_TEST

START_TEST(cleanup_finishes_what_a_crash_interrupted)
{
	size_t	len;
	int	n = 0;

	put("2026-01-01T00:00:00.000001Z.log", "plain, half compressed\n");
	put("2026-01-01T00:00:00.000001Z.log.zst.tmp", "garbage");
	put("2026-01-01T00:00:00.000002Z.log", "compressed, not yet removed\n");
	ck_assert_int_eq(rotate_compress(dfd, "2026-01-01T00:00:00.000002Z.log", 1, NULL), 0);
	put("2026-01-01T00:00:00.000002Z.log", "compressed, not yet removed\n");
	ck_assert_int_eq(rotate_cleanup(dfd, 0, 3, NULL, &n), 2);
	ck_assert_int_eq(exists("2026-01-01T00:00:00.000001Z.log.zst.tmp"), 0);
	ck_assert_int_eq(exists("2026-01-01T00:00:00.000002Z.log"), 0);
	ck_assert_int_eq(exists("2026-01-01T00:00:00.000001Z.log"), 1);	/* compress = none */
	ck_assert_int_eq(rotate_cleanup(dfd, 1, 3, NULL, &n), 1);
	ck_assert_int_eq(n, 1);
	decompress("2026-01-01T00:00:00.000001Z.log.zst", &len);
	ck_assert_uint_eq(len, strlen("plain, half compressed\n"));
	ck_assert_int_eq(count_files(), 2);
}
END_TEST

/* Where a symbolic link or FIFO was planted, rotation and clean-up leave it as it is. */
START_TEST(planted_links_and_fifos_are_never_renamed_followed_or_removed)
{
	char		a[ROTATE_NAME_MAX];
	struct stat	sb;
	int		n = 0;

	put("target", "not logd's\n");
	ck_assert_int_eq(symlinkat("target", dfd, "current.log"), 0);
	ck_assert_int_eq(rotate_archive(dfd, &perm, a), -ELOOP);
	ck_assert_int_eq(fstatat(dfd, "current.log", &sb, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert(S_ISLNK(sb.st_mode));
	ck_assert_int_eq(unlinkat(dfd, "current.log", 0), 0);
	ck_assert_int_eq(mkfifoat(dfd, "current.log", 0640), 0);
	ck_assert_int_eq(rotate_archive(dfd, &perm, a), -LOGDIR_ENOTREG);
	ck_assert_int_eq(unlinkat(dfd, "current.log", 0), 0);
	/* A link as the swap file refuses the rotation, and stays. */
	put("current.log", "data\n");
	ck_assert_int_eq(symlinkat("target", dfd, ROTATE_SWAP), 0);
	ck_assert_int_eq(rotate_archive(dfd, &perm, a), -ELOOP);
	ck_assert_int_eq(size_of("current.log"), 5);
	ck_assert_int_eq(unlinkat(dfd, ROTATE_SWAP, 0), 0);
	/* Clean-up and retention remove regular files only: not links named as logd's. */
	ck_assert_int_eq(symlinkat("target", dfd, "2026-01-01T00:00:00.000001Z.log.zst.tmp"), 0);
	put("2026-01-01T00:00:00.000002Z.log", "plain\n");
	ck_assert_int_eq(symlinkat("target", dfd, "2026-01-01T00:00:00.000002Z.log.zst"), 0);
	ck_assert_int_eq(symlinkat("target", dfd, "2026-01-01T00:00:00.000003Z.log"), 0);
	ck_assert_int_eq(rotate_cleanup(dfd, 0, 3, NULL, &n), 0);
	ck_assert_int_eq(rotate_retain(dfd, 1, 0, INT64_MAX, &(uint64_t){ 0 }), 0);
	ck_assert_int_eq(count_files(), 6);
	ck_assert_int_eq(size_of("target"), 11);
}
END_TEST

/* A compressed archive has its plain archive's mode, whatever the umask. */
START_TEST(a_compressed_archive_keeps_the_mode_of_the_plain_one)
{
	struct stat	sb;
	mode_t		old = umask(0);

	put("2026-01-01T00:00:00.000001Z.log", "plain\n");
	ck_assert_int_eq(fchmodat(dfd, "2026-01-01T00:00:00.000001Z.log", 0600, 0), 0);
	ck_assert_int_eq(rotate_compress(dfd, "2026-01-01T00:00:00.000001Z.log", 3, NULL), 0);
	umask(old);
	ck_assert_int_eq(fstatat(dfd, "2026-01-01T00:00:00.000001Z.log.zst", &sb, 0), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0600);
}
END_TEST

START_TEST(retention_keeps_what_a_forwarder_has_not_sent)
{
	uint64_t	freed = 0;
	int64_t		ns;

	put("2026-01-01T00:00:00.000001Z.log", "a\n");
	put("2026-01-01T00:00:00.000002Z.log", "b\n");
	put("2026-01-01T00:00:00.000003Z.log.zst", "c\n");
	put("2026-01-01T00:00:00.000004Z.log", "d\n");
	ck_assert_int_eq(rotate_archive_time("2026-01-01T00:00:00.000002Z.log", &ns), 0);
	ck_assert_int_eq(ns, 1767225600000002000LL);
	ck_assert_int_eq(rotate_archive_time("current.log", &ns), -EINVAL);
	/* Pinned from the second on: one goes, though max_files is 1. */
	ck_assert_int_eq(rotate_retain(dfd, 1, 0, ns, &freed), 1);
	ck_assert_int_eq(exists("2026-01-01T00:00:00.000001Z.log"), 0);
	ck_assert_int_eq(exists("2026-01-01T00:00:00.000002Z.log"), 1);
	ck_assert_int_eq(rotate_retain(dfd, 1, 0, INT64_MIN, &freed), 0);
	ck_assert_int_eq(rotate_retain(dfd, 1, 0, INT64_MAX, &freed), 2);
	ck_assert_int_eq(exists("2026-01-01T00:00:00.000004Z.log"), 1);
}
END_TEST

START_TEST(archive_lines_are_counted_plain_and_compressed)
{
	uint64_t	lines;

	put("2026-01-01T00:00:00.000001Z.log", "a\nb\nc\n");
	ck_assert_int_eq(rotate_count_lines(dfd, "2026-01-01T00:00:00.000001Z.log", &lines), 0);
	ck_assert_uint_eq(lines, 3);
	ck_assert_int_eq(rotate_compress(dfd, "2026-01-01T00:00:00.000001Z.log", 3, NULL), 0);
	ck_assert_int_eq(rotate_count_lines(dfd, "2026-01-01T00:00:00.000001Z.log.zst", &lines),
	    0);
	ck_assert_uint_eq(lines, 3);
}
END_TEST

static char	heard[64][80];
static int	nheard;

static void
on_removing(void *arg, const char *stream, const char *name)
{
	snprintf(heard[nheard++ % 64], sizeof(heard[0]), "%s/%s", stream, name);
}

START_TEST(global_retention_removes_the_oldest_across_streams)
{
	char		name[64];
	uint64_t	freed = 0;
	int		i, over, sfd[2];

	/* 2 x 20 archives, their times interleaved across the two streams. */
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(mkdirat(dfd, i == 0 ? "a" : "b", 0750), 0);
		ck_assert_int_ge(sfd[i] = openat(dfd, i == 0 ? "a" : "b", O_DIRECTORY), 0);
	}
	for (i = 0; i < 40; i++) {
		int	fd;

		snprintf(name, sizeof(name), "2026-01-01T00:00:%02d.000000Z.log", 59 - i);
		ck_assert_int_ge(fd = openat(sfd[i % 2], name, O_WRONLY | O_CREAT, 0640), 0);
		ck_assert_int_eq(write(fd, "x\n", 2), 2);
		close(fd);
	}
	nheard = 0;
	/* Every archive takes a block of 4K at least: 20 of them at most stay. */
	ck_assert_int_eq(rotate_global(dfd, 20 * 4096, 0, 0, &freed, &over, on_removing, NULL),
	    20);
	ck_assert_int_eq(nheard, 20);
	for (i = 0; i < 20; i++) {
		/* The oldest 20 are 00:20..00:39; heard in that order, each with its stream. */
		snprintf(name, sizeof(name), "%s/2026-01-01T00:00:%02d.000000Z.log",
		    (59 - (20 + i)) % 2 == 0 ? "a" : "b", 20 + i);
		ck_assert_str_eq(heard[i], name);
	}
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "2026-01-01T00:00:%02d.000000Z.log", 59 - i);
		ck_assert_int_eq(faccessat(sfd[i % 2], name, F_OK, 0) == 0, i < 20);
		(void)unlinkat(sfd[i % 2], name, 0);
	}
	close(sfd[0]);
	close(sfd[1]);
}
END_TEST

static Suite *
rotate_suite(void)
{
	Suite	*s = suite_create("rotate");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, archive_names_are_recognised);
	tcase_add_test(tc, rotation_swaps_in_a_new_file_and_never_reuses_a_name);
	tcase_add_test(tc, a_rotation_stopped_half_way_is_finished);
	tcase_add_test(tc, a_stopped_compression_leaves_the_plain_archive_whole);
	tcase_add_test(tc, retention_removes_the_oldest_first);
	tcase_add_test(tc, compression_replaces_the_archive_with_a_whole_zst);
	tcase_add_test(tc, cleanup_finishes_what_a_crash_interrupted);
	tcase_add_test(tc, planted_links_and_fifos_are_never_renamed_followed_or_removed);
	tcase_add_test(tc, a_compressed_archive_keeps_the_mode_of_the_plain_one);
	tcase_add_test(tc, retention_keeps_what_a_forwarder_has_not_sent);
	tcase_add_test(tc, archive_lines_are_counted_plain_and_compressed);
	tcase_add_test(tc, global_retention_removes_the_oldest_across_streams);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(rotate_suite());
}
