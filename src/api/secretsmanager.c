/*
 * api/secretsmanager.c - the Secrets Manager subset for the secrets
 * EventBridge manages (events!connection/...): GetSecretValue,
 * DescribeSecret, ListSecrets, and DeleteSecret, which a managed secret
 * refuses. Values are decrypted only for GetSecretValue.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "util/util.h"

static ev_err not_found(ev_call_t *c)
{
    return ev_fail(c, EV_ERR_NOT_FOUND, "Secrets Manager can't find the specified secret.");
}

/* Resolves SecretId: a name, a full ARN, or an ARN without its random suffix. */
static ev_err resolve(ev_call_t *c, ev_secret_t *s)
{
    const char *id = ev__str(c->in, "SecretId");
    char *prefix = ev_xasprintf("arn:aws:secretsmanager:%s:%s:secret:", c->scope.region,
                                c->scope.account);
    ev_err rc;

    if (strncmp(id, "arn:", 4) != 0) {
        rc = ev_store_secret_get_by_name(c->app->store, c->scope, id, s);
    } else {
        rc = ev_store_secret_get(c->app->store, c->scope, id, s);
        if (rc == EV_ERR_NOT_FOUND && strncmp(id, prefix, strlen(prefix)) == 0)
            rc = ev_store_secret_get_by_name(c->app->store, c->scope, id + strlen(prefix), s);
    }
    free(prefix);
    if (rc == EV_OK && s->owning_service && strcmp(s->owning_service, EV_TOKEN_OWNER) == 0) {
        ev_secret_clear(s); /* OAuth token rows are EventBridge's own */
        rc = EV_ERR_NOT_FOUND;
    }
    return rc == EV_ERR_NOT_FOUND ? not_found(c) : rc;
}

static json_t *version_stages(const ev_secret_t *s)
{
    json_t *v = json_object();

    json_object_set_new(v, s->version_id, json_pack("[s]", "AWSCURRENT"));
    return v;
}

/* The KMS key to show: none for the built-in AWS-owned key. */
static const char *shown_key(const ev_secret_t *s)
{
    return s->kms_key_id && strstr(s->kms_key_id, ":key/00000000-0000-4000-8000-") ? NULL
                                                                                     : s->kms_key_id;
}

static ev_err get_secret_value(ev_call_t *c)
{
    const char *version = ev__str(c->in, "VersionId"), *stage = ev__str(c->in, "VersionStage");
    json_t *value = NULL;
    char *text = NULL, *msg = NULL;
    ev_kms_t kms;
    ev_secret_t s;
    ev_err rc = resolve(c, &s);

    if (rc)
        goto out;
    if (version && strcmp(version, s.version_id) != 0) {
        rc = ev_fail(c, EV_ERR_NOT_FOUND, "Secrets Manager can't find the specified secret value "
                     "for VersionId: %s", version);
        goto out;
    }
    if (stage && strcmp(stage, "AWSCURRENT") != 0) {
        rc = ev_fail(c, EV_ERR_NOT_FOUND, "Secrets Manager can't find the specified secret value "
                     "for staging label: %s", stage);
        goto out;
    }
    ev__kms(c, &kms);
    rc = ev_secret_read(&kms, s.arn, c->principal, &value, &msg);
    if (rc == EV_ERR_ACCESS_DENIED) {
        rc = ev_fail(c, EV_ERR_ACCESS_DENIED, "Access to KMS is not allowed");
        goto out;
    }
    if (rc) {
        rc = ev_fail(c, EV_ERR_DECRYPTION_FAILURE, "Secrets Manager can't decrypt the protected "
                     "secret text using the provided KMS key%s%s", msg ? ": " : ".",
                     msg ? msg : "");
        goto out;
    }
    text = json_dumps(value, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ev__set_str(c->out, "ARN", s.arn);
    ev__set_str(c->out, "Name", s.name);
    ev__set_str(c->out, "VersionId", s.version_id);
    ev__set_str(c->out, "SecretString", text);
    json_object_set_new(c->out, "VersionStages", json_pack("[s]", "AWSCURRENT"));
    ev__set_time(c->out, "CreatedDate", s.changed_ms);
out:
    free(msg);
    ev_free_secret(text);
    ev_json_wipe(value);
    ev_secret_clear(&s);
    return rc;
}

static ev_err describe_secret(ev_call_t *c)
{
    ev_secret_t s;
    ev_err rc = resolve(c, &s);

    if (rc == EV_OK) {
        ev__set_str(c->out, "ARN", s.arn);
        ev__set_str(c->out, "Name", s.name);
        ev__set_str(c->out, "KmsKeyId", shown_key(&s));
        ev__set_time(c->out, "LastChangedDate", s.changed_ms);
        json_object_set_new(c->out, "VersionIdsToStages", version_stages(&s));
        ev__set_str(c->out, "OwningService", s.owning_service);
        ev__set_time(c->out, "CreatedDate", s.created_ms);
    }
    ev_secret_clear(&s);
    return rc;
}

/* True when the secret passes every filter (AWS: keys AND-ed, values OR-ed,
 * name and owning-service by prefix, "!" negates). */
static int passes(const ev_secret_t *s, const json_t *filters)
{
    json_t *f, *v;
    size_t i, j;

    json_array_foreach(filters, i, f) {
        const char *key = ev__str(f, "Key");
        int any = 0;

        json_array_foreach(json_object_get(f, "Values"), j, v) {
            const char *val = json_string_value(v);
            int neg = val[0] == '!', hit = 0;
            const char *want = val + neg;

            if (strcmp(key, "name") == 0 || strcmp(key, "all") == 0)
                hit = strncmp(s->name, want, strlen(want)) == 0;
            if (strcmp(key, "owning-service") == 0 || strcmp(key, "all") == 0)
                hit |= s->owning_service &&
                       strncmp(s->owning_service, want, strlen(want)) == 0;
            any |= neg ? !hit : hit;
        }
        if (!any)
            return 0;
    }
    return 1;
}

static ev_err list_secrets(ev_call_t *c)
{
    json_t *max = json_object_get(c->in, "MaxResults"), *filters = json_object_get(c->in,
                                                                                   "Filters");
    const char *token = ev__str(c->in, "NextToken");
    int limit = json_is_integer(max) ? (int)json_integer_value(max) : 100, taken = 0;
    int desc = ev__str(c->in, "SortOrder") && strcmp(ev__str(c->in, "SortOrder"), "desc") == 0;
    ev_secret_t *list = NULL;
    size_t n = 0, start = 0;
    json_t *arr;
    ev_err rc;

    if (token) {
        char *end;
        unsigned long v = strtoul(token, &end, 10);

        if (*end || end == token)
            return ev_fail(c, EV_ERR_INVALID_NEXT_TOKEN, "Invalid NextToken.");
        start = v;
    }
    rc = ev_store_secret_list(c->app->store, c->scope, &list, &n);
    if (rc)
        return rc;
    arr = json_array();
    for (size_t k = 0, seen = 0; k < n; k++) {
        const ev_secret_t *s = &list[desc ? n - 1 - k : k];
        json_t *e;

        if ((s->owning_service && strcmp(s->owning_service, EV_TOKEN_OWNER) == 0) ||
            !passes(s, filters) || seen++ < start)
            continue;
        if (taken == limit) {
            char next[32];

            snprintf(next, sizeof(next), "%zu", start + (size_t)taken);
            ev__set_str(c->out, "NextToken", next);
            break;
        }
        e = json_object();
        ev__set_str(e, "ARN", s->arn);
        ev__set_str(e, "Name", s->name);
        ev__set_str(e, "KmsKeyId", shown_key(s));
        ev__set_time(e, "LastChangedDate", s->changed_ms);
        json_object_set_new(e, "SecretVersionsToStages", version_stages(s));
        ev__set_str(e, "OwningService", s->owning_service);
        ev__set_time(e, "CreatedDate", s->created_ms);
        json_array_append_new(arr, e);
        taken++;
    }
    json_object_set_new(c->out, "SecretList", arr);
    ev_store_secret_list_free(list, n);
    return EV_OK;
}

static ev_err delete_secret(ev_call_t *c)
{
    ev_secret_t s;
    ev_err rc = resolve(c, &s);

    if (rc == EV_OK)
        rc = ev_fail(c, EV_ERR_INVALID_REQUEST, "You can't delete secret %s because it's "
                     "managed by %s. Delete it through the owning service.", s.name,
                     s.owning_service ? s.owning_service : "events");
    ev_secret_clear(&s);
    return rc;
}

const ev_op_t ev__secretsmanager_ops[] = {
    {"secretsmanager.GetSecretValue", get_secret_value, 1},
    {"secretsmanager.DescribeSecret", describe_secret, 0},
    {"secretsmanager.ListSecrets", list_secrets, 0},
    {"secretsmanager.DeleteSecret", delete_secret, 0},
    {NULL, NULL, 0},
};
