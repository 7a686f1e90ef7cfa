/*
 * match/wildcard.c - the `wildcard` operator: syntax check with event-ruler's
 * messages, glob matching, and the rule complexity limit.
 *
 * A wildcard is literal bytes and '*' (any run of bytes, possibly empty);
 * "\\*" and "\\\\" escape a star and a backslash, any other backslash is an
 * error, and "**" is refused. Error positions count bytes of the pattern as
 * event-ruler sees it, i.e. with the opening quote, hence "+ 1".
 *
 * Matching splits the glob into literal segments S0*S1*...*Sk: the value must
 * start with S0, end with Sk, and contain S1..Sk-1 in order in between;
 * taking the leftmost occurrence of each middle segment is always safe.
 *
 * Complexity follows event-ruler's MachineComplexityEvaluator: the largest
 * number of wildcard-pattern prefixes (positions in the quoted patterns of one
 * field) that a single input value can match at the same time, summed over
 * the field's wildcard patterns. AWS refuses a rule above a limit it does not
 * publish; the recorded and observed cases put it at 10
 * (EV_MATCH_MAX_WILDCARD_COMPLEXITY; docs/internals/match.md).
 */
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

char *ev__wc_check(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] == '*') {
            if (i + 1 < n && s[i + 1] == '*')
                return ev__mx_printf("Consecutive wildcard characters at pos %zu", i + 1);
        } else if (s[i] == '\\') {
            if (i + 1 < n && (s[i + 1] == '*' || s[i + 1] == '\\')) {
                i++;
                continue;
            }
            return ev__mx_printf("Invalid escape character at pos %zu", i + 1);
        }
    }
    return NULL;
}

void ev__glob_init(ev__glob_t *g, const char *s, size_t n)
{
    size_t i, k = 0, nseg = 1;

    for (i = 0; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '*')
            nseg++;
    }
    g->nseg = (uint32_t)nseg;
    g->off = ev__mx_alloc(nseg * sizeof(uint32_t));
    g->len = ev__mx_alloc(nseg * sizeof(uint32_t));
    g->bytes = ev__mx_alloc(n + 1);
    nseg = 0;
    g->off[0] = 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n) {
            g->bytes[k++] = s[++i];
        } else if (s[i] == '*') {
            g->len[nseg] = (uint32_t)(k - g->off[nseg]);
            nseg++;
            g->off[nseg] = (uint32_t)k;
        } else {
            g->bytes[k++] = s[i];
        }
    }
    g->len[nseg] = (uint32_t)(k - g->off[nseg]);
    g->bytes[k] = '\0';
}

void ev__glob_free(ev__glob_t *g)
{
    free(g->off);
    free(g->len);
    free(g->bytes);
    memset(g, 0, sizeof(*g));
}

int ev__glob_match(const ev__glob_t *g, const char *s, size_t n)
{
    const char *first = g->bytes + g->off[0], *last;
    size_t l0 = g->len[0], ll, lo, hi, i;

    if (g->nseg == 1)
        return n == l0 && memcmp(s, first, n) == 0;
    ll = g->len[g->nseg - 1];
    last = g->bytes + g->off[g->nseg - 1];
    if (n < l0 + ll || memcmp(s, first, l0) != 0 || memcmp(s + n - ll, last, ll) != 0)
        return 0;
    lo = l0;
    hi = n - ll;
    for (i = 1; i + 1 < g->nseg; i++) {
        const char *hit;

        if (hi - lo < g->len[i])
            return 0;
        hit = memmem(s + lo, hi - lo, g->bytes + g->off[i], g->len[i]);
        if (!hit)
            return 0;
        lo = (size_t)(hit - s) + g->len[i];
    }
    return 1;
}

/* --- complexity -------------------------------------------------------------- */

#define TOK_STAR 256
#define MAX_DFA_STATES 50000
/*
 * Work allowed to one evaluation (NFA positions visited over all subset
 * transitions): with long literals between stars the subset automaton is a
 * product of every pattern's progress and can take seconds to explore. A
 * field whose evaluation needs more is reported as too complex (Inferred:
 * AWS's own bound is not documented; no realistic pattern comes near it).
 */
#define MAX_DFA_WORK 10000000

typedef struct {
    uint16_t *tok;   /* all patterns' tokens back to back */
    uint32_t *base;  /* first token of each pattern */
    uint32_t *ntok;
    uint32_t npat;
    uint32_t total;  /* positions are global: base[k] + p for p in 0..ntok[k] */
    uint32_t *owner; /* global position -> pattern */
} wc_nfa_t;

/* Sorted-set hash table of visited DFA states. */
typedef struct {
    uint32_t *slots; /* 1 + index into starts, 0 = empty */
    size_t cap;
    EV__VEC(uint32_t) data;   /* concatenated sets */
    EV__VEC(uint32_t) starts; /* set i = data[starts[i] .. starts[i+1]) */
} setdb_t;

static uint64_t set_hash(const uint32_t *s, size_t n)
{
    return ev__hash(s, n * sizeof(uint32_t), 0x5e7);
}

/* Adds a set; returns 1 if new. */
static int setdb_add(setdb_t *db, const uint32_t *s, size_t n)
{
    size_t i, nsets;
    uint64_t h;

    if (db->starts.n == 0)
        EV__VEC_PUSH(&db->starts, 0u);
    nsets = db->starts.n - 1;
    if ((nsets + 1) * 2 > db->cap) {
        size_t ncap = db->cap ? db->cap * 2 : 1024, k;
        uint32_t *ns = ev__mx_calloc(ncap, sizeof(uint32_t));

        for (k = 0; k < nsets; k++) {
            const uint32_t *e = db->data.p + db->starts.p[k];
            size_t en = db->starts.p[k + 1] - db->starts.p[k];

            h = set_hash(e, en);
            for (i = h & (ncap - 1); ns[i]; i = (i + 1) & (ncap - 1))
                ;
            ns[i] = (uint32_t)k + 1;
        }
        free(db->slots);
        db->slots = ns;
        db->cap = ncap;
    }
    h = set_hash(s, n);
    for (i = h & (db->cap - 1); db->slots[i]; i = (i + 1) & (db->cap - 1)) {
        size_t k = db->slots[i] - 1;
        size_t en = db->starts.p[k + 1] - db->starts.p[k];

        if (en == n && memcmp(db->data.p + db->starts.p[k], s, n * sizeof(uint32_t)) == 0)
            return 0;
    }
    db->slots[i] = (uint32_t)nsets + 1;
    for (size_t k = 0; k < n; k++)
        EV__VEC_PUSH(&db->data, s[k]);
    EV__VEC_PUSH(&db->starts, (uint32_t)db->data.n);
    return 1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

/* Sorts a position set: insertion sort for the usual handful, qsort beyond. */
static void sort_set(uint32_t *v, size_t n)
{
    size_t i, j;

    if (n > 24) {
        qsort(v, n, sizeof(uint32_t), cmp_u32);
        return;
    }
    for (i = 1; i < n; i++) {
        uint32_t x = v[i];

        for (j = i; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Adds position g and, through empty stars, the positions after them. */
static void add_closure(const wc_nfa_t *nfa, uint32_t g, uint32_t *set, size_t *n, uint8_t *mark)
{
    for (;;) {
        uint32_t k = nfa->owner[g], p = g - nfa->base[k];

        if (!mark[g]) {
            mark[g] = 1;
            set[(*n)++] = g;
        }
        if (p < nfa->ntok[k] && nfa->tok[nfa->base[k] + p] == TOK_STAR)
            g++;
        else
            break;
    }
}

uint32_t ev__wc_complexity(const ev__str_t *pats, size_t npat, uint32_t cap, int quoted)
{
    wc_nfa_t nfa;
    setdb_t db;
    uint8_t *mark;
    uint16_t syms[257];
    uint32_t seen[257];
    size_t i, k, total = 0, head = 0, work = 0;
    uint32_t *cur, *next, best = 0;
    EV__VEC(uint32_t) queue;

    memset(&nfa, 0, sizeof(nfa));
    memset(&db, 0, sizeof(db));
    memset(&queue, 0, sizeof(queue));
    memset(seen, 0, sizeof(seen));
    for (k = 0; k < npat; k++)
        total += pats[k].n + 3; /* quotes + position 0 */
    nfa.tok = ev__mx_alloc(total * sizeof(uint16_t));
    nfa.base = ev__mx_alloc((npat + 1) * sizeof(uint32_t));
    nfa.ntok = ev__mx_alloc((npat + 1) * sizeof(uint32_t));
    nfa.owner = ev__mx_alloc(total * sizeof(uint32_t));
    nfa.npat = (uint32_t)npat;
    total = 0;
    for (k = 0; k < npat; k++) {
        const char *s = pats[k].p;
        size_t n = pats[k].n, t = 0;
        uint16_t *tok = nfa.tok + total;

        nfa.base[k] = (uint32_t)total;
        if (quoted)
            tok[t++] = '"';
        for (i = 0; i < n; i++) {
            if (s[i] == '\\' && i + 1 < n)
                tok[t++] = (unsigned char)s[++i];
            else if (s[i] == '*')
                tok[t++] = TOK_STAR;
            else
                tok[t++] = (unsigned char)s[i];
        }
        if (quoted)
            tok[t++] = '"';
        nfa.ntok[k] = (uint32_t)t;
        for (i = 0; i <= t; i++)
            nfa.owner[total + i] = (uint32_t)k;
        total += t + 1;
    }
    nfa.total = (uint32_t)total;
    mark = ev__mx_calloc(total ? total : 1, 1);
    cur = ev__mx_alloc((total + 1) * sizeof(uint32_t));
    next = ev__mx_alloc((total + 1) * sizeof(uint32_t));

    /* Initial state: position 0 of every pattern (not counted). */
    {
        size_t n = 0;

        for (k = 0; k < npat; k++)
            add_closure(&nfa, nfa.base[k], cur, &n, mark);
        for (i = 0; i < n; i++)
            mark[cur[i]] = 0;
        sort_set(cur, n);
        setdb_add(&db, cur, n);
        EV__VEC_PUSH(&queue, 0u);
    }
    while (head < queue.n && best <= cap) {
        uint32_t sid = queue.p[head++];
        size_t cn = db.starts.p[sid + 1] - db.starts.p[sid];
        size_t a, nsym = 0;

        if (cn)
            memcpy(cur, db.data.p + db.starts.p[sid], cn * sizeof(uint32_t));
        /*
         * Only the bytes some position of this state expects can lead
         * anywhere but to its star loops; every other byte (TOK_STAR stands
         * for them) leads to the loops alone.
         */
        for (i = 0; i < cn; i++) {
            uint32_t g = cur[i], kk = nfa.owner[g], p = g - nfa.base[kk];
            uint16_t t = p < nfa.ntok[kk] ? nfa.tok[nfa.base[kk] + p] : TOK_STAR;

            if (t != TOK_STAR && seen[t] != sid + 1) {
                seen[t] = sid + 1;
                syms[nsym++] = t;
            }
        }
        syms[nsym++] = TOK_STAR;
        for (a = 0; a < nsym && best <= cap; a++) {
            uint16_t byte = syms[a];
            size_t nn = 0, count = 0;

            for (i = 0; i < cn; i++) {
                uint32_t g = cur[i], kk = nfa.owner[g], p = g - nfa.base[kk];
                const uint16_t *tok = nfa.tok + nfa.base[kk];

                if (p > 0 && tok[p - 1] == TOK_STAR && !mark[g]) {
                    mark[g] = 1; /* a star state loops on every byte */
                    next[nn++] = g;
                }
                if (p < nfa.ntok[kk] && byte != TOK_STAR && tok[p] == byte)
                    add_closure(&nfa, g + 1, next, &nn, mark);
            }
            for (i = 0; i < nn; i++) {
                mark[next[i]] = 0;
                if (next[i] != nfa.base[nfa.owner[next[i]]])
                    count++;
            }
            if (nn == 0)
                continue;
            if (count > best)
                best = (uint32_t)count;
            if (best > cap)
                break;
            work += cn + nn;
            if (work > MAX_DFA_WORK) {
                best = cap + 1;
                break;
            }
            sort_set(next, nn);
            if (setdb_add(&db, next, nn)) {
                if (db.starts.n > MAX_DFA_STATES) {
                    best = cap + 1;
                    break;
                }
                EV__VEC_PUSH(&queue, (uint32_t)(db.starts.n - 2));
            }
        }
    }
    free(nfa.tok);
    free(nfa.base);
    free(nfa.ntok);
    free(nfa.owner);
    free(mark);
    free(cur);
    free(next);
    free(db.slots);
    EV__VEC_FREE(&db.data);
    EV__VEC_FREE(&db.starts);
    EV__VEC_FREE(&queue);
    return best;
}
