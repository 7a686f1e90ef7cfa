/*
 * xform/xform_int.h - internals shared by the xform files: a zero-copy JSON
 * scanner over the event bytes (json.c) and the JSONPath subset (path.c).
 * The scanner's walkers assume text that ev__xj_valid accepted; they stay
 * in bounds on anything else but their results are then meaningless.
 */
#ifndef EV_XFORM_XFORM_INT_H
#define EV_XFORM_XFORM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* Same nesting limit as jansson's parser, so anything jansson produced passes. */
#define EV__XJ_MAX_DEPTH 2048

typedef enum {
    EV__XJ_NONE = 0, /* no value (path not found) */
    EV__XJ_OBJECT,
    EV__XJ_ARRAY,
    EV__XJ_STRING,
    EV__XJ_NUMBER,
    EV__XJ_TRUE,
    EV__XJ_FALSE,
    EV__XJ_NULL,
} ev__xj_type;

/* 1 if p[0..n) is exactly one JSON text (RFC 8259, UTF-8, surrounding blanks allowed). */
int ev__xj_valid(const char *p, size_t n);

/* Index of the first non-blank byte at or after i (n if none). */
size_t ev__xj_ws(const char *p, size_t n, size_t i);

/* End (exclusive) of the value that starts at i. */
size_t ev__xj_skip(const char *p, size_t n, size_t i);

/* Type of the value that starts at i. */
ev__xj_type ev__xj_type_at(const char *p, size_t n, size_t i);

/* Appends the value p[0..n) without insignificant blanks. */
void ev__xj_compact(ev_buf_t *b, const char *p, size_t n);

/* Appends the value p[0..n) with every string unescaped and unquoted: {a:b,c:[d,1]}. */
void ev__xj_unquoted(ev_buf_t *b, const char *p, size_t n);

/* Appends the content of the string token p[0..n) (quotes included) unescaped. */
void ev__xj_unescape(ev_buf_t *b, const char *p, size_t n);

/* Appends s[0..n) as a quoted JSON string. */
void ev__xj_escape(ev_buf_t *b, const char *s, size_t n);

/* 1 if the string token p[0..n) (quotes included) decodes to name[0..nlen). */
int ev__xj_key_eq(const char *p, size_t n, const char *name, size_t nlen);

/* Iterates an object's members or an array's elements: start with *it one past the '{' or
   '['; each call yields the next value [*vs, *ve) and, for objects, its key token
   [*ks, *ke) (quotes included). Returns 0 after the last child. */
int ev__xj_next(const char *p, size_t n, size_t *it, int is_obj, size_t *ks /* OUT */,
                size_t *ke /* OUT */, size_t *vs /* OUT */, size_t *ve /* OUT */);

/* Object member lookup: `obj` is the index of a '{'; the last member named name wins.
   Returns 1 and the value's [*vs, *ve) if found. */
int ev__xj_member(const char *p, size_t n, size_t obj, const char *name, size_t nlen,
                  size_t *vs /* OUT */, size_t *ve /* OUT */);

/* Removes insignificant blanks from the valid JSON text p[0..n) in place; returns the
   new length. */
size_t ev__xj_minify(char *p, size_t n);

/* A compiled JSONPath. */
typedef struct ev__xpath ev__xpath_t;

/* Parses the supported JSONPath subset; EV_ERR_VALIDATION if unsupported or malformed. */
ev_err ev__xpath_parse(const char *s, size_t n, ev__xpath_t **out /* OUT */) EV_MUST_CHECK;

void ev__xpath_free(ev__xpath_t *path);

/* 1 if the path has no wildcard, so it selects at most one value. */
int ev__xpath_definite(const ev__xpath_t *path);

/* Definite paths: 1 and the value's [*vs, *ve) in the valid document doc[0..n), else 0. */
int ev__xpath_find(const ev__xpath_t *path, const char *doc, size_t n, size_t *vs /* OUT */,
                   size_t *ve /* OUT */);

/* Any path: appends every selected value, compact, as one JSON array "[v1,v2]". */
void ev__xpath_collect(const ev__xpath_t *path, const char *doc, size_t n, ev_buf_t *b);

#endif
