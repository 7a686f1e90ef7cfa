/*
 * match/scan.c - matching one event: a single pass over its JSON text with no
 * DOM and no allocation (everything lives in the caller's scratch), then a
 * walk of the rule trie over the clauses the event satisfied.
 *
 * The scanner validates exactly what jansson validates (syntax, strict UTF-8,
 * escapes and surrogates, no \u0000, int64 integers, finite reals, depth
 * 2048), because PutEvents must refuse what the rest of the server refuses.
 * While it scans it tracks the field-path trie node of every value: a key the
 * trie does not know sends its whole value down the "skip" path - still
 * validated, but with no lookups and no decoding. Leaf values at known paths
 * are tested against their path's value matcher; each satisfied clause is
 * recorded once per event ("hits", with epoch stamps instead of clearing).
 *
 * Arrays are crushed into their parent path (event-ruler semantics). When
 * some rule needs array consistency, every element of an array at a known
 * path gets a membership node (parent element, array id, index) so that
 * hits inside arrays can be checked for consistency afterwards; hits outside
 * all arrays ("root" hits) never constrain anything.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "match/match_int.h"

/* Work allowed to the array-consistency search per event (steps). */
#define VERIFY_BUDGET 2000000L

/*
 * A container being scanned. Membership is lazy: `ad` names the innermost
 * tracked array frame (its depth; 0 = outside all arrays), and an array
 * frame turns its current element into a membership node only when a hit
 * that needs one arrives (mn_cache, 0 = not yet).
 */
typedef struct {
    uint8_t arr;
    uint32_t pn;       /* path node of this container (EV__NONE: skipping) */
    uint32_t ad;       /* `ad` in effect where the container starts */
    uint32_t aid;      /* array id */
    uint32_t idx;      /* current element */
    uint32_t mn_cache; /* membership node of the current element, or 0 */
} frame_t;

struct ev_match_scratch {
    uint32_t epoch;
    uint32_t cap_cl, cap_slot, cap_rule, cap_rn;
    uint32_t *cl_ep, *cl_root, *cl_head, *cl_last;
    uint32_t *hits;
    uint32_t nhits;
    uint32_t *slot_blk;
    uint32_t leaf;
    uint32_t *rule_ep;
    uint32_t cap_vm;
    uint32_t *vm_ep;           /* per value matcher: idle range valid in this epoch */
    uint64_t *vm_klo, *vm_khi; /* numbers with keys strictly inside need no work */
    double *vm_dlo, *vm_dhi;   /* the same range as values */
    int64_t *vm_nlo, *vm_nhi;  /* and as 1e-8 units, narrowed (see num_idle) */
    uint64_t *out;
    uint32_t nout;
    uint32_t *rstack;
    uint32_t *log_mn, *log_next;
    size_t nlog, cap_log;
    uint32_t *mn_parent, *mn_arr, *mn_idx;
    size_t nmn, cap_mn;
    uint32_t narr;
    uint32_t *arr_choice, *arr_ep;
    size_t cap_arr;
    uint32_t vstamp;
    uint32_t *trail;
    size_t ntrail, cap_trail;
    long budget;
    char *dbuf, *fbuf, *nbuf;
    size_t cap_dbuf, cap_fbuf, cap_nbuf;
    frame_t stack[EV_MATCH_MAX_DEPTH + 2];
};

ev_match_scratch_t *ev_match_scratch_new(void)
{
    return ev__mx_calloc(1, sizeof(ev_match_scratch_t));
}

void ev_match_scratch_free(ev_match_scratch_t *s)
{
    if (!s)
        return;
    free(s->cl_ep);
    free(s->cl_root);
    free(s->cl_head);
    free(s->cl_last);
    free(s->hits);
    free(s->slot_blk);
    free(s->rule_ep);
    free(s->vm_ep);
    free(s->vm_klo);
    free(s->vm_khi);
    free(s->vm_dlo);
    free(s->vm_dhi);
    free(s->vm_nlo);
    free(s->vm_nhi);
    free(s->out);
    free(s->rstack);
    free(s->log_mn);
    free(s->log_next);
    free(s->mn_parent);
    free(s->mn_arr);
    free(s->mn_idx);
    free(s->arr_choice);
    free(s->arr_ep);
    free(s->trail);
    free(s->dbuf);
    free(s->fbuf);
    free(s->nbuf);
    free(s);
}

/* Grows a zero-filled u32 array from `old` to `n` elements. */
static uint32_t *grow0(uint32_t *p, size_t old, size_t n)
{
    p = ev__mx_realloc(p, (n ? n : 1) * sizeof(uint32_t));
    if (n > old)
        memset(p + old, 0, (n - old) * sizeof(uint32_t));
    return p;
}

static void prepare(ev_match_scratch_t *s, const ev_matcher_t *m)
{
    if (m->nclauses > s->cap_cl) {
        size_t n = m->nclauses;

        s->cl_ep = grow0(s->cl_ep, s->cap_cl, n);
        s->cl_root = grow0(s->cl_root, s->cap_cl, n);
        s->cl_head = grow0(s->cl_head, s->cap_cl, n);
        s->cl_last = grow0(s->cl_last, s->cap_cl, n);
        s->hits = grow0(s->hits, s->cap_cl, n);
        s->cap_cl = (uint32_t)n;
    }
    if (m->nslots > s->cap_slot) {
        s->slot_blk = grow0(s->slot_blk, s->cap_slot, m->nslots);
        s->cap_slot = m->nslots;
    }
    if (m->nrules > s->cap_rule) {
        s->rule_ep = grow0(s->rule_ep, s->cap_rule, m->nrules);
        s->out = ev__mx_realloc(s->out, m->nrules * sizeof(uint64_t));
        s->cap_rule = m->nrules;
    }
    if (m->nvms > s->cap_vm) {
        s->vm_ep = grow0(s->vm_ep, s->cap_vm, m->nvms);
        s->vm_klo = ev__mx_realloc(s->vm_klo, m->nvms * sizeof(uint64_t));
        s->vm_khi = ev__mx_realloc(s->vm_khi, m->nvms * sizeof(uint64_t));
        s->vm_dlo = ev__mx_realloc(s->vm_dlo, m->nvms * sizeof(double));
        s->vm_dhi = ev__mx_realloc(s->vm_dhi, m->nvms * sizeof(double));
        s->vm_nlo = ev__mx_realloc(s->vm_nlo, m->nvms * sizeof(int64_t));
        s->vm_nhi = ev__mx_realloc(s->vm_nhi, m->nvms * sizeof(int64_t));
        s->cap_vm = m->nvms;
    }
    if (m->nrnodes > s->cap_rn) {
        s->rstack = grow0(s->rstack, s->cap_rn, m->nrnodes);
        s->cap_rn = m->nrnodes;
    }
    if (++s->epoch == 0) {
        /* Wrapped: forget every stamp. */
        memset(s->cl_ep, 0, s->cap_cl * sizeof(uint32_t));
        memset(s->cl_root, 0, s->cap_cl * sizeof(uint32_t));
        memset(s->rule_ep, 0, s->cap_rule * sizeof(uint32_t));
        memset(s->vm_ep, 0, s->cap_vm * sizeof(uint32_t));
        s->epoch = 1;
    }
    s->nhits = 0;
    s->nout = 0;
    s->nlog = 0;
    s->nmn = 1;
    s->narr = 0;
    s->budget = VERIFY_BUDGET;
}

static char *buf_for(char **buf, size_t *cap, size_t n)
{
    if (n > *cap) {
        size_t c = *cap ? *cap : 256;

        while (c < n)
            c *= 2;
        free(*buf);
        *buf = ev__mx_alloc(c);
        *cap = c;
    }
    return *buf;
}

/* --- recording hits ---------------------------------------------------------- */

static void log_push(ev_match_scratch_t *s, uint32_t c, uint32_t mn)
{
    if (s->nlog == s->cap_log) {
        size_t n = s->cap_log ? s->cap_log * 2 : 1024;

        s->log_mn = ev__mx_realloc(s->log_mn, n * sizeof(uint32_t));
        s->log_next = ev__mx_realloc(s->log_next, n * sizeof(uint32_t));
        s->cap_log = n;
    }
    s->log_mn[s->nlog] = mn;
    s->log_next[s->nlog] = s->cl_head[c];
    s->cl_head[c] = (uint32_t)s->nlog++;
    s->cl_last[c] = mn;
}

static uint32_t new_mn(ev_match_scratch_t *s, uint32_t parent, uint32_t aid, uint32_t idx);

/* The membership node of the current element of array frame `ad`, made on first use. */
static uint32_t materialize(ev_match_scratch_t *s, uint32_t ad)
{
    frame_t *f = &s->stack[ad];

    if (!f->mn_cache)
        f->mn_cache = new_mn(s, f->ad ? materialize(s, f->ad) : 0, f->aid, f->idx);
    return f->mn_cache;
}

/* Records that clause c holds for a leaf inside array frame `ad` (0: outside all arrays). */
static inline void emit(const ev_matcher_t *m, ev_match_scratch_t *s, uint32_t c, uint32_t ad)
{
    uint32_t mn;
    int first = s->cl_ep[c] != s->epoch;

    if (first) {
        s->cl_ep[c] = s->epoch;
        s->hits[s->nhits++] = c;
    }
    if (ad == 0) {
        s->cl_root[c] = s->epoch;
        return;
    }
    if (!m->cl_track[c] || s->cl_root[c] == s->epoch)
        return;
    /*
     * The membership log of a clause is read only for tracked clauses with
     * no root hit, so it starts here: at their first hit, which is this one.
     */
    if (first) {
        s->cl_head[c] = EV__NONE;
        s->cl_last[c] = EV__NONE;
    }
    mn = materialize(s, ad);
    if (s->cl_last[c] != mn)
        log_push(s, c, mn);
}

static inline void emit_span(const ev_matcher_t *m, ev_match_scratch_t *s, ev__span_t sp,
                             uint32_t mn)
{
    uint32_t i;

    for (i = 0; i < sp.n; i++)
        emit(m, s, m->ids[sp.off + i], mn);
}

static inline void block_span(const ev_matcher_t *m, ev_match_scratch_t *s, ev__span_t sp)
{
    uint32_t i;

    for (i = 0; i < sp.n; i++)
        s->slot_blk[m->ids[sp.off + i]] = s->leaf;
}

/* --- value matchers ------------------------------------------------------------ */

/* Where a number's parts are, for matching it without scanning it again. */
typedef struct {
    const char *ia, *ib, *fa, *fb;
    long exp;
} numparts_t;

static const ev__sent_t *stab_find(const ev__stab_t *t, const char *blob, const char *k, size_t n)
{
    uint64_t h;
    uint32_t i, e;

    if (!ev__stab_len_ok(t, n))
        return NULL;
    if (t->n <= 4) {
        for (i = 0; i < t->n; i++) {
            const ev__sent_t *x = &t->ents[i];

            if (x->len == n &&
                (n == 0 || (blob[x->off] == k[0] && memcmp(blob + x->off, k, n) == 0)))
                return x;
        }
        return NULL;
    }
    h = ev__hash(k, n, 7);
    for (i = (uint32_t)h & t->mask; (e = t->slots[i]) != 0; i = (i + 1) & t->mask) {
        const ev__sent_t *x = &t->ents[e - 1];

        if (x->hash == h && x->len == n && memcmp(blob + x->off, k, n) == 0)
            return x;
    }
    return NULL;
}

static inline void stab_apply(const ev_matcher_t *m, ev_match_scratch_t *s, const ev__stab_t *t,
                       const char *k, size_t n, uint32_t mn)
{
    const ev__sent_t *e = stab_find(t, m->blob, k, n);

    if (e) {
        emit_span(m, s, e->hit, mn);
        block_span(m, s, e->blk);
    }
}

static void trie_visit(const ev_matcher_t *m, ev_match_scratch_t *s, const ev__tnode_t *nd,
                       const char *v, size_t n, uint32_t mn)
{
    uint32_t i;

    emit_span(m, s, nd->hit, mn);
    block_span(m, s, nd->blk);
    for (i = 0; i < nd->wc.n; i++) {
        const ev__wcp_t *w = &m->wcps[m->ids[nd->wc.off + i]];

        if (ev__glob_match(&w->g, v, n)) {
            if (w->negative)
                s->slot_blk[w->target] = s->leaf;
            else
                emit(m, s, w->target, mn);
        }
    }
}

/* Walks a prefix trie (or a suffix trie, reversed) along key; wildcards test `orig`. */
static inline __attribute__((always_inline)) void
trie_walk(const ev_matcher_t *m, ev_match_scratch_t *s, const ev__trie_t *t, const char *key,
          size_t n, int reverse, const char *orig, size_t orig_n, uint32_t mn)
{
    uint32_t node = 0;
    size_t i;

    if (!t->nnodes)
        return;
    if (t->nodes[0].act)
        trie_visit(m, s, &t->nodes[0], orig, orig_n, mn);
    for (i = 0; i < n; i++) {
        const ev__tnode_t *nd = &t->nodes[node];
        uint8_t c = (uint8_t)(reverse ? key[n - 1 - i] : key[i]);
        const uint8_t *eb = t->ebyte + nd->edge_off;
        uint32_t lo = 0, hi = nd->nedge, kid = EV__NONE;

        if (hi == 1) {
            if (eb[0] != c)
                return;
            kid = t->ekid[nd->edge_off];
        } else if (hi <= 8) {
            for (lo = 0; lo < hi; lo++) {
                if (eb[lo] == c) {
                    kid = t->ekid[nd->edge_off + lo];
                    break;
                }
            }
        } else {
            while (lo < hi) {
                uint32_t mid = (lo + hi) / 2;

                if (eb[mid] < c)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < nd->nedge && eb[lo] == c)
                kid = t->ekid[nd->edge_off + lo];
        }
        if (kid == EV__NONE)
            return;
        node = kid;
        if (t->nodes[node].act)
            trie_visit(m, s, &t->nodes[node], orig, orig_n, mn);
    }
}

static int cmp_key(ev__k128_t a, ev__k128_t b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    return a.lo < b.lo ? -1 : a.lo > b.lo;
}

static uint32_t ivs_slot(const ev__ivs_t *v, ev__k128_t key)
{
    uint32_t lo = 0, hi = v->nkeys;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;

        if (cmp_key(v->keys[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < v->nkeys && cmp_key(v->keys[lo], key) == 0) ? 2 * lo + 1 : 2 * lo;
}

static const uint64_t p10i[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
/* Multiplying by these is within one rounding of dividing by 10^n: a rough value can afford it. */
static const double inv_p10[9] = {1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8};

/* The value of 1 <= n <= 8 ASCII digits at p; 8 bytes from p must be readable. */
static inline uint64_t swar8(const char *p, size_t n)
{
    uint64_t v;

    memcpy(&v, p, 8);
    v <<= 8 * (8 - n);
    v = (v & 0x0f0f0f0f0f0f0f0full) * 2561 >> 8;
    v = (v & 0x00ff00ff00ff00ffull) * 6553601 >> 16;
    return (v & 0x0000ffff0000ffffull) * 42949672960001ull >> 32;
}

/* The value of 1 <= n <= 15 ASCII digits at p; 16 bytes from p must be readable. */
static inline uint64_t sw_digits(const char *p, size_t n)
{
    if (n <= 8)
        return swar8(p, n);
    return swar8(p, 8) * p10i[n - 8] + swar8(p + 8, n - 8);
}

/* The double whose order-preserving key is k (inverse of ev__num_key). */
static double key_value(uint64_t k)
{
    uint64_t bits = (k >> 63) ? k & ~(1ull << 63) : ~k;
    double d;

    memcpy(&d, &bits, 8);
    return d;
}

/*
 * A rough value of a plain decimal (no exponent, at most 15 integer digits):
 * the integer part plus the first 8 fraction digits, absolute error < 1e-8.
 */
static inline int rough_value(const numparts_t *np, int neg, const char *lim, double *out)
{
    size_t il = (size_t)(np->ib - np->ia), fl;
    uint64_t ip, fp = 0;
    double v;

    if (np->exp || il > 15 || lim - np->ia < 16 || (np->fa && lim - np->fa < 16))
        return 0;
    ip = sw_digits(np->ia, il);
    v = (double)ip;
    if (np->fa) {
        fl = (size_t)(np->fb - np->fa);
        if (fl > 8)
            fl = 8;
        fp = swar8(np->fa, fl);
        v += (double)fp * inv_p10[fl];
    }
    *out = neg ? -v : v;
    return 1;
}

/*
 * An idle interval's bound d in units of 1e-8, moved 4 units inward (lo: up,
 * else down): num_idle compares a number's integer part and first 8 fraction
 * digits, |value| < 1e16 units, with it. d * 1e8 is off by at most 2 units
 * wherever that matters (below 2^54); beyond +-9e18 units the bound admits
 * every such number or none.
 */
static int64_t fixed8_bound(double d, int lo)
{
    double u = d * 1e8;

    if (u <= -9e18)
        return INT64_MIN;
    if (u >= 9e18)
        return INT64_MAX;
    return lo ? (int64_t)floor(u) + 4 : (int64_t)ceil(u) - 4;
}

/*
 * Number trees have 64-bit keys (the low half is 0): the first endpoint
 * index whose key is >= k.
 */
static inline uint32_t num_lb(const ev__ivs_t *v, uint64_t k)
{
    uint32_t lo = 0, hi = v->nkeys;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;

        if (v->keys[mid].hi < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The elementary slot of key k, given i = num_lb(v, k). */
static inline uint32_t num_slot_at(const ev__ivs_t *v, uint32_t i, uint64_t k)
{
    return (i < v->nkeys && v->keys[i].hi == k) ? 2 * i + 1 : 2 * i;
}

/*
 * Whether exact work on a number whose key lies within [ka, kb] can change
 * anything: 0 if every elementary slot it might fall in is empty, or if it
 * falls in one slot whose clauses this event has already satisfied (and that
 * need no per-leaf record and block no anything-but). When it returns 1 and
 * the range lies in one slot, *slot is that slot (else EV__NONE).
 */
static int ivs_maybe(const ev_matcher_t *m, ev_match_scratch_t *s, const ev__ivs_t *v,
                     uint32_t vmi, uint64_t ka, uint64_t kb, uint32_t *slot)
{
    uint32_t ia, ib, sa, sb, i, x;

    *slot = EV__NONE;
    if (s->vm_ep[vmi] == s->epoch && ka > s->vm_klo[vmi] && kb < s->vm_khi[vmi])
        return 0;
    ia = num_lb(v, ka);
    for (ib = ia; ib < v->nkeys && v->keys[ib].hi < kb; ib++)
        ;
    sa = num_slot_at(v, ia, ka);
    sb = num_slot_at(v, ib, kb);
    for (i = sa; i <= sb; i++) {
        if (v->busy[i])
            break;
    }
    if (i > sb)
        goto idle;
    if (sa != sb)
        return 1;
    *slot = sa;
    for (x = v->size + sa; x >= 1; x >>= 1) {
        const ev__span_t h = v->hit[x];

        if (v->blk[x].n)
            return 1;
        for (i = 0; i < h.n; i++) {
            uint32_t c = m->ids[h.off + i];

            if (s->cl_ep[c] != s->epoch || m->cl_track[c])
                return 1;
        }
    }
idle:
    /* Remember the gap around sa (between two endpoints) as idle for this event. */
    if (sa == sb && !(sa & 1)) {
        s->vm_ep[vmi] = s->epoch;
        s->vm_klo[vmi] = sa ? v->keys[sa / 2 - 1].hi : 0;
        s->vm_khi[vmi] = sa / 2 < v->nkeys ? v->keys[sa / 2].hi : UINT64_MAX;
        s->vm_dlo[vmi] = sa ? key_value(s->vm_klo[vmi]) : -HUGE_VAL;
        s->vm_dhi[vmi] = sa / 2 < v->nkeys ? key_value(s->vm_khi[vmi]) : HUGE_VAL;
        s->vm_nlo[vmi] = fixed8_bound(s->vm_dlo[vmi], 1);
        s->vm_nhi[vmi] = fixed8_bound(s->vm_dhi[vmi], 0);
    }
    return 0;
}

/* Records the hits and blocks of every interval containing elementary slot `slot`. */
static void ivs_emit(const ev_matcher_t *m, ev_match_scratch_t *s, const ev__ivs_t *v,
                     uint32_t slot, uint32_t mn)
{
    uint32_t x;

    for (x = v->size + slot; x >= 1; x >>= 1) {
        emit_span(m, s, v->hit[x], mn);
        block_span(m, s, v->blk[x]);
    }
}

static void ivs_query(const ev_matcher_t *m, ev_match_scratch_t *s, const ev__ivs_t *v,
                      ev__k128_t key, uint32_t mn)
{
    if (v->nkeys)
        ivs_emit(m, s, v, ivs_slot(v, key), mn);
}

static void next_leaf(ev_match_scratch_t *s)
{
    if (++s->leaf == 0) {
        memset(s->slot_blk, 0, s->cap_slot * sizeof(uint32_t));
        s->leaf = 1;
    }
}

static inline void finish_leaf(const ev_matcher_t *m, ev_match_scratch_t *s, const ev__vm_t *vm,
                               uint32_t mn)
{
    uint32_t i, end = vm->ab_base + vm->ab_n, leaf = s->leaf;
    const uint32_t *blk = s->slot_blk;

    if (!(vm->flags & (EV__VM_AB | EV__VM_EXISTS)))
        return;
    for (i = vm->ab_base; i < end; i++) {
        if (blk[i] != leaf)
            emit(m, s, m->slot_clause[i], mn);
    }
    emit_span(m, s, vm->exists, mn);
}

/* Out of line: the scanner's loop keeps more in registers without it. */
static __attribute__((noinline)) void eval_string(const ev_matcher_t *m, ev_match_scratch_t *s,
                                                  const ev__vm_t *vm, const char *v, size_t n,
                                                  uint32_t mn)
{
    uint32_t f = vm->flags;

    next_leaf(s);
    if (f & EV__VM_EXACT)
        stab_apply(m, s, &vm->exact, v, n, mn);
    if (f & EV__VM_PRE)
        trie_walk(m, s, &vm->pre, v, n, 0, v, n, mn);
    if (f & EV__VM_SUF)
        trie_walk(m, s, &vm->suf, v, n, 1, v, n, mn);
    if (f & EV__VM_IC) {
        char *fb = buf_for(&s->fbuf, &s->cap_fbuf, EV__FOLD_MAX(n));
        size_t fn = ev__fold(v, n, fb);

        if (f & EV__VM_EQIC)
            stab_apply(m, s, &vm->eqic, fb, fn, mn);
        if (f & EV__VM_PREIC)
            trie_walk(m, s, &vm->pre_ic, fb, fn, 0, v, n, mn);
        if (f & EV__VM_SUFIC)
            trie_walk(m, s, &vm->suf_ic, fb, fn, 1, v, n, mn);
    }
    if (f & EV__VM_IP) {
        uint8_t ip[16];
        int len = ev__ip_parse(v, n, ip);
        ev__k128_t k = {0, 0};
        int i;

        if (len == 4) {
            for (i = 0; i < 4; i++)
                k.lo = (k.lo << 8) | ip[i];
            ivs_query(m, s, &vm->ip4, k, mn);
        } else if (len == 16) {
            for (i = 0; i < 8; i++)
                k.hi = (k.hi << 8) | ip[i];
            for (i = 8; i < 16; i++)
                k.lo = (k.lo << 8) | ip[i];
            ivs_query(m, s, &vm->ip6, k, mn);
        }
    }
    finish_leaf(m, s, vm, mn);
}

static void eval_number(const ev_matcher_t *m, ev_match_scratch_t *s, const ev__vm_t *vm,
                        const char *v, size_t n, const numparts_t *np, const char *lim,
                        uint32_t mn)
{
    uint32_t f = vm->flags;

    next_leaf(s);
    /*
     * A non-comparable pattern number matches only its own text, and the same
     * text is non-comparable in the event too, so no classification is needed.
     */
    if (f & EV__VM_NUMTEXT)
        stab_apply(m, s, &vm->numtext, v, n, mn);
    if (f & EV__VM_NUM) {
        double d;
        ev__dec_t dec;
        uint32_t vmi = (uint32_t)(vm - m->vms);

        uint32_t slot = EV__NONE;
        uint64_t k;

        /*
         * Most numbers are nowhere near a rule's bounds: skip the exact work
         * for them. A rough value first (absolute error below 1.1e-8 +
         * 4e-16 |d|, see num_idle; two more keys each side for the rounding
         * of d -+ margin), else the decoded estimate (within 4 ulp: +-16 keys).
         */
        if (rough_value(np, *v == '-', lim, &d)) {
            double margin = 1.1e-8 + fabs(d) * 4e-16;
            uint64_t ka = ev__num_key(d - margin), kb = ev__num_key(d + margin);

            /* Inside this event's idle interval for the path: nothing to do, no decode. */
            if (s->vm_ep[vmi] == s->epoch && d - margin > s->vm_dlo[vmi] &&
                d + margin < s->vm_dhi[vmi])
                goto done;
            if (!ivs_maybe(m, s, &vm->num, vmi, ka > 2 ? ka - 2 : 0,
                           kb < UINT64_MAX - 2 ? kb + 2 : UINT64_MAX, &slot))
                goto done;
            if (!np->fa) {
                /* An integer of at most 15 digits: d is exact, and comparable. */
                k = ev__num_key(d);
                if (slot == EV__NONE && vm->num.nkeys)
                    slot = num_slot_at(&vm->num, num_lb(&vm->num, k), k);
                if (slot != EV__NONE)
                    ivs_emit(m, s, &vm->num, slot, mn);
                goto done;
            }
            ev__dec_from_parts(&dec, *v == '-', np->ia, np->ib, np->fa, np->fb, np->exp, lim);
        } else {
            ev__dec_from_parts(&dec, *v == '-', np->ia, np->ib, np->fa, np->fb, np->exp, lim);
            if (ev__dec_estimate(&dec, &d)) {
                k = ev__num_key(d);
                if (!ivs_maybe(m, s, &vm->num, vmi, k > 16 ? k - 16 : 0,
                               k < UINT64_MAX - 16 ? k + 16 : UINT64_MAX, &slot))
                    goto done;
            }
        }
        /* The number's slot is known when its whole error range fell in one. */
        if (ev__dec_classify(&dec, v, n, &d) && vm->num.nkeys) {
            k = ev__num_key(d);
            if (slot == EV__NONE)
                slot = num_slot_at(&vm->num, num_lb(&vm->num, k), k);
            ivs_emit(m, s, &vm->num, slot, mn);
        }
    }
done:
    finish_leaf(m, s, vm, mn);
}

static void eval_literal(const ev_matcher_t *m, ev_match_scratch_t *s, const ev__vm_t *vm,
                         int which, uint32_t mn)
{
    next_leaf(s);
    if (vm->flags & EV__VM_LIT)
        emit_span(m, s, vm->lit[which], mn);
    finish_leaf(m, s, vm, mn);
}

/* --- lexing ------------------------------------------------------------------------ */

/* strtod on a copy of [a, b) (the event is not NUL-terminated). */
static double strtod_copy(ev_match_scratch_t *s, const char *a, const char *b)
{
    char *buf = buf_for(&s->nbuf, &s->cap_nbuf, (size_t)(b - a) + 1);

    memcpy(buf, a, (size_t)(b - a));
    buf[b - a] = '\0';
    return strtod(buf, NULL);
}

/* Out of line: events rarely hold whitespace, and the hot loops stay small without it. */
static __attribute__((noinline)) const char *skip_ws_run(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static inline const char *skip_ws(const char *p, const char *end)
{
    if (p < end && (unsigned char)*p <= ' ')
        p = skip_ws_run(p, end);
    return p;
}

static int hex4(const char *p, uint32_t *cp)
{
    uint32_t v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        char c = p[i];

        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *cp = v;
    return 0;
}

/* Validates one escape at p (just after the backslash); returns the byte after it or NULL. */
static const char *scan_escape(const char *p, const char *end)
{
    uint32_t cp, lo;

    if (p >= end)
        return NULL;
    switch (*p) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        return p + 1;
    case 'u':
        if (end - p < 5 || hex4(p + 1, &cp) != 0 || cp == 0)
            return NULL;
        p += 5;
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return NULL;
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) != 0 ||
                lo < 0xdc00 || lo > 0xdfff)
                return NULL;
            p += 6;
        }
        return p;
    default:
        return NULL;
    }
}

#ifdef __SSE2__
/* Bits of the bytes of v a plain string may not hold as such: '"', '\\', < 0x20, >= 0x80. */
static inline unsigned str_mask(__m128i v)
{
    __m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    __m128i b = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    __m128i c = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f));

    return (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c)) |
           (unsigned)_mm_movemask_epi8(v);
}
#endif

/*
 * Scans a string body from p (after the opening quote). Returns the position
 * after the closing quote, or NULL if the string is invalid or unterminated.
 * *esc is set when the string holds escapes (then it must be decoded).
 */
static inline __attribute__((always_inline)) const char *scan_str(const char *p, const char *end,
                                                                  int *esc)
{
    for (;;) {
#ifdef __SSE2__
        while (end - p >= 16) {
            unsigned mask = str_mask(_mm_loadu_si128((const __m128i *)(const void *)p));

            if (mask) {
                p += __builtin_ctz(mask);
                goto special;
            }
            p += 16;
        }
#endif
        while (p < end) {
            unsigned char c = (unsigned char)*p;

            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
                break;
            p++;
        }
        if (p >= end)
            return NULL;
#ifdef __SSE2__
    special:
#endif
        if (*p == '"')
            return p + 1;
        if (*p == '\\') {
            *esc = 1;
            p = scan_escape(p + 1, end);
            if (!p)
                return NULL;
            continue;
        }
        if ((unsigned char)*p < 0x20)
            return NULL;
        {
            size_t k = ev__utf8_seq((const unsigned char *)p, (const unsigned char *)end);

            if (!k)
                return NULL;
            p += k;
        }
    }
}

static size_t put_utf8(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes a validated string body (without quotes) into out; returns its length. */
static size_t decode_str(const char *p, size_t n, char *out)
{
    const char *end = p + n;
    size_t k = 0;

    while (p < end) {
        uint32_t cp, lo;

        if (*p != '\\') {
            out[k++] = *p++;
            continue;
        }
        p++;
        switch (*p) {
        case 'b':
            out[k++] = '\b';
            break;
        case 'f':
            out[k++] = '\f';
            break;
        case 'n':
            out[k++] = '\n';
            break;
        case 'r':
            out[k++] = '\r';
            break;
        case 't':
            out[k++] = '\t';
            break;
        case 'u':
            hex4(p + 1, &cp);
            p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                hex4(p + 3, &lo);
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
            }
            k += put_utf8(cp, out + k);
            break;
        default:
            out[k++] = *p;
            break;
        }
        p++;
    }
    return k;
}

static const char *scan_num_full(ev_match_scratch_t *s, const char *p, const char *end,
                                 numparts_t *np);

/* The end of a run of ASCII digits starting at p (16 at a time where possible). */
static inline const char *digits(const char *p, const char *end)
{
#ifdef __SSE2__
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i lo = _mm_cmplt_epi8(v, _mm_set1_epi8('0'));
        __m128i hi = _mm_cmpgt_epi8(v, _mm_set1_epi8('9'));
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(lo, hi));

        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/*
 * Scans a JSON number at p. Returns the end, or NULL if malformed or out of
 * jansson's range (integers must fit int64, reals must be finite).
 */
/*
 * The common shapes, -?D+ and -?D+.D+ without an exponent and within 31
 * bytes, with two vector loads: returns the end, or NULL to let scan_num_full
 * decide (anything else, including every malformed number). 33 bytes from p
 * must be readable; num_fast checks that first.
 */
static inline const char *num_fast_at(const char *p, numparts_t *np)
{
#ifdef __SSE2__
    const char *q = p + (*p == '-');
    __m128i v0, v1, lo, hi;
    uint32_t nd, il, fl, rest;
    char c;

    /* Digits become 0x76..0x7f, the only bytes above 0x75 as signed after adding 0x46. */
    lo = _mm_set1_epi8(0x46);
    hi = _mm_set1_epi8(0x75);
    v0 = _mm_add_epi8(_mm_loadu_si128((const __m128i *)(const void *)q), lo);
    v1 = _mm_add_epi8(_mm_loadu_si128((const __m128i *)(const void *)(q + 16)), lo);
    nd = ~((uint32_t)_mm_movemask_epi8(_mm_cmpgt_epi8(v0, hi)) |
           (uint32_t)_mm_movemask_epi8(_mm_cmpgt_epi8(v1, hi)) << 16);
    if (!nd)
        return NULL;
    il = (uint32_t)__builtin_ctz(nd);
    if (il == 0 || il >= 19 || (q[0] == '0' && il > 1))
        return NULL;
    c = q[il];
    np->ia = q;
    np->ib = q + il;
    np->exp = 0;
    if (c == '.') {
        rest = nd >> (il + 1);
        if (!rest)
            return NULL;
        fl = (uint32_t)__builtin_ctz(rest);
        if (fl == 0 || q[il + 1 + fl] == 'e' || q[il + 1 + fl] == 'E')
            return NULL;
        np->fa = q + il + 1;
        np->fb = q + il + 1 + fl;
        return np->fb;
    }
    if (c == 'e' || c == 'E')
        return NULL;
    np->fa = np->fb = NULL;
    return q + il;
#else
    (void)p;
    (void)np;
    return NULL;
#endif
}

/* num_fast_at when 33 bytes from p are readable, else NULL. */
static inline const char *num_fast(const char *p, const char *end, numparts_t *np)
{
    return end - p >= 33 ? num_fast_at(p, np) : NULL;
}

static const char *scan_num_full(ev_match_scratch_t *s, const char *p, const char *end,
                                 numparts_t *np)
{
    const char *start = p, *ip, *ipend, *q;
    int eneg = 0;
    long exp = 0;

    np->fa = np->fb = NULL;
    np->exp = 0;
    if (*p == '-')
        p++;
    if (p >= end)
        return NULL;
    ip = p;
    if (*p == '0') {
        p++;
    } else if ((unsigned)(*p - '1') <= 8) {
        /* Integer parts are short: a plain loop beats setting up vectors. */
        for (p++; p < end && (unsigned)(*p - '0') <= 9; p++)
            ;
    } else {
        return NULL;
    }
    ipend = p;
    np->ia = ip;
    np->ib = ipend;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || (unsigned)(*p - '0') > 9)
            return NULL;
        np->fa = p;
        p = digits(p + 1, end);
        np->fb = p;
    }
    if (p >= end || (*p != 'e' && *p != 'E')) {
        if (np->fa) {
            /* No exponent: below 10^(integer digits), finite unless that is past 308. */
            return ipend - ip < 300 ? p : (isinf(strtod_copy(s, start, p)) ? NULL : p);
        }
        /* An integer must fit int64 (jansson). */
        if (ipend - ip < 19)
            return p;
        if (ipend - ip > 19)
            return NULL;
        return memcmp(ip, *start == '-' ? "9223372036854775808" : "9223372036854775807", 19) > 0
                   ? NULL
                   : p;
    }
    p++;
    if (p < end && (*p == '+' || *p == '-'))
        eneg = *p++ == '-';
    if (p >= end || (unsigned)(*p - '0') > 9)
        return NULL;
    for (; p < end && (unsigned)(*p - '0') <= 9; p++) {
        if (exp < 100000)
            exp = exp * 10 + (*p - '0');
    }
    np->exp = eneg ? -exp : exp;
    /* Real with an exponent: only a magnitude near 1e308 needs strtod to tell if it overflows. */
    {
        long mag;

        if (*ip != '0') {
            mag = (long)(ipend - ip) - 1;
        } else {
            if (!np->fa)
                return p; /* zero, whatever the exponent */
            for (q = np->fa; q < np->fb && *q == '0'; q++)
                ;
            if (q >= np->fb)
                return p; /* zero */
            mag = -(long)(q - np->fa) - 1;
        }
        mag += np->exp;
        if (mag < 308)
            return p;
        if (mag > 308)
            return NULL;
        return isinf(strtod_copy(s, start, p)) ? NULL : p;
    }
}

/* lim: the first byte that may not be read (keys inside the event may be read past). */
static inline __attribute__((always_inline)) uint32_t kmap_find(const ev_matcher_t *m,
                                                                 uint32_t parent, const char *k,
                                                                 size_t n, const char *lim)
{
    const ev__pnode_t *pn = &m->pnodes[parent];
    uint64_t h;
    uint32_t i, e;

    if (pn->nchild <= EV__SMALL_KIDS) {
        const ev__skid_t *sk = m->skids + pn->kid_off;
        uint64_t w = 0;

        /* Compare the first (up to) 8 bytes as one word, then the rest. */
        if (lim - k >= 8) {
            memcpy(&w, k, 8);
            if (n < 8)
                w &= (1ull << (8 * n)) - 1;
        } else {
            memcpy(&w, k, n < 8 ? n : 8);
        }
        if (pn->kmul) {
            i = pn->kslot[ev__kslot(w, n, pn->kmul)];
            if (!i)
                return EV__NONE;
            sk += i - 1;
            if (sk->w8 == w && sk->len == n &&
                (n <= 8 || memcmp(m->blob + sk->off + 8, k + 8, n - 8) == 0))
                return sk->child;
            return EV__NONE;
        }
        for (i = 0; i < pn->nchild; i++) {
            if (sk[i].w8 == w && sk[i].len == n &&
                (n <= 8 || memcmp(m->blob + sk[i].off + 8, k + 8, n - 8) == 0))
                return sk[i].child;
        }
        return EV__NONE;
    }
    h = ev__hash(k, n, parent);
    i = (uint32_t)h & m->kmask;

    while ((e = m->kslots[i]) != 0) {
        const ev__kent_t *ke = &m->kents[e - 1];

        if (ke->hash == h && ke->parent == parent && ke->len == n &&
            memcmp(m->blob + ke->off, k, n) == 0)
            return ke->child;
        i = (i + 1) & m->kmask;
    }
    return EV__NONE;
}

/* The path node of key k under parent; a key with dots walks one segment at a time. */
static inline const char *find_dot(const char *k, const char *end)
{
    if (end - k > 16)
        return memchr(k, '.', (size_t)(end - k));
    for (; k < end; k++) {
        if (*k == '.')
            return k;
    }
    return NULL;
}

/*
 * Whether key k (which missed) may be a dotted key: its first segment must
 * then be a child of parent. Nodes with inline children check each child
 * (`child.` starts k) instead of searching k for a dot.
 */
static inline int dot_prefix_possible(const ev_matcher_t *m, uint32_t parent, const char *k,
                                      size_t n)
{
    const ev__pnode_t *pn = &m->pnodes[parent];
    const ev__skid_t *sk;
    uint32_t i;

    if (pn->nchild > EV__SMALL_KIDS)
        return 1;
    if (!n || !((pn->kfirst >> ((unsigned char)k[0] & 63)) & 1))
        return 0; /* no child followed by '.' can start k */
    sk = m->skids + pn->kid_off;
    for (i = 0; i < pn->nchild; i++) {
        if (sk[i].len < n && k[sk[i].len] == '.' &&
            memcmp(m->blob + sk[i].off, k, sk[i].len) == 0)
            return 1;
    }
    return 0;
}

static inline __attribute__((always_inline)) uint32_t key_step(const ev_matcher_t *m,
                                                                uint32_t parent, const char *k,
                                                                size_t n, const char *lim)
{
    const char *end = k + n, *dot;
    uint32_t child = kmap_find(m, parent, k, n, lim);

    /* Trie keys never hold dots: a direct hit is final, a miss may be a dotted key. */
    if (child != EV__NONE || !dot_prefix_possible(m, parent, k, n) || !(dot = find_dot(k, end)))
        return child;
    for (;;) {
        parent = kmap_find(m, parent, k, (size_t)(dot - k), lim);
        if (parent == EV__NONE)
            return EV__NONE;
        k = dot + 1;
        dot = find_dot(k, end);
        if (!dot)
            return kmap_find(m, parent, k, (size_t)(end - k), lim);
    }
}

/* key_step for a one-byte key other than a dot (which cannot be a dotted key). */
static inline uint32_t key1_find(const ev_matcher_t *m, uint32_t parent, const char *k,
                                 const char *lim)
{
    const ev__pnode_t *pn = &m->pnodes[parent];
    unsigned char c = (unsigned char)*k;
    const ev__skid_t *sk;
    uint32_t i;

    if (pn->k1)
        return m->k1tab[pn->k1 + c - 0x20] - 1; /* 0 - 1 is EV__NONE */
    if (!pn->kmul)
        return key_step(m, parent, k, 1, lim);
    i = pn->kslot[ev__kslot(c, 1, pn->kmul)];
    if (!i)
        return EV__NONE;
    sk = m->skids + pn->kid_off + i - 1;
    return sk->w8 == c && sk->len == 1 ? sk->child : EV__NONE;
}

/*
 * Whether a number needs no work at all: its path tests numbers only with
 * ranges (no anything-but, exists or number texts), and a rough value (the
 * integer part of at most 8 digits plus 8 fraction digits, absolute error
 * below 1.1e-8 + 4e-16 |d|) lies inside this event's idle interval for the
 * path (see ivs_maybe). 8 bytes after each digit run must be readable.
 */
static inline int num_idle(const ev_match_scratch_t *s, uint32_t vflags, uint32_t vmi,
                           const numparts_t *np, int neg)
{
    size_t il = (size_t)(np->ib - np->ia), fl;
    uint64_t u;
    int64_t v;

    if ((vflags & EV__VM_NUMBER) != EV__VM_NUM || s->vm_ep[vmi] != s->epoch ||
        il > 8 || np->exp)
        return 0;
    /*
     * In units of 1e-8, truncated: the value lies within (v - 1, v + 1), and
     * the bounds are 4 units inside the interval (fixed8_bound).
     */
    u = swar8(np->ia, il) * 100000000u;
    if (np->fa) {
        fl = (size_t)(np->fb - np->fa);
        if (fl > 8)
            fl = 8;
        u += swar8(np->fa, fl) * p10i[8 - fl];
    }
    v = neg ? -(int64_t)u : (int64_t)u;
    return v > s->vm_nlo[vmi] && v < s->vm_nhi[vmi];
}

/*
 * Whether a number of n characters needs no work at a path whose only number
 * test is non-comparable number texts: no text of that length is listed.
 */
static inline int num_text_miss(const ev__vm_t *vm, size_t n)
{
    return (vm->flags & EV__VM_NUMBER) == EV__VM_NUMTEXT && !ev__stab_len_ok(&vm->numtext, n);
}

static uint32_t new_mn(ev_match_scratch_t *s, uint32_t parent, uint32_t aid, uint32_t idx)
{
    if (s->nmn >= s->cap_mn) {
        size_t n = s->cap_mn ? s->cap_mn * 2 : 256;

        s->mn_parent = ev__mx_realloc(s->mn_parent, n * sizeof(uint32_t));
        s->mn_arr = ev__mx_realloc(s->mn_arr, n * sizeof(uint32_t));
        s->mn_idx = ev__mx_realloc(s->mn_idx, n * sizeof(uint32_t));
        s->cap_mn = n;
    }
    s->mn_parent[s->nmn] = parent;
    s->mn_arr[s->nmn] = aid;
    s->mn_idx[s->nmn] = idx;
    return (uint32_t)s->nmn++;
}

/* --- skipping what no rule looks at --------------------------------------------------- */

/*
 * Skipping fast paths. skip_key: a key of at most 7 plain ASCII bytes
 * followed directly by ':' (p[0..15] must be readable); returns the byte
 * after the colon or NULL (the general path decides). SWAR over 8 bytes:
 * the lowest flagged byte of each test is exact, so the first special byte
 * is a quote exactly when its quote flag is set.
 */
static inline const char *skip_key(const char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t x, y, z, q, bad, m;
    unsigned b;

    if (*p != '"')
        return NULL;
    if (p[2] == '"' && p[3] == ':' && (unsigned char)(p[1] - 0x20) < 0x60 && p[1] != '"' &&
        p[1] != '\\')
        return p + 4; /* one-byte keys: the commonest in bulky data */
    memcpy(&x, p + 1, 8);
    y = x ^ (ones * '"');
    z = x ^ (ones * '\\');
    q = (y - ones) & ~y & high;
    bad = (x & high) | ((x - ones * 0x20) & ~x & high) | ((z - ones) & ~z & high);
    m = q | bad;
    if (!m)
        return NULL;
    b = (unsigned)__builtin_ctzll(m);
    if (!((q >> b) & 1) || p[(b >> 3) + 2] != ':')
        return NULL;
    return p + (b >> 3) + 3;
#else
    (void)p;
    return NULL;
#endif
}

/*
 * skip_num: validates a number of at most 31 characters with no exponent
 * (and an integer part of at most 18 digits when it has no fraction: those
 * always fit int64). Returns its end, or NULL for the full path to decide.
 * skip_num_at needs 33 readable bytes at p and does not look at the byte
 * after the digits: a number followed by 'e' or 'E' has an exponent, and the
 * caller must then scan it with scan_num_full. skip_num checks both.
 */
static inline const char *skip_num_at(const char *p)
{
#ifdef __SSE2__
    const char *q = p + (*p == '-');
    __m128i v0, v1, off = _mm_set1_epi8(0x46), top = _mm_set1_epi8(0x75);
    uint32_t nd, il, fl;

    /* Digits become 0x76..0x7f, the only bytes above 0x75 as signed after adding 0x46. */
    v0 = _mm_add_epi8(_mm_loadu_si128((const __m128i *)(const void *)q), off);
    v1 = _mm_add_epi8(_mm_loadu_si128((const __m128i *)(const void *)(q + 16)), off);
    nd = ~((uint32_t)_mm_movemask_epi8(_mm_cmpgt_epi8(v0, top)) |
           (uint32_t)_mm_movemask_epi8(_mm_cmpgt_epi8(v1, top)) << 16);
    il = (uint32_t)__builtin_ctz(nd | 0x80000000u);
    if (il - 1 > 28 || (q[0] == '0' && il > 1))
        return NULL;
    if (q[il] == '.') {
        /* The fraction ends at the next non-digit after the dot. */
        nd &= nd - 1;
        fl = (uint32_t)__builtin_ctz(nd | 0x80000000u);
        if (fl == il + 1 || fl == 31)
            return NULL;
        return q + fl;
    }
    if (il > 18)
        return NULL;
    return q + il;
#else
    (void)p;
    return NULL;
#endif
}

static inline const char *skip_num(const char *p, const char *end)
{
    const char *r = end - p >= 33 ? skip_num_at(p) : NULL;

    return r && (*r | 0x20) != 'e' ? r : NULL;
}

/* 1 for the bytes a one-byte fast-path key may be: printable ASCII but '"' and '\\'. */
static const uint8_t key1_ok[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/*
 * A one-byte key and its colon, `"k":`, in the 4 bytes at p (any printable
 * ASCII byte but a quote or a backslash): the commonest key in bulky data.
 */
static inline int key1_at(const char *p)
{
    uint32_t w;

    memcpy(&w, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (w & 0xffff00ffu) == 0x3a220022u && key1_ok[(unsigned char)p[1]];
#else
    (void)w;
    return p[0] == '"' && p[2] == '"' && p[3] == ':' && key1_ok[(unsigned char)p[1]];
#endif
}

/* Bytes readable past p for the unchecked fast paths of skip_container (numbers need 33). */
#define FAST_ROOM 64

/*
 * Validates and skips the container at p ('{' or '['), entered at nesting
 * `depth` (its own depth is depth + 1). Returns the byte after it, or NULL if
 * it is malformed or nests deeper than EV_MATCH_MAX_DEPTH. The same checks
 * as the scanner, without any path or membership bookkeeping. While at least
 * FAST_ROOM bytes remain, the common tokens are read without bounds checks:
 * a number and the comma or bracket after it, a one-byte key and its colon.
 */
static const char *skip_container(ev_match_scratch_t *s, const char *p, const char *end, int depth)
{
    uint8_t kind[EV_MATCH_MAX_DEPTH + 2]; /* 1: object, 2: array */
    const char *fast = end - p > FAST_ROOM ? end - FAST_ROOM : p, *num_at = NULL;
    int d = depth, esc, obj;
    numparts_t np;
    const char *r;
    char c;

open:
    if (++d > EV_MATCH_MAX_DEPTH)
        return NULL;
    obj = *p == '{';
    kind[d] = obj ? 1 : 2;
    if (obj && p < fast && key1_at(p + 1)) {
        p += 5;
        goto key_done;
    }
    p++;
    p = skip_ws(p, end);
    if (p >= end)
        return NULL;
    if (*p == (obj ? '}' : ']')) {
        p++;
        goto closed;
    }
    if (!obj)
        goto value;
key:
    if (p < fast) {
        if (key1_at(p)) {
            p += 4;
            goto key_done;
        }
        if ((r = skip_key(p)) != NULL) {
            p = r;
            goto key_done;
        }
    }
    if (p >= end || *p != '"')
        return NULL;
    p = scan_str(p + 1, end, &esc);
    if (!p)
        return NULL;
    if (p < end && *p == ':') {
        p++;
    } else {
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return NULL;
        p++;
    }
key_done:
    p = skip_ws(p, end);
value:
    if (p >= end)
        return NULL;
    c = *p;
    if ((unsigned char)(c - '0') < 10 || c == '-') {
        if (p < fast && (r = skip_num_at(p)) != NULL) {
            /* Plain number: an exponent after it shows up below, as an unexpected byte. */
            num_at = p;
            p = r;
            goto scalar_done;
        }
        num_at = NULL;
        r = skip_num(p, end);
        p = r ? r : scan_num_full(s, p, end, &np);
        if (!p)
            return NULL;
        goto scalar_done;
    }
    num_at = NULL;
    if ((c | 0x20) == '{') /* '{' or '[' */
        goto open;
    if (c == '"') {
        p = scan_str(p + 1, end, &esc);
        if (!p)
            return NULL;
        goto next;
    }
    switch (c) {
    case 't':
        if (end - p < 4 || memcmp(p, "true", 4) != 0)
            return NULL;
        p += 4;
        break;
    case 'f':
        if (end - p < 5 || memcmp(p, "false", 5) != 0)
            return NULL;
        p += 5;
        break;
    case 'n':
        if (end - p < 4 || memcmp(p, "null", 4) != 0)
            return NULL;
        p += 4;
        break;
    default:
        return NULL;
    }
scalar_done:
    /*
     * A comma right after the number or literal, then (in objects) a one-byte
     * key; or the closing bracket.
     */
    if (p < fast) {
        c = *p;
        if (c == ',') {
            if (obj && key1_at(p + 1)) {
                p += 5;
                goto key_done;
            }
            p++;
            if ((unsigned char)*p <= ' ')
                p = skip_ws(p, end);
            if (obj)
                goto key;
            goto value;
        }
        if (c == (obj ? '}' : ']')) {
            p++;
            goto closed;
        }
    }
    if (num_at && (*p | 0x20) == 'e') {
        p = scan_num_full(s, num_at, end, &np);
        if (!p)
            return NULL;
    }
    if (p < end && *p == '\0')
        p++; /* jansson drops one NUL after a number or literal */
next:
    if (p >= end)
        return NULL;
    c = *p;
    if (c == ',') {
        p++;
        p = skip_ws(p, end);
        if (obj)
            goto key;
        goto value;
    }
    if (c == (obj ? '}' : ']')) {
        p++;
        goto closed;
    }
    if ((unsigned char)c > ' ')
        return NULL;
    p = skip_ws(p, end);
    if (p >= end || (unsigned char)*p <= ' ')
        return NULL;
    goto next;
closed:
    if (--d == depth)
        return p;
    obj = kind[d] == 1;
    if (p < fast && *p == ',') {
        p++;
        if ((unsigned char)*p <= ' ')
            p = skip_ws(p, end);
        if (obj)
            goto key;
        goto value;
    }
    goto next;
}

/* --- the scanner ------------------------------------------------------------------- */

static ev_match_rc scan(const ev_matcher_t *m, ev_match_scratch_t *s, const char *p,
                        const char *end)
{
    frame_t *st = s->stack;
    int depth = 0, in_arr = 0;
    uint32_t pn = 0, mn = 0, vmi; /* mn: the `ad` of the value being scanned */
    uint32_t cpn = EV__NONE;      /* path node of the innermost container */
    const char *q, *fast = end - p > FAST_ROOM ? end - FAST_ROOM : p;
    int esc;
    numparts_t np;
    char c;

    /* Containers live at depth 1..EV_MATCH_MAX_DEPTH; depth 0 is the top level. */
    st[0].arr = 0;
    st[0].pn = EV__NONE;
    st[0].ad = 0;
    st[0].idx = 0;
    p = skip_ws(p, end);
    if (p >= end)
        return EV_MATCH_MALFORMED;
    if (*p != '{') {
        /* Still validate the value: malformed and non-object answer differently. */
        st[0].idx = 1; /* not an object */
        pn = EV__NONE;
        goto value;
    }

obj_open:
    if (++depth > EV_MATCH_MAX_DEPTH)
        return EV_MATCH_MALFORMED;
    in_arr = 0;
    cpn = (pn != EV__NONE && m->pnodes[pn].nchild) ? pn : EV__NONE;
    st[depth].arr = 0;
    st[depth].pn = cpn;
    st[depth].ad = mn;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
        goto pop;
    }

key:
    if (p < fast) {
        if (key1_at(p)) {
            /* `"k":` - a one-byte key. */
            if (cpn == EV__NONE)
                pn = EV__NONE;
            else if (p[1] != '.')
                pn = key1_find(m, cpn, p + 1, end);
            else
                pn = key_step(m, cpn, p + 1, 1, end);
            p += 4;
            c = *p;
            if ((unsigned char)(c - '0') < 10 || c == '-')
                goto number; /* `"x":-122.4,` in bulky data */
            if ((unsigned char)c <= ' ')
                p = skip_ws(p, end);
            goto value;
        }
#ifdef __SSE2__
        if (*p == '"') {
            /*
             * `"key":` with a plain key of at most 15 bytes (no escape, no
             * control or non-ASCII byte), found with one vector compare.
             */
            unsigned sm = str_mask(_mm_loadu_si128((const __m128i *)(const void *)(p + 1)));
            size_t kn = (size_t)__builtin_ctz(sm | 0x10000u);

            if (p[1 + kn] == '"' && p[2 + kn] == ':') {
                pn = cpn != EV__NONE ? key_step(m, cpn, p + 1, kn, end) : EV__NONE;
                p += kn + 3;
                if ((unsigned char)*p <= ' ')
                    p = skip_ws(p, end);
                goto value;
            }
        }
#endif
    }
    if (p >= end || *p != '"')
        return EV_MATCH_MALFORMED;
    esc = 0;
    q = scan_str(p + 1, end, &esc);
    if (!q)
        return EV_MATCH_MALFORMED;
    pn = EV__NONE;
    if (cpn != EV__NONE) {
        const char *k = p + 1;
        size_t kn = (size_t)(q - 1 - k);

        if (esc) {
            char *d = buf_for(&s->dbuf, &s->cap_dbuf, kn + 1);

            kn = decode_str(k, kn, d);
            k = d;
            pn = key_step(m, cpn, k, kn, k + kn);
        } else {
            pn = key_step(m, cpn, k, kn, end);
        }
    }
    p = skip_ws(q, end);
    if (p >= end || *p != ':')
        return EV_MATCH_MALFORMED;
    p = skip_ws(p + 1, end);

value:
    if (p >= end)
        return EV_MATCH_MALFORMED;
    c = *p;
    if ((unsigned char)(c - '0') < 10 || c == '-') {
    number:
        q = p < fast ? num_fast_at(p, &np) : num_fast(p, end, &np);
        if (!q)
            q = scan_num_full(s, p, end, &np);
        if (!q)
            return EV_MATCH_MALFORMED;
        if (pn != EV__NONE && (m->pnodes[pn].vflags & EV__VM_NUMBER)) {
            vmi = m->pnodes[pn].vm;
            if (!(p < fast && num_idle(s, m->pnodes[pn].vflags, vmi, &np, c == '-')) &&
                !num_text_miss(&m->vms[vmi], (size_t)(q - p)))
                eval_number(m, s, &m->vms[vmi], p, (size_t)(q - p), &np, end, mn);
        }
        p = q;
        goto scalar_done;
    }
    vmi = pn != EV__NONE ? m->pnodes[pn].vm : EV__NONE;
    switch (c) {
    case '"':
        esc = 0;
        q = scan_str(p + 1, end, &esc);
        if (!q)
            return EV_MATCH_MALFORMED;
        if (vmi != EV__NONE && (m->vms[vmi].flags & EV__VM_STR)) {
            const char *v = p + 1;
            size_t vn = (size_t)(q - 1 - v);

            if (esc) {
                char *d = buf_for(&s->dbuf, &s->cap_dbuf, vn + 1);

                vn = decode_str(v, vn, d);
                v = d;
            }
            if ((m->vms[vmi].flags & EV__VM_STR) == EV__VM_EXACT) {
                /* Exact strings only: one table probe, no call. */
                next_leaf(s);
                stab_apply(m, s, &m->vms[vmi].exact, v, vn, mn);
            } else {
                eval_string(m, s, &m->vms[vmi], v, vn, mn);
            }
        }
        p = q;
        goto after;
    case '{':
    element_obj:
        if (pn == EV__NONE || m->pnodes[pn].nchild == 0)
            goto skip;
        goto obj_open;
    case '[':
        if (pn == EV__NONE)
            goto skip;
        if (++depth > EV_MATCH_MAX_DEPTH)
            return EV_MATCH_MALFORMED;
        in_arr = 1;
        cpn = pn;
        st[depth].arr = 1;
        st[depth].pn = pn;
        st[depth].ad = mn;
        st[depth].idx = 0;
        st[depth].aid = 0;
        st[depth].mn_cache = 0;
        p = skip_ws(p + 1, end);
        if (p < end && *p == ']') {
            p++;
            goto pop;
        }
        if (m->any_track) {
            st[depth].aid = s->narr++;
            mn = (uint32_t)depth;
        }
        goto value;
    case 't':
        if (end - p < 4 || memcmp(p, "true", 4) != 0)
            return EV_MATCH_MALFORMED;
        if (vmi != EV__NONE && (m->vms[vmi].flags & EV__VM_LITERAL))
            eval_literal(m, s, &m->vms[vmi], 1, mn);
        p += 4;
        break;
    case 'f':
        if (end - p < 5 || memcmp(p, "false", 5) != 0)
            return EV_MATCH_MALFORMED;
        if (vmi != EV__NONE && (m->vms[vmi].flags & EV__VM_LITERAL))
            eval_literal(m, s, &m->vms[vmi], 2, mn);
        p += 5;
        break;
    case 'n':
        if (end - p < 4 || memcmp(p, "null", 4) != 0)
            return EV_MATCH_MALFORMED;
        if (vmi != EV__NONE && (m->vms[vmi].flags & EV__VM_LITERAL))
            eval_literal(m, s, &m->vms[vmi], 0, mn);
        p += 4;
        break;
    default:
        return EV_MATCH_MALFORMED;
    }
scalar_done:
    /*
     * jansson quirk: one NUL byte right after a number or literal is dropped
     * (its reader mistakes the pushed-back NUL for an empty buffer).
     */
    if (p < end && *p == '\0')
        p++;
    goto after;

skip:
    p = skip_container(s, p, end, depth);
    if (!p)
        return EV_MATCH_MALFORMED;

after:
    if (p < fast && depth) {
        /* The common case, a comma or the closing bracket right after the value. */
        c = *p;
        if (c == ',') {
            p++;
            if ((unsigned char)*p <= ' ')
                p = skip_ws(p, end);
            if (!in_arr)
                goto key;
            goto next_elem;
        }
        if (c == (in_arr ? ']' : '}')) {
            p++;
            goto pop;
        }
    }
    p = skip_ws(p, end);
    if (depth == 0)
        goto done;
    if (p >= end)
        return EV_MATCH_MALFORMED;
    if (!in_arr) {
        if (*p == ',') {
            p = skip_ws(p + 1, end);
            goto key;
        }
        if (*p != '}')
            return EV_MATCH_MALFORMED;
        p++;
        goto pop;
    }
    if (*p == ',') {
        p = skip_ws(p + 1, end);
    next_elem:
        pn = cpn;
        st[depth].idx++;
        st[depth].mn_cache = 0;
        mn = m->any_track ? (uint32_t)depth : st[depth].ad;
        if (p < fast && *p == '{')
            goto element_obj; /* arrays of objects: no value dispatch */
        goto value;
    }
    if (*p != ']')
        return EV_MATCH_MALFORMED;
    p++;

pop:
    mn = st[depth].ad;
    depth--;
    in_arr = st[depth].arr;
    cpn = st[depth].pn;
    goto after;

done:
    if (p != end)
        return EV_MATCH_MALFORMED;
    return s->stack[0].idx ? EV_MATCH_NOT_OBJECT : EV_MATCH_OK;
}

/* --- array consistency and exists:false ------------------------------------------ */

static int mn_consistent(const ev_match_scratch_t *s, uint32_t x)
{
    for (; x != 0; x = s->mn_parent[x]) {
        uint32_t a = s->mn_arr[x];

        if (s->arr_ep[a] == s->vstamp && s->arr_choice[a] != s->mn_idx[x])
            return 0;
    }
    return 1;
}

static void mn_apply(ev_match_scratch_t *s, uint32_t x)
{
    for (; x != 0; x = s->mn_parent[x]) {
        uint32_t a = s->mn_arr[x];

        if (s->arr_ep[a] != s->vstamp) {
            s->arr_ep[a] = s->vstamp;
            s->arr_choice[a] = s->mn_idx[x];
            if (s->ntrail == s->cap_trail) {
                s->cap_trail = s->cap_trail ? s->cap_trail * 2 : 256;
                s->trail = ev__mx_realloc(s->trail, s->cap_trail * sizeof(uint32_t));
            }
            s->trail[s->ntrail++] = a;
        }
    }
}

static void undo_to(ev_match_scratch_t *s, size_t mark)
{
    while (s->ntrail > mark)
        s->arr_ep[s->trail[--s->ntrail]] = 0;
}

/* 1 if no hit of presence clause p is consistent with the current choice. */
static int absent_ok(const ev_match_scratch_t *s, uint32_t p)
{
    uint32_t h;

    if (s->cl_ep[p] != s->epoch)
        return 1;
    if (s->cl_root[p] == s->epoch)
        return 0;
    for (h = s->cl_head[p]; h != EV__NONE; h = s->log_next[h]) {
        if (mn_consistent(s, s->log_mn[h]))
            return 0;
    }
    return 1;
}

/* Search over items in path order; 1 found, 0 none, -1 out of budget. */
static int vsearch(ev_match_scratch_t *s, const ev__item_t *it, uint32_t n, uint32_t i)
{
    uint32_t h;
    int r;

    if (i == n)
        return 1;
    if (--s->budget < 0)
        return -1;
    if (it[i].kind != EV__IT_ABS) {
        uint32_t c = it[i].clause;

        if (s->cl_ep[c] == s->epoch) {
            if (s->cl_root[c] == s->epoch)
                return vsearch(s, it, n, i + 1); /* a root leaf constrains nothing */
            for (h = s->cl_head[c]; h != EV__NONE; h = s->log_next[h]) {
                size_t mark = s->ntrail;

                if (!mn_consistent(s, s->log_mn[h]))
                    continue;
                mn_apply(s, s->log_mn[h]);
                r = vsearch(s, it, n, i + 1);
                undo_to(s, mark);
                if (r != 0)
                    return r;
            }
        }
        if (it[i].kind == EV__IT_REQ)
            return 0;
    }
    if (!absent_ok(s, it[i].presence))
        return 0;
    return vsearch(s, it, n, i + 1);
}

/* Decides a conjunct whose REQ clauses all have hits. 1, 0, or -1 (budget). */
static int conj_holds(const ev_matcher_t *m, ev_match_scratch_t *s, const ev__conj_t *cj)
{
    const ev__item_t *it = m->items + cj->item_off;
    uint32_t i, loose = 0;

    if (cj->nitem <= 1) {
        /*
         * One item constrains no array choice, and its clauses are not
         * tracked (their hits inside arrays are not logged): any hit counts.
         */
        if (!cj->has_neg || cj->nitem == 0)
            return 1;
        if (it[0].kind == EV__IT_OPT && s->cl_ep[it[0].clause] == s->epoch)
            return 1;
        return s->cl_ep[it[0].presence] != s->epoch;
    }
    for (i = 0; i < cj->nitem; i++) {
        if (it[i].kind == EV__IT_REQ && s->cl_root[it[i].clause] != s->epoch)
            loose++;
        else if (it[i].kind == EV__IT_ABS && s->cl_root[it[i].presence] == s->epoch)
            return 0; /* a leaf outside all arrays is consistent with any choice */
        else if (it[i].kind == EV__IT_ABS && s->cl_ep[it[i].presence] == s->epoch)
            loose += 2;
        else if (it[i].kind == EV__IT_OPT && s->cl_root[it[i].clause] != s->epoch &&
                 s->cl_ep[it[i].presence] == s->epoch)
            loose += 2;
    }
    if (loose <= 1)
        return 1;
    if (s->narr > s->cap_arr) {
        s->arr_choice = ev__mx_realloc(s->arr_choice, s->narr * sizeof(uint32_t));
        s->arr_ep = grow0(s->arr_ep, s->cap_arr, s->narr);
        s->cap_arr = s->narr;
    }
    if (++s->vstamp == 0) {
        memset(s->arr_ep, 0, s->cap_arr * sizeof(uint32_t));
        s->vstamp = 1;
    }
    s->ntrail = 0;
    return vsearch(s, it, cj->nitem, 0);
}

/* --- the rule trie ------------------------------------------------------------------ */

/* Checks the terminal conjuncts of rule-trie node rn; -1 when out of budget. */
static inline int collect_terms(const ev_matcher_t *m, ev_match_scratch_t *s,
                                const ev__rnode_t *rn)
{
    uint32_t i;

    for (i = 0; i < rn->nterm; i++) {
        const ev__conj_t *cj = &m->conjs[m->ids[rn->term_off + i]];
        int r;

        if (s->rule_ep[cj->rule] == s->epoch)
            continue;
        r = conj_holds(m, s, cj);
        if (r < 0)
            return -1;
        if (r) {
            s->rule_ep[cj->rule] = s->epoch;
            s->out[s->nout++] = m->tags[cj->rule];
        }
    }
    return 0;
}

/*
 * The root's children are found from the clauses hit (ev_matcher.cdir), and
 * the rules a single clause decides are reported from there without a visit:
 * such a rule has no other conjunct, so it cannot be reported twice.
 */
static ev_match_rc collect(const ev_matcher_t *m, ev_match_scratch_t *s)
{
    uint32_t sp = 0, i, j, nout, nhits = s->nhits;
    const uint32_t *hits = s->hits;
    uint64_t *out = s->out;

    if (collect_terms(m, s, &m->rnodes[0]) < 0)
        return EV_MATCH_TOO_COMPLEX;
    nout = s->nout;
    for (i = 0; i < nhits; i++) {
        const ev__cdir_t *cd = &m->cdir[hits[i]];
        const uint64_t *d = m->dtags + cd->direct.off;
        uint32_t dn = cd->direct.n;

        for (j = 0; j < dn; j++)
            out[nout + j] = d[j];
        nout += dn;
        if (cd->rkid)
            s->rstack[sp++] = cd->rkid;
    }
    s->nout = nout;
    while (sp) {
        const ev__rnode_t *rn = &m->rnodes[s->rstack[--sp]];

        if (collect_terms(m, s, rn) < 0)
            return EV_MATCH_TOO_COMPLEX;
        if (!rn->nkid)
            continue;
        if (rn->nkid <= 4 * s->nhits) {
            for (i = 0; i < rn->nkid; i++) {
                if (s->cl_ep[m->kid_clause[rn->kid_off + i]] == s->epoch)
                    s->rstack[sp++] = m->kid_node[rn->kid_off + i];
            }
        } else {
            const uint32_t *kc = m->kid_clause + rn->kid_off;

            for (i = 0; i < s->nhits; i++) {
                uint32_t c = s->hits[i], lo = 0, hi = rn->nkid;

                while (lo < hi) {
                    uint32_t mid = (lo + hi) / 2;

                    if (kc[mid] < c)
                        lo = mid + 1;
                    else
                        hi = mid;
                }
                if (lo < rn->nkid && kc[lo] == c)
                    s->rstack[sp++] = m->kid_node[rn->kid_off + lo];
            }
        }
    }
    return EV_MATCH_OK;
}

ev_match_rc ev_matcher_match(const ev_matcher_t *m, const char *json, size_t len,
                             ev_match_scratch_t *s, const uint64_t **tags, size_t *ntags)
{
    ev_match_rc rc;

    *tags = NULL;
    *ntags = 0;
    prepare(s, m);
    rc = scan(m, s, json, json + len);
    if (rc == EV_MATCH_OK)
        rc = collect(m, s);
    if (rc != EV_MATCH_OK)
        return rc;
    *tags = s->out;
    *ntags = s->nout;
    return EV_MATCH_OK;
}
