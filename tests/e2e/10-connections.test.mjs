/*
 * 10-connections.test.mjs - Create/Describe/Update/Delete/List/DeauthorizeConnection
 * against the real binary. Recorded cases come from
 * shared/conformance/localstack/test_api_destinations_and_connection.snapshot.json
 * (and test_events.snapshot.json for the 3-error message); the other expected
 * values are spec/connections.md, spec/validation.md and evbridge decisions.
 *
 * OAuth AuthorizationEndpoints point at a local black hole (accepts, never
 * answers) instead of the recorded https://example.com/oauth, so nothing
 * leaves the machine and the connection stays AUTHORIZING while we look.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
    CreateConnectionCommand,
    DeauthorizeConnectionCommand,
    DeleteConnectionCommand,
    DescribeConnectionCommand,
    ListConnectionsCommand,
    UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';

import {
    ANY_UUID_RE,
    allPages,
    assertNoSecrets,
    assertRecent,
    body,
    connectionArnRe,
    eventually,
    expectError,
    members,
    secretArnRe,
    secretNameRe,
    startBlackHole,
    startServer,
} from './lib/server.mjs';

let srv;
let hole;
let ebClient;
let sm;

/* Every sensitive value sent in this file; no EventBridge answer may contain one. */
const SECRETS = new Set(['new_pass', 'client_secret', 'apikey_secret']);
function S(v) {
    SECRETS.add(v);
    return v;
}

/* eb.send() that checks every answer, success or error, for leaked secrets. */
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

const create = (input) => eb.send(new CreateConnectionCommand(input));
const describeConn = (Name) => eb.send(new DescribeConnectionCommand({ Name }));
const update = (input) => eb.send(new UpdateConnectionCommand(input));
const del = (Name) => eb.send(new DeleteConnectionCommand({ Name }));
const deauth = (Name) => eb.send(new DeauthorizeConnectionCommand({ Name }));
const list = (input = {}) => eb.send(new ListConnectionsCommand(input));
const getSecret = (SecretId) => sm.send(new GetSecretValueCommand({ SecretId }));

const CREATE_MEMBERS = ['ConnectionArn', 'ConnectionState', 'CreationTime', 'LastModifiedTime'];
const UPDATE_MEMBERS = [
    'ConnectionArn', 'ConnectionState', 'CreationTime', 'LastAuthorizedTime', 'LastModifiedTime'];
const DESCRIBE_MEMBERS = ['AuthParameters', 'AuthorizationType', 'ConnectionArn', 'ConnectionState',
    'CreationTime', 'LastAuthorizedTime', 'LastModifiedTime', 'Name', 'SecretArn'];
const LIST_ENTRY_MEMBERS = ['AuthorizationType', 'ConnectionArn', 'ConnectionState', 'CreationTime',
    'LastAuthorizedTime', 'LastModifiedTime', 'Name'];
const SECRET_VALUE_MEMBERS = ['ARN', 'CreatedDate', 'Name', 'SecretString', 'VersionId', 'VersionStages'];

const notFound = (name) => `Failed to describe the connection(s). Connection '${name}' does not exist.`;

const USERNAME_PATTERN = '^[ \\t]*[^\\x00-\\x1F:\\x7F]+([ \\t]+[^\\x00-\\x1F:\\x7F]+)*[ \\t]*$';

before(async () => {
    hole = await startBlackHole();
    srv = await startServer();
    ebClient = srv.eventbridge();
    sm = srv.secretsManager();
});

after(async () => {
    try {
        await srv?.stop();
    } finally {
        await hole?.close();
    }
});

/* The three recorded API_DESTINATION_AUTH_PARAMS, OAuth endpoint made local. */
function recordedAuth() {
    return [
        {
            id: 'auth_params0',
            AuthorizationType: 'BASIC',
            AuthParameters: { BasicAuthParameters: { Username: 'user', Password: 'pass' } },
            described: { BasicAuthParameters: { Username: 'user' } },
            state: 'AUTHORIZED',
            secret: { username: 'user', password: 'pass' },
        },
        {
            id: 'auth_params1',
            AuthorizationType: 'API_KEY',
            AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'ApiKey', ApiKeyValue: 'secret' } },
            described: { ApiKeyAuthParameters: { ApiKeyName: 'ApiKey' } },
            state: 'AUTHORIZED',
            secret: { api_key_name: 'ApiKey', api_key_value: 'secret' },
        },
        {
            id: 'auth_params2',
            AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
            AuthParameters: {
                OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/oauth'),
                    ClientParameters: { ClientID: 'client_id', ClientSecret: 'client_secret' },
                    HttpMethod: 'POST',
                },
            },
            described: {
                OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/oauth'),
                    ClientParameters: { ClientID: 'client_id' },
                    HttpMethod: 'POST',
                },
            },
            state: 'AUTHORIZING',
            secret: {
                client_id: 'client_id',
                client_secret: 'client_secret',
                authorization_endpoint: hole.url('/oauth'),
                http_method: 'POST',
            },
        },
    ];
}

function checkCreate(r, name, state, t0) {
    assert.deepEqual(members(r), CREATE_MEMBERS);
    assert.match(r.ConnectionArn, connectionArnRe(name));
    assert.equal(r.ConnectionState, state);
    assertRecent(r.CreationTime, t0, 'CreationTime');
    assertRecent(r.LastModifiedTime, t0, 'LastModifiedTime');
    assert.equal(r.$metadata.httpStatusCode, 200);
}

/* Describe answer equals the recorded shape: exact members, exact values. */
function checkDescribe(d, c, { name, type, state, authParameters, t0, extra = {} }) {
    assert.deepEqual(members(d), [...DESCRIBE_MEMBERS, ...Object.keys(extra)].sort());
    assert.deepEqual(d.AuthParameters, authParameters);
    assert.equal(d.AuthorizationType, type);
    assert.equal(d.ConnectionArn, c.ConnectionArn);
    assert.equal(d.ConnectionState, state);
    assert.equal(d.Name, name);
    assert.match(d.SecretArn, secretArnRe(name));
    assert.equal(d.CreationTime.getTime(), c.CreationTime.getTime());
    assertRecent(d.LastModifiedTime, t0, 'LastModifiedTime');
    assertRecent(d.LastAuthorizedTime, t0, 'LastAuthorizedTime');
    for (const [k, v] of Object.entries(extra))
        assert.deepEqual(d[k], v, k);
}

function checkSecretValue(s, describe, content) {
    assert.deepEqual(members(s), SECRET_VALUE_MEMBERS);
    assert.equal(s.ARN, describe.SecretArn);
    assert.match(s.Name, secretNameRe(describe.Name));
    assert.equal(`${s.ARN}`.endsWith(`:secret:${s.Name}-${s.ARN.slice(-6)}`), true,
        `secret ARN ${s.ARN} is not <name>-<suffix> for ${s.Name}`);
    assert.deepEqual(JSON.parse(s.SecretString), content);
    assert.match(s.VersionId, ANY_UUID_RE);
    assert.deepEqual(s.VersionStages, ['AWSCURRENT']);
    assert.ok(s.CreatedDate instanceof Date);
}

/* ------------------------------------------------------- recorded: create */

describe('recorded: create and describe', () => {
    test('API_KEY with InvocationHttpParameters {} (test_create_connection)', async () => {
        const name = 'rec-create-apikey';
        const t0 = Date.now();
        const c = await create({
            Name: name,
            AuthorizationType: 'API_KEY',
            AuthParameters: {
                ApiKeyAuthParameters: { ApiKeyName: 'ApiKey', ApiKeyValue: 'secret' },
                InvocationHttpParameters: {},
            },
        });
        checkCreate(c, name, 'AUTHORIZED', t0);
        const d = await describeConn(name);
        checkDescribe(d, c, {
            name, type: 'API_KEY', state: 'AUTHORIZED', t0,
            authParameters: {
                ApiKeyAuthParameters: { ApiKeyName: 'ApiKey' },
                InvocationHttpParameters: {},
            },
        });
        assert.doesNotMatch(JSON.stringify(body(d)), /ApiKeyValue/);
    });

    for (const i of [0, 1, 2]) {
        test(`test_create_connection_with_auth[auth_params${i}]`, async () => {
            const a = recordedAuth()[i];
            const name = `rec-auth-${i}`;
            const t0 = Date.now();
            const c = await create({
                Name: name, AuthorizationType: a.AuthorizationType, AuthParameters: a.AuthParameters,
            });
            checkCreate(c, name, a.state, t0);
            const d = await describeConn(name);
            checkDescribe(d, c, {
                name, type: a.AuthorizationType, state: a.state, t0, authParameters: a.described,
            });
            /* never sent -> never echoed */
            assert.equal('InvocationHttpParameters' in d.AuthParameters, false);
            assert.equal('KmsKeyIdentifier' in d, false);
            assert.doesNotMatch(JSON.stringify(body(d)), /Password|ApiKeyValue|ClientSecret/);
        });
    }

    for (const [i, id] of [[0, 'basic'], [1, 'api-key'], [2, 'oauth']]) {
        test(`connection secret content (test_connection_secrets[${id}])`, async () => {
            const a = recordedAuth()[i];
            const name = `rec-secret-${id}`;
            await create({
                Name: name, AuthorizationType: a.AuthorizationType, AuthParameters: a.AuthParameters,
            });
            const d = await describeConn(name);
            const s = await getSecret(d.SecretArn);
            checkSecretValue(s, d, a.secret);
            /* the secret name is accepted as SecretId as well */
            const byName = await getSecret(s.Name);
            assert.equal(byName.ARN, s.ARN);
            assert.equal(byName.VersionId, s.VersionId);
        });
    }
});

/* ------------------------------------------------ recorded: list / delete */

test('ListConnections entry members (test_list_connections)', async () => {
    const name = 'rec-list-basic';
    const t0 = Date.now();
    const c = await create({
        Name: name,
        AuthorizationType: 'BASIC',
        AuthParameters: {
            BasicAuthParameters: { Username: 'user', Password: 'pass' },
            InvocationHttpParameters: {},
        },
    });
    const r = await list({ NamePrefix: name });
    assert.deepEqual(members(r), ['Connections']);
    assert.equal(r.Connections.length, 1);
    const e = r.Connections[0];
    assert.deepEqual(members(e), LIST_ENTRY_MEMBERS);
    assert.equal(e.AuthorizationType, 'BASIC');
    assert.equal(e.ConnectionArn, c.ConnectionArn);
    assert.equal(e.ConnectionState, 'AUTHORIZED');
    assert.equal(e.Name, name);
    assert.equal(e.CreationTime.getTime(), c.CreationTime.getTime());
    assertRecent(e.LastAuthorizedTime, t0, 'LastAuthorizedTime');
    assertRecent(e.LastModifiedTime, t0, 'LastModifiedTime');
});

describe('recorded: DeleteConnection (test_delete_connection)', () => {
    async function createApiKey(name) {
        return create({
            Name: name,
            AuthorizationType: 'API_KEY',
            AuthParameters: {
                ApiKeyAuthParameters: { ApiKeyName: 'ApiKey', ApiKeyValue: 'secret' },
                InvocationHttpParameters: {},
            },
        });
    }

    test('Delete -> DELETING, then Describe -> ResourceNotFoundException', async () => {
        const name = 'rec-delete';
        const t0 = Date.now();
        const c = await createApiKey(name);
        checkCreate(c, name, 'AUTHORIZED', t0);

        const r = await del(name);
        assert.deepEqual(members(r), UPDATE_MEMBERS);
        assert.equal(r.ConnectionArn, c.ConnectionArn);
        assert.equal(r.ConnectionState, 'DELETING');
        assert.equal(r.CreationTime.getTime(), c.CreationTime.getTime());
        assertRecent(r.LastAuthorizedTime, t0, 'LastAuthorizedTime');
        assertRecent(r.LastModifiedTime, t0, 'LastModifiedTime');

        await eventually(() => expectError(describeConn(name), 'ResourceNotFoundException', notFound(name)));
        const l = await list({ NamePrefix: name });
        assert.deepEqual(l.Connections, []);
        /* the name is free again */
        const again = await createApiKey(name);
        assert.notEqual(again.ConnectionArn, c.ConnectionArn);
    });

    test('the connection secret exists, and is gone after the delete', async () => {
        const name = 'rec-delete-secret';
        await createApiKey(name);
        const { SecretArn } = await describeConn(name);
        const before = await sm.send(new DescribeSecretCommand({ SecretId: SecretArn }));
        assert.equal(before.ARN, SecretArn);
        await del(name);
        await eventually(() => expectError(sm.send(new DescribeSecretCommand({ SecretId: SecretArn })),
            'ResourceNotFoundException', "Secrets Manager can't find the specified secret."));
    });
});

/* ---------------------------------------------------- recorded: validation */

describe('recorded: first-level validation', () => {
    test('invalid AuthorizationType (test_create_connection_invalid_parameters)', async () => {
        await expectError(create({
            Name: 'rec-invalid-auth', AuthorizationType: 'INVALID_AUTH_TYPE', AuthParameters: {},
        }), 'ValidationException', "1 validation error detected: Value 'INVALID_AUTH_TYPE' at " +
            "'authorizationType' failed to satisfy constraint: Member must satisfy enum value set: " +
            '[BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]');
    });

    test('name with spaces (test_create_connection_name_validation)', async () => {
        await expectError(create({
            Name: 'Invalid Name With Spaces!',
            AuthorizationType: 'API_KEY',
            AuthParameters: {
                ApiKeyAuthParameters: { ApiKeyName: 'ApiKey', ApiKeyValue: 'secret' },
                InvocationHttpParameters: {},
            },
        }), 'ValidationException', "1 validation error detected: Value 'Invalid Name With Spaces!' " +
            "at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
            '[\\.\\-_A-Za-z0-9]+');
    });

    test('3 errors: name pattern, name length, enum (test_create_connection_validations)', async () => {
        const n = 'This should fail with two errors 123467890123412341234123412341234';
        await expectError(create({
            Name: n,
            AuthorizationType: 'INVALID',
            AuthParameters: { BasicAuthParameters: { Username: 'user', Password: 'pass' } },
        }), 'ValidationException', `3 validation errors detected: Value '${n}' at 'name' failed to ` +
            'satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; ' +
            `Value '${n}' at 'name' failed to satisfy constraint: Member must have length less than ` +
            "or equal to 64; Value 'INVALID' at 'authorizationType' failed to satisfy constraint: " +
            'Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]');
    });
});

/* ---------------------------------------------------------- recorded: update */

describe('recorded: UpdateConnection (test_update_connection)', () => {
    const name = 'rec-update';
    const t0 = Date.now();
    let c;
    let d1;

    test('update BASIC credentials: response members, Describe shows the new username', async () => {
        c = await create({
            Name: name,
            AuthorizationType: 'BASIC',
            AuthParameters: {
                BasicAuthParameters: { Username: 'user', Password: 'pass' },
                InvocationHttpParameters: {},
            },
        });
        checkCreate(c, name, 'AUTHORIZED', t0);
        d1 = await describeConn(name);
        checkDescribe(d1, c, {
            name, type: 'BASIC', state: 'AUTHORIZED', t0,
            authParameters: { BasicAuthParameters: { Username: 'user' }, InvocationHttpParameters: {} },
        });

        const before = d1.LastModifiedTime.getTime();
        const u = await update({
            Name: name,
            AuthorizationType: 'BASIC',
            AuthParameters: {
                BasicAuthParameters: { Username: 'new_user', Password: 'new_pass' },
                InvocationHttpParameters: {},
            },
        });
        assert.deepEqual(members(u), UPDATE_MEMBERS);
        assert.equal(u.ConnectionArn, c.ConnectionArn);
        assert.equal(u.ConnectionState, 'AUTHORIZED');
        assert.equal(u.CreationTime.getTime(), c.CreationTime.getTime());
        assert.ok(u.LastModifiedTime.getTime() >= before, 'LastModifiedTime went backwards');
        assertRecent(u.LastAuthorizedTime, t0, 'LastAuthorizedTime');

        const d2 = await describeConn(name);
        checkDescribe(d2, c, {
            name, type: 'BASIC', state: 'AUTHORIZED', t0,
            authParameters: { BasicAuthParameters: { Username: 'new_user' }, InvocationHttpParameters: {} },
        });
        assert.equal(d2.SecretArn, d1.SecretArn);
        assert.ok(d2.LastModifiedTime.getTime() >= before);
    });

    test('the secret is updated in place: same ARN, new VersionId, new content', async () => {
        const name2 = 'rec-update-secret';
        const c2 = await create({
            Name: name2,
            AuthorizationType: 'BASIC',
            AuthParameters: {
                BasicAuthParameters: { Username: 'user', Password: 'pass' },
                InvocationHttpParameters: {},
            },
        });
        const before = await describeConn(name2);
        assert.equal(before.ConnectionArn, c2.ConnectionArn);
        const s1 = await getSecret(before.SecretArn);
        checkSecretValue(s1, before, { username: 'user', password: 'pass', invocation_http_parameters: {} });
        await update({
            Name: name2,
            AuthorizationType: 'BASIC',
            AuthParameters: {
                BasicAuthParameters: { Username: 'new_user', Password: 'new_pass' },
                InvocationHttpParameters: {},
            },
        });
        const after = await describeConn(name2);
        const s2 = await getSecret(before.SecretArn);
        checkSecretValue(s2, after, { username: 'new_user', password: 'new_pass', invocation_http_parameters: {} });
        assert.equal(s2.Name, s1.Name);
        assert.notEqual(s2.VersionId, s1.VersionId);
    });
});

/* ------------------------------------------------------- not found, dupes */

describe('existence', () => {
    test('Describe/Update/Delete/Deauthorize of an unknown name', async () => {
        const n = 'no-such-connection';
        await expectError(describeConn(n), 'ResourceNotFoundException', notFound(n));
        await expectError(update({ Name: n, Description: 'x' }), 'ResourceNotFoundException', notFound(n));
        await expectError(del(n), 'ResourceNotFoundException', notFound(n));
        await expectError(deauth(n), 'ResourceNotFoundException', notFound(n));
    });

    test('duplicate name -> ResourceAlreadyExistsException', async () => {
        const name = 'dup-conn';
        const input = {
            Name: name,
            AuthorizationType: 'BASIC',
            AuthParameters: { BasicAuthParameters: { Username: 'u', Password: S('dup-pw-SENSITIVE') } },
        };
        await create(input);
        await expectError(create(input), 'ResourceAlreadyExistsException',
            `Connection ${name} already exists.`);
        /* a different type under the same name is a duplicate too */
        await expectError(create({
            Name: name,
            AuthorizationType: 'API_KEY',
            AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'k', ApiKeyValue: S('dup-key-SENSITIVE') } },
        }), 'ResourceAlreadyExistsException', `Connection ${name} already exists.`);
    });
});

/* ------------------------------------------------- more first-level checks */

describe('first-level validation', () => {
    test('AuthParameters missing -> not-null item', async () => {
        await expectError(create({ Name: 'val-no-auth', AuthorizationType: 'BASIC' }),
            'ValidationException', "1 validation error detected: Value null at 'authParameters' " +
            'failed to satisfy constraint: Member must not be null');
    });

    test('empty request -> three not-null items in model order', async () => {
        await expectError(create({}), 'ValidationException', '3 validation errors detected: ' +
            "Value null at 'name' failed to satisfy constraint: Member must not be null; " +
            "Value null at 'authorizationType' failed to satisfy constraint: Member must not be null; " +
            "Value null at 'authParameters' failed to satisfy constraint: Member must not be null");
    });

    test('nested non-sensitive member prints its value and dotted path', async () => {
        await expectError(create({
            Name: 'val-username',
            AuthorizationType: 'BASIC',
            AuthParameters: { BasicAuthParameters: { Username: 'us:er', Password: S('pw-SENSITIVE-n1') } },
        }), 'ValidationException', "1 validation error detected: Value 'us:er' at " +
            "'authParameters.basicAuthParameters.username' failed to satisfy constraint: Member must " +
            `satisfy regular expression pattern: ${USERNAME_PATTERN}`);
    });

    const sensitive = [
        ['BASIC', 'authParameters.basicAuthParameters.password',
            (v) => ({ BasicAuthParameters: { Username: 'u', Password: v } })],
        ['API_KEY', 'authParameters.apiKeyAuthParameters.apiKeyValue',
            (v) => ({ ApiKeyAuthParameters: { ApiKeyName: 'k', ApiKeyValue: v } })],
        ['OAUTH_CLIENT_CREDENTIALS', 'authParameters.oAuthParameters.clientParameters.clientSecret',
            (v) => ({
                OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/token'),
                    HttpMethod: 'POST',
                    ClientParameters: { ClientID: 'id', ClientSecret: v },
                },
            })],
    ];
    for (const [type, p, auth] of sensitive) {
        test(`sensitive ${p}: violation message prints no value`, async () => {
            const bad = S(`bad:${type}-SENSITIVE-colon`);
            const e1 = await expectError(create({
                Name: 'val-sensitive', AuthorizationType: type, AuthParameters: auth(bad),
            }), 'ValidationException', new RegExp(
                `^1 validation error detected: Value at '${p.replace(/\./g, '\\.')}' failed to ` +
                'satisfy constraint: Member must satisfy regular expression pattern: '));
            assert.equal(e1.message.includes(bad), false);
            assert.equal(e1.message.includes(`${USERNAME_PATTERN}`), true, e1.message);

            const e2 = await expectError(create({
                Name: 'val-sensitive', AuthorizationType: type, AuthParameters: auth(''),
            }), 'ValidationException', /.*/);
            assert.ok(e2.message.includes(`Value at '${p}' failed to satisfy constraint`), e2.message);
            assert.equal(e2.message.includes("Value '' at"), false, e2.message);
        });
    }

    test('ListConnections Limit 0 and bad ConnectionState', async () => {
        await expectError(list({ Limit: 0 }), 'ValidationException', "1 validation error detected: " +
            "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than " +
            'or equal to 1');
        await expectError(list({ Limit: 101 }), 'ValidationException', "1 validation error detected: " +
            "Value '101' at 'limit' failed to satisfy constraint: Member must have value less than " +
            'or equal to 100');
        await expectError(list({ ConnectionState: 'NOPE' }), 'ValidationException',
            "1 validation error detected: Value 'NOPE' at 'connectionState' failed to satisfy " +
            'constraint: Member must satisfy enum value set: [CREATING, UPDATING, DELETING, ' +
            'AUTHORIZED, DEAUTHORIZED, AUTHORIZING, DEAUTHORIZING, ACTIVE, FAILED_CONNECTIVITY]');
    });
});

/* ------------------------------------------- evbridge-decided business rules */

describe('decided: AuthParameters must match AuthorizationType', () => {
    const blocks = {
        BASIC: ['BasicAuthParameters', { Username: 'u', Password: 'pw-SENSITIVE-b' }],
        API_KEY: ['ApiKeyAuthParameters', { ApiKeyName: 'k', ApiKeyValue: 'key-SENSITIVE-b' }],
        OAUTH_CLIENT_CREDENTIALS: ['OAuthParameters', null],
    };
    const block = (type) => {
        const [k, v] = blocks[type];
        return [k, v ?? {
            AuthorizationEndpoint: hole.url('/token'),
            HttpMethod: 'POST',
            ClientParameters: { ClientID: 'id', ClientSecret: 'cs-SENSITIVE-b' },
        }];
    };
    for (const s of ['pw-SENSITIVE-b', 'key-SENSITIVE-b', 'cs-SENSITIVE-b'])
        S(s);

    for (const type of Object.keys(blocks)) {
        test(`${type} without its block`, async () => {
            const [k] = block(type);
            for (const ap of [{}, { InvocationHttpParameters: {} }]) {
                await expectError(create({ Name: 'dec-missing', AuthorizationType: type, AuthParameters: ap }),
                    'ValidationException',
                    `Parameter AuthParameters is not valid. Reason: ${k} must be specified for ` +
                    `authorization type ${type}.`);
            }
        });

        test(`${type} with another type's block as well`, async () => {
            const [k, v] = block(type);
            const other = type === 'BASIC' ? 'API_KEY' : 'BASIC';
            const [ok, ov] = block(other);
            await expectError(create({
                Name: 'dec-extra', AuthorizationType: type, AuthParameters: { [k]: v, [ok]: ov },
            }), 'ValidationException', 'Parameter AuthParameters is not valid. Reason: Only the ' +
                `parameters for authorization type ${type} may be specified.`);
        });
    }

    test('http:// AuthorizationEndpoint accepted with --allow-http-endpoints', async () => {
        const name = 'dec-http-oauth';
        const c = await create({
            Name: name,
            AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
            AuthParameters: {
                OAuthParameters: {
                    AuthorizationEndpoint: `http://127.0.0.1:${hole.port}/token`,
                    HttpMethod: 'POST',
                    ClientParameters: { ClientID: 'id', ClientSecret: S('cs-SENSITIVE-http') },
                },
            },
        });
        assert.equal(c.ConnectionState, 'AUTHORIZING');
        const d = await describeConn(name);
        assert.equal(d.AuthParameters.OAuthParameters.AuthorizationEndpoint,
            `http://127.0.0.1:${hole.port}/token`);
    });
});

/* ---------------------------------------------------- redaction and echo */

function httpParams(tag) {
    const p = (k) => [
        { Key: `${k}-plain`, Value: `${tag}-${k}-visible`, IsValueSecret: false },
        { Key: `${k}-secret`, Value: S(`${tag}-${k}-SENSITIVE-1`), IsValueSecret: true },
        { Key: `${k}-default`, Value: S(`${tag}-${k}-SENSITIVE-2`) },
    ];
    const echoed = (k) => [
        { Key: `${k}-plain`, Value: `${tag}-${k}-visible`, IsValueSecret: false },
        { Key: `${k}-secret`, IsValueSecret: true },
        { Key: `${k}-default`, IsValueSecret: true },
    ];
    return {
        sent: { HeaderParameters: p('h'), QueryStringParameters: p('q'), BodyParameters: p('b') },
        echoed: { HeaderParameters: echoed('h'), QueryStringParameters: echoed('q'), BodyParameters: echoed('b') },
    };
}

describe('redaction', () => {
    test('OAuthHttpParameters: secret (true or omitted) values dropped, others echoed', async () => {
        const name = 'red-oauth';
        const hp = httpParams('oauth');
        const inv = httpParams('oinv');
        const c = await create({
            Name: name,
            AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
            AuthParameters: {
                OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/token'),
                    HttpMethod: 'PUT',
                    ClientParameters: { ClientID: 'cid-1', ClientSecret: S('oauth-cs-SENSITIVE-1') },
                    OAuthHttpParameters: hp.sent,
                },
                InvocationHttpParameters: inv.sent,
            },
        });
        assert.equal(c.ConnectionState, 'AUTHORIZING');
        const d = await describeConn(name);
        assert.deepEqual(d.AuthParameters, {
            OAuthParameters: {
                AuthorizationEndpoint: hole.url('/token'),
                HttpMethod: 'PUT',
                ClientParameters: { ClientID: 'cid-1' },
                OAuthHttpParameters: hp.echoed,
            },
            InvocationHttpParameters: inv.echoed,
        });
    });

    test('InvocationHttpParameters on BASIC and API_KEY follow the same rule', async () => {
        for (const [type, auth, described] of [
            ['BASIC', { BasicAuthParameters: { Username: 'ivu', Password: S('iv-pw-SENSITIVE') } },
                { BasicAuthParameters: { Username: 'ivu' } }],
            ['API_KEY', { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key', ApiKeyValue: S('iv-key-SENSITIVE') } },
                { ApiKeyAuthParameters: { ApiKeyName: 'x-api-key' } }],
        ]) {
            const name = `red-inv-${type.toLowerCase().replace('_', '')}`;
            const hp = httpParams(name);
            await create({
                Name: name, AuthorizationType: type, AuthParameters: { ...auth, InvocationHttpParameters: hp.sent },
            });
            const d = await describeConn(name);
            assert.deepEqual(d.AuthParameters, { ...described, InvocationHttpParameters: hp.echoed });
        }
    });

    test('only the lists that were sent come back', async () => {
        const name = 'red-headers-only';
        await create({
            Name: name,
            AuthorizationType: 'API_KEY',
            AuthParameters: {
                ApiKeyAuthParameters: { ApiKeyName: 'k', ApiKeyValue: S('ho-key-SENSITIVE') },
                InvocationHttpParameters: {
                    HeaderParameters: [{ Key: 'X-Env', Value: 'prod', IsValueSecret: false }],
                },
            },
        });
        const d = await describeConn(name);
        assert.deepEqual(d.AuthParameters.InvocationHttpParameters, {
            HeaderParameters: [{ Key: 'X-Env', Value: 'prod', IsValueSecret: false }],
        });
    });

    test('Description, InvocationConnectivityParameters echoed; KmsKeyIdentifier absent when not given', async () => {
        const name = 'echo-extra';
        const icp = {
            ResourceParameters: {
                ResourceConfigurationArn:
                    'arn:aws:vpc-lattice:us-east-1:000000000000:resourceconfiguration/rcfg-0123456789abcdef0',
            },
        };
        const t0 = Date.now();
        const c = await create({
            Name: name,
            Description: 'private api',
            AuthorizationType: 'BASIC',
            AuthParameters: { BasicAuthParameters: { Username: 'u', Password: S('pw-SENSITIVE-icp') } },
            InvocationConnectivityParameters: icp,
        });
        assert.deepEqual(members(c), CREATE_MEMBERS);
        const d = await describeConn(name);
        assert.deepEqual(members(d), [...DESCRIBE_MEMBERS, 'Description', 'InvocationConnectivityParameters'].sort());
        assert.equal(d.Description, 'private api');
        assert.equal(d.InvocationConnectivityParameters.ResourceParameters.ResourceConfigurationArn,
            icp.ResourceParameters.ResourceConfigurationArn);
        /* Describe adds the association EventBridge made (a required member of the shape). */
        assert.match(d.InvocationConnectivityParameters.ResourceParameters.ResourceAssociationArn,
            /^arn:aws:vpc-lattice:us-east-1:000000000000:servicenetworkresourceassociation\/snra-[0-9a-f]{17}$/);
        assert.deepEqual(Object.keys(d.InvocationConnectivityParameters.ResourceParameters).sort(),
            ['ResourceAssociationArn', 'ResourceConfigurationArn']);
        assert.equal(d.ConnectionState, 'ACTIVE');
        assertRecent(d.CreationTime, t0);
    });

    test('KmsKeyIdentifier with a customer-managed key', { skip: 'KMS CMK support is not in this phase' }, () => {});
});

/* ------------------------------------------------------------------ list */

describe('ListConnections', () => {
    test('NamePrefix, Limit + NextToken pagination over 7 connections', async () => {
        const names = [];
        for (let i = 1; i <= 7; i++) {
            const name = `page-${String.fromCharCode(0x68 - i)}${i}`; /* created out of name order */
            names.push(name);
            await create({
                Name: name,
                AuthorizationType: 'API_KEY',
                AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'k', ApiKeyValue: S('page-key-SENSITIVE') } },
            });
        }
        const pages = await allPages((i) => list(i), { NamePrefix: 'page-', Limit: 3 }, 'Connections');
        assert.deepEqual(pages.map((p) => p.Connections.length), [3, 3, 1]);
        assert.ok(pages[0].NextToken && pages[1].NextToken);
        assert.equal('NextToken' in pages[2], false);
        const got = pages.flatMap((p) => p.Connections.map((e) => e.Name));
        assert.deepEqual(got, [...names].sort());
        for (const p of pages) {
            for (const e of p.Connections)
                assert.deepEqual(members(e), LIST_ENTRY_MEMBERS);
        }

        const all = await list({ NamePrefix: 'page-' });
        assert.deepEqual(all.Connections.map((e) => e.Name), [...names].sort());
        assert.equal('NextToken' in all, false);
        const one = await list({ NamePrefix: names[0] });
        assert.deepEqual(one.Connections.map((e) => e.Name), [names[0]]);
        const none = await list({ NamePrefix: 'page-zzz' });
        assert.deepEqual(body(none), { Connections: [] });
    });

    test('ConnectionState filter', async () => {
        for (const n of ['filt-a', 'filt-b']) {
            await create({
                Name: n,
                AuthorizationType: 'BASIC',
                AuthParameters: { BasicAuthParameters: { Username: 'u', Password: S('filt-pw-SENSITIVE') } },
            });
        }
        await create({
            Name: 'filt-c',
            AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
            AuthParameters: {
                OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/token'),
                    HttpMethod: 'GET',
                    ClientParameters: { ClientID: 'id', ClientSecret: S('filt-cs-SENSITIVE') },
                },
            },
        });
        const names = (r) => r.Connections.map((e) => e.Name);
        assert.deepEqual(names(await list({ NamePrefix: 'filt-', ConnectionState: 'AUTHORIZED' })),
            ['filt-a', 'filt-b']);
        assert.deepEqual(names(await list({ NamePrefix: 'filt-', ConnectionState: 'AUTHORIZING' })),
            ['filt-c']);
        assert.deepEqual(names(await list({ NamePrefix: 'filt-', ConnectionState: 'DEAUTHORIZED' })), []);
        const oauth = (await list({ NamePrefix: 'filt-c' })).Connections[0];
        assert.equal(oauth.AuthorizationType, 'OAUTH_CLIENT_CREDENTIALS');
        assert.equal(oauth.ConnectionState, 'AUTHORIZING');
    });

    test('garbage NextToken -> ValidationException Invalid NextToken.', async () => {
        await expectError(list({ NextToken: 'garbage' }), 'ValidationException', 'Invalid NextToken.');
        await expectError(list({ NextToken: 'garbage', Limit: 1, NamePrefix: 'page-' }),
            'ValidationException', 'Invalid NextToken.');
    });
});

/* -------------------------------------------------------- update variants */

describe('UpdateConnection', () => {
    test('only Description: auth untouched', async () => {
        const name = 'upd-desc';
        const c = await create({
            Name: name,
            AuthorizationType: 'BASIC',
            AuthParameters: { BasicAuthParameters: { Username: 'u1', Password: S('upd-pw-SENSITIVE') } },
        });
        const d0 = await describeConn(name);
        const u = await update({ Name: name, Description: 'second' });
        assert.deepEqual(members(u), UPDATE_MEMBERS);
        assert.equal(u.ConnectionArn, c.ConnectionArn);
        assert.equal(u.ConnectionState, 'AUTHORIZED');
        const d = await describeConn(name);
        assert.equal(d.Description, 'second');
        assert.deepEqual(d.AuthParameters, { BasicAuthParameters: { Username: 'u1' } });
        assert.equal(d.AuthorizationType, 'BASIC');
        assert.equal(d.SecretArn, d0.SecretArn);
        assert.ok(d.LastModifiedTime.getTime() >= d0.LastModifiedTime.getTime());
        const s = await getSecret(d.SecretArn);
        assert.deepEqual(JSON.parse(s.SecretString), { username: 'u1', password: 'upd-pw-SENSITIVE' });
    });

    test('only the password: username kept, secret rewritten', async () => {
        const name = 'upd-pw';
        await create({
            Name: name,
            AuthorizationType: 'BASIC',
            AuthParameters: { BasicAuthParameters: { Username: 'keepme', Password: S('old-pw-SENSITIVE') } },
        });
        const u = await update({
            Name: name, AuthParameters: { BasicAuthParameters: { Password: S('new-pw-SENSITIVE') } },
        });
        assert.equal(u.ConnectionState, 'AUTHORIZED');
        const d = await describeConn(name);
        assert.deepEqual(d.AuthParameters, { BasicAuthParameters: { Username: 'keepme' } });
        const s = await getSecret(d.SecretArn);
        assert.deepEqual(JSON.parse(s.SecretString), { username: 'keepme', password: 'new-pw-SENSITIVE' });
    });

    test('validation applies to updates', async () => {
        await expectError(update({ Name: 'upd-desc', AuthorizationType: 'NOPE' }), 'ValidationException',
            "1 validation error detected: Value 'NOPE' at 'authorizationType' failed to satisfy " +
            'constraint: Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]');
    });
});

/* ---------------------------------------------------------- deauthorize */

test('DeauthorizeConnection -> DEAUTHORIZING, then DEAUTHORIZED', async () => {
    const name = 'deauth-basic';
    const t0 = Date.now();
    const c = await create({
        Name: name,
        AuthorizationType: 'BASIC',
        AuthParameters: { BasicAuthParameters: { Username: 'u', Password: S('deauth-pw-SENSITIVE') } },
    });
    const r = await deauth(name);
    assert.deepEqual(members(r), UPDATE_MEMBERS);
    assert.equal(r.ConnectionArn, c.ConnectionArn);
    assert.equal(r.ConnectionState, 'DEAUTHORIZING');
    assert.equal(r.CreationTime.getTime(), c.CreationTime.getTime());
    assertRecent(r.LastModifiedTime, t0, 'LastModifiedTime');
    await eventually(async () => {
        const d = await describeConn(name);
        assert.equal(d.ConnectionState, 'DEAUTHORIZED');
    });
    const l = await list({ NamePrefix: name, ConnectionState: 'DEAUTHORIZED' });
    assert.deepEqual(l.Connections.map((e) => e.Name), [name]);
});

/* ------------------------------------------------------------------ wire */

test('wire: Create/Describe/List bodies carry no null members', async () => {
    const name = 'wire-basic';
    const cr = await srv.call('CreateConnection', {
        Name: name,
        AuthorizationType: 'BASIC',
        AuthParameters: { BasicAuthParameters: { Username: 'u', Password: S('wire-pw-SENSITIVE') } },
    });
    assert.equal(cr.status, 200, cr.body);
    assert.deepEqual(Object.keys(cr.json).sort(), CREATE_MEMBERS);
    assert.equal(typeof cr.json.CreationTime, 'number');
    const d = await srv.call('DescribeConnection', { Name: name });
    assert.equal(d.status, 200, d.body);
    assert.deepEqual(Object.keys(d.json).sort(), DESCRIBE_MEMBERS);
    assert.deepEqual(d.json.AuthParameters, { BasicAuthParameters: { Username: 'u' } });
    const l = await srv.call('ListConnections', { NamePrefix: name });
    assert.deepEqual(Object.keys(l.json), ['Connections']);
    for (const r of [cr, d, l]) {
        assert.doesNotMatch(r.body, /null/);
        assert.equal(r.headers['content-type'], 'application/x-amz-json-1.1');
        assertNoSecrets(r.body, SECRETS, 'raw body');
    }
});

/* ------------------------------------------------------------- terraform */

/*
 * The three aws_cloudwatch_event_connection examples of the Terraform AWS
 * provider docs, as the calls the provider makes: CreateConnection, then
 * DescribeConnection (read), then DeleteConnection and Describe until
 * ResourceNotFoundException (destroy). The provider sends IsValueSecret
 * explicitly. The OAuth endpoint https://auth.url.com/endpoint is replaced
 * by the local black hole.
 */
describe('Terraform aws_cloudwatch_event_connection examples', () => {
    async function roundTrip(input, expected) {
        const c = await create(input);
        const d = await describeConn(input.Name);
        assert.deepEqual(members(d), [...DESCRIBE_MEMBERS, 'Description'].sort());
        assert.equal(d.Description, 'A connection description');
        assert.equal(d.AuthorizationType, input.AuthorizationType);
        assert.deepEqual(d.AuthParameters, expected.AuthParameters);
        assert.equal(c.ConnectionState, expected.state);
        assert.equal(d.ConnectionState, expected.state);
        await del(input.Name);
        await eventually(() => expectError(describeConn(input.Name), 'ResourceNotFoundException',
            notFound(input.Name)));
    }

    test('API key with invocation_http_parameters', async () => {
        await roundTrip({
            Name: 'tf-apikey-connection',
            Description: 'A connection description',
            AuthorizationType: 'API_KEY',
            AuthParameters: {
                ApiKeyAuthParameters: { ApiKeyName: 'x-signature', ApiKeyValue: '1234' },
                InvocationHttpParameters: {
                    BodyParameters: [
                        { Key: 'body-parameter-key', Value: 'body-parameter-value', IsValueSecret: false },
                        { Key: 'body-parameter-key2', Value: S('body-parameter-value2'), IsValueSecret: true },
                    ],
                    HeaderParameters: [
                        { Key: 'header-parameter-key', Value: 'header-parameter-value', IsValueSecret: false },
                    ],
                    QueryStringParameters: [
                        { Key: 'query-string-parameter-key', Value: 'query-string-parameter-value', IsValueSecret: false },
                    ],
                },
            },
        }, {
            state: 'AUTHORIZED',
            AuthParameters: {
                ApiKeyAuthParameters: { ApiKeyName: 'x-signature' },
                InvocationHttpParameters: {
                    BodyParameters: [
                        { Key: 'body-parameter-key', Value: 'body-parameter-value', IsValueSecret: false },
                        { Key: 'body-parameter-key2', IsValueSecret: true },
                    ],
                    HeaderParameters: [
                        { Key: 'header-parameter-key', Value: 'header-parameter-value', IsValueSecret: false },
                    ],
                    QueryStringParameters: [
                        { Key: 'query-string-parameter-key', Value: 'query-string-parameter-value', IsValueSecret: false },
                    ],
                },
            },
        });
    });

    test('Basic', async () => {
        await roundTrip({
            Name: 'tf-basic-connection',
            Description: 'A connection description',
            AuthorizationType: 'BASIC',
            AuthParameters: { BasicAuthParameters: { Username: 'user', Password: S('Pass1234!') } },
        }, {
            state: 'AUTHORIZED',
            AuthParameters: { BasicAuthParameters: { Username: 'user' } },
        });
    });

    test('OAuth with oauth_http_parameters', async () => {
        await roundTrip({
            Name: 'tf-oauth-connection',
            Description: 'A connection description',
            AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
            AuthParameters: {
                OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/endpoint'),
                    HttpMethod: 'GET',
                    ClientParameters: { ClientID: '1234567890', ClientSecret: S('Pass1234!') },
                    OAuthHttpParameters: {
                        BodyParameters: [
                            { Key: 'body-parameter-key', Value: 'body-parameter-value', IsValueSecret: false },
                        ],
                        HeaderParameters: [
                            { Key: 'header-parameter-key', Value: 'header-parameter-value', IsValueSecret: false },
                        ],
                        QueryStringParameters: [
                            { Key: 'query-string-parameter-key', Value: 'query-string-parameter-value', IsValueSecret: false },
                        ],
                    },
                },
            },
        }, {
            state: 'AUTHORIZING',
            AuthParameters: {
                OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/endpoint'),
                    HttpMethod: 'GET',
                    ClientParameters: { ClientID: '1234567890' },
                    OAuthHttpParameters: {
                        BodyParameters: [
                            { Key: 'body-parameter-key', Value: 'body-parameter-value', IsValueSecret: false },
                        ],
                        HeaderParameters: [
                            { Key: 'header-parameter-key', Value: 'header-parameter-value', IsValueSecret: false },
                        ],
                        QueryStringParameters: [
                            { Key: 'query-string-parameter-key', Value: 'query-string-parameter-value', IsValueSecret: false },
                        ],
                    },
                },
            },
        });
    });
});
