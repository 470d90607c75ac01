/* unit.h - what every Check suite's main() does. */
#ifndef LOGD_TESTS_UNIT_H
#define LOGD_TESTS_UNIT_H

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

/* Runs s, prints Check's summary, and returns the exit status: 0 if all passed. */
static inline int
unit_run(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

/* Makes a fresh directory from tmpl ("/tmp/name.XXXXXX") and opens it: the fd. */
static inline int
unit_tmpdir(char *tmpl)
{
	int	fd;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	ck_assert_int_ge(fd = open(tmpl, O_RDONLY | O_DIRECTORY), 0);
	return fd;
}

/*
 * Removes what a test left in dir (open as dfd; files and empty directories),
 * closes dfd and removes dir; tmpl gets its XXXXXX back for the next test.
 */
static inline void
unit_rmdir(char *dir, int dfd)
{
	struct dirent	*de;
	DIR		*d = opendir(dir);

	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    unlinkat(dfd, de->d_name, 0) < 0)
			unlinkat(dfd, de->d_name, AT_REMOVEDIR);
	if (d != NULL)
		closedir(d);
	close(dfd);
	rmdir(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

#endif
