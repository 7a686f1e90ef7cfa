/*
 * tests/unit/store/test_store.c - migrations, refusal of corrupt and newer
 * databases, and the connection, destination and tag repositories.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static const ev_scope_t scope = {"000000000000", "us-east-1"};
static const ev_scope_t other = {"111111111111", "us-east-1"};

static ev_store_t *open_memory(void)
{
    ev_store_t *st = NULL;
    char msg[256];

    assert_int_equal(ev_store_open(":memory:", &st, msg, sizeof(msg)), EV_OK);
    return st;
}

static void put_conn(ev_store_t *st, ev_scope_t sc, const char *name, const char *state)
{
    ev_connection_t c = {0};
    char arn[128];

    snprintf(arn, sizeof(arn), "arn:aws:events:us-east-1:%s:connection/%s/x", sc.account, name);
    c.name = (char *)name;
    c.arn = arn;
    c.auth_type = "BASIC";
    c.state = (char *)state;
    c.auth_public = "{}";
    c.created_ms = 1000;
    c.modified_ms = 2000;
    c.authorized_ms = 3000;
    assert_int_equal(ev_store_conn_put(st, sc, &c), EV_OK);
}

static void test_connection_round_trip(void **state)
{
    ev_store_t *st = open_memory();
    ev_connection_t c;

    (void)state;
    assert_int_equal(ev_store_begin(st, 1), EV_OK);
    put_conn(st, scope, "alpha", "AUTHORIZED");
    assert_int_equal(ev_store_end(st, EV_OK), EV_OK);
    assert_int_equal(ev_store_begin(st, 0), EV_OK);
    assert_int_equal(ev_store_conn_get(st, scope, "alpha", &c), EV_OK);
    assert_string_equal(c.name, "alpha");
    assert_string_equal(c.state, "AUTHORIZED");
    assert_null(c.description);
    assert_int_equal(c.created_ms, 1000);
    assert_int_equal(c.authorized_ms, 3000);
    ev_connection_clear(&c);
    /* Another account sees nothing. */
    assert_int_equal(ev_store_conn_get(st, other, "alpha", &c), EV_ERR_NOT_FOUND);
    assert_int_equal(ev_store_end(st, EV_OK), EV_OK);
    ev_store_close(st);
}

static void test_rollback_changes_nothing(void **state)
{
    ev_store_t *st = open_memory();
    ev_connection_t c;

    (void)state;
    assert_int_equal(ev_store_begin(st, 1), EV_OK);
    put_conn(st, scope, "gone", "AUTHORIZED");
    assert_int_equal(ev_store_end(st, EV_ERR_VALIDATION), EV_ERR_VALIDATION);
    assert_int_equal(ev_store_begin(st, 0), EV_OK);
    assert_int_equal(ev_store_conn_get(st, scope, "gone", &c), EV_ERR_NOT_FOUND);
    assert_int_equal(ev_store_end(st, EV_OK), EV_OK);
    ev_store_close(st);
}

static void test_connection_list_filters_and_pages(void **state)
{
    ev_store_t *st = open_memory();
    ev_connection_t *list;
    size_t n;
    int64_t count;

    (void)state;
    assert_int_equal(ev_store_begin(st, 1), EV_OK);
    put_conn(st, scope, "b_1", "AUTHORIZED");
    put_conn(st, scope, "a", "DEAUTHORIZED");
    put_conn(st, scope, "bx1", "AUTHORIZED"); /* '_' must not act as a LIKE wildcard */
    put_conn(st, scope, "b_2", "AUTHORIZING");
    put_conn(st, other, "b_3", "AUTHORIZED");
    assert_int_equal(ev_store_conn_count(st, scope, &count), EV_OK);
    assert_int_equal(count, 4);
    assert_int_equal(ev_store_conn_list(st, scope, "b_", NULL, NULL, 10, &list, &n), EV_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "b_1");
    assert_string_equal(list[1].name, "b_2");
    ev_store_conn_list_free(list, n);
    assert_int_equal(ev_store_conn_list(st, scope, NULL, "AUTHORIZED", NULL, 10, &list, &n),
                     EV_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "b_1");
    assert_string_equal(list[1].name, "bx1");
    ev_store_conn_list_free(list, n);
    assert_int_equal(ev_store_conn_list(st, scope, NULL, NULL, "b_1", 2, &list, &n), EV_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "b_2");
    assert_string_equal(list[1].name, "bx1");
    ev_store_conn_list_free(list, n);
    assert_int_equal(ev_store_conn_delete(st, scope, "a"), EV_OK);
    assert_int_equal(ev_store_conn_count(st, scope, &count), EV_OK);
    assert_int_equal(count, 3);
    assert_int_equal(ev_store_end(st, EV_OK), EV_OK);
    ev_store_close(st);
}

static void test_tags(void **state)
{
    ev_store_t *st = open_memory();
    ev_tag_t *tags;
    size_t n;

    (void)state;
    assert_int_equal(ev_store_begin(st, 1), EV_OK);
    assert_int_equal(ev_store_tag_put(st, scope, "arn:x", "b", "2"), EV_OK);
    assert_int_equal(ev_store_tag_put(st, scope, "arn:x", "a", "1"), EV_OK);
    assert_int_equal(ev_store_tag_put(st, scope, "arn:x", "b", "3"), EV_OK);
    assert_int_equal(ev_store_tags_list(st, scope, "arn:x", &tags, &n), EV_OK);
    assert_int_equal(n, 2);
    assert_string_equal(tags[0].key, "a");
    assert_string_equal(tags[1].value, "3");
    ev_store_tags_free(tags, n);
    assert_int_equal(ev_store_tag_delete(st, scope, "arn:x", "a"), EV_OK);
    assert_int_equal(ev_store_tags_delete_all(st, scope, "arn:x"), EV_OK);
    assert_int_equal(ev_store_tags_list(st, scope, "arn:x", &tags, &n), EV_OK);
    assert_int_equal(n, 0);
    ev_store_tags_free(tags, n);
    assert_int_equal(ev_store_end(st, EV_OK), EV_OK);
    ev_store_close(st);
}

static void test_refuses_newer_and_corrupt(void **state)
{
    char path[] = "/tmp/evstore-XXXXXX";
    char msg[512];
    ev_store_t *st = NULL;
    sqlite3 *db;
    FILE *f;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    /* A database from a newer evbridge. */
    assert_int_equal(ev_store_open(path, &st, msg, sizeof(msg)), EV_OK);
    ev_store_close(st);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(ev_store_open(path, &st, msg, sizeof(msg)), EV_ERR_INTERNAL);
    assert_null(st);
    assert_non_null(strstr(msg, "has schema version 999, newer than this evbridge"));
    /* Not a database at all: refused and left as it was. */
    f = fopen(path, "w");
    fputs("this is not a database, it is a text file of some length..........\n", f);
    fclose(f);
    assert_int_equal(ev_store_open(path, &st, msg, sizeof(msg)), EV_ERR_INTERNAL);
    assert_non_null(strstr(msg, "is not a valid evbridge database"));
    f = fopen(path, "r");
    assert_non_null(fgets(msg, sizeof(msg), f));
    fclose(f);
    assert_string_equal(msg, "this is not a database, it is a text file of some length..........\n");
    unlink(path);
}

static void test_schema_version_recorded(void **state)
{
    char path[] = "/tmp/evstore-XXXXXX";
    char msg[256];
    ev_store_t *st = NULL;
    sqlite3 *db;
    sqlite3_stmt *s;
    int fd = mkstemp(path);

    (void)state;
    close(fd);
    assert_int_equal(ev_store_open(path, &st, msg, sizeof(msg)), EV_OK);
    ev_store_close(st);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(s, 0), ev_store_schema_version());
    sqlite3_finalize(s);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);
    /* Reopening an up-to-date database is fine. */
    assert_int_equal(ev_store_open(path, &st, msg, sizeof(msg)), EV_OK);
    ev_store_close(st);
    unlink(path);
    snprintf(msg, sizeof(msg), "%s-wal", path);
    unlink(msg);
    snprintf(msg, sizeof(msg), "%s-shm", path);
    unlink(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connection_round_trip),
        cmocka_unit_test(test_rollback_changes_nothing),
        cmocka_unit_test(test_connection_list_filters_and_pages),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_refuses_newer_and_corrupt),
        cmocka_unit_test(test_schema_version_recorded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
