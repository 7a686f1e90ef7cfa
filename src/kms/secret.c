/*
 * kms/secret.c - connection secrets sealed at rest. Each version of a
 * secret gets a fresh data key; the data key is a KMS ciphertext under the
 * connection's key (a customer-managed key, or the scope's built-in
 * AWS-owned key) with the encryption context {"SecretARN": <arn>}, and the
 * SecretString is sealed under the data key with the same context.
 * EventBridge's use of a customer key is checked against its tag, state
 * and policy exactly as AWS describes, on every seal and open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "kms/kms.h"
#include "util/util.h"

#define TAG_KEY "EventBridgeApiDestinations"

static void wipe_tree(json_t *j)
{
    const char *key;
    json_t *v;
    size_t i;

    if (json_is_string(j)) {
        /* jansson owns the bytes; overwrite them in place before release. */
        ev_wipe((void *)json_string_value(j), json_string_length(j));
    } else if (json_is_object(j)) {
        json_object_foreach(j, key, v)
            wipe_tree(v);
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v)
            wipe_tree(v);
    }
}

void ev_json_wipe(json_t *j)
{
    if (!j)
        return;
    wipe_tree(j);
    json_decref(j);
}

/* EventBridge acting on a connection: its identities and condition keys. */
typedef struct {
    ev_kms_principal_t p[3];
    const char *keys[6];
    const char *values[6];
    char root[64], slr[256], via[96];
    ev_kms_caller_t caller;
} eventbridge_caller_t;

static void eventbridge_caller(const ev_kms_t *k, const char *connection_arn,
                               eventbridge_caller_t *e)
{
    snprintf(e->root, sizeof(e->root), "arn:aws:iam::%s:root", k->scope.account);
    snprintf(e->slr, sizeof(e->slr), "arn:aws:iam::%s:role/aws-service-role/"
             "apidestinations.events.amazonaws.com/AWSServiceRoleForAmazonEventBridgeApiDestinations",
             k->scope.account);
    snprintf(e->via, sizeof(e->via), "secretsmanager.%s.amazonaws.com", k->scope.region);
    e->p[0] = (ev_kms_principal_t){"AWS", e->root};
    e->p[1] = (ev_kms_principal_t){"AWS", e->slr};
    e->p[2] = (ev_kms_principal_t){"Service", "events.amazonaws.com"};
    e->keys[0] = "kms:ViaService";
    e->values[0] = e->via;
    e->keys[1] = "kms:CallerAccount";
    e->values[1] = k->scope.account;
    e->keys[2] = "aws:SourceAccount";
    e->values[2] = k->scope.account;
    e->keys[3] = "aws:SourceArn";
    e->values[3] = connection_arn;
    e->keys[4] = "aws:PrincipalAccount";
    e->values[4] = k->scope.account;
    e->caller.principals = e->p;
    e->caller.nprincipals = 3;
    e->caller.keys = e->keys;
    e->caller.values = e->values;
    e->caller.nkeys = 5;
}

/*
 * Checks EventBridge may use a customer key for the secret: enabled, tagged,
 * and allowed each action. Maps KMS errors to what CreateConnection answers.
 */
static ev_err check_key(ev_kms_t *k, const ev_kms_key_t *key, const json_t *ctx,
                        const char *connection_arn, int for_open, char **msg)
{
    static const char *const needed[] = {"kms:DescribeKey", "kms:GenerateDataKey",
                                         "kms:Decrypt"};
    eventbridge_caller_t e;
    char *tag, *why = NULL;
    ev_err rc = ev_kms_usable(key, &why);

    if (rc) {
        *msg = ev_xasprintf("KMS key %s is %s.", key->arn,
                            rc == EV_ERR_KMS_DISABLED ? "disabled" : "pending deletion");
        free(why);
        return EV_ERR_ACCESS_DENIED;
    }
    tag = ev_kms_tag(k, key, TAG_KEY);
    if (!tag || strcmp(tag, "true") != 0) {
        free(tag);
        *msg = ev_xasprintf("KMS key %s is not tagged %s=true.", key->arn, TAG_KEY);
        return EV_ERR_ACCESS_DENIED;
    }
    free(tag);
    eventbridge_caller(k, connection_arn, &e);
    (void)for_open; /* EventBridge describes the key before every use too */
    for (size_t i = 0; i < 3; i++) {
        rc = ev_kms_authorize(k, key, needed[i], &e.caller, ctx, &why);
        if (rc) {
            *msg = ev_xasprintf("Access denied to KMS key %s: its key policy does not allow "
                                "EventBridge %s.", key->arn, needed[i]);
            free(why);
            return EV_ERR_ACCESS_DENIED;
        }
    }
    return EV_OK;
}

static json_t *context_of(const char *secret_arn)
{
    return json_pack("{s:s}", "SecretARN", secret_arn);
}

/*
 * Seals plaintext into the secrets row row_arn (a new version), under the
 * key key_ref names, with the encryption context of the connection secret
 * ctx_arn (the connection's own secret, or its OAuth token row).
 */
static ev_err seal_row(ev_kms_t *k, const char *key_ref, const char *secret_arn,
                       const char *secret_name, const char *owning, const char *ctx_arn,
                       const char *connection_arn, const json_t *plaintext, char **msg)
{
    unsigned char dk[EV_KEY_BYTES];
    char version[37], *text = NULL, *aad = NULL, *why = NULL;
    json_t *ctx = context_of(ctx_arn);
    ev_blob_t wrapped = {0}, sealed = {0};
    ev_kms_key_t key;
    ev_secret_t old, s = {0};
    ev_err rc;

    *msg = NULL;
    if (key_ref && *key_ref) {
        rc = ev_kms_find(k, key_ref, 1, &key, &why);
        if (rc == EV_ERR_KMS_NOT_FOUND) {
            *msg = ev_xasprintf("KMS key %s not found", key_ref);
            rc = EV_ERR_NOT_FOUND;
        }
        if (rc == EV_OK)
            rc = check_key(k, &key, ctx, connection_arn, 0, msg);
    } else {
        rc = ev_kms_default_key(k, &key);
    }
    free(why);
    if (rc)
        goto out;
    text = json_dumps(plaintext, JSON_COMPACT | JSON_PRESERVE_ORDER);
    aad = ev_kms_context_canonical(ctx);
    if (!text) {
        rc = EV_ERR_INTERNAL;
        goto out;
    }
    ev_random(dk, sizeof(dk));
    rc = ev_kms_encrypt(k, &key, ctx, dk, sizeof(dk), &wrapped);
    if (rc == EV_OK)
        rc = ev_seal(dk, aad, strlen(aad), text, strlen(text), &sealed);
    if (rc)
        goto out;
    ev_uuid4(version);
    s.arn = (char *)secret_arn;
    s.name = (char *)secret_name;
    s.owning_service = (char *)owning;
    s.kms_key_id = key.arn;
    s.version_id = version;
    s.wrapped_key = wrapped.p;
    s.wrapped_key_len = wrapped.n;
    s.ciphertext = sealed.p;
    s.ciphertext_len = sealed.n;
    s.created_ms = s.changed_ms = k->now_ms;
    if (ev_store_secret_get(k->store, k->scope, secret_arn, &old) == EV_OK)
        s.created_ms = old.created_ms;
    ev_secret_clear(&old);
    rc = ev_store_secret_put(k->store, k->scope, &s);
out:
    ev_wipe(dk, sizeof(dk));
    ev_free_secret(text);
    free(aad);
    ev_blob_free(&wrapped);
    ev_blob_free(&sealed);
    ev_kms_key_clear(&key);
    json_decref(ctx);
    return rc;
}

/*
 * Opens a secret. eventbridge: EventBridge's use (tag, state and policy as
 * check_key); otherwise a user's GetSecretValue (key state, and kms:Decrypt
 * for `user` via Secrets Manager). On a KMS problem *msg says why.
 */
static ev_err open_row(ev_kms_t *k, const char *secret_arn, const char *ctx_arn,
                       const char *connection_arn, const char *user, json_t **out, char **msg)
{
    json_t *ctx = context_of(ctx_arn);
    char key_id[64], *aad = ev_kms_context_canonical(ctx), *why = NULL;
    ev_blob_t dk = {0}, pt = {0};
    ev_kms_key_t key = {0};
    ev_secret_t s;
    ev_err rc;

    *out = NULL;
    *msg = NULL;
    rc = ev_store_secret_get(k->store, k->scope, secret_arn, &s);
    if (rc == EV_ERR_NOT_FOUND) {
        *msg = ev_xasprintf("Secret %s not found.", secret_arn);
        rc = EV_ERR_ACCESS_DENIED;
    }
    if (rc)
        goto out;
    rc = ev_kms_blob_key_id(s.wrapped_key, s.wrapped_key_len, key_id);
    if (rc)
        goto corrupt;
    if (strstr(s.kms_key_id, ":key/00000000-0000-4000-8000-")) {
        rc = ev_kms_default_key(k, &key);
    } else {
        rc = ev_kms_find(k, key_id, 0, &key, &why);
        if (rc == EV_ERR_KMS_NOT_FOUND) {
            *msg = ev_xasprintf("KMS key %s does not exist (it was deleted).", s.kms_key_id);
            rc = EV_ERR_ACCESS_DENIED;
            goto out;
        }
        if (rc == EV_OK && !user)
            rc = check_key(k, &key, ctx, connection_arn, 1, msg);
        if (rc == EV_OK && user) {
            ev_kms_principal_t p = {"AWS", user};
            const char *keys[] = {"kms:ViaService", "kms:CallerAccount"};
            char via[96];
            const char *values[] = {via, k->scope.account};
            ev_kms_caller_t caller = {&p, 1, keys, values, 2};

            snprintf(via, sizeof(via), "secretsmanager.%s.amazonaws.com", k->scope.region);
            rc = ev_kms_usable(&key, msg);
            if (rc == EV_OK)
                rc = ev_kms_authorize(k, &key, "kms:Decrypt", &caller, ctx, msg);
        }
    }
    if (rc)
        goto out;
    rc = ev_kms_decrypt(k, &key, s.wrapped_key, s.wrapped_key_len, ctx, &dk);
    if (rc || dk.n != EV_KEY_BYTES)
        goto corrupt;
    if (ev_open(dk.p, aad, strlen(aad), s.ciphertext, s.ciphertext_len, &pt) != EV_OK)
        goto corrupt;
    *out = json_loadb((const char *)pt.p, pt.n, 0, NULL);
    if (!json_is_object(*out))
        goto corrupt;
    rc = EV_OK;
    goto out;
corrupt:
    ev_json_wipe(*out);
    *out = NULL;
    ev_error("secrets: the secret %s cannot be decrypted", secret_arn);
    free(*msg);
    *msg = ev_xasprintf("The secret cannot be decrypted.");
    rc = EV_ERR_KMS_INVALID_CIPHERTEXT;
out:
    free(why);
    free(aad);
    ev_blob_free(&dk);
    ev_blob_free(&pt);
    ev_kms_key_clear(&key);
    ev_secret_clear(&s);
    json_decref(ctx);
    return rc;
}

ev_err ev_secret_seal(ev_kms_t *k, const char *key_ref, const char *secret_arn,
                      const char *secret_name, const char *connection_arn,
                      const json_t *plaintext, char **msg)
{
    return seal_row(k, key_ref, secret_arn, secret_name, "events", secret_arn, connection_arn,
                    plaintext, msg);
}

ev_err ev_secret_open(ev_kms_t *k, const char *secret_arn, const char *connection_arn,
                      json_t **out, char **msg)
{
    ev_err rc = open_row(k, secret_arn, secret_arn, connection_arn, NULL, out, msg);

    return rc ? EV_ERR_ACCESS_DENIED : EV_OK;
}

ev_err ev_secret_read(ev_kms_t *k, const char *secret_arn, const char *user, json_t **out,
                      char **msg)
{
    return open_row(k, secret_arn, secret_arn, NULL, user, out, msg);
}

/* The row that holds a connection's OAuth token, beside its secret. */
static char *token_arn(const char *secret_arn)
{
    return ev_xasprintf("%s/oauth-token", secret_arn);
}

ev_err ev_token_store(ev_kms_t *k, const char *key_ref, const char *secret_arn,
                      const char *connection_arn, const json_t *token, char **msg)
{
    char *arn = token_arn(secret_arn);
    const char *name = strstr(arn, ":secret:") ? strstr(arn, ":secret:") + 8 : arn;
    ev_err rc = seal_row(k, key_ref, arn, name, EV_TOKEN_OWNER, secret_arn, connection_arn,
                         token, msg);

    free(arn);
    return rc;
}

ev_err ev_token_load(ev_kms_t *k, const char *secret_arn, const char *connection_arn,
                     json_t **out, char **msg)
{
    char *arn = token_arn(secret_arn);
    ev_err rc = open_row(k, arn, secret_arn, connection_arn, NULL, out, msg);

    free(arn);
    return rc;
}

ev_err ev_token_delete(ev_kms_t *k, const char *secret_arn)
{
    char *arn = token_arn(secret_arn);
    ev_err rc = ev_store_secret_delete(k->store, k->scope, arn);

    free(arn);
    return rc;
}
