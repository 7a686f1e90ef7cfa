/*
 * tests/unit/store/test_jobgrp.c - the outbox's job record format: the exact
 * bytes of a record, round trips with the route (six strings, the target ARN
 * among them) carried over or repeated, ids as deltas from the row's id and
 * the previous record's (gaps of 0 to UINT32_MAX, ids put refuses, ids that
 * would overflow on decoding), empty strings and binary payloads, extreme
 * times, the end, and damaged blobs (never read past the end).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/jobgrp.h"

#define ACCOUNT "123456789012"
#define REGION "eu-west-1"
#define BUS "orders"
#define RULE "arn:aws:events:eu-west-1:123456789012:rule/orders/r1"
#define TARN "arn:aws:sqs:eu-west-1:123456789012:q1"

/* The route's strings' lengths when only the target id varies. */
#define ROUTE_LEN(target_len) (12 + 9 + 6 + 52 + (target_len) + 37)

static ev_jobgrp_job_t job(int64_t id, const char *target, const char *event_id,
                           const void *payload, size_t payload_len, int64_t event_ms,
                           int64_t due_ms)
{
    ev_jobgrp_job_t j;
    const char *s[EV_JOBGRP_NSTR] = {ACCOUNT, REGION, BUS, RULE, target, TARN, event_id};

    memset(&j, 0, sizeof(j));
    j.id = id;
    for (int i = 0; i < EV_JOBGRP_NSTR; i++) {
        j.s[i] = s[i];
        j.len[i] = strlen(s[i]);
    }
    j.payload = payload;
    j.payload_len = payload_len;
    j.event_ms = event_ms;
    j.due_ms = due_ms;
    return j;
}

/* The size of a record as jobgrp.h lays it out. */
static size_t rec_size(const ev_jobgrp_job_t *j, int route)
{
    size_t n = 1 + 4 + 4 + j->len[EV_JOBGRP_EVENT_ID] + 4 + j->payload_len + 16;

    if (route)
        for (int i = 0; i < EV_JOBGRP_ROUTE; i++)
            n += 4 + j->len[i];
    return n;
}

/* The u32 id delta of the record at rec (with or without a route). */
static uint32_t delta_at(const ev_buf_t *b, size_t rec, const ev_jobgrp_job_t *j, int route)
{
    const unsigned char *p = (const unsigned char *)b->p + rec + 1;

    if (route)
        for (int i = 0; i < EV_JOBGRP_ROUTE; i++)
            p += 4 + j->len[i];
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void assert_job(const ev_jobgrp_job_t *got, const ev_jobgrp_job_t *want)
{
    assert_true(got->id == want->id);
    for (int i = 0; i < EV_JOBGRP_NSTR; i++) {
        assert_int_equal(got->len[i], want->len[i]);
        assert_non_null(got->s[i]);
        if (want->len[i])
            assert_memory_equal(got->s[i], want->s[i], want->len[i]);
    }
    assert_int_equal(got->payload_len, want->payload_len);
    assert_non_null(got->payload);
    if (want->payload_len)
        assert_memory_equal(got->payload, want->payload, want->payload_len);
    assert_true(got->event_ms == want->event_ms);
    assert_true(got->due_ms == want->due_ms);
}

/* Encodes in[0..n) (each with the one before as prev, the first from base),
 * recording where each record ends, and checks each record's flags byte,
 * size and id delta. */
static void put_all(ev_buf_t *b, const ev_jobgrp_job_t *in, int n, const int *route,
                    size_t *end, int64_t base)
{
    ev_buf_init(b, 1 << 20);
    for (int i = 0; i < n; i++) {
        size_t start = b->len;
        int64_t from = i ? in[i - 1].id : base;

        assert_int_equal(ev_jobgrp_put(b, &in[i], i ? &in[i - 1] : NULL, base), 0);
        assert_false(b->failed);
        end[i] = b->len;
        assert_int_equal(end[i] - start, rec_size(&in[i], route[i]));
        assert_int_equal((unsigned char)b->p[start], route[i] ? 1 : 0);
        assert_true(delta_at(b, start, &in[i], route[i]) == (uint64_t)in[i].id - (uint64_t)from);
    }
}

/* Decodes the whole blob and checks every record and offset, then the end. */
static void get_all(const ev_buf_t *b, const ev_jobgrp_job_t *in, int n, const size_t *end,
                    int64_t base)
{
    ev_jobgrp_job_t out;
    size_t off = 0;

    memset(&out, 0, sizeof(out));
    for (int i = 0; i < n; i++) {
        assert_int_equal(ev_jobgrp_next((const unsigned char *)b->p, b->len, &off, &out, base), 1);
        assert_int_equal(off, end[i]);
        assert_job(&out, &in[i]);
    }
    assert_int_equal(off, b->len);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b->p, b->len, &off, &out, base), 0);
    assert_int_equal(off, b->len);
}

/* The bytes, as jobgrp.h describes them: flags, six route strings (target
 * ARN last), the id delta, the event id, the payload, the times. */
static void test_layout(void **state)
{
    static const unsigned char want[] = {
        /* first record: id 12 from base 10 */
        1,
        1, 0, 0, 0, 'a', 1, 0, 0, 0, 'b', 1, 0, 0, 0, 'c',
        1, 0, 0, 0, 'd', 1, 0, 0, 0, 'e', 1, 0, 0, 0, 'f',
        2, 0, 0, 0,
        1, 0, 0, 0, 'g',
        1, 0, 0, 0, 'h',
        8, 7, 6, 5, 4, 3, 2, 1,
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        /* second: same route, id 12 + 0x01020304, empty event id and payload */
        0,
        4, 3, 2, 1,
        0, 0, 0, 0,
        0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    };
    static const char *s[EV_JOBGRP_NSTR] = {"a", "b", "c", "d", "e", "f", "g"};
    ev_buf_t b;
    ev_jobgrp_job_t in[2], out;
    size_t off = 0;

    (void)state;
    memset(in, 0, sizeof(in));
    for (int i = 0; i < EV_JOBGRP_NSTR; i++) {
        in[0].s[i] = s[i];
        in[0].len[i] = 1;
    }
    in[0].id = 12;
    in[0].payload = (const unsigned char *)"h";
    in[0].payload_len = 1;
    in[0].event_ms = 0x0102030405060708LL;
    in[0].due_ms = -2;
    in[1] = in[0];
    in[1].id = 12 + 0x01020304;
    in[1].len[EV_JOBGRP_EVENT_ID] = 0;
    in[1].payload_len = 0;
    in[1].event_ms = 0;
    in[1].due_ms = INT64_MAX;
    ev_buf_init(&b, 1 << 20);
    assert_int_equal(ev_jobgrp_put(&b, &in[0], NULL, 10), 0);
    assert_int_equal(ev_jobgrp_put(&b, &in[1], &in[0], 10), 0);
    assert_false(b.failed);
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.p, want, sizeof(want));

    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next(want, sizeof(want), &off, &out, 10), 1);
    assert_job(&out, &in[0]);
    assert_int_equal(ev_jobgrp_next(want, sizeof(want), &off, &out, 10), 1);
    assert_job(&out, &in[1]);
    assert_int_equal(ev_jobgrp_next(want, sizeof(want), &off, &out, 10), 0);
    assert_int_equal(off, sizeof(want));
    ev_buf_free(&b);
}

/* Jobs of one rule and target: only the first record carries the route. */
static void test_same_route(void **state)
{
    ev_buf_t b;
    ev_jobgrp_job_t in[4];
    int route[4] = {1, 0, 0, 0};
    size_t end[4];

    (void)state;
    in[0] = job(7, "t1", "e-1", "{\"a\":1}", 7, 1700000000123LL, 1700000000123LL);
    in[1] = job(8, "t1", "e-2", "{\"a\":2}", 7, 1700000000124LL, 1700000060000LL);
    in[2] = job(9, "t1", "e-3", "{}", 2, 1700000000125LL, 0);
    /* The same route in other memory is still the same route. */
    in[3] = job(10, "t1", "e-4", "[]", 2, 1, 2);
    {
        static char acc[] = ACCOUNT, rule[] = RULE, tarn[] = TARN;

        in[3].s[EV_JOBGRP_ACCOUNT] = acc;
        in[3].s[EV_JOBGRP_RULE_ARN] = rule;
        in[3].s[EV_JOBGRP_TARGET_ARN] = tarn;
    }
    put_all(&b, in, 4, route, end, 7);
    assert_int_equal(end[0], 1 + 4 * 6 + ROUTE_LEN(2) + 4 + 4 + 3 + 4 + 7 + 16);
    assert_int_equal(end[0], 181);
    assert_int_equal(end[1] - end[0], 1 + 4 + 4 + 3 + 4 + 7 + 16);
    assert_int_equal(end[2] - end[1], 1 + 4 + 4 + 3 + 4 + 2 + 16);
    assert_int_equal(end[3] - end[2], 1 + 4 + 4 + 3 + 4 + 2 + 16);
    get_all(&b, in, 4, end, 7);
    ev_buf_free(&b);
}

/* Any change of route, in any of the six strings, repeats the route; a
 * route that comes back is repeated too (only the previous record counts). */
static void test_route_changes(void **state)
{
    ev_buf_t b;
    ev_jobgrp_job_t in[12];
    int route[12] = {1, 0, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0};
    size_t end[12];

    (void)state;
    for (int i = 0; i < 12; i++) {
        static const char *eid[12] = {"e-1", "e-2", "e-3", "e-4", "e-5",  "e-6",
                                      "e-7", "e-8", "e-9", "e-10", "e-11", "e-12"};

        in[i] = job(100 + i, i < 2 ? "t1" : i == 2 ? "t2" : "t", eid[i], "z", 1, 10 + i, 20 + i);
    }
    /* in[2]: target id, same length; in[3]: target id, a prefix */
    in[4].s[EV_JOBGRP_ACCOUNT] = "123456789013";          /* account */
    in[5].s[EV_JOBGRP_REGION] = "us-east-1";              /* region */
    in[6].s[EV_JOBGRP_BUS] = "orderz";                    /* bus */
    in[7].s[EV_JOBGRP_RULE_ARN] = "arn:aws:events:eu-west-1:123456789012:rule/orders/r2";
    in[8].s[EV_JOBGRP_RULE_ARN] = in[7].s[EV_JOBGRP_RULE_ARN]; /* same as the one before */
    in[8].payload_len = 0;
    /* in[9]: target ARN only, same length */
    in[9].s[EV_JOBGRP_RULE_ARN] = in[7].s[EV_JOBGRP_RULE_ARN];
    in[9].s[EV_JOBGRP_TARGET_ARN] = "arn:aws:sqs:eu-west-1:123456789012:q2";
    /* in[10]: target ARN only, a prefix */
    in[10].s[EV_JOBGRP_RULE_ARN] = in[7].s[EV_JOBGRP_RULE_ARN];
    in[10].s[EV_JOBGRP_TARGET_ARN] = "arn:aws:sqs:eu-west-1:123456789012:q";
    in[10].len[EV_JOBGRP_TARGET_ARN] = 36;
    in[11] = in[10];
    in[11].id = 111;
    in[11].s[EV_JOBGRP_EVENT_ID] = "e-12";
    put_all(&b, in, 12, route, end, 100);
    get_all(&b, in, 12, end, 100);
    ev_buf_free(&b);

    /* Back to the first route after another one: repeated. */
    {
        ev_jobgrp_job_t back[3];
        int r3[3] = {1, 1, 1};
        size_t e3[3];

        back[0] = job(1, "t1", "e-1", "a", 1, 1, 1);
        back[1] = job(2, "t2", "e-2", "b", 1, 2, 2);
        back[2] = job(3, "t1", "e-3", "c", 1, 3, 3);
        put_all(&b, back, 3, r3, e3, 1);
        assert_int_equal(e3[0], e3[2] - e3[1]);
        get_all(&b, back, 3, e3, 1);
        ev_buf_free(&b);
    }

    /* Two records that differ only in the target ARN (one queue of a rule's
     * target id after another): the second carries its own route, and a
     * third like it carries the second's over. */
    {
        ev_jobgrp_job_t t[3];
        int r3[3] = {1, 1, 0};
        size_t e3[3];
        ev_jobgrp_job_t out;
        size_t off;

        t[0] = job(5, "t1", "e-1", "{}", 2, 1, 1);
        t[1] = t[0];
        t[1].id = 6;
        t[1].s[EV_JOBGRP_TARGET_ARN] = "arn:aws:lambda:eu-west-1:123456789012:function:f";
        t[1].len[EV_JOBGRP_TARGET_ARN] = strlen(t[1].s[EV_JOBGRP_TARGET_ARN]);
        t[2] = t[1];
        t[2].id = 7;
        put_all(&b, t, 3, r3, e3, 5);
        assert_int_equal(e3[1] - e3[0], e3[0] + (48 - 37));
        get_all(&b, t, 3, e3, 5);
        off = e3[1];
        out = t[1];
        assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 5), 1);
        assert_int_equal(out.len[EV_JOBGRP_TARGET_ARN], 48);
        assert_ptr_equal(out.s[EV_JOBGRP_TARGET_ARN], t[1].s[EV_JOBGRP_TARGET_ARN]);
        ev_buf_free(&b);
    }
}

/* Empty strings (NULL or "") and a payload with NUL bytes; an all-empty
 * route still carries over to the next record. */
static void test_empty_and_binary(void **state)
{
    static const unsigned char bin[] = {0, 'a', 0, 0, 0xff, 0x01, 0};
    ev_buf_t b;
    ev_jobgrp_job_t in[4], out;
    int route[4] = {1, 0, 1, 0};
    size_t end[4], off = 0;

    (void)state;
    memset(in, 0, sizeof(in));
    for (int i = 0; i < EV_JOBGRP_NSTR; i++)
        in[0].s[i] = "";
    in[0].payload = bin;
    in[0].payload_len = sizeof(bin);
    in[1] = in[0]; /* NULL strings of length 0 are the same empty route */
    for (int i = 0; i < EV_JOBGRP_NSTR; i++)
        in[1].s[i] = NULL;
    in[1].payload = NULL;
    in[1].payload_len = 0;
    in[1].event_ms = 5;
    in[1].id = 1;
    in[2] = job(2, "", "", bin, sizeof(bin), 0, 0);
    in[2].s[EV_JOBGRP_ACCOUNT] = "";
    in[2].len[EV_JOBGRP_ACCOUNT] = 0;
    in[2].s[EV_JOBGRP_TARGET_ID] = "\0t\0"; /* NUL bytes inside a string */
    in[2].len[EV_JOBGRP_TARGET_ID] = 3;
    in[2].s[EV_JOBGRP_TARGET_ARN] = "";
    in[2].len[EV_JOBGRP_TARGET_ARN] = 0;
    in[3] = in[2];
    in[3].id = 3;
    in[3].s[EV_JOBGRP_EVENT_ID] = "e\0";
    in[3].len[EV_JOBGRP_EVENT_ID] = 2;
    put_all(&b, in, 4, route, end, 0);
    assert_int_equal(end[0], 1 + 6 * 4 + 4 + 4 + 4 + sizeof(bin) + 16);
    assert_int_equal(end[1] - end[0], 1 + 4 + 4 + 4 + 16);
    assert_int_equal(end[2] - end[1], 1 + 6 * 4 + 9 + 6 + 52 + 3 + 4 + 4 + 4 + sizeof(bin) + 16);

    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 0), 1);
    assert_int_equal(off, end[0]);
    assert_true(out.id == 0);
    for (int i = 0; i < EV_JOBGRP_NSTR; i++)
        assert_int_equal(out.len[i], 0);
    assert_int_equal(out.payload_len, sizeof(bin));
    assert_memory_equal(out.payload, bin, sizeof(bin));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 0), 1);
    assert_int_equal(off, end[1]);
    assert_true(out.id == 1);
    for (int i = 0; i < EV_JOBGRP_NSTR; i++)
        assert_int_equal(out.len[i], 0);
    assert_int_equal(out.payload_len, 0);
    assert_true(out.event_ms == 5);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 0), 1);
    assert_int_equal(off, end[2]);
    assert_job(&out, &in[2]);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 0), 1);
    assert_int_equal(off, end[3]);
    assert_job(&out, &in[3]);
    assert_int_equal(out.len[EV_JOBGRP_TARGET_ID], 3);
    assert_memory_equal(out.s[EV_JOBGRP_TARGET_ID], "\0t\0", 3);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 0), 0);
    ev_buf_free(&b);
}

/* Times of either sign and the extremes survive; integers are little-endian. */
static void test_times(void **state)
{
    static const int64_t t[][2] = {
        {0, 0},
        {-1, 1},
        {INT64_MIN, INT64_MAX},
        {INT64_MAX, INT64_MIN},
        {-1700000000123LL, 1700000000123LL},
        {(int64_t)0x0102030405060708LL, -(int64_t)0x0102030405060708LL},
    };
    enum { N = sizeof(t) / sizeof(t[0]) };
    ev_buf_t b;
    ev_jobgrp_job_t in[N];
    int route[N] = {1};
    size_t end[N];

    (void)state;
    for (int i = 0; i < N; i++)
        in[i] = job(50 + i, "t1", "e", "p", 1, t[i][0], t[i][1]);
    put_all(&b, in, N, route, end, 50);
    get_all(&b, in, N, end, 50);
    {
        static const unsigned char want[16] = {8, 7, 6, 5, 4, 3, 2, 1,
                                               0xf8, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe};

        assert_memory_equal(b.p + b.len - 16, want, 16);
    }
    ev_buf_free(&b);
}

/* Ids: the first record's counts from the base (the row's id), each later
 * one's from the record before; gaps of 0, 1 and up to UINT32_MAX. */
static void test_ids(void **state)
{
    ev_buf_t b;
    ev_jobgrp_job_t in[9];
    int route[9] = {1, 0, 0, 0, 0, 0, 0, 0, 0};
    size_t end[9];
    static const int64_t ids[9] = {
        1000,                                  /* delta 0 from the base */
        1003,                                  /* 3 */
        1004,                                  /* 1 */
        1004,                                  /* 0: the same id again */
        1004 + (int64_t)UINT32_MAX,            /* the largest gap */
        1004 + (int64_t)UINT32_MAX + 1,        /* 1 */
        1005 + 2 * (int64_t)UINT32_MAX - 1,    /* UINT32_MAX - 1 */
        1005 + 2 * (int64_t)UINT32_MAX + 0x10000, /* 0x10001: bytes 1 0 1 0 */
        1005 + 2 * (int64_t)UINT32_MAX + 0x10000 + 0x80000000LL, /* top bit of the delta */
    };
    static const uint32_t deltas[9] = {0, 3, 1, 0, UINT32_MAX, 1, UINT32_MAX - 1, 0x10001,
                                       0x80000000u};

    (void)state;
    for (int i = 0; i < 9; i++) {
        in[i] = job(ids[i], "t1", "e", "{}", 2, i, i);
        if (i)
            assert_true((uint64_t)(ids[i] - ids[i - 1]) == deltas[i]);
    }
    put_all(&b, in, 9, route, end, 1000); /* put_all checks each delta's bytes */
    get_all(&b, in, 9, end, 1000);
    ev_buf_free(&b);

    /* base 1000, ids 1000, 1003, 1004: deltas 0, 3, 1. The same blob read
     * with another base shifts every id by the difference. */
    {
        ev_jobgrp_job_t out;
        size_t off = 0;
        int64_t got[3];

        put_all(&b, in, 3, route, end, 1000);
        assert_int_equal(delta_at(&b, 0, &in[0], 1), 0);
        assert_int_equal(delta_at(&b, end[0], &in[1], 0), 3);
        assert_int_equal(delta_at(&b, end[1], &in[2], 0), 1);
        memset(&out, 0, sizeof(out));
        for (int i = 0; i < 3; i++) {
            assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 1),
                             1);
            got[i] = out.id;
        }
        assert_true(got[0] == 1 && got[1] == 4 && got[2] == 5);
        ev_buf_free(&b);
    }

    /* The first record far from the base; a negative base and ids across
     * zero; the extremes of int64 within reach. */
    {
        static const struct {
            int64_t base, id[3];
        } c[] = {
            {1000, {1000 + (int64_t)UINT32_MAX, 1000 + (int64_t)UINT32_MAX + 7,
                    1000 + 2 * (int64_t)UINT32_MAX + 7}},
            {-5, {-3, 0, 4}},
            {INT64_MIN, {INT64_MIN, INT64_MIN + (int64_t)UINT32_MAX, INT64_MIN + 2 * (int64_t)UINT32_MAX}},
            {INT64_MAX - 2 * (int64_t)UINT32_MAX, {INT64_MAX - 2 * (int64_t)UINT32_MAX,
                                                   INT64_MAX - (int64_t)UINT32_MAX, INT64_MAX}},
            {INT64_MAX, {INT64_MAX, INT64_MAX, INT64_MAX}},
            {0, {0, 1, 2}},
        };
        int r3[3] = {1, 0, 0};
        size_t e3[3];
        ev_jobgrp_job_t t[3];

        for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
            for (int i = 0; i < 3; i++)
                t[i] = job(c[k].id[i], "t1", "e", "", 0, 1, 2);
            put_all(&b, t, 3, r3, e3, c[k].base);
            get_all(&b, t, 3, e3, c[k].base);
            ev_buf_free(&b);
        }
    }
}

/* Put refuses an id below the previous record's (or the base, for the
 * first) and one more than UINT32_MAX above: -1 and nothing appended, and
 * the blob goes on as if the call had not been made. */
static void test_put_refuses(void **state)
{
    static const struct {
        int64_t base, prev, id; /* prev < base: no previous record */
    } bad[] = {
        {1000, 0, 999},
        {1000, 0, 1000 + (int64_t)UINT32_MAX + 1},
        {1000, 0, 1000 + 2 * (int64_t)UINT32_MAX},
        {1000, 0, INT64_MIN},
        {1000, 0, INT64_MAX},
        {0, -1, -1},
        {INT64_MAX, 0, INT64_MIN},
        {INT64_MAX, 0, INT64_MAX - 1},
        {INT64_MIN, INT64_MIN, INT64_MAX},                    /* prev >= base: a previous record */
        {INT64_MIN, INT64_MIN, INT64_MIN + (int64_t)UINT32_MAX + 1},
        {1000, 1003, 1002},
        {1000, 1003, 1000},
        {1000, 1003, 1003 + (int64_t)UINT32_MAX + 1},
        {1000, 1003, INT64_MIN},
        {1000, 1003, INT64_MAX},
        {1000, 1000 + (int64_t)UINT32_MAX, 1000 + (int64_t)UINT32_MAX - 1},
    };

    (void)state;
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        ev_buf_t b;
        ev_jobgrp_job_t first, prev, j, out;
        int has_prev = bad[k].prev >= bad[k].base;
        size_t len, off = 0;
        unsigned char *copy;

        ev_buf_init(&b, 1 << 20);
        /* Records before, the last of another route than j's, so a refused
         * record would write its route too. */
        if (has_prev) {
            first = job(bad[k].base, "t0", "e-0", "{}", 2, 1, 1);
            assert_int_equal(ev_jobgrp_put(&b, &first, NULL, bad[k].base), 0);
            prev = job(bad[k].prev, "t1", "e-1", "{}", 2, 1, 1);
            assert_int_equal(ev_jobgrp_put(&b, &prev, &first, bad[k].base), 0);
        }
        len = b.len;
        copy = malloc(len + 1);
        if (len)
            memcpy(copy, b.p, len);

        j = job(bad[k].id, "t2", "e-2", "[]", 2, 2, 2);
        assert_int_equal(ev_jobgrp_put(&b, &j, has_prev ? &prev : NULL, bad[k].base), -1);
        assert_int_equal(b.len, len);
        assert_false(b.failed);
        if (len)
            assert_memory_equal(b.p, copy, len);
        /* The same route as prev: still refused, still nothing. */
        if (has_prev) {
            j = prev;
            j.id = bad[k].id;
            assert_int_equal(ev_jobgrp_put(&b, &j, &prev, bad[k].base), -1);
            assert_int_equal(b.len, len);
            assert_memory_equal(b.p, copy, len);
        }

        /* An acceptable id after it writes as if nothing had happened. */
        j = job(has_prev ? bad[k].prev : bad[k].base, "t2", "e-2", "[]", 2, 2, 2);
        assert_int_equal(ev_jobgrp_put(&b, &j, has_prev ? &prev : NULL, bad[k].base), 0);
        memset(&out, 0, sizeof(out));
        if (has_prev) {
            assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                            bad[k].base), 1);
            assert_job(&out, &first);
            assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                            bad[k].base), 1);
            assert_job(&out, &prev);
        }
        assert_int_equal(off, len);
        assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                        bad[k].base), 1);
        assert_job(&out, &j);
        assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                        bad[k].base), 0);
        free(copy);
        ev_buf_free(&b);
    }

    /* The edges that are accepted: exactly the base and exactly UINT32_MAX
     * above the base or prev. */
    {
        ev_buf_t b;
        ev_jobgrp_job_t a = job(10, "t", "e", "", 0, 0, 0), c;

        ev_buf_init(&b, 1 << 20);
        assert_int_equal(ev_jobgrp_put(&b, &a, NULL, 10), 0);
        c = a;
        c.id = 10 + (int64_t)UINT32_MAX;
        assert_int_equal(ev_jobgrp_put(&b, &c, &a, 10), 0);
        a.id = (int64_t)UINT32_MAX + 10;
        assert_int_equal(ev_jobgrp_put(&b, &a, NULL, 10), 0);
        assert_false(b.failed);
        ev_buf_free(&b);
    }
}

/* Decoding refuses an id past INT64_MAX (a base near it and a large delta),
 * first record or later, and leaves the offset alone; exactly INT64_MAX
 * decodes. */
static void test_id_overflow(void **state)
{
    ev_buf_t b;
    ev_jobgrp_job_t in[2], out;
    int route[2] = {1, 0};
    size_t end[2], off;

    (void)state;
    /* deltas 11 and 6, written from base 0 */
    in[0] = job(11, "t1", "e-1", "{}", 2, 1, 2);
    in[1] = job(17, "t1", "e-2", "{}", 2, 3, 4);
    put_all(&b, in, 2, route, end, 0);

    off = 0;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                    INT64_MAX - 10), -1);
    assert_int_equal(off, 0);
    off = 0;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, INT64_MAX), -1);
    assert_int_equal(off, 0);

    /* The first at INT64_MAX - 5, the second would be one past. */
    off = 0;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                    INT64_MAX - 16), 1);
    assert_true(out.id == INT64_MAX - 5);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                    INT64_MAX - 16), -1);
    assert_int_equal(off, end[0]);

    /* One less: both decode, the second exactly INT64_MAX. */
    off = 0;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                    INT64_MAX - 17), 1);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                    INT64_MAX - 17), 1);
    assert_true(out.id == INT64_MAX);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                    INT64_MAX - 17), 0);
    ev_buf_free(&b);

    /* A delta of UINT32_MAX: from INT64_MAX - UINT32_MAX it reaches INT64_MAX,
     * from one more it overflows; a negative base is fine. */
    in[0] = job((int64_t)UINT32_MAX, "t1", "e-1", "{}", 2, 1, 2);
    put_all(&b, in, 1, route, end, 0);
    off = 0;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                    INT64_MAX - (int64_t)UINT32_MAX), 1);
    assert_true(out.id == INT64_MAX);
    off = 0;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out,
                                    INT64_MAX - (int64_t)UINT32_MAX + 1), -1);
    assert_int_equal(off, 0);
    off = 0;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, INT64_MIN), 1);
    assert_true(out.id == INT64_MIN + (int64_t)UINT32_MAX);
    off = 0;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, -1), 1);
    assert_true(out.id == (int64_t)UINT32_MAX - 1);
    ev_buf_free(&b);
}

/* The end: an empty blob, and exactly after the last record, return 0 and
 * leave the offset alone. */
static void test_end(void **state)
{
    ev_buf_t b;
    ev_jobgrp_job_t in = job(42, "t1", "e-1", "{}", 2, 1, 2), out;
    size_t off = 0;
    unsigned char one = 0;

    (void)state;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next(&one, 0, &off, &out, 42), 0);
    assert_int_equal(off, 0);
    ev_buf_init(&b, 1 << 20);
    assert_int_equal(ev_jobgrp_put(&b, &in, NULL, 40), 0);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 40), 1);
    assert_int_equal(off, b.len);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 40), 0);
    assert_int_equal(off, b.len);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 40), 0);
    assert_int_equal(off, b.len);
    assert_job(&out, &in);
    ev_buf_free(&b);
}

/* Every truncation of a valid blob reads as damaged (-1) or, on a record
 * boundary, ends cleanly; never past the end. */
static void test_truncated(void **state)
{
    ev_buf_t b;
    ev_jobgrp_job_t in[3], out;
    int route[3] = {1, 0, 1};
    size_t end[3];

    (void)state;
    in[0] = job(1000, "t1", "e-1", "{\"a\":1}", 7, -3, 4);
    in[1] = job(0x01020304 + 1000, "t1", "e-2", "{}", 2, 5, 6);
    in[2] = job(0x01020304 + 1000 + 0x7f, "t2", "e-3", "", 0, 7, 8);
    put_all(&b, in, 3, route, end, 999);
    for (size_t n = 1; n < b.len; n++) {
        unsigned char *copy = malloc(n); /* exactly n bytes: ASan sees any overread */
        int rc, got = 0, whole = 0;
        size_t off = 0;

        memcpy(copy, b.p, n);
        memset(&out, 0, sizeof(out));
        while ((rc = ev_jobgrp_next(copy, n, &off, &out, 999)) == 1) {
            assert_job(&out, &in[got]);
            got++;
        }
        for (int i = 0; i < 3; i++)
            if (end[i] <= n)
                whole = i + 1;
        assert_int_equal(got, whole);
        assert_int_equal(off, whole ? end[whole - 1] : 0);
        if (n == end[0] || n == end[1])
            assert_int_equal(rc, 0);
        else
            assert_int_equal(rc, -1);
        free(copy);
    }
    ev_buf_free(&b);
}

/* A string length that runs past the end, however large, is damage; so is
 * a delta cut short. */
static void test_huge_length(void **state)
{
    ev_buf_t b;
    ev_jobgrp_job_t in = job(1, "t1", "e-1", "{}", 2, 1, 2), out;
    size_t off;
    size_t at[4];

    (void)state;
    ev_buf_init(&b, 1 << 20);
    assert_int_equal(ev_jobgrp_put(&b, &in, NULL, 1), 0);
    at[0] = 1;                                     /* account */
    at[1] = 1 + 4 * 5 + 12 + 9 + 6 + 52 + 2;       /* target ARN */
    at[2] = at[1] + 4 + 37 + 4;                    /* event id, after the delta */
    at[3] = at[2] + 4 + 3;                         /* payload */
    assert_int_equal(b.len, at[3] + 4 + 2 + 16);
    assert_memory_equal(b.p + at[1] + 4, TARN, 37);
    for (int i = 0; i < 4; i++) {
        static const unsigned char lens[][4] = {{0xff, 0xff, 0xff, 0xff}, {0, 0, 0, 0x80},
                                                {0xff, 0xff, 0, 0}};

        for (int k = 0; k < 3; k++) {
            unsigned char *copy = malloc(b.len);

            memcpy(copy, b.p, b.len);
            memcpy(copy + at[i], lens[k], 4);
            off = 0;
            memset(&out, 0, sizeof(out));
            assert_int_equal(ev_jobgrp_next(copy, b.len, &off, &out, 1), -1);
            assert_int_equal(off, 0);
            free(copy);
        }
    }
    /* The route and nothing more, or the delta cut short. */
    for (size_t n = at[2] - 4; n < at[2]; n++) {
        unsigned char *copy = malloc(n);

        memcpy(copy, b.p, n);
        off = 0;
        memset(&out, 0, sizeof(out));
        assert_int_equal(ev_jobgrp_next(copy, n, &off, &out, 1), -1);
        assert_int_equal(off, 0);
        free(copy);
    }
    ev_buf_free(&b);
}

/* A flags byte other than 0 or 1 is damage, first record or later. */
static void test_bad_flags(void **state)
{
    static const unsigned char bad[] = {2, 3, 0x80, 0xff};
    ev_buf_t b;
    ev_jobgrp_job_t in[2], out;
    int route[2] = {1, 0};
    size_t end[2], off;

    (void)state;
    in[0] = job(1, "t1", "e-1", "{}", 2, 1, 2);
    in[1] = job(2, "t1", "e-2", "{}", 2, 3, 4);
    put_all(&b, in, 2, route, end, 1);
    for (size_t k = 0; k < sizeof(bad); k++) {
        b.p[0] = (char)bad[k];
        off = 0;
        memset(&out, 0, sizeof(out));
        assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 1), -1);
        assert_int_equal(off, 0);
    }
    b.p[0] = 1;
    for (size_t k = 0; k < sizeof(bad); k++) {
        b.p[end[0]] = (char)bad[k];
        off = 0;
        memset(&out, 0, sizeof(out));
        assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 1), 1);
        assert_int_equal(off, end[0]);
        assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 1), -1);
        assert_int_equal(off, end[0]);
    }
    ev_buf_free(&b);
}

/* A first record (at offset 0) must carry the route: without one there is
 * none to carry over, even when j still holds one. Resuming at a later
 * record with the previous one in j decodes it, its id counting from j's
 * (the base does not count there). */
static void test_first_without_route(void **state)
{
    static const unsigned char bare[1 + 4 + 4 + 4 + 16] = {0};
    ev_buf_t b;
    ev_jobgrp_job_t in[2], out;
    int route[2] = {1, 0};
    size_t end[2], off = 0;

    (void)state;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next(bare, sizeof(bare), &off, &out, 0), -1);
    assert_int_equal(off, 0);

    in[0] = job(5, "t1", "e-1", "{}", 2, 1, 2);
    in[1] = job(9, "t1", "e-2", "[]", 2, 3, 4);
    put_all(&b, in, 2, route, end, 5);

    /* j holding a route (the last record of another blob) is no excuse. */
    off = 0;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 5), 1);
    off = 0;
    assert_int_equal(ev_jobgrp_next(bare, sizeof(bare), &off, &out, 0), -1);
    assert_int_equal(off, 0);
    {
        unsigned char *copy = malloc(b.len - end[0]);

        memcpy(copy, b.p + end[0], b.len - end[0]); /* the second record alone */
        out = in[0];
        assert_int_equal(ev_jobgrp_next(copy, b.len - end[0], &off, &out, 5), -1);
        assert_int_equal(off, 0);
        free(copy);
    }

    /* Resuming at the second record with the first one in j works, whatever
     * the base. */
    off = 0;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 5), 1);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, 5), 1);
    assert_int_equal(off, end[1]);
    assert_job(&out, &in[1]);
    off = end[0];
    out = in[0];
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out, INT64_MAX), 1);
    assert_int_equal(off, end[1]);
    assert_job(&out, &in[1]);
    ev_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_same_route),
        cmocka_unit_test(test_route_changes),
        cmocka_unit_test(test_empty_and_binary),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_put_refuses),
        cmocka_unit_test(test_id_overflow),
        cmocka_unit_test(test_end),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_huge_length),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_first_without_route),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
