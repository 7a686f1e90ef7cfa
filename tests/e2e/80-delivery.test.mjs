/*
 * 80-delivery.test.mjs - the delivery engine end to end: PutEvents -> outbox
 * -> engine -> a real HTTP receiver on 127.0.0.1 (lib/receiver.mjs).
 *
 * Asserted: the request an API destination gets (method, '*' path
 * parameters, merged query string and headers with hostile characters,
 * stripped and fixed headers, API_KEY / BASIC credentials, the exact
 * envelope or the target's Input / InputPath / InputTransformer output,
 * connection BodyParameters, no body on GET / HEAD, keep-alive), the outcome
 * classes (retried statuses, timeouts, closed sockets, refused connections,
 * Retry-After, RetryPolicy), de-authorization on 401 / 407, the per
 * destination rate limit, isolation of a dead endpoint, fan-out to several
 * rules, dead-letter queues and SQS targets (when the SQS service exists),
 * the delivery history (signed GET /_evbridge/v1/deliveries and
 * `evbridge deliveries`), and that no secret reaches the log, the history
 * or the data directory.
 *
 * Expected values: spec/delivery.md, spec/put-events.md §5,
 * spec/input-transformer.md, spec/api-destinations.md §2, issue 6.
 * The server runs with --retry-base-ms 50 --retry-cap-ms 200 so retries are
 * quick. Nothing is sent anywhere but 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import {
    CreateApiDestinationCommand,
    CreateConnectionCommand,
    DeauthorizeConnectionCommand,
    DescribeApiDestinationCommand,
    DescribeConnectionCommand,
    ListTargetsByRuleCommand,
    PutEventsCommand,
    PutRuleCommand,
    PutTargetsCommand,
    UpdateApiDestinationCommand,
    UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';

import {
    ACCOUNT,
    BIN,
    REGION,
    Server,
    UUID_RE,
    assertNoSecrets,
    eventually,
    expectError,
    freePort,
    rfc3986,
    startServer,
} from './lib/server.mjs';
import { sleep, startReceiver } from './lib/receiver.mjs';

const run = promisify(execFile);

/* The SQS service (AmazonSQS.*) is written separately; its tests run once it exists. */
const HAVE_SQS = typeof Server.prototype.sqs === 'function';
const NO_SQS = HAVE_SQS ? false : 'SQS service not yet available';

const RETRY_ARGS = ['--retry-base-ms', '50', '--retry-cap-ms', '200'];
const UA = 'Amazon/EventBridge/ApiDestinations';
const JSON_CT = 'application/json; charset=utf-8';
const RANGE = 'bytes=0-1048575';

/* Every credential used in this file: the receiver may see them, nothing else may. */
const SECRET = {
    apiKey: 'ak-SECRET-7f3e9a1c55',
    apiKey2: 'ak-SECRET-ROTATED-0b8d2e',
    password: 'pw-SECRET/2c4b "x"&ü',
    header: 'hdr-SECRET-4e1d77',
    query: 'qs-SECRET-93ab0c',
    body: 'body-SECRET-61f2d8',
    forbidden: 'ak-SECRET-401-aa90e1',
};
const SECRETS = Object.values(SECRET);

let srv;
let eb;
let rx;
let sqs;
let SQS;

before(async () => {
    rx = await startReceiver();
    srv = await startServer({ logLevel: 'debug', extraArgs: RETRY_ARGS });
    eb = srv.eventbridge();
    if (HAVE_SQS) {
        SQS = await import('@aws-sdk/client-sqs');
        sqs = srv.sqs();
    }
});

after(async () => {
    try {
        await srv?.stop();
    } finally {
        await rx?.stop();
    }
});

/* ------------------------------------------------------------------ helpers */

const send = (Cmd, input = {}) => eb.send(new Cmd(input));
let seq = 0;
const uniq = (p) => `${p}-${++seq}`;

/* RFC 3986 unreserved characters kept, everything else %XX (UTF-8). */
const enc = rfc3986;

const TIME = new Date('2024-05-06T07:08:09Z');
const TIME_ISO = '2024-05-06T07:08:09Z';
const DETAIL = { name: 'alpha', n: 1, list: [1, 'two', null], nested: { 'ü': '✓ "quoted" / back\\slash' } };
const RESOURCES = ['arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789'];
const DETAIL_TYPE = 'delivery test';

/* The envelope put-events.md §5 specifies, compact, in AWS's key order. */
function envelope(id, source, { detail = DETAIL, detailType = DETAIL_TYPE, resources = RESOURCES } = {}) {
    return JSON.stringify({
        version: '0', id, 'detail-type': detailType, source, account: ACCOUNT, time: TIME_ISO,
        region: REGION, resources, detail,
    });
}

async function apiKeyConn({ name = uniq('conn-key'), key = 'x-api-key', value = SECRET.apiKey, http } = {}) {
    const r = await send(CreateConnectionCommand, {
        Name: name, AuthorizationType: 'API_KEY',
        AuthParameters: {
            ApiKeyAuthParameters: { ApiKeyName: key, ApiKeyValue: value },
            ...(http ? { InvocationHttpParameters: http } : {}),
        },
    });
    assert.equal(r.ConnectionState, 'AUTHORIZED');
    return { name, arn: r.ConnectionArn };
}

async function basicConn({ name = uniq('conn-basic'), user = 'user', password = SECRET.password, http } = {}) {
    const r = await send(CreateConnectionCommand, {
        Name: name, AuthorizationType: 'BASIC',
        AuthParameters: {
            BasicAuthParameters: { Username: user, Password: password },
            ...(http ? { InvocationHttpParameters: http } : {}),
        },
    });
    assert.equal(r.ConnectionState, 'AUTHORIZED');
    return { name, arn: r.ConnectionArn };
}

let sharedConn; /* a promise: concurrent tests share one connection */
function defaultConn() {
    sharedConn ??= apiKeyConn({ name: 'conn-shared' });
    return sharedConn;
}

/*
 * A connection (given or the shared API_KEY one), an API destination, a rule
 * matching source `test.<name>` on the default bus and its targets (each
 * target: extra members; Id t0, t1, ...; Arn the destination unless given).
 */
async function route({
    name = uniq('r'), conn, endpoint, method = 'POST', rate, targets = [{}], pathPrefix,
} = {}) {
    conn ??= await defaultConn();
    const p = pathPrefix ?? `/${name}`;
    const destName = `dest-${name}`;
    const d = await send(CreateApiDestinationCommand, {
        Name: destName, ConnectionArn: conn.arn, HttpMethod: method,
        InvocationEndpoint: endpoint ?? rx.url(p),
        ...(rate ? { InvocationRateLimitPerSecond: rate } : {}),
    });
    assert.equal(d.ApiDestinationState, 'ACTIVE');
    const source = `test.${name}`;
    const ruleName = `rule-${name}`;
    const rr = await send(PutRuleCommand, { Name: ruleName, EventPattern: JSON.stringify({ source: [source] }) });
    const t = await send(PutTargetsCommand, {
        Rule: ruleName,
        Targets: targets.map((x, i) => ({ Id: `t${i}`, Arn: d.ApiDestinationArn, ...x })),
    });
    assert.equal(t.FailedEntryCount, 0, JSON.stringify(t.FailedEntries));
    return {
        name, conn, source, path: p, ruleName, ruleArn: rr.RuleArn, destName, destArn: d.ApiDestinationArn,
        /* count events (detail varies by `i` unless a detail is given); returns their EventIds */
        put: (count = 1, detail) => putEvents(source, count, detail),
    };
}

async function putEvents(source, count = 1, detail) {
    const ids = [];
    for (let off = 0; off < count; off += 10) {
        const n = Math.min(10, count - off);
        const r = await send(PutEventsCommand, {
            Entries: Array.from({ length: n }, (_, i) => ({
                Source: source, DetailType: DETAIL_TYPE, Time: TIME, Resources: RESOURCES,
                Detail: JSON.stringify(detail ?? (count === 1 ? DETAIL : { ...DETAIL, i: off + i })),
            })),
        });
        assert.equal(r.FailedEntryCount, 0, JSON.stringify(r.Entries));
        for (const e of r.Entries) {
            assert.match(e.EventId, UUID_RE);
            ids.push(e.EventId);
        }
    }
    return ids;
}

/*
 * History rows of one rule, oldest first, once there are at least n; then
 * waits settleMs and checks no more arrived (exact count).
 */
async function history(ruleName, n, { timeoutMs = 5000, settleMs = 400, ...filters } = {}) {
    const rows = await eventually(async () => {
        const r = await srv.deliveries({ rule: ruleName, limit: 1000, ...filters });
        assert.ok(r.length >= n, `history of ${ruleName}: ${r.length} rows, want ${n}: ${JSON.stringify(r)}`);
        return r;
    }, timeoutMs, 100);
    if (settleMs) {
        await sleep(settleMs);
        const again = await srv.deliveries({ rule: ruleName, limit: 1000, ...filters });
        assert.equal(again.length, n, `history of ${ruleName} after settling: ${JSON.stringify(again)}`);
        return again.slice().reverse();
    }
    return rows.slice().reverse();
}

/* [Attempt, Result, HttpStatus] of history rows, for compact deepEquals. */
const summary = (rows) => rows.map((r) => [r.Attempt, r.Result, r.HttpStatus ?? null]);

/* Splits a raw query string into decoded [key, value] pairs. */
function queryPairs(q) {
    if (!q)
        return [];
    return q.split('&').map((kv) => {
        const i = kv.indexOf('=');
        assert.ok(i > 0, `query member without '=': ${kv}`);
        return [decodeURIComponent(kv.slice(0, i)), decodeURIComponent(kv.slice(i + 1))];
    });
}

async function describeConn(Name) {
    return send(DescribeConnectionCommand, { Name });
}

async function destState(Name) {
    return (await send(DescribeApiDestinationCommand, { Name })).ApiDestinationState;
}

/* ======================================================== the request */

describe('the request an API destination receives', () => {
    test('API_KEY: method, * path parameters, merged query and headers, the exact envelope', async () => {
        const conn = await apiKeyConn({
            key: 'x-api-key',
            http: {
                HeaderParameters: [
                    { Key: 'X-Conn-Header', Value: 'conn value', IsValueSecret: false },
                    { Key: 'x-shared', Value: 'from-connection', IsValueSecret: false },
                    { Key: 'X-Secret-Header', Value: SECRET.header, IsValueSecret: true },
                ],
                QueryStringParameters: [
                    { Key: 'shared', Value: 'conn wins', IsValueSecret: false },
                    { Key: 'c&k=1', Value: 'v=2&x=3#frag', IsValueSecret: false },
                    { Key: 'secretq', Value: SECRET.query, IsValueSecret: true },
                ],
            },
        });
        const name = uniq('req-key');
        const v1 = 'a b/c?d#e&f=g%20h+i';
        const v2 = 'ünï✓ 東京';
        const r = await route({
            name, conn,
            endpoint: rx.url(`/${name}/items/*/mid/*/end?fixed=1&keep=a%20b`),
            targets: [{
                HttpParameters: {
                    PathParameterValues: [v1, v2],
                    QueryStringParameters: { shared: 'target loses', 't k': 'v/?#&=ü+', plain: 'p' },
                    HeaderParameters: { 'X-Target-Header': 'target value', 'X-SHARED': 'from-target' },
                },
            }],
        });
        const [id] = await r.put();
        const [req] = await rx.waitForCount((q) => q.url.startsWith(`/${name}/`), 1);

        assert.equal(req.method, 'POST');
        /* path: each '*' replaced by one URL-encoded segment */
        assert.equal(req.path, `/${name}/items/${enc(v1)}/mid/${enc(v2)}/end`);
        assert.deepEqual(req.path.split('/').map(decodeURIComponent), ['', name, 'items', v1, 'mid', v2, 'end']);
        /* query: the endpoint's own, then target + connection (connection wins), all encoded */
        assert.ok(req.query.startsWith('fixed=1&keep=a%20b&'), req.query);
        const pairs = queryPairs(req.query);
        assert.deepEqual(pairs.slice().sort(), [
            ['c&k=1', 'v=2&x=3#frag'],
            ['fixed', '1'],
            ['keep', 'a b'],
            ['plain', 'p'],
            ['secretq', SECRET.query],
            ['shared', 'conn wins'],
            ['t k', 'v/?#&=ü+'],
        ], req.query);
        assert.ok(req.query.includes(`${enc('c&k=1')}=${enc('v=2&x=3#frag')}`), req.query);
        assert.ok(req.query.includes(`${enc('t k')}=${enc('v/?#&=ü+')}`), req.query);

        /* headers */
        assert.deepEqual(req.all('x-api-key'), [SECRET.apiKey]);
        assert.deepEqual(req.all('x-conn-header'), ['conn value']);
        assert.deepEqual(req.all('x-shared'), ['from-connection'], 'the connection wins, case-insensitively');
        assert.deepEqual(req.all('x-target-header'), ['target value']);
        assert.deepEqual(req.all('x-secret-header'), [SECRET.header]);
        assert.deepEqual(req.all('user-agent'), [UA]);
        assert.deepEqual(req.all('content-type'), [JSON_CT]);
        assert.deepEqual(req.all('range'), [RANGE]);
        assert.deepEqual(req.all('accept-encoding'), ['gzip,deflate']);
        assert.deepEqual(req.all('host'), [`127.0.0.1:${rx.port}`]);
        assert.deepEqual(req.all('authorization'), []);

        /* body: the envelope, byte for byte, id = the EventId PutEvents returned */
        assert.equal(req.text, envelope(id, r.source));
        assert.deepEqual(req.all('content-length'), [String(req.body.length)]);
    });

    test('BASIC: Authorization Basic base64(user:password)', async () => {
        const user = 'üser name';
        const conn = await basicConn({ user, password: SECRET.password });
        const r = await route({ conn });
        const [id] = await r.put();
        const [req] = await rx.waitForCount(r.path, 1);
        assert.deepEqual(req.all('authorization'),
            [`Basic ${Buffer.from(`${user}:${SECRET.password}`, 'utf8').toString('base64')}`]);
        assert.deepEqual(req.all('user-agent'), [UA]);
        assert.equal(req.text, envelope(id, r.source));
    });

    test('stripped headers given as parameters are not sent with the given values', async () => {
        const conn = await apiKeyConn({
            http: {
                HeaderParameters: [
                    { Key: 'user-agent', Value: 'conn-agent', IsValueSecret: false },
                    { Key: 'Via', Value: 'conn-via', IsValueSecret: false },
                    { Key: 'X-Kept', Value: 'kept', IsValueSecret: false },
                ],
            },
        });
        const r = await route({
            conn,
            targets: [{
                HttpParameters: {
                    HeaderParameters: {
                        Host: 'evil.example', 'User-Agent': 'evil-agent', Connection: 'upgrade',
                        'Cache-Control': 'no-cache', Range: 'bytes=9-9', 'Accept-Encoding': 'br',
                        'Content-Length': '1', 'Transfer-Encoding': 'chunked', Expect: '100-continue',
                        'If-Match': '"x"', Origin: 'http://evil.example', Referer: 'http://evil.example',
                        'Max-Forwards': '3', Pragma: 'no-cache', Date: 'yesterday', From: 'a@evil.example',
                        TE: 'trailers', Upgrade: 'h2c', Warning: '199 evil', 'Proxy-Authorization': 'Basic eA==',
                        'X-Target': 'ok',
                    },
                },
            }],
        });
        const [id] = await r.put();
        const [req] = await rx.waitForCount(r.path, 1);
        assert.deepEqual(req.all('host'), [`127.0.0.1:${rx.port}`]);
        assert.deepEqual(req.all('user-agent'), [UA]);
        assert.deepEqual(req.all('range'), [RANGE]);
        assert.deepEqual(req.all('accept-encoding'), ['gzip,deflate']);
        assert.deepEqual(req.all('content-length'), [String(req.body.length)]);
        assert.ok(!req.all('connection').some((v) => /upgrade/i.test(v)), JSON.stringify(req.rawHeaders));
        for (const h of ['cache-control', 'transfer-encoding', 'expect', 'if-match', 'origin', 'referer',
            'max-forwards', 'pragma', 'date', 'from', 'te', 'upgrade', 'warning', 'via', 'proxy-authorization'])
            assert.deepEqual(req.all(h), [], `${h} must not be sent: ${JSON.stringify(req.rawHeaders)}`);
        assert.deepEqual(req.all('x-kept'), ['kept']);
        assert.deepEqual(req.all('x-target'), ['ok']);
        assert.equal(req.text, envelope(id, r.source));
    });

    test('a custom Content-Type replaces the default; the connection\'s wins over the target\'s', async () => {
        const a = await route({ targets: [{ HttpParameters: { HeaderParameters: { 'content-type': 'text/plain' } } }] });
        const conn = await apiKeyConn({
            http: { HeaderParameters: [{ Key: 'CONTENT-TYPE', Value: 'application/vnd.conn+json', IsValueSecret: false }] },
        });
        const b = await route({ conn, targets: [{ HttpParameters: { HeaderParameters: { 'Content-Type': 'text/plain' } } }] });
        await a.put();
        await b.put();
        const [ra] = await rx.waitForCount(a.path, 1);
        const [rb] = await rx.waitForCount(b.path, 1);
        assert.deepEqual(ra.all('content-type'), ['text/plain']);
        assert.deepEqual(rb.all('content-type'), ['application/vnd.conn+json']);
    });

    test('target headers cannot replace or duplicate the connection\'s credentials', async () => {
        const k = await route({ targets: [{ HttpParameters: { HeaderParameters: { 'X-API-KEY': 'forged' } } }] });
        const basic = await basicConn();
        const b = await route({
            conn: basic, targets: [{ HttpParameters: { HeaderParameters: { Authorization: 'Bearer forged' } } }],
        });
        await k.put();
        await b.put();
        const [rk] = await rx.waitForCount(k.path, 1);
        const [rb] = await rx.waitForCount(b.path, 1);
        assert.deepEqual(rk.all('x-api-key'), [SECRET.apiKey], JSON.stringify(rk.rawHeaders));
        assert.deepEqual(rb.all('authorization'),
            [`Basic ${Buffer.from(`user:${SECRET.password}`).toString('base64')}`], JSON.stringify(rb.rawHeaders));
    });

    test('Input, InputPath and InputTransformer output is the body', async () => {
        const name = uniq('inputs');
        const r = await route({
            name,
            endpoint: rx.url(`/${name}/*`),
            targets: [
                { HttpParameters: { PathParameterValues: ['input'] }, Input: '{"fixed": "value", "n": 1}' },
                { HttpParameters: { PathParameterValues: ['detail'] }, InputPath: '$.detail' },
                { HttpParameters: { PathParameterValues: ['string'] }, InputPath: '$.detail.name' },
                {
                    HttpParameters: { PathParameterValues: ['transformer'] },
                    InputTransformer: {
                        InputPathsMap: { who: '$.detail.name', src: '$.source' },
                        InputTemplate: '{"who": <who>, "from": "<src>", "rule": "<aws.events.rule-name>"}',
                    },
                },
                { HttpParameters: { PathParameterValues: ['envelope'] } },
            ],
        });
        const [id] = await r.put();
        await rx.waitForCount((q) => q.path.startsWith(`/${name}/`), 5);
        const body = (p) => {
            const got = rx.on(`/${name}/${p}`);
            assert.equal(got.length, 1, p);
            return got[0].text;
        };
        assert.equal(body('input'), '{"fixed": "value", "n": 1}');
        assert.equal(body('detail'), JSON.stringify(DETAIL));
        assert.equal(body('string'), '"alpha"');
        /* a JSON template is minified after substitution (docs/internals/xform.md) */
        assert.equal(body('transformer'), `{"who":"alpha","from":"${r.source}","rule":"${r.ruleName}"}`);
        assert.equal(body('envelope'), envelope(id, r.source));
    });

    test('connection BodyParameters merge into JSON-object bodies (the connection wins)', async () => {
        const conn = await apiKeyConn({
            http: {
                BodyParameters: [
                    { Key: 'extra', Value: 'from-connection', IsValueSecret: false },
                    { Key: 'source', Value: 'overridden', IsValueSecret: false },
                    { Key: 'secretb', Value: SECRET.body, IsValueSecret: true },
                ],
            },
        });
        const name = uniq('bodyparams');
        const r = await route({
            name, conn,
            endpoint: rx.url(`/${name}/*`),
            targets: [
                { HttpParameters: { PathParameterValues: ['envelope'] } },
                { HttpParameters: { PathParameterValues: ['object'] }, Input: '{"source": "mine", "k": 1}' },
                { HttpParameters: { PathParameterValues: ['string'] }, Input: '"just a string"' },
                { HttpParameters: { PathParameterValues: ['array'] }, Input: '[1, "two"]' },
            ],
        });
        const [id] = await r.put();
        await rx.waitForCount((q) => q.path.startsWith(`/${name}/`), 4);
        const got = (p) => rx.on(`/${name}/${p}`)[0];
        const added = { extra: 'from-connection', secretb: SECRET.body };
        assert.deepEqual(got('envelope').json,
            { ...JSON.parse(envelope(id, r.source)), source: 'overridden', ...added });
        assert.equal(got('envelope').json.id, id);
        assert.deepEqual(got('object').json, { source: 'overridden', k: 1, ...added });
        assert.equal(got('string').text, '"just a string"');
        assert.equal(got('array').text, '[1, "two"]');
        for (const p of ['envelope', 'object', 'string', 'array'])
            assert.deepEqual(got(p).all('content-length'), [String(got(p).body.length)], p);
    });

    test('GET and HEAD send no body; PUT, PATCH, DELETE, OPTIONS do', async () => {
        const conn = await defaultConn();
        const methods = ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
        const routes = [];
        for (const m of methods)
            routes.push(await route({ conn, method: m, name: uniq(`method-${m.toLowerCase()}`) }));
        const ids = [];
        for (const r of routes)
            ids.push((await r.put())[0]);
        for (const [i, r] of routes.entries()) {
            const [req] = await rx.waitForCount(r.path, 1);
            assert.equal(req.method, methods[i]);
            assert.deepEqual(req.all('user-agent'), [UA], methods[i]);
            if (methods[i] === 'GET' || methods[i] === 'HEAD') {
                assert.equal(req.body.length, 0, `${methods[i]} body`);
                assert.deepEqual(req.all('transfer-encoding'), [], methods[i]);
                assert.ok(req.all('content-length').every((v) => v === '0'), methods[i]);
            } else {
                assert.equal(req.text, envelope(ids[i], r.source), methods[i]);
            }
        }
        const rows = await history(routes[1].ruleName, 1);
        assert.deepEqual(summary(rows), [[1, 'success', 200]], 'HEAD is delivered');
    });

    test('consecutive deliveries to one endpoint reuse one keep-alive connection', async () => {
        const r = await route();
        for (let i = 1; i <= 5; i++) {
            await r.put();
            await rx.waitForCount(r.path, i);
        }
        const sockets = new Set(rx.on(r.path).map((q) => q.socket));
        assert.equal(sockets.size, 1, `5 sequential deliveries used ${sockets.size} connections: `
            + JSON.stringify(rx.on(r.path).map((q) => [q.socket, q.path])));
    });
});

/* ============================================================ rate limit */

/* Alone, not in the concurrent group below, so that the arrival times it measures
 * depend on the destination's bucket only. */
describe('rate limit', () => {
    test('InvocationRateLimitPerSecond 5, shared by two rules: 20 events spread over >= 3 s, ' +
        '<= 6 in any second, none dropped', async () => {
        const r = await route({ rate: 5 });
        /* a second rule targeting the same destination shares its bucket */
        const sourceB = `${r.source}-b`;
        await send(PutRuleCommand, { Name: `${r.ruleName}-b`, EventPattern: JSON.stringify({ source: [sourceB] }) });
        await send(PutTargetsCommand, { Rule: `${r.ruleName}-b`, Targets: [{ Id: 'b', Arn: r.destArn }] });
        const ids = [...await r.put(10), ...await putEvents(sourceB, 10)];
        const reqs = await rx.waitForCount(r.path, 20, 12000);
        await sleep(300);
        assert.equal(rx.on(r.path).length, 20, 'exactly 20 requests');
        assert.deepEqual(reqs.map((q) => q.json.id).sort(), ids.slice().sort(), 'every event arrives once');
        const times = reqs.map((q) => q.time).sort((a, b) => a - b);
        const span = times[19] - times[0];
        assert.ok(span >= 2950, `20 requests at 5/s arrived within ${span} ms`);
        let worst = 0;
        for (let i = 0; i < times.length; i++) {
            const inWindow = times.filter((t) => t >= times[i] && t < times[i] + 1000).length;
            worst = Math.max(worst, inWindow);
        }
        assert.ok(worst <= 6, `${worst} requests within one second at InvocationRateLimitPerSecond 5 ` +
            `(arrivals, ms after the first: ${times.map((t) => t - times[0]).join(' ')})`);
    });

    test('a long queue (more than the 2,048 jobs a destination keeps with their payload): ' +
        'every event arrives once, intact', async () => {
        const r = await route({ rate: 1 });
        const n = 2600;
        const ids = await r.put(n);
        /* the bucket lets one through per second: the rest waits in the queue */
        await send(UpdateApiDestinationCommand, { Name: r.destName, InvocationRateLimitPerSecond: 5000 });
        const reqs = await rx.waitForCount(r.path, n, 30000);
        await sleep(300);
        assert.equal(rx.on(r.path).length, n, `exactly ${n} requests`);
        assert.deepEqual(reqs.map((q) => q.json.id).sort(), ids.slice().sort(), 'every event arrives once');
        for (const q of reqs)
            assert.deepEqual(q.json.detail, { ...DETAIL, i: q.json.detail.i });
        assert.deepEqual(reqs.map((q) => q.json.detail.i).sort((x, y) => x - y), [...Array(n).keys()]);
    });
});

describe('a failing endpoint', () => {
    test('503 at once to 2,600 events: its backlog stops at what the engine keeps in memory, ' +
        'the rest is parked; when it recovers every event arrives exactly once more', async () => {
        const r = await route();
        const ok = await route();
        const n = 2600;
        rx.script(r.path, [{ status: 503 }]);
        const ids = await r.put(n);
        await rx.waitForCount(r.path, n, 15000); /* failing and retrying */
        /* another destination is not held up meanwhile */
        const [okId] = await ok.put();
        const [okReq] = await rx.waitForCount(ok.path, 1, 2000);
        assert.equal(okReq.json.id, okId);
        const cut = rx.requests.length; /* requests from here on are answered 200 */
        rx.script(r.path, [{ status: 200 }]);
        const after = () => rx.requests.slice(cut).filter((q) => q.path === r.path);
        await rx.waitFor(() => after().length >= n, 30000, `${n} successful deliveries`);
        await sleep(300);
        const got = after().map((q) => q.json.id);
        assert.equal(got.length, n, 'one successful request per event');
        assert.deepEqual(got.sort(), ids.slice().sort());
        const log = srv.stderr;
        assert.ok(log.includes(`delivery: ${r.destArn} has 2048 jobs in memory; its new jobs wait in the store`),
            'the destination parked its new jobs');
        assert.ok(log.includes(`delivery: ${r.destArn}: every job that waited in the store is back in memory`),
            'and read them back');
    });
});

/* ============================================================== outcomes */

describe('outcomes and retries (run concurrently)', { concurrency: true }, () => {
    test('500, 500, 200: exactly 3 requests with one event id; history retry, retry, success', async () => {
        const r = await route();
        rx.script(r.path, [{ status: 500, body: 'boom' }, { status: 500, body: 'boom' }, { status: 200, body: 'ok' }]);
        const [id] = await r.put();
        const reqs = await rx.waitForCount(r.path, 3);
        const rows = await history(r.ruleName, 3);
        assert.equal(rx.on(r.path).length, 3);
        for (const q of reqs) {
            assert.equal(q.text, envelope(id, r.source));
            assert.equal(q.json.id, id);
        }
        assert.deepEqual(summary(rows), [[1, 'retry', 500], [2, 'retry', 500], [3, 'success', 200]]);
        for (const row of rows) {
            assert.equal(row.EventId, id);
            assert.equal(row.RuleArn, r.ruleArn);
            assert.equal(row.TargetId, 't0');
            assert.equal(row.TargetArn, r.destArn);
        }
        assert.equal(rows[0].ResponseBody, 'boom');
        assert.equal(rows[2].ResponseBody, 'ok');
    });

    for (const status of [429, 409, 503, 502]) {
        test(`${status} is retried`, async () => {
            const r = await route();
            rx.script(r.path, [{ status }, { status: 204 }]);
            const [id] = await r.put();
            await rx.waitForCount(r.path, 2);
            const rows = await history(r.ruleName, 2);
            assert.deepEqual(summary(rows), [[1, 'retry', status], [2, 'success', 204]]);
            assert.ok(rows.every((x) => x.EventId === id));
            assert.equal(rx.on(r.path).length, 2);
        });
    }

    for (const status of [400, 404, 403, 413]) {
        test(`${status} is not retried`, async () => {
            const r = await route();
            rx.script(r.path, [{ status, body: 'nope' }, { status: 200 }]);
            await r.put();
            await rx.waitForCount(r.path, 1);
            const rows = await history(r.ruleName, 1, { settleMs: 600 });
            assert.equal(rx.on(r.path).length, 1);
            assert.deepEqual(summary(rows), [[1, 'failed', status]]);
            assert.match(rows[0].Error, new RegExp(`the endpoint returned HTTP ${status}\\.`));
            assert.equal(rows[0].ResponseBody, 'nope');
        });
    }

    /* AWS's pattern accepts such names; sending one would let a payload smuggle a
     * second request onto a kept-alive connection shared with other accounts. */
    for (const key of ['Transfer-Encoding', ' content-length ', 'X Key']) {
        test(`an API key named ${JSON.stringify(key)} is never sent: failed at once, nothing arrives`, async () => {
            const conn = await apiKeyConn({ key, value: 'chunked' });
            const r = await route({ conn });
            await r.put();
            const rows = await history(r.ruleName, 1, { settleMs: 600 });
            assert.deepEqual(summary(rows), [[1, 'failed', null]]);
            assert.equal(rows[0].Error, "SDK_CLIENT_ERROR: The connection's API key name cannot be "
                + 'sent as an HTTP header name: it must be a token (RFC 9110) and not a header '
                + 'EventBridge sets or strips.');
            assert.equal(rx.on(r.path).length, 0);
        });
    }

    test('a redirect is not followed and not retried', async () => {
        const r = await route();
        const elsewhere = `${r.path}-moved`;
        rx.script(r.path, [{ status: 302, headers: { location: elsewhere } }, { status: 200 }]);
        await r.put();
        await rx.waitForCount(r.path, 1);
        const rows = await history(r.ruleName, 1, { settleMs: 600 });
        assert.deepEqual(summary(rows), [[1, 'failed', 302]]);
        assert.equal(rx.on(elsewhere).length, 0, 'redirect followed');
        assert.equal(rx.on(r.path).length, 1);
    });

    test('a hanging endpoint times out after 5 s and is retried (MaximumRetryAttempts 1)', async (t) => {
        const r = await route({ targets: [{ RetryPolicy: { MaximumRetryAttempts: 1 } }] });
        rx.hang(r.path);
        const [id] = await r.put();
        const reqs = await rx.waitForCount(r.path, 2, 9000);
        const rows = await history(r.ruleName, 2, { timeoutMs: 8000, settleMs: 0 });
        /* the engine's clock: attempt 2 starts when attempt 1 timed out */
        const started = rows.map((x) => Date.parse(x.Time));
        assert.ok(started[1] - started[0] >= 4990 && started[1] - started[0] < 6500,
            `attempt 2 started ${started[1] - started[0]} ms after attempt 1`);
        /* the endpoint's clock: the receiver shares this process's event loop with 25
         * tests starting at once, so its arrival stamps can lag by ~100-150 ms */
        const gap = reqs[1].time - reqs[0].time;
        const lag = reqs.map((q, i) => q.time - started[i]);
        t.diagnostic(`request arrival - attempt start: ${lag.join(', ')} ms`);
        assert.ok(gap >= 4700 && gap < 7000, `second request ${gap} ms after the first ` +
            `(arrival - attempt start: ${lag.join(', ')} ms; LatencyMs ${rows.map((x) => x.LatencyMs).join(', ')})`);
        assert.deepEqual(summary(rows), [[1, 'retry', null], [2, 'failed', null]]);
        for (const row of rows) {
            assert.equal(row.EventId, id);
            assert.match(row.Error, /^TIMEOUT/);
            assert.ok(row.LatencyMs >= 4900 && row.LatencyMs < 6500, `LatencyMs ${row.LatencyMs}`);
        }
        assert.match(rows[1].Error, /MaximumRetryAttempts/);
        assert.equal(rx.on(r.path).length, 2);
    });

    test('a socket closed without an answer is retried', async () => {
        /* its own receiver, so the first request is on a fresh connection (see the next test) */
        const rx2 = await startReceiver();
        try {
            const r = await route({ endpoint: rx2.url('/closing') });
            rx2.script('/closing', [{ close: true }, { status: 200 }]);
            const [id] = await r.put();
            await rx2.waitForCount('/closing', 2);
            const rows = await history(r.ruleName, 2);
            assert.deepEqual(summary(rows), [[1, 'retry', null], [2, 'success', 200]]);
            assert.ok(rows[0].Error, 'the failed attempt names its error');
            assert.equal(rx2.requests.length, 2);
            assert.ok(rx2.requests.every((q) => q.json.id === id));
        } finally {
            await rx2.stop();
        }
    });

    test('a socket closed on a reused keep-alive connection: delivered, same event id', async () => {
        /* libcurl re-sends once on a fresh connection when a reused one dies without an answer */
        const r = await route();
        await r.put();
        await rx.waitForCount(r.path, 1);
        rx.script(r.path, [{ close: true }, { status: 200 }]);
        const [id] = await r.put();
        const reqs = await rx.waitForCount((q) => q.path === r.path && q.json?.id === id, 2);
        assert.ok(reqs.every((q) => q.text === envelope(id, r.source)));
        const rows = await eventually(async () => {
            const x = await srv.deliveries({ rule: r.ruleName });
            assert.equal(x[0].EventId, id);
            assert.equal(x[0].Result, 'success');
            return x;
        }, 3000);
        assert.equal(rows[0].HttpStatus, 200);
    });

    test('connection refused is retried, then fails (MaximumRetryAttempts 2)', async () => {
        const closed = await freePort();
        const r = await route({
            endpoint: `http://127.0.0.1:${closed}/refused`, targets: [{ RetryPolicy: { MaximumRetryAttempts: 2 } }],
        });
        await r.put();
        const rows = await history(r.ruleName, 3);
        assert.deepEqual(summary(rows), [[1, 'retry', null], [2, 'retry', null], [3, 'failed', null]]);
        assert.ok(rows.every((x) => x.Error), JSON.stringify(rows));
        assert.match(rows[2].Error, /MaximumRetryAttempts/);
    });

    test('Retry-After: 2 makes the next attempt wait at least 2 s', async () => {
        const r = await route();
        rx.script(r.path, [{ status: 503, headers: { 'retry-after': '2' } }, { status: 200 }]);
        await r.put();
        const reqs = await rx.waitForCount(r.path, 2, 6000);
        const gap = reqs[1].time - reqs[0].time;
        assert.ok(gap >= 2000 && gap < 3500, `second attempt ${gap} ms after the first`);
        assert.deepEqual(summary(await history(r.ruleName, 2)), [[1, 'retry', 503], [2, 'success', 200]]);
    });

    test('Retry-After as an HTTP date is honoured', async () => {
        const r = await route();
        /* 3 s ahead, cut to whole seconds by the date format: 2..3 s ahead when answered */
        rx.script(r.path, [{
            status: 429, headers: () => ({ 'retry-after': new Date(Date.now() + 3000).toUTCString() }),
        }, { status: 200 }]);
        await r.put();
        const reqs = await rx.waitForCount(r.path, 2, 7000);
        const gap = reqs[1].time - reqs[0].time;
        assert.ok(gap >= 1950 && gap < 4500, `second attempt ${gap} ms after the first`);
    });

    test('a negative Retry-After stops retrying', async () => {
        const r = await route();
        rx.script(r.path, [{ status: 503, headers: { 'retry-after': '-1' } }, { status: 200 }]);
        await r.put();
        await rx.waitForCount(r.path, 1);
        const rows = await history(r.ruleName, 1, { settleMs: 800 });
        assert.deepEqual(summary(rows), [[1, 'failed', 503]]);
        assert.equal(rx.on(r.path).length, 1);
    });

    test('RetryPolicy MaximumRetryAttempts 0: no retry', async () => {
        const r = await route({ targets: [{ RetryPolicy: { MaximumRetryAttempts: 0 } }] });
        rx.script(r.path, [{ status: 500 }, { status: 200 }]);
        await r.put();
        await rx.waitForCount(r.path, 1);
        const rows = await history(r.ruleName, 1, { settleMs: 800 });
        assert.deepEqual(summary(rows), [[1, 'failed', 500]]);
        assert.match(rows[0].Error, /MaximumRetryAttempts/);
        assert.equal(rx.on(r.path).length, 1);
    });

    test('MaximumEventAgeInSeconds: stored, 60..86400, retries still happen within it', async () => {
        /* The 60 s minimum cannot be waited out here: only storage, the range and a retry are asserted. */
        const r = await route({ targets: [{ RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 60 } }] });
        const listed = await send(ListTargetsByRuleCommand, { Rule: r.ruleName });
        assert.deepEqual(listed.Targets[0].RetryPolicy, { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 60 });
        await expectError(send(PutTargetsCommand, {
            Rule: r.ruleName,
            Targets: [{ Id: 'young', Arn: r.destArn, RetryPolicy: { MaximumEventAgeInSeconds: 59 } }],
        }), 'ValidationException', /maximumEventAgeInSeconds/);
        rx.script(r.path, [{ status: 500 }, { status: 200 }]);
        await r.put();
        assert.deepEqual(summary(await history(r.ruleName, 2)), [[1, 'retry', 500], [2, 'success', 200]]);
    });

    test('a slow answer (1.5 s) is a success; LatencyMs records it', async () => {
        const r = await route();
        rx.slow(r.path, 1500, 201);
        await r.put();
        const rows = await history(r.ruleName, 1, { timeoutMs: 6000 });
        assert.deepEqual(summary(rows), [[1, 'success', 201]]);
        assert.ok(rows[0].LatencyMs >= 1490 && rows[0].LatencyMs < 3000, `LatencyMs ${rows[0].LatencyMs}`);
    });

    test('isolation: 50 events to a healthy endpoint arrive within 2 s while another endpoint hangs', async () => {
        const dead = await route({ targets: [{ RetryPolicy: { MaximumRetryAttempts: 0 } }] });
        rx.hang(dead.path);
        const healthy = await route();
        await dead.put(20);
        await rx.waitForCount(dead.path, 20, 3000);
        const t0 = Date.now();
        const ids = await healthy.put(50);
        const reqs = await rx.waitForCount(healthy.path, 50, 2000);
        const took = Date.now() - t0;
        assert.ok(took <= 2000, `50 deliveries took ${took} ms`);
        assert.deepEqual(reqs.map((q) => q.json.id).sort(), ids.slice().sort());
    });

    test('two rules matching one event: two deliveries with the same event id', async () => {
        const a = await route();
        const source = a.source;
        const name = uniq('fanout-b');
        const b = await route({ name });
        /* a second rule for a's source, targeting b's destination */
        await send(PutRuleCommand, { Name: `${b.ruleName}-also`, EventPattern: JSON.stringify({ source: [source] }) });
        await send(PutTargetsCommand, { Rule: `${b.ruleName}-also`, Targets: [{ Id: 'other', Arn: b.destArn }] });
        const [id] = await a.put();
        const [ra] = await rx.waitForCount(a.path, 1);
        const [rb] = await rx.waitForCount(b.path, 1);
        assert.equal(ra.text, envelope(id, source));
        assert.equal(rb.text, envelope(id, source));
        const ha = await history(a.ruleName, 1);
        const hb = await history(`${b.ruleName}-also`, 1);
        assert.equal(ha[0].EventId, id);
        assert.equal(hb[0].EventId, id);
        assert.equal(hb[0].TargetId, 'other');
    });
});

/* ===================================================== de-authorization */

describe('de-authorization', () => {
    /* 401 on an API_KEY connection, step by step (shared state, in order) */
    let conn;
    let r;
    let id;

    test('401 on an API_KEY connection: DEAUTHORIZED with the StateReason, destination INACTIVE', async () => {
        conn = await apiKeyConn({
            key: 'x-api-key', value: SECRET.forbidden,
            http: { HeaderParameters: [{ Key: 'X-Still-There', Value: 'yes', IsValueSecret: false }] },
        });
        r = await route({ conn, targets: [{ RetryPolicy: { MaximumRetryAttempts: 3 } }] });
        rx.script(r.path, [{ status: 401, body: 'bad key' }, { status: 200 }]);
        [id] = await r.put();
        await rx.waitForCount(r.path, 1);
        await eventually(async () => {
            const d = await describeConn(conn.name);
            assert.equal(d.ConnectionState, 'DEAUTHORIZED');
            assert.equal(d.StateReason, 'The endpoint returned HTTP 401 to the connection\'s credentials.');
        }, 3000);
        assert.equal(await destState(r.destName), 'INACTIVE');
    });

    test('401: the retry sends nothing (one request in all)', async () => {
        assert.ok(r, 'previous step failed');
        await sleep(1000);
        assert.equal(rx.on(r.path).length, 1, 'nothing is sent with a de-authorized connection');
    });

    test('401: history shows attempt 1 retry 401, then the job failing with NO_PERMISSIONS', async () => {
        assert.ok(r, 'previous step failed');
        const rows = await history(r.ruleName, 2, { timeoutMs: 2000, settleMs: 0 });
        assert.deepEqual(summary(rows), [[1, 'retry', 401], [2, 'failed', null]]);
        assert.ok(rows.every((x) => x.EventId === id));
        assert.match(rows[0].Error, /HTTP 401/);
        assert.match(rows[1].Error, /^NO_PERMISSIONS/);
    });

    let reqAfter;
    test('401: UpdateConnection with new credentials -> AUTHORIZED, ACTIVE, deliveries resume', async () => {
        assert.ok(r, 'previous step failed');
        const u = await send(UpdateConnectionCommand, {
            Name: conn.name, AuthorizationType: 'API_KEY',
            AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: SECRET.apiKey2 } },
        });
        assert.equal(u.ConnectionState, 'AUTHORIZED');
        const d = await describeConn(conn.name);
        assert.equal(d.ConnectionState, 'AUTHORIZED');
        assert.equal(d.StateReason, undefined);
        assert.equal(await destState(r.destName), 'ACTIVE');
        const before = rx.on(r.path).length;
        const [id2] = await r.put();
        const reqs = await rx.waitForCount(r.path, before + 1);
        reqAfter = reqs.at(-1);
        assert.equal(reqAfter.json.id, id2);
        assert.deepEqual(reqAfter.all('x-api-key'), [SECRET.apiKey2]);
        const rows = await eventually(async () => {
            const x = await srv.deliveries({ rule: r.ruleName });
            assert.equal(x[0].EventId, id2);
            return x;
        }, 3000);
        assert.deepEqual(summary([rows[0]]), [[1, 'success', 200]]);
    });

    test('401: an UpdateConnection naming only the key keeps the InvocationHttpParameters', async () => {
        assert.ok(reqAfter, 'previous step failed');
        assert.deepEqual(reqAfter.all('x-still-there'), ['yes']);
    });

    test('407 on a BASIC connection de-authorizes it too', async () => {
        const c = await basicConn();
        const b = await route({ conn: c, targets: [{ RetryPolicy: { MaximumRetryAttempts: 2 } }] });
        rx.script(b.path, [{ status: 407 }, { status: 200 }]);
        await b.put();
        await eventually(async () => {
            const d = await describeConn(c.name);
            assert.equal(d.ConnectionState, 'DEAUTHORIZED');
            assert.equal(d.StateReason, 'The endpoint returned HTTP 407 to the connection\'s credentials.');
        }, 3000);
        await sleep(800);
        assert.equal(rx.on(b.path).length, 1);
        assert.equal(await destState(b.destName), 'INACTIVE');
    });

    let deauthRoute;
    let deauthId;
    test('DeauthorizeConnection: the destination sends nothing', async () => {
        const c = await apiKeyConn();
        deauthRoute = await route({ conn: c });
        await send(DeauthorizeConnectionCommand, { Name: c.name });
        await eventually(async () => assert.equal((await describeConn(c.name)).ConnectionState, 'DEAUTHORIZED'));
        assert.equal(await destState(deauthRoute.destName), 'INACTIVE');
        [deauthId] = await deauthRoute.put();
        await sleep(1000);
        assert.equal(rx.on(deauthRoute.path).length, 0);
    });

    test('DeauthorizeConnection: the job ends failed with NO_PERMISSIONS in the history', async () => {
        assert.ok(deauthRoute, 'previous step failed');
        const rows = await history(deauthRoute.ruleName, 1, { timeoutMs: 2000, settleMs: 0 });
        assert.equal(rows[0].EventId, deauthId);
        assert.equal(rows[0].Result, 'failed');
        assert.equal(rows[0].HttpStatus, undefined);
        assert.match(rows[0].Error, /^NO_PERMISSIONS/);
    });
});

/* ========================================================= dead letters */

describe('dead-letter queues and SQS targets', { skip: NO_SQS }, () => {
    async function queue(name) {
        const q = await sqs.send(new SQS.CreateQueueCommand({ QueueName: name }));
        const a = await sqs.send(new SQS.GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ['QueueArn'] }));
        assert.equal(a.Attributes.QueueArn, `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`);
        return { url: q.QueueUrl, arn: a.Attributes.QueueArn };
    }

    /* Waits for n messages (all attributes), then checks that no more are waiting. */
    async function receive(url, n, timeoutMs = 5000) {
        const got = [];
        const deadline = Date.now() + timeoutMs;
        while (got.length < n) {
            assert.ok(Date.now() < deadline, `queue ${url}: ${got.length} of ${n} messages`);
            const r = await sqs.send(new SQS.ReceiveMessageCommand({
                QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 0,
            }));
            got.push(...(r.Messages ?? []));
            if (got.length < n)
                await sleep(100);
        }
        await sleep(500);
        const more = await sqs.send(new SQS.ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
        assert.equal(got.length + (more.Messages?.length ?? 0), n, 'messages in the queue');
        return got;
    }

    const attrs = (m) => Object.fromEntries(Object.entries(m.MessageAttributes ?? {})
        .map(([k, v]) => [k, [v.DataType, v.StringValue]]));

    test('400: one dead letter with the payload and the spec\'s attributes', async () => {
        const q = await queue(uniq('dlq-400'));
        const r = await route({ targets: [{ DeadLetterConfig: { Arn: q.arn } }] });
        rx.script(r.path, [{ status: 400 }]);
        const [id] = await r.put();
        const [m] = await receive(q.url, 1);
        assert.equal(m.Body, envelope(id, r.source));
        assert.deepEqual(attrs(m), {
            RULE_ARN: ['String', r.ruleArn],
            TARGET_ARN: ['String', r.destArn],
            ERROR_CODE: ['String', 'SDK_CLIENT_ERROR'],
            ERROR_MESSAGE: ['String', 'Unable to invoke ApiDestination endpoint: the endpoint returned HTTP 400.'],
            RETRY_ATTEMPTS: ['Number', '0'],
        });
        assert.equal(rx.on(r.path).length, 1);
        assert.deepEqual(summary(await history(r.ruleName, 1)), [[1, 'dead-lettered', 400]]);
    });

    test('500s with MaximumRetryAttempts 2: dead letter after 3 tries, EXHAUSTED_RETRY_CONDITION', async () => {
        const q = await queue(uniq('dlq-500'));
        const r = await route({ targets: [{ DeadLetterConfig: { Arn: q.arn }, RetryPolicy: { MaximumRetryAttempts: 2 } }] });
        rx.script(r.path, [{ status: 500 }]);
        const [id] = await r.put();
        const [m] = await receive(q.url, 1);
        assert.equal(m.Body, envelope(id, r.source));
        assert.deepEqual(attrs(m), {
            RULE_ARN: ['String', r.ruleArn],
            TARGET_ARN: ['String', r.destArn],
            ERROR_CODE: ['String', 'SDK_CLIENT_ERROR'],
            ERROR_MESSAGE: ['String', 'Unable to invoke ApiDestination endpoint: the endpoint returned HTTP 500.'],
            EXHAUSTED_RETRY_CONDITION: ['String', 'MaximumRetryAttempts'],
            RETRY_ATTEMPTS: ['Number', '2'],
        });
        assert.equal(rx.on(r.path).length, 3);
        assert.deepEqual(summary(await history(r.ruleName, 3)),
            [[1, 'retry', 500], [2, 'retry', 500], [3, 'dead-lettered', 500]]);
    });

    test('a deauthorized connection: the event is dead-lettered with NO_PERMISSIONS, nothing sent', async () => {
        const q = await queue(uniq('dlq-deauth'));
        const conn = await apiKeyConn();
        const r = await route({ conn, targets: [{ DeadLetterConfig: { Arn: q.arn } }] });
        await send(DeauthorizeConnectionCommand, { Name: conn.name });
        await eventually(async () => assert.equal((await describeConn(conn.name)).ConnectionState, 'DEAUTHORIZED'));
        const [id] = await r.put();
        const [m] = await receive(q.url, 1);
        assert.equal(m.Body, envelope(id, r.source));
        const a = attrs(m);
        assert.deepEqual(a.ERROR_CODE, ['String', 'NO_PERMISSIONS']);
        assert.deepEqual(a.RETRY_ATTEMPTS, ['Number', '0']);
        assert.deepEqual(a.RULE_ARN, ['String', r.ruleArn]);
        assert.deepEqual(a.TARGET_ARN, ['String', r.destArn]);
        assert.equal(rx.on(r.path).length, 0);
    });

    test('an SQS queue as a rule target receives the envelope', async () => {
        const q = await queue(uniq('target-queue'));
        const name = uniq('sqs-target');
        const source = `test.${name}`;
        const rr = await send(PutRuleCommand, { Name: `rule-${name}`, EventPattern: JSON.stringify({ source: [source] }) });
        const t = await send(PutTargetsCommand, { Rule: `rule-${name}`, Targets: [{ Id: 'q', Arn: q.arn }] });
        assert.equal(t.FailedEntryCount, 0);
        const [id] = await putEvents(source);
        const [m] = await receive(q.url, 1);
        assert.equal(m.Body, envelope(id, source));
        const rows = await history(`rule-${name}`, 1);
        assert.equal(rows[0].Result, 'success');
        assert.equal(rows[0].RuleArn, rr.RuleArn);
        assert.equal(rows[0].TargetArn, q.arn);
    });
});

/* ============================================================== history */

describe('delivery history', () => {
    let ok;
    let bad;
    let okIds;
    let badId;

    before(async () => {
        ok = await route();
        bad = await route();
        rx.script(ok.path, [{ status: 200, body: 'x'.repeat(5000) }]);
        rx.script(bad.path, [{ status: 400, body: 'rejected' }]);
        okIds = [];
        okIds.push(...await ok.put());
        /* the rows' order is the attempts' order: the first attempt ends before the second event */
        await history(ok.ruleName, 1);
        okIds.push(...await ok.put());
        [badId] = await bad.put();
        await history(ok.ruleName, 2);
        await history(bad.ruleName, 1);
    });

    test('GET /_evbridge/v1/deliveries requires a signature', async () => {
        const r = await srv.unsigned({ method: 'GET', path: '/_evbridge/v1/deliveries' });
        assert.equal(r.status, 403, r.body);
        assert.doesNotMatch(r.body, /EventId/);
        const wrong = await srv.get('/_evbridge/v1/deliveries', {}, {
            credentials: { accessKeyId: 'test', secretAccessKey: 'not-the-secret' },
        });
        assert.notEqual(wrong.status, 200, wrong.body);
        assert.doesNotMatch(wrong.body, /EventId/);
    });

    test('a row: every member, exact values, ResponseBody cut at 1 KiB', async () => {
        const rows = await srv.deliveries({ rule: ok.ruleName });
        assert.equal(rows.length, 2);
        const row = rows[0];
        assert.deepEqual(Object.keys(row).filter((k) => k !== 'Error').sort(), ['Attempt', 'EventId',
            'HttpStatus', 'LatencyMs', 'ResponseBody', 'Result', 'RuleArn', 'TargetArn', 'TargetId', 'Time']);
        assert.equal(row.EventId, okIds[1], 'newest first');
        assert.equal(rows[1].EventId, okIds[0]);
        assert.equal(row.RuleArn, ok.ruleArn);
        assert.equal(row.TargetId, 't0');
        assert.equal(row.TargetArn, ok.destArn);
        assert.equal(row.Attempt, 1);
        assert.equal(row.HttpStatus, 200);
        assert.equal(row.Result, 'success');
        assert.ok(row.Error === undefined || row.Error === null, `success row Error ${row.Error}`);
        assert.ok(Number.isInteger(row.LatencyMs) && row.LatencyMs >= 0 && row.LatencyMs < 2000);
        assert.equal(row.ResponseBody, 'x'.repeat(1024));
        assert.match(row.Time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.ok(Math.abs(Date.parse(row.Time) - Date.now()) < 60000, row.Time);
    });

    test('filters: rule, destination, failed, limit', async () => {
        const byRule = await srv.deliveries({ rule: ok.ruleName });
        assert.deepEqual(byRule.map((x) => x.EventId), [okIds[1], okIds[0]]);
        assert.deepEqual(byRule.map((x) => x.RuleArn), [ok.ruleArn, ok.ruleArn]);
        const byRuleArn = await srv.deliveries({ rule: ok.ruleArn });
        assert.deepEqual(byRuleArn.map((x) => x.EventId), [okIds[1], okIds[0]]);

        const byDest = await srv.deliveries({ destination: bad.destName });
        assert.deepEqual(byDest.map((x) => [x.EventId, x.Result, x.HttpStatus]), [[badId, 'failed', 400]]);
        assert.equal(byDest[0].ResponseBody, 'rejected');

        const failed = await srv.deliveries({ failed: 'true', limit: 1000 });
        assert.ok(failed.length >= 1);
        assert.ok(failed.every((x) => x.Result !== 'success'), JSON.stringify(failed.map((x) => x.Result)));
        assert.ok(failed.some((x) => x.EventId === badId));
        assert.deepEqual(await srv.deliveries({ rule: ok.ruleName, failed: 'true' }), []);

        const all = await srv.deliveries({ limit: 1000 });
        assert.ok(all.length >= 3);
        assert.equal((await srv.deliveries({ limit: 1 })).length, 1);
        assert.equal((await srv.deliveries({ limit: 3 })).length, 3);
        assert.deepEqual((await srv.deliveries({ rule: ok.ruleName, limit: 1 })).map((x) => x.EventId), [okIds[1]]);
        assert.deepEqual(await srv.deliveries({ rule: 'no-such-rule' }), []);
    });

    test('evbridge deliveries: a table, --json, --rule, --destination, --failed, --limit', async () => {
        const cli = (...args) => run(BIN, ['deliveries', '--data-dir', srv.dataDir, ...args],
            { timeout: 20000, maxBuffer: 64 << 20 });
        /* The server records attempts asynchronously; its own endpoint waits for them
         * (the CLI reads the file from another process and cannot). */
        await srv.deliveries({ limit: 1 });
        const table = (await cli('--rule', ok.ruleName)).stdout;
        const lines = table.trimEnd().split('\n');
        assert.match(lines[0], /^TIME\s+EVENT\s+RULE\s+TARGET\s+TRY\s+STATUS\s+RESULT\s+LATENCY\s+ERROR\s*$/);
        assert.equal(lines.length, 3, table);
        assert.ok(lines[1].includes(okIds[1]) && lines[2].includes(okIds[0]), table);
        assert.ok(lines[1].includes(ok.ruleName) && / 200 /.test(lines[1]) && /success/.test(lines[1]), table);

        const failedTable = (await cli('--destination', bad.destName, '--failed')).stdout;
        assert.ok(failedTable.includes(badId) && /failed/.test(failedTable), failedTable);
        assert.equal(failedTable.trimEnd().split('\n').length, 2, failedTable);

        const js = JSON.parse((await cli('--rule', ok.ruleName, '--json', '--limit', '1')).stdout);
        assert.equal(js.Deliveries.length, 1);
        assert.equal(js.Deliveries[0].EventId, okIds[1]);
        assert.deepEqual(js.Deliveries[0], (await srv.deliveries({ rule: ok.ruleName, limit: 1 }))[0]);

        const none = (await cli('--rule', 'no-such-rule')).stdout;
        assert.match(none, /^TIME/);
        assert.match(none, /\(no deliveries\)/);

        const everything = (await cli('--limit', '100000')).stdout + (await cli('--json', '--limit', '100000')).stdout;
        assertNoSecrets(everything, SECRETS, 'evbridge deliveries output');
    });
});

/* ============================================================== secrets */

describe('secrets', () => {
    function filesUnder(dir) {
        const out = [];
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const p = path.join(dir, e.name);
            if (e.isDirectory())
                out.push(...filesUnder(p));
            else if (e.isFile())
                out.push(p);
        }
        return out;
    }

    test('the receiver gets the credentials; the log, the history and the data dir never do', async () => {
        /* the checks below are meaningful: the receiver did see these */
        const seen = JSON.stringify(rx.requests.map((q) => [q.url, q.rawHeaders, q.text]));
        assert.ok(seen.includes(SECRET.apiKey), 'the receiver never got the API key');
        const basic = Buffer.from(`user:${SECRET.password}`).toString('base64');
        assert.ok(seen.includes(basic), 'the receiver never got the BASIC credentials');

        const all = await srv.deliveries({ limit: 10000 });
        assert.ok(all.length > 20);
        assertNoSecrets(all, [...SECRETS, basic], 'delivery history');
        assertNoSecrets(srv.stderr + srv.stdout, [...SECRETS, basic], 'server log');
        for (const f of filesUnder(srv.dataDir)) {
            const buf = fs.readFileSync(f);
            for (const s of [...SECRETS, basic])
                assert.equal(buf.includes(Buffer.from(s, 'utf8')), false, `${f} holds ${s} in clear`);
        }
    });
});
