/*
 * deliver/oauth.c - building the client-credentials token request and
 * reading token responses.
 */
#include "deliver/oauth.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "util/util.h"

static void add_header(ev_http_request_t *out, const char *line)
{
    out->headers = realloc(out->headers, (out->nheaders + 1) * sizeof(*out->headers));
    if (!out->headers)
        abort();
    out->headers[out->nheaders++] = ev_xstrdup(line);
}

/* "k=v&k2=v2" of a secret parameter list, each part URL-encoded. */
static void form(ev_buf_t *b, const json_t *list, int first)
{
    json_t *p;
    size_t i;

    json_array_foreach(list, i, p) {
        const char *k = json_string_value(json_object_get(p, "key"));
        const char *v = json_string_value(json_object_get(p, "value"));
        char *ek, *evv;

        if (!k || !v)
            continue;
        ek = ev_url_encode(k);
        evv = ev_url_encode(v);
        if (!first)
            ev_buf_addc(b, '&');
        first = 0;
        ev_buf_adds(b, ek);
        ev_buf_addc(b, '=');
        ev_buf_adds(b, evv);
        free(ek);
        ev_free_secret(evv);
    }
}

ev_err ev_oauth_request(const json_t *secret, ev_http_request_t *out, char **err)
{
    const char *endpoint = json_string_value(json_object_get(secret, "authorization_endpoint"));
    const char *method = json_string_value(json_object_get(secret, "http_method"));
    const char *id = json_string_value(json_object_get(secret, "client_id"));
    const char *sec = json_string_value(json_object_get(secret, "client_secret"));
    const json_t *http = json_object_get(secret, "oauth_http_parameters"), *p;
    char *eid, *esec, *pair, *b64, *line;
    ev_buf_t url, body;
    size_t i;

    memset(out, 0, sizeof(*out));
    *err = NULL;
    if (!endpoint || !method || !id || !sec) {
        *err = ev_xstrdup("The connection has no complete OAuth client parameters.");
        return EV_ERR_VALIDATION;
    }
    out->method = strcasecmp(method, "GET") == 0 ? "GET" : strcasecmp(method, "PUT") == 0 ? "PUT"
                                                                                           : "POST";
    ev_buf_init(&url, 64 * 1024);
    ev_buf_adds(&url, endpoint);
    if (json_array_size(json_object_get(http, "query_string_parameters"))) {
        ev_buf_addc(&url, strchr(endpoint, '?') ? '&' : '?');
        form(&url, json_object_get(http, "query_string_parameters"), 1);
    }
    out->url = ev_buf_steal(&url, NULL);
    /* RFC 6749 §2.3.1: client credentials in a Basic header, form-encoded first. */
    eid = ev_url_encode(id);
    esec = ev_url_encode(sec);
    pair = ev_xasprintf("%s:%s", eid, esec);
    b64 = ev_base64_encode((const unsigned char *)pair, strlen(pair));
    line = ev_xasprintf("Authorization: Basic %s", b64);
    add_header(out, line);
    ev_free_secret(line);
    ev_free_secret(b64);
    ev_free_secret(pair);
    ev_free_secret(esec);
    free(eid);
    json_array_foreach(json_object_get(http, "header_parameters"), i, p) {
        const char *k = json_string_value(json_object_get(p, "key"));
        const char *v = json_string_value(json_object_get(p, "value"));

        if (k && v && strcasecmp(k, "Authorization") != 0) {
            line = ev_xasprintf("%s: %s", k, v);
            add_header(out, line);
            ev_free_secret(line);
        }
    }
    add_header(out, "Accept: application/json");
    add_header(out, "User-Agent: Amazon/EventBridge/ApiDestinations");
    if (strcmp(out->method, "GET") != 0) {
        ev_buf_init(&body, 64 * 1024);
        form(&body, json_object_get(http, "body_parameters"), 1);
        add_header(out, "Content-Type: application/x-www-form-urlencoded");
        out->body = ev_buf_steal(&body, &out->body_len);
    }
    return EV_OK;
}

ev_err ev_oauth_parse(const char *body, size_t len, char **token, int64_t *expires_in_s,
                      char **why)
{
    json_t *doc, *tok, *exp;

    *token = NULL;
    *expires_in_s = -1;
    *why = NULL;
    if (len > EV_OAUTH_MAX_RESPONSE) {
        *why = ev_xstrdup("the response is too large");
        return EV_ERR_VALIDATION;
    }
    doc = json_loadb(body, len, JSON_DECODE_ANY, NULL);
    if (!doc) {
        *why = ev_xstrdup("the response is not JSON");
        return EV_ERR_VALIDATION;
    }
    tok = json_object_get(doc, "access_token");
    if (!json_is_object(doc) || !json_is_string(tok) || json_string_length(tok) == 0 ||
        json_string_length(tok) > 16384 || strlen(json_string_value(tok)) != json_string_length(tok)) {
        *why = ev_xstrdup(json_is_object(doc) ? "the response has no access_token"
                                              : "the response is not a JSON object");
        json_decref(doc);
        return EV_ERR_VALIDATION;
    }
    *token = ev_xstrdup(json_string_value(tok));
    exp = json_object_get(doc, "expires_in");
    if (json_is_integer(exp))
        *expires_in_s = json_integer_value(exp) > 0 ? json_integer_value(exp) : 0;
    else if (json_is_real(exp))
        *expires_in_s = json_real_value(exp) > 0 && json_real_value(exp) < 1e12
                            ? (int64_t)json_real_value(exp)
                            : 0;
    /* A string or anything else: treated as absent (cache until a 401/407). */
    ev_wipe((void *)json_string_value(tok), json_string_length(tok));
    json_decref(doc);
    return EV_OK;
}
