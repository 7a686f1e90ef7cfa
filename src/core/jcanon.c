/*
 * core/jcanon.c - the compact form jansson gives a parsed JSON object,
 * without jansson: blanks dropped, strings copied as they are (the escapes
 * accepted here are the ones jansson writes back unchanged), integers copied
 * (-0 becomes 0), reals read with strtod and written as jansson's dump does:
 * "%.17g", ".0" added when the result looks like an integer, no '+' and no
 * leading zeros in the exponent. Anything outside that subset asks jansson.
 */
#include "core/jcanon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_KEYS 256
#define MAX_INT_DIGITS 18 /* fits in jansson's long long integers */

typedef struct {
    const char *p;
    size_t n;
} jkey_t;

static size_t ws(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
        i++;
    return i;
}

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

size_t ev_jcanon_utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0], cp;
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

    if (c < 0xc2 || c > 0xf4 || n < len)
        return 0;
    cp = c & (0x3f >> (len - 1));
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[k] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

/* End (exclusive) of the string token at s[i] == '"', or 0 when it is not
 * plain: a control byte, bad UTF-8, an escape jansson would rewrite. */
static size_t string_end(const char *s, size_t n, size_t i)
{
    for (i++; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '"')
            return i + 1;
        if (c < 0x20)
            return 0;
        if (c >= 0x80) {
            size_t k = ev_jcanon_utf8_seq((const unsigned char *)s + i, n - i);

            if (!k)
                return 0;
            i += k - 1;
            continue;
        }
        if (c == '\\') {
            if (++i >= n)
                return 0;
            switch (s[i]) {
            case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't':
                break;
            default: /* \/ and \u are written back differently */
                return 0;
            }
        }
    }
    return 0;
}

/* A real as jansson's dump writes it (its jsonp_dtostr with precision 17). */
static int real_out(ev_buf_t *b, const char *tok, size_t len)
{
    char in[64], out[40], *e;
    double v;
    int k;

    if (len >= sizeof(in))
        return -1;
    memcpy(in, tok, len);
    in[len] = '\0';
    errno = 0;
    v = strtod(in, NULL);
    if (errno == ERANGE)
        return -1; /* overflow (jansson refuses) or underflow: let jansson say */
    k = snprintf(out, sizeof(out), "%.17g", v);
    if (k < 0 || (size_t)k >= sizeof(out) - 3)
        return -1;
    if (!strchr(out, '.') && !strchr(out, 'e'))
        memcpy(out + k, ".0", 3);
    if ((e = strchr(out, 'e')) != NULL) {
        char *d = e + 1, *r = e + 1;

        if (*r == '-')
            d = ++r;
        else if (*r == '+')
            r++;
        while (*r == '0' && digit(r[1]))
            r++;
        memmove(d, r, strlen(r) + 1);
    }
    ev_buf_adds(b, out);
    return 0;
}

size_t ev_jcanon_number_end(const char *s, size_t n, size_t i, int *real, size_t *int_digits)
{
    size_t st = i;

    *real = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !digit(s[i]))
        return 0;
    if (s[i] == '0')
        i++;
    else
        while (i < n && digit(s[i]))
            i++;
    *int_digits = i - st - (s[st] == '-');
    if (i < n && s[i] == '.') {
        *real = 1;
        if (++i >= n || !digit(s[i]))
            return 0;
        while (i < n && digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *real = 1;
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !digit(s[i]))
            return 0;
        while (i < n && digit(s[i]))
            i++;
    }
    return i;
}

/* Appends the number at s[i]; its end, or 0 to ask jansson. */
static size_t number(ev_buf_t *b, const char *s, size_t n, size_t i)
{
    size_t end, intd;
    int real;

    if (!(end = ev_jcanon_number_end(s, n, i, &real, &intd)))
        return 0;
    if (real)
        return real_out(b, s + i, end - i) == 0 ? end : 0;
    if (intd > MAX_INT_DIGITS)
        return 0;
    if (intd == 1 && s[i] == '-' && s[i + 1] == '0')
        ev_buf_addc(b, '0'); /* -0 is the integer 0 */
    else
        ev_buf_add(b, s + i, end - i);
    return end;
}

int ev_jcanon_object(ev_buf_t *b, const char *s, size_t n)
{
    jkey_t keys[MAX_KEYS];
    size_t first[MAX_DEPTH]; /* keys[first[d]..nkeys): the open object's keys at depth d */
    char open[MAX_DEPTH];
    size_t start = b->len, nkeys = 0, i = ws(s, n, 0), e;
    int depth = 0, failed = b->failed;

    if (i >= n || s[i] != '{')
        goto ask;
value:
    i = ws(s, n, i);
    if (i >= n)
        goto ask;
    switch (s[i]) {
    case '{':
    case '[':
        if (depth == MAX_DEPTH)
            goto ask;
        open[depth] = s[i];
        first[depth++] = nkeys;
        ev_buf_addc(b, s[i]);
        i = ws(s, n, i + 1);
        if (i < n && s[i] == (open[depth - 1] == '{' ? '}' : ']'))
            goto close;
        if (open[depth - 1] == '{')
            goto key;
        goto value;
    case '"':
        if (!(e = string_end(s, n, i)))
            goto ask;
        ev_buf_add(b, s + i, e - i);
        i = e;
        break;
    case 't':
    case 'f':
    case 'n': {
        const char *lit = s[i] == 't' ? "true" : s[i] == 'f' ? "false" : "null";
        size_t len = strlen(lit);

        if (n - i < len || memcmp(s + i, lit, len) != 0)
            goto ask;
        ev_buf_add(b, lit, len);
        i += len;
        break;
    }
    default:
        if (s[i] != '-' && !digit(s[i]))
            goto ask;
        if (!(i = number(b, s, n, i)))
            goto ask;
    }
after:
    if (depth == 0) {
        if (ws(s, n, i) != n || b->failed)
            goto ask;
        return 0;
    }
    i = ws(s, n, i);
    if (i >= n)
        goto ask;
    if (s[i] == ',') {
        ev_buf_addc(b, ',');
        i++;
        if (open[depth - 1] == '{')
            goto key;
        goto value;
    }
    if (s[i] != (open[depth - 1] == '{' ? '}' : ']'))
        goto ask;
close:
    ev_buf_addc(b, s[i++]);
    nkeys = first[--depth];
    goto after;
key:
    i = ws(s, n, i);
    if (i >= n || s[i] != '"' || !(e = string_end(s, n, i)) || nkeys == MAX_KEYS)
        goto ask;
    /* Only plain escapes: equal keys have equal bytes. A duplicate is refused. */
    for (size_t k = first[depth - 1]; k < nkeys; k++)
        if (keys[k].n == e - i && memcmp(keys[k].p, s + i, e - i) == 0)
            goto ask;
    keys[nkeys].p = s + i;
    keys[nkeys++].n = e - i;
    ev_buf_add(b, s + i, e - i);
    i = ws(s, n, e);
    if (i >= n || s[i] != ':')
        goto ask;
    ev_buf_addc(b, ':');
    i++;
    goto value;
ask:
    b->len = start;
    b->failed = failed;
    if (b->p)
        b->p[start] = '\0';
    return -1;
}
