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
