/*
 * tests/unit/api/test_events_fast.c - PutEvents' fast reader: the fields it
 * reads from the common body, and every form it leaves to the generic path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "api/api_int.h"

static int rd(const char *body, ev__pe_entry_t *e, size_t *n, ev__pe_mem_t *mem)
{
    return ev__pe_read(body, strlen(body), e, n, mem);
}

static void test_reads_the_common_body(void **state)
{
    ev__pe_entry_t e[EV__PE_MAX];
    ev__pe_mem_t mem;
    size_t n;

    (void)state;
    assert_int_equal(rd(" {\"Entries\": [{\"Source\":\"a\\\"b\\\\c\\/d\\n\",\"DetailType\":\"t\","
                        "\"Detail\":\"{\\\"k\\\": 1.5}\",\"Resources\":[\"r1\",\"\"],"
                        "\"Time\":1700000000.25,\"EventBusName\":\"my.bus-1.x_y\"},"
                        "{}, {\"Resources\":[]}]}\n",
                        e, &n, &mem),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(e[0].source, "a\"b\\c/d\n");
    assert_string_equal(e[0].detail_type, "t");
    assert_string_equal(e[0].detail, "{\"k\": 1.5}");
    assert_string_equal(e[0].bus, "my.bus-1.x_y");
    assert_int_equal(e[0].nres, 2);
    assert_string_equal(e[0].res[0], "r1");
    assert_string_equal(e[0].res[1], "");
    assert_true(e[0].has_time && e[0].time_is_num);
    assert_true(e[0].time == 1700000000.25);
    assert_null(e[1].source);
    assert_null(e[1].detail);
    assert_null(e[1].bus);
    assert_int_equal(e[1].nres, 0);
    assert_null(e[1].res);
    assert_false(e[1].has_time);
    assert_int_equal(e[2].nres, 0);
    ev__pe_free(&mem);
}

static void test_leaves_the_rest_to_the_generic_path(void **state)
{
    static const char *const bodies[] = {
        "", "{}", "[]", "{\"Entries\":[]}", "{\"Entries\":{}}", "{\"Entries\":[1]}",
        "{\"Entries\":[{}],\"EndpointId\":\"e\"}",              /* another member */
        "{\"Entries\":[{}],\"Entries\":[{}]}",                  /* duplicate */
        "{\"Entries\":[{\"Source\":\"a\",\"Source\":\"b\"}]}",
        "{\"Entries\":[{\"TraceHeader\":\"x\"}]}",
        "{\"Entries\":[{\"Source\":null}]}",
        "{\"Entries\":[{\"Source\":1}]}",
        "{\"Entries\":[{\"Source\":\"\\u0041\"}]}",               /* \u escape */
        "{\"Entries\":[{\"Source\":\"\xc3\xa9\"}]}",              /* outside ASCII */
        "{\"Entries\":[{\"Source\":\"a\tb\"}]}",                  /* control byte */
        "{\"Entries\":[{\"EventBusName\":\"\"}]}",
        "{\"Entries\":[{\"EventBusName\":\"arn:aws:events:us-east-1:1:event-bus/b\"}]}",
        "{\"Entries\":[{\"EventBusName\":\"a b\"}]}",
        "{\"Entries\":[{\"EventBusName\":\"a/b\"}]}",
        "{\"Entries\":[{\"Time\":\"2024-01-01T00:00:00Z\"}]}",
        "{\"Entries\":[{\"Time\":1234567890123456}]}",            /* 16 digits */
        "{\"Entries\":[{\"Time\":1e999}]}",
        "{\"Entries\":[{\"Time\":01}]}",
        "{\"Entries\":[{\"Resources\":[1]}]}",
        "{\"Entries\":[{\"Resources\":\"r\"}]}",
        "{\"Entries\":[{}]} x", "{\"Entries\":[{}]", "{\"Entries\":[{},]}",
        "{\"Entries\":[{},{},{},{},{},{},{},{},{},{},{}]}",      /* 11 */
    };
    ev__pe_entry_t e[EV__PE_MAX];
    ev__pe_mem_t mem;
    size_t n;

    (void)state;
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        assert_int_equal(rd(bodies[i], e, &n, &mem), -1);
        assert_int_equal(n, 0);
        assert_null(mem.arena);
    }
}

static void test_limits(void **state)
{
    char body[4200];
    ev__pe_entry_t e[EV__PE_MAX];
    ev__pe_mem_t mem;
    size_t n;

    (void)state;
    /* a Resource of 2048 characters is read, 2049 are not (EventResource max) */
    for (int len = 2048; len <= 2049; len++) {
        int k = snprintf(body, sizeof(body), "{\"Entries\":[{\"Resources\":[\"");
        memset(body + k, 'r', (size_t)len);
        strcpy(body + k + len, "\"]}]}");
        assert_int_equal(rd(body, e, &n, &mem), len == 2048 ? 0 : -1);
        ev__pe_free(&mem);
    }
    /* ten entries are read */
    assert_int_equal(rd("{\"Entries\":[{},{},{},{},{},{},{},{},{},{}]}", e, &n, &mem), 0);
    assert_int_equal(n, 10);
    ev__pe_free(&mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_the_common_body),
        cmocka_unit_test(test_leaves_the_rest_to_the_generic_path),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
