/*
 * 45-connection-cmk.test.mjs - connection secrets under customer-managed KMS
 * keys: CreateConnection / UpdateConnection with KmsKeyIdentifier (key id,
 * key ARN, alias name, alias ARN), the key's tag, state and policy checks
 * (each failure creates nothing), key lifecycle effects (DEAUTHORIZED with a
 * StateReason, back to AUTHORIZED after UpdateConnection), changing and
 * clearing the key, the managed secret seen through Secrets Manager, a leak
 * search of the data dir and the log, and the AWS CLI.
 * Expected texts: spec/kms-secrets.md §2-§5 and issue 4 (evbridge decisions
 * where AWS's are unknown).
 *
 * Key policies here follow AWS's documented API-destinations policy, but the
 * administration statement deliberately does NOT grant the account kms:* nor
 * kms:Describe*: EventBridge's use of the key also presents the account root,
 * so any unconditioned grant of kms:DescribeKey / GenerateDataKey / Decrypt to
 * the root would make the negative cases pass through statement 1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import {
    CreateConnectionCommand,
    DeleteConnectionCommand,
    DescribeConnectionCommand,
    ListConnectionsCommand,
    UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import {
    CancelKeyDeletionCommand,
    CreateAliasCommand,
    CreateKeyCommand,
    DisableKeyCommand,
    EnableKeyCommand,
    PutKeyPolicyCommand,
    ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import {
    DeleteSecretCommand,
    DescribeSecretCommand,
    GetSecretValueCommand,
    ListSecretsCommand,
} from '@aws-sdk/client-secrets-manager';

import {
    ACCOUNT,
    ANY_UUID_RE,
    REGION,
    assertNoSecrets,
    connectionArnRe,
    eventually,
    expectError,
    haveCommand,
    members,
    secretArnRe,
    startBlackHole,
    startServer,
} from './lib/server.mjs';

const run = promisify(execFile);
const HAVE_AWS = haveCommand('aws', ['--version']);

let srv;
let hole;
let ebClient;
let kmsClient;
let sm;

/* Every sensitive value sent in this file; no EventBridge answer may contain one. */
const SECRETS = new Set();
function S(v) {
    SECRETS.add(v);
    return v;
}

const eb = {
    async send(cmd) {
        let r;
        try {
            r = await ebClient.send(cmd);
        } catch (e) {
            assertNoSecrets(e.message ?? '', SECRETS, `${cmd.constructor.name} error message`);
            throw e;
        }
        assertNoSecrets(r, SECRETS, cmd.constructor.name);
        return r;
    },
};

before(async () => {
    hole = await startBlackHole();
    srv = await startServer();
    ebClient = srv.eventbridge();
    kmsClient = srv.kms();
    sm = srv.secretsManager();
    await makeSharedKeys();
});

after(async () => {
    try {
        await srv?.stop();
    } finally {
        await hole?.close();
    }
});

const kms = (Cmd, input = {}) => kmsClient.send(new Cmd(input));
const create = (input) => eb.send(new CreateConnectionCommand(input));
const update = (input) => eb.send(new UpdateConnectionCommand(input));
const describeConn = (Name) => eb.send(new DescribeConnectionCommand({ Name }));
const listConns = (input = {}) => eb.send(new ListConnectionsCommand(input));
const del = (Name) => eb.send(new DeleteConnectionCommand({ Name }));
const getSecret = (SecretId) => sm.send(new GetSecretValueCommand({ SecretId }));
const describeSecret = (SecretId) => sm.send(new DescribeSecretCommand({ SecretId }));

const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const keyArn = (id) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;
const aliasArn = (name) => `arn:aws:kms:${REGION}:${ACCOUNT}:${name}`;

const DESCRIBE_MEMBERS = ['AuthParameters', 'AuthorizationType', 'ConnectionArn', 'ConnectionState',
    'CreationTime', 'KmsKeyIdentifier', 'LastAuthorizedTime', 'LastModifiedTime', 'Name', 'SecretArn'];

const EB_ACTIONS = ['kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Decrypt'];

/* Key administration for the account root, without any of the three EventBridge actions. */
const ADMIN = {
    Sid: 'Allow key administration',
    Effect: 'Allow',
    Principal: { AWS: ROOT },
    Action: ['kms:Create*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', 'kms:Revoke*',
        'kms:Disable*', 'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource',
        'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion'],
    Resource: '*',
};

/* AWS's documented statement for EventBridge API destinations (spec §3.2). */
function ebStatement({
    actions = EB_ACTIONS,
    viaService = 'secretsmanager.*.amazonaws.com',
    secretArn = 'arn:aws:secretsmanager:*:*:secret:events!connection/*',
    tagCondition = { 'aws:ResourceTag/EventBridgeApiDestinations': 'true' },
} = {}) {
    return {
        Sid: 'Allow EventBridge API destinations',
        Effect: 'Allow',
        Principal: { AWS: ROOT },
        Action: actions,
        Resource: '*',
        Condition: {
            StringLike: { 'kms:ViaService': viaService, 'kms:EncryptionContext:SecretARN': secretArn },
            StringEquals: tagCondition,
        },
    };
}

function cmkPolicy(opts = {}, { withEventBridge = true } = {}) {
    return JSON.stringify({
        Version: '2012-10-17',
        Statement: withEventBridge ? [ADMIN, ebStatement(opts)] : [ADMIN],
    });
}

/* A CMK tagged EventBridgeApiDestinations=<tag> (none when tag is null) with cmkPolicy(policyOpts). */
async function makeCmk({ tag = 'true', policyOpts = {}, policyDoc, description = 'cmk' } = {}) {
    const r = await kms(CreateKeyCommand, {
        Description: description,
        Policy: policyDoc ?? cmkPolicy(policyOpts),
        ...(tag === null ? {} : { Tags: [{ TagKey: 'EventBridgeApiDestinations', TagValue: tag }] }),
    });
    return r.KeyMetadata;
}

let aliasSeq = 0;
async function withAlias(m) {
    const name = `alias/cmk-${++aliasSeq}`;
    await kms(CreateAliasCommand, { AliasName: name, TargetKeyId: m.KeyId });
    return name;
}

function basicInput(Name, password, extra = {}) {
    return {
        Name,
        AuthorizationType: 'BASIC',
        AuthParameters: { BasicAuthParameters: { Username: 'cmk-user', Password: S(password) } },
        ...extra,
    };
}

async function secretCount() {
    let n = 0;
    let NextToken;
    for (let i = 0; i < 100; i++) {
        const r = await sm.send(new ListSecretsCommand({ MaxResults: 100, ...(NextToken ? { NextToken } : {}) }));
        n += r.SecretList.length;
        NextToken = r.NextToken;
        if (!NextToken)
            return n;
    }
    throw new Error('ListSecrets paging did not terminate');
}

/* The call fails with (name, message), and neither a connection nor a secret is left behind. */
async function expectNothingCreated(input, name, message) {
    const conns = (await listConns({ NamePrefix: input.Name })).Connections.length;
    const secrets = await secretCount();
    await expectError(create(input), name, message);
    assert.equal((await listConns({ NamePrefix: input.Name })).Connections.length, conns,
        `${input.Name}: a connection was left behind`);
    await expectError(describeConn(input.Name), 'ResourceNotFoundException',
        `Failed to describe the connection(s). Connection '${input.Name}' does not exist.`);
    assert.equal(await secretCount(), secrets, `${input.Name}: a secret was left behind`);
}

/* Keys shared by several tests. */
let good;
let goodAlias;
let other;
let otherAlias;

/* (run from the one root before() hook: node:test does not wait for one root hook before the next) */
async function makeSharedKeys() {
    good = await makeCmk({ description: 'good' });
    goodAlias = await withAlias(good);
    other = await makeCmk({ description: 'other' });
    otherAlias = await withAlias(other);
}

/* ---------------------------------------------------------------- success */

function authCases() {
    const inv = (tag) => ({
        HeaderParameters: [
            { Key: 'x-secret-header', Value: S(`hdr-${tag}-SENSITIVE`), IsValueSecret: true },
            { Key: 'x-plain-header', Value: 'plain', IsValueSecret: false },
        ],
        QueryStringParameters: [{ Key: 'q', Value: S(`qs-${tag}-SENSITIVE`), IsValueSecret: true }],
        BodyParameters: [{ Key: 'b', Value: S(`body-${tag}-SENSITIVE`), IsValueSecret: true }],
    });
    const invSecret = (tag) => ({
        header_parameters: [
            { key: 'x-secret-header', value: `hdr-${tag}-SENSITIVE`, is_value_secret: true },
            { key: 'x-plain-header', value: 'plain', is_value_secret: false },
        ],
        query_string_parameters: [{ key: 'q', value: `qs-${tag}-SENSITIVE`, is_value_secret: true }],
        body_parameters: [{ key: 'b', value: `body-${tag}-SENSITIVE`, is_value_secret: true }],
    });
    const invPublic = {
        HeaderParameters: [
            { Key: 'x-secret-header', IsValueSecret: true },
            { Key: 'x-plain-header', Value: 'plain', IsValueSecret: false },
        ],
        QueryStringParameters: [{ Key: 'q', IsValueSecret: true }],
        BodyParameters: [{ Key: 'b', IsValueSecret: true }],
    };
    return [
        {
            type: 'BASIC',
            auth: (t) => ({
                BasicAuthParameters: { Username: 'u', Password: S(`pw-${t}-SENSITIVE`) },
                InvocationHttpParameters: inv(t),
            }),
            described: () => ({ BasicAuthParameters: { Username: 'u' }, InvocationHttpParameters: invPublic }),
            secret: (t) => ({ username: 'u', password: `pw-${t}-SENSITIVE`, invocation_http_parameters: invSecret(t) }),
            state: 'AUTHORIZED',
        },
        {
            type: 'API_KEY',
            auth: (t) => ({
                ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: S(`key-${t}-SENSITIVE`) },
                InvocationHttpParameters: inv(t),
            }),
            described: () => ({ ApiKeyAuthParameters: { ApiKeyName: 'x-api-key' }, InvocationHttpParameters: invPublic }),
            secret: (t) => ({
                api_key_name: 'x-api-key', api_key_value: `key-${t}-SENSITIVE`, invocation_http_parameters: invSecret(t),
            }),
            state: 'AUTHORIZED',
        },
        {
            type: 'OAUTH_CLIENT_CREDENTIALS',
            auth: (t) => ({
                OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/token'),
                    HttpMethod: 'POST',
                    ClientParameters: { ClientID: 'cid', ClientSecret: S(`cs-${t}-SENSITIVE`) },
                },
                InvocationHttpParameters: inv(t),
            }),
            described: () => ({
                OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/token'), HttpMethod: 'POST', ClientParameters: { ClientID: 'cid' },
                },
                InvocationHttpParameters: invPublic,
            }),
            secret: (t) => ({
                client_id: 'cid', client_secret: `cs-${t}-SENSITIVE`, authorization_endpoint: hole.url('/token'),
                http_method: 'POST', invocation_http_parameters: invSecret(t),
            }),
            state: 'AUTHORIZING',
        },
    ];
}

describe('CreateConnection with a customer-managed key', () => {
    const forms = [
        ['key id', () => good.KeyId],
        ['key ARN', () => good.Arn],
        ['alias name', () => goodAlias],
        ['alias ARN', () => aliasArn(goodAlias)],
    ];
    for (const [form, ident] of forms) {
        for (const [i, c] of authCases().entries()) {
            test(`${c.type}, KmsKeyIdentifier as ${form}`, async () => {
                const name = `cmk-ok-${form.replace(' ', '-')}-${i}`;
                const KmsKeyIdentifier = ident();
                const r = await create({
                    Name: name, AuthorizationType: c.type, AuthParameters: c.auth(name), KmsKeyIdentifier,
                });
                assert.match(r.ConnectionArn, connectionArnRe(name));
                assert.equal(r.ConnectionState, c.state);

                const d = await describeConn(name);
                assert.deepEqual(members(d), DESCRIBE_MEMBERS);
                assert.equal(d.KmsKeyIdentifier, KmsKeyIdentifier);
                assert.equal(d.ConnectionState, c.state);
                assert.deepEqual(d.AuthParameters, c.described());
                assert.match(d.SecretArn, secretArnRe(name));

                const ds = await describeSecret(d.SecretArn);
                assert.equal(ds.ARN, d.SecretArn);
                assert.equal(ds.KmsKeyId, good.Arn);
                assert.equal(ds.OwningService, 'events');

                const s = await getSecret(d.SecretArn);
                assert.equal(s.ARN, d.SecretArn);
                assert.match(s.VersionId, ANY_UUID_RE);
                assert.deepEqual(s.VersionStages, ['AWSCURRENT']);
                assert.deepEqual(JSON.parse(s.SecretString), c.secret(name));
                /* by name too */
                assert.equal((await getSecret(s.Name)).SecretString, s.SecretString);
            });
        }
    }

    test('OAuth with OAuthHttpParameters and a CMK: the secret holds oauth_http_parameters', async () => {
        const name = 'cmk-ok-oauth-http';
        await create({
            Name: name,
            AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
            KmsKeyIdentifier: good.Arn,
            AuthParameters: {
                OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/oauth'), HttpMethod: 'GET',
                    ClientParameters: { ClientID: 'id2', ClientSecret: S('cs-oauth-http-SENSITIVE') },
                    OAuthHttpParameters: {
                        BodyParameters: [{ Key: 'scope', Value: S('scope-SENSITIVE'), IsValueSecret: true }],
                    },
                },
            },
        });
        const d = await describeConn(name);
        assert.equal(d.ConnectionState, 'AUTHORIZING');
        const s = await getSecret(d.SecretArn);
        assert.deepEqual(JSON.parse(s.SecretString), {
            client_id: 'id2', client_secret: 'cs-oauth-http-SENSITIVE', authorization_endpoint: hole.url('/oauth'),
            http_method: 'GET',
            oauth_http_parameters: { body_parameters: [{ key: 'scope', value: 'scope-SENSITIVE', is_value_secret: true }] },
        });
    });
});

/* --------------------------------------------------------------- failures */

describe('CreateConnection with an unusable key: the error, and nothing created', () => {
    const unknown = crypto.randomUUID();
    const notFound = [
        ['unknown key id', unknown],
        ['unknown key ARN', keyArn(unknown)],
        ['unknown alias name', 'alias/cmk-does-not-exist'],
        ['unknown alias ARN', aliasArn('alias/cmk-does-not-exist')],
        ['malformed key id', 'not-a-key-id'],
        ['key ARN in another region', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${unknown}`],
    ];
    for (const [i, [what, ident]] of notFound.entries()) {
        test(`${what} -> ResourceNotFoundException`, async () => {
            const name = `cmk-nf-${i}`;
            await expectNothingCreated(basicInput(name, `nf-${i}-SENSITIVE`, { KmsKeyIdentifier: ident }),
                'ResourceNotFoundException', `KMS key ${ident} not found`);
            /* the name is still free */
            const r = await create(basicInput(name, `nf-${i}-SENSITIVE`, { KmsKeyIdentifier: good.KeyId }));
            assert.equal(r.ConnectionState, 'AUTHORIZED');
        });
    }

    const denied = (arn, action) =>
        `Access denied to KMS key ${arn}: its key policy does not allow EventBridge ${action}.`;

    const cases = [
        ['tag missing', { tag: null }, (m) => `KMS key ${m.Arn} is not tagged EventBridgeApiDestinations=true.`],
        ['tag false', { tag: 'false' }, (m) => `KMS key ${m.Arn} is not tagged EventBridgeApiDestinations=true.`],
        ['tag TRUE (case matters)', { tag: 'TRUE' }, (m) => `KMS key ${m.Arn} is not tagged EventBridgeApiDestinations=true.`],
        ['policy lacks kms:DescribeKey', { policyOpts: { actions: ['kms:GenerateDataKey', 'kms:Decrypt'] } },
            (m) => denied(m.Arn, 'kms:DescribeKey')],
        ['policy lacks kms:GenerateDataKey', { policyOpts: { actions: ['kms:DescribeKey', 'kms:Decrypt'] } },
            (m) => denied(m.Arn, 'kms:GenerateDataKey')],
        ['policy lacks kms:Decrypt', { policyOpts: { actions: ['kms:DescribeKey', 'kms:GenerateDataKey'] } },
            (m) => denied(m.Arn, 'kms:Decrypt')],
        ['policy allows only kms:Decrypt', { policyOpts: { actions: ['kms:Decrypt'] } },
            (m) => denied(m.Arn, 'kms:DescribeKey')],
        ['wrong kms:ViaService', { policyOpts: { viaService: 'sqs.*.amazonaws.com' } },
            (m) => denied(m.Arn, 'kms:DescribeKey')],
        ['wrong kms:EncryptionContext:SecretARN',
            { policyOpts: { secretArn: 'arn:aws:secretsmanager:*:*:secret:other/*' } },
            (m) => denied(m.Arn, 'kms:DescribeKey')],
        ['wrong tag condition value', { policyOpts: { tagCondition: { 'aws:ResourceTag/EventBridgeApiDestinations': 'yes' } } },
            (m) => denied(m.Arn, 'kms:DescribeKey')],
        ['no EventBridge statement at all', { policyDoc: cmkPolicy({}, { withEventBridge: false }) },
            (m) => denied(m.Arn, 'kms:DescribeKey')],
        ['an explicit Deny of kms:Decrypt wins', {
            policyDoc: JSON.stringify({ Version: '2012-10-17', Statement: [ADMIN, ebStatement(), {
                Sid: 'deny', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*',
            }] }),
        }, (m) => denied(m.Arn, 'kms:Decrypt')],
    ];
    for (const [i, [what, opts, msg]] of cases.entries()) {
        test(`${what} -> AccessDeniedException`, async () => {
            const m = await makeCmk({ ...opts, description: what });
            const alias = await withAlias(m);
            const name = `cmk-deny-${i}`;
            for (const ident of [m.KeyId, alias])
                await expectNothingCreated(basicInput(name, `deny-${i}-SENSITIVE`, { KmsKeyIdentifier: ident }),
                    'AccessDeniedException', msg(m));
            /* an OAuth connection is refused the same way, before any token request */
            await expectNothingCreated({
                Name: `${name}-oauth`, AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS', KmsKeyIdentifier: m.Arn,
                AuthParameters: { OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/token'), HttpMethod: 'POST',
                    ClientParameters: { ClientID: 'c', ClientSecret: S(`deny-oauth-${i}-SENSITIVE`) } } },
            }, 'AccessDeniedException', msg(m));
            const r = await create(basicInput(name, `deny-${i}-SENSITIVE`, { KmsKeyIdentifier: good.Arn }));
            assert.equal(r.ConnectionState, 'AUTHORIZED');
        });
    }

    test('kms:ResourceTag spelling of the tag condition is accepted too', async () => {
        const m = await makeCmk({ policyOpts: { tagCondition: { 'kms:ResourceTag/EventBridgeApiDestinations': 'true' } } });
        const r = await create(basicInput('cmk-kms-resourcetag', 'kms-rt-SENSITIVE', { KmsKeyIdentifier: m.KeyId }));
        assert.equal(r.ConnectionState, 'AUTHORIZED');
    });

    test('principals: the service-linked role, events.amazonaws.com and a SourceArn condition are honoured',
        async () => {
            const slr = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/apidestinations.events.amazonaws.com/` +
                'AWSServiceRoleForAmazonEventBridgeApiDestinations';
            for (const [i, Principal] of [{ AWS: slr }, { Service: 'events.amazonaws.com' }, { AWS: '*' }].entries()) {
                const st = ebStatement();
                st.Principal = Principal;
                st.Condition.ArnLike = { 'aws:SourceArn': `arn:aws:events:${REGION}:${ACCOUNT}:connection/cmk-principal-*` };
                st.Condition.StringEquals['aws:SourceAccount'] = ACCOUNT;
                const m = await makeCmk({ policyDoc: JSON.stringify({ Version: '2012-10-17', Statement: [ADMIN, st] }) });
                const r = await create(basicInput(`cmk-principal-${i}`, `pr-${i}-SENSITIVE`, { KmsKeyIdentifier: m.KeyId }));
                assert.equal(r.ConnectionState, 'AUTHORIZED', JSON.stringify(Principal));
                /* the SourceArn condition does not match another connection name */
                await expectNothingCreated(basicInput(`cmk-elsewhere-${i}`, `pr-${i}-SENSITIVE`, { KmsKeyIdentifier: m.KeyId }),
                    'AccessDeniedException', denied(m.Arn, 'kms:DescribeKey'));
            }
        });

    test('disabled key -> AccessDeniedException', async () => {
        const m = await makeCmk({ description: 'disabled' });
        await kms(DisableKeyCommand, { KeyId: m.KeyId });
        await expectNothingCreated(basicInput('cmk-disabled', 'dis-SENSITIVE', { KmsKeyIdentifier: m.Arn }),
            'AccessDeniedException', `KMS key ${m.Arn} is disabled.`);
        await kms(EnableKeyCommand, { KeyId: m.KeyId });
        const r = await create(basicInput('cmk-disabled', 'dis-SENSITIVE', { KmsKeyIdentifier: m.Arn }));
        assert.equal(r.ConnectionState, 'AUTHORIZED');
    });

    test('key pending deletion -> AccessDeniedException', async () => {
        const m = await makeCmk({ description: 'pending' });
        const alias = await withAlias(m);
        await kms(ScheduleKeyDeletionCommand, { KeyId: m.KeyId, PendingWindowInDays: 7 });
        await expectNothingCreated(basicInput('cmk-pending', 'pend-SENSITIVE', { KmsKeyIdentifier: alias }),
            'AccessDeniedException', `KMS key ${m.Arn} is pending deletion.`);
    });
});

/* -------------------------------------------------------------- lifecycle */

describe('key lifecycle effects on a connection', () => {
    const PLAIN = (pw) => ({ username: 'cmk-user', password: pw });
    const CANT_DECRYPT = /^Secrets Manager can't decrypt the protected secret text using the provided KMS key/;

    /* A CMK connection, AUTHORIZED, with its first secret version. */
    async function setup(name, pw) {
        const m = await makeCmk({ description: name });
        await create(basicInput(name, pw, { KmsKeyIdentifier: m.KeyId }));
        const d = await describeConn(name);
        assert.equal(d.ConnectionState, 'AUTHORIZED');
        return { m, d, v0: (await getSecret(d.SecretArn)).VersionId };
    }

    async function expectDeauthorized(name, reason, keyId) {
        const d = await describeConn(name);
        assert.equal(d.ConnectionState, 'DEAUTHORIZED');
        assert.equal(d.StateReason, reason);
        assert.equal(d.KmsKeyIdentifier, keyId);
        const le = (await listConns({ NamePrefix: name })).Connections.find((c) => c.Name === name);
        assert.equal(le.ConnectionState, 'DEAUTHORIZED');
        assert.equal(le.StateReason, reason);
    }

    async function expectReauthorized(name, secretArn, prevVersion, pw, description) {
        const u = await update({ Name: name, Description: description });
        assert.equal(u.ConnectionState, 'AUTHORIZED');
        const d = await describeConn(name);
        assert.equal(d.ConnectionState, 'AUTHORIZED');
        assert.equal('StateReason' in d, false, `StateReason still set: ${d.StateReason}`);
        assert.equal(d.Description, description);
        const s = await getSecret(secretArn);
        assert.notEqual(s.VersionId, prevVersion, 'UpdateConnection should write a new secret version');
        assert.deepEqual(JSON.parse(s.SecretString), PLAIN(pw));
        return s.VersionId;
    }

    test('DisableKey: UpdateConnection refused, DEAUTHORIZED, user read DecryptionFailure; EnableKey + ' +
        'UpdateConnection -> AUTHORIZED, new VersionId', async () => {
        const name = 'cmk-life-disable';
        const { m, d, v0 } = await setup(name, 'life-dis-SENSITIVE');
        await kms(DisableKeyCommand, { KeyId: m.KeyId });
        const disabled = `KMS key ${m.Arn} is disabled.`;
        await expectError(update({ Name: name, Description: 'after disable' }), 'AccessDeniedException', disabled);
        await expectDeauthorized(name, disabled, m.KeyId);
        const df = await expectError(getSecret(d.SecretArn), 'DecryptionFailure', CANT_DECRYPT);
        assertNoSecrets(df.message, ['life-dis-SENSITIVE']);
        /* still refused while disabled, still DEAUTHORIZED */
        await expectError(update({ Name: name, Description: 'again' }), 'AccessDeniedException', disabled);
        await expectDeauthorized(name, disabled, m.KeyId);

        await kms(EnableKeyCommand, { KeyId: m.KeyId });
        await expectReauthorized(name, d.SecretArn, v0, 'life-dis-SENSITIVE', 'after enable');
    });

    test('policy withdrawn (statement 2 removed): UpdateConnection refused naming kms:DescribeKey, DEAUTHORIZED, ' +
        'user read AccessDeniedException; policy back -> AUTHORIZED', async () => {
        const name = 'cmk-life-policy';
        const { m, d, v0 } = await setup(name, 'life-pol-SENSITIVE');
        await kms(PutKeyPolicyCommand, { KeyId: m.KeyId, PolicyName: 'default',
            Policy: cmkPolicy({}, { withEventBridge: false }) });
        const noPolicy = `Access denied to KMS key ${m.Arn}: its key policy does not allow EventBridge kms:DescribeKey.`;
        const err = await expectError(update({ Name: name, Description: 'after policy' }), 'AccessDeniedException',
            /^Access denied to KMS key /);
        const d1 = await describeConn(name);
        assert.equal(d1.ConnectionState, 'DEAUTHORIZED');
        assert.equal(d1.StateReason, err.message, 'StateReason should be the error message');
        await expectError(getSecret(d.SecretArn), 'AccessDeniedException', 'Access to KMS is not allowed');

        await kms(PutKeyPolicyCommand, { KeyId: m.KeyId, PolicyName: 'default', Policy: cmkPolicy() });
        await expectReauthorized(name, d.SecretArn, v0, 'life-pol-SENSITIVE', 'policy back');
        /* checked last so the steps above run either way: the first missing action in the order
           DescribeKey, GenerateDataKey, Decrypt is named, as on CreateConnection */
        assert.equal(err.message, noPolicy);
    });

    /*
     * The stored secret still opens here (kms:Decrypt is allowed), only the
     * new version cannot be sealed; whether the connection must become
     * DEAUTHORIZED is not specified, so its state is not asserted.
     */
    test('policy loses only kms:GenerateDataKey: the next UpdateConnection is refused naming it', async () => {
        const name = 'cmk-life-gdk';
        const { m, d, v0 } = await setup(name, 'life-gdk-SENSITIVE');
        await kms(PutKeyPolicyCommand, { KeyId: m.KeyId, PolicyName: 'default',
            Policy: cmkPolicy({ actions: ['kms:DescribeKey', 'kms:Decrypt'] }) });
        const msg = `Access denied to KMS key ${m.Arn}: its key policy does not allow EventBridge kms:GenerateDataKey.`;
        await expectError(update({ Name: name, Description: 'no gdk' }), 'AccessDeniedException', msg);
        assert.equal((await getSecret(d.SecretArn)).VersionId, v0, 'a refused update wrote a secret version');
        /* the user may still read (statement 2 keeps kms:Decrypt via Secrets Manager) */
        assert.deepEqual(JSON.parse((await getSecret(d.SecretArn)).SecretString), PLAIN('life-gdk-SENSITIVE'));
        await kms(PutKeyPolicyCommand, { KeyId: m.KeyId, PolicyName: 'default', Policy: cmkPolicy() });
        await expectReauthorized(name, d.SecretArn, v0, 'life-gdk-SENSITIVE', 'gdk back');
    });

    test('ScheduleKeyDeletion: UpdateConnection refused, DEAUTHORIZED; Cancel leaves it disabled; Enable -> ' +
        'AUTHORIZED', async () => {
        const name = 'cmk-life-pending';
        const { m, d, v0 } = await setup(name, 'life-pend-SENSITIVE');
        await kms(ScheduleKeyDeletionCommand, { KeyId: m.KeyId, PendingWindowInDays: 7 });
        const pending = `KMS key ${m.Arn} is pending deletion.`;
        await expectError(update({ Name: name, Description: 'after schedule' }), 'AccessDeniedException', pending);
        await expectDeauthorized(name, pending, m.KeyId);
        await expectError(getSecret(d.SecretArn), 'DecryptionFailure', CANT_DECRYPT);

        await kms(CancelKeyDeletionCommand, { KeyId: m.KeyId });
        const disabled = `KMS key ${m.Arn} is disabled.`;
        await expectError(update({ Name: name, Description: 'still disabled' }), 'AccessDeniedException', disabled);
        await expectDeauthorized(name, disabled, m.KeyId);
        await kms(EnableKeyCommand, { KeyId: m.KeyId });
        await expectReauthorized(name, d.SecretArn, v0, 'life-pend-SENSITIVE', 'back');
    });

    test('user GetSecretValue needs kms:Decrypt for the root via Secrets Manager', async () => {
        const m = await makeCmk({ description: 'user-read' });
        const name = 'cmk-user-read';
        await create(basicInput(name, 'user-read-SENSITIVE', { KmsKeyIdentifier: m.Arn }));
        const { SecretArn } = await describeConn(name);
        assert.deepEqual(JSON.parse((await getSecret(SecretArn)).SecretString),
            { username: 'cmk-user', password: 'user-read-SENSITIVE' });
        /* EventBridge's statement without kms:Decrypt: the user can no longer read */
        await kms(PutKeyPolicyCommand, { KeyId: m.KeyId, PolicyName: 'default',
            Policy: cmkPolicy({ actions: ['kms:DescribeKey', 'kms:GenerateDataKey'] }) });
        await expectError(getSecret(SecretArn), 'AccessDeniedException', 'Access to KMS is not allowed');
        /* DescribeSecret does not need the key */
        assert.equal((await describeSecret(SecretArn)).KmsKeyId, m.Arn);
    });
});

/* ------------------------------------------------------------- key change */

describe('changing the key', () => {
    test('UpdateConnection to another CMK, then "" back to the built-in key', async () => {
        const name = 'cmk-change';
        await create(basicInput(name, 'change-SENSITIVE', { KmsKeyIdentifier: good.KeyId }));
        const d0 = await describeConn(name);
        const s0 = await getSecret(d0.SecretArn);
        assert.equal((await describeSecret(d0.SecretArn)).KmsKeyId, good.Arn);

        /* an unusable new key is refused and changes nothing */
        const untagged = await makeCmk({ tag: null, description: 'untagged' });
        await expectError(update({ Name: name, KmsKeyIdentifier: untagged.Arn }), 'AccessDeniedException',
            `KMS key ${untagged.Arn} is not tagged EventBridgeApiDestinations=true.`);
        assert.equal((await describeSecret(d0.SecretArn)).KmsKeyId, good.Arn);
        assert.equal((await describeConn(name)).KmsKeyIdentifier, good.KeyId);
        await expectError(update({ Name: name, KmsKeyIdentifier: 'alias/cmk-nowhere' }), 'ResourceNotFoundException',
            'KMS key alias/cmk-nowhere not found');
        assert.equal((await getSecret(d0.SecretArn)).VersionId, s0.VersionId);

        const u = await update({ Name: name, KmsKeyIdentifier: otherAlias });
        assert.equal(u.ConnectionState, 'AUTHORIZED');
        const d1 = await describeConn(name);
        assert.equal(d1.KmsKeyIdentifier, otherAlias);
        assert.equal(d1.SecretArn, d0.SecretArn);
        assert.equal((await describeSecret(d0.SecretArn)).KmsKeyId, other.Arn);
        const s1 = await getSecret(d0.SecretArn);
        assert.equal(s1.SecretString, s0.SecretString);
        assert.notEqual(s1.VersionId, s0.VersionId);
        /* the old key no longer matters */
        await kms(DisableKeyCommand, { KeyId: good.KeyId });
        try {
            assert.equal((await getSecret(d0.SecretArn)).SecretString, s0.SecretString);
            assert.equal((await update({ Name: name, Description: 'old key disabled' })).ConnectionState, 'AUTHORIZED');
        } finally {
            await kms(EnableKeyCommand, { KeyId: good.KeyId });
        }

        const u2 = await update({ Name: name, KmsKeyIdentifier: '' });
        assert.equal(u2.ConnectionState, 'AUTHORIZED');
        const d2 = await describeConn(name);
        assert.equal('KmsKeyIdentifier' in d2, false, `KmsKeyIdentifier still ${d2.KmsKeyIdentifier}`);
        const ds2 = await describeSecret(d0.SecretArn);
        assert.equal('KmsKeyId' in ds2, false, `KmsKeyId still ${ds2.KmsKeyId}`);
        assert.equal(ds2.OwningService, 'events');
        const s2 = await getSecret(d0.SecretArn);
        assert.equal(s2.SecretString, s0.SecretString);
        assert.notEqual(s2.VersionId, s1.VersionId);
    });

    test('a connection without a key gets one by UpdateConnection', async () => {
        const name = 'cmk-add-later';
        await create(basicInput(name, 'add-later-SENSITIVE'));
        const d0 = await describeConn(name);
        assert.equal('KmsKeyIdentifier' in d0, false);
        assert.equal('KmsKeyId' in (await describeSecret(d0.SecretArn)), false);
        await update({ Name: name, KmsKeyIdentifier: aliasArn(goodAlias) });
        assert.equal((await describeConn(name)).KmsKeyIdentifier, aliasArn(goodAlias));
        assert.equal((await describeSecret(d0.SecretArn)).KmsKeyId, good.Arn);
        assert.deepEqual(JSON.parse((await getSecret(d0.SecretArn)).SecretString),
            { username: 'cmk-user', password: 'add-later-SENSITIVE' });
    });

    test('UpdateConnection with new AuthParameters re-encrypts under the CMK', async () => {
        const name = 'cmk-new-auth';
        await create(basicInput(name, 'old-pw-SENSITIVE', { KmsKeyIdentifier: good.Arn }));
        const d0 = await describeConn(name);
        const v0 = (await getSecret(d0.SecretArn)).VersionId;
        await update({ Name: name, AuthorizationType: 'BASIC',
            AuthParameters: { BasicAuthParameters: { Username: 'new-user', Password: S('new-pw-SENSITIVE') } } });
        const s = await getSecret(d0.SecretArn);
        assert.notEqual(s.VersionId, v0);
        assert.deepEqual(JSON.parse(s.SecretString), { username: 'new-user', password: 'new-pw-SENSITIVE' });
        assert.equal((await describeSecret(d0.SecretArn)).KmsKeyId, good.Arn);
        assert.equal((await describeConn(name)).KmsKeyIdentifier, good.Arn);
    });
});

/* ---------------------------------------------------------- delete, secret */

describe('the managed secret', () => {
    test('DeleteConnection deletes the secret; DeleteSecret on a managed secret is refused', async () => {
        const name = 'cmk-delete';
        await create(basicInput(name, 'delete-SENSITIVE', { KmsKeyIdentifier: good.KeyId }));
        const { SecretArn } = await describeConn(name);
        const ds = await describeSecret(SecretArn);
        const err = await expectError(sm.send(new DeleteSecretCommand({ SecretId: SecretArn })),
            'InvalidRequestException', /^You can't delete secret events!connection\//);
        assert.ok(err.message.startsWith(`You can't delete secret ${ds.Name}`), err.message);
        await expectError(sm.send(new DeleteSecretCommand({ SecretId: SecretArn, ForceDeleteWithoutRecovery: true })),
            'InvalidRequestException', /^You can't delete secret events!connection\//);
        assert.deepEqual(JSON.parse((await getSecret(SecretArn)).SecretString),
            { username: 'cmk-user', password: 'delete-SENSITIVE' });

        await del(name);
        await eventually(() => expectError(describeSecret(SecretArn), 'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret."));
        await expectError(getSecret(SecretArn), 'ResourceNotFoundException',
            "Secrets Manager can't find the specified secret.");
    });
});

/* -------------------------------------------------------------- leak test */

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

/* The needles for one secret string: its UTF-8 bytes and its base64 forms. */
function needles(s) {
    const b64 = Buffer.from(s, 'utf8').toString('base64');
    return [Buffer.from(s, 'utf8'), Buffer.from(b64), Buffer.from(b64.replace(/=+$/, ''))];
}

function assertNoLeak(bytes, secrets, where) {
    for (const s of secrets)
        for (const n of needles(s))
            assert.equal(bytes.includes(n), false, `${where} holds ${JSON.stringify(s)} (as ${n.toString()})`);
}

test('leak test: no secret string in any data-dir file or the server log', async () => {
    const leaks = [];
    const L = (tag) => {
        const v = `LEAK-${tag}-${crypto.randomBytes(6).toString('hex')}`;
        leaks.push(v);
        return v;
    };
    const inv = (t) => ({
        HeaderParameters: [{ Key: 'x-h', Value: L(`${t}-hdr`), IsValueSecret: true }],
        QueryStringParameters: [{ Key: 'q', Value: L(`${t}-qs`), IsValueSecret: true }],
        BodyParameters: [{ Key: 'b', Value: L(`${t}-body`), IsValueSecret: true }],
    });
    const authFor = (type, t) => {
        if (type === 'BASIC')
            return { BasicAuthParameters: { Username: 'leak-user', Password: L(`${t}-pw`) }, InvocationHttpParameters: inv(t) };
        if (type === 'API_KEY')
            return { ApiKeyAuthParameters: { ApiKeyName: 'x-k', ApiKeyValue: L(`${t}-key`) }, InvocationHttpParameters: inv(t) };
        return {
            OAuthParameters: {
                AuthorizationEndpoint: hole.url('/leak'), HttpMethod: 'POST',
                ClientParameters: { ClientID: 'leak-client', ClientSecret: L(`${t}-cs`) },
                OAuthHttpParameters: { HeaderParameters: [{ Key: 'x-o', Value: L(`${t}-ohdr`), IsValueSecret: true }] },
            },
            InvocationHttpParameters: inv(t),
        };
    };

    const a = await startServer({ logLevel: 'debug' });
    const dir = a.dataDir;
    try {
        const ebA = a.eventbridge();
        const kmsA = a.kms();
        const smA = a.secretsManager();
        const cmk = (await kmsA.send(new CreateKeyCommand({
            Policy: cmkPolicy(), Tags: [{ TagKey: 'EventBridgeApiDestinations', TagValue: 'true' }],
        }))).KeyMetadata;
        const read = [];
        let n = 0;
        for (const type of ['BASIC', 'API_KEY', 'OAUTH_CLIENT_CREDENTIALS']) {
            for (const key of [undefined, cmk.KeyId]) {
                const Name = `leak-${n++}`;
                await ebA.send(new CreateConnectionCommand({
                    Name, AuthorizationType: type, AuthParameters: authFor(type, `${Name}-c`),
                    ...(key ? { KmsKeyIdentifier: key } : {}),
                }));
                await ebA.send(new UpdateConnectionCommand({
                    Name, AuthorizationType: type, AuthParameters: authFor(type, `${Name}-u`),
                }));
                const { SecretArn } = await ebA.send(new DescribeConnectionCommand({ Name }));
                const s = await smA.send(new GetSecretValueCommand({ SecretId: SecretArn }));
                read.push(s.SecretString);
                /* a failing use must not leak either */
                if (key) {
                    await kmsA.send(new DisableKeyCommand({ KeyId: key }));
                    await expectError(ebA.send(new UpdateConnectionCommand({ Name, Description: 'x' })),
                        'AccessDeniedException', `KMS key ${cmk.Arn} is disabled.`);
                    await expectError(smA.send(new GetSecretValueCommand({ SecretId: SecretArn })),
                        'DecryptionFailure', /^Secrets Manager can't decrypt/);
                    await kmsA.send(new EnableKeyCommand({ KeyId: key }));
                    await ebA.send(new UpdateConnectionCommand({ Name, Description: 'y' }));
                }
            }
        }
        /* the reads returned the updated values, so the test strings really were stored */
        const all = read.join('\n');
        for (const v of leaks.filter((x) => x.includes('-u-')))
            assert.ok(all.includes(v), `GetSecretValue did not return ${v}`);

        const running = filesUnder(dir);
        assert.ok(running.some((f) => path.basename(f) === 'evbridge.db-wal'), `no WAL while running: ${running}`);
        for (const f of running)
            assertNoLeak(fs.readFileSync(f), leaks, `${path.basename(f)} (running)`);
        await a.stop({ keepDataDir: true });
        const files = filesUnder(dir).map((f) => path.basename(f));
        for (const want of ['evbridge.db', 'master.key'])
            assert.ok(files.includes(want), `no ${want} in ${dir}: ${files}`);
        for (const f of filesUnder(dir))
            assertNoLeak(fs.readFileSync(f), leaks, path.basename(f));
        assert.ok(a.stdout.length + a.stderr.length > 0, 'debug logging produced no output at all');
        assertNoLeak(Buffer.from(a.stdout + a.stderr, 'utf8'), leaks, 'server log');
    } finally {
        await a.stop().catch(() => {});
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

/* ------------------------------------------------------------------- CLI */

test('aws kms create-key / tag-resource, then aws events create-connection --kms-key-identifier',
    { skip: HAVE_AWS ? false : 'aws CLI not installed' }, async () => {
        const cfgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'evbridge-e2e-cli-'));
        const cfg = path.join(cfgDir, 'config');
        fs.writeFileSync(cfg, '[default]\ncli_follow_urlparam = false\nregion = us-east-1\n');
        const env = {
            ...process.env,
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
            AWS_DEFAULT_REGION: 'us-east-1',
            AWS_CONFIG_FILE: cfg,
            AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/evbridge-e2e-credentials',
            AWS_MAX_ATTEMPTS: '1',
            AWS_RETRY_MODE: 'standard',
            AWS_EC2_METADATA_DISABLED: 'true',
            AWS_PAGER: '',
            NO_PROXY: '127.0.0.1,localhost',
            no_proxy: '127.0.0.1,localhost',
        };
        const aws = async (...args) => {
            const { stdout } = await run('aws', [...args, '--endpoint-url', srv.endpoint, '--output', 'json'],
                { env, timeout: 30000 });
            return stdout.trim() ? JSON.parse(stdout) : {};
        };
        try {
            const k = await aws('kms', 'create-key', '--description', 'cli key');
            assert.match(k.KeyMetadata.KeyId, /^[0-9a-f-]{36}$/);
            assert.equal(k.KeyMetadata.Arn, keyArn(k.KeyMetadata.KeyId));
            assert.equal(k.KeyMetadata.KeyState, 'Enabled');
            await aws('kms', 'tag-resource', '--key-id', k.KeyMetadata.KeyId,
                '--tags', 'TagKey=EventBridgeApiDestinations,TagValue=true');
            const c = await aws('events', 'create-connection', '--name', 'cli-cmk',
                '--authorization-type', 'API_KEY', '--kms-key-identifier', k.KeyMetadata.Arn,
                '--auth-parameters', JSON.stringify({ ApiKeyAuthParameters: { ApiKeyName: 'x-key', ApiKeyValue: S('cli-SENSITIVE') } }));
            assert.equal(c.ConnectionState, 'AUTHORIZED');
            assert.match(c.ConnectionArn, connectionArnRe('cli-cmk'));
            const d = await eb.send(new DescribeConnectionCommand({ Name: 'cli-cmk' }));
            assert.equal(d.ConnectionState, 'AUTHORIZED');
            assert.equal(d.KmsKeyIdentifier, k.KeyMetadata.Arn);
            assert.equal((await describeSecret(d.SecretArn)).KmsKeyId, k.KeyMetadata.Arn);
            assert.deepEqual(JSON.parse((await getSecret(d.SecretArn)).SecretString),
                { api_key_name: 'x-key', api_key_value: 'cli-SENSITIVE' });
        } finally {
            fs.rmSync(cfgDir, { recursive: true, force: true });
        }
    });
