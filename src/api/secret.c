/*
 * api/secret.c - connection secrets sealed at rest. Each secret gets a fresh
 * data key; the data key is sealed under the scope's KMS key, whose material
 * is sealed under the master key. The encryption context {"SecretARN": arn}
 * is bound to both layers, so a ciphertext moved to another secret fails.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/log.h"
#include "util/util.h"

/* The built-in (AWS-owned) key of a scope, used when no customer key is set. */
#define DEFAULT_KEY_ID "00000000-0000-4000-8000-0000000e7b01"

static char *context_of(const char *arn)
{
    json_t *ctx = json_pack("{s:s}", "SecretARN", arn);
    char *s = json_dumps(ctx, JSON_COMPACT);

    json_decref(ctx);
    if (!s)
        abort();
    return s;
}

/* Loads (creating on first use) the scope's default key material. */
static ev_err default_key(ev_call_t *c, unsigned char material[EV_KEY_BYTES], char **arn_out)
{
    ev_kms_key_t k;
    ev_blob_t pt = {0};
    char *arn = ev__arn(c, "kms", "key/" DEFAULT_KEY_ID);
    ev_err rc = ev_store_kms_key_get(c->app->store, c->scope, DEFAULT_KEY_ID, &k);

    if (rc == EV_ERR_NOT_FOUND) {
        ev_kms_key_t nk = {0};
        ev_blob_t sealed = {0};

        ev_random(material, EV_KEY_BYTES);
        rc = ev_seal(c->app->master_key, arn, strlen(arn), material, EV_KEY_BYTES, &sealed);
        if (rc)
            goto out;
        nk.key_id = DEFAULT_KEY_ID;
        nk.arn = arn;
        nk.state = "Enabled";
        nk.description = "Default key that protects EventBridge connection secrets";
        nk.key_manager = "AWS";
        nk.material = sealed.p;
        nk.material_len = sealed.n;
        nk.created_ms = c->now_ms;
        rc = ev_store_kms_key_put(c->app->store, c->scope, &nk);
        ev_blob_free(&sealed);
        goto out;
    }
    if (rc)
        goto out;
    rc = ev_open(c->app->master_key, arn, strlen(arn), k.material, k.material_len, &pt);
    if (rc || pt.n != EV_KEY_BYTES) {
        ev_error("kms: the default key of %s/%s cannot be unwrapped", c->scope.account,
                 c->scope.region);
        rc = EV_ERR_INTERNAL;
        goto out;
    }
    memcpy(material, pt.p, EV_KEY_BYTES);
out:
    ev_blob_free(&pt);
    ev_kms_key_clear(&k);
    if (rc == EV_OK && arn_out)
        *arn_out = arn;
    else
        free(arn);
    if (rc)
        ev_wipe(material, EV_KEY_BYTES);
    return rc;
}

ev_err ev__secret_store(ev_call_t *c, const char *arn, const char *name, const json_t *plaintext)
{
    unsigned char kek[EV_KEY_BYTES], dk[EV_KEY_BYTES];
    char version[37];
    char *key_arn = NULL, *ctx = context_of(arn), *text = NULL;
    ev_blob_t wrapped = {0}, sealed = {0};
    ev_secret_t old, s = {0};
    ev_err rc;

    rc = default_key(c, kek, &key_arn);
    if (rc)
        goto out;
    text = json_dumps(plaintext, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) {
        rc = EV_ERR_INTERNAL;
        goto out;
    }
    ev_random(dk, sizeof(dk));
    rc = ev_seal(kek, ctx, strlen(ctx), dk, sizeof(dk), &wrapped);
    if (rc)
        goto out;
    rc = ev_seal(dk, ctx, strlen(ctx), text, strlen(text), &sealed);
    if (rc)
        goto out;
    ev_uuid4(version);
    s.arn = (char *)arn;
    s.name = (char *)name;
    s.owning_service = "events";
    s.kms_key_id = key_arn;
    s.version_id = version;
    s.wrapped_key = wrapped.p;
    s.wrapped_key_len = wrapped.n;
    s.ciphertext = sealed.p;
    s.ciphertext_len = sealed.n;
    s.created_ms = c->now_ms;
    s.changed_ms = c->now_ms;
    if (ev_store_secret_get(c->app->store, c->scope, arn, &old) == EV_OK)
        s.created_ms = old.created_ms;
    ev_secret_clear(&old);
    rc = ev_store_secret_put(c->app->store, c->scope, &s);
out:
    ev_wipe(kek, sizeof(kek));
    ev_wipe(dk, sizeof(dk));
    ev_free_secret(text);
    ev_blob_free(&wrapped);
    ev_blob_free(&sealed);
    free(key_arn);
    free(ctx);
    return rc;
}

ev_err ev__secret_load(ev_call_t *c, const char *arn, json_t **out)
{
    unsigned char kek[EV_KEY_BYTES];
    char *ctx = context_of(arn);
    ev_blob_t dk = {0}, pt = {0};
    ev_secret_t s;
    ev_err rc;

    *out = NULL;
    rc = ev_store_secret_get(c->app->store, c->scope, arn, &s);
    if (rc)
        goto out;
    rc = default_key(c, kek, NULL);
    if (rc)
        goto out;
    rc = ev_open(kek, ctx, strlen(ctx), s.wrapped_key, s.wrapped_key_len, &dk);
    if (rc || dk.n != EV_KEY_BYTES)
        goto corrupt;
    rc = ev_open(dk.p, ctx, strlen(ctx), s.ciphertext, s.ciphertext_len, &pt);
    if (rc)
        goto corrupt;
    *out = json_loadb((const char *)pt.p, pt.n, 0, NULL);
    if (!json_is_object(*out))
        goto corrupt;
    rc = EV_OK;
    goto out;
corrupt:
    json_decref(*out);
    *out = NULL;
    ev_error("secrets: the secret of %s cannot be decrypted", arn);
    rc = EV_ERR_INTERNAL;
out:
    ev_wipe(kek, sizeof(kek));
    ev_blob_free(&dk);
    ev_blob_free(&pt);
    ev_secret_clear(&s);
    free(ctx);
    return rc;
}
