/*
 * match/compile.c - event pattern -> AST, validating as AWS does.
 *
 * EventBridge validates patterns with event-ruler's JsonRuleCompiler, which
 * pulls Jackson tokens and checks each construct as it meets it, so the first
 * problem in document order wins - a semantic one ("\"int\" must be an object
 * or an array") can hide a later syntax error. This file follows the same
 * order and wording (docs/internals/match.md lists the reasons). The result
 * is a list of `$or` branches; each is a map from dotted field path to its
 * alternatives, where a later duplicate path replaces an earlier one.
 */
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

#define REASON_PREFIX "Event pattern is not valid. Reason: "
#define TOO_COMPLEX                                                                            \
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character " \
    "sequences after a wildcard character"

typedef EV__VEC(ev__field_t) cmap_t;
typedef EV__VEC(cmap_t) cmaps_t;
typedef EV__VEC(ev__cond_t) conds_t;
typedef EV__VEC(ev__str_t) strs_t;
typedef EV__VEC(double) nums_t;

typedef struct {
    ev__jt_t jt;
    ev__arena_t *ar;
    EV__VEC(char) path;        /* joined names of the enclosing objects */
    EV__VEC(size_t) path_lens; /* path length before each push */
} comp_t;

static const char *const reserved_in_or[] = {
    "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard",
    "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard",
    "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
    "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range",
};

#define NEXT(c) ev__jt_next(&(c)->jt)

/* Records the first error (later ones are ignored) and returns -1. */
static int barf(comp_t *c, const char *fmt, ...) EV_PRINTF(2, 3);
static int barf(comp_t *c, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    msg = ev__mx_alloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ev__jt_fail(&c->jt, "%s", msg);
    free(msg);
    return -1;
}

static int is(const ev__jt_t *t, const char *s)
{
    size_t n = strlen(s);

    return t->name_n == n && memcmp(t->name, s, n) == 0;
}

static ev__str_t keep(comp_t *c, const char *p, size_t n)
{
    ev__str_t s;

    s.p = ev__arena_memdup(c->ar, p, n);
    s.n = (uint32_t)n;
    return s;
}

/* Text of the current token, copied into the arena. */
static ev__str_t keep_text(comp_t *c)
{
    size_t n = 0;
    const char *p = ev__jt_text(&c->jt, &n);

    if (!p) {
        ev__str_t none = {"", 0};

        return none;
    }
    return keep(c, p, n);
}

static ev__str_t keep_folded(comp_t *c, ev__str_t s)
{
    char *buf = ev__arena_alloc(c->ar, EV__FOLD_MAX(s.n) + 1);
    ev__str_t r;

    r.n = (uint32_t)ev__fold(s.p, s.n, buf);
    buf[r.n] = '\0';
    r.p = buf;
    return r;
}

static int is_num(ev__jt_tok t)
{
    return t == EV__JT_NUMBER_INT || t == EV__JT_NUMBER_FLOAT;
}

/* ComparableNumber.generate: the double, or the "Cannot compare number" error. */
static int comparable(comp_t *c, ev__str_t text, double *d)
{
    if (!ev__num_classify_slow(text.p, text.n, d))
        return barf(c, "Cannot compare number : %s", text.p);
    return 0;
}

/* --- branch maps -------------------------------------------------------------- */

static void map_put(cmap_t *m, ev__str_t path, ev__cond_t *conds, uint32_t n)
{
    size_t i;
    ev__field_t f;

    for (i = 0; i < m->n; i++) {
        if (m->p[i].path.n == path.n && memcmp(m->p[i].path.p, path.p, path.n) == 0) {
            m->p[i].conds = conds;
            m->p[i].nconds = n;
            return;
        }
    }
    f.path = path;
    f.conds = conds;
    f.nconds = n;
    EV__VEC_PUSH(m, f);
}

static cmap_t map_copy(const cmap_t *m)
{
    cmap_t r;

    memset(&r, 0, sizeof(r));
    EV__VEC_RESERVE(&r, m->n);
    if (m->n)
        memcpy(r.p, m->p, m->n * sizeof(*m->p));
    r.n = m->n;
    return r;
}

static void maps_clear(cmaps_t *ms)
{
    size_t i;

    for (i = 0; i < ms->n; i++)
        EV__VEC_FREE(&ms->p[i]);
    ms->n = 0;
}

static void maps_free(cmaps_t *ms)
{
    maps_clear(ms);
    EV__VEC_FREE(ms);
}

static cmaps_t maps_copy(const cmaps_t *ms)
{
    cmaps_t r;
    size_t i;

    memset(&r, 0, sizeof(r));
    for (i = 0; i < ms->n; i++) {
        cmap_t m = map_copy(&ms->p[i]);

        EV__VEC_PUSH(&r, m);
    }
    return r;
}

/* --- paths -------------------------------------------------------------------- */

static ev__str_t extended_name(comp_t *c, const char *name, size_t n)
{
    char *p = ev__arena_alloc(c->ar, c->path.n + 1 + n + 1);
    size_t k = 0;

    if (c->path.n) {
        memcpy(p, c->path.p, c->path.n);
        k = c->path.n;
        p[k++] = '.';
    }
    memcpy(p + k, name, n);
    k += n;
    p[k] = '\0';
    return (ev__str_t){p, (uint32_t)k};
}

static void path_push(comp_t *c, const char *name, size_t n)
{
    EV__VEC_PUSH(&c->path_lens, c->path.n);
    if (c->path.n)
        EV__VEC_PUSH(&c->path, '.');
    EV__VEC_RESERVE(&c->path, c->path.n + n + 1);
    if (n)
        memcpy(c->path.p + c->path.n, name, n);
    c->path.n += n;
}

static void path_pop(comp_t *c)
{
    c->path.n = c->path_lens.p[--c->path_lens.n];
}

/* --- match expressions ---------------------------------------------------------- */

static int numeric_expr(comp_t *c, ev__cond_t *cond)
{
    ev__jt_tok tok = NEXT(c);
    ev__str_t op, val, top;
    double a, b;

    if (tok != EV__JT_STRING) {
        ev__str_t t = keep_text(c);

        return barf(c, "Invalid member in numeric match: %s", t.p);
    }
    op = keep_text(c);
    tok = NEXT(c);
    if (tok == EV__JT_ERROR)
        return -1;
    cond->kind = EV__C_RANGE;
    cond->lo = -DBL_MAX; /* event-ruler bounds one-sided ranges by +-Double.MAX_VALUE */
    cond->hi = DBL_MAX;
    if (strcmp(op.p, "=") == 0) {
        if (!is_num(tok))
            return barf(c, "Value of equals must be numeric");
        val = keep_text(c);
        if (NEXT(c) != EV__JT_END_ARRAY)
            return barf(c, "Too many elements in numeric expression");
        if (comparable(c, val, &a) != 0)
            return -1;
        cond->kind = EV__C_NUM_EQ;
        cond->n = 1;
        cond->num = ev__arena_alloc(c->ar, sizeof(double));
        cond->num[0] = a;
        return 0;
    }
    if (strcmp(op.p, ">=") == 0 || strcmp(op.p, ">") == 0) {
        int open_bottom = op.p[1] == '\0';

        if (!is_num(tok))
            return barf(c, "Value of %s must be numeric", op.p);
        val = keep_text(c);
        tok = NEXT(c);
        if (tok == EV__JT_END_ARRAY) {
            if (comparable(c, val, &a) != 0)
                return -1;
            cond->lo = a;
            cond->lo_open = (uint8_t)open_bottom;
            return 0;
        }
        if (tok != EV__JT_STRING) {
            ev__str_t t = keep_text(c);

            return barf(c, "Bad value in numeric range: %s", t.p);
        }
        op = keep_text(c);
        if (strcmp(op.p, "<") != 0 && strcmp(op.p, "<=") != 0)
            return barf(c, "Bad numeric range operator: %s", op.p);
        if (!is_num(NEXT(c)))
            return barf(c, "Value of %s must be numeric", op.p);
        top = keep_text(c);
        if (NEXT(c) != EV__JT_END_ARRAY)
            return barf(c, "Too many terms in numeric range expression");
        if (comparable(c, val, &a) != 0 || comparable(c, top, &b) != 0)
            return -1;
        if (!(a < b))
            return barf(c, "Bottom must be less than top");
        cond->lo = a;
        cond->lo_open = (uint8_t)open_bottom;
        cond->hi = b;
        cond->hi_open = op.p[1] == '\0';
        return 0;
    }
    if (strcmp(op.p, "<=") == 0 || strcmp(op.p, "<") == 0) {
        if (!is_num(tok))
            return barf(c, "Value of %s must be numeric", op.p);
        top = keep_text(c);
        if (NEXT(c) != EV__JT_END_ARRAY)
            return barf(c, "Too many elements in numeric expression");
        if (comparable(c, top, &b) != 0)
            return -1;
        cond->hi = b;
        cond->hi_open = op.p[1] == '\0';
        return 0;
    }
    return barf(c, "Unrecognized numeric range operator: %s", op.p);
}

/* anything-but over a value set: equals-ignore-case, prefix, suffix or wildcard. */
static const char *set_type_error(ev__cond_kind k)
{
    if (k == EV__C_AB_IC)
        return "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
               "supported.";
    if (k == EV__C_AB_WILDCARD)
        return "wildcard match pattern must be a string";
    return "prefix/suffix match pattern must be a string";
}

static int set_value(comp_t *c, ev__cond_kind k, strs_t *vals)
{
    ev__str_t s = keep_text(c);

    if ((k == EV__C_AB_PREFIX || k == EV__C_AB_SUFFIX) && s.n == 0)
        return barf(c, "Null prefix/suffix not allowed");
    if (k == EV__C_AB_IC)
        s = keep_folded(c, s);
    EV__VEC_PUSH(vals, s);
    return 0;
}

static int anything_but(comp_t *c, ev__cond_t *cond)
{
    ev__cond_kind k = EV__C_AB_STR;
    ev__jt_tok tok = NEXT(c);
    strs_t vals = {0};
    nums_t nums = {0};
    int rc = -1, set_type;
    size_t i;

    if (tok == EV__JT_START_OBJECT) {
        if (NEXT(c) != EV__JT_FIELD_NAME) {
            barf(c, "Anything-But expression name not found");
            goto out;
        }
        if (is(&c->jt, "equals-ignore-case"))
            k = EV__C_AB_IC;
        else if (is(&c->jt, "prefix"))
            k = EV__C_AB_PREFIX;
        else if (is(&c->jt, "suffix"))
            k = EV__C_AB_SUFFIX;
        else if (is(&c->jt, "wildcard"))
            k = EV__C_AB_WILDCARD;
        else {
            barf(c, "Unsupported anything-but pattern: %s", c->jt.name);
            goto out;
        }
        tok = NEXT(c);
    }
    set_type = k != EV__C_AB_STR;
    if (tok != EV__JT_START_ARRAY && tok != EV__JT_STRING && !is_num(tok)) {
        barf(c, "Value of anything-but must be an array or single string/number value.");
        goto out;
    }
    if (tok == EV__JT_START_ARRAY) {
        int has_num = 0, has_str = 0;

        /*
         * event-ruler wraps these loops in a try that re-raises a parse error
         * with its own message, so Jackson's location line appears twice.
         */
        while ((tok = NEXT(c)) != EV__JT_END_ARRAY) {
            if (tok == EV__JT_ERROR)
                goto twice;
            if (set_type) {
                if (tok != EV__JT_STRING) {
                    barf(c, "%s", set_type_error(k));
                    goto twice;
                }
                if (set_value(c, k, &vals) != 0)
                    goto twice;
            } else if (tok == EV__JT_STRING) {
                ev__str_t s = keep_text(c);

                if (c->jt.err)
                    goto twice;
                EV__VEC_PUSH(&vals, s);
                has_str = 1;
            } else if (is_num(tok)) {
                ev__str_t s = keep_text(c);
                double d;

                if (comparable(c, s, &d) != 0)
                    goto out; /* an IllegalArgumentException: re-raised with one location */
                EV__VEC_PUSH(&nums, d);
                has_num = 1;
            } else {
                barf(c, "Inside anything but list, start|null|boolean is not supported.");
                goto twice;
            }
        }
        if (!set_type && has_num == has_str) {
            barf(c, "Inside anything but list, either all values are number or string, mixed "
                    "type is not supported");
            goto out;
        }
    } else if (set_type) {
        if (tok != EV__JT_STRING) {
            barf(c, "%s", set_type_error(k));
            goto out;
        }
        if (set_value(c, k, &vals) != 0)
            goto out;
    } else if (tok == EV__JT_STRING) {
        ev__str_t s = keep_text(c);

        EV__VEC_PUSH(&vals, s);
    } else {
        ev__str_t s = keep_text(c);
        double d;

        if (comparable(c, s, &d) != 0) {
            c->jt.err_loc = 0; /* thrown past event-ruler's parser: no location */
            goto out;
        }
        EV__VEC_PUSH(&nums, d);
    }
    if (k == EV__C_AB_WILDCARD) {
        for (i = 0; i < vals.n; i++) {
            char *why = ev__wc_check(vals.p[i].p, vals.p[i].n);

            if (why) {
                barf(c, "%s", why);
                free(why);
                goto out;
            }
        }
    }
    if (NEXT(c) != EV__JT_END_OBJECT) {
        barf(c, "Too many elements in numeric expression");
        goto out;
    }
    if (set_type && NEXT(c) != EV__JT_END_OBJECT) {
        barf(c, "Too many elements in numeric expression");
        goto out;
    }
    if (nums.n) {
        cond->kind = EV__C_AB_NUM;
        cond->n = (uint32_t)nums.n;
        cond->num = ev__arena_alloc(c->ar, nums.n * sizeof(double));
        memcpy(cond->num, nums.p, nums.n * sizeof(double));
    } else {
        cond->kind = k;
        cond->n = (uint32_t)vals.n;
        cond->s = ev__arena_alloc(c->ar, (vals.n ? vals.n : 1) * sizeof(ev__str_t));
        if (vals.n)
            memcpy(cond->s, vals.p, vals.n * sizeof(ev__str_t));
    }
    rc = 0;
    goto out;
twice:
    c->jt.err_loc = 2;
out:
    EV__VEC_FREE(&vals);
    EV__VEC_FREE(&nums);
    return rc;
}

static int one_string(comp_t *c, ev__cond_t *cond, ev__cond_kind k, const char *type_error)
{
    ev__str_t s;

    if (NEXT(c) != EV__JT_STRING)
        return barf(c, "%s", type_error);
    s = keep_text(c);
    if (k == EV__C_WILDCARD) {
        char *why = ev__wc_check(s.p, s.n);

        if (why) {
            barf(c, "%s", why);
            free(why);
            return -1;
        }
    }
    if (k == EV__C_EQ_IC || k == EV__C_PREFIX_IC || k == EV__C_SUFFIX_IC)
        s = keep_folded(c, s);
    cond->kind = k;
    cond->n = 1;
    cond->s = ev__arena_alloc(c->ar, sizeof(ev__str_t));
    cond->s[0] = s;
    return 0;
}

static int only_one_key(comp_t *c)
{
    if (NEXT(c) != EV__JT_END_OBJECT)
        return barf(c, "Only one key allowed in match expression");
    return 0;
}

/* {"prefix": {"equals-ignore-case": "x"}} and the suffix form. */
static int affix_ignore_case(comp_t *c, ev__cond_t *cond, int prefix)
{
    if (NEXT(c) != EV__JT_FIELD_NAME)
        return barf(c, "%s expression name not found", prefix ? "Prefix" : "Suffix");
    if (!is(&c->jt, "equals-ignore-case"))
        return barf(c, "Unsupported %s pattern: %s", prefix ? "prefix" : "suffix", c->jt.name);
    if (one_string(c, cond, prefix ? EV__C_PREFIX_IC : EV__C_SUFFIX_IC,
                   "equals-ignore-case match pattern must be a string") != 0)
        return -1;
    if (only_one_key(c) != 0)
        return -1;
    return only_one_key(c);
}

static int match_expression(comp_t *c, ev__cond_t *cond)
{
    ev__jt_tok tok;

    memset(cond, 0, sizeof(*cond));
    if (NEXT(c) != EV__JT_FIELD_NAME)
        return barf(c, "Match expression name not found");
    if (is(&c->jt, "exactly")) {
        if (one_string(c, cond, EV__C_EXACT, "exact match pattern must be a string") != 0)
            return -1;
        return only_one_key(c);
    }
    if (is(&c->jt, "prefix") || is(&c->jt, "suffix")) {
        int prefix = c->jt.name[0] == 'p';

        tok = NEXT(c);
        if (tok == EV__JT_START_OBJECT)
            return affix_ignore_case(c, cond, prefix);
        if (tok != EV__JT_STRING)
            return barf(c, "%s match pattern must be a string", prefix ? "prefix" : "suffix");
        cond->kind = prefix ? EV__C_PREFIX : EV__C_SUFFIX;
        cond->n = 1;
        cond->s = ev__arena_alloc(c->ar, sizeof(ev__str_t));
        cond->s[0] = keep_text(c);
        return only_one_key(c);
    }
    if (is(&c->jt, "numeric")) {
        if (NEXT(c) != EV__JT_START_ARRAY)
            return barf(c, "Value of numeric must be an array.");
        if (numeric_expr(c, cond) != 0)
            return -1;
        if (NEXT(c) != EV__JT_END_OBJECT)
            return barf(c, "Too many elements in numeric expression");
        return 0;
    }
    if (is(&c->jt, "anything-but"))
        return anything_but(c, cond);
    if (is(&c->jt, "exists")) {
        tok = NEXT(c);
        if (tok == EV__JT_TRUE)
            cond->kind = EV__C_EXISTS;
        else if (tok == EV__JT_FALSE)
            cond->kind = EV__C_ABSENT;
        else
            return barf(c, "exists match pattern must be either true or false.");
        return only_one_key(c);
    }
    if (is(&c->jt, "cidr")) {
        ev__str_t s;
        const char *why;
        char *owned;

        if (NEXT(c) != EV__JT_STRING)
            return barf(c, "prefix match pattern must be a string");
        s = keep_text(c);
        why = ev__cidr_parse(s.p, s.n, cond, &owned);
        if (why) {
            barf(c, "%s", why);
            c->jt.err_loc = 0; /* CIDR.java throws past the parser: no location */
            free(owned);
            return -1;
        }
        return only_one_key(c);
    }
    if (is(&c->jt, "equals-ignore-case")) {
        if (one_string(c, cond, EV__C_EQ_IC, "equals-ignore-case match pattern must be a string"))
            return -1;
        return only_one_key(c);
    }
    if (is(&c->jt, "wildcard")) {
        if (one_string(c, cond, EV__C_WILDCARD, "wildcard match pattern must be a string") != 0)
            return -1;
        return only_one_key(c);
    }
    return barf(c, "Unrecognized match type %s", c->jt.name);
}

/* A literal in a field's value list. */
static void literal(comp_t *c, ev__jt_tok tok, ev__cond_t *cond)
{
    memset(cond, 0, sizeof(*cond));
    if (tok == EV__JT_STRING) {
        ev__str_t s = keep_text(c);
        uint8_t ip[16];
        int len = ev__ip_parse(s.p, s.n, ip);

        if (len) {
            /* event-ruler turns an IP address literal into a one-address range. */
            cond->kind = EV__C_CIDR;
            cond->ip_v6 = len == 16;
            memcpy(cond->ip_lo, ip, (size_t)len);
            memcpy(cond->ip_hi, ip, (size_t)len);
            return;
        }
        cond->kind = EV__C_EXACT;
        cond->n = 1;
        cond->s = ev__arena_alloc(c->ar, sizeof(ev__str_t));
        cond->s[0] = s;
    } else if (is_num(tok)) {
        ev__str_t s = keep_text(c);
        double d;

        cond->n = 1;
        if (ev__num_classify_slow(s.p, s.n, &d)) {
            cond->kind = EV__C_NUM_EQ;
            cond->num = ev__arena_alloc(c->ar, sizeof(double));
            cond->num[0] = d;
        } else {
            cond->kind = EV__C_NUM_TEXT;
            cond->s = ev__arena_alloc(c->ar, sizeof(ev__str_t));
            cond->s[0] = s;
        }
    } else {
        cond->kind = tok == EV__JT_NULL ? EV__C_NULL : tok == EV__JT_TRUE ? EV__C_TRUE
                                                                          : EV__C_FALSE;
    }
}

static int write_rules(comp_t *c, cmaps_t *rules, ev__str_t path)
{
    conds_t conds = {0};
    ev__jt_tok tok;
    ev__cond_t *arr;
    size_t i;
    int rc = -1;

    while ((tok = NEXT(c)) != EV__JT_END_ARRAY) {
        ev__cond_t cond;

        switch (tok) {
        case EV__JT_START_OBJECT:
            if (match_expression(c, &cond) != 0)
                goto out;
            break;
        case EV__JT_STRING:
        case EV__JT_NUMBER_INT:
        case EV__JT_NUMBER_FLOAT:
        case EV__JT_NULL:
        case EV__JT_TRUE:
        case EV__JT_FALSE:
            literal(c, tok, &cond);
            if (c->jt.err)
                goto out;
            break;
        case EV__JT_ERROR:
            goto out;
        default:
            barf(c, "Match value must be String, number, true, false, or null");
            goto out;
        }
        EV__VEC_PUSH(&conds, cond);
    }
    if (conds.n == 0) {
        barf(c, "Empty arrays are not allowed");
        goto out;
    }
    arr = ev__arena_alloc(c->ar, conds.n * sizeof(ev__cond_t));
    memcpy(arr, conds.p, conds.n * sizeof(ev__cond_t));
    if (rules->n == 0) {
        cmap_t m = {0};

        EV__VEC_PUSH(rules, m);
    }
    for (i = 0; i < rules->n; i++)
        map_put(&rules->p[i], path, arr, (uint32_t)conds.n);
    rc = 0;
out:
    EV__VEC_FREE(&conds);
    return rc;
}

static int parse_object(comp_t *c, cmaps_t *rules, int in_or);

static int parse_or(comp_t *c, cmaps_t *rules)
{
    cmaps_t current = maps_copy(rules);
    ev__jt_tok tok;
    int count = 0, rc = -1;

    maps_clear(rules);
    if (NEXT(c) != EV__JT_START_ARRAY) {
        barf(c, "It must be an Array followed with $or.");
        goto out;
    }
    while ((tok = NEXT(c)) != EV__JT_END_ARRAY) {
        cmaps_t branch;
        size_t i;

        if (tok == EV__JT_ERROR)
            goto out;
        count++;
        if (tok != EV__JT_START_OBJECT) {
            barf(c, "Only JSON object is allowed in array of $or relationship.");
            goto out;
        }
        branch = maps_copy(&current);
        if (branch.n == 0) {
            cmap_t m = {0};

            EV__VEC_PUSH(&branch, m);
        }
        if (parse_object(c, &branch, 1) != 0) {
            maps_free(&branch);
            goto out;
        }
        if (rules->n + branch.n > EV_MATCH_MAX_BRANCHES) {
            maps_free(&branch);
            barf(c, "Rule is too complex - try using fewer $or combinations (at most %d)",
                 EV_MATCH_MAX_BRANCHES);
            goto out;
        }
        for (i = 0; i < branch.n; i++)
            EV__VEC_PUSH(rules, branch.p[i]);
        EV__VEC_FREE(&branch);
    }
    if (count < 2) {
        barf(c, "There must have at least 2 Objects in $or relationship.");
        goto out;
    }
    rc = 0;
out:
    maps_free(&current);
    return rc;
}

static int parse_object(comp_t *c, cmaps_t *rules, int in_or)
{
    ev__jt_tok tok;
    int fields = 0;

    while ((tok = NEXT(c)) != EV__JT_END_OBJECT) {
        char *name;
        size_t name_n;
        int rc;

        if (tok == EV__JT_ERROR)
            return -1;
        fields = 1;
        if (is(&c->jt, "$or")) {
            if (parse_or(c, rules) != 0)
                return -1;
            continue;
        }
        if (in_or) {
            size_t i;

            for (i = 0; i < sizeof(reserved_in_or) / sizeof(reserved_in_or[0]); i++) {
                if (is(&c->jt, reserved_in_or[i]))
                    return barf(c, "%s is Ruler reserved fieldName which cannot be used inside "
                                   "$or.", reserved_in_or[i]);
            }
        }
        name_n = c->jt.name_n;
        name = ev__mx_memdup(c->jt.name, name_n);
        tok = NEXT(c);
        if (tok == EV__JT_START_OBJECT) {
            path_push(c, name, name_n);
            rc = parse_object(c, rules, in_or);
            path_pop(c);
        } else if (tok == EV__JT_START_ARRAY) {
            rc = write_rules(c, rules, extended_name(c, name, name_n));
        } else {
            rc = tok == EV__JT_ERROR ? -1 : barf(c, "\"%s\" must be an object or an array", name);
        }
        free(name);
        if (rc != 0)
            return -1;
    }
    if (!fields)
        return barf(c, "Empty objects are not allowed");
    return 0;
}

/* Wildcard patterns of one field path, gathered over all branches of a rule. */
typedef struct {
    ev__str_t path;
    strs_t pats;
    EV__VEC(const ev__cond_t *) seen; /* conditions arrays already gathered */
} wpath_t;

static int is_wc(const ev__cond_t *cd)
{
    return cd->kind == EV__C_WILDCARD || cd->kind == EV__C_AB_WILDCARD;
}

/* Wildcard complexity per field path over all branches of the rule. */
static int check_complexity(const ev__rule_ast_t *ast)
{
    EV__VEC(wpath_t) wp = {0};
    uint32_t b, f, k, j;
    size_t i, q;
    int rc = 0;

    for (b = 0; b < ast->nbranches; b++) {
        for (f = 0; f < ast->branches[b].nfields; f++) {
            const ev__field_t *fd = &ast->branches[b].fields[f];
            wpath_t *w = NULL;
            int any = 0;

            for (k = 0; k < fd->nconds && !any; k++)
                any = is_wc(&fd->conds[k]);
            if (!any)
                continue;
            for (i = 0; i < wp.n && !w; i++) {
                if (wp.p[i].path.n == fd->path.n &&
                    memcmp(wp.p[i].path.p, fd->path.p, fd->path.n) == 0)
                    w = &wp.p[i];
            }
            if (!w) {
                wpath_t nw;

                memset(&nw, 0, sizeof(nw));
                nw.path = fd->path;
                EV__VEC_PUSH(&wp, nw);
                w = &wp.p[wp.n - 1];
            }
            for (i = 0; i < w->seen.n && w->seen.p[i] != fd->conds; i++)
                ;
            if (i < w->seen.n)
                continue;
            EV__VEC_PUSH(&w->seen, fd->conds);
            for (k = 0; k < fd->nconds; k++) {
                const ev__cond_t *cd = &fd->conds[k];

                if (!is_wc(cd))
                    continue;
                for (j = 0; j < cd->n; j++) {
                    int dup = 0;

                    for (q = 0; q < w->pats.n && !dup; q++)
                        dup = w->pats.p[q].n == cd->s[j].n &&
                              memcmp(w->pats.p[q].p, cd->s[j].p, cd->s[j].n) == 0;
                    if (!dup)
                        EV__VEC_PUSH(&w->pats, cd->s[j]);
                }
            }
        }
    }
    for (i = 0; i < wp.n; i++) {
        if (rc == 0 && ev__wc_complexity(wp.p[i].pats.p, wp.p[i].pats.n,
                                         EV_MATCH_MAX_WILDCARD_COMPLEXITY,
                                         1) > EV_MATCH_MAX_WILDCARD_COMPLEXITY)
            rc = -1;
        EV__VEC_FREE(&wp.p[i].pats);
        EV__VEC_FREE(&wp.p[i].seen);
    }
    EV__VEC_FREE(&wp);
    return rc;
}

ev_err ev__pattern_parse(const char *p, size_t len, ev__rule_ast_t *ast, char **message)
{
    comp_t c;
    cmaps_t rules = {0};
    ev_err rc = EV_ERR_INVALID_PATTERN;
    const char *reason = NULL;
    size_t i;

    memset(ast, 0, sizeof(*ast));
    memset(&c, 0, sizeof(c));
    if (message)
        *message = NULL;
    c.ar = &ast->arena;
    ev__jt_init(&c.jt, p, len);
    if (NEXT(&c) != EV__JT_START_OBJECT) {
        barf(&c, "Filter is not an object");
        goto out;
    }
    if (parse_object(&c, &rules, 0) != 0)
        goto out;
    ast->nbranches = (uint32_t)rules.n;
    ast->branches = ev__arena_alloc(c.ar, rules.n * sizeof(ev__branch_t));
    for (i = 0; i < rules.n; i++) {
        ev__branch_t *br = &ast->branches[i];

        br->nfields = (uint32_t)rules.p[i].n;
        br->fields = ev__arena_alloc(c.ar, (rules.p[i].n ? rules.p[i].n : 1) * sizeof(ev__field_t));
        if (rules.p[i].n)
            memcpy(br->fields, rules.p[i].p, rules.p[i].n * sizeof(ev__field_t));
    }
    if (check_complexity(ast) != 0) {
        reason = TOO_COMPLEX;
        goto out;
    }
    rc = EV_OK;
out:
    if (rc != EV_OK) {
        int lines = 0;

        if (!reason) {
            reason = c.jt.err ? c.jt.err : "Filter is not an object";
            lines = c.jt.err ? c.jt.err_loc : 0;
        }
        if (message) {
            char *loc = lines ? ev__jt_location(&c.jt, c.jt.err_at) : NULL;

            if (lines == 2)
                *message = ev__mx_printf(REASON_PREFIX "%s\n at %s\n at %s", reason, loc, loc);
            else if (lines == 1)
                *message = ev__mx_printf(REASON_PREFIX "%s\n at %s", reason, loc);
            else
                *message = ev__mx_printf(REASON_PREFIX "%s", reason);
            free(loc);
        }
        ev__arena_free(&ast->arena);
        memset(ast, 0, sizeof(*ast));
    }
    maps_free(&rules);
    EV__VEC_FREE(&c.path);
    EV__VEC_FREE(&c.path_lens);
    ev__jt_fini(&c.jt);
    return rc;
}

void ev__ast_free(ev__rule_ast_t *ast)
{
    if (!ast)
        return;
    ev__arena_free(&ast->arena);
    memset(ast, 0, sizeof(*ast));
}

ev_err ev_pattern_compile_check(const char *pattern, size_t len, char **message)
{
    ev__rule_ast_t ast;
    ev_err rc = ev__pattern_parse(pattern, len, &ast, message);

    if (rc == EV_OK)
        ev__ast_free(&ast);
    return rc;
}
