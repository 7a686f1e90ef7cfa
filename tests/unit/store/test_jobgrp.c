/*
 * tests/unit/store/test_jobgrp.c - the outbox's job record format: round
 * trips with the route carried over or repeated, empty strings and binary
 * payloads, extreme times, the end, and damaged blobs (never read past the
 * end).
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

static ev_jobgrp_job_t job(const char *target, const char *event_id, const void *payload,
                           size_t payload_len, int64_t event_ms, int64_t due_ms)
{
    ev_jobgrp_job_t j;
    const char *s[EV_JOBGRP_NSTR] = {ACCOUNT, REGION, BUS, RULE, target, event_id};

    memset(&j, 0, sizeof(j));
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
    size_t n = 1 + 4 + j->len[EV_JOBGRP_EVENT_ID] + 4 + j->payload_len + 16;

    if (route)
        for (int i = 0; i < EV_JOBGRP_ROUTE; i++)
            n += 4 + j->len[i];
    return n;
}

static void assert_job(const ev_jobgrp_job_t *got, const ev_jobgrp_job_t *want)
{
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

/* Encodes in[0..n) (each with the one before as prev), recording where each
 * record ends, and checks each record's flags byte and size. */
static void put_all(ev_buf_t *b, const ev_jobgrp_job_t *in, int n, const int *route,
                    size_t *end)
{
    ev_buf_init(b, 1 << 20);
    for (int i = 0; i < n; i++) {
        size_t start = b->len;

        ev_jobgrp_put(b, &in[i], i ? &in[i - 1] : NULL);
        assert_false(b->failed);
        end[i] = b->len;
        assert_int_equal(end[i] - start, rec_size(&in[i], route[i]));
        assert_int_equal((unsigned char)b->p[start], route[i] ? 1 : 0);
    }
}

/* Decodes the whole blob and checks every record and offset, then the end. */
static void get_all(const ev_buf_t *b, const ev_jobgrp_job_t *in, int n, const size_t *end)
{
    ev_jobgrp_job_t out;
    size_t off = 0;

    memset(&out, 0, sizeof(out));
    for (int i = 0; i < n; i++) {
        assert_int_equal(ev_jobgrp_next((const unsigned char *)b->p, b->len, &off, &out), 1);
        assert_int_equal(off, end[i]);
        assert_job(&out, &in[i]);
    }
    assert_int_equal(off, b->len);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b->p, b->len, &off, &out), 0);
    assert_int_equal(off, b->len);
}

/* Jobs of one rule and target: only the first record carries the route. */
static void test_same_route(void **state)
{
    ev_buf_t b;
    ev_jobgrp_job_t in[4];
    int route[4] = {1, 0, 0, 0};
    size_t end[4];

    (void)state;
    in[0] = job("t1", "e-1", "{\"a\":1}", 7, 1700000000123LL, 1700000000123LL);
    in[1] = job("t1", "e-2", "{\"a\":2}", 7, 1700000000124LL, 1700000060000LL);
    in[2] = job("t1", "e-3", "{}", 2, 1700000000125LL, 0);
    /* The same route in other memory is still the same route. */
    in[3] = job("t1", "e-4", "[]", 2, 1, 2);
    {
        static char acc[] = ACCOUNT, rule[] = RULE;

        in[3].s[EV_JOBGRP_ACCOUNT] = acc;
        in[3].s[EV_JOBGRP_RULE_ARN] = rule;
    }
    put_all(&b, in, 4, route, end);
    assert_int_equal(end[0], 1 + 4 * 7 + 12 + 9 + 6 + 52 + 2 + 3 + 7 + 16);
    assert_int_equal(end[1] - end[0], 1 + 4 + 3 + 4 + 7 + 16);
    assert_true(end[1] - end[0] < end[0]);
    assert_true(end[2] - end[1] < end[0]);
    assert_true(end[3] - end[2] < end[0]);
    get_all(&b, in, 4, end);
    ev_buf_free(&b);
}

/* Any change of route, in any of the five strings, repeats the route; a
 * route that comes back is repeated too (only the previous record counts). */
static void test_route_changes(void **state)
{
    ev_buf_t b;
    ev_jobgrp_job_t in[9];
    int route[9] = {1, 0, 1, 1, 1, 1, 1, 1, 0};
    size_t end[9];

    (void)state;
    in[0] = job("t1", "e-1", "x", 1, 10, 20);
    in[1] = job("t1", "e-2", "y", 1, 11, 21);
    in[2] = job("t2", "e-3", "z", 1, 12, 22);             /* target id, same length */
    in[3] = job("t", "e-4", "z", 1, 13, 23);              /* target id, a prefix */
    in[4] = job("t", "e-5", "z", 1, 14, 24);
    in[4].s[EV_JOBGRP_ACCOUNT] = "123456789013";          /* account */
    in[5] = job("t", "e-6", "z", 1, 15, 25);
    in[5].s[EV_JOBGRP_REGION] = "us-east-1";              /* region */
    in[5].len[EV_JOBGRP_REGION] = 9;
    in[6] = job("t", "e-7", "z", 1, 16, 26);
    in[6].s[EV_JOBGRP_BUS] = "orderz";                    /* bus */
    in[7] = job("t", "e-8", "z", 1, 17, 27);
    in[7].s[EV_JOBGRP_RULE_ARN] = "arn:aws:events:eu-west-1:123456789012:rule/orders/r2";
    in[8] = job("t", "e-9", "", 0, 18, 28);               /* same as the one before */
    in[8].s[EV_JOBGRP_RULE_ARN] = in[7].s[EV_JOBGRP_RULE_ARN];
    put_all(&b, in, 9, route, end);
    get_all(&b, in, 9, end);
    ev_buf_free(&b);

    /* Back to the first route after another one: repeated. */
    {
        ev_jobgrp_job_t back[3];
        int r3[3] = {1, 1, 1};
        size_t e3[3];

        back[0] = job("t1", "e-1", "a", 1, 1, 1);
        back[1] = job("t2", "e-2", "b", 1, 2, 2);
        back[2] = job("t1", "e-3", "c", 1, 3, 3);
        put_all(&b, back, 3, r3, e3);
        assert_int_equal(e3[0], e3[2] - e3[1]);
        get_all(&b, back, 3, e3);
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
    in[2] = job("", "", bin, sizeof(bin), 0, 0);
    in[2].s[EV_JOBGRP_ACCOUNT] = "";
    in[2].len[EV_JOBGRP_ACCOUNT] = 0;
    in[2].s[EV_JOBGRP_TARGET_ID] = "\0t\0"; /* NUL bytes inside a string */
    in[2].len[EV_JOBGRP_TARGET_ID] = 3;
    in[3] = in[2];
    in[3].s[EV_JOBGRP_EVENT_ID] = "e\0";
    in[3].len[EV_JOBGRP_EVENT_ID] = 2;
    put_all(&b, in, 4, route, end);
    assert_int_equal(end[0], 1 + 6 * 4 + 4 + sizeof(bin) + 16);
    assert_int_equal(end[1] - end[0], 1 + 4 + 4 + 16);

    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), 1);
    assert_int_equal(off, end[0]);
    for (int i = 0; i < EV_JOBGRP_NSTR; i++)
        assert_int_equal(out.len[i], 0);
    assert_int_equal(out.payload_len, sizeof(bin));
    assert_memory_equal(out.payload, bin, sizeof(bin));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), 1);
    assert_int_equal(off, end[1]);
    for (int i = 0; i < EV_JOBGRP_NSTR; i++)
        assert_int_equal(out.len[i], 0);
    assert_int_equal(out.payload_len, 0);
    assert_true(out.event_ms == 5);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), 1);
    assert_int_equal(off, end[2]);
    assert_job(&out, &in[2]);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), 1);
    assert_int_equal(off, end[3]);
    assert_job(&out, &in[3]);
    assert_int_equal(out.len[EV_JOBGRP_TARGET_ID], 3);
    assert_memory_equal(out.s[EV_JOBGRP_TARGET_ID], "\0t\0", 3);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), 0);
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
        in[i] = job("t1", "e", "p", 1, t[i][0], t[i][1]);
    put_all(&b, in, N, route, end);
    get_all(&b, in, N, end);
    {
        static const unsigned char want[16] = {8, 7, 6, 5, 4, 3, 2, 1,
                                               0xf8, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe};

        assert_memory_equal(b.p + b.len - 16, want, 16);
    }
    ev_buf_free(&b);
}

/* The end: an empty blob, and exactly after the last record, return 0 and
 * leave the offset alone. */
static void test_end(void **state)
{
    ev_buf_t b;
    ev_jobgrp_job_t in = job("t1", "e-1", "{}", 2, 1, 2), out;
    size_t off = 0;
    unsigned char one = 0;

    (void)state;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next(&one, 0, &off, &out), 0);
    assert_int_equal(off, 0);
    ev_buf_init(&b, 1 << 20);
    ev_jobgrp_put(&b, &in, NULL);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), 1);
    assert_int_equal(off, b.len);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), 0);
    assert_int_equal(off, b.len);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), 0);
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
    in[0] = job("t1", "e-1", "{\"a\":1}", 7, -3, 4);
    in[1] = job("t1", "e-2", "{}", 2, 5, 6);
    in[2] = job("t2", "e-3", "", 0, 7, 8);
    put_all(&b, in, 3, route, end);
    for (size_t n = 1; n < b.len; n++) {
        unsigned char *copy = malloc(n); /* exactly n bytes: ASan sees any overread */
        int rc, got = 0, whole = 0;
        size_t off = 0;

        memcpy(copy, b.p, n);
        memset(&out, 0, sizeof(out));
        while ((rc = ev_jobgrp_next(copy, n, &off, &out)) == 1)
            got++;
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

/* A string length that runs past the end, however large, is damage. */
static void test_huge_length(void **state)
{
    ev_buf_t b;
    ev_jobgrp_job_t in = job("t1", "e-1", "{}", 2, 1, 2), out;
    size_t off;
    size_t at[3];

    (void)state;
    ev_buf_init(&b, 1 << 20);
    ev_jobgrp_put(&b, &in, NULL);
    at[0] = 1;                                     /* account */
    at[1] = 1 + 4 * 5 + 12 + 9 + 6 + 52 + 2;       /* event id */
    at[2] = at[1] + 4 + 3;                         /* payload */
    for (int i = 0; i < 3; i++) {
        static const unsigned char lens[][4] = {{0xff, 0xff, 0xff, 0xff}, {0, 0, 0, 0x80},
                                                {0xff, 0xff, 0, 0}};

        for (int k = 0; k < 3; k++) {
            unsigned char *copy = malloc(b.len);

            memcpy(copy, b.p, b.len);
            memcpy(copy + at[i], lens[k], 4);
            off = 0;
            memset(&out, 0, sizeof(out));
            assert_int_equal(ev_jobgrp_next(copy, b.len, &off, &out), -1);
            assert_int_equal(off, 0);
            free(copy);
        }
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
    in[0] = job("t1", "e-1", "{}", 2, 1, 2);
    in[1] = job("t1", "e-2", "{}", 2, 3, 4);
    put_all(&b, in, 2, route, end);
    for (size_t k = 0; k < sizeof(bad); k++) {
        b.p[0] = (char)bad[k];
        off = 0;
        memset(&out, 0, sizeof(out));
        assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), -1);
        assert_int_equal(off, 0);
    }
    b.p[0] = 1;
    for (size_t k = 0; k < sizeof(bad); k++) {
        b.p[end[0]] = (char)bad[k];
        off = 0;
        memset(&out, 0, sizeof(out));
        assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), 1);
        assert_int_equal(off, end[0]);
        assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), -1);
        assert_int_equal(off, end[0]);
    }
    ev_buf_free(&b);
}

/* A first record must carry the route: without one there is none to carry
 * over. With the previous record in j, the same bytes decode. */
static void test_first_without_route(void **state)
{
    static const unsigned char bare[1 + 4 + 4 + 16] = {0};
    ev_buf_t b;
    ev_jobgrp_job_t in[2], out;
    int route[2] = {1, 0};
    size_t end[2], off = 0;

    (void)state;
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next(bare, sizeof(bare), &off, &out), -1);
    assert_int_equal(off, 0);

    in[0] = job("t1", "e-1", "{}", 2, 1, 2);
    in[1] = job("t1", "e-2", "[]", 2, 3, 4);
    put_all(&b, in, 2, route, end);
    off = end[0];
    memset(&out, 0, sizeof(out));
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), -1);
    assert_int_equal(off, end[0]);

    /* Resuming at the second record with the first one in j works. */
    off = 0;
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), 1);
    assert_int_equal(ev_jobgrp_next((const unsigned char *)b.p, b.len, &off, &out), 1);
    assert_int_equal(off, end[1]);
    assert_job(&out, &in[1]);
    ev_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_route),
        cmocka_unit_test(test_route_changes),
        cmocka_unit_test(test_empty_and_binary),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_end),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_huge_length),
        cmocka_unit_test(test_bad_flags),
        cmocka_unit_test(test_first_without_route),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
