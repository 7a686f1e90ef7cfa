/*
 * store/tag.c - the tags repository: key/value pairs per resource ARN.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/util.h"

ev_err ev_store_tags_list(ev_store_t *st, ev_scope_t sc, const char *arn, ev_tag_t **out,
                          size_t *n_out)
{
    static const char sql[] = "SELECT key, value FROM tags WHERE account = ?1 AND region = ?2 "
                              "AND resource_arn = ?3 ORDER BY key";
    sqlite3_stmt *s = ev__store_stmt(st, sql);
    ev_tag_t *tags = NULL;
    size_t n = 0, cap = 0;
    int r;
    ev_err rc = EV_OK;

    *out = NULL;
    *n_out = 0;
    if (!s)
        return EV_ERR_INTERNAL;
    ev__bind_text(s, 1, sc.account);
    ev__bind_text(s, 2, sc.region);
    ev__bind_text(s, 3, arn);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            tags = realloc(tags, cap * sizeof(*tags));
            if (!tags)
                abort();
        }
        tags[n].key = ev__col_text(s, 0);
        tags[n].value = ev__col_text(s, 1);
        n++;
    }
    if (r != SQLITE_DONE) {
        rc = ev__store_err(st, "tags list");
        ev_store_tags_free(tags, n);
        tags = NULL;
        n = 0;
    }
    sqlite3_reset(s);
    *out = tags;
    *n_out = n;
    return rc;
}

void ev_store_tags_free(ev_tag_t *tags, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(tags[i].key);
        free(tags[i].value);
    }
    free(tags);
}

ev_err ev_store_tag_put(ev_store_t *st, ev_scope_t sc, const char *arn, const char *key,
                        const char *value)
{
    static const char sql[] = "INSERT OR REPLACE INTO tags (account, region, resource_arn, key, "
                              "value) VALUES (?1, ?2, ?3, ?4, ?5)";
    const char *const t[] = {arn, key, value};

    return ev__exec_scoped(st, sql, sc, 3, t, "tag put");
}

ev_err ev_store_tag_delete(ev_store_t *st, ev_scope_t sc, const char *arn, const char *key)
{
    static const char sql[] = "DELETE FROM tags WHERE account = ?1 AND region = ?2 "
                              "AND resource_arn = ?3 AND key = ?4";
    const char *const t[] = {arn, key};

    return ev__exec_scoped(st, sql, sc, 2, t, "tag delete");
}

ev_err ev_store_tags_delete_all(ev_store_t *st, ev_scope_t sc, const char *arn)
{
    static const char sql[] =
        "DELETE FROM tags WHERE account = ?1 AND region = ?2 AND resource_arn = ?3";

    return ev__exec_scoped(st, sql, sc, 1, &arn, "tags delete all");
}
