/*
 * store/attlog.c - encoding and decoding the history's attempt records
 * (format in attlog.h).
 */
#include "store/attlog.h"

#include <string.h>

#include "store/le.h"

#define VERSION 1
#define NONE 0xFFFF
#define MAX_STR 0xFFFE
#define FIXED (1 + 8 + 8 + 4 + 4)

void ev_attlog_put(ev_buf_t *b, const ev_attlog_rec_t *r)
{
    unsigned char fixed[FIXED];
    size_t total = FIXED;

    for (int i = 0; i < EV_ATTLOG_NSTR; i++)
        total += 2 + (r->s[i] ? (r->len[i] > MAX_STR ? MAX_STR : r->len[i]) : 0);
    ev_buf_reserve(b, total);
    fixed[0] = VERSION;
    ev_le_put(fixed + 1, (uint64_t)r->time_ms, 8);
    ev_le_put(fixed + 9, (uint64_t)r->latency_ms, 8);
    ev_le_put(fixed + 17, (uint32_t)r->attempt, 4);
    ev_le_put(fixed + 21, (uint32_t)r->status, 4);
    ev_buf_add(b, fixed, sizeof(fixed));
    for (int i = 0; i < EV_ATTLOG_NSTR; i++) {
        unsigned char len[2];
        size_t n = r->s[i] ? (r->len[i] > MAX_STR ? MAX_STR : r->len[i]) : 0;

        ev_le_put(len, !r->s[i] && i == EV_ATTLOG_ERROR ? NONE : n, 2);
        ev_buf_add(b, len, 2);
        if (n)
            ev_buf_add(b, r->s[i], n);
    }
}

int ev_attlog_next(const unsigned char *blob, size_t n, size_t *off, ev_attlog_rec_t *r)
{
    size_t at = *off;

    if (at >= n)
        return 0;
    if (n - at < FIXED || blob[at] != VERSION)
        return -1;
    r->time_ms = (int64_t)ev_le_get(blob + at + 1, 8);
    r->latency_ms = (int64_t)ev_le_get(blob + at + 9, 8);
    r->attempt = (int32_t)(uint32_t)ev_le_get(blob + at + 17, 4);
    r->status = (int32_t)(uint32_t)ev_le_get(blob + at + 21, 4);
    at += FIXED;
    for (int i = 0; i < EV_ATTLOG_NSTR; i++) {
        size_t len;

        if (n - at < 2)
            return -1;
        len = (size_t)ev_le_get(blob + at, 2);
        at += 2;
        if (len == NONE) {
            if (i != EV_ATTLOG_ERROR)
                return -1;
            r->s[i] = NULL;
            r->len[i] = 0;
            continue;
        }
        if (n - at < len)
            return -1;
        r->s[i] = (const char *)blob + at;
        r->len[i] = len;
        at += len;
    }
    *off = at;
    return 1;
}
