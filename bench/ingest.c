/*
 * bench/ingest.c - PutEvents ingest benchmark. Sets up a bus with R rules
 * (default 100), each with one API-destination target (an API_KEY
 * connection; endpoints http://127.0.0.1:<receiver>/d<i>), then sends
 * signed PutEvents of 10 entries over N keep-alive connections for T
 * seconds; each event matches exactly one rule. Prints accepted events/s,
 * p50/p99/max latency per call and errors, and the server's RSS when idle,
 * after setup and after the run.
 *
 *   ingest --endpoint http://127.0.0.1:PORT --receiver-port P [--pid PID]
 *          [-c CONNS] [-d SECONDS] [--rules R] [--dests D] [--label NAME] [--no-setup]
 *          [--shm FILE]
 *
 * The same command runs against evbridge and against moto_server; run.sh
 * prints the two side by side. With --shm (the receiver's page) it also
 * reports how many deliveries reached the receiver during the run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define BUS "bench-ingest"
#define ENTRIES 10

typedef struct {
    int rules;
    uint64_t seq;
} ingest_t;

static int build(void *ud, uint64_t req_no, bench_buf_t *b)
{
    ingest_t *g = ud;
    uint64_t ts = bench_now_ns();

    (void)req_no;
    bench_buf_adds(b, "{\"Entries\":[");
    for (int i = 0; i < ENTRIES; i++) {
        uint64_t s = g->seq++;

        bench_buf_printf(b,
                         "%s{\"Source\":\"bench.ingest\",\"DetailType\":\"order placed\","
                         "\"EventBusName\":\"" BUS "\",\"Resources\":[\"arn:aws:bench:::o/%llu\"],"
                         "\"Detail\":\"{\\\"bucket\\\":\\\"b%llu\\\",\\\"ts\\\":%llu,"
                         "\\\"order\\\":{\\\"id\\\":%llu,\\\"amount\\\":%llu.5,"
                         "\\\"currency\\\":\\\"EUR\\\",\\\"customer\\\":\\\"c-%llu\\\"}}\"}",
                         i ? "," : "", (unsigned long long)s,
                         (unsigned long long)(s % (uint64_t)g->rules), (unsigned long long)ts,
                         (unsigned long long)s, (unsigned long long)(s % 1000),
                         (unsigned long long)(s % 977));
    }
    bench_buf_adds(b, "]}");
    return ENTRIES;
}

static void print_rss(const char *label, const char *when, long pid)
{
    long kib = pid > 0 ? bench_rss_kib(pid) : -1;
    char key[96];

    if (kib < 0)
        return;
    printf("%-10s RSS %-12s %7.1f MB\n", label, when, (double)kib / 1024.0);
    snprintf(key, sizeof(key), "%s.rss_%s_mb", label, when);
    bench_result(key, "%.1f", (double)kib / 1024.0);
}

static void setup(const bench_ep_t *ep, int rules, int dests, int receiver_port)
{
    bench_buf_t body = {0}, resp = {0};
    char conn_arn[512], (*dest_arn)[512] = calloc((size_t)dests, 512);
    uint64_t t0 = bench_now_ns();

    bench_buf_printf(&body, "{\"Name\":\"" BUS "\"}");
    bench_call_ok(ep, "AWSEvents.CreateEventBus", body.p, &resp);
    bench_buf_reset(&body);
    bench_buf_printf(&body,
                     "{\"Name\":\"bench-ingest-conn\",\"AuthorizationType\":\"API_KEY\","
                     "\"AuthParameters\":{\"ApiKeyAuthParameters\":{\"ApiKeyName\":\"x-api-key\","
                     "\"ApiKeyValue\":\"bench-secret\"}}}");
    bench_call_ok(ep, "AWSEvents.CreateConnection", body.p, &resp);
    if (bench_json_str(resp.p, "ConnectionArn", conn_arn, sizeof(conn_arn)) != 0) {
        fprintf(stderr, "setup: no ConnectionArn in %s\n", resp.p);
        exit(1);
    }
    for (int i = 0; i < rules; i++) {
        if (i >= dests)
            goto rule; /* rule i shares destination i % dests (its ARN is remembered) */
        bench_buf_reset(&body);
        bench_buf_printf(&body,
                         "{\"Name\":\"bench-ingest-d%d\",\"ConnectionArn\":\"%s\","
                         "\"InvocationEndpoint\":\"http://127.0.0.1:%d/d%d\",\"HttpMethod\":"
                         "\"POST\",\"InvocationRateLimitPerSecond\":100000}",
                         i, conn_arn, receiver_port, i);
        bench_call_ok(ep, "AWSEvents.CreateApiDestination", body.p, &resp);
        if (bench_json_str(resp.p, "ApiDestinationArn", dest_arn[i], sizeof(dest_arn[i])) != 0) {
            fprintf(stderr, "setup: no ApiDestinationArn in %s\n", resp.p);
            exit(1);
        }
    rule:
        bench_buf_reset(&body);
        bench_buf_printf(&body,
                         "{\"Name\":\"bench-ingest-r%d\",\"EventBusName\":\"" BUS "\","
                         "\"EventPattern\":\"{\\\"source\\\":[\\\"bench.ingest\\\"],"
                         "\\\"detail\\\":{\\\"bucket\\\":[\\\"b%d\\\"]}}\"}",
                         i, i);
        bench_call_ok(ep, "AWSEvents.PutRule", body.p, &resp);
        bench_buf_reset(&body);
        bench_buf_printf(&body,
                         "{\"Rule\":\"bench-ingest-r%d\",\"EventBusName\":\"" BUS "\","
                         "\"Targets\":[{\"Id\":\"d%d\",\"Arn\":\"%s\",\"RoleArn\":"
                         "\"arn:aws:iam::000000000000:role/bench\"}]}",
                         i, i, dest_arn[i % dests]);
        bench_call_ok(ep, "AWSEvents.PutTargets", body.p, &resp);
        if (strstr(resp.p, "\"FailedEntryCount\":0") == NULL &&
            strstr(resp.p, "\"FailedEntryCount\": 0") == NULL) {
            fprintf(stderr, "setup: PutTargets: %s\n", resp.p);
            exit(1);
        }
    }
    printf("setup: bus %s, %d rules, %d API destinations -> 127.0.0.1:%d in %.1f s\n", BUS,
           rules, dests, receiver_port, (double)(bench_now_ns() - t0) / 1e9);
    free(dest_arn);
    bench_buf_free(&body);
    bench_buf_free(&resp);
}

int main(int argc, char **argv)
{
    const char *url = NULL, *label = "evbridge", *shm_path = NULL;
    int conns = 32, rules = 100, dests = 0, receiver_port = 0, do_setup = 1;
    double seconds = 10;
    long pid = 0;
    bench_ep_t ep;
    bench_load_cfg_t cfg;
    bench_load_res_t res;
    ingest_t g = {0, 1};
    bench_shm_t *shm = NULL;
    uint64_t delivered0 = 0;
    char key[96];
    double cpu0, gcpu0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "--no-setup") == 0) {
            do_setup = 0;
            continue;
        }
        if (!v) {
            fprintf(stderr, "ingest: %s needs a value\n", a);
            return 2;
        }
        if (strcmp(a, "--endpoint") == 0)
            url = v;
        else if (strcmp(a, "--receiver-port") == 0)
            receiver_port = atoi(v);
        else if (strcmp(a, "--pid") == 0)
            pid = atol(v);
        else if (strcmp(a, "-c") == 0)
            conns = atoi(v);
        else if (strcmp(a, "-d") == 0)
            seconds = atof(v);
        else if (strcmp(a, "--rules") == 0)
            rules = atoi(v);
        else if (strcmp(a, "--dests") == 0)
            dests = atoi(v);
        else if (strcmp(a, "--label") == 0)
            label = v;
        else if (strcmp(a, "--shm") == 0)
            shm_path = v;
        else {
            fprintf(stderr, "ingest: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (!url || bench_ep_parse(&ep, url) != 0 || rules < 1 || conns < 1 || seconds <= 0 ||
        seconds > 60 || (do_setup && receiver_port <= 0)) {
        fprintf(stderr, "usage: ingest --endpoint http://127.0.0.1:PORT --receiver-port P "
                        "[--pid PID] [-c CONNS] [-d SECONDS<=60] [--rules R] [--dests D] [--label NAME] "
                        "[--no-setup] [--shm FILE]\n");
        return 2;
    }
    g.rules = rules;
    if (shm_path && !(shm = bench_shm_open(shm_path, 0, 0)))
        fprintf(stderr, "ingest: cannot open %s; deliveries not counted\n", shm_path);
    print_rss(label, "idle", pid);
    if (do_setup)
        setup(&ep, rules, dests > 0 && dests < rules ? dests : rules, receiver_port);
    print_rss(label, "after_setup", pid);
    memset(&cfg, 0, sizeof(cfg));
    cfg.ep = &ep;
    cfg.target = "AWSEvents.PutEvents";
    cfg.conns = conns;
    cfg.seconds = seconds;
    cfg.timeout_s = 10;
    cfg.grace_s = 5;
    cfg.build = build;
    cfg.ud = &g;
    if (shm)
        delivered0 = bench_shm_load(&shm->healthy);
    printf("%-10s PutEvents x%d entries, %d connections, %.0f s, %d rules (1 match/event)\n",
           label, ENTRIES, conns, seconds, rules);
    cpu0 = bench_cpu_s(pid);
    gcpu0 = bench_cpu_s(0);
    bench_load_run(&cfg, &res);
    bench_load_print(label, &res);
    if (pid > 0 && cpu0 >= 0)
        printf("%-10s CPU: server %.0f%% of one core, load generator %.0f%% (2 cores = 200%%)\n",
               label, 100 * (bench_cpu_s(pid) - cpu0) / res.elapsed_s,
               100 * (bench_cpu_s(0) - gcpu0) / res.elapsed_s);
    snprintf(key, sizeof(key), "%s.ingest_events_s", label);
    bench_result(key, "%.0f", res.elapsed_s > 0 ? (double)res.events_ok / res.elapsed_s : 0);
    snprintf(key, sizeof(key), "%s.ingest_p50_ms", label);
    bench_result(key, "%.2f", bench_lat_pct(&res.lat, 50));
    snprintf(key, sizeof(key), "%s.ingest_p99_ms", label);
    bench_result(key, "%.2f", bench_lat_pct(&res.lat, 99));
    snprintf(key, sizeof(key), "%s.ingest_max_ms", label);
    bench_result(key, "%.2f", bench_lat_max(&res.lat));
    snprintf(key, sizeof(key), "%s.ingest_errors", label);
    bench_result(key, "%llu",
                 (unsigned long long)(res.http_errors + res.timeouts + res.conn_errors +
                                      res.events_failed));
    if (shm) {
        uint64_t d = bench_shm_load(&shm->healthy) - delivered0;

        printf("%-10s deliveries that reached the receiver during the run: %llu (%.0f/s; "
               "outbox backlog at the end ~%lld jobs)\n",
               label, (unsigned long long)d, (double)d / res.elapsed_s,
               (long long)res.events_ok - (long long)d);
        snprintf(key, sizeof(key), "%s.ingest_delivered_s", label);
        bench_result(key, "%.0f", (double)d / res.elapsed_s);
    }
    print_rss(label, "after_run", pid);
    bench_load_res_free(&res);
    return res.ok ? 0 : 1;
}
