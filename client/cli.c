/*
 * cli.c - logctl's shared command-line checks (see cli.h).  No state.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "proto.h"

int
cli_usage_error(const char *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "logctl: %s%s%s%s\nTry 'logctl %s%s--help' for more information.\n",
	    what, arg != NULL ? " '" : "", arg != NULL ? arg : "", arg != NULL ? "'" : "",
	    cmd != NULL ? cmd : "", cmd != NULL ? " " : "");
	return 2;
}

int
cli_check_stream(const char *s)
{
	if (proto_name_valid(s, strnlen(s, PROTO_MAX_NAME + 1)) == 0)
		return 0;
	fprintf(stderr, "logctl: bad stream name \"%s\": use 1-64 of A-Z a-z 0-9 . _ -, "
	    "not starting with '.'\n", s);
	return 2;
}

int
cli_priority(const char *s, int *prio)
{
	int	rc;

	if ((rc = proto_priority_parse(s)) < 0) {
		fprintf(stderr, "logctl: bad priority \"%s\": use emerg, alert, crit, err, "
		    "warning, notice, info, debug or 0-7\n", s);
		return 2;
	}
	*prio = rc;
	return 0;
}
