/*
 * api/target.c - PutTargets, RemoveTargets, ListTargetsByRule. A target is
 * stored as the JSON object it was given, so ListTargetsByRule echoes it
 * exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "util/util.h"
#include "xform/xform.h"

#define EV_MAX_TARGETS_PER_RULE 5

/* "arn:partition:service:region:account:resource" with a non-empty service and resource. */
static int arn_well_formed(const char *arn)
{
    const char *p = arn;
    int colons = 0;

    if (strncmp(arn, "arn:", 4) != 0)
        return 0;
    for (; *p && colons < 5; p++)
        colons += *p == ':';
    return colons == 5 && *p != '\0' && arn[4] != ':' && strchr(arn + 4, ':')[1] != ':';
}

static void failed_entry(json_t *arr, const char *id, const char *code, const char *msg)
{
    json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "TargetId", id, "ErrorCode", code,
                                         "ErrorMessage", msg));
}

static ev_err put_targets(ev_call_t *c)
{
    json_t *targets = json_object_get(c->in, "Targets"), *t, *failed = json_array();
    ev_target_t *cur = NULL;
    size_t n = 0, i, added = 0;
    ev_rule_t r;
    ev_err rc = ev__rule_load(c, "Rule", &r);

    if (rc)
        goto out;
    rc = ev_store_target_list(c->app->store, c->scope, r.bus, r.name, &cur, &n);
    if (rc)
        goto out;
    /* Whole-call checks first: input selection, then the per-rule limit. */
    json_array_foreach(targets, i, t) {
        const char *id = ev__str(t, "Id");
        char *msg = NULL;
        int known = 0;

        rc = ev_xform_check(id, ev__str(t, "Input"), ev__str(t, "InputPath"),
                            ev__obj(t, "InputTransformer"), &msg);
        if (rc) {
            rc = ev_fail(c, rc, "%s", msg ? msg : "Invalid target input.");
            free(msg);
            goto out;
        }
        for (size_t j = 0; j < n; j++)
            known |= strcmp(cur[j].id, id) == 0;
        for (size_t j = 0; j < i; j++)
            known |= strcmp(ev__str(json_array_get(targets, j), "Id"), id) == 0;
        added += !known;
    }
    if (n + added > EV_MAX_TARGETS_PER_RULE) {
        rc = ev_fail(c, EV_ERR_LIMIT_EXCEEDED,
                     "The requested resource exceeds the maximum number allowed.");
        goto out;
    }
    json_array_foreach(targets, i, t) {
        ev_target_t e = {0};
        char *msg;

        if (!arn_well_formed(ev__str(t, "Arn"))) {
            msg = ev_xasprintf("Parameter %s is not valid. Reason: Provided Arn is not in "
                               "correct format.", ev__str(t, "Arn"));
            failed_entry(failed, ev__str(t, "Id"), "ValidationException", msg);
            free(msg);
            continue;
        }
        e.rule = r.name;
        e.id = (char *)ev__str(t, "Id");
        e.arn = (char *)ev__str(t, "Arn");
        e.body = json_dumps(t, JSON_COMPACT | JSON_PRESERVE_ORDER);
        rc = ev_store_target_put(c->app->store, c->scope, r.bus, &e);
        free(e.body);
        if (rc)
            goto out;
    }
    json_object_set_new(c->out, "FailedEntryCount", json_integer((json_int_t)json_array_size(failed)));
    json_object_set(c->out, "FailedEntries", failed);
    ev__bus_changed(c, r.bus);
out:
    json_decref(failed);
    ev_store_target_list_free(cur, n);
    ev_rule_clear(&r);
    return rc;
}

static ev_err remove_targets(ev_call_t *c)
{
    json_t *ids = json_object_get(c->in, "Ids"), *id, *failed = json_array();
    ev_rule_t r;
    size_t i;
    ev_err rc = ev__rule_load(c, "Rule", &r);

    json_array_foreach(ids, i, id) {
        int deleted = 0;

        if (rc)
            break;
        rc = ev_store_target_delete(c->app->store, c->scope, r.bus, r.name,
                                    json_string_value(id), &deleted);
        if (rc == EV_OK && !deleted) {
            char *msg = ev_xasprintf("Target %s does not exist on Rule %s.",
                                     json_string_value(id), r.name);

            failed_entry(failed, json_string_value(id), "ResourceNotFoundException", msg);
            free(msg);
        }
    }
    if (rc == EV_OK) {
        json_object_set_new(c->out, "FailedEntryCount",
                            json_integer((json_int_t)json_array_size(failed)));
        json_object_set(c->out, "FailedEntries", failed);
        ev__bus_changed(c, r.bus);
    }
    json_decref(failed);
    ev_rule_clear(&r);
    return rc;
}

static ev_err list_targets_by_rule(ev_call_t *c)
{
    ev_target_t *list = NULL;
    size_t n = 0, start = 0, shown = 0;
    int limit = ev__limit(c);
    char *after = NULL;
    json_t *arr;
    ev_rule_t r;
    ev_err rc = ev__rule_load(c, "Rule", &r);

    if (rc == EV_OK)
        rc = ev__next_token_in(c, &after);
    if (rc == EV_OK)
        rc = ev_store_target_list(c->app->store, c->scope, r.bus, r.name, &list, &n);
    if (rc)
        goto out;
    /* Pages follow insertion order; the token names the last id shown. */
    if (after) {
        while (start < n && strcmp(list[start].id, after) != 0)
            start++;
        start = start < n ? start + 1 : n;
    }
    arr = json_array();
    for (size_t i = start; i < n && shown < (size_t)limit; i++, shown++)
        json_array_append_new(arr, json_loads(list[i].body, 0, NULL));
    json_object_set_new(c->out, "Targets", arr);
    if (start + shown < n)
        ev__next_token_out(c, list[start + shown - 1].id);
out:
    ev_store_target_list_free(list, n);
    ev_rule_clear(&r);
    free(after);
    return rc;
}

const ev_op_t ev__target_ops[] = {
    {"AWSEvents.PutTargets", put_targets, 1},
    {"AWSEvents.RemoveTargets", remove_targets, 1},
    {"AWSEvents.ListTargetsByRule", list_targets_by_rule, 1},
    {NULL, NULL, 0},
};
