/*
 * tests/unit/match/test_match.c - matching semantics, operator by operator:
 * every case runs through the compiled matcher and the reference matcher,
 * which must agree with each other and with the expected verdict.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"

typedef struct {
    const char *pattern, *event;
    int want;
} mcase_t;

static void run_cases(const mcase_t *c, size_t n)
{
    size_t i;
    int bad = 0;

    for (i = 0; i < n; i++) {
        int got = match1(c[i].pattern, c[i].event);

        if (got != c[i].want) {
            printf("case %zu: want %d got %d\n  pattern %s\n  event   %s\n", i, c[i].want, got,
                   c[i].pattern, c[i].event);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

#define RUN(cases) run_cases(cases, sizeof(cases) / sizeof(cases[0]))

static void test_exact(void **state)
{
    static const mcase_t c[] = {
        {"{\"a\":[\"x\"]}", "{\"a\":\"x\"}", 1},
        {"{\"a\":[\"x\"]}", "{\"a\":\"X\"}", 0},
        {"{\"a\":[\"x\"]}", "{\"b\":\"x\"}", 0},
        {"{\"a\":[\"\"]}", "{\"a\":\"\"}", 1},
        {"{\"a\":[\"\"]}", "{\"a\":null}", 0},
        {"{\"a\":[\"x\",\"y\"]}", "{\"a\":\"y\"}", 1},
        {"{\"a\":[\"\\u00e9\"]}", "{\"a\":\"\\u00e9\"}", 1},
        {"{\"a\":[\"\\u00e9\"]}", "{\"a\":\"\xc3\xa9\"}", 1},
        {"{\"a\":[\"a\\\"b\"]}", "{\"a\":\"a\\u0022b\"}", 1},
        {"{\"a\":[null]}", "{\"a\":null}", 1},
        {"{\"a\":[null]}", "{\"a\":\"null\"}", 0},
        {"{\"a\":[null]}", "{}", 0},
        {"{\"a\":[true]}", "{\"a\":true}", 1},
        {"{\"a\":[true]}", "{\"a\":\"true\"}", 0},
        {"{\"a\":[false]}", "{\"a\":false}", 1},
        {"{\"a\":[false]}", "{\"a\":0}", 0},
        {"{\"a\":[{\"exactly\":\"10.0.0.1\"}]}", "{\"a\":\"10.0.0.1\"}", 1},
        {"{\"A\":[\"x\"]}", "{\"a\":\"x\"}", 0},
        /* The last duplicate key wins in the pattern; the event keeps both. */
        {"{\"a\":[\"x\"],\"a\":[\"y\"]}", "{\"a\":\"x\"}", 0},
        {"{\"a\":[\"x\"],\"a\":[\"y\"]}", "{\"a\":\"y\"}", 1},
        {"{\"a\":[\"x\"]}", "{\"a\":\"y\",\"a\":\"x\"}", 1},
        /* Escaped keys. */
        {"{\"a\\u0062\":[1]}", "{\"ab\":1}", 1},
        {"{\"ab\":[1]}", "{\"a\\u0062\":1}", 1},
    };

    (void)state;
    RUN(c);
}

static void test_numbers(void **state)
{
    static const mcase_t c[] = {
        {"{\"n\":[5]}", "{\"n\":5}", 1},
        {"{\"n\":[5]}", "{\"n\":5.0}", 1},
        {"{\"n\":[5]}", "{\"n\":5e0}", 1},
        {"{\"n\":[5]}", "{\"n\":0.5e1}", 1},
        {"{\"n\":[5]}", "{\"n\":\"5\"}", 0},
        {"{\"n\":[\"5\"]}", "{\"n\":5}", 0},
        {"{\"n\":[0]}", "{\"n\":-0}", 1},
        {"{\"n\":[-0.0]}", "{\"n\":0}", 1},
        {"{\"n\":[3.018e2]}", "{\"n\":301.8}", 1},
        {"{\"n\":[300]}", "{\"n\":300.0}", 1},
        {"{\"n\":[0.1]}", "{\"n\":0.1}", 1},
        /* Not the shortest form of its double: matches only the same text. */
        {"{\"n\":[0.1]}", "{\"n\":0.10000000000000001}", 0},
        {"{\"n\":[0.10000000000000001]}", "{\"n\":0.10000000000000001}", 1},
        {"{\"n\":[0.10000000000000001]}", "{\"n\":0.1}", 0},
        {"{\"n\":[{\"numeric\":[\">\",0]}]}", "{\"n\":0.10000000000000001}", 0},
        {"{\"n\":[9007199254740993]}", "{\"n\":9007199254740993}", 1},
        {"{\"n\":[9007199254740992]}", "{\"n\":9007199254740993}", 0},
        {"{\"n\":[-122.45321259140417]}", "{\"n\":-122.45321259140417}", 1},
        {"{\"n\":[1e22]}", "{\"n\":10000000000000000000000}", -1}, /* over int64: malformed */
        {"{\"n\":[1e22]}", "{\"n\":1e22}", 1},
        {"{\"n\":[123456789012345678]}", "{\"n\":123456789012345678}", 1},
        {"{\"n\":[{\"numeric\":[\">\",100]}]}", "{\"n\":101.0}", 1},
        {"{\"n\":[{\"numeric\":[\">\",100]}]}", "{\"n\":100}", 0},
        {"{\"n\":[{\"numeric\":[\">=\",100]}]}", "{\"n\":100}", 1},
        {"{\"n\":[{\"numeric\":[\"<\",100]}]}", "{\"n\":100}", 0},
        {"{\"n\":[{\"numeric\":[\"<=\",100]}]}", "{\"n\":100}", 1},
        {"{\"n\":[{\"numeric\":[\"=\",100]}]}", "{\"n\":1e2}", 1},
        {"{\"n\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"n\":5}", 1},
        {"{\"n\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"n\":0}", 0},
        {"{\"n\":[{\"numeric\":[\">\",0,\"<\",5]}]}", "{\"n\":5}", 0},
        {"{\"n\":[{\"numeric\":[\">=\",-1e300,\"<\",-1e299]}]}", "{\"n\":-5e299}", 1},
        {"{\"n\":[{\"numeric\":[\">\",100]}]}", "{\"n\":\"300\"}", 0},
        {"{\"n\":[{\"numeric\":[\">\",100]}]}", "{\"n\":null}", 0},
        {"{\"n\":[{\"numeric\":[\"<\",0]}]}", "{\"n\":-1e-300}", 1},
        {"{\"n\":[{\"numeric\":[\">\",1.7976931348623157e308]}]}", "{\"n\":1e308}", 0},
        {"{\"n\":[{\"numeric\":[\">\",0]},{\"numeric\":[\"<\",-5]}]}", "{\"n\":-6}", 1},
        {"{\"n\":[{\"numeric\":[\">\",10]}]}", "{\"n\":[1,2,30]}", 1},
        {"{\"n\":[{\"numeric\":[\">\",10]}]}", "{\"n\":[1,2,3]}", 0},
    };

    (void)state;
    RUN(c);
}

static void test_prefix_suffix(void **state)
{
    static const mcase_t c[] = {
        {"{\"s\":[{\"prefix\":\"ab\"}]}", "{\"s\":\"abc\"}", 1},
        {"{\"s\":[{\"prefix\":\"ab\"}]}", "{\"s\":\"ab\"}", 1},
        {"{\"s\":[{\"prefix\":\"ab\"}]}", "{\"s\":\"a\"}", 0},
        {"{\"s\":[{\"prefix\":\"ab\"}]}", "{\"s\":\"Abc\"}", 0},
        {"{\"s\":[{\"prefix\":\"\"}]}", "{\"s\":\"\"}", 1},
        {"{\"s\":[{\"prefix\":\"\"}]}", "{\"s\":5}", 0},
        {"{\"s\":[{\"prefix\":\"1\"}]}", "{\"s\":123}", 0},
        {"{\"s\":[{\"suffix\":\".png\"}]}", "{\"s\":\"a.png\"}", 1},
        {"{\"s\":[{\"suffix\":\".png\"}]}", "{\"s\":\"a.PNG\"}", 0},
        {"{\"s\":[{\"suffix\":\"\"}]}", "{\"s\":\"\"}", 1},
        {"{\"s\":[{\"prefix\":{\"equals-ignore-case\":\"EventB\"}}]}", "{\"s\":\"eventbridge\"}", 1},
        {"{\"s\":[{\"prefix\":{\"equals-ignore-case\":\"EventB\"}}]}", "{\"s\":\"event\"}", 0},
        {"{\"s\":[{\"suffix\":{\"equals-ignore-case\":\".png\"}}]}", "{\"s\":\"A.PnG\"}", 1},
        {"{\"s\":[{\"suffix\":{\"equals-ignore-case\":\".png\"}}]}", "{\"s\":\"A.jpg\"}", 0},
        {"{\"s\":[{\"prefix\":\"\\u00e9t\"}]}", "{\"s\":\"\\u00e9t\\u00e9\"}", 1},
        {"{\"s\":[{\"prefix\":\"ab\"},{\"prefix\":\"abc\"},{\"suffix\":\"z\"}]}", "{\"s\":\"abz\"}",
         1},
        {"{\"s\":[{\"prefix\":\"ab\"}]}", "{\"s\":[\"x\",\"aby\"]}", 1},
    };

    (void)state;
    RUN(c);
}

static void test_ignore_case(void **state)
{
    static const mcase_t c[] = {
        {"{\"s\":[{\"equals-ignore-case\":\"abc\"}]}", "{\"s\":\"ABC\"}", 1},
        {"{\"s\":[{\"equals-ignore-case\":\"abc\"}]}", "{\"s\":\"aBc\"}", 1},
        {"{\"s\":[{\"equals-ignore-case\":\"abc\"}]}", "{\"s\":\"abcd\"}", 0},
        {"{\"s\":[{\"equals-ignore-case\":\"\"}]}", "{\"s\":\"\"}", 1},
        {"{\"s\":[{\"equals-ignore-case\":\"\\u00c9T\\u00c9\"}]}", "{\"s\":\"\\u00e9t\\u00e9\"}",
         1},
        {"{\"s\":[{\"equals-ignore-case\":\"\\u03a3\"}]}", "{\"s\":\"\\u03c3\"}", 1},
        {"{\"s\":[{\"equals-ignore-case\":\"k\"}]}", "{\"s\":\"\\u212a\"}", 1}, /* Kelvin sign */
        {"{\"s\":[{\"equals-ignore-case\":\"5\"}]}", "{\"s\":5}", 0},
        {"{\"s\":[{\"equals-ignore-case\":\"null\"}]}", "{\"s\":null}", 0},
    };

    (void)state;
    RUN(c);
}

static void test_anything_but(void **state)
{
    static const mcase_t c[] = {
        {"{\"s\":[{\"anything-but\":\"a\"}]}", "{\"s\":\"b\"}", 1},
        {"{\"s\":[{\"anything-but\":\"a\"}]}", "{\"s\":\"a\"}", 0},
        {"{\"s\":[{\"anything-but\":\"a\"}]}", "{}", 0},
        {"{\"s\":[{\"anything-but\":\"a\"}]}", "{\"s\":null}", 1},
        {"{\"s\":[{\"anything-but\":\"a\"}]}", "{\"s\":true}", 1},
        {"{\"s\":[{\"anything-but\":\"5\"}]}", "{\"s\":5}", 1},
        {"{\"s\":[{\"anything-but\":5}]}", "{\"s\":\"5\"}", 1},
        {"{\"s\":[{\"anything-but\":5}]}", "{\"s\":5.0}", 0},
        {"{\"s\":[{\"anything-but\":[5,6]}]}", "{\"s\":6}", 0},
        {"{\"s\":[{\"anything-but\":[\"a\",\"b\"]}]}", "{\"s\":\"b\"}", 0},
        {"{\"s\":[{\"anything-but\":[\"a\",\"b\"]}]}", "{\"s\":\"c\"}", 1},
        /* Arrays: one element that is not excluded is enough. */
        {"{\"s\":[{\"anything-but\":\"a\"}]}", "{\"s\":[\"a\",\"b\"]}", 1},
        {"{\"s\":[{\"anything-but\":\"a\"}]}", "{\"s\":[\"a\",\"a\"]}", 0},
        {"{\"s\":[{\"anything-but\":\"a\"}]}", "{\"s\":[]}", 0},
        {"{\"s\":[{\"anything-but\":{\"prefix\":\"in\"}}]}", "{\"s\":\"init\"}", 0},
        {"{\"s\":[{\"anything-but\":{\"prefix\":\"in\"}}]}", "{\"s\":\"out\"}", 1},
        {"{\"s\":[{\"anything-but\":{\"prefix\":\"in\"}}]}", "{\"s\":12}", 1},
        {"{\"s\":[{\"anything-but\":{\"prefix\":[\"in\",\"ou\"]}}]}", "{\"s\":\"out\"}", 0},
        {"{\"s\":[{\"anything-but\":{\"suffix\":\".txt\"}}]}", "{\"s\":\"a.txt\"}", 0},
        {"{\"s\":[{\"anything-but\":{\"suffix\":\".txt\"}}]}", "{\"s\":\"a.txt.bak\"}", 1},
        {"{\"s\":[{\"anything-but\":{\"equals-ignore-case\":\"Stop\"}}]}", "{\"s\":\"STOP\"}", 0},
        {"{\"s\":[{\"anything-but\":{\"equals-ignore-case\":[\"a\",\"B\"]}}]}", "{\"s\":\"b\"}", 0},
        {"{\"s\":[{\"anything-but\":{\"equals-ignore-case\":[\"a\",\"B\"]}}]}", "{\"s\":\"c\"}", 1},
        {"{\"s\":[{\"anything-but\":{\"wildcard\":\"*/bin/*.jar\"}}]}", "{\"s\":\"/x/bin/y.jar\"}",
         0},
        {"{\"s\":[{\"anything-but\":{\"wildcard\":\"*/bin/*.jar\"}}]}", "{\"s\":\"/x/lib/y.jar\"}",
         1},
        {"{\"s\":[{\"anything-but\":{\"wildcard\":[\"a*\",\"*z\"]}}]}", "{\"s\":\"xyz\"}", 0},
        {"{\"s\":[{\"anything-but\":{\"wildcard\":\"\"}}]}", "{\"s\":\"\"}", 0},
        /* An empty value set excludes nothing. */
        {"{\"s\":[{\"anything-but\":{\"prefix\":[]}}]}", "{\"s\":\"x\"}", 1},
        {"{\"s\":[{\"anything-but\":{\"prefix\":[]}}]}", "{}", 0},
        /* Two anything-buts in one field are alternatives. */
        {"{\"s\":[{\"anything-but\":\"a\"},{\"anything-but\":\"b\"}]}", "{\"s\":\"a\"}", 1},
        {"{\"s\":[{\"anything-but\":\"a\"},\"a\"]}", "{\"s\":\"a\"}", 1},
    };

    (void)state;
    RUN(c);
}

static void test_exists(void **state)
{
    static const mcase_t c[] = {
        {"{\"a\":[{\"exists\":true}]}", "{\"a\":1}", 1},
        {"{\"a\":[{\"exists\":true}]}", "{\"a\":null}", 1},
        {"{\"a\":[{\"exists\":true}]}", "{\"a\":{\"b\":1}}", 0},
        {"{\"a\":[{\"exists\":true}]}", "{\"a\":[]}", 0},
        {"{\"a\":[{\"exists\":true}]}", "{\"a\":[[],[2]]}", 1},
        {"{\"a\":[{\"exists\":true}]}", "{}", 0},
        {"{\"a\":[{\"exists\":false}]}", "{}", 1},
        {"{\"a\":[{\"exists\":false}]}", "{\"a\":1}", 0},
        {"{\"a\":[{\"exists\":false}]}", "{\"a\":{\"b\":1}}", 1},
        {"{\"a\":[{\"exists\":false}]}", "{\"a\":[]}", 1},
        {"{\"a\":{\"b\":[{\"exists\":false}]}}", "{\"a\":5}", 1},
        {"{\"a\":{\"b\":[{\"exists\":false}]}}", "{\"c\":5}", 1},
        {"{\"a\":[{\"exists\":false}],\"b\":[1]}", "{\"b\":1}", 1},
        {"{\"a\":[{\"exists\":false}],\"b\":[1]}", "{\"b\":2}", 0},
        {"{\"a\":[\"x\",{\"exists\":false}]}", "{}", 1},
        {"{\"a\":[\"x\",{\"exists\":false}]}", "{\"a\":\"x\"}", 1},
        {"{\"a\":[\"x\",{\"exists\":false}]}", "{\"a\":\"y\"}", 0},
        {"{\"a\":[{\"exists\":true},{\"exists\":false}]}", "{\"q\":1}", 1},
    };

    (void)state;
    RUN(c);
}

static void test_cidr(void **state)
{
    static const mcase_t c[] = {
        {"{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":\"10.0.0.255\"}", 1},
        {"{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":\"10.0.1.0\"}", 0},
        {"{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":\"10.0.0.256\"}", 0},
        {"{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":\"010.0.0.1\"}", 0},
        {"{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":\" 10.0.0.1\"}", 0},
        {"{\"ip\":[{\"cidr\":\"10.0.0.0/0\"}]}", "{\"ip\":\"255.1.2.3\"}", 1},
        {"{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":\"::ffff:a00:1\"}", 1},
        {"{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}", "{\"ip\":\"2001:DB8:ffff::1\"}", 1},
        {"{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}", "{\"ip\":\"2001:db9::1\"}", 0},
        {"{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}", "{\"ip\":\"10.0.0.1\"}", 0},
        /* An IP literal in a value list is an address match. */
        {"{\"ip\":[\"2001:db8::1\"]}", "{\"ip\":\"2001:0db8:0:0:0:0:0:1\"}", 1},
        {"{\"ip\":[\"10.0.0.1\"]}", "{\"ip\":\"10.0.0.1\"}", 1},
        {"{\"ip\":[\"10.0.0.1\"]}", "{\"ip\":\"10.0.0.2\"}", 0},
        {"{\"ip\":[\"999.0.0.1\"]}", "{\"ip\":\"999.0.0.1\"}", 1},
    };

    (void)state;
    RUN(c);
}

static void test_wildcard(void **state)
{
    static const mcase_t c[] = {
        {"{\"s\":[{\"wildcard\":\"a*c\"}]}", "{\"s\":\"abc\"}", 1},
        {"{\"s\":[{\"wildcard\":\"a*c\"}]}", "{\"s\":\"ac\"}", 1},
        {"{\"s\":[{\"wildcard\":\"a*c\"}]}", "{\"s\":\"abd\"}", 0},
        {"{\"s\":[{\"wildcard\":\"*\"}]}", "{\"s\":\"\"}", 1},
        {"{\"s\":[{\"wildcard\":\"*\"}]}", "{\"s\":5}", 0},
        {"{\"s\":[{\"wildcard\":\"\"}]}", "{\"s\":\"\"}", 1},
        {"{\"s\":[{\"wildcard\":\"\"}]}", "{\"s\":\"a\"}", 0},
        {"{\"s\":[{\"wildcard\":\"a\\\\*b\"}]}", "{\"s\":\"a*b\"}", 1},
        {"{\"s\":[{\"wildcard\":\"a\\\\*b\"}]}", "{\"s\":\"axb\"}", 0},
        {"{\"s\":[{\"wildcard\":\"a\\\\\\\\b\"}]}", "{\"s\":\"a\\\\b\"}", 1},
        {"{\"s\":[{\"wildcard\":\"*a*b*c*\"}]}", "{\"s\":\"xaybzc\"}", 1},
        {"{\"s\":[{\"wildcard\":\"*a*b*c*\"}]}", "{\"s\":\"xcybza\"}", 0},
        {"{\"s\":[{\"wildcard\":\"ab*ab\"}]}", "{\"s\":\"ab\"}", 0},
        {"{\"s\":[{\"wildcard\":\"ab*ab\"}]}", "{\"s\":\"abab\"}", 1},
        {"{\"s\":[{\"wildcard\":\"*218\"}]}", "{\"s\":\"1218\"}", 1},
        {"{\"s\":[{\"wildcard\":\"2*0*1*7\"}]}", "{\"s\":\"2607117\"}", 1},
        {"{\"s\":[{\"wildcard\":\"2*0*1*7\"}]}", "{\"s\":\"2607118\"}", 0},
        {"{\"s\":[{\"wildcard\":\"*.png\"},{\"wildcard\":\"x*\"}]}", "{\"s\":\"xy\"}", 1},
    };

    (void)state;
    RUN(c);
}

static void test_structure(void **state)
{
    static const mcase_t c[] = {
        /* Dotted keys on either side address the same path. */
        {"{\"d\":{\"a\":{\"b\":[1]}}}", "{\"d\":{\"a.b\":1}}", 1},
        {"{\"d\":{\"a.b\":[1]}}", "{\"d\":{\"a\":{\"b\":1}}}", 1},
        {"{\"d\":{\"a.b\":[1]}}", "{\"d\":{\"a\":{\"b.c\":1}}}", 0},
        {"{\"d\":{\"a\":[1]}}", "{\"d\":\"{\\\"a\\\":1}\"}", 0},
        {"{\"d\":{\"a\":[1]}}", "{\"d\":[{\"a\":0},{\"a\":1}]}", 1},
        {"{\"d\":{\"a\":[1]}}", "{\"d\":[[{\"a\":1}]]}", 1},
        {"{\"\":[1]}", "{\"\":1}", 1},
        {"{\"a\":{\"\":[1]}}", "{\"a.\":1}", 1},
        /*
         * A key "" under the root: event-ruler's pattern path drops it (no
         * separator after an empty prefix), the event path keeps it.
         */
        {"{\"\":{\"r\":[1]}}", "{\"r\":1}", 1},
        {"{\"\":{\"r\":[1]}}", "{\"\":{\"r\":1}}", 0},
        {"{\"r\":[{\"exists\":true}]}", "{\"\":{\"r\":[false]}}", 0},
        {"{\"r\":[{\"exists\":true}]}", "{\"\":{\"\":{\"r\":1}}}", 0},
        {"{\"a\":{\"\":{\"r\":[1]}}}", "{\"a\":{\"\":{\"r\":1}}}", 1},
        {"{\"a\":{\"\":{\"r\":[1]}}}", "{\"a\":{\".r\":1}}", 1},
        {"{\"a\":{\"\":{\"r\":[1]},\"q\":[2]}}", "{\"a\":{\".r\":1,\"q\":2}}", 1},
        /* $or */
        {"{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", "{\"b\":2}", 1},
        {"{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", "{\"b\":1}", 0},
        {"{\"x\":[0],\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", "{\"a\":1}", 0},
        {"{\"x\":[0],\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", "{\"a\":1,\"x\":0}", 1},
        {"{\"$or\":[{\"a\":[1]},{\"b\":[2]}],\"x\":[0]}", "{\"b\":2,\"x\":0}", 1},
        {"{\"$or\":[{\"a\":[1]},{\"b\":[2],\"$or\":[{\"c\":[3]},{\"d\":[4]}]}]}",
         "{\"b\":2,\"d\":4}", 1},
        {"{\"$or\":[{\"a\":[1]},{\"b\":[2],\"$or\":[{\"c\":[3]},{\"d\":[4]}]}]}", "{\"b\":2}", 0},
        {"{\"d\":{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}}", "{\"d\":{\"b\":2}}", 1},
        {"{\"$or\":[{\"a\":[1]},{\"b\":[2]}],\"$or\":[{\"c\":[3]},{\"d\":[4]}]}",
         "{\"b\":2,\"c\":3}", 1},
        {"{\"$or\":[{\"a\":[1]},{\"b\":[2]}],\"$or\":[{\"c\":[3]},{\"d\":[4]}]}", "{\"b\":2}", 0},
        /* Any JSON object is an event; unknown parts are skipped but validated. */
        {"{\"a\":[1]}", "{\"z\":[{\"deep\":[1,2,{\"x\":\"\\ud83d\\ude80\"}]}],\"a\":1}", 1},
    };

    (void)state;
    RUN(c);
}

/* Array consistency: fields matched inside array elements must come from the same element. */
static void test_array_consistency(void **state)
{
    static const mcase_t c[] = {
        {"{\"e\":{\"f\":[\"Anna\"],\"l\":[\"Smith\"]}}",
         "{\"e\":[{\"f\":\"John\",\"l\":\"Doe\"},{\"f\":\"Anna\",\"l\":\"Smith\"}]}", 1},
        {"{\"e\":{\"f\":[\"Anna\"],\"l\":[\"Jones\"]}}",
         "{\"e\":[{\"f\":\"Anna\",\"l\":\"Smith\"},{\"f\":\"Peter\",\"l\":\"Jones\"}]}", 0},
        {"{\"e\":{\"f\":[\"Anna\"],\"l\":[\"Jones\"]}}",
         "{\"e\":[[{\"f\":\"Anna\",\"l\":\"Smith\"}],[{\"f\":\"Peter\",\"l\":\"Jones\"}]]}", 0},
        {"{\"e\":{\"f\":[\"Anna\"]},\"x\":[1]}", "{\"e\":[{\"f\":\"Anna\"}],\"x\":1}", 1},
        {"{\"e\":{\"f\":[\"Anna\"]},\"x\":[1]}", "{\"e\":[{\"f\":\"Anna\"}],\"x\":[2,1]}", 1},
        {"{\"a\":{\"b\":[1]},\"c\":{\"d\":[2]}}", "{\"a\":[{\"b\":1}],\"c\":[{\"d\":2}]}", 1},
        {"{\"a\":{\"b\":[1],\"c\":{\"d\":[2]}}}", "{\"a\":[{\"b\":1,\"c\":[{\"d\":3},{\"d\":2}]}]}",
         1},
        {"{\"a\":{\"b\":[1],\"c\":{\"d\":[2]}}}",
         "{\"a\":[{\"b\":1,\"c\":[{\"d\":3}]},{\"b\":0,\"c\":[{\"d\":2}]}]}", 0},
        /* exists:false is checked against the fields before it, in path order. */
        {"{\"a\":{\"x\":[\"1\"],\"y\":[{\"exists\":false}]}}", "{\"a\":[{\"x\":\"1\"},{\"y\":2}]}",
         1},
        {"{\"a\":{\"x\":[\"1\"],\"y\":[{\"exists\":false}]}}", "{\"a\":[{\"x\":\"1\",\"y\":2}]}", 0},
        {"{\"a\":{\"c\":[\"1\"],\"b\":[{\"exists\":false}]}}", "{\"a\":[{\"c\":\"1\"},{\"b\":2}]}",
         0},
        {"{\"detail\":{\"automations\":{\"id\":[{\"exists\":true}]}}}",
         "{\"detail\":{\"automations\":[{\"k\":1},{\"id\":\"m\"}]}}", 1},
    };

    (void)state;
    RUN(c);
}

/*
 * Rules with one item next to rules whose items need array tracking: the
 * one-item rule's hits inside arrays are not logged, so its exists:false
 * must look at every hit (found by fuzz/fuzz_match).
 */
static void test_mixed_tracking(void **state)
{
    static const char *const pats[] = {
        "{\"a\":{\"b\":[{\"exists\":false}]}}",
        "{\"a\":{\"b\":[1],\"d\":[{\"exists\":false}]}}",
        "{\"a\":{\"b\":[{\"exists\":false},3]}}",
    };
    static const struct {
        const char *event;
        unsigned want; /* bit i: rule i matches */
    } c[] = {
        {"{\"a\":[{\"b\":2,\"c\":1},{\"b\":1,\"c\":2,\"d\":0}]}", 0},
        {"{\"a\":[{\"b\":1}]}", 2},
        {"{\"a\":[{\"b\":3}]}", 4},
        {"{\"a\":[{\"c\":3}]}", 5},
        {"{\"a\":{\"b\":1,\"d\":1}}", 0},
    };
    ev_matcher_builder_t *b = ev_matcher_builder_new();
    ev_match_ref_t *r = ev_match_ref_new();
    ev_match_scratch_t *s = ev_match_scratch_new();
    ev_matcher_t *m;
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
        assert_int_equal(ev_matcher_builder_add(b, i, pats[i], strlen(pats[i]), NULL), EV_OK);
        assert_int_equal(ev_match_ref_add(r, i, pats[i], strlen(pats[i]), NULL), EV_OK);
    }
    m = ev_matcher_builder_finish(b);
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const uint64_t *tags;
        uint64_t *rtags;
        size_t n, rn;
        unsigned got = 0, rgot = 0;

        assert_int_equal(ev_matcher_match(m, c[i].event, strlen(c[i].event), s, &tags, &n),
                         EV_MATCH_OK);
        assert_int_equal(ev_match_ref_match(r, c[i].event, strlen(c[i].event), &rtags, &rn),
                         EV_MATCH_OK);
        for (k = 0; k < n; k++)
            got |= 1u << tags[k];
        for (k = 0; k < rn; k++)
            rgot |= 1u << rtags[k];
        free(rtags);
        if (got != c[i].want || rgot != c[i].want)
            printf("event %s: want %u compiled %u reference %u\n", c[i].event, c[i].want, got,
                   rgot);
        assert_int_equal(got, c[i].want);
        assert_int_equal(rgot, c[i].want);
    }
    ev_matcher_unref(m);
    ev_match_ref_free(r);
    ev_match_scratch_free(s);
}

static void test_bad_events(void **state)
{
    static const char *const malformed[] = {
        "", " ", "{", "{\"a\":1", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":1.}",
        "{\"a\":-}", "{\"a\":1e}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00x\"}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\x80\"}",
        "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\t\"}", "{\"a\":tru}", "{\"a\":nul}", "{} x",
        "{\"a\":9223372036854775808}", "{\"a\":-9223372036854775809}", "{\"a\":1e309}",
        "{'a':1}", "{\"a\":[1,]}", "\xef\xbb\xbf{}", "{\"a\":0.1e310}", "{\"z\":[1e999]}",
    };
    static const char *const not_object[] = {"[]", "1", "\"x\"", "null", " [1,{\"a\":2}] "};
    static const char *const fine[] = {
        "{}", " {\"a\" : [ 1 , 2 ] } ", "{\"a\":9223372036854775807}",
        "{\"a\":-9223372036854775808}", "{\"a\":1e-400}", "{\"a\":1.7976931348623157e308}",
        "{\"a\":\"\\ud83d\\ude80\"}", "{\"a\":\"\xf0\x9f\x9a\x80\"}", "{\"a\":0.0e+5}",
        "{\"a\":0e406843546}", "{\"a\":-0E+99999}", "{\"z\":[0e999]}", "{\"a\":0.001e311}",
    };
    ev_matcher_builder_t *b = ev_matcher_builder_new();
    ev_matcher_t *m;
    ev_match_scratch_t *s = ev_match_scratch_new();
    ev_match_ref_t *r = ev_match_ref_new();
    const uint64_t *tags;
    uint64_t *rt;
    size_t i, n, rn;
    char deep[2 * EV_MATCH_MAX_DEPTH + 16];
    size_t k;

    (void)state;
    assert_int_equal(ev_matcher_builder_add(b, 1, "{\"a\":[1]}", 9, NULL), EV_OK);
    assert_int_equal(ev_match_ref_add(r, 1, "{\"a\":[1]}", 9, NULL), EV_OK);
    m = ev_matcher_builder_finish(b);
    for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        ev_match_rc rc = ev_matcher_match(m, malformed[i], strlen(malformed[i]), s, &tags, &n);

        if (rc != EV_MATCH_MALFORMED)
            printf("not malformed: %s\n", malformed[i]);
        assert_int_equal(rc, EV_MATCH_MALFORMED);
        assert_int_equal(n, 0);
        assert_int_equal(ev_match_ref_match(r, malformed[i], strlen(malformed[i]), &rt, &rn),
                         EV_MATCH_MALFORMED);
    }
    for (i = 0; i < sizeof(not_object) / sizeof(not_object[0]); i++) {
        assert_int_equal(ev_matcher_match(m, not_object[i], strlen(not_object[i]), s, &tags, &n),
                         EV_MATCH_NOT_OBJECT);
        assert_int_equal(ev_match_ref_match(r, not_object[i], strlen(not_object[i]), &rt, &rn),
                         EV_MATCH_NOT_OBJECT);
    }
    for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
        assert_int_equal(ev_matcher_match(m, fine[i], strlen(fine[i]), s, &tags, &n),
                         EV_MATCH_OK);
        assert_int_equal(ev_match_ref_match(r, fine[i], strlen(fine[i]), &rt, &rn), EV_MATCH_OK);
        free(rt);
    }
    /* jansson's limit: 2048 nested containers pass, 2049 do not. */
    for (i = 0; i < 2; i++) {
        size_t d = EV_MATCH_MAX_DEPTH + i, j;

        k = 0;
        memcpy(deep, "{\"a\":", 5);
        k = 5;
        for (j = 1; j < d; j++)
            deep[k++] = '[';
        for (j = 1; j < d; j++)
            deep[k++] = ']';
        deep[k++] = '}';
        assert_int_equal(ev_matcher_match(m, deep, k, s, &tags, &n),
                         i ? EV_MATCH_MALFORMED : EV_MATCH_OK);
        assert_int_equal(ev_match_ref_match(r, deep, k, &rt, &rn),
                         i ? EV_MATCH_MALFORMED : EV_MATCH_OK);
    }
    /* A truncated event at every length is refused, never read past its end. */
    {
        const char *ev = "{\"a\":[1,{\"b\":\"x\\u00e9\"},true,null,-1.5e-3],\"c\":\"\xc3\xa9\"}";
        size_t len = strlen(ev);

        for (i = 0; i < len; i++) {
            char *cut = malloc(i + 1);

            memcpy(cut, ev, i);
            assert_int_equal(ev_matcher_match(m, cut, i, s, &tags, &n), EV_MATCH_MALFORMED);
            free(cut);
        }
        assert_int_equal(ev_matcher_match(m, ev, len, s, &tags, &n), EV_MATCH_OK);
        assert_int_equal(n, 1);
    }
    ev_match_ref_free(r);
    ev_match_scratch_free(s);
    ev_matcher_unref(m);
}

/* Many rules in one matcher: each event gets exactly the rules it matches. */
static void test_many_rules(void **state)
{
    ev_matcher_builder_t *b = ev_matcher_builder_new();
    ev_match_ref_t *r = ev_match_ref_new();
    ev_match_scratch_t *s = ev_match_scratch_new();
    ev_matcher_t *m;
    char pat[256], ev[256];
    const uint64_t *tags;
    uint64_t *rt;
    size_t n, rn, i;
    int e;

    (void)state;
    for (i = 0; i < 300; i++) {
        switch (i % 6) {
        case 0:
            snprintf(pat, sizeof(pat), "{\"source\":[\"s%zu\"]}", i % 50);
            break;
        case 1:
            snprintf(pat, sizeof(pat), "{\"detail\":{\"n\":[{\"numeric\":[\">=\",%zu,\"<\",%zu]}]}}",
                     i, i + 10);
            break;
        case 2:
            snprintf(pat, sizeof(pat), "{\"source\":[{\"prefix\":\"s%zu\"}],\"detail\":{\"k\":[%zu]}}",
                     i % 7, i % 3);
            break;
        case 3:
            snprintf(pat, sizeof(pat), "{\"detail\":{\"k\":[{\"anything-but\":[%zu]}]}}", i % 5);
            break;
        case 4:
            snprintf(pat, sizeof(pat),
                     "{\"$or\":[{\"source\":[\"s%zu\"]},{\"detail\":{\"t\":[{\"exists\":false}]}}]}",
                     i % 11);
            break;
        default:
            snprintf(pat, sizeof(pat), "{\"detail\":{\"w\":[{\"wildcard\":\"*%zu*\"}]}}", i % 13);
            break;
        }
        assert_int_equal(ev_matcher_builder_add(b, i, pat, strlen(pat), NULL), EV_OK);
        assert_int_equal(ev_match_ref_add(r, i, pat, strlen(pat), NULL), EV_OK);
    }
    m = ev_matcher_builder_finish(b);
    assert_int_equal(ev_matcher_rule_count(m), 300);
    for (e = 0; e < 200; e++) {
        uint64_t sorted[300];

        snprintf(ev, sizeof(ev),
                 "{\"source\":\"s%d\",\"detail\":{\"n\":%d,\"k\":%d,\"w\":\"x%dy\"%s}}", e % 60,
                 e * 3, e % 6, e, e % 4 ? ",\"t\":1" : "");
        assert_int_equal(ev_matcher_match(m, ev, strlen(ev), s, &tags, &n), EV_MATCH_OK);
        assert_int_equal(ev_match_ref_match(r, ev, strlen(ev), &rt, &rn), EV_MATCH_OK);
        assert_int_equal(n, rn);
        if (n)
            memcpy(sorted, tags, n * sizeof(uint64_t));
        for (i = 0; i < n; i++) {
            size_t j;

            for (j = i + 1; j < n; j++) {
                if (sorted[j] < sorted[i]) {
                    uint64_t t = sorted[i];

                    sorted[i] = sorted[j];
                    sorted[j] = t;
                }
            }
            assert_int_equal(sorted[i], rt[i]);
        }
        free(rt);
    }
    ev_match_ref_free(r);
    ev_match_scratch_free(s);
    ev_matcher_unref(m);
}

/* Several patterns under one tag: the rule matches when any does, reported once. */
static void test_shared_tag(void **state)
{
    ev_matcher_builder_t *b = ev_matcher_builder_new();
    ev_match_scratch_t *s = ev_match_scratch_new();
    ev_matcher_t *m;
    const uint64_t *tags;
    size_t n;
    const char *ev = "{\"a\":1,\"b\":2}";

    (void)state;
    assert_int_equal(ev_matcher_builder_add(b, 42, "{\"a\":[1]}", 9, NULL), EV_OK);
    assert_int_equal(ev_matcher_builder_add(b, 42, "{\"b\":[2]}", 9, NULL), EV_OK);
    assert_int_equal(ev_matcher_builder_add(b, 7, "{\"b\":[3]}", 9, NULL), EV_OK);
    assert_int_equal(ev_matcher_builder_add(b, 9, "{\"a\":1}", 7, NULL), EV_ERR_INVALID_PATTERN);
    m = ev_matcher_builder_finish(b);
    assert_int_equal(ev_matcher_rule_count(m), 2);
    assert_int_equal(ev_matcher_match(m, ev, strlen(ev), s, &tags, &n), EV_MATCH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(tags[0], 42);
    /* The scratch serves any matcher, in any order. */
    {
        ev_matcher_builder_t *b2 = ev_matcher_builder_new();
        ev_matcher_t *m2;

        assert_int_equal(ev_matcher_builder_add(b2, 5, "{\"b\":[2]}", 9, NULL), EV_OK);
        m2 = ev_matcher_builder_finish(b2);
        assert_int_equal(ev_matcher_match(m2, ev, strlen(ev), s, &tags, &n), EV_MATCH_OK);
        assert_int_equal(n, 1);
        assert_int_equal(tags[0], 5);
        assert_int_equal(ev_matcher_match(m, ev, strlen(ev), s, &tags, &n), EV_MATCH_OK);
        assert_int_equal(n, 1);
        ev_matcher_unref(m2);
    }
    /* Empty matcher. */
    ev_matcher_unref(m);
    m = ev_matcher_builder_finish(ev_matcher_builder_new());
    assert_int_equal(ev_matcher_match(m, ev, strlen(ev), s, &tags, &n), EV_MATCH_OK);
    assert_int_equal(n, 0);
    ev_matcher_unref(m);
    ev_match_scratch_free(s);
}

static void test_slot(void **state)
{
    ev_matcher_slot_t *slot = ev_matcher_slot_new();
    ev_matcher_builder_t *b = ev_matcher_builder_new();
    ev_matcher_t *m, *got;

    (void)state;
    assert_null(ev_matcher_slot_acquire(slot));
    assert_int_equal(ev_matcher_builder_add(b, 1, "{\"a\":[1]}", 9, NULL), EV_OK);
    m = ev_matcher_builder_finish(b);
    ev_matcher_slot_publish(slot, m);
    got = ev_matcher_slot_acquire(slot);
    assert_ptr_equal(got, m);
    ev_matcher_slot_publish(slot, ev_matcher_builder_finish(ev_matcher_builder_new()));
    /* `got` is still ours after the swap. */
    assert_int_equal(ev_matcher_rule_count(got), 1);
    ev_matcher_unref(got);
    ev_matcher_slot_free(slot);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_prefix_suffix),
        cmocka_unit_test(test_ignore_case),
        cmocka_unit_test(test_anything_but),
        cmocka_unit_test(test_exists),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_wildcard),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_array_consistency),
        cmocka_unit_test(test_mixed_tracking),
        cmocka_unit_test(test_bad_events),
        cmocka_unit_test(test_many_rules),
        cmocka_unit_test(test_shared_tag),
        cmocka_unit_test(test_slot),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
