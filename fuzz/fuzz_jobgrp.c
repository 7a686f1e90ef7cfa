/*
 * fuzz/fuzz_jobgrp.c - libFuzzer driver for the outbox's job record format
 * (store/jobgrp.h): any bytes decode without reading past the end, and the
 * records that decode, encoded again (each after the one before it), decode
 * to the same jobs and end exactly at the end of what was written.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/jobgrp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_job(const ev_jobgrp_job_t *a, const ev_jobgrp_job_t *b)
{
    for (int i = 0; i < EV_JOBGRP_NSTR; i++)
        if (a->len[i] != b->len[i] || (a->len[i] && memcmp(a->s[i], b->s[i], a->len[i]) != 0))
            return 0;
    return a->payload_len == b->payload_len &&
           (!a->payload_len || memcmp(a->payload, b->payload, a->payload_len) == 0) &&
           a->event_ms == b->event_ms && a->due_ms == b->due_ms;
}

/* Encodes the records that decode from blob[0..n) into b; returns how many
 * and sets *end to where decoding stopped. */
static size_t reencode(const unsigned char *blob, size_t n, ev_buf_t *b, size_t *end)
{
    ev_jobgrp_job_t j, prev;
    size_t off = 0, count = 0;

    memset(&j, 0, sizeof(j));
    while (ev_jobgrp_next(blob, n, &off, &j) == 1) {
        ev_jobgrp_put(b, &j, count ? &prev : NULL);
        prev = j;
        count++;
    }
    *end = off;
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ev_buf_t b, b2;
    ev_jobgrp_job_t j, again;
    size_t count, end, end2, off = 0, o2 = 0;

    ev_buf_init(&b, size + 1);
    count = reencode(data, size, &b, &end);
    /* A record is never written longer than it was read: a carried route
     * stays carried, a repeated one may become carried. */
    if (b.failed || b.len > end)
        abort();

    memset(&j, 0, sizeof(j));
    memset(&again, 0, sizeof(again));
    for (size_t i = 0; i < count; i++) {
        if (ev_jobgrp_next(data, size, &off, &j) != 1 ||
            ev_jobgrp_next((const unsigned char *)b.p, b.len, &o2, &again) != 1 ||
            !same_job(&j, &again))
            abort();
    }
    if (o2 != b.len || ev_jobgrp_next((const unsigned char *)b.p, b.len, &o2, &again) != 0 ||
        o2 != b.len)
        abort();

    /* What was written is canonical: writing it again gives the same bytes. */
    ev_buf_init(&b2, b.len + 1);
    if (reencode((const unsigned char *)b.p, b.len, &b2, &end2) != count || end2 != b.len ||
        b2.failed || b2.len != b.len || (b.len && memcmp(b.p, b2.p, b.len) != 0))
        abort();
    ev_buf_free(&b2);
    ev_buf_free(&b);
    return 0;
}
