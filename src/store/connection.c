/*
 * store/connection.c - the connections repository.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

#define CONN_COLS                                                                              \
    "name, arn, description, auth_type, state, state_reason, auth_public, connectivity, "      \
    "kms_key, secret_arn, created_ms, modified_ms, authorized_ms"

void ev_connection_clear(ev_connection_t *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->arn);
    free(c->description);
    free(c->auth_type);
    free(c->state);
    free(c->state_reason);
    free(c->auth_public);
    free(c->connectivity);
    free(c->kms_key);
    free(c->secret_arn);
    memset(c, 0, sizeof(*c));
}

static void read_row(sqlite3_stmt *s, ev_connection_t *c)
{
    c->name = ev__col_text(s, 0);
    c->arn = ev__col_text(s, 1);
    c->description = ev__col_text(s, 2);
    c->auth_type = ev__col_text(s, 3);
    c->state = ev__col_text(s, 4);
    c->state_reason = ev__col_text(s, 5);
    c->auth_public = ev__col_text(s, 6);
    c->connectivity = ev__col_text(s, 7);
    c->kms_key = ev__col_text(s, 8);
    c->secret_arn = ev__col_text(s, 9);
    c->created_ms = sqlite3_column_int64(s, 10);
    c->modified_ms = sqlite3_column_int64(s, 11);
    c->authorized_ms = sqlite3_column_int64(s, 12);
}

ev_err ev_store_conn_get(ev_store_t *st, ev_scope_t sc, const char *name, ev_connection_t *out)
{
    static const char sql[] = "SELECT " CONN_COLS " FROM connections "
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
        rc = ev__store_err(st, "connection get");
    }
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_conn_put(ev_store_t *st, ev_scope_t sc, const ev_connection_t *c)
{
    static const char sql[] = "INSERT OR REPLACE INTO connections (account, region, " CONN_COLS
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                              "?13, ?14, ?15)";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc = EV_OK;

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, c->name);
    ev__bind_text(s, 4, c->arn);
    ev__bind_text(s, 5, c->description);
    ev__bind_text(s, 6, c->auth_type);
    ev__bind_text(s, 7, c->state);
    ev__bind_text(s, 8, c->state_reason);
    ev__bind_text(s, 9, c->auth_public);
    ev__bind_text(s, 10, c->connectivity);
    ev__bind_text(s, 11, c->kms_key);
    ev__bind_text(s, 12, c->secret_arn);
    sqlite3_bind_int64(s, 13, c->created_ms);
    sqlite3_bind_int64(s, 14, c->modified_ms);
    sqlite3_bind_int64(s, 15, c->authorized_ms);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = ev__store_err(st, "connection put");
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_conn_delete(ev_store_t *st, ev_scope_t sc, const char *name)
{
    static const char sql[] =
        "DELETE FROM connections WHERE account = ?1 AND region = ?2 AND name = ?3";

    return ev__exec_scoped(st, sql, sc, 1, &name, "connection delete");
}

ev_err ev_store_conn_count(ev_store_t *st, ev_scope_t sc, int64_t *n)
{
    static const char sql[] =
        "SELECT count(*) FROM connections WHERE account = ?1 AND region = ?2";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 0, NULL);
    return ev__count(st, s, n);
}

ev_err ev_store_conn_list(ev_store_t *st, ev_scope_t sc, const char *prefix, const char *state,
                          const char *after, int limit, ev_connection_t **out, size_t *n_out)
{
    /* substr() compares the prefix exactly: LIKE would treat '_' as a wildcard. */
    static const char sql[] =
        "SELECT " CONN_COLS " FROM connections WHERE account = ?1 AND region = ?2 "
        "AND (?3 IS NULL OR substr(name, 1, length(?3)) = ?3) "
        "AND (?4 IS NULL OR state = ?4) AND (?5 IS NULL OR name > ?5) "
        "ORDER BY name LIMIT ?6";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_connection_t *list = NULL;
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
    ev__bind_text(s, 4, state);
    ev__bind_text(s, 5, after);
    sqlite3_bind_int(s, 6, limit);
    list = ev_xcalloc((size_t)limit, sizeof(*list));
    while ((r = sqlite3_step(s)) == SQLITE_ROW && n < (size_t)limit)
        read_row(s, &list[n++]);
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = ev__store_err(st, "connection list");
        ev_store_conn_list_free(list, n);
        list = NULL;
        n = 0;
    }
    sqlite3_reset(s);
    *out = list;
    *n_out = n;
    return rc;
}

void ev_store_conn_list_free(ev_connection_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ev_connection_clear(&list[i]);
    free(list);
}

ev_err ev_store_conn_refs(ev_store_t *st, const char *auth_type, const char *state,
                          ev_conn_ref_t **out, size_t *n_out)
{
    static const char sql[] = "SELECT account, region, name FROM connections WHERE "
                              "auth_type = ?1 AND state = ?2 ORDER BY account, region, name";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_conn_ref_t *list = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, auth_type);
    ev__bind_text(s, 2, state);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            list = realloc(list, cap * sizeof(*list));
            if (!list)
                abort();
        }
        list[n].account = ev__col_text(s, 0);
        list[n].region = ev__col_text(s, 1);
        list[n].name = ev__col_text(s, 2);
        n++;
    }
    sqlite3_reset(s);
    *out = list;
    *n_out = n;
    return EV_OK;
}

void ev_store_conn_refs_free(ev_conn_ref_t *refs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(refs[i].account);
        free(refs[i].region);
        free(refs[i].name);
    }
    free(refs);
}
