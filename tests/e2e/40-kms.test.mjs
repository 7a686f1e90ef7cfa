/*
 * 40-kms.test.mjs - the built-in KMS (TrentService) with @aws-sdk/client-kms:
 * keys and their states, aliases, key policies (parse errors, the lockout
 * check, enforcement on every call), tags, Encrypt / Decrypt /
 * GenerateDataKey(WithoutPlaintext) / ReEncrypt, error names and texts, and
 * persistence across a restart. Expected texts: spec/kms-secrets.md §4 and
 * issue 4 (AWS KMS's own messages where recorded, evbridge decisions else).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { CreateConnectionCommand } from '@aws-sdk/client-eventbridge';
import {
    CancelKeyDeletionCommand,
    CreateAliasCommand,
    CreateKeyCommand,
    DecryptCommand,
    DeleteAliasCommand,
    DescribeKeyCommand,
    DisableKeyCommand,
    EnableKeyCommand,
    EncryptCommand,
    GenerateDataKeyCommand,
    GenerateDataKeyWithoutPlaintextCommand,
    GetKeyPolicyCommand,
    ListAliasesCommand,
    ListKeyPoliciesCommand,
    ListKeysCommand,
    ListResourceTagsCommand,
    PutKeyPolicyCommand,
    ReEncryptCommand,
    ScheduleKeyDeletionCommand,
    TagResourceCommand,
    UntagResourceCommand,
    UpdateAliasCommand,
} from '@aws-sdk/client-kms';

import {
    ACCOUNT,
    REGION,
    UUID_RE,
    assertRecent,
    expectError,
    members,
    startServer,
} from './lib/server.mjs';

let srv;
let kmsClient;

/* Every customer key this file creates on `srv` (ListKeys must show exactly these). */
const CREATED = new Set();

before(async () => {
    srv = await startServer();
    kmsClient = srv.kms();
});

after(async () => {
    await srv?.stop();
});

const send = (Cmd, input = {}) => kmsClient.send(new Cmd(input));

const ROOT = `arn:aws:iam::${ACCOUNT}:root`;
const keyArn = (id) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${id}`;
const aliasArn = (name) => `arn:aws:kms:${REGION}:${ACCOUNT}:${name}`;

const METADATA_MEMBERS = ['AWSAccountId', 'Arn', 'CreationDate', 'CustomerMasterKeySpec', 'Description',
    'EncryptionAlgorithms', 'Enabled', 'KeyId', 'KeyManager', 'KeySpec', 'KeyState', 'KeyUsage',
    'MultiRegion', 'Origin'].sort();
const PENDING_MEMBERS = [...METADATA_MEMBERS, 'DeletionDate', 'PendingDeletionWindowInDays'].sort();

const UNSUPPORTED = 'evbridge supports only symmetric encryption keys (KeySpec SYMMETRIC_DEFAULT, ' +
    'KeyUsage ENCRYPT_DECRYPT).';
const LOCKOUT = 'The new key policy will not allow you to update the key policy in the future.';
const INCORRECT_KEY = 'The key ID in the request does not identify a CMK that can perform this operation.';

/*
 * InvalidCiphertextException carries an EMPTY message on the wire (checked
 * raw below); the SDK reports an empty message as 'UnknownError'.
 */
const expectBadCiphertext = (promise) =>
    expectError(promise, 'InvalidCiphertextException', /^(|UnknownError)$/);

const enc = (s) => new TextEncoder().encode(s);
const dec = (b) => Buffer.from(b).toString('utf8');

async function createKey(input = {}) {
    const r = await send(CreateKeyCommand, input);
    CREATED.add(r.KeyMetadata.KeyId);
    return r.KeyMetadata;
}

function policy(...statements) {
    return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

const ALLOW_ROOT_ALL = {
    Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*',
};

function checkMetadata(m, { t0, description = '', state = 'Enabled', multiRegion = false } = {}) {
    assert.deepEqual(Object.keys(m).sort(), state === 'PendingDeletion' ? PENDING_MEMBERS : METADATA_MEMBERS);
    assert.equal(m.AWSAccountId, ACCOUNT);
    if (multiRegion)
        assert.match(m.KeyId, /^mrk-[0-9a-f]{32}$/);
    else
        assert.match(m.KeyId, UUID_RE);
    assert.equal(m.Arn, keyArn(m.KeyId));
    if (t0 !== undefined)
        assertRecent(m.CreationDate, t0, 'CreationDate');
    assert.equal(m.Enabled, state === 'Enabled');
    assert.equal(m.Description, description);
    assert.equal(m.KeyUsage, 'ENCRYPT_DECRYPT');
    assert.equal(m.KeyState, state);
    assert.equal(m.Origin, 'AWS_KMS');
    assert.equal(m.KeyManager, 'CUSTOMER');
    assert.equal(m.CustomerMasterKeySpec, 'SYMMETRIC_DEFAULT');
    assert.equal(m.KeySpec, 'SYMMETRIC_DEFAULT');
    assert.deepEqual(m.EncryptionAlgorithms, ['SYMMETRIC_DEFAULT']);
    assert.equal(m.MultiRegion, multiRegion);
}

/* ---------------------------------------------------------------- CreateKey */

describe('CreateKey / DescribeKey', () => {
    test('defaults: KeyMetadata members and values', async () => {
        const t0 = Date.now();
        const r = await send(CreateKeyCommand, {});
        CREATED.add(r.KeyMetadata.KeyId);
        assert.deepEqual(members(r), ['KeyMetadata']);
        assert.equal(r.$metadata.httpStatusCode, 200);
        checkMetadata(r.KeyMetadata, { t0 });

        const d = await send(DescribeKeyCommand, { KeyId: r.KeyMetadata.KeyId });
        assert.deepEqual(members(d), ['KeyMetadata']);
        checkMetadata(d.KeyMetadata, { t0 });
        assert.equal(d.KeyMetadata.KeyId, r.KeyMetadata.KeyId);
        assert.equal(d.KeyMetadata.CreationDate.getTime(), r.KeyMetadata.CreationDate.getTime());
    });

    test('explicit SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT / AWS_KMS, Description, Tags', async () => {
        const t0 = Date.now();
        const m = await createKey({
            KeySpec: 'SYMMETRIC_DEFAULT', CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
            KeyUsage: 'ENCRYPT_DECRYPT', Origin: 'AWS_KMS', Description: 'my key',
            Tags: [{ TagKey: 'team', TagValue: 'blue' }, { TagKey: 'empty', TagValue: '' }],
        });
        checkMetadata(m, { t0, description: 'my key' });
        const t = await send(ListResourceTagsCommand, { KeyId: m.KeyId });
        assert.deepEqual(members(t), ['Tags', 'Truncated']);
        assert.deepEqual([...t.Tags].sort((a, b) => a.TagKey.localeCompare(b.TagKey)),
            [{ TagKey: 'empty', TagValue: '' }, { TagKey: 'team', TagValue: 'blue' }]);
        assert.equal(t.Truncated, false);
    });

    test('MultiRegion -> KeyId mrk-<32 hex>', async () => {
        const m = await createKey({ MultiRegion: true });
        assert.match(m.KeyId, /^mrk-[0-9a-f]{32}$/);
        assert.equal(m.Arn, keyArn(m.KeyId));
        assert.equal(m.MultiRegion, true);
        const d = await send(DescribeKeyCommand, { KeyId: m.KeyId });
        assert.equal(d.KeyMetadata.KeyId, m.KeyId);
        assert.equal(d.KeyMetadata.MultiRegion, true);
        /* an mrk- key works for crypto */
        const e = await send(EncryptCommand, { KeyId: m.KeyId, Plaintext: enc('mrk data') });
        const p = await send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob });
        assert.equal(dec(p.Plaintext), 'mrk data');
        assert.equal(p.KeyId, m.Arn);
    });

    for (const [what, input] of [
        ['KeySpec RSA_2048', { KeySpec: 'RSA_2048' }],
        ['KeySpec HMAC_256', { KeySpec: 'HMAC_256' }],
        ['CustomerMasterKeySpec ECC_NIST_P256', { CustomerMasterKeySpec: 'ECC_NIST_P256' }],
        ['KeyUsage SIGN_VERIFY', { KeyUsage: 'SIGN_VERIFY' }],
        ['KeyUsage GENERATE_VERIFY_MAC', { KeyUsage: 'GENERATE_VERIFY_MAC' }],
    ]) {
        test(`unsupported ${what} -> UnsupportedOperationException`, async () => {
            await expectError(send(CreateKeyCommand, input), 'UnsupportedOperationException', UNSUPPORTED);
        });
    }

    /* the brief gives the symmetric-key text for "anything else"; evbridge words Origin separately */
    test('unsupported Origin EXTERNAL / AWS_CLOUDHSM -> UnsupportedOperationException', async () => {
        for (const Origin of ['EXTERNAL', 'AWS_CLOUDHSM'])
            await expectError(send(CreateKeyCommand, { Origin }), 'UnsupportedOperationException',
                /^(evbridge supports only symmetric encryption keys \(KeySpec SYMMETRIC_DEFAULT, KeyUsage ENCRYPT_DECRYPT\)\.|evbridge supports only keys with Origin AWS_KMS\.)$/);
    });

    test('aws: tag prefix -> TagException (CreateKey and TagResource)', async () => {
        const before = await allKeyIds();
        await expectError(send(CreateKeyCommand, { Tags: [{ TagKey: 'aws:foo', TagValue: 'x' }] }),
            'TagException', 'Tags beginning with aws: are reserved.');
        assert.deepEqual(await allKeyIds(), before, 'a key was created despite the TagException');
        const m = await createKey();
        await expectError(send(TagResourceCommand, { KeyId: m.KeyId, Tags: [{ TagKey: 'aws:x', TagValue: 'y' }] }),
            'TagException', 'Tags beginning with aws: are reserved.');
    });

    test('DescribeKey by id, key ARN, alias name and alias ARN', async () => {
        const m = await createKey({ Description: 'by-all-names' });
        await send(CreateAliasCommand, { AliasName: 'alias/describe-me', TargetKeyId: m.KeyId });
        for (const id of [m.KeyId, m.Arn, 'alias/describe-me', aliasArn('alias/describe-me')]) {
            const d = await send(DescribeKeyCommand, { KeyId: id });
            assert.equal(d.KeyMetadata.KeyId, m.KeyId, id);
            assert.equal(d.KeyMetadata.Arn, m.Arn, id);
            assert.equal(d.KeyMetadata.Description, 'by-all-names', id);
        }
    });
});

/* ------------------------------------------------------------- not found */

describe('key identifiers that name nothing', () => {
    const unknown = crypto.randomUUID();
    const cases = [
        ['unknown key id', unknown, `Key '${keyArn(unknown)}' does not exist`],
        ['unknown key ARN', keyArn(unknown), `Key '${keyArn(unknown)}' does not exist`],
        ['malformed key id', 'not-a-key', "Invalid keyId 'not-a-key'"],
        ['key ARN in another region', `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${unknown}`, 'Invalid arn eu-west-1'],
        ['unknown alias name', 'alias/nope', `Alias ${aliasArn('alias/nope')} is not found.`],
        ['unknown alias ARN', aliasArn('alias/nope2'), `Alias ${aliasArn('alias/nope2')} is not found.`],
    ];
    for (const [what, id, msg] of cases) {
        test(`${what}: DescribeKey and Encrypt -> NotFoundException`, async () => {
            await expectError(send(DescribeKeyCommand, { KeyId: id }), 'NotFoundException', msg);
            await expectError(send(EncryptCommand, { KeyId: id, Plaintext: enc('x') }), 'NotFoundException', msg);
        });
    }

    test('a well-formed but unknown key id on the other key operations -> NotFoundException', async () => {
        const msg = `Key '${keyArn(unknown)}' does not exist`;
        for (const [Cmd, input] of [
            [EnableKeyCommand, {}], [DisableKeyCommand, {}], [ScheduleKeyDeletionCommand, {}],
            [CancelKeyDeletionCommand, {}], [GetKeyPolicyCommand, {}], [ListKeyPoliciesCommand, {}],
            [ListResourceTagsCommand, {}], [TagResourceCommand, { Tags: [{ TagKey: 'a', TagValue: 'b' }] }],
            [UntagResourceCommand, { TagKeys: ['a'] }], [GenerateDataKeyCommand, { KeySpec: 'AES_256' }],
        ])
            await expectError(send(Cmd, { KeyId: unknown, ...input }), 'NotFoundException', msg);
    });
});

/* -------------------------------------------------------------- ListKeys */

async function allKeyIds() {
    const ids = [];
    let Marker;
    for (let i = 0; i < 100; i++) {
        const r = await send(ListKeysCommand, { Limit: 3, ...(Marker ? { Marker } : {}) });
        ids.push(...r.Keys.map((k) => k.KeyId));
        if (!r.Truncated)
            return ids.sort();
        Marker = r.NextMarker;
    }
    throw new Error('ListKeys paging did not terminate');
}

describe('ListKeys', () => {
    test('Limit/Marker paging returns exactly the customer keys, each once', async () => {
        /* a connection makes the server create (or use) its built-in key; it is not listed */
        await srv.eventbridge().send(new CreateConnectionCommand({
            Name: 'kms-list-conn', AuthorizationType: 'BASIC',
            AuthParameters: { BasicAuthParameters: { Username: 'u', Password: 'kms-list-pw' } },
        }));
        for (let i = 0; i < 4; i++)
            await createKey({ Description: `list-${i}` });

        const first = await send(ListKeysCommand, { Limit: 2 });
        assert.deepEqual(members(first), ['Keys', 'NextMarker', 'Truncated']);
        assert.equal(first.Keys.length, 2);
        assert.equal(first.Truncated, true);
        assert.equal(typeof first.NextMarker, 'string');
        for (const k of first.Keys) {
            assert.deepEqual(Object.keys(k).sort(), ['KeyArn', 'KeyId']);
            assert.equal(k.KeyArn, keyArn(k.KeyId));
        }

        const ids = await allKeyIds();
        assert.equal(new Set(ids).size, ids.length, `duplicates across pages: ${ids}`);
        assert.deepEqual(ids, [...CREATED].sort());

        const everything = await send(ListKeysCommand, {});
        assert.equal(everything.Truncated, false);
        assert.equal('NextMarker' in everything, false);
        assert.deepEqual(everything.Keys.map((k) => k.KeyId).sort(), [...CREATED].sort());
    });
});

/* ------------------------------------------------------- states, deletion */

describe('key states', () => {
    test('DisableKey / EnableKey: state, Encrypt -> DisabledException, Decrypt too', async () => {
        const m = await createKey();
        const e = await send(EncryptCommand, { KeyId: m.KeyId, Plaintext: enc('before disable') });
        const r = await send(DisableKeyCommand, { KeyId: m.KeyId });
        assert.deepEqual(members(r), []);
        checkMetadata((await send(DescribeKeyCommand, { KeyId: m.KeyId })).KeyMetadata, { state: 'Disabled' });
        await expectError(send(EncryptCommand, { KeyId: m.KeyId, Plaintext: enc('x') }),
            'DisabledException', `${m.Arn} is disabled.`);
        await expectError(send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob }),
            'DisabledException', `${m.Arn} is disabled.`);
        await expectError(send(GenerateDataKeyCommand, { KeyId: m.KeyId, KeySpec: 'AES_256' }),
            'DisabledException', `${m.Arn} is disabled.`);
        /* disabling twice is fine */
        await send(DisableKeyCommand, { KeyId: m.KeyId });
        await send(EnableKeyCommand, { KeyId: m.KeyId });
        checkMetadata((await send(DescribeKeyCommand, { KeyId: m.KeyId })).KeyMetadata);
        const p = await send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob });
        assert.equal(dec(p.Plaintext), 'before disable');
    });

    test('ScheduleKeyDeletion: PendingWindowInDays outside 7..30 -> ValidationException', async () => {
        const m = await createKey();
        await expectError(send(ScheduleKeyDeletionCommand, { KeyId: m.KeyId, PendingWindowInDays: 5 }),
            'ValidationException', "1 validation error detected: Value '5' at 'pendingWindowInDays' failed " +
            'to satisfy constraint: Member must have value greater than or equal to 7');
        await expectError(send(ScheduleKeyDeletionCommand, { KeyId: m.KeyId, PendingWindowInDays: 31 }),
            'ValidationException', "1 validation error detected: Value '31' at 'pendingWindowInDays' failed " +
            'to satisfy constraint: Member must have value less than or equal to 30');
        assert.equal((await send(DescribeKeyCommand, { KeyId: m.KeyId })).KeyMetadata.KeyState, 'Enabled');
    });

    test('ScheduleKeyDeletion default window 30 days', async () => {
        const m = await createKey();
        const t0 = Date.now();
        const r = await send(ScheduleKeyDeletionCommand, { KeyId: m.KeyId });
        assert.deepEqual(members(r), ['DeletionDate', 'KeyId', 'KeyState', 'PendingWindowInDays']);
        assert.equal(r.KeyId, m.Arn);
        assert.equal(r.KeyState, 'PendingDeletion');
        assert.equal(r.PendingWindowInDays, 30);
        const want = t0 + 30 * 86400000;
        assert.ok(Math.abs(r.DeletionDate.getTime() - want) < 10000,
            `DeletionDate ${r.DeletionDate.toISOString()} is not now+30d`);
    });

    test('ScheduleKeyDeletion 7 days: PendingDeletion metadata, crypto and EnableKey refused, Cancel -> Disabled',
        async () => {
            const m = await createKey({ Description: 'doomed' });
            const e = await send(EncryptCommand, { KeyId: m.KeyId, Plaintext: enc('doomed data') });
            const t0 = Date.now();
            const r = await send(ScheduleKeyDeletionCommand, { KeyId: m.KeyId, PendingWindowInDays: 7 });
            assert.equal(r.KeyId, m.Arn);
            assert.equal(r.KeyState, 'PendingDeletion');
            assert.equal(r.PendingWindowInDays, 7);
            const want = t0 + 7 * 86400000;
            assert.ok(Math.abs(r.DeletionDate.getTime() - want) < 10000,
                `DeletionDate ${r.DeletionDate.toISOString()} is not now+7d`);

            const d = (await send(DescribeKeyCommand, { KeyId: m.KeyId })).KeyMetadata;
            checkMetadata(d, { state: 'PendingDeletion', description: 'doomed' });
            assert.equal(d.DeletionDate.getTime(), r.DeletionDate.getTime());
            assert.equal(d.PendingDeletionWindowInDays, 7);

            const pending = `${m.Arn} is pending deletion.`;
            await expectError(send(EncryptCommand, { KeyId: m.KeyId, Plaintext: enc('x') }),
                'KMSInvalidStateException', pending);
            await expectError(send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob }),
                'KMSInvalidStateException', pending);
            await expectError(send(EnableKeyCommand, { KeyId: m.KeyId }), 'KMSInvalidStateException', pending);
            await expectError(send(DisableKeyCommand, { KeyId: m.KeyId }), 'KMSInvalidStateException', pending);
            await expectError(send(ScheduleKeyDeletionCommand, { KeyId: m.KeyId, PendingWindowInDays: 7 }),
                'KMSInvalidStateException', pending);
            /* still listed while pending */
            assert.ok((await allKeyIds()).includes(m.KeyId));

            const c = await send(CancelKeyDeletionCommand, { KeyId: m.KeyId });
            assert.deepEqual(members(c), ['KeyId']);
            assert.equal(c.KeyId, m.Arn);
            checkMetadata((await send(DescribeKeyCommand, { KeyId: m.KeyId })).KeyMetadata,
                { state: 'Disabled', description: 'doomed' });
            await expectError(send(CancelKeyDeletionCommand, { KeyId: m.KeyId }),
                'KMSInvalidStateException', `${m.Arn} is not pending deletion.`);
            await send(EnableKeyCommand, { KeyId: m.KeyId });
            assert.equal(dec((await send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob })).Plaintext),
                'doomed data');
        });
});

/* ---------------------------------------------------------------- aliases */

describe('aliases', () => {
    test('CreateAlias name rules, duplicate, UpdateAlias, ListAliases, DeleteAlias', async () => {
        const a = await createKey();
        const b = await createKey();
        await expectError(send(CreateAliasCommand, { AliasName: 'no-prefix', TargetKeyId: a.KeyId }),
            'ValidationException', 'Alias must start with the prefix "alias/". Please see ' +
            'https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
        await expectError(send(CreateAliasCommand, { AliasName: 'alias/aws/mine', TargetKeyId: a.KeyId }),
            'InvalidAliasNameException', 'Alias names starting with alias/aws/ are reserved for AWS managed keys.');

        const t0 = Date.now();
        const cr = await send(CreateAliasCommand, { AliasName: 'alias/app/one', TargetKeyId: a.Arn });
        assert.deepEqual(members(cr), []);
        await expectError(send(CreateAliasCommand, { AliasName: 'alias/app/one', TargetKeyId: b.KeyId }),
            'AlreadyExistsException', `An alias with the name ${aliasArn('alias/app/one')} already exists`);
        await send(CreateAliasCommand, { AliasName: 'alias/app/two', TargetKeyId: a.KeyId });
        await send(CreateAliasCommand, { AliasName: 'alias/app/three', TargetKeyId: b.KeyId });

        const la = await send(ListAliasesCommand, { KeyId: a.KeyId });
        assert.deepEqual(members(la), ['Aliases', 'Truncated']);
        assert.equal(la.Truncated, false);
        assert.deepEqual(la.Aliases.map((x) => x.AliasName).sort(), ['alias/app/one', 'alias/app/two']);
        for (const e of la.Aliases) {
            assert.deepEqual(Object.keys(e).sort(),
                ['AliasArn', 'AliasName', 'CreationDate', 'LastUpdatedDate', 'TargetKeyId']);
            assert.equal(e.AliasArn, aliasArn(e.AliasName));
            assert.equal(e.TargetKeyId, a.KeyId);
            assertRecent(e.CreationDate, t0, 'CreationDate');
            assertRecent(e.LastUpdatedDate, t0, 'LastUpdatedDate');
        }
        const lb = await send(ListAliasesCommand, { KeyId: b.Arn });
        assert.deepEqual(lb.Aliases.map((x) => x.AliasName), ['alias/app/three']);
        const all = await send(ListAliasesCommand, {});
        const names = all.Aliases.map((x) => x.AliasName);
        for (const n of ['alias/app/one', 'alias/app/two', 'alias/app/three'])
            assert.ok(names.includes(n), `${n} missing from ListAliases: ${names}`);

        /* UpdateAlias moves it to b */
        const up = await send(UpdateAliasCommand, { AliasName: 'alias/app/one', TargetKeyId: b.KeyId });
        assert.deepEqual(members(up), []);
        assert.equal((await send(DescribeKeyCommand, { KeyId: 'alias/app/one' })).KeyMetadata.KeyId, b.KeyId);
        assert.deepEqual((await send(ListAliasesCommand, { KeyId: b.KeyId })).Aliases.map((x) => x.AliasName)
            .sort(), ['alias/app/one', 'alias/app/three']);
        await expectError(send(UpdateAliasCommand, { AliasName: 'alias/app/missing', TargetKeyId: b.KeyId }),
            'NotFoundException', `Alias ${aliasArn('alias/app/missing')} is not found.`);

        /* Encrypt through an alias names the key ARN */
        const e = await send(EncryptCommand, { KeyId: 'alias/app/one', Plaintext: enc('via alias') });
        assert.equal(e.KeyId, b.Arn);

        const del = await send(DeleteAliasCommand, { AliasName: 'alias/app/one' });
        assert.deepEqual(members(del), []);
        await expectError(send(DeleteAliasCommand, { AliasName: 'alias/app/one' }),
            'NotFoundException', `Alias ${aliasArn('alias/app/one')} is not found.`);
        await expectError(send(DescribeKeyCommand, { KeyId: 'alias/app/one' }),
            'NotFoundException', `Alias ${aliasArn('alias/app/one')} is not found.`);
        /* the name is free again */
        await send(CreateAliasCommand, { AliasName: 'alias/app/one', TargetKeyId: a.KeyId });
    });

    test('CreateAlias to an unknown key -> NotFoundException', async () => {
        const id = crypto.randomUUID();
        await expectError(send(CreateAliasCommand, { AliasName: 'alias/orphan', TargetKeyId: id }),
            'NotFoundException', `Key '${keyArn(id)}' does not exist`);
        await expectError(send(DescribeKeyCommand, { KeyId: 'alias/orphan' }),
            'NotFoundException', `Alias ${aliasArn('alias/orphan')} is not found.`);
    });
});

/* ----------------------------------------------------------- key policies */

describe('key policies', () => {
    test('default policy, ListKeyPolicies, PolicyName other than default', async () => {
        const m = await createKey();
        const g = await send(GetKeyPolicyCommand, { KeyId: m.KeyId, PolicyName: 'default' });
        const doc = JSON.parse(g.Policy);
        assert.equal(doc.Version, '2012-10-17');
        assert.deepEqual(doc.Statement, [{
            Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: ROOT },
            Action: 'kms:*', Resource: '*',
        }]);
        if ('PolicyName' in g)
            assert.equal(g.PolicyName, 'default');
        /* PolicyName may be omitted */
        assert.equal((await send(GetKeyPolicyCommand, { KeyId: m.KeyId })).Policy, g.Policy);

        const l = await send(ListKeyPoliciesCommand, { KeyId: m.KeyId });
        assert.deepEqual(members(l), ['PolicyNames', 'Truncated']);
        assert.deepEqual(l.PolicyNames, ['default']);
        assert.equal(l.Truncated, false);

        await expectError(send(GetKeyPolicyCommand, { KeyId: m.KeyId, PolicyName: 'other' }),
            'NotFoundException', 'No such policy exists');
        await expectError(send(PutKeyPolicyCommand, {
            KeyId: m.KeyId, PolicyName: 'other', Policy: policy(ALLOW_ROOT_ALL),
        }), 'NotFoundException', 'No such policy exists');
    });

    test('PutKeyPolicy stores the document; GetKeyPolicy returns it', async () => {
        const m = await createKey();
        const doc = policy(ALLOW_ROOT_ALL, {
            Sid: 'extra', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt'], Resource: '*',
        });
        const r = await send(PutKeyPolicyCommand, { KeyId: m.KeyId, PolicyName: 'default', Policy: doc });
        assert.deepEqual(members(r), []);
        const g = await send(GetKeyPolicyCommand, { KeyId: m.KeyId, PolicyName: 'default' });
        assert.deepEqual(JSON.parse(g.Policy), JSON.parse(doc));
        /* CreateKey with a Policy */
        const k2 = await createKey({ Policy: doc });
        assert.deepEqual(JSON.parse((await send(GetKeyPolicyCommand, { KeyId: k2.KeyId })).Policy),
            JSON.parse(doc));
    });

    const malformed = [
        ['not JSON', '{"Version": ', /^The policy document is not valid JSON \(line \d+, column \d+\)\.$/],
        ['a JSON array', '[]', 'The policy document must be a JSON object.'],
        ['no statements', JSON.stringify({ Version: '2012-10-17', Statement: [] }),
            'The policy document must contain at least one statement.'],
        ['invalid Version', JSON.stringify({ Version: '2020-01-01', Statement: [ALLOW_ROOT_ALL] }),
            /^The policy document has an invalid Version\./],
        ['unsupported top-level element', JSON.stringify({ Version: '2012-10-17', Foo: 1, Statement: [ALLOW_ROOT_ALL] }),
            'The policy document contains an unsupported element: Foo.'],
        ['statement without Principal', policy({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }),
            'Policy contains a statement with no principal.'],
        ['invalid principal', policy({ Effect: 'Allow', Principal: { AWS: 'not-an-arn' }, Action: 'kms:*', Resource: '*' }),
            'Policy contains a statement with one or more invalid principals.'],
        ['statement without Effect', policy({ Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' }),
            'Policy contains a statement with no Effect.'],
        ['invalid Effect', policy({ Effect: 'Maybe', Principal: { AWS: ROOT }, Action: 'kms:*', Resource: '*' }),
            'Policy contains a statement with an invalid Effect: Maybe. Valid values: Allow, Deny.'],
        ['duplicate Sid', policy({ ...ALLOW_ROOT_ALL, Sid: 'a' }, { ...ALLOW_ROOT_ALL, Sid: 'a' }),
            'Statement IDs (SID) in a single policy must be unique.'],
        ['unsupported condition operator', policy({ ...ALLOW_ROOT_ALL, Condition: { Frobnicate: { 'kms:ViaService': 'x' } } }),
            /^Policy contains a statement with an unsupported condition/],
    ];
    for (const [what, doc, msg] of malformed) {
        test(`malformed policy (${what}) -> MalformedPolicyDocumentException on CreateKey and PutKeyPolicy`,
            async () => {
                const before = await allKeyIds();
                await expectError(send(CreateKeyCommand, { Policy: doc, BypassPolicyLockoutSafetyCheck: true }),
                    'MalformedPolicyDocumentException', msg);
                assert.deepEqual(await allKeyIds(), before);
                const m = await createKey();
                await expectError(send(PutKeyPolicyCommand, {
                    KeyId: m.KeyId, PolicyName: 'default', Policy: doc, BypassPolicyLockoutSafetyCheck: true,
                }), 'MalformedPolicyDocumentException', msg);
            });
    }

    test('lockout safety check, and BypassPolicyLockoutSafetyCheck', async () => {
        const onlyEncrypt = policy({ Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:Encrypt', Resource: '*' });
        await expectError(send(CreateKeyCommand, { Policy: onlyEncrypt }), 'MalformedPolicyDocumentException', LOCKOUT);
        const m = await createKey();
        await expectError(send(PutKeyPolicyCommand, { KeyId: m.KeyId, PolicyName: 'default', Policy: onlyEncrypt }),
            'MalformedPolicyDocumentException', LOCKOUT);
        /* kms:PutKeyPolicy alone is enough for the check */
        await send(PutKeyPolicyCommand, {
            KeyId: m.KeyId, PolicyName: 'default',
            Policy: policy({ Effect: 'Allow', Principal: { AWS: ROOT }, Action: ['kms:PutKeyPolicy'], Resource: '*' }),
        });
        const k2 = await createKey({ Policy: onlyEncrypt, BypassPolicyLockoutSafetyCheck: true });
        await send(EncryptCommand, { KeyId: k2.KeyId, Plaintext: enc('allowed') });
    });

    test('enforcement: explicit Deny of kms:Encrypt', async () => {
        const m = await createKey();
        const e = await send(EncryptCommand, { KeyId: m.KeyId, Plaintext: enc('pre-deny') });
        await send(PutKeyPolicyCommand, {
            KeyId: m.KeyId, PolicyName: 'default', BypassPolicyLockoutSafetyCheck: true,
            Policy: policy(ALLOW_ROOT_ALL,
                { Sid: 'no encrypt', Effect: 'Deny', Principal: { AWS: ROOT }, Action: 'kms:Encrypt', Resource: '*' }),
        });
        await expectError(send(EncryptCommand, { KeyId: m.KeyId, Plaintext: enc('x') }), 'AccessDeniedException',
            `User: ${ROOT} is not authorized to perform: kms:Encrypt on resource: ${m.Arn} ` +
            'with an explicit deny in a resource-based policy');
        /* other actions still allowed */
        assert.equal(dec((await send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob })).Plaintext), 'pre-deny');
        await send(DescribeKeyCommand, { KeyId: m.KeyId });
    });

    test('enforcement: a policy allowing only kms:DescribeKey', async () => {
        const m = await createKey();
        const e = await send(EncryptCommand, { KeyId: m.KeyId, Plaintext: enc('pre-lock') });
        await send(PutKeyPolicyCommand, {
            KeyId: m.KeyId, PolicyName: 'default', BypassPolicyLockoutSafetyCheck: true,
            Policy: policy({ Effect: 'Allow', Principal: { AWS: ROOT }, Action: 'kms:DescribeKey', Resource: '*' }),
        });
        const denied = (action) => `User: ${ROOT} is not authorized to perform: ${action} on resource: ` +
            `${m.Arn} because no resource-based policy allows the ${action} action`;
        await expectError(send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob }),
            'AccessDeniedException', denied('kms:Decrypt'));
        await expectError(send(EncryptCommand, { KeyId: m.KeyId, Plaintext: enc('x') }),
            'AccessDeniedException', denied('kms:Encrypt'));
        await expectError(send(GetKeyPolicyCommand, { KeyId: m.KeyId }), 'AccessDeniedException',
            denied('kms:GetKeyPolicy'));
        await expectError(send(PutKeyPolicyCommand, { KeyId: m.KeyId, Policy: policy(ALLOW_ROOT_ALL) }),
            'AccessDeniedException', denied('kms:PutKeyPolicy'));
        await expectError(send(DisableKeyCommand, { KeyId: m.KeyId }), 'AccessDeniedException',
            denied('kms:DisableKey'));
        assert.equal((await send(DescribeKeyCommand, { KeyId: m.KeyId })).KeyMetadata.KeyState, 'Enabled');
    });

    test('enforcement: conditions on kms:EncryptionContext', async () => {
        const m = await createKey({
            BypassPolicyLockoutSafetyCheck: true,
            Policy: policy({
                Effect: 'Allow', Principal: { AWS: ROOT }, Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: '*',
                Condition: { StringEquals: { 'kms:EncryptionContext:app': 'billing' } },
            }),
        });
        const e = await send(EncryptCommand, {
            KeyId: m.KeyId, Plaintext: enc('ctx'), EncryptionContext: { app: 'billing' },
        });
        await send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob, EncryptionContext: { app: 'billing' } });
        await expectError(send(EncryptCommand, {
            KeyId: m.KeyId, Plaintext: enc('ctx'), EncryptionContext: { app: 'other' },
        }), 'AccessDeniedException', `User: ${ROOT} is not authorized to perform: kms:Encrypt on resource: ` +
            `${m.Arn} because no resource-based policy allows the kms:Encrypt action`);
    });
});

/* ------------------------------------------------------------------ tags */

describe('tags', () => {
    test('TagResource / ListResourceTags / UntagResource', async () => {
        const m = await createKey({ Tags: [{ TagKey: 'a', TagValue: '1' }] });
        const r = await send(TagResourceCommand, {
            KeyId: m.Arn, Tags: [{ TagKey: 'b', TagValue: '2' }, { TagKey: 'a', TagValue: 'one' }],
        });
        assert.deepEqual(members(r), []);
        const sorted = (t) => [...t].sort((x, y) => x.TagKey.localeCompare(y.TagKey));
        let l = await send(ListResourceTagsCommand, { KeyId: m.KeyId });
        assert.deepEqual(sorted(l.Tags), [{ TagKey: 'a', TagValue: 'one' }, { TagKey: 'b', TagValue: '2' }]);
        assert.equal(l.Truncated, false);
        const u = await send(UntagResourceCommand, { KeyId: m.KeyId, TagKeys: ['a', 'not-there'] });
        assert.deepEqual(members(u), []);
        l = await send(ListResourceTagsCommand, { KeyId: m.KeyId });
        assert.deepEqual(l.Tags, [{ TagKey: 'b', TagValue: '2' }]);
        await send(UntagResourceCommand, { KeyId: m.KeyId, TagKeys: ['b'] });
        l = await send(ListResourceTagsCommand, { KeyId: m.KeyId });
        assert.deepEqual(l.Tags, []);
        assert.equal(l.Truncated, false);
    });
});

/* ---------------------------------------------------------------- crypto */

describe('Encrypt / Decrypt / GenerateDataKey / ReEncrypt', () => {
    let A;
    let B;
    before(async () => {
        A = await createKey({ Description: 'crypto A' });
        B = await createKey({ Description: 'crypto B' });
    });

    test('round trip without EncryptionContext', async () => {
        const e = await send(EncryptCommand, { KeyId: A.KeyId, Plaintext: enc('hello kms') });
        assert.deepEqual(members(e), ['CiphertextBlob', 'EncryptionAlgorithm', 'KeyId']);
        assert.equal(e.KeyId, A.Arn);
        assert.equal(e.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
        assert.ok(e.CiphertextBlob instanceof Uint8Array && e.CiphertextBlob.length > 9);
        assert.equal(Buffer.from(e.CiphertextBlob).includes(Buffer.from('hello kms')), false);
        const e2 = await send(EncryptCommand, { KeyId: A.KeyId, Plaintext: enc('hello kms') });
        assert.notDeepEqual(Buffer.from(e2.CiphertextBlob), Buffer.from(e.CiphertextBlob), 'ciphertext not randomised');

        const d = await send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob });
        assert.deepEqual(members(d), ['EncryptionAlgorithm', 'KeyId', 'Plaintext']);
        assert.equal(dec(d.Plaintext), 'hello kms');
        assert.equal(d.KeyId, A.Arn);
        assert.equal(d.EncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
        /* the right KeyId in any form is accepted */
        for (const KeyId of [A.KeyId, A.Arn])
            assert.equal(dec((await send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob, KeyId })).Plaintext),
                'hello kms');
        /* binary plaintext of the maximum size */
        const big = crypto.randomBytes(4096);
        const eb = await send(EncryptCommand, { KeyId: A.Arn, Plaintext: big });
        assert.deepEqual(Buffer.from((await send(DecryptCommand, { CiphertextBlob: eb.CiphertextBlob })).Plaintext),
            big);
    });

    test('round trip with EncryptionContext; a different or missing context -> InvalidCiphertextException ""',
        async () => {
            const ctx = { SecretARN: 'arn:x', purpose: 'test', 'ünï': 'cödé' };
            const e = await send(EncryptCommand, { KeyId: A.KeyId, Plaintext: enc('ctx data'), EncryptionContext: ctx });
            /* key order does not matter */
            const reordered = Object.fromEntries(Object.entries(ctx).reverse());
            const d = await send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob, EncryptionContext: reordered });
            assert.equal(dec(d.Plaintext), 'ctx data');
            for (const bad of [undefined, {}, { ...ctx, purpose: 'other' }, { SecretARN: 'arn:x', purpose: 'test' },
                { ...ctx, extra: '1' }]) {
                const input = { CiphertextBlob: e.CiphertextBlob };
                if (bad)
                    input.EncryptionContext = bad;
                await expectBadCiphertext(send(DecryptCommand, input));
            }
            /* a blob encrypted without context does not decrypt with one */
            const plain = await send(EncryptCommand, { KeyId: A.KeyId, Plaintext: enc('no ctx') });
            await expectBadCiphertext(send(DecryptCommand, { CiphertextBlob: plain.CiphertextBlob, EncryptionContext: { a: 'b' } }));
        });

    /* The blob names its key (evbridge layout: magic, version, id length, id, nonce, ciphertext, tag). */
    test('tampered and garbage ciphertexts -> InvalidCiphertextException ""', async () => {
        const e = await send(EncryptCommand, { KeyId: A.KeyId, Plaintext: enc('tamper me') });
        const blob = Buffer.from(e.CiphertextBlob);
        const idAt = blob.indexOf(Buffer.from(A.KeyId));
        assert.ok(idAt > 0, 'the blob should embed the key id');
        const afterId = idAt + A.KeyId.length;
        for (const i of [0, afterId, afterId + 12, Math.floor((afterId + blob.length) / 2), blob.length - 1]) {
            const t = Buffer.from(blob);
            t[i] ^= 0x01;
            await expectBadCiphertext(send(DecryptCommand, { CiphertextBlob: t }));
        }
        await expectBadCiphertext(send(DecryptCommand, { CiphertextBlob: blob.subarray(0, blob.length - 1) }));
        await expectBadCiphertext(send(DecryptCommand, { CiphertextBlob: Buffer.concat([blob, Buffer.from([0])]) }));
        for (const g of [Buffer.from('garbage'), Buffer.from([1]), crypto.randomBytes(200)])
            await expectBadCiphertext(send(DecryptCommand, { CiphertextBlob: g }));
        /* the blob's key id swapped for another existing key: its tag does not verify */
        const swapped = Buffer.from(blob);
        Buffer.from(B.KeyId).copy(swapped, idAt);
        await expectBadCiphertext(send(DecryptCommand, { CiphertextBlob: swapped }));
        /* the original still decrypts */
        assert.equal(dec((await send(DecryptCommand, { CiphertextBlob: blob })).Plaintext), 'tamper me');
    });

    test('a tampered key id inside the blob -> InvalidCiphertextException, not NotFoundException', async () => {
        const e = await send(EncryptCommand, { KeyId: A.KeyId, Plaintext: enc('tamper the id') });
        const blob = Buffer.from(e.CiphertextBlob);
        const idAt = blob.indexOf(Buffer.from(A.KeyId));
        for (const i of [idAt, idAt + 20, idAt + A.KeyId.length - 1]) {
            const t = Buffer.from(blob);
            t[i] ^= 0x01;
            await expectBadCiphertext(send(DecryptCommand, { CiphertextBlob: t }));
        }
    });

    test('wire: InvalidCiphertextException has an empty message', async () => {
        const e = await send(EncryptCommand, { KeyId: A.KeyId, Plaintext: enc('x'), EncryptionContext: { a: 'b' } });
        const r = await srv.signed({
            target: 'TrentService.Decrypt', service: 'kms',
            body: JSON.stringify({ CiphertextBlob: Buffer.from(e.CiphertextBlob).toString('base64') }),
        });
        assert.equal(r.status, 400, r.body);
        assert.deepEqual(r.json, { __type: 'InvalidCiphertextException', message: '' });
    });

    test('Decrypt with KeyId naming another key -> IncorrectKeyException', async () => {
        const e = await send(EncryptCommand, { KeyId: A.KeyId, Plaintext: enc('for A') });
        await expectError(send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob, KeyId: B.KeyId }),
            'IncorrectKeyException', INCORRECT_KEY);
        await expectError(send(DecryptCommand, { CiphertextBlob: e.CiphertextBlob, KeyId: B.Arn }),
            'IncorrectKeyException', INCORRECT_KEY);
    });

    test('GenerateDataKey: NumberOfBytes, KeySpec AES_256 / AES_128; neither or both -> ValidationException',
        async () => {
            for (const [input, len] of [[{ NumberOfBytes: 64 }, 64], [{ KeySpec: 'AES_256' }, 32],
                [{ KeySpec: 'AES_128' }, 16], [{ NumberOfBytes: 1 }, 1], [{ NumberOfBytes: 1024 }, 1024]]) {
                const ctx = { purpose: 'dk' };
                const g = await send(GenerateDataKeyCommand, { KeyId: A.KeyId, EncryptionContext: ctx, ...input });
                assert.deepEqual(members(g), ['CiphertextBlob', 'KeyId', 'Plaintext']);
                assert.equal(g.KeyId, A.Arn);
                assert.equal(g.Plaintext.length, len);
                const d = await send(DecryptCommand, { CiphertextBlob: g.CiphertextBlob, EncryptionContext: ctx });
                assert.deepEqual(Buffer.from(d.Plaintext), Buffer.from(g.Plaintext));
                await expectBadCiphertext(send(DecryptCommand, { CiphertextBlob: g.CiphertextBlob }));
            }
            const msg = 'Please specify either number of bytes or key spec.';
            await expectError(send(GenerateDataKeyCommand, { KeyId: A.KeyId }), 'ValidationException', msg);
            await expectError(send(GenerateDataKeyCommand, { KeyId: A.KeyId, NumberOfBytes: 32, KeySpec: 'AES_256' }),
                'ValidationException', msg);
            await expectError(send(GenerateDataKeyWithoutPlaintextCommand, { KeyId: A.KeyId }),
                'ValidationException', msg);
        });

    test('GenerateDataKeyWithoutPlaintext', async () => {
        await expectError(send(GenerateDataKeyWithoutPlaintextCommand, { KeyId: 'alias/dk-alias', NumberOfBytes: 8 }),
            'NotFoundException', `Alias ${aliasArn('alias/dk-alias')} is not found.`);
        await send(CreateAliasCommand, { AliasName: 'alias/dk-alias', TargetKeyId: A.KeyId });
        const w = await send(GenerateDataKeyWithoutPlaintextCommand, { KeyId: 'alias/dk-alias', KeySpec: 'AES_256' });
        assert.deepEqual(members(w), ['CiphertextBlob', 'KeyId']);
        assert.equal(w.KeyId, A.Arn);
        const d = await send(DecryptCommand, { CiphertextBlob: w.CiphertextBlob });
        assert.equal(d.Plaintext.length, 32);
        assert.equal(d.KeyId, A.Arn);
    });

    test('ReEncrypt from A (with context) to B (with another context)', async () => {
        const e = await send(EncryptCommand, {
            KeyId: A.KeyId, Plaintext: enc('move me'), EncryptionContext: { from: 'a' },
        });
        const r = await send(ReEncryptCommand, {
            CiphertextBlob: e.CiphertextBlob, SourceEncryptionContext: { from: 'a' },
            DestinationKeyId: B.KeyId, DestinationEncryptionContext: { to: 'b' },
        });
        assert.deepEqual(members(r), ['CiphertextBlob', 'DestinationEncryptionAlgorithm', 'KeyId',
            'SourceEncryptionAlgorithm', 'SourceKeyId']);
        assert.equal(r.SourceKeyId, A.Arn);
        assert.equal(r.KeyId, B.Arn);
        assert.equal(r.SourceEncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
        assert.equal(r.DestinationEncryptionAlgorithm, 'SYMMETRIC_DEFAULT');
        const d = await send(DecryptCommand, { CiphertextBlob: r.CiphertextBlob, EncryptionContext: { to: 'b' } });
        assert.equal(dec(d.Plaintext), 'move me');
        assert.equal(d.KeyId, B.Arn);
        await expectBadCiphertext(send(DecryptCommand, { CiphertextBlob: r.CiphertextBlob, EncryptionContext: { from: 'a' } }));
        /* wrong source context */
        await expectBadCiphertext(send(ReEncryptCommand, {
            CiphertextBlob: e.CiphertextBlob, DestinationKeyId: B.KeyId,
        }));
        /* SourceKeyId naming the wrong key */
        await expectError(send(ReEncryptCommand, {
            CiphertextBlob: e.CiphertextBlob, SourceEncryptionContext: { from: 'a' }, SourceKeyId: B.KeyId,
            DestinationKeyId: B.KeyId,
        }), 'IncorrectKeyException', INCORRECT_KEY);
    });
});

/* ----------------------------------------------------------- persistence */

test('keys, aliases, tags, policies and states persist across a restart', async () => {
    let a;
    let b;
    try {
        a = await startServer();
        const k1 = a.kms();
        const s1 = (Cmd, input) => k1.send(new Cmd(input));
        const m = (await s1(CreateKeyCommand, {
            Description: 'persisted', Tags: [{ TagKey: 'EventBridgeApiDestinations', TagValue: 'true' }],
        })).KeyMetadata;
        const dis = (await s1(CreateKeyCommand, {})).KeyMetadata;
        const pend = (await s1(CreateKeyCommand, {})).KeyMetadata;
        await s1(CreateAliasCommand, { AliasName: 'alias/persisted', TargetKeyId: m.KeyId });
        const doc = policy(ALLOW_ROOT_ALL, { Sid: 'x', Effect: 'Allow', Principal: { AWS: ROOT },
            Action: 'kms:Decrypt', Resource: '*' });
        await s1(PutKeyPolicyCommand, { KeyId: m.KeyId, PolicyName: 'default', Policy: doc });
        await s1(DisableKeyCommand, { KeyId: dis.KeyId });
        const sched = await s1(ScheduleKeyDeletionCommand, { KeyId: pend.KeyId, PendingWindowInDays: 7 });
        const e = await s1(EncryptCommand, { KeyId: 'alias/persisted', Plaintext: enc('survives'),
            EncryptionContext: { k: 'v' } });

        const dir = a.dataDir;
        await a.stop({ keepDataDir: true });
        b = await startServer({ dataDir: dir });
        const k2 = b.kms();
        const s2 = (Cmd, input) => k2.send(new Cmd(input));
        const d = (await s2(DescribeKeyCommand, { KeyId: 'alias/persisted' })).KeyMetadata;
        checkMetadata(d, { description: 'persisted' });
        assert.equal(d.KeyId, m.KeyId);
        assert.equal(d.CreationDate.getTime(), m.CreationDate.getTime());
        assert.deepEqual((await s2(ListResourceTagsCommand, { KeyId: m.KeyId })).Tags,
            [{ TagKey: 'EventBridgeApiDestinations', TagValue: 'true' }]);
        assert.deepEqual(JSON.parse((await s2(GetKeyPolicyCommand, { KeyId: m.KeyId })).Policy), JSON.parse(doc));
        assert.equal((await s2(DescribeKeyCommand, { KeyId: dis.KeyId })).KeyMetadata.KeyState, 'Disabled');
        const p = (await s2(DescribeKeyCommand, { KeyId: pend.KeyId })).KeyMetadata;
        assert.equal(p.KeyState, 'PendingDeletion');
        assert.equal(p.DeletionDate.getTime(), sched.DeletionDate.getTime());
        const keys = (await s2(ListKeysCommand, {})).Keys.map((k) => k.KeyId).sort();
        assert.deepEqual(keys, [m.KeyId, dis.KeyId, pend.KeyId].sort());
        const plain = await s2(DecryptCommand, { CiphertextBlob: e.CiphertextBlob, EncryptionContext: { k: 'v' } });
        assert.equal(dec(plain.Plaintext), 'survives');
    } finally {
        try {
            if (b)
                await b.stop();
            else if (a)
                await a.stop();
        } finally {
            if (a)
                fs.rmSync(a.dataDir, { recursive: true, force: true });
        }
    }
});

test('KMS errors are HTTP 400 JSON with __type and message', async () => {
    const id = crypto.randomUUID();
    const r = await srv.signed({
        target: 'TrentService.DescribeKey', service: 'kms', body: JSON.stringify({ KeyId: id }),
    });
    assert.equal(r.status, 400, r.body);
    assert.equal(r.json?.__type, 'NotFoundException');
    assert.equal(r.json?.message, `Key '${keyArn(id)}' does not exist`);
});
