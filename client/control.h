/*
 * control.h - logctl's commands that talk to logd's control socket:
 * stats, streams, rotate, reload (see logctl(1)).
 */
#ifndef LOGD_CLIENT_CONTROL_H
#define LOGD_CLIENT_CONTROL_H

#define CONTROL_DEFAULT_PATH	"/run/logd/control"

/* The usage lines of these commands, for logctl --help. */
extern const char control_usage[];

/* Whether cmd is one of these commands. */
int	control_command(const char *cmd);

/* Runs command argv[0] with its arguments; returns logctl's exit status. */
int	control_main(int argc, char *argv[]);

#endif
