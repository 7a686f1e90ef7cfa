/*
 * 65-put-events.test.mjs - PutEvents request handling against the real
 * binary: the response shape, per-entry errors in request order, the
 * 10-entry and 256 KiB request limits, unknown buses, bus ARNs, reserved
 * sources, Time, concurrency, and the serverlessland seed sample's
 * `aws events put-events --entries file://testEvent.json`.
 *
 * Expected values: spec/put-events.md §1-§3, spec/validation.md §4.4;
 * recorded cases come from shared/conformance/localstack/test_events.snapshot.json
 * (TestEvents, TestEventBus::test_put_events_nonexistent_event_bus).
 *
 * Delivery is not asserted here. No rule in this file has a target, so
 * nothing is ever delivered anywhere.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import {
    CreateEventBusCommand,
    PutEventsCommand,
    PutRuleCommand,
} from '@aws-sdk/client-eventbridge';

import {
    ACCOUNT,
    REGION,
    UUID_RE,
    body,
    expectError,
    haveCommand,
    signedRequest,
    startServer,
} from './lib/server.mjs';

const run = promisify(execFile);
const HAVE_AWS = haveCommand('aws', ['--version']);

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
const putEvents = (Entries) => send(PutEventsCommand, { Entries });
const busArn = (name) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;

/* test_events.py TEST_EVENT_PATTERN / TEST_EVENT_DETAIL, with json.dumps spacing */
const SOURCE = 'core.update-account-command';
const DETAIL_TYPE = 'core.update-account-command';
const DETAIL = '{"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}';
const good = (extra = {}) => ({ Source: SOURCE, DetailType: DETAIL_TYPE, Detail: DETAIL, ...extra });

const ERR = {
    source: { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' },
    detailType: {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    },
    detail: { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' },
    malformed: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    awsSource: { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
};

/*
 * Checks a PutEvents answer against a list of expected entries, where
 * 'ok' stands for a success entry {EventId: <uuid>}. Returns the EventIds.
 */
function checkResponse(r, expected) {
    const b = body(r);
    assert.deepEqual(Object.keys(b).sort(), ['Entries', 'FailedEntryCount']);
    assert.equal(b.Entries.length, expected.length, 'one result per entry');
    const ids = [];
    b.Entries.forEach((e, i) => {
        if (expected[i] === 'ok') {
            assert.deepEqual(Object.keys(e), ['EventId'], `entry ${i}`);
            assert.match(e.EventId, UUID_RE, `entry ${i} EventId`);
            ids.push(e.EventId);
        } else {
            assert.deepEqual(e, expected[i], `entry ${i}`);
        }
    });
    assert.equal(b.FailedEntryCount, expected.filter((x) => x !== 'ok').length, 'FailedEntryCount');
    assert.equal(new Set(ids).size, ids.length, 'EventIds are distinct');
    assert.equal(r.$metadata.httpStatusCode, 200);
    return ids;
}

/* =============================================================== success */

describe('accepted entries', () => {
    test('one entry: Entries [{EventId}], FailedEntryCount 0', async () => {
        const r = await putEvents([good()]);
        checkResponse(r, ['ok']);
    });

    test('Time, Resources and TraceHeader are accepted (test_put_events_with_time_field)', async () => {
        const r = await putEvents([
            good({ Time: new Date('2022-01-01T00:00:00Z') }),
            good({ Time: new Date(), Resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-1'] }),
            good({ TraceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' }),
            good({ Detail: '{}' }),
        ]);
        checkResponse(r, ['ok', 'ok', 'ok', 'ok']);
    });

    test('unknown EventBusName still gets an EventId (test_put_events_nonexistent_event_bus)', async () => {
        const r = await putEvents([
            good({ Source: 'MySource', DetailType: 'CustomType', Detail: '{"message": "for the default event bus"}' }),
            good({ EventBusName: 'bus-does-not-exist', Detail: '{"message": "for the custom event bus"}' }),
        ]);
        checkResponse(r, ['ok', 'ok']);
        const r2 = await putEvents([good({ EventBusName: busArn('bus-does-not-exist-either') })]);
        checkResponse(r2, ['ok']);
    });

    test('EventBusName as a name and as an ARN', async () => {
        await send(CreateEventBusCommand, { Name: 'bus-put-events' });
        const r = await putEvents([
            good({ EventBusName: 'bus-put-events' }),
            good({ EventBusName: busArn('bus-put-events') }),
            good({ EventBusName: 'default' }),
            good({ EventBusName: busArn('default') }),
        ]);
        checkResponse(r, ['ok', 'ok', 'ok', 'ok']);
    });

    test('10 entries on a bus with matching and non-matching rules (no targets)', async () => {
        const bus = 'bus-ten';
        await send(CreateEventBusCommand, { Name: bus });
        await send(PutRuleCommand, {
            Name: 'ten-match', EventBusName: bus,
            EventPattern: JSON.stringify({ source: [SOURCE], detail: { command: ['update-account'] } }),
        });
        await send(PutRuleCommand, {
            Name: 'ten-prefix', EventBusName: bus, EventPattern: JSON.stringify({ source: [{ prefix: 'core.' }] }),
        });
        await send(PutRuleCommand, {
            Name: 'ten-other', EventBusName: bus, EventPattern: JSON.stringify({ source: ['other'] }),
        });
        await send(PutRuleCommand, {
            Name: 'ten-disabled', EventBusName: bus, State: 'DISABLED', EventPattern: JSON.stringify({ source: [SOURCE] }),
        });
        const entries = Array.from({ length: 10 }, (_, i) => good({
            EventBusName: bus,
            Source: i % 2 ? SOURCE : 'other',
            Detail: JSON.stringify({ command: 'update-account', i }),
        }));
        checkResponse(await putEvents(entries), Array(10).fill('ok'));
        /* also on the default bus, with a rule there */
        await send(PutRuleCommand, { Name: 'ten-default', EventPattern: JSON.stringify({ source: [SOURCE] }) });
        checkResponse(await putEvents(Array.from({ length: 10 }, () => good())), Array(10).fill('ok'));
    });

    test('20 parallel calls of 10 entries all succeed with distinct EventIds', async () => {
        const calls = Array.from({ length: 20 }, (_, c) => putEvents(Array.from({ length: 10 }, (__, i) => good({
            EventBusName: c % 2 ? 'bus-ten' : 'default',
            Detail: JSON.stringify({ command: 'update-account', call: c, entry: i }),
        }))));
        const results = await Promise.all(calls);
        const ids = results.flatMap((r) => checkResponse(r, Array(10).fill('ok')));
        assert.equal(ids.length, 200);
        assert.equal(new Set(ids).size, 200, 'EventIds are unique across calls');
    });
});

/* ===================================================== per-entry failures */

describe('per-entry errors', () => {
    test('no Source (test_put_events_without_source)', async () => {
        checkResponse(await putEvents([{ DetailType: DETAIL_TYPE, Detail: DETAIL }]), [ERR.source]);
    });

    test('no Detail (test_put_event_without_detail)', async () => {
        checkResponse(await putEvents([{ Source: SOURCE, DetailType: DETAIL_TYPE }]), [ERR.detail]);
    });

    test('empty DetailType (test_put_event_without_detail_type)', async () => {
        checkResponse(await putEvents([{ Source: 'some.source', Detail: DETAIL, DetailType: '' }]), [ERR.detailType]);
        checkResponse(await putEvents([{ Source: 'some.source', Detail: DETAIL }]), [ERR.detailType]);
    });

    for (const [id, detail] of [['STRING', 'NotJSON'], ['ARRAY', '[]'], ['MALFORMED_JSON', '{{}'],
        ['SERIALIZED_STRING', '"NotJSON"']]) {
        test(`Detail ${detail} (test_put_event_malformed_detail[${id}])`, async () => {
            checkResponse(await putEvents([good({ Detail: detail })]), [ERR.malformed]);
        });
    }

    test('mixed with good entries, in request order', async () => {
        const r = await putEvents([
            good(),
            { DetailType: DETAIL_TYPE, Detail: DETAIL },
            { Source: SOURCE, Detail: DETAIL },
            { Source: SOURCE, DetailType: '', Detail: DETAIL },
            good(),
            { Source: SOURCE, DetailType: DETAIL_TYPE },
            good({ Detail: 'NotJSON' }),
            good({ Detail: '[]' }),
            good({ Detail: '{{}' }),
            good({ Detail: '"NotJSON"' }),
        ]);
        checkResponse(r, ['ok', ERR.source, ERR.detailType, ERR.detailType, 'ok', ERR.detail,
            ERR.malformed, ERR.malformed, ERR.malformed, ERR.malformed]);
    });

    test('checks run in order Source, DetailType, Detail, Detail JSON', async () => {
        const r = await putEvents([
            {},
            { Detail: 'NotJSON' },
            { Source: SOURCE },
            { Source: SOURCE, Detail: 'NotJSON' },
            { DetailType: DETAIL_TYPE },
            good({ Detail: '' }),
        ]);
        checkResponse(r, [ERR.source, ERR.source, ERR.detailType, ERR.detailType, ERR.source, ERR.detail]);
    });

    test('every entry failing is still HTTP 200', async () => {
        const r = await putEvents([{ DetailType: DETAIL_TYPE, Detail: DETAIL }, good({ Detail: '[]' })]);
        checkResponse(r, [ERR.source, ERR.malformed]);
    });

    test('an aws.* Source is refused per entry', async () => {
        const r = await putEvents([good({ Source: 'aws.something' }), good(), good({ Source: 'aws.events' })]);
        checkResponse(r, [ERR.awsSource, 'ok', ERR.awsSource]);
    });
});

/* ======================================================== request limits */

describe('request limits', () => {
    /* Java toString of one entry, as in validation.md §4.4 */
    const javaEntry = (bus) => `PutEventsRequestEntry(time=null, source=${SOURCE}, resources=null, ` +
        `detailType=${DETAIL_TYPE}, detail=${DETAIL}, eventBusName=${bus}, traceHeader=null, ` +
        'kmsKeyIdentifier=null, internalMetadata=null)';
    const PREFIX = "1 validation error detected: Value '[PutEventsRequestEntry(";
    const SUFFIX = "' at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10";

    for (const kind of ['default', 'custom']) {
        test(`11 entries (test_put_events_exceed_limit_ten_entries[${kind}])`, async () => {
            const bus = kind === 'default' ? 'default' : 'bus-eleven';
            if (kind === 'custom')
                await send(CreateEventBusCommand, { Name: bus });
            const entries = Array.from({ length: 11 }, () => good({ EventBusName: bus }));
            const e = await expectError(putEvents(entries), 'ValidationException', /./);
            assert.ok(e.message.startsWith(PREFIX), `message starts with ${PREFIX}: ${e.message.slice(0, 120)}`);
            assert.ok(e.message.endsWith(SUFFIX), `message ends with ${SUFFIX}: ...${e.message.slice(-140)}`);
            /* compare element by element: the full text is ~3 KB */
            const list = e.message.slice("1 validation error detected: Value '".length, -SUFFIX.length);
            assert.ok(list.startsWith('[') && list.endsWith(']'), 'the value is a bracketed list');
            const elements = list.slice(1, -1).split(/, (?=PutEventsRequestEntry\()/);
            assert.equal(elements.length, 11, 'every entry of the request is printed');
            for (const [i, el] of elements.entries())
                assert.equal(el, javaEntry(bus), `element ${i + 1} in the recorded Java toString format`);
        });
    }

    /* size = (Time ? 14 : 0) + Source + DetailType + Detail + Σ Resources, in UTF-8 bytes */
    const detailOfSize = (n, ch = 'p') => {
        const chBytes = Buffer.byteLength(ch);
        const fill = n - Buffer.byteLength('{"payload":""}');
        assert.equal(fill % chBytes, 0);
        const d = `{"payload":"${ch.repeat(fill / chBytes)}"}`;
        assert.equal(Buffer.byteLength(d), n);
        return d;
    };
    const LIMIT = 262144;
    const SRC = 'size.source';
    const DT = 'size-detail-type';

    test('the recorded too-big Detail (test_put_event_with_too_big_detail)', async () => {
        const detail = JSON.stringify({ payload: ['p'.repeat(256 * 1024 - 17)] }).replace(':', ': ');
        await expectError(putEvents([{ Source: 'core.update-account-command', DetailType: 'core.update-account-command', Detail: detail }]),
            'ValidationException', 'Total size of the entries in the request is over the limit.');
    });

    test('exactly 262144 bytes is accepted, 262145 refused', async () => {
        const base = SRC.length + DT.length;
        checkResponse(await putEvents([{ Source: SRC, DetailType: DT, Detail: detailOfSize(LIMIT - base) }]), ['ok']);
        await expectError(putEvents([{ Source: SRC, DetailType: DT, Detail: detailOfSize(LIMIT - base + 1) }]),
            'ValidationException', 'Total size of the entries in the request is over the limit.');
    });

    test('Time counts 14 bytes and Resources count their length', async () => {
        const res = ['arn:aws:s3:::bucket-a', 'arn:aws:s3:::bucket-bb'];
        const base = 14 + SRC.length + DT.length + res.join('').length;
        const entry = (n) => ({
            Source: SRC, DetailType: DT, Time: new Date(), Resources: res, Detail: detailOfSize(n),
        });
        checkResponse(await putEvents([entry(LIMIT - base)]), ['ok']);
        await expectError(putEvents([entry(LIMIT - base + 1)]), 'ValidationException',
            'Total size of the entries in the request is over the limit.');
    });

    test('the limit is for the sum over all entries', async () => {
        const base = SRC.length + DT.length;
        const half = LIMIT / 2 - base;
        checkResponse(await putEvents([
            { Source: SRC, DetailType: DT, Detail: detailOfSize(half) },
            { Source: SRC, DetailType: DT, Detail: detailOfSize(half) },
        ]), ['ok', 'ok']);
        await expectError(putEvents([
            { Source: SRC, DetailType: DT, Detail: detailOfSize(half) },
            { Source: SRC, DetailType: DT, Detail: detailOfSize(half + 1) },
        ]), 'ValidationException', 'Total size of the entries in the request is over the limit.');
    });

    test('sizes are UTF-8 bytes, not characters', async () => {
        const base = SRC.length + DT.length;
        /* 2-byte characters: the character count stays far below the limit */
        const over = LIMIT - base + 2;
        const d = detailOfSize(over % 2 ? over + 1 : over, 'é');
        assert.ok(d.length < LIMIT);
        await expectError(putEvents([{ Source: SRC, DetailType: DT, Detail: d }]), 'ValidationException',
            'Total size of the entries in the request is over the limit.');
        const fits = LIMIT - base;
        checkResponse(await putEvents([{ Source: SRC, DetailType: DT, Detail: detailOfSize(fits % 2 ? fits - 1 : fits, 'é') }]),
            ['ok']);
    });
});

/* =========================================================== AWS CLI */

/* The server reads the common body straight from its bytes (src/api/events_fast.c) and
 * leaves everything else to the generic parse and model validation. The same request
 * sent both ways must get the same answer: a "\u0044etail" key (a \u escape the fast
 * reader never takes) sends a body down the generic path without changing its meaning. */
describe('the fast reader and the generic path answer alike', () => {
    const entry = (o) => JSON.stringify(o);
    const cases = {
        'valid entries with Time, Resources, reals and a plain bus name': `{"Entries":[${entry({
            Source: 'fast.src', DetailType: 't', Detail: '{"a": 1.5, "b": [1, -0, 0.1], "c": "x\\"y"}',
            Resources: ['r1', 'arn:aws:s3:::b'], Time: 1700000000,
        })},${entry({ Source: 'fast.src', DetailType: 't', Detail: '{}', EventBusName: 'default', Time: 1.7e9 })}]}`,
        'per-entry errors in order': `{"Entries":[${[
            { DetailType: 't', Detail: '{}' },
            { Source: 's', DetailType: '', Detail: '{}' },
            { Source: 's', DetailType: 't', Detail: '{"a":' },
            { Source: 's', DetailType: 't', Detail: '[1]' },
            { Source: 's', DetailType: 't', Detail: '{"a":1,"a":2}' },
            { Source: 'aws.ec2', DetailType: 't', Detail: '{}' },
            { Source: 's', DetailType: 't', Detail: '{"ok":true}' },
        ].map(entry).join(',')}]}`,
        'blanks everywhere': ' \n{ "Entries" : [ { "Source" : "s" , "DetailType" : "t" , ' +
            '"Detail" : "{ \\"k\\" : [ 1 , 2 ] }" , "Resources" : [ ] } ] }\t',
        'a Time no date can hold (the call\'s own time is used)': `{"Entries":[${entry({
            Source: 's', DetailType: 't', Detail: '{}', Time: 1e300,
        })},${entry({ Source: 's', DetailType: 't', Detail: '{}', Time: -1e300 })}]}`,
        'over 256 KiB in all': `{"Entries":[${entry({
            Source: 's', DetailType: 't', Detail: `{"big":"${'x'.repeat(262140)}"}`,
        })}]}`,
    };
    const generic = (b) => b.replace('"Detail"', '"\\u0044etail"');
    const ids = (t) => t.replace(/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g, 'ID');
    for (const [name, b] of Object.entries(cases)) {
        test(name, async () => {
            assert.notEqual(generic(b), b);
            const target = 'AWSEvents.PutEvents';
            const fast = await signedRequest(srv, { target, body: b });
            const slow = await signedRequest(srv, { target, body: generic(b) });
            assert.equal(fast.status, slow.status);
            assert.equal(ids(fast.body), ids(slow.body));
            assert.equal(fast.headers['content-type'], slow.headers['content-type']);
        });
    }

    test('their answers, exactly', async () => {
        const target = 'AWSEvents.PutEvents';
        const ok = await signedRequest(srv, { target, body: cases['valid entries with Time, Resources, reals and a plain bus name'] });
        assert.equal(ok.status, 200);
        assert.equal(ids(ok.body), '{"FailedEntryCount":0,"Entries":[{"EventId":"ID"},{"EventId":"ID"}]}');
        const errs = await signedRequest(srv, { target, body: cases['per-entry errors in order'] });
        assert.equal(errs.status, 200);
        const missing = (m) => `Parameter ${m} is not valid. Reason: ${m} is a required argument.`;
        assert.deepEqual(errs.json.Entries.map((e) => e.EventId ? 'ok' : `${e.ErrorCode}: ${e.ErrorMessage}`), [
            `InvalidArgument: ${missing('Source')}`,
            `InvalidArgument: ${missing('DetailType')}`,
            'MalformedDetail: Detail is malformed.',
            'MalformedDetail: Detail is malformed.',
            'MalformedDetail: Detail is malformed.',
            'NotAuthorizedForSourceException: Not authorized for the source.',
            'ok',
        ]);
        assert.equal(errs.json.FailedEntryCount, 6);
        const big = await signedRequest(srv, { target, body: cases['over 256 KiB in all'] });
        assert.equal(big.status, 400);
        assert.deepEqual(big.json, {
            __type: 'ValidationException',
            message: 'Total size of the entries in the request is over the limit.',
        });
    });
});

describe('AWS CLI', () => {
    /* eventbridge-api-destinations/12-oauth-api-cmk-encryption/testEvent.json (aws-samples/serverless-patterns) */
    const TEST_EVENT = [{
        DetailType: 'demo-event-type',
        EventBusName: 'ExternalOAuthEventBus',
        Source: 'com.demo-event-bus.cmk',
        Detail: '{"responsePayload":"EventBridge CMK Demo success"}',
    }];

    test('aws events put-events --entries file://testEvent.json (serverlessland seed sample)',
        { skip: HAVE_AWS ? false : 'aws CLI not installed' }, async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evbridge-e2e-cli-'));
            try {
                const config = path.join(dir, 'config');
                /* CLI v1 would fetch http(s):// parameter values; turn that off */
                fs.writeFileSync(config, '[default]\ncli_follow_urlparam = false\nregion = us-east-1\n');
                fs.writeFileSync(path.join(dir, 'testEvent.json'), `${JSON.stringify(TEST_EVENT, null, 4)}\n`);

                /* the sample's template creates the bus and a rule on it (its target is left out here) */
                await send(CreateEventBusCommand, { Name: 'ExternalOAuthEventBus' });
                await send(PutRuleCommand, {
                    Name: 'EventRule', EventBusName: 'ExternalOAuthEventBus', State: 'ENABLED',
                    EventPattern: JSON.stringify({ source: ['com.demo-event-bus.cmk'], 'detail-type': ['demo-event-type'] }),
                });

                const env = {
                    ...process.env,
                    AWS_ACCESS_KEY_ID: 'test',
                    AWS_SECRET_ACCESS_KEY: 'test',
                    AWS_DEFAULT_REGION: 'us-east-1',
                    AWS_CONFIG_FILE: config,
                    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/evbridge-e2e-credentials',
                    AWS_MAX_ATTEMPTS: '1',
                    AWS_RETRY_MODE: 'standard',
                    AWS_EC2_METADATA_DISABLED: 'true',
                    AWS_PAGER: '',
                    NO_PROXY: '127.0.0.1,localhost',
                    no_proxy: '127.0.0.1,localhost',
                };
                const { stdout } = await run('aws', ['events', 'put-events', '--entries', 'file://testEvent.json',
                    '--endpoint-url', srv.endpoint, '--output', 'json'], { env, cwd: dir, timeout: 30000 });
                const out = JSON.parse(stdout);
                assert.equal(out.FailedEntryCount, 0);
                assert.equal(out.Entries.length, 1);
                assert.deepEqual(Object.keys(out.Entries[0]), ['EventId']);
                assert.match(out.Entries[0].EventId, UUID_RE);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
});
