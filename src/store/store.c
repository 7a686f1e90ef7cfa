/*
 * store/store.c - opening the database, migrations, transactions, the
 * statement cache and the meta table.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "util/util.h"

int ev_store_schema_version(void)
{
    return ev__store_n_migrations;
}

ev_err ev__store_err(ev_store_t *st, const char *what)
{
    ev_error("store: %s: %s", what, sqlite3_errmsg(st->db));
    return EV_ERR_INTERNAL;
}

sqlite3_stmt *ev__store_stmt(ev_store_t *st, const char *sql)
{
    int i;

    for (i = 0; i < EV__STMT_CACHE && st->cache[i].sql; i++) {
        if (st->cache[i].sql == sql) {
            sqlite3_reset(st->cache[i].stmt);
            sqlite3_clear_bindings(st->cache[i].stmt);
            return st->cache[i].stmt;
        }
    }
    if (i == EV__STMT_CACHE) {
        ev_error("store: statement cache full");
        return NULL;
    }
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st->cache[i].stmt,
                           NULL) != SQLITE_OK) {
        ev__store_err(st, "prepare");
        return NULL;
    }
    st->cache[i].sql = sql;
    return st->cache[i].stmt;
}

int ev__bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (!v)
        return sqlite3_bind_null(s, i);
    return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
}

char *ev__col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);

    return t ? ev_xstrdup((const char *)t) : NULL;
}

void ev__col_blob(sqlite3_stmt *s, int i, unsigned char **p, size_t *n)
{
    const void *b = sqlite3_column_blob(s, i);
    int len = sqlite3_column_bytes(s, i);

    *n = (size_t)len;
    *p = ev_xmalloc((size_t)len + 1);
    if (len > 0)
        memcpy(*p, b, (size_t)len);
}

void ev__bind_scope(sqlite3_stmt *s, ev_scope_t sc, int n, const char *const *texts)
{
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    for (int i = 0; i < n; i++)
        ev__bind_text(s, 3 + i, texts[i]);
}

ev_err ev__run(ev_store_t *st, sqlite3_stmt *s, const char *what)
{
    ev_err rc = EV_OK;

    if (sqlite3_step(s) != SQLITE_DONE)
        rc = ev__store_err(st, what);
    sqlite3_reset(s);
    return rc;
}

ev_err ev__count(ev_store_t *st, sqlite3_stmt *s, int64_t *n)
{
    ev_err rc = EV_OK;

    if (sqlite3_step(s) == SQLITE_ROW)
        *n = sqlite3_column_int64(s, 0);
    else
        rc = ev__store_err(st, "count");
    sqlite3_reset(s);
    return rc;
}

ev_err ev__exec_scoped(ev_store_t *st, const char *sql, ev_scope_t sc, int n,
                       const char *const *texts, const char *what)
{
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, n, texts);
    return ev__run(st, s, what);
}

static int exec(ev_store_t *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

static ev_err read_version(ev_store_t *st, int *version)
{
    sqlite3_stmt *s = NULL;
    ev_err rc = EV_ERR_INTERNAL;

    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_step(s) != SQLITE_ROW)
        goto out;
    *version = sqlite3_column_int(s, 0);
    rc = EV_OK;
out:
    sqlite3_finalize(s);
    return rc;
}

static ev_err migrate(ev_store_t *st, int from, char *msg, size_t msglen)
{
    for (int v = from; v < ev__store_n_migrations; v++) {
        char pragma[64];

        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
        if (exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
            goto fail;
        if (exec(st, ev__store_migrations[v]) != SQLITE_OK || exec(st, pragma) != SQLITE_OK) {
            snprintf(msg, msglen, "migration %d failed: %s", v + 1, sqlite3_errmsg(st->db));
            exec(st, "ROLLBACK");
            return EV_ERR_INTERNAL;
        }
        if (exec(st, "COMMIT") != SQLITE_OK)
            goto fail;
    }
    return EV_OK;
fail:
    snprintf(msg, msglen, "migration failed: %s", sqlite3_errmsg(st->db));
    return EV_ERR_INTERNAL;
}

ev_err ev_store_open(const char *path, ev_store_t **out, char *msg, size_t msglen)
{
    ev_store_t *st = ev_xcalloc(1, sizeof(*st));
    sqlite3_stmt *s = NULL;
    int version = 0;
    ev_err rc = EV_ERR_INTERNAL;

    *out = NULL;
    pthread_mutex_init(&st->lock, NULL);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                           SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        snprintf(msg, msglen, "cannot open database %s: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(st->db, 5000);
    /* Reading the header first: a file that is not a database fails here,
     * before anything could write to it. */
    if (read_version(st, &version) != EV_OK) {
        snprintf(msg, msglen, "database %s is not a valid evbridge database (%s); refusing to "
                 "start, nothing was changed", path, sqlite3_errmsg(st->db));
        goto out;
    }
    if (version > ev__store_n_migrations) {
        snprintf(msg, msglen, "database %s has schema version %d, newer than this evbridge "
                 "understands (%d); refusing to start, nothing was changed", path, version,
                 ev__store_n_migrations);
        goto out;
    }
    if (version > 0) {
        const unsigned char *r;

        if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &s, NULL) != SQLITE_OK ||
            sqlite3_step(s) != SQLITE_ROW || !(r = sqlite3_column_text(s, 0)) ||
            strcmp((const char *)r, "ok") != 0) {
            snprintf(msg, msglen, "database %s is corrupt (integrity check failed); refusing "
                     "to start, nothing was changed", path);
            goto out;
        }
        sqlite3_finalize(s);
        s = NULL;
    }
    if (exec(st, "PRAGMA journal_mode = WAL") != SQLITE_OK ||
        exec(st, "PRAGMA synchronous = FULL") != SQLITE_OK ||
        exec(st, "PRAGMA foreign_keys = ON") != SQLITE_OK) {
        snprintf(msg, msglen, "cannot configure database %s: %s", path, sqlite3_errmsg(st->db));
        goto out;
    }
    rc = migrate(st, version, msg, msglen);
    if (rc)
        goto out;
    *out = st;
    st = NULL;
out:
    sqlite3_finalize(s);
    ev_store_close(st);
    return rc;
}

void ev_store_close(ev_store_t *st)
{
    if (!st)
        return;
    for (int i = 0; i < EV__STMT_CACHE && st->cache[i].sql; i++)
        sqlite3_finalize(st->cache[i].stmt);
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

ev_err ev_store_begin(ev_store_t *st, int write)
{
    pthread_mutex_lock(&st->lock);
    st->writing = write;
    if (exec(st, write ? "BEGIN IMMEDIATE" : "BEGIN") != SQLITE_OK) {
        ev_err rc = ev__store_err(st, "begin");

        pthread_mutex_unlock(&st->lock);
        return rc;
    }
    return EV_OK;
}

ev_err ev_store_end(ev_store_t *st, ev_err rc)
{
    if (rc == EV_OK) {
        if (exec(st, "COMMIT") != SQLITE_OK) {
            rc = ev__store_err(st, "commit");
            exec(st, "ROLLBACK");
        } else if (sqlite3_total_changes(st->db) != st->changes) {
            st->generation++;
        }
    } else {
        exec(st, "ROLLBACK");
    }
    st->changes = sqlite3_total_changes(st->db);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

uint64_t ev_store_generation(ev_store_t *st)
{
    return st->generation;
}

ev_err ev_store_meta_get(ev_store_t *st, const char *key, unsigned char **value, size_t *n)
{
    static const char sql[] = "SELECT value FROM meta WHERE key = ?1";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc = EV_ERR_INTERNAL;
    int r;

    if (!s)
        return rc;
    ev__bind_text(s, 1, key);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        ev__col_blob(s, 0, value, n);
        rc = EV_OK;
    } else if (r == SQLITE_DONE) {
        rc = EV_ERR_NOT_FOUND;
    } else {
        rc = ev__store_err(st, "meta get");
    }
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_meta_put(ev_store_t *st, const char *key, const unsigned char *value, size_t n)
{
    static const char sql[] = "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc = EV_OK;

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, key);
    sqlite3_bind_blob(s, 2, value, (int)n, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_DONE)
        rc = ev__store_err(st, "meta put");
    sqlite3_reset(s);
    return rc;
}
