/*
 * tests/unit/core/test_jcanon.c - a Detail's compact form without jansson:
 * exact outputs for the common cases (reals as jansson writes them, -0,
 * escapes kept), "ask jansson" for what it does not decide, and agreement
 * with jansson's parse + dump on every case it answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jcanon.h"

/* Our answer for s, checked against jansson's; NULL when we ask jansson. */
static char *canon(const char *s)
{
    ev_buf_t b;
    json_t *j;
    char *d;

    ev_buf_init(&b, 1 << 20);
    if (ev_jcanon_object(&b, s, strlen(s)) != 0) {
        assert_int_equal(b.len, 0);
        ev_buf_free(&b);
        return NULL;
    }
    j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(j);
    assert_true(json_is_object(j));
    d = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(ev_buf_cstr(&b), d);
    free(d);
    json_decref(j);
    return ev_buf_steal(&b, NULL);
}

static void expect(const char *in, const char *out)
{
    char *got = canon(in);

    assert_non_null(got);
    assert_string_equal(got, out);
    free(got);
}

static void test_answers(void **state)
{
    (void)state;
    expect("{}", "{}");
    expect(" { \"a\" : [ ] , \"b\" : { } }\n", "{\"a\":[],\"b\":{}}");
    expect("{\"bucket\":\"b1\",\"ts\":1700000000123,\"order\":{\"id\":7,\"amount\":123.5,"
           "\"currency\":\"EUR\"}}",
           "{\"bucket\":\"b1\",\"ts\":1700000000123,\"order\":{\"id\":7,\"amount\":123.5,"
           "\"currency\":\"EUR\"}}");
    expect("{\"r\":[0.1,1.0,1e5,1E-7,2.5e+20,-0.0,1e100,1.5e-300]}",
           "{\"r\":[0.10000000000000001,1.0,100000.0,9.9999999999999995e-8,2.5e20,-0.0,1e100,"
           "1.5000000000000001e-300]}");
    expect("{\"i\":[-0,0,-12,123456789012345678]}", "{\"i\":[0,0,-12,123456789012345678]}");
    expect("{\"utf\":\"\xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80\",\"\xc3\xa9\":1}",
           "{\"utf\":\"\xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80\",\"\xc3\xa9\":1}");
    expect("{\"s\":\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\",\"t\":true,\"f\":false,\"n\":null}",
           "{\"s\":\"a\\\"b\\\\c\\nd\\te\\rf\\bg\\fh\",\"t\":true,\"f\":false,\"n\":null}");
    /* the same key in two different objects is fine */
    expect("{\"a\":{\"k\":1},\"b\":{\"k\":2},\"k\":[{\"k\":3}]}",
           "{\"a\":{\"k\":1},\"b\":{\"k\":2},\"k\":[{\"k\":3}]}");
}

static void test_asks_jansson(void **state)
{
    const char *cases[] = {
        "[1,2]", "\"s\"", "1", "",                      /* not an object */
        "{\"a\":1,\"a\":2}",                            /* duplicate: jansson refuses */
        "{\"a\":{\"b\":1,\"b\":1}}",
        "{\"s\":\"\\u00e9\"}", "{\"s\":\"a\\/b\"}",     /* rewritten escapes */
        "{\"s\":\"\xc3\xa9\xc3\"}", "{\"s\":\"\xc0\xaf\"}",  /* bad UTF-8: cut, overlong */
        "{\"s\":\"\xed\xa0\x80\"}", "{\"s\":\"\xf4\x90\x80\x80\"}", /* surrogate, > U+10FFFF */
        "{\"i\":1234567890123456789}",                  /* could overflow */
        "{\"r\":1e400}", "{\"r\":1e-400}",              /* overflow, underflow */
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":+1}", "{\"a\":-}",
        "{\"a\":tru}", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":1} x", "{\"a\":1}}", "{\"a\":[1}",
        "{\"a\":\"x", "{\"a\":\"\t\"}", "{a:1}", "{\"a\":1",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_null(canon(cases[i]));
}

static void test_depth_and_key_limits(void **state)
{
    char deep[400], *p = deep, *got;

    (void)state;
    /* 64 levels are answered, 65 are not */
    for (int d = 64; d <= 65; d++) {
        p = deep;
        p += sprintf(p, "{\"a\":");
        for (int i = 1; i < d; i++)
            *p++ = '[';
        *p++ = '1';
        for (int i = 1; i < d; i++)
            *p++ = ']';
        strcpy(p, "}");
        got = canon(deep);
        if (d == 64)
            assert_non_null(got);
        else
            assert_null(got);
        free(got);
    }
    /* 256 keys open at once are answered, 257 are not */
    for (int k = 256; k <= 257; k++) {
        ev_buf_t b;

        ev_buf_init(&b, 1 << 20);
        ev_buf_addc(&b, '{');
        for (int i = 0; i < k; i++)
            ev_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
        ev_buf_addc(&b, '}');
        got = canon(ev_buf_cstr(&b));
        if (k == 256)
            assert_non_null(got);
        else
            assert_null(got);
        free(got);
        ev_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers),
        cmocka_unit_test(test_asks_jansson),
        cmocka_unit_test(test_depth_and_key_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
