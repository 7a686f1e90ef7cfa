/*
 * store/bus.c - the event buses, rules and targets repositories.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

#define BUS_COLS                                                                               \
    "name, arn, description, kms_key, dead_letter, log_config, policy, created_ms, modified_ms"
#define RULE_COLS                                                                              \
    "bus, name, arn, event_pattern, schedule, state, description, role_arn, managed_by, "      \
    "created_ms"

/* ---- buses ---- */

void ev_bus_clear(ev_bus_t *b)
{
    if (!b)
        return;
    free(b->name);
    free(b->arn);
    free(b->description);
    free(b->kms_key);
    free(b->dead_letter);
    free(b->log_config);
    free(b->policy);
    memset(b, 0, sizeof(*b));
}

static void read_bus(sqlite3_stmt *s, ev_bus_t *b)
{
    b->name = ev__col_text(s, 0);
    b->arn = ev__col_text(s, 1);
    b->description = ev__col_text(s, 2);
    b->kms_key = ev__col_text(s, 3);
    b->dead_letter = ev__col_text(s, 4);
    b->log_config = ev__col_text(s, 5);
    b->policy = ev__col_text(s, 6);
    b->created_ms = sqlite3_column_int64(s, 7);
    b->modified_ms = sqlite3_column_int64(s, 8);
}

ev_err ev_store_bus_get(ev_store_t *st, ev_scope_t sc, const char *name, ev_bus_t *out)
{
    static const char sql[] = "SELECT " BUS_COLS " FROM event_buses WHERE account = ?1 AND "
                              "region = ?2 AND name = ?3";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_err rc;
    int r;

    memset(out, 0, sizeof(*out));
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 1, &name);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        read_bus(s, out);
        rc = EV_OK;
    } else {
        rc = r == SQLITE_DONE ? EV_ERR_NOT_FOUND : ev__store_err(st, "bus get");
    }
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_bus_put(ev_store_t *st, ev_scope_t sc, const ev_bus_t *b)
{
    static const char sql[] = "INSERT OR REPLACE INTO event_buses (account, region, " BUS_COLS
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    const char *t[] = {b->name, b->arn, b->description, b->kms_key, b->dead_letter,
                       b->log_config, b->policy};

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 7, t);
    sqlite3_bind_int64(s, 10, b->created_ms);
    sqlite3_bind_int64(s, 11, b->modified_ms);
    return ev__run(st, s, "bus put");
}

ev_err ev_store_bus_delete(ev_store_t *st, ev_scope_t sc, const char *name)
{
    static const char del_tags[] =
        "DELETE FROM tags WHERE account = ?1 AND region = ?2 AND resource_arn IN (SELECT arn "
        "FROM rules WHERE account = ?1 AND region = ?2 AND bus = ?3 UNION SELECT arn FROM "
        "event_buses WHERE account = ?1 AND region = ?2 AND name = ?3)";
    static const char del_targets[] =
        "DELETE FROM targets WHERE account = ?1 AND region = ?2 AND bus = ?3";
    static const char del_rules[] =
        "DELETE FROM rules WHERE account = ?1 AND region = ?2 AND bus = ?3";
    static const char del_bus[] =
        "DELETE FROM event_buses WHERE account = ?1 AND region = ?2 AND name = ?3";
    const char *const stmts[] = {del_tags, del_targets, del_rules, del_bus};
    ev_err rc = EV_OK;

    for (size_t i = 0; i < 4 && rc == EV_OK; i++) {
        sqlite3_stmt *s = ev__store_stmt(st, stmts[i]);

        if (!s)
            return EV_ERR_INTERNAL;
        ev__bind_scope(s, sc, 1, &name);
        rc = ev__run(st, s, "bus delete");
    }
    return rc;
}

ev_err ev_store_bus_count(ev_store_t *st, ev_scope_t sc, int64_t *n)
{
    static const char sql[] = "SELECT count(*) FROM event_buses WHERE account = ?1 AND "
                              "region = ?2";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 0, NULL);
    return ev__count(st, s, n);
}

ev_err ev_store_bus_list(ev_store_t *st, ev_scope_t sc, const char *prefix, const char *after,
                         int limit, ev_bus_t **out, size_t *n_out)
{
    static const char sql[] = "SELECT " BUS_COLS " FROM event_buses WHERE account = ?1 AND "
                              "region = ?2 AND (?3 IS NULL OR substr(name, 1, length(?3)) = ?3) "
                              "AND (?4 IS NULL OR name > ?4) ORDER BY name LIMIT ?5";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    const char *t[] = {prefix, after};
    ev_bus_t *list;
    size_t n = 0;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 2, t);
    sqlite3_bind_int(s, 5, limit);
    list = ev_xcalloc((size_t)limit, sizeof(*list));
    while (n < (size_t)limit && sqlite3_step(s) == SQLITE_ROW)
        read_bus(s, &list[n++]);
    sqlite3_reset(s);
    *out = list;
    *n_out = n;
    return EV_OK;
}

void ev_store_bus_list_free(ev_bus_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ev_bus_clear(&list[i]);
    free(list);
}

/* ---- rules ---- */

void ev_rule_clear(ev_rule_t *r)
{
    if (!r)
        return;
    free(r->bus);
    free(r->name);
    free(r->arn);
    free(r->event_pattern);
    free(r->schedule);
    free(r->state);
    free(r->description);
    free(r->role_arn);
    free(r->managed_by);
    memset(r, 0, sizeof(*r));
}

static void read_rule(sqlite3_stmt *s, ev_rule_t *r)
{
    r->bus = ev__col_text(s, 0);
    r->name = ev__col_text(s, 1);
    r->arn = ev__col_text(s, 2);
    r->event_pattern = ev__col_text(s, 3);
    r->schedule = ev__col_text(s, 4);
    r->state = ev__col_text(s, 5);
    r->description = ev__col_text(s, 6);
    r->role_arn = ev__col_text(s, 7);
    r->managed_by = ev__col_text(s, 8);
    r->created_ms = sqlite3_column_int64(s, 9);
}

ev_err ev_store_rule_get(ev_store_t *st, ev_scope_t sc, const char *bus, const char *name,
                         ev_rule_t *out)
{
    static const char sql[] = "SELECT " RULE_COLS " FROM rules WHERE account = ?1 AND "
                              "region = ?2 AND bus = ?3 AND name = ?4";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    const char *t[] = {bus, name};
    ev_err rc;
    int r;

    memset(out, 0, sizeof(*out));
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 2, t);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        read_rule(s, out);
        rc = EV_OK;
    } else {
        rc = r == SQLITE_DONE ? EV_ERR_NOT_FOUND : ev__store_err(st, "rule get");
    }
    sqlite3_reset(s);
    return rc;
}

ev_err ev_store_rule_put(ev_store_t *st, ev_scope_t sc, const ev_rule_t *r)
{
    static const char sql[] = "INSERT OR REPLACE INTO rules (account, region, " RULE_COLS
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    const char *t[] = {r->bus,   r->name,        r->arn,      r->event_pattern, r->schedule,
                       r->state, r->description, r->role_arn, r->managed_by};

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 9, t);
    sqlite3_bind_int64(s, 12, r->created_ms);
    return ev__run(st, s, "rule put");
}

ev_err ev_store_rule_delete(ev_store_t *st, ev_scope_t sc, const char *bus, const char *name)
{
    static const char del_tags[] =
        "DELETE FROM tags WHERE account = ?1 AND region = ?2 AND resource_arn = (SELECT arn "
        "FROM rules WHERE account = ?1 AND region = ?2 AND bus = ?3 AND name = ?4)";
    static const char del_targets[] = "DELETE FROM targets WHERE account = ?1 AND region = ?2 "
                                      "AND bus = ?3 AND rule = ?4";
    static const char del_rule[] = "DELETE FROM rules WHERE account = ?1 AND region = ?2 AND "
                                   "bus = ?3 AND name = ?4";
    const char *const stmts[] = {del_tags, del_targets, del_rule};
    const char *t[] = {bus, name};
    ev_err rc = EV_OK;

    for (size_t i = 0; i < 3 && rc == EV_OK; i++) {
        sqlite3_stmt *s = ev__store_stmt(st, stmts[i]);

        if (!s)
            return EV_ERR_INTERNAL;
        ev__bind_scope(s, sc, 2, t);
        rc = ev__run(st, s, "rule delete");
    }
    return rc;
}

ev_err ev_store_rule_count(ev_store_t *st, ev_scope_t sc, const char *bus, int64_t *n)
{
    static const char sql[] = "SELECT count(*) FROM rules WHERE account = ?1 AND region = ?2 "
                              "AND bus = ?3";
    sqlite3_stmt *s = ev__store_stmt(st, sql);

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 1, &bus);
    return ev__count(st, s, n);
}

ev_err ev_store_rule_list(ev_store_t *st, ev_scope_t sc, const char *bus, const char *prefix,
                          const char *after, int limit, ev_rule_t **out, size_t *n_out)
{
    static const char sql[] = "SELECT " RULE_COLS " FROM rules WHERE account = ?1 AND "
                              "region = ?2 AND bus = ?3 AND (?4 IS NULL OR substr(name, 1, "
                              "length(?4)) = ?4) AND (?5 IS NULL OR name > ?5) ORDER BY name "
                              "LIMIT ?6";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    const char *t[] = {bus, prefix, after};
    ev_rule_t *list = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 3, t);
    sqlite3_bind_int(s, 6, limit > 0 ? limit : -1);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            list = realloc(list, cap * sizeof(*list));
            if (!list)
                abort();
        }
        memset(&list[n], 0, sizeof(list[n]));
        read_rule(s, &list[n++]);
    }
    sqlite3_reset(s);
    *out = list;
    *n_out = n;
    return EV_OK;
}

void ev_store_rule_list_free(ev_rule_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ev_rule_clear(&list[i]);
    free(list);
}

ev_err ev_store_rules_scheduled(ev_store_t *st, ev_scoped_rule_t **out, size_t *n_out)
{
    static const char sql[] = "SELECT account, region, " RULE_COLS " FROM rules WHERE "
                              "schedule IS NOT NULL AND state <> 'DISABLED' ORDER BY account, "
                              "region, bus, name";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_scoped_rule_t *list = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            list = realloc(list, cap * sizeof(*list));
            if (!list)
                abort();
        }
        list[n].account = ev__col_text(s, 0);
        list[n].region = ev__col_text(s, 1);
        list[n].rule.bus = ev__col_text(s, 2);
        list[n].rule.name = ev__col_text(s, 3);
        list[n].rule.arn = ev__col_text(s, 4);
        list[n].rule.event_pattern = ev__col_text(s, 5);
        list[n].rule.schedule = ev__col_text(s, 6);
        list[n].rule.state = ev__col_text(s, 7);
        list[n].rule.description = ev__col_text(s, 8);
        list[n].rule.role_arn = ev__col_text(s, 9);
        list[n].rule.managed_by = ev__col_text(s, 10);
        list[n].rule.created_ms = sqlite3_column_int64(s, 11);
        n++;
    }
    sqlite3_reset(s);
    *out = list;
    *n_out = n;
    return EV_OK;
}

void ev_store_scoped_rules_free(ev_scoped_rule_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].account);
        free(list[i].region);
        ev_rule_clear(&list[i].rule);
    }
    free(list);
}

/* ---- targets ---- */

void ev_target_clear(ev_target_t *t)
{
    if (!t)
        return;
    free(t->rule);
    free(t->id);
    free(t->arn);
    free(t->body);
    memset(t, 0, sizeof(*t));
}

ev_err ev_store_target_put(ev_store_t *st, ev_scope_t sc, const char *bus, const ev_target_t *t)
{
    /* A replaced target keeps its place; a new one goes last. */
    static const char sql[] =
        "INSERT OR REPLACE INTO targets (account, region, bus, rule, id, arn, body, seq) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce((SELECT seq FROM targets WHERE "
        "account = ?1 AND region = ?2 AND bus = ?3 AND rule = ?4 AND id = ?5), (SELECT "
        "coalesce(max(seq), 0) + 1 FROM targets WHERE account = ?1 AND region = ?2 AND bus = ?3 "
        "AND rule = ?4)))";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    const char *x[] = {bus, t->rule, t->id, t->arn, t->body};

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 5, x);
    return ev__run(st, s, "target put");
}

ev_err ev_store_target_delete(ev_store_t *st, ev_scope_t sc, const char *bus, const char *rule,
                              const char *id, int *deleted)
{
    static const char sql[] = "DELETE FROM targets WHERE account = ?1 AND region = ?2 AND "
                              "bus = ?3 AND rule = ?4 AND id = ?5";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    const char *x[] = {bus, rule, id};
    ev_err rc;

    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 3, x);
    rc = ev__run(st, s, "target delete");
    *deleted = rc == EV_OK && sqlite3_changes(st->db) > 0;
    return rc;
}

ev_err ev_store_target_list(ev_store_t *st, ev_scope_t sc, const char *bus, const char *rule,
                            ev_target_t **out, size_t *n_out)
{
    /* Two statements: `(?4 IS NULL OR rule = ?4)` would keep SQLite from using
     * the primary key for one rule and scan every target of the bus. */
    static const char one_rule[] = "SELECT rule, id, arn, body, seq FROM targets WHERE "
                                   "account = ?1 AND region = ?2 AND bus = ?3 AND rule = ?4 "
                                   "ORDER BY seq";
    static const char all_rules[] = "SELECT rule, id, arn, body, seq FROM targets WHERE "
                                    "account = ?1 AND region = ?2 AND bus = ?3 "
                                    "ORDER BY rule, seq";
    sqlite3_stmt *s = ev__store_stmt(st, rule ? one_rule : all_rules);
    const char *x[] = {bus, rule};
    ev_target_t *list = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, rule ? 2 : 1, x);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            list = realloc(list, cap * sizeof(*list));
            if (!list)
                abort();
        }
        list[n].rule = ev__col_text(s, 0);
        list[n].id = ev__col_text(s, 1);
        list[n].arn = ev__col_text(s, 2);
        list[n].body = ev__col_text(s, 3);
        list[n].seq = sqlite3_column_int64(s, 4);
        n++;
    }
    sqlite3_reset(s);
    *out = list;
    *n_out = n;
    return EV_OK;
}

void ev_store_target_list_free(ev_target_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ev_target_clear(&list[i]);
    free(list);
}

ev_err ev_store_rules_by_target(ev_store_t *st, ev_scope_t sc, const char *bus, const char *arn,
                                char ***names, size_t *n_out)
{
    static const char sql[] = "SELECT DISTINCT rule FROM targets WHERE account = ?1 AND "
                              "region = ?2 AND bus = ?3 AND arn = ?4 ORDER BY rule";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    const char *x[] = {bus, arn};
    char **list = NULL;
    size_t n = 0, cap = 0;

    *names = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_scope(s, sc, 2, x);
    while (sqlite3_step(s) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            list = realloc(list, cap * sizeof(*list));
            if (!list)
                abort();
        }
        list[n++] = ev__col_text(s, 0);
    }
    sqlite3_reset(s);
    *names = list;
    *n_out = n;
    return EV_OK;
}
