/*
 * store/history.c - reading the delivery history. The outbox writer stores
 * the attempts of each commit as one attempt_log row (store/attlog.h); rows
 * are read newest first, their records from last to first. What schema 7
 * wrote, one row per attempt in `attempts`, is all older and comes after.
 */
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/attlog.h"
#include "store/store_int.h"
#include "util/util.h"

typedef struct {
    const char *account, *rule, *destination;
    int failed_only;
} filter_t;

static int eq(const char *s, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(s, want, n) == 0;
}

/* s[0..n) ends with "/" + name */
static int ends_with_name(const char *s, size_t n, const char *name)
{
    size_t k = strlen(name);

    return n > k && s[n - k - 1] == '/' && memcmp(s + n - k, name, k) == 0;
}

/* s[0..n) holds ":api-destination/" + name + "/" */
static int names_destination(const char *s, size_t n, const char *name)
{
    static const char tag[] = ":api-destination/";
    size_t k = strlen(name), t = sizeof(tag) - 1;

    for (size_t i = 0; i + t + k + 1 <= n; i++)
        if (memcmp(s + i, tag, t) == 0 && memcmp(s + i + t, name, k) == 0 &&
            s[i + t + k] == '/')
            return 1;
    return 0;
}

/* The same rules as the schema-7 query below: a rule or destination is
 * given as its ARN or its name. */
static int wanted(const filter_t *f, const ev_attlog_rec_t *r)
{
    const char *rule = r->s[EV_ATTLOG_RULE_ARN], *target = r->s[EV_ATTLOG_TARGET_ARN];
    size_t rn = r->len[EV_ATTLOG_RULE_ARN], tn = r->len[EV_ATTLOG_TARGET_ARN];

    if (f->account && !eq(r->s[EV_ATTLOG_ACCOUNT], r->len[EV_ATTLOG_ACCOUNT], f->account))
        return 0;
    if (f->rule && !eq(rule, rn, f->rule) && !ends_with_name(rule, rn, f->rule))
        return 0;
    if (f->destination && !eq(target, tn, f->destination) &&
        !names_destination(target, tn, f->destination))
        return 0;
    if (f->failed_only && eq(r->s[EV_ATTLOG_OUTCOME], r->len[EV_ATTLOG_OUTCOME], "success"))
        return 0;
    return 1;
}

static char *dup_or_null(const char *s, size_t n)
{
    return s ? ev_xstrndup(s, n) : NULL;
}

static void fill(ev_attempt_t *a, const ev_attlog_rec_t *r)
{
    a->event_id = dup_or_null(r->s[EV_ATTLOG_EVENT_ID], r->len[EV_ATTLOG_EVENT_ID]);
    a->rule_arn = dup_or_null(r->s[EV_ATTLOG_RULE_ARN], r->len[EV_ATTLOG_RULE_ARN]);
    a->target_id = dup_or_null(r->s[EV_ATTLOG_TARGET_ID], r->len[EV_ATTLOG_TARGET_ID]);
    a->target_arn = dup_or_null(r->s[EV_ATTLOG_TARGET_ARN], r->len[EV_ATTLOG_TARGET_ARN]);
    a->outcome = dup_or_null(r->s[EV_ATTLOG_OUTCOME], r->len[EV_ATTLOG_OUTCOME]);
    a->error = dup_or_null(r->s[EV_ATTLOG_ERROR], r->len[EV_ATTLOG_ERROR]);
    a->response = dup_or_null(r->s[EV_ATTLOG_RESPONSE], r->len[EV_ATTLOG_RESPONSE]);
    a->attempt = r->attempt;
    a->status = r->status;
    a->time_ms = r->time_ms;
    a->latency_ms = r->latency_ms;
}

/* Appends the wanted records of one row, last first, up to `limit`. */
static void take_row(const unsigned char *blob, size_t len, const filter_t *f,
                     ev_attempt_t *list, size_t *n, size_t limit, int64_t row)
{
    ev_attlog_rec_t *recs = NULL;
    size_t nrec = 0, cap = 0, off = 0;
    int rc;

    for (;;) {
        if (nrec == cap) {
            cap = cap ? 2 * cap : 64;
            recs = ev_xrealloc(recs, cap * sizeof(*recs));
        }
        rc = ev_attlog_next(blob, len, &off, &recs[nrec]);
        if (rc <= 0)
            break;
        nrec++;
    }
    if (rc < 0)
        ev_warn("history: attempt_log row %lld is damaged after %zu records", (long long)row,
                nrec);
    for (size_t i = nrec; i-- > 0 && *n < limit;)
        if (wanted(f, &recs[i]))
            fill(&list[(*n)++], &recs[i]);
    free(recs);
}

static ev_err read_log(ev_store_t *st, const filter_t *f, ev_attempt_t *list, size_t *n,
                       size_t limit)
{
    static const char sql[] = "SELECT id, recs FROM attempt_log ORDER BY id DESC";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    int rc = SQLITE_ROW;

    if (!s)
        return EV_ERR_INTERNAL;
    while (*n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW)
        take_row(sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1), f, list, n,
                 limit, sqlite3_column_int64(s, 0));
    sqlite3_reset(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? EV_OK : ev__store_err(st, "read the history");
}

/* The rows schema 7 wrote, read as schema 7 did (they only age out). */
static ev_err read_old(ev_store_t *st, const filter_t *f, ev_attempt_t *list, size_t *n,
                       size_t limit)
{
    static const char sql[] =
        "SELECT event_id, rule_arn, target_id, target_arn, outcome, error, response, attempt, "
        "status, time_ms, latency_ms FROM attempts WHERE (?1 IS NULL OR account = ?1) "
        "AND (?2 IS NULL OR rule_arn = ?2 OR rule_arn LIKE '%/' || ?2) "
        "AND (?3 IS NULL OR target_arn = ?3 OR target_arn LIKE '%:api-destination/' || ?3 || "
        "'/%') AND (?4 = 0 OR outcome <> 'success') ORDER BY id DESC LIMIT ?5";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, f->account);
    ev__bind_text(s, 2, f->rule);
    ev__bind_text(s, 3, f->destination);
    sqlite3_bind_int(s, 4, f->failed_only);
    sqlite3_bind_int64(s, 5, (int64_t)(limit - *n));
    while (*n < limit && sqlite3_step(s) == SQLITE_ROW) {
        ev_attempt_t *a = &list[(*n)++];
        size_t len;
        unsigned char *resp;

        a->event_id = ev__col_text(s, 0);
        a->rule_arn = ev__col_text(s, 1);
        a->target_id = ev__col_text(s, 2);
        a->target_arn = ev__col_text(s, 3);
        a->outcome = ev__col_text(s, 4);
        a->error = ev__col_text(s, 5);
        ev__col_blob(s, 6, &resp, &len);
        resp[len] = '\0';
        a->response = (char *)resp;
        a->attempt = sqlite3_column_int(s, 7);
        a->status = sqlite3_column_int(s, 8);
        a->time_ms = sqlite3_column_int64(s, 9);
        a->latency_ms = sqlite3_column_int64(s, 10);
    }
    sqlite3_reset(s);
    return EV_OK;
}

/* In a read transaction of the caller's (ev_store_begin). */
ev_err ev_store_attempts_list(ev_store_t *st, const char *account, const char *rule,
                              const char *destination, int failed_only, int limit,
                              ev_attempt_t **out, size_t *n_out)
{
    filter_t f = {account, rule, destination, failed_only};
    size_t n = 0, max = limit > 0 ? (size_t)limit : 0;
    ev_attempt_t *list = ev_xcalloc(max ? max : 1, sizeof(*list));
    ev_err rc;

    *out = NULL;
    *n_out = 0;
    rc = read_log(st, &f, list, &n, max);
    if (rc == EV_OK && n < max)
        rc = read_old(st, &f, list, &n, max);
    if (rc != EV_OK) {
        ev_store_attempts_free(list, n);
        return rc;
    }
    *out = list;
    *n_out = n;
    return EV_OK;
}

void ev_store_attempts_free(ev_attempt_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].event_id);
        free(list[i].rule_arn);
        free(list[i].target_id);
        free(list[i].target_arn);
        free(list[i].outcome);
        free(list[i].error);
        free(list[i].response);
    }
    free(list);
}
