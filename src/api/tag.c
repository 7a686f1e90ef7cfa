/*
 * api/tag.c - TagResource, UntagResource, ListTagsForResource on event
 * buses, rules, connections and API destinations.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "util/util.h"

/* Checks that the ARN names an existing taggable resource of the scope. */
static ev_err resolve(ev_call_t *c, const char *arn)
{
    char *name;
    ev_err rc = EV_ERR_NOT_FOUND;

    if ((name = ev__arn_name(c, arn, "connection"))) {
        ev_connection_t conn;

        rc = ev_store_conn_get(c->app->store, c->scope, name, &conn);
        if (rc == EV_OK && strcmp(conn.arn, arn) != 0)
            rc = EV_ERR_NOT_FOUND;
        ev_connection_clear(&conn);
        if (rc == EV_ERR_NOT_FOUND)
            rc = ev_fail(c, rc, "Failed to describe the connection(s). Connection '%s' does not "
                         "exist.", name);
    } else if ((name = ev__arn_name(c, arn, "api-destination"))) {
        ev_api_destination_t d;

        rc = ev_store_dest_get(c->app->store, c->scope, name, &d);
        if (rc == EV_OK && strcmp(d.arn, arn) != 0)
            rc = EV_ERR_NOT_FOUND;
        ev_api_destination_clear(&d);
        if (rc == EV_ERR_NOT_FOUND)
            rc = ev_fail(c, rc, "Failed to describe the api-destination(s). An api-destination "
                         "'%s' does not exist.", name);
    } else if (strstr(arn, ":event-bus/")) {
        const char *bus = strstr(arn, ":event-bus/") + 11;
        ev_bus_t b;

        rc = ev__bus_default(c);
        if (rc == EV_OK)
            rc = ev_store_bus_get(c->app->store, c->scope, bus, &b);
        if (rc == EV_OK && strcmp(b.arn, arn) != 0)
            rc = EV_ERR_NOT_FOUND;
        ev_bus_clear(&b);
        if (rc == EV_ERR_NOT_FOUND)
            rc = ev__bus_not_found(c, bus);
    } else if (strstr(arn, ":rule/")) {
        const char *rest = strstr(arn, ":rule/") + 6, *slash = strchr(rest, '/');
        char *bus = slash ? ev_xstrndup(rest, (size_t)(slash - rest)) : ev_xstrdup("default");
        const char *rule = slash ? slash + 1 : rest;
        ev_rule_t r;

        rc = ev_store_rule_get(c->app->store, c->scope, bus, rule, &r);
        if (rc == EV_OK && strcmp(r.arn, arn) != 0)
            rc = EV_ERR_NOT_FOUND;
        ev_rule_clear(&r);
        if (rc == EV_ERR_NOT_FOUND)
            rc = ev__rule_not_found(c, rule, bus);
        free(bus);
    } else {
        rc = ev_fail(c, EV_ERR_NOT_FOUND, "Resource %s does not exist.", arn);
    }
    free(name);
    return rc;
}

static ev_err tag_resource(ev_call_t *c)
{
    const char *arn = ev__str(c->in, "ResourceARN");
    json_t *tags = json_object_get(c->in, "Tags"), *t;
    ev_tag_t *cur = NULL;
    size_t n = 0, i, added = 0;
    ev_err rc = resolve(c, arn);

    if (rc)
        return rc;
    rc = ev_store_tags_list(c->app->store, c->scope, arn, &cur, &n);
    if (rc)
        return rc;
    json_array_foreach(tags, i, t) {
        const char *key = ev__str(t, "Key");
        int known = 0;

        for (size_t j = 0; j < n; j++)
            known |= strcmp(cur[j].key, key) == 0;
        added += !known;
    }
    if (n + added > EV_MAX_TAGS) {
        rc = ev_fail(c, EV_ERR_LIMIT_EXCEEDED,
                     "The requested resource exceeds the maximum number allowed.");
        goto out;
    }
    json_array_foreach(tags, i, t) {
        rc = ev_store_tag_put(c->app->store, c->scope, arn, ev__str(t, "Key"),
                              ev__str(t, "Value"));
        if (rc)
            goto out;
    }
out:
    ev_store_tags_free(cur, n);
    return rc;
}

static ev_err untag_resource(ev_call_t *c)
{
    const char *arn = ev__str(c->in, "ResourceARN");
    json_t *keys = json_object_get(c->in, "TagKeys"), *k;
    size_t i;
    ev_err rc = resolve(c, arn);

    json_array_foreach(keys, i, k) {
        if (rc)
            break;
        rc = ev_store_tag_delete(c->app->store, c->scope, arn, json_string_value(k));
    }
    return rc;
}

static ev_err list_tags_for_resource(ev_call_t *c)
{
    const char *arn = ev__str(c->in, "ResourceARN");
    ev_tag_t *tags = NULL;
    size_t n = 0;
    json_t *arr;
    ev_err rc = resolve(c, arn);

    if (rc)
        return rc;
    rc = ev_store_tags_list(c->app->store, c->scope, arn, &tags, &n);
    if (rc)
        return rc;
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s}", "Key", tags[i].key, "Value",
                                             tags[i].value));
    json_object_set_new(c->out, "Tags", arr);
    ev_store_tags_free(tags, n);
    return EV_OK;
}

const ev_op_t ev__tag_ops[] = {
    {"AWSEvents.TagResource", tag_resource, 1},
    {"AWSEvents.UntagResource", untag_resource, 1},
    {"AWSEvents.ListTagsForResource", list_tags_for_resource, 0},
    {NULL, NULL, 0},
};
