/*
 * core/log.c - leveled logging: one line per message, UTC timestamp, level.
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile ev_log_level log_level = EV_LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

int ev_log_parse_level(const char *s, ev_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (ev_log_level)i;
            return 0;
        }
    }
    return -1;
}

void ev_log_set_level(ev_log_level l)
{
    log_level = l;
}

void ev_log(ev_log_level l, const char *fmt, ...)
{
    char line[2048];
    char ts[32];
    struct tm tm;
    time_t now = time(NULL);
    va_list ap;

    if (l < log_level)
        return;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %-5s %s\n", ts, level_names[l], line);
}
