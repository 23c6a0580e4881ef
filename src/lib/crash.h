#ifndef CONFLUX_CRASH_H
#define CONFLUX_CRASH_H

/* Named crash points, so tests can enumerate every side effect of a scenario.
 *
 * Every side-effecting step (file write, fsync, rename, unlink, commit, and
 * every network command that changes a remote) calls crash_point("name")
 * just BEFORE it acts. From the environment:
 *   CONFLUX_CRASH_AT=N     the N-th point reached (1-based, counted over the
 *                          whole process) calls _exit(CRASH_EXIT_CODE)
 *                          instead of acting;
 *   CONFLUX_CRASH_TRACE=F  append "<n> <name>\n" to file F for every point
 *                          reached, so a test learns how many there are;
 *   CONFLUX_CRASH_NAME=S   count only points whose name starts with S.
 * Without these variables a crash point costs one branch. */

#define CRASH_EXIT_CODE 86

void crash_point(const char *name);
/* Number of points reached so far in this process (for tests). */
unsigned long crash_points_reached(void);

#endif
