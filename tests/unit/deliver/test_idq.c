/*
 * tests/unit/deliver/test_idq.c - the parked-id queue: order, delta sizes,
 * the memory cap, reuse after emptying, and a copy restoring a pop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>

#include "deliver/idq.h"

static void test_fifo_order_and_sizes(void **state)
{
    ev_idq_t q = EV_IDQ_INIT;
    int64_t out[8];
    size_t grown, total = 0;

    (void)state;
    /* 1 byte (delta 5), 2 bytes (delta 200), 9 bytes (a large jump). */
    int64_t ids[] = {5, 10, 210, 211, (int64_t)1 << 60, ((int64_t)1 << 60) + 127};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(ev_idq_push(&q, ids[i], 1 << 20, &grown), 0);
        total += grown;
    }
    assert_int_equal(total, 256);
    assert_int_equal(ev_idq_bytes(&q), 256);
    assert_int_equal(q.len, 1 + 1 + 2 + 1 + 9 + 1);
    assert_int_equal(q.n, 6);
    assert_int_equal(ev_idq_pop(&q, out, 4), 4);
    assert_int_equal(out[0], 5);
    assert_int_equal(out[1], 10);
    assert_int_equal(out[2], 210);
    assert_int_equal(out[3], 211);
    assert_int_equal(ev_idq_pop(&q, out, 8), 2);
    assert_int_equal(out[0], (int64_t)1 << 60);
    assert_int_equal(out[1], ((int64_t)1 << 60) + 127);
    assert_int_equal(ev_idq_pop(&q, out, 8), 0);
    assert_int_equal(q.len, 0);
    /* Reused after emptying: deltas go on from the last id. */
    assert_int_equal(ev_idq_push(&q, ((int64_t)1 << 60) + 130, 1 << 20, &grown), 0);
    assert_int_equal(grown, 0);
    assert_int_equal(q.len, 1);
    assert_int_equal(ev_idq_pop(&q, out, 8), 1);
    assert_int_equal(out[0], ((int64_t)1 << 60) + 130);
    ev_idq_clear(&q);
    assert_null(q.p);
    assert_int_equal(ev_idq_bytes(&q), 0);
}

static void test_cap_and_compaction(void **state)
{
    ev_idq_t q = EV_IDQ_INIT;
    int64_t out[300];
    size_t grown, pushed = 0;

    (void)state;
    /* 300 bytes at most: 256, then capped at 300 (not 512). */
    while (ev_idq_push(&q, (int64_t)(pushed + 1) * 100, 300, &grown) == 0)
        pushed++;
    assert_int_equal(pushed, 300);
    assert_int_equal(ev_idq_bytes(&q), 300);
    assert_int_equal(q.n, 300); /* the failed push changed nothing */
    assert_int_equal(q.wlast, 30000);
    /* Reading 200 makes room: the next push moves the rest to the front. */
    assert_int_equal(ev_idq_pop(&q, out, 200), 200);
    assert_int_equal(out[199], 20000);
    for (int i = 0; i < 200; i++)
        assert_int_equal(ev_idq_push(&q, 30000 + (int64_t)(i + 1) * 100, 300, &grown), 0);
    assert_int_equal(ev_idq_bytes(&q), 300);
    assert_int_equal(ev_idq_pop(&q, out, 300), 300);
    for (int i = 0; i < 300; i++)
        assert_int_equal(out[i], 20100 + (int64_t)i * 100);
    ev_idq_clear(&q);
}

static void test_copy_restores_a_pop(void **state)
{
    ev_idq_t q = EV_IDQ_INIT, before;
    int64_t out[4];
    size_t grown;

    (void)state;
    for (int64_t id = 1; id <= 3; id++)
        assert_int_equal(ev_idq_push(&q, id * 7, 1024, &grown), 0);
    before = q;
    assert_int_equal(ev_idq_pop(&q, out, 4), 3);
    q = before;
    assert_int_equal(ev_idq_pop(&q, out, 2), 2);
    assert_int_equal(out[0], 7);
    assert_int_equal(out[1], 14);
    before = q;
    assert_int_equal(ev_idq_pop(&q, out, 4), 1);
    q = before;
    assert_int_equal(ev_idq_pop(&q, out, 4), 1);
    assert_int_equal(out[0], 21);
    ev_idq_clear(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_order_and_sizes),
        cmocka_unit_test(test_cap_and_compaction),
        cmocka_unit_test(test_copy_restores_a_pop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
