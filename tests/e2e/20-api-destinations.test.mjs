/*
 * 20-api-destinations.test.mjs - Create/Describe/Update/Delete/ListApiDestinations,
 * the ACTIVE/INACTIVE rule, tags on connections and API destinations, and the
 * https-only rule of a server started without --allow-http-endpoints.
 *
 * Recorded cases: test_api_destinations[auth0..2], test_create_api_destination_*
 * in shared/conformance/localstack/test_api_destinations_and_connection.snapshot.json.
 * Invocation endpoints (https://example.com/...) are only stored: no rule
 * targets them, so nothing is ever delivered. OAuth endpoints are a local
 * black hole, which keeps OAuth connections AUTHORIZING.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
    CreateApiDestinationCommand,
    CreateConnectionCommand,
    DeauthorizeConnectionCommand,
    DeleteApiDestinationCommand,
    DeleteConnectionCommand,
    DescribeApiDestinationCommand,
    DescribeConnectionCommand,
    ListApiDestinationsCommand,
    ListTagsForResourceCommand,
    TagResourceCommand,
    UntagResourceCommand,
    UpdateApiDestinationCommand,
    UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';

import {
    allPages,
    apiDestinationArnRe,
    assertRecent,
    body,
    eventually,
    expectError,
    members,
    startBlackHole,
    startServer,
} from './lib/server.mjs';

let srv;
let hole;
let eb;

const send = (cmd) => eb.send(cmd);
const createConn = (input) => send(new CreateConnectionCommand(input));
const createDest = (input) => send(new CreateApiDestinationCommand(input));
const describeDest = (Name) => send(new DescribeApiDestinationCommand({ Name }));
const updateDest = (input) => send(new UpdateApiDestinationCommand(input));
const deleteDest = (Name) => send(new DeleteApiDestinationCommand({ Name }));
const listDest = (input = {}) => send(new ListApiDestinationsCommand(input));

const CREATE_MEMBERS = ['ApiDestinationArn', 'ApiDestinationState', 'CreationTime', 'LastModifiedTime'];
const LIST_ENTRY_MEMBERS = ['ApiDestinationArn', 'ApiDestinationState', 'ConnectionArn', 'CreationTime',
    'HttpMethod', 'InvocationEndpoint', 'InvocationRateLimitPerSecond', 'LastModifiedTime', 'Name'];
const DESCRIBE_MEMBERS = [...LIST_ENTRY_MEMBERS, 'Description'].sort();

const destNotFound = (n) =>
    `Failed to describe the api-destination(s). An api-destination '${n}' does not exist.`;
const connNotFound = (n) => `Failed to describe the connection(s). Connection '${n}' does not exist.`;
const CONN_ARN_PATTERN = '^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:connection\\/' +
    '[\\.\\-_A-Za-z0-9]+\\/[\\-A-Za-z0-9]+$';
const UNKNOWN_CONN_ARN =
    'arn:aws:events:us-east-1:000000000000:connection/ghost-conn/0f0e0d0c-0b0a-4909-8807-060504030201';

before(async () => {
    hole = await startBlackHole();
    srv = await startServer();
    eb = srv.eventbridge();
});

after(async () => {
    try {
        await srv?.stop();
    } finally {
        await hole?.close();
    }
});

/* The recorded API_DESTINATION_AUTHS, OAuth endpoint made local. */
function auths() {
    return [
        { AuthorizationType: 'BASIC', AuthParameters: { BasicAuthParameters: { Username: 'user', Password: 'pass' } } },
        {
            AuthorizationType: 'API_KEY',
            AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: 'Api', ApiKeyValue: 'apikey_secret' } },
        },
        {
            AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
            AuthParameters: {
                OAuthParameters: {
                    AuthorizationEndpoint: hole.url('/oauth'),
                    ClientParameters: { ClientID: 'id', ClientSecret: 'password' },
                    HttpMethod: 'PUT',
                    OAuthHttpParameters: {
                        BodyParameters: [{ Key: 'oauthbody', Value: 'value1' }],
                        HeaderParameters: [{ Key: 'oauthheader', Value: 'value2' }],
                        QueryStringParameters: [{ Key: 'oauthquery', Value: 'value3' }],
                    },
                },
            },
        },
    ];
}

async function basicConnection(name) {
    const c = await createConn({ Name: name, ...auths()[0] });
    return c.ConnectionArn;
}

async function oauthConnection(name) {
    const c = await createConn({ Name: name, ...auths()[2] });
    assert.equal(c.ConnectionState, 'AUTHORIZING');
    return c.ConnectionArn;
}

/* ---------------------------------------------------------------- recorded */

for (const [i, state] of [[0, 'ACTIVE'], [1, 'ACTIVE'], [2, 'INACTIVE']]) {
    test(`lifecycle (test_api_destinations[auth${i}])`, async () => {
        const connName = `rec-conn-${i}`;
        const name = `rec-dest-${i}`;
        const t0 = Date.now();
        const conn = await createConn({ Name: connName, ...auths()[i] });
        const connectionArn = conn.ConnectionArn;

        const c = await createDest({
            Name: name,
            ConnectionArn: connectionArn,
            HttpMethod: 'POST',
            InvocationEndpoint: 'https://example.com/api',
            Description: 'Test API destination',
        });
        assert.deepEqual(members(c), CREATE_MEMBERS);
        assert.match(c.ApiDestinationArn, apiDestinationArnRe(name));
        assert.equal(c.ApiDestinationState, state);
        assertRecent(c.CreationTime, t0, 'CreationTime');
        assertRecent(c.LastModifiedTime, t0, 'LastModifiedTime');

        const d = await describeDest(name);
        assert.deepEqual(members(d), DESCRIBE_MEMBERS);
        assert.deepEqual({ ...body(d), CreationTime: 0, LastModifiedTime: 0 }, {
            ApiDestinationArn: c.ApiDestinationArn,
            ApiDestinationState: state,
            ConnectionArn: connectionArn,
            CreationTime: 0,
            Description: 'Test API destination',
            HttpMethod: 'POST',
            InvocationEndpoint: 'https://example.com/api',
            InvocationRateLimitPerSecond: 300,
            LastModifiedTime: 0,
            Name: name,
        });
        assert.equal(d.CreationTime.getTime(), c.CreationTime.getTime());
        assert.equal(d.LastModifiedTime.getTime(), c.LastModifiedTime.getTime());

        const l = await listDest({ NamePrefix: name });
        assert.deepEqual(members(l), ['ApiDestinations']);
        assert.equal(l.ApiDestinations.length, 1);
        const e = l.ApiDestinations[0];
        assert.deepEqual(members(e), LIST_ENTRY_MEMBERS);
        const { Description, ...described } = body(d);
        assert.deepEqual(e, described);

        const u = await updateDest({
            Name: name,
            ConnectionArn: connectionArn,
            HttpMethod: 'PUT',
            InvocationEndpoint: 'https://example.com/api/v2',
            Description: 'Updated API destination',
        });
        assert.deepEqual(members(u), CREATE_MEMBERS);
        assert.equal(u.ApiDestinationArn, c.ApiDestinationArn);
        assert.equal(u.ApiDestinationState, state);
        assert.equal(u.CreationTime.getTime(), c.CreationTime.getTime());
        assert.ok(u.LastModifiedTime.getTime() >= c.LastModifiedTime.getTime());

        const d2 = await describeDest(name);
        assert.deepEqual({ ...body(d2), CreationTime: 0, LastModifiedTime: 0 }, {
            ApiDestinationArn: c.ApiDestinationArn,
            ApiDestinationState: state,
            ConnectionArn: connectionArn,
            CreationTime: 0,
            Description: 'Updated API destination',
            HttpMethod: 'PUT',
            InvocationEndpoint: 'https://example.com/api/v2',
            InvocationRateLimitPerSecond: 300,
            LastModifiedTime: 0,
            Name: name,
        });

        const del = await deleteDest(name);
        assert.deepEqual(body(del), {});
        assert.equal(del.$metadata.httpStatusCode, 200);
        await expectError(describeDest(name), 'ResourceNotFoundException', destNotFound(name));
        assert.deepEqual((await listDest({ NamePrefix: name })).ApiDestinations, []);
    });
}

describe('recorded: validation', () => {
    test('2 errors: connectionArn pattern + httpMethod enum (test_create_api_destination_invalid_parameters)',
        async () => {
            await expectError(createDest({
                Name: 'rec-invalid-params',
                ConnectionArn: 'invalid-connection-arn',
                HttpMethod: 'INVALID_METHOD',
                InvocationEndpoint: 'invalid-endpoint',
            }), 'ValidationException', "2 validation errors detected: Value 'invalid-connection-arn' " +
                "at 'connectionArn' failed to satisfy constraint: Member must satisfy regular " +
                `expression pattern: ${CONN_ARN_PATTERN}; Value 'INVALID_METHOD' at 'httpMethod' ` +
                'failed to satisfy constraint: Member must satisfy enum value set: ' +
                '[HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]');
        });

    test('name with spaces (test_create_api_destination_name_validation)', async () => {
        const arn = await basicConnection('rec-name-validation-conn');
        await expectError(createDest({
            Name: 'Invalid Name With Spaces!',
            ConnectionArn: arn,
            HttpMethod: 'POST',
            InvocationEndpoint: 'https://example.com/api',
        }), 'ValidationException', "1 validation error detected: Value 'Invalid Name With Spaces!' " +
            "at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
            '[\\.\\-_A-Za-z0-9]+');
    });
});

/* -------------------------------------------------------------- validation */

describe('validation', () => {
    let arn;
    before(async () => {
        arn = await basicConnection('val-conn');
    });

    test('InvocationRateLimitPerSecond 0', async () => {
        await expectError(createDest({
            Name: 'val-rate', ConnectionArn: arn, HttpMethod: 'POST',
            InvocationEndpoint: 'https://example.com/api', InvocationRateLimitPerSecond: 0,
        }), 'ValidationException', "1 validation error detected: Value '0' at " +
            "'invocationRateLimitPerSecond' failed to satisfy constraint: Member must have value " +
            'greater than or equal to 1');
        await expectError(updateDest({ Name: 'val-rate', InvocationRateLimitPerSecond: 0 }),
            'ValidationException', "1 validation error detected: Value '0' at " +
            "'invocationRateLimitPerSecond' failed to satisfy constraint: Member must have value " +
            'greater than or equal to 1');
    });

    test('missing required members, in model order', async () => {
        await expectError(createDest({ Name: 'val-missing' }), 'ValidationException',
            '3 validation errors detected: ' +
            "Value null at 'connectionArn' failed to satisfy constraint: Member must not be null; " +
            "Value null at 'invocationEndpoint' failed to satisfy constraint: Member must not be null; " +
            "Value null at 'httpMethod' failed to satisfy constraint: Member must not be null");
    });

    test('name too long: pattern ok, length item only', async () => {
        const n = 'a'.repeat(65);
        await expectError(createDest({
            Name: n, ConnectionArn: arn, HttpMethod: 'GET', InvocationEndpoint: 'https://example.com/x',
        }), 'ValidationException', `1 validation error detected: Value '${n}' at 'name' failed to ` +
            'satisfy constraint: Member must have length less than or equal to 64');
    });

    test('list Limit and ConnectionArn are validated', async () => {
        await expectError(listDest({ Limit: 0 }), 'ValidationException', '1 validation error ' +
            "detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value " +
            'greater than or equal to 1');
        await expectError(listDest({ ConnectionArn: 'nope' }), 'ValidationException', '1 validation ' +
            "error detected: Value 'nope' at 'connectionArn' failed to satisfy constraint: Member " +
            `must satisfy regular expression pattern: ${CONN_ARN_PATTERN}`);
    });
});

/* --------------------------------------------------------------- existence */

describe('existence', () => {
    test('unknown ConnectionArn on create and update', async () => {
        await expectError(createDest({
            Name: 'ex-ghost', ConnectionArn: UNKNOWN_CONN_ARN, HttpMethod: 'POST',
            InvocationEndpoint: 'https://example.com/api',
        }), 'ResourceNotFoundException', connNotFound('ghost-conn'));
        await expectError(describeDest('ex-ghost'), 'ResourceNotFoundException', destNotFound('ex-ghost'));

        const arn = await basicConnection('ex-real-conn');
        await createDest({
            Name: 'ex-real', ConnectionArn: arn, HttpMethod: 'POST', InvocationEndpoint: 'https://example.com/api',
        });
        await expectError(updateDest({ Name: 'ex-real', ConnectionArn: UNKNOWN_CONN_ARN }),
            'ResourceNotFoundException', connNotFound('ghost-conn'));
        assert.equal((await describeDest('ex-real')).ConnectionArn, arn);
    });

    test('duplicate name', async () => {
        const arn = await basicConnection('ex-dup-conn');
        const input = {
            Name: 'ex-dup', ConnectionArn: arn, HttpMethod: 'POST', InvocationEndpoint: 'https://example.com/api',
        };
        await createDest(input);
        await expectError(createDest(input), 'ResourceAlreadyExistsException',
            "An api-destination 'ex-dup' already exists.");
    });

    test('Describe/Update/Delete of an unknown name', async () => {
        const n = 'ex-nothing';
        await expectError(describeDest(n), 'ResourceNotFoundException', destNotFound(n));
        await expectError(updateDest({ Name: n, Description: 'x' }), 'ResourceNotFoundException', destNotFound(n));
        await expectError(deleteDest(n), 'ResourceNotFoundException', destNotFound(n));
    });
});

/* ------------------------------------------------------------------ update */

describe('UpdateApiDestination', () => {
    test('partial update keeps the other members; explicit rate echoed', async () => {
        const arn = await basicConnection('upd-conn');
        const c = await createDest({
            Name: 'upd-dest', ConnectionArn: arn, HttpMethod: 'GET',
            InvocationEndpoint: 'https://example.com/a', InvocationRateLimitPerSecond: 10,
            Description: 'first',
        });
        assert.equal(c.ApiDestinationState, 'ACTIVE');
        assert.equal((await describeDest('upd-dest')).InvocationRateLimitPerSecond, 10);
        const u = await updateDest({ Name: 'upd-dest', InvocationRateLimitPerSecond: 25 });
        assert.deepEqual(members(u), CREATE_MEMBERS);
        const d = await describeDest('upd-dest');
        assert.deepEqual({ ...body(d), CreationTime: 0, LastModifiedTime: 0 }, {
            ApiDestinationArn: c.ApiDestinationArn,
            ApiDestinationState: 'ACTIVE',
            ConnectionArn: arn,
            CreationTime: 0,
            Description: 'first',
            HttpMethod: 'GET',
            InvocationEndpoint: 'https://example.com/a',
            InvocationRateLimitPerSecond: 25,
            LastModifiedTime: 0,
            Name: 'upd-dest',
        });
    });

    test('changing ConnectionArn re-derives the state', async () => {
        const oauth = await oauthConnection('upd-oauth-conn');
        const basic = await basicConnection('upd-basic-conn');
        const c = await createDest({
            Name: 'upd-switch', ConnectionArn: oauth, HttpMethod: 'POST', InvocationEndpoint: 'https://example.com/api',
        });
        assert.equal(c.ApiDestinationState, 'INACTIVE');
        const u1 = await updateDest({ Name: 'upd-switch', ConnectionArn: basic });
        assert.equal(u1.ApiDestinationState, 'ACTIVE');
        assert.equal((await describeDest('upd-switch')).ConnectionArn, basic);
        const u2 = await updateDest({ Name: 'upd-switch', ConnectionArn: oauth });
        assert.equal(u2.ApiDestinationState, 'INACTIVE');
    });
});

/* ------------------------------------------------------------- state rule */

describe('state follows the connection', () => {
    test('INACTIVE after the connection is deauthorized', async () => {
        const arn = await basicConnection('st-deauth-conn');
        const c = await createDest({
            Name: 'st-deauth', ConnectionArn: arn, HttpMethod: 'POST', InvocationEndpoint: 'https://example.com/api',
        });
        assert.equal(c.ApiDestinationState, 'ACTIVE');
        await send(new DeauthorizeConnectionCommand({ Name: 'st-deauth-conn' }));
        await eventually(async () => {
            assert.equal((await describeDest('st-deauth')).ApiDestinationState, 'INACTIVE');
        });
        const l = await listDest({ NamePrefix: 'st-deauth' });
        assert.deepEqual(l.ApiDestinations.map((e) => e.ApiDestinationState), ['INACTIVE']);

        /* re-authorizing with new credentials makes it usable again */
        await send(new UpdateConnectionCommand({
            Name: 'st-deauth-conn',
            AuthorizationType: 'BASIC',
            AuthParameters: { BasicAuthParameters: { Username: 'again', Password: 'again-pw' } },
        }));
        await eventually(async () => {
            const conn = await send(new DescribeConnectionCommand({ Name: 'st-deauth-conn' }));
            assert.equal(conn.ConnectionState, 'AUTHORIZED');
            assert.equal((await describeDest('st-deauth')).ApiDestinationState, 'ACTIVE');
        });
    });

    test('INACTIVE after the connection is deleted', async () => {
        const arn = await basicConnection('st-del-conn');
        await createDest({
            Name: 'st-del', ConnectionArn: arn, HttpMethod: 'POST', InvocationEndpoint: 'https://example.com/api',
        });
        await send(new DeleteConnectionCommand({ Name: 'st-del-conn' }));
        await eventually(async () => {
            const d = await describeDest('st-del');
            assert.equal(d.ApiDestinationState, 'INACTIVE');
            assert.equal(d.ConnectionArn, arn);
        });
    });
});

/* -------------------------------------------------------------------- list */

describe('ListApiDestinations', () => {
    let connA;
    let connB;
    const namesA = ['ld-a1', 'ld-a2', 'ld-a3'];
    const namesB = ['ld-b1', 'ld-b2'];
    before(async () => {
        connA = await basicConnection('ld-conn-a');
        connB = await basicConnection('ld-conn-b');
        for (const [names, arn] of [[namesB, connB], [namesA, connA]]) {
            for (const n of [...names].reverse()) {
                await createDest({
                    Name: n, ConnectionArn: arn, HttpMethod: 'POST', InvocationEndpoint: 'https://example.com/api',
                });
            }
        }
    });

    test('NamePrefix', async () => {
        const r = await listDest({ NamePrefix: 'ld-a' });
        assert.deepEqual(r.ApiDestinations.map((e) => e.Name), namesA);
        assert.equal('NextToken' in r, false);
        assert.deepEqual(body(await listDest({ NamePrefix: 'ld-zz' })), { ApiDestinations: [] });
    });

    test('ConnectionArn filter', async () => {
        const r = await listDest({ ConnectionArn: connB });
        assert.deepEqual(r.ApiDestinations.map((e) => e.Name), namesB);
        for (const e of r.ApiDestinations)
            assert.equal(e.ConnectionArn, connB);
        const both = await listDest({ NamePrefix: 'ld-a', ConnectionArn: connB });
        assert.deepEqual(both.ApiDestinations, []);
    });

    test('Limit + NextToken pagination', async () => {
        const pages = await allPages((i) => listDest(i), { NamePrefix: 'ld-', Limit: 2 }, 'ApiDestinations');
        assert.deepEqual(pages.map((p) => p.ApiDestinations.length), [2, 2, 1]);
        assert.equal('NextToken' in pages[2], false);
        assert.deepEqual(pages.flatMap((p) => p.ApiDestinations.map((e) => e.Name)), [...namesA, ...namesB]);
        for (const p of pages) {
            for (const e of p.ApiDestinations)
                assert.deepEqual(members(e), LIST_ENTRY_MEMBERS);
        }
    });

    test('garbage NextToken', async () => {
        await expectError(listDest({ NextToken: 'garbage' }), 'ValidationException', 'Invalid NextToken.');
    });
});

/* -------------------------------------------------------------------- tags */

describe('tags on connections and API destinations', () => {
    const tags = (arn) => send(new ListTagsForResourceCommand({ ResourceARN: arn }));
    const sorted = (t) => [...t].sort((a, b) => a.Key.localeCompare(b.Key));

    async function roundTrip(arn) {
        const t0 = await tags(arn);
        assert.deepEqual(members(t0), ['Tags']);
        assert.deepEqual(t0.Tags, []);

        const r = await send(new TagResourceCommand({
            ResourceARN: arn, Tags: [{ Key: 'env', Value: 'test' }, { Key: 'team', Value: 'a' }],
        }));
        assert.deepEqual(body(r), {});
        assert.deepEqual(sorted((await tags(arn)).Tags),
            [{ Key: 'env', Value: 'test' }, { Key: 'team', Value: 'a' }]);

        await send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'team', Value: 'b' }] }));
        assert.deepEqual(sorted((await tags(arn)).Tags),
            [{ Key: 'env', Value: 'test' }, { Key: 'team', Value: 'b' }]);

        const u = await send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['env', 'missing'] }));
        assert.deepEqual(body(u), {});
        assert.deepEqual((await tags(arn)).Tags, [{ Key: 'team', Value: 'b' }]);
    }

    test('connection ARN', async () => {
        await roundTrip(await basicConnection('tag-conn'));
    });

    test('API destination ARN', async () => {
        const arn = await basicConnection('tag-dest-conn');
        const d = await createDest({
            Name: 'tag-dest', ConnectionArn: arn, HttpMethod: 'POST', InvocationEndpoint: 'https://example.com/api',
        });
        await roundTrip(d.ApiDestinationArn);
    });

    test('unknown connection / API destination ARN -> ResourceNotFoundException', async () => {
        const ghostDest =
            'arn:aws:events:us-east-1:000000000000:api-destination/ghost-dest/0f0e0d0c-0b0a-4909-8807-060504030201';
        for (const arn of [UNKNOWN_CONN_ARN, ghostDest]) {
            await expectError(tags(arn), 'ResourceNotFoundException', /./);
            await expectError(send(new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'k', Value: 'v' }] })),
                'ResourceNotFoundException', /./);
            await expectError(send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['k'] })),
                'ResourceNotFoundException', /./);
        }
    });

    test('tags do not survive delete + re-create', async () => {
        const arn = await basicConnection('tag-recreate-conn');
        const d = await createDest({
            Name: 'tag-recreate', ConnectionArn: arn, HttpMethod: 'POST', InvocationEndpoint: 'https://example.com/api',
        });
        await send(new TagResourceCommand({ ResourceARN: d.ApiDestinationArn, Tags: [{ Key: 'k', Value: 'v' }] }));
        await deleteDest('tag-recreate');
        const d2 = await createDest({
            Name: 'tag-recreate', ConnectionArn: arn, HttpMethod: 'POST', InvocationEndpoint: 'https://example.com/api',
        });
        assert.notEqual(d2.ApiDestinationArn, d.ApiDestinationArn);
        assert.deepEqual((await tags(d2.ApiDestinationArn)).Tags, []);
    });
});

/* ---------------------------------------------------------- http endpoints */

test('http:// InvocationEndpoint accepted with --allow-http-endpoints', async () => {
    const arn = await basicConnection('http-ok-conn');
    const c = await createDest({
        Name: 'http-ok', ConnectionArn: arn, HttpMethod: 'POST', InvocationEndpoint: 'http://127.0.0.1:9/api',
    });
    assert.equal(c.ApiDestinationState, 'ACTIVE');
    assert.equal((await describeDest('http-ok')).InvocationEndpoint, 'http://127.0.0.1:9/api');
});

describe('server without --allow-http-endpoints', () => {
    let srv2;
    let eb2;
    before(async () => {
        srv2 = await startServer({ allowHttp: false });
        eb2 = srv2.eventbridge();
    });
    after(async () => {
        await srv2?.stop();
    });

    const AUTH_MSG = 'Parameter AuthorizationEndpoint is not valid. Reason: The endpoint must use HTTPS.';
    const INV_MSG = 'Parameter InvocationEndpoint is not valid. Reason: The endpoint must use HTTPS.';

    test('http:// AuthorizationEndpoint rejected on create and update', async () => {
        const oauth = (endpoint) => ({
            OAuthParameters: {
                AuthorizationEndpoint: endpoint,
                HttpMethod: 'POST',
                ClientParameters: { ClientID: 'id', ClientSecret: 'cs' },
            },
        });
        await expectError(eb2.send(new CreateConnectionCommand({
            Name: 'https-only-oauth', AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
            AuthParameters: oauth(`http://127.0.0.1:${hole.port}/token`),
        })), 'ValidationException', AUTH_MSG);
        await expectError(eb2.send(new DescribeConnectionCommand({ Name: 'https-only-oauth' })),
            'ResourceNotFoundException', connNotFound('https-only-oauth'));

        await eb2.send(new CreateConnectionCommand({
            Name: 'https-only-oauth', AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
            AuthParameters: oauth(hole.url('/token')),
        }));
        await expectError(eb2.send(new UpdateConnectionCommand({
            Name: 'https-only-oauth', AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
            AuthParameters: oauth(`http://127.0.0.1:${hole.port}/token`),
        })), 'ValidationException', AUTH_MSG);
    });

    test('http:// InvocationEndpoint rejected on create and update', async () => {
        const conn = await eb2.send(new CreateConnectionCommand({
            Name: 'https-only-basic', ...auths()[0],
        }));
        await expectError(eb2.send(new CreateApiDestinationCommand({
            Name: 'https-only-dest', ConnectionArn: conn.ConnectionArn, HttpMethod: 'POST',
            InvocationEndpoint: 'http://127.0.0.1:9/api',
        })), 'ValidationException', INV_MSG);

        await eb2.send(new CreateApiDestinationCommand({
            Name: 'https-only-dest', ConnectionArn: conn.ConnectionArn, HttpMethod: 'POST',
            InvocationEndpoint: 'https://example.com/api',
        }));
        await expectError(eb2.send(new UpdateApiDestinationCommand({
            Name: 'https-only-dest', InvocationEndpoint: 'http://127.0.0.1:9/api',
        })), 'ValidationException', INV_MSG);
        const d = await eb2.send(new DescribeApiDestinationCommand({ Name: 'https-only-dest' }));
        assert.equal(d.InvocationEndpoint, 'https://example.com/api');
    });
});
