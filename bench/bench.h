/*
 * bench/bench.h - what the HTTP benchmarks (ingest, deliver, receiver)
 * share: a SigV4 signer of their own (OpenSSL for SHA-256/HMAC), a
 * keep-alive HTTP/1.1 load generator on epoll (closed loop or open loop at
 * a fixed request rate), a blocking call for setup, latency percentiles,
 * RSS of a process, and the shared-memory page through which the receiver
 * reports arrivals.
 *
 * Benchmarks talk to 127.0.0.1 only: bench_ep_parse refuses anything else.
 */
#ifndef EV_BENCH_H
#define EV_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* ---- time, buffers, numbers ---- */

/* CLOCK_MONOTONIC in ns: the same clock in every process of the machine. */
uint64_t bench_now_ns(void);

typedef struct {
    char *p;
    size_t len, cap;
} bench_buf_t;

void bench_buf_reset(bench_buf_t *b);
void bench_buf_add(bench_buf_t *b, const void *p, size_t n);
void bench_buf_adds(bench_buf_t *b, const char *s);
void bench_buf_printf(bench_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bench_buf_free(bench_buf_t *b);

/* Latencies in microseconds; bench_lat_pct sorts on first use. */
typedef struct {
    uint32_t *v;
    size_t n, cap;
    int sorted;
} bench_lat_t;

void bench_lat_add(bench_lat_t *l, uint64_t ns);
double bench_lat_pct(bench_lat_t *l, double pct); /* ms; 0 when empty */
double bench_lat_max(bench_lat_t *l);             /* ms */
void bench_lat_free(bench_lat_t *l);

/* VmRSS of a process in KiB, -1 when it cannot be read. */
long bench_rss_kib(long pid);

/* CPU time (user + system) of a process in seconds, -1 when unknown;
 * pid 0: this process. */
double bench_cpu_s(long pid);

/* Appends "key value" to the results file named by $BENCH_RESULTS (if set)
 * and prints it, so run.sh can build its table. */
void bench_result(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- endpoint, signing, setup calls ---- */

typedef struct {
    char host[64]; /* "127.0.0.1:4010": the Host header */
    int port;
    const char *region;
    const char *access_key, *secret_key;
} bench_ep_t;

/* Parses "http://127.0.0.1:PORT"; -1 for any other host (loopback only). */
int bench_ep_parse(bench_ep_t *ep, const char *url);

/*
 * Appends a complete signed awsJson1.1 POST / (headers and body) to out.
 * target is e.g. "AWSEvents.PutEvents"; the SigV4 service is "events".
 */
void bench_sign_request(const bench_ep_t *ep, const char *target, const char *body,
                        size_t body_len, bench_buf_t *out);

/*
 * One blocking call on a fresh connection (setup only; 10 s timeout).
 * Returns the HTTP status (0 on a transport error); *resp gets the body.
 */
int bench_call(const bench_ep_t *ep, const char *target, const char *body, bench_buf_t *resp);
/* bench_call that exits the program unless the status is 200. */
void bench_call_ok(const bench_ep_t *ep, const char *target, const char *body,
                   bench_buf_t *resp);
/* Copies the string value of "key" in a flat JSON body into out; 0 when found. */
int bench_json_str(const char *json, const char *key, char *out, size_t outlen);

/* ---- the load generator ---- */

typedef struct bench_load bench_load_t;

typedef struct {
    const bench_ep_t *ep;
    const char *target;    /* X-Amz-Target */
    int conns;             /* concurrent keep-alive connections */
    double seconds;        /* how long new requests are started */
    double rate;           /* requests/s; 0 = closed loop (each connection back to back) */
    double timeout_s;      /* per request; a request past it counts as an error */
    double grace_s;        /* how long outstanding requests may finish after the end */
    /* Fills body for request req_no (0, 1, ...); returns the number of events in it. */
    int (*build)(void *ud, uint64_t req_no, bench_buf_t *body);
    /* Called for each 200 answer, with the time the answer was complete. */
    void (*acked)(void *ud, uint64_t req_no, uint64_t ack_ns, const char *body, size_t len);
    /* Optional: called about every 5 ms while the phase runs. */
    void (*tick)(void *ud, uint64_t now_ns);
    void *ud;
} bench_load_cfg_t;

typedef struct {
    uint64_t requests;      /* started */
    uint64_t ok;            /* answered 200 */
    uint64_t http_errors;   /* answered, not 200 */
    uint64_t timeouts;
    uint64_t conn_errors;   /* refused, reset, closed while waiting */
    uint64_t events_sent;   /* in answered requests */
    uint64_t events_ok;     /* accepted: entries - FailedEntryCount of 200 answers */
    uint64_t events_failed; /* FailedEntryCount */
    double elapsed_s;       /* first start to last answer */
    bench_lat_t lat;        /* per request; open loop: from the scheduled start */
    char first_error[200];
} bench_load_res_t;

/* Runs one load phase; returns when it is over (never later than
 * seconds + grace_s + 1). */
void bench_load_run(const bench_load_cfg_t *cfg, bench_load_res_t *res);
void bench_load_res_free(bench_load_res_t *res);
void bench_load_print(const char *label, bench_load_res_t *res);

/* ---- the receiver's shared page ---- */

#define BENCH_SHM_MAGIC 0x45564252454e4348ULL

/*
 * The receiver is the only writer. arrival_ns[seq] is the arrival time of
 * the delivery whose event detail carries "seq": seq (first arrival only).
 */
typedef struct {
    uint64_t magic;
    uint64_t cap;             /* entries in arrival_ns */
    uint64_t healthy;         /* requests answered on the healthy port */
    uint64_t dead;            /* requests read on the port that never answers */
    uint64_t dead_conns;      /* connections accepted there */
    uint64_t no_auth;         /* healthy requests without the x-api-key header */
    uint64_t dups;            /* a seq that had already arrived */
    uint64_t last_ns;         /* time of the latest healthy arrival */
    uint64_t bytes;
    uint64_t pad[7];
    uint64_t arrival_ns[];
} bench_shm_t;

/* Maps the receiver's file; NULL on failure. */
bench_shm_t *bench_shm_open(const char *path, uint64_t cap, int create);
uint64_t bench_shm_load(const uint64_t *p);

#endif
