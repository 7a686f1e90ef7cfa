/*
 * store/api_destination.c - the API destinations repository.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

#define DEST_COLS                                                                              \
    "name, arn, description, connection_arn, endpoint, http_method, rate_limit, created_ms, "  \
    "modified_ms"

void ev_api_destination_clear(ev_api_destination_t *d)
{
    if (!d)
        return;
    free(d->name);
    free(d->arn);
    free(d->description);
    free(d->connection_arn);
    free(d->endpoint);
    free(d->http_method);
    memset(d, 0, sizeof(*d));
}

static void read_row(sqlite3_stmt *s, ev_api_destination_t *d)
{
    d->name = ev__col_text(s, 0);
    d->arn = ev__col_text(s, 1);
    d->description = ev__col_text(s, 2);
    d->connection_arn = ev__col_text(s, 3);
    d->endpoint = ev__col_text(s, 4);
    d->http_method = ev__col_text(s, 5);
    d->rate_limit = sqlite3_column_int64(s, 6);
    d->created_ms = sqlite3_column_int64(s, 7);
    d->modified_ms = sqlite3_column_int64(s, 8);
}

ev_err ev_store_dest_get(ev_store_t *st, ev_scope_t sc, const char *name,
                         ev_api_destination_t *out)
{
    static const char sql[] = "SELECT " DEST_COLS " FROM api_destinations "
                              "WHERE account = ?1 AND region = ?2 AND name = ?3";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc;
    int r;

    memset(out, 0, sizeof(*out));
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, name);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        read_row(s, out);
        rc = EV_OK;
    } else if (r == SQLITE_DONE) {
        rc = EV_ERR_NOT_FOUND;
    } else {
        rc = ev__store_err(st, "api destination get");
    }
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_dest_put(ev_store_t *st, ev_scope_t sc, const ev_api_destination_t *d)
{
    static const char sql[] = "INSERT OR REPLACE INTO api_destinations (account, region, "
                              DEST_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc = EV_OK;

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, d->name);
    ev__bind_text(s, 4, d->arn);
    ev__bind_text(s, 5, d->description);
    ev__bind_text(s, 6, d->connection_arn);
    ev__bind_text(s, 7, d->endpoint);
    ev__bind_text(s, 8, d->http_method);
    sqlite3_bind_int64(s, 9, d->rate_limit);
    sqlite3_bind_int64(s, 10, d->created_ms);
    sqlite3_bind_int64(s, 11, d->modified_ms);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = ev__store_err(st, "api destination put");
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_dest_delete(ev_store_t *st, ev_scope_t sc, const char *name)
{
    static const char sql[] =
        "DELETE FROM api_destinations WHERE account = ?1 AND region = ?2 AND name = ?3";

    return ev__exec_scoped(st, sql, sc, 1, &name, "api destination delete");
}

ev_err ev_store_dest_count(ev_store_t *st, ev_scope_t sc, int64_t *n)
{
    static const char sql[] =
        "SELECT count(*) FROM api_destinations WHERE account = ?1 AND region = ?2";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 0, NULL);
    return ev__count(st, s, n);
}

ev_err ev_store_dest_list(ev_store_t *st, ev_scope_t sc, const char *prefix,
                          const char *connection_arn, const char *after, int limit,
                          ev_api_destination_t **out, size_t *n_out)
{
    static const char sql[] =
        "SELECT " DEST_COLS " FROM api_destinations WHERE account = ?1 AND region = ?2 "
        "AND (?3 IS NULL OR substr(name, 1, length(?3)) = ?3) "
        "AND (?4 IS NULL OR connection_arn = ?4) AND (?5 IS NULL OR name > ?5) "
        "ORDER BY name LIMIT ?6";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_api_destination_t *list;
    size_t n = 0;
    int r;
    ev_err rc = EV_OK;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, prefix);
    ev__bind_text(s, 4, connection_arn);
    ev__bind_text(s, 5, after);
    sqlite3_bind_int(s, 6, limit);
    list = ev_xcalloc((size_t)limit, sizeof(*list));
    while ((r = sqlite3_step(s)) == SQLITE_ROW && n < (size_t)limit)
        read_row(s, &list[n++]);
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = ev__store_err(st, "api destination list");
        ev_store_dest_list_free(list, n);
        list = NULL;
        n = 0;
    }
    sqlite3_reset(s);
    *out = list;
    *n_out = n;
    return rc;
}

void ev_store_dest_list_free(ev_api_destination_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ev_api_destination_clear(&list[i]);
    free(list);
}
