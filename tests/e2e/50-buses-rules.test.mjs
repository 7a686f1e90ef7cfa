/*
 * 50-buses-rules.test.mjs - event buses (create / describe / update / delete /
 * list, permissions), rules (put / describe / list / enable / disable /
 * delete, schedule expressions, ListRuleNamesByTarget) and tags on rules and
 * buses, against the real binary.
 *
 * Expected values: spec/buses-rules-targets.md §1, §2, §4 and
 * spec/validation.md §4.2-4.3; recorded cases come from
 * shared/conformance/localstack/test_events.snapshot.json (TestEventBus,
 * TestEventRule), test_events_tags.snapshot.json and
 * test_events_schedule.snapshot.json (AWS-validated entries only).
 *
 * No PutEvents here, so the SQS / Lambda target ARNs below are never invoked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
    CreateEventBusCommand,
    DeleteEventBusCommand,
    DeleteRuleCommand,
    DescribeEventBusCommand,
    DescribeRuleCommand,
    DisableRuleCommand,
    EnableRuleCommand,
    ListEventBusesCommand,
    ListRuleNamesByTargetCommand,
    ListRulesCommand,
    ListTagsForResourceCommand,
    ListTargetsByRuleCommand,
    PutPermissionCommand,
    PutRuleCommand,
    PutTargetsCommand,
    RemovePermissionCommand,
    RemoveTargetsCommand,
    TagResourceCommand,
    UntagResourceCommand,
    UpdateEventBusCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand } from '@aws-sdk/client-kms';

import {
    ACCOUNT,
    REGION,
    assertRecent,
    body,
    expectError,
    members,
    startServer,
} from './lib/server.mjs';

let srv;
let eb;
let kms;
const T0 = Date.now();

before(async () => {
    srv = await startServer();
    eb = srv.eventbridge();
    kms = srv.kms();
});

after(async () => {
    await srv?.stop();
});

const send = (Cmd, input = {}) => eb.send(new Cmd(input));

const busArn = (name) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
const ruleArn = (name, bus = 'default') => (bus === 'default'
    ? `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`
    : `arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus}/${name}`);
const sqsArn = (q) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${q}`;

const busNotFound = (n) => `Event bus ${n} does not exist.`;
const ruleNotFound = (r, bus = 'default') => `Rule ${r} does not exist on EventBus ${bus}.`;

/* test_events.py TEST_EVENT_PATTERN, sent with Python json.dumps spacing. */
const PATTERN = '{"source": ["core.update-account-command"], "detail-type": ' +
    '["core.update-account-command"], "detail": {"command": ["update-account"]}}';
/* Odd but valid spacing: DescribeRule / ListRules must return it byte for byte. */
const PATTERN_ODD = '{ "source":["core.update-account-command"] ,\n  "detail" : {"command": ["a","b"]}}';

const BUS_MEMBERS = ['Arn', 'CreationTime', 'LastModifiedTime', 'Name'];
const RULE_LIST_MEMBERS = ['Arn', 'EventBusName', 'EventPattern', 'Name', 'State'];
const RULE_DESCRIBE_MEMBERS = ['Arn', 'CreatedBy', 'EventBusName', 'EventPattern', 'Name', 'State'];

const createBus = (Name, extra = {}) => send(CreateEventBusCommand, { Name, ...extra });
const putRule = (input) => send(PutRuleCommand, input);
const describeRule = (Name, EventBusName) => send(DescribeRuleCommand, { Name, EventBusName });

async function policyOf(Name) {
    const d = await send(DescribeEventBusCommand, { Name });
    assert.equal(typeof d.Policy, 'string', 'Policy is a JSON string on the wire');
    return JSON.parse(d.Policy);
}

const bySid = (a, b) => (a.Sid < b.Sid ? -1 : a.Sid > b.Sid ? 1 : 0);

/* ================================================================= buses */

describe('event buses', () => {
    test('the default bus exists, is described and listed', async () => {
        for (const input of [{}, { Name: 'default' }, { Name: busArn('default') }]) {
            const d = await send(DescribeEventBusCommand, input);
            assert.deepEqual(members(d), BUS_MEMBERS, JSON.stringify(input));
            assert.equal(d.Name, 'default');
            assert.equal(d.Arn, 'arn:aws:events:us-east-1:000000000000:event-bus/default');
            assertRecent(d.CreationTime, T0, 'default CreationTime');
            assertRecent(d.LastModifiedTime, T0, 'default LastModifiedTime');
        }
        const l = await send(ListEventBusesCommand, {});
        const def = l.EventBuses.filter((b) => b.Name === 'default');
        assert.equal(def.length, 1, 'default is listed once');
        assert.deepEqual(Object.keys(def[0]).sort(), BUS_MEMBERS);
        assert.equal(def[0].Arn, busArn('default'));

        const lp = await send(ListEventBusesCommand, { NamePrefix: 'default' });
        assert.deepEqual(lp.EventBuses.map((b) => b.Name), ['default']);
    });

    test('create / list / describe / delete a custom bus (test_create_list_describe_delete_custom_event_buses[False])',
        async () => {
            const name = 'bus-plain';
            const t0 = Date.now();
            const c = await createBus(name);
            assert.deepEqual(body(c), { EventBusArn: busArn(name) });

            const l = await send(ListEventBusesCommand, { NamePrefix: name });
            assert.equal(l.EventBuses.length, 1);
            assert.deepEqual(Object.keys(l.EventBuses[0]).sort(), BUS_MEMBERS);
            assert.equal(l.EventBuses[0].Name, name);
            assert.equal(l.EventBuses[0].Arn, busArn(name));
            assert.equal('NextToken' in l, false);

            const d = await send(DescribeEventBusCommand, { Name: name });
            assert.deepEqual(members(d), BUS_MEMBERS);
            assert.equal(d.Name, name);
            assert.equal(d.Arn, busArn(name));
            assertRecent(d.CreationTime, t0, 'CreationTime');
            assertRecent(d.LastModifiedTime, t0, 'LastModifiedTime');

            const del = await send(DeleteEventBusCommand, { Name: name });
            assert.deepEqual(body(del), {});
            assert.equal(del.$metadata.httpStatusCode, 200);
            assert.deepEqual(body(await send(ListEventBusesCommand, { NamePrefix: name })),
                { EventBuses: [] });
            await expectError(send(DescribeEventBusCommand, { Name: name }),
                'ResourceNotFoundException', busNotFound(name));
        });

    test('create with Description (test_create_list_describe_delete_custom_event_buses[True])', async () => {
        const name = 'bus-desc';
        const c = await createBus(name, { Description: 'test bus' });
        assert.deepEqual(body(c), { Description: 'test bus', EventBusArn: busArn(name) });
        const d = await send(DescribeEventBusCommand, { Name: name });
        assert.deepEqual(members(d), [...BUS_MEMBERS, 'Description'].sort());
        assert.equal(d.Description, 'test bus');
        const l = await send(ListEventBusesCommand, { NamePrefix: name });
        assert.deepEqual(Object.keys(l.EventBuses[0]).sort(), [...BUS_MEMBERS, 'Description'].sort());
        assert.equal(l.EventBuses[0].Description, 'test bus');
    });

    test('create with KmsKeyIdentifier, DeadLetterConfig, LogConfig echoes them', async () => {
        const key = await kms.send(new CreateKeyCommand({ Description: 'bus key' }));
        const name = 'bus-full';
        const extra = {
            Description: 'all options',
            KmsKeyIdentifier: key.KeyMetadata.Arn,
            DeadLetterConfig: { Arn: sqsArn('bus-dlq') },
            LogConfig: { IncludeDetail: 'FULL', Level: 'INFO' },
        };
        const c = await createBus(name, extra);
        assert.deepEqual(body(c), { EventBusArn: busArn(name), ...extra });
        /* DescribeEventBusResponse models the same members [Model] */
        const d = await send(DescribeEventBusCommand, { Name: name });
        for (const [k, v] of Object.entries(extra))
            assert.deepEqual(d[k], v, `DescribeEventBus ${k}`);
    });

    test('duplicate name (test_create_multiple_event_buses_same_name)', async () => {
        await createBus('bus-dup');
        await expectError(createBus('bus-dup'), 'ResourceAlreadyExistsException',
            'Event bus bus-dup already exists.');
    });

    test('describe by name and by ARN; unknown bus (test_describe_delete_not_existing_event_bus)', async () => {
        const name = 'bus-by-arn';
        await createBus(name);
        const byName = await send(DescribeEventBusCommand, { Name: name });
        const byArn = await send(DescribeEventBusCommand, { Name: busArn(name) });
        assert.deepEqual(body(byArn), body(byName));

        await expectError(send(DescribeEventBusCommand, { Name: 'bus-missing' }),
            'ResourceNotFoundException', busNotFound('bus-missing'));
        /* AWS answers 200 for a missing bus (the recorded error is a known test artefact) */
        const del = await send(DeleteEventBusCommand, { Name: 'bus-missing' });
        assert.equal(del.$metadata.httpStatusCode, 200);
        assert.deepEqual(body(del), {});
    });

    test('the default bus cannot be deleted (test_delete_default_event_bus)', async () => {
        await expectError(send(DeleteEventBusCommand, { Name: 'default' }),
            'ValidationException', 'Cannot delete event bus default.');
        assert.equal((await send(DescribeEventBusCommand, {})).Name, 'default');
    });

    test('deleting a bus deletes its rules and targets', async () => {
        const bus = 'bus-with-rules';
        await createBus(bus);
        await putRule({ Name: 'r1', EventBusName: bus, EventPattern: PATTERN });
        await putRule({ Name: 'r2', EventBusName: bus, EventPattern: PATTERN });
        await send(PutTargetsCommand, {
            Rule: 'r1', EventBusName: bus, Targets: [{ Id: 't1', Arn: sqsArn('q-bus-del') }],
        });
        await send(DeleteEventBusCommand, { Name: bus });

        await expectError(send(ListRulesCommand, { EventBusName: bus }),
            'ResourceNotFoundException', busNotFound(bus));
        await createBus(bus);
        assert.deepEqual(body(await send(ListRulesCommand, { EventBusName: bus })), { Rules: [] });
        await expectError(describeRule('r1', bus), 'ResourceNotFoundException', ruleNotFound('r1', bus));
        /* a re-created rule of the same name starts without targets */
        await putRule({ Name: 'r1', EventBusName: bus, EventPattern: PATTERN });
        assert.deepEqual(body(await send(ListTargetsByRuleCommand, { Rule: 'r1', EventBusName: bus })),
            { Targets: [] });
        assert.deepEqual(body(await send(ListRuleNamesByTargetCommand, {
            TargetArn: sqsArn('q-bus-del'), EventBusName: bus,
        })), { RuleNames: [] });
    });

    test('ListEventBuses NamePrefix (test_list_event_buses_with_prefix)', async () => {
        await createBus('pfx-alpha-bus');
        await createBus('pfx-beta-bus');
        for (const prefix of ['pfx-alpha', 'pfx-alpha-bus']) {
            const l = await send(ListEventBusesCommand, { NamePrefix: prefix });
            assert.deepEqual(l.EventBuses.map((b) => b.Name), ['pfx-alpha-bus'], prefix);
            assert.deepEqual(Object.keys(l.EventBuses[0]).sort(), BUS_MEMBERS);
        }
        const both = await send(ListEventBusesCommand, { NamePrefix: 'pfx-' });
        assert.deepEqual(both.EventBuses.map((b) => b.Name), ['pfx-alpha-bus', 'pfx-beta-bus']);
        assert.deepEqual(body(await send(ListEventBusesCommand, { NamePrefix: 'pfx-none' })),
            { EventBuses: [] });
    });

    test('ListEventBuses Limit 3 over 6 buses (test_list_event_buses_with_limit)', async () => {
        /* created out of order: pages follow name order */
        for (const i of [3, 0, 5, 1, 4, 2])
            await createBus(`lim-bus-${i}`);
        const p1 = await send(ListEventBusesCommand, { NamePrefix: 'lim-bus-', Limit: 3 });
        assert.deepEqual(members(p1), ['EventBuses', 'NextToken']);
        assert.deepEqual(p1.EventBuses.map((b) => b.Name), ['lim-bus-0', 'lim-bus-1', 'lim-bus-2']);
        assert.deepEqual(p1.EventBuses.map((b) => b.Arn), [0, 1, 2].map((i) => busArn(`lim-bus-${i}`)));
        assert.equal(typeof p1.NextToken, 'string');
        assert.ok(p1.NextToken.length > 0);
        const p2 = await send(ListEventBusesCommand, {
            NamePrefix: 'lim-bus-', Limit: 3, NextToken: p1.NextToken,
        });
        assert.deepEqual(members(p2), ['EventBuses']);
        assert.deepEqual(p2.EventBuses.map((b) => b.Name), ['lim-bus-3', 'lim-bus-4', 'lim-bus-5']);
        for (const e of [...p1.EventBuses, ...p2.EventBuses])
            assert.deepEqual(Object.keys(e).sort(), BUS_MEMBERS);
    });

    test('UpdateEventBus changes the description', async () => {
        const name = 'bus-update';
        await createBus(name, { Description: 'before' });
        const before = await send(DescribeEventBusCommand, { Name: name });
        const u = await send(UpdateEventBusCommand, { Name: name, Description: 'after' });
        assert.equal(u.Arn, busArn(name));
        assert.equal(u.Description, 'after');
        const d = await send(DescribeEventBusCommand, { Name: name });
        assert.equal(d.Description, 'after');
        assert.equal(d.CreationTime.getTime(), before.CreationTime.getTime());
        assert.ok(d.LastModifiedTime.getTime() >= before.LastModifiedTime.getTime());
        await expectError(send(UpdateEventBusCommand, { Name: 'bus-update-missing', Description: 'x' }),
            'ResourceNotFoundException', busNotFound('bus-update-missing'));
    });
});

/* =========================================================== permissions */

describe('permissions', () => {
    const stmt = (Sid, bus, principal) => ({
        Sid,
        Effect: 'Allow',
        Principal: principal === '*' ? '*' : { AWS: `arn:aws:iam::${principal}:root` },
        Action: 'events:PutEvents',
        Resource: busArn(bus),
    });

    for (const kind of ['custom', 'default']) {
        test(`PutPermission / RemovePermission (test_put_permission[${kind}], test_remove_permission[${kind}])`,
            async () => {
                const bus = kind === 'default' ? 'default' : 'bus-perm';
                if (kind === 'custom')
                    await createBus(bus);
                const p = await send(PutPermissionCommand, {
                    EventBusName: bus, Action: 'events:PutEvents', Principal: '111111111111', StatementId: 's1',
                });
                assert.deepEqual(body(p), {});
                const d = await send(DescribeEventBusCommand, { Name: bus });
                assert.deepEqual(members(d), [...BUS_MEMBERS, 'Policy'].sort());
                assert.deepEqual(JSON.parse(d.Policy), {
                    Version: '2012-10-17', Statement: [stmt('s1', bus, '111111111111')],
                });

                await send(PutPermissionCommand, {
                    EventBusName: bus, Action: 'events:PutEvents', Principal: ACCOUNT, StatementId: 's2',
                });
                await send(PutPermissionCommand, {
                    EventBusName: bus, Action: 'events:PutEvents', Principal: '*', StatementId: 's3',
                });
                /* the same StatementId again replaces, it does not add */
                await send(PutPermissionCommand, {
                    EventBusName: bus, Action: 'events:PutEvents', Principal: '*', StatementId: 's3',
                });
                let pol = await policyOf(bus);
                assert.equal(pol.Version, '2012-10-17');
                assert.deepEqual([...pol.Statement].sort(bySid), [
                    stmt('s1', bus, '111111111111'), stmt('s2', bus, ACCOUNT), stmt('s3', bus, '*')]);

                /* Policy is listed too */
                const l = await send(ListEventBusesCommand, { NamePrefix: bus });
                const entry = l.EventBuses.find((b) => b.Name === bus);
                assert.equal(typeof entry.Policy, 'string');
                assert.deepEqual(JSON.parse(entry.Policy), pol);

                const r = await send(RemovePermissionCommand, { EventBusName: bus, StatementId: 's1' });
                assert.deepEqual(body(r), {});
                pol = await policyOf(bus);
                assert.deepEqual([...pol.Statement].sort(bySid), [stmt('s2', bus, ACCOUNT), stmt('s3', bus, '*')]);

                await expectError(send(RemovePermissionCommand, { EventBusName: bus, StatementId: 's1' }),
                    'ResourceNotFoundException', 'Statement with the provided id does not exist.');

                /* a whole policy document replaces the statements */
                const doc = {
                    Version: '2012-10-17',
                    Statement: [{
                        Sid: 's5', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' },
                        Action: 'events:ListRules', Resource: '*',
                    }],
                };
                assert.deepEqual(body(await send(PutPermissionCommand, {
                    EventBusName: bus, Policy: JSON.stringify(doc),
                })), {});
                assert.deepEqual(await policyOf(bus), doc);

                const all = await send(RemovePermissionCommand, { EventBusName: bus, RemoveAllPermissions: true });
                assert.deepEqual(body(all), {});
                const after = await send(DescribeEventBusCommand, { Name: bus });
                assert.deepEqual(members(after), BUS_MEMBERS, 'no Policy after RemoveAllPermissions');
            });
    }

    for (const policyExists of [true, false]) {
        test(`RemovePermission of an unknown sid (test_remove_permission_non_existing_sid[${policyExists}-custom])`,
            async () => {
                const bus = `bus-perm-sid-${policyExists}`;
                await createBus(bus);
                if (policyExists) {
                    await send(PutPermissionCommand, {
                        EventBusName: bus, Action: 'events:PutEvents', Principal: ACCOUNT, StatementId: 'x1',
                    });
                }
                await expectError(
                    send(RemovePermissionCommand, { EventBusName: bus, StatementId: 'non-existing-sid' }),
                    'ResourceNotFoundException', 'Statement with the provided id does not exist.');
            });
    }

    test('PutPermission on an unknown bus (test_put_permission_non_existing_event_bus)', async () => {
        await expectError(send(PutPermissionCommand, {
            EventBusName: 'bus-perm-missing', Action: 'events:PutEvents', Principal: '*', StatementId: 'x',
        }), 'ResourceNotFoundException', busNotFound('bus-perm-missing'));
    });
});

/* ================================================================= rules */

describe('rules', () => {
    test('PutRule on the default bus: RuleArn, DescribeRule, ListRules, DeleteRule '
        + '(test_put_list_with_prefix_describe_delete_rule[default])', async () => {
        const name = 'rule-def';
        const p = await putRule({ Name: name, EventPattern: PATTERN });
        assert.deepEqual(body(p), { RuleArn: 'arn:aws:events:us-east-1:000000000000:rule/rule-def' });

        const l = await send(ListRulesCommand, { NamePrefix: name });
        assert.deepEqual(body(l), {
            Rules: [{
                Arn: ruleArn(name), EventBusName: 'default', EventPattern: PATTERN, Name: name, State: 'ENABLED',
            }],
        });

        const d = await describeRule(name);
        assert.deepEqual(body(d), {
            Arn: ruleArn(name), CreatedBy: ACCOUNT, EventBusName: 'default', EventPattern: PATTERN,
            Name: name, State: 'ENABLED',
        });
        /* EventBusName "default" given explicitly, and as an ARN */
        assert.deepEqual(body(await describeRule(name, 'default')), body(d));
        assert.deepEqual(body(await describeRule(name, busArn('default'))), body(d));

        const del = await send(DeleteRuleCommand, { Name: name });
        assert.deepEqual(body(del), {});
        assert.deepEqual(body(await send(ListRulesCommand, { NamePrefix: name })), { Rules: [] });
        await expectError(describeRule(name), 'ResourceNotFoundException', ruleNotFound(name));
    });

    test('PutRule on a custom bus, by name and by ARN (test_put_list_with_prefix_describe_delete_rule[custom])',
        async () => {
            const bus = 'bus-rules';
            await createBus(bus);
            const p = await putRule({ Name: 'rule-c1', EventBusName: bus, EventPattern: PATTERN });
            assert.deepEqual(body(p), {
                RuleArn: 'arn:aws:events:us-east-1:000000000000:rule/bus-rules/rule-c1',
            });
            const p2 = await putRule({ Name: 'rule-c2', EventBusName: busArn(bus), EventPattern: PATTERN });
            assert.deepEqual(body(p2), { RuleArn: ruleArn('rule-c2', bus) });

            for (const b of [bus, busArn(bus)]) {
                const l = await send(ListRulesCommand, { EventBusName: b, NamePrefix: 'rule-c' });
                assert.deepEqual(l.Rules.map((r) => r.Name), ['rule-c1', 'rule-c2']);
                for (const r of l.Rules) {
                    assert.deepEqual(Object.keys(r).sort(), RULE_LIST_MEMBERS);
                    assert.equal(r.EventBusName, bus);
                    assert.equal(r.Arn, ruleArn(r.Name, bus));
                }
                const d = await describeRule('rule-c2', b);
                assert.deepEqual(body(d), {
                    Arn: ruleArn('rule-c2', bus), CreatedBy: ACCOUNT, EventBusName: bus, EventPattern: PATTERN,
                    Name: 'rule-c2', State: 'ENABLED',
                });
            }
            /* the rule does not exist on the default bus */
            await expectError(describeRule('rule-c1'), 'ResourceNotFoundException', ruleNotFound('rule-c1'));
            await send(DeleteRuleCommand, { Name: 'rule-c1', EventBusName: bus });
            await expectError(describeRule('rule-c1', bus), 'ResourceNotFoundException',
                ruleNotFound('rule-c1', bus));
        });

    test('EventPattern is returned exactly as sent; optional members', async () => {
        const name = 'rule-members';
        await putRule({
            Name: name, EventPattern: PATTERN_ODD, Description: 'a rule',
            RoleArn: `arn:aws:iam::${ACCOUNT}:role/eb-role`, State: 'DISABLED',
        });
        const d = await describeRule(name);
        assert.deepEqual(members(d), [...RULE_DESCRIBE_MEMBERS, 'Description', 'RoleArn'].sort());
        assert.equal(d.EventPattern, PATTERN_ODD);
        assert.equal(d.Description, 'a rule');
        assert.equal(d.RoleArn, `arn:aws:iam::${ACCOUNT}:role/eb-role`);
        assert.equal(d.State, 'DISABLED');
        const l = await send(ListRulesCommand, { NamePrefix: name });
        assert.deepEqual(Object.keys(l.Rules[0]).sort(), [...RULE_LIST_MEMBERS, 'Description', 'RoleArn'].sort());
        assert.equal(l.Rules[0].EventPattern, PATTERN_ODD);
        assert.equal('CreatedBy' in l.Rules[0], false);
    });

    test('re-put replaces members and keeps targets (test_put_multiple_rules_with_same_name, '
        + 'test_update_rule_with_targets)', async () => {
        const bus = 'bus-reput';
        await createBus(bus);
        const name = 'rule-reput';
        const first = await putRule({
            Name: name, EventBusName: bus, EventPattern: PATTERN, Description: 'first',
            RoleArn: `arn:aws:iam::${ACCOUNT}:role/r1`,
        });
        await send(PutTargetsCommand, {
            Rule: name, EventBusName: bus, Targets: [{ Id: 'keep-me', Arn: sqsArn('q-reput') }],
        });
        const second = await putRule({ Name: name, EventBusName: bus, EventPattern: PATTERN_ODD, State: 'DISABLED' });
        assert.equal(second.RuleArn, first.RuleArn);
        assert.equal(second.RuleArn, ruleArn(name, bus));

        const d = await describeRule(name, bus);
        assert.deepEqual(body(d), {
            Arn: ruleArn(name, bus), CreatedBy: ACCOUNT, EventBusName: bus, EventPattern: PATTERN_ODD,
            Name: name, State: 'DISABLED',
        }, 'Description and RoleArn omitted on re-put become unset');
        const l = await send(ListRulesCommand, { EventBusName: bus, NamePrefix: name });
        assert.equal(l.Rules.length, 1, 're-put does not duplicate the rule');
        assert.deepEqual(body(await send(ListTargetsByRuleCommand, { Rule: name, EventBusName: bus })),
            { Targets: [{ Arn: sqsArn('q-reput'), Id: 'keep-me' }] });
    });

    test('ListRules NamePrefix and Limit paging (test_list_rule_with_limit)', async () => {
        const bus = 'bus-rule-limit';
        await createBus(bus);
        for (const i of [4, 1, 5, 0, 3, 2])
            await putRule({ Name: `lim-rule-${i}`, EventBusName: bus, EventPattern: PATTERN });
        await putRule({ Name: 'other-rule', EventBusName: bus, EventPattern: PATTERN });

        const p1 = await send(ListRulesCommand, { EventBusName: bus, NamePrefix: 'lim-rule-', Limit: 3 });
        assert.deepEqual(members(p1), ['NextToken', 'Rules']);
        assert.deepEqual(p1.Rules.map((r) => r.Name), ['lim-rule-0', 'lim-rule-1', 'lim-rule-2']);
        const p2 = await send(ListRulesCommand, {
            EventBusName: bus, NamePrefix: 'lim-rule-', Limit: 3, NextToken: p1.NextToken,
        });
        assert.deepEqual(members(p2), ['Rules']);
        assert.deepEqual(p2.Rules.map((r) => r.Name), ['lim-rule-3', 'lim-rule-4', 'lim-rule-5']);
        for (const r of [...p1.Rules, ...p2.Rules]) {
            assert.deepEqual(r, {
                Arn: ruleArn(r.Name, bus), EventBusName: bus, EventPattern: PATTERN, Name: r.Name, State: 'ENABLED',
            });
        }
        const all = await send(ListRulesCommand, { EventBusName: bus });
        assert.deepEqual(all.Rules.map((r) => r.Name),
            ['lim-rule-0', 'lim-rule-1', 'lim-rule-2', 'lim-rule-3', 'lim-rule-4', 'lim-rule-5', 'other-rule']);
        assert.deepEqual(body(await send(ListRulesCommand, { EventBusName: bus, NamePrefix: 'zzz' })),
            { Rules: [] });
    });

    test('neither EventPattern nor ScheduleExpression', async () => {
        await expectError(putRule({ Name: 'rule-empty' }), 'ValidationException',
            'Parameter(s) EventPattern or ScheduleExpression must be specified.');
        await expectError(describeRule('rule-empty'), 'ResourceNotFoundException', ruleNotFound('rule-empty'));
    });

    test('ScheduleExpression on a custom bus (tests_put_rule_with_schedule_custom_event_bus)', async () => {
        const bus = 'bus-sched';
        await createBus(bus);
        await expectError(putRule({ Name: 'rule-sched', EventBusName: bus, ScheduleExpression: 'rate(1 minute)' }),
            'ValidationException', 'ScheduleExpression is supported only on the default event bus.');
    });

    const ACCEPTED = [
        /* test_events_schedule: TestScheduleCron::tests_put_rule_with_schedule_cron[...] */
        'cron(0 20 * * ? *)', 'cron(0 10 * * ? *)', 'cron(15 12 * * ? *)', 'cron(0 18 ? * MON-FRI *)',
        'cron(0 8 1 * ? *)', 'cron(0/15 * * * ? *)', 'cron(0/10 * ? * MON-FRI *)',
        'cron(0/5 8-17 ? * MON-FRI *)', 'cron(0/30 20-23 ? * MON-FRI *)', 'cron(0/30 0-2 ? * MON-FRI *)',
        'cron(0 2 ? * SAT *)', 'cron(0 12 * * ? *)', 'cron(5,35 14 * * ? *)', 'cron(15 10 ? * 6L 2002-2005)',
        'cron(0 2 ? * SAT#3 *)', 'cron(* * ? * SAT#3 *)', 'cron(0/5 5 ? JAN 1-5 2022)',
        /* TestScheduleRate::test_put_rule_with_schedule_rate, and the documented rate forms */
        'rate(1 minute)', 'rate(5 minutes)', 'rate(1 hour)', 'rate(12 hours)', 'rate(1 day)', 'rate(7 days)',
    ];
    const REFUSED = [
        'cron(INVALID)', 'cron(0 dummy ? * MON-FRI *)', 'cron(7 20 * * NOT *)', 'cron(71 8 1 * ? *)',
        'cron(0 1 * * * *)',
    ];

    test(`${ACCEPTED.length} accepted ScheduleExpressions (tests_put_rule_with_schedule_cron / _rate)`, async () => {
        const bad = [];
        for (const [i, expr] of ACCEPTED.entries()) {
            const name = `sched-ok-${i}`;
            try {
                const p = await putRule({ Name: name, ScheduleExpression: expr });
                assert.deepEqual(body(p), { RuleArn: ruleArn(name) });
                const l = await send(ListRulesCommand, { NamePrefix: name });
                assert.deepEqual(body(l), {
                    Rules: [{
                        Arn: ruleArn(name), EventBusName: 'default', Name: name, ScheduleExpression: expr,
                        State: 'ENABLED',
                    }],
                });
                const d = await describeRule(name);
                assert.deepEqual(body(d), {
                    Arn: ruleArn(name), CreatedBy: ACCOUNT, EventBusName: 'default', Name: name,
                    ScheduleExpression: expr, State: 'ENABLED',
                });
                await send(DeleteRuleCommand, { Name: name });
            } catch (e) {
                bad.push(`${expr}: ${e.name}: ${e.message}`);
            }
        }
        assert.deepEqual(bad, [], 'every accepted expression is accepted');
    });

    test(`${REFUSED.length} refused ScheduleExpressions (tests_put_rule_with_invalid_schedule_cron)`, async () => {
        for (const [i, expr] of REFUSED.entries()) {
            await expectError(putRule({ Name: `sched-bad-${i}`, ScheduleExpression: expr }),
                'ValidationException', 'Parameter ScheduleExpression is not valid.');
            await expectError(describeRule(`sched-bad-${i}`), 'ResourceNotFoundException',
                ruleNotFound(`sched-bad-${i}`));
        }
    });

    test('schedule and pattern together on the default bus are stored', async () => {
        const name = 'rule-both';
        await putRule({ Name: name, ScheduleExpression: 'rate(5 minutes)', EventPattern: PATTERN });
        const d = await describeRule(name);
        assert.equal(d.ScheduleExpression, 'rate(5 minutes)');
        assert.equal(d.EventPattern, PATTERN);
        await send(DeleteRuleCommand, { Name: name });
    });

    /* event_pattern_templates: Message cut before the Jackson location line */
    const BAD_PATTERNS = [
        ['int_nolist_EXC', '{"int": 42}', '"int" must be an object or an array'],
        ['arrays_empty_EXC', '{"resources": []}', 'Empty arrays are not allowed'],
        ['content_numeric_EXC', '{"detail": {"c-count": [{"numeric": [">", 0, ">", 0]}]}}',
            'Bad numeric range operator: >'],
        ['operator_case_sensitive_EXC', '{"my_key": [{"EXISTS": true}]}', 'Unrecognized match type EXISTS'],
        ['content_ip_address_EXC', '{"detail": {"sourceIPAddress": [{"cidr": "bad-filter"}]}}',
            "Malformed CIDR, one '/' required"],
        ['invalid JSON', '{"not": closed mark"',
            "Unrecognized token 'closed': was expecting (JSON String, Number, Array, Object or token " +
            "'null', 'true' or 'false')"],
        ['not an object', '["not", "a", "dict", "but valid json"]', 'Filter is not an object'],
    ];
    for (const [label, pattern, reason] of BAD_PATTERNS) {
        test(`PutRule with an invalid pattern: ${label}`, async () => {
            let err;
            try {
                await putRule({ Name: 'rule-bad-pattern', EventPattern: pattern });
            } catch (e) {
                err = e;
            }
            assert.ok(err, 'PutRule should fail');
            assert.equal(err.name, 'InvalidEventPatternException');
            assert.equal(err.$metadata.httpStatusCode, 400);
            assert.equal(err.message.split('\n at [Source:')[0], `Event pattern is not valid. Reason: ${reason}`);
            await expectError(describeRule('rule-bad-pattern'), 'ResourceNotFoundException',
                ruleNotFound('rule-bad-pattern'));
        });
    }

    test('unknown event bus', async () => {
        const missing = 'bus-rule-missing';
        await expectError(putRule({ Name: 'r', EventBusName: missing, EventPattern: PATTERN }),
            'ResourceNotFoundException', busNotFound(missing));
        await expectError(putRule({ Name: 'r', EventBusName: busArn(missing), EventPattern: PATTERN }),
            'ResourceNotFoundException', busNotFound(missing));
        await expectError(send(ListRulesCommand, { EventBusName: missing }),
            'ResourceNotFoundException', busNotFound(missing));
        await expectError(send(DeleteRuleCommand, { Name: 'r', EventBusName: missing }),
            'ResourceNotFoundException', busNotFound(missing));
    });

    /* validation.md §4.2: other operations naming an unknown bus (Inferred) */
    for (const [op, Cmd, input] of [
        ['DescribeRule', DescribeRuleCommand, { Name: 'r' }],
        ['EnableRule', EnableRuleCommand, { Name: 'r' }],
        ['DisableRule', DisableRuleCommand, { Name: 'r' }],
        ['ListRuleNamesByTarget', ListRuleNamesByTargetCommand, { TargetArn: sqsArn('q') }],
    ]) {
        test(`${op} on an unknown bus`, async () => {
            await expectError(send(Cmd, { ...input, EventBusName: 'bus-rule-missing' }),
                'ResourceNotFoundException', busNotFound('bus-rule-missing'));
        });
    }

    test('DescribeRule of an unknown rule (test_describe_nonexistent_rule)', async () => {
        await expectError(describeRule('rule-nope'), 'ResourceNotFoundException', ruleNotFound('rule-nope'));
        await createBus('bus-describe-missing');
        await expectError(describeRule('rule-nope', 'bus-describe-missing'), 'ResourceNotFoundException',
            ruleNotFound('rule-nope', 'bus-describe-missing'));
    });

    for (const kind of ['default', 'custom']) {
        test(`DisableRule / EnableRule (test_disable_re_enable_rule[${kind}])`, async () => {
            const bus = kind === 'default' ? 'default' : 'bus-enable';
            if (kind === 'custom')
                await createBus(bus);
            const name = `rule-toggle-${kind}`;
            await putRule({ Name: name, EventBusName: bus, EventPattern: PATTERN });
            const expected = (State) => ({
                Arn: ruleArn(name, bus), CreatedBy: ACCOUNT, EventBusName: bus, EventPattern: PATTERN,
                Name: name, State,
            });
            const dis = await send(DisableRuleCommand, { Name: name, EventBusName: bus });
            assert.deepEqual(body(dis), {});
            assert.equal(dis.$metadata.httpStatusCode, 200);
            assert.deepEqual(body(await describeRule(name, bus)), expected('DISABLED'));
            const en = await send(EnableRuleCommand, { Name: name, EventBusName: bus });
            assert.deepEqual(body(en), {});
            assert.deepEqual(body(await describeRule(name, bus)), expected('ENABLED'));

            await expectError(send(EnableRuleCommand, { Name: 'rule-toggle-nope', EventBusName: bus }),
                'ResourceNotFoundException', ruleNotFound('rule-toggle-nope', bus));
            await expectError(send(DisableRuleCommand, { Name: 'rule-toggle-nope', EventBusName: bus }),
                'ResourceNotFoundException', ruleNotFound('rule-toggle-nope', bus));
        });
    }

    test('DeleteRule with targets fails; unknown rule succeeds (test_delete_rule_with_targets)', async () => {
        const name = 'rule-with-targets';
        await putRule({ Name: name, EventPattern: PATTERN });
        await send(PutTargetsCommand, { Rule: name, Targets: [{ Id: 't1', Arn: sqsArn('q-del') }] });
        await expectError(send(DeleteRuleCommand, { Name: name }), 'ValidationException',
            "Rule can't be deleted since it has targets.");
        assert.equal((await describeRule(name)).Name, name, 'the rule is still there');
        await send(RemoveTargetsCommand, { Rule: name, Ids: ['t1'] });
        assert.deepEqual(body(await send(DeleteRuleCommand, { Name: name })), {});
        await expectError(describeRule(name), 'ResourceNotFoundException', ruleNotFound(name));

        const missing = await send(DeleteRuleCommand, { Name: 'rule-never-existed' });
        assert.equal(missing.$metadata.httpStatusCode, 200);
        assert.deepEqual(body(missing), {});
    });
});

/* ================================================ ListRuleNamesByTarget */

describe('ListRuleNamesByTarget', () => {
    for (const kind of ['default', 'custom']) {
        const bus = kind === 'default' ? 'default' : `bus-rnbt-${kind}`;
        const prefix = `rnbt-${kind}-`;

        test(`3 rules with the target, 1 without (test_list_rule_names_by_target[${kind}])`, async () => {
            if (kind === 'custom')
                await createBus(bus);
            const target = sqsArn(`q-rnbt-${kind}`);
            for (const i of [2, 0, 1]) {
                await putRule({ Name: `${prefix}${i}`, EventBusName: bus, EventPattern: `{"source": ["s-${i}"]}` });
                await send(PutTargetsCommand, {
                    Rule: `${prefix}${i}`, EventBusName: bus, Targets: [{ Id: `target-${i}`, Arn: target }],
                });
            }
            await putRule({ Name: `${prefix}other`, EventBusName: bus, EventPattern: '{"source": ["other"]}' });
            await send(PutTargetsCommand, {
                Rule: `${prefix}other`, EventBusName: bus,
                Targets: [{ Id: 'target-other', Arn: sqsArn(`q-rnbt-${kind}-other`) }],
            });
            const r = await send(ListRuleNamesByTargetCommand, { TargetArn: target, EventBusName: bus });
            assert.deepEqual(body(r), { RuleNames: [`${prefix}0`, `${prefix}1`, `${prefix}2`] });
        });

        test(`Limit 2 over 5 rules (test_list_rule_names_by_target_with_limit[${kind}])`, async () => {
            const b = kind === 'custom' ? `${bus}-lim` : bus;
            if (kind === 'custom')
                await createBus(b);
            const target = sqsArn(`q-rnbt-lim-${kind}`);
            for (let i = 0; i < 5; i++) {
                await putRule({ Name: `${prefix}lim-${i}`, EventBusName: b, EventPattern: `{"source": ["s-${i}"]}` });
                await send(PutTargetsCommand, {
                    Rule: `${prefix}lim-${i}`, EventBusName: b, Targets: [{ Id: `target-${i}`, Arn: target }],
                });
            }
            const p1 = await send(ListRuleNamesByTargetCommand, { TargetArn: target, EventBusName: b, Limit: 2 });
            assert.deepEqual(members(p1), ['NextToken', 'RuleNames']);
            assert.deepEqual(p1.RuleNames, [`${prefix}lim-0`, `${prefix}lim-1`]);
            const p2 = await send(ListRuleNamesByTargetCommand, {
                TargetArn: target, EventBusName: b, Limit: 2, NextToken: p1.NextToken,
            });
            assert.deepEqual(members(p2), ['NextToken', 'RuleNames']);
            assert.deepEqual(p2.RuleNames, [`${prefix}lim-2`, `${prefix}lim-3`]);
            assert.notEqual(p2.NextToken, p1.NextToken);
            const p3 = await send(ListRuleNamesByTargetCommand, {
                TargetArn: target, EventBusName: b, Limit: 2, NextToken: p2.NextToken,
            });
            assert.deepEqual(body(p3), { RuleNames: [`${prefix}lim-4`] });
        });

        test(`no matches (test_list_rule_names_by_target_no_matches[${kind}])`, async () => {
            const b = kind === 'custom' ? `${bus}-none` : bus;
            if (kind === 'custom')
                await createBus(b);
            await putRule({ Name: `${prefix}none`, EventBusName: b, EventPattern: PATTERN });
            await send(PutTargetsCommand, {
                Rule: `${prefix}none`, EventBusName: b, Targets: [{ Id: 't', Arn: sqsArn(`q-rnbt-none-a-${kind}`) }],
            });
            const r = await send(ListRuleNamesByTargetCommand, {
                TargetArn: sqsArn(`q-rnbt-none-b-${kind}`), EventBusName: b,
            });
            assert.deepEqual(body(r), { RuleNames: [] });
        });
    }

    test('only rules on the given bus are listed', async () => {
        const target = sqsArn('q-rnbt-default');
        /* the custom-bus rules of the same prefix target another queue; default has 3 */
        const r = await send(ListRuleNamesByTargetCommand, { TargetArn: target });
        assert.deepEqual(r.RuleNames, ['rnbt-default-0', 'rnbt-default-1', 'rnbt-default-2']);
        await createBus('bus-rnbt-cross');
        assert.deepEqual(body(await send(ListRuleNamesByTargetCommand, {
            TargetArn: target, EventBusName: 'bus-rnbt-cross',
        })), { RuleNames: [] });
    });
});

/* ================================================================== tags */

describe('tags', () => {
    const TAGS = [{ Key: 'tag1', Value: 'value1' }, { Key: 'tag2', Value: 'value2' }];
    const listTags = (ResourceARN) => send(ListTagsForResourceCommand, { ResourceARN });

    for (const resource of ['event_bus', 'rule']) {
        for (const busKind of ['event_bus_default', 'event_bus_custom']) {
            test(`tag / list / untag (tests_tag_untag_resource[${resource}-${busKind}])`, async () => {
                let bus = 'default';
                let arn = busArn('default');
                if (busKind === 'event_bus_custom') {
                    bus = `bus-tags-${resource}`;
                    arn = (await createBus(bus)).EventBusArn;
                }
                if (resource === 'rule')
                    arn = (await putRule({ Name: `rule-tags-${busKind}`, EventBusName: bus, EventPattern: PATTERN })).RuleArn;

                const t = await send(TagResourceCommand, { ResourceARN: arn, Tags: TAGS });
                assert.deepEqual(body(t), {});
                assert.deepEqual(body(await listTags(arn)), { Tags: TAGS });

                const u = await send(UntagResourceCommand, { ResourceARN: arn, TagKeys: ['tag2'] });
                assert.deepEqual(body(u), {});
                assert.deepEqual(body(await listTags(arn)), { Tags: [TAGS[0]] });

                const none = await send(UntagResourceCommand, { ResourceARN: arn, TagKeys: ['not_existing_tag'] });
                assert.equal(none.$metadata.httpStatusCode, 200);
                assert.deepEqual(body(none), {});

                /* an existing key is overwritten [Model doc] */
                await send(TagResourceCommand, { ResourceARN: arn, Tags: [{ Key: 'tag1', Value: 'changed' }] });
                assert.deepEqual(body(await listTags(arn)), { Tags: [{ Key: 'tag1', Value: 'changed' }] });

                await send(UntagResourceCommand, { ResourceARN: arn, TagKeys: ['tag1'] });
                assert.deepEqual(body(await listTags(arn)), { Tags: [] });
            });
        }
    }

    test('unknown rule (tests_tag_list_untag_not_existing_resource[not_existing_rule])', async () => {
        const arn = ruleArn('rule-tag-missing');
        const msg = ruleNotFound('rule-tag-missing');
        await expectError(send(TagResourceCommand, { ResourceARN: arn, Tags: [TAGS[0]] }),
            'ResourceNotFoundException', msg);
        await expectError(listTags(arn), 'ResourceNotFoundException', msg);
        await expectError(send(UntagResourceCommand, { ResourceARN: arn, TagKeys: ['tag1'] }),
            'ResourceNotFoundException', msg);
    });

    test('unknown bus (tests_tag_list_untag_not_existing_resource[not_existing_event_bus])', async () => {
        const arn = busArn('bus-tag-missing');
        const msg = busNotFound('bus-tag-missing');
        await expectError(send(TagResourceCommand, { ResourceARN: arn, Tags: [TAGS[0]] }),
            'ResourceNotFoundException', msg);
        await expectError(listTags(arn), 'ResourceNotFoundException', msg);
        await expectError(send(UntagResourceCommand, { ResourceARN: arn, TagKeys: ['tag1'] }),
            'ResourceNotFoundException', msg);
    });

    test('PutRule with Tags (TestRuleTags::test_put_rule_with_tags)', async () => {
        const p = await putRule({ Name: 'rule-created-tagged', EventPattern: PATTERN, Tags: TAGS });
        assert.deepEqual(body(p), { RuleArn: ruleArn('rule-created-tagged') });
        assert.deepEqual(body(await listTags(p.RuleArn)), { Tags: TAGS });
    });

    test('CreateEventBus with Tags (TestEventBusTags::test_create_event_bus_with_tags)', async () => {
        const c = await createBus('bus-created-tagged', { Tags: TAGS });
        assert.deepEqual(body(c), { EventBusArn: busArn('bus-created-tagged') });
        assert.deepEqual(body(await listTags(c.EventBusArn)), { Tags: TAGS });
    });

    test('tags of a deleted rule / bus (test_list_tags_for_deleted_rule, test_list_tags_for_deleted_event_bus)',
        async () => {
            const bus = 'bus-tags-deleted';
            const { EventBusArn } = await createBus(bus, { Tags: TAGS });
            const { RuleArn } = await putRule({ Name: 'rule-tags-deleted', EventBusName: bus, EventPattern: PATTERN, Tags: TAGS });
            await send(DeleteRuleCommand, { Name: 'rule-tags-deleted', EventBusName: bus });
            await expectError(listTags(RuleArn), 'ResourceNotFoundException', ruleNotFound('rule-tags-deleted', bus));
            await send(DeleteEventBusCommand, { Name: bus });
            await expectError(listTags(EventBusArn), 'ResourceNotFoundException', busNotFound(bus));
        });

    for (const resource of ['event_bus', 'rule']) {
        for (const busKind of ['event_bus_default', 'event_bus_custom']) {
            test(`tags do not survive delete + re-create (test_recreate_tagged_resource_without_tags[${resource}-${busKind}])`,
                async () => {
                    let bus = 'default';
                    let arn = busArn('default');
                    if (busKind === 'event_bus_custom') {
                        bus = `bus-recreate-${resource}`;
                        arn = (await createBus(bus)).EventBusArn;
                    }
                    const ruleName = `rule-recreate-${busKind}`;
                    if (resource === 'rule')
                        arn = (await putRule({ Name: ruleName, EventBusName: bus, EventPattern: PATTERN })).RuleArn;
                    await send(TagResourceCommand, { ResourceARN: arn, Tags: [TAGS[0]] });

                    let expected = [];
                    if (resource === 'event_bus' && busKind === 'event_bus_custom') {
                        await send(DeleteEventBusCommand, { Name: bus });
                        await createBus(bus);
                    } else if (resource === 'rule') {
                        await send(DeleteRuleCommand, { Name: ruleName, EventBusName: bus });
                        await putRule({ Name: ruleName, EventBusName: bus, EventPattern: PATTERN });
                    } else {
                        expected = [TAGS[0]]; /* the default bus cannot be deleted: the tag stays */
                    }
                    assert.deepEqual(body(await listTags(arn)), { Tags: expected });
                    if (expected.length)
                        await send(UntagResourceCommand, { ResourceARN: arn, TagKeys: ['tag1'] });
                });
        }
    }
});

/* ================================================================ rule quota */

describe('rules per event bus', () => {
    test("AWS's default quota: the 301st rule is refused and nothing changes", async () => {
        await send(CreateEventBusCommand, { Name: 'quota-300' });
        for (let i = 0; i < 300; i++)
            await send(PutRuleCommand, { Name: `q${i}`, EventBusName: 'quota-300', EventPattern: '{"source":["q"]}' });
        await expectError(send(PutRuleCommand, { Name: 'q300', EventBusName: 'quota-300', EventPattern: '{"source":["q"]}' }),
            'LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
        /* replacing an existing rule at the limit is fine */
        await send(PutRuleCommand, { Name: 'q0', EventBusName: 'quota-300', EventPattern: '{"source":["q2"]}' });
        let n = 0, token;
        do {
            const r = await send(ListRulesCommand, { EventBusName: 'quota-300', NextToken: token });
            n += r.Rules.length;
            token = r.NextToken;
        } while (token);
        assert.equal(n, 300);
    });

    test('--max-rules-per-bus raises (or lowers) it', async () => {
        const s = await startServer({ extraArgs: ['--max-rules-per-bus', '2'] });
        try {
            const e = s.eventbridge();
            await e.send(new PutRuleCommand({ Name: 'a', EventPattern: '{"source":["q"]}' }));
            await e.send(new PutRuleCommand({ Name: 'b', ScheduleExpression: 'rate(5 minutes)' }));
            await expectError(e.send(new PutRuleCommand({ Name: 'c', EventPattern: '{"source":["q"]}' })),
                'LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
        } finally {
            await s.stop();
        }
    });

    test('--max-rules-per-bus out of range: refused at start', async () => {
        await assert.rejects(startServer({ extraArgs: ['--max-rules-per-bus', '0'] }),
            /--max-rules-per-bus \(1\.\.100000\)/);
    });
});
