/*
 * tests/unit/match/harness.h - helpers for the match/ tests: reading files,
 * JSON5 templates (comments and trailing commas stripped), Python-style
 * json.dumps (what LocalStack's test sent to AWS), and a one-rule
 * match through both the compiled and the reference matcher.
 */
#ifndef EV_TEST_MATCH_HARNESS_H
#define EV_TEST_MATCH_HARNESS_H

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

#define SHARED_DIR "../shared"
#define TEMPLATE_DIR SHARED_DIR "/conformance/localstack/event_pattern_templates"
#define SNAPSHOT SHARED_DIR "/conformance/localstack/test_events_patterns.snapshot.json"

typedef struct {
    char *p;
    size_t n, cap;
} hbuf_t;

static void hb_add(hbuf_t *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void hb_adds(hbuf_t *b, const char *s)
{
    hb_add(b, s, strlen(s));
}

static inline char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    hbuf_t b = {0};
    char chunk[65536];
    size_t n;

    if (!f)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        hb_add(&b, chunk, n);
    fclose(f);
    if (!b.p)
        hb_add(&b, "", 0);
    if (len)
        *len = b.n;
    return b.p;
}

/* JSON5 as the templates use it: "//" comments and trailing commas. */
static inline char *json5_strip(const char *t)
{
    hbuf_t b = {0};
    size_t i = 0, n = strlen(t);
    int in_str = 0;

    while (i < n) {
        char c = t[i];

        if (in_str) {
            hb_add(&b, &c, 1);
            if (c == '\\' && i + 1 < n) {
                hb_add(&b, &t[i + 1], 1);
                i += 2;
                continue;
            }
            if (c == '"')
                in_str = 0;
            i++;
            continue;
        }
        if (c == '"') {
            in_str = 1;
            hb_add(&b, &c, 1);
            i++;
            continue;
        }
        if (c == '/' && i + 1 < n && t[i + 1] == '/') {
            while (i < n && t[i] != '\n')
                i++;
            continue;
        }
        if (c == ',') {
            size_t j = i + 1;

            while (j < n && (t[j] == ' ' || t[j] == '\n' || t[j] == '\r' || t[j] == '\t'))
                j++;
            if (j < n && (t[j] == '}' || t[j] == ']')) {
                i++;
                continue;
            }
        }
        hb_add(&b, &c, 1);
        i++;
    }
    if (!b.p)
        hb_add(&b, "", 0);
    return b.p;
}

/* Python repr(float). */
static void py_float(hbuf_t *b, double v)
{
    char tmp[64], digits[32], out[80];
    int p, decpt, nd = 0, i, k = 0;
    char *e;

    if (v == 0) {
        hb_adds(b, signbit(v) ? "-0.0" : "0.0");
        return;
    }
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* tmp = [-]d.ddde[+-]XX */
    for (i = tmp[0] == '-'; tmp[i] && tmp[i] != 'e'; i++) {
        if (tmp[i] != '.')
            digits[nd++] = tmp[i];
    }
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    e = strchr(tmp, 'e');
    decpt = atoi(e + 1) + 1;
    if (v < 0)
        out[k++] = '-';
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            out[k++] = '0';
            out[k++] = '.';
            for (i = 0; i < -decpt; i++)
                out[k++] = '0';
            for (i = 0; i < nd; i++)
                out[k++] = digits[i];
        } else {
            for (i = 0; i < decpt; i++)
                out[k++] = i < nd ? digits[i] : '0';
            out[k++] = '.';
            if (nd > decpt) {
                for (i = decpt; i < nd; i++)
                    out[k++] = digits[i];
            } else {
                out[k++] = '0';
            }
        }
        out[k] = '\0';
    } else {
        out[k++] = digits[0];
        if (nd > 1) {
            out[k++] = '.';
            for (i = 1; i < nd; i++)
                out[k++] = digits[i];
        }
        snprintf(out + k, sizeof(out) - (size_t)k, "e%c%02d", decpt - 1 < 0 ? '-' : '+',
                 abs(decpt - 1));
    }
    hb_adds(b, out);
}

static void py_str(hbuf_t *b, const char *s, size_t n)
{
    size_t i = 0;

    hb_adds(b, "\"");
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        char esc[16];

        if (c == '"') {
            hb_adds(b, "\\\"");
        } else if (c == '\\') {
            hb_adds(b, "\\\\");
        } else if (c == '\n') {
            hb_adds(b, "\\n");
        } else if (c == '\r') {
            hb_adds(b, "\\r");
        } else if (c == '\t') {
            hb_adds(b, "\\t");
        } else if (c == '\b') {
            hb_adds(b, "\\b");
        } else if (c == '\f') {
            hb_adds(b, "\\f");
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            hb_adds(b, esc);
        } else if (c < 0x80) {
            hb_add(b, (const char *)&c, 1);
        } else {
            unsigned cp;
            int k;

            if (c < 0xe0) {
                cp = c & 0x1f;
                k = 1;
            } else if (c < 0xf0) {
                cp = c & 0x0f;
                k = 2;
            } else {
                cp = c & 0x07;
                k = 3;
            }
            for (int j = 1; j <= k && i + (size_t)j < n; j++)
                cp = (cp << 6) | ((unsigned char)s[i + (size_t)j] & 0x3f);
            i += (size_t)k;
            if (cp >= 0x10000) {
                cp -= 0x10000;
                snprintf(esc, sizeof(esc), "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
                         0xdc00 + (cp & 0x3ff));
            } else {
                snprintf(esc, sizeof(esc), "\\u%04x", cp);
            }
            hb_adds(b, esc);
        }
        i++;
    }
    hb_adds(b, "\"");
}

/* Python json.dumps(v) with default separators (", " and ": ") and ensure_ascii. */
static void py_dumps(hbuf_t *b, json_t *v)
{
    char tmp[32];

    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        int first = 1;

        hb_adds(b, "{");
        json_object_foreach(v, k, x) {
            if (!first)
                hb_adds(b, ", ");
            first = 0;
            py_str(b, k, strlen(k));
            hb_adds(b, ": ");
            py_dumps(b, x);
        }
        hb_adds(b, "}");
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;

        hb_adds(b, "[");
        json_array_foreach(v, i, x) {
            if (i)
                hb_adds(b, ", ");
            py_dumps(b, x);
        }
        hb_adds(b, "]");
        break;
    }
    case JSON_STRING:
        py_str(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        hb_adds(b, tmp);
        break;
    case JSON_REAL:
        py_float(b, json_real_value(v));
        break;
    case JSON_TRUE:
        hb_adds(b, "true");
        break;
    case JSON_FALSE:
        hb_adds(b, "false");
        break;
    default:
        hb_adds(b, "null");
        break;
    }
}

static inline char *dumps(json_t *v)
{
    hbuf_t b = {0};

    py_dumps(&b, v);
    return b.p;
}

/* Result of one (pattern, event) pair through compile_check and both matchers. */
typedef struct {
    ev_err check;        /* ev_pattern_compile_check */
    char *message;       /* its message, if any */
    int compiled;        /* 1 match, 0 no match, -1 error / not run */
    int reference;       /* same, reference matcher */
    ev_match_rc crc, rrc;
} verdict_t;

static inline void verdict_free(verdict_t *v)
{
    free(v->message);
    v->message = NULL;
}

static inline verdict_t run_one(const char *pattern, size_t plen, const char *event, size_t elen)
{
    verdict_t v;
    ev_matcher_builder_t *b;
    ev_matcher_t *m;
    ev_match_scratch_t *s;
    ev_match_ref_t *r;
    const uint64_t *tags;
    uint64_t *rtags = NULL;
    size_t n = 0, rn = 0;
    char *msg2 = NULL;

    memset(&v, 0, sizeof(v));
    v.compiled = v.reference = -1;
    v.check = ev_pattern_compile_check(pattern, plen, &v.message);
    if (v.check != EV_OK)
        return v;
    b = ev_matcher_builder_new();
    if (ev_matcher_builder_add(b, 7, pattern, plen, &msg2) != EV_OK) {
        free(msg2);
        ev_matcher_builder_free(b);
        return v;
    }
    m = ev_matcher_builder_finish(b);
    s = ev_match_scratch_new();
    v.crc = ev_matcher_match(m, event, elen, s, &tags, &n);
    if (v.crc == EV_MATCH_OK)
        v.compiled = n == 1 && tags[0] == 7;
    ev_match_scratch_free(s);
    ev_matcher_unref(m);
    r = ev_match_ref_new();
    if (ev_match_ref_add(r, 7, pattern, plen, &msg2) == EV_OK) {
        v.rrc = ev_match_ref_match(r, event, elen, &rtags, &rn);
        if (v.rrc == EV_MATCH_OK)
            v.reference = rn == 1 && rtags[0] == 7;
        free(rtags);
    }
    free(msg2);
    ev_match_ref_free(r);
    return v;
}

/* Matches a C-string pattern against a C-string event; 1/0, or -1 on error. */
static inline int match1(const char *pattern, const char *event)
{
    verdict_t v = run_one(pattern, strlen(pattern), event, strlen(event));
    int r = v.compiled;

    if (v.compiled != v.reference) {
        fprintf(stderr, "compiled (%d) and reference (%d) disagree:\n  pattern %s\n  event %s\n",
                v.compiled, v.reference, pattern, event);
        r = -2;
    }
    if (v.check != EV_OK)
        fprintf(stderr, "pattern refused: %s\n  %s\n", pattern, v.message ? v.message : "");
    verdict_free(&v);
    return r;
}

/* The reason part of a compile_check message for a C-string pattern (static buffer). */
static inline const char *reason_of(const char *pattern)
{
    static char buf[2048];
    char *msg = NULL;
    const char *prefix = "Event pattern is not valid. Reason: ";

    if (ev_pattern_compile_check(pattern, strlen(pattern), &msg) == EV_OK)
        return "OK";
    snprintf(buf, sizeof(buf), "%s",
             msg && strncmp(msg, prefix, strlen(prefix)) == 0 ? msg + strlen(prefix) : "?");
    free(msg);
    return buf;
}

#endif
