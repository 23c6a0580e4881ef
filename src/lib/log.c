#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <sys/time.h>

#include <sodium.h>

static const char *log_ident = "conflux";
static enum log_target log_to = LOG_TARGET_STDERR;
static enum log_level log_min = LOG_LVL_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_open(const char *ident, enum log_target target, enum log_level min)
{
	log_ident = ident;
	log_to = target;
	log_min = min;
	if (target == LOG_TARGET_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_level(enum log_level min)
{
	log_min = min;
}

enum log_level
log_get_level(void)
{
	return log_min;
}

enum log_target
log_get_target(void)
{
	return log_to;
}

int
log_level_parse(const char *s, enum log_level *level_r)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*level_r = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*level_r = LOG_LVL_WARN;
		return 0;
	}
	return -1;
}

static int
syslog_priority(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_DEBUG: return LOG_DEBUG;
	case LOG_LVL_INFO: return LOG_INFO;
	case LOG_LVL_WARN: return LOG_WARNING;
	case LOG_LVL_ERROR: break;
	}
	return LOG_ERR;
}

static void __attribute__((format(printf, 3, 0)))
log_vwrite(enum log_level lvl, const char *session, const char *fmt,
	   va_list ap)
{
	char msg[2048], stamp[32];
	struct timeval tv;
	struct tm tm;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_to == LOG_TARGET_SYSLOG) {
		if (session != NULL)
			syslog(syslog_priority(lvl), "<%s> %s", session, msg);
		else
			syslog(syslog_priority(lvl), "%s", msg);
		return;
	}
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	/* One fprintf per line so concurrent processes do not interleave. */
	if (session != NULL)
		fprintf(stderr, "%s.%03ld %s %s: <%s> %s\n", stamp,
			(long)tv.tv_usec / 1000, log_ident, level_names[lvl],
			session, msg);
	else
		fprintf(stderr, "%s.%03ld %s %s: %s\n", stamp,
			(long)tv.tv_usec / 1000, log_ident, level_names[lvl],
			msg);
}

void
log_write(enum log_level lvl, const char *session, const char *fmt, ...)
{
	va_list ap;

	if (lvl < log_min)
		return;
	va_start(ap, fmt);
	log_vwrite(lvl, session, fmt, ap);
	va_end(ap);
}

void
log_session_id(char out[13])
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char rnd[12];

	randombytes_buf(rnd, sizeof(rnd));
	for (int i = 0; i < 12; i++)
		out[i] = alphabet[rnd[i] & 63];
	out[12] = '\0';
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
	abort();
}
