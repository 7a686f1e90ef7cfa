/*
 * api/bus.c - CreateEventBus, DescribeEventBus, UpdateEventBus,
 * DeleteEventBus, ListEventBuses, PutPermission, RemovePermission. Every
 * (account, region) has a `default` bus, created on first use.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "util/util.h"

#define EV_MAX_BUSES 100

ev_err ev__bus_not_found(ev_call_t *c, const char *name)
{
    return ev_fail(c, EV_ERR_NOT_FOUND, "Event bus %s does not exist.", name);
}

ev_err ev__bus_default(ev_call_t *c)
{
    ev_bus_t b;
    ev_err rc = ev_store_bus_get(c->app->store, c->scope, "default", &b);

    ev_bus_clear(&b);
    if (rc != EV_ERR_NOT_FOUND)
        return rc;
    memset(&b, 0, sizeof(b));
    b.name = "default";
    b.arn = ev__arn(c, "events", "event-bus/default");
    b.created_ms = b.modified_ms = c->now_ms;
    rc = ev_store_bus_put(c->app->store, c->scope, &b);
    free(b.arn);
    return rc;
}

char *ev__bus_name(const ev_call_t *c, const char *name_or_arn)
{
    const char *p = name_or_arn ? name_or_arn : "default";
    const char *slash;

    if (strncmp(p, "arn:", 4) == 0 && (slash = strstr(p, ":event-bus/"))) {
        char *prefix = ev_xasprintf("arn:aws:events:%s:%s:event-bus/", c->scope.region,
                                    c->scope.account);
        int ours = strncmp(p, prefix, strlen(prefix)) == 0;

        free(prefix);
        /* Another account's or region's bus is never one of ours. */
        return ev_xstrdup(ours ? slash + 11 : p);
    }
    return ev_xstrdup(p);
}

ev_err ev__bus_load(ev_call_t *c, const char *name_or_arn, ev_bus_t *out)
{
    char *name = ev__bus_name(c, name_or_arn);
    ev_err rc = ev__bus_default(c);

    memset(out, 0, sizeof(*out));
    if (rc == EV_OK)
        rc = ev_store_bus_get(c->app->store, c->scope, name, out);
    if (rc == EV_ERR_NOT_FOUND)
        rc = ev__bus_not_found(c, name);
    free(name);
    return rc;
}

/* Sets the optional configuration members a bus echoes. */
static void config_members(json_t *o, const ev_bus_t *b)
{
    ev__set_str(o, "Description", b->description);
    ev__set_str(o, "KmsKeyIdentifier", b->kms_key);
    if (b->dead_letter)
        json_object_set_new(o, "DeadLetterConfig", json_loads(b->dead_letter, 0, NULL));
    if (b->log_config)
        json_object_set_new(o, "LogConfig", json_loads(b->log_config, 0, NULL));
}

static char *dump(const json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
}

static ev_err create_event_bus(ev_call_t *c)
{
    const char *name = ev__str(c->in, "Name");
    json_t *tags = json_object_get(c->in, "Tags"), *t;
    ev_bus_t b = {0}, old = {0};
    int64_t n;
    size_t i;
    char *res;
    ev_err rc = ev__bus_default(c);

    if (rc)
        return rc;
    if (ev__str(c->in, "EventSourceName"))
        return ev_fail(c, EV_ERR_NOT_FOUND, "Event source %s does not exist.",
                       ev__str(c->in, "EventSourceName"));
    if (strchr(name, '/'))
        return ev_fail(c, EV_ERR_VALIDATION, "Event bus name must not contain '/'.");
    rc = ev_store_bus_get(c->app->store, c->scope, name, &old);
    ev_bus_clear(&old);
    if (rc == EV_OK)
        return ev_fail(c, EV_ERR_ALREADY_EXISTS, "Event bus %s already exists.", name);
    if (rc != EV_ERR_NOT_FOUND)
        return rc;
    rc = ev_store_bus_count(c->app->store, c->scope, &n);
    if (rc)
        return rc;
    if (n >= EV_MAX_BUSES)
        return ev_fail(c, EV_ERR_LIMIT_EXCEEDED,
                       "The requested resource exceeds the maximum number allowed.");
    res = ev_xasprintf("event-bus/%s", name);
    b.name = (char *)name;
    b.arn = ev__arn(c, "events", res);
    b.description = (char *)ev__str(c->in, "Description");
    b.kms_key = (char *)ev__str(c->in, "KmsKeyIdentifier");
    b.dead_letter = dump(ev__obj(c->in, "DeadLetterConfig"));
    b.log_config = dump(ev__obj(c->in, "LogConfig"));
    b.created_ms = b.modified_ms = c->now_ms;
    rc = ev_store_bus_put(c->app->store, c->scope, &b);
    json_array_foreach(tags, i, t) {
        if (rc)
            break;
        rc = ev_store_tag_put(c->app->store, c->scope, b.arn, ev__str(t, "Key"),
                              ev__str(t, "Value"));
    }
    if (rc == EV_OK) {
        ev__set_str(c->out, "EventBusArn", b.arn);
        config_members(c->out, &b);
    }
    free(res);
    free(b.arn);
    free(b.dead_letter);
    free(b.log_config);
    return rc;
}

static ev_err describe_event_bus(ev_call_t *c)
{
    ev_bus_t b;
    ev_err rc = ev__bus_load(c, ev__str(c->in, "Name"), &b);

    if (rc == EV_OK) {
        ev__set_str(c->out, "Name", b.name);
        ev__set_str(c->out, "Arn", b.arn);
        config_members(c->out, &b);
        ev__set_str(c->out, "Policy", b.policy);
        ev__set_time(c->out, "CreationTime", b.created_ms);
        ev__set_time(c->out, "LastModifiedTime", b.modified_ms);
    }
    ev_bus_clear(&b);
    return rc;
}

static void replace(char **field, const char *v)
{
    if (!v)
        return;
    free(*field);
    *field = *v ? ev_xstrdup(v) : NULL;
}

static ev_err update_event_bus(ev_call_t *c)
{
    ev_bus_t b;
    ev_err rc = ev__bus_load(c, ev__str(c->in, "Name"), &b);

    if (rc)
        goto out;
    replace(&b.description, ev__str(c->in, "Description"));
    replace(&b.kms_key, ev__str(c->in, "KmsKeyIdentifier"));
    if (ev__obj(c->in, "DeadLetterConfig")) {
        free(b.dead_letter);
        b.dead_letter = dump(ev__obj(c->in, "DeadLetterConfig"));
    }
    if (ev__obj(c->in, "LogConfig")) {
        free(b.log_config);
        b.log_config = dump(ev__obj(c->in, "LogConfig"));
    }
    b.modified_ms = c->now_ms;
    rc = ev_store_bus_put(c->app->store, c->scope, &b);
    if (rc == EV_OK) {
        ev__set_str(c->out, "Arn", b.arn);
        ev__set_str(c->out, "Name", b.name);
        config_members(c->out, &b);
    }
out:
    ev_bus_clear(&b);
    return rc;
}

static ev_err delete_event_bus(ev_call_t *c)
{
    const char *name = ev__str(c->in, "Name");

    if (strcmp(name, "default") == 0)
        return ev_fail(c, EV_ERR_VALIDATION, "Cannot delete event bus default.");
    /* Deleting a bus that does not exist succeeds, as in AWS. */
    ev__bus_changed(c, name);
    return ev_store_bus_delete(c->app->store, c->scope, name);
}

static ev_err list_event_buses(ev_call_t *c)
{
    ev_bus_t *list = NULL;
    size_t n = 0;
    int limit = ev__limit(c);
    char *after = NULL;
    json_t *arr;
    ev_err rc = ev__bus_default(c);

    if (rc == EV_OK)
        rc = ev__next_token_in(c, &after);
    if (rc == EV_OK)
        rc = ev_store_bus_list(c->app->store, c->scope, ev__str(c->in, "NamePrefix"), after,
                               limit + 1, &list, &n);
    if (rc)
        goto out;
    arr = json_array();
    for (size_t i = 0; i < n && i < (size_t)limit; i++) {
        json_t *e = json_object();

        ev__set_str(e, "Name", list[i].name);
        ev__set_str(e, "Arn", list[i].arn);
        ev__set_str(e, "Description", list[i].description);
        ev__set_str(e, "Policy", list[i].policy);
        ev__set_time(e, "CreationTime", list[i].created_ms);
        ev__set_time(e, "LastModifiedTime", list[i].modified_ms);
        json_array_append_new(arr, e);
    }
    json_object_set_new(c->out, "EventBuses", arr);
    if (n > (size_t)limit)
        ev__next_token_out(c, list[limit - 1].name);
out:
    ev_store_bus_list_free(list, n);
    free(after);
    return rc;
}

static ev_err put_permission(ev_call_t *c)
{
    const char *policy = ev__str(c->in, "Policy"), *sid = ev__str(c->in, "StatementId");
    const char *principal = ev__str(c->in, "Principal"), *action = ev__str(c->in, "Action");
    json_t *doc = NULL, *stmts, *s, *cond = ev__obj(c->in, "Condition");
    ev_bus_t b;
    ev_err rc = ev__bus_load(c, ev__str(c->in, "EventBusName"), &b);

    if (rc)
        return rc;
    if (policy) {
        doc = json_loads(policy, 0, NULL);
        if (!json_is_object(doc)) {
            rc = ev_fail(c, EV_ERR_VALIDATION, "Parameter Policy is not valid.");
            goto out;
        }
    } else {
        size_t i;
        json_t *e;

        if (!sid || !principal || !action) {
            rc = ev_fail(c, EV_ERR_VALIDATION, "Parameter(s) Action, Principal and StatementId "
                         "must be specified.");
            goto out;
        }
        doc = b.policy ? json_loads(b.policy, 0, NULL) : NULL;
        if (!json_is_object(doc)) {
            json_decref(doc);
            doc = json_pack("{s:s,s:[]}", "Version", "2012-10-17", "Statement");
        }
        stmts = json_object_get(doc, "Statement");
        json_array_foreach(stmts, i, e) {
            if (ev__str(e, "Sid") && strcmp(ev__str(e, "Sid"), sid) == 0) {
                json_array_remove(stmts, i);
                break;
            }
        }
        s = json_object();
        ev__set_str(s, "Sid", sid);
        ev__set_str(s, "Effect", "Allow");
        if (strcmp(principal, "*") == 0) {
            ev__set_str(s, "Principal", "*");
        } else {
            char *p = ev_xasprintf("arn:aws:iam::%s:root", principal);

            json_object_set_new(s, "Principal", json_pack("{s:s}", "AWS", p));
            free(p);
        }
        ev__set_str(s, "Action", action);
        ev__set_str(s, "Resource", b.arn);
        if (cond)
            json_object_set_new(s, "Condition",
                                json_pack("{s:{s:s}}", ev__str(cond, "Type"),
                                          ev__str(cond, "Key"), ev__str(cond, "Value")));
        json_array_append_new(stmts, s);
    }
    free(b.policy);
    b.policy = dump(doc);
    if (b.policy && strlen(b.policy) > 10240) {
        rc = ev_fail(c, EV_ERR_VALIDATION, "Policy exceeds the maximum allowed size.");
        goto out;
    }
    b.modified_ms = c->now_ms;
    rc = ev_store_bus_put(c->app->store, c->scope, &b);
out:
    json_decref(doc);
    ev_bus_clear(&b);
    return rc;
}

static ev_err remove_permission(ev_call_t *c)
{
    const char *sid = ev__str(c->in, "StatementId");
    json_t *doc = NULL, *stmts, *e;
    ev_bus_t b;
    size_t i;
    int found = 0;
    ev_err rc = ev__bus_load(c, ev__str(c->in, "EventBusName"), &b);

    if (rc)
        return rc;
    if (json_is_true(json_object_get(c->in, "RemoveAllPermissions"))) {
        free(b.policy);
        b.policy = NULL;
    } else {
        doc = b.policy && sid ? json_loads(b.policy, 0, NULL) : NULL;
        stmts = json_object_get(doc, "Statement");
        json_array_foreach(stmts, i, e) {
            if (ev__str(e, "Sid") && strcmp(ev__str(e, "Sid"), sid) == 0) {
                json_array_remove(stmts, i);
                found = 1;
                break;
            }
        }
        if (!found) {
            rc = ev_fail(c, EV_ERR_NOT_FOUND, "Statement with the provided id does not exist.");
            goto out;
        }
        free(b.policy);
        b.policy = json_array_size(stmts) ? dump(doc) : NULL;
    }
    b.modified_ms = c->now_ms;
    rc = ev_store_bus_put(c->app->store, c->scope, &b);
out:
    json_decref(doc);
    ev_bus_clear(&b);
    return rc;
}

const ev_op_t ev__bus_ops[] = {
    {"AWSEvents.CreateEventBus", create_event_bus, 1},
    {"AWSEvents.DescribeEventBus", describe_event_bus, 1},
    {"AWSEvents.UpdateEventBus", update_event_bus, 1},
    {"AWSEvents.DeleteEventBus", delete_event_bus, 1},
    {"AWSEvents.ListEventBuses", list_event_buses, 1},
    {"AWSEvents.PutPermission", put_permission, 1},
    {"AWSEvents.RemovePermission", remove_permission, 1},
    {NULL, NULL, 0},
};
