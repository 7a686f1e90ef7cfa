/*
 * kms/keys.c - KMS keys: identifiers (key id, key ARN, alias name, alias
 * ARN), states and the end of a deletion window, key material, and key
 * policy checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/policy.h"
#include "kms/kms.h"
#include "util/util.h"

#define DEFAULT_KEY_ID "00000000-0000-4000-8000-0000000e7b01"

static char *key_arn(const ev_kms_t *k, const char *key_id)
{
    return ev_xasprintf("arn:aws:kms:%s:%s:key/%s", k->scope.region, k->scope.account, key_id);
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* A key id as KMS writes them: a lowercase uuid, or mrk- and 32 hex digits. */
static int valid_key_id(const char *id)
{
    static const int dash[] = {8, 13, 18, 23};

    if (strncmp(id, "mrk-", 4) == 0)
        return strlen(id) == 36 && is_hex(id + 4, 32);
    if (strlen(id) != 36)
        return 0;
    for (int i = 0, d = 0; i < 36; i++) {
        if (d < 4 && i == dash[d]) {
            if (id[i] != '-')
                return 0;
            d++;
        } else if (!is_hex(id + i, 1)) {
            return 0;
        }
    }
    return 1;
}

void ev_kms_api_caller(const char *account, ev_kms_principal_t *p, char *arn_buf, size_t arn_len,
                       ev_kms_caller_t *out)
{
    snprintf(arn_buf, arn_len, "arn:aws:iam::%s:root", account);
    p->type = "AWS";
    p->value = arn_buf;
    memset(out, 0, sizeof(*out));
    out->principals = p;
    out->nprincipals = 1;
}

static ev_err load_id(ev_kms_t *k, const char *id, ev_kms_key_t *out, char **msg)
{
    char *arn;
    ev_err rc = ev_store_kms_key_get(k->store, k->scope, id, out);

    if (rc == EV_OK && strcmp(out->key_manager, "CUSTOMER") != 0) {
        ev_kms_key_clear(out);
        rc = EV_ERR_NOT_FOUND;
    }
    if (rc == EV_OK && strcmp(out->state, "PendingDeletion") == 0 && out->deletion_ms &&
        out->deletion_ms <= k->now_ms) {
        /* The deletion window has ended: the key is gone for good. */
        rc = ev_store_kms_key_delete(k->store, k->scope, id);
        ev_kms_key_clear(out);
        if (rc == EV_OK)
            rc = EV_ERR_NOT_FOUND;
    }
    if (rc == EV_ERR_NOT_FOUND) {
        arn = key_arn(k, id);
        *msg = ev_xasprintf("Key '%s' does not exist", arn);
        free(arn);
        rc = EV_ERR_KMS_NOT_FOUND;
    }
    return rc;
}

ev_err ev_kms_find(ev_kms_t *k, const char *ref, int aliases_ok, ev_kms_key_t *out, char **msg)
{
    char *prefix = ev_xasprintf("arn:aws:kms:%s:%s:", k->scope.region, k->scope.account);
    const char *alias = NULL, *id = ref;
    ev_kms_alias_t a = {0};
    ev_err rc;

    memset(out, 0, sizeof(*out));
    *msg = NULL;
    if (strncmp(ref, "arn:", 4) == 0) {
        const char *region = ref + 4;
        size_t n;

        /* arn:<partition>:kms:<region>:<account>:key/<id> | alias/<name> */
        region = strchr(region, ':') ? strchr(region, ':') + 1 : "";
        if (strncmp(region, "kms:", 4) == 0)
            region += 4;
        n = strcspn(region, ":");
        if (strncmp(ref, prefix, strlen(prefix)) != 0) {
            if (n != strlen(k->scope.region) || strncmp(region, k->scope.region, n) != 0)
                *msg = ev_xasprintf("Invalid arn %.*s", (int)n, region);
            else
                *msg = ev_xasprintf("Invalid keyId '%s'", ref);
            rc = EV_ERR_KMS_NOT_FOUND;
            goto out;
        }
        if (strncmp(ref + strlen(prefix), "key/", 4) == 0)
            id = ref + strlen(prefix) + 4;
        else if (strncmp(ref + strlen(prefix), "alias/", 6) == 0)
            alias = ref + strlen(prefix);
        else
            id = "";
    } else if (strncmp(ref, "alias/", 6) == 0) {
        alias = ref;
    }
    if (alias) {
        if (!aliases_ok) {
            *msg = ev_xasprintf("Invalid keyId '%s'", ref);
            rc = EV_ERR_KMS_NOT_FOUND;
            goto out;
        }
        rc = ev_store_kms_alias_get(k->store, k->scope, alias, &a);
        if (rc == EV_ERR_NOT_FOUND) {
            *msg = ev_xasprintf("Alias %s%s is not found.", prefix, alias);
            rc = EV_ERR_KMS_NOT_FOUND;
        }
        if (rc)
            goto out;
        rc = load_id(k, a.key_id, out, msg);
        goto out;
    }
    if (!valid_key_id(id)) {
        *msg = ev_xasprintf("Invalid keyId '%s'", ref);
        rc = EV_ERR_KMS_NOT_FOUND;
        goto out;
    }
    rc = load_id(k, id, out, msg);
out:
    ev_kms_alias_clear(&a);
    free(prefix);
    return rc;
}

ev_err ev_kms_usable(const ev_kms_key_t *key, char **msg)
{
    if (strcmp(key->state, "Disabled") == 0) {
        *msg = ev_xasprintf("%s is disabled.", key->arn);
        return EV_ERR_KMS_DISABLED;
    }
    if (strcmp(key->state, "PendingDeletion") == 0) {
        *msg = ev_xasprintf("%s is pending deletion.", key->arn);
        return EV_ERR_KMS_INVALID_STATE;
    }
    if (strcmp(key->state, "Enabled") != 0) {
        *msg = ev_xasprintf("%s is not enabled.", key->arn);
        return EV_ERR_KMS_INVALID_STATE;
    }
    return EV_OK;
}

char *ev_kms_tag(ev_kms_t *k, const ev_kms_key_t *key, const char *tag_key)
{
    ev_tag_t *tags = NULL;
    size_t n = 0;
    char *v = NULL;

    if (ev_store_tags_list(k->store, k->scope, key->arn, &tags, &n) != EV_OK)
        return NULL;
    for (size_t i = 0; i < n && !v; i++)
        if (strcmp(tags[i].key, tag_key) == 0)
            v = ev_xstrdup(tags[i].value);
    ev_store_tags_free(tags, n);
    return v;
}

ev_err ev_kms_authorize(ev_kms_t *k, const ev_kms_key_t *key, const char *action,
                        const ev_kms_caller_t *caller, const json_t *ctx, char **msg)
{
    ev_policy_t *pol = NULL;
    ev_principal_t *pr = NULL;
    ev_cond_kv_t *kv = NULL;
    ev_tag_t *tags = NULL;
    size_t ntags = 0, nkv = 0, cap;
    ev_policy_request_t req;
    ev_policy_decision_t d = EV_POLICY_IMPLICIT_DENY;
    char *pmsg = NULL, **owned = NULL;
    size_t nowned = 0;
    const char *ckey;
    json_t *cval;
    ev_err rc = EV_OK;

    *msg = NULL;
    if (!key->policy) /* AWS-owned keys: only EventBridge itself uses them */
        return EV_OK;
    if (ev_policy_parse(key->policy, strlen(key->policy), &pol, &pmsg) != EV_OK) {
        free(pmsg);
        goto decide;
    }
    rc = ev_store_tags_list(k->store, k->scope, key->arn, &tags, &ntags);
    if (rc)
        goto out;
    cap = caller->nkeys + 2 * ntags + json_object_size(ctx) + 1;
    kv = ev_xcalloc(cap, sizeof(*kv));
    owned = ev_xcalloc(2 * ntags + json_object_size(ctx) + 1, sizeof(*owned));
    for (size_t i = 0; i < caller->nkeys; i++) {
        kv[nkv].key = caller->keys[i];
        kv[nkv++].value = caller->values[i];
    }
    for (size_t i = 0; i < ntags; i++) {
        owned[nowned] = ev_xasprintf("aws:ResourceTag/%s", tags[i].key);
        kv[nkv].key = owned[nowned++];
        kv[nkv++].value = tags[i].value;
        owned[nowned] = ev_xasprintf("kms:ResourceTag/%s", tags[i].key);
        kv[nkv].key = owned[nowned++];
        kv[nkv++].value = tags[i].value;
    }
    json_object_foreach((json_t *)ctx, ckey, cval) {
        if (!json_is_string(cval))
            continue;
        owned[nowned] = ev_xasprintf("kms:EncryptionContext:%s", ckey);
        kv[nkv].key = owned[nowned++];
        kv[nkv++].value = json_string_value(cval);
    }
    pr = ev_xcalloc(caller->nprincipals + 1, sizeof(*pr));
    for (size_t i = 0; i < caller->nprincipals; i++) {
        pr[i].type = caller->principals[i].type;
        pr[i].value = caller->principals[i].value;
    }
    memset(&req, 0, sizeof(req));
    req.action = action;
    req.resource = key->arn;
    req.principals = pr;
    req.nprincipals = caller->nprincipals;
    req.context = kv;
    req.ncontext = nkv;
    d = ev_policy_evaluate(pol, &req);
decide:
    if (d == EV_POLICY_ALLOW)
        goto out;
    rc = EV_ERR_ACCESS_DENIED;
    if (d == EV_POLICY_EXPLICIT_DENY)
        *msg = ev_xasprintf("User: %s is not authorized to perform: %s on resource: %s with an "
                            "explicit deny in a resource-based policy",
                            caller->nprincipals ? caller->principals[0].value : "anonymous",
                            action, key->arn);
    else
        *msg = ev_xasprintf("User: %s is not authorized to perform: %s on resource: %s because "
                            "no resource-based policy allows the %s action",
                            caller->nprincipals ? caller->principals[0].value : "anonymous",
                            action, key->arn, action);
out:
    for (size_t i = 0; i < nowned; i++)
        free(owned[i]);
    free(owned);
    free(kv);
    free(pr);
    ev_store_tags_free(tags, ntags);
    ev_policy_free(pol);
    return rc;
}

static ev_err seal_material(ev_kms_t *k, const char *arn, unsigned char material[EV_KEY_BYTES],
                            ev_blob_t *sealed)
{
    return ev_seal(k->master_key, arn, strlen(arn), material, EV_KEY_BYTES, sealed);
}

ev_err ev_kms_create(ev_kms_t *k, const char *key_id, const char *manager,
                     const char *description, const char *policy, int multi_region,
                     ev_kms_key_t *out)
{
    unsigned char material[EV_KEY_BYTES];
    char id[64];
    ev_blob_t sealed = {0};
    ev_err rc;

    memset(out, 0, sizeof(*out));
    if (key_id) {
        snprintf(id, sizeof(id), "%s", key_id);
    } else if (multi_region) {
        unsigned char r[16];

        ev_random(r, sizeof(r));
        memcpy(id, "mrk-", 4);
        ev_hex(r, sizeof(r), id + 4);
    } else {
        ev_uuid4(id);
    }
    out->key_id = ev_xstrdup(id);
    out->arn = key_arn(k, id);
    out->state = ev_xstrdup("Enabled");
    out->description = ev_xstrdup(description ? description : "");
    out->key_manager = ev_xstrdup(manager);
    out->policy = policy ? ev_xstrdup(policy) : NULL;
    out->key_usage = ev_xstrdup("ENCRYPT_DECRYPT");
    out->multi_region = multi_region;
    out->created_ms = k->now_ms;
    ev_random(material, sizeof(material));
    rc = seal_material(k, out->arn, material, &sealed);
    ev_wipe(material, sizeof(material));
    if (rc)
        goto out;
    out->material = sealed.p;
    out->material_len = sealed.n;
    sealed.p = NULL;
    rc = ev_store_kms_key_put(k->store, k->scope, out);
out:
    if (rc)
        ev_kms_key_clear(out);
    return rc;
}

ev_err ev_kms_default_key(ev_kms_t *k, ev_kms_key_t *out)
{
    ev_err rc = ev_store_kms_key_get(k->store, k->scope, DEFAULT_KEY_ID, out);

    if (rc == EV_ERR_NOT_FOUND)
        rc = ev_kms_create(k, DEFAULT_KEY_ID, "AWS",
                           "Default key that protects EventBridge connection secrets", NULL, 0,
                           out);
    return rc;
}

ev_err ev_kms_material(ev_kms_t *k, const ev_kms_key_t *key, unsigned char out[EV_KEY_BYTES])
{
    ev_blob_t pt = {0};
    ev_err rc = ev_open(k->master_key, key->arn, strlen(key->arn), key->material,
                        key->material_len, &pt);

    if (rc == EV_OK && pt.n == EV_KEY_BYTES)
        memcpy(out, pt.p, EV_KEY_BYTES);
    else
        rc = EV_ERR_KMS_INTERNAL;
    ev_blob_free(&pt);
    return rc;
}
