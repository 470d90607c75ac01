/*
 * cli.h - what logctl's commands share on the command line: the usage
 * error, and checking a stream name and a priority with the message that
 * says what is allowed.  Each prints to stderr and returns the exit status.
 */
#ifndef LOGD_CLI_H
#define LOGD_CLI_H

/* "logctl: WHAT 'ARG'" (ARG may be NULL) and where help is; returns 2. */
int	cli_usage_error(const char *cmd, const char *what, const char *arg);

/* 0 if s is a valid stream name, else says so and returns 2. */
int	cli_check_stream(const char *s);

/* The priority s (a name or 0-7) in *prio: 0, else says so and returns 2. */
int	cli_priority(const char *s, int *prio);

#endif
