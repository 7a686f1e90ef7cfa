/*
 * api/common.c - JSON access, ARNs, pagination tokens and the call's error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api_int.h"
#include "util/util.h"

#define TOKEN_MAGIC "evb1:"

ev_err ev_fail(ev_call_t *c, ev_err e, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    free(c->errmsg);
    c->errmsg = msg;
    return e;
}

const char *ev__str(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *ev__obj(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);

    return json_is_object(v) ? v : NULL;
}

void ev__set_str(json_t *o, const char *key, const char *v)
{
    if (v)
        json_object_set_new(o, key, json_string(v));
}

void ev__set_time(json_t *o, const char *key, int64_t ms)
{
    json_object_set_new(o, key, json_real((double)ms / 1000.0));
}

char *ev__arn(const ev_call_t *c, const char *service, const char *resource)
{
    return ev_xasprintf("arn:aws:%s:%s:%s:%s", service, c->scope.region, c->scope.account,
                        resource);
}

char *ev__arn_name(const ev_call_t *c, const char *arn, const char *kind)
{
    char *prefix = ev_xasprintf("arn:aws:events:%s:%s:%s/", c->scope.region, c->scope.account,
                                kind);
    size_t n = strlen(prefix);
    const char *name, *slash;
    char *out = NULL;

    if (strncmp(arn, prefix, n) != 0)
        goto out;
    name = arn + n;
    slash = strrchr(name, '/');
    if (!slash || slash == name || slash[1] == '\0')
        goto out;
    out = ev_xstrndup(name, (size_t)(slash - name));
out:
    free(prefix);
    return out;
}

int ev__limit(const ev_call_t *c)
{
    json_t *v = json_object_get(c->in, "Limit");

    return json_is_integer(v) ? (int)json_integer_value(v) : 100;
}

ev_err ev__next_token_in(ev_call_t *c, char **after)
{
    const char *tok = ev__str(c->in, "NextToken");
    unsigned char *raw;
    size_t n;

    *after = NULL;
    if (!tok)
        return EV_OK;
    raw = ev_base64_decode(tok, strlen(tok), &n);
    if (!raw || n <= strlen(TOKEN_MAGIC) || memcmp(raw, TOKEN_MAGIC, strlen(TOKEN_MAGIC)) != 0 ||
        memchr(raw, '\0', n)) {
        free(raw);
        return ev_fail(c, EV_ERR_VALIDATION, "Invalid NextToken.");
    }
    *after = ev_xstrndup((const char *)raw + strlen(TOKEN_MAGIC), n - strlen(TOKEN_MAGIC));
    free(raw);
    return EV_OK;
}

void ev__next_token_out(ev_call_t *c, const char *last_name)
{
    char *raw = ev_xasprintf(TOKEN_MAGIC "%s", last_name);
    char *tok = ev_base64_encode((const unsigned char *)raw, strlen(raw));

    json_object_set_new(c->out, "NextToken", json_string(tok));
    free(tok);
    free(raw);
}

int ev__endpoint_refused(const ev_call_t *c, const char *url)
{
    return !c->app->allow_http_endpoints && strncasecmp(url, "http://", 7) == 0;
}

void ev__kms(const ev_call_t *c, ev_kms_t *out)
{
    out->store = c->app->store;
    out->master_key = c->app->master_key;
    out->scope = c->scope;
    out->now_ms = c->now_ms;
}

void ev__after_failure(ev_call_t *c, void (*fn)(ev_call_t *c, void *arg), void *arg)
{
    c->after_failure = fn;
    c->after_failure_arg = arg;
}
