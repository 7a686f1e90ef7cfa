/*
 * api/schedule.c - validation of ScheduleExpression: rate(N unit) and the
 * six-field AWS cron(minutes hours day-of-month month day-of-week year).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"

typedef struct {
    int lo, hi;
    const char *const *names; /* 3-letter names for lo..hi, or NULL */
    int dom, dow;             /* day-of-month / day-of-week extras */
} field_t;

static const char *const months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                     "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
static const char *const days[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

static const field_t fields[6] = {
    {0, 59, NULL, 0, 0},    {0, 23, NULL, 0, 0},   {1, 31, NULL, 1, 0},
    {1, 12, months, 0, 0},  {1, 7, days, 0, 1},    {1970, 2199, NULL, 0, 0},
};

/* Parses a value (number or name) of f at *p; advances *p. -1 when none. */
static int value(const field_t *f, const char **p)
{
    const char *s = *p;
    int v = 0, digits = 0;

    if (f->names && isalpha((unsigned char)s[0])) {
        for (int i = 0; i <= f->hi - f->lo; i++) {
            if (strncasecmp(s, f->names[i], 3) == 0) {
                *p = s + 3;
                return f->lo + i;
            }
        }
        return -1;
    }
    while (isdigit((unsigned char)*s) && digits < 5) {
        v = v * 10 + (*s++ - '0');
        digits++;
    }
    if (!digits || v < f->lo || v > f->hi)
        return -1;
    *p = s;
    return v;
}

static int element_ok(const field_t *f, const char *s)
{
    int a, b;

    if (strcmp(s, "*") == 0)
        return 1;
    if ((f->dom || f->dow) && strcmp(s, "L") == 0)
        return 1;
    if (f->dom && strcmp(s, "LW") == 0)
        return 1;
    if (s[0] == '*' && s[1] == '/') {
        s += 2;
        a = (int)strtol(s, (char **)&s, 10);
        return a > 0 && *s == '\0';
    }
    if ((a = value(f, &s)) < 0)
        return 0;
    if (*s == '\0')
        return 1;
    if (f->dom && strcmp(s, "W") == 0)
        return 1;
    if (f->dow && strcmp(s, "L") == 0)
        return 1;
    if (f->dow && s[0] == '#')
        return s[1] >= '1' && s[1] <= '5' && s[2] == '\0';
    if (s[0] == '/') {
        s++;
        b = (int)strtol(s, (char **)&s, 10);
        return b > 0 && *s == '\0';
    }
    if (s[0] == '-') {
        s++;
        if ((b = value(f, &s)) < 0)
            return 0;
        if (*s == '/') {
            s++;
            return strtol(s, (char **)&s, 10) > 0 && *s == '\0';
        }
        return *s == '\0';
    }
    return 0;
}

static int field_ok(const field_t *f, const char *text)
{
    char buf[128], *save = NULL, *e;

    if (strlen(text) >= sizeof(buf) || !*text)
        return 0;
    strcpy(buf, text);
    if (buf[0] == ',' || buf[strlen(buf) - 1] == ',' || strstr(buf, ",,"))
        return 0;
    for (e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save))
        if (!element_ok(f, e))
            return 0;
    return 1;
}

static int cron_ok(const char *body, size_t len)
{
    char buf[256], *save = NULL, *tok[7];
    int n = 0;

    if (len >= sizeof(buf))
        return 0;
    memcpy(buf, body, len);
    buf[len] = '\0';
    for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (n == 7)
            return 0;
        tok[n++] = t;
    }
    if (n != 6)
        return 0;
    /* Exactly one of day-of-month and day-of-week is '?'. */
    if ((strcmp(tok[2], "?") == 0) == (strcmp(tok[4], "?") == 0))
        return 0;
    for (int i = 0; i < 6; i++)
        if (strcmp(tok[i], "?") != 0 && !field_ok(&fields[i], tok[i]))
            return 0;
    return 1;
}

static int rate_ok(const char *body, size_t len)
{
    char buf[64], unit[16], extra;
    long v;

    if (len >= sizeof(buf))
        return 0;
    memcpy(buf, body, len);
    buf[len] = '\0';
    if (!isdigit((unsigned char)buf[0]) || sscanf(buf, "%ld %15s %c", &v, unit, &extra) != 2 ||
        v <= 0)
        return 0;
    if (v == 1)
        return strcmp(unit, "minute") == 0 || strcmp(unit, "hour") == 0 ||
               strcmp(unit, "day") == 0;
    return strcmp(unit, "minutes") == 0 || strcmp(unit, "hours") == 0 ||
           strcmp(unit, "days") == 0;
}

int ev__schedule_valid(const char *expr)
{
    size_t n = strlen(expr);

    if (n > 6 && strncmp(expr, "cron(", 5) == 0 && expr[n - 1] == ')')
        return cron_ok(expr + 5, n - 6);
    if (n > 6 && strncmp(expr, "rate(", 5) == 0 && expr[n - 1] == ')')
        return rate_ok(expr + 5, n - 6);
    return 0;
}
