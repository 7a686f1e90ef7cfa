/*
 * 90-oauth.test.mjs - OAuth client-credentials connections end to end (issue 7):
 * the token exchange at authorization, the per-connection token cache and
 * its refresh (expiry, 401/407), single flight, failures and the
 * StateReasons they leave, a restart, DeauthorizeConnection /
 * UpdateConnection, and a leak search for client secrets and tokens.
 *
 * Everything talks to 127.0.0.1 only: a real OAuth token endpoint
 * (lib/token-endpoint.mjs, Cognito-like: Basic client authentication and a
 * `grant_type=client_credentials&scope=...` form body the user configures as
 * BodyParameters) and a programmable receiver (lib/receiver.mjs).
 *
 * Expected values: spec/oauth.md, spec/connections.md §7, issue 7; the
 * StateReason texts and the history rows are evbridge decisions.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
    CreateApiDestinationCommand,
    CreateConnectionCommand,
    DeauthorizeConnectionCommand,
    DescribeApiDestinationCommand,
    DescribeConnectionCommand,
    ListConnectionsCommand,
    PutEventsCommand,
    PutRuleCommand,
    PutTargetsCommand,
    UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';

import { sleep, startReceiver } from './lib/receiver.mjs';
import {
    ACCOUNT,
    assertRecent,
    connectionArnRe,
    eventually,
    freePort,
    startServer,
} from './lib/server.mjs';
import { basicCredential, startTokenEndpoint, urlenc } from './lib/token-endpoint.mjs';

const FAST_RETRIES = ['--retry-base-ms', '50', '--retry-cap-ms', '200'];
const ROLE = `arn:aws:iam::${ACCOUNT}:role/eventbridge-api-destinations`;
const ROOT = `arn:aws:iam::${ACCOUNT}:root`;

let srv;
let rx;

/* Every token endpoint started (their issued tokens are searched for leaks). */
const ENDPOINTS = [];
/* Client secrets and secret parameter values sent in this file. */
const SECRETS = new Set();
function S(v) {
    SECRETS.add(v);
    return v;
}
/* The text of every EventBridge answer (success or error), checked at the end. */
const ANSWERS = [];

/* A client whose every answer is kept for the leak test. */
function recorded(server) {
    const client = server.eventbridge();
    return async (Cmd, input = {}) => {
        try {
            const r = await client.send(new Cmd(input));
            ANSWERS.push(`${Cmd.name}: ${JSON.stringify(r)}`);
            return r;
        } catch (e) {
            ANSWERS.push(`${Cmd.name} error: ${e.name} ${e.message}`);
            throw e;
        }
    };
}

let eb;

before(async () => {
    rx = await startReceiver();
    srv = await startServer({ logLevel: 'debug', extraArgs: FAST_RETRIES });
    eb = recorded(srv);
});

after(async () => {
    try {
        await srv?.stop();
    } finally {
        await rx?.stop();
        for (const t of ENDPOINTS)
            await t.stop();
    }
});

/* ---------------------------------------------------------------- helpers */

let seq = 0;
const uniq = () => `${++seq}${crypto.randomBytes(3).toString('hex')}`;

/*
 * A token endpoint for one connection. The client secret has characters
 * that must be URL-encoded before the Basic base64 (RFC 6749 §2.3.1); the
 * client id has a space (allowed by the model's pattern).
 */
async function tokenEndpoint({ script, clientSecret, clientId } = {}) {
    const u = uniq();
    const t = await startTokenEndpoint({
        clientId: clientId ?? `app client-${u}`,
        clientSecret: S(clientSecret ?? `Cs/+=&%é-${u}-${crypto.randomBytes(8).toString('hex')}`),
        script,
    });
    ENDPOINTS.push(t);
    return t;
}

const COGNITO_SCOPE = 'orders-api/orders.write orders-api/orders.read';
const cognitoHttp = (scope = COGNITO_SCOPE) => ({
    BodyParameters: [
        { Key: 'grant_type', Value: 'client_credentials', IsValueSecret: false },
        { Key: 'scope', Value: scope, IsValueSecret: false },
    ],
});

function oauthParams(tep, { method = 'POST', http = cognitoHttp(), endpoint, clientSecret } = {}) {
    return {
        AuthorizationEndpoint: endpoint ?? tep.url(),
        HttpMethod: method,
        ClientParameters: { ClientID: tep.clientId, ClientSecret: clientSecret ?? tep.clientSecret },
        ...(http ? { OAuthHttpParameters: http } : {}),
    };
}

/* CreateConnection OAUTH_CLIENT_CREDENTIALS; asserts the AUTHORIZING answer. */
async function createOAuth(name, tep, opts = {}, call = eb) {
    const r = await call(CreateConnectionCommand, {
        Name: name,
        AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
        AuthParameters: { OAuthParameters: oauthParams(tep, opts) },
        ...(opts.kmsKey ? { KmsKeyIdentifier: opts.kmsKey } : {}),
    });
    assert.match(r.ConnectionArn, connectionArnRe(name));
    assert.equal(r.ConnectionState, 'AUTHORIZING', `${name}: CreateConnection answer`);
    return r.ConnectionArn;
}

/*
 * Polls DescribeConnection until ConnectionState is `state`; only
 * `passing` states may be seen on the way (anything else fails at once).
 */
async function waitState(name, state, { timeoutMs = 5000, passing = ['AUTHORIZING'], call = eb } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const d = await call(DescribeConnectionCommand, { Name: name });
        if (d.ConnectionState === state)
            return d;
        if (!passing.includes(d.ConnectionState) || Date.now() > deadline) {
            assert.fail(`${name}: ConnectionState ${d.ConnectionState} (StateReason ` +
                `${JSON.stringify(d.StateReason)}), waiting for ${state} (${timeoutMs} ms)`);
        }
        await sleep(20);
    }
}

/* API destination (rate limit `rate`) + rule on the default bus + target with `retry`. */
async function pipeline(name, connArn, { rate, retry, dlqArn, call = eb } = {}) {
    const rxPath = `/rx/${name}`;
    const d = await call(CreateApiDestinationCommand, {
        Name: `${name}-dest`,
        ConnectionArn: connArn,
        InvocationEndpoint: rx.url(rxPath),
        HttpMethod: 'POST',
        ...(rate ? { InvocationRateLimitPerSecond: rate } : {}),
    });
    assert.equal(d.ApiDestinationState, 'ACTIVE', `${name}: CreateApiDestination answer`);
    const source = `test.oauth.${name}`;
    const rule = await call(PutRuleCommand, {
        Name: `${name}-rule`, EventPattern: JSON.stringify({ source: [source] }),
    });
    const target = (Id) => ({
        Id,
        Arn: d.ApiDestinationArn,
        RoleArn: ROLE,
        ...(retry !== undefined ? { RetryPolicy: { MaximumRetryAttempts: retry } } : {}),
    });
    /* with dlqArn: a second target 'api-dlq', the same destination with a dead-letter queue */
    const t = await call(PutTargetsCommand, {
        Rule: `${name}-rule`,
        Targets: [target('api'), ...(dlqArn ? [{ ...target('api-dlq'), DeadLetterConfig: { Arn: dlqArn } }] : [])],
    });
    assert.equal(t.FailedEntryCount, 0);
    return { name, rxPath, destName: `${name}-dest`, destArn: d.ApiDestinationArn, ruleArn: rule.RuleArn, source };
}

/* PutEvents of `n` events for the pipeline, in batches of 10 sent concurrently. */
async function putEvents(p, n = 1, call = eb) {
    const batches = [];
    for (let i = 0; i < n; i += 10) {
        const Entries = [];
        for (let j = i; j < Math.min(n, i + 10); j++)
            Entries.push({ Source: p.source, DetailType: 'OrderCreated', Detail: JSON.stringify({ n: j }) });
        batches.push(call(PutEventsCommand, { Entries }));
    }
    for (const r of await Promise.all(batches))
        assert.equal(r.FailedEntryCount, 0, JSON.stringify(r));
}

/* Puts one event and returns the request the receiver got for it. */
async function deliverOne(p, call = eb, timeoutMs = 5000) {
    const before = rx.on(p.rxPath).length;
    await putEvents(p, 1, call);
    const got = await rx.waitForCount(p.rxPath, before + 1, timeoutMs);
    return got[before];
}

/*
 * Waits for the n events put through the pipeline (detail.n 0..n-1); on a
 * timeout, fails saying which never came and what the history holds.
 */
async function delivered(p, n, tep, timeoutMs) {
    try {
        return await rx.waitForCount(p.rxPath, n, timeoutMs);
    } catch {
        const seen = new Set(rx.on(p.rxPath).map((r) => r.json?.detail?.n));
        const missing = [];
        for (let i = 0; i < n; i++)
            if (!seen.has(i))
                missing.push(i);
        const by = {};
        for (const r of await history(p.ruleArn)) {
            const k = `${r.Result} ${r.HttpStatus ?? '-'} ${r.Error ?? ''}`;
            by[k] = (by[k] ?? 0) + 1;
        }
        return assert.fail(`${p.name}: ${seen.size} of ${n} events delivered within ${timeoutMs} ms; ` +
            `${tep.count} token requests; never delivered: detail.n ${missing.join(',')}; ` +
            `history of the rule: ${JSON.stringify(by)}`);
    }
}

const bearers = (p) => rx.on(p.rxPath).map((r) => r.headers.authorization);

/* The failures of Promise.allSettled over `cases` (by id), for one assertion listing all of them. */
function failures(results, cases) {
    return results.map((r, i) => (r.status === 'rejected' ? `${cases[i].id}: ${r.reason?.message}` : null))
        .filter(Boolean);
}

/* The history rows of a rule or connection ARN, oldest first, without Time and LatencyMs. */
async function history(arn, server = srv) {
    const rows = await server.deliveries({ rule: arn, limit: 10000 });
    return rows.reverse().map(({ Time, LatencyMs, ...rest }) => {
        assert.match(Time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.ok(Number.isInteger(LatencyMs) && LatencyMs >= 0, `LatencyMs ${LatencyMs}`);
        return rest;
    });
}

/* The history row of one token request (evbridge decision: TargetId oauth-token). */
function tokenRow(connArn, tep, { status = 200, error } = {}) {
    return {
        EventId: '',
        RuleArn: connArn,
        TargetId: 'oauth-token',
        TargetArn: tep.url(),
        Attempt: 1,
        ...(status ? { HttpStatus: status } : {}),
        Result: error ? 'failed' : 'success',
        ...(error ? { Error: error } : {}),
        ResponseBody: '',
    };
}

/* The rows of token requests: only what identifies them (for counting checks). */
async function tokenRows(connArn, server = srv) {
    return (await history(connArn, server)).map((r) => `${r.TargetId} ${r.HttpStatus ?? '-'} ${r.Result}`);
}

/* A customer-managed key usable for connection secrets (tag + documented policy). */
async function makeCmk(server) {
    const kms = server.kms();
    const policy = {
        Version: '2012-10-17',
        Statement: [
            { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' },
            {
                Sid: 'Allow EventBridge API destinations',
                Effect: 'Allow',
                Principal: { AWS: ROOT },
                Action: ['kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Decrypt'],
                Resource: '*',
                Condition: {
                    StringLike: {
                        'kms:ViaService': 'secretsmanager.*.amazonaws.com',
                        'kms:EncryptionContext:SecretARN': 'arn:aws:secretsmanager:*:*:secret:events!connection/*',
                    },
                    StringEquals: { 'aws:ResourceTag/EventBridgeApiDestinations': 'true' },
                },
            },
        ],
    };
    const r = await kms.send(new CreateKeyCommand({
        Description: 'API destinations OAuth CMK',
        Policy: JSON.stringify(policy),
        Tags: [{ TagKey: 'EventBridgeApiDestinations', TagValue: 'true' }],
    }));
    return r.KeyMetadata;
}

/* The request the Cognito-like setup makes (POST, Basic, the two body parameters). */
function assertCognitoRequest(req, tep, scope = COGNITO_SCOPE) {
    assert.deepEqual({
        method: req.method,
        url: req.url,
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        body: req.text,
        authOk: req.authOk,
    }, {
        method: 'POST',
        url: '/oauth2/token',
        authorization: `Basic ${basicCredential(tep.clientId, tep.clientSecret)}`,
        contentType: 'application/x-www-form-urlencoded',
        body: `grant_type=client_credentials&scope=${urlenc(scope)}`,
        authOk: true,
    });
    assert.deepEqual(req.form, [['grant_type', 'client_credentials'], ['scope', scope]]);
}

/* ------------------------------------------------------- the seed sample */

describe('the seed sample: CMK + Cognito-like token endpoint + API destination', () => {
    test('AUTHORIZING -> AUTHORIZED, then the event arrives with the Bearer token', async () => {
        const tep = await tokenEndpoint({ script: [{ expiresIn: 3600 }] });
        const key = await makeCmk(srv);
        const name = `seed-${uniq()}`;
        const since = Date.now();
        const connArn = await createOAuth(name, tep, { kmsKey: key.Arn });

        const d = await waitState(name, 'AUTHORIZED');
        assert.equal(d.KmsKeyIdentifier, key.Arn);
        assert.equal(d.StateReason, undefined);
        assertRecent(d.LastAuthorizedTime, since, 'LastAuthorizedTime');
        assert.ok(d.LastAuthorizedTime >= d.CreationTime, 'LastAuthorizedTime >= CreationTime');
        assert.deepEqual(d.AuthParameters.OAuthParameters, {
            AuthorizationEndpoint: tep.url(),
            HttpMethod: 'POST',
            ClientParameters: { ClientID: tep.clientId },
            OAuthHttpParameters: cognitoHttp(),
        });
        assert.equal(tep.count, 1, 'one token request authorizes the connection');
        assertCognitoRequest(tep.requests[0], tep);

        const p = await pipeline(name, connArn);
        const dd = await eb(DescribeApiDestinationCommand, { Name: p.destName });
        assert.equal(dd.ApiDestinationState, 'ACTIVE');

        const got = await deliverOne(p);
        assert.equal(got.headers.authorization, `Bearer ${tep.issued[0]}`);
        assert.equal(got.all('authorization').length, 1);
        assert.equal(got.method, 'POST');
        assert.equal(got.json.source, p.source);
        assert.deepEqual(got.json.detail, { n: 0 });
        assert.equal(tep.count, 1, 'the delivery used the token of the authorization');

        assert.deepEqual(await history(connArn), [tokenRow(connArn, tep)]);
        const rows = await eventually(async () => {
            const h = await history(p.ruleArn);
            assert.equal(h.length, 1);
            return h;
        });
        assert.deepEqual(
            rows.map((r) => [r.TargetId, r.TargetArn, r.Attempt, r.HttpStatus, r.Result, r.Error]),
            [['api', p.destArn, 1, 200, 'success', undefined]]);
    });
});

/* --------------------------------------------------- OAuthHttpParameters */

describe('OAuthHttpParameters reach the token endpoint exactly', () => {
    test('POST: headers, query-string and form body parameters, secret values included', async () => {
        const tep = await tokenEndpoint();
        const hdrSecret = S(`Hdr-Secret ~!#$%^&*()=+/?-${uniq()}`);
        const qsSecret = S(`qs secret/+&=?é-${uniq()}`);
        const bodySecret = S(`body&secret=+/ é-${uniq()}`);
        const http = {
            HeaderParameters: [
                { Key: 'X-Tenant', Value: 'tenant-42', IsValueSecret: false },
                { Key: 'x-api-secret', Value: hdrSecret, IsValueSecret: true },
            ],
            QueryStringParameters: [
                { Key: 'audience', Value: 'orders api/v1', IsValueSecret: false },
                { Key: 'sig', Value: qsSecret, IsValueSecret: true },
            ],
            BodyParameters: [
                { Key: 'grant_type', Value: 'client_credentials', IsValueSecret: false },
                { Key: 'scope', Value: COGNITO_SCOPE, IsValueSecret: false },
                { Key: 'client_assertion', Value: bodySecret, IsValueSecret: true },
            ],
        };
        const name = `params-post-${uniq()}`;
        await createOAuth(name, tep, { http });
        const d = await waitState(name, 'AUTHORIZED');
        /* the secret values are sent, never shown */
        assert.deepEqual(d.AuthParameters.OAuthParameters.OAuthHttpParameters, {
            HeaderParameters: [
                { Key: 'X-Tenant', Value: 'tenant-42', IsValueSecret: false },
                { Key: 'x-api-secret', IsValueSecret: true },
            ],
            QueryStringParameters: [
                { Key: 'audience', Value: 'orders api/v1', IsValueSecret: false },
                { Key: 'sig', IsValueSecret: true },
            ],
            BodyParameters: [
                { Key: 'grant_type', Value: 'client_credentials', IsValueSecret: false },
                { Key: 'scope', Value: COGNITO_SCOPE, IsValueSecret: false },
                { Key: 'client_assertion', IsValueSecret: true },
            ],
        });
        assert.equal(tep.count, 1);
        const req = tep.requests[0];
        const body = `grant_type=client_credentials&scope=${urlenc(COGNITO_SCOPE)}` +
            `&client_assertion=${urlenc(bodySecret)}`;
        assert.equal(req.method, 'POST');
        assert.equal(req.url, `/oauth2/token?audience=${urlenc('orders api/v1')}&sig=${urlenc(qsSecret)}`);
        assert.deepEqual(req.queryPairs, [['audience', 'orders api/v1'], ['sig', qsSecret]]);
        assert.equal(req.text, body);
        assert.deepEqual(req.form,
            [['grant_type', 'client_credentials'], ['scope', COGNITO_SCOPE], ['client_assertion', bodySecret]]);
        assert.deepEqual(req.rawHeaders.map(([k]) => k.toLowerCase()).sort(), [
            'accept', 'authorization', 'content-length', 'content-type', 'host', 'user-agent',
            'x-api-secret', 'x-tenant']);
        assert.deepEqual({
            authorization: req.headers.authorization,
            'content-type': req.headers['content-type'],
            'content-length': req.headers['content-length'],
            'x-tenant': req.headers['x-tenant'],
            'x-api-secret': req.headers['x-api-secret'],
            credentials: [req.credentials.id, req.credentials.secret],
        }, {
            authorization: `Basic ${basicCredential(tep.clientId, tep.clientSecret)}`,
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': String(Buffer.byteLength(body)),
            'x-tenant': 'tenant-42',
            'x-api-secret': hdrSecret,
            credentials: [tep.clientId, tep.clientSecret],
        });
        /* no grant_type or client credentials are added in the body by evbridge */
        assert.equal(req.form.filter(([k]) => k === 'grant_type').length, 1);
        assert.equal(req.form.some(([k]) => k === 'client_id' || k === 'client_secret'), false);
    });

    test('GET: query appended to an endpoint that has one, headers, no body', async () => {
        const tep = await tokenEndpoint();
        const qsSecret = S(`get-secret/${uniq()}`);
        const name = `params-get-${uniq()}`;
        await createOAuth(name, tep, {
            method: 'GET',
            endpoint: tep.url('tenant=t1'),
            http: {
                HeaderParameters: [{ Key: 'X-Realm', Value: 'realm one', IsValueSecret: false }],
                QueryStringParameters: [
                    { Key: 'grant_type', Value: 'client_credentials', IsValueSecret: false },
                    { Key: 'key', Value: qsSecret, IsValueSecret: true },
                ],
            },
        });
        await waitState(name, 'AUTHORIZED');
        assert.equal(tep.count, 1);
        const req = tep.requests[0];
        assert.deepEqual({
            method: req.method,
            url: req.url,
            body: req.text,
            headers: req.rawHeaders.map(([k]) => k.toLowerCase()).sort(),
            authorization: req.headers.authorization,
            realm: req.headers['x-realm'],
        }, {
            method: 'GET',
            url: `/oauth2/token?tenant=t1&grant_type=client_credentials&key=${urlenc(qsSecret)}`,
            body: '',
            headers: ['accept', 'authorization', 'host', 'user-agent', 'x-realm'],
            authorization: `Basic ${basicCredential(tep.clientId, tep.clientSecret)}`,
            realm: 'realm one',
        });
    });

    test('PUT: form body, no OAuth query or headers', async () => {
        const tep = await tokenEndpoint();
        const name = `params-put-${uniq()}`;
        await createOAuth(name, tep, { method: 'PUT' });
        await waitState(name, 'AUTHORIZED');
        assert.equal(tep.count, 1);
        const req = tep.requests[0];
        assert.deepEqual({
            method: req.method,
            url: req.url,
            body: req.text,
            contentType: req.headers['content-type'],
            headers: req.rawHeaders.map(([k]) => k.toLowerCase()).sort(),
        }, {
            method: 'PUT',
            url: '/oauth2/token',
            body: `grant_type=client_credentials&scope=${urlenc(COGNITO_SCOPE)}`,
            contentType: 'application/x-www-form-urlencoded',
            headers: ['accept', 'authorization', 'content-length', 'content-type', 'host', 'user-agent'],
        });
    });
});

/* ------------------------------------------------------ cache and flight */

describe('token cache and single flight', () => {
    test('1,000 events (PutEvents x100, concurrent) use the one token of the authorization', async () => {
        const tep = await tokenEndpoint({ script: [{ expiresIn: 3600 }] });
        const name = `bulk-${uniq()}`;
        const connArn = await createOAuth(name, tep);
        await waitState(name, 'AUTHORIZED');
        const p = await pipeline(name, connArn, { rate: 5000 });
        await putEvents(p, 1000);
        const got = await delivered(p, 1000, tep, 15000);
        await sleep(200); /* nothing more may come */
        assert.equal(rx.on(p.rxPath).length, 1000);
        assert.equal(new Set(got.map((r) => r.json.id)).size, 1000, 'each event once');
        assert.deepEqual([...new Set(got.map((r) => r.headers.authorization))], [`Bearer ${tep.issued[0]}`]);
        assert.equal(tep.count, 1, 'exactly one token request in all (the authorization)');
        assert.deepEqual(await tokenRows(connArn), ['oauth-token 200 success']);
    });

    test('200 concurrent deliveries needing a token share ONE (slow) token request', async () => {
        /* expires_in 0 at authorization: that token is not kept, so the burst must fetch */
        const tep = await tokenEndpoint({ script: [{ expiresIn: 0 }, { expiresIn: 3600, delayMs: 400 }] });
        const name = `flight-${uniq()}`;
        const connArn = await createOAuth(name, tep);
        await waitState(name, 'AUTHORIZED');
        const p = await pipeline(name, connArn, { rate: 5000 });
        await putEvents(p, 200);
        const got = await delivered(p, 200, tep, 10000);
        assert.equal(tep.count, 2, 'the authorization + exactly one refresh');
        assert.deepEqual([...new Set(got.map((r) => r.headers.authorization))], [`Bearer ${tep.issued[1]}`]);
        assert.deepEqual(await tokenRows(connArn), ['oauth-token 200 success', 'oauth-token 200 success']);
    });

    test('expires_in 61: used at once, refreshed exactly once when less than 60 s remain', async () => {
        const tep = await tokenEndpoint({ script: [{ expiresIn: 61 }, { expiresIn: 3600 }] });
        const name = `expiry-${uniq()}`;
        const connArn = await createOAuth(name, tep);
        await waitState(name, 'AUTHORIZED');
        const p = await pipeline(name, connArn);
        const issuedAt = tep.requests[0].time;
        const first = await deliverOne(p);
        assert.ok(first.time - issuedAt < 1000, `first delivery ${first.time - issuedAt} ms after the token`);
        assert.equal(first.headers.authorization, `Bearer ${tep.issued[0]}`);
        assert.equal(tep.count, 1);

        await sleep(Math.max(0, issuedAt + 1200 - Date.now())); /* < 59.8 s left */
        const second = await deliverOne(p);
        assert.equal(tep.count, 2, 'one refresh');
        assert.equal(second.headers.authorization, `Bearer ${tep.issued[1]}`);
        assert.ok(tep.requests[1].time <= second.time, 'the refresh came before the delivery');
        const third = await deliverOne(p);
        assert.equal(third.headers.authorization, `Bearer ${tep.issued[1]}`);
        assert.equal(tep.count, 2, 'the new token is cached');
        assertCognitoRequest(tep.requests[1], tep);
        assert.deepEqual(await history(connArn), [tokenRow(connArn, tep), tokenRow(connArn, tep)]);
    });
});

/* ------------------------------------------------------------ 401 / 407 */

describe('a 401/407 from the destination', () => {
    test('drops the token: one refresh, then the retry succeeds with the new token', async () => {
        const tep = await tokenEndpoint();
        const name = `unauth-${uniq()}`;
        const connArn = await createOAuth(name, tep);
        await waitState(name, 'AUTHORIZED');
        const p = await pipeline(name, connArn, { retry: 2 });
        rx.script(p.rxPath, [{ status: 401 }, { status: 200 }, { status: 407 }, { status: 200 }]);

        await putEvents(p, 1);
        await rx.waitForCount(p.rxPath, 2);
        assert.deepEqual(bearers(p), [`Bearer ${tep.issued[0]}`, `Bearer ${tep.issued[1]}`]);
        assert.equal(tep.count, 2, 'authorization + one refresh');
        const a = rx.on(p.rxPath);
        assert.equal(a[0].json.id, a[1].json.id, 'the same event, retried');

        await putEvents(p, 1);
        await rx.waitForCount(p.rxPath, 4);
        assert.deepEqual(bearers(p).slice(2), [`Bearer ${tep.issued[1]}`, `Bearer ${tep.issued[2]}`]);
        assert.equal(tep.count, 3);
        await sleep(200);
        assert.equal(rx.on(p.rxPath).length, 4, 'no further attempts');

        const d = await eb(DescribeConnectionCommand, { Name: name });
        assert.equal(d.ConnectionState, 'AUTHORIZED', '401/407 does not de-authorize an OAuth connection');
        const msg = (s) => `SDK_CLIENT_ERROR: Unable to invoke ApiDestination endpoint: the endpoint returned HTTP ${s}.`;
        const rows = await eventually(async () => {
            const h = await history(p.ruleArn);
            assert.equal(h.length, 4);
            return h;
        });
        assert.deepEqual(rows.map((r) => [r.Attempt, r.HttpStatus, r.Result, r.Error]), [
            [1, 401, 'retry', msg(401)],
            [2, 200, 'success', undefined],
            [1, 407, 'retry', msg(407)],
            [2, 200, 'success', undefined],
        ]);
        assert.deepEqual(await history(connArn), [tokenRow(connArn, tep), tokenRow(connArn, tep), tokenRow(connArn, tep)]);
    });

    test('the retry counts against MaximumRetryAttempts (0: no retry; the next event gets a new token)', async () => {
        const tep = await tokenEndpoint();
        const name = `unauth0-${uniq()}`;
        const connArn = await createOAuth(name, tep);
        await waitState(name, 'AUTHORIZED');
        const p = await pipeline(name, connArn, { retry: 0 });
        rx.script(p.rxPath, [{ status: 401 }, { status: 200 }]);
        await putEvents(p, 1);
        await rx.waitForCount(p.rxPath, 1);
        const rows = await eventually(async () => {
            const h = await history(p.ruleArn);
            assert.equal(h.length, 1);
            return h;
        });
        assert.deepEqual(rows.map((r) => [r.Attempt, r.HttpStatus, r.Result, r.Error]), [[1, 401, 'failed',
            'SDK_CLIENT_ERROR: Unable to invoke ApiDestination endpoint: the endpoint returned HTTP 401. ' +
            '(exhausted MaximumRetryAttempts)']]);
        await sleep(200);
        assert.equal(rx.on(p.rxPath).length, 1);
        assert.equal(tep.count, 1, 'no token request without a delivery waiting');

        const next = await deliverOne(p);
        assert.equal(next.headers.authorization, `Bearer ${tep.issued[1]}`);
        assert.equal(tep.count, 2);
        assert.deepEqual(await tokenRows(connArn), ['oauth-token 200 success', 'oauth-token 200 success']);
    });
});

/* ------------------------------------------------------ a failing refresh */

describe('a token endpoint that starts failing', () => {
    test('the refresh gets 500: DEAUTHORIZED with a StateReason, the waiting deliveries fail', async () => {
        const sqs = srv.sqs();
        const q = await sqs.send(new CreateQueueCommand({ QueueName: `oauth-dlq-${uniq()}` }));
        const qa = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q.QueueUrl, AttributeNames: ['QueueArn'] }));
        const tep = await tokenEndpoint({
            script: [{ expiresIn: 61 }, { status: 500, body: { error: 'server_error' } }],
        });
        const name = `failing-${uniq()}`;
        const connArn = await createOAuth(name, tep);
        await waitState(name, 'AUTHORIZED');
        const p = await pipeline(name, connArn, { retry: 3, dlqArn: qa.Attributes.QueueArn });
        await sleep(Math.max(0, tep.requests[0].time + 1200 - Date.now()));

        await putEvents(p, 1);
        const reason = 'OAuth token retrieval failed: the authorization endpoint returned HTTP 500.';
        const d = await waitState(name, 'DEAUTHORIZED', { passing: ['AUTHORIZED'] });
        assert.equal(d.StateReason, reason);
        assert.equal(tep.count, 2, 'one refresh for both targets (single flight), none while DEAUTHORIZED');
        const dd = await eb(DescribeApiDestinationCommand, { Name: p.destName });
        assert.equal(dd.ApiDestinationState, 'INACTIVE');
        await sleep(300);
        assert.equal(rx.on(p.rxPath).length, 0, 'nothing reaches the destination without a token');
        assert.equal(tep.count, 2);

        assert.deepEqual(await history(connArn),
            [tokenRow(connArn, tep), tokenRow(connArn, tep, { status: 500, error: reason })]);
        /* the deliveries that waited for the token fail: dropped, or dead-lettered with a DLQ */
        const rows = await eventually(async () => {
            const h = await history(p.ruleArn);
            assert.equal(h.length, 2, `delivery history of the rule: ${JSON.stringify(h)}`);
            return h;
        }, 2000);
        assert.deepEqual(rows.map((r) => [r.TargetId, r.Result, r.Error]).sort(), [
            ['api', 'failed', `NO_PERMISSIONS: ${reason}`],
            ['api-dlq', 'dead-lettered', `NO_PERMISSIONS: ${reason}`],
        ]);
        const m = await eventually(async () => {
            const r = await sqs.send(new ReceiveMessageCommand({
                QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'],
            }));
            assert.equal(r.Messages?.length, 1);
            return r.Messages[0];
        });
        assert.deepEqual(Object.fromEntries(Object.entries(m.MessageAttributes)
            .map(([k, v]) => [k, [v.DataType, v.StringValue]])), {
            RULE_ARN: ['String', p.ruleArn],
            TARGET_ARN: ['String', p.destArn],
            ERROR_CODE: ['String', 'NO_PERMISSIONS'],
            ERROR_MESSAGE: ['String', reason],
            RETRY_ATTEMPTS: ['Number', '0'],
        });
        const ev = JSON.parse(m.Body);
        assert.deepEqual([ev.source, ev.detail], [p.source, { n: 0 }]);
    });
});

/* ------------------------------------------------- bad token responses */

describe('bad token responses at authorization', () => {
    const F = 'OAuth token retrieval failed:';
    const cases = [
        { id: 'http-500', script: [{ status: 500, body: { error: 'server_error' } }], status: 500,
            reason: `${F} the authorization endpoint returned HTTP 500.` },
        { id: 'http-400', script: [{ status: 400, body: { error: 'invalid_scope' } }], status: 400,
            reason: `${F} the authorization endpoint returned HTTP 400.` },
        { id: 'redirect', script: () => [{ status: 302, headers: { location: rx.url('/elsewhere') } }], status: 302,
            reason: `${F} the authorization endpoint returned HTTP 302.` },
        { id: 'bad-client', wrongSecret: true, status: 401,
            reason: `${F} the authorization endpoint returned HTTP 401.` },
        { id: 'html', script: [{ status: 200, body: '<html>ok</html>', headers: { 'content-type': 'text/html' } }],
            status: 200, reason: `${F} the response is not JSON.` },
        { id: 'empty', script: [{ status: 200, body: '' }], status: 200, reason: `${F} the response is not JSON.` },
        { id: 'truncated', script: [{ status: 200, body: '{"access_token":"abc' }], status: 200,
            reason: `${F} the response is not JSON.` },
        { id: 'no-token', script: [{ status: 200, body: { token_type: 'Bearer', expires_in: 3600 } }], status: 200,
            reason: `${F} the response has no access_token.` },
        { id: 'empty-token', script: [{ status: 200, body: { access_token: '', expires_in: 3600 } }], status: 200,
            reason: `${F} the response has no access_token.` },
        { id: 'number-token', script: [{ status: 200, body: { access_token: 12345 } }], status: 200,
            reason: `${F} the response has no access_token.` },
        { id: 'array', script: [{ status: 200, body: [{ access_token: 'in-an-array' }] }], status: 200,
            reason: `${F} the response is not a JSON object.` },
        { id: 'huge', script: [{ huge: 70 * 1024 }], status: 200, reason: `${F} the response is too large.` },
        { id: 'slow', script: [{ expiresIn: 3600, delayMs: 6500 }], timeoutMs: 9000,
            reason: `${F} Timeout was reached (authorization endpoint).` },
        { id: 'closed', script: [{ close: true }],
            reason: `${F} Server returned nothing (no headers, no data) (authorization endpoint).` },
        { id: 'refused', refused: true, reason: `${F} Couldn't connect to server (authorization endpoint).` },
    ];

    test('each leaves the connection DEAUTHORIZED with its StateReason and a failed history row', async () => {
        const t0 = Date.now();
        const runs = await Promise.all(cases.map(async (c) => {
            const tep = await tokenEndpoint(c.script ? { script: typeof c.script === 'function' ? c.script() : c.script } : {});
            let endpoint;
            if (c.refused) {
                const port = await freePort(); /* nothing listens there */
                endpoint = `http://127.0.0.1:${port}/oauth2/token`;
            }
            const name = `bad-${c.id}-${uniq()}`;
            const connArn = await createOAuth(name, tep, {
                endpoint,
                clientSecret: c.wrongSecret ? S(`not-the-secret-${uniq()}`) : undefined,
            });
            return { c, tep, name, connArn, endpoint };
        }));
        const results = await Promise.allSettled(runs.map(async ({ c, tep, name, connArn, endpoint }) => {
            const d = await waitState(name, 'DEAUTHORIZED', { timeoutMs: c.timeoutMs ?? 4000 });
            assert.equal(d.StateReason, c.reason, c.id);
            assert.equal(d.LastAuthorizedTime?.getTime() ?? 0, d.CreationTime.getTime(),
                `${c.id}: LastAuthorizedTime is not moved by a failure`);
            assert.equal(tep.count, c.refused ? 0 : 1, `${c.id}: token requests`);
            const rows = await history(connArn);
            assert.deepEqual(rows, [{
                ...tokenRow(connArn, tep, { status: c.status ?? null, error: c.reason }),
                TargetArn: endpoint ?? tep.url(),
            }], c.id);
            const dest = await eb(CreateApiDestinationCommand, {
                Name: `${name}-dest`, ConnectionArn: connArn, InvocationEndpoint: rx.url('/never'), HttpMethod: 'POST',
            });
            assert.equal(dest.ApiDestinationState, 'INACTIVE', `${c.id}: API destination on a DEAUTHORIZED connection`);
        }));
        assert.deepEqual(failures(results, cases), []);
        assert.ok(Date.now() - t0 < 12000);
        /* the slow endpoint gave up at the 5 s timeout, not earlier */
        const slow = runs.find((r) => r.c.id === 'slow');
        /* (the endpoint records arrival a little late when many requests land at once) */
        assert.ok(Date.now() - slow.tep.requests[0].time >= 4500);
        /* still serving */
        assert.equal(srv.proc.exitCode, null, `server exited: ${srv.stderr.slice(-2000)}`);
        const l = await eb(ListConnectionsCommand, { NamePrefix: 'bad-' });
        assert.equal(l.Connections.length, cases.length);
        assert.ok(l.Connections.every((x) => x.ConnectionState === 'DEAUTHORIZED'));
        assert.equal(rx.on('/never').length, 0);
    });

    /*
     * expires_in missing or not a number: cached until a 401/407. 0, negative
     * or less than the 60 s refresh window: served to the deliveries waiting
     * for it, then fetched again. Scripts allow exactly the token requests
     * expected and answer 503 after them, so a server that asks for more
     * ends up DEAUTHORIZED instead of looping.
     */
    const STOP = { status: 503, body: { error: 'temporarily_unavailable' } };
    const odd = [
        { id: 'missing', script: [{ expiresIn: undefined }, STOP], cached: true },
        { id: 'string', script: [{ expiresIn: '3600' }, STOP], cached: true },
        { id: 'null', script: [{ expiresIn: null }, STOP], cached: true },
        { id: 'zero', script: [{ expiresIn: 0 }, { expiresIn: 0 }, { expiresIn: 0 }, STOP], cached: false },
        { id: 'negative', script: [{ expiresIn: -5 }, { expiresIn: -5 }, { expiresIn: -5 }, STOP], cached: false },
        { id: 'short-30s', script: [{ expiresIn: 30 }, { expiresIn: 30 }, { expiresIn: 30 }, STOP], cached: false },
    ];
    test('expires_in missing / string / null: cached; 0 / negative / < 60 s: a new token per delivery', async () => {
        const results = await Promise.allSettled(odd.map(async (c) => {
            const tep = await tokenEndpoint({ script: c.script });
            const name = `exp-${c.id}-${uniq()}`;
            const connArn = await createOAuth(name, tep);
            const d = await waitState(name, 'AUTHORIZED');
            assert.equal(d.StateReason, undefined, c.id);
            assert.equal(tep.count, 1, c.id);
            const p = await pipeline(name, connArn);
            const seen = [];
            for (let i = 0; i < 2; i++) {
                try {
                    seen.push((await deliverOne(p, eb, 3000)).headers.authorization);
                } catch (e) {
                    const st = await eb(DescribeConnectionCommand, { Name: name });
                    assert.fail(`delivery ${i + 1} not received; ${tep.count} token requests; connection ` +
                        `${st.ConnectionState} (${st.StateReason})`);
                }
            }
            const T = tep.issued;
            assert.deepEqual({ bearers: seen, tokenRequests: tep.count }, c.cached
                ? { bearers: [`Bearer ${T[0]}`, `Bearer ${T[0]}`], tokenRequests: 1 }
                : { bearers: [`Bearer ${T[1]}`, `Bearer ${T[2]}`], tokenRequests: 3 });
            assert.equal((await eb(DescribeConnectionCommand, { Name: name })).ConnectionState, 'AUTHORIZED');
        }));
        assert.deepEqual(failures(results, odd), []);
        assert.equal(srv.proc.exitCode, null);
    });
});

/* -------------------------------------------------------------- restart */

test('a restart keeps the cached token (sealed under the CMK): no new token request', async () => {
    const tep = await tokenEndpoint({ script: [{ expiresIn: 3600 }] });
    const a = await startServer({ logLevel: 'debug', extraArgs: FAST_RETRIES });
    const dir = a.dataDir;
    let b;
    try {
        const ebA = recorded(a);
        const key = await makeCmk(a);
        const name = `restart-${uniq()}`;
        const connArn = await createOAuth(name, tep, { kmsKey: key.KeyId }, ebA);
        await waitState(name, 'AUTHORIZED', { call: ebA });
        const p = await pipeline(name, connArn, { call: ebA });
        const first = await deliverOne(p, ebA);
        assert.equal(first.headers.authorization, `Bearer ${tep.issued[0]}`);
        assert.equal(tep.count, 1);
        const logA = a.stderr + a.stdout;
        await a.stop({ keepDataDir: true });

        b = await startServer({ dataDir: dir, logLevel: 'debug', extraArgs: FAST_RETRIES });
        const ebB = recorded(b);
        const d = await ebB(DescribeConnectionCommand, { Name: name });
        assert.equal(d.ConnectionState, 'AUTHORIZED');
        const second = await deliverOne(p, ebB);
        assert.equal(second.headers.authorization, `Bearer ${tep.issued[0]}`);
        await sleep(200);
        assert.equal(tep.count, 1, 'the token endpoint saw exactly the same count');
        assert.deepEqual(await tokenRows(connArn, b), ['oauth-token 200 success']);

        const needles = allNeedles();
        assertNoLeak(Buffer.from(logA), needles, 'first server log');
        assertNoLeak(Buffer.from(b.stderr + b.stdout), needles, 'second server log');
        for (const f of filesUnder(dir))
            assertNoLeak(fs.readFileSync(f), needles, `data dir file ${path.relative(dir, f)}`);
    } finally {
        await a.stop({ keepDataDir: true }).catch(() => {});
        if (b)
            await b.stop();
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

/* ------------------------------------------------- Deauthorize / Update */

test('DeauthorizeConnection drops the token; UpdateConnection re-authorizes with a new one', async () => {
    const tep = await tokenEndpoint();
    const name = `deauth-${uniq()}`;
    const connArn = await createOAuth(name, tep);
    await waitState(name, 'AUTHORIZED');
    const p = await pipeline(name, connArn);
    assert.equal((await deliverOne(p)).headers.authorization, `Bearer ${tep.issued[0]}`);

    const r = await eb(DeauthorizeConnectionCommand, { Name: name });
    assert.equal(r.ConnectionState, 'DEAUTHORIZING');
    const d = await waitState(name, 'DEAUTHORIZED', { passing: ['DEAUTHORIZING'] });
    assert.equal(d.StateReason, 'Connection was deauthorized by the user.');
    assert.equal((await eb(DescribeApiDestinationCommand, { Name: p.destName })).ApiDestinationState, 'INACTIVE');
    await putEvents(p, 1);
    await sleep(400);
    assert.equal(rx.on(p.rxPath).length, 1, 'no delivery while DEAUTHORIZED');
    assert.equal(tep.count, 1, 'no token request while DEAUTHORIZED');

    const since = Date.now();
    const u = await eb(UpdateConnectionCommand, {
        Name: name,
        AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
        AuthParameters: { OAuthParameters: oauthParams(tep) },
    });
    assert.equal(u.ConnectionState, 'AUTHORIZING');
    const d2 = await waitState(name, 'AUTHORIZED');
    assertRecent(d2.LastAuthorizedTime, since, 'LastAuthorizedTime');
    assert.ok(d2.LastAuthorizedTime.getTime() >= since - 1000);
    assert.equal(tep.count, 2, 'a new token request');
    assertCognitoRequest(tep.requests[1], tep);
    assert.equal((await eb(DescribeApiDestinationCommand, { Name: p.destName })).ApiDestinationState, 'ACTIVE');
    const next = await deliverOne(p);
    assert.equal(next.headers.authorization, `Bearer ${tep.issued[1]}`);

    /* new OAuth HTTP parameters on an AUTHORIZED connection: re-authorized with them */
    const u2 = await eb(UpdateConnectionCommand, {
        Name: name,
        AuthParameters: { OAuthParameters: { OAuthHttpParameters: cognitoHttp('orders-api/orders.admin') } },
    });
    assert.equal(u2.ConnectionState, 'AUTHORIZING');
    await waitState(name, 'AUTHORIZED');
    assert.equal(tep.count, 3);
    assertCognitoRequest(tep.requests[2], tep, 'orders-api/orders.admin');
    assert.equal((await deliverOne(p)).headers.authorization, `Bearer ${tep.issued[2]}`);
    assert.equal(tep.count, 3);
    assert.deepEqual(await tokenRows(connArn),
        ['oauth-token 200 success', 'oauth-token 200 success', 'oauth-token 200 success']);
});

/* ------------------------------------------------------------ leak test */

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

/* Every secret string of this file: client secrets, secret parameter values, tokens, Basic credentials. */
function allSecrets() {
    const s = new Set(SECRETS);
    for (const t of ENDPOINTS) {
        for (const tok of t.issued)
            s.add(tok);
        s.add(basicCredential(t.clientId, t.clientSecret));
        s.add(urlenc(t.clientSecret));
    }
    return [...s];
}

/* Each secret as UTF-8 bytes and base64 (padded and not). */
function allNeedles() {
    const out = [];
    for (const v of allSecrets()) {
        const b64 = Buffer.from(v, 'utf8').toString('base64');
        out.push([v, Buffer.from(v, 'utf8')], [v, Buffer.from(b64)], [v, Buffer.from(b64.replace(/=+$/, ''))]);
    }
    return out;
}

function assertNoLeak(bytes, needles, where) {
    for (const [v, n] of needles)
        assert.equal(bytes.includes(n), false, `${where} holds ${JSON.stringify(v)} (as ${n.toString()})`);
}

test('secrets never appear: API answers, server log, delivery history, data dir', async () => {
    const needles = allNeedles();
    assert.ok(ENDPOINTS.reduce((n, t) => n + t.issued.length, 0) > 10, 'tokens were issued');
    /* the server did see them: every token request carried its client secret */
    for (const t of ENDPOINTS)
        for (const r of t.requests)
            assert.ok(r.credentials && (r.authOk || SECRETS.has(r.credentials.secret)));

    assertNoLeak(Buffer.from(ANSWERS.join('\n')), needles, 'an EventBridge answer');
    const h = await srv.get('/_evbridge/v1/deliveries', { limit: '10000' });
    assert.equal(h.status, 200);
    assert.ok(h.json.Deliveries.length > 1000);
    assertNoLeak(Buffer.from(h.body), needles, 'GET /_evbridge/v1/deliveries');
    const list = await eb(ListConnectionsCommand, { Limit: 100 });
    for (const c of list.Connections)
        await eb(DescribeConnectionCommand, { Name: c.Name });
    assertNoLeak(Buffer.from(ANSWERS.join('\n')), needles, 'an EventBridge answer');

    const dir = srv.dataDir;
    for (const f of filesUnder(dir))
        assertNoLeak(fs.readFileSync(f), needles, `data dir file ${path.relative(dir, f)} (running)`);
    await srv.stop({ keepDataDir: true });
    try {
        assertNoLeak(Buffer.from(srv.stderr + srv.stdout), needles, 'the server log');
        for (const f of filesUnder(dir))
            assertNoLeak(fs.readFileSync(f), needles, `data dir file ${path.relative(dir, f)} (stopped)`);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

