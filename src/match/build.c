/*
 * match/build.c - compiles all rules of a bus into one immutable matcher.
 *
 * Every `$or` branch of every rule becomes a conjunct of items, one per field:
 * REQ (some leaf must satisfy the field's alternatives), ABS (exists:false)
 * or OPT (both kinds of alternative). A field's alternatives form a clause;
 * equal clauses (same path, same set of conditions) are shared by all rules,
 * so each is tested once per event whatever the number of rules using it.
 *
 *  - Paths go into a trie keyed by (parent, key segment); a field "a.b" and
 *    nested {"a": {"b": ...}} reach the same node, as in event-ruler.
 *  - Each path with conditions gets a value matcher: hash tables for exact,
 *    numeric-text and case-folded strings, byte tries for prefixes and
 *    (reversed) suffixes with wildcards hung on the trie node of their
 *    literal head or tail, segment trees over order-preserving keys for
 *    numbers and IP ranges, and "slots" for anything-but, which a value
 *    satisfies unless one of the slot's exceptions blocks it.
 *  - The REQ clauses of each conjunct, sorted by id, are inserted into a
 *    rule trie; matching walks it from the root following only clauses the
 *    event satisfied, so shared prefixes of rules are visited once.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "match/match_int.h"

typedef struct {
    ev__rule_ast_t ast;
    uint64_t tag;
} brule_t;

struct ev_matcher_builder {
    EV__VEC(brule_t) rules;
};

ev_matcher_builder_t *ev_matcher_builder_new(void)
{
    return ev__mx_calloc(1, sizeof(ev_matcher_builder_t));
}

void ev_matcher_builder_free(ev_matcher_builder_t *b)
{
    size_t i;

    if (!b)
        return;
    for (i = 0; i < b->rules.n; i++)
        ev__ast_free(&b->rules.p[i].ast);
    EV__VEC_FREE(&b->rules);
    free(b);
}

ev_err ev_matcher_builder_add(ev_matcher_builder_t *b, uint64_t rule_tag, const char *pattern,
                              size_t len, char **message)
{
    brule_t r;
    ev_err rc = ev__pattern_parse(pattern, len, &r.ast, message);

    if (rc == EV_OK) {
        r.tag = rule_tag;
        EV__VEC_PUSH(&b->rules, r);
    }
    return rc;
}

/* --- build-time containers ------------------------------------------------- */

typedef EV__VEC(uint32_t) u32v_t;
typedef EV__VEC(char) charv_t;

/* Byte string -> u32 map. */
typedef struct {
    uint32_t *slots; /* 1 + entry index */
    size_t cap;
    charv_t keys;
    u32v_t koff, klen, val;
} bmap_t;

static uint32_t *bmap_get(bmap_t *m, const void *k, size_t n, int *added)
{
    uint64_t h;
    size_t i, e;

    if ((m->val.n + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        uint32_t *ns = ev__mx_calloc(ncap, sizeof(uint32_t));

        for (e = 0; e < m->val.n; e++) {
            h = ev__hash(m->keys.p + m->koff.p[e], m->klen.p[e], 1);
            for (i = h & (ncap - 1); ns[i]; i = (i + 1) & (ncap - 1))
                ;
            ns[i] = (uint32_t)e + 1;
        }
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    h = ev__hash(k, n, 1);
    for (i = h & (m->cap - 1); m->slots[i]; i = (i + 1) & (m->cap - 1)) {
        e = m->slots[i] - 1;
        if (m->klen.p[e] == n && memcmp(m->keys.p + m->koff.p[e], k, n) == 0) {
            *added = 0;
            return &m->val.p[e];
        }
    }
    e = m->val.n;
    m->slots[i] = (uint32_t)e + 1;
    EV__VEC_PUSH(&m->koff, (uint32_t)m->keys.n);
    EV__VEC_PUSH(&m->klen, (uint32_t)n);
    EV__VEC_RESERVE(&m->keys, m->keys.n + n + 1);
    if (n)
        memcpy(m->keys.p + m->keys.n, k, n);
    m->keys.n += n;
    EV__VEC_PUSH(&m->val, 0u);
    *added = 1;
    return &m->val.p[e];
}

static void bmap_free(bmap_t *m)
{
    free(m->slots);
    EV__VEC_FREE(&m->keys);
    EV__VEC_FREE(&m->koff);
    EV__VEC_FREE(&m->klen);
    EV__VEC_FREE(&m->val);
}

typedef struct {
    uint8_t byte;
    uint32_t kid;
} bedge_t;

typedef struct {
    EV__VEC(bedge_t) edges;
    u32v_t hit, blk, wc;
} btnode_t;

typedef struct {
    EV__VEC(btnode_t) nodes;
} btrie_t;

typedef struct {
    const char *s;
    uint32_t n;
    uint32_t target;
    uint8_t blk;
} bstr_t;

typedef struct {
    ev__k128_t lo, hi;
    uint8_t lo_open, hi_open, blk;
    uint32_t target;
} bival_t;

typedef struct {
    ev__glob_t g;
    uint32_t target; /* clause, or local anything-but slot */
    uint8_t negative;
} bwcp_t;

typedef struct {
    uint32_t flags;
    EV__VEC(bstr_t) exact, numtext, eqic;
    btrie_t pre, suf, pre_ic, suf_ic;
    EV__VEC(bival_t) num, ip4, ip6;
    u32v_t lit[3], exists;
    u32v_t ab_clause; /* local slot -> clause */
    EV__VEC(bwcp_t) wcps;
} bvm_t;

struct bkid {
    uint32_t clause, node;
};

typedef struct {
    EV__VEC(struct bkid) kids;
    u32v_t terms;
} brnode_t;

typedef EV__VEC(ev__wcp_t) wcpv_t;

typedef struct {
    ev_matcher_t *m;
    EV__VEC(ev__pnode_t) pnodes;
    EV__VEC(ev__kent_t) kents;
    bmap_t kmap;     /* parent + segment -> kent index */
    charv_t blob;
    EV__VEC(bvm_t) vms;
    bmap_t clauses;  /* canonical clause -> id */
    u32v_t cl_pnode;
    EV__VEC(const char *) cl_path;
    u32v_t cl_path_n;
    EV__VEC(brnode_t) rnodes;
    bmap_t rkids;    /* node + clause -> child */
    EV__VEC(ev__conj_t) conjs;
    EV__VEC(ev__item_t) items;
    u32v_t ids;
} bctx_t;

static uint32_t blob_add(bctx_t *b, const char *s, size_t n)
{
    uint32_t off = (uint32_t)b->blob.n;

    EV__VEC_RESERVE(&b->blob, b->blob.n + n + 1);
    if (n)
        memcpy(b->blob.p + b->blob.n, s, n);
    b->blob.n += n;
    b->blob.p[b->blob.n++] = '\0';
    return off;
}

/* --- paths ---------------------------------------------------------------------- */

static uint32_t path_child(bctx_t *b, uint32_t parent, const char *seg, size_t n)
{
    charv_t key = {0};
    uint32_t *slot;
    int added;

    EV__VEC_RESERVE(&key, n + 4);
    memcpy(key.p, &parent, 4);
    if (n)
        memcpy(key.p + 4, seg, n);
    slot = bmap_get(&b->kmap, key.p, n + 4, &added);
    EV__VEC_FREE(&key);
    if (added) {
        ev__kent_t ke;
        ev__pnode_t pn = {EV__NONE, 0, 0, 0, 0, 0, {0}, 0};

        memset(&ke, 0, sizeof(ke));
        ke.parent = parent;
        ke.child = (uint32_t)b->pnodes.n;
        ke.off = blob_add(b, seg, n);
        ke.len = (uint32_t)n;
        ke.hash = ev__hash(seg, n, parent);
        *slot = (uint32_t)b->kents.n;
        EV__VEC_PUSH(&b->kents, ke);
        EV__VEC_PUSH(&b->pnodes, pn);
        b->pnodes.p[parent].nchild++;
    }
    return b->kents.p[*slot].child;
}

static uint32_t path_intern(bctx_t *b, const ev__str_t *path)
{
    uint32_t node = 0;
    const char *p = path->p, *end = p + path->n;

    for (;;) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        const char *segend = dot ? dot : end;

        node = path_child(b, node, p, (size_t)(segend - p));
        if (!dot)
            break;
        p = dot + 1;
    }
    return node;
}

static bvm_t *vm_of(bctx_t *b, uint32_t pnode)
{
    if (b->pnodes.p[pnode].vm == EV__NONE) {
        bvm_t vm;

        memset(&vm, 0, sizeof(vm));
        b->pnodes.p[pnode].vm = (uint32_t)b->vms.n;
        EV__VEC_PUSH(&b->vms, vm);
    }
    return &b->vms.p[b->pnodes.p[pnode].vm];
}

/* --- tries ------------------------------------------------------------------------ */

static uint32_t trie_insert(btrie_t *t, const char *s, size_t n, int reverse)
{
    uint32_t node = 0;
    size_t i, e;

    if (t->nodes.n == 0) {
        btnode_t root;

        memset(&root, 0, sizeof(root));
        EV__VEC_PUSH(&t->nodes, root);
    }
    for (i = 0; i < n; i++) {
        uint8_t c = (uint8_t)(reverse ? s[n - 1 - i] : s[i]);
        btnode_t *nd = &t->nodes.p[node];
        uint32_t kid = EV__NONE;

        for (e = 0; e < nd->edges.n; e++) {
            if (nd->edges.p[e].byte == c) {
                kid = nd->edges.p[e].kid;
                break;
            }
        }
        if (kid == EV__NONE) {
            btnode_t fresh;
            bedge_t edge;

            memset(&fresh, 0, sizeof(fresh));
            kid = (uint32_t)t->nodes.n;
            EV__VEC_PUSH(&t->nodes, fresh);
            edge.byte = c;
            edge.kid = kid;
            EV__VEC_PUSH(&t->nodes.p[node].edges, edge);
        }
        node = kid;
    }
    return node;
}

/* --- clauses ---------------------------------------------------------------------- */

static void put32(charv_t *v, uint32_t x)
{
    EV__VEC_RESERVE(v, v->n + 4);
    memcpy(v->p + v->n, &x, 4);
    v->n += 4;
}

static void put64(charv_t *v, uint64_t x)
{
    EV__VEC_RESERVE(v, v->n + 8);
    memcpy(v->p + v->n, &x, 8);
    v->n += 8;
}

static void putbytes(charv_t *v, const void *p, size_t n)
{
    put32(v, (uint32_t)n);
    EV__VEC_RESERVE(v, v->n + n);
    if (n)
        memcpy(v->p + v->n, p, n);
    v->n += n;
}

static int cmp_str(const void *a, const void *b)
{
    const ev__str_t *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);

    return c ? c : (x->n < y->n ? -1 : x->n > y->n);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Canonical bytes of one condition (sets sorted, duplicates dropped). */
static void cond_key(const ev__cond_t *c, charv_t *out)
{
    uint32_t i;

    out->n = 0;
    put32(out, (uint32_t)c->kind);
    switch (c->kind) {
    case EV__C_NUM_EQ:
    case EV__C_AB_NUM: {
        uint64_t *k = ev__mx_alloc((c->n + 1) * sizeof(uint64_t));
        uint32_t j = 0;

        for (i = 0; i < c->n; i++)
            k[i] = ev__num_key(c->num[i]);
        if (c->n > 1)
            qsort(k, c->n, sizeof(uint64_t), cmp_u64);
        for (i = 0; i < c->n; i++) {
            if (i == 0 || k[i] != k[i - 1])
                k[j++] = k[i];
        }
        for (i = 0; i < j; i++)
            put64(out, k[i]);
        free(k);
        break;
    }
    case EV__C_RANGE:
        put64(out, ev__num_key(c->lo));
        put64(out, ev__num_key(c->hi));
        put32(out, (uint32_t)c->lo_open | ((uint32_t)c->hi_open << 1));
        break;
    case EV__C_CIDR:
        put32(out, c->ip_v6);
        putbytes(out, c->ip_lo, 16);
        putbytes(out, c->ip_hi, 16);
        break;
    default: {
        ev__str_t *s = ev__mx_alloc((c->n + 1) * sizeof(ev__str_t));

        if (c->n)
            memcpy(s, c->s, c->n * sizeof(ev__str_t));
        if (c->n > 1)
            qsort(s, c->n, sizeof(ev__str_t), cmp_str);
        for (i = 0; i < c->n; i++) {
            if (i == 0 || cmp_str(&s[i], &s[i - 1]) != 0)
                putbytes(out, s[i].p, s[i].n);
        }
        free(s);
        break;
    }
    }
}

typedef struct {
    char *p;
    size_t n;
    const ev__cond_t *cond;
} ckey_t;

static int cmp_ckey(const void *a, const void *b)
{
    const ckey_t *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);

    return c ? c : (x->n < y->n ? -1 : x->n > y->n);
}

static ev__k128_t key64(uint64_t k)
{
    ev__k128_t r = {k, 0};

    return r;
}

static ev__k128_t key_ip(const uint8_t *ip, int v6)
{
    ev__k128_t r = {0, 0};
    int i;

    if (!v6) {
        for (i = 0; i < 4; i++)
            r.lo = (r.lo << 8) | ip[i];
        return r;
    }
    for (i = 0; i < 8; i++)
        r.hi = (r.hi << 8) | ip[i];
    for (i = 8; i < 16; i++)
        r.lo = (r.lo << 8) | ip[i];
    return r;
}

static void add_wildcard(bvm_t *vm, const ev__str_t *w, uint32_t target, int negative)
{
    bwcp_t wc;
    uint32_t node, last;

    ev__glob_init(&wc.g, w->p, w->n);
    wc.target = target;
    wc.negative = (uint8_t)negative;
    last = wc.g.nseg - 1;
    if (wc.g.len[0] || wc.g.nseg == 1) {
        node = trie_insert(&vm->pre, wc.g.bytes + wc.g.off[0], wc.g.len[0], 0);
        EV__VEC_PUSH(&vm->pre.nodes.p[node].wc, (uint32_t)vm->wcps.n);
        vm->flags |= EV__VM_PRE;
    } else if (wc.g.len[last]) {
        node = trie_insert(&vm->suf, wc.g.bytes + wc.g.off[last], wc.g.len[last], 1);
        EV__VEC_PUSH(&vm->suf.nodes.p[node].wc, (uint32_t)vm->wcps.n);
        vm->flags |= EV__VM_SUF;
    } else {
        node = trie_insert(&vm->pre, "", 0, 0);
        EV__VEC_PUSH(&vm->pre.nodes.p[node].wc, (uint32_t)vm->wcps.n);
        vm->flags |= EV__VM_PRE;
    }
    EV__VEC_PUSH(&vm->wcps, wc);
}

static void add_str(void *vec, const ev__str_t *s, uint32_t target, int blk)
{
    EV__VEC(bstr_t) *v = vec;
    bstr_t e;

    e.s = s->p;
    e.n = s->n;
    e.target = target;
    e.blk = (uint8_t)blk;
    EV__VEC_PUSH(v, e);
}

static void add_ival(void *vec, ev__k128_t lo, int lo_open, ev__k128_t hi, int hi_open,
                     uint32_t target, int blk)
{
    EV__VEC(bival_t) *v = vec;
    bival_t e;

    e.lo = lo;
    e.hi = hi;
    e.lo_open = (uint8_t)lo_open;
    e.hi_open = (uint8_t)hi_open;
    e.target = target;
    e.blk = (uint8_t)blk;
    EV__VEC_PUSH(v, e);
}

/* Adds one condition of clause `cl` to the path's value matcher. */
static void vm_add(bvm_t *vm, const ev__cond_t *c, uint32_t cl)
{
    uint32_t i, node, slot;

    switch (c->kind) {
    case EV__C_EXACT:
        add_str(&vm->exact, &c->s[0], cl, 0);
        vm->flags |= EV__VM_EXACT;
        break;
    case EV__C_NUM_EQ:
        add_ival(&vm->num, key64(ev__num_key(c->num[0])), 0, key64(ev__num_key(c->num[0])), 0,
                 cl, 0);
        vm->flags |= EV__VM_NUM;
        break;
    case EV__C_NUM_TEXT:
        add_str(&vm->numtext, &c->s[0], cl, 0);
        vm->flags |= EV__VM_NUMTEXT;
        break;
    case EV__C_NULL:
    case EV__C_TRUE:
    case EV__C_FALSE:
        EV__VEC_PUSH(&vm->lit[c->kind - EV__C_NULL], cl);
        vm->flags |= EV__VM_LIT;
        break;
    case EV__C_CIDR:
        add_ival(c->ip_v6 ? (void *)&vm->ip6 : (void *)&vm->ip4, key_ip(c->ip_lo, c->ip_v6), 0,
                 key_ip(c->ip_hi, c->ip_v6), 0, cl, 0);
        vm->flags |= EV__VM_IP;
        break;
    case EV__C_PREFIX:
        node = trie_insert(&vm->pre, c->s[0].p, c->s[0].n, 0);
        EV__VEC_PUSH(&vm->pre.nodes.p[node].hit, cl);
        vm->flags |= EV__VM_PRE;
        break;
    case EV__C_SUFFIX:
        node = trie_insert(&vm->suf, c->s[0].p, c->s[0].n, 1);
        EV__VEC_PUSH(&vm->suf.nodes.p[node].hit, cl);
        vm->flags |= EV__VM_SUF;
        break;
    case EV__C_PREFIX_IC:
        node = trie_insert(&vm->pre_ic, c->s[0].p, c->s[0].n, 0);
        EV__VEC_PUSH(&vm->pre_ic.nodes.p[node].hit, cl);
        vm->flags |= EV__VM_PREIC;
        break;
    case EV__C_SUFFIX_IC:
        node = trie_insert(&vm->suf_ic, c->s[0].p, c->s[0].n, 1);
        EV__VEC_PUSH(&vm->suf_ic.nodes.p[node].hit, cl);
        vm->flags |= EV__VM_SUFIC;
        break;
    case EV__C_EQ_IC:
        add_str(&vm->eqic, &c->s[0], cl, 0);
        vm->flags |= EV__VM_EQIC;
        break;
    case EV__C_WILDCARD:
        add_wildcard(vm, &c->s[0], cl, 0);
        break;
    case EV__C_RANGE:
        add_ival(&vm->num, key64(ev__num_key(c->lo)), c->lo_open, key64(ev__num_key(c->hi)),
                 c->hi_open, cl, 0);
        vm->flags |= EV__VM_NUM;
        break;
    case EV__C_EXISTS:
        EV__VEC_PUSH(&vm->exists, cl);
        vm->flags |= EV__VM_EXISTS;
        break;
    case EV__C_ABSENT:
    case EV__C__COUNT:
        break;
    case EV__C_AB_STR:
    case EV__C_AB_NUM:
    case EV__C_AB_PREFIX:
    case EV__C_AB_SUFFIX:
    case EV__C_AB_IC:
    case EV__C_AB_WILDCARD:
        slot = (uint32_t)vm->ab_clause.n;
        EV__VEC_PUSH(&vm->ab_clause, cl);
        vm->flags |= EV__VM_AB;
        for (i = 0; i < c->n; i++) {
            switch (c->kind) {
            case EV__C_AB_STR:
                add_str(&vm->exact, &c->s[i], slot, 1);
                vm->flags |= EV__VM_EXACT;
                break;
            case EV__C_AB_NUM:
                add_ival(&vm->num, key64(ev__num_key(c->num[i])), 0,
                         key64(ev__num_key(c->num[i])), 0, slot, 1);
                vm->flags |= EV__VM_NUM;
                break;
            case EV__C_AB_PREFIX:
                node = trie_insert(&vm->pre, c->s[i].p, c->s[i].n, 0);
                EV__VEC_PUSH(&vm->pre.nodes.p[node].blk, slot);
                vm->flags |= EV__VM_PRE;
                break;
            case EV__C_AB_SUFFIX:
                node = trie_insert(&vm->suf, c->s[i].p, c->s[i].n, 1);
                EV__VEC_PUSH(&vm->suf.nodes.p[node].blk, slot);
                vm->flags |= EV__VM_SUF;
                break;
            case EV__C_AB_IC:
                add_str(&vm->eqic, &c->s[i], slot, 1);
                vm->flags |= EV__VM_EQIC;
                break;
            default:
                add_wildcard(vm, &c->s[i], slot, 1);
                break;
            }
        }
        break;
    }
}

/* The clause id of (path, positive conditions), creating it on first use. */
static uint32_t clause_intern(bctx_t *b, uint32_t pnode, const ev__str_t *path,
                              const ev__cond_t *conds, uint32_t n, int exists_only)
{
    EV__VEC(ckey_t) ck = {0};
    charv_t key = {0}, one = {0};
    uint32_t i, *slot, id;
    int added;
    ev__cond_t ex;

    memset(&ex, 0, sizeof(ex));
    ex.kind = EV__C_EXISTS;
    if (exists_only) {
        conds = &ex;
        n = 1;
    }
    for (i = 0; i < n; i++) {
        ckey_t k;

        if (conds[i].kind == EV__C_ABSENT)
            continue;
        cond_key(&conds[i], &one);
        k.p = ev__mx_memdup(one.p, one.n);
        k.n = one.n;
        k.cond = &conds[i];
        EV__VEC_PUSH(&ck, k);
    }
    if (ck.n > 1)
        qsort(ck.p, ck.n, sizeof(ckey_t), cmp_ckey);
    put32(&key, pnode);
    for (i = 0; i < ck.n; i++) {
        if (i > 0 && cmp_ckey(&ck.p[i], &ck.p[i - 1]) == 0)
            continue;
        putbytes(&key, ck.p[i].p, ck.p[i].n);
    }
    slot = bmap_get(&b->clauses, key.p, key.n, &added);
    if (added) {
        bvm_t *vm = vm_of(b, pnode);

        id = (uint32_t)b->cl_pnode.n;
        *slot = id;
        EV__VEC_PUSH(&b->cl_pnode, pnode);
        EV__VEC_PUSH(&b->cl_path, path->p);
        EV__VEC_PUSH(&b->cl_path_n, path->n);
        for (i = 0; i < ck.n; i++) {
            if (i > 0 && cmp_ckey(&ck.p[i], &ck.p[i - 1]) == 0)
                continue;
            vm_add(vm, ck.p[i].cond, id);
        }
    }
    id = *slot;
    for (i = 0; i < ck.n; i++)
        free(ck.p[i].p);
    EV__VEC_FREE(&ck);
    EV__VEC_FREE(&key);
    EV__VEC_FREE(&one);
    return id;
}

/* --- conjuncts and the rule trie -------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

typedef struct {
    ev__item_t it;
    const char *path;
    uint32_t path_n;
} pitem_t;

static int cmp_pitem(const void *a, const void *b)
{
    const pitem_t *x = a, *y = b;
    size_t n = x->path_n < y->path_n ? x->path_n : y->path_n;
    int c = memcmp(x->path, y->path, n);

    return c ? c : (x->path_n < y->path_n ? -1 : x->path_n > y->path_n);
}

static uint32_t rnode_new(bctx_t *b)
{
    brnode_t n;

    memset(&n, 0, sizeof(n));
    EV__VEC_PUSH(&b->rnodes, n);
    return (uint32_t)b->rnodes.n - 1;
}

static void add_branch(bctx_t *b, const ev__branch_t *br, uint32_t rule)
{
    EV__VEC(pitem_t) items = {0};
    u32v_t req = {0};
    ev__conj_t cj;
    uint32_t f, k, node = 0;
    size_t i;

    for (f = 0; f < br->nfields; f++) {
        const ev__field_t *fd = &br->fields[f];
        uint32_t pn = path_intern(b, &fd->path);
        int pos = 0, abs = 0;
        pitem_t pi;

        for (k = 0; k < fd->nconds; k++) {
            if (fd->conds[k].kind == EV__C_ABSENT)
                abs = 1;
            else
                pos = 1;
        }
        memset(&pi, 0, sizeof(pi));
        pi.path = fd->path.p;
        pi.path_n = fd->path.n;
        pi.it.clause = pi.it.presence = EV__NONE;
        if (pos)
            pi.it.clause = clause_intern(b, pn, &fd->path, fd->conds, fd->nconds, 0);
        if (abs)
            pi.it.presence = clause_intern(b, pn, &fd->path, NULL, 0, 1);
        pi.it.kind = pos && abs ? EV__IT_OPT : pos ? EV__IT_REQ : EV__IT_ABS;
        if (pi.it.kind == EV__IT_REQ)
            EV__VEC_PUSH(&req, pi.it.clause);
        EV__VEC_PUSH(&items, pi);
    }
    if (items.n > 1)
        qsort(items.p, items.n, sizeof(pitem_t), cmp_pitem);
    if (req.n > 1)
        qsort(req.p, req.n, sizeof(uint32_t), cmp_u32);
    memset(&cj, 0, sizeof(cj));
    cj.rule = rule;
    cj.item_off = (uint32_t)b->items.n;
    cj.nitem = (uint32_t)items.n;
    cj.nreq = (uint32_t)req.n;
    for (i = 0; i < items.n; i++) {
        EV__VEC_PUSH(&b->items, items.p[i].it);
        if (items.p[i].it.kind != EV__IT_REQ)
            cj.has_neg = 1;
    }
    if (b->rnodes.n == 0)
        rnode_new(b);
    for (i = 0; i < req.n; i++) {
        uint32_t key[2] = {node, req.p[i]}, *slot;
        int added;

        if (i > 0 && req.p[i] == req.p[i - 1])
            continue;
        slot = bmap_get(&b->rkids, key, sizeof(key), &added);
        if (added) {
            struct bkid kid;

            *slot = rnode_new(b);
            kid.clause = req.p[i];
            kid.node = *slot;
            EV__VEC_PUSH(&b->rnodes.p[node].kids, kid);
        }
        node = *slot;
    }
    EV__VEC_PUSH(&b->rnodes.p[node].terms, (uint32_t)b->conjs.n);
    EV__VEC_PUSH(&b->conjs, cj);
    EV__VEC_FREE(&items);
    EV__VEC_FREE(&req);
}

/* --- freezing ------------------------------------------------------------------------ */

static ev__span_t span_of(bctx_t *b, const uint32_t *p, size_t n)
{
    ev__span_t s;

    s.off = (uint32_t)b->ids.n;
    s.n = (uint32_t)n;
    EV__VEC_RESERVE(&b->ids, b->ids.n + n);
    if (n)
        memcpy(b->ids.p + b->ids.n, p, n * sizeof(uint32_t));
    b->ids.n += n;
    return s;
}

static ev__span_t span_slots(bctx_t *b, const u32v_t *local, uint32_t base)
{
    ev__span_t s;
    size_t i;

    s.off = (uint32_t)b->ids.n;
    s.n = (uint32_t)local->n;
    for (i = 0; i < local->n; i++)
        EV__VEC_PUSH(&b->ids, base + local->p[i]);
    return s;
}

static int cmp_bstr(const void *a, const void *b)
{
    const bstr_t *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);

    return c ? c : (x->n < y->n ? -1 : x->n > y->n);
}

static void freeze_stab(bctx_t *b, void *vec, ev__stab_t *t, uint32_t ab_base)
{
    EV__VEC(bstr_t) *v = vec;
    size_t i, j, nuniq = 0, cap = 1;
    u32v_t hits = {0}, blks = {0};

    memset(t, 0, sizeof(*t));
    if (v->n == 0)
        return;
    if (v->n > 1)
        qsort(v->p, v->n, sizeof(bstr_t), cmp_bstr);
    for (i = 0; i < v->n; i++) {
        if (i == 0 || cmp_bstr(&v->p[i], &v->p[i - 1]) != 0)
            nuniq++;
    }
    while (cap < nuniq * 2)
        cap *= 2;
    t->slots = ev__mx_calloc(cap, sizeof(uint32_t));
    t->mask = (uint32_t)cap - 1;
    t->ents = ev__mx_calloc(nuniq, sizeof(ev__sent_t));
    for (i = 0; i < v->n; i = j) {
        ev__sent_t *e = &t->ents[t->n];
        size_t s;

        hits.n = blks.n = 0;
        for (j = i; j < v->n && cmp_bstr(&v->p[j], &v->p[i]) == 0; j++) {
            if (v->p[j].blk)
                EV__VEC_PUSH(&blks, ab_base + v->p[j].target);
            else
                EV__VEC_PUSH(&hits, v->p[j].target);
        }
        e->off = blob_add(b, v->p[i].s, v->p[i].n);
        e->len = v->p[i].n;
        t->lenmask |= 1ull << (e->len < 63 ? e->len : 63);
        e->hash = ev__hash(v->p[i].s, v->p[i].n, 7);
        e->hit = span_of(b, hits.p, hits.n);
        e->blk = span_of(b, blks.p, blks.n);
        for (s = e->hash & t->mask; t->slots[s]; s = (s + 1) & t->mask)
            ;
        t->slots[s] = t->n + 1;
        t->n++;
    }
    EV__VEC_FREE(&hits);
    EV__VEC_FREE(&blks);
}

static int cmp_bedge(const void *a, const void *b)
{
    return (int)((const bedge_t *)a)->byte - (int)((const bedge_t *)b)->byte;
}

static void freeze_trie(bctx_t *b, btrie_t *bt, ev__trie_t *t, uint32_t ab_base,
                        uint32_t wc_base)
{
    size_t i, e, nedges = 0, k;

    memset(t, 0, sizeof(*t));
    if (bt->nodes.n == 0)
        return;
    for (i = 0; i < bt->nodes.n; i++)
        nedges += bt->nodes.p[i].edges.n;
    t->nnodes = (uint32_t)bt->nodes.n;
    t->nodes = ev__mx_calloc(bt->nodes.n, sizeof(ev__tnode_t));
    t->ebyte = ev__mx_alloc(nedges + 1);
    t->ekid = ev__mx_alloc((nedges + 1) * sizeof(uint32_t));
    for (i = 0, e = 0; i < bt->nodes.n; i++) {
        btnode_t *bn = &bt->nodes.p[i];
        ev__tnode_t *n = &t->nodes[i];

        if (bn->edges.n > 1)
            qsort(bn->edges.p, bn->edges.n, sizeof(bedge_t), cmp_bedge);
        n->edge_off = (uint32_t)e;
        n->nedge = (uint16_t)bn->edges.n;
        for (k = 0; k < bn->edges.n; k++, e++) {
            t->ebyte[e] = bn->edges.p[k].byte;
            t->ekid[e] = bn->edges.p[k].kid;
        }
        n->hit = span_of(b, bn->hit.p, bn->hit.n);
        n->blk = span_slots(b, &bn->blk, ab_base);
        n->wc = span_slots(b, &bn->wc, wc_base);
        n->act = (n->hit.n | n->blk.n | n->wc.n) != 0;
        EV__VEC_FREE(&bn->edges);
        EV__VEC_FREE(&bn->hit);
        EV__VEC_FREE(&bn->blk);
        EV__VEC_FREE(&bn->wc);
    }
    EV__VEC_FREE(&bt->nodes);
}

static int cmp_k128(const void *a, const void *b)
{
    const ev__k128_t *x = a, *y = b;

    if (x->hi != y->hi)
        return x->hi < y->hi ? -1 : 1;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static uint32_t key_index(const ev__k128_t *keys, uint32_t n, ev__k128_t k)
{
    uint32_t lo = 0, hi = n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (cmp_k128(&keys[mid], &k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

typedef struct {
    uint32_t node, target;
    uint8_t blk;
} tagged_t;

static int cmp_tagged(const void *a, const void *b)
{
    const tagged_t *x = a, *y = b;

    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->blk != y->blk)
        return x->blk < y->blk ? -1 : 1;
    return x->target < y->target ? -1 : x->target > y->target;
}

static void freeze_ivs(bctx_t *b, void *vec, ev__ivs_t *t, uint32_t ab_base)
{
    EV__VEC(bival_t) *v = vec;
    EV__VEC(tagged_t) tg = {0};
    ev__k128_t *keys;
    size_t i, j, nk = 0;
    uint32_t nslots, size = 1, node;
    u32v_t hits = {0}, blks = {0};

    memset(t, 0, sizeof(*t));
    if (v->n == 0)
        return;
    keys = ev__mx_alloc(v->n * 2 * sizeof(ev__k128_t));
    for (i = 0; i < v->n; i++) {
        keys[nk++] = v->p[i].lo;
        keys[nk++] = v->p[i].hi;
    }
    if (nk > 1)
        qsort(keys, nk, sizeof(ev__k128_t), cmp_k128);
    for (i = 0, j = 0; i < nk; i++) {
        if (j == 0 || cmp_k128(&keys[i], &keys[j - 1]) != 0)
            keys[j++] = keys[i];
    }
    nk = j;
    t->keys = keys;
    t->nkeys = (uint32_t)nk;
    nslots = (uint32_t)(2 * nk + 1);
    while (size < nslots)
        size *= 2;
    t->size = size;
    for (i = 0; i < v->n; i++) {
        const bival_t *iv = &v->p[i];
        uint32_t a = key_index(keys, (uint32_t)nk, iv->lo), z = key_index(keys, (uint32_t)nk, iv->hi);
        uint32_t first = iv->lo_open ? 2 * a + 2 : 2 * a + 1;
        uint32_t last = iv->hi_open ? 2 * z : 2 * z + 1;
        uint32_t l, r;

        if (first > last)
            continue;
        for (l = first + size, r = last + 1 + size; l < r; l >>= 1, r >>= 1) {
            tagged_t x;

            x.target = iv->blk ? ab_base + iv->target : iv->target;
            x.blk = iv->blk;
            if (l & 1) {
                x.node = l++;
                EV__VEC_PUSH(&tg, x);
            }
            if (r & 1) {
                x.node = --r;
                EV__VEC_PUSH(&tg, x);
            }
        }
    }
    if (tg.n > 1)
        qsort(tg.p, tg.n, sizeof(tagged_t), cmp_tagged);
    t->busy = ev__mx_calloc(nslots, 1);
    for (i = 0; i < tg.n; i++) {
        /* Mark the slots below each tree node that holds something. */
        uint32_t nd = tg.p[i].node, lo = nd, hi = nd;

        while (lo < size) {
            lo = 2 * lo;
            hi = 2 * hi + 1;
        }
        for (j = lo - size; j <= hi - size && j < nslots; j++)
            t->busy[j] = 1;
    }
    t->all_busy = 1;
    for (j = 0; j < nslots; j++)
        t->all_busy &= t->busy[j];
    t->hit = ev__mx_calloc(2 * size, sizeof(ev__span_t));
    t->blk = ev__mx_calloc(2 * size, sizeof(ev__span_t));
    for (i = 0; i < tg.n; i = j) {
        node = tg.p[i].node;
        hits.n = blks.n = 0;
        for (j = i; j < tg.n && tg.p[j].node == node; j++) {
            if (j > i && tg.p[j].target == tg.p[j - 1].target && tg.p[j].blk == tg.p[j - 1].blk)
                continue;
            if (tg.p[j].blk)
                EV__VEC_PUSH(&blks, tg.p[j].target);
            else
                EV__VEC_PUSH(&hits, tg.p[j].target);
        }
        t->hit[node] = span_of(b, hits.p, hits.n);
        t->blk[node] = span_of(b, blks.p, blks.n);
    }
    EV__VEC_FREE(&tg);
    EV__VEC_FREE(&hits);
    EV__VEC_FREE(&blks);
}

static size_t trie_mem(const ev__trie_t *t)
{
    size_t e = 0, i;

    for (i = 0; i < t->nnodes; i++)
        e += t->nodes[i].nedge;
    return t->nnodes * sizeof(ev__tnode_t) + e * 5;
}

static size_t ivs_mem(const ev__ivs_t *v)
{
    return v->nkeys * sizeof(ev__k128_t) + (size_t)v->size * 4 * sizeof(ev__span_t) +
           2 * (size_t)v->nkeys + 1;
}

static void freeze_vm(bctx_t *b, bvm_t *bv, ev__vm_t *vm, uint32_t *slot_base, wcpv_t *wcps,
                      u32v_t *slot_clause)
{
    uint32_t ab_base = *slot_base, wc_base = (uint32_t)wcps->n;
    size_t i;
    int k;

    memset(vm, 0, sizeof(*vm));
    vm->flags = bv->flags;
    vm->ab_base = ab_base;
    vm->ab_n = (uint32_t)bv->ab_clause.n;
    for (i = 0; i < bv->ab_clause.n; i++)
        EV__VEC_PUSH(slot_clause, bv->ab_clause.p[i]);
    *slot_base += vm->ab_n;
    for (i = 0; i < bv->wcps.n; i++) {
        ev__wcp_t w;

        w.g = bv->wcps.p[i].g;
        w.negative = bv->wcps.p[i].negative;
        w.target = w.negative ? ab_base + bv->wcps.p[i].target : bv->wcps.p[i].target;
        EV__VEC_PUSH(wcps, w);
    }
    freeze_stab(b, &bv->exact, &vm->exact, ab_base);
    freeze_stab(b, &bv->numtext, &vm->numtext, ab_base);
    freeze_stab(b, &bv->eqic, &vm->eqic, ab_base);
    freeze_trie(b, &bv->pre, &vm->pre, ab_base, wc_base);
    freeze_trie(b, &bv->suf, &vm->suf, ab_base, wc_base);
    freeze_trie(b, &bv->pre_ic, &vm->pre_ic, ab_base, wc_base);
    freeze_trie(b, &bv->suf_ic, &vm->suf_ic, ab_base, wc_base);
    freeze_ivs(b, &bv->num, &vm->num, ab_base);
    freeze_ivs(b, &bv->ip4, &vm->ip4, ab_base);
    freeze_ivs(b, &bv->ip6, &vm->ip6, ab_base);
    for (k = 0; k < 3; k++)
        vm->lit[k] = span_of(b, bv->lit[k].p, bv->lit[k].n);
    vm->exists = span_of(b, bv->exists.p, bv->exists.n);
    b->m->memory += sizeof(*vm) + (vm->exact.mask + 1 + vm->numtext.mask + 1 + vm->eqic.mask + 1) *
                                      4 + (vm->exact.n + vm->numtext.n + vm->eqic.n) *
                                      sizeof(ev__sent_t) + trie_mem(&vm->pre) +
                    trie_mem(&vm->suf) + trie_mem(&vm->pre_ic) + trie_mem(&vm->suf_ic) +
                    ivs_mem(&vm->num) + ivs_mem(&vm->ip4) + ivs_mem(&vm->ip6);
    EV__VEC_FREE(&bv->exact);
    EV__VEC_FREE(&bv->numtext);
    EV__VEC_FREE(&bv->eqic);
    EV__VEC_FREE(&bv->num);
    EV__VEC_FREE(&bv->ip4);
    EV__VEC_FREE(&bv->ip6);
    for (k = 0; k < 3; k++)
        EV__VEC_FREE(&bv->lit[k]);
    EV__VEC_FREE(&bv->exists);
    EV__VEC_FREE(&bv->ab_clause);
    EV__VEC_FREE(&bv->wcps);
}

static int cmp_bkid(const void *a, const void *b)
{
    const struct bkid *x = a, *y = b;

    return x->clause < y->clause ? -1 : x->clause > y->clause;
}

/*
 * Looks for a multiplier that sends the inline children of pn to distinct
 * slots (ev__kslot), so that the scanner finds a key with one probe. Children
 * with equal first 8 bytes and equal lengths cannot be separated: then kmul
 * stays 0 and the scanner compares them one by one.
 */
static void find_kmul(ev__pnode_t *pn, const ev__skid_t *sk)
{
    uint64_t mul = 0x9e3779b97f4a7c15ull;
    uint32_t i, tries;

    for (tries = 0; tries < 256; tries++) {
        uint16_t used = 0;

        mul = (mul ^ (mul >> 29)) * 0xbf58476d1ce4e5b9ull | 1;
        for (i = 0; i < pn->nchild; i++) {
            uint32_t sl = ev__kslot(sk[i].w8, sk[i].len, mul);

            if (used & (1u << sl))
                break;
            used = (uint16_t)(used | (1u << sl));
        }
        if (i == pn->nchild) {
            pn->kmul = mul;
            memset(pn->kslot, 0, sizeof(pn->kslot));
            for (i = 0; i < pn->nchild; i++)
                pn->kslot[ev__kslot(sk[i].w8, sk[i].len, mul)] = (uint8_t)(i + 1);
            return;
        }
    }
    pn->kmul = 0;
}

ev_matcher_t *ev_matcher_builder_finish(ev_matcher_builder_t *bld)
{
    bctx_t b;
    ev_matcher_t *m = ev__mx_calloc(1, sizeof(ev_matcher_t));
    uint64_t *tags;
    uint32_t *rule_nconj, *rkid_clause; /* rkid_clause: per rule-trie node, 1 + clause */
    EV__VEC(uint64_t) dtags = {0};
    size_t i, j, ntags = 0, nkids = 0;
    uint32_t slot_base = 0;
    wcpv_t wcps = {0};
    u32v_t slot_clause = {0};
    ev__pnode_t root = {EV__NONE, 0, 0, 0, 0, 0, {0}, 0};

    memset(&b, 0, sizeof(b));
    b.m = m;
    atomic_init(&m->refs, 1);
    EV__VEC_PUSH(&b.pnodes, root);
    EV__VEC_PUSH(&b.blob, '\0');

    /* Dense rule indexes in tag order. */
    tags = ev__mx_alloc((bld->rules.n + 1) * sizeof(uint64_t));
    for (i = 0; i < bld->rules.n; i++)
        tags[i] = bld->rules.p[i].tag;
    if (bld->rules.n > 1)
        qsort(tags, bld->rules.n, sizeof(uint64_t), cmp_u64);
    for (i = 0; i < bld->rules.n; i++) {
        if (ntags == 0 || tags[ntags - 1] != tags[i])
            tags[ntags++] = tags[i];
    }
    m->tags = tags;
    m->nrules = (uint32_t)ntags;
    for (i = 0; i < bld->rules.n; i++) {
        const brule_t *r = &bld->rules.p[i];
        uint32_t lo = 0, hi = (uint32_t)ntags, rule, br;

        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;

            if (tags[mid] < r->tag)
                lo = mid + 1;
            else
                hi = mid;
        }
        rule = lo;
        for (br = 0; br < r->ast.nbranches; br++)
            add_branch(&b, &r->ast.branches[br], rule);
    }
    if (b.rnodes.n == 0)
        rnode_new(&b);

    /* Value matchers. */
    m->nvms = (uint32_t)b.vms.n;
    m->vms = ev__mx_calloc(b.vms.n + 1, sizeof(ev__vm_t));
    for (i = 0; i < b.vms.n; i++)
        freeze_vm(&b, &b.vms.p[i], &m->vms[i], &slot_base, &wcps, &slot_clause);
    m->nslots = slot_base;
    m->slot_clause = slot_clause.p;
    m->wcps = wcps.p;
    m->nwcps = (uint32_t)wcps.n;

    /* Clauses: which need their non-root hits recorded. */
    m->nclauses = (uint32_t)b.cl_pnode.n;
    m->cl_track = ev__mx_calloc(m->nclauses + 1, 1);
    for (i = 0; i < b.conjs.n; i++) {
        const ev__conj_t *cj = &b.conjs.p[i];

        if (cj->nitem < 2)
            continue;
        for (j = 0; j < cj->nitem; j++) {
            const ev__item_t *it = &b.items.p[cj->item_off + j];

            if (it->clause != EV__NONE)
                m->cl_track[it->clause] = 1;
            if (it->presence != EV__NONE)
                m->cl_track[it->presence] = 1;
        }
        m->any_track = 1;
    }

    /* Rule trie. */
    m->cdir = ev__mx_calloc(m->nclauses + 1, sizeof(ev__cdir_t));
    rule_nconj = ev__mx_calloc(m->nrules + 1, sizeof(uint32_t));
    for (i = 0; i < b.conjs.n; i++)
        rule_nconj[b.conjs.p[i].rule]++;
    m->nrnodes = (uint32_t)b.rnodes.n;
    m->rnodes = ev__mx_calloc(b.rnodes.n, sizeof(ev__rnode_t));
    rkid_clause = ev__mx_calloc(b.rnodes.n + 1, sizeof(uint32_t));
    for (i = 0; i < b.rnodes.n; i++)
        nkids += b.rnodes.p[i].kids.n;
    m->kid_clause = ev__mx_alloc((nkids + 1) * sizeof(uint32_t));
    m->kid_node = ev__mx_alloc((nkids + 1) * sizeof(uint32_t));
    for (i = 0, nkids = 0; i < b.rnodes.n; i++) {
        brnode_t *bn = &b.rnodes.p[i];
        ev__rnode_t *rn = &m->rnodes[i];

        if (bn->kids.n > 1)
            qsort(bn->kids.p, bn->kids.n, sizeof(struct bkid), cmp_bkid);
        rn->kid_off = (uint32_t)nkids;
        rn->nkid = (uint32_t)bn->kids.n;
        for (j = 0; j < bn->kids.n; j++, nkids++) {
            m->kid_clause[nkids] = bn->kids.p[j].clause;
            m->kid_node[nkids] = bn->kids.p[j].node;
            if (i == 0) {
                m->cdir[bn->kids.p[j].clause].rkid = bn->kids.p[j].node;
                rkid_clause[bn->kids.p[j].node] = bn->kids.p[j].clause + 1;
            }
        }
        if (rkid_clause[i]) {
            /*
             * A child of the root whose terms include the only conjunct of a
             * rule, with its one REQ item: the clause alone decides the rule.
             */
            ev__cdir_t *cd = &m->cdir[rkid_clause[i] - 1];
            size_t k = 0;

            cd->direct.off = (uint32_t)dtags.n;
            for (j = 0; j < bn->terms.n; j++) {
                const ev__conj_t *cj = &b.conjs.p[bn->terms.p[j]];

                if (cj->nitem == 1 && !cj->has_neg && rule_nconj[cj->rule] == 1)
                    EV__VEC_PUSH(&dtags, m->tags[cj->rule]);
                else
                    bn->terms.p[k++] = bn->terms.p[j];
            }
            cd->direct.n = (uint32_t)(dtags.n - cd->direct.off);
            bn->terms.n = k;
            if (k == 0 && bn->kids.n == 0)
                cd->rkid = 0; /* nothing left to visit there */
        }
        {
            ev__span_t s = span_of(&b, bn->terms.p, bn->terms.n);

            rn->term_off = s.off;
            rn->nterm = s.n;
        }
        EV__VEC_FREE(&bn->kids);
        EV__VEC_FREE(&bn->terms);
    }
    free(rule_nconj);
    free(rkid_clause);
    EV__VEC_RESERVE(&dtags, 1); /* never NULL: collect offsets into it */
    m->dtags = dtags.p;
    m->memory += dtags.n * sizeof(uint64_t);
    m->conjs = b.conjs.p;
    m->nconjs = (uint32_t)b.conjs.n;
    m->items = b.items.p;
    m->nitems = (uint32_t)b.items.n;

    /* Paths. */
    m->npnodes = (uint32_t)b.pnodes.n;
    m->pnodes = b.pnodes.p;
    for (i = 0; i < m->npnodes; i++) {
        if (m->pnodes[i].vm != EV__NONE)
            m->pnodes[i].vflags = m->vms[m->pnodes[i].vm].flags;
    }
    m->nkents = (uint32_t)b.kents.n;
    m->kents = b.kents.p;
    {
        size_t cap = 16;

        while (cap < b.kents.n * 2)
            cap *= 2;
        m->kslots = ev__mx_calloc(cap, sizeof(uint32_t));
        m->kmask = (uint32_t)cap - 1;
        for (i = 0; i < b.kents.n; i++) {
            size_t s;

            for (s = b.kents.p[i].hash & m->kmask; m->kslots[s]; s = (s + 1) & m->kmask)
                ;
            m->kslots[s] = (uint32_t)i + 1;
        }
    }
    /* Inline child lists for nodes with few children (no hashing when scanning). */
    {
        uint32_t *fill = ev__mx_calloc(m->npnodes + 1, sizeof(uint32_t));
        size_t nsk = 0;

        for (i = 0; i < m->npnodes; i++) {
            if (m->pnodes[i].nchild <= EV__SMALL_KIDS) {
                m->pnodes[i].kid_off = (uint32_t)nsk;
                nsk += m->pnodes[i].nchild;
            }
        }
        m->skids = ev__mx_alloc((nsk + 1) * sizeof(ev__skid_t));
        for (i = 0; i < b.kents.n; i++) {
            const ev__kent_t *ke = &b.kents.p[i];
            ev__pnode_t *par = &m->pnodes[ke->parent];

            if (par->nchild <= EV__SMALL_KIDS) {
                ev__skid_t *sk = &m->skids[par->kid_off + fill[ke->parent]++];

                sk->len = ke->len;
                sk->child = ke->child;
                sk->off = ke->off;
                sk->w8 = 0;
                memcpy(&sk->w8, b.blob.p + ke->off,
                       ke->len < 8 ? ke->len : 8);
                /* An empty child is a dotted key's prefix when the key starts with '.'. */
                par->kfirst |= 1ull << ((ke->len ? (unsigned char)b.blob.p[ke->off] : '.') & 63);
            }
        }
        free(fill);
        for (i = 0; i < m->npnodes; i++) {
            if (m->pnodes[i].nchild && m->pnodes[i].nchild <= EV__SMALL_KIDS)
                find_kmul(&m->pnodes[i], m->skids + m->pnodes[i].kid_off);
        }
        m->memory += nsk * sizeof(ev__skid_t);
    }
    /*
     * One-byte keys (printable ASCII, the commonest keys of bulky data) of
     * nodes with inline children: a direct table, entry 0 unused.
     */
    {
        size_t nk1 = 1;

        m->k1tab = ev__mx_calloc(1, sizeof(uint32_t));
        for (i = 0; i < m->npnodes; i++) {
            ev__pnode_t *pn = &m->pnodes[i];
            const ev__skid_t *sk = m->skids + pn->kid_off;

            if (!pn->nchild || pn->nchild > EV__SMALL_KIDS)
                continue;
            for (j = 0; j < pn->nchild; j++) {
                if (sk[j].len == 1 && sk[j].w8 >= 0x20 && sk[j].w8 < 0x80)
                    break;
            }
            if (j == pn->nchild)
                continue;
            m->k1tab = ev__mx_realloc(m->k1tab, (nk1 + 96) * sizeof(uint32_t));
            memset(m->k1tab + nk1, 0, 96 * sizeof(uint32_t));
            for (j = 0; j < pn->nchild; j++) {
                if (sk[j].len == 1 && sk[j].w8 >= 0x20 && sk[j].w8 < 0x80)
                    m->k1tab[nk1 + sk[j].w8 - 0x20] = sk[j].child + 1;
            }
            pn->k1 = (uint32_t)nk1;
            nk1 += 96;
        }
        m->memory += nk1 * sizeof(uint32_t);
    }
    m->ids = b.ids.p;
    m->nids = b.ids.n;
    m->blob = b.blob.p;
    m->nblob = b.blob.n;
    m->memory += sizeof(*m) + m->npnodes * sizeof(ev__pnode_t) +
                 m->nkents * sizeof(ev__kent_t) + (m->kmask + 1) * 4 + m->nids * 4 + m->nblob +
                 m->nwcps * sizeof(ev__wcp_t) + m->nclauses + m->nslots * 4 +
                 m->nrnodes * sizeof(ev__rnode_t) + nkids * 8 + m->nconjs * sizeof(ev__conj_t) +
                 m->nclauses * sizeof(ev__cdir_t) +
                 m->nitems * sizeof(ev__item_t) + m->nrules * 8;

    EV__VEC_FREE(&b.vms);
    bmap_free(&b.kmap);
    bmap_free(&b.clauses);
    bmap_free(&b.rkids);
    EV__VEC_FREE(&b.cl_pnode);
    EV__VEC_FREE(&b.cl_path);
    EV__VEC_FREE(&b.cl_path_n);
    EV__VEC_FREE(&b.rnodes);
    ev_matcher_builder_free(bld);
    return m;
}

static void free_trie(ev__trie_t *t)
{
    free(t->nodes);
    free(t->ebyte);
    free(t->ekid);
}

static void free_ivs(ev__ivs_t *v)
{
    free(v->busy);
    free(v->keys);
    free(v->hit);
    free(v->blk);
}

static void free_stab(ev__stab_t *t)
{
    free(t->slots);
    free(t->ents);
}

static void matcher_free(ev_matcher_t *m)
{
    uint32_t i;

    for (i = 0; i < m->nvms; i++) {
        ev__vm_t *vm = &m->vms[i];

        free_stab(&vm->exact);
        free_stab(&vm->numtext);
        free_stab(&vm->eqic);
        free_trie(&vm->pre);
        free_trie(&vm->suf);
        free_trie(&vm->pre_ic);
        free_trie(&vm->suf_ic);
        free_ivs(&vm->num);
        free_ivs(&vm->ip4);
        free_ivs(&vm->ip6);
    }
    for (i = 0; i < m->nwcps; i++)
        ev__glob_free(&m->wcps[i].g);
    free(m->vms);
    free(m->wcps);
    free(m->pnodes);
    free(m->kents);
    free(m->skids);
    free(m->k1tab);
    free(m->kslots);
    free(m->ids);
    free(m->blob);
    free(m->cl_track);
    free(m->slot_clause);
    free(m->rnodes);
    free(m->kid_clause);
    free(m->kid_node);
    free(m->cdir);
    free(m->dtags);
    free(m->conjs);
    free(m->items);
    free(m->tags);
    free(m);
}

ev_matcher_t *ev_matcher_ref(ev_matcher_t *m)
{
    if (m)
        atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void ev_matcher_unref(ev_matcher_t *m)
{
    if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        matcher_free(m);
}

size_t ev_matcher_rule_count(const ev_matcher_t *m)
{
    return m->nrules;
}

size_t ev_matcher_memory(const ev_matcher_t *m)
{
    return m->memory;
}
