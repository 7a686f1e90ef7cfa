/*
 * kms/kms.h - the built-in KMS: customer-managed and AWS-owned keys, their
 * states and policies, KMS ciphertext blobs, and the sealing of connection
 * secrets under a connection's key. Shared by api/ (the TrentService and
 * Secrets Manager operations, connections) and deliver/ (reading a
 * connection's secret to call an endpoint).
 *
 * Every function works inside the caller's store transaction. Messages
 * (*msg) are malloc'd, AWS-worded, and never contain secret material.
 */
#ifndef EV_KMS_KMS_H
#define EV_KMS_KMS_H

#include <jansson.h>
#include <stdint.h>

#include "core/err.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define EV_KMS_MAX_CONTEXT 64

typedef struct {
    ev_store_t *store;
    const unsigned char *master_key; /* EV_KEY_BYTES */
    ev_scope_t scope;
    int64_t now_ms;
} ev_kms_t;

/* One identity of a caller, for key policies: type "AWS" or "Service". */
typedef struct {
    const char *type;
    const char *value;
} ev_kms_principal_t;

/* Who is using a key: identities and extra condition keys (e.g. kms:ViaService). */
typedef struct {
    const ev_kms_principal_t *principals;
    size_t nprincipals;
    const char *const *keys;   /* condition keys ... */
    const char *const *values; /* ... and their values */
    size_t nkeys;
} ev_kms_caller_t;

/* The caller identity of a direct KMS API call by `account`'s root credential. */
void ev_kms_api_caller(const char *account, ev_kms_principal_t *p /* OUT */, char *arn_buf,
                       size_t arn_len, ev_kms_caller_t *out /* OUT */);

/*
 * Finds a key by key id, key ARN and, when aliases_ok, alias name or alias
 * ARN. A key whose deletion window has passed is deleted here. Errors:
 * EV_ERR_KMS_NOT_FOUND (unknown or malformed id, unknown alias).
 */
EV_MUST_CHECK ev_err ev_kms_find(ev_kms_t *k, const char *ref, int aliases_ok,
                                 ev_kms_key_t *out /* OUT */, char **msg);

/* EV_ERR_KMS_DISABLED or EV_ERR_KMS_INVALID_STATE unless the key is Enabled. */
EV_MUST_CHECK ev_err ev_kms_usable(const ev_kms_key_t *key, char **msg);

/*
 * Evaluates the key policy for `action` (e.g. "kms:Decrypt") by `caller`
 * with encryption context `ctx` (object of strings, may be NULL). The key's
 * tags are offered as aws:ResourceTag/... and kms:ResourceTag/....
 * EV_ERR_ACCESS_DENIED with AWS's message when not allowed.
 */
EV_MUST_CHECK ev_err ev_kms_authorize(ev_kms_t *k, const ev_kms_key_t *key, const char *action,
                                      const ev_kms_caller_t *caller, const json_t *ctx,
                                      char **msg);

/* The value of a tag of the key, malloc'd, or NULL. */
char *ev_kms_tag(ev_kms_t *k, const ev_kms_key_t *key, const char *tag_key);

/* Creates a key row with fresh material. key_id NULL: a new uuid (or mrk- id). */
EV_MUST_CHECK ev_err ev_kms_create(ev_kms_t *k, const char *key_id, const char *manager,
                                   const char *description, const char *policy, int multi_region,
                                   ev_kms_key_t *out /* OUT */);

/* The scope's built-in AWS-owned key, created on first use. */
EV_MUST_CHECK ev_err ev_kms_default_key(ev_kms_t *k, ev_kms_key_t *out /* OUT */);

/* The key material, unsealed from the master key (wipe after use). */
EV_MUST_CHECK ev_err ev_kms_material(ev_kms_t *k, const ev_kms_key_t *key,
                                     unsigned char out[EV_KEY_BYTES] /* OUT */);

/*
 * KMS ciphertext blobs: version, key id, then a sealed blob whose additional
 * data is the canonical encryption context. ev_kms_encrypt writes one;
 * ev_kms_blob_key_id reads the key id of one (EV_ERR_KMS_INVALID_CIPHERTEXT
 * when malformed); ev_kms_decrypt opens one with its key.
 */
EV_MUST_CHECK ev_err ev_kms_encrypt(ev_kms_t *k, const ev_kms_key_t *key, const json_t *ctx,
                                    const void *pt, size_t pt_len, ev_blob_t *out /* OUT */);
EV_MUST_CHECK ev_err ev_kms_blob_key_id(const unsigned char *blob, size_t len,
                                        char key_id[64] /* OUT */);
EV_MUST_CHECK ev_err ev_kms_decrypt(ev_kms_t *k, const ev_kms_key_t *key,
                                    const unsigned char *blob, size_t len, const json_t *ctx,
                                    ev_blob_t *out /* OUT */);

/* Canonical form of an encryption context (sorted compact JSON; "" for none). */
char *ev_kms_context_canonical(const json_t *ctx);

/* ---- connection secrets ---- */

/*
 * Seals a connection's SecretString (a JSON object) as a new version of the
 * secret at secret_arn, under the key key_ref names (NULL or "": the
 * built-in key). With a customer key, checks what EventBridge needs: the
 * key exists (else EV_ERR_NOT_FOUND), is enabled, carries the tag
 * EventBridgeApiDestinations=true and its policy lets EventBridge use
 * kms:DescribeKey, kms:GenerateDataKey and kms:Decrypt with the secret's
 * encryption context (else EV_ERR_ACCESS_DENIED).
 */
EV_MUST_CHECK ev_err ev_secret_seal(ev_kms_t *k, const char *key_ref, const char *secret_arn,
                                    const char *secret_name, const char *connection_arn,
                                    const json_t *plaintext, char **msg);

/*
 * Opens a connection's secret as EventBridge does to use it. On a KMS
 * problem (key deleted, disabled, pending deletion, policy) returns
 * EV_ERR_ACCESS_DENIED with a StateReason-ready message naming the cause.
 * *out is the decoded object (free with ev_json_wipe).
 */
EV_MUST_CHECK ev_err ev_secret_open(ev_kms_t *k, const char *secret_arn,
                                    const char *connection_arn, json_t **out /* OUT */,
                                    char **msg);

/*
 * Opens a secret for a user's GetSecretValue: the key must be enabled and
 * its policy must allow `user` kms:Decrypt via Secrets Manager. Errors:
 * EV_ERR_KMS_DISABLED / EV_ERR_KMS_INVALID_STATE, EV_ERR_ACCESS_DENIED (the
 * policy, or the key is gone), EV_ERR_KMS_INVALID_CIPHERTEXT.
 */
EV_MUST_CHECK ev_err ev_secret_read(ev_kms_t *k, const char *secret_arn, const char *user,
                                    json_t **out /* OUT */, char **msg);

/*
 * A connection's cached OAuth token, sealed like its secret (same key, same
 * encryption context) in a row beside it that Secrets Manager never shows
 * (owning service EV_TOKEN_OWNER). load: EV_ERR_ACCESS_DENIED / not found
 * when there is none or it cannot be read.
 */
#define EV_TOKEN_OWNER "events-oauth-token"
EV_MUST_CHECK ev_err ev_token_store(ev_kms_t *k, const char *key_ref, const char *secret_arn,
                                    const char *connection_arn, const json_t *token, char **msg);
EV_MUST_CHECK ev_err ev_token_load(ev_kms_t *k, const char *secret_arn,
                                   const char *connection_arn, json_t **out, char **msg);
EV_MUST_CHECK ev_err ev_token_delete(ev_kms_t *k, const char *secret_arn);

/* Wipes every string in a JSON tree, then releases it. Accepts NULL. */
void ev_json_wipe(json_t *j);

#endif
