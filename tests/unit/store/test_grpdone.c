/*
 * tests/unit/store/test_grpdone.c - the map of finished jobs in partly
 * finished outbox groups, tested against grpdone.h: completion, refused
 * marks that change nothing, the dump, and many groups (growth, deletion,
 * collisions) checked against a plain model.
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

/* A group of one is finished by its only job: nothing is held. */
static void test_single(void **state)
{
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_int_equal(ev_grpdone_mark(&d, 10, 1, 10), 1);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(ev_grpdone_has(&d, 10, 10), 0);
    assert_dump(&d, NULL, 0);
    /* Forgotten, so the same group can finish again. */
    assert_int_equal(ev_grpdone_mark(&d, 10, 1, 10), 1);
    assert_int_equal(d.jobs, 0);
    ev_grpdone_free(&d);
}

/* Marked out of order, a group of three finishes on its last job. */
static void test_out_of_order(void **state)
{
    static const int64_t after1[] = {102}, after2[] = {100, 102};
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_int_equal(ev_grpdone_mark(&d, 100, 3, 102), 0);
    assert_int_equal(d.jobs, 1);
    assert_int_equal(ev_grpdone_has(&d, 100, 102), 1);
    assert_int_equal(ev_grpdone_has(&d, 100, 100), 0);
    assert_dump(&d, after1, 1);
    assert_int_equal(ev_grpdone_mark(&d, 100, 3, 100), 0);
    assert_int_equal(d.jobs, 2);
    assert_int_equal(ev_grpdone_has(&d, 100, 100), 1);
    assert_int_equal(ev_grpdone_has(&d, 100, 101), 0);
    assert_dump(&d, after2, 2);
    assert_int_equal(ev_grpdone_mark(&d, 100, 3, 101), 1);
    assert_int_equal(d.jobs, 0);
    for (int64_t id = 100; id < 103; id++)
        assert_int_equal(ev_grpdone_has(&d, 100, id), 0);
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
    assert_int_equal(ev_grpdone_mark(&d, 100, 3, 99), -1);
    assert_int_equal(ev_grpdone_mark(&d, 100, 3, 103), -1);
    assert_int_equal(ev_grpdone_mark(&d, 100, 0, 100), -1);
    assert_int_equal(ev_grpdone_mark(&d, 100, EV_GRPDONE_MAX + 1, 100), -1);
    assert_int_equal(ev_grpdone_mark(&d, 100, UINT32_MAX, 100), -1);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(ev_grpdone_has(&d, 100, 100), 0);
    assert_dump(&d, NULL, 0);

    assert_int_equal(ev_grpdone_mark(&d, 100, 3, 101), 0);
    assert_int_equal(ev_grpdone_mark(&d, 200, 4, 203), 0);
    assert_int_equal(d.jobs, 2);
    assert_int_equal(ev_grpdone_mark(&d, 100, 3, 101), -1);     /* duplicate */
    assert_int_equal(ev_grpdone_mark(&d, 200, 4, 203), -1);     /* duplicate */
    assert_int_equal(ev_grpdone_mark(&d, 100, 3, 99), -1);      /* below g */
    assert_int_equal(ev_grpdone_mark(&d, 100, 3, 103), -1);     /* g + n */
    assert_int_equal(ev_grpdone_mark(&d, 200, 4, 204), -1);
    assert_int_equal(ev_grpdone_mark(&d, 200, 4, INT64_MIN), -1);
    assert_int_equal(ev_grpdone_mark(&d, 200, 4, INT64_MAX), -1);
    assert_int_equal(ev_grpdone_mark(&d, 100, 0, 100), -1);
    assert_int_equal(ev_grpdone_mark(&d, 100, EV_GRPDONE_MAX + 1, 102), -1);
    assert_int_equal(d.jobs, 2);
    assert_int_equal(ev_grpdone_has(&d, 100, 100), 0);
    assert_int_equal(ev_grpdone_has(&d, 100, 101), 1);
    assert_int_equal(ev_grpdone_has(&d, 100, 102), 0);
    assert_int_equal(ev_grpdone_has(&d, 200, 203), 1);
    assert_dump(&d, held, 2);
    /* Still finishes normally. */
    assert_int_equal(ev_grpdone_mark(&d, 100, 3, 100), 0);
    assert_int_equal(ev_grpdone_mark(&d, 100, 3, 102), 1);
    assert_int_equal(d.jobs, 1);
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
        assert_int_equal(ev_grpdone_mark(&d, g, EV_GRPDONE_MAX, g + i), 0);
    assert_int_equal(d.jobs, EV_GRPDONE_MAX - 1);
    assert_int_equal(ev_grpdone_has(&d, g, g + EV_GRPDONE_MAX - 1), 1);
    assert_int_equal(ev_grpdone_has(&d, g, g), 0);
    assert_int_equal(ev_grpdone_mark(&d, g, EV_GRPDONE_MAX, g + EV_GRPDONE_MAX), -1);
    assert_int_equal(ev_grpdone_mark(&d, g, EV_GRPDONE_MAX, g), 1);
    assert_int_equal(d.jobs, 0);
    assert_int_equal(ev_grpdone_has(&d, g, g + 1), 0);
    ev_grpdone_free(&d);
}

/* has: only recorded ids of groups held. */
static void test_has(void **state)
{
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    assert_int_equal(ev_grpdone_has(&d, 1, 1), 0);
    assert_int_equal(ev_grpdone_mark(&d, 1, 8, 4), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 4), 1);
    assert_int_equal(ev_grpdone_has(&d, 1, 3), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 5), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 0), 0);     /* outside the group */
    assert_int_equal(ev_grpdone_has(&d, 1, 9), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 1000), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, -1), 0);
    assert_int_equal(ev_grpdone_has(&d, 2, 4), 0);     /* another group */
    assert_int_equal(ev_grpdone_has(&d, 4, 4), 0);
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

        assert_int_equal(ev_grpdone_mark(&d, g, 4, g + 2), 0);
        assert_int_equal(ev_grpdone_mark(&d, g, 4, g), 0);
    }
    assert_int_equal(d.jobs, 2 * GROUPS);
    for (int64_t k = 0; k < GROUPS; k++) {
        int64_t g = 1 + 4 * k;

        assert_int_equal(ev_grpdone_has(&d, g, g), 1);
        assert_int_equal(ev_grpdone_has(&d, g, g + 1), 0);
        assert_int_equal(ev_grpdone_has(&d, g, g + 2), 1);
        assert_int_equal(ev_grpdone_has(&d, g, g + 3), 0);
        assert_int_equal(ev_grpdone_mark(&d, g, 4, g + 2), -1);
    }
    for (int64_t k = 0; k < GROUPS; k += 2) {
        int64_t g = 1 + 4 * k;

        assert_int_equal(ev_grpdone_mark(&d, g, 4, g + 3), 0);
        assert_int_equal(ev_grpdone_mark(&d, g, 4, g + 1), 1);
    }
    assert_int_equal(d.jobs, GROUPS);
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
    assert_int_equal(ev_grpdone_mark(&d, 1, 4, 2), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 1), 0);
    assert_int_equal(ev_grpdone_has(&d, 1, 2), 1);
    assert_int_equal(d.jobs, GROUPS + 1);
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
        assert_int_equal(ev_grpdone_mark(&d, k << 32, 2, (k << 32) + 1), 0);
        assert_int_equal(ev_grpdone_mark(&d, k << 20, 2, k << 20), 0);
    }
    assert_int_equal(d.jobs, 2 * GROUPS);
    for (int64_t k = 1; k <= GROUPS; k += 3) {
        assert_int_equal(ev_grpdone_mark(&d, k << 32, 2, k << 32), 1);
        assert_int_equal(ev_grpdone_mark(&d, k << 20, 2, (k << 20) + 1), 1);
    }
    for (int64_t k = 1; k <= GROUPS; k++) {
        int held = (k - 1) % 3 != 0;

        assert_int_equal(ev_grpdone_has(&d, k << 32, (k << 32) + 1), held);
        assert_int_equal(ev_grpdone_has(&d, k << 20, k << 20), held);
    }
    ev_grpdone_free(&d);
}

/* Random marks against a plain model: return values, jobs, has, dump. */
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
        assert_int_equal(ev_grpdone_mark(&d, g, size[k], id), want);
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

            assert_int_equal(ev_grpdone_mark(&d, g, 2, g + 1), 0);
            live[n++] = g;
        } else {
            size_t k = (size_t)((x >> 1) % n);
            int64_t g = live[k];

            assert_int_equal(ev_grpdone_has(&d, g, g + 1), 1);
            assert_int_equal(ev_grpdone_mark(&d, g, 2, g), 1);
            live[k] = live[--n];
        }
        assert_int_equal(d.jobs, n);
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

/* free: an empty (zeroed) map, and one that was used and emptied. */
static void test_free_empty(void **state)
{
    ev_grpdone_t d;

    (void)state;
    memset(&d, 0, sizeof(d));
    ev_grpdone_free(&d);
    memset(&d, 0, sizeof(d));
    assert_int_equal(ev_grpdone_mark(&d, 7, 2, 7), 0);
    assert_int_equal(ev_grpdone_mark(&d, 7, 2, 8), 1);
    assert_int_equal(d.jobs, 0);
    ev_grpdone_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_largest),
        cmocka_unit_test(test_has),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_spaced_ids),
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_churn),
        cmocka_unit_test(test_free_empty),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
