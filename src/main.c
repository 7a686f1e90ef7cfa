/*
 * main.c - the evbridge command line: `serve` (configuration from flags and
 * EVBRIDGE_* variables, start-up order, signals, orderly stop) and `version`.
 * The only file with process-wide state.
 */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "api/validate.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "deliver/engine.h"
#include "server/server.h"
#include "store/outbox.h"
#include "store/store.h"
#include "util/util.h"

#ifndef EV_VERSION
#define EV_VERSION "dev"
#endif

#define MASTER_CHECK_KEY "master_key_check"
#define MASTER_CHECK_AAD "evbridge master key check"

typedef struct {
    const char *listen;
    const char *data_dir;
    const char *region;
    const char *credentials;
    const char *master_key_file;
    const char *log_level;
    const char *idle_timeout;
    const char *retry_base_ms;
    const char *retry_cap_ms;
    const char *history_days;
    const char *max_rules;
    const char *ca_file;
    int allow_http;
} options_t;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: evbridge serve [options]\n"
            "       evbridge deliveries [--data-dir DIR] [--rule R] [--destination D] [--failed]"
            " [--limit N] [--json]\n"
            "       evbridge version\n"
            "\n"
            "serve options (each also as an environment variable):\n"
            "  --listen HOST:PORT        EVBRIDGE_LISTEN       default 127.0.0.1:4010\n"
            "  --data-dir DIR            EVBRIDGE_DATA_DIR     default ./evbridge-data\n"
            "  --region REGION           EVBRIDGE_REGION       default us-east-1\n"
            "  --credentials FILE        EVBRIDGE_CREDENTIALS  lines: ACCESS_KEY SECRET ACCOUNT\n"
            "  --allow-http-endpoints    EVBRIDGE_ALLOW_HTTP_ENDPOINTS=1\n"
            "  --ca-file FILE            EVBRIDGE_CA_FILE      PEM certificates trusted for "
            "https endpoints besides the system's\n"
            "  --master-key-file FILE    EVBRIDGE_MASTER_KEY_FILE (or EVBRIDGE_MASTER_KEY=hex)\n"
            "  --log-level LEVEL         EVBRIDGE_LOG_LEVEL    debug|info|warn|error\n"
            "  --idle-timeout SECONDS    EVBRIDGE_IDLE_TIMEOUT default 30 (idle or slow clients)\n"
            "  --retry-base-ms MS        EVBRIDGE_RETRY_BASE_MS default 1000 (first retry bound)\n"
            "  --retry-cap-ms MS         EVBRIDGE_RETRY_CAP_MS  default 60000 (largest retry bound)\n"
            "  --history-days DAYS       EVBRIDGE_HISTORY_DAYS  default 7 (delivery history)\n"
            "  --max-rules-per-bus N     EVBRIDGE_MAX_RULES_PER_BUS default 300 (AWS's default "
            "quota; up to 100000)\n");
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);

    return v && *v ? v : def;
}

static int parse_options(int argc, char **argv, options_t *o)
{
    const char *allow = env_or("EVBRIDGE_ALLOW_HTTP_ENDPOINTS", "0");

    o->listen = env_or("EVBRIDGE_LISTEN", "127.0.0.1:4010");
    o->data_dir = env_or("EVBRIDGE_DATA_DIR", "./evbridge-data");
    o->region = env_or("EVBRIDGE_REGION", "us-east-1");
    o->credentials = env_or("EVBRIDGE_CREDENTIALS", NULL);
    o->master_key_file = env_or("EVBRIDGE_MASTER_KEY_FILE", NULL);
    o->log_level = env_or("EVBRIDGE_LOG_LEVEL", "info");
    o->idle_timeout = env_or("EVBRIDGE_IDLE_TIMEOUT", "30");
    o->retry_base_ms = env_or("EVBRIDGE_RETRY_BASE_MS", "1000");
    o->retry_cap_ms = env_or("EVBRIDGE_RETRY_CAP_MS", "60000");
    o->history_days = env_or("EVBRIDGE_HISTORY_DAYS", "7");
    o->max_rules = env_or("EVBRIDGE_MAX_RULES_PER_BUS", "300");
    o->ca_file = env_or("EVBRIDGE_CA_FILE", NULL);
    o->allow_http = strcmp(allow, "1") == 0 || strcmp(allow, "true") == 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char **dst = NULL;

        if (strcmp(a, "--allow-http-endpoints") == 0) {
            o->allow_http = 1;
            continue;
        }
        if (strcmp(a, "--listen") == 0)
            dst = &o->listen;
        else if (strcmp(a, "--data-dir") == 0)
            dst = &o->data_dir;
        else if (strcmp(a, "--region") == 0)
            dst = &o->region;
        else if (strcmp(a, "--credentials") == 0)
            dst = &o->credentials;
        else if (strcmp(a, "--master-key-file") == 0)
            dst = &o->master_key_file;
        else if (strcmp(a, "--log-level") == 0)
            dst = &o->log_level;
        else if (strcmp(a, "--idle-timeout") == 0)
            dst = &o->idle_timeout;
        else if (strcmp(a, "--retry-base-ms") == 0)
            dst = &o->retry_base_ms;
        else if (strcmp(a, "--retry-cap-ms") == 0)
            dst = &o->retry_cap_ms;
        else if (strcmp(a, "--history-days") == 0)
            dst = &o->history_days;
        else if (strcmp(a, "--max-rules-per-bus") == 0)
            dst = &o->max_rules;
        else if (strcmp(a, "--ca-file") == 0)
            dst = &o->ca_file;
        if (!dst) {
            fprintf(stderr, "evbridge: unknown option '%s'\n", a);
            usage(stderr);
            return -1;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "evbridge: option '%s' needs a value\n", a);
            return -1;
        }
        *dst = argv[++i];
    }
    return 0;
}

/* Splits HOST:PORT ([v6]:PORT allowed) into host (static copy) and port. */
static int parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    const char *h = s;
    size_t hlen;
    char *end;
    unsigned long p;

    if (!colon)
        return -1;
    hlen = (size_t)(colon - s);
    if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
        h = s + 1;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= hostlen)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    errno = 0;
    p = strtoul(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || p > 65535)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

/* A whole number in [lo, hi], or -1. */
static long number_in(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);

    return (*end || end == s || v < lo || v > hi) ? -1 : v;
}

static int is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/* The --ca-file must hold at least one PEM certificate OpenSSL can load. */
static int check_ca_file(const char *path)
{
    X509_STORE *st;
    int ok;

    if (access(path, R_OK) != 0) {
        fprintf(stderr, "evbridge: cannot read --ca-file %s: %s\n", path, strerror(errno));
        return -1;
    }
    st = X509_STORE_new();
    ok = st && X509_STORE_load_file(st, path) == 1;
    X509_STORE_free(st);
    ERR_clear_error();
    if (!ok) {
        fprintf(stderr, "evbridge: --ca-file %s holds no PEM certificate\n", path);
        return -1;
    }
    return 0;
}

static int load_credentials(const char *path, ev_credential_t **out, size_t *n)
{
    FILE *f;
    char line[1024];
    int lineno = 0;

    *out = NULL;
    *n = 0;
    if (!path) {
        *out = ev_xcalloc(1, sizeof(**out));
        (*out)[0].access_key = ev_xstrdup("test");
        (*out)[0].secret_key = ev_xstrdup("test");
        (*out)[0].account = ev_xstrdup("000000000000");
        *n = 1;
        return 0;
    }
    f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "evbridge: cannot read credentials file %s: %s\n", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char ak[256], sk[256], acct[64];
        int fields;

        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0' || line[strspn(line, " \t")] == '#')
            continue;
        fields = sscanf(line, "%255s %255s %63s", ak, sk, acct);
        if (fields != 3 || strlen(acct) != 12 || strspn(acct, "0123456789") != 12) {
            fprintf(stderr, "evbridge: %s:%d: expected ACCESS_KEY_ID SECRET_ACCESS_KEY "
                    "ACCOUNT_ID (12 digits)\n", path, lineno);
            fclose(f);
            ev_wipe(line, sizeof(line));
            return -1;
        }
        *out = realloc(*out, (*n + 1) * sizeof(**out));
        if (!*out)
            abort();
        (*out)[*n].access_key = ev_xstrdup(ak);
        (*out)[*n].secret_key = ev_xstrdup(sk);
        (*out)[*n].account = ev_xstrdup(acct);
        (*n)++;
        ev_wipe(sk, sizeof(sk));
    }
    ev_wipe(line, sizeof(line));
    fclose(f);
    if (*n == 0) {
        fprintf(stderr, "evbridge: credentials file %s holds no credential\n", path);
        return -1;
    }
    return 0;
}

static void free_credentials(ev_credential_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].access_key);
        ev_free_secret(c[i].secret_key);
        free(c[i].account);
    }
    free(c);
}

/* The engine's way to put an event on a bus (event-bus targets). */
static ev_err bus_put(void *ud, const char *account, const char *region, const char *bus_arn,
                      const char *event, size_t len)
{
    return ev_api_bus_put(ud, account, region, bus_arn, event, len);
}

/* Proves the master key is the one this data directory was created with. */
static int check_master_key(ev_app_t *app)
{
    unsigned char *blob = NULL;
    size_t n = 0;
    ev_blob_t pt = {0};
    int ok = -1;
    ev_err rc;

    if (ev_store_begin(app->store, 1) != EV_OK)
        return -1;
    rc = ev_store_meta_get(app->store, MASTER_CHECK_KEY, &blob, &n);
    if (rc == EV_ERR_NOT_FOUND) {
        ev_blob_t sealed = {0};

        rc = ev_seal(app->master_key, MASTER_CHECK_AAD, strlen(MASTER_CHECK_AAD), "ok", 2,
                     &sealed);
        if (rc == EV_OK)
            rc = ev_store_meta_put(app->store, MASTER_CHECK_KEY, sealed.p, sealed.n);
        ev_blob_free(&sealed);
        ok = rc == EV_OK ? 0 : -1;
    } else if (rc == EV_OK) {
        if (ev_open(app->master_key, MASTER_CHECK_AAD, strlen(MASTER_CHECK_AAD), blob, n,
                    &pt) == EV_OK)
            ok = 0;
        else
            fprintf(stderr, "evbridge: the master key does not match this data directory "
                    "(secrets were sealed under another key); refusing to start, nothing was "
                    "changed\n");
        rc = EV_OK;
    }
    free(blob);
    ev_blob_free(&pt);
    if (ev_store_end(app->store, ok == 0 ? rc : EV_ERR_INTERNAL) != EV_OK)
        ok = -1;
    return ok;
}

/* `evbridge deliveries`: the delivery history of a data directory as a table. */
static int deliveries(int argc, char **argv)
{
    const char *dir = env_or("EVBRIDGE_DATA_DIR", "./evbridge-data");
    const char *rule = NULL, *dest = NULL;
    int failed = 0, limit = 50, as_json = 0;
    ev_store_t *st = NULL;
    char msg[512], *path;
    json_t *doc;
    struct stat sb;

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--failed") == 0)
            failed = 1;
        else if (strcmp(argv[i], "--json") == 0)
            as_json = 1;
        else if (i + 1 < argc && strcmp(argv[i], "--rule") == 0)
            rule = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--destination") == 0)
            dest = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--data-dir") == 0)
            dir = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--limit") == 0)
            limit = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: evbridge deliveries [--data-dir DIR] [--rule R] "
                    "[--destination D] [--failed] [--limit N] [--json]\n");
            return 2;
        }
    }
    if (limit < 1 || limit > 100000) {
        fprintf(stderr, "evbridge: --limit must be 1..100000\n");
        return 2;
    }
    path = ev_xasprintf("%s/evbridge.db", dir);
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "evbridge: no database in %s\n", dir);
        free(path);
        return 1;
    }
    if (ev_store_open(path, &st, msg, sizeof(msg)) != EV_OK) {
        fprintf(stderr, "evbridge: %s\n", msg);
        free(path);
        return 1;
    }
    doc = ev_api_deliveries_json(st, NULL, rule, dest, failed, limit);
    if (doc && as_json) {
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

        printf("%s\n", text);
        free(text);
    } else if (doc) {
        ev_api_deliveries_print(stdout, doc);
    }
    json_decref(doc);
    ev_store_close(st);
    free(path);
    return doc ? 0 : 1;
}

static int serve(int argc, char **argv)
{
    options_t o;
    ev_app_t app;
    ev_server_cfg_t cfg;
    ev_server_t *srv = NULL;
    ev_engine_t *engine = NULL;
    ev_scheduler_t *scheduler = NULL;
    ev_engine_cfg_t ecfg;
    long base, cap, days, max_rules;
    ev_credential_t *creds = NULL;
    size_t ncreds = 0;
    ev_log_level lvl;
    sigset_t sigs;
    char host[256], msg[1024], *db_path = NULL;
    uint16_t port;
    unsigned long idle;
    char *end;
    int sig, status = 1;

    memset(&app, 0, sizeof(app));
    /* Blocked before any thread exists: every thread inherits the mask, so
     * the signals reach only the sigwait below. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (parse_options(argc, argv, &o) != 0)
        return 2;
    if (ev_log_parse_level(o.log_level, &lvl) != 0) {
        fprintf(stderr, "evbridge: --log-level must be debug, info, warn or error\n");
        return 2;
    }
    ev_log_set_level(lvl);
    if (parse_listen(o.listen, host, sizeof(host), &port) != 0) {
        fprintf(stderr, "evbridge: --listen must be HOST:PORT (got '%s')\n", o.listen);
        return 2;
    }
    idle = strtoul(o.idle_timeout, &end, 10);
    if (*end || end == o.idle_timeout || idle < 1 || idle > 3600) {
        fprintf(stderr, "evbridge: --idle-timeout must be 1..3600 seconds (got '%s')\n",
                o.idle_timeout);
        return 2;
    }
    base = number_in(o.retry_base_ms, 1, 3600000);
    cap = number_in(o.retry_cap_ms, 1, 86400000);
    days = number_in(o.history_days, 1, 3650);
    max_rules = number_in(o.max_rules, 1, 100000);
    if (base < 0 || cap < 0 || days < 0 || cap < base || max_rules < 0) {
        fprintf(stderr, "evbridge: --retry-base-ms (1..3600000), --retry-cap-ms (>= base), "
                "--history-days (1..3650) and --max-rules-per-bus (1..100000) must be whole "
                "numbers in range\n");
        return 2;
    }
    if (!is_loopback(host) && !o.credentials) {
        fprintf(stderr, "evbridge: refusing to listen on %s without --credentials: the default "
                "test/test credential would let anyone on the network in\n", host);
        return 2;
    }
    if (o.ca_file && check_ca_file(o.ca_file) != 0)
        return 2;
    if (load_credentials(o.credentials, &creds, &ncreds) != 0)
        return 2;
    if (mkdir(o.data_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "evbridge: cannot create data directory %s: %s\n", o.data_dir,
                strerror(errno));
        goto out;
    }
    if (ev_master_key_load(o.data_dir, o.master_key_file, getenv("EVBRIDGE_MASTER_KEY"),
                           app.master_key, msg, sizeof(msg)) != EV_OK) {
        fprintf(stderr, "evbridge: %s\n", msg);
        goto out;
    }
    db_path = ev_xasprintf("%s/evbridge.db", o.data_dir);
    if (ev_store_open(db_path, &app.store, msg, sizeof(msg)) != EV_OK) {
        fprintf(stderr, "evbridge: %s\n", msg);
        goto out;
    }
    if (check_master_key(&app) != 0)
        goto out;
    if (ev_outbox_open(db_path, days * 24 * 3600 * 1000, &app.outbox, msg, sizeof(msg)) !=
        EV_OK) {
        fprintf(stderr, "evbridge: %s\n", msg);
        goto out;
    }
    app.allow_http_endpoints = o.allow_http;
    app.max_rules_per_bus = (int)max_rules;
    memset(&ecfg, 0, sizeof(ecfg));
    ecfg.store = app.store;
    ecfg.outbox = app.outbox;
    ecfg.master_key = app.master_key;
    ecfg.timeout_ms = 5000;
    ecfg.ca_file = o.ca_file;
    ecfg.backoff_base_ms = base;
    ecfg.backoff_cap_ms = cap;
    ecfg.bus_put = bus_put;
    ecfg.bus_put_ud = &app;
    /* Tuning only (not in --help): sender threads, 0 = two per core (at most 4). */
    ecfg.senders = getenv("EVBRIDGE_SENDERS") ? atoi(getenv("EVBRIDGE_SENDERS")) : 0;
    /* ... and the memory that remembers parked jobs by id (bytes, 0 = 16 MiB). */
    ecfg.park_id_bytes =
        getenv("EVBRIDGE_PARK_ID_BYTES") ? strtoul(getenv("EVBRIDGE_PARK_ID_BYTES"), NULL, 10) : 0;
    if (ev_engine_start(&ecfg, &engine, msg, sizeof(msg)) != EV_OK) {
        fprintf(stderr, "evbridge: %s\n", msg);
        goto out;
    }
    if (ev_scheduler_start(&app, &scheduler) != EV_OK) {
        fprintf(stderr, "evbridge: cannot start the scheduler\n");
        goto out;
    }
    if (ev_model_init() != EV_OK || ev_api_init(&app, msg, sizeof(msg)) != EV_OK) {
        fprintf(stderr, "evbridge: initialisation failed\n");
        goto out;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.host = host;
    cfg.port = port;
    cfg.default_region = o.region;
    cfg.creds = creds;
    cfg.ncreds = ncreds;
    cfg.threads = 64; /* a worker waits for its group commit (and SQS long polls hold one) */
    cfg.timeout_s = (unsigned int)idle;
    cfg.app = &app;
    if (ev_server_start(&cfg, &srv, msg, sizeof(msg)) != EV_OK) {
        fprintf(stderr, "evbridge: %s\n", msg);
        goto out;
    }
    ev_info("evbridge %s listening on %s:%u (data %s, region %s%s)", EV_VERSION, host,
            ev_server_port(srv), o.data_dir, o.region,
            o.allow_http ? ", http:// endpoints allowed" : "");
    if (sigwait(&sigs, &sig) == 0)
        ev_info("signal %d: stopping", sig);
    ev_api_stop_waiting(); /* long polls answer now instead of at their end */
    ev_server_stop(srv);
    srv = NULL;
    status = 0;
out:
    ev_server_stop(srv);
    ev_scheduler_stop(scheduler);
    ev_engine_stop(engine);
    ev_outbox_close(app.outbox);
    ev_api_cleanup();
    ev_store_close(app.store);
    ev_model_cleanup();
    ev_wipe(app.master_key, sizeof(app.master_key));
    free_credentials(creds, ncreds);
    free(db_path);
    if (status == 0)
        ev_info("stopped");
    return status;
}

static int run(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "serve") == 0)
        return serve(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "deliveries") == 0)
        return deliveries(argc, argv);
    if (argc >= 2 && (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0)) {
        printf("evbridge %s\n", EV_VERSION);
        return 0;
    }
    if (argc >= 2 && (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = run(argc, argv);
    curl_global_cleanup();
    return rc;
}
