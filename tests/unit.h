/* unit.h - what every Check suite's main() does. */
#ifndef LOGD_TESTS_UNIT_H
#define LOGD_TESTS_UNIT_H

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

#endif
