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
    /* Shortest round-trip form; Java prefers a closer 2-digit form over 1 digit. */
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
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

int ev__num_classify(const char *s, size_t n, double *out)
{
    dec_t d;

    dec_parse(s, n, &d);
    if (d.zero) {
        *out = 0.0;
        return 1;
    }
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

uint64_t ev__num_key(double d)
{
    uint64_t bits;

    if (d == 0)
        d = 0.0;
    memcpy(&bits, &d, 8);
    return (bits >> 63) ? ~bits : bits | (1ull << 63);
}
