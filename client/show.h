/*
 * show.h - logctl tail and logctl show: read streams' files, merged by time.
 */
#ifndef LOGD_SHOW_H
#define LOGD_SHOW_H

/*
 * Runs "logctl tail ..." (tail set) or "logctl show ...": argv[0] is the
 * command's name.  Returns the exit status: 0, 1 (something could not be
 * read), 2 (usage).  Following (tail -f) returns only on an error.
 */
int	show_main(int argc, char *argv[], int tail);

#endif
