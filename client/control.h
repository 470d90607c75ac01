/*
 * control.h - logctl's commands that talk to logd's control socket:
 * stats, streams, rotate, reload (see logctl(1)).
 */
#ifndef LOGD_CLIENT_CONTROL_H
#define LOGD_CLIENT_CONTROL_H

#include <stddef.h>

#define CONTROL_DEFAULT_PATH	"/run/logd/control"

/* The usage lines of these commands, for logctl --help. */
extern const char control_usage[];

/* Whether cmd is one of these commands. */
int	control_command(const char *cmd);

/* Runs command argv[0] with its arguments; returns logctl's exit status. */
int	control_main(int argc, char *argv[]);

/*
 * The log dir that logd reports on its control socket ($LOGD_CONTROL, else
 * the default), copied into buf; NULL, saying nothing, when logd cannot be
 * reached.
 */
const char *control_log_dir(char *buf, size_t len);

#endif
