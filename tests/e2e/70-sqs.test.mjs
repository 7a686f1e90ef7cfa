/*
 * 70-sqs.test.mjs - the SQS-compatible queue service (AmazonSQS.*,
 * awsJson1.0) against the real binary with @aws-sdk/client-sqs: queue
 * lifecycle, attributes, MD5 digests, visibility timeouts, long polling,
 * SQS's errors (with the x-amzn-query-error header), an SQS rule target, and
 * the AWS CLI where installed.
 *
 * Expected messages and digests: the AWS-recorded SQS snapshots in
 * localstack's tests/aws/services/sqs (MD5 vectors, error texts), and the
 * SQS developer guide (JSON error structure, MD5 of message attributes).
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
    ChangeMessageVisibilityCommand,
    CreateQueueCommand,
    DeleteMessageCommand,
    DeleteQueueCommand,
    GetQueueAttributesCommand,
    GetQueueUrlCommand,
    ListQueuesCommand,
    PurgeQueueCommand,
    ReceiveMessageCommand,
    SendMessageCommand,
    SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';

import { ACCOUNT, REGION, expectError, haveCommand, startServer } from './lib/server.mjs';

const run = promisify(execFile);
const HAVE_AWS = haveCommand('aws', ['--version']);

let srv;
let sqs;

before(async () => {
    srv = await startServer();
    sqs = srv.sqs();
});

after(async () => {
    await srv?.stop();
});

const send = (Cmd, input = {}) => sqs.send(new Cmd(input));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const md5 = (b) => crypto.createHash('md5').update(b).digest('hex');
const urlOf = (name) => `http://${srv.host}/${ACCOUNT}/${name}`;

async function createQueue(QueueName, Attributes) {
    const r = await send(CreateQueueCommand, { QueueName, ...(Attributes ? { Attributes } : {}) });
    return r.QueueUrl;
}

/* MD5OfMessageAttributes as the SQS developer guide defines it, independently of the server. */
function md5OfAttributes(attrs) {
    const h = crypto.createHash('md5');
    const field = (buf) => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(buf.length);
        h.update(len);
        h.update(buf);
    };
    for (const name of Object.keys(attrs).sort()) {
        const a = attrs[name];
        field(Buffer.from(name, 'utf8'));
        field(Buffer.from(a.DataType, 'utf8'));
        if (a.BinaryValue !== undefined) {
            h.update(Buffer.from([2]));
            field(Buffer.from(a.BinaryValue));
        } else {
            h.update(Buffer.from([1]));
            field(Buffer.from(a.StringValue, 'utf8'));
        }
    }
    return h.digest('hex');
}

async function receiveAll(QueueUrl, extra = {}) {
    const r = await send(ReceiveMessageCommand, { QueueUrl, MaxNumberOfMessages: 10, ...extra });
    return r.Messages ?? [];
}

describe('queue lifecycle', () => {
    test('create, get URL, send, receive, delete, purge, delete queue', async () => {
        const url = await createQueue('life');
        assert.equal(url, urlOf('life'));
        assert.equal((await send(GetQueueUrlCommand, { QueueName: 'life' })).QueueUrl, url);
        assert.ok((await send(ListQueuesCommand, {})).QueueUrls.includes(url));

        const sent = await send(SendMessageCommand, { QueueUrl: url, MessageBody: 'hello world' });
        assert.equal(sent.MD5OfMessageBody, md5('hello world'));
        assert.equal(sent.MD5OfMessageAttributes, undefined);
        assert.match(sent.MessageId, /^[0-9a-f-]{36}$/);

        const [m] = await receiveAll(url);
        assert.equal(m.MessageId, sent.MessageId);
        assert.equal(m.Body, 'hello world');
        assert.equal(m.MD5OfBody, md5('hello world'));
        assert.equal(m.Attributes, undefined);
        assert.equal(m.MessageAttributes, undefined);
        assert.equal(typeof m.ReceiptHandle, 'string');
        await send(DeleteMessageCommand, { QueueUrl: url, ReceiptHandle: m.ReceiptHandle });
        /* A handle of a deleted message is still accepted, as in SQS. */
        await send(DeleteMessageCommand, { QueueUrl: url, ReceiptHandle: m.ReceiptHandle });
        await send(ChangeMessageVisibilityCommand, { QueueUrl: url, VisibilityTimeout: 0,
            ReceiptHandle: m.ReceiptHandle }).then(() => assert.fail('changed a deleted message'),
            (e) => assert.equal(e.name, 'InvalidParameterValue'));

        for (let i = 0; i < 3; i++)
            await send(SendMessageCommand, { QueueUrl: url, MessageBody: `m${i}` });
        let a = await send(GetQueueAttributesCommand, { QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessages'] });
        assert.deepEqual(a.Attributes, { ApproximateNumberOfMessages: '3' });
        await send(PurgeQueueCommand, { QueueUrl: url });
        a = await send(GetQueueAttributesCommand, { QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessages'] });
        assert.deepEqual(a.Attributes, { ApproximateNumberOfMessages: '0' });
        assert.deepEqual(await receiveAll(url), []);

        await send(DeleteQueueCommand, { QueueUrl: url });
        await expectError(send(GetQueueUrlCommand, { QueueName: 'life' }), 'QueueDoesNotExist',
            'The specified queue does not exist.');
        assert.ok(!((await send(ListQueuesCommand, {})).QueueUrls ?? []).includes(url));
    });

    test('a QueueUrl of any host names the queue by account and name', async () => {
        await createQueue('anyhost');
        const other = `http://localhost:4566/${ACCOUNT}/anyhost`;
        await send(SendMessageCommand, { QueueUrl: other, MessageBody: 'via another host' });
        const [m] = await receiveAll(other);
        assert.equal(m.Body, 'via another host');
        await expectError(send(ReceiveMessageCommand, {
            QueueUrl: `http://${srv.host}/111111111111/anyhost` }),
        'QueueDoesNotExist', 'The specified queue does not exist.');
        await expectError(send(ReceiveMessageCommand, { QueueUrl: 'anyhost' }), 'InvalidAddress',
            'The address anyhost is not valid for this endpoint.', 404);
    });

    test('ListQueues filters by prefix and pages with MaxResults', async () => {
        for (const n of ['lq-c', 'lq-a', 'lq-b', 'other-lq'])
            await createQueue(n);
        const all = await send(ListQueuesCommand, { QueueNamePrefix: 'lq-' });
        assert.deepEqual(all.QueueUrls, ['lq-a', 'lq-b', 'lq-c'].map(urlOf));
        assert.equal(all.NextToken, undefined);
        const p1 = await send(ListQueuesCommand, { QueueNamePrefix: 'lq-', MaxResults: 2 });
        assert.deepEqual(p1.QueueUrls, ['lq-a', 'lq-b'].map(urlOf));
        assert.equal(typeof p1.NextToken, 'string');
        const p2 = await send(ListQueuesCommand, { QueueNamePrefix: 'lq-', MaxResults: 2,
            NextToken: p1.NextToken });
        assert.deepEqual(p2.QueueUrls, [urlOf('lq-c')]);
        assert.equal(p2.NextToken, undefined);
        const none = await send(ListQueuesCommand, { QueueNamePrefix: 'no-such-prefix' });
        assert.equal(none.QueueUrls, undefined);
        await expectError(send(ListQueuesCommand, { MaxResults: 1001 }), 'InvalidParameterValue',
            'Value 1001 for parameter MaxResults is invalid. Reason: MaxResults must be an ' +
            'integer between 1 and 1000.');
    });
});

describe('queue attributes', () => {
    test('defaults, All, single names and the message counts', async () => {
        const since = Math.floor(Date.now() / 1000);
        const url = await createQueue('attrs');
        const { Attributes: a } = await send(GetQueueAttributesCommand, { QueueUrl: url,
            AttributeNames: ['All'] });
        assert.deepEqual(Object.keys(a).sort(), [
            'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesDelayed',
            'ApproximateNumberOfMessagesNotVisible', 'CreatedTimestamp', 'DelaySeconds',
            'LastModifiedTimestamp', 'MaximumMessageSize', 'MessageRetentionPeriod', 'QueueArn',
            'ReceiveMessageWaitTimeSeconds', 'SqsManagedSseEnabled', 'VisibilityTimeout']);
        assert.equal(a.QueueArn, `arn:aws:sqs:${REGION}:${ACCOUNT}:attrs`);
        assert.equal(a.VisibilityTimeout, '30');
        assert.equal(a.MaximumMessageSize, '1048576');
        assert.equal(a.MessageRetentionPeriod, '345600');
        assert.equal(a.DelaySeconds, '0');
        assert.equal(a.ReceiveMessageWaitTimeSeconds, '0');
        assert.equal(a.SqsManagedSseEnabled, 'true');
        assert.ok(Math.abs(Number(a.CreatedTimestamp) - since) <= 5);
        /* No AttributeNames: no Attributes. */
        assert.equal((await send(GetQueueAttributesCommand, { QueueUrl: url })).Attributes,
            undefined);

        await send(SendMessageCommand, { QueueUrl: url, MessageBody: 'visible' });
        await send(SendMessageCommand, { QueueUrl: url, MessageBody: 'in flight' });
        await send(SendMessageCommand, { QueueUrl: url, MessageBody: 'delayed', DelaySeconds: 60 });
        await send(ReceiveMessageCommand, { QueueUrl: url });
        const c = await send(GetQueueAttributesCommand, { QueueUrl: url, AttributeNames: [
            'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed'] });
        assert.deepEqual(c.Attributes, { ApproximateNumberOfMessages: '1',
            ApproximateNumberOfMessagesNotVisible: '1', ApproximateNumberOfMessagesDelayed: '1' });
        await expectError(send(GetQueueAttributesCommand, { QueueUrl: url,
            AttributeNames: ['Bogus'] }), 'InvalidAttributeName', 'Unknown Attribute Bogus.');
    });

    test('CreateQueue attributes, idempotent create, conflicts, SetQueueAttributes', async () => {
        const attrs = { VisibilityTimeout: '20', MessageRetentionPeriod: '604800',
            DelaySeconds: '0', ReceiveMessageWaitTimeSeconds: '10', MaximumMessageSize: '2048' };
        const url = await createQueue('configured', attrs);
        const { Attributes: a } = await send(GetQueueAttributesCommand, { QueueUrl: url,
            AttributeNames: Object.keys(attrs) });
        assert.deepEqual(a, attrs);
        /* Same name: the same URL, with no attributes or the same ones. */
        assert.equal(await createQueue('configured'), url);
        assert.equal(await createQueue('configured', { VisibilityTimeout: '20' }), url);
        assert.equal(await createQueue('configured', { FifoQueue: 'false' }), url);
        await expectError(createQueue('configured', { DelaySeconds: '5' }), 'QueueNameExists',
            'A queue already exists with the same name and a different value for attribute ' +
            'DelaySeconds');

        await send(SetQueueAttributesCommand, { QueueUrl: url,
            Attributes: { VisibilityTimeout: '69', DelaySeconds: '420' } });
        const { Attributes: b } = await send(GetQueueAttributesCommand, { QueueUrl: url,
            AttributeNames: ['VisibilityTimeout', 'DelaySeconds'] });
        assert.deepEqual(b, { VisibilityTimeout: '69', DelaySeconds: '420' });

        const policy = JSON.stringify({ Version: '2012-10-17', Statement: [] });
        await send(SetQueueAttributesCommand, { QueueUrl: url, Attributes: { Policy: policy } });
        const { Attributes: p } = await send(GetQueueAttributesCommand, { QueueUrl: url,
            AttributeNames: ['Policy'] });
        assert.deepEqual(p, { Policy: policy });
    });

    test('invalid attributes and FIFO queues are refused', async () => {
        await expectError(createQueue('bad-vis', { VisibilityTimeout: '43201' }),
            'InvalidAttributeValue', 'Invalid value for the parameter VisibilityTimeout.');
        await expectError(createQueue('bad-size', { MaximumMessageSize: '1023' }),
            'InvalidAttributeValue', 'Invalid value for the parameter MaximumMessageSize.');
        await expectError(createQueue('bad-num', { DelaySeconds: 'ten' }),
            'InvalidAttributeValue', 'Invalid value for the parameter DelaySeconds.');
        await expectError(createQueue('bad-name', { Bogus: '1' }), 'InvalidAttributeName',
            'Unknown Attribute Bogus.');
        await expectError(createQueue('bad-ro', { QueueArn: 'x' }), 'InvalidAttributeName',
            'Unknown Attribute QueueArn.');
        await expectError(createQueue('bad-scope', { DeduplicationScope: 'queue' }),
            'InvalidAttributeName',
            'You can specify the DeduplicationScope only when FifoQueue is set to true.');
        await expectError(createQueue('fifo.fifo', { FifoQueue: 'true' }), 'UnsupportedOperation',
            /^FIFO queues are not supported/);
        await expectError(createQueue('no.dots'), 'InvalidParameterValue',
            'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
        await expectError(createQueue('x'.repeat(81)), 'InvalidParameterValue',
            'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
        const left = await send(ListQueuesCommand, { QueueNamePrefix: 'bad-' });
        assert.equal(left.QueueUrls, undefined);
    });
});

describe('messages', () => {
    test('message attributes come back with SQS MD5 digests, filtered by name', async () => {
        const url = await createQueue('msg-attrs');
        const attrs = {
            General: { DataType: 'String', StringValue: 'Kenobi' },
            Hello: { DataType: 'String', StringValue: 'There' },
            'Help.Me': { DataType: 'String', StringValue: 'Me' },
        };
        const sent = await send(SendMessageCommand, { QueueUrl: url, MessageBody: 'msg',
            MessageAttributes: attrs });
        /* Recorded from AWS SQS for these three attributes. */
        assert.equal(sent.MD5OfMessageAttributes, '4c360f3fdafd970e05fae2f149d997f5');
        assert.equal(md5OfAttributes(attrs), sent.MD5OfMessageAttributes);

        /* Only the names asked for are returned, and the digest covers just those. */
        const [m] = await receiveAll(url, { MessageAttributeNames: ['General', 'Hello'],
            VisibilityTimeout: 0 });
        assert.deepEqual(m.MessageAttributes, { General: attrs.General, Hello: attrs.Hello });
        assert.equal(m.MD5OfMessageAttributes, 'fca026605781cb4126a1e9044df24232');
        const [p] = await receiveAll(url, { MessageAttributeNames: ['Help.*'],
            VisibilityTimeout: 0 });
        assert.deepEqual(p.MessageAttributes, { 'Help.Me': attrs['Help.Me'] });
        const [none] = await receiveAll(url, { VisibilityTimeout: 0 });
        assert.equal(none.MessageAttributes, undefined);
        assert.equal(none.MD5OfMessageAttributes, undefined);
        const [all] = await receiveAll(url, { MessageAttributeNames: ['All'] });
        assert.deepEqual(all.MessageAttributes, attrs);
        assert.equal(all.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
    });

    test('Number, Binary and custom types; system attributes', async () => {
        const url = await createQueue('msg-types');
        const attrs = {
            count: { DataType: 'Number', StringValue: '42' },
            price: { DataType: 'Number.float', StringValue: '1.5' },
            blob: { DataType: 'Binary', BinaryValue: Uint8Array.from([0, 1, 2, 255]) },
            label: { DataType: 'String.custom', StringValue: 'héllo ✓' },
        };
        const before = Date.now();
        const body = '{"detail":"ünïcode ✓"}';
        const sent = await send(SendMessageCommand, { QueueUrl: url, MessageBody: body,
            MessageAttributes: attrs });
        assert.equal(sent.MD5OfMessageBody, md5(body));
        assert.equal(sent.MD5OfMessageAttributes, md5OfAttributes(attrs));

        const [m] = await receiveAll(url, { MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'] });
        assert.equal(m.Body, body);
        assert.deepEqual(Object.keys(m.MessageAttributes).sort(),
            ['blob', 'count', 'label', 'price']);
        assert.deepEqual([...m.MessageAttributes.blob.BinaryValue], [0, 1, 2, 255]);
        assert.equal(m.MessageAttributes.label.StringValue, 'héllo ✓');
        assert.equal(m.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
        assert.deepEqual(Object.keys(m.Attributes).sort(), ['ApproximateFirstReceiveTimestamp',
            'ApproximateReceiveCount', 'SenderId', 'SentTimestamp']);
        assert.equal(m.Attributes.SenderId, ACCOUNT);
        assert.equal(m.Attributes.ApproximateReceiveCount, '1');
        const sentAt = Number(m.Attributes.SentTimestamp);
        assert.ok(sentAt >= before - 1000 && sentAt <= Date.now() + 1000,
            `SentTimestamp ${sentAt}`);
        assert.ok(Number(m.Attributes.ApproximateFirstReceiveTimestamp) >= sentAt);

        /* The deprecated AttributeNames selects system attributes too. */
        await send(ChangeMessageVisibilityCommand, { QueueUrl: url, ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: 0 });
        const [again] = await receiveAll(url, { AttributeNames: ['ApproximateReceiveCount'] });
        assert.deepEqual(again.Attributes, { ApproximateReceiveCount: '2' });
    });

    test('visibility timeout expiry makes a message visible again', async () => {
        const url = await createQueue('vis', { VisibilityTimeout: '1' });
        await send(SendMessageCommand, { QueueUrl: url, MessageBody: 'foobar' });
        const [first] = await receiveAll(url, { AttributeNames: ['ApproximateReceiveCount'] });
        assert.equal(first.MD5OfBody, '3858f62230ac3c915f300c664312c63f');
        assert.deepEqual(await receiveAll(url), []);
        await sleep(1100);
        const [second] = await receiveAll(url, { AttributeNames: ['ApproximateReceiveCount'] });
        assert.equal(second.MessageId, first.MessageId);
        assert.equal(second.Attributes.ApproximateReceiveCount, '2');
        assert.notEqual(second.ReceiptHandle, first.ReceiptHandle);
        /* A per-receive VisibilityTimeout overrides the queue's. */
        await send(ChangeMessageVisibilityCommand, { QueueUrl: url,
            ReceiptHandle: second.ReceiptHandle, VisibilityTimeout: 0 });
        const [third] = await receiveAll(url, { VisibilityTimeout: 30 });
        await sleep(1100);
        assert.deepEqual(await receiveAll(url), []);
        await send(DeleteMessageCommand, { QueueUrl: url, ReceiptHandle: third.ReceiptHandle });
        const { Attributes: a } = await send(GetQueueAttributesCommand, { QueueUrl: url,
            AttributeNames: ['All'] });
        assert.equal(a.ApproximateNumberOfMessages, '0');
        assert.equal(a.ApproximateNumberOfMessagesNotVisible, '0');
    });

    test('delayed messages become visible after DelaySeconds', async () => {
        const url = await createQueue('delayed', { DelaySeconds: '1' });
        await send(SendMessageCommand, { QueueUrl: url, MessageBody: 'queue delay' });
        await send(SendMessageCommand, { QueueUrl: url, MessageBody: 'no delay', DelaySeconds: 0 });
        assert.deepEqual((await receiveAll(url)).map((m) => m.Body), ['no delay']);
        await sleep(1100);
        assert.deepEqual((await receiveAll(url)).map((m) => m.Body), ['queue delay']);
    });

    test('long polling returns as soon as a message arrives', async () => {
        const url = await createQueue('long-poll');
        const t0 = Date.now();
        const polling = send(ReceiveMessageCommand, { QueueUrl: url, WaitTimeSeconds: 10 });
        await sleep(300);
        /* A second client: the poll holds no lock that would block the send. */
        const other = srv.sqs();
        await other.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
        const r = await polling;
        const took = Date.now() - t0;
        assert.equal(r.Messages?.[0]?.Body, 'wake up');
        assert.ok(took >= 250 && took < 3000, `long poll took ${took} ms`);

        /* An empty long poll waits the whole WaitTimeSeconds. */
        const t1 = Date.now();
        const empty = await send(ReceiveMessageCommand, { QueueUrl: url, WaitTimeSeconds: 1 });
        assert.equal(empty.Messages, undefined);
        assert.ok(Date.now() - t1 >= 950, `empty long poll took ${Date.now() - t1} ms`);

        /* The queue's ReceiveMessageWaitTimeSeconds applies when the call names none, and a
         * delayed message ends the wait when it becomes visible. */
        const lazy = await createQueue('long-poll-queue', { ReceiveMessageWaitTimeSeconds: '5' });
        await send(SendMessageCommand, { QueueUrl: lazy, MessageBody: 'soon', DelaySeconds: 1 });
        const t2 = Date.now();
        const got = await send(ReceiveMessageCommand, { QueueUrl: lazy });
        assert.equal(got.Messages?.[0]?.Body, 'soon');
        assert.ok(Date.now() - t2 >= 500 && Date.now() - t2 < 4000,
            `delayed long poll took ${Date.now() - t2} ms`);
    });
});

describe('errors', () => {
    const missing = () => urlOf('does-not-exist');

    test('an unknown queue is QueueDoesNotExist for every operation', async () => {
        const calls = [
            [GetQueueUrlCommand, { QueueName: 'does-not-exist' }],
            [GetQueueAttributesCommand, { QueueUrl: missing(), AttributeNames: ['All'] }],
            [SetQueueAttributesCommand, { QueueUrl: missing(), Attributes: { DelaySeconds: '1' } }],
            [SendMessageCommand, { QueueUrl: missing(), MessageBody: 'x' }],
            [ReceiveMessageCommand, { QueueUrl: missing(), WaitTimeSeconds: 1 }],
            [DeleteMessageCommand, { QueueUrl: missing(), ReceiptHandle: 'x' }],
            [PurgeQueueCommand, { QueueUrl: missing() }],
            [DeleteQueueCommand, { QueueUrl: missing() }],
        ];
        for (const [Cmd, input] of calls) {
            const e = await expectError(send(Cmd, input), 'QueueDoesNotExist',
                'The specified queue does not exist.');
            assert.equal(e.Code, 'AWS.SimpleQueueService.NonExistentQueue', Cmd.name);
            assert.equal(e.Type, 'Sender', Cmd.name);
        }
    });

    test('the wire form: awsJson1.0, __type and x-amzn-query-error', async () => {
        const r = await srv.signed({ target: 'AmazonSQS.GetQueueUrl', service: 'sqs',
            contentType: 'application/x-amz-json-1.0', body: '{"QueueName":"does-not-exist"}' });
        assert.equal(r.status, 400);
        assert.equal(r.headers['content-type'], 'application/x-amz-json-1.0');
        assert.equal(r.headers['x-amzn-query-error'],
            'AWS.SimpleQueueService.NonExistentQueue;Sender');
        assert.deepEqual(r.json, { __type: 'com.amazonaws.sqs#QueueDoesNotExist',
            message: 'The specified queue does not exist.' });
        const ok = await srv.signed({ target: 'AmazonSQS.ListQueues', service: 'sqs',
            contentType: 'application/x-amz-json-1.0', body: '{}' });
        assert.equal(ok.status, 200);
        assert.equal(ok.headers['content-type'], 'application/x-amz-json-1.0');
        assert.equal(ok.headers['x-amzn-query-error'], undefined);
        /* Credentials scoped to another service are refused. */
        const wrong = await srv.signed({ target: 'AmazonSQS.ListQueues', service: 'events',
            contentType: 'application/x-amz-json-1.0', body: '{}' });
        assert.equal(wrong.status, 400);
        /* Operations evbridge does not implement say so. */
        const batch = await srv.signed({ target: 'AmazonSQS.SendMessageBatch', service: 'sqs',
            contentType: 'application/x-amz-json-1.0', body: '{"QueueUrl":"x","Entries":[]}' });
        assert.equal(batch.json.__type, 'UnknownOperationException');
    });

    test('receipt handles', async () => {
        const url = await createQueue('handles');
        const other = await createQueue('handles-other');
        await send(SendMessageCommand, { QueueUrl: other, MessageBody: 'x' });
        const [m] = await receiveAll(other);
        await expectError(send(DeleteMessageCommand, { QueueUrl: url, ReceiptHandle: 'garbage' }),
            'ReceiptHandleIsInvalid',
            'The input receipt handle "garbage" is not a valid receipt handle.', 404);
        /* A handle of another queue is not one of this queue's. */
        await expectError(send(DeleteMessageCommand, { QueueUrl: url,
            ReceiptHandle: m.ReceiptHandle }),
            'ReceiptHandleIsInvalid',
            `The input receipt handle "${m.ReceiptHandle}" is not a valid receipt handle.`, 404);
        await expectError(send(ChangeMessageVisibilityCommand, { QueueUrl: url,
            ReceiptHandle: 'INVALID', VisibilityTimeout: 60 }), 'ReceiptHandleIsInvalid',
        'The input receipt handle "INVALID" is not a valid receipt handle.', 404);
    });

    test('invalid parameters', async () => {
        const url = await createQueue('params', { MaximumMessageSize: '1024' });
        const invalid = (input, message) => expectError(send(ReceiveMessageCommand,
            { QueueUrl: url, ...input }), 'InvalidParameterValue', message);
        await invalid({ MaxNumberOfMessages: 11 },
            'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 ' +
            'and 10, if provided.');
        await invalid({ MaxNumberOfMessages: 0 },
            'Value 0 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and ' +
            '10, if provided.');
        await invalid({ WaitTimeSeconds: 21 },
            'Value 21 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, ' +
            'if provided.');
        await invalid({ WaitTimeSeconds: -1 },
            'Value -1 for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, ' +
            'if provided.');

        const sendMsg = (input) => send(SendMessageCommand, { QueueUrl: url, ...input });
        await expectError(sendMsg({ MessageBody: '' }), 'MissingParameter',
            'The request must contain the parameter MessageBody.');
        await expectError(sendMsg({ MessageBody: 'bad \u0001 char' }), 'InvalidMessageContents',
            /^Invalid characters found/);
        await expectError(sendMsg({ MessageBody: 'x'.repeat(1025) }), 'InvalidParameterValue',
            'One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.');
        await sendMsg({ MessageBody: 'x'.repeat(1024) });
        await expectError(sendMsg({ MessageBody: 'x', DelaySeconds: 901 }), 'InvalidParameterValue',
            /^Value 901 for parameter DelaySeconds is invalid/);
        await expectError(sendMsg({ MessageBody: 'x',
            MessageAttributes: { ErrorDetails: { DataType: 'String', StringValue: '' } } }),
        'InvalidParameterValue',
        "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'.");
        await expectError(sendMsg({ MessageBody: 'x',
            MessageAttributes: { n: { DataType: 'Number', StringValue: 'abc' } } }),
        'InvalidParameterValue', /value to number/);
        await expectError(sendMsg({ MessageBody: 'x',
            MessageAttributes: { n: { DataType: 'Text', StringValue: 'abc' } } }),
        'InvalidParameterValue', /supported type prefixes: Binary, Number, String/);
        await expectError(sendMsg({ MessageBody: 'x',
            MessageAttributes: { 'AWS.reserved': { DataType: 'String', StringValue: 'v' } } }),
        'InvalidParameterValue', /reserved/);
        const eleven = {};
        for (let i = 0; i < 11; i++)
            eleven[`a${i}`] = { DataType: 'String', StringValue: 'v' };
        await expectError(sendMsg({ MessageBody: 'x', MessageAttributes: eleven }),
            'InvalidParameterValue',
            'Number of message attributes [11] exceeds the allowed maximum [10].');
    });
});

describe('an SQS queue as a rule target', () => {
    test('PutEvents delivers the matching event into the queue', async () => {
        const url = await createQueue('rule-target');
        const eb = srv.eventbridge();
        await eb.send(new PutRuleCommand({ Name: 'to-sqs',
            EventPattern: '{"source":["sqs.test"]}' }));
        await eb.send(new PutTargetsCommand({ Rule: 'to-sqs', Targets: [{ Id: 'q',
            Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:rule-target` }] }));
        const put = await eb.send(new PutEventsCommand({ Entries: [{ Source: 'sqs.test',
            DetailType: 'ping', Detail: '{"n":1}' }] }));
        assert.equal(put.FailedEntryCount, 0);
        const r = await send(ReceiveMessageCommand, { QueueUrl: url, WaitTimeSeconds: 10 });
        assert.equal(r.Messages?.length, 1, 'the event reached the queue');
        const event = JSON.parse(r.Messages[0].Body);
        assert.equal(event.id, put.Entries[0].EventId);
        assert.equal(event.source, 'sqs.test');
        assert.deepEqual(event.detail, { n: 1 });
    });
});

describe('AWS CLI', { skip: HAVE_AWS ? false : 'aws CLI not installed' }, () => {
    let dir;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evbridge-e2e-sqs-cli-'));
        /* cli_follow_urlparam off: CLI v1 would otherwise fetch http:// parameter values. */
        fs.writeFileSync(path.join(dir, 'config'),
            '[default]\ncli_follow_urlparam = false\nregion = us-east-1\n');
    });

    after(() => {
        if (dir)
            fs.rmSync(dir, { recursive: true, force: true });
    });

    const env = () => ({
        ...process.env,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_DEFAULT_REGION: REGION,
        AWS_CONFIG_FILE: path.join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/evbridge-e2e-credentials',
        AWS_MAX_ATTEMPTS: '1',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_PAGER: '',
        NO_PROXY: '127.0.0.1,localhost',
        no_proxy: '127.0.0.1,localhost',
    });

    async function aws(...args) {
        const { stdout } = await run('aws', ['sqs', ...args, '--endpoint-url', srv.endpoint,
            '--output', 'json'], { env: env(), timeout: 30000 });
        return stdout.trim() ? JSON.parse(stdout) : {};
    }

    test('create-queue, send-message, receive-message, delete-message, errors', async () => {
        const created = await aws('create-queue', '--queue-name', 'cli-queue', '--attributes',
            'VisibilityTimeout=45');
        assert.equal(created.QueueUrl, urlOf('cli-queue'));
        /* The URL goes in --cli-input-json, which the CLI never fetches. */
        const q = (extra) => ['--cli-input-json', JSON.stringify({ QueueUrl: created.QueueUrl,
            ...extra })];
        const sent = await aws('send-message', ...q({ MessageBody: 'from the cli',
            MessageAttributes: { kind: { DataType: 'String', StringValue: 'cli' } } }));
        assert.equal(sent.MD5OfMessageBody, md5('from the cli'));
        assert.equal(sent.MD5OfMessageAttributes,
            md5OfAttributes({ kind: { DataType: 'String', StringValue: 'cli' } }));
        const got = await aws('receive-message', ...q({ MessageAttributeNames: ['All'],
            AttributeNames: ['All'] }));
        assert.equal(got.Messages.length, 1);
        assert.equal(got.Messages[0].Body, 'from the cli');
        assert.equal(got.Messages[0].MessageId, sent.MessageId);
        assert.deepEqual(got.Messages[0].MessageAttributes,
            { kind: { DataType: 'String', StringValue: 'cli' } });
        assert.equal(got.Messages[0].Attributes.ApproximateReceiveCount, '1');
        await aws('delete-message', ...q({ ReceiptHandle: got.Messages[0].ReceiptHandle }));
        const attrs = await aws('get-queue-attributes', ...q({ AttributeNames: ['All'] }));
        assert.equal(attrs.Attributes.VisibilityTimeout, '45');
        assert.equal(attrs.Attributes.ApproximateNumberOfMessagesNotVisible, '0');

        const failed = await aws('get-queue-url', '--queue-name', 'no-such-queue').then(
            () => assert.fail('get-queue-url succeeded'), (e) => e);
        assert.notEqual(failed.code, 0);
        assert.match(failed.stderr, /AWS\.SimpleQueueService\.NonExistentQueue/);
        assert.match(failed.stderr, /The specified queue does not exist\./);
    });
});
