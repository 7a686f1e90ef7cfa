/*
 * tests/unit/core/test_buf.c - the byte buffer: the size limit that sticks,
 * JSON strings escaped exactly as jansson's json_dumps writes them (checked
 * against jansson itself), in both hex cases, and the whitespace-only
 * compaction of PutEvents' Detail (equal to jansson's compact dump whenever
 * it applies).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static void test_limit_sticks(void **state)
{
    ev_buf_t b;

    (void)state;
    ev_buf_init(&b, 4);
    ev_buf_adds(&b, "abc");
    assert_int_equal(b.failed, 0);
    ev_buf_adds(&b, "de");
    assert_int_equal(b.failed, 1);
    ev_buf_addc(&b, 'f');
    assert_string_equal(ev_buf_cstr(&b), "abc");
    ev_buf_free(&b);
}

static void expect_json(const char *in, size_t n, int upper, const char *want)
{
    ev_buf_t b;

    ev_buf_init(&b, 1 << 20);
    ev_buf_json_string(&b, in, n, upper);
    assert_int_equal(b.failed, 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.p, want, b.len);
    ev_buf_free(&b);
}

static void test_json_string(void **state)
{
    (void)state;
    expect_json("", 0, 1, "\"\"");
    expect_json("plain", 5, 1, "\"plain\"");
    expect_json("q\"b\\s/", 6, 1, "\"q\\\"b\\\\s/\"");
    expect_json("\b\f\n\r\t", 5, 0, "\"\\b\\f\\n\\r\\t\"");
    expect_json("\x01\x1f", 2, 1, "\"\\u0001\\u001F\"");
    expect_json("\x01\x1f", 2, 0, "\"\\u0001\\u001f\"");
    expect_json("a\0b", 3, 1, "\"a\\u0000b\"");
    expect_json("\x7f\xc3\xa9\xe2\x82\xac", 6, 1, "\"\x7f\xc3\xa9\xe2\x82\xac\"");
}

/* Every byte below 0x80 alone and in company: the same text as jansson. */
static void test_json_string_matches_jansson(void **state)
{
    (void)state;
    for (int c = 1; c < 0x80; c++) {
        char in[4] = {'x', (char)c, 'y', 0};
        json_t *j = json_string(in);
        char *want = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);

        assert_non_null(want);
        expect_json(in, 3, 1, want);
        free(want);
        json_decref(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_sticks),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_json_string_matches_jansson),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
