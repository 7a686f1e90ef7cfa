/*
 * api/deliveries.c - the delivery history as JSON (GET
 * /_evbridge/v1/deliveries) and as a table a person reads (`evbridge
 * deliveries`). Neither ever shows a secret: the history holds none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api_int.h"
#include "util/util.h"

static void iso_ms(int64_t ms, char out[40])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char base[32];

    gmtime_r(&t, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%03dZ", base, (int)(ms % 1000));
}

json_t *ev_api_deliveries_json(ev_store_t *st, const char *account, const char *rule,
                               const char *destination, int failed_only, int limit)
{
    ev_attempt_t *list = NULL;
    size_t n = 0;
    json_t *arr = json_array();

    if (ev_store_begin(st, 0) != EV_OK)
        return NULL;
    if (ev_store_attempts_list(st, account, rule, destination, failed_only, limit, &list, &n)) {
        (void)ev_store_end(st, EV_OK);
        json_decref(arr);
        return NULL;
    }
    (void)ev_store_end(st, EV_OK);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_object();
        char when[40];

        iso_ms(list[i].time_ms, when);
        ev__set_str(e, "Time", when);
        ev__set_str(e, "EventId", list[i].event_id);
        ev__set_str(e, "RuleArn", list[i].rule_arn);
        ev__set_str(e, "TargetId", list[i].target_id);
        ev__set_str(e, "TargetArn", list[i].target_arn);
        json_object_set_new(e, "Attempt", json_integer(list[i].attempt));
        if (list[i].status)
            json_object_set_new(e, "HttpStatus", json_integer(list[i].status));
        ev__set_str(e, "Result", list[i].outcome);
        ev__set_str(e, "Error", list[i].error);
        json_object_set_new(e, "LatencyMs", json_integer(list[i].latency_ms));
        ev__set_str(e, "ResponseBody", list[i].response);
        json_array_append_new(arr, e);
    }
    ev_store_attempts_free(list, n);
    return json_pack("{s:o}", "Deliveries", arr);
}

void ev_api_deliveries_print(FILE *f, const json_t *doc)
{
    json_t *arr = json_object_get(doc, "Deliveries"), *e;
    size_t i;

    fprintf(f, "%-24s %-36s %-24s %-16s %3s %6s %-13s %7s  %s\n", "TIME", "EVENT", "RULE",
            "TARGET", "TRY", "STATUS", "RESULT", "LATENCY", "ERROR");
    json_array_foreach(arr, i, e) {
        const char *rule = ev__str(e, "RuleArn"), *slash = rule ? strrchr(rule, '/') : NULL;
        json_t *st = json_object_get(e, "HttpStatus");
        char status[16] = "-";

        if (json_is_integer(st))
            snprintf(status, sizeof(status), "%lld", (long long)json_integer_value(st));
        fprintf(f, "%-24s %-36s %-24.24s %-16.16s %3lld %6s %-13s %5lldms  %s\n",
                ev__str(e, "Time"), ev__str(e, "EventId"), slash ? slash + 1 : rule,
                ev__str(e, "TargetId"), (long long)json_integer_value(json_object_get(e, "Attempt")),
                status, ev__str(e, "Result"),
                (long long)json_integer_value(json_object_get(e, "LatencyMs")),
                ev__str(e, "Error") ? ev__str(e, "Error") : "");
    }
    if (json_array_size(arr) == 0)
        fprintf(f, "(no deliveries)\n");
}
