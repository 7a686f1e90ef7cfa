/*
 * bench/deliver.c - delivery benchmark. Sets up a bus with two rules: every
 * event goes to a healthy API destination (the receiver's answering port);
 * events whose detail has "dead": true also go to a destination whose
 * endpoint never answers (the receiver's dead port). Each event carries
 * "seq" and "ts" in its detail; the receiver stamps arrivals into the shared
 * page, and this program records when each PutEvents was acknowledged, so
 * it measures acknowledgement -> arrival per event.
 *
 * Phases (--phases, comma-separated, in this order):
 *   drain      throughput of the engine alone: the healthy destination is
 *              held at 1 invocation/s while PutEvents fills the outbox for
 *              --fill seconds, then raised; deliveries/s while the backlog
 *              drains (steady part: 10% -> 90% of the backlog).
 *   sustained  open loop at --rate events/s for -d seconds, PutEvents and
 *              deliveries at once; deliveries/s over the last 80% of the run.
 *   latency    open loop at --latency-rate events/s (batches of 10); p50/p99
 *              of acknowledgement -> arrival.
 *   isolation  as sustained, but one entry of every request also matches
 *              the dead destination; healthy deliveries/s vs sustained.
 *   isolation-drain
 *              as drain, with one entry of every request also going to the dead
 *              destination (run alone: --phases isolation-drain); healthy drain
 *              deliveries/s vs drain.
 *
 *   deliver --endpoint http://127.0.0.1:PORT --shm FILE --healthy-port P
 *           --dead-port Q [--phases LIST] [-d S] [--fill S] [--rate EV/S]
 *           [--latency-rate EV/S] [-c CONNS] [--label NAME] [--pid PID]
 *           [--counts-only] [--seq-base N]
 *
 * A receiver's arrival stamps are indexed by seq: a second run against the
 * same receiver needs a --seq-base above the first run's seqs.
 *
 * --counts-only (moto: it sends no body, so no seq) measures deliveries by
 * counting requests at the receiver and skips what needs per-event times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BUS "bench-deliver"
#define ENTRIES 10

typedef struct {
    bench_shm_t *shm;
    uint64_t *ack_ns;    /* by seq */
    uint64_t seq_base;   /* this phase's first seq is seq_base + 1 */
    uint64_t max_seq;    /* highest seq sent in this phase */
    int dead;            /* one entry per request also goes to the dead destination */
    /* window sampling by counts */
    uint64_t win_start_ns, win_start_count, win_end_ns, win_end_count;
} gen_t;

static const char *label = "evbridge";
static long server_pid;

static uint64_t seq_of(const gen_t *g, uint64_t req_no, int i)
{
    return g->seq_base + 1 + req_no * ENTRIES + (uint64_t)i;
}

static int build(void *ud, uint64_t req_no, bench_buf_t *b)
{
    gen_t *g = ud;
    uint64_t ts = bench_now_ns();

    bench_buf_adds(b, "{\"Entries\":[");
    for (int i = 0; i < ENTRIES; i++) {
        uint64_t s = seq_of(g, req_no, i);
        int dead = g->dead && (uint64_t)i == req_no % ENTRIES;

        bench_buf_printf(b,
                         "%s{\"Source\":\"bench.deliver\",\"DetailType\":\"order placed\","
                         "\"EventBusName\":\"" BUS "\",\"Detail\":\"{\\\"seq\\\":%llu,"
                         "\\\"ts\\\":%llu,%s\\\"order\\\":{\\\"amount\\\":%llu.5,"
                         "\\\"currency\\\":\\\"EUR\\\",\\\"customer\\\":\\\"c-%llu\\\"}}\"}",
                         i ? "," : "", (unsigned long long)s, (unsigned long long)ts,
                         dead ? "\\\"dead\\\":true," : "", (unsigned long long)(s % 1000),
                         (unsigned long long)(s % 977));
        if (s > g->max_seq)
            g->max_seq = s;
    }
    bench_buf_adds(b, "]}");
    return ENTRIES;
}

static void acked(void *ud, uint64_t req_no, uint64_t ack_ns, const char *body, size_t len)
{
    gen_t *g = ud;

    (void)body;
    (void)len;
    for (int i = 0; i < ENTRIES; i++) {
        uint64_t s = seq_of(g, req_no, i);

        if (s < g->shm->cap)
            g->ack_ns[s] = ack_ns;
    }
}

static void tick(void *ud, uint64_t now)
{
    gen_t *g = ud;

    if (!g->win_start_count && now >= g->win_start_ns) {
        g->win_start_count = bench_shm_load(&g->shm->healthy) + 1; /* +1: 0 means unset */
        g->win_start_ns = now;
    }
    g->win_end_ns = now;
    g->win_end_count = bench_shm_load(&g->shm->healthy);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static void rate_limit(const bench_ep_t *ep, const char *dest, long rate)
{
    bench_buf_t body = {0}, resp = {0};

    bench_buf_printf(&body, "{\"Name\":\"%s\",\"InvocationRateLimitPerSecond\":%ld}", dest, rate);
    bench_call_ok(ep, "AWSEvents.UpdateApiDestination", body.p, &resp);
    bench_buf_free(&body);
    bench_buf_free(&resp);
}

static void setup(const bench_ep_t *ep, int healthy_port, int dead_port, long healthy_rate)
{
    bench_buf_t body = {0}, resp = {0};
    char conn_arn[512], dest_arn[2][512];
    static const char *const names[2] = {"bench-healthy", "bench-dead"};
    static const char *const patterns[2] = {
        "{\\\"source\\\":[\\\"bench.deliver\\\"]}",
        "{\\\"source\\\":[\\\"bench.deliver\\\"],\\\"detail\\\":{\\\"dead\\\":[true]}}"};

    bench_buf_printf(&body, "{\"Name\":\"" BUS "\"}");
    bench_call_ok(ep, "AWSEvents.CreateEventBus", body.p, &resp);
    bench_buf_reset(&body);
    bench_buf_printf(&body,
                     "{\"Name\":\"bench-deliver-conn\",\"AuthorizationType\":\"API_KEY\","
                     "\"AuthParameters\":{\"ApiKeyAuthParameters\":{\"ApiKeyName\":\"x-api-key\","
                     "\"ApiKeyValue\":\"bench-secret\"}}}");
    bench_call_ok(ep, "AWSEvents.CreateConnection", body.p, &resp);
    if (bench_json_str(resp.p, "ConnectionArn", conn_arn, sizeof(conn_arn)) != 0) {
        fprintf(stderr, "setup: no ConnectionArn in %s\n", resp.p);
        exit(1);
    }
    for (int i = 0; i < 2; i++) {
        bench_buf_reset(&body);
        bench_buf_printf(&body,
                         "{\"Name\":\"%s\",\"ConnectionArn\":\"%s\",\"InvocationEndpoint\":"
                         "\"http://127.0.0.1:%d/%s\",\"HttpMethod\":\"POST\","
                         "\"InvocationRateLimitPerSecond\":%ld}",
                         names[i], conn_arn, i ? dead_port : healthy_port, names[i],
                         i ? 1000000L : healthy_rate);
        bench_call_ok(ep, "AWSEvents.CreateApiDestination", body.p, &resp);
        if (bench_json_str(resp.p, "ApiDestinationArn", dest_arn[i], sizeof(dest_arn[i])) !=
            0) {
            fprintf(stderr, "setup: no ApiDestinationArn in %s\n", resp.p);
            exit(1);
        }
        bench_buf_reset(&body);
        bench_buf_printf(&body, "{\"Name\":\"%s\",\"EventBusName\":\"" BUS "\","
                                "\"EventPattern\":\"%s\"}", names[i], patterns[i]);
        bench_call_ok(ep, "AWSEvents.PutRule", body.p, &resp);
        bench_buf_reset(&body);
        bench_buf_printf(&body,
                         "{\"Rule\":\"%s\",\"EventBusName\":\"" BUS "\",\"Targets\":[{\"Id\":"
                         "\"t\",\"Arn\":\"%s\",\"RoleArn\":\"arn:aws:iam::000000000000:role/"
                         "bench\"}]}",
                         names[i], dest_arn[i]);
        bench_call_ok(ep, "AWSEvents.PutTargets", body.p, &resp);
    }
    bench_buf_free(&body);
    bench_buf_free(&resp);
}

static void result(const char *name, const char *fmt, double v)
{
    char key[128];

    snprintf(key, sizeof(key), "%s.%s", label, name);
    bench_result(key, fmt, v);
}

static double cpu_mark, gcpu_mark, wall_mark;

/* Starts (print == 0) or ends (print == 1) a CPU measurement of the server. */
static void cpu_span(int print)
{
    double now = (double)bench_now_ns() / 1e9;

    if (print && server_pid > 0 && cpu_mark >= 0 && now > wall_mark)
        printf("%-10s CPU: server %.0f%% of one core, load generator %.0f%% (2 cores = 200%%)\n",
               label, 100 * (bench_cpu_s(server_pid) - cpu_mark) / (now - wall_mark),
               100 * (bench_cpu_s(0) - gcpu_mark) / (now - wall_mark));
    cpu_mark = server_pid > 0 ? bench_cpu_s(server_pid) : -1;
    gcpu_mark = bench_cpu_s(0);
    wall_mark = now;
}

static void load(const bench_ep_t *ep, gen_t *g, int conns, double seconds, double ev_rate,
                 double timeout_s, bench_load_res_t *res)
{
    bench_load_cfg_t cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.ep = ep;
    cfg.target = "AWSEvents.PutEvents";
    cfg.conns = conns;
    cfg.seconds = seconds;
    cfg.rate = ev_rate / ENTRIES;
    cfg.timeout_s = timeout_s;
    cfg.grace_s = 2;
    cfg.build = build;
    cfg.acked = acked;
    cfg.tick = tick;
    cfg.ud = g;
    g->win_start_count = 0;
    g->win_start_ns = bench_now_ns() + (uint64_t)(seconds * 0.2 * 1e9);
    cpu_span(0);
    bench_load_run(&cfg, res);
    cpu_span(1);
}

/* Waits (at most max_s) until every acknowledged event of this phase arrived;
 * returns the number still missing. */
static uint64_t wait_arrivals(const gen_t *g, double max_s)
{
    uint64_t until = bench_now_ns() + (uint64_t)(max_s * 1e9), missing = 0;

    for (;;) {
        missing = 0;
        for (uint64_t s = g->seq_base + 1; s <= g->max_seq && s < g->shm->cap; s++)
            if (g->ack_ns[s] && !bench_shm_load(&g->shm->arrival_ns[s]))
                missing++;
        if (!missing || bench_now_ns() >= until)
            break;
        sleep_ms(20);
    }
    if (missing && missing <= 40) {
        printf("%-10s not arrived:", label);
        for (uint64_t s = g->seq_base + 1; s <= g->max_seq && s < g->shm->cap; s++)
            if (g->ack_ns[s] && !bench_shm_load(&g->shm->arrival_ns[s]))
                printf(" %llu", (unsigned long long)s);
        printf("\n");
    }
    return missing;
}

/* ack -> arrival latencies of this phase (arrivals before the ack count 0). */
static void e2e(const gen_t *g, bench_lat_t *lat, uint64_t *early)
{
    *early = 0;
    for (uint64_t s = g->seq_base + 1; s <= g->max_seq && s < g->shm->cap; s++) {
        uint64_t a = bench_shm_load(&g->shm->arrival_ns[s]), k = g->ack_ns[s];

        if (!a || !k)
            continue;
        if (a < k)
            (*early)++;
        bench_lat_add(lat, a > k ? a - k : 0);
    }
}

/* Arrivals of this phase's events with arrival time in [t0, t1]. */
static uint64_t arrivals_between(const gen_t *g, uint64_t t0, uint64_t t1)
{
    uint64_t n = 0;

    for (uint64_t s = g->seq_base + 1; s <= g->max_seq && s < g->shm->cap; s++) {
        uint64_t a = bench_shm_load(&g->shm->arrival_ns[s]);

        if (a >= t0 && a <= t1)
            n++;
    }
    return n;
}

static void next_phase(gen_t *g)
{
    g->seq_base = g->max_seq > g->seq_base ? g->max_seq : g->seq_base;
    g->seq_base += 1000;
    g->dead = 0;
}

static void print_rss(const char *when)
{
    long kib = server_pid > 0 ? bench_rss_kib(server_pid) : -1;
    char key[64];

    if (kib < 0)
        return;
    printf("%-10s RSS %s: %.1f MB\n", label, when, (double)kib / 1024.0);
    snprintf(key, sizeof(key), "rss_%s_mb", when);
    result(key, "%.1f", (double)kib / 1024.0);
}

static double phase_drain(const bench_ep_t *ep, gen_t *g, const char *name, int conns,
                          double fill_s, double max_drain_s)
{
    char key[64];
    bench_load_res_t res;
    uint64_t d0 = bench_shm_load(&g->shm->healthy), backlog, t0, t10 = 0, t90 = 0, c, got;
    uint64_t until;
    double overall, steady;

    printf("\n== %s: fill the outbox for %.0f s with the healthy destination held at "
           "1/s, then lift the limit%s\n", name, fill_s,
           g->dead ? "; 1 entry in 10 also goes to the endpoint that never answers" : "");
    load(ep, g, conns, fill_s, 0, 10, &res);
    bench_load_print(label, &res);
    snprintf(key, sizeof(key), "%s_fill_events_s", name);
    result(key, "%.0f", (double)res.events_ok / res.elapsed_s);
    /* One reading splits the deliveries between the fill and the drain: one
     * taken after lifting the limit missed those that landed in between, and
     * the drain then never reached its backlog. */
    c = bench_shm_load(&g->shm->healthy);
    backlog = res.events_ok - (c - d0);
    d0 = c;
    t0 = bench_now_ns();
    cpu_span(0);
    rate_limit(ep, "bench-healthy", 1000000);
    until = t0 + (uint64_t)(max_drain_s * 1e9);
    while ((got = (c = bench_shm_load(&g->shm->healthy)) - d0) < backlog &&
           bench_now_ns() < until) {
        if (!t10 && got >= backlog / 10)
            t10 = bench_now_ns();
        if (!t90 && got >= backlog * 9 / 10)
            t90 = bench_now_ns();
        sleep_ms(2);
    }
    cpu_span(1);
    c = bench_shm_load(&g->shm->healthy) - d0;
    overall = (double)c / ((double)(bench_shm_load(&g->shm->last_ns) - t0) / 1e9);
    steady = t10 && t90 > t10 ? (double)(backlog * 8 / 10) / ((double)(t90 - t10) / 1e9)
                              : overall;
    printf("%-10s backlog %llu jobs: %llu delivered in %.1f s -> %.0f deliveries/s overall, "
           "%.0f/s steady (10%%->90%%)%s\n",
           label, (unsigned long long)backlog, (unsigned long long)c,
           (double)(bench_shm_load(&g->shm->last_ns) - t0) / 1e9, overall, steady,
           c < backlog ? "  [NOT DRAINED: time limit]" : "");
    snprintf(key, sizeof(key), "%s_backlog", name);
    result(key, "%.0f", (double)backlog);
    snprintf(key, sizeof(key), "%s_deliveries_s", name);
    result(key, "%.0f", steady);
    snprintf(key, sizeof(key), "%s_overall_s", name);
    result(key, "%.0f", overall);
    if (g->dead)
        printf("%-10s dead endpoint: %llu requests on %llu connections so far\n", label,
               (unsigned long long)bench_shm_load(&g->shm->dead),
               (unsigned long long)bench_shm_load(&g->shm->dead_conns));
    bench_load_res_free(&res);
    print_rss(name);
    return steady;
}

/* sustained or isolation; returns healthy deliveries/s over the window. */
static double phase_load(const bench_ep_t *ep, gen_t *g, const char *name, int conns,
                         double seconds, double rate, int counts_only)
{
    bench_load_res_t res;
    bench_lat_t lat = {0};
    uint64_t missing = 0, early = 0, dead0 = bench_shm_load(&g->shm->dead);
    uint64_t deadc0 = bench_shm_load(&g->shm->dead_conns), win_n;
    double per_s, win_s;
    char key[64];

    printf("\n== %s: %.0f events/s offered for %.0f s%s\n", name, rate, seconds,
           g->dead ? " (1 entry in 10 also to the endpoint that never answers)" : "");
    load(ep, g, conns, seconds, rate, g->dead && counts_only ? 5 : 10, &res);
    bench_load_print(label, &res);
    snprintf(key, sizeof(key), "%s_ingest_events_s", name);
    result(key, "%.0f", (double)res.events_ok / res.elapsed_s);
    if (counts_only) {
        win_n = g->win_start_count ? g->win_end_count - (g->win_start_count - 1) : 0;
        win_s = (double)(g->win_end_ns - g->win_start_ns) / 1e9;
    } else {
        uint64_t ws = g->win_start_ns, we = g->win_start_ns + (uint64_t)(seconds * 0.8 * 1e9);

        missing = wait_arrivals(g, g->dead ? 2 : 5);
        win_n = arrivals_between(g, ws, we);
        win_s = (double)(we - ws) / 1e9;
        e2e(g, &lat, &early);
    }
    per_s = win_s > 0 ? (double)win_n / win_s : 0;
    printf("%-10s healthy deliveries %.0f/s over the last 80%% of the run\n", label, per_s);
    snprintf(key, sizeof(key), "%s_deliveries_s", name);
    result(key, "%.0f", per_s);
    if (!counts_only) {
        printf("%-10s ack->arrival p50 %.2f ms p99 %.2f ms max %.2f ms; %llu not delivered "
               "after the wait; %llu arrived before their ack\n",
               label, bench_lat_pct(&lat, 50), bench_lat_pct(&lat, 99), bench_lat_max(&lat),
               (unsigned long long)missing, (unsigned long long)early);
        snprintf(key, sizeof(key), "%s_e2e_p99_ms", name);
        result(key, "%.2f", bench_lat_pct(&lat, 99));
    }
    if (g->dead)
        printf("%-10s dead endpoint: %llu requests on %llu connections during the phase\n",
               label, (unsigned long long)(bench_shm_load(&g->shm->dead) - dead0),
               (unsigned long long)(bench_shm_load(&g->shm->dead_conns) - deadc0));
    bench_lat_free(&lat);
    bench_load_res_free(&res);
    print_rss(name);
    return per_s;
}

static void phase_latency(const bench_ep_t *ep, gen_t *g, int conns, double seconds,
                          double rate)
{
    bench_load_res_t res;
    bench_lat_t lat = {0};
    uint64_t missing, early;

    printf("\n== latency: %.0f events/s (PutEvents of %d) for %.0f s\n", rate, ENTRIES,
           seconds);
    load(ep, g, conns, seconds, rate, 10, &res);
    bench_load_print(label, &res);
    missing = wait_arrivals(g, 3);
    e2e(g, &lat, &early);
    printf("%-10s ack->arrival p50 %.2f ms p99 %.2f ms p99.9 %.2f ms max %.2f ms (%zu events; "
           "%llu missing; %llu arrived before their ack)\n",
           label, bench_lat_pct(&lat, 50), bench_lat_pct(&lat, 99), bench_lat_pct(&lat, 99.9),
           bench_lat_max(&lat), lat.n, (unsigned long long)missing, (unsigned long long)early);
    result("latency_e2e_p50_ms", "%.2f", bench_lat_pct(&lat, 50));
    result("latency_e2e_p99_ms", "%.2f", bench_lat_pct(&lat, 99));
    result("latency_e2e_max_ms", "%.2f", bench_lat_max(&lat));
    result("latency_putevents_p99_ms", "%.2f", bench_lat_pct(&res.lat, 99));
    bench_lat_free(&lat);
    bench_load_res_free(&res);
}

int main(int argc, char **argv)
{
    const char *url = NULL, *shm_path = NULL, *phases = "drain,sustained,latency,isolation";
    int healthy_port = 0, dead_port = 0, conns = 64, counts_only = 0;
    double seconds = 10, fill_s = 5, rate = 20000, latency_rate = 1000, sustained = 0, iso;
    bench_ep_t ep;
    gen_t g;

    memset(&g, 0, sizeof(g));

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--counts-only") == 0) {
            counts_only = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "deliver: %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--endpoint") == 0)
            url = v;
        else if (strcmp(a, "--shm") == 0)
            shm_path = v;
        else if (strcmp(a, "--healthy-port") == 0)
            healthy_port = atoi(v);
        else if (strcmp(a, "--dead-port") == 0)
            dead_port = atoi(v);
        else if (strcmp(a, "--phases") == 0)
            phases = v;
        else if (strcmp(a, "-d") == 0)
            seconds = atof(v);
        else if (strcmp(a, "--fill") == 0)
            fill_s = atof(v);
        else if (strcmp(a, "--rate") == 0)
            rate = atof(v);
        else if (strcmp(a, "--latency-rate") == 0)
            latency_rate = atof(v);
        else if (strcmp(a, "-c") == 0)
            conns = atoi(v);
        else if (strcmp(a, "--label") == 0)
            label = v;
        else if (strcmp(a, "--pid") == 0)
            server_pid = atol(v);
        else if (strcmp(a, "--seq-base") == 0)
            g.seq_base = strtoull(v, NULL, 10);
        else {
            fprintf(stderr, "deliver: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (!url || bench_ep_parse(&ep, url) != 0 || !shm_path || healthy_port <= 0 ||
        dead_port <= 0 || seconds <= 0 || seconds > 20 || fill_s > 20 || rate <= 0 ||
        !(g.shm = bench_shm_open(shm_path, 0, 0))) {
        fprintf(stderr, "usage: deliver --endpoint http://127.0.0.1:PORT --shm FILE "
                        "--healthy-port P --dead-port Q [--phases drain,sustained,latency,"
                        "isolation] [-d S<=20] [--fill S<=20] [--rate EV/S] [--latency-rate "
                        "EV/S] [-c CONNS] [--label NAME] [--pid PID] [--counts-only]\n");
        return 2;
    }
    g.ack_ns = calloc(g.shm->cap, sizeof(*g.ack_ns));
    if (!g.ack_ns)
        return 2;
    setup(&ep, healthy_port, dead_port, strstr(phases, "drain") && !counts_only ? 1 : 1000000);
    printf("setup: bus %s, rule -> 127.0.0.1:%d (healthy), rule for \"dead\": true -> "
           "127.0.0.1:%d (never answers)\n", BUS, healthy_port, dead_port);
    print_rss("deliver_setup");
    if (strstr(phases, "isolation-drain") && !counts_only) {
        g.dead = 1;
        phase_drain(&ep, &g, "isolation_drain", 32, fill_s, 15);
        next_phase(&g);
    } else if (strstr(phases, "drain") && !strstr(phases, "isolation-drain") && !counts_only) {
        phase_drain(&ep, &g, "drain", 32, fill_s, 15);
        next_phase(&g);
    } else if (strstr(phases, "drain")) {
        printf("\n== drain: skipped (%s delivers inside PutEvents: there is no backlog)\n",
               label);
    }
    if (strstr(phases, "sustained")) {
        sustained = phase_load(&ep, &g, "sustained", conns, seconds, rate, counts_only);
        next_phase(&g);
    }
    if (strstr(phases, "latency") && !counts_only) {
        phase_latency(&ep, &g, 8, seconds, latency_rate);
        next_phase(&g);
    } else if (strstr(phases, "latency")) {
        printf("\n== latency: skipped (%s sends no body, so arrivals cannot be matched to "
               "events, and it delivers before it acknowledges)\n", label);
    }
    if (strstr(phases, "isolation") && !strstr(phases, "isolation-drain")) {
        g.dead = 1;
        iso = phase_load(&ep, &g, "isolation", conns, seconds, rate, counts_only);
        if (sustained > 0) {
            printf("%-10s isolation: healthy throughput %.0f%% of the sustained phase\n", label,
                   100.0 * iso / sustained);
            result("isolation_ratio_pct", "%.0f", 100.0 * iso / sustained);
        }
        next_phase(&g);
    }
    free(g.ack_ns);
    return 0;
}
