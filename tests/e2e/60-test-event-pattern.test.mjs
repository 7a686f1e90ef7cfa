/*
 * 60-test-event-pattern.test.mjs - TestEventPattern against every recorded
 * event-pattern template, and PutRule with the same patterns.
 *
 * Inputs: shared/conformance/localstack/event_pattern_templates/*.json5
 * (155 cases: no suffix → Result true, _NEG → false, _EXC →
 * InvalidEventPatternException with the message recorded in
 * test_events_patterns.snapshot.json), plus the other AWS-validated entries
 * of that file (invalid JSON patterns, bad Event payloads, source match,
 * large payload, duplicated key, escape characters).
 * Spec: spec/event-patterns.md §5, spec/buses-rules-targets.md §5,
 * shared/conformance/README.md §2.
 *
 * Templates are sent as JSON.stringify(Event) / JSON.stringify(EventPattern).
 * The recorded messages carry a Jackson location line (`\n at [Source: ...`)
 * whose column numbers refer to Python's json.dumps spacing; evbridge may
 * leave it out, so messages are compared up to that line.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
    CreateEventBusCommand,
    DeleteRuleCommand,
    DescribeRuleCommand,
    ListRulesCommand,
    PutRuleCommand,
    TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';

import { CONFORMANCE_DIR, body, expectError, startServer } from './lib/server.mjs';

const LS_DIR = path.join(CONFORMANCE_DIR, 'localstack');
const TEMPLATE_DIR = path.join(LS_DIR, 'event_pattern_templates');
const SNAPSHOT = path.join(LS_DIR, 'test_events_patterns.snapshot.json');
const NODE_PREFIX = 'tests/aws/services/events/test_events_patterns.py::TestEventPattern::';

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
const testPattern = (Event, EventPattern) => send(TestEventPatternCommand, { Event, EventPattern });

/* ------------------------------------------------------------ templates */

/* JSON5 as used by the templates: // and block comments, trailing commas. */
function stripJson5(src) {
    const scanString = (s, i) => {
        let j = i + 1;
        while (j < s.length && s[j] !== '"')
            j += s[j] === '\\' ? 2 : 1;
        return j + 1;
    };
    let noComments = '';
    for (let i = 0; i < src.length;) {
        if (src[i] === '"') {
            const j = scanString(src, i);
            noComments += src.slice(i, j);
            i = j;
        } else if (src.startsWith('//', i)) {
            while (i < src.length && src[i] !== '\n')
                i++;
        } else if (src.startsWith('/*', i)) {
            const e = src.indexOf('*/', i + 2);
            i = e < 0 ? src.length : e + 2;
        } else {
            noComments += src[i++];
        }
    }
    let out = '';
    for (let i = 0; i < noComments.length;) {
        if (noComments[i] === '"') {
            const j = scanString(noComments, i);
            out += noComments.slice(i, j);
            i = j;
            continue;
        }
        if (noComments[i] === ',') {
            let j = i + 1;
            while (j < noComments.length && /\s/.test(noComments[j]))
                j++;
            if (noComments[j] === '}' || noComments[j] === ']') {
                i++;
                continue;
            }
        }
        out += noComments[i++];
    }
    return out;
}

function loadTemplates() {
    if (!fs.existsSync(TEMPLATE_DIR)) {
        throw new Error(`event pattern templates not found at ${TEMPLATE_DIR} ` +
            '(set EVBRIDGE_CONFORMANCE_DIR to the shared/conformance directory)');
    }
    const snapshot = JSON.parse(fs.readFileSync(SNAPSHOT, 'utf8'));
    return fs.readdirSync(TEMPLATE_DIR).filter((f) => f.endsWith('.json5')).sort().map((f) => {
        const name = f.slice(0, -'.json5'.length);
        const t = JSON.parse(stripJson5(fs.readFileSync(path.join(TEMPLATE_DIR, f), 'utf8')));
        const kind = name.endsWith('_EXC') ? 'exc' : name.endsWith('_NEG') ? 'neg' : 'pos';
        const rec = snapshot[`${NODE_PREFIX}test_event_pattern[${name}]`];
        let message;
        if (kind === 'exc') {
            const err = rec?.['recorded-content']?.[name]?.exception_message?.Error;
            assert.ok(err, `no recorded exception for ${name}`);
            assert.equal(err.Code, 'InvalidEventPatternException');
            message = err.Message;
        }
        return {
            name,
            kind,
            recorded: Boolean(rec),
            event: JSON.stringify(t.Event),
            pattern: JSON.stringify(t.EventPattern),
            message,
        };
    });
}

const cutLocation = (m) => m.split('\n at [Source:')[0];

let TEMPLATES = [];
let SNAP = {};
try {
    TEMPLATES = loadTemplates();
    SNAP = JSON.parse(fs.readFileSync(SNAPSHOT, 'utf8'));
} catch (e) {
    test('load the event pattern templates', () => {
        throw e;
    });
}

/* Calls fn, returns the error it throws (or fails when it does not throw). */
async function errorOf(promise, what) {
    try {
        await promise;
    } catch (e) {
        return e;
    }
    assert.fail(`${what}: expected an error, the call succeeded`);
}

function checkPatternError(e, expectedMessage, what) {
    assert.deepEqual(
        { name: e.name, status: e.$metadata?.httpStatusCode, message: cutLocation(e.message) },
        { name: 'InvalidEventPatternException', status: 400, message: cutLocation(expectedMessage) },
        what);
}

function recordedError(key, snapKey) {
    const rc = SNAP[`${NODE_PREFIX}${key}`]?.['recorded-content'];
    assert.ok(rc, `no recording for ${key}`);
    return rc[snapKey].Error;
}

/* ================================================= all 155 templates */

describe('event_pattern_templates', () => {
    test('the corpus: 155 templates, 66 match, 51 _NEG, 38 _EXC, all recorded', () => {
        assert.equal(TEMPLATES.length, 155);
        const count = (k) => TEMPLATES.filter((t) => t.kind === k).length;
        assert.deepEqual({ pos: count('pos'), neg: count('neg'), exc: count('exc') }, { pos: 66, neg: 51, exc: 38 });
        assert.deepEqual(TEMPLATES.filter((t) => !t.recorded).map((t) => t.name), []);
    });

    test('TestEventPattern on every template', async () => {
        const failures = [];
        for (const t of TEMPLATES) {
            try {
                if (t.kind === 'exc') {
                    const e = await errorOf(testPattern(t.event, t.pattern), t.name);
                    checkPatternError(e, t.message, t.name);
                } else {
                    const r = await testPattern(t.event, t.pattern);
                    assert.deepEqual(body(r), { Result: t.kind === 'pos' }, t.name);
                }
            } catch (e) {
                failures.push(`${t.name}: ${e.message.split('\n').slice(0, 12).join('\n    ')}`);
            }
        }
        assert.equal(failures.length, 0,
            `${failures.length} of ${TEMPLATES.length} templates failed:\n  ${failures.join('\n  ')}`);
    });

    test('PutRule accepts every valid pattern (stored verbatim) and refuses every _EXC with the same message',
        async () => {
            const bus = 'bus-templates';
            await send(CreateEventBusCommand, { Name: bus });
            const failures = [];
            for (const [i, t] of TEMPLATES.entries()) {
                const Name = `tpl-${i}`;
                try {
                    if (t.kind === 'exc') {
                        const e = await errorOf(send(PutRuleCommand, { Name, EventBusName: bus, EventPattern: t.pattern }),
                            t.name);
                        checkPatternError(e, t.message, t.name);
                    } else {
                        await send(PutRuleCommand, { Name, EventBusName: bus, EventPattern: t.pattern });
                        const d = await send(DescribeRuleCommand, { Name, EventBusName: bus });
                        assert.equal(d.EventPattern, t.pattern, `${t.name}: EventPattern echoed verbatim`);
                        await send(DeleteRuleCommand, { Name, EventBusName: bus });
                    }
                } catch (e) {
                    failures.push(`${t.name}: ${e.name}: ${e.message.split('\n').slice(0, 6).join('\n    ')}`);
                }
            }
            assert.equal(failures.length, 0,
                `${failures.length} of ${TEMPLATES.length} templates failed:\n  ${failures.join('\n  ')}`);
            assert.deepEqual(body(await send(ListRulesCommand, { EventBusName: bus })), { Rules: [] },
                'no _EXC pattern left a rule behind');
        });
});

/* ============================================ other recorded cases */

describe('recorded: invalid patterns and events', () => {
    const EVENT = '{"id": "1", "source": "test-source", "detail-type": "test-detail-type", "account": ' +
        '"123456789012", "region": "us-east-2", "time": "2022-07-13T13:48:01Z", "detail": {"test": "test"}}';

    for (const pattern of [
        'this is valid json but not a dict',
        "{'bad': 'quotation'}",
        '{"not": closed mark"',
        '["not", "a", "dict", "but valid json"]',
    ]) {
        test(`test_invalid_json_event_pattern[${pattern}]`, async () => {
            const rec = recordedError(`test_invalid_json_event_pattern[${pattern}]`, 'invalid-pattern');
            assert.equal(rec.Code, 'InvalidEventPatternException');
            const e = await errorOf(testPattern(EVENT, pattern), pattern);
            checkPatternError(e, rec.Message, pattern);
            /* the pattern is sent as is here, so a location line, if any, must be AWS's */
            if (e.message.includes('\n at [Source:'))
                assert.equal(e.message, rec.Message, 'Jackson location line');
            const p = await errorOf(send(PutRuleCommand, { Name: 'invalid-json', EventPattern: pattern }), pattern);
            checkPatternError(p, rec.Message, `PutRule ${pattern}`);
        });
    }

    const PATTERN = JSON.stringify({ body: { test2: [{ numeric: ['>', 100] }] } });
    const EVENT_INVALID = 'Parameter Event is not valid.';

    test('test_plain_string_payload', async () => {
        assert.equal(recordedError('test_plain_string_payload', 'plain-string-payload-exc').Message, EVENT_INVALID);
        await expectError(testPattern('plain string', PATTERN), 'ValidationException', EVENT_INVALID);
    });

    test('test_array_event_payload', async () => {
        assert.equal(recordedError('test_array_event_payload', 'array-event-payload-exc').Message, EVENT_INVALID);
        await expectError(testPattern(JSON.stringify(['plain string']), PATTERN), 'ValidationException', EVENT_INVALID);
    });

    test('test_invalid_event_payload (required keys missing)', async () => {
        assert.equal(recordedError('test_invalid_event_payload', 'plain-string-payload-exc').Message, EVENT_INVALID);
        await expectError(testPattern(JSON.stringify({ testEvent: 'value' }), PATTERN), 'ValidationException',
            EVENT_INVALID);
    });

    test('each of id, account, source, time, region, detail-type is required; resources is not', async () => {
        const full = {
            id: '1', account: '123456789012', source: 's', time: '2022-07-13T13:48:01Z', region: 'us-east-2',
            'detail-type': 'dt',
        };
        const p = JSON.stringify({ source: ['s'] });
        assert.deepEqual(body(await testPattern(JSON.stringify(full), p)), { Result: true });
        for (const key of Object.keys(full)) {
            const ev = { ...full };
            delete ev[key];
            await expectError(testPattern(JSON.stringify(ev), p), 'ValidationException', EVENT_INVALID);
        }
        /* not JSON at all, and JSON scalars */
        for (const ev of ['{"id": ', '42', 'null', '"a string"'])
            await expectError(testPattern(ev, p), 'ValidationException', EVENT_INVALID);
    });
});

describe('recorded: matching', () => {
    const event = (over = {}) => JSON.stringify({
        id: '1', source: 'order', 'detail-type': 'Test', account: '000000000000', region: 'us-east-1',
        time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), ...over,
    });

    test('test_event_pattern_source', async () => {
        const rc = SNAP[`${NODE_PREFIX}test_event_pattern_source`]['recorded-content'];
        const yes = await testPattern(event(), JSON.stringify({ source: ['order'], 'detail-type': ['Test'] }));
        assert.deepEqual(body(yes), { Result: rc['eventbridge-test-event-pattern-response'].Result });
        assert.deepEqual(body(yes), { Result: true });
        const no = await testPattern(event(), JSON.stringify({ source: ['shipment'], 'detail-type': ['Test'] }));
        assert.deepEqual(body(no), { Result: rc['eventbridge-test-event-pattern-response-no-match'].Result });
        assert.deepEqual(body(no), { Result: false });
    });

    /*
     * test_event_with_large_and_complex_payload used a ~35 KB event from the
     * upstream test_payloads directory (not part of the shared corpus); this
     * one has the same shape: many random-looking nested objects and, at
     * detail.payload.nested.another-level.deep, a list of objects of which
     * the first has "inside-list": "q-test-value".
     */
    function largeEvent() {
        let seed = 42;
        const rnd = () => {
            seed = (seed * 1103515245 + 12345) % 2147483648;
            return seed;
        };
        const word = (n) => Array.from({ length: n }, () => String.fromCharCode(65 + (rnd() % 26) + (rnd() % 2) * 32))
            .join('');
        const block = () => ({
            [word(10)]: word(8), [word(13)]: word(60), [word(14)]: word(40), [word(19)]: rnd() % 100,
            [word(14)]: Array.from({ length: 6 }, () => ({ [word(2)]: word(1), [word(4)]: word(45) })),
            [word(15)]: { [word(6)]: word(20), [word(7)]: [rnd() % 1000, word(5), null, true] },
            [word(20)]: null,
        });
        const nested = {};
        for (let i = 0; i < 44; i++)
            nested[word(8 + (i % 20))] = block();
        nested['another-level'] = {
            ...block(),
            deep: [
                { 'inside-list': 'q-test-value', [word(4)]: word(32), [word(10)]: word(21) },
                ...Array.from({ length: 5 }, () => ({ [word(2)]: word(1), [word(4)]: word(44) })),
            ],
        };
        return JSON.stringify({
            id: '1', source: 'soft1', 'detail-type': 'cmd.documents.generate', account: '123456789012',
            region: 'us-east-2', time: '2022-07-13T13:48:01Z',
            detail: {
                sourceHostname: 'lambda.amazonaws.com', correlationUuid: 'a26f70c2-e071-459f-8b87-81fdfb43e28a',
                retryCount: 0, metadata: block(), payload: { [word(12)]: word(30), nested, [word(16)]: block() },
                payloadClaimCheck: null,
            },
        });
    }

    test('test_event_with_large_and_complex_payload', async () => {
        const ev = largeEvent();
        assert.ok(ev.length > 30000, `event is ${ev.length} bytes`);
        const rc = SNAP[`${NODE_PREFIX}test_event_with_large_and_complex_payload`]['recorded-content'];
        const simple = await testPattern(ev, JSON.stringify({ 'detail-type': ['cmd.documents.generate'] }));
        assert.deepEqual(body(simple), { Result: rc['complex-event-simple-pattern'].Result });
        const complex = await testPattern(ev, JSON.stringify({
            detail: { 'payload.nested.another-level.deep': { 'inside-list': [{ prefix: 'q-test' }] } },
        }));
        assert.deepEqual(body(complex), { Result: rc['complex-event-complex-pattern'].Result });
        assert.equal(rc['complex-event-complex-pattern'].Result, true);
        /* and the same path with a prefix that is not there */
        const none = await testPattern(ev, JSON.stringify({
            detail: { 'payload.nested.another-level.deep': { 'inside-list': [{ prefix: 'zz-test' }] } },
        }));
        assert.deepEqual(body(none), { Result: false });
    });

    test('test_event_pattern_with_multi_key (duplicated key, AWS-validated Result true)', async () => {
        const ev = fs.readFileSync(path.join(TEMPLATE_DIR, 'complex_multi_key_event.json'), 'utf8');
        const pattern = fs.readFileSync(path.join(TEMPLATE_DIR, 'complex_multi_key_event_pattern.json'), 'utf8');
        assert.deepEqual(body(await testPattern(ev, pattern)), { Result: true });
    });

    test('test_event_pattern_with_escape_characters (AWS-validated Result true)', async () => {
        const ev = String.raw`{"id": "1", "source": "test-source", "detail-type": "test-detail-type", "account": "123456789012", "region": "us-east-2", "time": "2022-07-13T13:48:01Z", "detail": {"escape_star": "*", "escape_backslash": "\\"}}`;
        const pattern = String.raw`{"detail": {"escape_star": ["*"], "escape_backslash": ["\\"]}}`;
        assert.deepEqual(body(await testPattern(ev, pattern)), { Result: true });
    });

    test('number_comparison_float as Python sends it (300.0 vs [300])', async () => {
        /* JSON.stringify turns 300.0 into 300; json.dumps keeps "300.0" */
        const ev = '{"id": "1", "source": "test-source", "detail-type": "test-detail-type", "account": ' +
            '"123456789012", "region": "us-east-2", "time": "2022-07-13T13:48:01Z", "number": 300.0}';
        assert.deepEqual(body(await testPattern(ev, '{"number": [300]}')), { Result: true });
    });
});
