/*
 * tests/unit/crypto/test_policy.c - key policy parsing, validation messages
 * and evaluation: the default key policy, the EventBridge CMK policy of the
 * serverlessland seed, Deny precedence, the Not* elements, every condition
 * operator, the lockout check and pathological wildcards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/policy.h"

#define ACCT "000000000000"
#define ROOT "arn:aws:iam::000000000000:root"
#define OTHER_ROOT "arn:aws:iam::111111111111:root"
#define KEY "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
#define KEY2 "arn:aws:kms:us-east-1:000000000000:key/0987dcba-09fe-87dc-65ba-ab0987654321"
#define SECRET \
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:events!connection/my-conn/" \
    "0c1a7f3e-5b7d-4d0e-9a1b-2f3c4d5e6f70-AbCdEf"

#define KV(...) (const ev_cond_kv_t[]){__VA_ARGS__}, \
    sizeof((const ev_cond_kv_t[]){__VA_ARGS__}) / sizeof(ev_cond_kv_t)
#define NO_KV NULL, 0

static const ev_principal_t root_p[] = {{"AWS", ROOT}};
static const ev_principal_t other_p[] = {{"AWS", OTHER_ROOT}};
static const ev_principal_t events_p[] = {{"Service", "events.amazonaws.com"}};

static const char *const default_policy =
    "{\"Version\":\"2012-10-17\",\"Id\":\"key-default-1\",\"Statement\":[{\"Sid\":\"Enable IAM "
    "User Permissions\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:"
    "root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}";

static ev_policy_t *parse_ok(const char *json)
{
    ev_policy_t *p = NULL;
    char *msg = NULL;
    ev_err rc = ev_policy_parse(json, strlen(json), &p, &msg);

    if (rc != EV_OK)
        fail_msg("parse failed (%d): %s\n  in: %s", rc, msg ? msg : "(no message)", json);
    assert_null(msg);
    assert_non_null(p);
    return p;
}

static void expect_error(const char *json, size_t len, ev_err want, const char *want_msg)
{
    ev_policy_t *p = (ev_policy_t *)1;
    char *msg = NULL;
    ev_err rc = ev_policy_parse(json, len, &p, &msg);

    if (rc != want || !msg || strcmp(msg, want_msg) != 0)
        fail_msg("want %d \"%s\", got %d \"%s\"\n  in: %.200s", want, want_msg, rc,
                 msg ? msg : "(null)", json ? json : "(null)");
    assert_null(p);
    free(msg);
}

static void expect_malformed(const char *json, const char *want_msg)
{
    expect_error(json, strlen(json), EV_ERR_MALFORMED_POLICY, want_msg);
}

static ev_policy_decision_t eval(const ev_policy_t *p, const char *action, const char *resource,
                                 const ev_principal_t *who, size_t nwho, const ev_cond_kv_t *ctx,
                                 size_t nctx)
{
    ev_policy_request_t r = {action, resource, who, nwho, ctx, nctx};

    return ev_policy_evaluate(p, &r);
}

/* Evaluates one statement `{Allow, *, kms:Decrypt, *, Condition: cond}`: 1 allowed, 0 not. */
static int cond(const char *condition, const ev_cond_kv_t *ctx, size_t nctx)
{
    char json[4096];
    ev_policy_t *p;
    ev_policy_decision_t d;

    snprintf(json, sizeof(json),
             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
             "\"*\",\"Action\":\"kms:Decrypt\",\"Resource\":\"*\",\"Condition\":%s}]}",
             condition);
    p = parse_ok(json);
    d = eval(p, "kms:Decrypt", KEY, root_p, 1, ctx, nctx);
    ev_policy_free(p);
    assert_int_not_equal(d, EV_POLICY_EXPLICIT_DENY);
    return d == EV_POLICY_ALLOW;
}

/* Evaluates kms:Decrypt on KEY as `who` against a one-statement Allow policy. */
static ev_policy_decision_t stmt_eval(const char *statement, const char *action,
                                      const char *resource, const ev_principal_t *who,
                                      size_t nwho)
{
    char json[4096];
    ev_policy_t *p;
    ev_policy_decision_t d;

    snprintf(json, sizeof(json), "{\"Version\":\"2012-10-17\",\"Statement\":%s}", statement);
    p = parse_ok(json);
    d = eval(p, action, resource, who, nwho, NO_KV);
    ev_policy_free(p);
    return d;
}

static void test_default_policy(void **state)
{
    static const char *const actions[] = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey",
                                          "kms:DescribeKey", "kms:PutKeyPolicy",
                                          "kms:ScheduleKeyDeletion", "kms:CreateGrant"};
    const ev_principal_t user[] = {{"AWS", "arn:aws:iam::000000000000:user/alice"}};
    const ev_principal_t session[] = {
        {"AWS", "arn:aws:sts::000000000000:assumed-role/Deployer/ci-run-42"}};
    const ev_principal_t bare[] = {{"AWS", "000000000000"}};
    const ev_principal_t other_user[] = {{"AWS", "arn:aws:iam::111111111111:user/alice"}};
    ev_policy_t *p = parse_ok(default_policy);

    (void)state;
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        assert_int_equal(eval(p, actions[i], KEY, root_p, 1, NO_KV), EV_POLICY_ALLOW);
        assert_int_equal(eval(p, actions[i], KEY, user, 1, NO_KV), EV_POLICY_ALLOW);
        assert_int_equal(eval(p, actions[i], KEY, session, 1, NO_KV), EV_POLICY_ALLOW);
        assert_int_equal(eval(p, actions[i], KEY, bare, 1, NO_KV), EV_POLICY_ALLOW);
        assert_int_equal(eval(p, actions[i], KEY, other_p, 1, NO_KV), EV_POLICY_IMPLICIT_DENY);
        assert_int_equal(eval(p, actions[i], KEY, other_user, 1, NO_KV),
                         EV_POLICY_IMPLICIT_DENY);
        assert_int_equal(eval(p, actions[i], KEY, events_p, 1, NO_KV), EV_POLICY_IMPLICIT_DENY);
        assert_int_equal(eval(p, actions[i], KEY, NULL, 0, NO_KV), EV_POLICY_IMPLICIT_DENY);
    }
    /* kms:* covers kms actions only */
    assert_int_equal(eval(p, "secretsmanager:GetSecretValue", KEY, root_p, 1, NO_KV),
                     EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, KEY), 1);
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, NULL), 1);
    assert_int_equal(ev_policy_allows_put_key_policy(p, "111111111111", KEY), 0);
    ev_policy_free(p);
}

static const char *const cmk_policy =
    "{\"Version\":\"2012-10-17\",\"Id\":\"eventbridge-cmk\",\"Statement\":["
    "{\"Sid\":\"Allow key administration\",\"Effect\":\"Allow\","
    "\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},"
    "\"Action\":[\"kms:Create*\",\"kms:Describe*\",\"kms:Enable*\",\"kms:List*\",\"kms:Put*\","
    "\"kms:Update*\",\"kms:Revoke*\",\"kms:Disable*\",\"kms:Get*\",\"kms:Delete*\","
    "\"kms:TagResource\",\"kms:UntagResource\",\"kms:ScheduleKeyDeletion\","
    "\"kms:CancelKeyDeletion\"],\"Resource\":\"*\"},"
    "{\"Sid\":\"Allow EventBridge to use the key for connection secrets\",\"Effect\":\"Allow\","
    "\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\","
    "\"Service\":\"events.amazonaws.com\"},"
    "\"Action\":[\"kms:DescribeKey\",\"kms:GenerateDataKey\",\"kms:Decrypt\"],"
    "\"Resource\":\"*\","
    "\"Condition\":{\"StringLike\":{\"kms:ViaService\":\"secretsmanager.*.amazonaws.com\","
    "\"kms:EncryptionContext:SecretARN\":"
    "[\"arn:aws:secretsmanager:*:*:secret:events!connection/*\"]},"
    "\"StringEquals\":{\"aws:ResourceTag/EventBridgeApiDestinations\":\"true\"}}}]}";

static void test_eventbridge_cmk_policy(void **state)
{
    const ev_principal_t both[] = {{"AWS", ROOT}, {"Service", "events.amazonaws.com"}};
    const ev_principal_t sm_p[] = {{"Service", "secretsmanager.amazonaws.com"}};
    ev_policy_t *p = parse_ok(cmk_policy);

#define GOOD_CTX                                                                   \
    {"kms:ViaService", "secretsmanager.us-east-1.amazonaws.com"},                  \
        {"kms:EncryptionContext:SecretARN", SECRET},                               \
        {"aws:ResourceTag/EventBridgeApiDestinations", "true"},                    \
        {"kms:CallerAccount", ACCT}

    (void)state;
    /* the right request, for each action, from either identity */
    assert_int_equal(eval(p, "kms:Decrypt", KEY, both, 2, KV(GOOD_CTX)), EV_POLICY_ALLOW);
    assert_int_equal(eval(p, "kms:GenerateDataKey", KEY, both, 2, KV(GOOD_CTX)),
                     EV_POLICY_ALLOW);
    assert_int_equal(eval(p, "kms:DescribeKey", KEY, events_p, 1, KV(GOOD_CTX)),
                     EV_POLICY_ALLOW);
    assert_int_equal(eval(p, "kms:Decrypt", KEY, events_p, 1, KV(GOOD_CTX)), EV_POLICY_ALLOW);
    assert_int_equal(eval(p, "kms:Decrypt", KEY, root_p, 1, KV(GOOD_CTX)), EV_POLICY_ALLOW);
    /* wrong ViaService */
    assert_int_equal(eval(p, "kms:Decrypt", KEY, both, 2,
                          KV({"kms:ViaService", "ssm.us-east-1.amazonaws.com"},
                             {"kms:EncryptionContext:SecretARN", SECRET},
                             {"aws:ResourceTag/EventBridgeApiDestinations", "true"})),
                     EV_POLICY_IMPLICIT_DENY);
    /* no ViaService at all (a direct call) */
    assert_int_equal(eval(p, "kms:Decrypt", KEY, both, 2,
                          KV({"kms:EncryptionContext:SecretARN", SECRET},
                             {"aws:ResourceTag/EventBridgeApiDestinations", "true"})),
                     EV_POLICY_IMPLICIT_DENY);
    /* wrong SecretARN: not an EventBridge connection secret */
    assert_int_equal(
        eval(p, "kms:Decrypt", KEY, both, 2,
             KV({"kms:ViaService", "secretsmanager.us-east-1.amazonaws.com"},
                {"kms:EncryptionContext:SecretARN",
                 "arn:aws:secretsmanager:us-east-1:000000000000:secret:prod/db-AbCdEf"},
                {"aws:ResourceTag/EventBridgeApiDestinations", "true"})),
        EV_POLICY_IMPLICIT_DENY);
    /* missing tag, and the tag with another value */
    assert_int_equal(eval(p, "kms:Decrypt", KEY, both, 2,
                          KV({"kms:ViaService", "secretsmanager.us-east-1.amazonaws.com"},
                             {"kms:EncryptionContext:SecretARN", SECRET})),
                     EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(eval(p, "kms:Decrypt", KEY, both, 2,
                          KV({"kms:ViaService", "secretsmanager.us-east-1.amazonaws.com"},
                             {"kms:EncryptionContext:SecretARN", SECRET},
                             {"aws:ResourceTag/EventBridgeApiDestinations", "TRUE"})),
                     EV_POLICY_IMPLICIT_DENY);
    /* other actions */
    assert_int_equal(eval(p, "kms:Encrypt", KEY, both, 2, KV(GOOD_CTX)),
                     EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(eval(p, "kms:ReEncryptFrom", KEY, both, 2, KV(GOOD_CTX)),
                     EV_POLICY_IMPLICIT_DENY);
    /* other account, other service */
    assert_int_equal(eval(p, "kms:Decrypt", KEY, other_p, 1, KV(GOOD_CTX)),
                     EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(eval(p, "kms:Decrypt", KEY, sm_p, 1, KV(GOOD_CTX)),
                     EV_POLICY_IMPLICIT_DENY);
    /* administration works without the conditions; use does not */
    assert_int_equal(eval(p, "kms:DescribeKey", KEY, root_p, 1, NO_KV), EV_POLICY_ALLOW);
    assert_int_equal(eval(p, "kms:PutKeyPolicy", KEY, root_p, 1, NO_KV), EV_POLICY_ALLOW);
    assert_int_equal(eval(p, "kms:Decrypt", KEY, root_p, 1, NO_KV), EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, KEY), 1);
    ev_policy_free(p);
#undef GOOD_CTX
}

static void test_explicit_deny_wins(void **state)
{
    ev_policy_t *p;

    (void)state;
    /* Deny after Allow, and Deny before Allow */
    p = parse_ok("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},"
                 "\"Action\":\"kms:*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":"
                 "\"*\",\"Action\":[\"kms:ScheduleKeyDeletion\",\"kms:Disable*\"],"
                 "\"Resource\":\"*\"}]}");
    assert_int_equal(eval(p, "kms:ScheduleKeyDeletion", KEY, root_p, 1, NO_KV),
                     EV_POLICY_EXPLICIT_DENY);
    assert_int_equal(eval(p, "kms:DisableKey", KEY, root_p, 1, NO_KV), EV_POLICY_EXPLICIT_DENY);
    assert_int_equal(eval(p, "kms:Decrypt", KEY, root_p, 1, NO_KV), EV_POLICY_ALLOW);
    /* a Deny that matches nobody's Allow is still an explicit deny */
    assert_int_equal(eval(p, "kms:DisableKey", KEY, other_p, 1, NO_KV), EV_POLICY_EXPLICIT_DENY);
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, KEY), 1);
    ev_policy_free(p);

    p = parse_ok("{\"Statement\":[{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"kms:*\","
                 "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":false}}},"
                 "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\","
                 "\"Resource\":\"*\"}]}");
    assert_int_equal(eval(p, "kms:Decrypt", KEY, root_p, 1, KV({"aws:SecureTransport", "false"})),
                     EV_POLICY_EXPLICIT_DENY);
    assert_int_equal(eval(p, "kms:Decrypt", KEY, root_p, 1, KV({"aws:SecureTransport", "true"})),
                     EV_POLICY_ALLOW);
    assert_int_equal(eval(p, "kms:Decrypt", KEY, root_p, 1, NO_KV), EV_POLICY_ALLOW);
    ev_policy_free(p);

    /* Deny of kms:PutKeyPolicy fails the lockout check */
    p = parse_ok("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\","
                 "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"" ROOT "\"},"
                 "\"Action\":\"kms:PutKeyPolicy\",\"Resource\":\"*\"}]}");
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, KEY), 0);
    ev_policy_free(p);
}

static void test_not_elements(void **state)
{
    const ev_principal_t admin[] = {
        {"AWS", "arn:aws:sts::000000000000:assumed-role/KeyAdmin/alice"}};
    const ev_principal_t bob[] = {{"AWS", "arn:aws:iam::000000000000:user/bob"}};
    ev_policy_t *p;

    (void)state;
    /* NotAction */
    p = parse_ok("{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ROOT "\"},"
                 "\"NotAction\":[\"kms:Decrypt\",\"kms:ReEncrypt*\"],\"Resource\":\"*\"}}");
    assert_int_equal(eval(p, "kms:Decrypt", KEY, root_p, 1, NO_KV), EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(eval(p, "kms:ReEncryptTo", KEY, root_p, 1, NO_KV), EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(eval(p, "kms:Encrypt", KEY, root_p, 1, NO_KV), EV_POLICY_ALLOW);
    ev_policy_free(p);

    /* NotResource */
    p = parse_ok("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\","
                 "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":"
                 "\"kms:*\",\"NotResource\":\"" KEY "\"}]}");
    assert_int_equal(eval(p, "kms:Decrypt", KEY, root_p, 1, NO_KV), EV_POLICY_ALLOW);
    assert_int_equal(eval(p, "kms:Decrypt", KEY2, root_p, 1, NO_KV), EV_POLICY_EXPLICIT_DENY);
    ev_policy_free(p);

    /* NotPrincipal: everyone but the KeyAdmin role (and its sessions) is denied deletion */
    p = parse_ok("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},"
                 "\"Action\":\"kms:*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"NotPrincipal\":"
                 "{\"AWS\":\"arn:aws:iam::000000000000:role/admins/KeyAdmin\"},\"Action\":"
                 "\"kms:ScheduleKeyDeletion\",\"Resource\":\"*\"}]}");
    assert_int_equal(eval(p, "kms:ScheduleKeyDeletion", KEY, admin, 1, NO_KV), EV_POLICY_ALLOW);
    assert_int_equal(eval(p, "kms:ScheduleKeyDeletion", KEY, bob, 1, NO_KV),
                     EV_POLICY_EXPLICIT_DENY);
    assert_int_equal(eval(p, "kms:ScheduleKeyDeletion", KEY, root_p, 1, NO_KV),
                     EV_POLICY_EXPLICIT_DENY);
    assert_int_equal(eval(p, "kms:Decrypt", KEY, bob, 1, NO_KV), EV_POLICY_ALLOW);
    ev_policy_free(p);
}

static void test_principal_forms(void **state)
{
    const ev_principal_t role_session[] = {
        {"AWS", "arn:aws:sts::000000000000:assumed-role/App/i-0abc"}};
    const ev_principal_t other_session[] = {
        {"AWS", "arn:aws:sts::000000000000:assumed-role/AppX/i-0abc"}};
    const ev_principal_t role[] = {{"AWS", "arn:aws:iam::000000000000:role/App"}};
    const ev_principal_t events_uc[] = {{"Service", "EVENTS.amazonaws.com"}};
    const ev_principal_t fed[] = {{"Federated", "cognito-identity.amazonaws.com"}};
    const ev_principal_t fed_as_service[] = {{"Service", "cognito-identity.amazonaws.com"}};
    const char *const any = "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\","
                            "\"Resource\":\"*\"}";
    const char *const aws_any = "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"*\"]},"
                                "\"Action\":\"*\",\"Resource\":\"*\"}";
    const char *const app = "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                            "\"arn:aws:iam::000000000000:role/App\"},\"Action\":\"*\","
                            "\"Resource\":\"*\"}";
    const char *const svc = "{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
                            "[\"events.amazonaws.com\"]},\"Action\":\"*\",\"Resource\":\"*\"}";
    const char *const fedp = "{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":"
                             "\"cognito-identity.amazonaws.com\"},\"Action\":\"*\","
                             "\"Resource\":\"*\"}";

    (void)state;
    assert_int_equal(stmt_eval(any, "kms:Decrypt", KEY, other_p, 1), EV_POLICY_ALLOW);
    assert_int_equal(stmt_eval(any, "kms:Decrypt", KEY, NULL, 0), EV_POLICY_ALLOW);
    assert_int_equal(stmt_eval(aws_any, "kms:Decrypt", KEY, events_p, 1), EV_POLICY_ALLOW);
    assert_int_equal(stmt_eval(app, "kms:Decrypt", KEY, role, 1), EV_POLICY_ALLOW);
    assert_int_equal(stmt_eval(app, "kms:Decrypt", KEY, role_session, 1), EV_POLICY_ALLOW);
    assert_int_equal(stmt_eval(app, "kms:Decrypt", KEY, other_session, 1),
                     EV_POLICY_IMPLICIT_DENY);
    /* a role principal does not stand for its account */
    assert_int_equal(stmt_eval(app, "kms:Decrypt", KEY, root_p, 1), EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(stmt_eval(svc, "kms:Decrypt", KEY, events_uc, 1), EV_POLICY_ALLOW);
    assert_int_equal(stmt_eval(svc, "kms:Decrypt", KEY, root_p, 1), EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(stmt_eval(fedp, "kms:Decrypt", KEY, fed, 1), EV_POLICY_ALLOW);
    assert_int_equal(stmt_eval(fedp, "kms:Decrypt", KEY, fed_as_service, 1),
                     EV_POLICY_IMPLICIT_DENY);
}

static void test_action_and_resource_matching(void **state)
{
    const char *const gen = "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
                            "[\"KMS:generate*\",\"kms:?ecrypt\"],\"Resource\":"
                            "\"arn:aws:kms:*:000000000000:key/*\"}";
    const char *const star = "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\","
                             "\"Resource\":\"arn:aws:kms:us-east-1:000000000000:key/1234*\"}";
    const char *const noact = "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Resource\":\"*\"}";
    const char *const nores = "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"*\"}";
    const char *const empty = "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":[],"
                              "\"Resource\":\"*\"}";

    (void)state;
    assert_int_equal(stmt_eval(gen, "kms:GenerateDataKey", KEY, root_p, 1), EV_POLICY_ALLOW);
    assert_int_equal(stmt_eval(gen, "kms:GenerateDataKeyWithoutPlaintext", KEY, root_p, 1),
                     EV_POLICY_ALLOW);
    assert_int_equal(stmt_eval(gen, "kms:Decrypt", KEY, root_p, 1), EV_POLICY_ALLOW);
    assert_int_equal(stmt_eval(gen, "kms:Encrypt", KEY, root_p, 1), EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(stmt_eval(gen, "kms:ReEncryptFrom", KEY, root_p, 1),
                     EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(stmt_eval(gen, "kms:Sign", KEY, root_p, 1), EV_POLICY_IMPLICIT_DENY);
    /* resources are case-sensitive, and `*` stays inside one ARN part */
    assert_int_equal(stmt_eval(gen, "kms:Decrypt",
                               "arn:aws:kms:us-east-1:111111111111:key/1", root_p, 1),
                     EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(stmt_eval(gen, "kms:Decrypt",
                               "arn:aws:kms:us-east-1:000000000000:KEY/1", root_p, 1),
                     EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(stmt_eval(gen, "kms:Decrypt",
                               "arn:aws:kms:us:east:1:000000000000:key/1", root_p, 1),
                     EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(stmt_eval(star, "kms:Decrypt", KEY, root_p, 1), EV_POLICY_ALLOW);
    assert_int_equal(stmt_eval(star, "kms:Decrypt", KEY2, root_p, 1), EV_POLICY_IMPLICIT_DENY);
    /* KMS accepts a statement without Action or Resource; it never applies */
    assert_int_equal(stmt_eval(noact, "kms:Decrypt", KEY, root_p, 1), EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(stmt_eval(nores, "kms:Decrypt", KEY, root_p, 1), EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(stmt_eval(empty, "kms:Decrypt", KEY, root_p, 1), EV_POLICY_IMPLICIT_DENY);
    /* a NULL action or resource matches only patterns that match "" */
    assert_int_equal(stmt_eval(nores, NULL, KEY, root_p, 1), EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(stmt_eval(star, NULL, NULL, root_p, 1), EV_POLICY_IMPLICIT_DENY);
}

static void test_string_operators(void **state)
{
    (void)state;
    assert_int_equal(cond("{\"StringEquals\":{\"kms:CallerAccount\":\"" ACCT "\"}}",
                          KV({"kms:CallerAccount", ACCT})), 1);
    assert_int_equal(cond("{\"StringEquals\":{\"kms:CallerAccount\":\"" ACCT "\"}}",
                          KV({"kms:CallerAccount", "111111111111"})), 0);
    assert_int_equal(cond("{\"StringEquals\":{\"kms:CallerAccount\":\"" ACCT "\"}}", NO_KV), 0);
    /* the values of one key are ORed */
    assert_int_equal(cond("{\"StringEquals\":{\"kms:CallerAccount\":[\"1\",\"" ACCT "\"]}}",
                          KV({"kms:CallerAccount", ACCT})), 1);
    /* case-sensitive values */
    assert_int_equal(cond("{\"StringEquals\":{\"aws:ResourceTag/Env\":\"Prod\"}}",
                          KV({"aws:ResourceTag/Env", "prod"})), 0);
    /* negated: none of the values may match; a missing key passes */
    assert_int_equal(cond("{\"StringNotEquals\":{\"aws:SourceAccount\":[\"1\",\"2\"]}}",
                          KV({"aws:SourceAccount", "3"})), 1);
    assert_int_equal(cond("{\"StringNotEquals\":{\"aws:SourceAccount\":[\"1\",\"2\"]}}",
                          KV({"aws:SourceAccount", "2"})), 0);
    assert_int_equal(cond("{\"StringNotEquals\":{\"aws:SourceAccount\":\"1\"}}", NO_KV), 1);
    assert_int_equal(cond("{\"StringEqualsIgnoreCase\":{\"aws:ResourceTag/Env\":\"PROD\"}}",
                          KV({"aws:ResourceTag/Env", "prod"})), 1);
    assert_int_equal(cond("{\"StringEqualsIgnoreCase\":{\"aws:ResourceTag/Env\":\"PROD\"}}",
                          KV({"aws:ResourceTag/Env", "production"})), 0);
    assert_int_equal(cond("{\"StringNotEqualsIgnoreCase\":{\"aws:ResourceTag/Env\":\"PROD\"}}",
                          KV({"aws:ResourceTag/Env", "prod"})), 0);
    assert_int_equal(cond("{\"StringNotEqualsIgnoreCase\":{\"aws:ResourceTag/Env\":\"PROD\"}}",
                          KV({"aws:ResourceTag/Env", "dev"})), 1);
    assert_int_equal(cond("{\"StringLike\":{\"kms:ViaService\":\"s?cretsmanager.*\"}}",
                          KV({"kms:ViaService", "secretsmanager.eu-west-1.amazonaws.com"})), 1);
    assert_int_equal(cond("{\"StringLike\":{\"kms:ViaService\":\"secretsmanager.*\"}}",
                          KV({"kms:ViaService", "ssm.eu-west-1.amazonaws.com"})), 0);
    assert_int_equal(cond("{\"StringLike\":{\"kms:ViaService\":\"*\"}}", NO_KV), 0);
    assert_int_equal(cond("{\"StringNotLike\":{\"kms:ViaService\":\"ssm.*\"}}",
                          KV({"kms:ViaService", "secretsmanager.eu-west-1.amazonaws.com"})), 1);
    assert_int_equal(cond("{\"StringNotLike\":{\"kms:ViaService\":\"ssm.*\"}}",
                          KV({"kms:ViaService", "ssm.eu-west-1.amazonaws.com"})), 0);
    assert_int_equal(cond("{\"StringNotLike\":{\"kms:ViaService\":\"ssm.*\"}}", NO_KV), 1);
    /* `?` is one character, also a multi-byte one */
    assert_int_equal(cond("{\"StringLike\":{\"aws:ResourceTag/n\":\"caf?\"}}",
                          KV({"aws:ResourceTag/n", "caf\xc3\xa9"})), 1);
    assert_int_equal(cond("{\"StringLike\":{\"aws:ResourceTag/n\":\"caf??\"}}",
                          KV({"aws:ResourceTag/n", "caf\xc3\xa9"})), 0);
    /* policy variables stay literal */
    assert_int_equal(cond("{\"StringEquals\":{\"aws:PrincipalAccount\":\"${aws:SourceAccount}\"}}",
                          KV({"aws:PrincipalAccount", ACCT}, {"aws:SourceAccount", ACCT})), 0);
    assert_int_equal(cond("{\"StringEquals\":{\"aws:PrincipalAccount\":\"${aws:SourceAccount}\"}}",
                          KV({"aws:PrincipalAccount", "${aws:SourceAccount}"})), 1);
}

static void test_arn_operators(void **state)
{
    const char *const odd = "arn:aws:kms:eu-west-1:000000000000:x:us-east-1:a:b";

    (void)state;
    assert_int_equal(cond("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:events:*:" ACCT
                          ":connection/*\"}}",
                          KV({"aws:SourceArn", "arn:aws:events:us-east-1:" ACCT
                                               ":connection/c/5f1e"})), 1);
    assert_int_equal(cond("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:events:*:" ACCT
                          ":connection/*\"}}",
                          KV({"aws:SourceArn", "arn:aws:events:us-east-1:111111111111"
                                               ":connection/c/5f1e"})), 0);
    /* part by part: StringLike lets `*` run across colons, ArnLike does not */
    assert_int_equal(cond("{\"StringLike\":{\"aws:SourceArn\":\"arn:aws:*:us-east-1:*:*\"}}",
                          KV({"aws:SourceArn", odd})), 1);
    assert_int_equal(cond("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:*:us-east-1:*:*\"}}",
                          KV({"aws:SourceArn", odd})), 0);
    /* the resource part keeps its colons */
    assert_int_equal(cond("{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:kms:*:*:x:*\"}}",
                          KV({"aws:SourceArn", odd})), 1);
    assert_int_equal(cond("{\"ArnEquals\":{\"aws:SourceArn\":\"" KEY "\"}}",
                          KV({"aws:SourceArn", KEY})), 1);
    assert_int_equal(cond("{\"ArnEquals\":{\"aws:SourceArn\":\"" KEY "\"}}",
                          KV({"aws:SourceArn", KEY2})), 0);
    assert_int_equal(cond("{\"ArnNotEquals\":{\"aws:SourceArn\":\"" KEY "\"}}",
                          KV({"aws:SourceArn", KEY2})), 1);
    assert_int_equal(cond("{\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:kms:*:*:key/1234*\"}}",
                          KV({"aws:SourceArn", KEY})), 0);
    assert_int_equal(cond("{\"ArnNotLike\":{\"aws:SourceArn\":\"arn:aws:kms:*:*:key/1234*\"}}",
                          NO_KV), 1);
    /* a request value that is no ARN never matches */
    assert_int_equal(cond("{\"ArnLike\":{\"aws:SourceArn\":\"arn:*:*:*:*:*\"}}",
                          KV({"aws:SourceArn", "not-an-arn"})), 0);
    assert_int_equal(cond("{\"ArnLike\":{\"aws:SourceArn\":\"*\"}}",
                          KV({"aws:SourceArn", "not-an-arn"})), 1);
}

static void test_bool_null_numeric_date_ip_binary(void **state)
{
    (void)state;
    assert_int_equal(cond("{\"Bool\":{\"aws:SecureTransport\":\"true\"}}",
                          KV({"aws:SecureTransport", "true"})), 1);
    assert_int_equal(cond("{\"Bool\":{\"aws:SecureTransport\":true}}",
                          KV({"aws:SecureTransport", "TRUE"})), 1);
    assert_int_equal(cond("{\"Bool\":{\"aws:SecureTransport\":true}}",
                          KV({"aws:SecureTransport", "false"})), 0);
    assert_int_equal(cond("{\"Bool\":{\"aws:SecureTransport\":true}}", NO_KV), 0);
    assert_int_equal(cond("{\"Null\":{\"aws:ResourceTag/Owner\":\"true\"}}", NO_KV), 1);
    assert_int_equal(cond("{\"Null\":{\"aws:ResourceTag/Owner\":\"true\"}}",
                          KV({"aws:ResourceTag/Owner", "ops"})), 0);
    assert_int_equal(cond("{\"Null\":{\"aws:ResourceTag/Owner\":false}}",
                          KV({"aws:ResourceTag/Owner", "ops"})), 1);
    assert_int_equal(cond("{\"Null\":{\"aws:ResourceTag/Owner\":\"false\"}}", NO_KV), 0);
    assert_int_equal(cond("{\"NumericLessThan\":{\"kms:RecipientAttestation:n\":10}}",
                          KV({"kms:RecipientAttestation:n", "9.5"})), 1);
    assert_int_equal(cond("{\"NumericLessThan\":{\"kms:n\":10}}", KV({"kms:n", "10"})), 0);
    assert_int_equal(cond("{\"NumericLessThanEquals\":{\"kms:n\":\"10\"}}", KV({"kms:n", "10"})),
                     1);
    assert_int_equal(cond("{\"NumericGreaterThan\":{\"kms:n\":1.5}}", KV({"kms:n", "2"})), 1);
    assert_int_equal(cond("{\"NumericGreaterThan\":{\"kms:n\":1.5}}", KV({"kms:n", "1.5"})), 0);
    assert_int_equal(cond("{\"NumericGreaterThanEquals\":{\"kms:n\":1.5}}", KV({"kms:n", "1.5"})),
                     1);
    assert_int_equal(cond("{\"NumericEquals\":{\"kms:n\":10}}", KV({"kms:n", "10.0"})), 1);
    assert_int_equal(cond("{\"NumericEquals\":{\"kms:n\":10}}", KV({"kms:n", "0x0a"})), 0);
    assert_int_equal(cond("{\"NumericEquals\":{\"kms:n\":10}}", KV({"kms:n", "ten"})), 0);
    assert_int_equal(cond("{\"NumericNotEquals\":{\"kms:n\":[1,2]}}", KV({"kms:n", "3"})), 1);
    assert_int_equal(cond("{\"NumericNotEquals\":{\"kms:n\":[1,2]}}", KV({"kms:n", "2"})), 0);
    assert_int_equal(cond("{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"}}",
                          KV({"aws:CurrentTime", "2024-05-01T12:00:00Z"})), 1);
    assert_int_equal(cond("{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"}}",
                          KV({"aws:CurrentTime", "1577836801"})), 1);
    assert_int_equal(cond("{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"}}",
                          KV({"aws:CurrentTime", "2020-01-01T01:00:00+02:00"})), 0);
    assert_int_equal(cond("{\"DateLessThan\":{\"aws:CurrentTime\":\"2020-01-01\"}}",
                          KV({"aws:CurrentTime", "2019-12-31T23:59:59.5Z"})), 1);
    assert_int_equal(cond("{\"DateLessThanEquals\":{\"aws:CurrentTime\":\"2020-01-01\"}}",
                          KV({"aws:CurrentTime", "2020-01-01T00:00:00Z"})), 1);
    assert_int_equal(cond("{\"DateEquals\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"}}",
                          KV({"aws:CurrentTime", "2020-01-01T01:00:00+01:00"})), 1);
    assert_int_equal(cond("{\"DateNotEquals\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"}}",
                          KV({"aws:CurrentTime", "2020-01-01T00:00:01Z"})), 1);
    assert_int_equal(cond("{\"DateGreaterThanEquals\":{\"aws:CurrentTime\":\"2020-01-01\"}}",
                          KV({"aws:CurrentTime", "yesterday"})), 0);
    assert_int_equal(cond("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}",
                          KV({"aws:SourceIp", "203.0.113.77"})), 1);
    assert_int_equal(cond("{\"IpAddress\":{\"aws:SourceIp\":\"203.0.113.0/24\"}}",
                          KV({"aws:SourceIp", "203.0.114.1"})), 0);
    assert_int_equal(cond("{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/9\"}}",
                          KV({"aws:SourceIp", "10.127.255.255"})), 1);
    assert_int_equal(cond("{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/9\"}}",
                          KV({"aws:SourceIp", "10.128.0.0"})), 0);
    assert_int_equal(cond("{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/32\"}}",
                          KV({"aws:SourceIp", "2001:db8:1::5"})), 1);
    assert_int_equal(cond("{\"IpAddress\":{\"aws:SourceIp\":\"2001:db8::/32\"}}",
                          KV({"aws:SourceIp", "203.0.113.5"})), 0);
    assert_int_equal(cond("{\"NotIpAddress\":{\"aws:SourceIp\":[\"192.0.2.0/24\",\"127.0.0.1\"]}}",
                          KV({"aws:SourceIp", "127.0.0.1"})), 0);
    assert_int_equal(cond("{\"NotIpAddress\":{\"aws:SourceIp\":[\"192.0.2.0/24\",\"127.0.0.1\"]}}",
                          KV({"aws:SourceIp", "198.51.100.1"})), 1);
    assert_int_equal(cond("{\"BinaryEquals\":{\"kms:x\":\"QmluYXJ5\"}}", KV({"kms:x", "QmluYXJ5"})),
                     1);
    assert_int_equal(cond("{\"BinaryEquals\":{\"kms:x\":\"QmluYXJ5\"}}", KV({"kms:x", "qmluyxj5"})),
                     0);
}

static void test_if_exists_and_set_operators(void **state)
{
    (void)state;
    assert_int_equal(cond("{\"StringEqualsIfExists\":{\"kms:ViaService\":\"x\"}}", NO_KV), 1);
    assert_int_equal(cond("{\"StringEqualsIfExists\":{\"kms:ViaService\":\"x\"}}",
                          KV({"kms:ViaService", "x"})), 1);
    assert_int_equal(cond("{\"StringEqualsIfExists\":{\"kms:ViaService\":\"x\"}}",
                          KV({"kms:ViaService", "y"})), 0);
    assert_int_equal(cond("{\"ArnLikeIfExists\":{\"aws:SourceArn\":\"arn:aws:events:*:*:*\"}}",
                          NO_KV), 1);
    assert_int_equal(cond("{\"NumericLessThanIfExists\":{\"kms:n\":3}}", KV({"kms:n", "4"})), 0);
    assert_int_equal(cond("{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":\"true\"}}", NO_KV),
                     1);

    /* ForAnyValue: one request value matching one policy value is enough; missing fails */
    assert_int_equal(cond("{\"ForAnyValue:StringEquals\":{\"kms:GrantOperations\":"
                          "[\"Decrypt\"]}}",
                          KV({"kms:GrantOperations", "Encrypt"},
                             {"kms:GrantOperations", "Decrypt"})), 1);
    assert_int_equal(cond("{\"ForAnyValue:StringEquals\":{\"kms:GrantOperations\":"
                          "[\"Sign\"]}}",
                          KV({"kms:GrantOperations", "Encrypt"},
                             {"kms:GrantOperations", "Decrypt"})), 0);
    assert_int_equal(cond("{\"ForAnyValue:StringEquals\":{\"kms:GrantOperations\":"
                          "[\"Decrypt\"]}}", NO_KV), 0);
    assert_int_equal(cond("{\"ForAnyValue:StringEqualsIfExists\":{\"kms:GrantOperations\":"
                          "[\"Decrypt\"]}}", NO_KV), 1);
    /* ForAllValues: every request value must match; missing passes */
    assert_int_equal(cond("{\"ForAllValues:StringEquals\":{\"kms:GrantOperations\":"
                          "[\"Decrypt\",\"Encrypt\",\"GenerateDataKey\"]}}",
                          KV({"kms:GrantOperations", "Encrypt"},
                             {"kms:GrantOperations", "Decrypt"})), 1);
    assert_int_equal(cond("{\"ForAllValues:StringEquals\":{\"kms:GrantOperations\":"
                          "[\"Decrypt\",\"Encrypt\"]}}",
                          KV({"kms:GrantOperations", "Encrypt"},
                             {"kms:GrantOperations", "Sign"})), 0);
    assert_int_equal(cond("{\"ForAllValues:StringEquals\":{\"kms:GrantOperations\":"
                          "[\"Decrypt\"]}}", NO_KV), 1);
    /* negated set operators test each request value against all policy values */
    assert_int_equal(cond("{\"ForAnyValue:StringNotEquals\":{\"kms:GrantOperations\":"
                          "[\"Decrypt\",\"Encrypt\"]}}",
                          KV({"kms:GrantOperations", "Encrypt"},
                             {"kms:GrantOperations", "Sign"})), 1);
    assert_int_equal(cond("{\"ForAnyValue:StringNotEquals\":{\"kms:GrantOperations\":"
                          "[\"Decrypt\",\"Encrypt\"]}}",
                          KV({"kms:GrantOperations", "Encrypt"},
                             {"kms:GrantOperations", "Decrypt"})), 0);
    assert_int_equal(cond("{\"ForAllValues:StringNotLike\":{\"kms:GrantOperations\":"
                          "[\"Re*\",\"Sign\"]}}",
                          KV({"kms:GrantOperations", "Encrypt"},
                             {"kms:GrantOperations", "Decrypt"})), 1);
    assert_int_equal(cond("{\"ForAllValues:StringNotLike\":{\"kms:GrantOperations\":"
                          "[\"Re*\",\"Sign\"]}}",
                          KV({"kms:GrantOperations", "Encrypt"},
                             {"kms:GrantOperations", "ReEncryptTo"})), 0);
    /* without a prefix a multi-valued key behaves like ForAnyValue */
    assert_int_equal(cond("{\"StringEquals\":{\"kms:GrantOperations\":\"Decrypt\"}}",
                          KV({"kms:GrantOperations", "Encrypt"},
                             {"kms:GrantOperations", "Decrypt"})), 1);
    assert_int_equal(cond("{\"StringNotEquals\":{\"kms:GrantOperations\":\"Decrypt\"}}",
                          KV({"kms:GrantOperations", "Encrypt"},
                             {"kms:GrantOperations", "Decrypt"})), 0);
}

static void test_condition_logic_and_case(void **state)
{
    (void)state;
    /* keys AND within an operator; operators AND */
    assert_int_equal(cond("{\"StringEquals\":{\"kms:a\":\"1\",\"kms:b\":\"2\"}}",
                          KV({"kms:a", "1"}, {"kms:b", "2"})), 1);
    assert_int_equal(cond("{\"StringEquals\":{\"kms:a\":\"1\",\"kms:b\":\"2\"}}",
                          KV({"kms:a", "1"}, {"kms:b", "3"})), 0);
    assert_int_equal(cond("{\"StringEquals\":{\"kms:a\":\"1\"},\"StringLike\":{\"kms:b\":\"*\"}}",
                          KV({"kms:a", "1"})), 0);
    assert_int_equal(cond("{\"StringEquals\":{\"kms:a\":\"1\"},\"StringLike\":{\"kms:b\":\"*\"}}",
                          KV({"kms:a", "1"}, {"kms:b", ""})), 1);
    assert_int_equal(cond("{}", NO_KV), 1);
    /* condition keys and operator names ignore case; values do not */
    assert_int_equal(cond("{\"StringEquals\":{\"KMS:VIASERVICE\":\"x\"}}",
                          KV({"kms:ViaService", "x"})), 1);
    assert_int_equal(cond("{\"stringequals\":{\"kms:viaservice\":\"x\"}}",
                          KV({"Kms:ViaService", "x"})), 1);
    assert_int_equal(cond("{\"StringEquals\":{\"kms:ViaService\":\"x\"}}",
                          KV({"kms:ViaService", "X"})), 0);
    assert_int_equal(cond("{\"StringEquals\":{\"kms:EncryptionContext:SecretARN\":\"" SECRET
                          "\"}}",
                          KV({"kms:encryptioncontext:secretarn", SECRET})), 1);
    /* NULL entries in the request are skipped */
    assert_int_equal(cond("{\"StringEquals\":{\"kms:a\":\"1\"}}",
                          KV({NULL, "1"}, {"kms:a", NULL}, {"kms:a", "1"})), 1);
}

static void test_malformed_documents(void **state)
{
    static const struct {
        const char *json, *msg;
    } cases[] = {
        {"", "The policy document is not valid JSON (line 1, column 0)."},
        {"{\"Statement\": [", "The policy document is not valid JSON (line 1, column 15)."},
        {"{\"Statement\":[]} x", "The policy document is not valid JSON (line 1, column 18)."},
        {"\xff", "The policy document is not valid JSON (line 1, column 0)."},
        {"[]", "The policy document must be a JSON object."},
        {"\"policy\"", "The policy document must be a JSON object."},
        {"{}", "The policy document must contain at least one statement."},
        {"{\"Version\":\"2012-10-17\",\"Statement\":[]}",
         "The policy document must contain at least one statement."},
        {"{\"Statement\":\"x\"}", "The policy document has an invalid Statement."},
        {"{\"Version\":\"2013-10-17\",\"Statement\":[]}",
         "The policy document has an invalid Version. Valid values: 2012-10-17, 2008-10-17."},
        {"{\"Version\":20121017,\"Statement\":[]}",
         "The policy document has an invalid Version. Valid values: 2012-10-17, 2008-10-17."},
        {"{\"Id\":7,\"Statement\":[]}", "The policy document has an invalid Id."},
        {"{\"Statement\":[],\"Condition\":{}}",
         "The policy document contains an unsupported element: Condition."},
        {"{\"Statement\":[],\"Statement\":[]}",
         "The policy document contains a duplicate element (line 1, column 27)."},
        {"{\"Statement\":[1]}", "Policy contains a statement that is not a JSON object."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Actions\":\"kms:*\"}]}",
         "Policy contains a statement with an unsupported element: Actions."},
        {"{\"Statement\":[{\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":\"*\"}]}",
         "Policy contains a statement with no Effect."},
        {"{\"Statement\":[{\"Effect\":\"allow\",\"Principal\":\"*\"}]}",
         "Policy contains a statement with an invalid Effect: allow. Valid values: Allow, Deny."},
        {"{\"Statement\":[{\"Effect\":true,\"Principal\":\"*\"}]}",
         "Policy contains a statement with an invalid Effect. Valid values: Allow, Deny."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"*\"}]}",
         "Policy contains a statement with no principal."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{}}]}",
         "Policy contains a statement with no principal."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[]}}]}",
         "Policy contains a statement with no principal."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"bob\"}]}",
         "Policy contains a statement with one or more invalid principals."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":[\"*\"]}]}",
         "Policy contains a statement with one or more invalid principals."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
         "\"arn:aws:iam::000000000000:user/*\"}}]}",
         "Policy contains a statement with one or more invalid principals."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
         "\"arn:aws:iam::000000000000:group/admins\"}}]}",
         "Policy contains a statement with one or more invalid principals."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
         "\"arn:aws:iam::12345:root\"}}]}",
         "Policy contains a statement with one or more invalid principals."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
         "\"AIDACKCEVSQ6C2EXAMPLE\"}}]}",
         "Policy contains a statement with one or more invalid principals."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":["
         "\"" ROOT "\",7]}}]}",
         "Policy contains a statement with one or more invalid principals."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"CanonicalUser\":\"abc\"}}]}",
         "Policy contains a statement with one or more invalid principals."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"events\"}}]}",
         "Policy contains a statement with one or more invalid principals."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":\"\"}}]}",
         "Policy contains a statement with one or more invalid principals."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotPrincipal\":\"*\"}]}",
         "Policy contains a statement with both Principal and NotPrincipal."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\","
         "\"NotAction\":\"kms:Decrypt\"}]}",
         "Policy contains a statement with both Action and NotAction."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":5}]}",
         "Policy contains a statement with an invalid Action."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotAction\":[null]}]}",
         "Policy contains a statement with an invalid NotAction."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Resource\":\"*\","
         "\"NotResource\":\"*\"}]}",
         "Policy contains a statement with both Resource and NotResource."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Resource\":{}}]}",
         "Policy contains a statement with an invalid Resource."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Sid\":1}]}",
         "Policy contains a statement with an invalid Sid."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Condition\":[]}]}",
         "Policy contains a statement with an invalid Condition."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Condition\":"
         "{\"StringEquals\":\"x\"}}]}",
         "Policy contains a statement with an invalid Condition."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Condition\":"
         "{\"StringEquals\":{\"\":\"x\"}}}]}",
         "Policy contains a statement with an invalid Condition."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Condition\":"
         "{\"StringEqualz\":{\"kms:a\":\"x\"}}}]}",
         "Policy contains a statement with an unsupported condition operator: StringEqualz."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Condition\":"
         "{\"NullIfExists\":{\"kms:a\":\"true\"}}}]}",
         "Policy contains a statement with an unsupported condition operator: NullIfExists."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Condition\":"
         "{\"ForSomeValues:StringLike\":{\"kms:a\":\"x\"}}}]}",
         "Policy contains a statement with an unsupported condition operator: "
         "ForSomeValues:StringLike."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Condition\":"
         "{\"StringLike\":{\"kms:a\":null}}}]}",
         "Policy contains an invalid value for condition key kms:a."},
        {"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Condition\":"
         "{\"StringLike\":{\"kms:a\":[\"x\",{}]}}}]}",
         "Policy contains an invalid value for condition key kms:a."},
        {"{\"Statement\":[{\"Sid\":\"A\",\"Effect\":\"Allow\",\"Principal\":\"*\"},"
         "{\"Sid\":\"B\",\"Effect\":\"Allow\",\"Principal\":\"*\"},"
         "{\"Sid\":\"A\",\"Effect\":\"Deny\",\"Principal\":\"*\"}]}",
         "Statement IDs (SID) in a single policy must be unique."},
        {"{\"Statement\":[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]}",
         "The policy document is nested too deeply."},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_malformed(cases[i].json, cases[i].msg);
    expect_error(NULL, 0, EV_ERR_MALFORMED_POLICY,
                 "The policy document is not valid JSON (line 1, column 0).");
    /* an embedded NUL is not JSON */
    expect_error("{\"Statement\":[]}\0", 17, EV_ERR_MALFORMED_POLICY,
                 "The policy document is not valid JSON (line 1, column 17).");
    /* a long echoed name is clipped to 64 bytes */
    expect_malformed("{\"Statement\":[],\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\":1}",
                     "The policy document contains an unsupported element: "
                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.");
}

static void test_valid_shapes(void **state)
{
    ev_policy_t *p;
    char *msg = (char *)1;

    (void)state;
    /* a single statement object, the 2008 version, no Version at all, strings in Principal */
    p = parse_ok("{\"Version\":\"2008-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":"
                 "{\"AWS\":\"" ACCT "\",\"Service\":\"events.amazonaws.com\"},\"Action\":"
                 "\"kms:Decrypt\",\"Resource\":\"*\"}}");
    assert_int_equal(eval(p, "kms:Decrypt", KEY, root_p, 1, NO_KV), EV_POLICY_ALLOW);
    assert_int_equal(eval(p, "kms:Decrypt", KEY, events_p, 1, NO_KV), EV_POLICY_ALLOW);
    ev_policy_free(p);
    /* brackets and quotes inside strings do not count as nesting */
    p = parse_ok("{\"Statement\":{\"Sid\":\"[[[[[[[[[[[[[[[[[[[[\\\"{{{{{{{{{{{{{{{{{{{\","
                 "\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\","
                 "\"Resource\":\"*\"}}");
    assert_int_equal(eval(p, "kms:Decrypt", KEY, root_p, 1, NO_KV), EV_POLICY_ALLOW);
    ev_policy_free(p);
    /* KMS accepts statements without Action or Resource (they never apply) */
    p = parse_ok("{\"Statement\":[{\"Sid\":\"\",\"Effect\":\"Deny\",\"Principal\":\"*\"},"
                 "{\"Sid\":\"\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ROOT "\"}}]}");
    assert_int_equal(eval(p, "kms:Decrypt", KEY, root_p, 1, NO_KV), EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, KEY), 0);
    ev_policy_free(p);
    /* msg may be NULL; on success *msg is NULL */
    assert_int_equal(ev_policy_parse("[]", 2, &p, NULL), EV_ERR_MALFORMED_POLICY);
    assert_null(p);
    assert_int_equal(ev_policy_parse(default_policy, strlen(default_policy), &p, &msg), EV_OK);
    assert_null(msg);
    ev_policy_free(p);
    ev_policy_free(NULL);
    /* NULL arrays count as empty whatever their counts say */
    p = parse_ok(default_policy);
    assert_int_equal(eval(p, "kms:Decrypt", KEY, NULL, 3, NULL, 5), EV_POLICY_IMPLICIT_DENY);
    ev_policy_free(p);
    /* NULL policy or request: deny */
    assert_int_equal(ev_policy_evaluate(NULL, NULL), EV_POLICY_IMPLICIT_DENY);
    assert_int_equal(ev_policy_allows_put_key_policy(NULL, ACCT, KEY), 0);
}

static void test_lockout_check(void **state)
{
    ev_policy_t *p;

    (void)state;
    p = parse_ok("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ROOT "\"},"
                 "\"Action\":[\"kms:Decrypt\",\"kms:Encrypt\"],\"Resource\":\"*\"}]}");
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, KEY), 0);
    ev_policy_free(p);
    /* the root caller's own context keys are present */
    p = parse_ok("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
                 "\"kms:Put*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
                 "{\"kms:CallerAccount\":\"" ACCT "\"}}}]}");
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, KEY), 1);
    assert_int_equal(ev_policy_allows_put_key_policy(p, "111111111111", KEY), 0);
    ev_policy_free(p);
    /* other context (a tag, a ViaService) is not */
    p = parse_ok("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
                 "\"kms:*\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
                 "{\"kms:ViaService\":\"secretsmanager.us-east-1.amazonaws.com\"}}}]}");
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, KEY), 0);
    ev_policy_free(p);
    /* a resource naming the key, and a role-only policy */
    p = parse_ok("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ACCT "\"},"
                 "\"Action\":\"kms:PutKeyPolicy\",\"Resource\":\"" KEY "\"}]}");
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, KEY), 1);
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, KEY2), 0);
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, NULL), 0);
    assert_int_equal(ev_policy_allows_put_key_policy(p, "0000", KEY), 0);
    assert_int_equal(ev_policy_allows_put_key_policy(p, NULL, KEY), 0);
    ev_policy_free(p);
    p = parse_ok("{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                 "\"arn:aws:iam::000000000000:role/Admin\"},\"Action\":\"kms:*\","
                 "\"Resource\":\"*\"}]}");
    assert_int_equal(ev_policy_allows_put_key_policy(p, ACCT, KEY), 0);
    ev_policy_free(p);
}

static void test_limits(void **state)
{
    size_t cap = EV_POLICY_MAX_BYTES + 64, n;
    char *buf = malloc(cap);
    ev_policy_t *p;

    (void)state;
    assert_non_null(buf);
    /* exactly 32768 bytes is fine, one more is LimitExceededException */
    n = (size_t)snprintf(buf, cap, "%s", default_policy);
    memset(buf + n, ' ', EV_POLICY_MAX_BYTES - n);
    buf[EV_POLICY_MAX_BYTES] = ' ';
    assert_int_equal(ev_policy_parse(buf, EV_POLICY_MAX_BYTES, &p, NULL), EV_OK);
    ev_policy_free(p);
    expect_error(buf, EV_POLICY_MAX_BYTES + 1, EV_ERR_LIMIT_EXCEEDED,
                 "The key policy exceeds the maximum size of 32768 bytes.");

    /* 1025 statements fit in 32 KB only as {}: refused before they are read */
    n = (size_t)snprintf(buf, cap, "{\"Statement\":[");
    for (int i = 0; i <= EV_POLICY_MAX_STATEMENTS; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s{}", i ? "," : "");
    n += (size_t)snprintf(buf + n, cap - n, "]}");
    expect_error(buf, n, EV_ERR_MALFORMED_POLICY,
                 "The policy document contains more than 1024 statements.");

    /* 1025 actions */
    n = (size_t)snprintf(buf, cap, "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                                   "\"Action\":[");
    for (int i = 0; i <= EV_POLICY_MAX_LIST; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s\"\"", i ? "," : "");
    n += (size_t)snprintf(buf + n, cap - n, "]}}");
    expect_error(buf, n, EV_ERR_MALFORMED_POLICY,
                 "Policy contains a statement with an invalid Action.");

    /* 1025 condition values; then 257 condition keys */
    n = (size_t)snprintf(buf, cap, "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                                   "\"Condition\":{\"StringLike\":{\"k\":[");
    for (int i = 0; i <= EV_POLICY_MAX_LIST; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s\"\"", i ? "," : "");
    n += (size_t)snprintf(buf + n, cap - n, "]}}}}");
    expect_error(buf, n, EV_ERR_MALFORMED_POLICY,
                 "Policy contains a condition with more than 1024 values.");
    n = (size_t)snprintf(buf, cap, "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                                   "\"Condition\":{\"StringLike\":{");
    for (int i = 0; i <= EV_POLICY_MAX_COND_KEYS; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s\"k%d\":\"\"", i ? "," : "", i);
    n += (size_t)snprintf(buf + n, cap - n, "}}}}");
    expect_error(buf, n, EV_ERR_MALFORMED_POLICY,
                 "Policy contains a statement with more than 256 condition keys.");
    free(buf);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_pathological_wildcards(void **state)
{
    size_t cap = EV_POLICY_MAX_BYTES, n;
    char *json = malloc(cap), *subject = malloc(8193), *pat = malloc(16001);
    ev_policy_t *p;
    double t0;

    (void)state;
    assert_non_null(json);
    assert_non_null(subject);
    assert_non_null(pat);
    memset(subject, 'a', 8192);
    subject[8192] = '\0';

    /* a*a*a*...*b: exponential for a backtracking matcher, one pass here */
    n = 0;
    for (int i = 0; i < 4000; i++) {
        pat[n++] = 'a';
        pat[n++] = '*';
    }
    pat[n++] = 'b';
    pat[n] = '\0';
    snprintf(json, cap, "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
                        "\"%s\",\"Resource\":\"*\",\"Condition\":{\"StringLike\":{\"k\":\"%s\"},"
                        "\"ArnLike\":{\"a\":\"%s\"}}}}", pat, "*", "*");
    p = parse_ok(json);
    t0 = now_s();
    for (int i = 0; i < 10; i++)
        assert_int_equal(eval(p, subject, KEY, root_p, 1, NO_KV), EV_POLICY_IMPLICIT_DENY);
    ev_policy_free(p);

    /* *aaaa...ab: the greedy matcher's worst case, |pattern| x |subject| steps */
    n = 0;
    pat[n++] = '*';
    for (int i = 0; i < 2000; i++)
        pat[n++] = 'a';
    pat[n++] = 'b';
    pat[n] = '\0';
    snprintf(json, cap, "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"
                        "\"*\",\"Resource\":\"%s\",\"Condition\":{\"StringLike\":"
                        "{\"k\":[\"%s\",\"%s\"]}}}}", pat, pat, pat);
    p = parse_ok(json);
    assert_int_equal(eval(p, "kms:Decrypt", subject, root_p, 1, KV({"k", subject})),
                     EV_POLICY_IMPLICIT_DENY);
    /* and it still matches what it should */
    subject[8191] = 'b';
    assert_int_equal(eval(p, "kms:Decrypt", subject, root_p, 1, KV({"k", subject})),
                     EV_POLICY_ALLOW);
    ev_policy_free(p);
    if (now_s() - t0 > 5.0)
        fail_msg("pathological wildcards took %.2f s", now_s() - t0);
    free(json);
    free(subject);
    free(pat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_policy),
        cmocka_unit_test(test_eventbridge_cmk_policy),
        cmocka_unit_test(test_explicit_deny_wins),
        cmocka_unit_test(test_not_elements),
        cmocka_unit_test(test_principal_forms),
        cmocka_unit_test(test_action_and_resource_matching),
        cmocka_unit_test(test_string_operators),
        cmocka_unit_test(test_arn_operators),
        cmocka_unit_test(test_bool_null_numeric_date_ip_binary),
        cmocka_unit_test(test_if_exists_and_set_operators),
        cmocka_unit_test(test_condition_logic_and_case),
        cmocka_unit_test(test_malformed_documents),
        cmocka_unit_test(test_valid_shapes),
        cmocka_unit_test(test_lockout_check),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_pathological_wildcards),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
