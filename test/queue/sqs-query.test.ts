import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { YandexMessageQueue } from '../../lib/queue/message-queue';
import {
  decodeXmlText,
  encodeQueryParams,
  MessageQueueError,
  SqsQueryClient,
  xmlAttributes,
  xmlBlocks,
  xmlValue,
} from '../../lib/queue/sqs-query';

/** A scripted peer on loopback: `answer` gets the attempt number (from 1) and the form body. */
async function scriptedServer(answer: (attempt: number, body: string, response: ServerResponse) => void) {
  const bodies: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      answer(bodies.length, bodies.at(-1)!, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const credentials = { region: 'ru-central1', accessKeyId: 'key', secretAccessKey: 'secret' };

function xml(response: ServerResponse, status: number, text: string) {
  response.writeHead(status, { 'content-type': 'text/xml' }).end(text);
}

const errorAnswer = (code: string, message = 'no') =>
  `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r</RequestId></ErrorResponse>`;

const sentAnswer =
  '<SendMessageResponse><SendMessageResult><MessageId>m-1</MessageId></SendMessageResult></SendMessageResponse>';

describe('the AWS Query encoding', () => {
  it('percent-encodes names and values as RFC 3986 asks, spaces as %20', () => {
    expect(
      encodeQueryParams({
        Action: 'SendMessage',
        MessageBody: `a b+c=d&e!'()*~ я 🙂`,
        'SendMessageBatchRequestEntry.1.Id': '0',
      }),
    ).toBe(
      'Action=SendMessage&MessageBody=a%20b%2Bc%3Dd%26e%21%27%28%29%2A~%20%D1%8F%20%F0%9F%99%82&SendMessageBatchRequestEntry.1.Id=0',
    );
  });

  it('reads the elements of an XML answer and decodes their text', () => {
    const answer = `<?xml version="1.0"?>
      <ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">
        <ReceiveMessageResult>
          <Message>
            <MessageId>m-1</MessageId>
            <ReceiptHandle>r+1/=</ReceiptHandle>
            <MD5OfBody>x</MD5OfBody>
            <Body>&lt;b&gt;Tom &amp; &quot;Jerry&quot;&lt;/b&gt; it&apos;s&#xD;
Привет 🙂 &#128075; &#x1F44B;</Body>
            <Attribute><Name>ApproximateReceiveCount</Name><Value>2</Value></Attribute>
            <Attribute><Name>SentTimestamp</Name><Value>1767225600000</Value></Attribute>
          </Message>
          <Message><MessageId>m-2</MessageId><Body><![CDATA[<raw> & ]]>&amp;</Body></Message>
        </ReceiveMessageResult>
        <ResponseMetadata><RequestId>q</RequestId></ResponseMetadata>
      </ReceiveMessageResponse>`;
    const messages = xmlBlocks(answer, 'Message');
    expect(messages).toHaveLength(2);
    expect(xmlValue(messages[0]!, 'MessageId')).toBe('m-1');
    expect(xmlValue(messages[0]!, 'Body')).toBe(`<b>Tom & "Jerry"</b> it's\r\nПривет 🙂 👋 👋`);
    expect(xmlAttributes(messages[0]!)).toEqual({
      ApproximateReceiveCount: '2',
      SentTimestamp: '1767225600000',
    });
    expect(xmlValue(messages[1]!, 'Body')).toBe('<raw> & &');
    expect(xmlValue(answer, 'Missing')).toBeUndefined();
    expect(xmlBlocks('<A><B/><B>x</B></A>', 'B')).toEqual(['', 'x']);
    expect(decodeXmlText('Tom & Jerry &unknown; &#xFFFFFFF;')).toBe('Tom & Jerry &unknown; &#xFFFFFFF;');
  });
});

describe('the Query client: errors, retries and timeouts', () => {
  it('retries a 5xx and a throttled answer, then succeeds', async () => {
    const peer = await scriptedServer((attempt, _body, response) => {
      if (attempt === 1) xml(response, 503, errorAnswer('ServiceUnavailable'));
      else if (attempt === 2) xml(response, 403, errorAnswer('ThrottlingException'));
      else xml(response, 200, sentAnswer);
    });
    const client = new SqsQueryClient({ ...credentials, endpoint: peer.endpoint });
    const answer = await client.call('SendMessage', { QueueUrl: 'q', MessageBody: 'x' });
    expect(xmlValue(answer, 'MessageId')).toBe('m-1');
    expect(peer.bodies).toHaveLength(3);
    expect(new Set(peer.bodies).size).toBe(1); // the same request each time
    await peer.close();
  });

  it('does not retry an error of the caller, and carries its code and status', async () => {
    const peer = await scriptedServer((_attempt, _body, response) =>
      xml(response, 400, errorAnswer('InvalidParameterValue', 'Value &lt;x&gt; is invalid')),
    );
    const client = new SqsQueryClient({ ...credentials, endpoint: peer.endpoint });
    const failure = await client.call('SendMessage', { QueueUrl: 'q' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MessageQueueError);
    expect(failure).toMatchObject({
      code: 'queue_api',
      action: 'SendMessage',
      awsCode: 'InvalidParameterValue',
      status: 400,
      message: 'SendMessage: InvalidParameterValue (Value <x> is invalid)',
    });
    expect((failure as MessageQueueError).toJSON()).toMatchObject({
      awsCode: 'InvalidParameterValue',
      status: 400,
    });
    expect(peer.bodies).toHaveLength(1);
    await peer.close();
  });

  it('gives up after three attempts, keeping the last status; a non-XML answer keeps its HTTP status', async () => {
    const peer = await scriptedServer((_attempt, _body, response) =>
      response.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>'),
    );
    const client = new SqsQueryClient({ ...credentials, endpoint: peer.endpoint });
    await expect(client.call('ReceiveMessage', { QueueUrl: 'q' })).rejects.toMatchObject({
      awsCode: 'HTTP 502',
      status: 502,
    });
    expect(peer.bodies).toHaveLength(3);
    await peer.close();
  });

  it('bounds each attempt by timeoutMs and retries a timeout', async () => {
    const peer = await scriptedServer((attempt, _body, response) => {
      if (attempt < 3) return; // never answers
      xml(response, 200, sentAnswer);
    });
    const client = new SqsQueryClient({ ...credentials, endpoint: peer.endpoint, timeoutMs: 150 });
    const started = Date.now();
    await client.call('SendMessage', { QueueUrl: 'q' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(peer.bodies).toHaveLength(3);
    await peer.close();
  });

  it('reports a timeout and an unreachable endpoint as typed errors with status 0', async () => {
    const peer = await scriptedServer(() => {});
    const slow = new SqsQueryClient({ ...credentials, endpoint: peer.endpoint, timeoutMs: 100 });
    await expect(slow.call('DeleteMessage', { QueueUrl: 'q' })).rejects.toMatchObject({
      awsCode: 'Timeout',
      status: 0,
    });
    expect(peer.bodies).toHaveLength(3);
    await peer.close();

    const gone = new SqsQueryClient({ ...credentials, endpoint: peer.endpoint });
    await expect(gone.call('DeleteMessage', { QueueUrl: 'q' })).rejects.toMatchObject({
      code: 'queue_api',
      awsCode: 'NetworkError',
      status: 0,
    });
  });
});

describe('the Message Queue adapter on answers as Message Queue writes them', () => {
  it('reads escaped bodies and attributes of received messages', async () => {
    const peer = await scriptedServer((_attempt, _body, response) =>
      xml(
        response,
        200,
        `<ReceiveMessageResponse><ReceiveMessageResult><Message><MessageId>m-1</MessageId><ReceiptHandle>h-1</ReceiptHandle><MD5OfBody>x</MD5OfBody><Body>{&quot;text&quot;:&quot;a &amp; b &lt;3&#xD;\nПока 👋&quot;}</Body><Attribute><Name>SentTimestamp</Name><Value>1767225600000</Value></Attribute><Attribute><Name>ApproximateReceiveCount</Name><Value>4</Value></Attribute></Message></ReceiveMessageResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ReceiveMessageResponse>`,
      ),
    );
    const queue = new YandexMessageQueue({
      ...credentials,
      endpoint: peer.endpoint,
      queueUrls: { notify: 'q' },
    });
    expect(await queue.receive('notify', { maxMessages: 10, visibilityTimeoutSeconds: 30 })).toEqual([
      {
        messageId: 'm-1',
        body: '{"text":"a & b <3\r\nПока 👋"}',
        receiptHandle: 'h-1',
        receiveCount: 4,
        sentAt: 1767225600000,
      },
    ]);
    await peer.close();
  });

  it('fails a batch that was only partly accepted, naming the codes', async () => {
    const peer = await scriptedServer((_attempt, _body, response) =>
      xml(
        response,
        200,
        '<SendMessageBatchResponse><SendMessageBatchResult><SendMessageBatchResultEntry><Id>0</Id><MessageId>m</MessageId></SendMessageBatchResultEntry><BatchResultErrorEntry><Id>1</Id><Code>InternalError</Code><Message>try again</Message><SenderFault>false</SenderFault></BatchResultErrorEntry></SendMessageBatchResult></SendMessageBatchResponse>',
      ),
    );
    const queue = new YandexMessageQueue({
      ...credentials,
      endpoint: peer.endpoint,
      queueUrls: { notify: 'q' },
    });
    await expect(
      queue.sendBatch('notify', [{ body: 'a' }, { body: 'b', delaySeconds: 60 }]),
    ).rejects.toMatchObject({
      code: 'queue_send',
      message: '1 of 2 messages were not sent to notify (InternalError)',
    });
    const sent = new URLSearchParams(peer.bodies[0]);
    expect(sent.get('SendMessageBatchRequestEntry.2.MessageBody')).toBe('b');
    expect(sent.get('SendMessageBatchRequestEntry.2.DelaySeconds')).toBe('60');
    expect(sent.has('SendMessageBatchRequestEntry.1.DelaySeconds')).toBe(false);
    await peer.close();
  });
});
