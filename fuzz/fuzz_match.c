/*
 * fuzz/fuzz_match.c - libFuzzer driver: differential test of the compiled
 * matcher against the reference matcher. Input: up to 8 patterns, one per
 * line, then a NUL byte, then the event. Both matchers get every valid
 * pattern (tag = line number); they must agree on the verdict (matched tags,
 * malformed, not an object), and each pattern's compile_check verdict and
 * message must equal what the builder said.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ev_match_scratch_t *scratch;
    const char *p = (const char *)data, *end = p + size, *sep;
    ev_matcher_builder_t *b;
    ev_match_ref_t *r;
    ev_matcher_t *m;
    const uint64_t *tags;
    uint64_t *rtags = NULL, sorted[16];
    size_t ntags = 0, nrtags = 0, i;
    ev_match_rc crc, rrc;
    uint64_t tag = 0;

    if (!scratch)
        scratch = ev_match_scratch_new();
    sep = memchr(p, '\0', size);
    if (!sep)
        return 0;
    b = ev_matcher_builder_new();
    r = ev_match_ref_new();
    while (p < sep && tag < 8) {
        const char *nl = memchr(p, '\n', (size_t)(sep - p));
        size_t n = (size_t)((nl ? nl : sep) - p);
        char *m1 = NULL, *m2 = NULL, *m3 = NULL;
        ev_err e1 = ev_pattern_compile_check(p, n, &m1);
        ev_err e2 = ev_matcher_builder_add(b, tag, p, n, &m2);
        ev_err e3 = ev_match_ref_add(r, tag, p, n, &m3);

        if (e1 != e2 || e1 != e3)
            abort();
        if (e1 != EV_OK && (!m1 || !m2 || !m3 || strcmp(m1, m2) || strcmp(m1, m3) ||
                            strncmp(m1, "Event pattern is not valid. Reason: ", 36)))
            abort();
        free(m1);
        free(m2);
        free(m3);
        tag++;
        p += n + (nl ? 1 : 0);
    }
    m = ev_matcher_builder_finish(b);
    crc = ev_matcher_match(m, sep + 1, (size_t)(end - sep - 1), scratch, &tags, &ntags);
    rrc = ev_match_ref_match(r, sep + 1, (size_t)(end - sep - 1), &rtags, &nrtags);
    if (crc != EV_MATCH_TOO_COMPLEX) {
        if (crc != rrc) {
            fprintf(stderr, "verdict: compiled %d reference %d\n", crc, rrc);
            abort();
        }
        if (ntags != nrtags || ntags > 16)
            abort();
        if (ntags)
            memcpy(sorted, tags, ntags * sizeof(uint64_t));
        qsort(sorted, ntags, sizeof(uint64_t), cmp_u64);
        for (i = 0; i < ntags; i++) {
            if (sorted[i] != rtags[i])
                abort();
        }
    }
    free(rtags);
    ev_matcher_unref(m);
    ev_match_ref_free(r);
    return 0;
}
