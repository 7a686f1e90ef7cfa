/*
 * 67-bus-targets.test.mjs - an event bus as a rule target: the event is put
 * on that bus, its rules match it, and their targets get it with the same
 * event id. Other target kinds evbridge cannot call are recorded as failed
 * invocations, never silently dropped.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    CreateApiDestinationCommand,
    CreateConnectionCommand,
    CreateEventBusCommand,
    PutEventsCommand,
    PutRuleCommand,
    PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';

import { startReceiver } from './lib/receiver.mjs';
import { startServer } from './lib/server.mjs';

let srv;
let eb;
let rx;

before(async () => {
    srv = await startServer({ extraArgs: ['--retry-base-ms', '50', '--retry-cap-ms', '200'] });
    eb = srv.eventbridge();
    rx = await startReceiver();
});

after(async () => {
    await rx?.stop();
    await srv?.stop();
});

async function eventually(fn, ms = 5000) {
    const end = Date.now() + ms;
    for (;;) {
        try {
            return await fn();
        } catch (e) {
            if (Date.now() > end)
                throw e;
            await new Promise((r) => setTimeout(r, 50));
        }
    }
}

test('default bus -> custom bus -> API destination keeps the event id', async () => {
    const bus = await eb.send(new CreateEventBusCommand({ Name: 'orders' }));
    const conn = await eb.send(new CreateConnectionCommand({
        Name: 'bt-conn', AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-k', ApiKeyValue: 'v' } },
    }));
    const dest = await eb.send(new CreateApiDestinationCommand({
        Name: 'bt-dest', ConnectionArn: conn.ConnectionArn,
        InvocationEndpoint: rx.url('/bus-hop'), HttpMethod: 'POST',
    }));
    await eb.send(new PutRuleCommand({ Name: 'to-orders', EventPattern: '{"source":["shop"]}' }));
    await eb.send(new PutTargetsCommand({
        Rule: 'to-orders', Targets: [{ Id: 'bus', Arn: bus.EventBusArn }],
    }));
    await eb.send(new PutRuleCommand({
        Name: 'on-orders', EventBusName: 'orders', EventPattern: '{"detail-type":["OrderPlaced"]}',
    }));
    await eb.send(new PutTargetsCommand({
        Rule: 'on-orders', EventBusName: 'orders',
        Targets: [{ Id: 'api', Arn: dest.ApiDestinationArn }],
    }));
    const r = await eb.send(new PutEventsCommand({
        Entries: [{ Source: 'shop', DetailType: 'OrderPlaced', Detail: '{"order":7}' }],
    }));
    assert.equal(r.FailedEntryCount, 0);
    const [req] = await rx.waitForCount('/bus-hop', 1);
    assert.equal(req.json.id, r.Entries[0].EventId);
    assert.equal(req.json.source, 'shop');
    assert.deepEqual(req.json.detail, { order: 7 });
    const rows = await eventually(async () => {
        const x = await srv.deliveries({ rule: 'to-orders' });
        assert.equal(x.length, 1);
        return x;
    });
    assert.equal(rows[0].Result, 'success');
    assert.equal(rows[0].TargetArn, bus.EventBusArn);
});

test('a bus of another account, or a Lambda function, is a failed invocation in the history', async () => {
    await eb.send(new PutRuleCommand({ Name: 'odd-targets', EventPattern: '{"source":["odd"]}' }));
    await eb.send(new PutTargetsCommand({
        Rule: 'odd-targets', Targets: [
            { Id: 'other-account', Arn: 'arn:aws:events:us-east-1:111111111111:event-bus/default' },
            { Id: 'lambda', Arn: 'arn:aws:lambda:us-east-1:000000000000:function:f' },
        ],
    }));
    await eb.send(new PutEventsCommand({
        Entries: [{ Source: 'odd', DetailType: 't', Detail: '{}' }],
    }));
    const rows = await eventually(async () => {
        const x = await srv.deliveries({ rule: 'odd-targets' });
        assert.equal(x.length, 2);
        return x;
    });
    const byId = Object.fromEntries(rows.map((x) => [x.TargetId, x]));
    assert.equal(byId['other-account'].Result, 'failed');
    assert.match(byId['other-account'].Error, /^NO_PERMISSIONS: evbridge delivers only to buses of the same account and region/);
    assert.equal(byId.lambda.Result, 'failed');
    assert.match(byId.lambda.Error, /^NO_RESOURCE: evbridge cannot deliver to arn:aws:lambda:us-east-1:000000000000:function:f \(unsupported target type\)\./);
});

test('a response that echoes the credentials is recorded with them masked', async () => {
    const key = 'k3y-ECHOED-IN-RESPONSE';
    const user = 'echo-user', pass = 'p4ss-ECHOED-IN-RESPONSE';
    const basic = Buffer.from(`${user}:${pass}`).toString('base64');
    rx.script('/echo', [{ status: 200, body: `{"seen":{"x-k":"${key}"}}` }]);
    rx.script('/echo-basic', [{ status: 500, body: `you sent ${pass} and ${basic}` }, { status: 200 }]);
    const c1 = await eb.send(new CreateConnectionCommand({
        Name: 'echo-key', AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-k', ApiKeyValue: key } },
    }));
    const c2 = await eb.send(new CreateConnectionCommand({
        Name: 'echo-basic', AuthorizationType: 'BASIC',
        AuthParameters: { BasicAuthParameters: { Username: user, Password: pass } },
    }));
    const d1 = await eb.send(new CreateApiDestinationCommand({
        Name: 'echo-d1', ConnectionArn: c1.ConnectionArn, InvocationEndpoint: rx.url('/echo'),
        HttpMethod: 'POST',
    }));
    const d2 = await eb.send(new CreateApiDestinationCommand({
        Name: 'echo-d2', ConnectionArn: c2.ConnectionArn, InvocationEndpoint: rx.url('/echo-basic'),
        HttpMethod: 'POST',
    }));
    await eb.send(new PutRuleCommand({ Name: 'echo', EventPattern: '{"source":["echo"]}' }));
    await eb.send(new PutTargetsCommand({
        Rule: 'echo', Targets: [{ Id: 'a', Arn: d1.ApiDestinationArn }, { Id: 'b', Arn: d2.ApiDestinationArn }],
    }));
    await eb.send(new PutEventsCommand({ Entries: [{ Source: 'echo', DetailType: 't', Detail: '{}' }] }));
    const rows = await eventually(async () => {
        const x = await srv.deliveries({ rule: 'echo' });
        assert.equal(x.length, 3);
        return x;
    });
    const all = JSON.stringify(rows);
    for (const secret of [key, pass, basic])
        assert.ok(!all.includes(secret), `${secret} is not in the history`);
    const a = rows.find((x) => x.TargetId === 'a');
    assert.equal(a.ResponseBody, `{"seen":{"x-k":"${'*'.repeat(key.length)}"}}`);
    const b = rows.find((x) => x.TargetId === 'b' && x.HttpStatus === 500);
    assert.equal(b.ResponseBody, `you sent ${'*'.repeat(pass.length)} and ${'*'.repeat(basic.length)}`);
});
