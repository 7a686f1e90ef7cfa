/*
 * tests/unit/common/testdb.h - a store file of its own for a test: a fresh
 * directory under /tmp with the schema created (the store's migrations).
 */
#ifndef EV_TEST_TESTDB_H
#define EV_TEST_TESTDB_H

/* Returns "/tmp/evbridge-<name>-XXXXXX/evbridge.db" (malloc'd). */
char *ev_test_db(const char *name);

/* Removes the directory of a path ev_test_db returned and frees the path. */
void ev_test_db_remove(char *path);

/* The first column of the first row sql answers, -1 when none. Read-only,
 * so a store a test left as a crash would is looked at as it is (no
 * checkpoint when it closes). */
long long ev_test_count(const char *path, const char *sql);

#endif
