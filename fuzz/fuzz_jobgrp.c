/*
 * fuzz/fuzz_jobgrp.c - libFuzzer driver for the outbox's job record format
 * (store/jobgrp.h): any bytes decode without reading past the end, with ids
 * that ascend from the base by at most UINT32_MAX a record and never
 * overflow; the records that decode, encoded again (each after the one
 * before it, from the same base), are accepted by put, decode to the same
 * jobs (ids included) and end exactly at the end of what was written.
 *
 * The input is decoded twice: with the fixed base 1, and (8 bytes or more)
 * with its last 8 bytes as a little-endian base. Those are the last record's
 * due_ms in a valid blob, free to take any value, so the fuzzer reaches
 * bases of either sign and near INT64_MAX (the overflow check) without
 * breaking the records; seed1's last due_ms is INT64_MAX - 0x10002, which
 * puts its last id at exactly INT64_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/jobgrp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_job(const ev_jobgrp_job_t *a, const ev_jobgrp_job_t *b)
{
    if (a->id != b->id)
        return 0;
    for (int i = 0; i < EV_JOBGRP_NSTR; i++)
        if (a->len[i] != b->len[i] || (a->len[i] && memcmp(a->s[i], b->s[i], a->len[i]) != 0))
            return 0;
    return a->payload_len == b->payload_len &&
           (!a->payload_len || memcmp(a->payload, b->payload, a->payload_len) == 0) &&
           a->event_ms == b->event_ms && a->due_ms == b->due_ms;
}

/* Encodes the records that decode from blob[0..n) into b; returns how many
 * and sets *end to where decoding stopped. Aborts when an id is out of
 * order or put refuses a record that decoded. */
static size_t reencode(const unsigned char *blob, size_t n, int64_t base, ev_buf_t *b,
                       size_t *end)
{
    ev_jobgrp_job_t j, prev;
    size_t off = 0, count = 0;

    memset(&j, 0, sizeof(j));
    while (ev_jobgrp_next(blob, n, &off, &j, base) == 1) {
        int64_t from = count ? prev.id : base;
        size_t len = b->len;

        if (j.id < from || (uint64_t)j.id - (uint64_t)from > UINT32_MAX)
            abort();
        if (ev_jobgrp_put(b, &j, count ? &prev : NULL, base) != 0 || b->len == len)
            abort();
        prev = j;
        count++;
    }
    *end = off;
    return count;
}

static void check(const uint8_t *data, size_t size, int64_t base)
{
    ev_buf_t b, b2;
    ev_jobgrp_job_t j, again;
    size_t count, end, end2, off = 0, o2 = 0;

    ev_buf_init(&b, size + 1);
    count = reencode(data, size, base, &b, &end);
    /* A record is never written longer than it was read: a carried route
     * stays carried, a repeated one may become carried; the delta is the
     * same. */
    if (b.failed || b.len > end)
        abort();

    memset(&j, 0, sizeof(j));
    memset(&again, 0, sizeof(again));
    for (size_t i = 0; i < count; i++) {
        if (ev_jobgrp_next(data, size, &off, &j, base) != 1 ||
            ev_jobgrp_next((const unsigned char *)b.p, b.len, &o2, &again, base) != 1 ||
            !same_job(&j, &again))
            abort();
    }
    if (off != end || o2 != b.len ||
        ev_jobgrp_next((const unsigned char *)b.p, b.len, &o2, &again, base) != 0 ||
        o2 != b.len)
        abort();

    /* What was written is canonical: writing it again gives the same bytes. */
    ev_buf_init(&b2, b.len + 1);
    if (reencode((const unsigned char *)b.p, b.len, base, &b2, &end2) != count ||
        end2 != b.len || b2.failed || b2.len != b.len ||
        (b.len && memcmp(b.p, b2.p, b.len) != 0))
        abort();
    ev_buf_free(&b2);
    ev_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size, 1);
    if (size >= 8) {
        uint64_t base = 0;

        for (int i = 0; i < 8; i++)
            base |= (uint64_t)data[size - 8 + i] << (8 * i);
        check(data, size, (int64_t)base);
    }
    return 0;
}
