/*
 * tests/unit/match/test_conformance.c - every AWS-recorded event-pattern case
 * (../shared/conformance/localstack): each template's pattern goes through
 * ev_pattern_compile_check, the compiled matcher and the reference matcher,
 * and must give the recorded verdict - match, no match (_NEG), or
 * InvalidEventPatternException with the exact recorded message (_EXC) - plus
 * the test_invalid_json_event_pattern messages. Run from the repo root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>

#include "harness.h"

static json_t *snapshot;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Recorded Error.<field> ("Message", or "MessageRaw" = AWS's text before LocalStack cut it). */
static const char *recorded(const char *test_id, const char *key, const char *field)
{
    json_t *e = json_object_get(snapshot, test_id);

    e = json_object_get(json_object_get(e, "recorded-content"), key);
    if (json_object_get(e, "exception_message"))
        e = json_object_get(e, "exception_message");
    return json_string_value(json_object_get(json_object_get(e, "Error"), field));
}

/* The recordings replaced the test's partition and region in messages; do the same. */
static char *normalise(const char *msg)
{
    hbuf_t b = {0};
    const char *p = msg;

    while (*p) {
        if (strncmp(p, "arn:aws:", 8) == 0) {
            hb_adds(&b, "arn:<partition>:");
            p += 8;
        } else if (strncmp(p, "us-east-1", 9) == 0) {
            hb_adds(&b, "<region>");
            p += 9;
        } else {
            hb_add(&b, p++, 1);
        }
    }
    if (!b.p)
        hb_add(&b, "", 0);
    return b.p;
}

static int raw_compared;

/* Our message cut before its location must equal the recorded Message, and whole, MessageRaw. */
static int message_ok(const char *got, const char *raw, const char *cut)
{
    const char *at;
    size_t n;
    char *norm;
    int ok;

    if (!got || !cut)
        return 0;
    at = strstr(got, "\n at [Source:");
    n = at ? (size_t)(at - got) : strlen(got);
    if (strlen(cut) != n || strncmp(got, cut, n) != 0)
        return 0;
    if (!raw)
        return 1;
    raw_compared++;
    norm = normalise(got);
    ok = strcmp(norm, raw) == 0;
    free(norm);
    return ok;
}

/* Runs one template; returns 1 if it agrees with the recorded verdict. */
static int run_template(const char *dir, const char *file)
{
    char path[1024], name[512], test_id[1024];
    char *raw, *clean, *pattern, *event;
    json_t *doc;
    verdict_t v;
    size_t nl = strlen(file) - strlen(".json5");
    int ok = 0, exc, neg;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    snprintf(name, sizeof(name), "%.*s", (int)nl, file);
    raw = read_file(path, NULL);
    assert_non_null(raw);
    clean = json5_strip(raw);
    doc = json_loads(clean, 0, NULL);
    assert_non_null(doc);
    pattern = dumps(json_object_get(doc, "EventPattern"));
    event = dumps(json_object_get(doc, "Event"));
    exc = nl > 4 && strcmp(name + nl - 4, "_EXC") == 0;
    neg = nl > 4 && strcmp(name + nl - 4, "_NEG") == 0;
    v = run_one(pattern, strlen(pattern), event, strlen(event));
    if (exc) {
        const char *want;

        snprintf(test_id, sizeof(test_id),
                 "tests/aws/services/events/test_events_patterns.py::TestEventPattern::"
                 "test_event_pattern[%s]", name);
        want = recorded(test_id, name, "MessageRaw");
        ok = v.check == EV_ERR_INVALID_PATTERN &&
             message_ok(v.message, want, recorded(test_id, name, "Message"));
        if (!ok)
            printf("FAIL %s\n  pattern: %s\n  want: %s\n  got:  %s\n", name, pattern,
                   want ? want : "(no recording)", v.message ? v.message : "(accepted)");
    } else {
        int want = !neg;

        ok = v.check == EV_OK && v.compiled == want && v.reference == want;
        if (!ok)
            printf("FAIL %s\n  pattern: %s\n  event: %s\n  check=%d %s compiled=%d(rc %d) "
                   "reference=%d(rc %d) want=%d\n", name, pattern, event, v.check,
                   v.message ? v.message : "", v.compiled, v.crc, v.reference, v.rrc, want);
    }
    verdict_free(&v);
    free(pattern);
    free(event);
    json_decref(doc);
    free(clean);
    free(raw);
    return ok;
}

static void test_templates(void **state)
{
    DIR *d = opendir(TEMPLATE_DIR);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, i, pass = 0, cap = 0;

    (void)state;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);

        if (l < 6 || strcmp(e->d_name + l - 6, ".json5") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            names = realloc(names, cap * sizeof(*names));
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_names);
    for (i = 0; i < n; i++) {
        pass += (size_t)run_template(TEMPLATE_DIR, names[i]);
        free(names[i]);
    }
    free(names);
    printf("conformance: %zu/%zu templates agree with the recorded AWS verdicts "
           "(%d _EXC messages compared in full, with Jackson's location line)\n", pass, n,
           raw_compared);
    assert_int_equal(n, 155);
    assert_int_equal(pass, n);
}

/* test_invalid_json_event_pattern: the pattern is the test parameter. */
static void test_invalid_json(void **state)
{
    const char *prefix = "tests/aws/services/events/test_events_patterns.py::TestEventPattern::"
                         "test_invalid_json_event_pattern[";
    const char *key;
    json_t *e;
    int seen = 0, pass = 0;

    (void)state;
    json_object_foreach(snapshot, key, e) {
        char pattern[256], *msg = NULL;
        const char *want;
        size_t pl;
        ev_err rc;

        if (strncmp(key, prefix, strlen(prefix)) != 0)
            continue;
        pl = strlen(key) - strlen(prefix) - 1;
        snprintf(pattern, sizeof(pattern), "%.*s", (int)pl, key + strlen(prefix));
        want = recorded(key, "invalid-pattern", "Message");
        seen++;
        rc = ev_pattern_compile_check(pattern, strlen(pattern), &msg);
        if (rc == EV_ERR_INVALID_PATTERN && want && msg && strcmp(msg, want) == 0)
            pass++;
        else
            printf("FAIL invalid json %s\n  want: %s\n  got:  %s\n", pattern, want,
                   msg ? msg : "(accepted)");
        free(msg);
    }
    printf("conformance: %d/%d invalid-JSON pattern messages match\n", pass, seen);
    assert_int_equal(seen, 4);
    assert_int_equal(pass, seen);
}

/* complex_multi_key_event*.json: no recorded verdict; a duplicate key's last value wins. */
static void test_multi_key(void **state)
{
    char *pattern = read_file(TEMPLATE_DIR "/complex_multi_key_event_pattern.json", NULL);
    char *event = read_file(TEMPLATE_DIR "/complex_multi_key_event.json", NULL);

    (void)state;
    assert_non_null(pattern);
    assert_non_null(event);
    /* "location": [{"anything-but": "us-east"}] replaces the prefix "us-" condition. */
    assert_int_equal(match1(pattern, event), 1);
    free(pattern);
    free(event);
}

static int setup(void **state)
{
    (void)state;
    snapshot = json_load_file(SNAPSHOT, 0, NULL);
    return snapshot ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(snapshot);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_invalid_json),
        cmocka_unit_test(test_multi_key),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
