/*
 * match/match_int.h - internals shared by the match/ files: allocation and
 * vector helpers, the pattern AST the compiler produces (and both matchers
 * consume), numbers, case folding, IP addresses and wildcards.
 */
#ifndef EV_MATCH_MATCH_INT_H
#define EV_MATCH_MATCH_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "match/match.h"

/* --- allocation (aborts on failure; sizes from input are bounded first) -- */

void *ev__mx_alloc(size_t n);
void *ev__mx_calloc(size_t n, size_t m);
void *ev__mx_realloc(void *p, size_t n);
char *ev__mx_memdup(const void *p, size_t n); /* NUL-terminated copy */
char *ev__mx_printf(const char *fmt, ...) EV_PRINTF(1, 2);

/* Grows an array to hold at least `need` elements; returns the new pointer. */
void *ev__mx_grow(void *p, size_t *cap, size_t need, size_t elem);

#define EV__VEC(T)                                                                             \
    struct {                                                                                   \
        T *p;                                                                                  \
        size_t n, cap;                                                                         \
    }
#define EV__VEC_RESERVE(v, need)                                                               \
    do {                                                                                       \
        if ((need) > (v)->cap)                                                                 \
            (v)->p = ev__mx_grow((v)->p, &(v)->cap, (need), sizeof(*(v)->p));                  \
    } while (0)
#define EV__VEC_PUSH(v, x)                                                                     \
    do {                                                                                       \
        EV__VEC_RESERVE(v, (v)->n + 1);                                                        \
        (v)->p[(v)->n++] = (x);                                                                \
    } while (0)
#define EV__VEC_FREE(v)                                                                        \
    do {                                                                                       \
        free((v)->p);                                                                          \
        (v)->p = NULL;                                                                         \
        (v)->n = (v)->cap = 0;                                                                 \
    } while (0)

/* Bump allocator for one pattern's AST; freed all at once. */
typedef struct ev__arena_chunk ev__arena_chunk_t;
typedef struct {
    ev__arena_chunk_t *head;
    size_t used, size;
} ev__arena_t;

void *ev__arena_alloc(ev__arena_t *a, size_t n);
char *ev__arena_memdup(ev__arena_t *a, const void *p, size_t n); /* NUL-terminated */
void ev__arena_free(ev__arena_t *a);

/* 64-bit hash of a byte string (not cryptographic); inline for the scanner's key lookups. */
static inline uint64_t ev__hash_mix(uint64_t a, uint64_t b)
{
    __extension__ typedef unsigned __int128 ev__u128;
    ev__u128 r = (ev__u128)a * b;

    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t ev__hash(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0xa0761d6478bd642full), v;

    while (n >= 8) {
        memcpy(&v, p, 8);
        h = ev__hash_mix(h ^ v, 0xe7037ed1a0b428dbull);
        p += 8;
        n -= 8;
    }
    if (n) {
        v = 0;
        memcpy(&v, p, n);
        h = ev__hash_mix(h ^ v ^ ((uint64_t)n << 56), 0x8ebc6af09c88c6e3ull);
    }
    return ev__hash_mix(h, 0x589965cc75374cc3ull);
}

/* --- pattern AST -------------------------------------------------------- */

typedef struct {
    const char *p; /* arena-owned, NUL-terminated */
    uint32_t n;
} ev__str_t;

typedef enum {
    EV__C_EXACT,     /* string equals s[0] */
    EV__C_NUM_EQ,    /* comparable number equals num[0] */
    EV__C_NUM_TEXT,  /* non-comparable number whose text equals s[0] */
    EV__C_NULL,      /* JSON null */
    EV__C_TRUE,      /* JSON true */
    EV__C_FALSE,     /* JSON false */
    EV__C_CIDR,      /* string that is an IP address inside [ip_lo, ip_hi] */
    EV__C_PREFIX,    /* string starts with s[0] */
    EV__C_PREFIX_IC, /* case-folded string starts with s[0] (stored folded) */
    EV__C_SUFFIX,    /* string ends with s[0] */
    EV__C_SUFFIX_IC, /* case-folded suffix, s[0] stored folded */
    EV__C_EQ_IC,     /* case-folded equality, s[0] stored folded */
    EV__C_WILDCARD,  /* string matches glob s[0] (raw pattern text) */
    EV__C_RANGE,     /* comparable number within lo..hi */
    EV__C_EXISTS,    /* any leaf value */
    EV__C_ABSENT,    /* exists:false (handled by the conjunct, not as a value test) */
    EV__C_AB_STR,    /* anything-but strings: any leaf except strings in s[] */
    EV__C_AB_NUM,    /* anything-but numbers: any leaf except comparable numbers in num[] */
    EV__C_AB_PREFIX, /* any leaf except strings starting with one of s[] */
    EV__C_AB_SUFFIX, /* any leaf except strings ending with one of s[] */
    EV__C_AB_IC,     /* any leaf except strings whose folding equals one of s[] (folded) */
    EV__C_AB_WILDCARD, /* any leaf except strings matching one of the globs s[] */
    EV__C__COUNT
} ev__cond_kind;

typedef struct {
    ev__cond_kind kind;
    uint32_t n;       /* entries in s[] or num[] */
    ev__str_t *s;     /* strings (EXACT, NUM_TEXT, PREFIX.., AB_STR.., WILDCARD) */
    double *num;      /* numbers (NUM_EQ, AB_NUM) */
    double lo, hi;    /* RANGE */
    uint8_t lo_open, hi_open;
    uint8_t ip_v6;    /* CIDR: 0 = IPv4 (4 bytes used), 1 = IPv6 */
    uint8_t ip_lo[16], ip_hi[16];
} ev__cond_t;

/* One field of a branch: a dotted path and its alternatives (OR). */
typedef struct {
    ev__str_t path;   /* dotted, as event-ruler joins names */
    ev__cond_t *conds;
    uint32_t nconds;
} ev__field_t;

/* One `$or` branch: all fields must hold (AND). Paths are unique. */
typedef struct {
    ev__field_t *fields;
    uint32_t nfields;
} ev__branch_t;

typedef struct {
    ev__arena_t arena;
    ev__branch_t *branches;
    uint32_t nbranches;
} ev__rule_ast_t;

/*
 * Parses and validates one pattern. On success fills *ast (free with
 * ev__ast_free) and returns EV_OK; otherwise EV_ERR_INVALID_PATTERN and a
 * malloc'd full message in *message (if message is not NULL).
 */
ev_err ev__pattern_parse(const char *p, size_t len, ev__rule_ast_t *ast, char **message);
void ev__ast_free(ev__rule_ast_t *ast);

/* --- JSON pattern tokenizer (Jackson-compatible errors) ----------------- */

typedef enum {
    EV__JT_EOF = 0,
    EV__JT_START_OBJECT,
    EV__JT_END_OBJECT,
    EV__JT_START_ARRAY,
    EV__JT_END_ARRAY,
    EV__JT_FIELD_NAME,
    EV__JT_STRING,
    EV__JT_NUMBER_INT,
    EV__JT_NUMBER_FLOAT,
    EV__JT_TRUE,
    EV__JT_FALSE,
    EV__JT_NULL,
    EV__JT_ERROR
} ev__jt_tok;

#define EV__JT_MAX_DEPTH 1000

typedef struct {
    const char *src, *p, *end;
    ev__jt_tok tok;      /* current token */
    ev__jt_tok pending;  /* value token already read after a field name */
    const char *pend_p;  /* start of that pending value */
    const char *pend_e;  /* end of that pending value */
    const char *str_at;  /* an unfinished string value starts here (lazy, like Jackson) */
    char *text;          /* decoded text of the current name / string / raw number */
    size_t text_n, text_cap;
    char *name;          /* current field name */
    size_t name_n, name_cap;
    uint8_t ctx[EV__JT_MAX_DEPTH + 2]; /* 0 root, 1 object, 2 array */
    uint32_t ctx_start[EV__JT_MAX_DEPTH + 2];
    uint32_t ctx_count[EV__JT_MAX_DEPTH + 2];
    int depth;
    int checked;         /* UTF-8 validated */
    char *err;           /* malloc'd reason of the first error */
    size_t err_at;       /* source offset Jackson would report for it */
    int err_loc;         /* location lines Jackson appends: 0, 1 or 2 */
} ev__jt_t;

void ev__jt_init(ev__jt_t *t, const char *p, size_t n);
void ev__jt_fini(ev__jt_t *t);
/* Advances; returns the token or EV__JT_ERROR (t->err set). */
ev__jt_tok ev__jt_next(ev__jt_t *t);
/* Text of the current string/number/literal token (decodes a lazy string). NULL on error. */
const char *ev__jt_text(ev__jt_t *t, size_t *n);
/* Sets t->err to a formatted reason (first error wins), located at the current position. */
void ev__jt_fail(ev__jt_t *t, const char *fmt, ...) EV_PRINTF(2, 3);
/* The same, located at `at` (a pointer into the source). */
void ev__jt_fail_at(ev__jt_t *t, const char *at, const char *fmt, ...) EV_PRINTF(3, 4);
/* "[Source: (String)\"...\"; line: L, column: C]" for a source offset (malloc'd). */
char *ev__jt_location(const ev__jt_t *t, size_t off);

/* --- numbers -------------------------------------------------------------
 *
 * event-ruler compares numbers as IEEE doubles, and only numbers whose exact
 * decimal value equals the shortest representation of their double
 * ("comparable"); others (more than 17 significant digits, or 16-17 digits
 * that are not the shortest form) match only by their text.
 */

/* Exact reference classification of a JSON number text (slow, uses strtod/snprintf). */
int ev__num_classify_slow(const char *s, size_t n, double *d /* OUT */);
/* Same answer as ev__num_classify_slow, fast for common numbers. */
int ev__num_classify(const char *s, size_t n, double *d /* OUT */);
/* Order-preserving unsigned key of a double (+0 == -0); inline for the scanner. */
static inline uint64_t ev__num_key(double d)
{
    uint64_t bits;

    if (d == 0)
        d = 0.0;
    memcpy(&bits, &d, 8);
    return (bits >> 63) ? ~bits : bits | (1ull << 63);
}
/* A number's significant digits: value = (neg ? -1 : 1) * w * 10^q, nd digits (no trailing 0). */
typedef struct {
    int neg, zero;
    int nd;   /* -1: more than 19 significant digits before trimming (slow path) */
    uint64_t w;
    long q;
} ev__dec_t;

/*
 * Builds an ev__dec_t from a validated number's parts (fa, fb NULL without a
 * fraction); bytes before lim may be read past the digits.
 */
void ev__dec_from_parts(ev__dec_t *d, int neg, const char *ia, const char *ib, const char *fa,
                        const char *fb, long exp, const char *lim);
/* An estimate of the value within 4 ulp, for pre-filtering; 0 if none is available. */
int ev__dec_estimate(const ev__dec_t *d, double *out /* OUT */);
/* ev__num_classify for a number already decoded (text s, n still needed on the slow path). */
int ev__dec_classify(const ev__dec_t *d, const char *s, size_t n, double *out /* OUT */);

/* --- case folding (equals-ignore-case) ---------------------------------- */

/* Maximum output bytes of ev__fold for n input bytes. */
#define EV__FOLD_MAX(n) ((n) * 3 / 2 + 4)
/* Simple Unicode case folding of valid UTF-8; returns the output length. */
size_t ev__fold(const char *s, size_t n, char *out);
/* Folds one code point. */
uint32_t ev__fold_cp(uint32_t cp);
/* Generated table (fold_table.c): sorted code points >= 0x80 and their foldings. */
extern const size_t ev__fold_n;
extern const uint32_t ev__fold_from[];
extern const uint32_t ev__fold_to[];

/* --- IP addresses ------------------------------------------------------- */

/*
 * Parses an IPv4/IPv6 literal as event-ruler does (its regex gate, then a
 * strict parse; IPv4-mapped IPv6 becomes IPv4). Returns 4, 16, or 0 if the
 * text is not an address; bytes in out.
 */
int ev__ip_parse(const char *s, size_t n, uint8_t out[16]);
/* 1 if the text passes event-ruler's IPv4-or-IPv6 regex gate. */
int ev__ip_looks_like(const char *s, size_t n);
/*
 * Parses a CIDR block into cond (ip_v6, ip_lo, ip_hi). Returns NULL, or a
 * static reason / malloc'd reason in *owned.
 */
const char *ev__cidr_parse(const char *s, size_t n, ev__cond_t *cond, char **owned);

/* --- wildcards ---------------------------------------------------------- */

/*
 * Validates a wildcard pattern as event-ruler does ('*', "\\*", "\\\\").
 * Returns NULL or a malloc'd reason.
 */
char *ev__wc_check(const char *s, size_t n);
/* Decoded glob: literal segments between stars. */
typedef struct {
    uint32_t nseg;     /* number of segments = stars + 1 */
    uint32_t *off;     /* segment offsets into bytes */
    uint32_t *len;     /* segment lengths */
    char *bytes;       /* unescaped literal bytes */
} ev__glob_t;
/* Decodes a validated wildcard (malloc'd parts; free with ev__glob_free). */
void ev__glob_init(ev__glob_t *g, const char *s, size_t n);
void ev__glob_free(ev__glob_t *g);
/* 1 if s matches the glob. */
int ev__glob_match(const ev__glob_t *g, const char *s, size_t n);
/*
 * Complexity (max live wildcard prefixes) of the wildcard patterns of one
 * field, counted on the quoted patterns (quoted = 1) as rules are, or on the
 * bare ones (0). Stops counting above cap.
 */
uint32_t ev__wc_complexity(const ev__str_t *pats, size_t n, uint32_t cap, int quoted);

/* --- UTF-8 -------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid / truncated. */
size_t ev__utf8_seq(const unsigned char *p, const unsigned char *end);

/* --- the compiled matcher (build.c builds it, scan.c runs it) -------------- */

#define EV__NONE 0xffffffffu

typedef struct {
    uint32_t off, n; /* a list in ev_matcher.ids */
} ev__span_t;

/*
 * Field-path trie node. Few children are listed inline; more go through the key map.
 * Inline children are found with one probe when a multiplier separates them: the
 * child is kslot[ev__kslot(w, n, kmul)] - 1 (0: none), w = the key's first 8 bytes.
 */
typedef struct {
    uint32_t vm;     /* value matcher, or EV__NONE */
    uint32_t nchild; /* 0: the values below need no key lookups */
    uint32_t kid_off; /* when nchild <= EV__SMALL_KIDS: children in ev_matcher.skids */
    uint32_t k1;      /* 0, or one-byte keys: child + 1 at ev_matcher.k1tab[k1 + byte - 0x20] */
    uint32_t vflags;  /* flags of vm (0 without one), read with the node */
    uint64_t kmul;    /* 0: no separating multiplier, scan the inline children */
    uint8_t kslot[16];
    uint64_t kfirst;  /* inline children: bit (first byte & 63) of each */
} ev__pnode_t;

/* Slot of a key (first 8 bytes zero-padded in w, length n) under multiplier mul. */
static inline uint32_t ev__kslot(uint64_t w, size_t n, uint64_t mul)
{
    return (uint32_t)(((w ^ (uint64_t)n) * mul) >> 60);
}

#define EV__SMALL_KIDS 8

typedef struct {
    uint64_t w8;              /* the first (up to) 8 key bytes, zero-padded */
    uint32_t len, child, off; /* key segment bytes at blob + off */
} ev__skid_t;

/* (parent node, one key segment) -> child node. */
typedef struct {
    uint64_t hash;
    uint32_t parent, child;
    uint32_t off, len; /* segment bytes in ev_matcher.blob */
} ev__kent_t;

/* Exact-string table entry: hits (clause ids) and blocks (anything-but slots). */
typedef struct {
    uint64_t hash;
    uint32_t off, len;
    ev__span_t hit, blk;
} ev__sent_t;

typedef struct {
    uint32_t *slots; /* 1 + entry index; 0 empty */
    uint32_t mask;
    ev__sent_t *ents;
    uint32_t n;
    uint64_t lenmask; /* bit min(len, 63) of every entry: most keys miss without a probe */
} ev__stab_t;

/* 0 if no entry of t can have length n. */
static inline int ev__stab_len_ok(const ev__stab_t *t, size_t n)
{
    return (int)((t->lenmask >> (n < 63 ? n : 63)) & 1);
}

/* Byte-trie node; edges sorted by byte. wc lists wildcard programs to run here. */
typedef struct {
    uint32_t edge_off;
    uint16_t nedge;
    uint8_t act; /* some hit, blk or wc to visit here */
    ev__span_t hit, blk, wc;
} ev__tnode_t;

typedef struct {
    ev__tnode_t *nodes;
    uint8_t *ebyte;
    uint32_t *ekid;
    uint32_t nnodes;
} ev__trie_t;

typedef struct {
    uint64_t hi, lo;
} ev__k128_t;

/* Interval stabbing: sorted endpoints, segment tree over the elementary slots. */
typedef struct {
    ev__k128_t *keys;
    uint32_t nkeys;
    uint32_t size;    /* leaves, a power of two >= 2 * nkeys + 1 */
    ev__span_t *hit;  /* per tree node, 2 * size */
    ev__span_t *blk;
    uint8_t *busy;    /* per elementary slot: some interval covers it */
    uint8_t all_busy; /* every slot is busy: pre-filtering cannot help */
} ev__ivs_t;

/* A wildcard to check: positive (hit `target` clause) or anything-but (block slot). */
typedef struct {
    ev__glob_t g;
    uint32_t target;
    uint8_t negative;
} ev__wcp_t;

enum {
    EV__VM_EXACT = 1u << 0,
    EV__VM_NUMTEXT = 1u << 1,
    EV__VM_EQIC = 1u << 2,
    EV__VM_PRE = 1u << 3,
    EV__VM_SUF = 1u << 4,
    EV__VM_PREIC = 1u << 5,
    EV__VM_SUFIC = 1u << 6,
    EV__VM_NUM = 1u << 7,
    EV__VM_IP = 1u << 8,
    EV__VM_LIT = 1u << 9,
    EV__VM_EXISTS = 1u << 10,
    EV__VM_AB = 1u << 11,
};
#define EV__VM_IC (EV__VM_EQIC | EV__VM_PREIC | EV__VM_SUFIC)
#define EV__VM_STR                                                                             \
    (EV__VM_EXACT | EV__VM_IC | EV__VM_PRE | EV__VM_SUF | EV__VM_IP | EV__VM_AB | EV__VM_EXISTS)
#define EV__VM_NUMBER (EV__VM_NUM | EV__VM_NUMTEXT | EV__VM_AB | EV__VM_EXISTS)
#define EV__VM_LITERAL (EV__VM_LIT | EV__VM_AB | EV__VM_EXISTS)

/* Everything one field path tests its leaf values against. */
typedef struct {
    uint32_t flags;
    ev__stab_t exact, numtext, eqic;
    ev__trie_t pre, suf, pre_ic, suf_ic;
    ev__ivs_t num, ip4, ip6;
    ev__span_t lit[3]; /* null, true, false */
    ev__span_t exists;
    uint32_t ab_base, ab_n; /* anything-but slots */
} ev__vm_t;

/* Rule-trie node: children keyed by clause id (sorted), terminal conjuncts. */
typedef struct {
    uint32_t kid_off, nkid;
    uint32_t term_off, nterm;
} ev__rnode_t;

enum { EV__IT_REQ = 0, EV__IT_ABS = 1, EV__IT_OPT = 2 };

/* One conjunct item, for the array-consistency / exists:false check. */
typedef struct {
    uint8_t kind;
    uint32_t clause;   /* REQ, OPT: the positive clause */
    uint32_t presence; /* ABS, OPT: the exists:true clause of the same path */
} ev__item_t;

/*
 * Per clause, for collecting matches from the clauses hit: the root's rule-trie
 * child for it, and the rules it alone decides (one conjunct with one REQ item).
 */
typedef struct {
    uint32_t rkid;     /* 0: no child of the root */
    ev__span_t direct; /* their tags in ev_matcher.dtags */
} ev__cdir_t;

typedef struct {
    uint32_t rule;
    uint32_t item_off, nitem; /* items sorted by field path */
    uint32_t nreq;
    uint8_t has_neg;          /* some ABS or OPT item */
} ev__conj_t;

struct ev_matcher {
    atomic_uint refs;
    ev__pnode_t *pnodes;
    uint32_t npnodes;
    ev__kent_t *kents;
    uint32_t nkents;
    ev__skid_t *skids;
    uint32_t *k1tab;        /* per node with inline one-byte children: 96 entries */
    uint32_t *kslots;
    uint32_t kmask;
    ev__vm_t *vms;
    uint32_t nvms;
    uint32_t *ids;
    size_t nids;
    char *blob;
    size_t nblob;
    ev__wcp_t *wcps;
    uint32_t nwcps;
    uint32_t nclauses;
    uint8_t *cl_track;      /* record non-root hits of this clause */
    uint32_t nslots;
    uint32_t *slot_clause;
    ev__rnode_t *rnodes;
    uint32_t nrnodes;
    uint32_t *kid_clause;
    uint32_t *kid_node;
    ev__cdir_t *cdir;       /* per clause */
    uint64_t *dtags;        /* tags of the rules one clause decides (cdir.direct) */
    ev__conj_t *conjs;
    uint32_t nconjs;
    ev__item_t *items;
    uint32_t nitems;
    uint32_t nrules;
    uint64_t *tags;
    int any_track;
    size_t memory;
};


#endif
