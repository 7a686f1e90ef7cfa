/*
 * store/kms.c - the KMS keys and aliases repositories. Key material is
 * stored sealed under the master key only.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

#define KEY_COLS                                                                               \
    "key_id, arn, state, description, key_manager, policy, key_usage, material, "              \
    "multi_region, created_ms, deletion_ms, pending_days"

void ev_kms_key_clear(ev_kms_key_t *k)
{
    if (!k)
        return;
    free(k->key_id);
    free(k->arn);
    free(k->state);
    free(k->description);
    free(k->key_manager);
    free(k->policy);
    free(k->key_usage);
    if (k->material)
        ev_wipe(k->material, k->material_len);
    free(k->material);
    memset(k, 0, sizeof(*k));
}

static void read_key(sqlite3_stmt *s, ev_kms_key_t *k)
{
    k->key_id = ev__col_text(s, 0);
    k->arn = ev__col_text(s, 1);
    k->state = ev__col_text(s, 2);
    k->description = ev__col_text(s, 3);
    k->key_manager = ev__col_text(s, 4);
    k->policy = ev__col_text(s, 5);
    k->key_usage = ev__col_text(s, 6);
    ev__col_blob(s, 7, &k->material, &k->material_len);
    k->multi_region = sqlite3_column_int(s, 8);
    k->created_ms = sqlite3_column_int64(s, 9);
    k->deletion_ms = sqlite3_column_int64(s, 10);
    k->pending_days = sqlite3_column_int64(s, 11);
}


ev_err ev_store_kms_key_get(ev_store_t *st, ev_scope_t sc, const char *key_id, ev_kms_key_t *out)
{
    static const char sql[] = "SELECT " KEY_COLS " FROM kms_keys "
                              "WHERE account = ?1 AND region = ?2 AND key_id = ?3";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc;
    int r;

    memset(out, 0, sizeof(*out));
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, key_id);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        read_key(s, out);
        rc = EV_OK;
    } else if (r == SQLITE_DONE) {
        rc = EV_ERR_NOT_FOUND;
    } else {
        rc = ev__store_err(st, "kms key get");
    }
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_kms_key_put(ev_store_t *st, ev_scope_t sc, const ev_kms_key_t *k)
{
    static const char sql[] = "INSERT OR REPLACE INTO kms_keys (account, region, " KEY_COLS
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                              "?13, ?14)";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, k->key_id);
    ev__bind_text(s, 4, k->arn);
    ev__bind_text(s, 5, k->state);
    ev__bind_text(s, 6, k->description);
    ev__bind_text(s, 7, k->key_manager);
    ev__bind_text(s, 8, k->policy);
    ev__bind_text(s, 9, k->key_usage ? k->key_usage : "ENCRYPT_DECRYPT");
    sqlite3_bind_blob(s, 10, k->material, (int)k->material_len, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 11, k->multi_region);
    sqlite3_bind_int64(s, 12, k->created_ms);
    sqlite3_bind_int64(s, 13, k->deletion_ms);
    sqlite3_bind_int64(s, 14, k->pending_days);
    return ev__run(st, s, "kms key put");
}

ev_err ev_store_kms_key_delete(ev_store_t *st, ev_scope_t sc, const char *key_id)
{
    static const char del_key[] =
        "DELETE FROM kms_keys WHERE account = ?1 AND region = ?2 AND key_id = ?3";
    static const char del_aliases[] =
        "DELETE FROM kms_aliases WHERE account = ?1 AND region = ?2 AND key_id = ?3";
    static const char del_tags[] =
        "DELETE FROM tags WHERE account = ?1 AND region = ?2 AND resource_arn = "
        "(SELECT arn FROM kms_keys WHERE account = ?1 AND region = ?2 AND key_id = ?3)";
    const char *const stmts[] = {del_tags, del_aliases, del_key};
    ev_err rc = EV_OK;

    for (size_t i = 0; i < 3 && rc == EV_OK; i++) {
        sqlite3_stmt *s = ev__store_stmt(st, stmts[i]);

        if (!s)
            return EV_ERR_INTERNAL;
        ev__bind_text(s, 1, sc.account);
        ev__bind_text(s, 2, sc.region);
        ev__bind_text(s, 3, key_id);
        rc = ev__run(st, s, "kms key delete");
    }
    return rc;
}

ev_err ev_store_kms_key_list(ev_store_t *st, ev_scope_t sc, const char *after, int limit,
                             ev_kms_key_t **out, size_t *n_out)
{
    static const char sql[] = "SELECT " KEY_COLS " FROM kms_keys WHERE account = ?1 AND "
                              "region = ?2 AND key_manager = 'CUSTOMER' AND (?3 IS NULL OR "
                              "key_id > ?3) ORDER BY key_id LIMIT ?4";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_kms_key_t *list;
    size_t n = 0;
    int r;
    ev_err rc = EV_OK;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, after);
    sqlite3_bind_int(s, 4, limit);
    list = ev_xcalloc((size_t)limit, sizeof(*list));
    while (n < (size_t)limit && (r = sqlite3_step(s)) == SQLITE_ROW)
        read_key(s, &list[n++]);
    sqlite3_reset(s);
    *out = list;
    *n_out = n;
    return rc;
}

void ev_store_kms_key_list_free(ev_kms_key_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ev_kms_key_clear(&list[i]);
    free(list);
}

void ev_kms_alias_clear(ev_kms_alias_t *a)
{
    if (!a)
        return;
    free(a->name);
    free(a->key_id);
    memset(a, 0, sizeof(*a));
}

ev_err ev_store_kms_alias_get(ev_store_t *st, ev_scope_t sc, const char *name,
                              ev_kms_alias_t *out)
{
    static const char sql[] = "SELECT name, key_id, created_ms, updated_ms FROM kms_aliases "
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
        out->name = ev__col_text(s, 0);
        out->key_id = ev__col_text(s, 1);
        out->created_ms = sqlite3_column_int64(s, 2);
        out->updated_ms = sqlite3_column_int64(s, 3);
        rc = EV_OK;
    } else if (r == SQLITE_DONE) {
        rc = EV_ERR_NOT_FOUND;
    } else {
        rc = ev__store_err(st, "kms alias get");
    }
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_kms_alias_put(ev_store_t *st, ev_scope_t sc, const ev_kms_alias_t *a)
{
    static const char sql[] = "INSERT OR REPLACE INTO kms_aliases (account, region, name, "
                              "key_id, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, a->name);
    ev__bind_text(s, 4, a->key_id);
    sqlite3_bind_int64(s, 5, a->created_ms);
    sqlite3_bind_int64(s, 6, a->updated_ms);
    return ev__run(st, s, "kms alias put");
}

ev_err ev_store_kms_alias_delete(ev_store_t *st, ev_scope_t sc, const char *name)
{
    static const char sql[] =
        "DELETE FROM kms_aliases WHERE account = ?1 AND region = ?2 AND name = ?3";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, name);
    return ev__run(st, s, "kms alias delete");
}

ev_err ev_store_kms_alias_list(ev_store_t *st, ev_scope_t sc, const char *key_id,
                               const char *after, int limit, ev_kms_alias_t **out, size_t *n_out)
{
    static const char sql[] = "SELECT name, key_id, created_ms, updated_ms FROM kms_aliases "
                              "WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR key_id = ?3)"
                              " AND (?4 IS NULL OR name > ?4) ORDER BY name LIMIT ?5";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_kms_alias_t *list;
    size_t n = 0;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, key_id);
    ev__bind_text(s, 4, after);
    sqlite3_bind_int(s, 5, limit);
    list = ev_xcalloc((size_t)limit, sizeof(*list));
    while (n < (size_t)limit && sqlite3_step(s) == SQLITE_ROW) {
        list[n].name = ev__col_text(s, 0);
        list[n].key_id = ev__col_text(s, 1);
        list[n].created_ms = sqlite3_column_int64(s, 2);
        list[n].updated_ms = sqlite3_column_int64(s, 3);
        n++;
    }
    sqlite3_reset(s);
    *out = list;
    *n_out = n;
    return EV_OK;
}

void ev_store_kms_alias_list_free(ev_kms_alias_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ev_kms_alias_clear(&list[i]);
    free(list);
}
