/*
 * fuzz/fuzz_policy.c - libFuzzer driver for key policies. The input is a
 * policy document, optionally followed by a NUL byte and a subject string.
 * The document is parsed; when it parses, a fixed EventBridge-style request
 * is evaluated against it, then the same request with the subject in place
 * of the action, the resource, the caller and every context value (so the
 * wildcard, ARN, number, date and IP matchers see arbitrary input), and the
 * lockout check runs. A parse failure must come with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NCTX 12

static const char *const keys[NCTX] = {
    "kms:ViaService",         "kms:EncryptionContext:SecretARN",
    "aws:ResourceTag/EventBridgeApiDestinations", "kms:CallerAccount",
    "aws:SourceAccount",      "aws:SourceArn",
    "aws:CurrentTime",        "aws:SourceIp",
    "kms:GrantOperations",    "kms:GrantOperations",
    "aws:SecureTransport",    "kms:n",
};

static const char *const fixed[NCTX] = {
    "secretsmanager.us-east-1.amazonaws.com",
    "arn:aws:secretsmanager:us-east-1:000000000000:secret:events!connection/c/0c1a-AbCdEf",
    "true",
    "000000000000",
    "000000000000",
    "arn:aws:events:us-east-1:000000000000:connection/c/5f1e",
    "2024-05-01T12:00:00Z",
    "203.0.113.7",
    "Decrypt",
    "Encrypt",
    "true",
    "10",
};

static void evaluate(const ev_policy_t *p, const char *subject)
{
    ev_principal_t who[2] = {{"AWS", "arn:aws:iam::000000000000:root"},
                             {"Service", "events.amazonaws.com"}};
    ev_cond_kv_t ctx[NCTX];
    ev_policy_request_t r;
    ev_policy_decision_t d;

    for (int i = 0; i < NCTX; i++) {
        ctx[i].key = keys[i];
        ctx[i].value = subject ? subject : fixed[i];
    }
    if (subject)
        who[0].value = subject;
    r.action = subject ? subject : "kms:Decrypt";
    r.resource = subject ? subject
                         : "arn:aws:kms:us-east-1:000000000000:key/"
                           "1234abcd-12ab-34cd-56ef-1234567890ab";
    r.principals = who;
    r.nprincipals = 2;
    r.context = ctx;
    r.ncontext = NCTX;
    d = ev_policy_evaluate(p, &r);
    if (d != EV_POLICY_ALLOW && d != EV_POLICY_EXPLICIT_DENY && d != EV_POLICY_IMPLICIT_DENY)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *doc = (const char *)data;
    const void *nul = memchr(data, '\0', size);
    size_t len = nul ? (size_t)((const uint8_t *)nul - data) : size;
    char *subject = NULL, *msg = NULL;
    ev_policy_t *p = NULL;
    ev_err rc;

    rc = ev_policy_parse(doc, len, &p, &msg);
    if (rc != EV_OK) {
        if (!msg || p)
            abort();
        free(msg);
        return 0;
    }
    if (msg || !p)
        abort();
    evaluate(p, NULL);
    if (nul) {
        subject = malloc(size - len);
        if (subject) {
            memcpy(subject, data + len + 1, size - len - 1);
            subject[size - len - 1] = '\0';
            evaluate(p, subject);
            free(subject);
        }
    }
    (void)ev_policy_allows_put_key_policy(p, "000000000000", NULL);
    ev_policy_free(p);
    return 0;
}
