/*
 * match/fold.c - case folding for equals-ignore-case and its prefix, suffix
 * and anything-but forms. Both the pattern and the event value are folded
 * code point by code point (simple Unicode case folding, fold_table.c) and
 * then compared byte for byte, so a trie or hash over folded patterns serves
 * many rules at once. event-ruler instead accepts, per pattern character,
 * its Java lower- or upper-case form; the two agree on ASCII and on ordinary
 * cased letters (docs/internals/match.md lists the corner cases).
 */
#include "match/match_int.h"

uint32_t ev__fold_cp(uint32_t cp)
{
    size_t lo = 0, hi = ev__fold_n;

    if (cp < 0x80)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    if (cp < ev__fold_from[0])
        return cp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ev__fold_from[mid] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ev__fold_n && ev__fold_from[lo] == cp)
        return ev__fold_to[lo];
    return cp;
}

static size_t put_utf8(uint32_t cp, unsigned char *o)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

size_t ev__fold(const char *s, size_t n, char *out)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    unsigned char *o = (unsigned char *)out;

    while (p < end) {
        unsigned c = *p;
        uint32_t cp;
        size_t k;

        if (c < 0x80) {
            *o++ = (unsigned char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
            p++;
            continue;
        }
        k = ev__utf8_seq(p, end);
        if (k == 0) {
            /* Not reached for validated input; copy the byte unchanged. */
            *o++ = *p++;
            continue;
        }
        if (k == 2)
            cp = ((uint32_t)(c & 0x1f) << 6) | (p[1] & 0x3f);
        else if (k == 3)
            cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
        else
            cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
                 ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
        o += put_utf8(ev__fold_cp(cp), o);
        p += k;
    }
    return (size_t)(o - (unsigned char *)out);
}
