/*
 * store/history.c - reading the delivery history (the engine writes it
 * through the outbox reader).
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

ev_err ev_store_attempts_list(ev_store_t *st, const char *account, const char *rule,
                              const char *destination, int failed_only, int limit,
                              ev_attempt_t **out, size_t *n_out)
{
    static const char sql[] =
        "SELECT event_id, rule_arn, target_id, target_arn, outcome, error, response, attempt, "
        "status, time_ms, latency_ms FROM attempts WHERE (?1 IS NULL OR account = ?1) "
        "AND (?2 IS NULL OR rule_arn = ?2 OR rule_arn LIKE '%/' || ?2) "
        "AND (?3 IS NULL OR target_arn = ?3 OR target_arn LIKE '%:api-destination/' || ?3 || "
        "'/%') AND (?4 = 0 OR outcome <> 'success') ORDER BY id DESC LIMIT ?5";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_attempt_t *list;
    size_t n = 0;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, account);
    ev__bind_text(s, 2, rule);
    ev__bind_text(s, 3, destination);
    sqlite3_bind_int(s, 4, failed_only);
    sqlite3_bind_int(s, 5, limit);
    list = ev_xcalloc((size_t)(limit > 0 ? limit : 1), sizeof(*list));
    while (n < (size_t)limit && sqlite3_step(s) == SQLITE_ROW) {
        ev_attempt_t *a = &list[n++];
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
