/*
 * tests/unit/api/test_validate.c - first-level validation: every verbatim
 * AWS message of spec/validation.md section 2.1, required members, nested,
 * list and map paths, sensitive redaction, numeric ranges, KMS shapes, JSON
 * type mismatches, Unicode lengths, and concurrent use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/validate.h"

#define BASIC_AUTH "'AuthParameters': {'BasicAuthParameters': {'Username': 'u', 'Password': 'p'}}"
#define CONN_ARN                                                                                   \
    "arn:aws:events:us-east-1:000000000000:connection/c/0b3a4e1c-0000-4000-8000-000000000000"

/* Parses JSON written with ' for " (no body here needs a literal '). */
static json_t *body_of(const char *tmpl)
{
    char *text = strdup(tmpl);
    json_error_t jerr;
    json_t *j;

    assert_non_null(text);
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    j = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!j)
        fail_msg("bad test JSON (%s): %s", jerr.text, text);
    free(text);
    return j;
}

static void check_json(const char *prefix, const char *op, json_t *body, ev_err want,
                       const char *want_msg)
{
    const ev_shape_t *shape = ev_model_input(prefix, op);
    char *msg = (char *)"unset";
    ev_err rc;

    assert_non_null(shape);
    rc = ev_validate(shape, body, &msg);
    if (want_msg) {
        assert_non_null(msg);
        assert_string_equal(msg, want_msg);
    } else if (rc == EV_OK) {
        assert_null(msg);
    }
    assert_int_equal(rc, want);
    free(msg);
    json_decref(body);
}

static void check(const char *prefix, const char *op, const char *tmpl, ev_err want,
                  const char *want_msg)
{
    check_json(prefix, op, body_of(tmpl), want, want_msg);
}

static void events(const char *op, const char *tmpl, const char *want_msg)
{
    check("AWSEvents", op, tmpl, want_msg ? EV_ERR_VALIDATION : EV_OK, want_msg);
}

static char *repeat(const char *unit, size_t n)
{
    size_t len = strlen(unit);
    char *s = malloc(len * n + 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * len, unit, len);
    s[len * n] = '\0';
    return s;
}

static int setup(void **state)
{
    (void)state;
    return ev_model_init() == EV_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ev_model_cleanup();
    return 0;
}

/* ---- spec/validation.md section 2.1, verbatim ---- */

static void test_recorded_auth_type_enum(void **state)
{
    (void)state;
    events("CreateConnection",
           "{'Name': 'c', 'AuthorizationType': 'INVALID_AUTH_TYPE', " BASIC_AUTH "}",
           "1 validation error detected: Value 'INVALID_AUTH_TYPE' at 'authorizationType' failed "
           "to satisfy constraint: Member must satisfy enum value set: [BASIC, "
           "OAUTH_CLIENT_CREDENTIALS, API_KEY]");
}

static void test_recorded_name_pattern(void **state)
{
    const char *want = "1 validation error detected: Value 'Invalid Name With Spaces!' at "
                       "'name' failed to satisfy constraint: Member must satisfy regular "
                       "expression pattern: [\\.\\-_A-Za-z0-9]+";

    (void)state;
    events("CreateConnection",
           "{'Name': 'Invalid Name With Spaces!', 'AuthorizationType': 'BASIC', " BASIC_AUTH "}",
           want);
    events("CreateApiDestination",
           "{'Name': 'Invalid Name With Spaces!', 'ConnectionArn': '" CONN_ARN "', "
           "'InvocationEndpoint': 'https://example.com/x', 'HttpMethod': 'POST'}",
           want);
}

static void test_recorded_three_errors(void **state)
{
    (void)state;
    events("CreateConnection",
           "{'Name': 'This should fail with two errors 123467890123412341234123412341234', "
           "'AuthorizationType': 'INVALID', " BASIC_AUTH "}",
           "3 validation errors detected: Value 'This should fail with two errors "
           "123467890123412341234123412341234' at 'name' failed to satisfy constraint: Member "
           "must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; Value 'This should "
           "fail with two errors 123467890123412341234123412341234' at 'name' failed to satisfy "
           "constraint: Member must have length less than or equal to 64; Value 'INVALID' at "
           "'authorizationType' failed to satisfy constraint: Member must satisfy enum value "
           "set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]");
}

static void test_recorded_api_destination_two_errors(void **state)
{
    (void)state;
    /* "invalid-endpoint" matches the HttpsEndpoint pattern: no item for it. */
    events("CreateApiDestination",
           "{'Name': 'd', 'ConnectionArn': 'invalid-connection-arn', "
           "'InvocationEndpoint': 'invalid-endpoint', 'HttpMethod': 'INVALID_METHOD'}",
           "2 validation errors detected: Value 'invalid-connection-arn' at 'connectionArn' "
           "failed to satisfy constraint: Member must satisfy regular expression pattern: "
           "^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:connection\\/"
           "[\\.\\-_A-Za-z0-9]+\\/[\\-A-Za-z0-9]+$; Value 'INVALID_METHOD' at 'httpMethod' "
           "failed to satisfy constraint: Member must satisfy enum value set: [HEAD, POST, "
           "PATCH, DELETE, PUT, GET, OPTIONS]");
    events("UpdateApiDestination", "{'Name': 'd', 'HttpMethod': 'post'}",
           "1 validation error detected: Value 'post' at 'httpMethod' failed to satisfy "
           "constraint: Member must satisfy enum value set: [HEAD, POST, PATCH, DELETE, PUT, "
           "GET, OPTIONS]");
}

static void test_recorded_target_id(void **state)
{
    char *id = repeat("second-invalid-target-id", 3); /* 72 characters */
    char body[512], want[512];

    (void)state;
    events("PutTargets", "{'Rule': 'r', 'Targets': [{'Id': '!@#$@!#$', 'Arn': 'arn:x'}]}",
           "1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to "
           "satisfy constraint: Member must satisfy regular expression pattern: "
           "[\\.\\-_A-Za-z0-9]+");
    snprintf(body, sizeof(body), "{'Rule': 'r', 'Targets': [{'Id': '%s', 'Arn': 'arn:x'}]}", id);
    snprintf(want, sizeof(want),
             "1 validation error detected: Value '%s' at 'targets.1.member.id' failed to "
             "satisfy constraint: Member must have length less than or equal to 64",
             id);
    events("PutTargets", body, want);
    free(id);
}

/* ---- required, nesting, sensitive ---- */

static void test_missing_required(void **state)
{
    (void)state;
    events("CreateConnection", "{}",
           "3 validation errors detected: Value null at 'name' failed to satisfy constraint: "
           "Member must not be null; Value null at 'authorizationType' failed to satisfy "
           "constraint: Member must not be null; Value null at 'authParameters' failed to "
           "satisfy constraint: Member must not be null");
    /* JSON null is absent. */
    events("DescribeConnection", "{'Name': null}",
           "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
           "Member must not be null");
    events("CreateConnection",
           "{'Name': 'c', 'AuthorizationType': 'BASIC', "
           "'AuthParameters': {'BasicAuthParameters': {'Username': 'u'}}}",
           "1 validation error detected: Value null at "
           "'authParameters.basicAuthParameters.password' failed to satisfy constraint: Member "
           "must not be null");
    events("CreateConnection",
           "{'Name': 'c', 'AuthorizationType': 'OAUTH_CLIENT_CREDENTIALS', "
           "'AuthParameters': {'OAuthParameters': {'HttpMethod': 'GET'}}}",
           "2 validation errors detected: Value null at "
           "'authParameters.oAuthParameters.clientParameters' failed to satisfy constraint: "
           "Member must not be null; Value null at "
           "'authParameters.oAuthParameters.authorizationEndpoint' failed to satisfy "
           "constraint: Member must not be null");
}

static void test_sensitive_never_printed(void **state)
{
    (void)state;
    events("CreateConnection",
           "{'Name': 'c', 'AuthorizationType': 'BASIC', "
           "'AuthParameters': {'BasicAuthParameters': {'Username': 'u:x', 'Password': ''}}}",
           "3 validation errors detected: Value 'u:x' at "
           "'authParameters.basicAuthParameters.username' failed to satisfy constraint: Member "
           "must satisfy regular expression pattern: "
           "^[ \\t]*[^\\x00-\\x1F:\\x7F]+([ \\t]+[^\\x00-\\x1F:\\x7F]+)*[ \\t]*$; Value at "
           "'authParameters.basicAuthParameters.password' failed to satisfy constraint: Member "
           "must satisfy regular expression pattern: "
           "^[ \\t]*[^\\x00-\\x1F:\\x7F]+([ \\t]+[^\\x00-\\x1F:\\x7F]+)*[ \\t]*$; Value at "
           "'authParameters.basicAuthParameters.password' failed to satisfy constraint: Member "
           "must have length greater than or equal to 1");
    events("UpdateConnection",
           "{'Name': 'c', 'AuthParameters': {'ApiKeyAuthParameters': "
           "{'ApiKeyName': 'k', 'ApiKeyValue': 'secret\\u0001value'}}}",
           "1 validation error detected: Value at "
           "'authParameters.apiKeyAuthParameters.apiKeyValue' failed to satisfy constraint: "
           "Member must satisfy regular expression pattern: "
           "^[ \\t]*[^\\x00-\\x1F:\\x7F]+([ \\t]+[^\\x00-\\x1F:\\x7F]+)*[ \\t]*$");
    events("UpdateConnection",
           "{'Name': 'c', 'AuthParameters': {'InvocationHttpParameters': {'HeaderParameters': "
           "[{'Key': 'X-Ok', 'Value': 'top\\nsecret', 'IsValueSecret': true}]}}}",
           "1 validation error detected: Value at "
           "'authParameters.invocationHttpParameters.headerParameters.1.member.value' failed to "
           "satisfy constraint: Member must satisfy regular expression pattern: "
           "^[ \\t]*[\\x20-\\x7E]+([ \\t]+[\\x20-\\x7E]+)*[ \\t]*$");
}

static void test_valid_full_create_connection(void **state)
{
    (void)state;
    events("CreateConnection",
           "{'Name': 'my-conn_1.v2', 'Description': 'OAuth connection', "
           "'AuthorizationType': 'OAUTH_CLIENT_CREDENTIALS', 'AuthParameters': {"
           "'OAuthParameters': {'ClientParameters': {'ClientID': 'client id', "
           "'ClientSecret': 's3cr3t!'}, 'AuthorizationEndpoint': "
           "'https://auth.example.com/oauth2/token?x=1', 'HttpMethod': 'POST', "
           "'OAuthHttpParameters': {'BodyParameters': [{'Key': 'scope', 'Value': 'a b', "
           "'IsValueSecret': false}]}}, "
           "'InvocationHttpParameters': {"
           "'HeaderParameters': [{'Key': 'X-Api-Version', 'Value': ' 2 ', 'IsValueSecret': false}],"
           "'QueryStringParameters': [{'Key': 'q', 'Value': 'v\\u00e9', 'IsValueSecret': true}],"
           "'BodyParameters': [{'Key': 'k', 'Value': 'v', 'IsValueSecret': false}]}}, "
           "'KmsKeyIdentifier': 'alias/my-key'}",
           NULL);
}

static void test_unknown_members_ignored(void **state)
{
    (void)state;
    events("DescribeConnection",
           "{'Name': 'c', 'Bogus': 5, 'name': [1, 2], 'Nested': {'Name': 'bad name!'}}", NULL);
    events("ListConnections", "{}", NULL);
}

/* ---- lists ---- */

static void test_list_paths(void **state)
{
    (void)state;
    events("RemoveTargets", "{'Rule': 'r', 'Ids': ['ok', 'not ok']}",
           "1 validation error detected: Value 'not ok' at 'ids.2.member' failed to satisfy "
           "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+");
    events("RemoveTargets", "{'Rule': 'r', 'Ids': []}",
           "1 validation error detected: Value '[]' at 'ids' failed to satisfy constraint: "
           "Member must have length greater than or equal to 1");
    events("PutTargets",
           "{'Rule': 'r', 'Targets': [{'Id': 'a', 'Arn': 'arn:x'}, {'Id': 'b', "
           "'Arn': 'arn:x', 'RetryPolicy': {'MaximumRetryAttempts': 186, "
           "'MaximumEventAgeInSeconds': 59}}]}",
           "2 validation errors detected: Value '186' at "
           "'targets.2.member.retryPolicy.maximumRetryAttempts' failed to satisfy constraint: "
           "Member must have value less than or equal to 185; Value '59' at "
           "'targets.2.member.retryPolicy.maximumEventAgeInSeconds' failed to satisfy "
           "constraint: Member must have value greater than or equal to 60");
    events("PutTargets", "{'Rule': 'r', 'Targets': [{'Arn': 'arn:x'}]}",
           "1 validation error detected: Value null at 'targets.1.member.id' failed to satisfy "
           "constraint: Member must not be null");
}

static void test_list_too_long_prints_value(void **state)
{
    (void)state;
    check("TrentService", "DescribeKey",
          "{'KeyId': 'k', 'GrantTokens': ['t1','t2','t3','t4','t5','t6','t7','t8','t9','t10',"
          "'t11']}",
          EV_ERR_VALIDATION,
          "1 validation error detected: Value '[t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11]' "
          "at 'grantTokens' failed to satisfy constraint: Member must have length less than or "
          "equal to 10");
}

static void test_list_of_structures_value(void **state)
{
    static const char head[] =
        "1 validation error detected: Value '[PutEventsRequestEntry(time=null, source=s, "
        "resources=[r1], detailType=d, detail={}, eventBusName=null, traceHeader=null, "
        "kmsKeyIdentifier=null, internalMetadata=null), ";
    json_t *entries = json_array();
    const ev_shape_t *shape = ev_model_input("AWSEvents", "PutEvents");
    json_t *body;
    char *msg = NULL;

    (void)state;
    for (int i = 0; i < 11; i++)
        json_array_append_new(entries, json_pack("{s:s, s:[s], s:s, s:s}", "Source", "s",
                                                 "Resources", "r1", "DetailType", "d",
                                                 "Detail", "{}"));
    body = json_pack("{s:o}", "Entries", entries);
    assert_int_equal(ev_validate(shape, body, &msg), EV_ERR_VALIDATION);
    assert_non_null(msg);
    assert_memory_equal(msg, head, sizeof(head) - 1);
    assert_non_null(strstr(msg, "internalMetadata=null)]' at 'entries' failed to satisfy "
                                "constraint: Member must have length less than or equal to 10"));
    free(msg);
    json_decref(body);
}

/* ---- maps ---- */

static void test_map_key_and_value(void **state)
{
    char *long_path = repeat("$", 257);
    char body[1024], want[1024];

    (void)state;
    events("PutTargets",
           "{'Rule': 'r', 'Targets': [{'Id': 't', 'Arn': 'arn:x', 'InputTransformer': "
           "{'InputPathsMap': {'bad key!': '$.detail'}, 'InputTemplate': '<x>'}}]}",
           "1 validation error detected: Value 'bad key!' at "
           "'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: Map "
           "keys must satisfy constraint: [Member must satisfy regular expression pattern: "
           "[A-Za-z0-9\\_\\-]+]");
    events("PutTargets",
           "{'Rule': 'r', 'Targets': [{'Id': 't', 'Arn': 'arn:x', 'InputTransformer': "
           "{'InputPathsMap': {'': '$.detail'}, 'InputTemplate': '<x>'}}]}",
           "1 validation error detected: Value '' at "
           "'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: Map "
           "keys must satisfy constraint: [Member must satisfy regular expression pattern: "
           "[A-Za-z0-9\\_\\-]+, Member must have length greater than or equal to 1]");
    snprintf(body, sizeof(body),
             "{'Rule': 'r', 'Targets': [{'Id': 't', 'Arn': 'arn:x', 'InputTransformer': "
             "{'InputPathsMap': {'k': '%s'}, 'InputTemplate': '<k>'}}]}",
             long_path);
    snprintf(want, sizeof(want),
             "1 validation error detected: Value '%s' at "
             "'targets.1.member.inputTransformer.inputPathsMap.k' failed to satisfy constraint: "
             "Member must have length less than or equal to 256",
             long_path);
    events("PutTargets", body, want);
    events("PutTargets",
           "{'Rule': 'r', 'Targets': [{'Id': 't', 'Arn': 'arn:x', 'HttpParameters': "
           "{'HeaderParameters': {'Bad Header': 'v'}, 'QueryStringParameters': {'q': 'a\\u0001'},"
           " 'PathParameterValues': ['  ']}}]}",
           "3 validation errors detected: Value '  ' at "
           "'targets.1.member.httpParameters.pathParameterValues.1.member' failed to satisfy "
           "constraint: Member must satisfy regular expression pattern: ^(?!\\s*$).+; "
           "Value 'Bad Header' at 'targets.1.member.httpParameters.headerParameters' failed to "
           "satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular "
           "expression pattern: ^[!#$%&'*+-.^_`|~0-9a-zA-Z]+$]; Value 'a\001' at "
           "'targets.1.member.httpParameters.queryStringParameters.q' failed to satisfy "
           "constraint: Member must satisfy regular expression pattern: "
           "[^\\x00-\\x09\\x0B\\x0C\\x0E-\\x1F\\x7F]+");
    free(long_path);
}

static void test_map_too_long_prints_value(void **state)
{
    static const char head[] = "1 validation error detected: Value '{k0=$.a, k1=$.a, ";
    json_t *paths = json_object();
    json_t *body;
    char key[16];
    char *msg = NULL;

    (void)state;
    for (int i = 0; i < 101; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        json_object_set_new(paths, key, json_string("$.a"));
    }
    body = json_pack("{s:s, s:[{s:s, s:s, s:{s:o, s:s}}]}", "Rule", "r", "Targets", "Id", "t",
                     "Arn", "arn:x", "InputTransformer", "InputPathsMap", paths, "InputTemplate",
                     "x");
    assert_int_equal(ev_validate(ev_model_input("AWSEvents", "PutTargets"), body, &msg),
                     EV_ERR_VALIDATION);
    assert_non_null(msg);
    assert_memory_equal(msg, head, sizeof(head) - 1);
    assert_non_null(strstr(msg, ", k100=$.a}' at 'targets.1.member.inputTransformer."
                                "inputPathsMap' failed to satisfy constraint: Member must have "
                                "length less than or equal to 100"));
    free(msg);
    json_decref(body);
}

/* ---- numbers ---- */

static void test_integer_ranges(void **state)
{
    (void)state;
    events("ListConnections", "{'Limit': 0}",
           "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
           "Member must have value greater than or equal to 1");
    events("ListConnections", "{'Limit': 101}",
           "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: "
           "Member must have value less than or equal to 100");
    events("ListConnections", "{'Limit': 100}", NULL);
    events("ListConnections", "{'Limit': 5.0}", NULL);
    events("CreateApiDestination",
           "{'Name': 'd', 'ConnectionArn': '" CONN_ARN "', "
           "'InvocationEndpoint': 'https://example.com', 'HttpMethod': 'GET', "
           "'InvocationRateLimitPerSecond': 0}",
           "1 validation error detected: Value '0' at 'invocationRateLimitPerSecond' failed to "
           "satisfy constraint: Member must have value greater than or equal to 1");
    check("TrentService", "ScheduleKeyDeletion", "{'KeyId': 'k', 'PendingWindowInDays': 366}",
          EV_ERR_VALIDATION,
          "1 validation error detected: Value '366' at 'pendingWindowInDays' failed to satisfy "
          "constraint: Member must have value less than or equal to 365");
    check("secretsmanager", "DeleteSecret",
          "{'SecretId': 's', 'RecoveryWindowInDays': 9007199254740993}", EV_OK, NULL);
}

/* ---- KMS and Secrets Manager ---- */

static void test_kms_shapes(void **state)
{
    char *big;
    json_t *body;

    (void)state;
    check("TrentService", "TagResource",
          "{'KeyId': 'k', 'Tags': [{'TagKey': '', 'TagValue': 'v'}]}", EV_ERR_VALIDATION,
          "1 validation error detected: Value '' at 'tags.1.member.tagKey' failed to satisfy "
          "constraint: Member must have length greater than or equal to 1");
    check("TrentService", "TagResource", "{'KeyId': 'k', 'Tags': [{'TagKey': 'a'}]}",
          EV_ERR_VALIDATION,
          "1 validation error detected: Value null at 'tags.1.member.tagValue' failed to "
          "satisfy constraint: Member must not be null");
    /* Java \uXXXX escapes in the model pattern: tab and newline are allowed, U+0100 is not. */
    check("TrentService", "PutKeyPolicy", "{'KeyId': 'k', 'Policy': '{\\n\\t}'}", EV_OK, NULL);
    check("TrentService", "PutKeyPolicy", "{'KeyId': 'k', 'Policy': 'x\\u0100'}",
          EV_ERR_VALIDATION,
          "1 validation error detected: Value 'x\xc4\x80' at 'policy' failed to satisfy "
          "constraint: Member must satisfy regular expression pattern: "
          "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
    /* Blob lengths count decoded bytes; sensitive Plaintext is never printed. */
    check("TrentService", "Decrypt", "{'CiphertextBlob': ''}", EV_ERR_VALIDATION,
          "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at "
          "'ciphertextBlob' failed to satisfy constraint: Member must have length greater than "
          "or equal to 1");
    big = repeat("AAAA", 1366); /* 4098 bytes */
    body = json_pack("{s:s, s:s}", "KeyId", "k", "Plaintext", big);
    check_json("TrentService", "Encrypt", body, EV_ERR_VALIDATION,
               "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
               "Member must have length less than or equal to 4096");
    free(big);
    check("TrentService", "Encrypt", "{'KeyId': 'k', 'Plaintext': 'aGVsbG8='}", EV_OK, NULL);
    check("secretsmanager", "ListSecrets",
          "{'Filters': [{'Key': 'nom', 'Values': ['ok', 'b@d#']}], 'MaxResults': 0}",
          EV_ERR_VALIDATION,
          "3 validation errors detected: Value '0' at 'maxResults' failed to satisfy "
          "constraint: Member must have value greater than or equal to 1; Value 'nom' at "
          "'filters.1.member.key' failed to satisfy constraint: Member must satisfy enum value "
          "set: [description, name, tag-key, tag-value, primary-region, owning-service, all]; "
          "Value 'b@d#' at 'filters.1.member.values.2.member' failed to satisfy constraint: "
          "Member must satisfy regular expression pattern: "
          "^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$");
}

/* ---- type mismatches ---- */

static void ser(const char *prefix, const char *op, const char *tmpl, const char *want)
{
    check(prefix, op, tmpl, EV_ERR_SERIALIZATION, want);
}

static void test_type_mismatch(void **state)
{
    (void)state;
    ser("AWSEvents", "DescribeConnection", "{'Name': 5}",
        "Unexpected JSON type at 'name': expected string");
    ser("AWSEvents", "PutTargets", "{'Rule': 'r', 'Targets': {'Id': 'x'}}",
        "Unexpected JSON type at 'targets': expected list");
    ser("AWSEvents", "PutTargets", "{'Rule': 'r', 'Targets': ['x']}",
        "Unexpected JSON type at 'targets.1.member': expected structure");
    ser("AWSEvents", "PutTargets", "{'Rule': 'r', 'Targets': [null]}",
        "Unexpected JSON type at 'targets.1.member': expected non-null list element");
    ser("AWSEvents", "CreateConnection",
        "{'Name': 'bad name', 'AuthorizationType': 'BASIC', 'AuthParameters': 'basic'}",
        "Unexpected JSON type at 'authParameters': expected structure");
    ser("AWSEvents", "ListConnections", "{'Limit': '5'}",
        "Unexpected JSON type at 'limit': expected number");
    ser("AWSEvents", "ListConnections", "{'Limit': 1.5}", "Invalid integer value at 'limit'");
    ser("AWSEvents", "ListConnections", "{'Limit': 4294967297}",
        "Invalid integer value at 'limit'");
    ser("AWSEvents", "DeleteRule", "{'Name': 'r', 'Force': 'true'}",
        "Unexpected JSON type at 'force': expected boolean");
    ser("AWSEvents", "PutTargets",
        "{'Rule': 'r', 'Targets': [{'Id': 't', 'Arn': 'a', 'HttpParameters': "
        "{'HeaderParameters': [1]}}]}",
        "Unexpected JSON type at 'targets.1.member.httpParameters.headerParameters': "
        "expected map");
    ser("AWSEvents", "PutEvents", "{'Entries': [{'Time': true}]}",
        "Unexpected JSON type at 'entries.1.member.time': expected number");
    ser("TrentService", "Encrypt", "{'KeyId': 'k', 'Plaintext': 'not base64!'}",
        "Invalid base64 value at 'plaintext'");
    ser("TrentService", "Encrypt", "{'KeyId': 'k', 'Plaintext': 12}",
        "Unexpected JSON type at 'plaintext': expected string");
    /* A type error wins over validation errors found before it. */
    ser("AWSEvents", "CreateConnection", "{'Name': 'bad name', 'AuthorizationType': 7}",
        "Unexpected JSON type at 'authorizationType': expected string");
    ser("AWSEvents", "ListConnections", "[]", "Request body must be a JSON object.");
    events("PutEvents",
           "{'Entries': [{'Time': 1733739371.123}, {'Time': '2024-01-01T00:00:00Z'}]}", NULL);
}

/* ---- Unicode ---- */

static void test_unicode_length(void **state)
{
    char *s512 = repeat("\xc3\xa9", 512), *s513 = repeat("\xc3\xa9", 513);
    char *emoji = repeat("\xf0\x9f\x98\x80", 256);
    json_t *body;
    char want[2048];

    (void)state;
    body = json_pack("{s:s, s:s}", "Name", "b", "Description", s512);
    check_json("AWSEvents", "CreateEventBus", body, EV_OK, NULL);
    body = json_pack("{s:s, s:s}", "Name", "b", "Description", s513);
    snprintf(want, sizeof(want),
             "1 validation error detected: Value '%s' at 'description' failed to satisfy "
             "constraint: Member must have length less than or equal to 512",
             s513);
    check_json("AWSEvents", "CreateEventBus", body, EV_ERR_VALIDATION, want);
    body = json_pack("{s:s, s:s}", "Name", "b", "Description", emoji);
    check_json("AWSEvents", "CreateEventBus", body, EV_OK, NULL);
    /* Java '.' stops at line terminators: a multi-line description fails '.*'. */
    events("UpdateConnection", "{'Name': 'c', 'Description': 'caf\\u00e9 \\u2603'}", NULL);
    events("UpdateConnection", "{'Name': 'c', 'Description': 'line1\\nline2'}",
           "1 validation error detected: Value 'line1\nline2' at 'description' failed to "
           "satisfy constraint: Member must satisfy regular expression pattern: .*");
    free(s512);
    free(s513);
    free(emoji);
}

/* ---- engine properties ---- */

static void test_lookup(void **state)
{
    (void)state;
    assert_non_null(ev_model_input("AWSEvents", "PutEvents"));
    assert_non_null(ev_model_input("TrentService", "GenerateDataKey"));
    assert_non_null(ev_model_input("secretsmanager", "GetSecretValue"));
    assert_null(ev_model_input("AWSEvents", "GetSecretValue"));
    assert_null(ev_model_input("awsevents", "PutEvents"));
    assert_null(ev_model_input("AWSEvents", ""));
    assert_null(ev_model_input(NULL, "PutEvents"));
    assert_true(ev_model_input("AWSEvents", "PutRule") !=
                ev_model_input("AWSEvents", "PutTargets"));
}

static void test_backtracking_guard(void **state)
{
    char *spaces = repeat("a ", 20000);
    json_t *body;
    char *msg = NULL;

    (void)state;
    /* "a a a ... :" makes the Username pattern backtrack exponentially. */
    spaces[39999] = ':';
    body = json_pack("{s:s, s:{s:{s:s, s:s}}}", "Name", "c", "AuthParameters",
                     "BasicAuthParameters", "Username", spaces, "Password", "p");
    assert_int_equal(ev_validate(ev_model_input("AWSEvents", "UpdateConnection"), body, &msg),
                     EV_ERR_VALIDATION);
    assert_non_null(strstr(msg, "2 validation errors detected: "));
    assert_non_null(strstr(msg, "Member must have length less than or equal to 512"));
    free(msg);
    json_decref(body);
    free(spaces);
}

static void test_init_state(void **state)
{
    json_t *body = body_of("{'Name': 'c'}");
    char *msg = NULL;

    (void)state;
    assert_int_equal(ev_model_init(), EV_OK); /* second call: no-op */
    ev_model_cleanup();
    assert_int_equal(ev_validate(ev_model_input("AWSEvents", "DescribeConnection"), body, &msg),
                     EV_ERR_INTERNAL);
    assert_non_null(msg);
    free(msg);
    assert_int_equal(ev_model_init(), EV_OK);
    msg = NULL;
    assert_int_equal(ev_validate(ev_model_input("AWSEvents", "DescribeConnection"), body, &msg),
                     EV_OK);
    assert_null(msg);
    json_decref(body);
}

#define N_THREADS 8
#define N_ROUNDS 300

static void *validate_many(void *arg)
{
    json_t *body = arg;
    const ev_shape_t *shape = ev_model_input("AWSEvents", "CreateConnection");
    intptr_t bad = 0;

    for (int i = 0; i < N_ROUNDS; i++) {
        char *msg = NULL;

        if (ev_validate(shape, body, &msg) != EV_ERR_VALIDATION || !msg ||
            strncmp(msg, "3 validation errors detected: Value 'This should", 48) != 0)
            bad++;
        free(msg);
    }
    return (void *)bad;
}

static void test_concurrent(void **state)
{
    pthread_t th[N_THREADS];
    json_t *body = body_of("{'Name': 'This should fail with two errors "
                           "123467890123412341234123412341234', 'AuthorizationType': "
                           "'INVALID', " BASIC_AUTH "}");

    (void)state;
    for (int i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, validate_many, body), 0);
    for (int i = 0; i < N_THREADS; i++) {
        void *bad;

        assert_int_equal(pthread_join(th[i], &bad), 0);
        assert_int_equal((intptr_t)bad, 0);
    }
    json_decref(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorded_auth_type_enum),
        cmocka_unit_test(test_recorded_name_pattern),
        cmocka_unit_test(test_recorded_three_errors),
        cmocka_unit_test(test_recorded_api_destination_two_errors),
        cmocka_unit_test(test_recorded_target_id),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_sensitive_never_printed),
        cmocka_unit_test(test_valid_full_create_connection),
        cmocka_unit_test(test_unknown_members_ignored),
        cmocka_unit_test(test_list_paths),
        cmocka_unit_test(test_list_too_long_prints_value),
        cmocka_unit_test(test_list_of_structures_value),
        cmocka_unit_test(test_map_key_and_value),
        cmocka_unit_test(test_map_too_long_prints_value),
        cmocka_unit_test(test_integer_ranges),
        cmocka_unit_test(test_kms_shapes),
        cmocka_unit_test(test_type_mismatch),
        cmocka_unit_test(test_unicode_length),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_backtracking_guard),
        cmocka_unit_test(test_init_state),
        cmocka_unit_test(test_concurrent),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
