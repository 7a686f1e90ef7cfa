/*
 * crypto/policy.c - key policy parser and evaluator. Parsing validates the
 * document and compiles it into flat per-statement arrays whose strings are
 * borrowed from the decoded json_t, which the policy keeps alive. Evaluation
 * walks those arrays and allocates nothing. Every loop is bounded by the
 * document's size (EV_POLICY_MAX_*), and wildcard matching is the greedy
 * two-pointer algorithm: O(pattern * subject) at worst, never exponential.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "crypto/policy.h"
#include "util/util.h"

/* AWS KMS's own texts (see docs/internals/policy.md for where each was seen). */
#define MSG_INVALID_PRINCIPALS "Policy contains a statement with one or more invalid principals."
#define MSG_NO_PRINCIPAL "Policy contains a statement with no principal."
#define MSG_DUPLICATE_SID "Statement IDs (SID) in a single policy must be unique."

#define MSG_CLIP 64 /* longest piece of user text echoed in a message, in bytes */

enum { PT_AWS = 1, PT_SERVICE, PT_FEDERATED };
enum { SET_NONE = 0, SET_ANY, SET_ALL };
enum { K_STR, K_STR_IC, K_STR_LIKE, K_ARN, K_BOOL, K_NULL, K_NUM, K_DATE, K_BIN, K_IP };
enum { CMP_EQ, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

typedef struct {
    int type;            /* PT_* */
    const char *value;
} prin_t;

typedef struct {
    unsigned char kind, cmp, neg, set, if_exists;
    const char *key;
    const char **vals;
    size_t nvals;
} cond_t;

typedef struct {
    unsigned char deny;
    unsigned char principal_any;  /* "Principal": "*" */
    unsigned char not_principal, not_action, not_resource;
    unsigned char has_action, has_resource;  /* KMS accepts a statement without; it never applies */
    const char *sid;
    prin_t *prins;
    size_t nprins;
    const char **actions;
    size_t nactions;
    const char **resources;
    size_t nresources;
    cond_t *conds;
    size_t nconds;
} stmt_t;

typedef struct chunk {
    struct chunk *next;
    max_align_t mem[];
} chunk_t;

struct ev_policy {
    json_t *root;        /* owns every borrowed string below */
    chunk_t *chunks;     /* owns every array below */
    stmt_t *stmts;
    size_t nstmts;
};

typedef struct {
    ev_policy_t *p;
    char *msg;           /* first error message, malloc'd */
} cctx_t;

static const struct {
    const char *name;
    unsigned char kind, cmp, neg;
} operators[] = {
    {"StringEquals", K_STR, CMP_EQ, 0},
    {"StringNotEquals", K_STR, CMP_EQ, 1},
    {"StringEqualsIgnoreCase", K_STR_IC, CMP_EQ, 0},
    {"StringNotEqualsIgnoreCase", K_STR_IC, CMP_EQ, 1},
    {"StringLike", K_STR_LIKE, CMP_EQ, 0},
    {"StringNotLike", K_STR_LIKE, CMP_EQ, 1},
    {"ArnEquals", K_ARN, CMP_EQ, 0},
    {"ArnLike", K_ARN, CMP_EQ, 0},
    {"ArnNotEquals", K_ARN, CMP_EQ, 1},
    {"ArnNotLike", K_ARN, CMP_EQ, 1},
    {"Bool", K_BOOL, CMP_EQ, 0},
    {"Null", K_NULL, CMP_EQ, 0},
    {"NumericEquals", K_NUM, CMP_EQ, 0},
    {"NumericNotEquals", K_NUM, CMP_EQ, 1},
    {"NumericLessThan", K_NUM, CMP_LT, 0},
    {"NumericLessThanEquals", K_NUM, CMP_LE, 0},
    {"NumericGreaterThan", K_NUM, CMP_GT, 0},
    {"NumericGreaterThanEquals", K_NUM, CMP_GE, 0},
    {"DateEquals", K_DATE, CMP_EQ, 0},
    {"DateNotEquals", K_DATE, CMP_EQ, 1},
    {"DateLessThan", K_DATE, CMP_LT, 0},
    {"DateLessThanEquals", K_DATE, CMP_LE, 0},
    {"DateGreaterThan", K_DATE, CMP_GT, 0},
    {"DateGreaterThanEquals", K_DATE, CMP_GE, 0},
    {"BinaryEquals", K_BIN, CMP_EQ, 0},
    {"IpAddress", K_IP, CMP_EQ, 0},
    {"NotIpAddress", K_IP, CMP_EQ, 1},
};

/* ---- small helpers ---- */

static void *palloc(ev_policy_t *p, size_t n)
{
    chunk_t *c = ev_xcalloc(1, sizeof(*c) + n);

    c->next = p->chunks;
    p->chunks = c;
    return c->mem;
}

static int fail(cctx_t *c, const char *fmt, ...) EV_PRINTF(2, 3);

/* Records the first error message; returns -1 so callers can `return fail(...)`. */
static int fail(cctx_t *c, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    int rc;

    if (c->msg)
        return -1;
    va_start(ap, fmt);
    rc = vasprintf(&s, fmt, ap);
    va_end(ap);
    c->msg = rc < 0 ? ev_xstrdup("Malformed policy document.") : s;
    return -1;
}

/* How many bytes of s to echo: at most MSG_CLIP, never splitting a UTF-8 sequence. */
static int clip(const char *s)
{
    size_t n = strlen(s);

    if (n <= MSG_CLIP)
        return (int)n;
    n = MSG_CLIP;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

static int is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int is_account(const char *s, size_t n)
{
    return n == 12 && is_digits(s, n);
}

/* Bytes in the UTF-8 sequence starting at s[i] (1 + following continuation bytes). */
static size_t u8len(const char *s, size_t i, size_t n)
{
    size_t j = i + 1;

    while (j < n && ((unsigned char)s[j] & 0xC0) == 0x80)
        j++;
    return j - i;
}

static int byte_eq(char a, char b, int icase)
{
    if (a == b)
        return 1;
    if (!icase)
        return 0;
    if (a >= 'A' && a <= 'Z')
        a = (char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
        b = (char)(b - 'A' + 'a');
    return a == b;
}

/*
 * Matches s against pattern p: `*` any run (also empty), `?` one character.
 * Greedy two-pointer: on a mismatch, retry from the last `*` with one more
 * subject character swallowed. Each retry advances `mark`, so the work is at
 * most |p| * |s| steps whatever the pattern.
 */
static int wmatch(const char *p, size_t pn, const char *s, size_t sn, int icase)
{
    size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < pn && p[pi] == '?') {
            pi++;
            si += u8len(s, si, sn);
        } else if (pi < pn && byte_eq(p[pi], s[si], icase)) {
            pi++;
            si++;
        } else if (star != SIZE_MAX) {
            pi = star + 1;
            mark += u8len(s, mark, sn);
            si = mark;
        } else {
            return 0;
        }
    }
    while (pi < pn && p[pi] == '*')
        pi++;
    return pi == pn;
}

/* Splits an ARN into its 6 colon-separated parts (the last keeps its colons). 0 if fewer. */
static int arn_split(const char *s, const char *part[6], size_t len[6])
{
    const char *q = s;

    for (int i = 0; i < 5; i++) {
        const char *c = strchr(q, ':');

        if (!c)
            return 0;
        part[i] = q;
        len[i] = (size_t)(c - q);
        q = c + 1;
    }
    part[5] = q;
    len[5] = strlen(q);
    return 1;
}

/*
 * ARN-aware match: the six parts are matched one by one, so a `*` never
 * crosses the colon between two parts. A pattern that is not a 6-part ARN
 * ("*", "arn:aws:kms:*") is matched against the whole string.
 */
static int arn_match(const char *pat, const char *s)
{
    const char *pp[6], *sp[6];
    size_t pl[6], sl[6];

    if (!arn_split(pat, pp, pl))
        return wmatch(pat, strlen(pat), s, strlen(s), 0);
    if (!arn_split(s, sp, sl))
        return 0;
    for (int i = 0; i < 6; i++)
        if (!wmatch(pp[i], pl[i], sp[i], sl[i], 0))
            return 0;
    return 1;
}

/* ---- parsing ---- */

/* Rejects deep nesting before jansson recurses into it. Linear in len. */
static int depth_ok(const char *s, size_t len)
{
    int depth = 0, in_str = 0, esc = 0;

    for (size_t i = 0; i < len; i++) {
        char ch = s[i];

        if (in_str) {
            if (esc)
                esc = 0;
            else if (ch == '\\')
                esc = 1;
            else if (ch == '"')
                in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '{' || ch == '[') {
            if (++depth > EV_POLICY_MAX_DEPTH)
                return 0;
        } else if (ch == '}' || ch == ']') {
            depth--;
        }
    }
    return 1;
}

/* A string or a list of strings; *out borrows from v. 0, or -1 when v has another shape. */
static int strlist(cctx_t *c, json_t *v, const char ***out, size_t *n)
{
    size_t i;
    json_t *e;

    if (json_is_string(v)) {
        *out = palloc(c->p, sizeof(**out));
        (*out)[0] = json_string_value(v);
        *n = 1;
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) > EV_POLICY_MAX_LIST)
        return -1;
    *n = json_array_size(v);
    *out = palloc(c->p, (*n ? *n : 1) * sizeof(**out));
    json_array_foreach(v, i, e) {
        if (!json_is_string(e))
            return -1;
        (*out)[i] = json_string_value(e);
    }
    return 0;
}

/* "*", an account id, or an IAM/STS ARN naming one identity (no wildcards, no groups). */
static int valid_aws_principal(const char *s)
{
    const char *part[6];
    size_t len[6];

    if (strcmp(s, "*") == 0 || is_account(s, strlen(s)))
        return 1;
    if (strpbrk(s, "*? \t\r\n") || !arn_split(s, part, len))
        return 0;
    if (len[0] != 3 || memcmp(part[0], "arn", 3) != 0 || len[1] == 0 || len[3] != 0 ||
        !is_account(part[4], len[4]) || len[5] == 0)
        return 0;
    if (len[2] == 3 && memcmp(part[2], "iam", 3) == 0)
        return strncmp(part[5], "group/", 6) != 0;
    if (len[2] == 3 && memcmp(part[2], "sts", 3) == 0)
        return strncmp(part[5], "assumed-role/", 13) == 0 ||
               strncmp(part[5], "federated-user/", 15) == 0;
    return 0;
}

/* A service principal name such as "events.amazonaws.com". */
static int valid_service_principal(const char *s)
{
    if (!*s || !strchr(s, '.'))
        return 0;
    for (const char *q = s; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '.' || *q == '-'))
            return 0;
    return 1;
}

static int compile_principal(cctx_t *c, json_t *v, stmt_t *st)
{
    const char *type;
    json_t *list;
    size_t total = 0, k = 0;

    if (json_is_string(v)) {
        if (strcmp(json_string_value(v), "*") != 0)
            return fail(c, MSG_INVALID_PRINCIPALS);
        st->principal_any = 1;
        return 0;
    }
    if (!json_is_object(v))
        return fail(c, MSG_INVALID_PRINCIPALS);
    json_object_foreach(v, type, list) {
        if (strcmp(type, "AWS") != 0 && strcmp(type, "Service") != 0 &&
            strcmp(type, "Federated") != 0)
            return fail(c, MSG_INVALID_PRINCIPALS);
        if (json_is_string(list))
            total++;
        else if (json_is_array(list) && json_array_size(list) <= EV_POLICY_MAX_LIST)
            total += json_array_size(list);
        else
            return fail(c, MSG_INVALID_PRINCIPALS);
    }
    if (total == 0)
        return fail(c, MSG_NO_PRINCIPAL);
    st->prins = palloc(c->p, total * sizeof(*st->prins));
    json_object_foreach(v, type, list) {
        int pt = strcmp(type, "AWS") == 0 ? PT_AWS
                 : strcmp(type, "Service") == 0 ? PT_SERVICE : PT_FEDERATED;
        const char **vals;
        size_t n;

        if (strlist(c, list, &vals, &n) < 0)
            return fail(c, MSG_INVALID_PRINCIPALS);
        for (size_t i = 0; i < n; i++) {
            int ok = pt == PT_AWS       ? valid_aws_principal(vals[i])
                     : pt == PT_SERVICE ? valid_service_principal(vals[i])
                                        : vals[i][0] != '\0';

            if (!ok)
                return fail(c, MSG_INVALID_PRINCIPALS);
            st->prins[k].type = pt;
            st->prins[k++].value = vals[i];
        }
    }
    st->nprins = k;
    return 0;
}

/* Looks up "ForAnyValue:StringLikeIfExists" and the like. 0, or -1 if unknown. */
static int parse_operator(const char *name, cond_t *out)
{
    size_t n;

    out->set = SET_NONE;
    if (strncasecmp(name, "ForAnyValue:", 12) == 0) {
        out->set = SET_ANY;
        name += 12;
    } else if (strncasecmp(name, "ForAllValues:", 13) == 0) {
        out->set = SET_ALL;
        name += 13;
    }
    n = strlen(name);
    out->if_exists = n > 8 && strcasecmp(name + n - 8, "IfExists") == 0;
    if (out->if_exists)
        n -= 8;
    for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++) {
        if (strlen(operators[i].name) == n && strncasecmp(operators[i].name, name, n) == 0) {
            if (operators[i].kind == K_NULL && out->if_exists)
                return -1; /* AWS: IfExists cannot be used with Null */
            out->kind = operators[i].kind;
            out->cmp = operators[i].cmp;
            out->neg = operators[i].neg;
            return 0;
        }
    }
    return -1;
}

/* The text of one condition value: a string as is, a number or boolean as JSON spells it. */
static const char *cond_value(cctx_t *c, json_t *v)
{
    char buf[64], *s;

    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_true(v))
        return "true";
    if (json_is_false(v))
        return "false";
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        double d = json_real_value(v);

        /* the shortest text that reads back as the same double, as JSON writers print it */
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof(buf), "%.*g", prec, d);
            if (strtod(buf, NULL) == d)
                break;
        }
    } else {
        return NULL;
    }
    s = palloc(c->p, strlen(buf) + 1);
    memcpy(s, buf, strlen(buf) + 1);
    return s;
}

static int compile_condition(cctx_t *c, json_t *v, stmt_t *st)
{
    const char *opname, *key;
    json_t *block, *vals;
    size_t total = 0, k = 0;

    if (!json_is_object(v))
        return fail(c, "Policy contains a statement with an invalid Condition.");
    json_object_foreach(v, opname, block) {
        cond_t probe;

        if (parse_operator(opname, &probe) < 0)
            return fail(c, "Policy contains a statement with an unsupported condition "
                        "operator: %.*s.", clip(opname), opname);
        if (!json_is_object(block))
            return fail(c, "Policy contains a statement with an invalid Condition.");
        total += json_object_size(block);
        if (total > EV_POLICY_MAX_COND_KEYS)
            return fail(c, "Policy contains a statement with more than %d condition keys.",
                        EV_POLICY_MAX_COND_KEYS);
    }
    st->conds = palloc(c->p, (total ? total : 1) * sizeof(*st->conds));
    json_object_foreach(v, opname, block) {
        json_object_foreach(block, key, vals) {
            cond_t *cd = &st->conds[k++];
            size_t n = json_is_array(vals) ? json_array_size(vals) : 1;

            if (parse_operator(opname, cd) < 0 || !*key)
                return fail(c, "Policy contains a statement with an invalid Condition.");
            if (n > EV_POLICY_MAX_LIST)
                return fail(c, "Policy contains a condition with more than %d values.",
                            EV_POLICY_MAX_LIST);
            cd->key = key;
            cd->nvals = n;
            cd->vals = palloc(c->p, (n ? n : 1) * sizeof(*cd->vals));
            for (size_t i = 0; i < n; i++) {
                json_t *e = json_is_array(vals) ? json_array_get(vals, i) : vals;

                cd->vals[i] = cond_value(c, e);
                if (!cd->vals[i])
                    return fail(c, "Policy contains an invalid value for condition key %.*s.",
                                clip(key), key);
            }
        }
    }
    st->nconds = k;
    return 0;
}

static int compile_statement(cctx_t *c, json_t *s, stmt_t *st)
{
    static const char *const members[] = {"Sid", "Effect", "Principal", "NotPrincipal", "Action",
                                          "NotAction", "Resource", "NotResource", "Condition"};
    const char *name, *effect;
    json_t *v, *pr, *npr, *ac, *nac, *rs, *nrs;

    if (!json_is_object(s))
        return fail(c, "Policy contains a statement that is not a JSON object.");
    json_object_foreach(s, name, v) {
        size_t i = 0;

        while (i < sizeof(members) / sizeof(members[0]) && strcmp(members[i], name) != 0)
            i++;
        if (i == sizeof(members) / sizeof(members[0]))
            return fail(c, "Policy contains a statement with an unsupported element: %.*s.",
                        clip(name), name);
    }
    v = json_object_get(s, "Sid");
    if (v && !json_is_string(v))
        return fail(c, "Policy contains a statement with an invalid Sid.");
    st->sid = v ? json_string_value(v) : NULL;

    v = json_object_get(s, "Effect");
    if (!v)
        return fail(c, "Policy contains a statement with no Effect.");
    if (!json_is_string(v))
        return fail(c, "Policy contains a statement with an invalid Effect. "
                    "Valid values: Allow, Deny.");
    effect = json_string_value(v);
    if (strcmp(effect, "Allow") != 0 && strcmp(effect, "Deny") != 0)
        return fail(c, "Policy contains a statement with an invalid Effect: %.*s. "
                    "Valid values: Allow, Deny.", clip(effect), effect);
    st->deny = effect[0] == 'D';

    pr = json_object_get(s, "Principal");
    npr = json_object_get(s, "NotPrincipal");
    if (pr && npr)
        return fail(c, "Policy contains a statement with both Principal and NotPrincipal.");
    if (!pr && !npr)
        return fail(c, MSG_NO_PRINCIPAL);
    st->not_principal = npr != NULL;
    if (compile_principal(c, pr ? pr : npr, st) < 0)
        return -1;

    ac = json_object_get(s, "Action");
    nac = json_object_get(s, "NotAction");
    if (ac && nac)
        return fail(c, "Policy contains a statement with both Action and NotAction.");
    st->has_action = ac || nac;
    st->not_action = nac != NULL;
    if (st->has_action && strlist(c, ac ? ac : nac, &st->actions, &st->nactions) < 0)
        return fail(c, "Policy contains a statement with an invalid %s.",
                    ac ? "Action" : "NotAction");

    rs = json_object_get(s, "Resource");
    nrs = json_object_get(s, "NotResource");
    if (rs && nrs)
        return fail(c, "Policy contains a statement with both Resource and NotResource.");
    st->has_resource = rs || nrs;
    st->not_resource = nrs != NULL;
    if (st->has_resource && strlist(c, rs ? rs : nrs, &st->resources, &st->nresources) < 0)
        return fail(c, "Policy contains a statement with an invalid %s.",
                    rs ? "Resource" : "NotResource");

    v = json_object_get(s, "Condition");
    if (v && compile_condition(c, v, st) < 0)
        return -1;
    return 0;
}

static int compile_policy(cctx_t *c, json_t *root)
{
    const char *name;
    json_t *v, *stmts;
    size_t n;

    json_object_foreach(root, name, v) {
        if (strcmp(name, "Version") != 0 && strcmp(name, "Id") != 0 &&
            strcmp(name, "Statement") != 0)
            return fail(c, "The policy document contains an unsupported element: %.*s.",
                        clip(name), name);
    }
    v = json_object_get(root, "Version");
    if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "2012-10-17") != 0 &&
                                     strcmp(json_string_value(v), "2008-10-17") != 0)))
        return fail(c, "The policy document has an invalid Version. "
                    "Valid values: 2012-10-17, 2008-10-17.");
    v = json_object_get(root, "Id");
    if (v && !json_is_string(v))
        return fail(c, "The policy document has an invalid Id.");

    stmts = json_object_get(root, "Statement");
    n = json_is_object(stmts) ? 1 : json_is_array(stmts) ? json_array_size(stmts) : 0;
    if (stmts && !json_is_object(stmts) && !json_is_array(stmts))
        return fail(c, "The policy document has an invalid Statement.");
    if (n == 0)
        return fail(c, "The policy document must contain at least one statement.");
    if (n > EV_POLICY_MAX_STATEMENTS)
        return fail(c, "The policy document contains more than %d statements.",
                    EV_POLICY_MAX_STATEMENTS);
    c->p->stmts = palloc(c->p, n * sizeof(stmt_t));
    c->p->nstmts = n;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_is_object(stmts) ? stmts : json_array_get(stmts, i);

        if (compile_statement(c, s, &c->p->stmts[i]) < 0)
            return -1;
    }
    /* n <= EV_POLICY_MAX_STATEMENTS keeps this quadratic check small */
    for (size_t i = 0; i < n; i++) {
        const char *sid = c->p->stmts[i].sid;

        for (size_t j = i + 1; sid && *sid && j < n; j++)
            if (c->p->stmts[j].sid && strcmp(sid, c->p->stmts[j].sid) == 0)
                return fail(c, MSG_DUPLICATE_SID);
    }
    return 0;
}

ev_err ev_policy_parse(const char *json, size_t len, ev_policy_t **out, char **msg)
{
    cctx_t c = {NULL, NULL};
    json_error_t jerr;
    json_t *root = NULL;
    ev_err rc = EV_OK;

    *out = NULL;
    if (msg)
        *msg = NULL;
    if (!json)
        len = 0;
    if (len > EV_POLICY_MAX_BYTES) {
        rc = EV_ERR_LIMIT_EXCEEDED;
        fail(&c, "The key policy exceeds the maximum size of %d bytes.", EV_POLICY_MAX_BYTES);
        goto out;
    }
    rc = EV_ERR_MALFORMED_POLICY;
    if (!depth_ok(json, len)) {
        fail(&c, "The policy document is nested too deeply.");
        goto out;
    }
    root = json_loadb(json ? json : "", len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            rc = EV_ERR_INTERNAL;
        if (json_error_code(&jerr) == json_error_duplicate_key)
            fail(&c, "The policy document contains a duplicate element (line %d, column %d).",
                 jerr.line, jerr.column);
        else
            fail(&c, "The policy document is not valid JSON (line %d, column %d).", jerr.line,
                 jerr.column);
        goto out;
    }
    if (!json_is_object(root)) {
        fail(&c, "The policy document must be a JSON object.");
        goto out;
    }
    c.p = ev_xcalloc(1, sizeof(*c.p));
    c.p->root = root;
    root = NULL;
    if (compile_policy(&c, c.p->root) < 0)
        goto out;
    rc = EV_OK;
out:
    json_decref(root);
    if (rc) {
        ev_policy_free(c.p);
        c.p = NULL;
    }
    *out = c.p;
    if (msg)
        *msg = c.msg;
    else
        free(c.msg);
    return rc;
}

void ev_policy_free(ev_policy_t *p)
{
    chunk_t *c, *next;

    if (!p)
        return;
    for (c = p->chunks; c; c = next) {
        next = c->next;
        free(c);
    }
    json_decref(p->root);
    free(p);
}

/* ---- evaluation ---- */

/* The 12-digit account of an account id or an IAM/STS ARN, or NULL. */
static const char *account_of(const char *v)
{
    const char *part[6];
    size_t len[6];

    if (is_account(v, strlen(v)))
        return v;
    if (!arn_split(v, part, len) || !is_account(part[4], len[4]))
        return NULL;
    if (len[2] != 3 || (memcmp(part[2], "iam", 3) != 0 && memcmp(part[2], "sts", 3) != 0))
        return NULL;
    return part[4];
}

/* A role principal also names every session of that role (sts assumed-role). */
static int role_session_match(const char *role, const char *session)
{
    const char *rp[6], *sp[6], *name;
    size_t rl[6], sl[6], nl;

    if (!arn_split(role, rp, rl) || !arn_split(session, sp, sl))
        return 0;
    if (rl[5] < 6 || strncmp(rp[5], "role/", 5) != 0 || sl[5] < 14 ||
        strncmp(sp[5], "assumed-role/", 13) != 0 || sl[2] != 3 || memcmp(sp[2], "sts", 3) != 0)
        return 0;
    if (rl[1] != sl[1] || memcmp(rp[1], sp[1], rl[1]) != 0 || rl[4] != 12 || sl[4] != 12 ||
        memcmp(rp[4], sp[4], 12) != 0)
        return 0;
    name = strrchr(rp[5], '/') + 1; /* the role's path is not part of its sessions' ARNs */
    nl = strlen(name);
    return sl[5] > 13 + nl && strncmp(sp[5] + 13, name, nl) == 0 && sp[5][13 + nl] == '/';
}

static int principal_match(const prin_t *pp, const ev_principal_t *rp)
{
    const char *pa, *ra, *part[6];
    size_t len[6];

    if (pp->type == PT_AWS && strcmp(pp->value, "*") == 0)
        return 1;
    if (pp->type == PT_SERVICE)
        return strcmp(rp->type, "Service") == 0 && strcasecmp(pp->value, rp->value) == 0;
    if (pp->type == PT_FEDERATED)
        return strcmp(rp->type, "Federated") == 0 && strcmp(pp->value, rp->value) == 0;
    if (strcmp(rp->type, "AWS") != 0)
        return 0;
    if (strcmp(pp->value, rp->value) == 0)
        return 1;
    /* an account id or the account's root names every identity of the account */
    pa = is_account(pp->value, strlen(pp->value)) ? pp->value : NULL;
    if (!pa && arn_split(pp->value, part, len) && len[5] == 4 && memcmp(part[5], "root", 4) == 0)
        pa = part[4];
    if (pa) {
        ra = account_of(rp->value);
        return ra && memcmp(pa, ra, 12) == 0;
    }
    return role_session_match(pp->value, rp->value);
}

static int principal_ok(const stmt_t *st, const ev_policy_request_t *req)
{
    int hit = st->principal_any;

    for (size_t i = 0; !hit && i < st->nprins && req->principals; i++)
        for (size_t j = 0; !hit && j < req->nprincipals; j++)
            if (req->principals[j].type && req->principals[j].value)
                hit = principal_match(&st->prins[i], &req->principals[j]);
    return st->not_principal ? !hit : hit;
}

/* Strict decimal number (no hex, inf or nan). */
static int parse_num(const char *s, double *out)
{
    char *end;

    if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
        return 0;
    *out = strtod(s, &end);
    return *end == '\0';
}

static int take_digits(const char **s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (**s < '0' || **s > '9')
            return 0;
        *out = *out * 10 + (**s - '0');
    }
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic, valid for any year). */
static long long days_from_civil(long long y, int m, int d)
{
    long long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* ISO 8601 (2024-05-01, 2024-05-01T12:00:00Z, ...+02:00, fractions) or epoch seconds. */
static int parse_date(const char *s, double *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
    double frac = 0;

    if (is_digits(s, strlen(s)) && *s)
        return parse_num(s, out);
    if (!take_digits(&s, 4, &y) || *s++ != '-' || !take_digits(&s, 2, &mo) || *s++ != '-' ||
        !take_digits(&s, 2, &d))
        return 0;
    if (*s == 'T' || *s == 't') {
        s++;
        if (!take_digits(&s, 2, &h) || *s++ != ':' || !take_digits(&s, 2, &mi))
            return 0;
        if (*s == ':') {
            s++;
            if (!take_digits(&s, 2, &sec))
                return 0;
            if (*s == '.') {
                double scale = 0.1;

                if (*++s < '0' || *s > '9')
                    return 0;
                for (; *s >= '0' && *s <= '9'; s++, scale /= 10)
                    frac += (*s - '0') * scale;
            }
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            sign = *s++ == '+' ? 1 : -1;
            if (!take_digits(&s, 2, &oh))
                return 0;
            if (*s == ':')
                s++;
            if (!take_digits(&s, 2, &om))
                return 0;
        }
    }
    if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
        oh > 23 || om > 59)
        return 0;
    *out = (double)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) + frac -
           sign * (oh * 3600 + om * 60);
    return 1;
}

/* Parses "addr" or "addr/prefix" (IPv4 or IPv6); *bits is the prefix or the full width. */
static int parse_ip(const char *s, unsigned char addr[16], int *family, int *bits)
{
    char buf[INET6_ADDRSTRLEN + 1];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    int max;

    if (n == 0 || n >= sizeof(buf))
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET, buf, addr) == 1)
        *family = AF_INET;
    else if (inet_pton(AF_INET6, buf, addr) == 1)
        *family = AF_INET6;
    else
        return 0;
    max = *family == AF_INET ? 32 : 128;
    *bits = max;
    if (slash) {
        size_t dn = strlen(slash + 1);

        if (dn == 0 || dn > 3 || !is_digits(slash + 1, dn) || atoi(slash + 1) > max)
            return 0;
        *bits = atoi(slash + 1);
    }
    return 1;
}

static int ip_match(const char *cidr, const char *ip)
{
    unsigned char net[16], a[16];
    int nf, af, bits, abits, full;

    if (!parse_ip(cidr, net, &nf, &bits) || !parse_ip(ip, a, &af, &abits) || nf != af)
        return 0;
    full = bits / 8;
    if (memcmp(net, a, (size_t)full) != 0)
        return 0;
    if (bits % 8 == 0)
        return 1;
    return ((net[full] ^ a[full]) & (0xFF << (8 - bits % 8)) & 0xFF) == 0;
}

static int compare(double r, double v, int cmp)
{
    switch (cmp) {
    case CMP_LT:
        return r < v;
    case CMP_LE:
        return r <= v;
    case CMP_GT:
        return r > v;
    case CMP_GE:
        return r >= v;
    default:
        return r == v;
    }
}

/* Whether request value r matches policy value v under the (non-negated) operator. */
static int value_match(const cond_t *cd, const char *r, const char *v)
{
    double a, b;

    switch (cd->kind) {
    case K_STR:
    case K_BIN:
        return strcmp(r, v) == 0;
    case K_STR_IC:
    case K_BOOL:
        return strcasecmp(r, v) == 0;
    case K_STR_LIKE:
        return wmatch(v, strlen(v), r, strlen(r), 0);
    case K_ARN:
        return arn_match(v, r);
    case K_NUM:
        return parse_num(r, &a) && parse_num(v, &b) && compare(a, b, cd->cmp);
    case K_DATE:
        return parse_date(r, &a) && parse_date(v, &b) && compare(a, b, cd->cmp);
    case K_IP:
        return ip_match(v, r);
    default:
        return 0;
    }
}

static int matches_any_value(const cond_t *cd, const char *r)
{
    for (size_t i = 0; i < cd->nvals; i++)
        if (value_match(cd, r, cd->vals[i]))
            return 1;
    return 0;
}

/*
 * One operator/key pair. The policy's values for the key are ORed; a negated
 * operator holds when no value matches. Without a set prefix a multi-valued
 * key behaves like ForAnyValue. A key missing from the request: IfExists and
 * ForAllValues hold, ForAnyValue fails, negated operators hold, others fail.
 */
static int cond_ok(const cond_t *cd, const ev_policy_request_t *req)
{
    size_t found = 0;
    int any = 0, all = 1;

    for (size_t i = 0; req->context && i < req->ncontext; i++) {
        const ev_cond_kv_t *kv = &req->context[i];
        int hit;

        if (!kv->key || !kv->value || strcasecmp(kv->key, cd->key) != 0)
            continue;
        found++;
        if (cd->kind == K_NULL)
            continue;
        hit = matches_any_value(cd, kv->value);
        if (cd->set != SET_NONE && cd->neg)
            hit = !hit; /* per value: matches none of the policy's values */
        any |= hit;
        all &= hit;
    }
    if (cd->kind == K_NULL) {
        for (size_t i = 0; i < cd->nvals; i++)
            if ((strcasecmp(cd->vals[i], "true") == 0 && !found) ||
                (strcasecmp(cd->vals[i], "false") == 0 && found))
                return 1;
        return 0;
    }
    if (!found)
        return cd->if_exists || cd->set == SET_ALL || (cd->set == SET_NONE && cd->neg);
    if (cd->set == SET_ALL)
        return all;
    if (cd->set == SET_ANY)
        return any;
    return cd->neg ? !any : any;
}

static int list_match(const char *const *pats, size_t n, const char *s, int arn, int icase)
{
    for (size_t i = 0; i < n; i++)
        if (arn ? arn_match(pats[i], s) : wmatch(pats[i], strlen(pats[i]), s, strlen(s), icase))
            return 1;
    return 0;
}

static int statement_applies(const stmt_t *st, const ev_policy_request_t *req)
{
    const char *action = req->action ? req->action : "";
    const char *resource = req->resource ? req->resource : "";

    if (!st->has_action || !st->has_resource || !principal_ok(st, req))
        return 0;
    if (list_match(st->actions, st->nactions, action, 0, 1) == st->not_action)
        return 0;
    if (list_match(st->resources, st->nresources, resource, 1, 0) == st->not_resource)
        return 0;
    for (size_t i = 0; i < st->nconds; i++)
        if (!cond_ok(&st->conds[i], req))
            return 0;
    return 1;
}

ev_policy_decision_t ev_policy_evaluate(const ev_policy_t *p, const ev_policy_request_t *req)
{
    int allowed = 0;

    if (!p || !req)
        return EV_POLICY_IMPLICIT_DENY;
    for (size_t i = 0; i < p->nstmts; i++) {
        const stmt_t *st = &p->stmts[i];

        if (!st->deny && allowed)
            continue; /* only a Deny can still change the answer */
        if (statement_applies(st, req)) {
            if (st->deny)
                return EV_POLICY_EXPLICIT_DENY;
            allowed = 1;
        }
    }
    return allowed ? EV_POLICY_ALLOW : EV_POLICY_IMPLICIT_DENY;
}

int ev_policy_allows_put_key_policy(const ev_policy_t *p, const char *account, const char *key_arn)
{
    char arn[64];
    ev_principal_t who;
    ev_cond_kv_t ctx[4];
    ev_policy_request_t req;

    if (!p || !account || !is_account(account, strlen(account)))
        return 0;
    snprintf(arn, sizeof(arn), "arn:aws:iam::%s:root", account);
    who.type = "AWS";
    who.value = arn;
    ctx[0].key = "kms:CallerAccount";
    ctx[0].value = account;
    ctx[1].key = "aws:PrincipalAccount";
    ctx[1].value = account;
    ctx[2].key = "aws:PrincipalArn";
    ctx[2].value = arn;
    ctx[3].key = "aws:PrincipalType";
    ctx[3].value = "Account";
    req.action = "kms:PutKeyPolicy";
    req.resource = key_arn ? key_arn : "*";
    req.principals = &who;
    req.nprincipals = 1;
    req.context = ctx;
    req.ncontext = 4;
    return ev_policy_evaluate(p, &req) == EV_POLICY_ALLOW;
}
