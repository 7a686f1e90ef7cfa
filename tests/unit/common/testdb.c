/*
 * tests/unit/common/testdb.c - store files for tests (testdb.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "common/testdb.h"
#include "store/store.h"

char *ev_test_db(const char *name)
{
    char *dir, *path;
    ev_store_t *st = NULL;
    char msg[256];

    assert_true(asprintf(&dir, "/tmp/evbridge-%s-XXXXXX", name) > 0);
    assert_non_null(mkdtemp(dir));
    assert_true(asprintf(&path, "%s/evbridge.db", dir) > 0);
    free(dir);
    assert_int_equal(ev_store_open(path, &st, msg, sizeof(msg)), EV_OK);
    ev_store_close(st);
    return path;
}

void ev_test_db_remove(char *path)
{
    char *cmd;

    assert_true(asprintf(&cmd, "rm -rf \"$(dirname '%s')\"", path) > 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(path);
}

long long ev_test_count(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long n = -1;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}
