/*
 * bench/match.c - matcher throughput on the citylots data, as the peers
 * (event-ruler, Quamina) measure it: for each rule set of
 * ../shared/data/citylots-patterns.json, one automaton, every line of the
 * file matched once on one core, whole file in memory. Prints events/s, MB/s
 * and per-pattern counts, and checks every count against the reference
 * matcher (on every Nth line, --ref-every). Then the union of all sets in one
 * automaton, the 10-vs-10,000-rules scale test and memory.
 *
 *   bench/match [--data DIR] [--passes N] [--ref-every N] [--quick]
 *
 * DIR must hold citylots.jsonl and citylots2.jsonl (bench/match.sh makes
 * them with ../shared/data/gen-citylots.py).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "match/match.h"

static size_t max_lines; /* --lines N: use the first N lines of each file */

typedef struct {
    char *buf;
    size_t len;
    size_t *off, *n;
    size_t lines;
} data_t;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * CPU time of this thread: the machine is shared, and time spent descheduled
 * is not the matcher's cost on one core.
 */
static double cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = strtol(line + 6, NULL, 10);
    }
    fclose(f);
    return v;
}

static int load(const char *path, data_t *d)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 1 << 16, i, start = 0;
    long sz;

    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    d->buf = malloc((size_t)sz + 1);
    if (!d->buf || fread(d->buf, 1, (size_t)sz, f) != (size_t)sz) {
        fclose(f);
        return -1;
    }
    fclose(f);
    d->len = (size_t)sz;
    d->off = malloc(cap * sizeof(size_t));
    d->n = malloc(cap * sizeof(size_t));
    d->lines = 0;
    for (i = 0; i <= d->len; i++) {
        if (i == d->len || d->buf[i] == '\n') {
            if (i > start) {
                if (d->lines == cap) {
                    cap *= 2;
                    d->off = realloc(d->off, cap * sizeof(size_t));
                    d->n = realloc(d->n, cap * sizeof(size_t));
                }
                d->off[d->lines] = start;
                d->n[d->lines] = i - start;
                d->lines++;
            }
            start = i + 1;
            if (max_lines && d->lines == max_lines) {
                d->len = i;
                break;
            }
        }
    }
    return 0;
}

static const char *only; /* --only NAME: one set (or UNION / SCALE) */

typedef struct {
    double best_s;      /* best pass */
    size_t counts[128]; /* per tag */
    size_t events;
    size_t bytes;
    int errors;
} run_t;

/* Matches every line `passes` times; keeps the best pass time and the counts of the last. */
static void run_matcher(const ev_matcher_t *m, const data_t *d, int passes, size_t ntags,
                        run_t *r)
{
    ev_match_scratch_t *s = ev_match_scratch_new();
    int p;

    memset(r, 0, sizeof(*r));
    r->best_s = 1e30;
    for (p = 0; p < passes; p++) {
        double t0 = cpu_now(), t;
        size_t i, k;

        memset(r->counts, 0, sizeof(r->counts));
        r->errors = 0;
        for (i = 0; i < d->lines; i++) {
            const uint64_t *tags;
            size_t n;

            if (ev_matcher_match(m, d->buf + d->off[i], d->n[i], s, &tags, &n) != EV_MATCH_OK) {
                r->errors++;
                continue;
            }
            for (k = 0; k < n; k++) {
                if (tags[k] < ntags && tags[k] < 128)
                    r->counts[tags[k]]++;
            }
        }
        t = cpu_now() - t0;
        if (t < r->best_s)
            r->best_s = t;
    }
    r->events = d->lines;
    r->bytes = d->len;
    ev_match_scratch_free(s);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Compares compiled and reference verdicts on every `every`-th line. */
static size_t ref_check(const ev_matcher_t *m, const ev_match_ref_t *ref, const data_t *d,
                        size_t every, size_t *checked, size_t *ref_counts, size_t ntags)
{
    ev_match_scratch_t *s = ev_match_scratch_new();
    size_t i, bad = 0;

    *checked = 0;
    for (i = 0; i < d->lines; i += every) {
        const uint64_t *tags;
        uint64_t *rt = NULL;
        size_t n = 0, rn = 0, a;

        ev_matcher_match(m, d->buf + d->off[i], d->n[i], s, &tags, &n);
        ev_match_ref_match(ref, d->buf + d->off[i], d->n[i], &rt, &rn);
        (*checked)++;
        for (a = 0; a < rn; a++) {
            if (rt[a] < ntags)
                ref_counts[rt[a]]++;
        }
        if (n != rn) {
            bad++;
        } else if (n) {
            uint64_t *got = malloc(n * sizeof(uint64_t));

            memcpy(got, tags, n * sizeof(uint64_t));
            qsort(got, n, sizeof(uint64_t), cmp_u64);
            for (a = 0; a < n; a++) {
                if (got[a] != rt[a]) {
                    bad++;
                    break;
                }
            }
            free(got);
        }
        free(rt);
    }
    ev_match_scratch_free(s);
    return bad;
}

/*
 * The raw text of every "patterns" element, per set, in file order: pattern
 * texts must reach the matcher byte for byte (a re-serialised number, e.g.
 * 37.80780792169409 printed as 37.807807921694092, is a different pattern).
 */
typedef struct {
    char **p;
    size_t n;
} texts_t;

static const char *skip_json_value(const char *p)
{
    int depth = 0;

    do {
        if (*p == '"') {
            for (p++; *p != '"'; p++) {
                if (*p == '\\')
                    p++;
            }
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
        }
        p++;
    } while (depth > 0 || (*p != ',' && *p != ']' && *p != '}' && depth == 0 &&
                           (p[-1] != '"' && p[-1] != '}' && p[-1] != ']') && *p));
    return p;
}

static texts_t *raw_patterns(const char *text, size_t nsets)
{
    texts_t *out = calloc(nsets, sizeof(texts_t));
    const char *p = text;
    size_t set = 0;

    while (set < nsets && (p = strstr(p, "\"patterns\"")) != NULL) {
        p = strchr(p, '[') + 1;
        for (;;) {
            const char *e;

            while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',')
                p++;
            if (*p == ']')
                break;
            e = skip_json_value(p);
            out[set].p = realloc(out[set].p, (out[set].n + 1) * sizeof(char *));
            out[set].p[out[set].n++] = strndup(p, (size_t)(e - p));
            p = e;
        }
        set++;
    }
    return out;
}

static texts_t *raw; /* per set */

static const char *set_dataset(json_t *set)
{
    const char *ds = json_string_value(json_object_get(set, "dataset"));

    return ds && strstr(ds, "citylots2") ? "citylots2" : "citylots";
}

/* EventBridge operators only: Quamina's regexp and shellstyle (= wildcard) are skipped. */
static int set_supported(json_t *set)
{
    const char *name = json_string_value(json_object_get(set, "name"));

    return strcmp(name, "REGEXP") != 0 && strcmp(name, "SHELLSTYLE") != 0;
}

static void bench_sets(json_t *sets, const data_t *cl, const data_t *cl2, int passes,
                       size_t every)
{
    size_t i, k;
    json_t *set;

    printf("| set | peer | data | rules | events/s | MB/s | counts (r0..) | ref check |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    json_array_foreach(sets, i, set) {
        const char *name = json_string_value(json_object_get(set, "name"));
        const char *peer = json_string_value(json_object_get(set, "peer"));
        json_t *pats = json_object_get(set, "patterns"), *p;
        const data_t *d = strcmp(set_dataset(set), "citylots2") == 0 ? cl2 : cl;
        ev_matcher_builder_t *b;
        ev_match_ref_t *ref;
        ev_matcher_t *m;
        run_t r;
        size_t checked, bad, ref_counts[128] = {0};
        char counts[512] = "";

        if (only && strcmp(only, name) != 0)
            continue;
        if (!set_supported(set)) {
            printf("| %s | %s | - | - | skipped: not an EventBridge operator | | | |\n", name,
                   peer);
            continue;
        }
        b = ev_matcher_builder_new();
        ref = ev_match_ref_new();
        json_array_foreach(pats, k, p) {
            const char *txt = raw[i].p[k];
            char *msg = NULL;

            if (ev_matcher_builder_add(b, k, txt, strlen(txt), &msg) != EV_OK ||
                ev_match_ref_add(ref, k, txt, strlen(txt), NULL) != EV_OK) {
                fprintf(stderr, "%s r%zu refused: %s\n", name, k, msg ? msg : "");
                exit(1);
            }
        }
        m = ev_matcher_builder_finish(b);
        run_matcher(m, d, passes, json_array_size(pats), &r);
        bad = ref_check(m, ref, d, every, &checked, ref_counts, json_array_size(pats));
        for (k = 0; k < json_array_size(pats); k++) {
            size_t l = strlen(counts);

            snprintf(counts + l, sizeof(counts) - l, "%s%zu", k ? "/" : "", r.counts[k]);
        }
        printf("| %s | %s | %s | %zu | %.0f | %.0f | %s | %s: %zu/%zu lines agree |\n", name,
               peer, set_dataset(set), json_array_size(pats), (double)r.events / r.best_s,
               (double)r.bytes / r.best_s / 1e6, counts, bad ? "FAIL" : "ok", checked - bad,
               checked);
        if (r.errors)
            printf("  (%d events refused)\n", r.errors);
        fflush(stdout);
        ev_matcher_unref(m);
        ev_match_ref_free(ref);
    }
}

/* All supported sets in one automaton, on citylots2 (event-ruler's COMBO). */
static void bench_union(json_t *sets, const data_t *cl2, int passes, size_t every)
{
    ev_matcher_builder_t *b = ev_matcher_builder_new();
    ev_match_ref_t *ref = ev_match_ref_new();
    ev_matcher_t *m;
    json_t *set, *p;
    size_t i, k, tag = 0, checked, bad, ref_counts[128] = {0}, total = 0;
    run_t r;

    json_array_foreach(sets, i, set) {
        if (!set_supported(set) || strcmp(set_dataset(set), "citylots2") != 0)
            continue;
        json_array_foreach(json_object_get(set, "patterns"), k, p) {
            const char *txt = raw[i].p[k];

            if (ev_matcher_builder_add(b, tag, txt, strlen(txt), NULL) != EV_OK ||
                ev_match_ref_add(ref, tag, txt, strlen(txt), NULL) != EV_OK)
                exit(1);
            tag++;
        }
    }
    m = ev_matcher_builder_finish(b);
    run_matcher(m, cl2, passes, tag, &r);
    bad = ref_check(m, ref, cl2, every, &checked, ref_counts, tag);
    for (k = 0; k < tag; k++)
        total += r.counts[k];
    printf("| UNION (all sets above, one automaton) | - | citylots2 | %zu | %.0f | %.0f | %zu "
           "matches | %s: %zu/%zu lines agree |\n",
           tag, (double)r.events / r.best_s, (double)r.bytes / r.best_s / 1e6, total,
           bad ? "FAIL" : "ok", checked - bad, checked);
    ev_matcher_unref(m);
    ev_match_ref_free(ref);
}

/* --- scale: 10 vs 10,000 synthetic rules --------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *const streets[] = {
    "FULTON", "MASON", "JEFFERSON", "BEACH", "HYDE", "CHESTNUT", "MISSION", "MARKET", "FOLSOM",
    "HOWARD", "VALENCIA", "GUERRERO", "DOLORES", "CHURCH", "OCEAN", "GENEVA", "SILVER", "TARAVAL",
};

/* One selective rule of a mix of operators over the citylots2 fields. */
static void synth_rule(size_t i, char *out, size_t cap)
{
    const char *st = streets[rnd() % (sizeof(streets) / sizeof(streets[0]))];
    unsigned blk = (unsigned)(rnd() % 9000) + 1000, lot = (unsigned)(rnd() % 200);
    double x = -122.52 + (double)(rnd() % 1000000) / 1e7 * 1.2;

    switch (i % 8) {
    case 0:
        snprintf(out, cap, "{\"properties\":{\"MAPBLKLOT\":[\"%04u%03u\"]}}", blk, lot);
        break;
    case 1:
        snprintf(out, cap, "{\"properties\":{\"BLKLOT\":[{\"prefix\":\"%04u%02u\"}]}}", blk,
                 lot % 100);
        break;
    case 2:
        snprintf(out, cap,
                 "{\"geometry\":{\"firstCoordinates\":{\"x\":[{\"numeric\":[\">=\",%.6f,\"<\",%.6f]}]"
                 "}}}", x, x + 0.00002);
        break;
    case 3:
        snprintf(out, cap, "{\"properties\":{\"STREET\":[\"%s\"],\"FROM_ST\":[\"%u\"]}}", st,
                 (unsigned)(rnd() % 3000));
        break;
    case 4:
        snprintf(out, cap,
                 "{\"properties\":{\"LOT_NUM\":[{\"equals-ignore-case\":\"%03u\"}],"
                 "\"BLOCK_NUM\":[\"%04u\"]}}", lot, blk);
        break;
    case 5:
        snprintf(out, cap, "{\"properties\":{\"BLKLOT\":[{\"suffix\":\"%u%03u\"}]}}", blk % 10,
                 lot);
        break;
    case 6:
        snprintf(out, cap,
                 "{\"$or\":[{\"properties\":{\"MAPBLKLOT\":[\"%04u%03u\"]}},{\"properties\":"
                 "{\"TO_ST\":[\"%u\"],\"STREET\":[{\"prefix\":\"%c%c\"}]}}]}",
                 blk, lot, (unsigned)(rnd() % 3000), st[0], st[1]);
        break;
    default:
        snprintf(out, cap,
                 "{\"properties\":{\"ODD_EVEN\":[\"O\"],\"BLOCK_NUM\":[\"%04u\"],"
                 "\"ST_TYPE\":[{\"exists\":true}]}}", blk);
        break;
    }
}

static void bench_scale(const data_t *cl2, int passes, size_t every)
{
    static const size_t sizes[] = {10, 10000};
    double per_event[2];
    size_t si;

    printf("\n| rules | build ms | matcher bytes | RSS after build (KiB) | events/s | ns/event | "
           "matches | ref check |\n|---|---|---|---|---|---|---|---|\n");
    for (si = 0; si < 2; si++) {
        ev_matcher_builder_t *b = ev_matcher_builder_new();
        ev_match_ref_t *ref = si == 0 || every ? ev_match_ref_new() : NULL;
        ev_matcher_t *m;
        char pat[512];
        size_t i, total = 0, checked = 0, bad = 0, rc[128];
        double t0;
        run_t r;

        rng = 0x9e3779b97f4a7c15ull;
        t0 = now();
        for (i = 0; i < sizes[si]; i++) {
            synth_rule(i, pat, sizeof(pat));
            if (ev_matcher_builder_add(b, i, pat, strlen(pat), NULL) != EV_OK) {
                fprintf(stderr, "refused: %s\n", pat);
                exit(1);
            }
            if (ref && ev_match_ref_add(ref, i, pat, strlen(pat), NULL) != EV_OK)
                exit(1);
        }
        m = ev_matcher_builder_finish(b);
        t0 = now() - t0;
        run_matcher(m, cl2, passes, 0, &r);
        {
            ev_match_scratch_t *s = ev_match_scratch_new();

            for (i = 0; i < cl2->lines; i++) {
                const uint64_t *tags;
                size_t n;

                ev_matcher_match(m, cl2->buf + cl2->off[i], cl2->n[i], s, &tags, &n);
                total += n;
            }
            ev_match_scratch_free(s);
        }
        if (ref)
            bad = ref_check(m, ref, cl2, every * (si ? 20 : 1), &checked, rc, 0);
        per_event[si] = r.best_s / (double)r.events;
        printf("| %zu | %.1f | %zu | %ld | %.0f | %.0f | %zu | %s: %zu/%zu lines agree |\n",
               sizes[si], t0 * 1e3, ev_matcher_memory(m), rss_kib(), (double)r.events / r.best_s,
               per_event[si] * 1e9, total, bad ? "FAIL" : "ok", checked - bad, checked);
        ev_matcher_unref(m);
        ev_match_ref_free(ref);
    }
    printf("\ncost per event, 10,000 rules / 10 rules: %.2fx (target <= 3x)\n",
           per_event[1] / per_event[0]);
}

/* --memory: RSS of a process holding a 10,000-rule matcher and a scratch, nothing else. */
static int memory_only(void)
{
    ev_matcher_builder_t *b = ev_matcher_builder_new();
    ev_match_scratch_t *s = ev_match_scratch_new();
    ev_matcher_t *m;
    const char *ev = "{\"properties\":{\"MAPBLKLOT\":\"1000000\",\"BLKLOT\":\"1000000\"},"
                     "\"geometry\":{\"firstCoordinates\":{\"x\":-122.4}}}";
    const uint64_t *tags;
    long before = rss_kib();
    char pat[512];
    size_t i, n;

    rng = 0x9e3779b97f4a7c15ull;
    for (i = 0; i < 10000; i++) {
        synth_rule(i, pat, sizeof(pat));
        if (ev_matcher_builder_add(b, i, pat, strlen(pat), NULL) != EV_OK)
            return 1;
    }
    m = ev_matcher_builder_finish(b);
    ev_matcher_match(m, ev, strlen(ev), s, &tags, &n);
    printf("memory: RSS %ld KiB before building, %ld KiB with a 10,000-rule matcher and a "
           "scratch (matcher %zu bytes)\n", before, rss_kib(), ev_matcher_memory(m));
    ev_matcher_unref(m);
    ev_match_scratch_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = "build/bench-data";
    const char *patterns = "../shared/data/citylots-patterns.json";
    int passes = 3, i;
    size_t every = 10;
    char path[1024];
    data_t cl, cl2;
    json_t *sets;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--memory") == 0)
            return memory_only();
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--patterns") == 0 && i + 1 < argc)
            patterns = argv[++i];
        else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc)
            passes = atoi(argv[++i]);
        else if (strcmp(argv[i], "--ref-every") == 0 && i + 1 < argc)
            every = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--lines") == 0 && i + 1 < argc)
            max_lines = (size_t)atol(argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--quick") == 0)
            passes = 1, every = 100;
    }
    if (every == 0)
        every = 1;
    sets = json_load_file(patterns, 0, NULL);
    if (sets) {
        size_t flen;
        FILE *f = fopen(patterns, "rb");
        char *ftext;

        fseek(f, 0, SEEK_END);
        flen = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        ftext = calloc(1, flen + 1);
        if (fread(ftext, 1, flen, f) != flen)
            return 1;
        fclose(f);
        raw = raw_patterns(ftext, json_array_size(sets));
        free(ftext);
        for (i = 0; i < (int)json_array_size(sets); i++) {
            if (raw[i].n != json_array_size(json_object_get(json_array_get(sets, (size_t)i),
                                                            "patterns"))) {
                fprintf(stderr, "cannot read the raw patterns of set %d\n", i);
                return 1;
            }
        }
    }
    snprintf(path, sizeof(path), "%s/citylots.jsonl", dir);
    if (!sets || load(path, &cl) != 0) {
        fprintf(stderr, "cannot load %s or %s\n", patterns, path);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/citylots2.jsonl", dir);
    if (load(path, &cl2) != 0) {
        fprintf(stderr, "cannot load %s\n", path);
        return 1;
    }
    printf("citylots: %zu events, %.1f MB; citylots2: %zu events, %.1f MB; best of %d passes "
           "(thread CPU time); reference matcher on every %zu-th line\n\n",
           cl.lines, (double)cl.len / 1e6, cl2.lines, (double)cl2.len / 1e6, passes, every);
    bench_sets(sets, &cl, &cl2, passes, every);
    if (!only || strcmp(only, "UNION") == 0)
        bench_union(sets, &cl2, passes, every);
    if (!only || strcmp(only, "SCALE") == 0)
        bench_scale(&cl2, passes, every);
    printf("\nRSS at exit: %ld KiB\n", rss_kib());
    json_decref(sets);
    free(cl.buf);
    free(cl.off);
    free(cl.n);
    free(cl2.buf);
    free(cl2.off);
    free(cl2.n);
    return 0;
}
