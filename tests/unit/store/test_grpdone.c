/*
 * tests/unit/store/test_grpdone.c - the map of finished jobs in partly
 * finished outbox groups, tested against grpdone.h: completion and the jobs
 * a finished group still stores, groups held at open (hold), groups stored
 * again without their finished jobs (rewritten), the groups worth storing
 * again (stale: age by the caller's clock, the half rule, max), refused
 * calls that change nothing, d.jobs, the dump, and many groups (growth,
 * deletion, collisions) checked against plain models.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/grpdone.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* The dumped ids, sorted; *n: how many. Checks that the dump appends whole
 * 8-byte little-endian ids after what the buffer held. */
static int64_t *dump_sorted(const ev_grpdone_t *d, size_t *n /* OUT */)
{
    static const char before[3] = {'a', 'b', 'c'};
    ev_buf_t b;
    int64_t *ids;

    ev_buf_init(&b, 1 << 20);
    ev_buf_add(&b, before, sizeof(before));
    ev_grpdone_dump(d, &b);
    assert_false(b.failed);
    assert_memory_equal(b.p, before, sizeof(before));
    assert_int_equal((b.len - sizeof(before)) % 8, 0);
    *n = (b.len - sizeof(before)) / 8;
    ids = malloc(*n ? *n * sizeof(*ids) : 1);
    for (size_t i = 0; i < *n; i++) {
        const unsigned char *p = (const unsigned char *)b.p + sizeof(before) + 8 * i;
        uint64_t v = 0;

        for (int k = 0; k < 8; k++)
            v |= (uint64_t)p[k] << (8 * k);
        ids[i] = (int64_t)v;
    }
    qsort(ids, *n, sizeof(*ids), cmp_i64);
    ev_buf_free(&b);
    return ids;
}

static void assert_dump(const ev_grpdone_t *d, const int64_t *want, size_t n)
{
    size_t got_n;
    int64_t *got = dump_sorted(d, &got_n);

    assert_int_equal(got_n, n);
    for (size_t i = 0; i < n; i++)
        assert_true(got[i] == want[i]);
    free(got);
}

/* Marks job id of group (g, n); *stored is not looked at (see assert_last). */
static int mark(ev_grpdone_t *d, int64_t g, uint32_t n, int64_t id)
{
    uint32_t stored = 0xdeadbeef;

    return ev_grpdone_mark(d, g, n, id, &stored);
}

/* Marks the job that finishes group (g, n): 1, with *stored == want_stored. */
static void assert_last(ev_grpdone_t *d, int64_t g, uint32_t n, int64_t id, uint32_t want_stored)
{
    uint32_t stored = 0xdeadbeef;

    assert_int_equal(ev_grpdone_mark(d, g, n, id, &stored), 1);
    assert_int_equal(stored, want_stored);
}

/* The groups stale() lists (room for 64) are exactly want[0..n) (sorted). */
static void assert_stale(ev_grpdone_t *d, int64_t after_ms, const int64_t *want, size_t n)
{
    int64_t ids[64];
    size_t k = ev_grpdone_stale(d, after_ms, ids, 64);

    assert_int_equal(k, n);
    qsort(ids, k, sizeof(*ids), cmp_i64);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[i], want[i]);
}

/* A group of one is finished by its only job: nothing is held. */
static void test_single(void **state)
{
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_last(&d, 10, 1, 10, 1);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    assert_int_equal(ev_grpdone_has(&d, 10, 10), 0);
    assert_dump(&d, NULL, 0);
    /* Forgotten, so the same group can finish again. */
    assert_last(&d, 10, 1, 10, 1);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    ev_grpdone_free(&d);
}

/* Marked out of order, a group of three finishes on its last job. */
static void test_out_of_order(void **state)
{
    static const int64_t after1[] = {102}, after2[] = {100, 102};
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_int_equal(mark(&d, 100, 3, 102), 0);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(ev_grpdone_has(&d, 100, 102), 1);
    assert_int_equal(ev_grpdone_has(&d, 100, 100), 0);
    assert_dump(&d, after1, 1);
    assert_int_equal(mark(&d, 100, 3, 100), 0);
    assert_int_equal(d.jobs, 2);
    assert_int_equal(ev_grpdone_has(&d, 100, 100), 1);
    assert_int_equal(ev_grpdone_has(&d, 100, 101), 0);
    assert_dump(&d, after2, 2);
    assert_last(&d, 100, 3, 101, 3);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    for (int64_t id = 100; id < 103; id++)
        assert_int_equal(ev_grpdone_has(&d, 100, id), 0);
    assert_dump(&d, NULL, 0);
    ev_grpdone_free(&d);
}

/* *stored on completion: the jobs the group still stores, all finished. */
static void test_stored(void **state)
{
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    /* n == 1, not held and held. */
    assert_last(&d, 10, 1, 10, 1);
    assert_int_equal(ev_grpdone_hold(&d, 20, 1, 1), 0);
    assert_int_equal(d.used, 1);
    assert_last(&d, 20, 1, 20, 1);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    /* A group of three, never stored again: all three. */
    assert_int_equal(mark(&d, 30, 3, 30), 0);
    assert_int_equal(mark(&d, 30, 3, 31), 0);
    assert_int_equal(d.jobs, 2);
    assert_last(&d, 30, 3, 32, 3);
    assert_int_equal(d.jobs, 0);
    /* Four, stored again after two finished: the other two. */
    assert_int_equal(mark(&d, 40, 4, 40), 0);
    assert_int_equal(mark(&d, 40, 4, 42), 0);
    assert_int_equal(d.jobs, 2);
    assert_int_equal(ev_grpdone_rewritten(&d, 40), 2);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(mark(&d, 40, 4, 41), 0);
    assert_int_equal(d.jobs, 1);
    assert_last(&d, 40, 4, 43, 2);
    assert_int_equal(d.jobs, 0);
    /* Five, one finished, stored again: the other four. */
    assert_int_equal(mark(&d, 50, 5, 52), 0);
    assert_int_equal(ev_grpdone_rewritten(&d, 50), 4);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(mark(&d, 50, 5, 50), 0);
    assert_int_equal(mark(&d, 50, 5, 51), 0);
    assert_int_equal(mark(&d, 50, 5, 54), 0);
    assert_int_equal(d.jobs, 3);
    assert_last(&d, 50, 5, 53, 4);
    assert_int_equal(d.jobs, 0);
    /* Six, stored again twice: what the last copy stores. */
    assert_int_equal(mark(&d, 60, 6, 60), 0);
    assert_int_equal(mark(&d, 60, 6, 61), 0);
    assert_int_equal(d.jobs, 2);
    assert_int_equal(ev_grpdone_rewritten(&d, 60), 4);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(mark(&d, 60, 6, 62), 0);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(ev_grpdone_rewritten(&d, 60), 3);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(mark(&d, 60, 6, 63), 0);
    assert_int_equal(mark(&d, 60, 6, 64), 0);
    assert_int_equal(d.jobs, 2);
    assert_last(&d, 60, 6, 65, 3);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    assert_dump(&d, NULL, 0);
    ev_grpdone_free(&d);
}

/* A duplicate mark, an id outside the group and a group size out of range
 * are refused and change nothing. */
static void test_refused(void **state)
{
    static const int64_t held[] = {101, 203};
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    /* Nothing held yet: a refused mark must not create the group. */
    assert_int_equal(mark(&d, 100, 3, 99), -1);
    assert_int_equal(mark(&d, 100, 3, 103), -1);
    assert_int_equal(mark(&d, 100, 0, 100), -1);
    assert_int_equal(mark(&d, 100, EV_GRPDONE_MAX + 1, 100), -1);
    assert_int_equal(mark(&d, 100, UINT32_MAX, 100), -1);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    assert_int_equal(ev_grpdone_has(&d, 100, 100), 0);
    assert_dump(&d, NULL, 0);

    assert_int_equal(mark(&d, 100, 3, 101), 0);
    assert_int_equal(mark(&d, 200, 4, 203), 0);
    assert_int_equal(d.jobs, 2);
    assert_int_equal(mark(&d, 100, 3, 101), -1);     /* duplicate */
    assert_int_equal(mark(&d, 200, 4, 203), -1);     /* duplicate */
    assert_int_equal(mark(&d, 100, 3, 99), -1);      /* below g */
    assert_int_equal(mark(&d, 100, 3, 103), -1);     /* g + n */
    assert_int_equal(mark(&d, 200, 4, 204), -1);
    assert_int_equal(mark(&d, 200, 4, INT64_MIN), -1);
    assert_int_equal(mark(&d, 200, 4, INT64_MAX), -1);
    assert_int_equal(mark(&d, 100, 0, 100), -1);
    assert_int_equal(mark(&d, 100, EV_GRPDONE_MAX + 1, 102), -1);
    assert_int_equal(mark(&d, 100, 4, 102), -1);     /* held with another n */
    assert_int_equal(mark(&d, 100, 2, 100), -1);
    assert_int_equal(mark(&d, 100, 1, 100), -1);
    assert_int_equal(d.jobs, 2);
    assert_int_equal(d.used, 2);
    assert_int_equal(ev_grpdone_has(&d, 100, 100), 0);
    assert_int_equal(ev_grpdone_has(&d, 100, 101), 1);
    assert_int_equal(ev_grpdone_has(&d, 100, 102), 0);
    assert_int_equal(ev_grpdone_has(&d, 200, 203), 1);
    assert_dump(&d, held, 2);
    /* Still finishes normally. */
    assert_int_equal(mark(&d, 100, 3, 100), 0);
    assert_last(&d, 100, 3, 102, 3);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(d.used, 1);
    assert_dump(&d, held + 1, 1);
    ev_grpdone_free(&d);
}

/* The largest group is allowed and finishes on its last job. */
static void test_largest(void **state)
{
    ev_grpdone_t d;
    int64_t g = 5000;

    (void)state;
    memset(&d, 0, sizeof(d));
    for (int64_t i = EV_GRPDONE_MAX - 1; i > 0; i--)
        assert_int_equal(mark(&d, g, EV_GRPDONE_MAX, g + i), 0);
    assert_int_equal(d.jobs, EV_GRPDONE_MAX - 1);
    assert_int_equal(ev_grpdone_has(&d, g, g + EV_GRPDONE_MAX - 1), 1);
    assert_int_equal(ev_grpdone_has(&d, g, g), 0);
    assert_int_equal(mark(&d, g, EV_GRPDONE_MAX, g + EV_GRPDONE_MAX), -1);
    assert_last(&d, g, EV_GRPDONE_MAX, g, EV_GRPDONE_MAX);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(ev_grpdone_has(&d, g, g + 1), 0);

    /* Held at the largest size, stored again with half finished. */
    assert_int_equal(ev_grpdone_hold(&d, g, EV_GRPDONE_MAX, EV_GRPDONE_MAX), 0);
    for (int64_t i = 0; i < EV_GRPDONE_MAX; i += 2)
        assert_int_equal(mark(&d, g, EV_GRPDONE_MAX, g + i), 0);
    assert_int_equal(d.jobs, EV_GRPDONE_MAX / 2);
    assert_int_equal(ev_grpdone_rewritten(&d, g), EV_GRPDONE_MAX / 2);
    assert_int_equal(d.jobs, 0);
    assert_dump(&d, NULL, 0);
    for (int64_t i = 1; i < EV_GRPDONE_MAX - 1; i += 2)
        assert_int_equal(mark(&d, g, EV_GRPDONE_MAX, g + i), 0);
    assert_int_equal(d.jobs, EV_GRPDONE_MAX / 2 - 1);
    assert_last(&d, g, EV_GRPDONE_MAX, g + EV_GRPDONE_MAX - 1, EV_GRPDONE_MAX / 2);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    ev_grpdone_free(&d);
}

/* has: only recorded ids of groups held. */
static void test_has(void **state)
{
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_int_equal(ev_grpdone_has(&d, 1, 1), 0);
    assert_int_equal(mark(&d, 1, 8, 4), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 4), 1);
    assert_int_equal(ev_grpdone_has(&d, 1, 3), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 5), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 0), 0);     /* outside the group */
    assert_int_equal(ev_grpdone_has(&d, 1, 9), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 1000), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, -1), 0);
    assert_int_equal(ev_grpdone_has(&d, 2, 4), 0);     /* another group */
    assert_int_equal(ev_grpdone_has(&d, 4, 4), 0);
    /* A group held with none known finished has none. */
    assert_int_equal(ev_grpdone_hold(&d, 20, 8, 5), 0);
    for (int64_t id = 19; id <= 28; id++)
        assert_int_equal(ev_grpdone_has(&d, 20, id), 0);
    /* Stored again: still finished. */
    assert_int_equal(ev_grpdone_rewritten(&d, 1), 7);
    assert_int_equal(ev_grpdone_has(&d, 1, 4), 1);
    assert_int_equal(ev_grpdone_has(&d, 1, 3), 0);
    ev_grpdone_free(&d);
}

/* hold: refused out of range or for a group held already (changing nothing). */
static void test_hold_refused(void **state)
{
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_int_equal(ev_grpdone_hold(&d, 100, 4, 0), -1);           /* live 0 */
    assert_int_equal(ev_grpdone_hold(&d, 100, 4, 5), -1);           /* live > n */
    assert_int_equal(ev_grpdone_hold(&d, 100, 4, UINT32_MAX), -1);
    assert_int_equal(ev_grpdone_hold(&d, 100, 0, 0), -1);           /* n 0 */
    assert_int_equal(ev_grpdone_hold(&d, 100, 0, 1), -1);
    assert_int_equal(ev_grpdone_hold(&d, 100, EV_GRPDONE_MAX + 1, 1), -1);
    assert_int_equal(ev_grpdone_hold(&d, 100, EV_GRPDONE_MAX + 1, EV_GRPDONE_MAX + 1), -1);
    assert_int_equal(ev_grpdone_hold(&d, 100, UINT32_MAX, 1), -1);
    assert_int_equal(d.used, 0);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(ev_grpdone_rewritten(&d, 100), 0);  /* not held */

    assert_int_equal(ev_grpdone_hold(&d, 100, 4, 4), 0);
    assert_int_equal(d.used, 1);
    assert_int_equal(ev_grpdone_hold(&d, 100, 4, 4), -1);  /* held already */
    assert_int_equal(ev_grpdone_hold(&d, 100, 4, 2), -1);
    assert_int_equal(ev_grpdone_hold(&d, 100, 8, 3), -1);
    assert_int_equal(ev_grpdone_hold(&d, 100, 4, 0), -1);
    /* Held by a mark. */
    assert_int_equal(mark(&d, 200, 4, 201), 0);
    assert_int_equal(ev_grpdone_hold(&d, 200, 4, 3), -1);
    assert_int_equal(ev_grpdone_hold(&d, 200, 4, 4), -1);
    assert_int_equal(ev_grpdone_hold(&d, 200, 2, 1), -1);
    assert_int_equal(d.used, 2);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(ev_grpdone_rewritten(&d, 100), 4);  /* unchanged */
    assert_int_equal(ev_grpdone_has(&d, 200, 201), 1);

    /* The refusals changed nothing: 100 needs its four, 200 three more. */
    assert_int_equal(mark(&d, 100, 4, 100), 0);
    assert_int_equal(mark(&d, 100, 4, 101), 0);
    assert_int_equal(mark(&d, 100, 4, 102), 0);
    assert_int_equal(d.jobs, 4);
    assert_last(&d, 100, 4, 103, 4);
    assert_int_equal(mark(&d, 200, 4, 200), 0);
    assert_int_equal(mark(&d, 200, 4, 202), 0);
    assert_last(&d, 200, 4, 203, 4);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    /* Forgotten once finished: may be held again. */
    assert_int_equal(ev_grpdone_hold(&d, 100, 4, 1), 0);
    assert_last(&d, 100, 4, 102, 1);
    assert_int_equal(ev_grpdone_hold(&d, 200, 4, 4), 0);
    assert_int_equal(ev_grpdone_hold(&d, 5000, EV_GRPDONE_MAX, EV_GRPDONE_MAX), 0);
    assert_int_equal(ev_grpdone_hold(&d, 7000, EV_GRPDONE_MAX, 1), 0);
    assert_int_equal(d.used, 3);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(ev_grpdone_rewritten(&d, 5000), EV_GRPDONE_MAX);
    assert_int_equal(ev_grpdone_rewritten(&d, 7000), 1);
    assert_dump(&d, NULL, 0);
    ev_grpdone_free(&d);
}

/* A held group of 8 storing 3 finishes after exactly 3 marks. */
static void test_hold_complete(void **state)
{
    static const int64_t one[] = {1005}, two[] = {1001, 1005};
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_int_equal(ev_grpdone_hold(&d, 1000, 8, 3), 0);
    assert_int_equal(d.used, 1);
    assert_int_equal(d.jobs, 0);
    assert_dump(&d, NULL, 0);
    for (int64_t id = 999; id <= 1008; id++)
        assert_int_equal(ev_grpdone_has(&d, 1000, id), 0);
    assert_int_equal(ev_grpdone_rewritten(&d, 1000), 3);  /* none finished */
    assert_int_equal(d.jobs, 0);

    /* Out of range: refused, nothing changes. */
    assert_int_equal(mark(&d, 1000, 8, 999), -1);
    assert_int_equal(mark(&d, 1000, 8, 1008), -1);
    assert_int_equal(mark(&d, 1000, 8, INT64_MIN), -1);
    assert_int_equal(mark(&d, 1000, 8, INT64_MAX), -1);
    assert_int_equal(mark(&d, 1000, 0, 1000), -1);
    assert_int_equal(mark(&d, 1000, EV_GRPDONE_MAX + 1, 1000), -1);
    assert_int_equal(mark(&d, 1000, 9, 1000), -1);   /* held with n 8 */
    assert_int_equal(mark(&d, 1000, 3, 1000), -1);
    assert_int_equal(mark(&d, 1000, 1, 1000), -1);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 1);

    assert_int_equal(mark(&d, 1000, 8, 1005), 0);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(ev_grpdone_has(&d, 1000, 1005), 1);
    assert_dump(&d, one, 1);
    assert_int_equal(mark(&d, 1000, 8, 1005), -1);   /* duplicate */
    assert_int_equal(mark(&d, 1000, 8, 1008), -1);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(mark(&d, 1000, 8, 1001), 0);
    assert_int_equal(d.jobs, 2);
    assert_dump(&d, two, 2);
    assert_last(&d, 1000, 8, 1007, 3);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    for (int64_t id = 1000; id < 1008; id++)
        assert_int_equal(ev_grpdone_has(&d, 1000, id), 0);
    assert_dump(&d, NULL, 0);
    assert_int_equal(ev_grpdone_rewritten(&d, 1000), 0);

    /* live == n: as a group never held. */
    assert_int_equal(ev_grpdone_hold(&d, 2000, 3, 3), 0);
    assert_int_equal(mark(&d, 2000, 3, 2002), 0);
    assert_int_equal(mark(&d, 2000, 3, 2000), 0);
    assert_int_equal(d.jobs, 2);
    assert_last(&d, 2000, 3, 2001, 3);
    assert_int_equal(d.jobs, 0);

    /* Held beside a marked group: each finishes on its own count. */
    assert_int_equal(ev_grpdone_hold(&d, 3000, 100, 2), 0);
    assert_int_equal(mark(&d, 4000, 2, 4000), 0);
    assert_int_equal(mark(&d, 3000, 100, 3099), 0);
    assert_int_equal(d.jobs, 2);
    assert_last(&d, 3000, 100, 3064, 2);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(ev_grpdone_has(&d, 4000, 4000), 1);
    assert_last(&d, 4000, 2, 4001, 2);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    ev_grpdone_free(&d);
}

/* stale: the age (from d.now_ms at hold or first mark, then at listing), the
 * half rule, max, and groups that finish. */
static void test_stale(void **state)
{
    static const int64_t g200[] = {200}, g100[] = {100}, g300[] = {300};
    static const int64_t all[] = {100, 200, 300}, g100_300[] = {100, 300}, g600[] = {600};
    static const int64_t four[] = {100, 300, 400, 600};
    static const int64_t five[] = {100, 300, 400, 500, 600};
    static const int64_t dumped[] = {100, 103, 200, 202, 301, 302, 600};
    ev_grpdone_t d;
    int64_t ids[8];
    size_t k;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_int_equal(ev_grpdone_stale(&d, 0, ids, 8), 0);  /* empty */
    d.now_ms = 1000;
    assert_int_equal(mark(&d, 100, 4, 100), 0);            /* 1 of 4 */
    assert_int_equal(mark(&d, 200, 4, 200), 0);            /* 2 of 4 */
    assert_int_equal(mark(&d, 200, 4, 202), 0);
    assert_int_equal(ev_grpdone_hold(&d, 300, 4, 4), 0);   /* 0 of 4 */
    assert_int_equal(mark(&d, 600, 3, 600), 0);            /* 1 of 3 */
    assert_int_equal(d.jobs, 4);
    d.now_ms = 1499;
    assert_stale(&d, 500, NULL, 0);  /* too young */
    d.now_ms = 1500;
    assert_stale(&d, 500, g200, 1);  /* just old enough; the others under half */
    assert_stale(&d, 500, NULL, 0);  /* just listed */
    d.now_ms = 1999;
    assert_stale(&d, 500, NULL, 0);
    d.now_ms = 2000;
    assert_stale(&d, 500, g200, 1);  /* listed again after_ms later */
    assert_stale(&d, 500, NULL, 0);

    assert_int_equal(mark(&d, 100, 4, 103), 0);            /* 2 of 4 */
    assert_stale(&d, 500, g100, 1);
    assert_int_equal(mark(&d, 300, 4, 301), 0);            /* 1 of 4 */
    assert_stale(&d, 500, NULL, 0);
    assert_int_equal(mark(&d, 300, 4, 302), 0);            /* 2 of 4 */
    assert_stale(&d, 500, g300, 1);
    assert_int_equal(d.jobs, 7);
    /* after_ms 0: every group with half finished, every time. */
    assert_stale(&d, 0, all, 3);
    assert_stale(&d, 0, all, 3);
    d.now_ms = 2499;
    assert_stale(&d, 500, NULL, 0);

    /* max: only the groups listed count as listed. */
    d.now_ms = 2500;
    assert_int_equal(ev_grpdone_stale(&d, 500, ids, 0), 0);
    k = ev_grpdone_stale(&d, 500, ids, 1);
    assert_int_equal(k, 1);
    assert_true(ids[0] == 100 || ids[0] == 200 || ids[0] == 300);
    {
        int64_t rest[2], first = ids[0];
        size_t n = 0;

        for (size_t i = 0; i < 3; i++)
            if (all[i] != first)
                rest[n++] = all[i];
        assert_stale(&d, 500, rest, 2);
    }
    assert_stale(&d, 500, NULL, 0);
    /* Listing changes no counts. */
    assert_int_equal(d.jobs, 7);
    assert_dump(&d, dumped, 7);

    /* A group that finishes is no longer listed. */
    assert_int_equal(mark(&d, 200, 4, 201), 0);
    assert_last(&d, 200, 4, 203, 4);
    assert_int_equal(d.jobs, 5);
    d.now_ms = 3000;
    assert_stale(&d, 500, g100_300, 2);

    /* 1 of 3 is under half, 2 of 3 is not; a group first marked later
     * counts from the clock then, and so does one held later. */
    assert_int_equal(mark(&d, 600, 3, 602), 0);            /* 2 of 3, since 1000 */
    assert_int_equal(mark(&d, 400, 2, 400), 0);            /* 1 of 2, since 3000 */
    assert_stale(&d, 500, g600, 1);
    d.now_ms = 3499;
    assert_stale(&d, 500, NULL, 0);
    d.now_ms = 3500;
    assert_stale(&d, 500, four, 4);
    assert_int_equal(ev_grpdone_hold(&d, 500, 4, 2), 0);   /* since 3500 */
    assert_int_equal(mark(&d, 500, 4, 501), 0);            /* 1 of 2 stored */
    assert_stale(&d, 0, five, 5);
    d.now_ms = 3999;
    assert_stale(&d, 500, NULL, 0);
    d.now_ms = 4000;
    assert_stale(&d, 500, five, 5);
    assert_int_equal(d.jobs, 8);
    assert_int_equal(d.used, 5);
    ev_grpdone_free(&d);
}

/* stale after rewritten: the half rule counts what the group stores now;
 * rewritten leaves the clock as it was. */
static void test_stale_rewritten(void **state)
{
    static const int64_t g300[] = {300}, g800[] = {800}, kept[] = {805, 806};
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    d.now_ms = 0;
    assert_int_equal(mark(&d, 300, 4, 300), 0);
    assert_int_equal(mark(&d, 300, 4, 301), 0);
    assert_int_equal(d.jobs, 2);
    d.now_ms = 500;
    assert_stale(&d, 500, g300, 1);
    assert_int_equal(ev_grpdone_rewritten(&d, 300), 2);
    assert_int_equal(d.jobs, 0);
    assert_dump(&d, NULL, 0);
    /* 2 of its 4 finished, but none of the 2 it keeps. */
    d.now_ms = 1000;
    assert_stale(&d, 500, NULL, 0);
    assert_stale(&d, 0, NULL, 0);
    assert_int_equal(mark(&d, 300, 4, 302), 0);  /* 1 of 2 kept */
    assert_int_equal(d.jobs, 1);
    assert_stale(&d, 500, g300, 1);              /* listed at 500 */
    assert_int_equal(ev_grpdone_rewritten(&d, 300), 1);
    assert_int_equal(d.jobs, 0);
    d.now_ms = 1500;
    assert_stale(&d, 500, NULL, 0);              /* 0 of 1 */
    assert_last(&d, 300, 4, 303, 1);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);

    /* 5 of 8 finished, 3 kept: 1 of 3 is under half, 2 of 3 is not. */
    d.now_ms = 2000;
    for (int64_t id = 800; id < 805; id++)
        assert_int_equal(mark(&d, 800, 8, id), 0);
    assert_int_equal(d.jobs, 5);
    d.now_ms = 2500;
    assert_stale(&d, 500, g800, 1);
    assert_int_equal(ev_grpdone_rewritten(&d, 800), 3);
    assert_int_equal(d.jobs, 0);
    d.now_ms = 3000;
    assert_int_equal(mark(&d, 800, 8, 805), 0);
    assert_int_equal(d.jobs, 1);
    assert_stale(&d, 500, NULL, 0);
    assert_int_equal(mark(&d, 800, 8, 806), 0);
    assert_int_equal(d.jobs, 2);
    assert_stale(&d, 500, g800, 1);
    assert_dump(&d, kept, 2);
    for (int64_t id = 800; id < 807; id++)
        assert_int_equal(ev_grpdone_has(&d, 800, id), 1);
    assert_int_equal(ev_grpdone_has(&d, 800, 807), 0);
    assert_last(&d, 800, 8, 807, 3);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    ev_grpdone_free(&d);
}

/* rewritten: returns the unfinished jobs, drops the finished ones from the
 * dump and d.jobs; they stay finished (has, duplicates refused). */
static void test_rewritten(void **state)
{
    static const int64_t three[] = {400, 402, 501}, g501[] = {501}, two[] = {401, 501};
    ev_grpdone_t d;
    int64_t g = 10000;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_int_equal(ev_grpdone_rewritten(&d, 400), 0);  /* empty map */
    assert_int_equal(mark(&d, 400, 4, 400), 0);
    assert_int_equal(mark(&d, 400, 4, 402), 0);
    assert_int_equal(mark(&d, 500, 3, 501), 0);
    assert_int_equal(d.jobs, 3);
    assert_dump(&d, three, 3);
    assert_int_equal(ev_grpdone_rewritten(&d, 999), 0);  /* not held */
    assert_int_equal(ev_grpdone_rewritten(&d, 401), 0);  /* a job, not a group */
    assert_int_equal(d.jobs, 3);
    assert_dump(&d, three, 3);

    assert_int_equal(ev_grpdone_rewritten(&d, 400), 2);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(d.used, 2);
    assert_dump(&d, g501, 1);
    assert_int_equal(ev_grpdone_has(&d, 400, 400), 1);
    assert_int_equal(ev_grpdone_has(&d, 400, 401), 0);
    assert_int_equal(ev_grpdone_has(&d, 400, 402), 1);
    assert_int_equal(ev_grpdone_has(&d, 400, 403), 0);
    assert_int_equal(mark(&d, 400, 4, 400), -1);  /* still duplicates */
    assert_int_equal(mark(&d, 400, 4, 402), -1);
    assert_int_equal(mark(&d, 400, 5, 401), -1);
    assert_int_equal(mark(&d, 400, 4, 404), -1);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(ev_grpdone_rewritten(&d, 400), 2);  /* again: nothing to drop */
    assert_int_equal(d.jobs, 1);

    assert_int_equal(mark(&d, 400, 4, 401), 0);
    assert_int_equal(d.jobs, 2);
    assert_dump(&d, two, 2);
    assert_last(&d, 400, 4, 403, 2);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(d.used, 1);
    assert_int_equal(ev_grpdone_rewritten(&d, 400), 0);  /* forgotten */
    assert_int_equal(ev_grpdone_has(&d, 400, 400), 0);
    assert_dump(&d, g501, 1);
    assert_int_equal(ev_grpdone_rewritten(&d, 500), 2);
    assert_int_equal(d.jobs, 0);
    assert_dump(&d, NULL, 0);
    assert_int_equal(mark(&d, 500, 3, 500), 0);
    assert_int_equal(d.jobs, 1);
    assert_last(&d, 500, 3, 502, 2);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);

    /* A group over several bitmap words. */
    {
        static const int64_t offs[] = {0, 63, 64, 130, 199};
        int64_t want[5], w65[1];

        for (size_t i = 0; i < 5; i++) {
            want[i] = g + offs[i];
            assert_int_equal(mark(&d, g, 200, g + offs[i]), 0);
        }
        assert_int_equal(d.jobs, 5);
        assert_dump(&d, want, 5);
        assert_int_equal(ev_grpdone_rewritten(&d, g), 195);
        assert_int_equal(d.jobs, 0);
        assert_dump(&d, NULL, 0);
        for (size_t i = 0; i < 5; i++) {
            assert_int_equal(ev_grpdone_has(&d, g, g + offs[i]), 1);
            assert_int_equal(mark(&d, g, 200, g + offs[i]), -1);
        }
        assert_int_equal(ev_grpdone_has(&d, g, g + 65), 0);
        assert_int_equal(mark(&d, g, 200, g + 65), 0);
        w65[0] = g + 65;
        assert_dump(&d, w65, 1);
        assert_int_equal(d.jobs, 1);
        assert_int_equal(ev_grpdone_rewritten(&d, g), 194);
        assert_int_equal(d.jobs, 0);
    }
    /* A held group: none finished, so it stores what it was held with. */
    assert_int_equal(ev_grpdone_hold(&d, 700, 6, 4), 0);
    assert_int_equal(ev_grpdone_rewritten(&d, 700), 4);
    assert_int_equal(mark(&d, 700, 6, 700), 0);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(ev_grpdone_rewritten(&d, 700), 3);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(mark(&d, 700, 6, 701), 0);
    assert_int_equal(mark(&d, 700, 6, 702), 0);
    assert_int_equal(d.jobs, 2);
    assert_last(&d, 700, 6, 703, 3);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 1);  /* g */
    ev_grpdone_free(&d);
}

/* 5000 groups of four, two jobs marked in each, then every other group
 * finished: the rest must still be found after the deletions. */
static void test_many(void **state)
{
    enum { GROUPS = 5000 };
    ev_grpdone_t d;
    int64_t *want;
    size_t n = 0;

    (void)state;
    memset(&d, 0, sizeof(d));
    for (int64_t k = 0; k < GROUPS; k++) {
        int64_t g = 1 + 4 * k;

        assert_int_equal(mark(&d, g, 4, g + 2), 0);
        assert_int_equal(mark(&d, g, 4, g), 0);
    }
    assert_int_equal(d.jobs, 2 * GROUPS);
    assert_int_equal(d.used, GROUPS);
    for (int64_t k = 0; k < GROUPS; k++) {
        int64_t g = 1 + 4 * k;

        assert_int_equal(ev_grpdone_has(&d, g, g), 1);
        assert_int_equal(ev_grpdone_has(&d, g, g + 1), 0);
        assert_int_equal(ev_grpdone_has(&d, g, g + 2), 1);
        assert_int_equal(ev_grpdone_has(&d, g, g + 3), 0);
        assert_int_equal(mark(&d, g, 4, g + 2), -1);
    }
    for (int64_t k = 0; k < GROUPS; k += 2) {
        int64_t g = 1 + 4 * k;

        assert_int_equal(mark(&d, g, 4, g + 3), 0);
        assert_last(&d, g, 4, g + 1, 4);
    }
    assert_int_equal(d.jobs, GROUPS);
    assert_int_equal(d.used, GROUPS / 2);
    want = malloc(GROUPS * sizeof(*want));
    for (int64_t k = 0; k < GROUPS; k++) {
        int64_t g = 1 + 4 * k;
        int held = (int)(k & 1);

        assert_int_equal(ev_grpdone_has(&d, g, g), held);
        assert_int_equal(ev_grpdone_has(&d, g, g + 1), 0);
        assert_int_equal(ev_grpdone_has(&d, g, g + 2), held);
        assert_int_equal(ev_grpdone_has(&d, g, g + 3), 0);
        if (held) {
            want[n++] = g;
            want[n++] = g + 2;
        }
    }
    assert_int_equal(n, GROUPS);
    assert_dump(&d, want, n);
    /* A finished group comes back empty; held ones are still found. */
    assert_int_equal(mark(&d, 1, 4, 2), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 1), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 2), 1);
    assert_int_equal(d.jobs, GROUPS + 1);
    for (int64_t k = 1; k < GROUPS; k += 2)
        assert_int_equal(ev_grpdone_has(&d, 1 + 4 * k, 1 + 4 * k + 2), 1);
    /* Every held group stored again: each keeps its two unfinished. */
    for (int64_t k = 1; k < GROUPS; k += 2)
        assert_int_equal(ev_grpdone_rewritten(&d, 1 + 4 * k), 2);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(ev_grpdone_rewritten(&d, 1), 3);
    assert_int_equal(d.jobs, 0);
    assert_dump(&d, NULL, 0);
    for (int64_t k = 1; k < GROUPS; k += 2)
        assert_int_equal(ev_grpdone_has(&d, 1 + 4 * k, 1 + 4 * k + 2), 1);
    free(want);
    ev_grpdone_free(&d); /* a full map */
}

/* Group ids spaced by large powers of two (alike in their low bits). */
static void test_spaced_ids(void **state)
{
    enum { GROUPS = 2000 };
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    for (int64_t k = 1; k <= GROUPS; k++) {
        assert_int_equal(mark(&d, k << 32, 2, (k << 32) + 1), 0);
        assert_int_equal(mark(&d, k << 20, 2, k << 20), 0);
    }
    assert_int_equal(d.jobs, 2 * GROUPS);
    for (int64_t k = 1; k <= GROUPS; k += 3) {
        assert_last(&d, k << 32, 2, k << 32, 2);
        assert_last(&d, k << 20, 2, (k << 20) + 1, 2);
    }
    for (int64_t k = 1; k <= GROUPS; k++) {
        int held = (k - 1) % 3 != 0;

        assert_int_equal(ev_grpdone_has(&d, k << 32, (k << 32) + 1), held);
        assert_int_equal(ev_grpdone_has(&d, k << 20, k << 20), held);
    }
    ev_grpdone_free(&d);
}

/* Random marks against a plain model: return values, *stored, jobs, has,
 * dump. */
static void test_model(void **state)
{
    enum { GROUPS = 400, STEPS = 40000, MAXN = 9 };
    static uint32_t size[GROUPS];
    static unsigned char done[GROUPS][MAXN];
    ev_grpdone_t d;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    size_t jobs = 0;

    (void)state;
    memset(&d, 0, sizeof(d));
    memset(done, 0, sizeof(done));
    for (int k = 0; k < GROUPS; k++)
        size[k] = 1 + (uint32_t)(k % MAXN);
    for (int step = 0; step < STEPS; step++) {
        int k, want, held = 0;
        int64_t g, id, j;
        uint32_t stored = 0xdeadbeef;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        k = (int)(x % GROUPS);
        g = 1 + (int64_t)k * 16;
        j = (int64_t)((x >> 20) % (size[k] + 2)) - 1; /* -1 and n are outside */
        id = g + j;
        if (j < 0 || j >= (int64_t)size[k] || done[k][j]) {
            want = -1;
        } else {
            done[k][j] = 1;
            for (uint32_t i = 0; i < size[k]; i++)
                held += done[k][i];
            if ((uint32_t)held == size[k]) {
                want = 1;
                jobs -= size[k] - 1;
                memset(done[k], 0, sizeof(done[k]));
            } else {
                want = 0;
                jobs++;
            }
        }
        assert_int_equal(ev_grpdone_mark(&d, g, size[k], id, &stored), want);
        if (want == 1)
            assert_int_equal(stored, size[k]);
        assert_int_equal(d.jobs, jobs);
        if (step % 4000 == 3999) {
            int64_t *ids = malloc(jobs ? jobs * sizeof(*ids) : 1);
            size_t n = 0;

            for (int kk = 0; kk < GROUPS; kk++)
                for (uint32_t i = 0; i < MAXN; i++) {
                    int64_t gg = 1 + (int64_t)kk * 16;

                    assert_int_equal(ev_grpdone_has(&d, gg, gg + i), done[kk][i]);
                    if (done[kk][i])
                        ids[n++] = gg + i;
                }
            assert_int_equal(n, jobs);
            assert_dump(&d, ids, n);
            free(ids);
        }
    }
    ev_grpdone_free(&d);
}

/* Random mark, hold, rewritten, stale and clock steps against a plain model
 * of every group (finished, finished and still stored, unfinished stored,
 * since): return values, *stored, d.jobs, d.used, and at times has, dump. */
static void test_model_all(void **state)
{
    enum { GROUPS = 96, STEPS = 150000, MAXN = 72 };
    static const int64_t afters[] = {0, 100, 250, 500};
    static struct {
        uint32_t n, open, fresh;
        int held;
        int64_t since;
        unsigned char done[MAXN], st[MAXN];
    } m[GROUPS];
    ev_grpdone_t d;
    uint64_t x = 0x2545f4914f6cdd1dULL;
    size_t jobs = 0, used = 0;
    int64_t now = 1700000000000LL;
    unsigned long counts[5] = {0};

    (void)state;
    memset(&d, 0, sizeof(d));
    memset(m, 0, sizeof(m));
    for (int k = 0; k < GROUPS; k++)
        m[k].n = (k % 8 == 7) ? 63 + (uint32_t)(k % 10) : 1 + (uint32_t)(k % 9);
    d.now_ms = now;
    for (int step = 0; step < STEPS; step++) {
        int k, op;
        int64_t g;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        k = (int)(x % GROUPS);
        g = 1 + (int64_t)k * 128;
        op = (int)((x >> 8) % 100);
        if (op < 55) { /* mark */
            int64_t j = (int64_t)((x >> 16) % (m[k].n + 2)) - 1;
            uint32_t n = m[k].n, stored = 0xdeadbeef, want_stored = 0;
            int want;

            if (m[k].held && ((x >> 40) & 15) == 0)
                n = m[k].n + 1 + (uint32_t)((x >> 44) & 1) * 1000; /* another n */
            if (n != m[k].n || j < 0 || j >= (int64_t)n || (m[k].held && m[k].done[j])) {
                want = -1;
            } else if (!m[k].held && n == 1) {
                want = 1;
                want_stored = 1;
            } else {
                if (!m[k].held) {
                    m[k].held = 1;
                    m[k].open = n;
                    m[k].fresh = 0;
                    m[k].since = now;
                    used++;
                }
                m[k].done[j] = m[k].st[j] = 1;
                m[k].fresh++;
                m[k].open--;
                jobs++;
                if (m[k].open > 0) {
                    want = 0;
                } else {
                    want = 1;
                    want_stored = m[k].fresh;
                    jobs -= m[k].fresh;
                    used--;
                    m[k].held = 0;
                    m[k].fresh = 0;
                    memset(m[k].done, 0, sizeof(m[k].done));
                    memset(m[k].st, 0, sizeof(m[k].st));
                }
            }
            assert_int_equal(ev_grpdone_mark(&d, g, n, g + j, &stored), want);
            if (want == 1) {
                assert_int_equal(stored, want_stored);
                counts[0]++;
            }
        } else if (op < 63) { /* hold */
            uint32_t live = (uint32_t)((x >> 16) % (m[k].n + 2));
            int want = -1;

            if (!m[k].held && live > 0 && live <= m[k].n) {
                want = 0;
                m[k].held = 1;
                m[k].open = live;
                m[k].fresh = 0;
                m[k].since = now;
                used++;
                counts[1]++;
            }
            assert_int_equal(ev_grpdone_hold(&d, g, m[k].n, live), want);
        } else if (op < 73) { /* rewritten */
            uint32_t want = 0;

            if (m[k].held) {
                want = m[k].open;
                jobs -= m[k].fresh;
                m[k].fresh = 0;
                memset(m[k].st, 0, sizeof(m[k].st));
                counts[2]++;
            }
            assert_int_equal(ev_grpdone_rewritten(&d, g), want);
        } else if (op < 88) { /* clock */
            now += (int64_t)((x >> 16) % 120);
            d.now_ms = now;
        } else if (op < 96) { /* stale */
            int64_t after = afters[(x >> 16) % 4], ids[GROUPS];
            size_t max = ((x >> 24) & 3) == 0 ? (size_t)((x >> 28) % 4) : GROUPS;
            unsigned char want[GROUPS], seen[GROUPS];
            size_t nwant = 0, got;

            memset(seen, 0, sizeof(seen));
            for (int i = 0; i < GROUPS; i++) {
                want[i] = m[i].held && m[i].fresh > 0 && now - m[i].since >= after &&
                          2 * m[i].fresh >= m[i].fresh + m[i].open;
                nwant += want[i];
            }
            got = ev_grpdone_stale(&d, after, ids, max);
            assert_int_equal(got, nwant < max ? nwant : max);
            for (size_t i = 0; i < got; i++) {
                int64_t kk = (ids[i] - 1) / 128;

                assert_true(ids[i] >= 1 && (ids[i] - 1) % 128 == 0 && kk < GROUPS);
                assert_true(want[kk]);
                assert_false(seen[kk]);
                seen[kk] = 1;
                m[kk].since = now;
            }
            counts[3] += got;
        } else { /* has, dump */
            int64_t *ids = malloc(jobs ? jobs * sizeof(*ids) : 1);
            size_t n = 0;

            for (int kk = 0; kk < GROUPS; kk++) {
                int64_t gg = 1 + (int64_t)kk * 128;

                for (int64_t i = -1; i <= MAXN; i++) {
                    int want = m[kk].held && i >= 0 && i < (int64_t)m[kk].n && m[kk].done[i];

                    if (i % 8 == 0 || i == (int64_t)m[kk].n || i == -1 || want)
                        assert_int_equal(ev_grpdone_has(&d, gg, gg + i), want);
                    if (m[kk].held && i >= 0 && i < (int64_t)m[kk].n && m[kk].st[i])
                        ids[n++] = gg + i;
                }
            }
            assert_int_equal(n, jobs);
            assert_dump(&d, ids, n);
            free(ids);
            counts[4]++;
        }
        assert_int_equal(d.jobs, jobs);
        assert_int_equal(d.used, used);
    }
    /* Each kind of step did happen. */
    for (int i = 0; i < 5; i++)
        assert_true(counts[i] > 100);
    ev_grpdone_free(&d);
}

/* Long churn with random group ids around a steady number held, so that
 * deletions hit every part of the table (its end and start included): each
 * group must still be found until it finishes. */
static void test_churn(void **state)
{
    enum { LIVE = 300, STEPS = 200000 };
    static int64_t live[LIVE];
    ev_grpdone_t d;
    uint64_t x = 88172645463325252ULL;
    size_t n = 0;

    (void)state;
    memset(&d, 0, sizeof(d));
    for (int step = 0; step < STEPS; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (n < LIVE && (n == 0 || (x & 1))) {
            int64_t g = (int64_t)(x >> 3) | 1; /* positive, odd: groups never overlap */

            assert_int_equal(mark(&d, g, 2, g + 1), 0);
            live[n++] = g;
        } else {
            size_t k = (size_t)((x >> 1) % n);
            int64_t g = live[k];

            assert_int_equal(ev_grpdone_has(&d, g, g + 1), 1);
            assert_last(&d, g, 2, g, 2);
            live[k] = live[--n];
        }
        assert_int_equal(d.jobs, n);
        assert_int_equal(d.used, n);
    }
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(ev_grpdone_has(&d, live[k], live[k] + 1), 1);
        assert_int_equal(ev_grpdone_has(&d, live[k], live[k]), 0);
    }
    {
        size_t got_n;
        int64_t *got = dump_sorted(&d, &got_n);

        assert_int_equal(got_n, n);
        free(got);
    }
    ev_grpdone_free(&d);
}

/* free: an empty (zeroed) map, one that was used and emptied, and one freed
 * while holding groups (usable again, empty). */
static void test_free_empty(void **state)
{
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    ev_grpdone_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(mark(&d, 7, 2, 7), 0);
    assert_last(&d, 7, 2, 8, 2);
    assert_int_equal(d.jobs, 0);
    ev_grpdone_free(&d);

    memset(&d, 0, sizeof(d));
    assert_int_equal(mark(&d, 7, 2, 7), 0);
    assert_int_equal(ev_grpdone_hold(&d, 20, 5, 2), 0);
    assert_int_equal(d.jobs, 1);
    ev_grpdone_free(&d);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(d.used, 0);
    assert_int_equal(d.cap, 0);
    assert_true(d.slot == NULL);
    assert_int_equal(ev_grpdone_has(&d, 7, 7), 0);
    assert_int_equal(ev_grpdone_rewritten(&d, 20), 0);
    assert_dump(&d, NULL, 0);
    assert_int_equal(ev_grpdone_hold(&d, 20, 5, 2), 0);
    assert_int_equal(mark(&d, 7, 2, 7), 0);
    ev_grpdone_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_stored),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_largest),
        cmocka_unit_test(test_has),
        cmocka_unit_test(test_hold_refused),
        cmocka_unit_test(test_hold_complete),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_stale_rewritten),
        cmocka_unit_test(test_rewritten),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_spaced_ids),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_model_all),
        cmocka_unit_test(test_churn),
        cmocka_unit_test(test_free_empty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
