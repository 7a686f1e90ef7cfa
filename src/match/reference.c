/*
 * match/reference.c - the slow reference matcher: the same semantics as the
 * compiled automaton, computed the obvious way on a jansson DOM. Tests, the
 * differential fuzzer and the benchmark's count check compare the two.
 *
 * jansson decides validity (the compiled scanner must agree with it). It
 * keeps neither number texts nor duplicate keys, both of which matching
 * needs, so the event is parsed a second time after a rewrite that turns
 * each number into the string "\u0000<text>" and each key into a unique
 * "#<n>" whose original (decoded) text is kept on the side.
 *
 * A rule matches if one of its `$or` branches does. A branch is checked by
 * exhaustive search over the event's leaves in field-path order (as
 * event-ruler walks its fields): each field needs a leaf satisfying one of
 * its conditions and array-consistent with the leaves chosen so far, or, for
 * exists:false, no leaf at that path consistent with them.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

typedef struct {
    uint64_t tag;
    ev__rule_ast_t ast;
} ref_rule_t;

struct ev_match_ref {
    EV__VEC(ref_rule_t) rules;
};

enum { L_STR, L_NUM, L_NULL, L_TRUE, L_FALSE };

typedef struct {
    char *path;
    size_t path_n;
    int type;
    const char *s; /* string bytes / number text (owned by the DOM) */
    size_t n;
    int comparable;
    double d;
    uint32_t mem_off, mem_n; /* membership pairs in ctx.mem */
} leaf_t;

typedef struct {
    EV__VEC(leaf_t) leaves;
    EV__VEC(uint32_t) mem; /* pairs: array id, index */
    EV__VEC(char *) keys;  /* decoded original keys by rewrite id */
    uint32_t arrays;
} ctx_t;

ev_match_ref_t *ev_match_ref_new(void)
{
    return ev__mx_calloc(1, sizeof(ev_match_ref_t));
}

void ev_match_ref_free(ev_match_ref_t *r)
{
    size_t i;

    if (!r)
        return;
    for (i = 0; i < r->rules.n; i++)
        ev__ast_free(&r->rules.p[i].ast);
    EV__VEC_FREE(&r->rules);
    free(r);
}

ev_err ev_match_ref_add(ev_match_ref_t *r, uint64_t rule_tag, const char *pattern, size_t len,
                        char **message)
{
    ref_rule_t rr;
    ev_err rc;

    rr.tag = rule_tag;
    rc = ev__pattern_parse(pattern, len, &rr.ast, message);
    if (rc == EV_OK)
        EV__VEC_PUSH(&r->rules, rr);
    return rc;
}

/* --- rewrite -------------------------------------------------------------- */

typedef EV__VEC(char) cbuf_t;

static void put(cbuf_t *b, const char *s, size_t n)
{
    EV__VEC_RESERVE(b, b->n + n + 1);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static char *rewrite(const char *s, size_t n, ctx_t *cx, size_t *outn)
{
    cbuf_t b = {0};
    EV__VEC(char) stack = {0};
    int expect_key = 0;
    size_t i = 0;

    while (i < n) {
        char c = s[i];

        if (c == '"') {
            size_t j = i + 1;

            while (j < n && s[j] != '"')
                j += s[j] == '\\' ? 2 : 1;
            j++; /* past the closing quote */
            if (expect_key && stack.n && stack.p[stack.n - 1] == 'o') {
                json_t *k = json_loadb(s + i, j - i, JSON_DECODE_ANY, NULL);
                char id[32];

                EV__VEC_PUSH(&cx->keys, ev__mx_memdup(json_string_value(k), json_string_length(k)));
                json_decref(k);
                snprintf(id, sizeof(id), "\"#%zu\"", cx->keys.n - 1);
                put(&b, id, strlen(id));
                expect_key = 0;
            } else {
                put(&b, s + i, j - i);
            }
            i = j;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i;

            while (j < n && (s[j] == '-' || s[j] == '+' || s[j] == '.' || s[j] == 'e' ||
                             s[j] == 'E' || (s[j] >= '0' && s[j] <= '9')))
                j++;
            put(&b, "\"\\u0000", 7);
            put(&b, s + i, j - i);
            put(&b, "\"", 1);
            i = j;
            if (i < n && s[i] == '\0')
                i++; /* jansson drops one NUL after a number; it would not after a string */
        } else {
            if (c == '{' || c == '[') {
                EV__VEC_PUSH(&stack, c == '{' ? 'o' : 'a');
                expect_key = c == '{';
            } else if (c == '}' || c == ']') {
                if (stack.n)
                    stack.n--;
            } else if (c == ',') {
                expect_key = stack.n && stack.p[stack.n - 1] == 'o';
            }
            put(&b, &c, 1);
            i++;
        }
    }
    EV__VEC_FREE(&stack);
    *outn = b.n;
    if (!b.p)
        put(&b, "", 0);
    return b.p;
}

/* --- leaves ---------------------------------------------------------------- */

static void collect(ctx_t *cx, json_t *v, const char *path, size_t pn, uint32_t *mem, size_t mn)
{
    leaf_t l;

    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;

        json_object_foreach(v, k, x) {
            const char *name = cx->keys.p[strtoul(k + 1, NULL, 10)];
            size_t kn = strlen(name), np = path ? pn + 1 + kn : kn;
            char *p2 = ev__mx_alloc(np + 1);

            /*
             * Decoded keys may hold NUL only if jansson allowed it; it does not.
             * path is NULL at the root only: a key "" there still adds a segment.
             */
            if (path) {
                memcpy(p2, path, pn);
                p2[pn] = '.';
                memcpy(p2 + pn + 1, name, kn);
            } else {
                memcpy(p2, name, kn);
            }
            p2[np] = '\0';
            collect(cx, x, p2, np, mem, mn);
            free(p2);
        }
        return;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        uint32_t id = cx->arrays++;
        uint32_t *m2 = ev__mx_alloc((mn + 1) * 2 * sizeof(uint32_t));

        if (mn)
            memcpy(m2, mem, mn * 2 * sizeof(uint32_t));
        json_array_foreach(v, i, x) {
            m2[mn * 2] = id;
            m2[mn * 2 + 1] = (uint32_t)i;
            collect(cx, x, path, pn, m2, mn + 1);
        }
        free(m2);
        return;
    }
    default:
        break;
    }
    memset(&l, 0, sizeof(l));
    l.path = ev__mx_memdup(path ? path : "", pn);
    l.path_n = pn;
    if (json_is_string(v)) {
        l.s = json_string_value(v);
        l.n = json_string_length(v);
        if (l.n && l.s[0] == '\0') {
            l.type = L_NUM;
            l.s++;
            l.n--;
            l.comparable = ev__num_classify_slow(l.s, l.n, &l.d);
        } else {
            l.type = L_STR;
        }
    } else if (json_is_null(v)) {
        l.type = L_NULL;
    } else if (json_is_true(v)) {
        l.type = L_TRUE;
    } else {
        l.type = L_FALSE;
    }
    l.mem_off = (uint32_t)cx->mem.n;
    l.mem_n = (uint32_t)mn;
    for (size_t i = 0; i < mn * 2; i++)
        EV__VEC_PUSH(&cx->mem, mem[i]);
    EV__VEC_PUSH(&cx->leaves, l);
}

/* --- conditions -------------------------------------------------------------- */

/* Glob with '*', "\\*" and "\\\\", by dynamic programming (independent of ev__glob_match). */
static int glob_dp(const char *pat, size_t pn, const char *s, size_t n)
{
    char *tok = ev__mx_alloc(pn + 1);
    uint8_t *star = ev__mx_alloc(pn + 1), *prev, *cur;
    size_t k = 0, i, j;
    int r;

    for (i = 0; i < pn; i++) {
        if (pat[i] == '\\' && i + 1 < pn) {
            tok[k] = pat[++i];
            star[k++] = 0;
        } else {
            tok[k] = pat[i];
            star[k++] = pat[i] == '*';
        }
    }
    prev = ev__mx_calloc(k + 1, 1);
    cur = ev__mx_calloc(k + 1, 1);
    /* prev[t]: pattern tokens [0,t) match the input read so far. */
    prev[0] = 1;
    for (j = 1; j <= k; j++)
        prev[j] = prev[j - 1] && star[j - 1];
    for (i = 0; i < n; i++) {
        cur[0] = 0;
        for (j = 1; j <= k; j++) {
            if (star[j - 1])
                cur[j] = cur[j - 1] || prev[j];
            else
                cur[j] = prev[j - 1] && tok[j - 1] == s[i];
        }
        memcpy(prev, cur, k + 1);
    }
    r = prev[k];
    free(tok);
    free(star);
    free(prev);
    free(cur);
    return r;
}

static int folded_eq(const leaf_t *l, const ev__str_t *s, int mode /* 0 eq, 1 prefix, 2 suffix */)
{
    char *f = ev__mx_alloc(EV__FOLD_MAX(l->n) + 1);
    size_t fn = ev__fold(l->s, l->n, f);
    int r;

    if (mode == 0)
        r = fn == s->n && memcmp(f, s->p, fn) == 0;
    else if (mode == 1)
        r = fn >= s->n && memcmp(f, s->p, s->n) == 0;
    else
        r = fn >= s->n && memcmp(f + fn - s->n, s->p, s->n) == 0;
    free(f);
    return r;
}

static int str_is(const leaf_t *l, const ev__str_t *s)
{
    return l->type == L_STR && l->n == s->n && memcmp(l->s, s->p, s->n) == 0;
}

static int starts(const leaf_t *l, const ev__str_t *s)
{
    return l->type == L_STR && l->n >= s->n && memcmp(l->s, s->p, s->n) == 0;
}

static int ends(const leaf_t *l, const ev__str_t *s)
{
    return l->type == L_STR && l->n >= s->n && memcmp(l->s + l->n - s->n, s->p, s->n) == 0;
}

static int cond_match(const ev__cond_t *c, const leaf_t *l)
{
    uint32_t i;

    switch (c->kind) {
    case EV__C_EXACT:
        return str_is(l, &c->s[0]);
    case EV__C_NUM_EQ:
        return l->type == L_NUM && l->comparable && l->d == c->num[0];
    case EV__C_NUM_TEXT:
        return l->type == L_NUM && !l->comparable && l->n == c->s[0].n &&
               memcmp(l->s, c->s[0].p, l->n) == 0;
    case EV__C_NULL:
        return l->type == L_NULL;
    case EV__C_TRUE:
        return l->type == L_TRUE;
    case EV__C_FALSE:
        return l->type == L_FALSE;
    case EV__C_CIDR: {
        uint8_t ip[16];
        int len;

        if (l->type != L_STR)
            return 0;
        len = ev__ip_parse(l->s, l->n, ip);
        if (len != (c->ip_v6 ? 16 : 4))
            return 0;
        return memcmp(ip, c->ip_lo, (size_t)len) >= 0 && memcmp(ip, c->ip_hi, (size_t)len) <= 0;
    }
    case EV__C_PREFIX:
        return starts(l, &c->s[0]);
    case EV__C_SUFFIX:
        return ends(l, &c->s[0]);
    case EV__C_PREFIX_IC:
        return l->type == L_STR && folded_eq(l, &c->s[0], 1);
    case EV__C_SUFFIX_IC:
        return l->type == L_STR && folded_eq(l, &c->s[0], 2);
    case EV__C_EQ_IC:
        return l->type == L_STR && folded_eq(l, &c->s[0], 0);
    case EV__C_WILDCARD:
        return l->type == L_STR && glob_dp(c->s[0].p, c->s[0].n, l->s, l->n);
    case EV__C_RANGE:
        if (l->type != L_NUM || !l->comparable)
            return 0;
        if (l->d < c->lo || (l->d == c->lo && c->lo_open))
            return 0;
        if (l->d > c->hi || (l->d == c->hi && c->hi_open))
            return 0;
        return 1;
    case EV__C_EXISTS:
        return 1;
    case EV__C_AB_STR:
        for (i = 0; i < c->n; i++) {
            if (str_is(l, &c->s[i]))
                return 0;
        }
        return 1;
    case EV__C_AB_NUM:
        for (i = 0; i < c->n; i++) {
            if (l->type == L_NUM && l->comparable && l->d == c->num[i])
                return 0;
        }
        return 1;
    case EV__C_AB_PREFIX:
        for (i = 0; i < c->n; i++) {
            if (starts(l, &c->s[i]))
                return 0;
        }
        return 1;
    case EV__C_AB_SUFFIX:
        for (i = 0; i < c->n; i++) {
            if (ends(l, &c->s[i]))
                return 0;
        }
        return 1;
    case EV__C_AB_IC:
        for (i = 0; i < c->n; i++) {
            if (l->type == L_STR && folded_eq(l, &c->s[i], 0))
                return 0;
        }
        return 1;
    case EV__C_AB_WILDCARD:
        for (i = 0; i < c->n; i++) {
            if (l->type == L_STR && glob_dp(c->s[i].p, c->s[i].n, l->s, l->n))
                return 0;
        }
        return 1;
    default:
        return 0;
    }
}

/* --- search ------------------------------------------------------------------ */

typedef struct {
    const ctx_t *cx;
    const ev__field_t **fields;
    uint32_t nfields;
    uint32_t *choice; /* array id -> index + 1 (0 = unconstrained) */
} search_t;

static int consistent(const search_t *st, const leaf_t *l)
{
    uint32_t i;

    for (i = 0; i < l->mem_n; i++) {
        uint32_t a = st->cx->mem.p[l->mem_off + 2 * i], x = st->cx->mem.p[l->mem_off + 2 * i + 1];

        if (st->choice[a] && st->choice[a] != x + 1)
            return 0;
    }
    return 1;
}

static int path_is(const leaf_t *l, const ev__str_t *p)
{
    return l->path_n == p->n && memcmp(l->path, p->p, p->n) == 0;
}

static int search(search_t *st, uint32_t i)
{
    const ev__field_t *f;
    size_t k;
    uint32_t c;
    int positive = 0, absent = 0;

    if (i == st->nfields)
        return 1;
    f = st->fields[i];
    for (c = 0; c < f->nconds; c++) {
        if (f->conds[c].kind == EV__C_ABSENT)
            absent = 1;
        else
            positive = 1;
    }
    if (positive) {
        for (k = 0; k < st->cx->leaves.n; k++) {
            const leaf_t *l = &st->cx->leaves.p[k];
            uint32_t *set, nset = 0, j;
            int ok = 0;

            if (!path_is(l, &f->path) || !consistent(st, l))
                continue;
            for (c = 0; c < f->nconds && !ok; c++)
                ok = f->conds[c].kind != EV__C_ABSENT && cond_match(&f->conds[c], l);
            if (!ok)
                continue;
            set = ev__mx_alloc((l->mem_n + 1) * sizeof(uint32_t));
            for (j = 0; j < l->mem_n; j++) {
                uint32_t a = st->cx->mem.p[l->mem_off + 2 * j];

                if (!st->choice[a]) {
                    st->choice[a] = st->cx->mem.p[l->mem_off + 2 * j + 1] + 1;
                    set[nset++] = a;
                }
            }
            ok = search(st, i + 1);
            for (j = 0; j < nset; j++)
                st->choice[set[j]] = 0;
            free(set);
            if (ok)
                return 1;
        }
    }
    if (absent) {
        for (k = 0; k < st->cx->leaves.n; k++) {
            const leaf_t *l = &st->cx->leaves.p[k];

            if (path_is(l, &f->path) && consistent(st, l))
                return 0;
        }
        return search(st, i + 1);
    }
    return 0;
}

static int cmp_field(const void *a, const void *b)
{
    const ev__field_t *x = *(const ev__field_t *const *)a, *y = *(const ev__field_t *const *)b;
    size_t n = x->path.n < y->path.n ? x->path.n : y->path.n;
    int c = memcmp(x->path.p, y->path.p, n);

    if (c)
        return c;
    return x->path.n < y->path.n ? -1 : x->path.n > y->path.n;
}

static int branch_matches(const ctx_t *cx, const ev__branch_t *br, uint32_t *choice)
{
    search_t st;
    const ev__field_t **fs = ev__mx_alloc((br->nfields + 1) * sizeof(*fs));
    uint32_t i;
    int r;

    for (i = 0; i < br->nfields; i++)
        fs[i] = &br->fields[i];
    if (br->nfields > 1)
        qsort(fs, br->nfields, sizeof(*fs), cmp_field);
    st.cx = cx;
    st.fields = fs;
    st.nfields = br->nfields;
    st.choice = choice;
    r = search(&st, 0);
    free(fs);
    return r;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

ev_match_rc ev_match_ref_match(const ev_match_ref_t *r, const char *json, size_t len,
                               uint64_t **tags, size_t *ntags)
{
    json_t *doc, *dom = NULL;
    ctx_t cx;
    char *rw = NULL;
    size_t rwn, i, n = 0;
    uint32_t *choice = NULL;
    uint64_t *out = NULL;
    ev_match_rc rc = EV_MATCH_MALFORMED;

    *tags = NULL;
    *ntags = 0;
    memset(&cx, 0, sizeof(cx));
    doc = json_loadb(json, len, JSON_DECODE_ANY, NULL);
    if (!doc)
        return EV_MATCH_MALFORMED;
    if (!json_is_object(doc)) {
        json_decref(doc);
        return EV_MATCH_NOT_OBJECT;
    }
    json_decref(doc);
    rw = rewrite(json, len, &cx, &rwn);
    dom = json_loadb(rw, rwn, JSON_ALLOW_NUL, NULL);
    if (!dom) {
        rc = EV_MATCH_MALFORMED; /* not reached for input jansson accepted */
        goto out;
    }
    collect(&cx, dom, NULL, 0, NULL, 0);
    choice = ev__mx_calloc(cx.arrays + 1, sizeof(uint32_t));
    out = ev__mx_alloc((r->rules.n + 1) * sizeof(uint64_t));
    for (i = 0; i < r->rules.n; i++) {
        const ev__rule_ast_t *ast = &r->rules.p[i].ast;
        uint32_t b;

        for (b = 0; b < ast->nbranches; b++) {
            if (branch_matches(&cx, &ast->branches[b], choice)) {
                out[n++] = r->rules.p[i].tag;
                break;
            }
        }
    }
    if (n > 1)
        qsort(out, n, sizeof(uint64_t), cmp_u64);
    {
        size_t k = 0;

        for (i = 0; i < n; i++) {
            if (k == 0 || out[k - 1] != out[i])
                out[k++] = out[i];
        }
        n = k;
    }
    rc = EV_MATCH_OK;
out:
    if (rc == EV_MATCH_OK && n) {
        *tags = out;
        *ntags = n;
    } else {
        free(out);
    }
    for (i = 0; i < cx.leaves.n; i++)
        free(cx.leaves.p[i].path);
    for (i = 0; i < cx.keys.n; i++)
        free(cx.keys.p[i]);
    EV__VEC_FREE(&cx.leaves);
    EV__VEC_FREE(&cx.mem);
    EV__VEC_FREE(&cx.keys);
    free(choice);
    free(rw);
    json_decref(dom);
    return rc;
}
