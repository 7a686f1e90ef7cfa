/*
 * api/validate.c - first-level request validation against the generated
 * model tables (api/model_gen.c). Walks the body depth-first in model member
 * order and collects every violation (required, pattern, length, enum,
 * range) into one message worded exactly as AWS words it; a JSON type
 * mismatch stops the walk with a SerializationException instead.
 *
 * Patterns are compiled once (ev_model_init) with PCRE2_UTF and anchored at
 * both ends, because AWS matches the whole value although model patterns are
 * unanchored. The compiled code is shared read-only; each call owns its
 * match data, so ev_validate runs concurrently.
 *
 * Model patterns are Java regexes; scripts/gen-model.py rewrites what PCRE2
 * reads differently (\uXXXX, Java's '.') into each pattern's `source`.
 *
 * String length is counted in Unicode code points. AWS (Java) counts UTF-16
 * units; the two differ only for characters outside the BMP, which count 1
 * here and 2 in AWS.
 *
 * A JSON null member is treated as absent; a null list element or map value
 * is a SerializationException, so handlers never meet one.
 */
#define EV__MODEL_INTERNAL
#define PCRE2_CODE_UNIT_WIDTH 8
#include "api/validate.h"

#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "util/util.h"

/* Items past this many message bytes are counted in <N> but not printed, and
 * a list/map value printed in an item is cut at this size. */
#define EV_VALIDATE_MAX_MSG (1024 * 1024)
/* Backtracking guard: a value that needs more than this to decide counts as
 * not matching (Java would stall or overflow its stack on it). */
#define EV_PATTERN_MATCH_LIMIT 10000000u
#define EV_PATTERN_HEAP_KIB (64u * 1024u)

#define REDACTED "***Sensitive Data Redacted***"

/* One violation kind each; a member's items come out in this bit order. */
enum {
    V_PATTERN = 1u << 0,
    V_MIN_LEN = 1u << 1,
    V_MAX_LEN = 1u << 2,
    V_ENUM = 1u << 3,
    V_MIN_VAL = 1u << 4,
    V_MAX_VAL = 1u << 5,
};

static pthread_mutex_t model_lock = PTHREAD_MUTEX_INITIALIZER;
static pcre2_code **model_codes; /* one per ev__model_patterns entry */
static pcre2_match_context *model_mctx;
static atomic_int model_ready;

typedef struct {
    ev_buf_t items;        /* "; "-joined items */
    size_t count;          /* items found, printed or not */
    int printing;          /* whether the current item is being printed */
    ev_buf_t path;         /* message path of the value being checked */
    pcre2_match_data *md;  /* this call's own: match data is not shareable */
    char *serr;            /* SerializationException message */
} vctx_t;

static ev_err check_value(vctx_t *c, const struct ev_shape *s, json_t *v, int sens);
static void to_java(ev_buf_t *b, const struct ev_shape *s, json_t *v, int sens);

/* ---- model setup ---- */

ev_err ev_model_init(void)
{
    pcre2_code **codes = NULL;
    pcre2_match_context *mctx = NULL;
    ev_err rc = EV_OK;

    pthread_mutex_lock(&model_lock);
    if (atomic_load(&model_ready))
        goto out;
    codes = calloc(ev__model_n_patterns ? ev__model_n_patterns : 1, sizeof(*codes));
    mctx = pcre2_match_context_create(NULL);
    if (!codes || !mctx) {
        rc = EV_ERR_INTERNAL;
        goto out;
    }
    pcre2_set_match_limit(mctx, EV_PATTERN_MATCH_LIMIT);
    pcre2_set_heap_limit(mctx, EV_PATTERN_HEAP_KIB);
    for (size_t i = 0; i < ev__model_n_patterns; i++) {
        const char *src = ev__model_patterns[i].source;
        PCRE2_SIZE erroff;
        int errcode;
        PCRE2_UCHAR err[128];

        codes[i] = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
                                 PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &errcode,
                                 &erroff, NULL);
        if (!codes[i]) {
            pcre2_get_error_message(errcode, err, sizeof(err));
            ev_error("model pattern %zu (%s) does not compile at %zu: %s", i,
                     ev__model_patterns[i].text, (size_t)erroff, (const char *)err);
            rc = EV_ERR_INTERNAL;
            goto out;
        }
        /* JIT is an optimisation only; without it pcre2_match interprets. */
        (void)pcre2_jit_compile(codes[i], PCRE2_JIT_COMPLETE);
    }
    model_codes = codes;
    model_mctx = mctx;
    codes = NULL;
    mctx = NULL;
    atomic_store(&model_ready, 1);
out:
    if (codes) {
        for (size_t i = 0; i < ev__model_n_patterns; i++)
            pcre2_code_free(codes[i]);
        free(codes);
    }
    pcre2_match_context_free(mctx);
    pthread_mutex_unlock(&model_lock);
    return rc;
}

void ev_model_cleanup(void)
{
    pthread_mutex_lock(&model_lock);
    if (atomic_load(&model_ready)) {
        atomic_store(&model_ready, 0);
        for (size_t i = 0; i < ev__model_n_patterns; i++)
            pcre2_code_free(model_codes[i]);
        free(model_codes);
        pcre2_match_context_free(model_mctx);
        model_codes = NULL;
        model_mctx = NULL;
    }
    pthread_mutex_unlock(&model_lock);
}

static int op_cmp(const void *key, const void *elem)
{
    const ev__op_t *k = key, *e = elem;
    int r = strcmp(k->prefix, e->prefix);

    return r ? r : strcmp(k->op, e->op);
}

const ev_shape_t *ev_model_input(const char *target_prefix, const char *op)
{
    ev__op_t key = {target_prefix, op, 0};
    const ev__op_t *hit;

    if (!target_prefix || !op)
        return NULL;
    hit = bsearch(&key, ev__model_ops, ev__model_n_ops, sizeof(ev__model_ops[0]), op_cmp);
    return hit ? &ev__model_shapes[hit->input] : NULL;
}

/* ---- value checks ---- */

static size_t utf8_length(const char *s, size_t n)
{
    size_t cp = 0;

    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            cp++;
    return cp;
}

static int pattern_matches(vctx_t *c, int idx, const char *s, size_t n)
{
    pcre2_code *code = model_codes[idx];
    int rc;

    rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, 0, c->md, model_mctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, PCRE2_NO_JIT, c->md, model_mctx);
    /* rc 0: matched, ovector too small (captures are not wanted). Any error
     * (match limit, invalid UTF-8) counts as not matching. */
    return rc >= 0;
}

static int in_enum(const struct ev_shape *s, const char *str, size_t n)
{
    for (uint16_t i = 0; i < s->n_enums; i++)
        if (strlen(s->enums[i]) == n && memcmp(s->enums[i], str, n) == 0)
            return 1;
    return 0;
}

static unsigned length_violations(const struct ev_shape *s, int64_t len)
{
    unsigned bits = 0;

    if (s->has_min && len < s->min)
        bits |= V_MIN_LEN;
    if (s->has_max && len > s->max)
        bits |= V_MAX_LEN;
    return bits;
}

static unsigned string_violations(vctx_t *c, const struct ev_shape *s, const char *str,
                                  size_t n)
{
    unsigned bits = 0;

    if (s->pattern >= 0 && !pattern_matches(c, s->pattern, str, n))
        bits |= V_PATTERN;
    if (s->has_min || s->has_max)
        bits |= length_violations(s, (int64_t)utf8_length(str, n));
    if (s->n_enums && !in_enum(s, str, n))
        bits |= V_ENUM;
    return bits;
}

/* Writes "Member must <constraint>" for one violation bit. */
static void put_constraint(ev_buf_t *b, const struct ev_shape *s, unsigned bit)
{
    ev_buf_adds(b, "Member must ");
    switch (bit) {
    case V_PATTERN:
        ev_buf_adds(b, "satisfy regular expression pattern: ");
        ev_buf_adds(b, ev__model_patterns[s->pattern].text);
        break;
    case V_MIN_LEN:
        ev_buf_printf(b, "have length greater than or equal to %lld", (long long)s->min);
        break;
    case V_MAX_LEN:
        ev_buf_printf(b, "have length less than or equal to %lld", (long long)s->max);
        break;
    case V_ENUM:
        ev_buf_adds(b, "satisfy enum value set: [");
        for (uint16_t i = 0; i < s->n_enums; i++) {
            if (i)
                ev_buf_adds(b, ", ");
            ev_buf_adds(b, s->enums[i]);
        }
        ev_buf_adds(b, "]");
        break;
    case V_MIN_VAL:
        ev_buf_printf(b, "have value greater than or equal to %lld", (long long)s->min);
        break;
    default:
        ev_buf_printf(b, "have value less than or equal to %lld", (long long)s->max);
        break;
    }
}

/*
 * Starts an item: "Value '<v>' at '<path>' failed to satisfy constraint: ".
 * val NULL prints "Value null"; sens prints "Value at" (AWS never echoes a
 * sensitive member). Items past EV_VALIDATE_MAX_MSG are counted only.
 */
static void begin_item(vctx_t *c, const char *val, size_t n, int sens)
{
    c->count++;
    c->printing = c->items.len < EV_VALIDATE_MAX_MSG;
    if (!c->printing)
        return;
    if (c->count > 1)
        ev_buf_adds(&c->items, "; ");
    if (!val) {
        ev_buf_adds(&c->items, "Value null");
    } else if (sens) {
        ev_buf_adds(&c->items, "Value");
    } else {
        ev_buf_adds(&c->items, "Value '");
        ev_buf_add(&c->items, val, n);
        ev_buf_adds(&c->items, "'");
    }
    ev_buf_adds(&c->items, " at '");
    ev_buf_add(&c->items, ev_buf_cstr(&c->path), c->path.len);
    ev_buf_adds(&c->items, "' failed to satisfy constraint: ");
}

/* One item per violation bit, all for the same value. */
static void add_items(vctx_t *c, const struct ev_shape *s, unsigned bits, const char *val,
                      size_t n, int sens)
{
    for (unsigned bit = 1; bit <= V_MAX_VAL; bit <<= 1) {
        if (!(bits & bit))
            continue;
        begin_item(c, val, n, sens);
        if (c->printing)
            put_constraint(&c->items, s, bit);
    }
}

/* Items for a list or map whose own length fails: the value is its Java toString. */
static void add_container_items(vctx_t *c, const struct ev_shape *s, unsigned bits, json_t *v,
                                int sens)
{
    ev_buf_t val;

    ev_buf_init(&val, EV_VALIDATE_MAX_MSG);
    if (!sens)
        to_java(&val, s, v, 0);
    /* Past the limit the value stays cut where it reached it. */
    add_items(c, s, bits, ev_buf_cstr(&val), val.len, sens);
    ev_buf_free(&val);
}

/* Records the SerializationException message "<what> at '<path>'[: expected <x>]";
 * the first one wins. */
static ev_err serialization_error(vctx_t *c, const char *what, const char *expected)
{
    ev_buf_t m;

    if (!c->serr) {
        ev_buf_init(&m, SIZE_MAX);
        ev_buf_adds(&m, what);
        ev_buf_adds(&m, " at '");
        ev_buf_add(&m, ev_buf_cstr(&c->path), c->path.len);
        ev_buf_adds(&m, "'");
        if (expected) {
            ev_buf_adds(&m, ": expected ");
            ev_buf_adds(&m, expected);
        }
        c->serr = ev_buf_steal(&m, NULL);
    }
    return EV_ERR_SERIALIZATION;
}

static ev_err type_error(vctx_t *c, const char *expected)
{
    return serialization_error(c, "Unexpected JSON type", expected);
}

/* Decoded size of standard padded base64 (what ev_base64_decode accepts); -1 if invalid. */
static int64_t base64_size(const char *s, size_t n)
{
    size_t pad = 0;

    if (n % 4 != 0)
        return -1;
    if (n > 0 && s[n - 1] == '=')
        pad++;
    if (n > 1 && s[n - 2] == '=')
        pad++;
    for (size_t i = 0; i < n - pad; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '/'))
            return -1;
    }
    return (int64_t)(n / 4 * 3 - pad);
}

/* The int64 value of a JSON number that must be integral; 0 if it is not one. */
static int integral_value(json_t *v, int64_t lo, int64_t hi, int64_t *out /* OUT */)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);

        if (i < lo || i > hi)
            return 0;
        *out = (int64_t)i;
        return 1;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);

        /* 2^63 is exact as a double; anything at or above it is out of range. */
        if (!isfinite(d) || d != floor(d) || d < (double)lo || d >= 9223372036854775808.0)
            return 0;
        if ((int64_t)d > hi)
            return 0;
        *out = (int64_t)d;
        return 1;
    }
    return 0;
}

static ev_err check_number(vctx_t *c, const struct ev_shape *s, json_t *v, int sens)
{
    int is_int = s->type == EV_SHAPE_INTEGER || s->type == EV_SHAPE_LONG;
    int64_t lo = s->type == EV_SHAPE_INTEGER ? INT32_MIN : INT64_MIN;
    int64_t hi = s->type == EV_SHAPE_INTEGER ? INT32_MAX : INT64_MAX;
    ev_err rc = EV_OK;
    unsigned bits = 0;
    char text[32];
    int64_t iv = 0;
    double d;
    int n;

    if (!json_is_number(v)) {
        rc = type_error(c, "number");
        goto out;
    }
    if (is_int && !integral_value(v, lo, hi, &iv)) {
        rc = serialization_error(c, "Invalid integer value", NULL);
        goto out;
    }
    d = is_int ? (double)iv : json_number_value(v);
    if (s->has_min && (is_int ? iv < s->min : d < (double)s->min))
        bits |= V_MIN_VAL;
    if (s->has_max && (is_int ? iv > s->max : d > (double)s->max))
        bits |= V_MAX_VAL;
    if (!bits)
        goto out;
    if (is_int)
        n = snprintf(text, sizeof(text), "%lld", (long long)iv);
    else
        n = snprintf(text, sizeof(text), "%.17g", d);
    add_items(c, s, bits, text, (size_t)n, sens);
out:
    return rc;
}

static ev_err check_blob(vctx_t *c, const struct ev_shape *s, json_t *v, int sens)
{
    ev_err rc = EV_OK;
    char text[96];
    int64_t size;
    unsigned bits;
    int n;

    if (!json_is_string(v)) {
        rc = type_error(c, "string");
        goto out;
    }
    size = base64_size(json_string_value(v), json_string_length(v));
    if (size < 0) {
        rc = serialization_error(c, "Invalid base64 value", NULL);
        goto out;
    }
    bits = length_violations(s, size);
    if (bits) {
        /* AWS (Java) prints a blob as the ByteBuffer holding it. */
        n = snprintf(text, sizeof(text), "java.nio.HeapByteBuffer[pos=0 lim=%lld cap=%lld]",
                     (long long)size, (long long)size);
        add_items(c, s, bits, text, (size_t)n, sens);
    }
out:
    return rc;
}

/* Appends "<sep><seg>" to the path; returns the length to restore. */
static size_t path_push(vctx_t *c, const char *seg, size_t n)
{
    size_t mark = c->path.len;

    if (mark)
        ev_buf_adds(&c->path, ".");
    ev_buf_add(&c->path, seg, n);
    return mark;
}

static void path_pop(vctx_t *c, size_t mark)
{
    /* ev_buf has no truncate; the layout is public, so cut it here. */
    c->path.len = mark;
    if (c->path.p)
        c->path.p[mark] = '\0';
}

static ev_err check_struct(vctx_t *c, const struct ev_shape *s, json_t *obj, int sens)
{
    ev_err rc = EV_OK;

    for (uint16_t i = 0; i < s->n_members; i++) {
        const ev__member_t *m = &s->members[i];
        json_t *v = json_object_get(obj, m->name);
        size_t mark = path_push(c, m->path, strlen(m->path));

        if (!v || json_is_null(v)) {
            if (m->required) {
                begin_item(c, NULL, 0, 0);
                if (c->printing)
                    ev_buf_adds(&c->items, "Member must not be null");
            }
        } else {
            rc = check_value(c, &ev__model_shapes[m->shape], v, sens);
        }
        path_pop(c, mark);
        if (rc)
            goto out;
    }
out:
    return rc;
}

static ev_err check_list(vctx_t *c, const struct ev_shape *s, json_t *v, int sens)
{
    const struct ev_shape *elem = &ev__model_shapes[s->elem];
    unsigned bits;
    ev_err rc = EV_OK;
    char seg[40];

    if (!json_is_array(v)) {
        rc = type_error(c, "list");
        goto out;
    }
    bits = length_violations(s, (int64_t)json_array_size(v));
    if (bits)
        add_container_items(c, s, bits, v, sens);
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i);
        int n = snprintf(seg, sizeof(seg), "%zu.member", i + 1);
        size_t mark = path_push(c, seg, (size_t)n);

        rc = json_is_null(e) ? type_error(c, "non-null list element")
                             : check_value(c, elem, e, sens);
        path_pop(c, mark);
        if (rc)
            goto out;
    }
out:
    return rc;
}

static ev_err check_map(vctx_t *c, const struct ev_shape *s, json_t *v, int sens)
{
    const struct ev_shape *ks = &ev__model_shapes[s->key];
    const struct ev_shape *vs = &ev__model_shapes[s->elem];
    const char *key;
    json_t *val;
    unsigned bits;
    ev_err rc = EV_OK;

    if (!json_is_object(v)) {
        rc = type_error(c, "map");
        goto out;
    }
    bits = length_violations(s, (int64_t)json_object_size(v));
    if (bits)
        add_container_items(c, s, bits, v, sens);
    json_object_foreach(v, key, val) {
        size_t klen = strlen(key);
        size_t mark;

        /* Keys are strings in every model map; one item lists all they break. */
        bits = ks->type == EV_SHAPE_STRING ? string_violations(c, ks, key, klen) : 0;
        if (bits) {
            begin_item(c, key, klen, sens || ks->sensitive);
            if (c->printing) {
                ev_buf_adds(&c->items, "Map keys must satisfy constraint: [");
                for (unsigned bit = 1, first = 1; bit <= V_MAX_VAL; bit <<= 1) {
                    if (!(bits & bit))
                        continue;
                    if (!first)
                        ev_buf_adds(&c->items, ", ");
                    put_constraint(&c->items, ks, bit);
                    first = 0;
                }
                ev_buf_adds(&c->items, "]");
            }
        }
        mark = path_push(c, key, klen);
        rc = json_is_null(val) ? type_error(c, "non-null map value")
                               : check_value(c, vs, val, sens);
        path_pop(c, mark);
        if (rc)
            goto out;
    }
out:
    return rc;
}

static ev_err check_value(vctx_t *c, const struct ev_shape *s, json_t *v, int sens)
{
    ev_err rc = EV_OK;
    unsigned bits;

    sens = sens || s->sensitive;
    switch (s->type) {
    case EV_SHAPE_STRUCTURE:
        rc = json_is_object(v) ? check_struct(c, s, v, sens) : type_error(c, "structure");
        break;
    case EV_SHAPE_LIST:
        rc = check_list(c, s, v, sens);
        break;
    case EV_SHAPE_MAP:
        rc = check_map(c, s, v, sens);
        break;
    case EV_SHAPE_STRING:
        if (!json_is_string(v)) {
            rc = type_error(c, "string");
            break;
        }
        bits = string_violations(c, s, json_string_value(v), json_string_length(v));
        if (bits)
            add_items(c, s, bits, json_string_value(v), json_string_length(v), sens);
        break;
    case EV_SHAPE_BOOLEAN:
        if (!json_is_boolean(v))
            rc = type_error(c, "boolean");
        break;
    case EV_SHAPE_TIMESTAMP:
        if (!json_is_number(v) && !json_is_string(v))
            rc = type_error(c, "number");
        break;
    case EV_SHAPE_BLOB:
        rc = check_blob(c, s, v, sens);
        break;
    default: /* integer, long, double, float */
        rc = check_number(c, s, v, sens);
        break;
    }
    return rc;
}

/* ---- Java toString of a value (list/map items) ---- */

static void java_double(ev_buf_t *b, double d)
{
    char text[40];
    int p;

    if (isnan(d)) {
        ev_buf_adds(b, "NaN");
        return;
    }
    if (isinf(d)) {
        ev_buf_adds(b, d > 0 ? "Infinity" : "-Infinity");
        return;
    }
    /* Shortest text that reads back as d, as Double.toString aims for. */
    for (p = 1; p < 17; p++) {
        snprintf(text, sizeof(text), "%.*g", p, d);
        if (strtod(text, NULL) == d)
            break;
    }
    snprintf(text, sizeof(text), "%.*g", p, d);
    ev_buf_adds(b, text);
    if (!strpbrk(text, ".eEn"))
        ev_buf_adds(b, ".0");
}

static void java_date(ev_buf_t *b, double secs)
{
    char text[64];
    struct tm tm;
    time_t t;

    if (!isfinite(secs) || secs > 253402300799.0 || secs < -62135596800.0) {
        ev_buf_printf(b, "%.17g", secs);
        return;
    }
    t = (time_t)floor(secs);
    if (!gmtime_r(&t, &tm) || !strftime(text, sizeof(text), "%a %b %d %H:%M:%S UTC %Y", &tm)) {
        ev_buf_printf(b, "%.17g", secs);
        return;
    }
    ev_buf_adds(b, text);
}

static void to_java_scalar(ev_buf_t *b, json_t *v)
{
    if (json_is_string(v))
        ev_buf_add(b, json_string_value(v), json_string_length(v));
    else if (json_is_integer(v))
        ev_buf_printf(b, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        java_double(b, json_real_value(v));
    else if (json_is_boolean(v))
        ev_buf_adds(b, json_is_true(v) ? "true" : "false");
    else
        ev_buf_adds(b, "null");
}

/* Best-effort Java toString: [a, b] for lists, {k=v} for maps, Shape(m=v, ...)
 * for structures; sensitive parts are redacted. Wrong JSON types print as
 * scalars (their SerializationException wins anyway). */
static void to_java(ev_buf_t *b, const struct ev_shape *s, json_t *v, int sens)
{
    const char *key;
    json_t *val;
    size_t i;
    int64_t size;

    sens = sens || s->sensitive;
    if (!v || json_is_null(v)) {
        ev_buf_adds(b, "null");
        return;
    }
    if (sens) {
        ev_buf_adds(b, REDACTED);
        return;
    }
    switch (s->type) {
    case EV_SHAPE_LIST:
        if (!json_is_array(v))
            break;
        ev_buf_adds(b, "[");
        json_array_foreach(v, i, val) {
            if (i)
                ev_buf_adds(b, ", ");
            to_java(b, &ev__model_shapes[s->elem], val, 0);
        }
        ev_buf_adds(b, "]");
        return;
    case EV_SHAPE_MAP:
        if (!json_is_object(v))
            break;
        ev_buf_adds(b, "{");
        i = 0;
        json_object_foreach(v, key, val) {
            if (i++)
                ev_buf_adds(b, ", ");
            ev_buf_adds(b, key);
            ev_buf_adds(b, "=");
            to_java(b, &ev__model_shapes[s->elem], val, 0);
        }
        ev_buf_adds(b, "}");
        return;
    case EV_SHAPE_STRUCTURE:
        if (!json_is_object(v))
            break;
        ev_buf_adds(b, s->name);
        ev_buf_adds(b, "(");
        for (uint16_t m = 0; m < s->n_members; m++) {
            if (m)
                ev_buf_adds(b, ", ");
            ev_buf_adds(b, s->members[m].path);
            ev_buf_adds(b, "=");
            to_java(b, &ev__model_shapes[s->members[m].shape],
                    json_object_get(v, s->members[m].name), 0);
        }
        /* AWS's own request class has two members the public model lacks. */
        if (strcmp(s->name, "PutEventsRequestEntry") == 0)
            ev_buf_adds(b, ", kmsKeyIdentifier=null, internalMetadata=null");
        ev_buf_adds(b, ")");
        return;
    case EV_SHAPE_TIMESTAMP:
        if (!json_is_number(v))
            break;
        java_date(b, json_number_value(v));
        return;
    case EV_SHAPE_BLOB:
        if (!json_is_string(v))
            break;
        size = base64_size(json_string_value(v), json_string_length(v));
        ev_buf_printf(b, "java.nio.HeapByteBuffer[pos=0 lim=%lld cap=%lld]", (long long)size,
                  (long long)size);
        return;
    case EV_SHAPE_DOUBLE:
    case EV_SHAPE_FLOAT:
        if (!json_is_number(v))
            break;
        java_double(b, json_number_value(v));
        return;
    default:
        break;
    }
    to_java_scalar(b, v);
}

/* ---- entry point ---- */

ev_err ev_validate(const ev_shape_t *shape, json_t *body, char **msg)
{
    ev_buf_t out;
    vctx_t c;
    ev_err rc = EV_OK;

    memset(&c, 0, sizeof(c));
    ev_buf_init(&c.items, SIZE_MAX);
    ev_buf_init(&c.path, SIZE_MAX);
    *msg = NULL;
    if (!atomic_load(&model_ready) || !shape || shape->type != EV_SHAPE_STRUCTURE) {
        rc = EV_ERR_INTERNAL;
        *msg = ev_xstrdup("Request validation is not initialised.");
        goto out;
    }
    if (!json_is_object(body)) {
        rc = EV_ERR_SERIALIZATION;
        *msg = ev_xstrdup("Request body must be a JSON object.");
        goto out;
    }
    c.md = pcre2_match_data_create(1, NULL);
    if (!c.md) {
        rc = EV_ERR_INTERNAL;
        *msg = ev_xstrdup("Out of memory.");
        goto out;
    }
    rc = check_struct(&c, shape, body, shape->sensitive);
    if (rc) {
        *msg = c.serr ? c.serr : ev_xstrdup("Request body could not be read.");
        c.serr = NULL;
        goto out;
    }
    if (c.count) {
        rc = EV_ERR_VALIDATION;
        ev_buf_init(&out, SIZE_MAX);
        ev_buf_printf(&out, "%zu validation error%s detected: ", c.count, c.count > 1 ? "s" : "");
        ev_buf_add(&out, ev_buf_cstr(&c.items), c.items.len);
        *msg = ev_buf_steal(&out, NULL);
    }
out:
    ev_buf_free(&c.items);
    ev_buf_free(&c.path);
    free(c.serr);
    pcre2_match_data_free(c.md);
    return rc;
}
