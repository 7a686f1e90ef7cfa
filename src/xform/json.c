/*
 * xform/json.c - a zero-copy JSON scanner for the transformer's hot path.
 * The event is validated once per apply (no allocation, explicit bit stack
 * instead of recursion); after that, values are addressed as byte ranges of
 * the event and copied, compacted or unescaped straight into the output, so
 * numbers and strings keep the exact text they had in the event.
 */
#include "xform/xform_int.h"

#include <string.h>

#include "core/jcanon.h"

#define IS_WS(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

size_t ev__xj_ws(const char *p, size_t n, size_t i)
{
    while (i < n && IS_WS(p[i]))
        i++;
    return i;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads 4 hex digits at p[i]; 1 and *u on success. */
static int hex4(const unsigned char *p, size_t n, size_t i, unsigned *u)
{
    unsigned v = 0;

    if (i > n || n - i < 4)
        return 0;
    for (size_t k = 0; k < 4; k++) {
        int h = hexval(p[i + k]);

        if (h < 0)
            return 0;
        v = (v << 4) | (unsigned)h;
    }
    *u = v;
    return 1;
}

/* Validates the string token at p[i] == '"'; returns the index after it, or 0. Like jansson,
   a \u escape of a surrogate must be a high one followed by a low one. */
static size_t valid_string(const unsigned char *p, size_t n, size_t i)
{
    unsigned u, lo;
    size_t len;

    i++;
    while (i < n) {
        unsigned c = p[i];

        if (c == '"')
            return i + 1;
        if (c < 0x20)
            return 0;
        if (c < 0x80 && c != '\\') {
            i++;
            continue;
        }
        if (c != '\\') {
            len = ev_jcanon_utf8_seq(p + i, n - i);
            if (!len)
                return 0;
            i += len;
            continue;
        }
        if (i + 1 >= n)
            return 0;
        switch (p[i + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            i += 2;
            break;
        case 'u':
            if (!hex4(p, n, i + 2, &u))
                return 0;
            i += 6;
            if (u >= 0xDC00 && u <= 0xDFFF)
                return 0;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (i + 1 >= n || p[i] != '\\' || p[i + 1] != 'u' || !hex4(p, n, i + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return 0;
                i += 6;
            }
            break;
        default:
            return 0;
        }
    }
    return 0;
}

/* Validates the number at p[i]; returns the index after it, or 0. */
static size_t valid_number(const unsigned char *p, size_t n, size_t i)
{
    size_t int_digits;
    int real;

    return ev_jcanon_number_end((const char *)p, n, i, &real, &int_digits);
}

static size_t valid_literal(const unsigned char *p, size_t n, size_t i, const char *lit)
{
    size_t len = strlen(lit);

    if (n - i < len || memcmp(p + i, lit, len) != 0)
        return 0;
    return i + len;
}

enum { ST_VALUE, ST_KEY, ST_AFTER };

int ev__xj_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char is_obj[EV__XJ_MAX_DEPTH / 8];
    size_t depth = 0, i = ev__xj_ws(s, n, 0);
    int st = ST_VALUE, ok = 0;

    for (;;) {
        if (st == ST_VALUE) {
            if (i >= n)
                goto out;
            if (p[i] == '{' || p[i] == '[') {
                int obj = p[i] == '{';

                if (depth == EV__XJ_MAX_DEPTH)
                    goto out;
                if (obj)
                    is_obj[depth / 8] |= (unsigned char)(1u << (depth % 8));
                else
                    is_obj[depth / 8] &= (unsigned char)~(1u << (depth % 8));
                depth++;
                i = ev__xj_ws(s, n, i + 1);
                if (i < n && p[i] == (obj ? '}' : ']')) {
                    i++;
                    depth--;
                    st = ST_AFTER;
                } else {
                    st = obj ? ST_KEY : ST_VALUE;
                }
                continue;
            }
            if (p[i] == '"')
                i = valid_string(p, n, i);
            else if (p[i] == 't')
                i = valid_literal(p, n, i, "true");
            else if (p[i] == 'f')
                i = valid_literal(p, n, i, "false");
            else if (p[i] == 'n')
                i = valid_literal(p, n, i, "null");
            else
                i = valid_number(p, n, i);
            if (!i)
                goto out;
            st = ST_AFTER;
        } else if (st == ST_KEY) {
            if (i >= n || p[i] != '"')
                goto out;
            i = valid_string(p, n, i);
            if (!i)
                goto out;
            i = ev__xj_ws(s, n, i);
            if (i >= n || p[i] != ':')
                goto out;
            i = ev__xj_ws(s, n, i + 1);
            st = ST_VALUE;
        } else {
            int obj;

            i = ev__xj_ws(s, n, i);
            if (depth == 0) {
                ok = i == n;
                goto out;
            }
            if (i >= n)
                goto out;
            obj = (is_obj[(depth - 1) / 8] >> ((depth - 1) % 8)) & 1;
            if (p[i] == ',') {
                i = ev__xj_ws(s, n, i + 1);
                st = obj ? ST_KEY : ST_VALUE;
            } else if (p[i] == (obj ? '}' : ']')) {
                i++;
                depth--;
            } else {
                goto out;
            }
        }
    }
out:
    return ok;
}

/* End of the string token at p[i] == '"' (n if unterminated). */
static size_t skip_string(const char *p, size_t n, size_t i)
{
    i++;
    while (i < n && p[i] != '"')
        i += (p[i] == '\\' && i + 1 < n) ? 2 : 1;
    return i < n ? i + 1 : n;
}

size_t ev__xj_skip(const char *p, size_t n, size_t i)
{
    size_t depth = 0;

    if (i >= n)
        return n;
    if (p[i] == '"')
        return skip_string(p, n, i);
    if (p[i] != '{' && p[i] != '[') {
        while (i < n && !IS_WS(p[i]) && p[i] != ',' && p[i] != ']' && p[i] != '}' &&
               p[i] != ':')
            i++;
        return i;
    }
    do {
        char c = p[i];

        if (c == '"') {
            i = skip_string(p, n, i);
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        i++;
    } while (i < n && depth > 0);
    return i;
}

ev__xj_type ev__xj_type_at(const char *p, size_t n, size_t i)
{
    if (i >= n)
        return EV__XJ_NONE;
    switch (p[i]) {
    case '{':
        return EV__XJ_OBJECT;
    case '[':
        return EV__XJ_ARRAY;
    case '"':
        return EV__XJ_STRING;
    case 't':
        return EV__XJ_TRUE;
    case 'f':
        return EV__XJ_FALSE;
    case 'n':
        return EV__XJ_NULL;
    default:
        return EV__XJ_NUMBER;
    }
}

void ev__xj_compact(ev_buf_t *b, const char *p, size_t n)
{
    size_t i = 0, run = 0;

    while (i < n) {
        if (IS_WS(p[i])) {
            ev_buf_add(b, p + run, i - run);
            i = ev__xj_ws(p, n, i);
            run = i;
        } else if (p[i] == '"') {
            i = skip_string(p, n, i);
        } else {
            i++;
        }
    }
    ev_buf_add(b, p + run, n - run);
}

void ev__xj_unquoted(ev_buf_t *b, const char *p, size_t n)
{
    size_t i = 0, run = 0;

    while (i < n && !b->failed) {
        if (IS_WS(p[i])) {
            ev_buf_add(b, p + run, i - run);
            i = ev__xj_ws(p, n, i);
            run = i;
        } else if (p[i] == '"') {
            size_t e = skip_string(p, n, i);

            ev_buf_add(b, p + run, i - run);
            ev__xj_unescape(b, p + i, e - i);
            i = run = e;
        } else {
            i++;
        }
    }
    ev_buf_add(b, p + run, n - run);
}

/* Encodes code point cp as UTF-8 into o; returns the length. */
static size_t utf8_put(unsigned cp, char o[4])
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Decodes the escape at p[*i] == '\\' (inside a token ending before `end`) into o and
 * advances *i. A lone surrogate (only in unvalidated text) becomes U+FFFD; a truncated
 * or unknown escape yields its bytes unchanged.
 */
static size_t decode_escape(const char *p, size_t end, size_t *i, char o[4])
{
    const unsigned char *u = (const unsigned char *)p;
    unsigned cp, lo;
    size_t k = *i;

    if (k + 1 >= end) {
        *i = k + 1;
        o[0] = '\\';
        return 1;
    }
    *i = k + 2;
    switch (p[k + 1]) {
    case 'b': o[0] = '\b'; return 1;
    case 'f': o[0] = '\f'; return 1;
    case 'n': o[0] = '\n'; return 1;
    case 'r': o[0] = '\r'; return 1;
    case 't': o[0] = '\t'; return 1;
    case 'u':
        break;
    default:
        o[0] = p[k + 1];
        return 1;
    }
    if (!hex4(u, end, k + 2, &cp)) {
        o[0] = 'u';
        return 1;
    }
    *i = k + 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (k + 7 < end && p[k + 6] == '\\' && p[k + 7] == 'u' && hex4(u, end, k + 8, &lo) &&
            lo >= 0xDC00 && lo <= 0xDFFF) {
            *i = k + 12;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else {
            cp = 0xFFFD;
        }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        cp = 0xFFFD;
    }
    return utf8_put(cp, o);
}

void ev__xj_unescape(ev_buf_t *b, const char *p, size_t n)
{
    size_t i = 1, run = 1, end;
    char o[4];

    if (n < 2 || p[0] != '"')
        return;
    end = p[n - 1] == '"' ? n - 1 : n;
    while (i < end && !b->failed) {
        if (p[i] != '\\') {
            i++;
            continue;
        }
        ev_buf_add(b, p + run, i - run);
        ev_buf_add(b, o, decode_escape(p, end, &i, o));
        run = i;
    }
    if (run < end)
        ev_buf_add(b, p + run, end - run);
}

void ev__xj_escape(ev_buf_t *b, const char *s, size_t n)
{
    ev_buf_json_string(b, s, n, 0);
}

int ev__xj_key_eq(const char *p, size_t n, const char *name, size_t nlen)
{
    size_t i = 1, j = 0, end;
    char o[4];

    if (n < 2 || p[0] != '"')
        return 0;
    end = n - 1;
    if (!memchr(p + 1, '\\', end - 1))
        return end - 1 == nlen && memcmp(p + 1, name, nlen) == 0;
    while (i < end) {
        if (p[i] != '\\') {
            if (j >= nlen || p[i] != name[j])
                return 0;
            i++;
            j++;
            continue;
        }
        {
            size_t k = decode_escape(p, end, &i, o);

            if (nlen - j < k || memcmp(name + j, o, k) != 0)
                return 0;
            j += k;
        }
    }
    return j == nlen;
}

int ev__xj_next(const char *p, size_t n, size_t *it, int is_obj, size_t *ks, size_t *ke,
                size_t *vs, size_t *ve)
{
    size_t j = ev__xj_ws(p, n, *it);

    if (j < n && p[j] == ',')
        j = ev__xj_ws(p, n, j + 1);
    if (j >= n || p[j] == '}' || p[j] == ']')
        return 0;
    if (is_obj) {
        if (p[j] != '"')
            return 0;
        *ks = j;
        j = skip_string(p, n, j);
        *ke = j;
        j = ev__xj_ws(p, n, j);
        if (j >= n || p[j] != ':')
            return 0;
        j = ev__xj_ws(p, n, j + 1);
    }
    *vs = j;
    *ve = ev__xj_skip(p, n, j);
    if (*ve <= j)
        return 0;
    *it = *ve;
    return 1;
}

int ev__xj_member(const char *p, size_t n, size_t obj, const char *name, size_t nlen,
                  size_t *vs, size_t *ve)
{
    size_t it = obj + 1, ks, ke, s, e;
    int found = 0;

    if (obj >= n || p[obj] != '{')
        return 0;
    while (ev__xj_next(p, n, &it, 1, &ks, &ke, &s, &e)) {
        if (ev__xj_key_eq(p + ks, ke - ks, name, nlen)) {
            *vs = s;
            *ve = e;
            found = 1;
        }
    }
    return found;
}

size_t ev__xj_minify(char *p, size_t n)
{
    size_t r = 0, w = 0;

    while (r < n) {
        if (IS_WS(p[r])) {
            r++;
        } else if (p[r] == '"') {
            size_t e = skip_string(p, n, r);

            memmove(p + w, p + r, e - r);
            w += e - r;
            r = e;
        } else {
            p[w++] = p[r++];
        }
    }
    return w;
}
