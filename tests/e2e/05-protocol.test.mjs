/*
 * 05-protocol.test.mjs - the wire around the operations: STS identity, SigV4
 * failures, unknown targets, malformed and oversize bodies, response headers
 * and error shape, and persistence across a restart (secrets never in clear
 * on disk). Expected texts: spec/README.md §1, evbridge decisions.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
    CreateConnectionCommand,
    DescribeConnectionCommand,
    ListConnectionsCommand,
} from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';

import {
    ANY_UUID_RE,
    expectError,
    members,
    startBlackHole,
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

const JSON_TYPE = 'application/x-amz-json-1.1';
const BAD_SIGNATURE = 'The request signature we calculated does not match the signature you ' +
    'provided. Check your AWS Secret Access Key and signing method. Consult the service ' +
    'documentation for details.';

/* A raw error answer: status, JSON {__type, message}, content type, request id. */
function checkRawError(r, status, type, message) {
    assert.equal(r.status, status, r.body);
    assert.equal(r.headers['content-type'], JSON_TYPE);
    assert.match(r.headers['x-amzn-requestid'] ?? '', ANY_UUID_RE);
    assert.ok(r.json && typeof r.json === 'object', `error body is not JSON: ${r.body}`);
    assert.deepEqual(Object.keys(r.json).sort(), ['__type', 'message']);
    assert.equal(r.json.__type, type);
    assert.equal(typeof r.json.message, 'string');
    if (message !== undefined)
        assert.equal(r.json.message, message);
}

async function stillServing() {
    const r = await eb.send(new ListConnectionsCommand({}));
    assert.equal(r.$metadata.httpStatusCode, 200);
    assert.ok(Array.isArray(r.Connections));
}

/* ----------------------------------------------------------------- STS */

test('STS GetCallerIdentity returns the default account', async () => {
    const r = await srv.sts().send(new GetCallerIdentityCommand({}));
    assert.deepEqual(members(r), ['Account', 'Arn', 'UserId']);
    assert.equal(r.Account, '000000000000');
    assert.equal(r.Arn, 'arn:aws:iam::000000000000:root');
    assert.equal(r.UserId, '000000000000');
    assert.match(r.$metadata.requestId ?? '', ANY_UUID_RE);
});

test('STS GetCallerIdentity, raw query protocol', async () => {
    const r = await srv.signed({
        service: 'sts',
        contentType: 'application/x-www-form-urlencoded; charset=utf-8',
        body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    assert.equal(r.status, 200, r.body);
    assert.match(r.headers['content-type'] ?? '', /^text\/xml/);
    assert.match(r.body, /<GetCallerIdentityResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
    assert.match(r.body, /<Account>000000000000<\/Account>/);
    assert.match(r.body, /<Arn>arn:aws:iam::000000000000:root<\/Arn>/);
    assert.match(r.body, /<RequestId>[0-9a-fA-F-]{36}<\/RequestId>/);
});

/* ------------------------------------------------------ response headers */

test('every response carries a distinct x-amzn-RequestId uuid', async () => {
    const ok1 = await srv.call('ListConnections', {});
    const ok2 = await srv.call('ListConnections', {});
    const err = await srv.call('DescribeConnection', { Name: 'nope' });
    for (const r of [ok1, ok2, err]) {
        assert.match(r.headers['x-amzn-requestid'] ?? '', ANY_UUID_RE, JSON.stringify(r.headers));
        assert.equal(r.headers['content-type'], JSON_TYPE);
    }
    assert.equal(ok1.status, 200);
    assert.deepEqual(ok1.json, { Connections: [] });
    assert.notEqual(ok1.headers['x-amzn-requestid'], ok2.headers['x-amzn-requestid']);
    checkRawError(err, 400, 'ResourceNotFoundException',
        "Failed to describe the connection(s). Connection 'nope' does not exist.");

    const sdk = await eb.send(new ListConnectionsCommand({}));
    assert.match(sdk.$metadata.requestId ?? '', ANY_UUID_RE);
});

/* ------------------------------------------------------- protocol errors */

describe('protocol errors', () => {
    test('unknown X-Amz-Target -> 400 UnknownOperationException', async () => {
        for (const target of ['AWSEvents.NoSuchOperation', 'NoSuchService.ListConnections']) {
            const r = await srv.signed({ target, body: '{}' });
            checkRawError(r, 400, 'UnknownOperationException');
        }
    });

    test('malformed JSON body -> 400 SerializationException', async () => {
        for (const b of ['{"Name": ', 'not json', '{"Name": "a"} trailing']) {
            const r = await srv.signed({ target: 'AWSEvents.DescribeConnection', body: b });
            checkRawError(r, 400, 'SerializationException');
        }
    });

    test('JSON that is not an object, or a member of the wrong type -> SerializationException', async () => {
        for (const b of ['[]', '"x"', '{"Name": 5}', '{"Limit": "3"}']) {
            const target = b.includes('Limit') ? 'AWSEvents.ListConnections' : 'AWSEvents.DescribeConnection';
            const r = await srv.signed({ target, body: b });
            checkRawError(r, 400, 'SerializationException');
        }
    });

    test('body over 1 MiB -> 413 or closed connection, and the server keeps serving', async () => {
        const pad = 1024 * 1024 + 1 - '{"Name":""}'.length;
        const big = `{"Name":"${'a'.repeat(pad)}"}`;
        assert.equal(Buffer.byteLength(big), 1024 * 1024 + 1);
        let r;
        let outcome;
        try {
            r = await srv.signed({ target: 'AWSEvents.DescribeConnection', body: big });
            outcome = r.status;
        } catch (e) {
            /* HPE_* = node could not parse what the server sent back */
            outcome = e.code ?? e.message;
        }
        assert.ok(outcome === 413 || ['ECONNRESET', 'EPIPE', 'socket hang up'].includes(outcome),
            `expected 413 or a closed connection, got ${outcome}`);
        if (r) {
            assert.match(r.headers['x-amzn-requestid'] ?? '', ANY_UUID_RE, JSON.stringify(r.headers));
            assert.equal(r.headers['content-type'], JSON_TYPE);
            assert.equal(typeof r.json?.__type, 'string', r.body);
        }
        await stillServing();
    });

    test('a 1 MiB body is still read (and answered, here with a validation error)', async () => {
        const pad = 1024 * 1024 - '{"Name":""}'.length;
        const big = `{"Name":"${'a'.repeat(pad)}"}`;
        const r = await srv.signed({ target: 'AWSEvents.DescribeConnection', body: big });
        assert.equal(r.status, 400, r.body.slice(0, 300));
        assert.equal(r.json?.__type, 'ValidationException');
    });
});

/* ------------------------------------------------------------- SigV4 */

describe('authentication', () => {
    test('unsigned request -> 403 MissingAuthenticationTokenException', async () => {
        const r = await srv.unsigned({
            headers: { 'content-type': JSON_TYPE, 'x-amz-target': 'AWSEvents.ListConnections' },
            body: '{}',
        });
        checkRawError(r, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    });

    test('wrong secret key -> InvalidSignatureException', async () => {
        const bad = srv.eventbridge({ credentials: { accessKeyId: 'test', secretAccessKey: 'wrong' } });
        await expectError(bad.send(new ListConnectionsCommand({})), 'InvalidSignatureException', BAD_SIGNATURE);
        const r = await srv.signed({
            target: 'AWSEvents.ListConnections',
            credentials: { accessKeyId: 'test', secretAccessKey: 'wrong' },
        });
        checkRawError(r, 400, 'InvalidSignatureException', BAD_SIGNATURE);
    });

    test('body changed after signing -> InvalidSignatureException', async () => {
        const r = await srv.signed({
            target: 'AWSEvents.ListConnections',
            body: '{}',
            unsignedHeaders: { 'x-amz-target': 'AWSEvents.ListApiDestinations' },
        });
        checkRawError(r, 400, 'InvalidSignatureException', BAD_SIGNATURE);
    });

    test('unknown access key -> UnrecognizedClientException', async () => {
        const bad = srv.eventbridge({
            credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'whatever' },
        });
        await expectError(bad.send(new ListConnectionsCommand({})), 'UnrecognizedClientException',
            'The security token included in the request is invalid.');
    });

    test('signed 20 minutes ago -> InvalidSignatureException Signature expired', async () => {
        const old = srv.eventbridge({ systemClockOffset: -20 * 60 * 1000 });
        await expectError(old.send(new ListConnectionsCommand({})), 'InvalidSignatureException',
            /^Signature expired: /);
        const r = await srv.signed({
            target: 'AWSEvents.ListConnections', date: new Date(Date.now() - 20 * 60 * 1000),
        });
        checkRawError(r, 400, 'InvalidSignatureException');
        assert.match(r.json.message, /^Signature expired: /);
    });

    test('signed 5 minutes ago is still fine', async () => {
        const r = await srv.signed({
            target: 'AWSEvents.ListConnections', date: new Date(Date.now() - 5 * 60 * 1000),
        });
        assert.equal(r.status, 200, r.body);
    });

    test('after all the bad requests a normal call still works', async () => {
        await stillServing();
        const r = await srv.sts().send(new GetCallerIdentityCommand({}));
        assert.equal(r.Account, '000000000000');
    });
});

/* ------------------------------------------------------------ persistence */

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

function assertNotOnDisk(dir, secrets, when) {
    const files = filesUnder(dir);
    assert.ok(files.some((f) => path.basename(f) === 'evbridge.db'),
        `${when}: no evbridge.db in ${dir}: ${files.join(', ')}`);
    for (const f of files) {
        const buf = fs.readFileSync(f);
        for (const s of secrets)
            assert.equal(buf.includes(Buffer.from(s, 'utf8')), false, `${when}: ${f} holds ${s} in clear`);
    }
    return files;
}

test('restart keeps connections; secrets never in clear in the data dir or the log', async () => {
    const hole = await startBlackHole();
    const secrets = ['pw-PERSIST-8c1f2e', 'key-PERSIST-5d9a07', 'cs-PERSIST-3b6e44'];
    let a;
    let b;
    try {
        a = await startServer();
        const ebA = a.eventbridge();
        const inputs = [
            { Name: 'persist-basic', AuthorizationType: 'BASIC',
                AuthParameters: { BasicAuthParameters: { Username: 'persist-user', Password: secrets[0] } } },
            { Name: 'persist-apikey', AuthorizationType: 'API_KEY',
                AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'x-key', ApiKeyValue: secrets[1] } } },
            { Name: 'persist-oauth', AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
                AuthParameters: { OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/token'), HttpMethod: 'POST',
                    ClientParameters: { ClientID: 'persist-client', ClientSecret: secrets[2] } } } },
        ];
        const before = [];
        for (const i of inputs) {
            await ebA.send(new CreateConnectionCommand(i));
            before.push(await ebA.send(new DescribeConnectionCommand({ Name: i.Name })));
        }
        const files = assertNotOnDisk(a.dataDir, secrets, 'while running');
        assert.ok(files.some((f) => path.basename(f) === 'evbridge.db-wal'),
            `expected a WAL file while running: ${files.join(', ')}`);

        const dir = a.dataDir;
        await a.stop({ keepDataDir: true });
        for (const s of secrets)
            assert.equal(a.stderr.includes(s) || a.stdout.includes(s), false, `log holds ${s}`);
        assertNotOnDisk(dir, secrets, 'after stop');

        b = await startServer({ dataDir: dir });
        const ebB = b.eventbridge();
        for (const d0 of before) {
            const d = await ebB.send(new DescribeConnectionCommand({ Name: d0.Name }));
            assert.equal(d.ConnectionArn, d0.ConnectionArn);
            assert.equal(d.SecretArn, d0.SecretArn);
            assert.equal(d.AuthorizationType, d0.AuthorizationType);
            assert.deepEqual(d.AuthParameters, d0.AuthParameters);
            assert.equal(d.CreationTime.getTime(), d0.CreationTime.getTime());
        }
        const basic = before[0];
        assert.equal(basic.ConnectionState, 'AUTHORIZED');
        assert.equal((await ebB.send(new DescribeConnectionCommand({ Name: basic.Name }))).ConnectionState,
            'AUTHORIZED');
        /* the secret still decrypts after the restart */
        const s = await b.secretsManager().send(new GetSecretValueCommand({ SecretId: basic.SecretArn }));
        assert.deepEqual(JSON.parse(s.SecretString), { username: 'persist-user', password: secrets[0] });
    } finally {
        try {
            if (b)
                await b.stop();
            else if (a)
                await a.stop();
        } finally {
            if (a)
                fs.rmSync(a.dataDir, { recursive: true, force: true });
            await hole.close();
        }
    }
});
