#include "lib/crash.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int crash_inited;
static unsigned long crash_at;	/* 0: never */
static const char *crash_trace;
static const char *crash_prefix;
static unsigned long crash_count;

static void
crash_init(void)
{
	const char *at = getenv("CONFLUX_CRASH_AT");

	crash_inited = 1;
	if (at != NULL && *at != '\0')
		crash_at = strtoul(at, NULL, 10);
	crash_trace = getenv("CONFLUX_CRASH_TRACE");
	crash_prefix = getenv("CONFLUX_CRASH_NAME");
}

static void
crash_trace_write(unsigned long n, const char *name)
{
	char line[256];
	int len, fd;

	len = snprintf(line, sizeof(line), "%lu %s\n", n, name);
	fd = open(crash_trace, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (len > 0 && write(fd, line, (size_t)len) < 0) {
		/* tracing is best effort */
	}
	close(fd);
}

void
crash_point(const char *name)
{
	if (!crash_inited)
		crash_init();
	if (crash_at == 0 && crash_trace == NULL)
		return;
	if (crash_prefix != NULL &&
	    strncmp(name, crash_prefix, strlen(crash_prefix)) != 0)
		return;
	crash_count++;
	if (crash_trace != NULL)
		crash_trace_write(crash_count, name);
	if (crash_count == crash_at)
		_exit(CRASH_EXIT_CODE);
}

unsigned long
crash_points_reached(void)
{
	return crash_count;
}
