/*
 * match/jtok.c - a pull tokenizer for event patterns that fails the way
 * Jackson's ReaderBasedJsonParser (2.13+) does, because AWS returns Jackson's
 * parse message as the InvalidEventPatternException reason.
 *
 * The token order mirrors Jackson, which matters because event-ruler checks
 * the pattern while it pulls tokens: a field name is returned only after the
 * value that follows it has been started (a number or literal is parsed then,
 * a string only later, lazily), and a malformed string surfaces when its text
 * is asked for or when the parser moves past it. Each error also records the
 * source position Jackson's exception would carry (after the last token
 * read; at the offending character for "Unexpected character"), from which
 * compile.c appends the "\n at [Source: (String)\"...\"; line: L, column: C]"
 * line AWS returns.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

#define CTX_ROOT 0
#define CTX_OBJECT 1
#define CTX_ARRAY 2

static const char *const VALID_VALUES =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

static void vfail(ev__jt_t *t, const char *at, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    if (t->err)
        return;
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        abort();
    t->err = ev__mx_alloc((size_t)n + 1);
    vsnprintf(t->err, (size_t)n + 1, fmt, ap);
    t->err_at = (size_t)(at - t->src);
    t->err_loc = 1;
}

void ev__jt_fail(ev__jt_t *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(t, t->p, fmt, ap);
    va_end(ap);
}

void ev__jt_fail_at(ev__jt_t *t, const char *at, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfail(t, at, fmt, ap);
    va_end(ap);
}

void ev__jt_init(ev__jt_t *t, const char *p, size_t n)
{
    memset(t, 0, sizeof(*t));
    t->src = t->p = p;
    t->end = p + n;
    t->ctx[0] = CTX_ROOT;
}

void ev__jt_fini(ev__jt_t *t)
{
    free(t->text);
    free(t->name);
    free(t->err);
    t->text = t->name = t->err = NULL;
}

/* --- helpers -------------------------------------------------------------- */

/* Code point at p (valid UTF-8 assumed; input is checked up front). */
static uint32_t cp_at(const char *p, const char *end, size_t *len)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t k = ev__utf8_seq(u, (const unsigned char *)end);

    if (k <= 1) {
        *len = 1;
        return u[0];
    }
    *len = k;
    if (k == 2)
        return ((uint32_t)(u[0] & 0x1f) << 6) | (u[1] & 0x3f);
    if (k == 3)
        return ((uint32_t)(u[0] & 0x0f) << 12) | ((uint32_t)(u[1] & 0x3f) << 6) | (u[2] & 0x3f);
    return ((uint32_t)(u[0] & 0x07) << 18) | ((uint32_t)(u[1] & 0x3f) << 12) |
           ((uint32_t)(u[2] & 0x3f) << 6) | (u[3] & 0x3f);
}

/* Jackson's _getCharDesc. */
static void char_desc(const char *p, const char *end, char *out, size_t cap)
{
    size_t len;
    uint32_t cp = cp_at(p, end, &len);

    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
        snprintf(out, cap, "(CTRL-CHAR, code %u)", (unsigned)cp);
    else if (cp > 255)
        snprintf(out, cap, "'%.*s' (code %u / 0x%x)", (int)len, p, (unsigned)cp, (unsigned)cp);
    else
        snprintf(out, cap, "'%.*s' (code %u)", (int)len, p, (unsigned)cp);
}

static void unexpected(ev__jt_t *t, const char *at, const char *comment)
{
    char d[64];

    char_desc(at, t->end, d, sizeof(d));
    ev__jt_fail_at(t, at, "Unexpected character (%s): %s", d, comment);
}

static int id_part(const char *p, const char *end)
{
    unsigned char c = (unsigned char)*p;

    (void)end;
    if (c >= 0x80)
        return 1;
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '$' || c <= 0x08 || (c >= 0x0e && c <= 0x1b) || c == 0x7f;
}

static int id_start(const char *p)
{
    unsigned char c = (unsigned char)*p;

    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c == '$';
}

/* Jackson's _reportInvalidToken: the matched part plus following identifier chars. */
static void invalid_token(ev__jt_t *t, const char *from, const char *q)
{
    size_t chars = 0, len;
    const char *r;
    int cut = 0;

    for (r = from; r < q; r += len) {
        cp_at(r, t->end, &len);
        chars++;
    }
    while (q < t->end && id_part(q, t->end)) {
        cp_at(q, t->end, &len);
        q += len;
        if (++chars >= 256) {
            cut = 1;
            break;
        }
    }
    ev__jt_fail_at(t, q, "Unrecognized token '%.*s%s': was expecting %s", (int)(q - from), from,
                   cut ? "..." : "", VALID_VALUES);
}

/* "[Source: (String)"..."; line: L, column: C]" for an offset into the source. */
char *ev__jt_location(const ev__jt_t *t, size_t off)
{
    size_t total = (size_t)(t->end - t->src), shown = total, i, chars = 0;
    unsigned line = 1, col = 1;
    const char *s = t->src;
    char *out;

    /* Jackson shows at most 500 characters of the source. */
    for (i = 0; i < total; chars++) {
        size_t len;

        if (chars == 500) {
            shown = i;
            break;
        }
        cp_at(s + i, t->end, &len);
        i += len;
    }
    for (i = 0; i < off && i < total;) {
        size_t len;
        uint32_t cp = cp_at(s + i, t->end, &len);

        if (cp == '\n' || (cp == '\r' && !(i + 1 < total && s[i + 1] == '\n'))) {
            line++;
            col = 1;
        } else if (cp != '\r') {
            col += cp > 0xffff ? 2 : 1;
        }
        i += len;
    }
    if (shown < total) {
        size_t rest = 0;

        for (i = shown; i < total; rest++) {
            size_t len;

            cp_at(s + i, t->end, &len);
            i += len;
        }
        out = ev__mx_printf("[Source: (String)\"%.*s\"[truncated %zu chars]; line: %u, column: %u]",
                            (int)shown, s, rest, line, col);
    } else {
        out = ev__mx_printf("[Source: (String)\"%.*s\"; line: %u, column: %u]", (int)total, s,
                            line, col);
    }
    return out;
}

static const char *ctx_desc(int kind)
{
    return kind == CTX_OBJECT ? "Object" : kind == CTX_ARRAY ? "Array" : "root";
}

static int skip_ws(ev__jt_t *t)
{
    while (t->p < t->end) {
        unsigned char c = (unsigned char)*t->p;

        if (c > ' ') {
            if (c == '/') {
                unexpected(t, t->p, "maybe a (non-standard) comment? (not recognized as one "
                                    "since Feature 'ALLOW_COMMENTS' not enabled for parser)");
                return -2;
            }
            return c;
        }
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            char d[64];

            char_desc(t->p, t->end, d, sizeof(d));
            ev__jt_fail(t, "Illegal character (%s): only regular white space (\\r, \\n, \\t) "
                           "is allowed between tokens", d);
            return -2;
        }
        t->p++;
    }
    return -1;
}

static void eof_in_ctx(ev__jt_t *t)
{
    char *loc = ev__jt_location(t, t->ctx_start[t->depth]);

    ev__jt_fail_at(t, t->end, "Unexpected end-of-input: expected close marker for %s (start marker at %s)",
                ctx_desc(t->ctx[t->depth]), loc);
    free(loc);
}

static void text_put(char **buf, size_t *n, size_t *cap, const char *p, size_t k)
{
    if (*n + k + 1 > *cap)
        *buf = ev__mx_grow(*buf, cap, *n + k + 1, 1);
    memcpy(*buf + *n, p, k);
    *n += k;
    (*buf)[*n] = '\0';
}

static void put_cp(char **buf, size_t *n, size_t *cap, uint32_t cp)
{
    char o[4];
    size_t k;

    if (cp < 0x80) {
        o[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        k = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        k = 3;
    } else {
        o[0] = (char)(0xf0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[3] = (char)(0x80 | (cp & 0x3f));
        k = 4;
    }
    text_put(buf, n, cap, o, k);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Reads a string body from p (just after the opening quote) into buf.
 * what: "name" or "string value". Returns the position after the closing
 * quote, or NULL (error set).
 */
static const char *read_string(ev__jt_t *t, const char *p, char **buf, size_t *n, size_t *cap,
                               int is_name)
{
    const char *end = t->end;
    uint32_t pending_hi = 0; /* a high surrogate waiting for its low half */

    *n = 0;
    text_put(buf, n, cap, "", 0);
    for (;;) {
        const char *run = p;

        while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
            p++;
        if (p > run) {
            if (pending_hi) {
                text_put(buf, n, cap, "?", 1);
                pending_hi = 0;
            }
            text_put(buf, n, cap, run, (size_t)(p - run));
        }
        if (p >= end) {
            if (is_name)
                ev__jt_fail_at(t, t->end, "Unexpected end-of-input: was expecting closing '\"' for name");
            else
                ev__jt_fail_at(t, t->end, "Unexpected end-of-input: was expecting closing quote for a "
                               "string value");
            return NULL;
        }
        if (*p == '"') {
            if (pending_hi)
                text_put(buf, n, cap, "?", 1);
            return p + 1;
        }
        if (*p != '\\') {
            char d[64];

            char_desc(p, end, d, sizeof(d));
            ev__jt_fail_at(t, p, "Illegal unquoted character (%s): has to be escaped using backslash "
                           "to be included in %s", d, is_name ? "name" : "string value");
            return NULL;
        }
        p++;
        if (p >= end) {
            ev__jt_fail_at(t, t->end, "Unexpected end-of-input in character escape sequence");
            return NULL;
        }
        {
            char c = *p++;
            uint32_t cp;
            int i;

            switch (c) {
            case 'b':
                cp = '\b';
                break;
            case 't':
                cp = '\t';
                break;
            case 'n':
                cp = '\n';
                break;
            case 'f':
                cp = '\f';
                break;
            case 'r':
                cp = '\r';
                break;
            case '"':
            case '/':
            case '\\':
                cp = (unsigned char)c;
                break;
            case 'u':
                cp = 0;
                for (i = 0; i < 4; i++) {
                    int h;

                    if (p >= end) {
                        ev__jt_fail_at(t, t->end, "Unexpected end-of-input in character escape sequence");
                        return NULL;
                    }
                    h = hexval(*p);
                    if (h < 0) {
                        unexpected(t, p, "expected a hex-digit for character escape sequence");
                        return NULL;
                    }
                    cp = cp * 16 + (uint32_t)h;
                    p++;
                }
                break;
            default: {
                char d[64];

                char_desc(p - 1, end, d, sizeof(d));
                ev__jt_fail_at(t, p, "Unrecognized character escape %s", d);
                return NULL;
            }
            }
            /* Java strings are UTF-16: pair surrogates; a lone one encodes as '?'. */
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (pending_hi)
                    text_put(buf, n, cap, "?", 1);
                pending_hi = cp;
                continue;
            }
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                if (pending_hi) {
                    put_cp(buf, n, cap, 0x10000 + ((pending_hi - 0xd800) << 10) + (cp - 0xdc00));
                    pending_hi = 0;
                } else {
                    text_put(buf, n, cap, "?", 1);
                }
                continue;
            }
            if (pending_hi) {
                text_put(buf, n, cap, "?", 1);
                pending_hi = 0;
            }
            put_cp(buf, n, cap, cp);
        }
    }
}

/* Finishes a lazily read string value (Jackson's _finishString / _skipString). */
static int finish_string(ev__jt_t *t)
{
    const char *q;

    if (!t->str_at)
        return 0;
    q = read_string(t, t->str_at, &t->text, &t->text_n, &t->text_cap, 0);
    t->str_at = NULL;
    if (!q)
        return -1;
    t->p = q;
    return 0;
}

/* Matches "true"/"false"/"null" at p; returns the end or NULL (error set). */
static const char *match_literal(ev__jt_t *t, const char *p, const char *word)
{
    size_t i, n = strlen(word);

    for (i = 0; i < n; i++) {
        if (p + i >= t->end || p[i] != word[i]) {
            invalid_token(t, p, p + i);
            return NULL;
        }
    }
    if (p + n < t->end && (unsigned char)p[n] >= '0' && p[n] != ']' && p[n] != '}' &&
        id_part(p + n, t->end)) {
        invalid_token(t, p, p + n);
        return NULL;
    }
    return p + n;
}

/* Parses a number at p; sets *tok; returns the end or NULL. */
static const char *parse_number(ev__jt_t *t, const char *p, ev__jt_tok *tok)
{
    const char *end = t->end, *q = p;
    int is_float = 0;

    if (*q == '-') {
        q++;
        if (q >= end) {
            ev__jt_fail_at(t, t->end, "Unexpected end-of-input in a Number value");
            return NULL;
        }
        if (*q < '0' || *q > '9') {
            char d[64];

            char_desc(q, end, d, sizeof(d));
            ev__jt_fail_at(t, q, "Unexpected character (%s) in numeric value: expected digit (0-9) "
                           "to follow minus sign, for valid numeric value", d);
            return NULL;
        }
    }
    if (*q == '0' && q + 1 < end && q[1] >= '0' && q[1] <= '9') {
        ev__jt_fail_at(t, q + 1, "Invalid numeric value: Leading zeroes not allowed");
        return NULL;
    }
    while (q < end && *q >= '0' && *q <= '9')
        q++;
    if (q < end && *q == '.') {
        is_float = 1;
        q++;
        if (q >= end) {
            ev__jt_fail_at(t, t->end, "Unexpected end-of-input in a Number value");
            return NULL;
        }
        if (*q < '0' || *q > '9') {
            char d[64];

            char_desc(q, end, d, sizeof(d));
            ev__jt_fail_at(t, q, "Unexpected character (%s) in numeric value: Decimal point not "
                           "followed by a digit", d);
            return NULL;
        }
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        is_float = 1;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (q >= end) {
            ev__jt_fail_at(t, t->end, "Unexpected end-of-input in a Number value");
            return NULL;
        }
        if (*q < '0' || *q > '9') {
            char d[64];

            char_desc(q, end, d, sizeof(d));
            ev__jt_fail_at(t, q, "Unexpected character (%s) in numeric value: Exponent indicator not "
                           "followed by a digit", d);
            return NULL;
        }
        while (q < end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q - p > 1000) {
        ev__jt_fail(t, "Number value length (%zu) exceeds the maximum allowed (1000, from "
                       "`StreamReadConstraints.getMaxNumberLength()`)", (size_t)(q - p));
        return NULL;
    }
    *tok = is_float ? EV__JT_NUMBER_FLOAT : EV__JT_NUMBER_INT;
    return q;
}

/*
 * Starts a value at t->p (first char c). Scalars other than strings are
 * parsed completely; containers and strings just start. in_obj: the value
 * follows a field name. Returns the token (EV__JT_ERROR on error).
 */
static ev__jt_tok start_value(ev__jt_t *t, int in_obj, const char **vstart, const char **vend)
{
    const char *p = t->p, *q = NULL;
    ev__jt_tok tok = EV__JT_ERROR;

    *vstart = p;
    switch (*p) {
    case '"':
        t->p = p + 1;
        *vend = p + 1;
        return EV__JT_STRING;
    case '[':
        t->p = p + 1;
        *vend = p + 1;
        return EV__JT_START_ARRAY;
    case '{':
        t->p = p + 1;
        *vend = p + 1;
        return EV__JT_START_OBJECT;
    case 't':
        q = match_literal(t, p, "true");
        tok = EV__JT_TRUE;
        break;
    case 'f':
        q = match_literal(t, p, "false");
        tok = EV__JT_FALSE;
        break;
    case 'n':
        q = match_literal(t, p, "null");
        tok = EV__JT_NULL;
        break;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        q = parse_number(t, p, &tok);
        if (q && t->depth == 0 && q < t->end && *q != ' ' && *q != '\t' && *q != '\r' &&
            *q != '\n') {
            unexpected(t, q, "Expected space separating root-level values");
            return EV__JT_ERROR;
        }
        break;
    case '}':
        if (!in_obj) {
            unexpected(t, p, "expected a value");
            return EV__JT_ERROR;
        }
        /* fall through */
    default:
        if (id_start(p)) {
            invalid_token(t, p, p + 1);
        } else {
            char comment[160];

            snprintf(comment, sizeof(comment), "expected a valid value %s", VALID_VALUES);
            unexpected(t, p, comment);
        }
        return EV__JT_ERROR;
    }
    if (!q)
        return EV__JT_ERROR;
    t->p = q;
    *vend = q;
    return tok;
}

static int push_ctx(ev__jt_t *t, int kind, const char *at)
{
    if (t->depth >= EV__JT_MAX_DEPTH) {
        ev__jt_fail(t, "Document nesting depth (%d) exceeds the maximum allowed (%d, from "
                       "`StreamReadConstraints.getMaxNestingDepth()`)",
                    t->depth + 1, EV__JT_MAX_DEPTH);
        return -1;
    }
    t->depth++;
    t->ctx[t->depth] = (uint8_t)kind;
    t->ctx_start[t->depth] = (uint32_t)(at - t->src);
    t->ctx_count[t->depth] = 0;
    return 0;
}

/* Delivers a started value as the current token. */
static ev__jt_tok deliver(ev__jt_t *t, ev__jt_tok tok, const char *vs, const char *ve)
{
    t->tok = tok;
    if (tok == EV__JT_START_ARRAY || tok == EV__JT_START_OBJECT) {
        if (push_ctx(t, tok == EV__JT_START_ARRAY ? CTX_ARRAY : CTX_OBJECT, vs) != 0)
            return t->tok = EV__JT_ERROR;
    } else if (tok == EV__JT_STRING) {
        t->str_at = vs + 1;
        t->p = vs + 1;
    } else {
        t->text_n = 0;
        text_put(&t->text, &t->text_n, &t->text_cap, vs, (size_t)(ve - vs));
    }
    return tok;
}

/* Bytes in, so invalid UTF-8 is refused up front as UTF8StreamJsonParser would. */
static int check_utf8(ev__jt_t *t)
{
    const unsigned char *p = (const unsigned char *)t->src, *end = (const unsigned char *)t->end;

    t->checked = 1;
    while (p < end) {
        size_t k;

        if (*p < 0x80) {
            p++;
            continue;
        }
        k = ev__utf8_seq(p, end);
        if (k == 0) {
            if (*p < 0xc2 || *p > 0xf4) {
                ev__jt_fail(t, "Invalid UTF-8 start byte 0x%x", *p);
            } else {
                size_t i;

                for (i = 1; p + i < end && (p[i] & 0xc0) == 0x80; i++)
                    ;
                ev__jt_fail(t, "Invalid UTF-8 middle byte 0x%x", p + i < end ? p[i] : 0u);
            }
            return -1;
        }
        p += k;
    }
    return 0;
}

ev__jt_tok ev__jt_next(ev__jt_t *t)
{
    int c;
    const char *vs, *ve;
    ev__jt_tok tok;

    if (t->err)
        return t->tok = EV__JT_ERROR;
    if (!t->checked && check_utf8(t) != 0)
        return t->tok = EV__JT_ERROR;
    if (t->tok == EV__JT_FIELD_NAME) {
        t->p = t->pend_e;
        return deliver(t, t->pending, t->pend_p, t->pend_e);
    }
    if (t->str_at && finish_string(t) != 0)
        return t->tok = EV__JT_ERROR;
    c = skip_ws(t);
    if (c == -2)
        return t->tok = EV__JT_ERROR;
    if (c == -1) {
        if (t->depth > 0) {
            eof_in_ctx(t);
            return t->tok = EV__JT_ERROR;
        }
        return t->tok = EV__JT_EOF;
    }
    if (c == ']' || c == '}') {
        int kind = t->ctx[t->depth];

        if ((c == ']' && kind != CTX_ARRAY) || (c == '}' && kind != CTX_OBJECT)) {
            char *loc = ev__jt_location(t, t->depth ? t->ctx_start[t->depth] : 0);

            ev__jt_fail(t, "Unexpected close marker '%c': expected '%c' (for %s starting at %s)",
                        c, c == ']' ? '}' : ']', ctx_desc(kind), loc);
            free(loc);
            return t->tok = EV__JT_ERROR;
        }
        t->p++;
        t->depth--;
        return t->tok = c == ']' ? EV__JT_END_ARRAY : EV__JT_END_OBJECT;
    }
    if (t->ctx_count[t->depth] > 0 && t->ctx[t->depth] != CTX_ROOT) {
        if (c != ',') {
            char comment[80];

            snprintf(comment, sizeof(comment), "was expecting comma to separate %s entries",
                     ctx_desc(t->ctx[t->depth]));
            unexpected(t, t->p, comment);
            return t->tok = EV__JT_ERROR;
        }
        t->p++;
        c = skip_ws(t);
        if (c == -2)
            return t->tok = EV__JT_ERROR;
        if (c == -1) {
            ev__jt_fail_at(t, t->end, "Unexpected end-of-input within/between %s entries",
                        ctx_desc(t->ctx[t->depth]));
            return t->tok = EV__JT_ERROR;
        }
    }
    t->ctx_count[t->depth]++;
    if (t->ctx[t->depth] == CTX_OBJECT) {
        const char *q;

        if (c != '"') {
            unexpected(t, t->p, "was expecting double-quote to start field name");
            return t->tok = EV__JT_ERROR;
        }
        q = read_string(t, t->p + 1, &t->name, &t->name_n, &t->name_cap, 1);
        if (!q)
            return t->tok = EV__JT_ERROR;
        t->p = q;
        c = skip_ws(t);
        if (c == -2)
            return t->tok = EV__JT_ERROR;
        if (c == -1) {
            ev__jt_fail_at(t, t->end, "Unexpected end-of-input within/between Object entries");
            return t->tok = EV__JT_ERROR;
        }
        if (c != ':') {
            unexpected(t, t->p, "was expecting a colon to separate field name and value");
            return t->tok = EV__JT_ERROR;
        }
        t->p++;
        c = skip_ws(t);
        if (c == -2)
            return t->tok = EV__JT_ERROR;
        if (c == -1) {
            ev__jt_fail_at(t, t->end, "Unexpected end-of-input within/between Object entries");
            return t->tok = EV__JT_ERROR;
        }
        tok = start_value(t, 1, &vs, &ve);
        if (tok == EV__JT_ERROR)
            return t->tok = EV__JT_ERROR;
        t->pending = tok;
        t->pend_p = vs;
        t->pend_e = ve;
        return t->tok = EV__JT_FIELD_NAME;
    }
    tok = start_value(t, 0, &vs, &ve);
    if (tok == EV__JT_ERROR)
        return t->tok = EV__JT_ERROR;
    return deliver(t, tok, vs, ve);
}

const char *ev__jt_text(ev__jt_t *t, size_t *n)
{
    switch (t->tok) {
    case EV__JT_STRING:
        if (t->str_at && finish_string(t) != 0)
            return NULL;
        break;
    case EV__JT_FIELD_NAME:
        *n = t->name_n;
        return t->name;
    case EV__JT_START_OBJECT:
        *n = 1;
        return "{";
    case EV__JT_END_OBJECT:
        *n = 1;
        return "}";
    case EV__JT_START_ARRAY:
        *n = 1;
        return "[";
    case EV__JT_END_ARRAY:
        *n = 1;
        return "]";
    case EV__JT_EOF:
    case EV__JT_ERROR:
        *n = 0;
        return "";
    default:
        break;
    }
    *n = t->text_n;
    return t->text ? t->text : "";
}
