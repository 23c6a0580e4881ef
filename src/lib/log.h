#ifndef CONFLUX_LOG_H
#define CONFLUX_LOG_H

/* Logging to stderr or syslog, with levels and an optional session id.
 *
 * Every line that belongs to a connection or a delivery carries its session
 * id (slog_*), so one grep follows one session. Never pass a password or any
 * other secret to these functions. */

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };
enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };

void log_open(const char *ident, enum log_target target, enum log_level min);
void log_set_level(enum log_level min);
enum log_level log_get_level(void);
enum log_target log_get_target(void);
/* "debug", "info", "warn"/"warning", "error" -> 0, else -1. */
int log_level_parse(const char *s, enum log_level *level_r);

void log_write(enum log_level lvl, const char *session, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A fresh session id: 12 characters from [A-Za-z0-9+/], NUL-terminated. */
void log_session_id(char out[13]);

#define log_debug(...) log_write(LOG_LVL_DEBUG, NULL, __VA_ARGS__)
#define log_info(...) log_write(LOG_LVL_INFO, NULL, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LVL_WARN, NULL, __VA_ARGS__)
#define log_error(...) log_write(LOG_LVL_ERROR, NULL, __VA_ARGS__)
#define slog_debug(s, ...) log_write(LOG_LVL_DEBUG, (s), __VA_ARGS__)
#define slog_info(s, ...) log_write(LOG_LVL_INFO, (s), __VA_ARGS__)
#define slog_warn(s, ...) log_write(LOG_LVL_WARN, (s), __VA_ARGS__)
#define slog_error(s, ...) log_write(LOG_LVL_ERROR, (s), __VA_ARGS__)

/* Broken internal invariant: log and abort (OpenSMTPD fatalx). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
