/*
 * 55-targets.test.mjs - PutTargets / ListTargetsByRule / RemoveTargets against
 * the real binary: exact echo of every stored member, insertion order and
 * paging, the 5-target limit, first-level Id validation, the Input /
 * InputPath / InputTransformer rules, per-entry failures and unknown rules.
 *
 * Expected values: spec/buses-rules-targets.md §3, spec/validation.md §2.1
 * and §4.3, spec/input-transformer.md §2; recorded cases come from
 * shared/conformance/localstack/test_events.snapshot.json (TestEventTarget)
 * and test_events_inputs.snapshot.json.
 *
 * No PutEvents here, so none of the target ARNs below is ever invoked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
    CreateEventBusCommand,
    ListTargetsByRuleCommand,
    PutRuleCommand,
    PutTargetsCommand,
    RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';

import {
    ACCOUNT,
    REGION,
    body,
    expectError,
    members,
    startServer,
} from './lib/server.mjs';

let srv;
let eb;

before(async () => {
    srv = await startServer();
    eb = srv.eventbridge();
});

after(async () => {
    await srv?.stop();
});

const send = (Cmd, input = {}) => eb.send(new Cmd(input));

const busArn = (name) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
const sqsArn = (q) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${q}`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/eb-target-role`;
const PATTERN = '{"source": ["core.update-account-command"]}';

const OK = { FailedEntries: [], FailedEntryCount: 0 };

async function rule(Name, EventBusName) {
    await send(PutRuleCommand, { Name, EventBusName, EventPattern: PATTERN });
    return Name;
}
const putTargets = (Rule, Targets, EventBusName) => send(PutTargetsCommand, { Rule, Targets, EventBusName });
const listTargets = (Rule, EventBusName, extra = {}) =>
    send(ListTargetsByRuleCommand, { Rule, EventBusName, ...extra });
const removeTargets = (Rule, Ids, EventBusName) => send(RemoveTargetsCommand, { Rule, Ids, EventBusName });

const idPatternError = (v, i = 1) => `1 validation error detected: Value '${v}' at 'targets.${i}.member.id' ` +
    'failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+';
const idLengthError = (v, i = 1) => `1 validation error detected: Value '${v}' at 'targets.${i}.member.id' ` +
    'failed to satisfy constraint: Member must have length less than or equal to 64';
const onlyOne = (id) => `Only one of Input, InputPath, or InputTransformer must be provided for target ${id}.`;

/* ========================================================= put/list/remove */

describe('put / list / remove', () => {
    for (const kind of ['default', 'custom']) {
        test(`test_put_list_remove_target[${kind}]`, async () => {
            const bus = kind === 'default' ? undefined : 'bus-plr';
            if (bus)
                await send(CreateEventBusCommand, { Name: bus });
            const r = await rule(`plr-${kind}`, bus);
            const p = await putTargets(r, [{ Id: 'target-1', Arn: sqsArn('q-plr') }], bus);
            assert.deepEqual(body(p), OK);
            assert.equal(p.$metadata.httpStatusCode, 200);
            assert.deepEqual(body(await listTargets(r, bus)), { Targets: [{ Arn: sqsArn('q-plr'), Id: 'target-1' }] });
            const rm = await removeTargets(r, ['target-1'], bus);
            assert.deepEqual(body(rm), OK);
            assert.deepEqual(body(await listTargets(r, bus)), { Targets: [] });
        });
    }

    test('EventBusName as an ARN', async () => {
        const bus = 'bus-targets-arn';
        await send(CreateEventBusCommand, { Name: bus });
        const r = await rule('by-arn', bus);
        assert.deepEqual(body(await putTargets(r, [{ Id: 't', Arn: sqsArn('q-arn') }], busArn(bus))), OK);
        assert.deepEqual(body(await listTargets(r, busArn(bus))), { Targets: [{ Arn: sqsArn('q-arn'), Id: 't' }] });
        assert.deepEqual(body(await listTargets(r, bus)), { Targets: [{ Arn: sqsArn('q-arn'), Id: 't' }] });
        assert.deepEqual(body(await removeTargets(r, ['t'], busArn(bus))), OK);
        assert.deepEqual(body(await listTargets(r, bus)), { Targets: [] });
    });

    test('every stored member is echoed exactly, in insertion order', async () => {
        const r1 = await rule('echo-1');
        const first = [
            { Id: 't-input', Arn: sqsArn('q-echo'), Input: '{"custom-value": "somecustominput"}' },
            { Id: 't-path', Arn: sqsArn('q-echo'), InputPath: '$.detail' },
            {
                Id: 't-xform',
                Arn: sqsArn('q-echo'),
                InputTransformer: {
                    InputPathsMap: { 'detail-type': '$.detail-type', timestamp: '$.time', command: '$.detail.command' },
                    InputTemplate: '{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>}',
                },
            },
            {
                Id: 't-retry',
                Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:echo-fn`,
                RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
                DeadLetterConfig: { Arn: sqsArn('q-echo-dlq') },
            },
            {
                Id: 't-http',
                Arn: `arn:aws:events:${REGION}:${ACCOUNT}:api-destination/echo-dest/` +
                    '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d',
                RoleArn: ROLE,
                HttpParameters: {
                    PathParameterValues: ['p1'],
                    HeaderParameters: { 'x-header': 'v1' },
                    QueryStringParameters: { q: '1' },
                },
            },
        ];
        assert.deepEqual(body(await putTargets(r1, first)), OK);
        const l1 = await listTargets(r1);
        assert.deepEqual(body(l1), { Targets: first });

        const r2 = await rule('echo-2');
        const second = [
            { Id: 't-fifo', Arn: sqsArn('q-echo.fifo'), SqsParameters: { MessageGroupId: 'group-1' } },
            {
                Id: 't-kinesis',
                Arn: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/echo-stream`,
                RoleArn: ROLE,
                KinesisParameters: { PartitionKeyPath: '$.id' },
            },
            { Id: 't-bus', Arn: busArn('echo-other-bus'), RoleArn: ROLE },
            {
                Id: 't-predef',
                Arn: sqsArn('q-echo'),
                InputTransformer: {
                    InputTemplate: '{"rule": <aws.events.rule-name>, "arn": <aws.events.rule-arn>, ' +
                        '"at": <aws.events.event.ingestion-time>, "event": <aws.events.event>, ' +
                        '"full": <aws.events.event.json>}',
                },
            },
            {
                Id: 't-string-template',
                Arn: sqsArn('q-echo'),
                InputTransformer: {
                    InputPathsMap: { 'detail-type': '$.detail-type' },
                    InputTemplate: '"Event of <detail-type> type"',
                },
            },
        ];
        assert.deepEqual(body(await putTargets(r2, second)), OK);
        assert.deepEqual(body(await listTargets(r2)), { Targets: second });
    });

    test('ListTargetsByRule Limit 3 over 5 targets (test_list_target_by_rule_limit)', async () => {
        const r = await rule('limit-list');
        const targets = [0, 1, 2, 3, 4].map((i) => ({ Id: `target-${i}`, Arn: sqsArn('q-limit') }));
        assert.deepEqual(body(await putTargets(r, targets)), OK);
        const p1 = await listTargets(r, undefined, { Limit: 3 });
        assert.deepEqual(members(p1), ['NextToken', 'Targets']);
        assert.deepEqual(p1.Targets, targets.slice(0, 3));
        const p2 = await listTargets(r, undefined, { Limit: 3, NextToken: p1.NextToken });
        assert.deepEqual(body(p2), { Targets: targets.slice(3) });
    });

    test('insertion order is kept across calls', async () => {
        const r = await rule('order');
        await putTargets(r, [{ Id: 'zeta', Arn: sqsArn('q1') }]);
        await putTargets(r, [{ Id: 'alpha', Arn: sqsArn('q2') }, { Id: 'mid', Arn: sqsArn('q3') }]);
        assert.deepEqual((await listTargets(r)).Targets.map((t) => t.Id), ['zeta', 'alpha', 'mid']);
    });
});

/* ================================================================== limit */

describe('5 targets per rule', () => {
    test('a 6th target fails the whole call (test_add_exceed_fife_targets_per_rule)', async () => {
        const r = await rule('limit-6');
        const five = [0, 1, 2, 3, 4].map((i) => ({ Id: `t${i}`, Arn: sqsArn('q-6') }));
        assert.deepEqual(body(await putTargets(r, five)), OK);
        await expectError(putTargets(r, [{ Id: 't5', Arn: sqsArn('q-6') }]), 'LimitExceededException',
            'The requested resource exceeds the maximum number allowed.');
        /* a call that adds one new and replaces one fails as a whole: nothing changes */
        await expectError(putTargets(r, [{ Id: 't0', Arn: sqsArn('q-6-new') }, { Id: 't6', Arn: sqsArn('q-6') }]),
            'LimitExceededException', 'The requested resource exceeds the maximum number allowed.');
        assert.deepEqual(body(await listTargets(r)), { Targets: five });
        /* replacing an existing Id at the limit is fine */
        assert.deepEqual(body(await putTargets(r, [{ Id: 't4', Arn: sqsArn('q-6-replaced') }])), OK);
        assert.equal((await listTargets(r)).Targets[4].Arn, sqsArn('q-6-replaced'));
    });

    test('6 targets in one call on an empty rule', async () => {
        const r = await rule('limit-6-one-call');
        const six = [0, 1, 2, 3, 4, 5].map((i) => ({ Id: `t${i}`, Arn: sqsArn('q-6') }));
        await expectError(putTargets(r, six), 'LimitExceededException',
            'The requested resource exceeds the maximum number allowed.');
        assert.deepEqual(body(await listTargets(r)), { Targets: [] });
    });
});

/* ============================================================= validation */

describe('validation', () => {
    test('Id pattern and length (test_put_target_id_validation)', async () => {
        const r = await rule('id-validation');
        await expectError(putTargets(r, [{ Id: '!@#$@!#$', Arn: sqsArn('q-id') }]), 'ValidationException',
            idPatternError('!@#$@!#$'));
        const long = `second-invalid-target-id-${'x'.repeat(40)}`;
        assert.equal(long.length, 65);
        await expectError(putTargets(r, [{ Id: long, Arn: sqsArn('q-id') }]), 'ValidationException',
            idLengthError(long));
        /* the path carries the 1-based index of the offending target */
        await expectError(putTargets(r, [{ Id: 'fine', Arn: sqsArn('q-id') }, { Id: 'has space', Arn: sqsArn('q-id') }]),
            'ValidationException', idPatternError('has space', 2));
        /* exactly 64 characters is fine */
        const max = 'y'.repeat(64);
        assert.deepEqual(body(await putTargets(r, [{ Id: max, Arn: sqsArn('q-id') }])), OK);
        assert.deepEqual((await listTargets(r)).Targets.map((t) => t.Id), [max]);
    });

    test('Input, InputPath, InputTransformer are mutually exclusive (test_put_event_input_path_and_input_transformer)',
        async () => {
            const r = await rule('only-one');
            const xf = {
                InputPathsMap: { 'detail-type': '$.detail-type', timestamp: '$.time', command: '$.detail.command' },
                InputTemplate: '{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>}',
            };
            const cases = [
                { Id: 'xf-and-path', InputTransformer: xf, InputPath: '$.detail' },
                { Id: 'input-and-path', Input: '{"a": 1}', InputPath: '$.detail' },
                { Id: 'input-and-xf', Input: '{"a": 1}', InputTransformer: xf },
                { Id: 'all-three', Input: '{"a": 1}', InputPath: '$.detail', InputTransformer: xf },
            ];
            for (const c of cases) {
                await expectError(putTargets(r, [{ Arn: sqsArn('q-only-one'), ...c }]), 'ValidationException',
                    onlyOne(c.Id));
            }
            assert.deepEqual(body(await listTargets(r)), { Targets: [] });
        });

    test('undefined placeholder in InputTemplate (test_put_events_with_input_transformer_missing_keys)', async () => {
        const r = await rule('placeholder');
        await expectError(putTargets(r, [{
            Id: 'target-missing-key',
            Arn: sqsArn('q-ph'),
            InputTransformer: {
                InputPathsMap: { 'detail-type': '$.detail-type', timestamp: '$.time', command: '$.detail.command' },
                InputTemplate: '"Event of <detail-type> type, with not defined key <notdefinedkey>"',
            },
        }]), 'ValidationException',
        'InputTemplate for target target-missing-key contains invalid placeholder notdefinedkey.');
        await expectError(putTargets(r, [{
            Id: 'no-map',
            Arn: sqsArn('q-ph'),
            InputTransformer: { InputTemplate: '{"x": <missing>}' },
        }]), 'ValidationException', 'InputTemplate for target no-map contains invalid placeholder missing.');
        assert.deepEqual(body(await listTargets(r)), { Targets: [] });
    });

    test('a malformed target ARN fails that entry only', async () => {
        const r = await rule('bad-arn');
        const p = await putTargets(r, [
            { Id: 'good-1', Arn: sqsArn('q-good') },
            { Id: 'bad', Arn: 'not-an-arn' },
            { Id: 'good-2', Arn: sqsArn('q-good') },
        ]);
        assert.deepEqual(body(p), {
            FailedEntries: [{
                TargetId: 'bad',
                ErrorCode: 'ValidationException',
                ErrorMessage: 'Parameter not-an-arn is not valid. Reason: Provided Arn is not in correct format.',
            }],
            FailedEntryCount: 1,
        });
        assert.deepEqual(body(await listTargets(r)), {
            Targets: [{ Arn: sqsArn('q-good'), Id: 'good-1' }, { Arn: sqsArn('q-good'), Id: 'good-2' }],
        });
    });
});

/* ============================================================ same id/arn */

describe('same Id / same ARN', () => {
    test('the same Id replaces (test_put_multiple_targets_with_same_id_single_rule)', async () => {
        const r = await rule('same-id');
        await putTargets(r, [{ Id: 'target-id', Arn: sqsArn('q-same'), InputPath: '$.detail' }]);
        await putTargets(r, [{ Id: 'target-id', Arn: sqsArn('q-same'), InputPath: '$.notexisting' }]);
        assert.deepEqual(body(await listTargets(r)), {
            Targets: [{ Arn: sqsArn('q-same'), Id: 'target-id', InputPath: '$.notexisting' }],
        });
        /* replacing drops members not given again */
        await putTargets(r, [{ Id: 'target-id', Arn: sqsArn('q-other') }]);
        assert.deepEqual(body(await listTargets(r)), { Targets: [{ Arn: sqsArn('q-other'), Id: 'target-id' }] });
    });

    test('the same Id on two rules is independent (test_put_multiple_targets_with_same_id_across_different_rules)',
        async () => {
            const r1 = await rule('same-id-r1');
            const r2 = await rule('same-id-r2');
            await putTargets(r1, [{ Id: 'target-id', Arn: sqsArn('q-same'), InputPath: '$.detail' }]);
            await putTargets(r2, [{ Id: 'target-id', Arn: sqsArn('q-same'), InputPath: '$.notexisting' }]);
            assert.deepEqual(body(await listTargets(r1)),
                { Targets: [{ Arn: sqsArn('q-same'), Id: 'target-id', InputPath: '$.detail' }] });
            assert.deepEqual(body(await listTargets(r2)),
                { Targets: [{ Arn: sqsArn('q-same'), Id: 'target-id', InputPath: '$.notexisting' }] });
        });

    test('the same ARN under two Ids (test_put_multiple_targets_with_same_arn_single_rule)', async () => {
        const r = await rule('same-arn');
        await putTargets(r, [{ Id: 'target-id-one', Arn: sqsArn('q-same'), InputPath: '$.detail' }]);
        await putTargets(r, [{ Id: 'target-id-two', Arn: sqsArn('q-same'), InputPath: '$.doesnotexist' }]);
        assert.deepEqual(body(await listTargets(r)), {
            Targets: [
                { Arn: sqsArn('q-same'), Id: 'target-id-one', InputPath: '$.detail' },
                { Arn: sqsArn('q-same'), Id: 'target-id-two', InputPath: '$.doesnotexist' },
            ],
        });
    });

    test('the same ARN on two rules (test_put_multiple_targets_with_same_arn_across_different_rules)', async () => {
        const r1 = await rule('same-arn-r1');
        const r2 = await rule('same-arn-r2');
        await putTargets(r1, [{ Id: 'target-id', Arn: sqsArn('q-same'), InputPath: '$.detail' }]);
        await putTargets(r2, [{ Id: 'target-id', Arn: sqsArn('q-same'), InputPath: '$.doesnotexist' }]);
        assert.deepEqual((await listTargets(r1)).Targets[0].InputPath, '$.detail');
        assert.deepEqual((await listTargets(r2)).Targets[0].InputPath, '$.doesnotexist');
    });
});

/* ============================================================ RemoveTargets */

describe('RemoveTargets', () => {
    test('unknown Ids are reported per entry, known ones removed', async () => {
        const r = await rule('remove-mixed');
        await putTargets(r, [{ Id: 'a', Arn: sqsArn('q-rm') }, { Id: 'b', Arn: sqsArn('q-rm') }]);
        const rm = await removeTargets(r, ['a', 'nope']);
        assert.deepEqual(body(rm), {
            FailedEntries: [{
                TargetId: 'nope',
                ErrorCode: 'ResourceNotFoundException',
                ErrorMessage: 'Target nope does not exist on Rule remove-mixed.',
            }],
            FailedEntryCount: 1,
        });
        assert.deepEqual(body(await listTargets(r)), { Targets: [{ Arn: sqsArn('q-rm'), Id: 'b' }] });
        assert.deepEqual(body(await removeTargets(r, ['b'])), OK);
    });
});

/* ========================================================== unknown rule/bus */

describe('unknown rule or bus', () => {
    test('unknown rule on the default bus', async () => {
        const msg = 'Rule target-rule-missing does not exist on EventBus default.';
        await expectError(putTargets('target-rule-missing', [{ Id: 't', Arn: sqsArn('q') }]),
            'ResourceNotFoundException', msg);
        await expectError(removeTargets('target-rule-missing', ['t']), 'ResourceNotFoundException', msg);
        await expectError(listTargets('target-rule-missing'), 'ResourceNotFoundException', msg);
    });

    test('unknown rule on a custom bus; rule of another bus', async () => {
        const bus = 'bus-target-missing';
        await send(CreateEventBusCommand, { Name: bus });
        const onDefault = await rule('only-on-default');
        const msg = `Rule ${onDefault} does not exist on EventBus ${bus}.`;
        await expectError(putTargets(onDefault, [{ Id: 't', Arn: sqsArn('q') }], bus), 'ResourceNotFoundException', msg);
        await expectError(removeTargets(onDefault, ['t'], bus), 'ResourceNotFoundException', msg);
        await expectError(listTargets(onDefault, bus), 'ResourceNotFoundException', msg);
    });

    for (const [op, call] of [
        ['PutTargets', () => putTargets('r', [{ Id: 't', Arn: sqsArn('q') }], 'bus-never-created')],
        ['ListTargetsByRule', () => listTargets('r', 'bus-never-created')],
        ['RemoveTargets', () => removeTargets('r', ['t'], 'bus-never-created')],
    ]) {
        test(`${op} on an unknown bus`, async () => {
            await expectError(call(), 'ResourceNotFoundException', 'Event bus bus-never-created does not exist.');
        });
    }
});
