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

/* jansson's compact, order-preserving dump of text (which must parse). */
static char *jansson_compact(const char *text)
{
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    char *out;

    assert_non_null(j);
    out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    return out;
}

static int compact(const char *text, char **out)
{
    ev_buf_t b;
    int rc;

    ev_buf_init(&b, strlen(text) + 1);
    ev_buf_adds(&b, "");
    rc = ev_buf_json_compact_plain(&b, text, strlen(text));
    *out = ev_buf_steal(&b, NULL);
    return rc;
}

static void test_compact_plain(void **state)
{
    static const char *const plain[] = {
        "{}",
        " { \"a\" : 1 , \"b\":[ true,false , null ],\n\t\"c\": {\"d\": -12}} ",
        "{\"s\":\"with spaces, commas: and {braces} [ok]\",\"n\":0,\"m\":-7,\"z\":[]}",
        "{\"utf\":\"\xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80\",\"slash\":\"a/b\"}",
        "{\"big\":9223372036854775807,\"small\":-9223372036854775808}",
        "{\"k\":\"true false null 1.5e3\"}",
        "{\"order\":1,\"a\":2,\"z\":{\"y\":[1,[2,[3]]]}}",
    };
    static const char *const rewritten[] = {
        "{\"r\":1.5}",
        "{\"r\":1e3}",
        "{\"r\":2E-2}",
        "{\"z\":-0}",
        "{\"esc\":\"a\\/b\"}",
        "{\"esc\":\"\\u00e9\"}",
        "{\"q\":\"say \\\"hi\\\"\"}",
    };
    char *got, *want;

    (void)state;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        assert_int_equal(compact(plain[i], &got), 0);
        want = jansson_compact(plain[i]);
        assert_string_equal(got, want);
        free(got);
        free(want);
    }
    for (size_t i = 0; i < sizeof(rewritten) / sizeof(rewritten[0]); i++) {
        want = jansson_compact(rewritten[i]); /* each parses; jansson rewrites it */
        assert_int_equal(compact(rewritten[i], &got), -1);
        assert_string_equal(got, ""); /* nothing appended */
        free(got);
        free(want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_sticks),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_json_string_matches_jansson),
        cmocka_unit_test(test_compact_plain),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
