/*
 * 30-cli-boto3.test.mjs - the AWS CLI and boto3 (botocore's own parsers and
 * signer) against evbridge. Each test is skipped when its tool is missing.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import {
    ANY_UUID_RE,
    apiDestinationArnRe,
    connectionArnRe,
    haveCommand,
    REPO_ROOT,
    secretArnRe,
    startServer,
} from './lib/server.mjs';

const run = promisify(execFile);

const HAVE_AWS = haveCommand('aws', ['--version']);
const HAVE_BOTO3 = haveCommand('python3', ['-c', 'import boto3']);

let srv;
let cliConfig;

before(async () => {
    writeCliConfig();
    srv = await startServer();
});

after(async () => {
    if (cliConfig)
        fs.rmSync(path.dirname(cliConfig), { recursive: true, force: true });
    await srv?.stop();
});

/*
 * AWS CLI v1 fetches any parameter value that starts with http:// or https://
 * (its "paramfile" feature), which would send traffic off the machine. The
 * config below turns that off, and URLs are passed inside --cli-input-json
 * as well, where the CLI never follows them.
 */
function writeCliConfig() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evbridge-e2e-cli-'));
    cliConfig = path.join(dir, 'config');
    fs.writeFileSync(cliConfig, '[default]\ncli_follow_urlparam = false\nregion = us-east-1\n');
}

/* Credentials and region from the environment only; no user config, no retries. */
function awsEnv() {
    return {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CONFIG_FILE: cliConfig,
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/evbridge-e2e-credentials',
        AWS_MAX_ATTEMPTS: '1',
        AWS_RETRY_MODE: 'standard',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_PAGER: '',
        NO_PROXY: '127.0.0.1,localhost',
        no_proxy: '127.0.0.1,localhost',
    };
}

async function aws(...args) {
    const { stdout } = await run('aws', [...args, '--endpoint-url', srv.endpoint, '--output', 'json'],
        { env: awsEnv(), timeout: 30000 });
    return JSON.parse(stdout);
}

async function awsFails(...args) {
    try {
        await run('aws', [...args, '--endpoint-url', srv.endpoint, '--output', 'json'],
            { env: awsEnv(), timeout: 30000 });
    } catch (e) {
        return { code: e.code, stderr: e.stderr };
    }
    assert.fail(`aws ${args.join(' ')} succeeded`);
}

/* CLI v1 prints the wire value (epoch seconds); v2 and boto3 here print ISO 8601. */
function recent(v, what) {
    const t = typeof v === 'number' ? v * 1000 : Date.parse(v);
    assert.ok(!Number.isNaN(t), `${what}: ${v} is not a timestamp`);
    assert.ok(Math.abs(Date.now() - t) < 120000, `${what}: ${v} is not close to now`);
}

test('aws events create-connection / describe-connection / create-api-destination / list-api-destinations',
    { skip: HAVE_AWS ? false : 'aws CLI not installed' }, async () => {
        const c = await aws('events', 'create-connection', '--name', 'cli-basic',
            '--authorization-type', 'BASIC', '--auth-parameters',
            JSON.stringify({ BasicAuthParameters: { Username: 'cli-user', Password: 'cli-pw-SENSITIVE' } }));
        assert.deepEqual(Object.keys(c).sort(),
            ['ConnectionArn', 'ConnectionState', 'CreationTime', 'LastModifiedTime']);
        assert.match(c.ConnectionArn, connectionArnRe('cli-basic'));
        assert.equal(c.ConnectionState, 'AUTHORIZED');
        recent(c.CreationTime, 'CreationTime');

        const d = await aws('events', 'describe-connection', '--name', 'cli-basic');
        assert.equal(d.ConnectionArn, c.ConnectionArn);
        assert.equal(d.Name, 'cli-basic');
        assert.equal(d.AuthorizationType, 'BASIC');
        assert.equal(d.ConnectionState, 'AUTHORIZED');
        assert.deepEqual(d.AuthParameters, { BasicAuthParameters: { Username: 'cli-user' } });
        assert.match(d.SecretArn, secretArnRe('cli-basic'));
        recent(d.LastAuthorizedTime, 'LastAuthorizedTime');
        assert.equal(JSON.stringify(d).includes('cli-pw-SENSITIVE'), false);

        const a = await aws('events', 'create-api-destination', '--cli-input-json', JSON.stringify({
            Name: 'cli-dest',
            ConnectionArn: c.ConnectionArn,
            InvocationEndpoint: 'https://example.com/api',
            HttpMethod: 'POST',
        }));
        assert.match(a.ApiDestinationArn, apiDestinationArnRe('cli-dest'));
        assert.equal(a.ApiDestinationState, 'ACTIVE');

        const l = await aws('events', 'list-api-destinations', '--name-prefix', 'cli-');
        assert.equal(l.ApiDestinations.length, 1);
        const e = l.ApiDestinations[0];
        assert.equal(e.Name, 'cli-dest');
        assert.equal(e.ApiDestinationArn, a.ApiDestinationArn);
        assert.equal(e.ConnectionArn, c.ConnectionArn);
        assert.equal(e.InvocationEndpoint, 'https://example.com/api');
        assert.equal(e.HttpMethod, 'POST');
        assert.equal(e.InvocationRateLimitPerSecond, 300);
        assert.equal(e.ApiDestinationState, 'ACTIVE');
    });

test('aws events: a service error is printed with its code and message',
    { skip: HAVE_AWS ? false : 'aws CLI not installed' }, async () => {
        const r = await awsFails('events', 'describe-connection', '--name', 'cli-missing');
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /An error occurred \(ResourceNotFoundException\) when calling the DescribeConnection operation(?: \(reached max retries: \d+\))?: Failed to describe the connection\(s\)\. Connection 'cli-missing' does not exist\./);
    });

test('boto3: create / describe / delete and ValidationException',
    { skip: HAVE_BOTO3 ? false : 'boto3 not installed' }, async () => {
        const script = path.join(REPO_ROOT, 'tests/e2e/py/boto3_connections.py');
        const { stdout } = await run('python3', [script, srv.endpoint], {
            env: { ...awsEnv(), PYTHONDONTWRITEBYTECODE: '1' }, timeout: 30000,
        });
        const out = JSON.parse(stdout);
        assert.equal(JSON.stringify(out).includes('boto-pw-SENSITIVE'), false);

        assert.equal(out.create._status, 200);
        assert.match(out.create._request_id ?? '', ANY_UUID_RE);
        assert.match(out.create.ConnectionArn, connectionArnRe('boto3-basic'));
        assert.equal(out.create.ConnectionState, 'AUTHORIZED');
        assert.deepEqual(Object.keys(out.create).filter((k) => !k.startsWith('_')).sort(),
            ['ConnectionArn', 'ConnectionState', 'CreationTime', 'LastModifiedTime']);

        assert.deepEqual(out.describe.AuthParameters,
            { BasicAuthParameters: { Username: 'boto-user' }, InvocationHttpParameters: {} });
        assert.equal(out.describe.ConnectionArn, out.create.ConnectionArn);
        assert.match(out.describe.SecretArn, secretArnRe('boto3-basic'));
        recent(out.describe.LastAuthorizedTime, 'LastAuthorizedTime');

        assert.deepEqual(out.list.Connections.map((e) => e.Name), ['boto3-basic']);

        assert.deepEqual(out.invalid_name, {
            Code: 'ValidationException',
            Message: "1 validation error detected: Value 'Invalid Name With Spaces!' at 'name' failed " +
                'to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+',
            HTTPStatusCode: 400,
        });
        assert.deepEqual(out.invalid_type, {
            Code: 'ValidationException',
            Message: "1 validation error detected: Value 'INVALID_AUTH_TYPE' at 'authorizationType' " +
                'failed to satisfy constraint: Member must satisfy enum value set: ' +
                '[BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]',
            HTTPStatusCode: 400,
        });

        assert.equal(out.delete.ConnectionState, 'DELETING');
        assert.deepEqual(out.describe_deleted, {
            Code: 'ResourceNotFoundException',
            Message: "Failed to describe the connection(s). Connection 'boto3-basic' does not exist.",
            HTTPStatusCode: 400,
        });
    });
