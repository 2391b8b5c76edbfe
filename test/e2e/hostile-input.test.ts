// Specific hostile requests and the exact answers they get: an OAuth error body at the protocol
// endpoints, an error page on our pages, never a 5xx or a stack trace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGatehouse, type Gatehouse } from '../support/gatehouse-process.js';
import { createClient, type CreatedClient } from '../support/relying-party.js';

describe('hostile input', () => {
  let gh: Gatehouse;
  let svc: CreatedClient;
  before(async () => {
    gh = await startGatehouse();
    svc = await createClient(gh, ['--name', 'Svc', '--grant', 'client_credentials']);
  });
  after(async () => gh?.stop());

  const basic = () => `Basic ${Buffer.from(`${svc.client_id}:${svc.client_secret}`).toString('base64')}`;

  async function token(body: BodyInit, contentType: string, authorization = basic()) {
    const response = await fetch(`${gh.issuer}/token`, { method: 'POST', headers: { 'content-type': contentType, authorization }, body });
    const text = await response.text();
    assert.doesNotMatch(text, /\.js:\d+|node_modules/, 'no stack trace');
    return { status: response.status, json: JSON.parse(text) as { error?: string; error_description?: string } };
  }

  test('the token endpoint answers garbage with 4xx and an OAuth error body', async () => {
    const cases: [BodyInit, string, number, string][] = [
      ['grant_type=client_credentials', 'application/json', 400, 'invalid_request'],
      ['{"grant_type": ', 'application/json', 400, 'invalid_request'],
      ['grant_type=client_credentials&grant_type=client_credentials', 'application/x-www-form-urlencoded', 400, 'invalid_request'],
      [`grant_type=client_credentials&client_id=${'a'.repeat(40_000)}`, 'application/x-www-form-urlencoded', 400, 'invalid_request'],
      [new Uint8Array([0x67, 0x72, 0x61, 0x6e, 0x74, 0x5f, 0x74, 0x79, 0x70, 0x65, 0x3d, 0xff, 0xfe]), 'application/x-www-form-urlencoded', 400, 'unsupported_grant_type'],
      ['grant_type=%zz', 'application/x-www-form-urlencoded', 400, 'unsupported_grant_type'],
      ['x'.repeat(70_000), 'application/x-www-form-urlencoded', 413, 'invalid_request'],
    ];
    for (const [body, type, status, error] of cases) {
      const answer = await token(body, type);
      assert.equal(answer.status, status, `${type} ${String(body).slice(0, 60)}`);
      assert.equal(answer.json.error, error, `${type} ${String(body).slice(0, 60)}: ${answer.json.error_description}`);
    }
    const badAuth = await token('grant_type=client_credentials', 'application/x-www-form-urlencoded', 'Basic !!!');
    assert.equal(badAuth.status, 400);
    assert.equal(badAuth.json.error, 'invalid_request');
  });

  test('our pages answer a broken or oversized form with an error page', async () => {
    const response = await fetch(`${gh.issuer}/interaction/nonexistent/login`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: 'a'.repeat(20_000),
    });
    assert.equal(response.status, 413);
    assert.match(await response.text(), /<html/i);
    const wrongType = await fetch(`${gh.issuer}/interaction/nonexistent/login`, {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/html' }, body: '{}',
    });
    assert.equal(wrongType.status, 415);
  });
});
