/*
 * xform/xform.c - Input, InputPath and InputTransformer: PutTargets checks
 * with AWS's messages, the compiled form (template split into literal runs
 * and placeholders, each placeholder marked as sitting in value position or
 * inside a JSON string) and the per-event apply. Substitution rules are in
 * docs/internals/xform.md and ../spec/input-transformer.md.
 */
#include "xform/xform.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"
#include "xform/xform_int.h"

/* What a placeholder refers to. */
typedef enum {
    VAR_PATH = 0,    /* an InputPathsMap entry */
    VAR_RULE_ARN,
    VAR_RULE_NAME,
    VAR_INGESTION,
    VAR_EVENT,       /* the envelope without detail, detailType, time = ingestion time */
    VAR_EVENT_JSON,  /* the envelope */
} var_kind;

static const struct {
    const char *name;
    var_kind kind;
} predefined[] = {
    {"aws.events.rule-arn", VAR_RULE_ARN},
    {"aws.events.rule-name", VAR_RULE_NAME},
    {"aws.events.event.ingestion-time", VAR_INGESTION},
    {"aws.events.event", VAR_EVENT},
    {"aws.events.event.json", VAR_EVENT_JSON},
};

typedef struct {
    char *name;
    var_kind kind;
    ev__xpath_t *path; /* VAR_PATH */
} var_t;

typedef enum {
    SEG_LITERAL,
    SEG_VALUE,  /* placeholder outside any string: <x> */
    SEG_STRING, /* placeholder inside a JSON string: "...<x>..." */
} seg_kind;

typedef struct {
    seg_kind kind;
    size_t off, len; /* SEG_LITERAL: text[off .. off + len) */
    size_t var;      /* otherwise: index into vars */
} seg_t;

struct ev_xform {
    ev_xform_kind_t kind;
    char *text;       /* Input, or the InputTemplate */
    size_t text_len;
    ev__xpath_t *path; /* InputPath */
    int json_mode;     /* template is a JSON object/array: output must be valid JSON */
    int needs_event;   /* some placeholder reads the envelope */
    seg_t *segs;
    size_t nsegs;
    var_t *vars;
    size_t nvars;
};

/* Resolved value of one placeholder for one event. */
typedef struct {
    ev__xj_type type;
    int raw;      /* p[0..n) is plain text (a predefined string), not a JSON token */
    int scratch;  /* p is still an offset into the scratch buffer */
    const char *p;
    size_t off, n;
} val_t;

/* vars resolved on the stack: 100 InputPathsMap keys (model maximum) + 5 predefined fit */
#define STACK_VALS 128

static ev_err fail(char **msg, const char *fmt, ...) EV_PRINTF(2, 3);

static ev_err fail(char **msg, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    return EV_ERR_VALIDATION;
}

static int name_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

/* InputPathsMap key pattern [A-Za-z0-9\_\-]+, length 1..256 (model). */
static int valid_key(const char *k)
{
    size_t n = strlen(k);

    if (n == 0 || n > 256)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!name_byte((unsigned char)k[i]) || k[i] == '.')
            return 0;
    }
    return 1;
}

typedef struct {
    const char *key;
    ev__xpath_t *path;
} entry_t;

/* Index of the var named name[0..n), adding it if new; -1 if the name is undefined. */
static long var_slot(ev_xform_t *x, entry_t *map, size_t nmap, const char *name, size_t n)
{
    var_t *v;

    for (size_t i = 0; i < x->nvars; i++) {
        if (strlen(x->vars[i].name) == n && memcmp(x->vars[i].name, name, n) == 0)
            return (long)i;
    }
    v = &x->vars[x->nvars];
    v->kind = VAR_PATH;
    v->path = NULL;
    for (size_t i = 0; i < sizeof(predefined) / sizeof(predefined[0]); i++) {
        if (strlen(predefined[i].name) == n && memcmp(predefined[i].name, name, n) == 0) {
            v->kind = predefined[i].kind;
            break;
        }
    }
    if (v->kind == VAR_PATH) {
        for (size_t i = 0; i < nmap; i++) {
            if (strlen(map[i].key) == n && memcmp(map[i].key, name, n) == 0) {
                v->path = map[i].path;
                map[i].path = NULL; /* the var owns it now */
                break;
            }
        }
        if (!v->path)
            return -1;
    }
    v->name = ev_xstrndup(name, n);
    if (v->kind != VAR_RULE_ARN && v->kind != VAR_RULE_NAME)
        x->needs_event = 1;
    return (long)x->nvars++;
}

static void add_literal(ev_xform_t *x, size_t from, size_t to)
{
    if (to > from) {
        x->segs[x->nsegs].kind = SEG_LITERAL;
        x->segs[x->nsegs].off = from;
        x->segs[x->nsegs].len = to - from;
        x->nsegs++;
    }
}

/*
 * Splits the template into segments. A '<' followed by 1+ bytes of [A-Za-z0-9_.-] and a
 * '>' is a placeholder; anything else is literal text. Quotes are tracked (with backslash
 * escapes inside strings) to tell value position from inside-a-string.
 */
static ev_err split_template(ev_xform_t *x, entry_t *map, size_t nmap, const char *tid,
                             char **msg)
{
    const char *t = x->text;
    size_t n = x->text_len, lit = 0, lts = 0;
    int in_str = 0;
    ev_err rc = EV_OK;

    for (size_t i = 0; i < n; i++) {
        if (t[i] == '<')
            lts++;
    }
    x->segs = ev_xcalloc(2 * lts + 1, sizeof(seg_t));
    x->vars = ev_xcalloc(lts + 1, sizeof(var_t));
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        size_t j;
        long slot;

        if (in_str && c == '\\') {
            i++;
            continue;
        }
        if (c == '"') {
            in_str = !in_str;
            continue;
        }
        if (c != '<')
            continue;
        for (j = i + 1; j < n && name_byte((unsigned char)t[j]); j++)
            ;
        if (j == i + 1 || j >= n || t[j] != '>')
            continue;
        slot = var_slot(x, map, nmap, t + i + 1, j - i - 1);
        if (slot < 0) {
            rc = fail(msg, "InputTemplate for target %s contains invalid placeholder %.*s.",
                      tid, (int)(j - i - 1), t + i + 1);
            goto out;
        }
        add_literal(x, lit, i);
        x->segs[x->nsegs].kind = in_str ? SEG_STRING : SEG_VALUE;
        x->segs[x->nsegs].var = (size_t)slot;
        x->nsegs++;
        i = j;
        lit = j + 1;
    }
    add_literal(x, lit, n);
out:
    return rc;
}

static ev_err compile_transformer(ev_xform_t *x, const char *tid, const json_t *it, char **msg)
{
    const json_t *tmpl, *map, *val;
    entry_t *entries = NULL;
    size_t nmap = 0, k;
    const char *key;
    ev_err rc = EV_OK;

    if (!json_is_object(it)) {
        rc = fail(msg, "InputTransformer for target %s is not valid.", tid);
        goto out;
    }
    tmpl = json_object_get(it, "InputTemplate");
    map = json_object_get(it, "InputPathsMap");
    if (!json_is_string(tmpl)) {
        rc = fail(msg, "InputTemplate for target %s must be specified.", tid);
        goto out;
    }
    if (map && !json_is_null(map) && !json_is_object(map)) {
        rc = fail(msg, "InputPathsMap for target %s is not valid.", tid);
        goto out;
    }
    if (json_is_object(map))
        nmap = json_object_size(map);
    entries = ev_xcalloc(nmap + 1, sizeof(entry_t));
    k = 0;
    if (nmap) {
        json_object_foreach((json_t *)map, key, val) {
            if (strncasecmp(key, "AWS.", 4) == 0) {
                rc = fail(msg, "InputPathsMap for target %s contains reserved key %s.", tid, key);
                goto out;
            }
            if (!valid_key(key)) {
                rc = fail(msg, "InputPathsMap for target %s contains invalid key %s.", tid, key);
                goto out;
            }
            entries[k].key = key;
            if (!json_is_string(val) ||
                ev__xpath_parse(json_string_value(val), json_string_length(val),
                                &entries[k].path) != EV_OK) {
                rc = fail(msg, "InputPath for target %s is invalid.", tid);
                goto out;
            }
            k++;
        }
    }
    x->text_len = json_string_length(tmpl);
    x->text = ev_xmalloc(x->text_len + 1);
    memcpy(x->text, json_string_value(tmpl), x->text_len + 1);
    {
        size_t i = ev__xj_ws(x->text, x->text_len, 0);

        x->json_mode = i < x->text_len && (x->text[i] == '{' || x->text[i] == '[');
    }
    rc = split_template(x, entries, k, tid, msg);
out:
    if (entries) {
        for (size_t i = 0; i <= nmap; i++)
            ev__xpath_free(entries[i].path);
        free(entries);
    }
    return rc;
}

ev_err ev_xform_compile(const char *target_id, const char *input, const char *input_path,
                        const json_t *input_transformer, ev_xform_t **out, char **msg)
{
    int have_input = input && *input;
    int have_path = input_path && *input_path;
    int have_it = input_transformer && !json_is_null(input_transformer);
    const char *tid = target_id ? target_id : "";
    ev_xform_t *x = ev_xcalloc(1, sizeof(*x));
    ev_err rc = EV_OK;

    *out = NULL;
    *msg = NULL;
    if (have_input + have_path + have_it > 1) {
        rc = fail(msg, "Only one of Input, InputPath, or InputTransformer must be provided for "
                       "target %s.", tid);
        goto out;
    }
    if (have_input) {
        x->kind = EV_XFORM_INPUT;
        x->text_len = strlen(input);
        if (!ev__xj_valid(input, x->text_len)) {
            rc = fail(msg, "Input for target %s is not a valid JSON text.", tid);
            goto out;
        }
        x->text = ev_xstrndup(input, x->text_len);
    } else if (have_path) {
        x->kind = EV_XFORM_INPUT_PATH;
        if (ev__xpath_parse(input_path, strlen(input_path), &x->path) != EV_OK) {
            rc = fail(msg, "InputPath for target %s is invalid.", tid);
            goto out;
        }
    } else if (have_it) {
        x->kind = EV_XFORM_TRANSFORMER;
        rc = compile_transformer(x, tid, input_transformer, msg);
    } else {
        x->kind = EV_XFORM_EVENT;
    }
out:
    if (rc != EV_OK) {
        ev_xform_free(x);
        x = NULL;
    }
    *out = x;
    return rc;
}

ev_err ev_xform_check(const char *target_id, const char *input, const char *input_path,
                      const json_t *input_transformer, char **msg)
{
    ev_xform_t *x = NULL;
    ev_err rc = ev_xform_compile(target_id, input, input_path, input_transformer, &x, msg);

    ev_xform_free(x);
    return rc;
}

void ev_xform_free(ev_xform_t *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->nvars; i++) {
        free(x->vars[i].name);
        ev__xpath_free(x->vars[i].path);
    }
    free(x->vars);
    free(x->segs);
    ev__xpath_free(x->path);
    free(x->text);
    free(x);
}

ev_xform_kind_t ev_xform_kind(const ev_xform_t *x)
{
    return x->kind;
}

/* Appends `"name":` (name a plain key) plus the compact value doc[s .. e). */
static void put_member(ev_buf_t *b, int *first, const char *name, const char *doc, size_t s,
                       size_t e)
{
    if (!*first)
        ev_buf_addc(b, ',');
    *first = 0;
    ev__xj_escape(b, name, strlen(name));
    ev_buf_addc(b, ':');
    ev__xj_compact(b, doc + s, e - s);
}

/*
 * <aws.events.event>: the envelope without detail, detail-type renamed detailType and
 * time replaced by the ingestion time, in the key order AWS was recorded with; members
 * beyond the standard ones follow in envelope order.
 */
static void build_event(ev_buf_t *b, const char *doc, size_t n, size_t root,
                        const ev_xform_vars_t *vars)
{
    static const char *const order[] = {"id", "account", "detail-type", "time",
                                        "source", "region", "resources", "version"};
    const size_t norder = sizeof(order) / sizeof(order[0]);
    size_t s, e, it, ks, ke;
    int first = 1;

    ev_buf_addc(b, '{');
    for (size_t i = 0; i < norder; i++) {
        const char *key = strcmp(order[i], "detail-type") == 0 ? "detailType" : order[i];

        if (strcmp(order[i], "time") == 0 && vars && vars->ingestion_time) {
            if (!first)
                ev_buf_addc(b, ',');
            first = 0;
            ev_buf_adds(b, "\"time\":");
            ev__xj_escape(b, vars->ingestion_time, strlen(vars->ingestion_time));
        } else if (ev__xj_member(doc, n, root, order[i], strlen(order[i]), &s, &e)) {
            put_member(b, &first, key, doc, s, e);
        }
    }
    it = root + 1;
    while (ev__xj_next(doc, n, &it, 1, &ks, &ke, &s, &e) && !b->failed) {
        int known = ev__xj_key_eq(doc + ks, ke - ks, "detail", 6);

        for (size_t i = 0; i < norder && !known; i++)
            known = ev__xj_key_eq(doc + ks, ke - ks, order[i], strlen(order[i]));
        if (known)
            continue;
        if (!first)
            ev_buf_addc(b, ',');
        first = 0;
        ev_buf_add(b, doc + ks, ke - ks);
        ev_buf_addc(b, ':');
        ev__xj_compact(b, doc + s, e - s);
    }
    ev_buf_addc(b, '}');
}

static void set_raw(val_t *v, const char *s)
{
    if (s) {
        v->type = EV__XJ_STRING;
        v->raw = 1;
        v->p = s;
        v->n = strlen(s);
    }
}

static void set_slice(val_t *v, const char *doc, size_t n, size_t s, size_t e)
{
    v->type = ev__xj_type_at(doc, n, s);
    v->p = doc + s;
    v->n = e - s;
}

/* Resolves one var for one event (doc is valid JSON when the var reads it). */
static void resolve(const var_t *var, const char *doc, size_t n, const ev_xform_vars_t *vars,
                    ev_buf_t *scratch, val_t *v)
{
    size_t root = ev__xj_ws(doc, n, 0), s, e;

    memset(v, 0, sizeof(*v));
    switch (var->kind) {
    case VAR_RULE_ARN:
        set_raw(v, vars ? vars->rule_arn : NULL);
        break;
    case VAR_RULE_NAME:
        set_raw(v, vars ? vars->rule_name : NULL);
        break;
    case VAR_INGESTION:
        if (vars && vars->ingestion_time)
            set_raw(v, vars->ingestion_time);
        else if (ev__xj_member(doc, n, root, "time", 4, &s, &e))
            set_slice(v, doc, n, s, e);
        break;
    case VAR_EVENT_JSON:
        set_slice(v, doc, n, root, ev__xj_skip(doc, n, root));
        break;
    case VAR_EVENT:
        if (root < n && doc[root] == '{') {
            v->type = EV__XJ_OBJECT;
            v->scratch = 1;
            v->off = scratch->len;
            build_event(scratch, doc, n, root, vars);
            v->n = scratch->len - v->off;
        }
        break;
    case VAR_PATH:
        if (ev__xpath_definite(var->path)) {
            if (ev__xpath_find(var->path, doc, n, &s, &e))
                set_slice(v, doc, n, s, e);
        } else {
            v->type = EV__XJ_ARRAY;
            v->scratch = 1;
            v->off = scratch->len;
            ev__xpath_collect(var->path, doc, n, scratch);
            v->n = scratch->len - v->off;
        }
        break;
    }
}

/* Writes one resolved value in its context (spec input-transformer.md 2.2). */
static void render(ev_buf_t *b, const val_t *v, int in_string, int json_mode)
{
    switch (v->type) {
    case EV__XJ_NONE:
        if (!in_string)
            ev_buf_add(b, "\"\"", 2);
        break;
    case EV__XJ_STRING:
        if (v->raw && in_string)
            ev_buf_add(b, v->p, v->n);
        else if (v->raw)
            ev__xj_escape(b, v->p, v->n);
        else if (in_string)
            ev__xj_unescape(b, v->p, v->n);
        else
            ev_buf_add(b, v->p, v->n);
        break;
    case EV__XJ_OBJECT:
    case EV__XJ_ARRAY:
        if (in_string && !json_mode)
            ev__xj_unquoted(b, v->p, v->n);
        else
            ev__xj_compact(b, v->p, v->n);
        break;
    default: /* numbers and literals: their text as in the event */
        ev_buf_add(b, v->p, v->n);
        break;
    }
}

static ev_err apply_template(const ev_xform_t *x, const char *doc, size_t n,
                             const ev_xform_vars_t *vars, ev_buf_t *out)
{
    val_t stack_vals[STACK_VALS], *vals = stack_vals;
    ev_buf_t scratch;
    size_t start = out->len;
    ev_err rc = EV_OK;

    ev_buf_init(&scratch, out->limit);
    if (x->nvars > STACK_VALS)
        vals = ev_xcalloc(x->nvars, sizeof(val_t));
    if (x->needs_event && !ev__xj_valid(doc, n)) {
        rc = EV_ERR_VALIDATION;
        goto out;
    }
    for (size_t i = 0; i < x->nvars; i++)
        resolve(&x->vars[i], doc, n, vars, &scratch, &vals[i]);
    if (scratch.failed) {
        out->failed = 1;
        rc = EV_ERR_LIMIT_EXCEEDED;
        goto out;
    }
    /* the scratch buffer no longer moves: turn offsets into pointers */
    for (size_t i = 0; i < x->nvars; i++) {
        if (vals[i].scratch)
            vals[i].p = scratch.p + vals[i].off;
    }
    for (size_t i = 0; i < x->nsegs && !out->failed; i++) {
        const seg_t *sg = &x->segs[i];

        if (sg->kind == SEG_LITERAL)
            ev_buf_add(out, x->text + sg->off, sg->len);
        else
            render(out, &vals[sg->var], sg->kind == SEG_STRING, x->json_mode);
    }
    if (out->failed) {
        rc = EV_ERR_LIMIT_EXCEEDED;
        goto out;
    }
    if (x->json_mode) {
        /* AWS drops the event for this target when a JSON template renders to invalid
           JSON (test_input_transformer_nested_keys_replacement_not_valid); valid output
           goes out minified */
        if (!out->p || !ev__xj_valid(out->p + start, out->len - start)) {
            rc = EV_ERR_VALIDATION;
            goto out;
        }
        out->len = start + ev__xj_minify(out->p + start, out->len - start);
        out->p[out->len] = '\0';
    }
out:
    if (rc == EV_ERR_VALIDATION && out->p) {
        out->len = start;
        out->p[start] = '\0';
    }
    if (vals != stack_vals)
        free(vals);
    ev_buf_free(&scratch);
    return rc;
}

static ev_err apply_path(const ev__xpath_t *path, const char *doc, size_t n, ev_buf_t *out)
{
    size_t s, e;
    ev_err rc = EV_OK;

    if (!ev__xj_valid(doc, n)) {
        rc = EV_ERR_VALIDATION;
        goto out;
    }
    if (!ev__xpath_definite(path)) {
        ev__xpath_collect(path, doc, n, out);
    } else if (ev__xpath_find(path, doc, n, &s, &e)) {
        ev__xj_compact(out, doc + s, e - s);
    } else {
        rc = EV_ERR_VALIDATION;
    }
out:
    return rc;
}

ev_err ev_xform_apply(const ev_xform_t *x, const char *envelope, size_t len,
                      const ev_xform_vars_t *vars, ev_buf_t *out)
{
    ev_err rc = EV_OK;

    if (out->failed) {
        rc = EV_ERR_LIMIT_EXCEEDED;
        goto out;
    }
    switch (x->kind) {
    case EV_XFORM_EVENT:
        ev_buf_add(out, envelope, len);
        break;
    case EV_XFORM_INPUT:
        ev_buf_add(out, x->text, x->text_len);
        break;
    case EV_XFORM_INPUT_PATH:
        rc = apply_path(x->path, envelope, len, out);
        break;
    case EV_XFORM_TRANSFORMER:
        rc = apply_template(x, envelope, len, vars, out);
        break;
    }
    if (rc == EV_OK && out->failed)
        rc = EV_ERR_LIMIT_EXCEEDED;
out:
    return rc;
}
