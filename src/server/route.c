/*
 * server/route.c - authenticates a request with SigV4, tells the protocol
 * apart (X-Amz-Target: awsJson1.1; Action=...: STS query), validates the
 * body against the service model and calls the operation's handler inside
 * one store transaction.
 */
#include "server/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/validate.h"
#include "core/buf.h"
#include "core/log.h"
#include "server/sts.h"
#include "store/outbox.h"
#include "util/util.h"

#define JSON_TYPE "application/x-amz-json-1.1"

static const struct {
    const char *prefix;  /* X-Amz-Target prefix */
    const char *service; /* SigV4 service name */
} services[] = {
    {"AWSEvents", "events"},
    {"TrentService", "kms"},
    {"secretsmanager", "secretsmanager"},
    {"AmazonSQS", "sqs"},
};

void ev_reply_free(ev_reply_t *r)
{
    free(r->body);
    r->body = NULL;
}

static void json_reply(ev_reply_t *out, int status, json_t *body)
{
    out->status = status;
    out->content_type = JSON_TYPE;
    out->body = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(13));
    if (!out->body)
        out->body = ev_xstrdup("{}");
    out->body_len = strlen(out->body);
}

void ev_route_error_reply(ev_reply_t *out, ev_err e, const char *msg)
{
    json_t *body = json_pack("{s:s,s:s}", "__type", ev_err_type(e), "message", msg ? msg : "");

    if (!out->request_id[0])
        ev_uuid4(out->request_id);
    out->error_type = ev_err_type(e);
    out->query_error = ev_err_query(e);
    json_reply(out, ev_err_status(e), body);
    json_decref(body);
}

static const char *header(const ev_request_t *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static const char *lookup_secret(const char *akid, void *ud)
{
    const ev_server_cfg_t *cfg = ud;

    for (size_t i = 0; i < cfg->ncreds; i++)
        if (strcmp(cfg->creds[i].access_key, akid) == 0)
            return cfg->creds[i].secret_key;
    return NULL;
}

static const char *account_of(const ev_server_cfg_t *cfg, const char *akid)
{
    for (size_t i = 0; i < cfg->ncreds; i++)
        if (strcmp(cfg->creds[i].access_key, akid) == 0)
            return cfg->creds[i].account;
    return NULL;
}

static void dispatch_json(const ev_server_cfg_t *cfg, const ev_request_t *req,
                          const ev_sigv4_identity_t *id, const char *target, ev_reply_t *out)
{
    const char *dot = strchr(target, '.');
    const char *service = NULL;
    const ev_shape_t *shape = NULL;
    const ev_op_t *op = NULL;
    char prefix[32], principal[64], *msg = NULL;
    json_t *body = NULL;
    json_error_t jerr;
    ev_call_t call;
    ev_err rc;

    memset(&call, 0, sizeof(call));
    if (dot && (size_t)(dot - target) < sizeof(prefix)) {
        memcpy(prefix, target, (size_t)(dot - target));
        prefix[dot - target] = '\0';
        for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
            if (strcmp(services[i].prefix, prefix) == 0)
                service = services[i].service;
        op = ev_api_find(target);
        shape = ev_model_input(prefix, dot + 1);
    }
    if (!service || !op || !shape) {
        msg = ev_xasprintf("The operation %s is not supported.", target);
        rc = EV_ERR_UNKNOWN_OPERATION;
        goto fail;
    }
    if (strcmp(id->service, service) != 0) {
        msg = ev_xasprintf("Credential should be scoped to correct service: '%s'. ", service);
        rc = EV_ERR_INVALID_SIG;
        goto fail;
    }
    call.app = cfg->app;
    call.scope.account = account_of(cfg, id->access_key);
    call.scope.region = id->region[0] ? id->region : cfg->default_region;
    call.now_ms = ev_now_ms();
    snprintf(principal, sizeof(principal), "arn:aws:iam::%s:root", call.scope.account);
    call.principal = principal;
    call.host = header(req, "Host");
    call.body = req->body;
    call.body_len = req->body_len;
    if (ev_api_fast(target, &call, &rc))
        goto answered;
    if (req->body_len == 0) {
        body = json_object();
    } else {
        body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!body || !json_is_object(body)) {
            msg = ev_xstrdup(body ? "Request body must be a JSON object."
                                  : "Request body is not valid JSON.");
            rc = EV_ERR_SERIALIZATION;
            goto fail;
        }
    }
    rc = ev_validate(shape, body, &msg);
    if (rc)
        goto fail;
    call.in = body;
    call.out = json_object();
    if (op->writes == EV_OP_NO_TRANSACTION) {
        rc = op->fn(&call);
    } else {
        rc = ev_store_begin(cfg->app->store, op->writes);
        if (rc == EV_OK)
            rc = ev_store_end(cfg->app->store, op->fn(&call));
    }
answered:
    if (rc && call.after_failure && ev_store_begin(cfg->app->store, 1) == EV_OK)
        (void)ev_store_end(cfg->app->store, (call.after_failure(&call, call.after_failure_arg),
                                             EV_OK));
    free(call.after_failure_arg);
    if (rc) {
        msg = call.errmsg ? call.errmsg : ev_xstrdup("An internal error occurred.");
        call.errmsg = NULL;
        goto fail;
    }
    if (call.out_raw) {
        out->status = 200;
        out->content_type = JSON_TYPE;
        out->body = call.out_raw;
        out->body_len = call.out_raw_len;
        call.out_raw = NULL;
    } else {
        json_reply(out, 200, call.out);
    }
    goto out;
fail:
    ev_route_error_reply(out, rc, msg);
out:
    if (service && strcmp(service, "sqs") == 0)
        out->content_type = "application/x-amz-json-1.0"; /* SQS speaks awsJson1.0 */
    if (rc)
        ev_debug("%s -> %s", target, ev_err_type(rc));
    json_decref(call.out);
    json_decref(body);
    free(call.out_raw);
    free(call.errmsg);
    free(msg);
}

/* Decoded value of a raw query parameter (malloc'd), or NULL. */
static char *query_param(const char *query, const char *name)
{
    size_t n = strlen(name);
    const char *p = query;

    while (p && *p) {
        const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);

        if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            char *v = ev_xstrndup(p + n + 1, (size_t)(end - p - (long)n - 1)), *w = v;

            for (char *r = v; *r; r++) {
                if (*r == '%' && r[1] && r[2]) {
                    char hex[3] = {r[1], r[2], 0};

                    *w++ = (char)strtol(hex, NULL, 16);
                    r += 2;
                } else {
                    *w++ = *r == '+' ? ' ' : *r;
                }
            }
            *w = '\0';
            return v;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

/* GET /_evbridge/v1/deliveries: the caller's delivery history as JSON. */
static void deliveries(const ev_server_cfg_t *cfg, const ev_request_t *req, const char *account,
                       ev_reply_t *out)
{
    char *rule = query_param(req->query, "rule"), *dest = query_param(req->query, "destination");
    char *failed = query_param(req->query, "failed"), *limit = query_param(req->query, "limit");
    long n = limit ? strtol(limit, NULL, 10) : 100;
    json_t *doc;

    if (n < 1 || n > 10000)
        n = 100;
    /* Attempts are recorded asynchronously: read everything recorded so far. */
    if (cfg->app->outbox)
        ev_outbox_sync(cfg->app->outbox);
    doc = ev_api_deliveries_json(cfg->app->store, account, rule, dest,
                                 failed && strcmp(failed, "false") != 0, (int)n);
    if (doc)
        json_reply(out, 200, doc);
    else
        ev_route_error_reply(out, EV_ERR_INTERNAL, "The delivery history cannot be read.");
    json_decref(doc);
    free(rule);
    free(dest);
    free(failed);
    free(limit);
}

void ev_route(const ev_server_cfg_t *cfg, const ev_request_t *req, ev_reply_t *out)
{
    ev_sigv4_req_t sreq;
    ev_sigv4_identity_t id;
    const char *target = header(req, "X-Amz-Target");
    char msg[1024];
    ev_err rc;

    memset(out, 0, sizeof(*out));
    ev_uuid4(out->request_id);
    memset(&sreq, 0, sizeof(sreq));
    sreq.method = req->method;
    sreq.path = req->path;
    sreq.query = req->query;
    sreq.headers = req->headers;
    sreq.nheaders = req->nheaders;
    sreq.body = (const unsigned char *)req->body;
    sreq.body_len = req->body_len;
    msg[0] = '\0';
    rc = ev_sigv4_verify(&sreq, time(NULL), lookup_secret, (void *)cfg, &id, msg, sizeof(msg));
    if (rc) {
        if (!target && ev_sts_is_query(req))
            ev_sts_error_reply(out, rc, msg);
        else
            ev_route_error_reply(out, rc, msg);
        return;
    }
    if (target) {
        dispatch_json(cfg, req, &id, target, out);
        return;
    }
    if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/_evbridge/v1/deliveries") == 0) {
        deliveries(cfg, req, account_of(cfg, id.access_key), out);
        return;
    }
    if (ev_sts_is_query(req)) {
        ev_sts_handle(req, &id, account_of(cfg, id.access_key), out);
        return;
    }
    ev_route_error_reply(out, EV_ERR_UNKNOWN_OPERATION,
                         "The request names no operation (X-Amz-Target or Action).");
}
