/*
 * fuzz/fuzz_xform.c - libFuzzer driver for xform/. The first byte picks a
 * mode, the rest is split at NUL bytes:
 *   0  InputTransformer: template \0 "key=path" lines \0 envelope
 *   1  InputPath: path \0 envelope
 *   2  Input: the Input text (its verdict is compared with jansson's)
 *   3  the scanner alone: validity against jansson, minify and compact
 * Each compiled form is applied to the fuzzed envelope and to a fixed one.
 * Nothing may crash; results must be one of the documented codes; output
 * stays under the buffer limit; a JSON template or InputPath that succeeds
 * produces JSON; a dropped event leaves the buffer untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "xform/xform.h"
#include "xform/xform_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIMIT (64 * 1024)

static const char fixed_env[] =
    "{\"version\":\"0\",\"id\":\"6f2ab9a4-6d8c-4f8a-9f5a-1c2d3e4f5a6b\",\"detail-type\":\"t\","
    "\"source\":\"s\",\"account\":\"111111111111\",\"time\":\"2024-05-13T12:27:07Z\","
    "\"region\":\"us-east-1\",\"resources\":[\"r1\",\"r2\"],\"detail\":{\"a\":{\"b\":[1,2.50,"
    "{\"c\":\"x\\\"y\"}]},\"s\":\"\\u00e9\\n\",\"n\":null,\"t\":true,\"e\":{},\"l\":[]}}";

static const ev_xform_vars_t vars = {"arn:aws:events:us-east-1:111111111111:rule/r", "r",
                                     "2024-05-13T12:27:08Z"};

/* jansson refuses some valid JSON (numbers out of range) and stops reading at a NUL byte
   after a number; everything else must agree. */
static int jansson_agrees(const char *p, size_t n, int ours)
{
    json_error_t err;
    json_t *j = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    int ok;

    if (j)
        ok = ours || memchr(p, '\0', n) != NULL;
    else
        ok = !ours || strstr(err.text, "too big") || strstr(err.text, "overflow");
    json_decref(j);
    return ok;
}

static void check_json_output(const char *p, size_t n)
{
    if (!ev__xj_valid(p, n) || !jansson_agrees(p, n, 1))
        abort();
}

static void apply_one(const ev_xform_t *x, const char *env, size_t len, int json_out)
{
    ev_buf_t b;
    ev_err rc;

    ev_buf_init(&b, LIMIT);
    ev_buf_adds(&b, "#");
    rc = ev_xform_apply(x, env, len, &vars, &b);
    if (rc == EV_OK) {
        if (b.failed || b.len > LIMIT)
            abort();
        if (json_out)
            check_json_output(b.p + 1, b.len - 1);
    } else if (rc == EV_ERR_VALIDATION) {
        if (b.len != 1 || b.failed)
            abort();
    } else if (rc != EV_ERR_LIMIT_EXCEEDED || !b.failed) {
        abort();
    }
    ev_buf_free(&b);
}

static void apply_both(const ev_xform_t *x, const char *env, size_t len, int json_out)
{
    apply_one(x, fixed_env, sizeof(fixed_env) - 1, json_out);
    if (env)
        apply_one(x, env, len, json_out);
}

static void compiled(ev_err rc, ev_xform_t *x, char *msg)
{
    if ((rc == EV_OK) != (x != NULL) || (rc == EV_OK) != (msg == NULL))
        abort();
    if (rc != EV_OK && rc != EV_ERR_VALIDATION)
        abort();
    free(msg);
}

/* "key=path" lines into an InputPathsMap object. */
static json_t *paths_map(const char *p, size_t n)
{
    json_t *m = json_object();
    size_t i = 0;

    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - p) : n;
        const char *eq = memchr(p + i, '=', end - i);

        if (eq) {
            char *key = strndup(p + i, (size_t)(eq - (p + i)));

            if (key)
                json_object_set_new_nocheck(
                    m, key, json_stringn_nocheck(eq + 1, (size_t)(p + end - eq - 1)));
            free(key);
        }
        i = end + 1;
    }
    return m;
}

static void scanner(const char *p, size_t n)
{
    int ours = ev__xj_valid(p, n);
    char *copy;
    size_t m;
    ev_buf_t b;

    if (!jansson_agrees(p, n, ours))
        abort();
    if (!ours)
        return;
    copy = malloc(n + 1);
    if (!copy)
        return;
    memcpy(copy, p, n);
    m = ev__xj_minify(copy, n);
    if (!ev__xj_valid(copy, m))
        abort();
    ev_buf_init(&b, n + 1);
    {
        size_t s = ev__xj_ws(p, n, 0);

        ev__xj_compact(&b, p + s, ev__xj_skip(p, n, s) - s);
    }
    if (b.failed || b.len != m || (m && memcmp(b.p, copy, m) != 0))
        abort();
    b.len = 0;
    ev__xj_unquoted(&b, copy, m);
    ev_buf_free(&b);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data + 1, *parts[3] = {NULL, NULL, NULL};
    size_t n = size ? size - 1 : 0, lens[3] = {0, 0, 0}, k = 0, i = 0;
    ev_xform_t *x = NULL;
    char *msg = NULL, *first = NULL;
    ev_err rc;

    if (size == 0)
        return 0;
    while (k < 3) {
        const char *nul = k < 2 ? memchr(p + i, '\0', n - i) : NULL;
        size_t end = nul ? (size_t)(nul - p) : n;

        parts[k] = p + i;
        lens[k++] = end - i;
        if (!nul)
            break;
        i = end + 1;
    }
    first = strndup(parts[0], lens[0]);
    if (!first)
        return 0;
    switch (data[0] & 3) {
    case 0: {
        json_t *it = json_object();
        size_t s;

        json_object_set_new(it, "InputTemplate", json_stringn_nocheck(parts[0], lens[0]));
        if (parts[1])
            json_object_set_new(it, "InputPathsMap", paths_map(parts[1], lens[1]));
        rc = ev_xform_compile("t", NULL, NULL, it, &x, &msg);
        compiled(rc, x, msg);
        s = ev__xj_ws(parts[0], lens[0], 0);
        if (x)
            apply_both(x, parts[2], lens[2],
                       s < lens[0] && (parts[0][s] == '{' || parts[0][s] == '['));
        json_decref(it);
        break;
    }
    case 1:
        rc = ev_xform_compile("t", NULL, first, NULL, &x, &msg);
        compiled(rc, x, msg);
        if (x)
            apply_both(x, parts[1], lens[1], ev_xform_kind(x) != EV_XFORM_EVENT);
        break;
    case 2:
        rc = ev_xform_compile("t", first, NULL, NULL, &x, &msg);
        compiled(rc, x, msg);
        /* "" is "no Input"; otherwise the verdict is jansson's */
        if (*first && !jansson_agrees(first, strlen(first), rc == EV_OK))
            abort();
        if (x)
            apply_both(x, NULL, 0, *first != '\0');
        break;
    default:
        scanner((const char *)data + 1, size - 1);
        break;
    }
    ev_xform_free(x);
    free(first);
    return 0;
}
