/*
 * tests/e2e/68-scheduled-rules.test.mjs - scheduled rules really fire, end to
 * end: a rate(1 minute) rule and a cron(* * * * ? *) rule on the default bus,
 * each with an API-destination target on a local receiver. The rate rule's
 * first "Scheduled Event" comes one period after its creation, the cron rule's
 * at the next minute boundary; each carries AWS's envelope. About 65 s.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    CreateApiDestinationCommand,
    CreateConnectionCommand,
    DisableRuleCommand,
    PutRuleCommand,
    PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';

import { ACCOUNT, REGION, UUID_RE, startServer } from './lib/server.mjs';
import { sleep, startReceiver } from './lib/receiver.mjs';

let srv;
let eb;
let rx;

before(async () => {
    srv = await startServer();
    eb = srv.eventbridge();
    rx = await startReceiver();
});

after(async () => {
    await rx?.stop();
    await srv?.stop();
});

const send = (Cmd, input) => eb.send(new Cmd(input));

async function scheduled(name, expression, input) {
    const d = await send(CreateApiDestinationCommand, {
        Name: `dest-${name}`, ConnectionArn: conn.ConnectionArn, HttpMethod: 'POST',
        InvocationEndpoint: rx.url(`/${name}`),
    });
    const before = Date.now();
    const r = await send(PutRuleCommand, { Name: name, ScheduleExpression: expression });
    const created = Date.now();
    const t = await send(PutTargetsCommand, {
        Rule: name,
        Targets: [{ Id: 't0', Arn: d.ApiDestinationArn, ...(input ? { Input: input } : {}) }],
    });
    assert.equal(t.FailedEntryCount, 0);
    return { name, arn: r.RuleArn, before, created };
}

let conn;

test('rate(1 minute) and cron(* * * * ? *) fire Scheduled Events at their times', { timeout: 90000 }, async () => {
    conn = await send(CreateConnectionCommand, {
        Name: 'sched-conn', AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: 'sched-key-1' } },
    });
    const rate = await scheduled('every-minute', 'rate(1 minute)');
    const cron = await scheduled('each-minute', 'cron(* * * * ? *)', '{"fixed":true}');
    const off = await scheduled('disabled', 'rate(1 minute)');
    await send(DisableRuleCommand, { Name: 'disabled' });

    await rx.waitForCount('/each-minute', 1, 70000);
    await rx.waitForCount('/every-minute', 1, 70000);

    /* rate: one period after creation (the scheduler ticks every second) */
    const [a] = rx.on('/every-minute');
    const early = a.time - (rate.before + 60000), late = a.time - (rate.created + 60000);
    assert.ok(early >= -1000 && late < 5000, `rate rule fired ${late} ms after its first period`);
    assert.match(a.json.id, UUID_RE);
    assert.deepEqual({ ...a.json, id: 'ID', time: 'TIME' }, {
        version: '0', id: 'ID', 'detail-type': 'Scheduled Event', source: 'aws.events',
        account: ACCOUNT, time: 'TIME', region: REGION, resources: [rate.arn], detail: {},
    });
    /* the envelope's time is the scheduled time, in whole seconds */
    assert.match(a.json.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const at = Date.parse(a.json.time);
    assert.ok(at >= rate.before + 60000 - 1000 && at <= rate.created + 60000,
        `${a.json.time} is not the first period after the rule's creation`);
    assert.equal(a.headers['x-api-key'], 'sched-key-1');

    /* cron: at a minute boundary, with the target's constant Input */
    const [c] = rx.on('/each-minute');
    assert.deepEqual(c.json, { fixed: true });
    const sinceBoundary = c.time % 60000;
    assert.ok(sinceBoundary < 5000, `cron rule fired ${sinceBoundary} ms after the minute`);

    /* a disabled rule never fires */
    await sleep(Math.max(0, off.created + 62000 - Date.now()));
    assert.equal(rx.on('/disabled').length, 0);
});
