/*
 * tests/unit/xform/test_xform.c - Input, InputPath and InputTransformer:
 * every AWS-validated case of conformance/localstack/test_events_inputs
 * (bodies compared as JSON where they are JSON, as text where not), every
 * row of the substitution table, PutTargets messages, JSONPath edge cases,
 * size extremes, unicode, and the JSON scanner underneath.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "xform/xform.h"
#include "xform/xform_int.h"

#define EVENT_ID "6f2ab9a4-6d8c-4f8a-9f5a-1c2d3e4f5a6b"
#define EVENT_TIME "2024-05-13T12:27:07Z"
#define INGESTION "2024-05-13T12:27:08Z"
#define RULE_ARN "arn:aws:events:us-east-1:111111111111:rule/test-bus-1/test-rule-1"
#define RULE_NAME "test-rule-1"
#define SOURCE "core.update-account-command"
#define LIMIT (1024 * 1024)

/* test_events.py TEST_EVENT_DETAIL, SPECIAL_EVENT_DETAIL; test_events_inputs.py
   EVENT_DETAIL_DUPLICATED_KEY (json.dumps spacing, as boto sent them) */
#define TEST_EVENT_DETAIL \
    "{\"command\": \"update-account\", \"payload\": {\"acc_id\": \"0a787ecb-4015\", " \
    "\"sf_id\": \"baz\"}}"
#define SPECIAL_EVENT_DETAIL \
    "{\"command\": \"update-account\", \"payload\": {\"acc_id\": \"0a787ecb-4015\", " \
    "\"sf_id\": \"baz\"}, \"listsingle\": [\"HIGH\"], \"listmulti\": [\"ACTIVE\", " \
    "\"INACTIVE\"], \"valid\": true}"
#define DUPLICATED_KEY_DETAIL \
    "{\"command\": \"update-account\", \"payload\": {\"acc_id\": \"0a787ecb-4015\", " \
    "\"payload\": {\"message\": \"baz\", \"id\": \"123\"}}}"

/* test_input_transformer_nested_keys_replacement's InputPathsMap */
#define NESTED_PATHS \
    "{\"userId\": \"$.detail.payload.acc_id\", \"payload\": \"$.detail.payload\", " \
    "\"systemstring\": \"$.detail.awsAccountId\", \"listsingle\": \"$.detail.listsingle\", " \
    "\"listmulti\": \"$.detail.listmulti\", \"valid\": \"$.detail.valid\"}"
#define NOT_VALID_PATHS \
    "{\"userId\": \"$.detail.payload.acc_id\", \"payload\": \"$.detail.payload\", " \
    "\"listsingle\": \"$.detail.listsingle\"}"
#define MATCH_ALL_PATHS \
    "{\"detail-type\": \"$.detail-type\", \"timestamp\": \"$.time\", " \
    "\"command\": \"$.detail.command\"}"
#define NOT_MATCH_ALL_PATHS \
    "{\"detail-type\": \"$.detail-type\", \"timestamp\": \"$.time\", " \
    "\"command\": \"$.detail.notinmessage\"}"

static const ev_xform_vars_t test_vars = {RULE_ARN, RULE_NAME, INGESTION};

/* ---- helpers ---------------------------------------------------------------------------- */

/* Drops blanks outside strings: PutEvents re-serialises Detail compactly. Kept separate
   from the library's own scanner on purpose; numbers keep their text. */
static char *compact(const char *s)
{
    char *o = malloc(strlen(s) + 1), *w = o;
    int in_str = 0;

    for (; *s; s++) {
        if (in_str && *s == '\\' && s[1]) {
            *w++ = *s++;
            *w++ = *s;
            continue;
        }
        if (*s == '"')
            in_str = !in_str;
        if (in_str || (*s != ' ' && *s != '\n' && *s != '\t' && *s != '\r'))
            *w++ = *s;
    }
    *w = '\0';
    return o;
}

/* The envelope of put-events.md section 5 around `detail`, returned malloc'd. */
static char *envelope(const char *detail)
{
    char *dc = compact(detail), *env;

    if (asprintf(&env,
                 "{\"version\":\"0\",\"id\":\"" EVENT_ID "\",\"detail-type\":\"" SOURCE "\","
                 "\"source\":\"" SOURCE "\",\"account\":\"111111111111\",\"time\":\""
                 EVENT_TIME "\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":%s}",
                 dc) < 0)
        abort();
    free(dc);
    return env;
}

static json_t *load(const char *text)
{
    json_error_t err;
    json_t *j;

    if (!text)
        return NULL;
    j = json_loads(text, JSON_DECODE_ANY, &err);
    if (!j)
        fail_msg("bad test JSON: %s\n%s", err.text, text);
    return j;
}

/* {"InputPathsMap": paths, "InputTemplate": template} (paths may be NULL). */
static json_t *transformer(const char *paths, const char *tmpl)
{
    json_t *it = json_object();

    if (paths)
        json_object_set_new(it, "InputPathsMap", load(paths));
    json_object_set_new(it, "InputTemplate", json_string(tmpl));
    return it;
}

static ev_xform_t *compile_ok(const char *input, const char *path, json_t *it /* takes */)
{
    ev_xform_t *x = NULL;
    char *msg = NULL;
    ev_err rc = ev_xform_compile("t1", input, path, it, &x, &msg);

    if (rc != EV_OK)
        fail_msg("compile failed (%d): %s", rc, msg ? msg : "(no message)");
    assert_null(msg);
    assert_non_null(x);
    json_decref(it);
    return x;
}

/* Applies x to env; returns the payload (malloc'd) or NULL when the event yields none. */
static char *apply(const ev_xform_t *x, const char *env, const ev_xform_vars_t *vars)
{
    ev_buf_t b;
    ev_err rc;
    char *s = NULL;

    ev_buf_init(&b, LIMIT);
    rc = ev_xform_apply(x, env, strlen(env), vars, &b);
    if (rc == EV_OK) {
        assert_int_equal(strlen(ev_buf_cstr(&b)), b.len);
        s = ev_buf_steal(&b, NULL);
    } else {
        assert_int_equal(rc, EV_ERR_VALIDATION);
        assert_int_equal(b.len, 0);
    }
    ev_buf_free(&b);
    return s;
}

/* Transformer over an event with `detail`. */
static char *xf(const char *paths, const char *tmpl, const char *detail)
{
    ev_xform_t *x = compile_ok(NULL, NULL, transformer(paths, tmpl));
    char *env = envelope(detail);
    char *out = apply(x, env, &test_vars);

    free(env);
    ev_xform_free(x);
    return out;
}

static char *ip(const char *path, const char *detail)
{
    ev_xform_t *x = compile_ok(NULL, path, NULL);
    char *env = envelope(detail);
    char *out = apply(x, env, &test_vars);

    free(env);
    ev_xform_free(x);
    return out;
}

/* Compares a JSON body by value (the recordings decode bodies, so spacing is unverified). */
static void assert_json(char *got /* freed */, const char *want)
{
    json_t *g, *w = load(want);
    json_error_t err;

    if (!got)
        fail_msg("no payload; wanted %s", want);
    g = json_loads(got, JSON_DECODE_ANY, &err);
    if (!g || !json_equal(g, w))
        fail_msg("payload differs\n  got:  %s\n  want: %s", got, want);
    json_decref(g);
    json_decref(w);
    free(got);
}

static void assert_text(char *got /* freed */, const char *want)
{
    if (!got)
        fail_msg("no payload; wanted %s", want);
    if (strcmp(got, want) != 0)
        fail_msg("payload differs\n  got:  %s\n  want: %s", got, want);
    free(got);
}

static void expect_msg(const char *input, const char *path, json_t *it /* takes */,
                       const char *want)
{
    ev_xform_t *x = (ev_xform_t *)1;
    char *msg = NULL;
    ev_err rc = ev_xform_check("t1", input, path, it, &msg);

    if (rc != EV_ERR_VALIDATION || !msg || strcmp(msg, want) != 0)
        fail_msg("check: rc %d msg '%s'\n  want '%s'", rc, msg ? msg : "(null)", want);
    free(msg);
    msg = NULL;
    rc = ev_xform_compile("t1", input, path, it, &x, &msg);
    assert_int_equal(rc, EV_ERR_VALIDATION);
    assert_null(x);
    assert_string_equal(msg, want);
    free(msg);
    json_decref(it);
}

static void expect_ok(const char *input, const char *path, json_t *it /* takes */)
{
    char *msg = NULL;
    ev_err rc = ev_xform_check("t1", input, path, it, &msg);

    if (rc != EV_OK)
        fail_msg("check failed (%d): %s", rc, msg ? msg : "(null)");
    assert_null(msg);
    json_decref(it);
}

/* ---- recorded: TestInputPath -------------------------------------------------------------- */

static void test_rec_input_path(void **state)
{
    (void)state;
    /* test_put_events_with_input_path */
    assert_json(ip("$.detail", TEST_EVENT_DETAIL),
                "{\"command\":\"update-account\",\"payload\":{\"acc_id\":\"0a787ecb-4015\","
                "\"sf_id\":\"baz\"}}");
    /* compact, event key order */
    assert_text(ip("$.detail", TEST_EVENT_DETAIL),
                "{\"command\":\"update-account\",\"payload\":{\"acc_id\":\"0a787ecb-4015\","
                "\"sf_id\":\"baz\"}}");
}

static void test_rec_input_path_nested(void **state)
{
    (void)state;
    /* test_put_events_with_input_path_nested[event_detail0] */
    assert_json(ip("$.detail.payload", TEST_EVENT_DETAIL),
                "{\"acc_id\":\"0a787ecb-4015\",\"sf_id\":\"baz\"}");
    /* [event_detail1] */
    assert_json(ip("$.detail.payload", DUPLICATED_KEY_DETAIL),
                "{\"acc_id\":\"0a787ecb-4015\",\"payload\":{\"message\":\"baz\",\"id\":\"123\"}}");
}

static void test_rec_input_path_max_level_depth(void **state)
{
    (void)state;
    /* a selected string keeps its quotes: SQS Body "\"baz\"" */
    assert_text(ip("$.detail.payload.sf_id", TEST_EVENT_DETAIL), "\"baz\"");
}

static void test_rec_input_path_multiple_targets(void **state)
{
    ev_xform_t *t1 = compile_ok(NULL, "$.detail", NULL);
    ev_xform_t *t2 = compile_ok(NULL, NULL, NULL);
    char *env = envelope(TEST_EVENT_DETAIL);

    (void)state;
    assert_int_equal(ev_xform_kind(t1), EV_XFORM_INPUT_PATH);
    assert_int_equal(ev_xform_kind(t2), EV_XFORM_EVENT);
    assert_json(apply(t1, env, &test_vars),
                "{\"command\":\"update-account\",\"payload\":{\"acc_id\":\"0a787ecb-4015\","
                "\"sf_id\":\"baz\"}}");
    assert_json(apply(t2, env, &test_vars),
                "{\"version\":\"0\",\"id\":\"" EVENT_ID "\",\"detail-type\":\"" SOURCE "\","
                "\"source\":\"" SOURCE "\",\"account\":\"111111111111\",\"time\":\"" EVENT_TIME
                "\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":{\"command\":"
                "\"update-account\",\"payload\":{\"acc_id\":\"0a787ecb-4015\","
                "\"sf_id\":\"baz\"}}}");
    /* no transformation: the envelope byte for byte */
    assert_text(apply(t2, env, &test_vars), env);
    free(env);
    ev_xform_free(t1);
    ev_xform_free(t2);
}

/* ---- recorded: TestInputTransformer --------------------------------------------------------- */

static void test_rec_template_string(void **state)
{
    static const char *const tmpl =
        "\"Event of <detail-type> type, at time <timestamp>, info extracted from detail "
        "<command>\"";
    static const char *const tmpl2 =
        "\"{[/Check with special starting characters for event of <detail-type> type\"";

    (void)state;
    assert_text(xf(MATCH_ALL_PATHS, tmpl, TEST_EVENT_DETAIL),
                "\"Event of core.update-account-command type, at time " EVENT_TIME
                ", info extracted from detail update-account\"");
    assert_text(xf(NOT_MATCH_ALL_PATHS, tmpl, TEST_EVENT_DETAIL),
                "\"Event of core.update-account-command type, at time " EVENT_TIME
                ", info extracted from detail \"");
    assert_text(xf(MATCH_ALL_PATHS, tmpl2, TEST_EVENT_DETAIL),
                "\"{[/Check with special starting characters for event of "
                "core.update-account-command type\"");
    assert_text(xf(NOT_MATCH_ALL_PATHS, tmpl2, TEST_EVENT_DETAIL),
                "\"{[/Check with special starting characters for event of "
                "core.update-account-command type\"");
}

static void test_rec_template_json(void **state)
{
    static const char *const tmpl =
        "{\"detailType\": <detail-type>,  \"time\": <timestamp>, \"command\": <command>}";

    (void)state;
    assert_json(xf(MATCH_ALL_PATHS, tmpl, TEST_EVENT_DETAIL),
                "{\"detailType\":\"core.update-account-command\",\"time\":\"" EVENT_TIME
                "\",\"command\":\"update-account\"}");
    assert_json(xf(NOT_MATCH_ALL_PATHS, tmpl, TEST_EVENT_DETAIL),
                "{\"detailType\":\"core.update-account-command\",\"time\":\"" EVENT_TIME
                "\",\"command\":\"\"}");
    /* JSON output goes out minified */
    assert_text(xf(NOT_MATCH_ALL_PATHS, tmpl, TEST_EVENT_DETAIL),
                "{\"detailType\":\"core.update-account-command\",\"time\":\"" EVENT_TIME
                "\",\"command\":\"\"}");
}

static void test_rec_missing_keys(void **state)
{
    (void)state;
    expect_msg(NULL, NULL,
               transformer(MATCH_ALL_PATHS,
                           "\"Event of <detail-type> type, with not defined key "
                           "<notdefinedkey>\""),
               "InputTemplate for target t1 contains invalid placeholder notdefinedkey.");
}

static void test_rec_predefined_string(void **state)
{
    (void)state;
    assert_text(xf(NULL,
                   "\"Message containing all pre defined variables <aws.events.rule-arn> "
                   "<aws.events.rule-name> <aws.events.event.ingestion-time>\"",
                   TEST_EVENT_DETAIL),
                "\"Message containing all pre defined variables " RULE_ARN " " RULE_NAME
                " " INGESTION "\"");
}

static void test_rec_predefined_json(void **state)
{
    static const char *const original_event =
        "{\"id\":\"" EVENT_ID "\",\"account\":\"111111111111\",\"detailType\":\"" SOURCE
        "\",\"time\":\"" INGESTION "\",\"source\":\"" SOURCE "\",\"region\":\"us-east-1\","
        "\"resources\":[],\"version\":\"0\"}";
    char *env = envelope(TEST_EVENT_DETAIL);
    char *want;

    (void)state;
    if (asprintf(&want, "{\"originalEvent\":%s,\"originalEventJson\":%s}", original_event,
                 env) < 0)
        abort();
    assert_json(xf(NULL,
                   "{\"originalEvent\": <aws.events.event>, \"originalEventJson\": "
                   "<aws.events.event.json>}",
                   TEST_EVENT_DETAIL),
                want);
    /* the recorded key order of <aws.events.event>, byte for byte */
    assert_text(xf(NULL,
                   "{\"originalEvent\": <aws.events.event>, \"originalEventJson\": "
                   "<aws.events.event.json>}",
                   TEST_EVENT_DETAIL),
                want);
    free(want);
    free(env);
}

static void test_rec_input_path_and_transformer(void **state)
{
    (void)state;
    expect_msg(NULL, "$.detail",
               transformer(MATCH_ALL_PATHS,
                           "{\"detailType\": <detail-type>,  \"time\": <timestamp>, "
                           "\"command\": <command>}"),
               "Only one of Input, InputPath, or InputTransformer must be provided for "
               "target t1.");
}

/* test_input_transformer_nested_keys_replacement[...]: every AWS-validated parameter. Those
   marked "derived" have a validation entry but no recording (an earlier parameter list);
   their bodies follow from the recorded ones. */
static const struct {
    const char *tmpl;
    const char *body;
    int json; /* compare as JSON */
} nested_cases[] = {
    {"{\"method\": \"PUT\", \"path\": \"users-service/users/<userId>\", \"bod\": <payload>}",
     "{\"method\":\"PUT\",\"path\":\"users-service/users/0a787ecb-4015\",\"bod\":{\"acc_id\":"
     "\"0a787ecb-4015\",\"sf_id\":\"baz\"}}", 1},
    {"\"Payload of <payload> with path users-service/users/<userId> and <userId>\"",
     "\"Payload of {acc_id:0a787ecb-4015,sf_id:baz} with path users-service/users/"
     "0a787ecb-4015 and 0a787ecb-4015\"", 0},
    /* derived */
    {"\"Payload of <payload> with path users-service/users/<userId>\"",
     "\"Payload of {acc_id:0a787ecb-4015,sf_id:baz} with path users-service/users/"
     "0a787ecb-4015\"", 0},
    {"{\"id\" : <userId>}", "{\"id\":\"0a787ecb-4015\"}", 1},
    /* derived */
    {"{\"id\": <userId>}", "{\"id\":\"0a787ecb-4015\"}", 1},
    {"{\"id\" : \"<userId>\"}", "{\"id\":\"0a787ecb-4015\"}", 1},
    {"{\"method\": \"PUT\", \"path\": \"users-service/users/<userId>\", \"id\": <userId>, "
     "\"body\": <payload>}",
     "{\"method\":\"PUT\",\"path\":\"users-service/users/0a787ecb-4015\",\"id\":"
     "\"0a787ecb-4015\",\"body\":{\"acc_id\":\"0a787ecb-4015\",\"sf_id\":\"baz\"}}", 1},
    /* derived */
    {"{\"method\": \"PUT\", \"path\": \"users-service/users/<userId>\", \"id\": \"<userId>\", "
     "\"body\": <payload>}",
     "{\"method\":\"PUT\",\"path\":\"users-service/users/0a787ecb-4015\",\"id\":"
     "\"0a787ecb-4015\",\"body\":{\"acc_id\":\"0a787ecb-4015\",\"sf_id\":\"baz\"}}", 1},
    /* derived */
    {"{\"method\": \"PUT\", \"path\": \"users-service/users/<userId>\", \"bod\": \"<userId>\"}",
     "{\"method\":\"PUT\",\"path\":\"users-service/users/0a787ecb-4015\",\"bod\":"
     "\"0a787ecb-4015\"}", 1},
    {"{\"method\": \"PUT\", \"path\": \"users-service/users/<userId>\", \"bod\": [<userId>, "
     "\"hardcoded\"]}",
     "{\"method\":\"PUT\",\"path\":\"users-service/users/0a787ecb-4015\",\"bod\":"
     "[\"0a787ecb-4015\",\"hardcoded\"]}", 1},
    {"{\"method\": \"PUT\", \"nested\": {\"level1\": {\"level2\": {\"level3\": "
     "\"users-service/users/<userId>\"} } }, \"bod\": \"<userId>\"}",
     "{\"method\":\"PUT\",\"nested\":{\"level1\":{\"level2\":{\"level3\":"
     "\"users-service/users/0a787ecb-4015\"}}},\"bod\":\"0a787ecb-4015\"}", 1},
    {"\"<listsingle> single list item\"\n\"<listmulti> multiple list items\"\n"
     "\"<systemstring> system account id\"\n\"<payload> payload\"\n\"<userId> user id\"",
     "\"[HIGH] single list item\"\n\"[ACTIVE,INACTIVE] multiple list items\"\n"
     "\" system account id\"\n\"{acc_id:0a787ecb-4015,sf_id:baz} payload\"\n"
     "\"0a787ecb-4015 user id\"", 0},
    {"\"<listsingle> single list item\"", "\"[HIGH] single list item\"", 0},
    {"\"<listmulti> multiple list items\"", "\"[ACTIVE,INACTIVE] multiple list items\"", 0},
    {"{\"singlelistitem\": <listsingle>}", "{\"singlelistitem\":[\"HIGH\"]}", 1},
    {"\"<listsingle> single list item <listmulti> multiple list items <systemstring> system "
     "account id <payload> payload <userId> user id\"",
     "\"[HIGH] single list item [ACTIVE,INACTIVE] multiple list items  system account id "
     "{acc_id:0a787ecb-4015,sf_id:baz} payload 0a787ecb-4015 user id\"", 0},
    {"{\"multi_replacement\": \"users/<userId>/second/<userId>\"}",
     "{\"multi_replacement\":\"users/0a787ecb-4015/second/0a787ecb-4015\"}", 1},
    {"\"Command is <valid>!\"", "\"Command is true!\"", 0},
};

static void test_rec_nested_keys_replacement(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(nested_cases) / sizeof(nested_cases[0]); i++) {
        char *got = xf(NESTED_PATHS, nested_cases[i].tmpl, SPECIAL_EVENT_DETAIL);

        if (nested_cases[i].json)
            assert_json(got, nested_cases[i].body);
        else
            assert_text(got, nested_cases[i].body);
    }
}

static void test_rec_nested_keys_replacement_not_valid(void **state)
{
    static const char *const tmpls[] = {
        "{\"not_valid\": \"users-service/users/<payload>\", \"bod\": <payload>}",
        "{\"payload\": \"<payload>\"}",
        "{\"singlelistitem\": \"<listsingle>\"}",
    };

    (void)state;
    /* PutTargets accepts them; AWS then delivers nothing */
    for (size_t i = 0; i < 3; i++) {
        expect_ok(NULL, NULL, transformer(NOT_VALID_PATHS, tmpls[i]));
        assert_null(xf(NOT_VALID_PATHS, tmpls[i], SPECIAL_EVENT_DETAIL));
    }
}

/* ---- substitution table (input-transformer.md 2.2) ---------------------------------------- */

#define TABLE_DETAIL \
    "{\"s\": \"0a787ecb-4015\", \"o\": {\"k\": \"v\", \"k2\": \"v2\"}, \"a\": [\"A\", \"B\"], " \
    "\"t\": true, \"f\": false, \"z\": null, \"i\": 42, \"d\": -1.50e+3, " \
    "\"big\": 123456789012345678901234567890, \"q\": \"say \\\"hi\\\"\", " \
    "\"nest\": {\"x\": [1, {\"y\": \"Y\"}], \"e\": {}}, \"ea\": []}"
#define TABLE_PATHS \
    "{\"s\": \"$.detail.s\", \"o\": \"$.detail.o\", \"a\": \"$.detail.a\", " \
    "\"t\": \"$.detail.t\", \"f\": \"$.detail.f\", \"z\": \"$.detail.z\", " \
    "\"i\": \"$.detail.i\", \"d\": \"$.detail.d\", \"big\": \"$.detail.big\", " \
    "\"q\": \"$.detail.q\", \"nest\": \"$.detail.nest\", \"ea\": \"$.detail.ea\", " \
    "\"m\": \"$.detail.missing\"}"

static char *table(const char *tmpl)
{
    return xf(TABLE_PATHS, tmpl, TABLE_DETAIL);
}

static void test_table_value_position(void **state)
{
    (void)state;
    assert_text(table("{\"v\": <s>}"), "{\"v\":\"0a787ecb-4015\"}");
    assert_text(table("{\"v\": <o>}"), "{\"v\":{\"k\":\"v\",\"k2\":\"v2\"}}");
    assert_text(table("{\"v\": <a>}"), "{\"v\":[\"A\",\"B\"]}");
    assert_text(table("{\"v\": <m>}"), "{\"v\":\"\"}");
    assert_text(table("{\"v\": <t>, \"w\": <f>, \"n\": <z>}"),
                "{\"v\":true,\"w\":false,\"n\":null}");
    /* numbers keep the event's exact text, big ones included */
    assert_text(table("{\"i\": <i>, \"d\": <d>, \"big\": <big>}"),
                "{\"i\":42,\"d\":-1.50e+3,\"big\":123456789012345678901234567890}");
    /* a string with quotes stays escaped in value position */
    assert_text(table("{\"v\": <q>}"), "{\"v\":\"say \\\"hi\\\"\"}");
    assert_text(table("{\"v\": <nest>, \"w\": <ea>}"),
                "{\"v\":{\"x\":[1,{\"y\":\"Y\"}],\"e\":{}},\"w\":[]}");
    /* JSON template that is an array */
    assert_text(table("[<s>, <i>, <m>]"), "[\"0a787ecb-4015\",42,\"\"]");
    /* value position in a text template: JSON text too */
    assert_text(table("\"a\" <s> <o> <m>"),
                "\"a\" \"0a787ecb-4015\" {\"k\":\"v\",\"k2\":\"v2\"} \"\"");
}

static void test_table_inside_string(void **state)
{
    (void)state;
    /* text template: strings raw, objects {k:v}, arrays [A,B], scalars as text */
    assert_text(table("\"<s>|<o>|<a>|<t>|<f>|<z>|<i>|<d>|<m>|<nest>|<ea>\""),
                "\"0a787ecb-4015|{k:v,k2:v2}|[A,B]|true|false|null|42|-1.50e+3||"
                "{x:[1,{y:Y}],e:{}}|[]\"");
    /* not escaped: a quote in the value goes out as is */
    assert_text(table("\"<q>\""), "\"say \"hi\"\"");
    /* JSON template: scalars fine inside strings */
    assert_text(table("{\"v\": \"<s>/<t>/<i>/<z>/<m>\"}"),
                "{\"v\":\"0a787ecb-4015/true/42/null/\"}");
    /* JSON template: an object or string array inside a string is invalid JSON -> dropped */
    assert_null(table("{\"v\": \"<o>\"}"));
    assert_null(table("{\"v\": \"<a>\"}"));
    /* ... and so is an unescaped quote from the event */
    assert_null(table("{\"v\": \"<q>\"}"));
    /* empty containers and number arrays stay valid JSON text */
    assert_text(table("{\"v\": \"<ea>\"}"), "{\"v\":\"[]\"}");
    /* escaped quotes in the template are kept */
    assert_text(table("{\"v\": \"id \\\"<s>\\\" ok\"}"),
                "{\"v\":\"id \\\"0a787ecb-4015\\\" ok\"}");
}

static void test_table_quoted_and_text_templates(void **state)
{
    (void)state;
    /* a quoted-string template keeps its quotes */
    assert_text(table("\"just text\""), "\"just text\"");
    /* not JSON at all: substituted textually, no validation, no minifying */
    assert_text(table("plain <s>  text \"<s>\""),
                "plain \"0a787ecb-4015\"  text \"0a787ecb-4015\"");
    assert_text(table("<o>"), "{\"k\":\"v\",\"k2\":\"v2\"}");
    assert_text(table("no placeholders < here > <> <a b> <$.detail.s>"),
                "no placeholders < here > <> <a b> <$.detail.s>");
    /* several placeholders and repeats in one string */
    assert_text(table("\"<s><s> <i><i>\""), "\"0a787ecb-40150a787ecb-4015 4242\"");
    /* JSON templates are minified but strings keep their blanks */
    assert_text(table("{ \"a\" : [ 1 , 2 ] ,\n\t\"b\" : \" x  y \" }"),
                "{\"a\":[1,2],\"b\":\" x  y \"}");
    /* a JSON template that is not valid JSON never delivers */
    assert_null(table("{\"a\": <s>"));
    assert_null(table("{\"a\": <s>} trailing"));
}

static void test_predefined_variables(void **state)
{
    ev_xform_t *x;
    char *env = envelope(TEST_EVENT_DETAIL);

    (void)state;
    assert_text(xf(NULL, "{\"arn\": <aws.events.rule-arn>, \"name\": <aws.events.rule-name>, "
                         "\"t\": <aws.events.event.ingestion-time>}", "{}"),
                "{\"arn\":\"" RULE_ARN "\",\"name\":\"" RULE_NAME "\",\"t\":\"" INGESTION "\"}");
    /* without an ingestion time: the event's time */
    x = compile_ok(NULL, NULL,
                   transformer(NULL, "{\"t\": <aws.events.event.ingestion-time>, "
                                     "\"e\": <aws.events.event>}"));
    {
        ev_xform_vars_t v = {RULE_ARN, NULL, NULL};

        assert_text(apply(x, env, &v),
                    "{\"t\":\"" EVENT_TIME "\",\"e\":{\"id\":\"" EVENT_ID "\",\"account\":"
                    "\"111111111111\",\"detailType\":\"" SOURCE "\",\"time\":\"" EVENT_TIME
                    "\",\"source\":\"" SOURCE "\",\"region\":\"us-east-1\",\"resources\":[],"
                    "\"version\":\"0\"}}");
    }
    ev_xform_free(x);
    /* vars NULL: rule name and ARN are missing values */
    x = compile_ok(NULL, NULL,
                   transformer(NULL, "{\"a\": <aws.events.rule-arn>, \"b\": \"x<aws.events."
                                     "rule-name>y\"}"));
    assert_text(apply(x, env, NULL), "{\"a\":\"\",\"b\":\"xy\"}");
    ev_xform_free(x);
    /* predefined strings are escaped in value position, raw inside strings */
    x = compile_ok(NULL, NULL,
                   transformer(NULL, "\"<aws.events.rule-name>\" <aws.events.rule-name>"));
    {
        ev_xform_vars_t v = {NULL, "a\"b\\c\n", NULL};

        assert_text(apply(x, env, &v), "\"a\"b\\c\n\" \"a\\\"b\\\\c\\n\"");
    }
    ev_xform_free(x);
    /* rule-only templates never read the event */
    x = compile_ok(NULL, NULL, transformer(NULL, "\"<aws.events.rule-name>\""));
    assert_text(apply(x, "not json", &test_vars), "\"" RULE_NAME "\"");
    ev_xform_free(x);
    /* extra envelope members follow the standard ones in <aws.events.event> */
    x = compile_ok(NULL, NULL, transformer(NULL, "<aws.events.event>"));
    assert_text(apply(x, "{\"version\":\"0\",\"replay-name\":\"r1\",\"detail\":{},\"id\":\"i\"}",
                      &test_vars),
                "{\"id\":\"i\",\"time\":\"" INGESTION "\",\"version\":\"0\",\"replay-name\":"
                "\"r1\"}");
    ev_xform_free(x);
    free(env);
}

/* ---- Input and InputPath ----------------------------------------------------------------- */

static void test_input_exact(void **state)
{
    static const char *const inputs[] = {
        "{\"a\": 1,  \"b\" : [ 1.0 ] }", "\"just a string\"", "42", "  [ ]  ", "null",
        "{\"u\":\"\\u00e9\\ud83d\\ude00\"}",
    };
    char *env = envelope(TEST_EVENT_DETAIL);

    (void)state;
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        ev_xform_t *x = compile_ok(inputs[i], NULL, NULL);

        assert_int_equal(ev_xform_kind(x), EV_XFORM_INPUT);
        /* exactly the Input string, whatever the event */
        assert_text(apply(x, env, &test_vars), inputs[i]);
        assert_text(apply(x, "garbage", NULL), inputs[i]);
        ev_xform_free(x);
    }
    free(env);
}

static void test_input_path_values(void **state)
{
    (void)state;
    assert_text(ip("$", "{\"a\": 1}"),
                "{\"version\":\"0\",\"id\":\"" EVENT_ID "\",\"detail-type\":\"" SOURCE "\","
                "\"source\":\"" SOURCE "\",\"account\":\"111111111111\",\"time\":\"" EVENT_TIME
                "\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":{\"a\":1}}");
    assert_text(ip("$.detail-type", "{}"), "\"" SOURCE "\"");
    assert_text(ip("$['detail-type']", "{}"), "\"" SOURCE "\"");
    assert_text(ip("$[\"detail\"][\"a\"]", "{\"a\": 1.0}"), "1.0");
    assert_text(ip("$.resources", "{}"), "[]");
    assert_text(ip("$.detail.n", "{\"n\": 1E+2}"), "1E+2");
    assert_text(ip("$.detail.n", "{\"n\": 123456789012345678901234567890.000}"),
                "123456789012345678901234567890.000");
    assert_text(ip("$.detail.n", "{\"n\": null}"), "null");
    assert_text(ip("$.detail.n", "{\"n\": false}"), "false");
    /* a string token goes out exactly as the envelope spelled it */
    assert_text(ip("$.detail.s", "{\"s\": \"\\u00e9\\n\"}"), "\"\\u00e9\\n\"");
    /* missing: no payload (the target is skipped) */
    assert_null(ip("$.detail.missing", "{}"));
    assert_null(ip("$.detail.a.b", "{\"a\": 1}"));
}

static void test_input_path_compact_preserves_text(void **state)
{
    ev_xform_t *x = compile_ok(NULL, "$.detail", NULL);

    (void)state;
    /* a hand-written envelope with blanks and odd but valid number text */
    assert_text(apply(x,
                      " { \"detail\" : { \"n\" : [ 1.10 , -0 , 1e-7 , 9007199254740993 ] ,"
                      " \"s\" : \"a b\\/\" } } ",
                      NULL),
                "{\"n\":[1.10,-0,1e-7,9007199254740993],\"s\":\"a b\\/\"}");
    ev_xform_free(x);
}

/* ---- PutTargets messages ------------------------------------------------------------------ */

static void test_msg_only_one(void **state)
{
    static const char *const want =
        "Only one of Input, InputPath, or InputTransformer must be provided for target t1.";

    (void)state;
    expect_msg("{}", "$.detail", NULL, want);
    expect_msg("{}", NULL, transformer(NULL, "\"x\""), want);
    expect_msg(NULL, "$", transformer(NULL, "\"x\""), want);
    expect_msg("{}", "$", transformer(NULL, "\"x\""), want);
    /* checked before the values themselves */
    expect_msg("not json", "not a path", NULL, want);
    /* "" and JSON null mean not given */
    expect_ok("", "$.detail", NULL);
    expect_ok("{}", "", json_null());
    expect_ok(NULL, NULL, NULL);
}

static void test_msg_input_json(void **state)
{
    static const char *const want = "Input for target t1 is not a valid JSON text.";
    static const char *const bad[] = {
        "{", "abc", "{\"a\":1} x", "{'a':1}", "[1,]", "01", "\"\\x\"", "tru", "{\"a\" 1}",
        "\"\\ud800\"", "\"\xff\"", "1.", "-", "[1 2]", "{\"a\":1,}",
    };
    static const char *const good[] = {
        "{\"a\":1}", "\"s\"", "0", "-1.5e-3", "true", "null", " [ {} , [] ] ", "\"\\u0000\"",
        "123456789012345678901234567890", "\"\xf0\x9f\x98\x80\"",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_msg(bad[i], NULL, NULL, want);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        expect_ok(good[i], NULL, NULL);
}

static void test_msg_input_path(void **state)
{
    static const char *const want = "InputPath for target t1 is invalid.";
    static const char *const bad[] = {
        "detail", "$.", "$..a", "$.a.", "$.a[", "$.a[x]", "$.a[]", "$[?(@.a)]", "$.a[0:2]",
        "$ ", " $", "$a", "$.a[0", "$['a'", "$['a]", "$.a[1,2]", "$['a','b']", "$.a]",
        "$.a\tb",
    };
    static const char *const good[] = {
        "$", "$.detail", "$.detail.a.b", "$['detail']", "$[\"a b\"]", "$.a[0]", "$.a[-1]",
        "$.a.*", "$.a[*].b", "$.detail-type", "$.a_b.c-d.e/f", "$['a.b']", "$['it\\'s']",
        "$.a[00]", "$[0]", "$.*", "$.a b",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_msg(NULL, bad[i], NULL, want);
        /* the same rule and message for InputPathsMap values */
        {
            json_t *it = transformer("{}", "\"<k>\"");

            json_object_set_new(json_object_get(it, "InputPathsMap"), "k", json_string(bad[i]));
            expect_msg(NULL, NULL, it, want);
        }
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        expect_ok(NULL, good[i], NULL);
}

static void test_msg_transformer(void **state)
{
    (void)state;
    expect_msg(NULL, NULL, transformer("{\"AWS.x\": \"$.detail\"}", "\"x\""),
               "InputPathsMap for target t1 contains reserved key AWS.x.");
    expect_msg(NULL, NULL, transformer("{\"aws.events.rule-arn\": \"$.detail\"}", "\"x\""),
               "InputPathsMap for target t1 contains reserved key aws.events.rule-arn.");
    expect_msg(NULL, NULL, transformer("{\"a b\": \"$.detail\"}", "\"x\""),
               "InputPathsMap for target t1 contains invalid key a b.");
    expect_msg(NULL, NULL, transformer("{\"\": \"$.detail\"}", "\"x\""),
               "InputPathsMap for target t1 contains invalid key .");
    expect_msg(NULL, NULL, transformer("{\"k\": 1}", "\"x\""),
               "InputPath for target t1 is invalid.");
    /* the first undefined placeholder is named; predefined names need no map */
    expect_msg(NULL, NULL, transformer("{\"a\": \"$\"}", "\"<a> <b> <c>\""),
               "InputTemplate for target t1 contains invalid placeholder b.");
    expect_msg(NULL, NULL, transformer(NULL, "<aws.events.event.jsonx>"),
               "InputTemplate for target t1 contains invalid placeholder aws.events.event.jsonx.");
    expect_msg(NULL, NULL, transformer(NULL, "{\"a\": <A>}"),
               "InputTemplate for target t1 contains invalid placeholder A.");
    expect_ok(NULL, NULL,
              transformer(NULL, "<aws.events.rule-arn><aws.events.rule-name>"
                                "<aws.events.event.ingestion-time><aws.events.event>"
                                "<aws.events.event.json>"));
    /* unused map entries are still checked */
    expect_msg(NULL, NULL, transformer("{\"unused\": \"nope\"}", "\"x\""),
               "InputPath for target t1 is invalid.");
    /* malformed structures (normally refused earlier by model validation) */
    expect_msg(NULL, NULL, json_string("x"), "InputTransformer for target t1 is not valid.");
    {
        json_t *it = json_object();

        json_object_set_new(it, "InputPathsMap", json_object());
        expect_msg(NULL, NULL, it, "InputTemplate for target t1 must be specified.");
    }
    {
        json_t *it = transformer(NULL, "\"x\"");

        json_object_set_new(it, "InputPathsMap", json_array());
        expect_msg(NULL, NULL, it, "InputPathsMap for target t1 is not valid.");
    }
    /* a NULL target id prints as empty rather than crashing */
    {
        char *msg = NULL;

        assert_int_equal(ev_xform_check(NULL, "x", NULL, NULL, &msg), EV_ERR_VALIDATION);
        assert_string_equal(msg, "Input for target  is not a valid JSON text.");
        free(msg);
    }
}

/* ---- JSONPath edge cases ------------------------------------------------------------------ */

#define EDGE_DETAIL \
    "{\"arr\": [10, {\"id\": \"x\"}, [1, 2], \"last\"], \"obj\": {\"a\": 1, \"b\": {\"id\": " \
    "\"y\"}}, \"ab\": \"plain\", \"a\\u0062c\": \"escaped key\", \"dup\": 1, \"dup\": 2, " \
    "\"a.b\": \"dotted\", \"e\": [], \"items\": [{\"id\": 1}, {\"no\": 2}, {\"id\": 3}]}"

static void test_path_edges(void **state)
{
    (void)state;
    assert_text(ip("$.detail.arr[0]", EDGE_DETAIL), "10");
    assert_text(ip("$.detail.arr[1].id", EDGE_DETAIL), "\"x\"");
    assert_text(ip("$.detail.arr[2][1]", EDGE_DETAIL), "2");
    assert_text(ip("$.detail.arr[-1]", EDGE_DETAIL), "\"last\"");
    assert_text(ip("$.detail.arr[-4]", EDGE_DETAIL), "10");
    assert_null(ip("$.detail.arr[-5]", EDGE_DETAIL));
    assert_null(ip("$.detail.arr[4]", EDGE_DETAIL));
    assert_null(ip("$.detail.arr[99999999999999999999999]", EDGE_DETAIL));
    assert_null(ip("$.detail.arr.id", EDGE_DETAIL));  /* name on an array */
    assert_null(ip("$.detail.obj[0]", EDGE_DETAIL));  /* index on an object */
    assert_null(ip("$.detail.ab.x", EDGE_DETAIL));    /* step into a string */
    assert_null(ip("$.detail.e[0]", EDGE_DETAIL));
    assert_text(ip("$.detail.abc", EDGE_DETAIL), "\"escaped key\"");
    assert_text(ip("$.detail.dup", EDGE_DETAIL), "2"); /* last one wins, like jansson */
    assert_text(ip("$.detail['a.b']", EDGE_DETAIL), "\"dotted\"");
    assert_null(ip("$.detail.a.b", EDGE_DETAIL));
    /* wildcards collect every match into an array */
    assert_text(ip("$.detail.items[*].id", EDGE_DETAIL), "[1,3]");
    assert_text(ip("$.detail.obj.*", EDGE_DETAIL), "[1,{\"id\":\"y\"}]");
    assert_text(ip("$.detail.arr[*]", EDGE_DETAIL), "[10,{\"id\":\"x\"},[1,2],\"last\"]");
    assert_text(ip("$.detail.e[*]", EDGE_DETAIL), "[]");
    assert_text(ip("$.detail.ab.*", EDGE_DETAIL), "[]");
    assert_text(ip("$.detail.*.id", EDGE_DETAIL), "[]");
    assert_text(ip("$.detail.*[1].id", EDGE_DETAIL), "[\"x\"]");
    /* wildcards in a transformer, in both contexts */
    assert_text(xf("{\"ids\": \"$.detail.items[*].id\"}", "{\"v\": <ids>, \"s\": \"<ids>\"}",
                   EDGE_DETAIL),
                "{\"v\":[1,3],\"s\":\"[1,3]\"}");
    assert_text(xf("{\"ids\": \"$.detail.arr[*]\"}", "\"<ids>\"", EDGE_DETAIL),
                "\"[10,{id:x},[1,2],last]\"");
}

static void test_path_deep(void **state)
{
    enum { DEPTH = 150 };
    char *detail = malloc(DEPTH * 6 + 16), *path = malloc(DEPTH * 2 + 16);
    char *w = detail, *pw = path;

    (void)state;
    for (int i = 0; i < DEPTH; i++)
        w += sprintf(w, "{\"a\":");
    w += sprintf(w, "\"bottom\"");
    for (int i = 0; i < DEPTH; i++)
        *w++ = '}';
    *w = '\0';
    pw += sprintf(pw, "$.detail");
    for (int i = 0; i < DEPTH; i++)
        pw += sprintf(pw, ".a");
    assert_text(ip(path, detail), "\"bottom\"");
    /* one level deeper does not exist */
    strcat(path, ".a");
    assert_null(ip(path, detail));
    /* the same through a transformer */
    path[strlen(path) - 2] = '\0';
    {
        char *paths;

        if (asprintf(&paths, "{\"deep\": \"%s\"}", path) < 0)
            abort();
        assert_text(xf(paths, "{\"v\": <deep>, \"s\": \"<deep>!\"}", detail),
                    "{\"v\":\"bottom\",\"s\":\"bottom!\"}");
        free(paths);
    }
    /* a whole 149-level object in value position comes back compact and intact */
    {
        char *got = ip("$.detail", detail);

        assert_string_equal(got, detail);
        free(got);
    }
    free(detail);
    free(path);
}

/* {"detail":[[...]]} with `arrays` nested arrays (nesting arrays + 1). */
static char *nested_envelope(int arrays)
{
    char *env = malloc(2 * (size_t)arrays + 16);
    size_t k = (size_t)sprintf(env, "{\"detail\":");

    for (int i = 0; i < arrays; i++)
        env[k++] = '[';
    for (int i = 0; i < arrays; i++)
        env[k++] = ']';
    env[k++] = '}';
    env[k] = '\0';
    return env;
}

static void test_envelope_nesting_limit(void **state)
{
    ev_xform_t *x = compile_ok(NULL, "$.detail", NULL);
    char *env = nested_envelope(EV__XJ_MAX_DEPTH - 1);
    char *got;

    (void)state;
    /* exactly jansson's limit: fine */
    got = apply(x, env, NULL);
    assert_non_null(got);
    assert_int_equal(strlen(got), 2 * (EV__XJ_MAX_DEPTH - 1));
    free(got);
    free(env);
    /* one level more: not JSON for us (nor for jansson) */
    env = nested_envelope(EV__XJ_MAX_DEPTH);
    assert_null(apply(x, env, NULL));
    free(env);
    ev_xform_free(x);
}

/* ---- sizes, counts, unicode --------------------------------------------------------------- */

static void test_huge_template(void **state)
{
    enum { LEN = 8192 };
    char *tmpl = malloc(LEN + 1), *want = malloc(LEN * 4);
    size_t k = 0, wk = 0;

    (void)state;
    /* 8192 bytes: a quoted string full of text and placeholders */
    tmpl[k++] = '"';
    want[wk++] = '"';
    while (k < LEN - 10) {
        memcpy(tmpl + k, "<userId> ", 9);
        memcpy(want + wk, "0a787ecb-4015 ", 14);
        k += 9;
        wk += 14;
    }
    while (k < LEN - 1) {
        tmpl[k++] = 'x';
        want[wk++] = 'x';
    }
    tmpl[k++] = '"';
    want[wk++] = '"';
    tmpl[k] = '\0';
    want[wk] = '\0';
    assert_int_equal(strlen(tmpl), LEN);
    assert_text(xf(NESTED_PATHS, tmpl, SPECIAL_EVENT_DETAIL), want);
    /* the same size as a JSON template of many members */
    k = 0;
    wk = 0;
    tmpl[k++] = '{';
    want[wk++] = '{';
    for (int i = 0; k < LEN - 40; i++) {
        k += (size_t)sprintf(tmpl + k, "%s\"k%d\": <payload>", i ? ", " : "", i);
        wk += (size_t)sprintf(want + wk, "%s\"k%d\":{\"acc_id\":\"0a787ecb-4015\","
                                         "\"sf_id\":\"baz\"}", i ? "," : "", i);
    }
    tmpl[k++] = '}';
    tmpl[k] = '\0';
    want[wk++] = '}';
    want[wk] = '\0';
    assert_text(xf(NESTED_PATHS, tmpl, SPECIAL_EVENT_DETAIL), want);
    free(tmpl);
    free(want);
}

static void test_hundred_placeholders(void **state)
{
    json_t *paths = json_object();
    char *ptext, *tmpl = malloc(100 * 32 + 8), *want = malloc(100 * 32 + 8);
    char *detail = malloc(100 * 32 + 8);
    size_t k = 0, wk = 0, dk = 0;

    (void)state;
    detail[dk++] = '{';
    tmpl[k++] = '{';
    want[wk++] = '{';
    for (int i = 0; i < 100; i++) {
        char key[16], path[32];

        snprintf(key, sizeof(key), "v%d", i);
        snprintf(path, sizeof(path), "$.detail.f%d", i);
        json_object_set_new(paths, key, json_string(path));
        dk += (size_t)sprintf(detail + dk, "%s\"f%d\": %d", i ? ", " : "", i, i * 7);
        k += (size_t)sprintf(tmpl + k, "%s\"o%d\": [<v%d>, \"<v%d>\"]", i ? ", " : "", i, i, i);
        wk += (size_t)sprintf(want + wk, "%s\"o%d\":[%d,\"%d\"]", i ? "," : "", i, i * 7, i * 7);
    }
    detail[dk++] = '}';
    detail[dk] = '\0';
    tmpl[k++] = '}';
    tmpl[k] = '\0';
    want[wk++] = '}';
    want[wk] = '\0';
    ptext = json_dumps(paths, 0);
    assert_text(xf(ptext, tmpl, detail), want);
    free(ptext);
    json_decref(paths);
    free(tmpl);
    free(want);
    free(detail);
}

static void test_unicode(void **state)
{
    static const char *const detail =
        "{\"name\": \"J\\u00fcrgen \\ud83d\\ude00\", \"raw\": \"\xe6\x97\xa5\xe6\x9c\xac\", "
        "\"k\\u00e9y\": \"by escaped key\", \"\xc3\xa9t\xc3\xa9\": \"by utf-8 key\", "
        "\"ctl\": \"a\\tb\\u0001\"}";
    static const char *const paths =
        "{\"name\": \"$.detail.name\", \"raw\": \"$.detail.raw\", "
        "\"key\": \"$.detail.k\xc3\xa9y\", \"ete\": \"$.detail['\xc3\xa9t\xc3\xa9']\", "
        "\"ctl\": \"$.detail.ctl\"}";

    (void)state;
    /* value position: the string token exactly as in the event, escapes included */
    assert_text(xf(paths, "{\"n\": <name>, \"r\": <raw>, \"k\": <key>, \"e\": <ete>}", detail),
                "{\"n\":\"J\\u00fcrgen \\ud83d\\ude00\",\"r\":\"\xe6\x97\xa5\xe6\x9c\xac\","
                "\"k\":\"by escaped key\",\"e\":\"by utf-8 key\"}");
    /* inside strings: decoded UTF-8 */
    assert_text(xf(paths, "\"\xc2\xbb<name>\xc2\xab <raw>\"", detail),
                "\"\xc2\xbbJ\xc3\xbcrgen \xf0\x9f\x98\x80\xc2\xab \xe6\x97\xa5\xe6\x9c\xac\"");
    /* a control character decoded into a JSON template string is invalid JSON: dropped */
    assert_null(xf(paths, "{\"c\": \"<ctl>\"}", detail));
    assert_text(xf(paths, "{\"c\": <ctl>}", detail), "{\"c\":\"a\\tb\\u0001\"}");
    /* unicode in the template itself */
    assert_text(xf(paths, "{\"\xe2\x9c\x93\": \"\xe2\x9c\x93 <raw>\"}", detail),
                "{\"\xe2\x9c\x93\":\"\xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac\"}");
}

/* ---- apply mechanics ---------------------------------------------------------------------- */

static void test_apply_appends_and_restores(void **state)
{
    ev_xform_t *x = compile_ok(NULL, NULL, transformer(NESTED_PATHS, "{\"a\": \"<payload>\"}"));
    ev_xform_t *y = compile_ok(NULL, NULL, transformer(NESTED_PATHS, "{\"a\": <userId>}"));
    char *env = envelope(SPECIAL_EVENT_DETAIL);
    ev_buf_t b;

    (void)state;
    ev_buf_init(&b, LIMIT);
    ev_buf_adds(&b, "prefix|");
    assert_int_equal(ev_xform_apply(x, env, strlen(env), &test_vars, &b), EV_ERR_VALIDATION);
    assert_string_equal(ev_buf_cstr(&b), "prefix|");
    assert_int_equal(ev_xform_apply(y, env, strlen(env), &test_vars, &b), EV_OK);
    assert_string_equal(ev_buf_cstr(&b), "prefix|{\"a\":\"0a787ecb-4015\"}");
    ev_buf_free(&b);
    ev_xform_free(x);
    ev_xform_free(y);
    free(env);
}

static void test_apply_limit(void **state)
{
    ev_xform_t *x = compile_ok(NULL, NULL,
                               transformer(NULL, "[<aws.events.event.json>, "
                                                 "<aws.events.event.json>]"));
    ev_xform_t *w = compile_ok(NULL, NULL, transformer("{\"all\": \"$.*\"}", "<all>"));
    char *env = envelope(TEST_EVENT_DETAIL);
    size_t n = strlen(env);
    ev_buf_t b;

    (void)state;
    ev_buf_init(&b, 2 * n + 2);
    assert_int_equal(ev_xform_apply(x, env, n, NULL, &b), EV_ERR_LIMIT_EXCEEDED);
    assert_true(b.failed);
    /* sticky: later applies refuse at once */
    assert_int_equal(ev_xform_apply(w, env, n, NULL, &b), EV_ERR_LIMIT_EXCEEDED);
    ev_buf_free(&b);
    /* the limit applies to the rendered text, before minifying drops the template's blank */
    ev_buf_init(&b, 2 * n + 3);
    assert_int_equal(ev_xform_apply(x, env, n, NULL, &b), EV_ERR_LIMIT_EXCEEDED);
    ev_buf_free(&b);
    ev_buf_init(&b, 2 * n + 4);
    assert_int_equal(ev_xform_apply(x, env, n, NULL, &b), EV_OK);
    assert_int_equal(b.len, 2 * n + 3);
    ev_buf_free(&b);
    /* the scratch buffer of a wildcard obeys the same limit */
    ev_buf_init(&b, 16);
    assert_int_equal(ev_xform_apply(w, env, n, NULL, &b), EV_ERR_LIMIT_EXCEEDED);
    ev_buf_free(&b);
    ev_xform_free(x);
    ev_xform_free(w);
    free(env);
}

static void test_apply_bad_envelope(void **state)
{
    ev_xform_t *p = compile_ok(NULL, "$.detail", NULL);
    ev_xform_t *t = compile_ok(NULL, NULL, transformer(NESTED_PATHS, "{\"a\": <userId>}"));
    ev_xform_t *e = compile_ok(NULL, NULL, NULL);
    static const char *const bad[] = {"", "{", "{\"detail\":}", "[1,2", "\"x", "{\"a\":1}}"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(apply(p, bad[i], NULL));
        assert_null(apply(t, bad[i], NULL));
    }
    /* a non-object envelope is still JSON: paths just find nothing */
    assert_null(apply(p, "[1]", NULL));
    assert_text(apply(t, "[1]", NULL), "{\"a\":\"\"}");
    /* pass-through does not look at the bytes */
    assert_text(apply(e, "{", NULL), "{");
    ev_xform_free(p);
    ev_xform_free(t);
    ev_xform_free(e);
}

static void test_apply_many_times(void **state)
{
    ev_xform_t *x = compile_ok(NULL, NULL, transformer(NESTED_PATHS, nested_cases[0].tmpl));
    char *env = envelope(SPECIAL_EVENT_DETAIL);
    ev_buf_t b;

    (void)state;
    /* one compiled form, one reused buffer */
    ev_buf_init(&b, LIMIT);
    for (int i = 0; i < 10000; i++) {
        b.len = 0;
        assert_int_equal(ev_xform_apply(x, env, strlen(env), &test_vars, &b), EV_OK);
    }
    assert_string_equal(ev_buf_cstr(&b),
                        "{\"method\":\"PUT\",\"path\":\"users-service/users/0a787ecb-4015\","
                        "\"bod\":{\"acc_id\":\"0a787ecb-4015\",\"sf_id\":\"baz\"}}");
    ev_buf_free(&b);
    ev_xform_free(x);
    free(env);
    ev_xform_free(NULL);
}

/* ---- the scanner --------------------------------------------------------------------------- */

static void test_scanner(void **state)
{
    ev_buf_t b;
    char m[] = " { \"a\" : [ 1 , \" x \" ] } ";

    (void)state;
    assert_true(ev__xj_valid("{}", 2));
    assert_false(ev__xj_valid("{} {}", 5));
    assert_false(ev__xj_valid("{\"a\":1}", 6)); /* length respected */
    assert_false(ev__xj_valid("\"a\0b\"", 5));
    assert_true(ev__xj_valid("\"a\\u0000b\"", 10));
    assert_false(ev__xj_valid("\"\xc0\x80\"", 4));         /* overlong */
    assert_false(ev__xj_valid("\"\xed\xa0\x80\"", 5));     /* encoded surrogate */
    assert_false(ev__xj_valid("\"\xf4\x90\x80\x80\"", 6)); /* > U+10FFFF */
    assert_true(ev__xj_valid("\"\\ud83d\\ude00\"", 14));
    assert_false(ev__xj_valid("\"\\ude00\"", 8));
    assert_int_equal(ev__xj_minify(m, strlen(m)), 15);
    m[15] = '\0';
    assert_string_equal(m, "{\"a\":[1,\" x \"]}");
    ev_buf_init(&b, 1024);
    ev__xj_unescape(&b, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\ud83d\\ude00\"", 42);
    assert_string_equal(ev_buf_cstr(&b), "\"\\/\b\f\n\r\tA\xc3\xa9\xf0\x9f\x98\x80");
    b.len = 0;
    /* lone surrogates (only possible in unvalidated text) become U+FFFD */
    ev__xj_unescape(&b, "\"\\ud800x\\udc00\"", 15);
    assert_string_equal(ev_buf_cstr(&b), "\xef\xbf\xbdx\xef\xbf\xbd");
    b.len = 0;
    ev__xj_escape(&b, "a\"\\\x01\x1f\x7f\xc3\xa9/", 9);
    assert_string_equal(ev_buf_cstr(&b), "\"a\\\"\\\\\\u0001\\u001f\x7f\xc3\xa9/\"");
    ev_buf_free(&b);
    assert_true(ev__xj_key_eq("\"a\\u0062\"", 9, "ab", 2));
    assert_false(ev__xj_key_eq("\"a\\u0062\"", 9, "abc", 3));
    assert_false(ev__xj_key_eq("\"a\\u0062c\"", 10, "ab", 2));
    assert_true(ev__xj_key_eq("\"\"", 2, "", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rec_input_path),
        cmocka_unit_test(test_rec_input_path_nested),
        cmocka_unit_test(test_rec_input_path_max_level_depth),
        cmocka_unit_test(test_rec_input_path_multiple_targets),
        cmocka_unit_test(test_rec_template_string),
        cmocka_unit_test(test_rec_template_json),
        cmocka_unit_test(test_rec_missing_keys),
        cmocka_unit_test(test_rec_predefined_string),
        cmocka_unit_test(test_rec_predefined_json),
        cmocka_unit_test(test_rec_input_path_and_transformer),
        cmocka_unit_test(test_rec_nested_keys_replacement),
        cmocka_unit_test(test_rec_nested_keys_replacement_not_valid),
        cmocka_unit_test(test_table_value_position),
        cmocka_unit_test(test_table_inside_string),
        cmocka_unit_test(test_table_quoted_and_text_templates),
        cmocka_unit_test(test_predefined_variables),
        cmocka_unit_test(test_input_exact),
        cmocka_unit_test(test_input_path_values),
        cmocka_unit_test(test_input_path_compact_preserves_text),
        cmocka_unit_test(test_msg_only_one),
        cmocka_unit_test(test_msg_input_json),
        cmocka_unit_test(test_msg_input_path),
        cmocka_unit_test(test_msg_transformer),
        cmocka_unit_test(test_path_edges),
        cmocka_unit_test(test_path_deep),
        cmocka_unit_test(test_envelope_nesting_limit),
        cmocka_unit_test(test_huge_template),
        cmocka_unit_test(test_hundred_placeholders),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_apply_appends_and_restores),
        cmocka_unit_test(test_apply_limit),
        cmocka_unit_test(test_apply_bad_envelope),
        cmocka_unit_test(test_apply_many_times),
        cmocka_unit_test(test_scanner),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
