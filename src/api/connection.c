/*
 * api/connection.c - CreateConnection, DescribeConnection, UpdateConnection,
 * DeleteConnection, ListConnections, DeauthorizeConnection.
 *
 * A connection's authorization parameters live in two forms: the sealed
 * secret (AWS's SecretString layout, every value) and the public view that
 * DescribeConnection returns (no password, API key value, client secret or
 * secret parameter value). Describe never needs the secret.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "core/log.h"
#include "util/util.h"

typedef struct {
    const char *type;      /* AuthorizationType */
    const char *block;     /* member of AuthParameters */
    const char *fields[4]; /* request members -> */
    const char *keys[4];   /* SecretString keys */
} auth_kind_t;

static const auth_kind_t auth_kinds[] = {
    {"BASIC", "BasicAuthParameters", {"Username", "Password"}, {"username", "password"}},
    {"API_KEY", "ApiKeyAuthParameters", {"ApiKeyName", "ApiKeyValue"},
     {"api_key_name", "api_key_value"}},
    {"OAUTH_CLIENT_CREDENTIALS", "OAuthParameters",
     {"ClientID", "ClientSecret", "AuthorizationEndpoint", "HttpMethod"},
     {"client_id", "client_secret", "authorization_endpoint", "http_method"}},
};

static const struct {
    const char *member; /* ConnectionHttpParameters member */
    const char *key;    /* SecretString key */
} http_lists[] = {
    {"HeaderParameters", "header_parameters"},
    {"QueryStringParameters", "query_string_parameters"},
    {"BodyParameters", "body_parameters"},
};

static const auth_kind_t *kind_of(const char *type)
{
    for (size_t i = 0; i < sizeof(auth_kinds) / sizeof(auth_kinds[0]); i++)
        if (type && strcmp(auth_kinds[i].type, type) == 0)
            return &auth_kinds[i];
    return NULL;
}

static int is_oauth(const auth_kind_t *k)
{
    return strcmp(k->type, "OAUTH_CLIENT_CREDENTIALS") == 0;
}

/* A parameter's value is secret unless IsValueSecret is explicitly false. */
static int value_is_secret(const json_t *p)
{
    return !json_is_false(json_object_get(p, "IsValueSecret"));
}

/* ConnectionHttpParameters as DescribeConnection shows them. */
static json_t *http_public(const json_t *in)
{
    json_t *out = json_object();

    for (size_t l = 0; l < 3; l++) {
        json_t *list = json_object_get(in, http_lists[l].member), *pub, *p;
        size_t i;

        if (!json_is_array(list))
            continue;
        pub = json_array();
        json_array_foreach(list, i, p) {
            json_t *e = json_object();

            ev__set_str(e, "Key", ev__str(p, "Key"));
            if (!value_is_secret(p))
                ev__set_str(e, "Value", ev__str(p, "Value"));
            json_object_set_new(e, "IsValueSecret", json_boolean(value_is_secret(p)));
            json_array_append_new(pub, e);
        }
        json_object_set_new(out, http_lists[l].member, pub);
    }
    return out;
}

/* ConnectionHttpParameters <-> the secret's snake_case layout. */
static json_t *http_convert(const json_t *in, int to_secret)
{
    json_t *out = json_object();

    for (size_t l = 0; l < 3; l++) {
        const char *from = to_secret ? http_lists[l].member : http_lists[l].key;
        const char *to = to_secret ? http_lists[l].key : http_lists[l].member;
        json_t *list = json_object_get(in, from), *conv, *p;
        size_t i;

        if (!json_is_array(list))
            continue;
        conv = json_array();
        json_array_foreach(list, i, p) {
            json_t *e = json_object();

            if (to_secret) {
                ev__set_str(e, "key", ev__str(p, "Key"));
                ev__set_str(e, "value", ev__str(p, "Value"));
                json_object_set_new(e, "is_value_secret", json_boolean(value_is_secret(p)));
            } else {
                ev__set_str(e, "Key", ev__str(p, "key"));
                ev__set_str(e, "Value", ev__str(p, "value"));
                json_object_set(e, "IsValueSecret", json_object_get(p, "is_value_secret"));
            }
            json_array_append_new(conv, e);
        }
        json_object_set_new(out, to, conv);
    }
    return out;
}

/* The complete request-form AuthParameters -> AWS's SecretString object. */
static json_t *secret_of(const auth_kind_t *k, const json_t *auth)
{
    json_t *s = json_object(), *block = ev__obj(auth, k->block), *http;

    for (int i = 0; i < 4 && k->fields[i]; i++) {
        const json_t *src = block;

        if (is_oauth(k) && i < 2)
            src = ev__obj(block, "ClientParameters");
        ev__set_str(s, k->keys[i], ev__str(src, k->fields[i]));
    }
    if (is_oauth(k) && (http = ev__obj(block, "OAuthHttpParameters")))
        json_object_set_new(s, "oauth_http_parameters", http_convert(http, 1));
    if ((http = ev__obj(auth, "InvocationHttpParameters")))
        json_object_set_new(s, "invocation_http_parameters", http_convert(http, 1));
    return s;
}

/* AWS's SecretString object -> request-form AuthParameters. */
static json_t *auth_of_secret(const auth_kind_t *k, const json_t *s)
{
    json_t *auth = json_object(), *block = json_object(), *client = NULL, *http;

    for (int i = 0; i < 4 && k->fields[i]; i++) {
        json_t *dst = block;

        if (is_oauth(k) && i < 2) {
            if (!client)
                client = json_object();
            dst = client;
        }
        ev__set_str(dst, k->fields[i], ev__str(s, k->keys[i]));
    }
    if (client)
        json_object_set_new(block, "ClientParameters", client);
    if ((http = ev__obj(s, "oauth_http_parameters")))
        json_object_set_new(block, "OAuthHttpParameters", http_convert(http, 0));
    json_object_set_new(auth, k->block, block);
    if ((http = ev__obj(s, "invocation_http_parameters")))
        json_object_set_new(auth, "InvocationHttpParameters", http_convert(http, 0));
    return auth;
}

/* A new VPC Lattice resource association ARN (malloc'd). */
static char *association_arn(const ev_call_t *c)
{
    unsigned char rnd[9];
    char hex[19], *res, *arn;

    ev_random(rnd, sizeof(rnd));
    ev_hex(rnd, sizeof(rnd), hex);
    hex[17] = '\0';
    res = ev_xasprintf("servicenetworkresourceassociation/snra-%s", hex);
    arn = ev__arn(c, "vpc-lattice", res);
    free(res);
    return arn;
}

/* DescribeConnection's AuthParameters for complete request-form parameters. */
static json_t *public_of(const auth_kind_t *k, const json_t *auth, const ev_call_t *c)
{
    json_t *pub = json_object(), *block = ev__obj(auth, k->block), *b = json_object(), *http,
           *conn;

    if (strcmp(k->type, "BASIC") == 0) {
        ev__set_str(b, "Username", ev__str(block, "Username"));
    } else if (strcmp(k->type, "API_KEY") == 0) {
        ev__set_str(b, "ApiKeyName", ev__str(block, "ApiKeyName"));
    } else {
        json_t *client = json_object();

        ev__set_str(client, "ClientID", ev__str(ev__obj(block, "ClientParameters"), "ClientID"));
        json_object_set_new(b, "ClientParameters", client);
        ev__set_str(b, "AuthorizationEndpoint", ev__str(block, "AuthorizationEndpoint"));
        ev__set_str(b, "HttpMethod", ev__str(block, "HttpMethod"));
        if ((http = ev__obj(block, "OAuthHttpParameters")))
            json_object_set_new(b, "OAuthHttpParameters", http_public(http));
    }
    json_object_set_new(pub, k->block, b);
    if ((http = ev__obj(auth, "InvocationHttpParameters")))
        json_object_set_new(pub, "InvocationHttpParameters", http_public(http));
    if ((conn = ev__obj(auth, "ConnectivityParameters"))) {
        json_t *rp = json_object(), *cp = json_object();
        char *assoc = association_arn(c);

        ev__set_str(rp, "ResourceConfigurationArn",
                    ev__str(ev__obj(conn, "ResourceParameters"), "ResourceConfigurationArn"));
        ev__set_str(rp, "ResourceAssociationArn", assoc);
        free(assoc);
        json_object_set_new(cp, "ResourceParameters", rp);
        json_object_set_new(pub, "ConnectivityParameters", cp);
    }
    return pub;
}

/* InvocationConnectivityParameters as DescribeConnection shows them, or NULL. */
static char *connectivity_public(const ev_call_t *c, const json_t *in)
{
    const char *cfg = ev__str(ev__obj(in, "ResourceParameters"), "ResourceConfigurationArn");
    char *assoc, *s;
    json_t *j;

    if (!cfg || !*cfg)
        return NULL;
    assoc = association_arn(c);
    j = json_pack("{s:{s:s,s:s}}", "ResourceParameters", "ResourceConfigurationArn", cfg,
                  "ResourceAssociationArn", assoc);
    s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(j);
    free(assoc);
    return s;
}

/*
 * Checks that auth holds exactly the complete block of kind k, with
 * endpoints the server accepts.
 */
static ev_err check_auth(ev_call_t *c, const auth_kind_t *k, const json_t *auth)
{
    json_t *block = ev__obj(auth, k->block);

    for (size_t i = 0; i < sizeof(auth_kinds) / sizeof(auth_kinds[0]); i++) {
        if (&auth_kinds[i] != k && json_object_get(auth, auth_kinds[i].block) &&
            !json_is_null(json_object_get(auth, auth_kinds[i].block)))
            return ev_fail(c, EV_ERR_VALIDATION,
                           "Parameter AuthParameters is not valid. Reason: Only the parameters "
                           "for authorization type %s may be specified.", k->type);
    }
    for (int i = 0; block && i < 4 && k->fields[i]; i++) {
        const json_t *src = (is_oauth(k) && i < 2) ? ev__obj(block, "ClientParameters") : block;

        if (!ev__str(src, k->fields[i]))
            block = NULL;
    }
    if (!block)
        return ev_fail(c, EV_ERR_VALIDATION,
                       "Parameter AuthParameters is not valid. Reason: %s must be specified for "
                       "authorization type %s.", k->block, k->type);
    if (is_oauth(k) && ev__endpoint_refused(c, ev__str(block, "AuthorizationEndpoint")))
        return ev_fail(c, EV_ERR_VALIDATION, "Parameter AuthorizationEndpoint is not valid. "
                       "Reason: The endpoint must use HTTPS.");
    return EV_OK;
}

static const char *initial_state(const auth_kind_t *k, const char *connectivity)
{
    if (is_oauth(k))
        return "AUTHORIZING";
    return connectivity ? "ACTIVE" : "AUTHORIZED";
}

/* Seals the secret (a new version) under the connection's key and fills the
 * connection's public view from auth. */
static ev_err apply_auth(ev_call_t *c, ev_connection_t *conn, const auth_kind_t *k,
                         const json_t *auth)
{
    json_t *secret = secret_of(k, auth), *pub = public_of(k, auth, c);
    char *name = NULL, *msg = NULL;
    ev_kms_t kms;
    ev_err rc = EV_OK;

    ev__kms(c, &kms);
    free(conn->auth_public);
    conn->auth_public = json_dumps(pub, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(pub);
    if (!conn->secret_arn) {
        char uuid[37], suffix[7];

        ev_uuid4(uuid);
        ev_random_alnum(suffix, 6);
        name = ev_xasprintf("events!connection/%s/%s", conn->name, uuid);
        conn->secret_arn = ev_xasprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s",
                                        c->scope.region, c->scope.account, name, suffix);
    } else {
        ev_secret_t old;

        rc = ev_store_secret_get(c->app->store, c->scope, conn->secret_arn, &old);
        if (rc == EV_OK)
            name = ev_xstrdup(old.name);
        ev_secret_clear(&old);
    }
    if (rc == EV_OK)
        rc = ev_secret_seal(&kms, conn->kms_key, conn->secret_arn, name, conn->arn, secret, &msg);
    if (rc && msg)
        rc = ev_fail(c, rc, "%s", msg);
    free(msg);
    free(name);
    ev_json_wipe(secret);
    return rc;
}

/* Forgets a connection's cached OAuth token (none is fine). */
static ev_err drop_token(ev_call_t *c, const ev_connection_t *conn)
{
    ev_kms_t kms;

    if (!conn->secret_arn)
        return EV_OK;
    ev__kms(c, &kms);
    return ev_token_delete(&kms, conn->secret_arn);
}

/* The members every mutating call answers with. */
static void summary(ev_call_t *c, const ev_connection_t *conn, const char *state, int authorized)
{
    ev__set_str(c->out, "ConnectionArn", conn->arn);
    ev__set_str(c->out, "ConnectionState", state);
    ev__set_time(c->out, "CreationTime", conn->created_ms);
    ev__set_time(c->out, "LastModifiedTime", conn->modified_ms);
    if (authorized)
        ev__set_time(c->out, "LastAuthorizedTime", conn->authorized_ms);
}

static ev_err not_found(ev_call_t *c, const char *name)
{
    return ev_fail(c, EV_ERR_NOT_FOUND,
                   "Failed to describe the connection(s). Connection '%s' does not exist.", name);
}

static ev_err load(ev_call_t *c, const char *name, ev_connection_t *conn)
{
    ev_err rc = ev_store_conn_get(c->app->store, c->scope, name, conn);

    return rc == EV_ERR_NOT_FOUND ? not_found(c, name) : rc;
}

static ev_err create_connection(ev_call_t *c)
{
    const char *name = ev__str(c->in, "Name");
    const auth_kind_t *k = kind_of(ev__str(c->in, "AuthorizationType"));
    json_t *auth = ev__obj(c->in, "AuthParameters");
    ev_connection_t conn = {0}, old = {0};
    int64_t count;
    char uuid[37], *res;
    ev_err rc;

    rc = check_auth(c, k, auth);
    if (rc)
        return rc;
    rc = ev_store_conn_get(c->app->store, c->scope, name, &old);
    ev_connection_clear(&old);
    if (rc == EV_OK)
        return ev_fail(c, EV_ERR_ALREADY_EXISTS, "Connection %s already exists.", name);
    if (rc != EV_ERR_NOT_FOUND)
        return rc;
    rc = ev_store_conn_count(c->app->store, c->scope, &count);
    if (rc)
        return rc;
    if (count >= EV_MAX_CONNECTIONS)
        return ev_fail(c, EV_ERR_LIMIT_EXCEEDED,
                       "The requested resource exceeds the maximum number allowed.");
    ev_uuid4(uuid);
    res = ev_xasprintf("connection/%s/%s", name, uuid);
    conn.arn = ev__arn(c, "events", res);
    free(res);
    conn.name = ev_xstrdup(name);
    conn.description = ev__str(c->in, "Description") ? ev_xstrdup(ev__str(c->in, "Description"))
                                                     : NULL;
    conn.auth_type = ev_xstrdup(k->type);
    conn.connectivity = connectivity_public(c, ev__obj(c->in, "InvocationConnectivityParameters"));
    conn.state = ev_xstrdup(initial_state(k, conn.connectivity));
    conn.kms_key = ev__str(c->in, "KmsKeyIdentifier") && *ev__str(c->in, "KmsKeyIdentifier")
                       ? ev_xstrdup(ev__str(c->in, "KmsKeyIdentifier"))
                       : NULL;
    conn.created_ms = conn.modified_ms = conn.authorized_ms = c->now_ms;
    rc = apply_auth(c, &conn, k, auth);
    if (rc == EV_OK)
        rc = ev_store_conn_put(c->app->store, c->scope, &conn);
    if (rc == EV_OK)
        summary(c, &conn, conn.state, 0);
    ev_connection_clear(&conn);
    return rc;
}

static ev_err describe_connection(ev_call_t *c)
{
    ev_connection_t conn;
    ev_err rc = load(c, ev__str(c->in, "Name"), &conn);

    if (rc)
        return rc;
    ev__set_str(c->out, "ConnectionArn", conn.arn);
    ev__set_str(c->out, "Name", conn.name);
    ev__set_str(c->out, "Description", conn.description);
    if (conn.connectivity)
        json_object_set_new(c->out, "InvocationConnectivityParameters",
                            json_loads(conn.connectivity, 0, NULL));
    ev__set_str(c->out, "ConnectionState", conn.state);
    ev__set_str(c->out, "StateReason", conn.state_reason);
    ev__set_str(c->out, "AuthorizationType", conn.auth_type);
    ev__set_str(c->out, "SecretArn", conn.secret_arn);
    ev__set_str(c->out, "KmsKeyIdentifier", conn.kms_key);
    json_object_set_new(c->out, "AuthParameters", json_loads(conn.auth_public, 0, NULL));
    ev__set_time(c->out, "CreationTime", conn.created_ms);
    ev__set_time(c->out, "LastModifiedTime", conn.modified_ms);
    ev__set_time(c->out, "LastAuthorizedTime", conn.authorized_ms);
    ev_connection_clear(&conn);
    return EV_OK;
}

/* Overlays the members present in `upd` onto `base` (both objects), recursing
 * into nested objects; lists and scalars are replaced whole. */
static void merge(json_t *base, const json_t *upd)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)upd, key, v) {
        json_t *cur = json_object_get(base, key);

        if (json_is_null(v))
            continue;
        if (json_is_object(v) && json_is_object(cur))
            merge(cur, v);
        else
            json_object_set(base, key, v);
    }
}

/* Marks a connection DEAUTHORIZED after a failed use (runs after rollback). */
static void deauthorize_later(ev_call_t *c, void *arg)
{
    const char *name = arg, *reason = name + strlen(name) + 1;
    ev_connection_t conn;

    if (ev_store_conn_get(c->app->store, c->scope, name, &conn) != EV_OK)
        return;
    free(conn.state);
    conn.state = ev_xstrdup("DEAUTHORIZED");
    free(conn.state_reason);
    conn.state_reason = ev_xstrndup(reason, 512);
    if (ev_store_conn_put(c->app->store, c->scope, &conn) != EV_OK)
        ev_error("connections: cannot record that %s was deauthorized", name);
    ev_connection_clear(&conn);
}

/* Fails the call with a KMS problem of the connection's secret and
 * de-authorizes the connection, as any use of an unreadable secret does. */
static ev_err secret_unusable(ev_call_t *c, const ev_connection_t *conn, const char *reason)
{
    size_t n = strlen(conn->name), r = strlen(reason);
    char *arg = ev_xmalloc(n + r + 2);

    memcpy(arg, conn->name, n + 1);
    memcpy(arg + n + 1, reason, r + 1);
    ev__after_failure(c, deauthorize_later, arg);
    return ev_fail(c, EV_ERR_ACCESS_DENIED, "%s", reason);
}

/* The connection's complete request-form parameters from its secret, or
 * from the public view when the secret is gone (deauthorized). */
static json_t *public_auth(const ev_connection_t *conn)
{
    json_t *auth = json_loads(conn->auth_public, 0, NULL);

    if (!auth)
        auth = json_object();
    json_object_del(auth, "ConnectivityParameters");
    return auth;
}

/*
 * strict: an unreadable secret fails the call (and de-authorizes the
 * connection); otherwise the public view stands in for it (the caller is
 * replacing the credentials anyway).
 */
static ev_err current_auth(ev_call_t *c, const ev_connection_t *conn, const auth_kind_t *k,
                           json_t **auth, int strict)
{
    json_t *secret = NULL;
    char *msg = NULL;
    ev_kms_t kms;
    ev_err rc;

    *auth = NULL;
    if (!conn->secret_arn) {
        *auth = public_auth(conn);
        return EV_OK;
    }
    ev__kms(c, &kms);
    rc = ev_secret_open(&kms, conn->secret_arn, conn->arn, &secret, &msg);
    if (rc == EV_OK) {
        *auth = auth_of_secret(k, secret);
    } else if (!strict) {
        *auth = public_auth(conn);
        rc = EV_OK;
    } else {
        rc = secret_unusable(c, conn, msg ? msg : "The connection secret cannot be read.");
    }
    free(msg);
    ev_json_wipe(secret);
    return rc;
}

static ev_err update_connection(ev_call_t *c)
{
    const char *name = ev__str(c->in, "Name"), *type = ev__str(c->in, "AuthorizationType");
    json_t *upd = ev__obj(c->in, "AuthParameters"), *auth = NULL, *only = NULL;
    json_t *icp = ev__obj(c->in, "InvocationConnectivityParameters");
    const char *kms = ev__str(c->in, "KmsKeyIdentifier");
    const char *desc = ev__str(c->in, "Description");
    const auth_kind_t *k;
    ev_connection_t conn;
    int type_changed, reauth, was_deauthorized;
    ev_err rc = load(c, name, &conn);

    if (rc)
        return rc;
    k = kind_of(type ? type : conn.auth_type);
    type_changed = type && strcmp(type, conn.auth_type) != 0;
    was_deauthorized = strcmp(conn.state, "DEAUTHORIZED") == 0;
    /* Parameters of another type than the connection's have no effect unless
     * the type changes with them. */
    reauth = type_changed || (upd && (json_object_get(upd, k->block) ||
                                      json_object_get(upd, "InvocationHttpParameters")));
    only = json_object();
    if (upd && json_object_get(upd, k->block) && !json_is_null(json_object_get(upd, k->block)))
        json_object_set(only, k->block, json_object_get(upd, k->block));
    if (upd && json_object_get(upd, "InvocationHttpParameters"))
        json_object_set(only, "InvocationHttpParameters",
                        json_object_get(upd, "InvocationHttpParameters"));
    /* Every update rewrites the secret (under the new key, if one is given),
     * so the key is checked and the secret re-encrypted. New parameters that
     * are complete by themselves need nothing of the old secret. */
    if (type_changed) {
        auth = json_object();
    } else if (conn.secret_arn || reauth) {
        /* New parameters that are complete by themselves need nothing of the
         * old secret but what it adds (invocation parameters). */
        int complete = reauth && check_auth(c, k, only) == EV_OK;

        rc = current_auth(c, &conn, k, &auth, !complete);
        if (rc)
            goto out;
    }
    free(c->errmsg);
    c->errmsg = NULL;
    if (auth) {
        if (json_object_get(only, "InvocationHttpParameters"))
            json_object_del(auth, "InvocationHttpParameters");
        if (is_oauth(k) && ev__obj(json_object_get(only, k->block), "OAuthHttpParameters"))
            json_object_del(ev__obj(auth, k->block), "OAuthHttpParameters");
        merge(auth, only);
        if (upd && ev__obj(upd, "ConnectivityParameters"))
            json_object_set(auth, "ConnectivityParameters", ev__obj(upd, "ConnectivityParameters"));
        rc = check_auth(c, k, auth);
        if (rc)
            goto out;
    }
    if (desc) {
        free(conn.description);
        conn.description = *desc ? ev_xstrdup(desc) : NULL;
    }
    if (kms) {
        free(conn.kms_key);
        conn.kms_key = *kms ? ev_xstrdup(kms) : NULL;
    }
    if (icp) {
        free(conn.connectivity);
        conn.connectivity = connectivity_public(c, icp);
    }
    if (auth) {
        free(conn.auth_type);
        conn.auth_type = ev_xstrdup(k->type);
        rc = apply_auth(c, &conn, k, auth);
        if (rc)
            goto out;
        if ((reauth || was_deauthorized) && is_oauth(k) && (rc = drop_token(c, &conn)))
            goto out;
        if (reauth || was_deauthorized) {
            free(conn.state);
            conn.state = ev_xstrdup(initial_state(k, conn.connectivity));
            free(conn.state_reason);
            conn.state_reason = NULL;
            if (!is_oauth(k))
                conn.authorized_ms = c->now_ms;
        }
    }
    conn.modified_ms = c->now_ms;
    rc = ev_store_conn_put(c->app->store, c->scope, &conn);
    if (rc == EV_OK)
        summary(c, &conn, conn.state, 1);
out:
    ev_json_wipe(auth);
    json_decref(only);
    ev_connection_clear(&conn);
    return rc;
}

static ev_err delete_connection(ev_call_t *c)
{
    ev_connection_t conn;
    ev_err rc = load(c, ev__str(c->in, "Name"), &conn);

    if (rc)
        return rc;
    rc = drop_token(c, &conn);
    if (rc == EV_OK && conn.secret_arn)
        rc = ev_store_secret_delete(c->app->store, c->scope, conn.secret_arn);
    if (rc == EV_OK)
        rc = ev_store_tags_delete_all(c->app->store, c->scope, conn.arn);
    if (rc == EV_OK)
        rc = ev_store_conn_delete(c->app->store, c->scope, conn.name);
    if (rc == EV_OK)
        summary(c, &conn, "DELETING", 1);
    ev_connection_clear(&conn);
    return rc;
}

static ev_err deauthorize_connection(ev_call_t *c)
{
    ev_connection_t conn;
    ev_err rc = load(c, ev__str(c->in, "Name"), &conn);

    if (rc)
        return rc;
    /* The secret and any token go at once; the public view stays for Describe. */
    rc = drop_token(c, &conn);
    if (rc == EV_OK && conn.secret_arn)
        rc = ev_store_secret_delete(c->app->store, c->scope, conn.secret_arn);
    free(conn.secret_arn);
    conn.secret_arn = NULL;
    free(conn.state);
    conn.state = ev_xstrdup("DEAUTHORIZED");
    free(conn.state_reason);
    conn.state_reason = ev_xstrdup("Connection was deauthorized by the user.");
    conn.modified_ms = c->now_ms;
    if (rc == EV_OK)
        rc = ev_store_conn_put(c->app->store, c->scope, &conn);
    if (rc == EV_OK)
        summary(c, &conn, "DEAUTHORIZING", 1);
    ev_connection_clear(&conn);
    return rc;
}

static ev_err list_connections(ev_call_t *c)
{
    ev_connection_t *list = NULL;
    size_t n = 0;
    int limit = ev__limit(c);
    char *after = NULL;
    json_t *arr;
    ev_err rc = ev__next_token_in(c, &after);

    if (rc)
        return rc;
    /* One extra row tells whether another page exists. */
    rc = ev_store_conn_list(c->app->store, c->scope, ev__str(c->in, "NamePrefix"),
                            ev__str(c->in, "ConnectionState"), after, limit + 1, &list, &n);
    if (rc)
        goto out;
    arr = json_array();
    for (size_t i = 0; i < n && i < (size_t)limit; i++) {
        json_t *e = json_object();

        ev__set_str(e, "ConnectionArn", list[i].arn);
        ev__set_str(e, "Name", list[i].name);
        ev__set_str(e, "ConnectionState", list[i].state);
        ev__set_str(e, "StateReason", list[i].state_reason);
        ev__set_str(e, "AuthorizationType", list[i].auth_type);
        ev__set_time(e, "CreationTime", list[i].created_ms);
        ev__set_time(e, "LastModifiedTime", list[i].modified_ms);
        ev__set_time(e, "LastAuthorizedTime", list[i].authorized_ms);
        json_array_append_new(arr, e);
    }
    json_object_set_new(c->out, "Connections", arr);
    if (n > (size_t)limit)
        ev__next_token_out(c, list[limit - 1].name);
out:
    ev_store_conn_list_free(list, n);
    free(after);
    return rc;
}

const ev_op_t ev__connection_ops[] = {
    {"AWSEvents.CreateConnection", create_connection, 1},
    {"AWSEvents.DescribeConnection", describe_connection, 0},
    {"AWSEvents.UpdateConnection", update_connection, 1},
    {"AWSEvents.DeleteConnection", delete_connection, 1},
    {"AWSEvents.ListConnections", list_connections, 0},
    {"AWSEvents.DeauthorizeConnection", deauthorize_connection, 1},
    {NULL, NULL, 0},
};
