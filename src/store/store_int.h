/*
 * store/store_int.h - internals shared by the store's files: the handle,
 * the statement cache and column helpers.
 */
#ifndef EV_STORE_STORE_INT_H
#define EV_STORE_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store/store.h"

#define EV__STMT_CACHE 128

struct ev_store {
    sqlite3 *db;
    pthread_mutex_t lock;
    int writing;                 /* the open transaction is a write transaction */
    _Atomic unsigned long long generation; /* committed transactions that changed rows */
    int changes;                 /* sqlite3_total_changes at the last transaction end */
    struct {
        const char *sql; /* string literal: the key is its address */
        sqlite3_stmt *stmt;
    } cache[EV__STMT_CACHE];
};

extern const char *const ev__store_migrations[];
extern const int ev__store_n_migrations;

/* Prepared (once, persistent) statement for a SQL string literal, reset and
 * with bindings cleared. NULL on failure. */
sqlite3_stmt *ev__store_stmt(ev_store_t *st, const char *sql);

/* Binds text or NULL. */
int ev__bind_text(sqlite3_stmt *s, int i, const char *v);
/* Copies a text column, NULL for SQL NULL. */
char *ev__col_text(sqlite3_stmt *s, int i);
/* Copies a blob column into *p / *n. */
void ev__col_blob(sqlite3_stmt *s, int i, unsigned char **p, size_t *n);
/* Binds (account, region) as ?1, ?2 and n more texts as ?3, ?4, ... */
void ev__bind_scope(sqlite3_stmt *s, ev_scope_t sc, int n, const char *const *texts);
/* Steps a statement that returns no row, then resets it. */
ev_err ev__run(ev_store_t *st, sqlite3_stmt *s, const char *what);
/* Steps a count(*) statement into *n, then resets it. */
ev_err ev__count(ev_store_t *st, sqlite3_stmt *s, int64_t *n);
/* Runs `sql` (cached) bound with the scope and n texts. */
ev_err ev__exec_scoped(ev_store_t *st, const char *sql, ev_scope_t sc, int n,
                       const char *const *texts, const char *what);

/* Logs the SQLite error and returns EV_ERR_INTERNAL. */
ev_err ev__store_err(ev_store_t *st, const char *what);

#endif
