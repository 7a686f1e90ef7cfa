/*
 * tests/unit/match/test_compile.c - pattern validation beyond the recorded
 * cases: each event-ruler check and Jackson parse error gives its message,
 * with the location line where AWS puts one; plus the helpers the compiler
 * relies on (numbers, wildcards, IP addresses, case folding).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>

#include "harness.h"
#include "match/match_int.h"

typedef struct {
    const char *pattern, *reason;
} ccase_t;

/* Reasons, compared up to Jackson's location line. */
static void test_reasons(void **state)
{
    static const ccase_t c[] = {
        {"{\"a\":[1]}", "OK"},
        {"{\"a\":[{\"anything-but\":{\"wildcard\":[]}}]}", "OK"},
        {"{}", "Empty objects are not allowed"},
        {"{\"a\":{}}", "Empty objects are not allowed"},
        {"", "Filter is not an object"},
        {"   ", "Filter is not an object"},
        {"5", "Filter is not an object"},
        {"\"x\"", "Filter is not an object"},
        {"{\"a\":[[1]]}", "Match value must be String, number, true, false, or null"},
        {"{\"a\":[{}]}", "Match expression name not found"},
        {"{\"a\":[{\"exactly\":1}]}", "exact match pattern must be a string"},
        {"{\"a\":[{\"prefix\":\"x\",\"suffix\":\"y\"}]}", "Only one key allowed in match expression"},
        {"{\"a\":[{\"prefix\":{}}]}", "Prefix expression name not found"},
        {"{\"a\":[{\"prefix\":{\"x\":1}}]}", "Unsupported prefix pattern: x"},
        {"{\"a\":[{\"suffix\":{\"x\":1}}]}", "Unsupported suffix pattern: x"},
        {"{\"a\":[{\"prefix\":{\"equals-ignore-case\":1}}]}",
         "equals-ignore-case match pattern must be a string"},
        {"{\"a\":[{\"numeric\":[]}]}", "Invalid member in numeric match: ]"},
        {"{\"a\":[{\"numeric\":[5]}]}", "Invalid member in numeric match: 5"},
        {"{\"a\":[{\"numeric\":[\"!\",5]}]}", "Unrecognized numeric range operator: !"},
        {"{\"a\":[{\"numeric\":[\"=\",\"5\"]}]}", "Value of equals must be numeric"},
        {"{\"a\":[{\"numeric\":[\"=\",5,6]}]}", "Too many elements in numeric expression"},
        {"{\"a\":[{\"numeric\":[\"<\",5,\">\",1]}]}", "Too many elements in numeric expression"},
        {"{\"a\":[{\"numeric\":[\">\",5,6]}]}", "Bad value in numeric range: 6"},
        {"{\"a\":[{\"numeric\":[\">\",5,\"<\",5]}]}", "Bottom must be less than top"},
        {"{\"a\":[{\"numeric\":[\">=\",5,\"<=\",5]}]}", "Bottom must be less than top"},
        {"{\"a\":[{\"numeric\":[\">\",5,\"<\",6,7]}]}", "Too many terms in numeric range expression"},
        {"{\"a\":[{\"numeric\":[\">\",1],\"x\":1}]}", "Too many elements in numeric expression"},
        {"{\"a\":[{\"numeric\":[\"=\",1e400]}]}", "Cannot compare number : 1e400"},
        {"{\"a\":[{\"numeric\":[\"<\",0.10000000000000001]}]}",
         "Cannot compare number : 0.10000000000000001"},
        {"{\"a\":[0.10000000000000001]}", "OK"},
        {"{\"a\":[{\"anything-but\":{}}]}", "Anything-But expression name not found"},
        {"{\"a\":[{\"anything-but\":{\"numeric\":[1]}}]}", "Unsupported anything-but pattern: numeric"},
        {"{\"a\":[{\"anything-but\":true}]}",
         "Value of anything-but must be an array or single string/number value."},
        {"{\"a\":[{\"anything-but\":[]}]}",
         "Inside anything but list, either all values are number or string, mixed type is not "
         "supported"},
        {"{\"a\":[{\"anything-but\":[1,\"x\"]}]}",
         "Inside anything but list, either all values are number or string, mixed type is not "
         "supported"},
        {"{\"a\":[{\"anything-but\":[{}]}]}",
         "Inside anything but list, start|null|boolean is not supported."},
        {"{\"a\":[{\"anything-but\":\"x\",\"b\":1}]}", "Too many elements in numeric expression"},
        {"{\"a\":[{\"anything-but\":{\"prefix\":\"x\",\"suffix\":\"y\"}}]}",
         "Too many elements in numeric expression"},
        {"{\"a\":[{\"anything-but\":{\"suffix\":[\"x\",\"\"]}}]}", "Null prefix/suffix not allowed"},
        {"{\"a\":[{\"anything-but\":{\"wildcard\":[\"a**\"]}}]}",
         "Consecutive wildcard characters at pos 2"},
        {"{\"a\":[{\"anything-but\":1e999}]}", "Cannot compare number : 1e999"},
        {"{\"a\":[{\"exists\":1}]}", "exists match pattern must be either true or false."},
        {"{\"a\":[{\"exists\":true,\"x\":1}]}", "Only one key allowed in match expression"},
        {"{\"a\":[{\"cidr\":\"10.0.0.0/32\"}]}", "IPv4 mask bits must be < 32"},
        {"{\"a\":[{\"cidr\":\"::/128\"}]}", "IPv6 mask bits must be < 128"},
        {"{\"a\":[{\"cidr\":\"10.0.0.0/-1\"}]}", "Malformed CIDR, mask bits must not be negative"},
        {"{\"a\":[{\"cidr\":\"10.0.0.0/x\"}]}", "Malformed CIDR, mask bits must be an integer"},
        {"{\"a\":[{\"cidr\":\"10.0.0.0/8/\"}]}", "OK"},
        {"{\"a\":[{\"cidr\":\"/8\"}]}", "Nonstandard IP address: "},
        {"{\"a\":[{\"cidr\":\"300.0.0.0/8\"}]}", "Invalid IP address: 300.0.0.0"},
        {"{\"a\":[{\"cidr\":\"a/b/c\"}]}", "Malformed CIDR, one '/' required"},
        {"{\"a\":[{\"wildcard\":\"a\\\\b\"}]}", "Invalid escape character at pos 2"},
        {"{\"a\":[{\"wildcard\":\"a\\\\\"}]}", "Invalid escape character at pos 2"},
        {"{\"a\":[{\"wildcard\":\"*a*b*c*d*\"}]}", "OK"},
        {"{\"a\":[{\"wildcard\":\"*a*a*a*a*a*a*\"}]}",
         "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
         "sequences after a wildcard character"},
        {"{\"a\":[{\"wildcard\":\"*/d/*.bif\"},{\"wildcard\":\"*/d/*.tif\"},"
         "{\"wildcard\":\"*/d/*.tiff\"},{\"wildcard\":\"*/d/*.svs\"}]}",
         "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
         "sequences after a wildcard character"},
        {"{\"a\":[{\"regexp\":\"x\"}]}", "Unrecognized match type regexp"},
        {"{\"$or\":{\"a\":[1]}}", "It must be an Array followed with $or."},
        {"{\"$or\":[{\"a\":[1]}]}", "There must have at least 2 Objects in $or relationship."},
        {"{\"$or\":[{\"a\":[1]},5]}", "Only JSON object is allowed in array of $or relationship."},
        {"{\"$or\":[{\"a\":[1]},{\"prefix\":[1]}]}",
         "prefix is Ruler reserved fieldName which cannot be used inside $or."},
        {"{\"prefix\":[1]}", "OK"},
        {"{\"$or\":[{\"a\":[1]},{}]}", "Empty objects are not allowed"},
        /* Jackson syntax errors. */
        {"{\"a\":[1,]}",
         "Unexpected character (']' (code 93)): expected a valid value (JSON String, Number, "
         "Array, Object or token 'null', 'true' or 'false')"},
        {"{\"a\":[1],}",
         "Unexpected character ('}' (code 125)): was expecting double-quote to start field name"},
        {"{\"a\":[1 2]}",
         "Unexpected character ('2' (code 50)): was expecting comma to separate Array entries"},
        {"{\"a\" [1]}",
         "Unexpected character ('[' (code 91)): was expecting a colon to separate field name and "
         "value"},
        {"{\"a\":[1]",
         "Unexpected end-of-input: expected close marker for Object (start marker at [Source: "
         "(String)\"{\"a\":[1]\"; line: 1, column: 1])"},
        {"{\"a\":[01]}", "Invalid numeric value: Leading zeroes not allowed"},
        {"{\"a\":[-x]}",
         "Unexpected character ('x' (code 120)) in numeric value: expected digit (0-9) to follow "
         "minus sign, for valid numeric value"},
        {"{\"a\":[1.x]}",
         "Unexpected character ('x' (code 120)) in numeric value: Decimal point not followed by a "
         "digit"},
        {"{\"a\":[truex]}",
         "Unrecognized token 'truex': was expecting (JSON String, Number, Array, Object or token "
         "'null', 'true' or 'false')"},
        {"{\"a\":[\"x\\q\"]}", "Unrecognized character escape 'q' (code 113)"},
        {"{\"a\":[\"x\n\"]}",
         "Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped using backslash to "
         "be included in string value"},
        {"{\"a\":[1]]", "Unexpected close marker ']': expected '}' (for Object starting at [Source: "
                        "(String)\"{\"a\":[1]]\"; line: 1, column: 1])"},
        {"{\"a\":[\"\xff\"]}", "Invalid UTF-8 start byte 0xff"},
        /* The first problem in document order wins, semantic or syntactic. */
        {"{\"a\":5, !!!", "\"a\" must be an object or an array"},
        {"{\"a\":[{\"EXISTS\":tru}]}",
         "Unrecognized token 'tru': was expecting (JSON String, Number, Array, Object or token "
         "'null', 'true' or 'false')"},
        {"{\"a\":\"bad\\q\"}", "\"a\" must be an object or an array"},
        /* Anything after the pattern object is not read. */
        {"{\"a\":[1]} trailing", "OK"},
    };
    size_t i;
    int bad = 0;

    (void)state;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const char *got = reason_of(c[i].pattern);
        const char *at = strstr(got, "\n at [Source:");
        size_t n = at ? (size_t)(at - got) : strlen(got);

        if (strlen(c[i].reason) != n || strncmp(got, c[i].reason, n) != 0) {
            printf("case %zu: %s\n  want: %s\n  got:  %s\n", i, c[i].pattern, c[i].reason, got);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* Location lines: where AWS puts them, and twice inside anything-but lists. */
static void test_locations(void **state)
{
    (void)state;
    assert_string_equal(reason_of("{\"int\": 42}"),
                        "\"int\" must be an object or an array\n at [Source: (String)\"{\"int\": "
                        "42}\"; line: 1, column: 11]");
    assert_string_equal(reason_of("{\n\"a\": [1,\n ]}"),
                        "Unexpected character (']' (code 93)): expected a valid value (JSON "
                        "String, Number, Array, Object or token 'null', 'true' or 'false')\n at "
                        "[Source: (String)\"{\n\"a\": [1,\n ]}\"; line: 3, column: 2]");
    assert_string_equal(reason_of("{\"a\":[{\"anything-but\":[\"x\",null]}]}"),
                        "Inside anything but list, start|null|boolean is not supported.\n at "
                        "[Source: (String)\"{\"a\":[{\"anything-but\":[\"x\",null]}]}\"; line: 1, "
                        "column: 32]\n at [Source: (String)\"{\"a\":[{\"anything-but\":[\"x\",null]"
                        "}]}\"; line: 1, column: 32]");
    assert_string_equal(reason_of("{\"a\":[{\"cidr\":\"x\"}]}"), "Malformed CIDR, one '/' required");
    {
        /* Jackson shows at most 500 characters of the source. */
        char big[700];

        memset(big, ' ', sizeof(big));
        big[0] = '[';
        big[sizeof(big) - 2] = ']';
        big[sizeof(big) - 1] = '\0';
        assert_non_null(strstr(reason_of(big), "\"[truncated 199 chars]; line: 1, column: 2]"));
    }
}

static void test_numbers(void **state)
{
    static const struct {
        const char *text;
        int comparable;
        double d;
    } c[] = {
        {"0", 1, 0.0},        {"-0", 1, 0.0},
        {"0.1", 1, 0.1},      {"0.10000000000000001", 0, 0},
        {"301.8", 1, 301.8},  {"3.018e2", 1, 301.8},
        {"1e400", 0, 0},      {"1e-400", 0, 0},
        {"5e-324", 0, 0}, {"4.9e-324", 1, 5e-324}, /* Java prints 4.9E-324 */
        {"37.807807921694092", 0, 0},
        {"37.80780792169409", 1, 37.80780792169409},
        {"-122.45321259140417", 1, -122.45321259140417},
        {"9007199254740993", 0, 0},
        {"1.7976931348623157e308", 1, DBL_MAX},
        {"123456789012345678901234567890", 0, 0},
        {"1E2", 1, 100.0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        double a, b;
        int fa = ev__num_classify(c[i].text, strlen(c[i].text), &a);
        int sa = ev__num_classify_slow(c[i].text, strlen(c[i].text), &b);

        if (fa != c[i].comparable || sa != c[i].comparable)
            printf("%s: fast %d slow %d want %d\n", c[i].text, fa, sa, c[i].comparable);
        assert_int_equal(fa, c[i].comparable);
        assert_int_equal(sa, c[i].comparable);
        if (fa) {
            assert_true(a == c[i].d);
            assert_true(b == c[i].d);
        }
    }
    /* Order-preserving keys. */
    assert_true(ev__num_key(-1.0) < ev__num_key(-0.5));
    assert_true(ev__num_key(-0.5) < ev__num_key(0.0));
    assert_true(ev__num_key(-0.0) == ev__num_key(0.0));
    assert_true(ev__num_key(0.0) < ev__num_key(1e-300));
    assert_true(ev__num_key(1.0) < ev__num_key(DBL_MAX));
}

/* The fast classifier agrees with the exact one on many generated numbers. */
static void test_numbers_random(void **state)
{
    unsigned long x = 88172645463325252ul;
    int i, bad = 0;

    (void)state;
    for (i = 0; i < 200000; i++) {
        char t[64];
        double d, a, b;
        int fa, sa, digits;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        d = (double)(x % 2000000000000ul) / 1e4 - 1e8;
        digits = 14 + (int)(x >> 60) % 5;
        snprintf(t, sizeof(t), "%.*g", digits, d * ((x >> 40) % 2 ? 1e-9 : 1.0));
        fa = ev__num_classify(t, strlen(t), &a);
        sa = ev__num_classify_slow(t, strlen(t), &b);
        if (fa != sa || (fa && a != b)) {
            if (bad++ < 5)
                printf("disagree on %s: fast %d slow %d\n", t, fa, sa);
        }
    }
    assert_int_equal(bad, 0);
}

static void test_wildcard_units(void **state)
{
    /* Complexity of bare patterns, as event-ruler's MachineComplexityEvaluatorTest counts them. */
    static const struct {
        const char *p[3];
        unsigned want;
    } c[] = {
        {{"*"}, 1},          {{"abc"}, 1},        {{"*ab"}, 2},          {{"*aa"}, 3},
        {{"a*b"}, 2},        {{"aa*"}, 2},        {{"a*bbb"}, 4},        {{"*ab*ad"}, 4},
        {{"a*b*bb"}, 5},     {{"ab*b*"}, 3},      {{"*", "ab*c"}, 3},    {{"a*aaa", "aa*aa"}, 7},
        {{"a*aax", "aaa*x"}, 5}, {{"ab*cd", "ab*wx", "ab*yz"}, 6}, {{"*ab*b*b*"}, 7},
        {{"*a*a*a*a*a*a*a*a*"}, 17},
    };
    size_t i;
    ev__glob_t g;

    (void)state;
    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        ev__str_t p[3];
        size_t n = 0;

        while (n < 3 && c[i].p[n]) {
            p[n].p = c[i].p[n];
            p[n].n = (uint32_t)strlen(c[i].p[n]);
            n++;
        }
        assert_int_equal(ev__wc_complexity(p, n, 100, 0), c[i].want);
    }
    /* No patterns at all (an empty anything-but wildcard list): nothing to count. */
    assert_int_equal(ev__wc_complexity(NULL, 0, 100, 1), 0);
    ev__glob_init(&g, "a\\*b*c\\\\", 8);
    assert_int_equal(g.nseg, 2);
    assert_true(ev__glob_match(&g, "a*bxyzc\\", 8));
    assert_false(ev__glob_match(&g, "axbxyzc\\", 8));
    ev__glob_free(&g);
}

static void test_ip_fold(void **state)
{
    uint8_t ip[16];
    char out[64];
    size_t n;

    (void)state;
    assert_int_equal(ev__ip_parse("10.0.0.1", 8, ip), 4);
    assert_int_equal(ev__ip_parse("10.0.0.01", 9, ip), 0);
    assert_int_equal(ev__ip_parse("1.2.3", 5, ip), 0);
    assert_int_equal(ev__ip_parse("::1", 3, ip), 16);
    assert_int_equal(ev__ip_parse("::ffff:a00:1", 12, ip), 4);
    assert_int_equal(ip[0], 10);
    assert_int_equal(ev__ip_parse("::ffff:1.2.3.4", 14, ip), 0); /* dots fail the v6 gate */
    assert_int_equal(ev__ip_parse("fe80::1%eth0", 12, ip), 0);
    n = ev__fold("AbC\xc3\x89\xce\xa3\xe2\x84\xaa", 10, out);
    assert_int_equal(n, 8);
    assert_memory_equal(out, "abc\xc3\xa9\xcf\x83k", 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_locations),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_numbers_random),
        cmocka_unit_test(test_wildcard_units),
        cmocka_unit_test(test_ip_fold),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
