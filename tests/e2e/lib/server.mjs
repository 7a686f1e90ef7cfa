/*
 * tests/e2e/lib/server.mjs - runs the real evbridge binary for one test file
 * and hands out AWS SDK v3 clients, a raw SigV4 signer and assertion helpers.
 *
 * Every server gets a free loopback port and a fresh data directory, so test
 * files are independent. Nothing here talks to anything but 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';

/* The SDK warns about Node 20 once per process; that is noise in test output. */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = path.resolve(REPO_ROOT, process.env.EVBRIDGE_BIN || 'build/evbridge');

/*
 * The AWS-validated recordings (shared/conformance, kept outside this
 * repository); EVBRIDGE_CONFORMANCE_DIR overrides the sibling checkout.
 */
export const CONFORMANCE_DIR = path.resolve(REPO_ROOT,
    process.env.EVBRIDGE_CONFORMANCE_DIR || '../shared/conformance');

export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';
export const CREDENTIALS = Object.freeze({ accessKeyId: 'test', secretAccessKey: 'test' });

/* A lowercase v4 UUID, and any UUID (Secrets Manager version ids). */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const ANY_UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const UUID_SRC = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';
const ANY_UUID_SRC = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

const START_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 10000;

function escapeRe(s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/* `arn:aws:events:us-east-1:000000000000:connection/<name>/<lowercase uuid v4>` */
export function connectionArnRe(name) {
    return new RegExp(`^arn:aws:events:${REGION}:${ACCOUNT}:connection/${escapeRe(name)}/${UUID_SRC}$`);
}

export function apiDestinationArnRe(name) {
    return new RegExp(
        `^arn:aws:events:${REGION}:${ACCOUNT}:api-destination/${escapeRe(name)}/${UUID_SRC}$`);
}

/* `arn:aws:secretsmanager:...:secret:events!connection/<name>/<uuid>-<6 alphanumerics>` */
export function secretArnRe(name) {
    return new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:events!connection/` +
        `${escapeRe(name)}/${ANY_UUID_SRC}-[A-Za-z0-9]{6}$`);
}

export function secretNameRe(name) {
    return new RegExp(`^events!connection/${escapeRe(name)}/${ANY_UUID_SRC}$`);
}

export function freePort() {
    return new Promise((resolve, reject) => {
        const s = net.createServer();
        s.unref();
        s.on('error', reject);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

function sleep(ms) {
    return new Promise((r) => setTimeout(r, ms));
}

function tryConnect(port) {
    return new Promise((resolve) => {
        const sock = net.connect({ host: '127.0.0.1', port });
        sock.once('connect', () => {
            sock.destroy();
            resolve(true);
        });
        sock.once('error', () => resolve(false));
    });
}

/*
 * A loopback TCP listener that accepts and never answers. Use it as an OAuth
 * AuthorizationEndpoint so a server that starts the token exchange stays in
 * AUTHORIZING while the test looks, and no traffic ever leaves the machine.
 */
export async function startBlackHole() {
    const sockets = new Set();
    const srv = net.createServer((s) => {
        s.unref();
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => sockets.delete(s));
    });
    await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
    srv.unref();
    const { port } = srv.address();
    return {
        port,
        url: (p = '/oauth') => `https://127.0.0.1:${port}${p}`,
        close: () => new Promise((resolve) => {
            for (const s of sockets)
                s.destroy();
            srv.close(() => resolve());
        }),
    };
}

/*
 * Starts `<bin> serve --listen 127.0.0.1:<port> --data-dir <dir> [--allow-http-endpoints]
 * [--log-level <level>] <extraArgs...>` and waits until the port accepts TCP.
 */
export async function startServer({
    allowHttp = true, dataDir, logLevel = 'warn', extraArgs = [], env = {},
} = {}) {
    if (!fs.existsSync(BIN))
        throw new Error(`evbridge binary not found at ${BIN} (build it with make, or set EVBRIDGE_BIN)`);
    const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'evbridge-e2e-'));
    const port = await freePort();
    const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dir];
    if (allowHttp)
        args.push('--allow-http-endpoints');
    if (logLevel)
        args.push('--log-level', logLevel);
    args.push(...extraArgs);

    const proc = spawn(BIN, args, {
        cwd: REPO_ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    proc.stdout.setEncoding('utf8').on('data', (c) => { out.stdout += c; });
    proc.stderr.setEncoding('utf8').on('data', (c) => { out.stderr += c; });
    const exited = new Promise((resolve) => {
        proc.once('exit', (code, signal) => resolve({ code, signal }));
        proc.once('error', (err) => resolve({ code: null, signal: null, err }));
    });
    let exitInfo = null;
    exited.then((e) => { exitInfo = e; });

    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
        if (exitInfo) {
            throw new Error(`evbridge exited during startup (code ${exitInfo.code}, signal ` +
                `${exitInfo.signal}${exitInfo.err ? `, ${exitInfo.err.message}` : ''})\n` +
                `args: ${args.join(' ')}\nstderr:\n${out.stderr}`);
        }
        if (await tryConnect(port))
            break;
        if (Date.now() > deadline) {
            proc.kill('SIGKILL');
            await exited;
            throw new Error(`evbridge did not accept connections on 127.0.0.1:${port} within ` +
                `${START_TIMEOUT_MS} ms\nargs: ${args.join(' ')}\nstderr:\n${out.stderr}`);
        }
        await sleep(25);
    }
    return new Server({ proc, port, dataDir: dir, args, out, exited, getExit: () => exitInfo });
}

export class Server {
    constructor({ proc, port, dataDir, args, out, exited, getExit }) {
        this.proc = proc;
        this.port = port;
        this.host = `127.0.0.1:${port}`;
        this.endpoint = `http://127.0.0.1:${port}`;
        this.dataDir = dataDir;
        this.args = args;
        this._out = out;
        this._exited = exited;
        this._getExit = getExit;
        this._clients = [];
        this._stopped = false;
    }

    get stderr() {
        return this._out.stderr;
    }

    get stdout() {
        return this._out.stdout;
    }

    _clientConfig(overrides) {
        return {
            endpoint: this.endpoint,
            region: REGION,
            /* a copy: the SDK writes bookkeeping into the credentials object */
            credentials: { ...CREDENTIALS },
            maxAttempts: 1,
            ...overrides,
        };
    }

    _track(c) {
        this._clients.push(c);
        return c;
    }

    eventbridge(overrides = {}) {
        return this._track(new EventBridgeClient(this._clientConfig(overrides)));
    }

    kms(overrides = {}) {
        return this._track(new KMSClient(this._clientConfig(overrides)));
    }

    sts(overrides = {}) {
        return this._track(new STSClient(this._clientConfig(overrides)));
    }

    secretsManager(overrides = {}) {
        return this._track(new SecretsManagerClient(this._clientConfig(overrides)));
    }

    /* SQS; requests always go to this server, whatever host a QueueUrl names. */
    sqs(overrides = {}) {
        return this._track(new SQSClient(this._clientConfig({ useQueueUrlAsEndpoint: false,
            ...overrides })));
    }

    /* A signed JSON 1.1 request with an arbitrary body (string or Buffer) and extra headers. */
    signed(opts = {}) {
        return signedRequest(this, opts);
    }

    /* An unsigned request: nothing is added but what is given (and Host / Content-Length). */
    unsigned(opts = {}) {
        return rawRequest(this, opts);
    }

    /* Signed `AWSEvents.<op>` call with a JSON object body; returns {status, headers, body, json}. */
    call(op, body = {}, opts = {}) {
        return signedRequest(this, {
            target: `${opts.targetPrefix ?? 'AWSEvents'}.${op}`,
            body: JSON.stringify(body),
            ...opts,
        });
    }

    /*
     * SIGTERM (or `signal`), wait for exit, assert exit code 0, then remove
     * the data directory unless keepDataDir.
     */
    async stop({ keepDataDir = false, signal = 'SIGTERM' } = {}) {
        if (this._stopped)
            return;
        this._stopped = true;
        for (const c of this._clients)
            c.destroy();
        this._clients = [];
        let e = this._getExit();
        if (!e) {
            this.proc.kill(signal);
            let timer;
            const timeout = new Promise((resolve) => {
                timer = setTimeout(() => resolve(null), STOP_TIMEOUT_MS);
            });
            e = await Promise.race([this._exited, timeout]);
            clearTimeout(timer);
            if (!e) {
                this.proc.kill('SIGKILL');
                await this._exited;
                throw new Error(`evbridge did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\n` +
                    `stderr:\n${this.stderr}`);
            }
        }
        try {
            assert.equal(e.signal, null, `evbridge killed by ${e.signal}\nstderr:\n${this.stderr}`);
            assert.equal(e.code, 0, `evbridge exit code ${e.code}\nstderr:\n${this.stderr}`);
        } finally {
            if (!keepDataDir)
                fs.rmSync(this.dataDir, { recursive: true, force: true });
        }
    }

    /*
     * kill -9: SIGKILL, wait for the exit, no exit-code assertion. The data
     * directory is kept (restart with startServer({ dataDir: srv.dataDir }))
     * unless removeDataDir. Later stop() calls do nothing.
     */
    async kill({ removeDataDir = false } = {}) {
        if (this._stopped)
            return this._getExit();
        this._stopped = true;
        for (const c of this._clients)
            c.destroy();
        this._clients = [];
        if (!this._getExit())
            this.proc.kill('SIGKILL');
        const e = await this._exited;
        if (removeDataDir)
            fs.rmSync(this.dataDir, { recursive: true, force: true });
        return e;
    }

    /* A signed GET of `p` with query parameters `params` ({name: value}); {status, headers, body, json}. */
    get(p, params = {}, opts = {}) {
        return signedGet(this, p, params, opts);
    }

    /*
     * The delivery history: signed GET /_evbridge/v1/deliveries with the
     * given filters ({rule, destination, failed, limit}); returns the
     * Deliveries array (newest first) and asserts HTTP 200.
     */
    async deliveries(filters = {}) {
        const params = {};
        for (const [k, v] of Object.entries(filters))
            if (v !== undefined && v !== null)
                params[k] = String(v);
        const r = await signedGet(this, '/_evbridge/v1/deliveries', params);
        assert.equal(r.status, 200, `GET /_evbridge/v1/deliveries: ${r.status} ${r.body}`);
        assert.ok(r.json && Array.isArray(r.json.Deliveries), `no Deliveries array: ${r.body}`);
        return r.json.Deliveries;
    }
}

/* ---------------------------------------------------------------- raw HTTP */

/*
 * Sends one HTTP request to the server with exactly the given headers.
 * Resolves {status, headers, body, json}; json is undefined when the body is
 * not JSON. Rejects on a transport error (e.g. the server closing the socket).
 */
export function rawRequest(server, { method = 'POST', path: p = '/', headers = {}, body = '' } = {}) {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    const h = { ...headers };
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-length') && method !== 'GET')
        h['content-length'] = String(buf.length);
    return new Promise((resolve, reject) => {
        const req = http.request({
            host: '127.0.0.1', port: server.port, method, path: p, headers: h, agent: false,
        }, (res) => {
            const chunks = [];
            res.on('data', (c) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                let json;
                try {
                    json = JSON.parse(text);
                } catch {
                    json = undefined;
                }
                resolve({ status: res.statusCode, headers: res.headers, body: text, json });
            });
        });
        req.on('error', reject);
        req.setTimeout(10000, () => req.destroy(new Error('raw request timed out')));
        if (method !== 'GET')
            req.end(buf);
        else
            req.end();
    });
}

function hmac(key, data) {
    return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256hex(data) {
    return crypto.createHash('sha256').update(data).digest('hex');
}

function amzDate(d) {
    return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/*
 * SigV4 header signing (README.md §1.5) with node:crypto. Returns the header
 * object to send: the given headers plus host, x-amz-date and authorization.
 * Every given header is signed.
 */
export function sigv4({
    method = 'POST', host, path: p = '/', query = '', headers = {}, body = '',
    service = 'events', region = REGION, credentials = CREDENTIALS, date = new Date(),
}) {
    const stamp = amzDate(date);
    const day = stamp.slice(0, 8);
    const all = {};
    for (const [k, v] of Object.entries(headers))
        all[k.toLowerCase()] = String(v);
    all.host = host;
    all['x-amz-date'] = stamp;
    const names = Object.keys(all).sort();
    const canonHeaders = names.map((n) => `${n}:${all[n].trim().replace(/\s+/g, ' ')}\n`).join('');
    const signedHeaders = names.join(';');
    const payloadHash = sha256hex(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'));
    const canonical = [method, p, query, canonHeaders, signedHeaders, payloadHash].join('\n');
    const scope = `${day}/${region}/${service}/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256hex(canonical)].join('\n');
    const kDate = hmac(`AWS4${credentials.secretAccessKey}`, day);
    const kSigning = hmac(hmac(hmac(kDate, region), service), 'aws4_request');
    const signature = crypto.createHmac('sha256', kSigning).update(toSign, 'utf8').digest('hex');
    return {
        ...all,
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
            `SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
}

/*
 * A signed request. `target` sets X-Amz-Target (omit it to send none);
 * `contentType` defaults to application/x-amz-json-1.1; `headers` are added
 * and signed; `unsignedHeaders` are added after signing.
 */
export function signedRequest(server, {
    target, body = '{}', headers = {}, unsignedHeaders = {}, service = 'events',
    contentType = 'application/x-amz-json-1.1', credentials = CREDENTIALS, date, region,
    method = 'POST', path: p = '/',
} = {}) {
    const h = { ...headers };
    if (contentType)
        h['content-type'] = contentType;
    if (target)
        h['x-amz-target'] = target;
    const signedHeaders = sigv4({
        method, host: server.host, path: p, headers: h, body, service, credentials, date, region,
    });
    return rawRequest(server, {
        method, path: p, headers: { ...signedHeaders, ...unsignedHeaders }, body,
    });
}

/* RFC 3986 percent-encoding (what SigV4 canonical query strings use). */
export function rfc3986(s) {
    return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/*
 * A SigV4-signed GET of path `p` with query parameters (an object or a list
 * of [name, value] pairs), sent as `p?<canonical query>`.
 */
export function signedGet(server, p, params = {}, {
    headers = {}, credentials = CREDENTIALS, date, region, service = 'events',
} = {}) {
    const pairs = (Array.isArray(params) ? params : Object.entries(params))
        .map(([k, v]) => [rfc3986(String(k)), rfc3986(String(v))])
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    const query = pairs.map(([k, v]) => `${k}=${v}`).join('&');
    const signedHeaders = sigv4({
        method: 'GET', host: server.host, path: p, query, headers, body: '', service, credentials, date,
        region,
    });
    return rawRequest(server, { method: 'GET', path: query ? `${p}?${query}` : p, headers: signedHeaders });
}

/* ----------------------------------------------------------------- asserts */

/*
 * Asserts that `promise` rejects with an SDK error of the given name, exact
 * message (or a RegExp it must match) and HTTP status.
 */
export async function expectError(promise, name, message, status = 400) {
    let err;
    try {
        await promise;
    } catch (e) {
        err = e;
    }
    assert.ok(err, `expected ${name} but the call succeeded`);
    const got = { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
    const want = { name, message, status };
    if (message instanceof RegExp) {
        assert.match(err.message, message, `message of ${err.name}`);
        got.message = want.message = '(matched)';
    }
    assert.deepEqual(got, want);
    return err;
}

/* The output members of an SDK response, sorted, without $metadata. */
export function members(resp) {
    return Object.keys(resp).filter((k) => k !== '$metadata').sort();
}

/* An SDK response without $metadata (for deepEqual against recorded output). */
export function body(resp) {
    const { $metadata, ...rest } = resp;
    return rest;
}

/* `d` is a Date within a few seconds of [since, now]. */
export function assertRecent(d, since, what = 'timestamp') {
    assert.ok(d instanceof Date, `${what} should be a Date, got ${typeof d} ${d}`);
    const t = d.getTime();
    assert.ok(!Number.isNaN(t), `${what} is an invalid Date`);
    const lo = since - 5000;
    const hi = Date.now() + 5000;
    assert.ok(t >= lo && t <= hi,
        `${what} ${d.toISOString()} not within [${new Date(lo).toISOString()}, ` +
        `${new Date(hi).toISOString()}]`);
}

/* None of `secrets` occurs anywhere in JSON.stringify(value). */
export function assertNoSecrets(value, secrets, what = 'response') {
    const s = typeof value === 'string' ? value : JSON.stringify(value);
    for (const secret of secrets)
        assert.ok(!s.includes(secret), `${what} leaks secret ${JSON.stringify(secret)}: ${s}`);
}

/*
 * Calls fn until it resolves without throwing or timeoutMs passes; the last
 * failure is rethrown. For the asynchronous steps of the state machine.
 */
export async function eventually(fn, timeoutMs = 3000, stepMs = 50) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            return await fn();
        } catch (e) {
            if (Date.now() > deadline)
                throw e;
        }
        await sleep(stepMs);
    }
}

/* Pages through a list operation; returns every page's response. */
export async function allPages(send, input, key) {
    const pages = [];
    let NextToken;
    for (let i = 0; i < 100; i++) {
        const r = await send({ ...input, ...(NextToken ? { NextToken } : {}) });
        pages.push(r);
        assert.ok(Array.isArray(r[key]), `${key} should be an array`);
        NextToken = r.NextToken;
        if (!NextToken)
            return pages;
    }
    throw new Error('pagination did not terminate');
}

/* True when `cmd args...` runs and exits 0 (for skipping CLI / boto3 tests). */
export function haveCommand(cmd, args = ['--version']) {
    try {
        const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20000 });
        return r.status === 0;
    } catch {
        return false;
    }
}
