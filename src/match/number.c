/*
 * match/number.c - JSON numbers as event-ruler compares them.
 *
 * event-ruler (ComparableNumber) parses a number as BigDecimal, converts it to
 * the nearest double and accepts it for numeric comparison only if the
 * decimal value equals BigDecimal.valueOf(double), i.e. the shortest
 * round-trip form of that double (Java 19+ Double.toString). Such numbers are
 * "comparable" and compare as doubles; others match only by their text.
 *
 * ev__num_classify_slow decides this with strtod and snprintf (exact, slow).
 * ev__num_classify gets the same answer quickly for the numbers events carry:
 *  - up to 15 significant digits, |exponent| <= 22: always comparable (no two
 *    15-digit decimals share a double), value by one exact multiply/divide;
 *  - 16-17 digits, |exponent| <= 26: x87 80-bit multiply (one rounding, then a
 *    midpoint check guards the second), then exact 128-bit integer checks that
 *    the text is the closest such decimal and that no shorter decimal rounds
 *    to the same double;
 *  - everything else takes the slow path.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

__extension__ typedef unsigned __int128 u128;

/* A JSON number text in normalised decimal form: value = 0.D * 10^E = w * 10^q. */
typedef struct {
    int neg;
    int zero;
    int nd;       /* significant digits, leading/trailing zeros removed (capped) */
    int64_t E;
    uint64_t w;   /* the first (up to) 19 significant digits as an integer */
    int64_t q;    /* E - nd: exponent of w's last digit (meaningful when nd <= 19) */
    char dig[40]; /* the first (up to) 40 significant digits */
} dec_t;

/* s is a valid JSON number (or %e output). */
static void dec_parse(const char *s, size_t n, dec_t *d)
{
    size_t i = 0;
    int64_t li = 0, lead = -1, idx = 0, exp = 0, nz_end = 0, k = 0;
    int eneg = 0;

    memset(d, 0, sizeof(*d));
    if (i < n && (s[i] == '-' || s[i] == '+'))
        d->neg = s[i++] == '-';
    for (; i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'); i++) {
        char c = s[i];

        if (c == '.') {
            li = idx;
            li = -li - 1; /* mark: point seen */
            continue;
        }
        if (c != '0' && lead < 0)
            lead = idx;
        if (lead >= 0) {
            if (k < (int64_t)sizeof(d->dig))
                d->dig[k] = c;
            k++;
            if (c != '0')
                nz_end = k;
        }
        idx++;
    }
    li = li < 0 ? -li - 1 : idx;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (exp < 1000000000)
                exp = exp * 10 + (s[i] - '0');
        }
        if (eneg)
            exp = -exp;
    }
    if (lead < 0) {
        d->zero = 1;
        return;
    }
    d->nd = nz_end > 100000 ? 100000 : (int)nz_end;
    d->E = li - lead + exp;
    d->q = d->E - d->nd;
    for (k = 0; k < d->nd && k < 19; k++)
        d->w = d->w * 10 + (uint64_t)(d->dig[k] - '0');
    if (d->nd > 19)
        d->q = d->E - 19;
}

/* --- exact comparisons of decimal and binary values ---------------------- */

static const uint64_t pow5[28] = {
    1ull, 5ull, 25ull, 125ull, 625ull, 3125ull, 15625ull, 78125ull, 390625ull, 1953125ull,
    9765625ull, 48828125ull, 244140625ull, 1220703125ull, 6103515625ull, 30517578125ull,
    152587890625ull, 762939453125ull, 3814697265625ull, 19073486328125ull, 95367431640625ull,
    476837158203125ull, 2384185791015625ull, 11920928955078125ull, 59604644775390625ull,
    298023223876953125ull, 1490116119384765625ull, 7450580596923828125ull,
};

static int bitlen128(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;

    if (hi)
        return 128 - __builtin_clzll(hi);
    return lo ? 64 - __builtin_clzll(lo) : 0;
}

/* Sign of x*2^sx - y*2^sy for nonzero x, y. */
static int cmp_scaled(u128 x, int sx, u128 y, int sy)
{
    int lx = bitlen128(x) + sx, ly = bitlen128(y) + sy;

    if (lx != ly)
        return lx < ly ? -1 : 1;
    if (sx >= sy)
        x <<= (sx - sy);
    else
        y <<= (sy - sx);
    return x < y ? -1 : x > y;
}

/* Sign of a*10^e - b*2^f; a < 2^60, b < 2^56, |e| <= 27. */
static int cmp_dec_bin(uint64_t a, int e, uint64_t b, int f)
{
    if (e >= 0)
        return cmp_scaled((u128)a * pow5[e], e, (u128)b, f);
    return cmp_scaled((u128)a, 0, (u128)b * pow5[-e], f - e);
}

/* --- slow, exact reference ---------------------------------------------- */

/* 1 if two decimal texts have the same value (both with at most 40 digits). */
static int dec_same(const dec_t *a, const dec_t *b)
{
    if (a->zero || b->zero)
        return a->zero == b->zero;
    return a->neg == b->neg && a->nd == b->nd && a->E == b->E &&
           memcmp(a->dig, b->dig, (size_t)a->nd) == 0;
}

/*
 * Moves the last mantissa digit of a "%.Ne" text one unit away from zero;
 * returns 0 when that would carry into a new digit (such a neighbour has
 * fewer significant digits and was tried with a smaller N).
 */
static int bump_last(char *t)
{
    char *e = strchr(t, 'e'), *q;

    if (!e)
        return 0;
    for (q = e - 1; q >= t; q--) {
        if (*q == '.')
            continue;
        if (*q < '0' || *q > '9')
            return 0;
        if (*q < '9') {
            (*q)++;
            return 1;
        }
        *q = '0';
    }
    return 0;
}

int ev__num_classify_slow(const char *s, size_t n, double *out)
{
    char small[128], *buf = small, tmp[64];
    double v;
    int comparable = 0, p;
    dec_t d, sh;

    if (n + 1 > sizeof(small))
        buf = ev__mx_alloc(n + 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    v = strtod(buf, NULL);
    *out = v == 0 ? 0.0 : v;
    if (!isfinite(v))
        goto out;
    dec_parse(s, n, &d);
    if (v == 0) {
        comparable = d.zero;
        goto out;
    }
    if (d.zero || d.nd > 17)
        goto out;
    /*
     * Shortest round-trip form (Java 19+ Double.toString): the fewest digits
     * p for which some p-digit decimal reads back as v; among those, the
     * closest to v. printf gives the closest p-digit decimal, but at a power
     * of two the rounding interval is lopsided, so its neighbour one unit up
     * may read back when it does not. Java also prefers a closer 2-digit form
     * over a 1-digit one (only subnormals are affected).
     */
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
        if (bump_last(tmp) && strtod(tmp, NULL) == v)
            break;
    }
    dec_parse(tmp, strlen(tmp), &sh);
    if (p == 1) {
        char t2[64];
        dec_t d2;

        snprintf(t2, sizeof(t2), "%.1e", v);
        dec_parse(t2, strlen(t2), &d2);
        if (strtod(t2, NULL) == v && !dec_same(&sh, &d2))
            sh = d2;
    }
    comparable = dec_same(&d, &sh);
out:
    if (buf != small)
        free(buf);
    return comparable;
}

/* --- fast path -------------------------------------------------------------- */

static const double p10d[23] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#if defined(__x86_64__) && LDBL_MANT_DIG == 64
#define HAVE_X87 1
static const long double p10l[27] = {
    1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L, 1e11L, 1e12L, 1e13L,
    1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L,
};
#endif

/* The value of 8 ASCII digits (SWAR: pairs, then quads, then the whole). */
static inline uint64_t parse8(const char *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
    v = (v & 0x0f0f0f0f0f0f0f0full) * 2561 >> 8;
    v = (v & 0x00ff00ff00ff00ffull) * 6553601 >> 16;
    return (v & 0x0000ffff0000ffffull) * 42949672960001ull >> 32;
}

static const uint64_t p10u[9] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull,
};

/* w followed by the n digits at p; bytes up to lim may be read. */
static inline uint64_t accumulate(uint64_t w, const char *p, size_t n, const char *lim)
{
    while (n >= 8) {
        w = w * 100000000ull + parse8(p);
        p += 8;
        n -= 8;
    }
    if (n && lim - p >= 8) {
        /* One load: shift the n digits to the top, the bytes after them out. */
        uint64_t v;

        memcpy(&v, p, 8);
        v <<= 8 * (8 - n);
        v = (v & 0x0f0f0f0f0f0f0f0full) * 2561 >> 8;
        v = (v & 0x00ff00ff00ff00ffull) * 6553601 >> 16;
        v = (v & 0x0000ffff0000ffffull) * 42949672960001ull >> 32;
        return w * p10u[n] + v;
    }
    while (n--)
        w = w * 10 + (uint64_t)(*p++ - '0');
    return w;
}

void ev__dec_from_parts(ev__dec_t *d, int neg, const char *ia, const char *ib, const char *fa,
                        const char *fb, long exp, const char *lim)
{
    long len, f = fa ? fb - fa : 0, tz = 0;
    uint64_t w;

    d->neg = neg;
    if (*ia == '0') {
        /* Integer part is 0: significant digits start after the fraction's zeros. */
        ib = ia;
        while (fa && fa < fb && *fa == '0')
            fa++;
    }
    len = (ib - ia) + (fa ? fb - fa : 0);
    d->zero = len == 0;
    if (len == 0 || len > 19) {
        d->nd = len ? -1 : 0;
        return;
    }
    w = accumulate(0, ia, (size_t)(ib - ia), lim);
    if (fa)
        w = accumulate(w, fa, (size_t)(fb - fa), lim);
    while (w % 10 == 0) {
        w /= 10;
        tz++;
    }
    d->w = w;
    d->nd = (int)(len - tz);
    d->q = tz - f + exp;
}

/* Splits a valid JSON number text into its parts. */
static void parts_of(const char *s, size_t n, ev__dec_t *d)
{
    const char *p = s, *end = s + n, *ia, *ib, *fa = NULL, *fb = NULL;
    long exp = 0;
    int neg = *p == '-', eneg = 0;

    p += neg;
    ia = p;
    while (p < end && (unsigned)(*p - '0') <= 9)
        p++;
    ib = p;
    if (p < end && *p == '.') {
        fa = ++p;
        while (p < end && (unsigned)(*p - '0') <= 9)
            p++;
        fb = p;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        for (; p < end && (unsigned)(*p - '0') <= 9; p++) {
            if (exp < 1000000000)
                exp = exp * 10 + (*p - '0');
        }
        if (eneg)
            exp = -exp;
    }
    ev__dec_from_parts(d, neg, ia, ib, fa, fb, exp, end);
}

int ev__dec_estimate(const ev__dec_t *d, double *out)
{
    double v;

    if (d->zero) {
        *out = 0.0;
        return 1;
    }
    if (d->nd < 0 || d->q < -22 || d->q > 22)
        return 0;
    /* Two roundings at most: w to double, then the product or quotient. */
    v = (double)d->w;
    v = d->q >= 0 ? v * p10d[d->q] : v / p10d[-d->q];
    *out = d->neg ? -v : v;
    return 1;
}

int ev__num_classify(const char *s, size_t n, double *out)
{
    ev__dec_t d;

    parts_of(s, n, &d);
    return ev__dec_classify(&d, s, n, out);
}

int ev__dec_classify(const ev__dec_t *dp, const char *s, size_t n, double *out)
{
    ev__dec_t d = *dp;

    if (d.zero) {
        *out = 0.0;
        return 1;
    }
    if (d.nd < 0)
        return ev__num_classify_slow(s, n, out);
    if (d.nd > 17) {
        *out = 0.0; /* not comparable; the value is never used */
        return 0;
    }
    if (d.nd <= 15 && d.q >= -22 && d.q <= 22) {
        double v = (double)d.w;

        v = d.q >= 0 ? v * p10d[d.q] : v / p10d[-d.q];
        *out = d.neg ? -v : v;
        return 1;
    }
#ifdef HAVE_X87
    if (d.q >= -26 && d.q <= 26) {
        long double L = (long double)d.w;
        struct {
            uint64_t mant;
            uint16_t sexp;
        } rep;
        uint64_t bits, m, wl, wh;
        double v;
        int f, e;

        L = d.q >= 0 ? L * p10l[d.q] : L / p10l[-d.q];
        memset(&rep, 0, sizeof(rep));
        memcpy(&rep, &L, 10);
        if ((rep.mant & 0x7ff) == 0x400)
            goto slow; /* exactly halfway after the first rounding */
        v = (double)L;
        if (d.nd <= 15) {
            *out = d.neg ? -v : v;
            return 1;
        }
        memcpy(&bits, &v, 8);
        e = (int)((bits >> 52) & 0x7ff);
        if (e == 0 || e == 0x7ff)
            goto slow;
        m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
        f = e - 1075;
        /*
         * Usually decided in 80-bit arithmetic, in units of the text's last
         * digit: delta = v - text (error < 0.006), U = ulp(v). Only values
         * within 0.02 of an edge go on to the exact integer comparisons.
         */
        {
            long double unit = d.q >= 0 ? p10l[d.q] : 1.0L / p10l[-d.q];
            long double R = d.q >= 0 ? (long double)v / p10l[d.q] : (long double)v * p10l[-d.q];
            long double delta = R - (long double)d.w, ad = delta < 0 ? -delta : delta;
            long double U = ldexpl(1.0L, f) / unit;
            long double h_lo = m == (1ull << 52) ? U / 4 : U / 2, h_hi = U / 2;
            long double r10 = (long double)(d.w % 10), eps = 0.02L;
            long double dn = r10 + delta, up = 10 - r10 - delta;

            if (ad > 0.5L + eps || dn < h_lo - eps || up < h_hi - eps) {
                *out = 0.0; /* a closer or shorter decimal prints this double */
                return 0;
            }
            if (ad < 0.5L - eps && dn > h_lo + eps && up > h_hi + eps) {
                *out = d.neg ? -v : v;
                return 1;
            }
        }
        /* The text must be the closest nd-digit decimal to v (ties: slow path). */
        {
            int lo = cmp_dec_bin(2 * d.w - 1, (int)d.q, m, f + 1);
            int hi = cmp_dec_bin(2 * d.w + 1, (int)d.q, m, f + 1);

            if (lo == 0 || hi == 0)
                goto slow;
            if (!(lo < 0 && hi > 0)) {
                *out = 0.0;
                return 0;
            }
        }
        /* No decimal one digit shorter may round to v. */
        wl = d.w / 10;
        wh = wl + 1;
        {
            int even = (m & 1) == 0, c;

            if (m == (1ull << 52))
                c = cmp_dec_bin(wl, (int)d.q + 1, 4 * m - 1, f - 2);
            else
                c = cmp_dec_bin(wl, (int)d.q + 1, 2 * m - 1, f - 1);
            if (c > 0 || (c == 0 && even)) {
                *out = 0.0;
                return 0;
            }
            c = cmp_dec_bin(wh, (int)d.q + 1, 2 * m + 1, f - 1);
            if (c < 0 || (c == 0 && even)) {
                *out = 0.0;
                return 0;
            }
        }
        *out = d.neg ? -v : v;
        return 1;
    }
slow:
#endif
    return ev__num_classify_slow(s, n, out);
}
