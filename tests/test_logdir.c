/* test_logdir.c - every open in the log dir: no links followed, no FIFO opened, modes kept. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "logdir.h"
#include "unit.h"

static char	dir[] = "/tmp/test_logdir.XXXXXX";
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

static mode_t
mode_of(const char *name)
{
	struct stat	sb;

	ck_assert_int_eq(fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW), 0);
	return sb.st_mode & 07777;
}

START_TEST(what_logd_creates_has_its_mode_whatever_the_umask)
{
	mode_t	old = umask(077);
	int	fd, created = -1;

	ck_assert_int_ge(fd = logdir_dir(dfd, "web", &perm, &created), 0);
	ck_assert_int_eq(created, 1);
	ck_assert_uint_eq(mode_of("web"), 0750);
	ck_assert_int_ge(logdir_file(fd, "current.log", O_RDWR | O_APPEND, &perm, &created), 0);
	ck_assert_int_eq(created, 1);
	close(fd);
	umask(0);
	ck_assert_int_ge(fd = logdir_file(dfd, "wide", O_RDWR, &perm, NULL), 0);
	close(fd);
	umask(old);
	ck_assert_uint_eq(mode_of("wide"), 0640);
	/* Opened again: the same file, not created, its mode as it is. */
	ck_assert_int_eq(fchmodat(dfd, "wide", 0600, 0), 0);
	ck_assert_int_ge(fd = logdir_file(dfd, "wide", O_RDWR, &perm, &created), 0);
	ck_assert_int_eq(created, 0);
	close(fd);
	ck_assert_uint_eq(mode_of("wide"), 0600);
	ck_assert_int_ge(fd = logdir_dir(dfd, "web", &perm, &created), 0);
	ck_assert_int_eq(created, 0);
	close(fd);
}
END_TEST

START_TEST(symbolic_links_are_never_followed)
{
	int	fd;

	ck_assert_int_ge(fd = logdir_dir(dfd, "real", &perm, NULL), 0);
	close(fd);
	ck_assert_int_eq(symlinkat("real", dfd, "link"), 0);
	ck_assert_int_eq(logdir_dir(dfd, "link", &perm, NULL), -ELOOP);
	ck_assert_int_eq(logdir_dir(dfd, "link", NULL, NULL), -ELOOP);
	ck_assert_int_eq(symlinkat("real/x", dfd, "file-link"), 0);
	ck_assert_int_eq(logdir_file(dfd, "file-link", O_RDWR, &perm, NULL), -ELOOP);
	ck_assert_int_eq(faccessat(dfd, "real/x", F_OK, 0), -1);	/* not created through it */
	ck_assert_int_eq(symlinkat("nowhere", dfd, "dangling"), 0);
	ck_assert_int_eq(logdir_file(dfd, "dangling", O_RDWR, &perm, NULL), -ELOOP);
	ck_assert_int_eq(logdir_regular(dfd, "dangling", NULL), -ELOOP);
	ck_assert_str_eq(logdir_strerror(-ELOOP), "it is a symbolic link, which logd never follows");
}
END_TEST

START_TEST(fifos_sockets_and_directories_are_refused_without_blocking)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			s;

	/* A FIFO nobody reads: opening it for writing would block; it is refused. */
	ck_assert_int_eq(mkfifoat(dfd, "fifo", 0640), 0);
	ck_assert_int_eq(logdir_file(dfd, "fifo", O_WRONLY | O_APPEND, &perm, NULL),
	    -LOGDIR_ENOTREG);
	ck_assert_int_eq(logdir_file(dfd, "fifo", O_RDWR, NULL, NULL), -LOGDIR_ENOTREG);
	ck_assert_int_eq(logdir_regular(dfd, "fifo", NULL), -LOGDIR_ENOTREG);
	ck_assert_int_eq(logdir_dir(dfd, "fifo", &perm, NULL), -ENOTDIR);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", dir);
	ck_assert_int_ge(s = socket(AF_UNIX, SOCK_DGRAM, 0), 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(logdir_file(dfd, "sock", O_RDWR | O_APPEND, &perm, NULL),
	    -LOGDIR_ENOTREG);
	close(s);
	ck_assert_int_eq(mkdirat(dfd, "d", 0750), 0);
	ck_assert_int_eq(logdir_file(dfd, "d", O_RDWR | O_APPEND, &perm, NULL), -EISDIR);
	ck_assert_int_eq(logdir_regular(dfd, "d", NULL), -LOGDIR_ENOTREG);
	ck_assert_int_eq(logdir_regular(dfd, "none", NULL), -ENOENT);
	ck_assert_ptr_nonnull(strstr(logdir_strerror(-LOGDIR_ENOTREG), "not a regular file"));
}
END_TEST

START_TEST(a_device_is_refused)
{
	if (mknodat(dfd, "null", S_IFCHR | 0640, makedev(1, 3)) < 0)
		return;		/* not root: no device node to plant */
	ck_assert_int_eq(logdir_file(dfd, "null", O_RDWR | O_APPEND, &perm, NULL),
	    -LOGDIR_ENOTREG);
}
END_TEST

/* Two listings of one directory at once (two threads) each see every entry. */
START_TEST(listings_at_once_each_see_every_entry)
{
	struct dirent	*de;
	char		 name[16];
	DIR		*a, *b;
	int		 i, fd, na = 0, nb = 0, more = 1;

	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "stream%d", i);
		ck_assert_int_ge(fd = logdir_dir(dfd, name, &perm, NULL), 0);
		close(fd);
	}
	ck_assert_ptr_nonnull(a = logdir_list(dfd));
	ck_assert_ptr_nonnull(b = logdir_list(dfd));
	while (more) {
		more = 0;
		if ((de = readdir(a)) != NULL) {
			na += de->d_name[0] != '.';
			more = 1;
		}
		if ((de = readdir(b)) != NULL) {
			nb += de->d_name[0] != '.';
			more = 1;
		}
	}
	closedir(a);
	closedir(b);
	ck_assert_int_eq(na, 300);
	ck_assert_int_eq(nb, 300);
}
END_TEST

/* Where a file would go, for the messages about it. */
START_TEST(parent_is_the_directory_a_path_is_in)
{
	char	buf[64];

	ck_assert_str_eq(logdir_parent("/run/logd/socket", buf, sizeof(buf)), "/run/logd");
	ck_assert_str_eq(logdir_parent("/socket", buf, sizeof(buf)), "/");
	ck_assert_str_eq(logdir_parent("socket", buf, sizeof(buf)), ".");
	ck_assert_str_eq(logdir_parent("run/s", buf, sizeof(buf)), "run");
}
END_TEST

static Suite *
logdir_suite(void)
{
	Suite	*s = suite_create("logdir");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, what_logd_creates_has_its_mode_whatever_the_umask);
	tcase_add_test(tc, symbolic_links_are_never_followed);
	tcase_add_test(tc, fifos_sockets_and_directories_are_refused_without_blocking);
	tcase_add_test(tc, a_device_is_refused);
	tcase_add_test(tc, listings_at_once_each_see_every_entry);
	tcase_add_test(tc, parent_is_the_directory_a_path_is_in);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return unit_run(logdir_suite());
}
