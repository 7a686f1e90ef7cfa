/*
 * crypto/policy.h - IAM-style key policies for the built-in KMS: parse and
 * validate a key policy document once, then evaluate requests against it
 * (explicit Deny > Allow > implicit deny). Pure: no store, no server, no I/O.
 * Semantics, limits and error texts: docs/internals/policy.md.
 */
#ifndef EV_CRYPTO_POLICY_H
#define EV_CRYPTO_POLICY_H

#include <stddef.h>

#include "core/err.h"

#define EV_POLICY_MAX_BYTES 32768      /* KMS key policy quota (the model allows 131072) */
#define EV_POLICY_MAX_DEPTH 16         /* JSON nesting; a valid policy needs 6 */
#define EV_POLICY_MAX_STATEMENTS 1024
#define EV_POLICY_MAX_LIST 1024        /* entries of one Action/Resource/Principal/value list */
#define EV_POLICY_MAX_COND_KEYS 256    /* operator/key pairs in one statement's Condition */

/* One identity of the caller. type is "AWS", "Service" or "Federated". */
typedef struct {
    const char *type;
    const char *value;  /* "arn:aws:iam::123456789012:root", "events.amazonaws.com", ... */
} ev_principal_t;

/* One request context entry. Keys compare case-insensitively; a key may repeat (multi-valued). */
typedef struct {
    const char *key;    /* "kms:ViaService", "kms:EncryptionContext:SecretARN", ... */
    const char *value;
} ev_cond_kv_t;

/*
 * A request to authorize, borrowed for the duration of the call. NULL arrays
 * count as empty, entries with a NULL member are skipped, a NULL action or
 * resource counts as "".
 */
typedef struct {
    const char *action;                 /* "kms:Decrypt" */
    const char *resource;               /* key ARN */
    const ev_principal_t *principals;   /* every identity the caller has */
    size_t nprincipals;
    const ev_cond_kv_t *context;
    size_t ncontext;
} ev_policy_request_t;

typedef enum {
    EV_POLICY_ALLOW = 1,
    EV_POLICY_EXPLICIT_DENY,
    EV_POLICY_IMPLICIT_DENY,
} ev_policy_decision_t;

typedef struct ev_policy ev_policy_t;

/*
 * Parses and validates a key policy document (json need not be NUL-terminated).
 * EV_OK with *out set (free with ev_policy_free); EV_ERR_MALFORMED_POLICY, or
 * EV_ERR_LIMIT_EXCEEDED when len > EV_POLICY_MAX_BYTES, with *out NULL and, when
 * msg is not NULL, AWS KMS's message in *msg (malloc'd, caller frees; NULL on EV_OK).
 * EV_ERR_INTERNAL only when jansson runs out of memory.
 */
EV_MUST_CHECK ev_err ev_policy_parse(const char *json, size_t len, ev_policy_t **out /* OUT */,
                                     char **msg /* OUT */);

/* Frees a parsed policy. Accepts NULL. */
void ev_policy_free(ev_policy_t *p);

/*
 * Evaluates one request. Allocates nothing and only reads p, so one policy may
 * be evaluated from several threads at once. A NULL policy or request denies.
 */
ev_policy_decision_t ev_policy_evaluate(const ev_policy_t *p, const ev_policy_request_t *req);

/*
 * KMS's lockout safety check: 1 when the policy lets the root of `account`
 * call kms:PutKeyPolicy on key_arn (NULL: the literal "*"), with the context a
 * root caller carries (kms:CallerAccount, aws:PrincipalAccount, aws:PrincipalArn,
 * aws:PrincipalType) and nothing else; else 0. A failing check is
 * EV_ERR_MALFORMED_POLICY with EV_POLICY_MSG_LOCKOUT.
 */
int ev_policy_allows_put_key_policy(const ev_policy_t *p, const char *account,
                                    const char *key_arn);

#define EV_POLICY_MSG_LOCKOUT \
    "The new key policy will not allow you to update the key policy in the future."

#endif
