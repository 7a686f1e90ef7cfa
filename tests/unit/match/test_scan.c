/*
 * tests/unit/match/test_scan.c - the scanner's fast paths. While at least 64
 * bytes of the event remain, scan.c reads common tokens without bounds checks:
 * one-byte keys and keys of up to 16 plain bytes (one vector compare), numbers
 * of up to 31 characters (digit masks), the comma or bracket after a value,
 * and a number at a range-only path inside the event's idle interval. Each
 * case here is padded so that it is scanned in that zone, both at a path some
 * rule names and inside a skipped value, and checked against the exact
 * expected verdict and the reference matcher.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"

#define PAD ",\"zzpad\":\"................................................................\"}"

typedef struct {
    const char *event; /* a JSON object ending in '}' (the padding goes before it) */
    ev_match_rc rc;
    uint64_t tags; /* bit per expected rule tag */
} scase_t;

static const char *const rules[] = {
    /* 0 */ "{\"a\":[{\"numeric\":[\">\",0,\"<\",10]}]}",
    /* 1 */ "{\"k\":{\"x\":[1.5]}}",
    /* 2 */ "{\"firstCoordinates\":{\"x\":[{\"exists\":true}]}}",
    /* 3 */ "{\"abcdefghijklmnopq\":[\"v\"]}",
    /* 4 */ "{\"d\":{\"e\":[\"f\"]}}",
    /* 5 */ "{\"c\":{\"p\":[\"x\"],\"q\":[\"y\"]}}",
    /* 6 */ "{\"n\":[{\"anything-but\":[3]}]}",
    /* 7 */ "{\"iz\":[0,{\"numeric\":[\">\",100000,\"<=\",999999999999999]}]}",
};

static ev_matcher_t *build(ev_match_ref_t **ref)
{
    ev_matcher_builder_t *b = ev_matcher_builder_new();
    size_t i;

    *ref = ev_match_ref_new();
    for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        assert_int_equal(ev_matcher_builder_add(b, i, rules[i], strlen(rules[i]), NULL), EV_OK);
        assert_int_equal(ev_match_ref_add(*ref, i, rules[i], strlen(rules[i]), NULL), EV_OK);
    }
    return ev_matcher_builder_finish(b);
}

/* ev with PAD before its final '}' (len bytes; may hold NULs). */
static char *padded(const char *ev, size_t len, size_t *out_len)
{
    char *p = malloc(len + sizeof(PAD));

    assert_non_null(p);
    assert_true(len >= 2 && ev[len - 1] == '}');
    memcpy(p, ev, len - 1);
    memcpy(p + len - 1, PAD, sizeof(PAD));
    *out_len = len - 1 + sizeof(PAD) - 1;
    return p;
}

/* Runs ev through both matchers; returns the rc and the tags as a bit mask. */
static ev_match_rc run(const ev_matcher_t *m, const ev_match_ref_t *ref, ev_match_scratch_t *s,
                       const char *ev, size_t len, uint64_t *mask)
{
    const uint64_t *tags;
    uint64_t *rt = NULL, rmask = 0;
    size_t n = 0, rn = 0, i;
    ev_match_rc rc = ev_matcher_match(m, ev, len, s, &tags, &n);
    ev_match_rc rrc = ev_match_ref_match(ref, ev, len, &rt, &rn);

    *mask = 0;
    for (i = 0; rc == EV_MATCH_OK && i < n; i++)
        *mask |= 1ull << tags[i];
    for (i = 0; rrc == EV_MATCH_OK && i < rn; i++)
        rmask |= 1ull << rt[i];
    free(rt);
    if (rc != rrc || *mask != rmask)
        printf("compiled and reference differ on %.*s\n", (int)len, ev);
    assert_int_equal(rc, rrc);
    assert_int_equal(*mask, rmask);
    return rc;
}

static void run_scases(const scase_t *c, size_t n)
{
    ev_match_ref_t *ref;
    ev_matcher_t *m = build(&ref);
    ev_match_scratch_t *s = ev_match_scratch_new();
    size_t i, len;
    int bad = 0;

    for (i = 0; i < n; i++) {
        char *ev = padded(c[i].event, strlen(c[i].event), &len);
        uint64_t mask;
        ev_match_rc rc = run(m, ref, s, ev, len, &mask);

        if (rc != c[i].rc || mask != c[i].tags) {
            printf("case %zu: want rc %d tags %#llx, got rc %d tags %#llx\n  %s\n", i,
                   (int)c[i].rc, (unsigned long long)c[i].tags, (int)rc,
                   (unsigned long long)mask, ev);
            bad++;
        }
        free(ev);
    }
    assert_int_equal(bad, 0);
    ev_match_scratch_free(s);
    ev_match_ref_free(ref);
    ev_matcher_unref(m);
}

#define RUN_S(cases) run_scases(cases, sizeof(cases) / sizeof(cases[0]))
#define BAD EV_MATCH_MALFORMED
#define OK EV_MATCH_OK

/* Keys: one byte, 2..16 plain bytes (one vector compare), longer, escaped, dotted. */
static void test_fast_keys(void **state)
{
    static const scase_t cases[] = {
        {"{\"a\":5}", OK, 1u << 0},
        {"{\"b\":5,\"a\":5}", OK, 1u << 0},
        {"{\"\\u0061\":5}", OK, 1u << 0},
        {"{\"a\" :5}", OK, 1u << 0},
        {"{\"a\": 5}", OK, 1u << 0},
        {"{\"k\":{\"x\":1.5}}", OK, 1u << 1},
        {"{\"k\":{\"y\":1,\"x\":1.5}}", OK, 1u << 1},
        {"{\"k.x\":1.5}", OK, 1u << 1},
        {"{\"k\":{\".\":1.5}}", OK, 0},
        {"{\"firstCoordinates\":{\"x\":0}}", OK, 1u << 2},
        {"{\"firstCoordinate\":{\"x\":0}}", OK, 0},
        {"{\"firstCoordinatesX\":{\"x\":0}}", OK, 0},
        {"{\"firstCoordinates.x\":null}", OK, 1u << 2},
        {"{\"abcdefghijklmnopq\":\"v\"}", OK, 1u << 3},
        {"{\"abcdefghijklmnop\":\"v\"}", OK, 0},
        {"{\"abcdefghijklmnopqr\":\"v\"}", OK, 0},
        {"{\"abcdefghijklmnop\\u0071\":\"v\"}", OK, 1u << 3},
        {"{\"d.e\":\"f\"}", OK, 1u << 4},
        {"{\"d\":{\"e\":\"f\"}}", OK, 1u << 4},
        {"{\"\":1,\"d\":{\"\":2,\"e\":\"f\"}}", OK, 1u << 4},
        {"{\"\xc3\xa9\":1,\"a\":1}", OK, 1u << 0},
        {"{\"\x7f\":1,\"a\":1}", OK, 1u << 0},
        {"{\"a\x01\":1}", BAD, 0},
        {"{\"\x01\":1}", BAD, 0},
        {"{\"\xff\":1}", BAD, 0},
        {"{\"a\\x\":1}", BAD, 0},
        {"{\"a\"1}", BAD, 0},
        {"{\"a\":1 \"b\":2}", BAD, 0},
        {"{\"a\":1,}", BAD, 0},
        {"{\"a\":1,,\"b\":2}", BAD, 0},
        {"{\"k\":{\"x\":1.5,}}", BAD, 0},
        {"{\"s\":{\"x\":1,\"yy\"2}}", BAD, 0},
        {"{\"s\":{\"x\"1}}", BAD, 0},
        {"{\"s\":{\"\x01\":1}}", BAD, 0},
        {"{\"s\":{\"\\\"\":1,\"b\\\\\":2}}", OK, 0},
    };

    (void)state;
    RUN_S(cases);
}

/* Numbers in the fast zone, at a rule's path and inside skipped values. */
static void test_fast_numbers(void **state)
{
    static const scase_t cases[] = {
        {"{\"a\":9.99999999}", OK, 1u << 0},
        {"{\"a\":10}", OK, 0},
        {"{\"a\":0}", OK, 0},
        {"{\"a\":-0.5}", OK, 0},
        {"{\"a\":1.5e0}", OK, 1u << 0},
        {"{\"a\":15e-1}", OK, 1u << 0},
        {"{\"k\":{\"x\":1.50}}", OK, 1u << 1},
        {"{\"k\":{\"x\":0.15E1}}", OK, 1u << 1},
        {"{\"k\":{\"x\":1.5000000000000000000001}}", OK, 0},
        {"{\"a\":01}", BAD, 0},
        {"{\"a\":1.}", BAD, 0},
        {"{\"a\":1.,\"b\":2}", BAD, 0},
        {"{\"a\":1.e5}", BAD, 0},
        {"{\"a\":-}", BAD, 0},
        {"{\"a\":--1}", BAD, 0},
        {"{\"a\":1.5.5}", BAD, 0},
        {"{\"a\":1-2}", BAD, 0},
        {"{\"a\":.5}", BAD, 0},
        {"{\"a\":+5}", BAD, 0},
        {"{\"s\":[01]}", BAD, 0},
        {"{\"s\":[1.]}", BAD, 0},
        {"{\"s\":{\"x\":1.}}", BAD, 0},
        {"{\"s\":[-]}", BAD, 0},
        {"{\"s\":[-01]}", BAD, 0},
        {"{\"s\":[1.5.5]}", BAD, 0},
        {"{\"s\":[1.e5]}", BAD, 0},
        {"{\"s\":[1e]}", BAD, 0},
        {"{\"s\":[9223372036854775808]}", BAD, 0},
        {"{\"s\":[-9223372036854775809]}", BAD, 0},
        {"{\"s\":[1e400]}", BAD, 0},
        {"{\"s\":[1 2]}", BAD, 0},
        {"{\"s\":[1,]}", BAD, 0},
        {"{\"s\":{\"x\":1,}}", BAD, 0},
        {"{\"s\":[0,-0,-0.0,0.5,123456789012345678,1234567890123456789,-9223372036854775808]}",
         OK, 0},
        {"{\"s\":[9223372036854775807,1.5e3,2E-3,1e+2,0e999,1234567890.12345678901234567890]}",
         OK, 0},
        {"{\"s\":[12345678901234567890123456789.5,0.00000000000000000000000000001]}", OK, 0},
        {"{\"s\":{\"x\":-122.45321259140417,\"y\":37.73073016821136,\"z\":0}}", OK, 0},
        {"{\"s\":[{\"x\":1,\"y\":2},{\"x\":3,\"y\":4}],\"a\":5}", OK, 1u << 0},
        {"{\"s\":[[1,2],[3,[4.5,{\"t\":true,\"f\":false,\"n\":null}]]],\"a\":5}", OK, 1u << 0},
        {"{\"s\":[1.5e]}", BAD, 0},
        {"{\"s\":[2.5E+]}", BAD, 0},
        {"{\"s\":{\"x\":1.5e308,\"y\":1.5e309}}", BAD, 0},
        {"{\"s\":{\"x\":1.5e308,\"y\":-0e5,\"z\":123456789012345678e2}}", OK, 0},
        {"{\"s\":[12345678901234567890e-2,9223372036854775807e0]}", OK, 0},
        {"{\"s\":[tru]}", BAD, 0},
        {"{\"s\":{\"x\":nul}}", BAD, 0},
        {"{\"s\":[1}", BAD, 0},
        {"{\"s\":{\"x\":1]}", BAD, 0},
    };

    (void)state;
    RUN_S(cases);
}

/*
 * A number at a range-only path is skipped when its rough value lies inside
 * the event's idle interval; values near the interval's ends must still be
 * decided exactly.
 */
static void test_idle_numbers(void **state)
{
    static const scase_t cases[] = {
        {"{\"a\":[20,30,40,5]}", OK, 1u << 0},
        {"{\"a\":[20,30,10.000000001,10]}", OK, 0},
        {"{\"a\":[20,9.999999999]}", OK, 1u << 0},
        {"{\"a\":[20,10.00000000000000001]}", OK, 0},
        {"{\"a\":[-5,-4,-0.000000001]}", OK, 0},
        {"{\"a\":[-5,-4,0.000000001]}", OK, 1u << 0},
        {"{\"a\":[-5,-4,-0]}", OK, 0},
        {"{\"a\":[20,123456789.5,99999999.5,5]}", OK, 1u << 0},
        {"{\"a\":[20,1e1,1.0e1,5e-1]}", OK, 1u << 0},
        {"{\"a\":[20,21.000000001,10.0000000001]}", OK, 0},
        {"{\"a\":[5,6,7,11,12,-1]}", OK, 1u << 0},
        /* Within a few 1e-8 of an idle interval's end (its bounds in 1e-8 units). */
        {"{\"a\":[20,10.00000005,10.00000004999,10.000000050001,10.00000001]}", OK, 0},
        {"{\"a\":[20,10.00000005,9.99999999]}", OK, 1u << 0},
        {"{\"a\":[-5,-0.00000005,-0.00000004999,-0.000000001,-0.00000000000001]}", OK, 0},
        {"{\"a\":[-5,-0.00000005,0.00000001]}", OK, 1u << 0},
        {"{\"a\":[-5,-0.00000005,0.000000001]}", OK, 1u << 0},
        {"{\"a\":[-99999999.99999999,-0.00000005,0.000000001]}", OK, 1u << 0},
        {"{\"n\":[3,3.0,3]}", OK, 0},
        {"{\"n\":[3,4]}", OK, 1u << 6},
        /* Integers of up to 15 digits are exact from their digits. */
        {"{\"iz\":0}", OK, 1u << 7},
        {"{\"iz\":-0}", OK, 1u << 7},
        {"{\"iz\":[5,0]}", OK, 1u << 7},
        {"{\"iz\":[5,0.0]}", OK, 1u << 7},
        {"{\"iz\":999999999999999}", OK, 1u << 7},
        {"{\"iz\":1000000000000000}", OK, 0},
        {"{\"iz\":[100000,-1]}", OK, 0},
        {"{\"iz\":100001}", OK, 1u << 7},
    };

    (void)state;
    RUN_S(cases);
}

/* The comma and closing bracket fast paths keep array elements apart. */
static void test_fast_arrays(void **state)
{
    static const scase_t cases[] = {
        {"{\"c\":[{\"p\":\"x\",\"q\":\"n\"},{\"p\":\"n\",\"q\":\"y\"}]}", OK, 0},
        {"{\"c\":[{\"p\":\"n\",\"q\":\"n\"},{\"p\":\"x\",\"q\":\"y\"}]}", OK, 1u << 5},
        {"{\"c\":[{\"p\":[\"x\",\"n\"],\"q\":[\"n\",\"y\"]}]}", OK, 1u << 5},
        {"{\"c\":{\"p\":[\"x\"],\"q\":\"y\"}}", OK, 1u << 5},
        {"{\"c\":[{\"p\":\"x\"},{\"q\":\"y\"}],\"a\":[[],[5]]}", OK, 1u << 0},
        {"{\"c\":[{\"p\":\"x\",\"q\":\"y\"},]}", BAD, 0},
        {"{\"c\":[{\"p\":\"x\",\"q\":\"y\"}}", BAD, 0},
        {"{\"c\":[{\"p\":\"x\",\"q\":\"y\"]]}", BAD, 0},
    };

    (void)state;
    RUN_S(cases);
}

/* jansson drops one NUL byte after a number or literal, also in the fast zone. */
#define NUL_CASE(lit) lit, sizeof(lit) - 1

static void test_fast_nul(void **state)
{
    static const struct {
        const char *ev;
        size_t len;
        ev_match_rc rc;
        uint64_t tags;
    } cases[] = {
        {NUL_CASE("{\"a\":5\0}"), OK, 1u << 0},
        {NUL_CASE("{\"a\":5\0,\"b\":1}"), OK, 1u << 0},
        {NUL_CASE("{\"a\":5\0\0}"), BAD, 0},
        {NUL_CASE("{\"s\":[1\0,2\0]}"), OK, 0},
        {NUL_CASE("{\"s\":[true\0,null\0]}"), OK, 0},
        {NUL_CASE("{\"s\":[1\0\0]}"), BAD, 0},
        {NUL_CASE("{\"s\":[\"x\"\0]}"), BAD, 0},
        {NUL_CASE("{\"s\":{\"x\":1\0},\"a\":5}"), OK, 1u << 0},
    };
    ev_match_ref_t *ref;
    ev_matcher_t *m = build(&ref);
    ev_match_scratch_t *s = ev_match_scratch_new();
    size_t i, len;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *ev = padded(cases[i].ev, cases[i].len, &len);
        uint64_t mask;

        assert_int_equal(run(m, ref, s, ev, len, &mask), cases[i].rc);
        assert_int_equal(mask, cases[i].tags);
        free(ev);
    }
    ev_match_scratch_free(s);
    ev_match_ref_free(ref);
    ev_matcher_unref(m);
}

/* Nodes with up to 8 children find keys with one probe (a separating multiplier). */
static void test_small_nodes(void **state)
{
    static const char *const keys[] = {"x", "y", "z", "xy", "yx", "abcdefgh", "abcdefghi",
                                       "abcdefgi"};
    ev_matcher_builder_t *b = ev_matcher_builder_new();
    ev_match_scratch_t *s = ev_match_scratch_new();
    ev_matcher_t *m;
    const uint64_t *tags;
    char pat[128], ev[256];
    size_t i, n;

    (void)state;
    for (i = 0; i < 8; i++) {
        snprintf(pat, sizeof(pat), "{\"o\":{\"%s\":[%zu]}}", keys[i], i);
        assert_int_equal(ev_matcher_builder_add(b, i, pat, strlen(pat), NULL), EV_OK);
    }
    m = ev_matcher_builder_finish(b);
    for (i = 0; i < 8; i++) {
        size_t j;

        for (j = 0; j < 8; j++) {
            snprintf(ev, sizeof(ev), "{\"o\":{\"%s\":%zu}" PAD, keys[i], j);
            assert_int_equal(ev_matcher_match(m, ev, strlen(ev), s, &tags, &n), EV_MATCH_OK);
            assert_int_equal(n, i == j);
            if (n)
                assert_int_equal(tags[0], i);
        }
    }
    /* Keys that share a slot's 8-byte prefix but differ in length or tail miss. */
    snprintf(ev, sizeof(ev), "{\"o\":{\"abcdefghj\":6,\"abcdefg\":5,\"x\":0}" PAD);
    assert_int_equal(ev_matcher_match(m, ev, strlen(ev), s, &tags, &n), EV_MATCH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(tags[0], 0);
    ev_matcher_unref(m);
    ev_match_scratch_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_keys),
        cmocka_unit_test(test_fast_numbers),
        cmocka_unit_test(test_idle_numbers),
        cmocka_unit_test(test_fast_arrays),
        cmocka_unit_test(test_fast_nul),
        cmocka_unit_test(test_small_nodes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
