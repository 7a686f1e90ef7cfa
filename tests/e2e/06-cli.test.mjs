/*
 * 06-cli.test.mjs - the command line contract: version, flag and environment
 * handling, refusal to listen on a non-loopback address without credentials,
 * refusal of corrupt or foreign data directories, idle connections timing
 * out, and an orderly stop on SIGINT/SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { CreateConnectionCommand, ListConnectionsCommand } from '@aws-sdk/client-eventbridge';

import { BIN, startServer } from './lib/server.mjs';

function run(args, env = {}) {
    return spawnSync(BIN, args, { encoding: 'utf8', timeout: 10000, env: { ...process.env, ...env } });
}

function tmpDir() {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'evbridge-cli-'));
}

test('evbridge version prints the version and exits 0', () => {
    const r = run(['version']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^evbridge \S+\n$/);
});

test('unknown command and unknown flag exit 2 with usage', () => {
    assert.equal(run(['frobnicate']).status, 2);
    const r = run(['serve', '--no-such-flag']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown option '--no-such-flag'/);
});

test('non-loopback listen without --credentials is refused', () => {
    const dir = tmpDir();
    const r = run(['serve', '--listen', '0.0.0.0:0', '--data-dir', dir]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without --credentials/);
    const e = run(['serve', '--data-dir', dir], { EVBRIDGE_LISTEN: '0.0.0.0:0' });
    assert.equal(e.status, 2, 'the environment variable is honoured too');
    assert.deepEqual(fs.readdirSync(dir), [], 'nothing was written');
});

test('bad --listen, --log-level and --idle-timeout values are refused', () => {
    assert.match(run(['serve', '--listen', 'nonsense']).stderr, /--listen must be HOST:PORT/);
    assert.match(run(['serve', '--log-level', 'loud']).stderr, /--log-level must be/);
    assert.match(run(['serve', '--idle-timeout', '0']).stderr, /--idle-timeout must be/);
});

test('a corrupt database is refused and left unchanged', () => {
    const dir = tmpDir();
    const junk = 'this is not an sqlite database '.repeat(10);
    fs.writeFileSync(path.join(dir, 'evbridge.db'), junk);
    const r = run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not a valid evbridge database.*refusing to start, nothing was changed/);
    assert.equal(fs.readFileSync(path.join(dir, 'evbridge.db'), 'utf8'), junk);
});

test('credentials file: accounts come from it, the default credential no longer works', async () => {
    const dir = tmpDir();
    const creds = path.join(dir, 'creds');
    fs.writeFileSync(creds, '# comment\nAKIDONE secretone 123456789012\n');
    const srv = await startServer({ extraArgs: ['--credentials', creds] });
    try {
        const good = srv.eventbridge({
            credentials: { accessKeyId: 'AKIDONE', secretAccessKey: 'secretone' },
        });
        const r = await good.send(new ListConnectionsCommand({}));
        assert.deepEqual(r.Connections, []);
        const c = await good.send(new CreateConnectionCommand({
            Name: 'acct', AuthorizationType: 'API_KEY',
            AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'k', ApiKeyValue: 'v' } },
        }));
        assert.match(c.ConnectionArn, /^arn:aws:events:us-east-1:123456789012:connection\/acct\//);
        await assert.rejects(srv.eventbridge().send(new ListConnectionsCommand({})),
            (e) => e.name === 'UnrecognizedClientException');
    } finally {
        await srv.stop();
    }
});

test('a different master key is refused for an existing data directory', async () => {
    const srv = await startServer();
    const dir = srv.dataDir;
    await srv.stop({ keepDataDir: true });
    const r = run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dir],
        { EVBRIDGE_MASTER_KEY: 'ab'.repeat(32) });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /master key does not match this data directory/);
    fs.rmSync(dir, { recursive: true, force: true });
});

test('an idle or slow client is disconnected after --idle-timeout', async () => {
    const srv = await startServer({ extraArgs: ['--idle-timeout', '1'] });
    try {
        const started = Date.now();
        const closed = await new Promise((resolve, reject) => {
            const sock = net.connect(srv.port, '127.0.0.1', () => {
                sock.write('POST / HTTP/1.1\r\nHost: x\r\n'); /* never finishes the headers */
            });
            sock.on('close', () => resolve(Date.now() - started));
            sock.on('error', () => {});
            setTimeout(() => reject(new Error('connection still open after 5 s')), 5000);
        });
        assert.ok(closed >= 900 && closed < 5000, `closed after ${closed} ms`);
        const r = await srv.eventbridge().send(new ListConnectionsCommand({}));
        assert.equal(r.$metadata.httpStatusCode, 200);
    } finally {
        await srv.stop();
    }
});

test('SIGINT stops the server with exit code 0', async () => {
    const srv = await startServer();
    await srv.stop({ signal: 'SIGINT' });
});
