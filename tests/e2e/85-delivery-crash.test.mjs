/*
 * 85-delivery-crash.test.mjs - crash safety of the outbox and the delivery
 * engine (issue 6 item 7): under PutEvents load the server is killed with
 * SIGKILL at a random moment, restarted on the same data directory, and every
 * EventId that PutEvents acknowledged before the kill must reach the
 * receiver (at-least-once: duplicates allowed, always with the same id).
 * Three kill/restart rounds; the kill moments are printed as diagnostics.
 *
 * Nothing is sent anywhere but 127.0.0.1.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';

import {
    CreateApiDestinationCommand,
    CreateConnectionCommand,
    PutEventsCommand,
    PutRuleCommand,
    PutTargetsCommand,
    UpdateApiDestinationCommand,
} from '@aws-sdk/client-eventbridge';

import { UUID_RE, startServer } from './lib/server.mjs';
import { sleep, startReceiver } from './lib/receiver.mjs';

const RETRY_ARGS = ['--retry-base-ms', '50', '--retry-cap-ms', '200'];
const SOURCE = 'test.crash';
const WORKERS = 8;
const LOAD_MS = 2000;
const ROUNDS = 3;
const DRAIN_MS = 20000;

let rx;
let dataDir;
const servers = [];

before(async () => {
    rx = await startReceiver();
});

after(async () => {
    try {
        for (const s of servers)
            if (!s._stopped)
                await s.kill();
    } finally {
        if (dataDir)
            fs.rmSync(dataDir, { recursive: true, force: true });
        await rx?.stop();
    }
});

/* Ids the receiver has seen, maintained incrementally (the load is large). */
const seen = new Map(); /* id -> times delivered */
let cursor = 0;
function scan(reqs) {
    for (; cursor < reqs.length; cursor++) {
        const q = reqs[cursor];
        assert.equal(q.path, '/crash', `unexpected request ${q.method} ${q.url}`);
        assert.ok(q.json && q.json.source === SOURCE && UUID_RE.test(q.json.id), `bad body: ${q.text.slice(0, 200)}`);
        seen.set(q.json.id, (seen.get(q.json.id) ?? 0) + 1);
    }
}

/* PutEvents from `WORKERS` concurrent loops until stopped; returns acknowledged ids. */
function load(eb, state) {
    const acked = [];
    const worker = async (w) => {
        for (let i = 0; !state.stop; i++) {
            let r;
            try {
                r = await eb.send(new PutEventsCommand({
                    Entries: Array.from({ length: 10 }, (_, k) => ({
                        Source: SOURCE, DetailType: 'crash test', Detail: JSON.stringify({ w, i, k }),
                    })),
                }));
            } catch (e) {
                if (state.killed)
                    return; /* in flight at the kill: not acknowledged */
                throw e;
            }
            assert.equal(r.FailedEntryCount, 0);
            for (const e of r.Entries)
                acked.push(e.EventId);
        }
    };
    return { acked, done: Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w))) };
}

test('kill -9 under PutEvents load loses no acknowledged event', async (t) => {
    let srv = await startServer({ extraArgs: RETRY_ARGS });
    servers.push(srv);
    dataDir = srv.dataDir;
    let eb = srv.eventbridge();
    const conn = await eb.send(new CreateConnectionCommand({
        Name: 'crash-conn', AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'crash-key' } },
    }));
    const dest = await eb.send(new CreateApiDestinationCommand({
        Name: 'crash-dest', ConnectionArn: conn.ConnectionArn, HttpMethod: 'POST',
        InvocationEndpoint: rx.url('/crash'), InvocationRateLimitPerSecond: 100000,
    }));
    await eb.send(new PutRuleCommand({ Name: 'crash-rule', EventPattern: JSON.stringify({ source: [SOURCE] }) }));
    await eb.send(new PutTargetsCommand({ Rule: 'crash-rule', Targets: [{ Id: 'receiver', Arn: dest.ApiDestinationArn }] }));

    const allAcked = new Set();
    for (let round = 1; round <= ROUNDS; round++) {
        const state = { stop: false, killed: false };
        const killAt = 300 + Math.floor(Math.random() * (LOAD_MS - 500));
        const l = load(eb, state);
        await sleep(killAt);
        state.killed = true;
        state.stop = true;
        const exit = await srv.kill();
        await l.done;
        assert.equal(exit.signal, 'SIGKILL', `round ${round}: the server was not killed: ${JSON.stringify(exit)}`);
        for (const id of l.acked)
            allAcked.add(id);
        scan(rx.requests);
        const before = seen.size;

        srv = await startServer({ dataDir, extraArgs: RETRY_ARGS });
        servers.push(srv);
        eb = srv.eventbridge();

        const missing = new Set([...allAcked].filter((id) => !seen.has(id)));
        const t0 = Date.now();
        try {
            await rx.waitFor((reqs) => {
                const from = cursor;
                scan(reqs);
                for (let i = from; i < reqs.length; i++)
                    missing.delete(reqs[i].json.id);
                return missing.size === 0;
            }, DRAIN_MS, 'every acknowledged event delivered');
        } catch (e) {
            assert.fail(`round ${round}: ${missing.size} of ${allAcked.size} acknowledged events never ` +
                `delivered within ${DRAIN_MS} ms after the restart (e.g. ${[...missing].slice(0, 3).join(', ')})` +
                `\nstderr:\n${srv.stderr.slice(-2000)}`);
        }
        const dups = [...seen.values()].filter((n) => n > 1).length;
        t.diagnostic(`round ${round}: killed after ${killAt} ms; ${l.acked.length} acknowledged ` +
            `(${allAcked.size} in all); ${before} ids delivered before the restart, all ${seen.size} after ` +
            `${Date.now() - t0} ms; ${dups} ids delivered more than once; ${rx.requests.length} requests`);
    }

    /* the restarted server still takes and delivers new events */
    const r = await eb.send(new PutEventsCommand({
        Entries: [{ Source: SOURCE, DetailType: 'crash test', Detail: '{"after":true}' }],
    }));
    const id = r.Entries[0].EventId;
    await rx.waitFor(() => rx.requests.some((q) => q.json?.id === id), 5000, 'the post-restart event');
    await srv.stop({ keepDataDir: true });
});

/* A destination at 1 invocation/s with a long queue: beyond the 2,048 jobs it
 * keeps in memory, its new jobs are parked in the store. Another destination's
 * events still arrive at once, before and after a kill -9, and when the slow
 * one speeds up every one of its events arrives. The engine remembers only
 * the first 300 parked ids (300 bytes: one byte per id here), so the rest is
 * read back by a scan of the parked range: both ways are taken. */
test('a long parked queue holds up no other destination and survives kill -9', async () => {
    const N = 2600;
    const env = { EVBRIDGE_PARK_ID_BYTES: '300' };
    let srv = await startServer({ extraArgs: RETRY_ARGS, env, logLevel: 'info' });
    servers.push(srv);
    const dir = srv.dataDir;
    let eb = srv.eventbridge();
    const conn = await eb.send(new CreateConnectionCommand({
        Name: 'park-conn', AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'park-key' } },
    }));
    const dest = async (name, path, rate) => (await eb.send(new CreateApiDestinationCommand({
        Name: name, ConnectionArn: conn.ConnectionArn, HttpMethod: 'POST',
        InvocationEndpoint: rx.url(path), InvocationRateLimitPerSecond: rate,
    }))).ApiDestinationArn;
    const slowArn = await dest('park-slow', '/park-slow', 1);
    const fastArn = await dest('park-fast', '/park-fast', 100000);
    for (const [name, arn] of [['slow', slowArn], ['fast', fastArn]]) {
        await eb.send(new PutRuleCommand({ Name: `park-${name}`, EventPattern: JSON.stringify({ source: [`test.park.${name}`] }) }));
        await eb.send(new PutTargetsCommand({ Rule: `park-${name}`, Targets: [{ Id: name, Arn: arn }] }));
    }
    const put = async (client, name, n, tag) => {
        const ids = [];
        for (let i = 0; i < n; i += 10) {
            const r = await client.send(new PutEventsCommand({
                Entries: Array.from({ length: Math.min(10, n - i) }, (_, k) => ({
                    Source: `test.park.${name}`, DetailType: 'park', Detail: JSON.stringify({ tag, i: i + k }),
                })),
            }));
            assert.equal(r.FailedEntryCount, 0);
            ids.push(...r.Entries.map((e) => e.EventId));
        }
        return ids;
    };
    const slowIds = await put(eb, 'slow', N, 'slow');
    let t0 = Date.now();
    /* Every one of `ids` reached `path` (a kill may add duplicates: counts do not tell). */
    const arrived = (path, ids, ms) => rx.waitFor((reqs) => {
        const got = new Set(reqs.filter((q) => q.path === path).map((q) => q.json?.id));
        return ids.every((id) => got.has(id));
    }, ms, `${ids.length} events at ${path}`);
    const fast1 = await put(eb, 'fast', 50, 'before');
    await arrived('/park-fast', fast1, 3000);
    const before = Date.now() - t0;

    const exit = await srv.kill();
    assert.equal(exit.signal, 'SIGKILL');
    srv = await startServer({ dataDir: dir, extraArgs: RETRY_ARGS, env, logLevel: 'info' });
    servers.push(srv);
    eb = srv.eventbridge();
    t0 = Date.now();
    const fast2 = await put(eb, 'fast', 50, 'after');
    await arrived('/park-fast', fast2, 3000);
    const after = Date.now() - t0;

    await eb.send(new UpdateApiDestinationCommand({ Name: 'park-slow', InvocationRateLimitPerSecond: 100000 }));
    await arrived('/park-slow', slowIds, 30000);
    const slow = rx.on('/park-slow');
    assert.ok(slow.length >= N && slow.length <= N + 10,
        `${slow.length} requests for ${N} slow events (at-least-once: only those in flight at the kill twice)`);
    assert.ok(before < 3000 && after < 3000, `fast events took ${before} / ${after} ms`);
    for (const [what, line] of [
        ['parked', `delivery: ${slowArn} has 2048 jobs in memory; its new jobs wait in the store`],
        ['stopped remembering ids', `delivery: ${slowArn}: parked jobs from job `],
        ['read back', `delivery: ${slowArn}: every job that waited in the store is back in memory`],
    ])
        assert.ok(srv.stderr.includes(line), `the restarted server ${what}`);
    await srv.stop();
});
