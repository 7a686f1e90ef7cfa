/*
 * api/api_destination.c - CreateApiDestination, DescribeApiDestination,
 * UpdateApiDestination, DeleteApiDestination, ListApiDestinations.
 *
 * A destination is ACTIVE exactly while its connection is usable
 * (AUTHORIZED, or ACTIVE for a private connection); the state is derived on
 * every read, so it follows the connection without being stored.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "util/util.h"

static ev_err not_found(ev_call_t *c, const char *name)
{
    return ev_fail(c, EV_ERR_NOT_FOUND, "Failed to describe the api-destination(s). An "
                   "api-destination '%s' does not exist.", name);
}

/* Looks up the connection an ARN names; ResourceNotFoundException if none. */
static ev_err find_connection(ev_call_t *c, const char *arn, ev_connection_t *conn)
{
    char *name = ev__arn_name(c, arn, "connection");
    const char *shown;
    ev_err rc = EV_ERR_NOT_FOUND;

    memset(conn, 0, sizeof(*conn));
    if (name)
        rc = ev_store_conn_get(c->app->store, c->scope, name, conn);
    if (rc == EV_OK && strcmp(conn->arn, arn) != 0) {
        ev_connection_clear(conn);
        rc = EV_ERR_NOT_FOUND;
    }
    if (rc == EV_ERR_NOT_FOUND) {
        shown = strstr(arn, ":connection/") ? strstr(arn, ":connection/") + 12 : arn;
        free(name);
        name = ev_xstrdup(shown);
        if (strchr(name, '/'))
            *strrchr(name, '/') = '\0';
        rc = ev_fail(c, EV_ERR_NOT_FOUND,
                     "Failed to describe the connection(s). Connection '%s' does not exist.",
                     name);
    }
    free(name);
    return rc;
}

static const char *state_of(ev_call_t *c, const char *connection_arn)
{
    char *name = ev__arn_name(c, connection_arn, "connection");
    ev_connection_t conn;
    const char *state = "INACTIVE";

    if (name && ev_store_conn_get(c->app->store, c->scope, name, &conn) == EV_OK) {
        if (strcmp(conn.arn, connection_arn) == 0 &&
            (strcmp(conn.state, "AUTHORIZED") == 0 || strcmp(conn.state, "ACTIVE") == 0))
            state = "ACTIVE";
        ev_connection_clear(&conn);
    }
    free(name);
    return state;
}

static void put_members(ev_call_t *c, json_t *o, const ev_api_destination_t *d, int full)
{
    ev__set_str(o, "ApiDestinationArn", d->arn);
    if (full) {
        ev__set_str(o, "Name", d->name);
        ev__set_str(o, "Description", d->description);
    }
    ev__set_str(o, "ApiDestinationState", state_of(c, d->connection_arn));
    if (full) {
        ev__set_str(o, "ConnectionArn", d->connection_arn);
        ev__set_str(o, "InvocationEndpoint", d->endpoint);
        ev__set_str(o, "HttpMethod", d->http_method);
        json_object_set_new(o, "InvocationRateLimitPerSecond", json_integer(d->rate_limit));
    }
    ev__set_time(o, "CreationTime", d->created_ms);
    ev__set_time(o, "LastModifiedTime", d->modified_ms);
}

static ev_err check_endpoint(ev_call_t *c, const char *url)
{
    if (url && ev__endpoint_refused(c, url))
        return ev_fail(c, EV_ERR_VALIDATION, "Parameter InvocationEndpoint is not valid. "
                       "Reason: The endpoint must use HTTPS.");
    return EV_OK;
}

static ev_err create_api_destination(ev_call_t *c)
{
    const char *name = ev__str(c->in, "Name");
    json_t *rate = json_object_get(c->in, "InvocationRateLimitPerSecond");
    ev_api_destination_t d = {0}, old = {0};
    ev_connection_t conn;
    int64_t count;
    char uuid[37], *res;
    ev_err rc = check_endpoint(c, ev__str(c->in, "InvocationEndpoint"));

    if (rc)
        return rc;
    rc = find_connection(c, ev__str(c->in, "ConnectionArn"), &conn);
    ev_connection_clear(&conn);
    if (rc)
        return rc;
    rc = ev_store_dest_get(c->app->store, c->scope, name, &old);
    ev_api_destination_clear(&old);
    if (rc == EV_OK)
        return ev_fail(c, EV_ERR_ALREADY_EXISTS, "An api-destination '%s' already exists.", name);
    if (rc != EV_ERR_NOT_FOUND)
        return rc;
    rc = ev_store_dest_count(c->app->store, c->scope, &count);
    if (rc)
        return rc;
    if (count >= EV_MAX_API_DESTINATIONS)
        return ev_fail(c, EV_ERR_LIMIT_EXCEEDED,
                       "The requested resource exceeds the maximum number allowed.");
    ev_uuid4(uuid);
    res = ev_xasprintf("api-destination/%s/%s", name, uuid);
    d.arn = ev__arn(c, "events", res);
    free(res);
    d.name = ev_xstrdup(name);
    d.description = ev__str(c->in, "Description") ? ev_xstrdup(ev__str(c->in, "Description"))
                                                  : NULL;
    d.connection_arn = ev_xstrdup(ev__str(c->in, "ConnectionArn"));
    d.endpoint = ev_xstrdup(ev__str(c->in, "InvocationEndpoint"));
    d.http_method = ev_xstrdup(ev__str(c->in, "HttpMethod"));
    d.rate_limit = json_is_integer(rate) ? json_integer_value(rate) : EV_DEFAULT_RATE_LIMIT;
    d.created_ms = d.modified_ms = c->now_ms;
    rc = ev_store_dest_put(c->app->store, c->scope, &d);
    if (rc == EV_OK)
        put_members(c, c->out, &d, 0);
    ev_api_destination_clear(&d);
    return rc;
}

static ev_err load(ev_call_t *c, ev_api_destination_t *d)
{
    const char *name = ev__str(c->in, "Name");
    ev_err rc = ev_store_dest_get(c->app->store, c->scope, name, d);

    return rc == EV_ERR_NOT_FOUND ? not_found(c, name) : rc;
}

static ev_err describe_api_destination(ev_call_t *c)
{
    ev_api_destination_t d;
    ev_err rc = load(c, &d);

    if (rc == EV_OK)
        put_members(c, c->out, &d, 1);
    ev_api_destination_clear(&d);
    return rc;
}

static void replace(char **field, const char *v)
{
    if (!v)
        return;
    free(*field);
    *field = ev_xstrdup(v);
}

static ev_err update_api_destination(ev_call_t *c)
{
    const char *conn_arn = ev__str(c->in, "ConnectionArn");
    const char *desc = ev__str(c->in, "Description");
    json_t *rate = json_object_get(c->in, "InvocationRateLimitPerSecond");
    ev_api_destination_t d;
    ev_connection_t conn;
    ev_err rc = load(c, &d);

    if (rc)
        goto out;
    rc = check_endpoint(c, ev__str(c->in, "InvocationEndpoint"));
    if (rc)
        goto out;
    if (conn_arn) {
        rc = find_connection(c, conn_arn, &conn);
        ev_connection_clear(&conn);
        if (rc)
            goto out;
        replace(&d.connection_arn, conn_arn);
    }
    if (desc) {
        free(d.description);
        d.description = *desc ? ev_xstrdup(desc) : NULL;
    }
    replace(&d.endpoint, ev__str(c->in, "InvocationEndpoint"));
    replace(&d.http_method, ev__str(c->in, "HttpMethod"));
    if (json_is_integer(rate))
        d.rate_limit = json_integer_value(rate);
    d.modified_ms = c->now_ms;
    rc = ev_store_dest_put(c->app->store, c->scope, &d);
    if (rc == EV_OK)
        put_members(c, c->out, &d, 0);
out:
    ev_api_destination_clear(&d);
    return rc;
}

static ev_err delete_api_destination(ev_call_t *c)
{
    ev_api_destination_t d;
    ev_err rc = load(c, &d);

    if (rc == EV_OK)
        rc = ev_store_tags_delete_all(c->app->store, c->scope, d.arn);
    if (rc == EV_OK)
        rc = ev_store_dest_delete(c->app->store, c->scope, d.name);
    ev_api_destination_clear(&d);
    return rc;
}

static ev_err list_api_destinations(ev_call_t *c)
{
    ev_api_destination_t *list = NULL;
    size_t n = 0;
    int limit = ev__limit(c);
    char *after = NULL;
    json_t *arr;
    ev_err rc = ev__next_token_in(c, &after);

    if (rc)
        return rc;
    rc = ev_store_dest_list(c->app->store, c->scope, ev__str(c->in, "NamePrefix"),
                            ev__str(c->in, "ConnectionArn"), after, limit + 1, &list, &n);
    if (rc)
        goto out;
    arr = json_array();
    for (size_t i = 0; i < n && i < (size_t)limit; i++) {
        json_t *e = json_object();

        put_members(c, e, &list[i], 1);
        json_object_del(e, "Description"); /* the list shape has none */
        json_array_append_new(arr, e);
    }
    json_object_set_new(c->out, "ApiDestinations", arr);
    if (n > (size_t)limit)
        ev__next_token_out(c, list[limit - 1].name);
out:
    ev_store_dest_list_free(list, n);
    free(after);
    return rc;
}

const ev_op_t ev__api_destination_ops[] = {
    {"AWSEvents.CreateApiDestination", create_api_destination, 1},
    {"AWSEvents.DescribeApiDestination", describe_api_destination, 0},
    {"AWSEvents.UpdateApiDestination", update_api_destination, 1},
    {"AWSEvents.DeleteApiDestination", delete_api_destination, 1},
    {"AWSEvents.ListApiDestinations", list_api_destinations, 0},
    {NULL, NULL, 0},
};
