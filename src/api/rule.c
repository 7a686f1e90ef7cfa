/*
 * api/rule.c - PutRule, DescribeRule, ListRules, DeleteRule, EnableRule,
 * DisableRule, ListRuleNamesByTarget and TestEventPattern.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "match/match.h"
#include "util/util.h"

#define EV_MAX_RULES_PER_BUS 300

ev_err ev__rule_not_found(ev_call_t *c, const char *rule, const char *bus)
{
    return ev_fail(c, EV_ERR_NOT_FOUND, "Rule %s does not exist on EventBus %s.", rule, bus);
}

/* Resolves EventBusName to an existing bus; *bus receives its name. */
static ev_err bus_of(ev_call_t *c, char **bus)
{
    ev_bus_t b;
    ev_err rc = ev__bus_load(c, ev__str(c->in, "EventBusName"), &b);

    *bus = rc == EV_OK ? ev_xstrdup(b.name) : NULL;
    ev_bus_clear(&b);
    return rc;
}

char *ev__rule_arn(const ev_call_t *c, const char *bus, const char *rule)
{
    char *res = strcmp(bus, "default") == 0 ? ev_xasprintf("rule/%s", rule)
                                            : ev_xasprintf("rule/%s/%s", bus, rule);
    char *arn = ev__arn(c, "events", res);

    free(res);
    return arn;
}

static ev_err check_pattern(ev_call_t *c, const char *pattern)
{
    char *msg = NULL;
    ev_err rc = ev_pattern_compile_check(pattern, strlen(pattern), &msg);

    if (rc) {
        rc = ev_fail(c, EV_ERR_INVALID_PATTERN, "%s",
                     msg ? msg : "Event pattern is not valid.");
        free(msg);
    }
    return rc;
}

static ev_err put_rule(ev_call_t *c)
{
    const char *name = ev__str(c->in, "Name"), *pattern = ev__str(c->in, "EventPattern");
    const char *schedule = ev__str(c->in, "ScheduleExpression");
    json_t *tags = json_object_get(c->in, "Tags"), *t;
    ev_rule_t r = {0}, old = {0};
    char *bus = NULL;
    int64_t n;
    size_t i;
    ev_err rc = bus_of(c, &bus);

    if (rc)
        return rc;
    if (pattern && !*pattern)
        pattern = NULL;
    if (schedule && !*schedule)
        schedule = NULL;
    if (!pattern && !schedule) {
        rc = ev_fail(c, EV_ERR_VALIDATION, "Parameter(s) EventPattern or ScheduleExpression "
                     "must be specified.");
        goto out;
    }
    if (schedule && strcmp(bus, "default") != 0) {
        rc = ev_fail(c, EV_ERR_VALIDATION, "ScheduleExpression is supported only on the default "
                     "event bus.");
        goto out;
    }
    if (schedule && !ev__schedule_valid(schedule)) {
        rc = ev_fail(c, EV_ERR_VALIDATION, "Parameter ScheduleExpression is not valid.");
        goto out;
    }
    if (pattern && (rc = check_pattern(c, pattern)))
        goto out;
    rc = ev_store_rule_get(c->app->store, c->scope, bus, name, &old);
    if (rc == EV_ERR_NOT_FOUND) {
        rc = ev_store_rule_count(c->app->store, c->scope, bus, &n);
        if (rc == EV_OK && n >= (c->app->max_rules_per_bus > 0 ? c->app->max_rules_per_bus
                                                                : EV_MAX_RULES_PER_BUS))
            rc = ev_fail(c, EV_ERR_LIMIT_EXCEEDED,
                         "The requested resource exceeds the maximum number allowed.");
        old.created_ms = c->now_ms;
    }
    if (rc)
        goto out;
    /* Re-putting replaces every member; the targets stay. */
    r.bus = bus;
    r.name = (char *)name;
    r.arn = ev__rule_arn(c, bus, name);
    r.event_pattern = (char *)pattern;
    r.schedule = (char *)schedule;
    r.state = (char *)(ev__str(c->in, "State") ? ev__str(c->in, "State") : "ENABLED");
    r.description = (char *)ev__str(c->in, "Description");
    r.role_arn = (char *)ev__str(c->in, "RoleArn");
    r.created_ms = old.created_ms;
    rc = ev_store_rule_put(c->app->store, c->scope, &r);
    json_array_foreach(tags, i, t) {
        if (rc)
            break;
        rc = ev_store_tag_put(c->app->store, c->scope, r.arn, ev__str(t, "Key"),
                              ev__str(t, "Value"));
    }
    if (rc == EV_OK) {
        ev__set_str(c->out, "RuleArn", r.arn);
        ev__bus_changed(c, bus);
    }
    free(r.arn);
out:
    ev_rule_clear(&old);
    free(bus);
    return rc;
}

static void rule_members(ev_call_t *c, json_t *o, const ev_rule_t *r, int full)
{
    ev__set_str(o, "Name", r->name);
    ev__set_str(o, "Arn", r->arn);
    ev__set_str(o, "EventPattern", r->event_pattern);
    ev__set_str(o, "ScheduleExpression", r->schedule);
    ev__set_str(o, "State", r->state);
    ev__set_str(o, "Description", r->description);
    ev__set_str(o, "RoleArn", r->role_arn);
    ev__set_str(o, "ManagedBy", r->managed_by);
    ev__set_str(o, "EventBusName", r->bus);
    if (full)
        ev__set_str(o, "CreatedBy", c->scope.account);
}

/* Loads the rule Name (or `member`) of EventBusName. */
static ev_err load_rule(ev_call_t *c, const char *member, ev_rule_t *r)
{
    const char *name = ev__str(c->in, member);
    char *bus = NULL;
    ev_err rc = bus_of(c, &bus);

    memset(r, 0, sizeof(*r));
    if (rc)
        return rc; /* the bus does not exist: that is the error */
    rc = ev_store_rule_get(c->app->store, c->scope, bus, name, r);
    if (rc == EV_ERR_NOT_FOUND)
        rc = ev__rule_not_found(c, name, bus);
    free(bus);
    return rc;
}

ev_err ev__rule_load(ev_call_t *c, const char *member, ev_rule_t *r)
{
    return load_rule(c, member, r);
}

static ev_err describe_rule(ev_call_t *c)
{
    ev_rule_t r;
    ev_err rc = load_rule(c, "Name", &r);

    if (rc == EV_OK)
        rule_members(c, c->out, &r, 1);
    ev_rule_clear(&r);
    return rc;
}

static ev_err list_rules(ev_call_t *c)
{
    ev_rule_t *list = NULL;
    size_t n = 0;
    int limit = ev__limit(c);
    char *bus = NULL, *after = NULL;
    json_t *arr;
    ev_err rc = bus_of(c, &bus);

    if (rc == EV_OK)
        rc = ev__next_token_in(c, &after);
    if (rc == EV_OK)
        rc = ev_store_rule_list(c->app->store, c->scope, bus, ev__str(c->in, "NamePrefix"),
                                after, limit + 1, &list, &n);
    if (rc)
        goto out;
    arr = json_array();
    for (size_t i = 0; i < n && i < (size_t)limit; i++) {
        json_t *e = json_object();

        rule_members(c, e, &list[i], 0);
        json_array_append_new(arr, e);
    }
    json_object_set_new(c->out, "Rules", arr);
    if (n > (size_t)limit)
        ev__next_token_out(c, list[limit - 1].name);
out:
    ev_store_rule_list_free(list, n);
    free(bus);
    free(after);
    return rc;
}

static ev_err delete_rule(ev_call_t *c)
{
    const char *name = ev__str(c->in, "Name");
    ev_target_t *targets = NULL;
    size_t n = 0;
    char *bus = NULL;
    ev_err rc = bus_of(c, &bus);

    if (rc)
        return rc;
    rc = ev_store_target_list(c->app->store, c->scope, bus, name, &targets, &n);
    if (rc == EV_OK && n > 0)
        rc = ev_fail(c, EV_ERR_VALIDATION, "Rule can't be deleted since it has targets.");
    /* Deleting a rule that does not exist succeeds. */
    if (rc == EV_OK)
        rc = ev_store_rule_delete(c->app->store, c->scope, bus, name);
    if (rc == EV_OK)
        ev__bus_changed(c, bus);
    ev_store_target_list_free(targets, n);
    free(bus);
    return rc;
}

static ev_err set_state(ev_call_t *c, const char *state)
{
    ev_rule_t r;
    ev_err rc = load_rule(c, "Name", &r);

    if (rc == EV_OK) {
        free(r.state);
        r.state = ev_xstrdup(state);
        rc = ev_store_rule_put(c->app->store, c->scope, &r);
    }
    if (rc == EV_OK)
        ev__bus_changed(c, r.bus);
    ev_rule_clear(&r);
    return rc;
}

static ev_err enable_rule(ev_call_t *c)
{
    return set_state(c, "ENABLED");
}

static ev_err disable_rule(ev_call_t *c)
{
    return set_state(c, "DISABLED");
}

static ev_err list_rule_names_by_target(ev_call_t *c)
{
    char **names = NULL, *bus = NULL, *after = NULL;
    size_t n = 0, start = 0, shown = 0;
    int limit = ev__limit(c);
    json_t *arr;
    ev_err rc = bus_of(c, &bus);

    if (rc == EV_OK)
        rc = ev__next_token_in(c, &after);
    if (rc == EV_OK)
        rc = ev_store_rules_by_target(c->app->store, c->scope, bus, ev__str(c->in, "TargetArn"),
                                      &names, &n);
    if (rc)
        goto out;
    while (after && start < n && strcmp(names[start], after) <= 0)
        start++;
    arr = json_array();
    for (size_t i = start; i < n && shown < (size_t)limit; i++, shown++)
        json_array_append_new(arr, json_string(names[i]));
    json_object_set_new(c->out, "RuleNames", arr);
    if (start + shown < n)
        ev__next_token_out(c, names[start + shown - 1]);
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(bus);
    free(after);
    return rc;
}

/* TestEventPattern's Event: a JSON object with the envelope's required keys. */
static int event_valid(const json_t *e)
{
    static const char *const keys[] = {"id", "account", "source", "time", "region",
                                       "detail-type"};

    if (!json_is_object(e))
        return 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!json_object_get(e, keys[i]))
            return 0;
    return 1;
}

static ev_err test_event_pattern(ev_call_t *c)
{
    const char *pattern = ev__str(c->in, "EventPattern"), *event = ev__str(c->in, "Event");
    ev_matcher_builder_t *b;
    ev_matcher_t *m;
    ev_match_scratch_t *s;
    const uint64_t *tags;
    size_t ntags = 0;
    json_t *parsed;
    char *msg = NULL;
    ev_err rc = check_pattern(c, pattern);

    if (rc)
        return rc;
    parsed = json_loads(event, JSON_DECODE_ANY, NULL);
    if (!event_valid(parsed)) {
        json_decref(parsed);
        return ev_fail(c, EV_ERR_VALIDATION, "Parameter Event is not valid.");
    }
    json_decref(parsed);
    b = ev_matcher_builder_new();
    if (ev_matcher_builder_add(b, 1, pattern, strlen(pattern), &msg) != EV_OK) {
        free(msg);
        ev_matcher_builder_free(b);
        return ev_fail(c, EV_ERR_INTERNAL, "The pattern could not be compiled.");
    }
    m = ev_matcher_builder_finish(b);
    s = ev_match_scratch_new();
    if (ev_matcher_match(m, event, strlen(event), s, &tags, &ntags) != EV_MATCH_OK)
        ntags = 0;
    json_object_set_new(c->out, "Result", json_boolean(ntags > 0));
    ev_match_scratch_free(s);
    ev_matcher_unref(m);
    return EV_OK;
}

const ev_op_t ev__rule_ops[] = {
    {"AWSEvents.PutRule", put_rule, 1},
    {"AWSEvents.DescribeRule", describe_rule, 1},
    {"AWSEvents.ListRules", list_rules, 1},
    {"AWSEvents.DeleteRule", delete_rule, 1},
    {"AWSEvents.EnableRule", enable_rule, 1},
    {"AWSEvents.DisableRule", disable_rule, 1},
    {"AWSEvents.ListRuleNamesByTarget", list_rule_names_by_target, 1},
    {"AWSEvents.TestEventPattern", test_event_pattern, 0},
    {NULL, NULL, 0},
};
