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
