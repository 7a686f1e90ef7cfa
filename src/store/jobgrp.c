/*
 * store/jobgrp.c - encoding and decoding the outbox's job records (format in
 * jobgrp.h).
 */
#include "store/jobgrp.h"

#include <string.h>

#include "store/le.h"

#define F_ROUTE 1

static void put_str(ev_buf_t *b, const char *s, size_t n)
{
    unsigned char len[4];

    ev_le_put(len, n, 4);
    ev_buf_add(b, len, 4);
    if (n)
        ev_buf_add(b, s, n);
}

static int same_route(const ev_jobgrp_job_t *a, const ev_jobgrp_job_t *b)
{
    for (int i = 0; i < EV_JOBGRP_ROUTE; i++)
        if (a->len[i] != b->len[i] || (a->len[i] && memcmp(a->s[i], b->s[i], a->len[i]) != 0))
            return 0;
    return 1;
}

int ev_jobgrp_put(ev_buf_t *b, const ev_jobgrp_job_t *j, const ev_jobgrp_job_t *prev,
                  int64_t base)
{
    unsigned char flags = prev && same_route(j, prev) ? 0 : F_ROUTE, t[16];
    int64_t from = prev ? prev->id : base;
    size_t total = 1 + 4 + 4 + j->len[EV_JOBGRP_EVENT_ID] + 4 + j->payload_len + 16;

    if (j->id < from || (uint64_t)j->id - (uint64_t)from > UINT32_MAX)
        return -1;
    if (flags & F_ROUTE)
        for (int i = 0; i < EV_JOBGRP_ROUTE; i++)
            total += 4 + j->len[i];
    ev_buf_reserve(b, total);
    ev_buf_add(b, &flags, 1);
    if (flags & F_ROUTE)
        for (int i = 0; i < EV_JOBGRP_ROUTE; i++)
            put_str(b, j->s[i], j->len[i]);
    ev_le_put(t, (uint64_t)j->id - (uint64_t)from, 4);
    ev_buf_add(b, t, 4);
    put_str(b, j->s[EV_JOBGRP_EVENT_ID], j->len[EV_JOBGRP_EVENT_ID]);
    put_str(b, (const char *)j->payload, j->payload_len);
    ev_le_put(t, (uint64_t)j->event_ms, 8);
    ev_le_put(t + 8, (uint64_t)j->due_ms, 8);
    ev_buf_add(b, t, sizeof(t));
    return 0;
}

/* A u32-length string at *at; -1 when it runs past the end. */
static int get_str(const unsigned char *blob, size_t n, size_t *at, const char **s, size_t *len)
{
    size_t l;

    if (n - *at < 4)
        return -1;
    l = (size_t)ev_le_get(blob + *at, 4);
    *at += 4;
    if (n - *at < l)
        return -1;
    *s = (const char *)blob + *at;
    *len = l;
    *at += l;
    return 0;
}

int ev_jobgrp_next(const unsigned char *blob, size_t n, size_t *off, ev_jobgrp_job_t *j,
                   int64_t base)
{
    size_t at = *off;
    const char *p;
    unsigned char flags;
    int64_t from = at == 0 ? base : j->id;
    uint64_t delta;

    if (at >= n)
        return 0;
    flags = blob[at++];
    if (flags & ~F_ROUTE)
        return -1;
    if (flags & F_ROUTE) {
        for (int i = 0; i < EV_JOBGRP_ROUTE; i++)
            if (get_str(blob, n, &at, &j->s[i], &j->len[i]) != 0)
                return -1;
    } else if (*off == 0) {
        return -1; /* no route to carry over */
    }
    if (n - at < 4)
        return -1;
    delta = ev_le_get(blob + at, 4);
    at += 4;
    if (from > INT64_MAX - (int64_t)delta)
        return -1; /* the id would overflow */
    if (get_str(blob, n, &at, &j->s[EV_JOBGRP_EVENT_ID], &j->len[EV_JOBGRP_EVENT_ID]) != 0 ||
        get_str(blob, n, &at, &p, &j->payload_len) != 0 || n - at < 16)
        return -1;
    j->id = (int64_t)((uint64_t)from + delta);
    j->payload = (const unsigned char *)p;
    j->event_ms = (int64_t)ev_le_get(blob + at, 8);
    j->due_ms = (int64_t)ev_le_get(blob + at + 8, 8);
    *off = at + 16;
    return 1;
}
