/*
 * 82-delivery-tls.test.mjs - API-destination delivery over HTTPS: PutEvents
 * -> engine -> real node:https receivers on 127.0.0.1 (lib/tls.mjs), with
 * certificates made by the openssl CLI at the start (a test CA, a server
 * certificate it signed for IP:127.0.0.1 and DNS:localhost, one it signed
 * for DNS:other.example only, and a self-signed one it did not sign).
 *
 * Asserted: `--ca-file` (and EVBRIDGE_CA_FILE) makes the CA trusted, by IP
 * address and by host name (SNI only for the name), with the request, the
 * envelope and the history as over plain HTTP; keep-alive works over TLS
 * (few handshakes, sequential deliveries on one connection); an untrusted or
 * misnamed certificate fails every attempt before any request is sent, and
 * the history and the dead letter say it is a certificate problem; without
 * --ca-file the CA is not trusted; an unreadable --ca-file, or one holding
 * no certificate, stops `serve` with status 2.
 *
 * Expected values: spec/delivery.md (item 8, TLS), spec/api-destinations.md
 * (https only unless --allow-http-endpoints, which this file never passes),
 * docs/internals/deliver.md. The TLS error's wording is the HTTP client's
 * (curl's text, then OpenSSL's verification result; tlsError below). The
 * server runs with --retry-base-ms 50 --retry-cap-ms 200 so retries are
 * quick. Nothing is sent anywhere but 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import {
    CreateApiDestinationCommand,
    CreateConnectionCommand,
    PutEventsCommand,
    PutRuleCommand,
    PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';

import {
    ACCOUNT,
    BIN,
    REGION,
    UUID_RE,
    eventually,
    freePort,
    rfc3986,
    startServer,
} from './lib/server.mjs';
import { sleep } from './lib/receiver.mjs';
import { makePki, startTlsReceiver } from './lib/tls.mjs';

const run = promisify(execFile);

const RETRY_ARGS = ['--retry-base-ms', '50', '--retry-cap-ms', '200'];
const UA = 'Amazon/EventBridge/ApiDestinations';
const JSON_CT = 'application/json; charset=utf-8';
const API_KEY = 'ak-tls-3c1f9e';
/* What a certificate failure must say (the exact wording is the HTTP client's). */
/* The message of a certificate the client does not accept, for OpenSSL's reason. */
const tlsError = (why) => `SSL peer certificate or SSH remote key was not OK: ${why}`;

let tmp;
let pki;
let srv; /* started with --ca-file <the test CA> */

before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'evbridge-tls-'));
    pki = await makePki(tmp);
    srv = await startServer({ allowHttp: false, extraArgs: [...RETRY_ARGS, '--ca-file', pki.caFile] });
});

after(async () => {
    try {
        await srv?.stop();
    } finally {
        if (tmp)
            fs.rmSync(tmp, { recursive: true, force: true });
    }
});

/* ------------------------------------------------------------------ helpers */

/* One EventBridge and one SQS client per server. */
const clients = new Map();
function clientsOf(s) {
    if (!clients.has(s))
        clients.set(s, { eb: s.eventbridge(), sqs: s.sqs() });
    return clients.get(s);
}
const eb = (s) => clientsOf(s).eb;
const sqsOf = (s) => clientsOf(s).sqs;

let seq = 0;
const uniq = (p) => `${p}-${++seq}`;

/* RFC 3986 unreserved characters kept, everything else %XX (UTF-8). */
const enc = rfc3986;

const TIME = new Date('2024-05-06T07:08:09Z');
const TIME_ISO = '2024-05-06T07:08:09Z';
const DETAIL = { name: 'tls', n: 1, nested: { 'ü': '✓ "quoted"' } };
const DETAIL_TYPE = 'tls delivery test';

/* The envelope put-events.md §5 specifies, compact, in AWS's key order. */
function envelope(id, source, detail = DETAIL) {
    return JSON.stringify({
        version: '0', id, 'detail-type': DETAIL_TYPE, source, account: ACCOUNT, time: TIME_ISO,
        region: REGION, resources: [], detail,
    });
}

/*
 * On server s: an API_KEY connection, an API destination for endpoint, a
 * rule matching source `test.<name>` and its targets (Id t0, t1, ...).
 */
async function route(s, { name = uniq('tls'), endpoint, targets = [{}] }) {
    const c = eb(s);
    const conn = await c.send(new CreateConnectionCommand({
        Name: `conn-${name}`, AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: API_KEY } },
    }));
    assert.equal(conn.ConnectionState, 'AUTHORIZED');
    const d = await c.send(new CreateApiDestinationCommand({
        Name: `dest-${name}`, ConnectionArn: conn.ConnectionArn, HttpMethod: 'POST', InvocationEndpoint: endpoint,
    }));
    assert.equal(d.ApiDestinationState, 'ACTIVE');
    const source = `test.${name}`;
    const ruleName = `rule-${name}`;
    const rr = await c.send(new PutRuleCommand({ Name: ruleName, EventPattern: JSON.stringify({ source: [source] }) }));
    const t = await c.send(new PutTargetsCommand({
        Rule: ruleName,
        Targets: targets.map((x, i) => ({ Id: `t${i}`, Arn: d.ApiDestinationArn, ...x })),
    }));
    assert.equal(t.FailedEntryCount, 0, JSON.stringify(t.FailedEntries));
    return {
        name, source, ruleName, ruleArn: rr.RuleArn, destArn: d.ApiDestinationArn,
        /* count events (detail varies by `i` when count > 1); returns their EventIds in order */
        put: (count = 1) => putEvents(s, source, count),
    };
}

async function putEvents(s, source, count) {
    const ids = [];
    for (let off = 0; off < count; off += 10) {
        const n = Math.min(10, count - off);
        const r = await eb(s).send(new PutEventsCommand({
            Entries: Array.from({ length: n }, (_, i) => ({
                Source: source, DetailType: DETAIL_TYPE, Time: TIME,
                Detail: JSON.stringify(count === 1 ? DETAIL : { ...DETAIL, i: off + i }),
            })),
        }));
        assert.equal(r.FailedEntryCount, 0, JSON.stringify(r.Entries));
        for (const e of r.Entries) {
            assert.match(e.EventId, UUID_RE);
            ids.push(e.EventId);
        }
    }
    return ids;
}

/*
 * History rows of one rule on server s, oldest first, once there are at
 * least n; then waits settleMs and checks no more arrived (exact count).
 */
async function history(s, ruleName, n, { timeoutMs = 5000, settleMs = 400 } = {}) {
    await eventually(async () => {
        const r = await s.deliveries({ rule: ruleName, limit: 1000 });
        assert.ok(r.length >= n, `history of ${ruleName}: ${r.length} rows, want ${n}: ${JSON.stringify(r)}`);
    }, timeoutMs, 100);
    await sleep(settleMs);
    const rows = await s.deliveries({ rule: ruleName, limit: 1000 });
    assert.equal(rows.length, n, `history of ${ruleName} after settling: ${JSON.stringify(rows)}`);
    return rows.slice().reverse();
}

/* [Attempt, Result, HttpStatus] of history rows, for compact deepEquals. */
const summary = (rows) => rows.map((r) => [r.Attempt, r.Result, r.HttpStatus ?? null]);

async function queue(s, name) {
    const sqs = sqsOf(s);
    const q = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const a = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ['QueueArn'] }));
    assert.equal(a.Attributes.QueueArn, `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`);
    return { url: q.QueueUrl, arn: a.Attributes.QueueArn };
}

/* Waits for n messages (all attributes), then checks that no more are waiting. */
async function receive(s, url, n, timeoutMs = 5000) {
    const sqs = sqsOf(s);
    const got = [];
    const deadline = Date.now() + timeoutMs;
    while (got.length < n) {
        assert.ok(Date.now() < deadline, `queue ${url}: ${got.length} of ${n} messages`);
        const r = await sqs.send(new ReceiveMessageCommand({
            QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], WaitTimeSeconds: 0,
        }));
        got.push(...(r.Messages ?? []));
        if (got.length < n)
            await sleep(100);
    }
    await sleep(300);
    const more = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    assert.equal(got.length + (more.Messages?.length ?? 0), n, 'messages in the queue');
    return got;
}

const attrs = (m) => Object.fromEntries(Object.entries(m.MessageAttributes ?? {})
    .map(([k, v]) => [k, [v.DataType, v.StringValue]]));

/* Runs fn(rx) with an HTTPS receiver serving pair, stopped afterwards. */
async function withReceiver(pair, fn) {
    const rx = await startTlsReceiver(pair);
    try {
        return await fn(rx);
    } finally {
        await rx.stop();
    }
}

/*
 * The request of a delivery of event id from route r, as over plain HTTP
 * (80-delivery.test.mjs), to `host` (Host header), with one path parameter.
 */
function assertDelivered(req, { id, r, host, path: p }) {
    assert.equal(req.method, 'POST');
    assert.equal(req.path, p);
    assert.equal(req.query, '');
    assert.deepEqual(req.all('host'), [host]);
    assert.deepEqual(req.all('x-api-key'), [API_KEY]);
    assert.deepEqual(req.all('user-agent'), [UA]);
    assert.deepEqual(req.all('content-type'), [JSON_CT]);
    assert.deepEqual(req.all('authorization'), []);
    assert.equal(req.text, envelope(id, r.source));
    assert.equal(req.json.id, id);
    assert.deepEqual(req.all('content-length'), [String(req.body.length)]);
}

/* A success row of route r for event id. */
function assertSuccessRow(row, { id, r }) {
    assert.equal(row.EventId, id);
    assert.equal(row.RuleArn, r.ruleArn);
    assert.equal(row.TargetId, 't0');
    assert.equal(row.TargetArn, r.destArn);
    assert.equal(row.Attempt, 1);
    assert.equal(row.HttpStatus, 200);
    assert.equal(row.Result, 'success');
    assert.equal(row.ResponseBody, '{}');
    assert.ok(row.Error === undefined || row.Error === null, `success row Error ${row.Error}`);
}

/*
 * A certificate the server must refuse: the route to `endpoint` (served by
 * rx) with MaximumRetryAttempts 1 and a dead-letter queue. Two attempts, each
 * a TLS failure with no HTTP status, nothing reaching the request handler,
 * one dead letter. Returns the error messages (history, dead letter).
 */
async function assertRefused(t, s, rx, endpoint, why) {
    const q = await queue(s, uniq('dlq-tls'));
    const r = await route(s, {
        endpoint, targets: [{ RetryPolicy: { MaximumRetryAttempts: 1 }, DeadLetterConfig: { Arn: q.arn } }],
    });
    const [id] = await r.put();
    const [m] = await receive(s, q.url, 1);
    const rows = await history(s, r.ruleName, 2);

    assert.deepEqual(summary(rows), [[1, 'retry', null], [2, 'dead-lettered', null]]);
    for (const row of rows) {
        t.diagnostic(`${endpoint}: attempt ${row.Attempt}: ${row.Error}`);
        assert.equal(row.EventId, id);
        assert.equal(row.TargetArn, r.destArn);
        assert.equal(row.HttpStatus, undefined, 'no HTTP status: no request was sent');
        assert.ok(!row.ResponseBody, `ResponseBody ${JSON.stringify(row.ResponseBody)}`);
        assert.equal(row.Error, `SDK_CLIENT_ERROR: ${tlsError(why)}` +
            (row.Attempt === 2 ? ' (exhausted MaximumRetryAttempts)' : ''));
    }
    assert.match(rows[1].Error, /MaximumRetryAttempts/);

    /* below HTTP: one TCP connection per attempt, each handshake broken off */
    assert.equal(rx.requests.length, 0, 'a request reached the handler');
    assert.deepEqual(rx.sessions, [], 'a TLS handshake completed');
    assert.equal(rx.tcp, 2, 'TCP connections (one per attempt)');
    await eventually(async () => assert.equal(rx.tlsErrors.length, 2, JSON.stringify(rx.tlsErrors)));
    t.diagnostic(`${endpoint}: the receiver saw: ${JSON.stringify(rx.tlsErrors)}`);

    assert.equal(m.Body, envelope(id, r.source));
    const a = attrs(m);
    t.diagnostic(`${endpoint}: dead letter ERROR_MESSAGE: ${a.ERROR_MESSAGE?.[1]}`);
    assert.deepEqual(Object.keys(a).sort(), ['ERROR_CODE', 'ERROR_MESSAGE', 'EXHAUSTED_RETRY_CONDITION',
        'RETRY_ATTEMPTS', 'RULE_ARN', 'TARGET_ARN']);
    assert.deepEqual(a.RULE_ARN, ['String', r.ruleArn]);
    assert.deepEqual(a.TARGET_ARN, ['String', r.destArn]);
    assert.deepEqual(a.ERROR_CODE, ['String', 'SDK_CLIENT_ERROR']);
    assert.equal(a.ERROR_MESSAGE[0], 'String');
    assert.equal(a.ERROR_MESSAGE[1], tlsError(why));
    assert.ok(rows[1].Error.includes(a.ERROR_MESSAGE[1]),
        `the dead letter's message is the last attempt's: ${rows[1].Error} / ${a.ERROR_MESSAGE[1]}`);
    assert.deepEqual(a.EXHAUSTED_RETRY_CONDITION, ['String', 'MaximumRetryAttempts']);
    assert.deepEqual(a.RETRY_ATTEMPTS, ['Number', '1']);
    return { history: rows.map((x) => x.Error), deadLetter: a.ERROR_MESSAGE[1] };
}

/* ============================================ a CA trusted through --ca-file */

describe('--ca-file: the test CA is trusted (run concurrently)', { concurrency: true }, () => {
    test('by IP address: exactly one POST with the path parameter, headers and envelope; ' +
        'history success 200', () => withReceiver(pki.trusted, async (rx) => {
        const seg = 'a b/ü';
        const r = await route(srv, {
            endpoint: rx.url('/hook/*'),
            targets: [{
                HttpParameters: {
                    PathParameterValues: [seg],
                    HeaderParameters: { 'X-Target-Header': 'target value' },
                },
            }],
        });
        const [id] = await r.put();
        const [req] = await rx.waitForCount(`/hook/${enc(seg)}`, 1);
        const rows = await history(srv, r.ruleName, 1);
        assert.equal(rx.requests.length, 1, 'exactly one request');

        assertDelivered(req, { id, r, host: `127.0.0.1:${rx.port}`, path: `/hook/${enc(seg)}` });
        assert.deepEqual(req.all('x-target-header'), ['target value']);
        assert.deepEqual(summary(rows), [[1, 'success', 200]]);
        assertSuccessRow(rows[0], { id, r });

        /* one TLS connection; no SNI for an IP address (RFC 6066 §3) */
        assert.equal(rx.tcp, 1);
        assert.equal(rx.sessions.length, 1);
        const sess = rx.session(req);
        assert.ok(sess, 'the request came over the recorded TLS session');
        assert.ok(['TLSv1.2', 'TLSv1.3'].includes(sess.protocol), sess.protocol);
        assert.equal(sess.servername, null, 'SNI sent for an IP address');
        assert.deepEqual(rx.tlsErrors, []);
    }));

    test('by host name (localhost, resolved by the server): delivered, SNI localhost', () =>
        withReceiver(pki.trusted, async (rx) => {
            const r = await route(srv, {
                endpoint: rx.url('/named/*', 'localhost'),
                targets: [{ HttpParameters: { PathParameterValues: ['x'] } }],
            });
            const [id] = await r.put();
            const [req] = await rx.waitForCount('/named/x', 1);
            const rows = await history(srv, r.ruleName, 1);
            assert.equal(rx.requests.length, 1, 'exactly one request');
            assertDelivered(req, { id, r, host: `localhost:${rx.port}`, path: '/named/x' });
            assert.deepEqual(summary(rows), [[1, 'success', 200]]);
            assertSuccessRow(rows[0], { id, r });
            assert.equal(rx.sessions.length, 1);
            assert.equal(rx.session(req).servername, 'localhost');
            assert.deepEqual(rx.tlsErrors, []);
        }));

    test('a new connection after the server closed the kept one resumes the TLS session', () =>
        withReceiver(pki.trusted, async (rx) => {
            const r = await route(srv, { endpoint: rx.url('/resume') });
            await r.put();
            await rx.waitForCount('/resume', 1);
            assert.equal(rx.sessions.length, 1);
            assert.equal(rx.sessions[0].resumed, false, 'the first handshake is a full one');
            await sleep(100); /* a TLS 1.3 ticket arrives after the handshake */
            for (const sock of rx._sockets)
                sock.destroy(); /* the client sees its idle connection close */
            await sleep(200);
            await r.put();
            await rx.waitForCount('/resume', 2);
            assert.equal(rx.tcp, 2, 'a second TCP connection');
            assert.equal(rx.sessions.length, 2);
            assert.equal(rx.sessions[1].resumed, true, 'the second handshake resumed the first session');
            assert.deepEqual(rx.tlsErrors, []);
            const rows = await history(srv, r.ruleName, 2, { settleMs: 0 });
            assert.deepEqual(summary(rows), [[1, 'success', 200], [1, 'success', 200]]);
        }));

    test('20 events at once, then 5 one by one: every event arrives once over few TLS connections, ' +
        'the sequential ones over kept-alive connections', (t) => withReceiver(pki.trusted, async (rx) => {
        const r = await route(srv, { endpoint: rx.url('/many') });
        const ids = await r.put(20);
        const burst = await rx.waitForCount('/many', 20);
        await sleep(300);
        assert.equal(rx.requests.length, 20, 'exactly 20 requests');
        assert.deepEqual(burst.map((q) => q.json.id).sort(), ids.slice().sort(), 'every event arrives once');
        for (const q of burst)
            assert.equal(q.text, envelope(q.json.id, r.source, { ...DETAIL, i: ids.indexOf(q.json.id) }));
        const burstSockets = new Set(burst.map((q) => q.socket));
        assert.ok(burstSockets.size >= 1 && burstSockets.size <= 20, `${burstSockets.size} connections`);
        assert.ok(burst.every((q) => rx.session(q)), 'every request came over a recorded TLS session');
        const handshakes = rx.sessions.length;
        assert.ok(handshakes >= 1 && handshakes <= 20, `${handshakes} TLS handshakes for 20 requests`);

        for (let i = 1; i <= 5; i++) {
            await r.put();
            await rx.waitForCount('/many', 20 + i);
        }
        const seqReqs = rx.on('/many').slice(20);
        const seqSockets = new Set(seqReqs.map((q) => q.socket));
        t.diagnostic(`burst: ${burstSockets.size} TLS connections for 20 requests; sequential: ` +
            `${seqSockets.size}; handshakes in all: ${rx.sessions.length} ` +
            `(${[...new Set(rx.sessions.map((x) => x.protocol))].join(', ')}); TCP: ${rx.tcp}`);
        /* Each sender keeps its own connections: the sequential ones reuse the burst's. */
        assert.ok([...seqSockets].every((x) => burstSockets.has(x)),
            'the sequential deliveries opened a new connection');
        assert.equal(rx.sessions.length, handshakes, 'new TLS handshakes for the sequential deliveries');
        assert.ok(rx.sessions.length < rx.requests.length, 'no connection was reused');
        assert.deepEqual(rx.tlsErrors, []);

        const rows = await history(srv, r.ruleName, 25, { settleMs: 0 });
        assert.ok(rows.every((x) => x.Result === 'success' && x.HttpStatus === 200 && x.Attempt === 1),
            JSON.stringify(summary(rows)));
    }));

    test('a self-signed certificate (not from the CA): refused on every attempt, dead-lettered',
        (t) => withReceiver(pki.selfsigned, async (rx) => {
            const msgs = await assertRefused(t, srv, rx, rx.url('/untrusted'), 'self-signed certificate');
            t.diagnostic(`untrusted: ${JSON.stringify(msgs)}`);
        }));

    test('a certificate from the CA for another name (DNS:other.example), by IP address: refused',
        (t) => withReceiver(pki.mismatch, async (rx) => {
            const msgs = await assertRefused(t, srv, rx, rx.url('/mismatch-ip'), 'IP address mismatch');
            t.diagnostic(`mismatch by IP: ${JSON.stringify(msgs)}`);
        }));

    test('a certificate from the CA for another name (DNS:other.example), by host name: refused',
        (t) => withReceiver(pki.mismatch, async (rx) => {
            const msgs = await assertRefused(t, srv, rx, rx.url('/mismatch-name', 'localhost'),
                'hostname mismatch');
            t.diagnostic(`mismatch by name: ${JSON.stringify(msgs)}`);
        }));
});

/* ==================================================== without --ca-file */

describe('without --ca-file', () => {
    test('the test CA is not trusted: the attempt fails, nothing is sent', (t) =>
        withReceiver(pki.trusted, async (rx) => {
            const plain = await startServer({ allowHttp: false, extraArgs: RETRY_ARGS });
            try {
                const r = await route(plain, {
                    endpoint: rx.url('/no-ca-file'), targets: [{ RetryPolicy: { MaximumRetryAttempts: 0 } }],
                });
                const [id] = await r.put();
                const rows = await history(plain, r.ruleName, 1);
                t.diagnostic(`without --ca-file: ${rows[0].Error}`);
                assert.deepEqual(summary(rows), [[1, 'failed', null]]);
                assert.equal(rows[0].EventId, id);
                const why = 'unable to get local issuer certificate';
                assert.equal(rows[0].Error, `SDK_CLIENT_ERROR: ${tlsError(why)} (exhausted MaximumRetryAttempts)`);
                assert.equal(rx.requests.length, 0, 'a request reached the handler');
                assert.deepEqual(rx.sessions, [], 'a TLS handshake completed');
                assert.equal(rx.tcp, 1);
            } finally {
                await plain.stop();
            }
        }));

    test('EVBRIDGE_CA_FILE does what --ca-file does', () => withReceiver(pki.trusted, async (rx) => {
        const viaEnv = await startServer({
            allowHttp: false, extraArgs: RETRY_ARGS, env: { EVBRIDGE_CA_FILE: pki.caFile },
        });
        try {
            const r = await route(viaEnv, { endpoint: rx.url('/env') });
            const [id] = await r.put();
            const [req] = await rx.waitForCount('/env', 1);
            assert.equal(req.json.id, id);
            assert.deepEqual(summary(await history(viaEnv, r.ruleName, 1)), [[1, 'success', 200]]);
        } finally {
            await viaEnv.stop();
        }
    }));

    for (const how of ['--ca-file', 'EVBRIDGE_CA_FILE']) {
        test(`an unreadable ${how}: serve exits with status 2, naming --ca-file`, async () => {
            const dataDir = path.join(tmp, uniq('never-started'));
            const args = ['serve', '--listen', `127.0.0.1:${await freePort()}`, '--data-dir', dataDir];
            const env = { ...process.env };
            delete env.EVBRIDGE_CA_FILE;
            if (how === '--ca-file')
                args.push('--ca-file', '/nonexistent');
            else
                env.EVBRIDGE_CA_FILE = '/nonexistent';
            const err = await run(BIN, args, { env, timeout: 10000 }).then(
                (r) => assert.fail(`serve exited 0: ${r.stderr}`), (e) => e);
            assert.equal(err.killed, false, `serve was still running after 10 s: ${err.stderr}`);
            assert.equal(err.code, 2, `exit status; stderr: ${err.stderr}`);
            assert.ok(err.stderr.includes('--ca-file'), `stderr: ${err.stderr}`);
            assert.ok(err.stderr.includes('/nonexistent'), `stderr: ${err.stderr}`);
        });
    }

    test('a readable --ca-file with no certificate in it: status 2, naming the file, no data directory', async () => {
        const bad = path.join(tmp, 'not-a-certificate.pem');
        fs.writeFileSync(bad, 'not a certificate\n');
        const dataDir = path.join(tmp, uniq('never-started'));
        const err = await run(BIN, ['serve', '--listen', `127.0.0.1:${await freePort()}`, '--data-dir', dataDir,
            '--ca-file', bad], { timeout: 10000 }).then(
            (r) => assert.fail(`serve exited 0: ${r.stderr}`), (e) => e);
        assert.equal(err.killed, false, `serve was still running after 10 s: ${err.stderr}`);
        assert.equal(err.code, 2, `exit status; stderr: ${err.stderr}`);
        assert.equal(err.stderr, `evbridge: --ca-file ${bad} holds no PEM certificate\n`);
        assert.equal(fs.existsSync(dataDir), false);
    });
});
