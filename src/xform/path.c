/*
 * xform/path.c - the JSONPath subset EventBridge accepts in InputPath and
 * InputPathsMap: `$`, `.name`, `['name']` / `["name"]`, `[index]` (negative
 * counts from the end), and the wildcards `.*` / `[*]`. Compiled once into
 * steps; evaluated over the validated event bytes without allocating.
 */
#include "xform/xform_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

typedef enum { STEP_NAME, STEP_INDEX, STEP_WILD } step_kind;

typedef struct {
    step_kind kind;
    int64_t index; /* STEP_INDEX */
    size_t off;    /* STEP_NAME: the name is names[off .. off + len) */
    size_t len;
} step_t;

struct ev__xpath {
    size_t nsteps;
    int definite;
    step_t *steps;
    char *names;
};

/* Parses "[-]digits]" at s[*i]; saturates instead of overflowing (such indexes never match). */
static int parse_index(const char *s, size_t n, size_t *i, int64_t *out)
{
    size_t k = *i;
    int neg = 0, ok = 0;
    uint64_t v = 0;

    if (k < n && s[k] == '-') {
        neg = 1;
        k++;
    }
    if (k >= n || s[k] < '0' || s[k] > '9')
        goto out;
    while (k < n && s[k] >= '0' && s[k] <= '9') {
        if (v < (uint64_t)INT64_MAX / 10)
            v = v * 10 + (uint64_t)(s[k] - '0');
        else
            v = (uint64_t)INT64_MAX;
        k++;
    }
    if (k >= n || s[k] != ']')
        goto out;
    if (v > (uint64_t)INT64_MAX)
        v = (uint64_t)INT64_MAX;
    *out = neg ? -(int64_t)v : (int64_t)v;
    *i = k + 1;
    ok = 1;
out:
    return ok;
}

/* Parses "'name']" or "\"name\"]" at s[*i] (the opening quote); a backslash takes the next
   byte literally. Appends the name to names at *w. */
static int parse_quoted(const char *s, size_t n, size_t *i, char *names, size_t *w)
{
    char q = s[*i];
    size_t k = *i + 1;
    int ok = 0;

    while (k < n && s[k] != q) {
        if (s[k] == '\\') {
            k++;
            if (k >= n)
                goto out;
        }
        names[(*w)++] = s[k++];
    }
    if (k + 1 >= n || s[k + 1] != ']')
        goto out;
    *i = k + 2;
    ok = 1;
out:
    return ok;
}

static int name_byte(unsigned char c)
{
    return c >= 0x20 && c != '.' && c != '[' && c != ']';
}

ev_err ev__xpath_parse(const char *s, size_t n, ev__xpath_t **out)
{
    ev__xpath_t *p = NULL;
    ev_err rc = EV_ERR_VALIDATION;
    size_t i = 1, w = 0;

    *out = NULL;
    if (n == 0 || s[0] != '$')
        goto out;
    p = ev_xcalloc(1, sizeof(*p));
    p->definite = 1;
    /* every step consumes at least two bytes of the path, every name byte one */
    p->steps = ev_xcalloc(n / 2 + 1, sizeof(step_t));
    p->names = ev_xmalloc(n + 1);
    while (i < n) {
        step_t *st = &p->steps[p->nsteps];

        if (s[i] == '.') {
            size_t start = ++i;

            while (i < n && name_byte((unsigned char)s[i]))
                i++;
            if (i == start)
                goto out;
            if (i - start == 1 && s[start] == '*') {
                st->kind = STEP_WILD;
            } else {
                st->kind = STEP_NAME;
                st->off = w;
                st->len = i - start;
                memcpy(p->names + w, s + start, i - start);
                w += i - start;
            }
        } else if (s[i] == '[') {
            i++;
            if (i + 1 < n && s[i] == '*' && s[i + 1] == ']') {
                st->kind = STEP_WILD;
                i += 2;
            } else if (i < n && (s[i] == '\'' || s[i] == '"')) {
                st->kind = STEP_NAME;
                st->off = w;
                if (!parse_quoted(s, n, &i, p->names, &w))
                    goto out;
                st->len = w - st->off;
            } else {
                st->kind = STEP_INDEX;
                if (!parse_index(s, n, &i, &st->index))
                    goto out;
            }
        } else {
            goto out;
        }
        if (st->kind == STEP_WILD)
            p->definite = 0;
        p->nsteps++;
    }
    *out = p;
    p = NULL;
    rc = EV_OK;
out:
    ev__xpath_free(p);
    return rc;
}

void ev__xpath_free(ev__xpath_t *path)
{
    if (!path)
        return;
    free(path->steps);
    free(path->names);
    free(path);
}

int ev__xpath_definite(const ev__xpath_t *path)
{
    return path->definite;
}

/* Element `index` of the array at doc[arr] == '['. */
static int element(const char *doc, size_t n, size_t arr, int64_t index, size_t *vs,
                   size_t *ve)
{
    size_t it, dk, dke, s, e;
    int64_t k = 0;

    if (index < 0) {
        int64_t count = 0;

        it = arr + 1;
        while (ev__xj_next(doc, n, &it, 0, &dk, &dke, &s, &e))
            count++;
        index += count;
        if (index < 0)
            return 0;
    }
    it = arr + 1;
    while (ev__xj_next(doc, n, &it, 0, &dk, &dke, &s, &e)) {
        if (k++ == index) {
            *vs = s;
            *ve = e;
            return 1;
        }
    }
    return 0;
}

/* One non-wildcard step from the value at doc[*vs .. *ve). */
static int step_one(const ev__xpath_t *path, const step_t *st, const char *doc, size_t n,
                    size_t *vs, size_t *ve)
{
    if (st->kind == STEP_NAME)
        return doc[*vs] == '{' &&
               ev__xj_member(doc, n, *vs, path->names + st->off, st->len, vs, ve);
    return doc[*vs] == '[' && element(doc, n, *vs, st->index, vs, ve);
}

int ev__xpath_find(const ev__xpath_t *path, const char *doc, size_t n, size_t *vs, size_t *ve)
{
    size_t s = ev__xj_ws(doc, n, 0), e;

    if (s >= n)
        return 0;
    e = ev__xj_skip(doc, n, s);
    for (size_t k = 0; k < path->nsteps; k++) {
        if (path->steps[k].kind == STEP_WILD || !step_one(path, &path->steps[k], doc, n, &s, &e))
            return 0;
    }
    *vs = s;
    *ve = e;
    return 1;
}

typedef struct {
    const ev__xpath_t *path;
    const char *doc;
    size_t n;
    ev_buf_t *b;
    size_t count;
} walk_t;

/* Depth-first over the matches; recursion depth is bounded by the document's nesting,
   which validation capped at EV__XJ_MAX_DEPTH. */
static void walk(walk_t *w, size_t k, size_t s, size_t e)
{
    size_t it, ks, ke, cs, ce;
    int obj;

    if (w->b->failed)
        return;
    if (k == w->path->nsteps) {
        if (w->count++)
            ev_buf_addc(w->b, ',');
        ev__xj_compact(w->b, w->doc + s, e - s);
        return;
    }
    if (w->path->steps[k].kind != STEP_WILD) {
        if (step_one(w->path, &w->path->steps[k], w->doc, w->n, &s, &e))
            walk(w, k + 1, s, e);
        return;
    }
    if (w->doc[s] != '{' && w->doc[s] != '[')
        return;
    obj = w->doc[s] == '{';
    it = s + 1;
    while (ev__xj_next(w->doc, w->n, &it, obj, &ks, &ke, &cs, &ce) && !w->b->failed)
        walk(w, k + 1, cs, ce);
}

void ev__xpath_collect(const ev__xpath_t *path, const char *doc, size_t n, ev_buf_t *b)
{
    walk_t w = {path, doc, n, b, 0};
    size_t s = ev__xj_ws(doc, n, 0);

    ev_buf_addc(b, '[');
    if (s < n)
        walk(&w, 0, s, ev__xj_skip(doc, n, s));
    ev_buf_addc(b, ']');
}
