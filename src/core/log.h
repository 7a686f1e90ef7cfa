/*
 * core/log.h - leveled logging to stderr. Callers never pass secrets.
 */
#ifndef EV_CORE_LOG_H
#define EV_CORE_LOG_H

#include "core/err.h"

typedef enum { EV_LOG_DEBUG, EV_LOG_INFO, EV_LOG_WARN, EV_LOG_ERROR } ev_log_level;

/* Parses "debug|info|warn|error"; returns 0 on success. */
int ev_log_parse_level(const char *s, ev_log_level *out /* OUT */);
void ev_log_set_level(ev_log_level l);
void ev_log(ev_log_level l, const char *fmt, ...) EV_PRINTF(2, 3);

#define ev_debug(...) ev_log(EV_LOG_DEBUG, __VA_ARGS__)
#define ev_info(...) ev_log(EV_LOG_INFO, __VA_ARGS__)
#define ev_warn(...) ev_log(EV_LOG_WARN, __VA_ARGS__)
#define ev_error(...) ev_log(EV_LOG_ERROR, __VA_ARGS__)

#endif
