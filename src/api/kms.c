/*
 * api/kms.c - the KMS operations (TrentService): keys and their states,
 * aliases, key policies, tags, and Encrypt / Decrypt / GenerateDataKey /
 * ReEncrypt. Only symmetric ENCRYPT_DECRYPT keys exist. Every call on a key
 * is checked against the key's policy for the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "crypto/policy.h"
#include "util/util.h"

#define DAY_MS (24LL * 3600 * 1000)
#define LOCKOUT_MSG "The new key policy will not allow you to update the key policy in the future."

/* KMS context of the call: store access and the caller as a policy principal. */
typedef struct {
    ev_kms_t kms;
    ev_kms_principal_t p;
    char arn[64];
    ev_kms_caller_t caller;
} kms_call_t;

static void kms_call(ev_call_t *c, kms_call_t *k)
{
    ev__kms(c, &k->kms);
    ev_kms_api_caller(c->scope.account, &k->p, k->arn, sizeof(k->arn), &k->caller);
}

/* Fails the call with a kms/ error message (taking it). */
static ev_err fail_msg(ev_call_t *c, ev_err rc, char *msg)
{
    rc = ev_fail(c, rc, "%s", msg ? msg : "");
    free(msg);
    return rc;
}

/*
 * Finds the key KeyId (or `member`) names and checks the caller may perform
 * `action` on it; usable: also require the key to be Enabled.
 */
static ev_err key_for(ev_call_t *c, kms_call_t *k, const char *member, int aliases_ok,
                      const char *action, int usable, const json_t *ctx, ev_kms_key_t *key)
{
    char *msg = NULL;
    ev_err rc = ev_kms_find(&k->kms, ev__str(c->in, member), aliases_ok, key, &msg);

    if (rc == EV_OK)
        rc = ev_kms_authorize(&k->kms, key, action, &k->caller, ctx, &msg);
    if (rc == EV_OK && usable)
        rc = ev_kms_usable(key, &msg);
    if (rc)
        rc = fail_msg(c, rc, msg);
    return rc;
}

static void key_metadata(ev_call_t *c, json_t *out, const ev_kms_key_t *key)
{
    json_t *m = json_object();

    ev__set_str(m, "AWSAccountId", c->scope.account);
    ev__set_str(m, "KeyId", key->key_id);
    ev__set_str(m, "Arn", key->arn);
    ev__set_time(m, "CreationDate", key->created_ms);
    json_object_set_new(m, "Enabled", json_boolean(strcmp(key->state, "Enabled") == 0));
    ev__set_str(m, "Description", key->description ? key->description : "");
    ev__set_str(m, "KeyUsage", "ENCRYPT_DECRYPT");
    ev__set_str(m, "KeyState", key->state);
    if (strcmp(key->state, "PendingDeletion") == 0) {
        ev__set_time(m, "DeletionDate", key->deletion_ms);
        json_object_set_new(m, "PendingDeletionWindowInDays", json_integer(key->pending_days));
    }
    ev__set_str(m, "Origin", "AWS_KMS");
    ev__set_str(m, "KeyManager", key->key_manager);
    ev__set_str(m, "CustomerMasterKeySpec", "SYMMETRIC_DEFAULT");
    ev__set_str(m, "KeySpec", "SYMMETRIC_DEFAULT");
    json_object_set_new(m, "EncryptionAlgorithms", json_pack("[s]", "SYMMETRIC_DEFAULT"));
    json_object_set_new(m, "MultiRegion", json_boolean(key->multi_region));
    json_object_set_new(out, "KeyMetadata", m);
}

/* Parses a key policy; with lockout checking unless bypassed. */
static ev_err check_policy(ev_call_t *c, const char *policy, const char *key_arn)
{
    json_t *bypass = json_object_get(c->in, "BypassPolicyLockoutSafetyCheck");
    ev_policy_t *p = NULL;
    char *msg = NULL;
    ev_err rc = ev_policy_parse(policy, strlen(policy), &p, &msg);

    if (rc)
        return fail_msg(c, rc, msg);
    if (!json_is_true(bypass) && !ev_policy_allows_put_key_policy(p, c->scope.account, key_arn))
        rc = ev_fail(c, EV_ERR_MALFORMED_POLICY, LOCKOUT_MSG);
    ev_policy_free(p);
    return rc;
}

static char *default_policy(const char *account)
{
    return ev_xasprintf("{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n"
                        "  \"Statement\" : [ {\n    \"Sid\" : \"Enable IAM User Permissions\",\n"
                        "    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n"
                        "      \"AWS\" : \"arn:aws:iam::%s:root\"\n    },\n"
                        "    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  } ]\n}",
                        account);
}

/* Validates KMS tags (TagKey/TagValue) beyond the model: no aws: prefix. */
static ev_err check_tags(ev_call_t *c, const json_t *tags)
{
    json_t *t;
    size_t i;

    json_array_foreach(tags, i, t) {
        const char *key = ev__str(t, "TagKey");

        if (key && strncmp(key, "aws:", 4) == 0)
            return ev_fail(c, EV_ERR_KMS_TAG, "Tags beginning with aws: are reserved.");
    }
    return EV_OK;
}

static ev_err put_tags(ev_call_t *c, const char *arn, const json_t *tags)
{
    json_t *t;
    size_t i;
    ev_err rc = EV_OK;

    json_array_foreach(tags, i, t) {
        rc = ev_store_tag_put(c->app->store, c->scope, arn, ev__str(t, "TagKey"),
                              ev__str(t, "TagValue"));
        if (rc)
            break;
    }
    return rc;
}

static ev_err create_key(ev_call_t *c)
{
    const char *usage = ev__str(c->in, "KeyUsage"), *spec = ev__str(c->in, "KeySpec");
    const char *cmk_spec = ev__str(c->in, "CustomerMasterKeySpec");
    const char *origin = ev__str(c->in, "Origin"), *policy = ev__str(c->in, "Policy");
    json_t *tags = json_object_get(c->in, "Tags");
    char *def = NULL;
    kms_call_t k;
    ev_kms_key_t key = {0};
    ev_err rc;

    if ((usage && strcmp(usage, "ENCRYPT_DECRYPT") != 0) ||
        (spec && strcmp(spec, "SYMMETRIC_DEFAULT") != 0) ||
        (cmk_spec && strcmp(cmk_spec, "SYMMETRIC_DEFAULT") != 0))
        return ev_fail(c, EV_ERR_KMS_UNSUPPORTED, "evbridge supports only symmetric encryption "
                       "keys (KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT).");
    if (origin && strcmp(origin, "AWS_KMS") != 0)
        return ev_fail(c, EV_ERR_KMS_UNSUPPORTED, "evbridge supports only keys with Origin "
                       "AWS_KMS.");
    if (ev__str(c->in, "CustomKeyStoreId") || ev__str(c->in, "XksKeyId"))
        return ev_fail(c, EV_ERR_KMS_UNSUPPORTED, "Custom key stores are not supported.");
    rc = check_tags(c, tags);
    if (rc)
        return rc;
    if (policy) {
        rc = check_policy(c, policy, NULL);
        if (rc)
            return rc;
    } else {
        policy = def = default_policy(c->scope.account);
    }
    kms_call(c, &k);
    rc = ev_kms_create(&k.kms, NULL, "CUSTOMER", ev__str(c->in, "Description"), policy,
                       json_is_true(json_object_get(c->in, "MultiRegion")), &key);
    if (rc == EV_OK)
        rc = put_tags(c, key.arn, tags);
    if (rc == EV_OK)
        key_metadata(c, c->out, &key);
    ev_kms_key_clear(&key);
    free(def);
    return rc;
}

static ev_err describe_key(ev_call_t *c)
{
    kms_call_t k;
    ev_kms_key_t key;
    ev_err rc;

    kms_call(c, &k);
    rc = key_for(c, &k, "KeyId", 1, "kms:DescribeKey", 0, NULL, &key);
    if (rc == EV_OK)
        key_metadata(c, c->out, &key);
    ev_kms_key_clear(&key);
    return rc;
}

/* Marker handling shared by the List* operations: the marker is the last id. */
static int limit_of(const ev_call_t *c)
{
    json_t *v = json_object_get(c->in, "Limit");

    return json_is_integer(v) ? (int)json_integer_value(v) : 100;
}

static ev_err marker_of(ev_call_t *c, char **after)
{
    const char *m = ev__str(c->in, "Marker");
    unsigned char *raw;
    size_t n;

    *after = NULL;
    if (!m)
        return EV_OK;
    raw = ev_base64_decode(m, strlen(m), &n);
    if (!raw || n == 0 || memchr(raw, '\0', n)) {
        free(raw);
        return ev_fail(c, EV_ERR_KMS_INVALID_MARKER, "Invalid marker");
    }
    *after = ev_xstrndup((const char *)raw, n);
    free(raw);
    return EV_OK;
}

static void set_marker(ev_call_t *c, const char *last, int truncated)
{
    json_object_set_new(c->out, "Truncated", json_boolean(truncated));
    if (truncated) {
        char *m = ev_base64_encode((const unsigned char *)last, strlen(last));

        ev__set_str(c->out, "NextMarker", m);
        free(m);
    }
}

static ev_err list_keys(ev_call_t *c)
{
    int limit = limit_of(c);
    char *after = NULL;
    ev_kms_key_t *list = NULL;
    size_t n = 0;
    json_t *arr;
    ev_err rc = marker_of(c, &after);

    if (rc)
        return rc;
    rc = ev_store_kms_key_list(c->app->store, c->scope, after, limit + 1, &list, &n);
    if (rc == EV_OK) {
        arr = json_array();
        for (size_t i = 0; i < n && i < (size_t)limit; i++)
            json_array_append_new(arr, json_pack("{s:s,s:s}", "KeyId", list[i].key_id, "KeyArn",
                                                 list[i].arn));
        json_object_set_new(c->out, "Keys", arr);
        set_marker(c, n > (size_t)limit ? list[limit - 1].key_id : NULL, n > (size_t)limit);
    }
    ev_store_kms_key_list_free(list, n);
    free(after);
    return rc;
}

static ev_err set_state(ev_call_t *c, const char *action, const char *state)
{
    kms_call_t k;
    ev_kms_key_t key;
    ev_err rc;

    kms_call(c, &k);
    rc = key_for(c, &k, "KeyId", 0, action, 0, NULL, &key);
    if (rc == EV_OK && strcmp(key.state, "PendingDeletion") == 0)
        rc = ev_fail(c, EV_ERR_KMS_INVALID_STATE, "%s is pending deletion.", key.arn);
    if (rc == EV_OK) {
        free(key.state);
        key.state = ev_xstrdup(state);
        rc = ev_store_kms_key_put(c->app->store, c->scope, &key);
    }
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err enable_key(ev_call_t *c)
{
    return set_state(c, "kms:EnableKey", "Enabled");
}

static ev_err disable_key(ev_call_t *c)
{
    return set_state(c, "kms:DisableKey", "Disabled");
}

static ev_err schedule_key_deletion(ev_call_t *c)
{
    json_t *w = json_object_get(c->in, "PendingWindowInDays");
    int64_t days = json_is_integer(w) ? json_integer_value(w) : 30;
    kms_call_t k;
    ev_kms_key_t key;
    ev_err rc;

    if (days < 7 || days > 30)
        return ev_fail(c, EV_ERR_VALIDATION, "1 validation error detected: Value '%lld' at "
                       "'pendingWindowInDays' failed to satisfy constraint: Member must have "
                       "value %s %d", (long long)days,
                       days < 7 ? "greater than or equal to" : "less than or equal to",
                       days < 7 ? 7 : 30);
    kms_call(c, &k);
    rc = key_for(c, &k, "KeyId", 0, "kms:ScheduleKeyDeletion", 0, NULL, &key);
    if (rc == EV_OK && strcmp(key.state, "PendingDeletion") == 0)
        rc = ev_fail(c, EV_ERR_KMS_INVALID_STATE, "%s is pending deletion.", key.arn);
    if (rc == EV_OK) {
        free(key.state);
        key.state = ev_xstrdup("PendingDeletion");
        key.pending_days = days;
        key.deletion_ms = c->now_ms + days * DAY_MS;
        rc = ev_store_kms_key_put(c->app->store, c->scope, &key);
    }
    if (rc == EV_OK) {
        ev__set_str(c->out, "KeyId", key.arn);
        ev__set_time(c->out, "DeletionDate", key.deletion_ms);
        ev__set_str(c->out, "KeyState", "PendingDeletion");
        json_object_set_new(c->out, "PendingWindowInDays", json_integer(days));
    }
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err cancel_key_deletion(ev_call_t *c)
{
    kms_call_t k;
    ev_kms_key_t key;
    ev_err rc;

    kms_call(c, &k);
    rc = key_for(c, &k, "KeyId", 0, "kms:CancelKeyDeletion", 0, NULL, &key);
    if (rc == EV_OK && strcmp(key.state, "PendingDeletion") != 0)
        rc = ev_fail(c, EV_ERR_KMS_INVALID_STATE, "%s is not pending deletion.", key.arn);
    if (rc == EV_OK) {
        /* A key whose deletion is cancelled comes back disabled. */
        free(key.state);
        key.state = ev_xstrdup("Disabled");
        key.deletion_ms = 0;
        key.pending_days = 0;
        rc = ev_store_kms_key_put(c->app->store, c->scope, &key);
    }
    if (rc == EV_OK)
        ev__set_str(c->out, "KeyId", key.arn);
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err check_alias_name(ev_call_t *c, const char *name)
{
    if (strncmp(name, "alias/", 6) != 0 || name[6] == '\0')
        return ev_fail(c, EV_ERR_VALIDATION, "Alias must start with the prefix \"alias/\". Please "
                       "see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
    if (strncmp(name, "alias/aws/", 10) == 0 || strcmp(name, "alias/aws") == 0)
        return ev_fail(c, EV_ERR_KMS_INVALID_ALIAS, "Alias names starting with alias/aws/ are "
                       "reserved for AWS managed keys.");
    return EV_OK;
}

static ev_err alias_target(ev_call_t *c, kms_call_t *k, ev_kms_key_t *key)
{
    ev_err rc = key_for(c, k, "TargetKeyId", 0, "kms:CreateAlias", 0, NULL, key);

    if (rc == EV_OK && strcmp(key->state, "PendingDeletion") == 0)
        rc = ev_fail(c, EV_ERR_KMS_INVALID_STATE, "%s is pending deletion.", key->arn);
    return rc;
}

static ev_err create_alias(ev_call_t *c)
{
    const char *name = ev__str(c->in, "AliasName");
    ev_kms_alias_t a = {0}, old = {0};
    kms_call_t k;
    ev_kms_key_t key = {0};
    ev_err rc = check_alias_name(c, name);

    if (rc)
        return rc;
    kms_call(c, &k);
    rc = alias_target(c, &k, &key);
    if (rc)
        goto out;
    rc = ev_store_kms_alias_get(c->app->store, c->scope, name, &old);
    ev_kms_alias_clear(&old);
    if (rc == EV_OK) {
        rc = ev_fail(c, EV_ERR_KMS_ALREADY_EXISTS, "An alias with the name arn:aws:kms:%s:%s:%s "
                     "already exists", c->scope.region, c->scope.account, name);
        goto out;
    }
    if (rc != EV_ERR_NOT_FOUND)
        goto out;
    a.name = (char *)name;
    a.key_id = key.key_id;
    a.created_ms = a.updated_ms = c->now_ms;
    rc = ev_store_kms_alias_put(c->app->store, c->scope, &a);
out:
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err alias_not_found(ev_call_t *c, const char *name)
{
    return ev_fail(c, EV_ERR_KMS_NOT_FOUND, "Alias arn:aws:kms:%s:%s:%s is not found.",
                   c->scope.region, c->scope.account, name);
}

static ev_err update_alias(ev_call_t *c)
{
    const char *name = ev__str(c->in, "AliasName");
    ev_kms_alias_t a;
    kms_call_t k;
    ev_kms_key_t key = {0};
    ev_err rc = ev_store_kms_alias_get(c->app->store, c->scope, name, &a);

    if (rc == EV_ERR_NOT_FOUND)
        return alias_not_found(c, name);
    if (rc)
        return rc;
    kms_call(c, &k);
    rc = alias_target(c, &k, &key);
    if (rc == EV_OK) {
        free(a.key_id);
        a.key_id = ev_xstrdup(key.key_id);
        a.updated_ms = c->now_ms;
        rc = ev_store_kms_alias_put(c->app->store, c->scope, &a);
    }
    ev_kms_alias_clear(&a);
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err delete_alias(ev_call_t *c)
{
    const char *name = ev__str(c->in, "AliasName");
    ev_kms_alias_t a;
    ev_err rc = ev_store_kms_alias_get(c->app->store, c->scope, name, &a);

    ev_kms_alias_clear(&a);
    if (rc == EV_ERR_NOT_FOUND)
        return alias_not_found(c, name);
    if (rc == EV_OK)
        rc = ev_store_kms_alias_delete(c->app->store, c->scope, name);
    return rc;
}

static ev_err list_aliases(ev_call_t *c)
{
    int limit = limit_of(c);
    char *after = NULL, *id = NULL;
    ev_kms_alias_t *list = NULL;
    size_t n = 0;
    json_t *arr;
    ev_err rc = marker_of(c, &after);

    if (rc)
        return rc;
    if (ev__str(c->in, "KeyId")) {
        kms_call_t k;
        ev_kms_key_t key;

        kms_call(c, &k);
        rc = key_for(c, &k, "KeyId", 0, "kms:ListAliases", 0, NULL, &key);
        if (rc == EV_OK)
            id = ev_xstrdup(key.key_id);
        ev_kms_key_clear(&key);
        if (rc)
            goto out;
    }
    rc = ev_store_kms_alias_list(c->app->store, c->scope, id, after, limit + 1, &list, &n);
    if (rc)
        goto out;
    arr = json_array();
    for (size_t i = 0; i < n && i < (size_t)limit; i++) {
        json_t *e = json_object();
        char *arn = ev_xasprintf("arn:aws:kms:%s:%s:%s", c->scope.region, c->scope.account,
                                 list[i].name);

        ev__set_str(e, "AliasName", list[i].name);
        ev__set_str(e, "AliasArn", arn);
        ev__set_str(e, "TargetKeyId", list[i].key_id);
        ev__set_time(e, "CreationDate", list[i].created_ms);
        ev__set_time(e, "LastUpdatedDate", list[i].updated_ms);
        json_array_append_new(arr, e);
        free(arn);
    }
    json_object_set_new(c->out, "Aliases", arr);
    set_marker(c, n > (size_t)limit ? list[limit - 1].name : NULL, n > (size_t)limit);
out:
    ev_store_kms_alias_list_free(list, n);
    free(after);
    free(id);
    return rc;
}

static ev_err check_policy_name(ev_call_t *c)
{
    const char *name = ev__str(c->in, "PolicyName");

    if (name && strcmp(name, "default") != 0)
        return ev_fail(c, EV_ERR_KMS_NOT_FOUND, "No such policy exists");
    return EV_OK;
}

static ev_err get_key_policy(ev_call_t *c)
{
    kms_call_t k;
    ev_kms_key_t key = {0};
    ev_err rc = check_policy_name(c);

    kms_call(c, &k);
    if (rc == EV_OK)
        rc = key_for(c, &k, "KeyId", 0, "kms:GetKeyPolicy", 0, NULL, &key);
    if (rc == EV_OK) {
        ev__set_str(c->out, "Policy", key.policy);
        ev__set_str(c->out, "PolicyName", "default");
    }
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err put_key_policy(ev_call_t *c)
{
    const char *policy = ev__str(c->in, "Policy");
    kms_call_t k;
    ev_kms_key_t key = {0};
    ev_err rc = check_policy_name(c);

    kms_call(c, &k);
    if (rc == EV_OK)
        rc = key_for(c, &k, "KeyId", 0, "kms:PutKeyPolicy", 0, NULL, &key);
    if (rc == EV_OK)
        rc = check_policy(c, policy, key.arn);
    if (rc == EV_OK) {
        free(key.policy);
        key.policy = ev_xstrdup(policy);
        rc = ev_store_kms_key_put(c->app->store, c->scope, &key);
    }
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err list_key_policies(ev_call_t *c)
{
    kms_call_t k;
    ev_kms_key_t key;
    ev_err rc;

    kms_call(c, &k);
    rc = key_for(c, &k, "KeyId", 0, "kms:ListKeyPolicies", 0, NULL, &key);
    if (rc == EV_OK) {
        json_object_set_new(c->out, "PolicyNames", json_pack("[s]", "default"));
        json_object_set_new(c->out, "Truncated", json_false());
    }
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err tag_resource(ev_call_t *c)
{
    json_t *tags = json_object_get(c->in, "Tags");
    kms_call_t k;
    ev_kms_key_t key;
    ev_err rc;

    kms_call(c, &k);
    rc = key_for(c, &k, "KeyId", 0, "kms:TagResource", 0, NULL, &key);
    if (rc == EV_OK && strcmp(key.state, "PendingDeletion") == 0)
        rc = ev_fail(c, EV_ERR_KMS_INVALID_STATE, "%s is pending deletion.", key.arn);
    if (rc == EV_OK)
        rc = check_tags(c, tags);
    if (rc == EV_OK)
        rc = put_tags(c, key.arn, tags);
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err untag_resource(ev_call_t *c)
{
    json_t *keys = json_object_get(c->in, "TagKeys"), *t;
    kms_call_t k;
    ev_kms_key_t key;
    size_t i;
    ev_err rc;

    kms_call(c, &k);
    rc = key_for(c, &k, "KeyId", 0, "kms:UntagResource", 0, NULL, &key);
    json_array_foreach(keys, i, t) {
        if (rc)
            break;
        rc = ev_store_tag_delete(c->app->store, c->scope, key.arn, json_string_value(t));
    }
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err list_resource_tags(ev_call_t *c)
{
    kms_call_t k;
    ev_kms_key_t key;
    ev_tag_t *tags = NULL;
    size_t n = 0;
    ev_err rc;

    kms_call(c, &k);
    rc = key_for(c, &k, "KeyId", 0, "kms:ListResourceTags", 0, NULL, &key);
    if (rc == EV_OK)
        rc = ev_store_tags_list(c->app->store, c->scope, key.arn, &tags, &n);
    if (rc == EV_OK) {
        json_t *arr = json_array();

        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:s,s:s}", "TagKey", tags[i].key, "TagValue",
                                                 tags[i].value));
        json_object_set_new(c->out, "Tags", arr);
        json_object_set_new(c->out, "Truncated", json_false());
    }
    ev_store_tags_free(tags, n);
    ev_kms_key_clear(&key);
    return rc;
}

/* Decodes a base64 blob member (the model check guarantees valid base64). */
static unsigned char *blob_in(ev_call_t *c, const char *member, size_t *n)
{
    const char *b64 = ev__str(c->in, member);

    *n = 0;
    return b64 ? ev_base64_decode(b64, strlen(b64), n) : NULL;
}

static void blob_out(json_t *o, const char *member, const unsigned char *p, size_t n)
{
    char *b64 = ev_base64_encode(p, n);

    ev__set_str(o, member, b64);
    ev_free_secret(b64);
}

static ev_err encrypt_op(ev_call_t *c)
{
    json_t *ctx = ev__obj(c->in, "EncryptionContext");
    size_t n;
    unsigned char *pt = blob_in(c, "Plaintext", &n);
    ev_blob_t out = {0};
    kms_call_t k;
    ev_kms_key_t key;
    ev_err rc;

    kms_call(c, &k);
    rc = key_for(c, &k, "KeyId", 1, "kms:Encrypt", 1, ctx, &key);
    if (rc == EV_OK)
        rc = ev_kms_encrypt(&k.kms, &key, ctx, pt, n, &out);
    if (rc == EV_OK) {
        blob_out(c->out, "CiphertextBlob", out.p, out.n);
        ev__set_str(c->out, "KeyId", key.arn);
        ev__set_str(c->out, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    }
    ev_blob_free(&out);
    if (pt) {
        ev_wipe(pt, n);
        free(pt);
    }
    ev_kms_key_clear(&key);
    return rc;
}

/* Opens a ciphertext blob member with its key, checking `action`. */
static ev_err open_blob(ev_call_t *c, kms_call_t *k, const char *blob_member,
                        const char *ctx_member, const char *key_member, const char *action,
                        ev_kms_key_t *key, ev_blob_t *pt)
{
    json_t *ctx = ev__obj(c->in, ctx_member);
    size_t n;
    unsigned char *blob = blob_in(c, blob_member, &n);
    char id[64], *msg = NULL;
    ev_err rc = EV_OK;

    memset(key, 0, sizeof(*key));
    if (!blob || ev_kms_blob_key_id(blob, n, id) != EV_OK) {
        rc = ev_fail(c, EV_ERR_KMS_INVALID_CIPHERTEXT, "%s", "");
        goto out;
    }
    rc = ev_kms_find(&k->kms, id, 0, key, &msg);
    if (rc == EV_ERR_KMS_NOT_FOUND) {
        /* The blob names no key of ours: it was not made here. */
        rc = ev_fail(c, EV_ERR_KMS_INVALID_CIPHERTEXT, "%s", "");
        goto out;
    }
    if (rc == EV_OK && ev__str(c->in, key_member)) {
        ev_kms_key_t want;

        /* The named key must be the one the ciphertext was made under. */
        rc = ev_kms_find(&k->kms, ev__str(c->in, key_member), 1, &want, &msg);
        if (rc == EV_OK && strcmp(want.key_id, key->key_id) != 0) {
            free(msg);
            msg = ev_xstrdup("The key ID in the request does not identify a CMK that can "
                             "perform this operation.");
            rc = EV_ERR_KMS_INCORRECT_KEY;
        }
        ev_kms_key_clear(&want);
    }
    if (rc == EV_OK)
        rc = ev_kms_authorize(&k->kms, key, action, &k->caller, ctx, &msg);
    if (rc == EV_OK)
        rc = ev_kms_usable(key, &msg);
    if (rc) {
        rc = fail_msg(c, rc, msg);
        msg = NULL;
        goto out;
    }
    rc = ev_kms_decrypt(&k->kms, key, blob, n, ctx, pt);
    if (rc)
        rc = ev_fail(c, rc == EV_ERR_KMS_INCORRECT_KEY ? EV_ERR_KMS_INVALID_CIPHERTEXT : rc,
                     "%s", "");
out:
    free(msg);
    free(blob);
    return rc;
}

static ev_err decrypt_op(ev_call_t *c)
{
    kms_call_t k;
    ev_kms_key_t key;
    ev_blob_t pt = {0};
    ev_err rc;

    kms_call(c, &k);
    rc = open_blob(c, &k, "CiphertextBlob", "EncryptionContext", "KeyId", "kms:Decrypt", &key,
                   &pt);
    if (rc == EV_OK) {
        ev__set_str(c->out, "KeyId", key.arn);
        blob_out(c->out, "Plaintext", pt.p, pt.n);
        ev__set_str(c->out, "EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    }
    ev_blob_free(&pt);
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err data_key(ev_call_t *c, int with_plaintext)
{
    json_t *ctx = ev__obj(c->in, "EncryptionContext");
    json_t *nb = json_object_get(c->in, "NumberOfBytes");
    const char *spec = ev__str(c->in, "KeySpec");
    unsigned char dk[1024];
    size_t n;
    ev_blob_t out = {0};
    kms_call_t k;
    ev_kms_key_t key = {0};
    ev_err rc;

    if ((!nb && !spec) || (nb && spec))
        return ev_fail(c, EV_ERR_VALIDATION, "Please specify either number of bytes or key "
                       "spec.");
    n = nb ? (size_t)json_integer_value(nb) : strcmp(spec, "AES_128") == 0 ? 16 : 32;
    kms_call(c, &k);
    rc = key_for(c, &k, "KeyId", 1,
                 with_plaintext ? "kms:GenerateDataKey" : "kms:GenerateDataKeyWithoutPlaintext",
                 1, ctx, &key);
    if (rc)
        goto out;
    ev_random(dk, n);
    rc = ev_kms_encrypt(&k.kms, &key, ctx, dk, n, &out);
    if (rc)
        goto out;
    blob_out(c->out, "CiphertextBlob", out.p, out.n);
    if (with_plaintext)
        blob_out(c->out, "Plaintext", dk, n);
    ev__set_str(c->out, "KeyId", key.arn);
out:
    ev_wipe(dk, sizeof(dk));
    ev_blob_free(&out);
    ev_kms_key_clear(&key);
    return rc;
}

static ev_err generate_data_key(ev_call_t *c)
{
    return data_key(c, 1);
}

static ev_err generate_data_key_without_plaintext(ev_call_t *c)
{
    return data_key(c, 0);
}

static ev_err re_encrypt(ev_call_t *c)
{
    json_t *dctx = ev__obj(c->in, "DestinationEncryptionContext");
    kms_call_t k;
    ev_kms_key_t src, dst = {0};
    ev_blob_t pt = {0}, out = {0};
    ev_err rc;

    kms_call(c, &k);
    rc = open_blob(c, &k, "CiphertextBlob", "SourceEncryptionContext", "SourceKeyId",
                   "kms:ReEncryptFrom", &src, &pt);
    if (rc == EV_OK)
        rc = key_for(c, &k, "DestinationKeyId", 1, "kms:ReEncryptTo", 1, dctx, &dst);
    if (rc == EV_OK)
        rc = ev_kms_encrypt(&k.kms, &dst, dctx, pt.p, pt.n, &out);
    if (rc == EV_OK) {
        blob_out(c->out, "CiphertextBlob", out.p, out.n);
        ev__set_str(c->out, "SourceKeyId", src.arn);
        ev__set_str(c->out, "KeyId", dst.arn);
        ev__set_str(c->out, "SourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
        ev__set_str(c->out, "DestinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    }
    ev_blob_free(&pt);
    ev_blob_free(&out);
    ev_kms_key_clear(&src);
    ev_kms_key_clear(&dst);
    return rc;
}

const ev_op_t ev__kms_ops[] = {
    {"TrentService.CreateKey", create_key, 1},
    {"TrentService.DescribeKey", describe_key, 1},
    {"TrentService.ListKeys", list_keys, 1},
    {"TrentService.EnableKey", enable_key, 1},
    {"TrentService.DisableKey", disable_key, 1},
    {"TrentService.ScheduleKeyDeletion", schedule_key_deletion, 1},
    {"TrentService.CancelKeyDeletion", cancel_key_deletion, 1},
    {"TrentService.CreateAlias", create_alias, 1},
    {"TrentService.UpdateAlias", update_alias, 1},
    {"TrentService.DeleteAlias", delete_alias, 1},
    {"TrentService.ListAliases", list_aliases, 1},
    {"TrentService.GetKeyPolicy", get_key_policy, 1},
    {"TrentService.PutKeyPolicy", put_key_policy, 1},
    {"TrentService.ListKeyPolicies", list_key_policies, 1},
    {"TrentService.TagResource", tag_resource, 1},
    {"TrentService.UntagResource", untag_resource, 1},
    {"TrentService.ListResourceTags", list_resource_tags, 1},
    {"TrentService.Encrypt", encrypt_op, 1},
    {"TrentService.Decrypt", decrypt_op, 1},
    {"TrentService.GenerateDataKey", generate_data_key, 1},
    {"TrentService.GenerateDataKeyWithoutPlaintext", generate_data_key_without_plaintext, 1},
    {"TrentService.ReEncrypt", re_encrypt, 1},
    {NULL, NULL, 0},
};
