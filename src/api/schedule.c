/*
 * api/schedule.c - validation of ScheduleExpression: rate(N unit) and the
 * six-field AWS cron(minutes hours day-of-month month day-of-week year).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

/* ---- firing ---- */

static int days_in_month(int year, int mon0)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return d[mon0] + (mon0 == 1 && leap);
}

/* Day-of-week (0 = Sunday) of a day of the tm's month. */
static int wday_of(const struct tm *tm, int mday)
{
    return ((tm->tm_wday - (tm->tm_mday - mday)) % 7 + 7) % 7;
}

/* The weekday nearest to `day` in the month, not crossing month ends. */
static int nearest_weekday(const struct tm *tm, int day)
{
    int last = days_in_month(tm->tm_year + 1900, tm->tm_mon), w;

    if (day > last)
        day = last;
    w = wday_of(tm, day);
    if (w == 6)
        return day > 1 ? day - 1 : day + 2;
    if (w == 0)
        return day < last ? day + 1 : day - 2;
    return day;
}

static int element_match(const field_t *f, const char *s, int v, const struct tm *tm)
{
    int last = days_in_month(tm->tm_year + 1900, tm->tm_mon), a, b = -1, step = 1;

    if (strcmp(s, "*") == 0 || strcmp(s, "?") == 0)
        return 1;
    if (f->dom && strcmp(s, "L") == 0)
        return v == last;
    if (f->dom && strcmp(s, "LW") == 0)
        return v == nearest_weekday(tm, last);
    if (f->dow && strcmp(s, "L") == 0)
        return v == 7;
    if (s[0] == '*' && s[1] == '/') {
        a = f->lo;
        step = (int)strtol(s + 2, NULL, 10);
        return v >= a && (v - a) % step == 0;
    }
    if ((a = value(f, &s)) < 0)
        return 0;
    if (*s == '\0')
        return v == a;
    if (f->dom && strcmp(s, "W") == 0)
        return v == nearest_weekday(tm, a);
    if (f->dow && strcmp(s, "L") == 0)
        return v == a && tm->tm_mday + 7 > last;
    if (f->dow && s[0] == '#')
        return v == a && (tm->tm_mday - 1) / 7 + 1 == s[1] - '0';
    if (s[0] == '-') {
        s++;
        b = value(f, &s);
    }
    if (s[0] == '/')
        step = (int)strtol(s + 1, NULL, 10);
    if (b < 0)
        b = f->hi;
    return v >= a && v <= b && (v - a) % step == 0;
}

static int field_match(const field_t *f, const char *text, int v, const struct tm *tm)
{
    char buf[128], *save = NULL;

    if (strlen(text) >= sizeof(buf))
        return 0;
    strcpy(buf, text);
    for (char *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save))
        if (element_match(f, e, v, tm))
            return 1;
    return 0;
}

/* True when a valid cron body matches the UTC minute starting at t. */
static int cron_match(const char *body, size_t len, time_t t)
{
    char buf[256], *save = NULL, *tok[6];
    struct tm tm;
    int n = 0, v[6];

    memcpy(buf, body, len);
    buf[len] = '\0';
    for (char *p = strtok_r(buf, " ", &save); p && n < 6; p = strtok_r(NULL, " ", &save))
        tok[n++] = p;
    gmtime_r(&t, &tm);
    v[0] = tm.tm_min;
    v[1] = tm.tm_hour;
    v[2] = tm.tm_mday;
    v[3] = tm.tm_mon + 1;
    v[4] = tm.tm_wday + 1;
    v[5] = tm.tm_year + 1900;
    for (int i = 0; i < 6; i++)
        if (!field_match(&fields[i], tok[i], v[i], &tm))
            return 0;
    return 1;
}

int64_t ev__schedule_next(const char *expr, int64_t created_ms, int64_t after_ms)
{
    size_t n = strlen(expr);

    if (!ev__schedule_valid(expr))
        return INT64_MAX;
    if (strncmp(expr, "rate(", 5) == 0) {
        long v = strtol(expr + 5, NULL, 10);
        int64_t unit = strstr(expr, "day") ? 86400000 : strstr(expr, "hour") ? 3600000 : 60000;
        int64_t period = (int64_t)v * unit, k;

        /* Fires every period after the rule was created. */
        k = after_ms < created_ms ? 1 : (after_ms - created_ms) / period + 1;
        return created_ms + k * period;
    }
    /* cron: the next whole UTC minute after after_ms that matches (within a year). */
    for (int64_t m = after_ms / 60000 + 1, end = m + 366LL * 24 * 60; m < end; m++)
        if (cron_match(expr + 5, n - 6, (time_t)(m * 60)))
            return m * 60000;
    return INT64_MAX;
}
