// The verifier against RFC 9421 itself: the test request of Appendix B.2, sent as raw bytes exactly
// as printed there and parsed by Node's HTTP parser, with the shared secret of B.1.5 and the
// Signature-Input and Signature of B.2.5 (hmac-sha256). Interoperability proven against the RFC,
// not against our own signer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { hmacSha256Matches, readSignatures, signatureBase, type SignedRequest } from '../../src/signatures/message-signatures.js';
import { declaredSha256 } from '../../src/signatures/content-digest.js';

/** RFC 9421 Appendix B.1.5, "test-shared-secret". */
const SHARED_SECRET = Buffer.from('uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==', 'base64');

/** Appendix B.2's test request with B.2.5's fields added (the RFC 8792 line wrap undone). */
function b25Request(signatureInput: string, signature: string): string {
  return [
    'POST /foo?param=Value&Pet=dog HTTP/1.1',
    'Host: example.com',
    'Date: Tue, 20 Apr 2021 02:07:55 GMT',
    'Content-Type: application/json',
    'Content-Digest: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
    'Content-Length: 18',
    `Signature-Input: ${signatureInput}`,
    `Signature: ${signature}`,
    '',
    '{"hello": "world"}',
  ].join('\r\n');
}

const B25_INPUT = 'sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"';
const B25_SIGNATURE = 'sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:';

/** Sends raw bytes to a loopback server and hands back the request as Node parsed it. */
async function parsed(raw: string): Promise<SignedRequest> {
  let received: IncomingMessage | undefined;
  const server = createServer((req, res) => {
    received = req;
    req.resume();
    req.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(raw));
    socket.on('data', () => socket.destroy());
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(received, 'the server got the request');
  return { method: received.method ?? '', url: new URL(received.url ?? '/', `https://${received.headers.host}`), headers: received.headers };
}

test('RFC 9421 B.2.5: the printed hmac-sha256 signature verifies with the printed shared secret', async () => {
  const request = await parsed(b25Request(B25_INPUT, B25_SIGNATURE));
  const [signature] = readSignatures(request.headers);
  assert.ok(signature);
  assert.equal(signature.label, 'sig-b25');
  assert.equal(signature.keyid, 'test-shared-secret');
  assert.equal(signature.created, 1618884473);
  assert.deepEqual(signature.components, ['date', '@authority', 'content-type']);
  // The signature base exactly as B.2.5 prints it.
  assert.equal(signatureBase(request, signature), [
    '"date": Tue, 20 Apr 2021 02:07:55 GMT',
    '"@authority": example.com',
    '"content-type": application/json',
    '"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"',
  ].join('\n'));
  assert.equal(hmacSha256Matches(request, signature, SHARED_SECRET), true);
});

test('RFC 9421 B.2.5: the same signature fails for another secret, a changed header or changed parameters', async () => {
  const request = await parsed(b25Request(B25_INPUT, B25_SIGNATURE));
  const [signature] = readSignatures(request.headers);
  assert.ok(signature);
  assert.equal(hmacSha256Matches(request, signature, Buffer.from('another secret')), false);

  const changedDate = await parsed(b25Request(B25_INPUT, B25_SIGNATURE).replace('02:07:55', '02:07:56'));
  const [forDate] = readSignatures(changedDate.headers);
  assert.ok(forDate);
  assert.equal(hmacSha256Matches(changedDate, forDate, SHARED_SECRET), false);

  const changedCreated = await parsed(b25Request(B25_INPUT.replace('1618884473', '1618884474'), B25_SIGNATURE));
  const [forCreated] = readSignatures(changedCreated.headers);
  assert.ok(forCreated);
  assert.equal(hmacSha256Matches(changedCreated, forCreated, SHARED_SECRET), false);
});

test('RFC 9530: a Content-Digest without sha-256 (B.2 carries sha-512 only) is refused with a reason', async () => {
  const request = await parsed(b25Request(B25_INPUT, B25_SIGNATURE));
  assert.throws(() => declaredSha256(String(request.headers['content-digest'])), { reason: 'digest_missing' });
  // RFC 9530 §B.1's sha-256 example for {"hello": "world"}.
  const sha256 = 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:';
  assert.equal(declaredSha256(sha256).toString('base64'), 'X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=');
});
