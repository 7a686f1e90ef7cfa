/*
 * store/secret.c - the secrets repository: ciphertext only, each secret
 * sealed under its own data key, the data key sealed under a KMS key.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

void ev_secret_clear(ev_secret_t *s)
{
    if (!s)
        return;
    free(s->arn);
    free(s->name);
    free(s->owning_service);
    free(s->kms_key_id);
    free(s->version_id);
    free(s->wrapped_key);
    free(s->ciphertext);
    memset(s, 0, sizeof(*s));
}

#define SECRET_COLS                                                                            \
    "arn, name, owning_service, kms_key_id, version_id, wrapped_key, ciphertext, created_ms, "  \
    "changed_ms"

static void read_secret(sqlite3_stmt *s, ev_secret_t *out)
{
    out->arn = ev__col_text(s, 0);
    out->name = ev__col_text(s, 1);
    out->owning_service = ev__col_text(s, 2);
    out->kms_key_id = ev__col_text(s, 3);
    out->version_id = ev__col_text(s, 4);
    ev__col_blob(s, 5, &out->wrapped_key, &out->wrapped_key_len);
    ev__col_blob(s, 6, &out->ciphertext, &out->ciphertext_len);
    out->created_ms = sqlite3_column_int64(s, 7);
    out->changed_ms = sqlite3_column_int64(s, 8);
}

static ev_err get_one(ev_store_t *st, const char *sql, ev_scope_t sc, const char *key,
                      ev_secret_t *out)
{
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc;
    int r;

    memset(out, 0, sizeof(*out));
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, key);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        read_secret(s, out);
        rc = EV_OK;
    } else if (r == SQLITE_DONE) {
        rc = EV_ERR_NOT_FOUND;
    } else {
        rc = ev__store_err(st, "secret get");
    }
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_secret_get(ev_store_t *st, ev_scope_t sc, const char *arn, ev_secret_t *out)
{
    static const char sql[] = "SELECT " SECRET_COLS " FROM secrets "
                              "WHERE account = ?1 AND region = ?2 AND arn = ?3";

    return get_one(st, sql, sc, arn, out);
}

ev_err ev_store_secret_get_by_name(ev_store_t *st, ev_scope_t sc, const char *name,
                                   ev_secret_t *out)
{
    static const char sql[] = "SELECT " SECRET_COLS " FROM secrets "
                              "WHERE account = ?1 AND region = ?2 AND name = ?3";

    return get_one(st, sql, sc, name, out);
}

ev_err ev_store_secret_list(ev_store_t *st, ev_scope_t sc, ev_secret_t **out, size_t *n_out)
{
    static const char sql[] = "SELECT " SECRET_COLS " FROM secrets "
                              "WHERE account = ?1 AND region = ?2 ORDER BY name";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_secret_t *list = NULL;
    size_t n = 0, cap = 0;
    int r;
    ev_err rc = EV_OK;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            list = realloc(list, cap * sizeof(*list));
            if (!list)
                abort();
        }
        memset(&list[n], 0, sizeof(list[n]));
        read_secret(s, &list[n++]);
    }
    if (r != SQLITE_DONE) {
        rc = ev__store_err(st, "secret list");
        ev_store_secret_list_free(list, n);
        list = NULL;
        n = 0;
    }
    sqlite3_reset(s);
    *out = list;
    *n_out = n;
    return rc;
}

void ev_store_secret_list_free(ev_secret_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ev_secret_clear(&list[i]);
    free(list);
}

ev_err ev_store_secret_put(ev_store_t *st, ev_scope_t sc, const ev_secret_t *sec)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO secrets (account, region, arn, name, owning_service, "
        "kms_key_id, version_id, wrapped_key, ciphertext, created_ms, changed_ms) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc = EV_OK;

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, sec->arn);
    ev__bind_text(s, 4, sec->name);
    ev__bind_text(s, 5, sec->owning_service);
    ev__bind_text(s, 6, sec->kms_key_id);
    ev__bind_text(s, 7, sec->version_id);
    sqlite3_bind_blob(s, 8, sec->wrapped_key, (int)sec->wrapped_key_len, SQLITE_TRANSIENT);
    sqlite3_bind_blob(s, 9, sec->ciphertext, (int)sec->ciphertext_len, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 10, sec->created_ms);
    sqlite3_bind_int64(s, 11, sec->changed_ms);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = ev__store_err(st, "secret put");
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_secret_delete(ev_store_t *st, ev_scope_t sc, const char *arn)
{
    static const char sql[] =
        "DELETE FROM secrets WHERE account = ?1 AND region = ?2 AND arn = ?3";

    return ev__exec_scoped(st, sql, sc, 1, &arn, "secret delete");
}
