/*
 * tests/unit/api/test_schedule.c - ScheduleExpression validation against
 * the expressions AWS accepted and refused in the recordings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "api/api_int.h"

static void test_accepted(void **state)
{
    static const char *const ok[] = {
        "cron(0 10 * * ? *)",       "cron(15 12 * * ? *)",        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",        "cron(0/15 * * * ? *)",       "cron(0/10 * ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)", "cron(0/30 20-23 ? * MON-FRI *)",
        "cron(0/30 0-2 ? * MON-FRI *)", "cron(0 2 ? * SAT *)",      "cron(0 12 * * ? *)",
        "cron(5,35 14 * * ? *)",    "cron(15 10 ? * 6L 2002-2005)", "cron(0 2 ? * SAT#3 *)",
        "cron(* * ? * SAT#3 *)",    "cron(0/5 5 ? JAN 1-5 2022)", "rate(1 minute)",
        "rate(5 minutes)",          "rate(1 hour)",               "rate(12 hours)",
        "rate(1 day)",              "rate(7 days)",               "cron(0 0 L * ? *)",
        "cron(0 0 15W * ? *)",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (!ev__schedule_valid(ok[i]))
            fail_msg("refused %s", ok[i]);
    }
}

static void test_refused(void **state)
{
    static const char *const bad[] = {
        "cron(INVALID)", "cron(0 dummy ? * MON-FRI *)", "cron(7 20 * * NOT *)",
        "cron(71 8 1 * ? *)", "cron(0 1 * * * *)", "cron(0 1 ? * ? *)", "cron(0 1 * * ?)",
        "cron(0 1 * * ? * *)", "rate(0 minutes)", "rate(1 minutes)", "rate(5 minute)",
        "rate(-1 days)", "rate(5 weeks)", "rate(5)", "every 5 minutes", "", "cron()",
        "rate()", "cron(0 24 * * ? *)", "cron(0 0 32 * ? *)", "cron(0 0 ? * 8 *)",
        "cron(0 0 ? * SAT#6 *)", "cron(0 0 * 13 ? *)", "cron(0 0 * * ? 1969)",
        "cron(0/0 * * * ? *)", "cron(0,,5 * * * ? *)",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (ev__schedule_valid(bad[i]))
            fail_msg("accepted %s", bad[i]);
    }
}

/* 2026-11-23T14:10:30Z, a Monday. */
#define NOW 1795443030000LL

static void test_next(void **state)
{
    (void)state;
    /* rate: every period after creation */
    assert_int_equal(ev__schedule_next("rate(5 minutes)", 1000, 1000), 1000 + 300000);
    assert_int_equal(ev__schedule_next("rate(5 minutes)", 1000, 301000), 1000 + 600000);
    assert_int_equal(ev__schedule_next("rate(1 hour)", 0, 10), 3600000);
    /* cron: the next matching UTC minute */
    assert_int_equal(ev__schedule_next("cron(* * * * ? *)", 0, NOW), 1795443060000LL);
    assert_int_equal(ev__schedule_next("cron(0 15 * * ? *)", 0, NOW), 1795446000000LL);
    assert_int_equal(ev__schedule_next("cron(0/15 * * * ? *)", 0, NOW), 1795443300000LL);
    /* the next Tuesday 08:00 */
    assert_int_equal(ev__schedule_next("cron(0 8 ? * TUE *)", 0, NOW), 1795507200000LL);
    /* the last day of November 2026, noon */
    assert_int_equal(ev__schedule_next("cron(0 12 L * ? *)", 0, NOW), 1796040000000LL);
    /* a year in the past never fires */
    assert_true(ev__schedule_next("cron(0/5 5 ? JAN 1-5 2022)", 0, NOW) == INT64_MAX);
    assert_true(ev__schedule_next("not a schedule", 0, NOW) == INT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_next),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
