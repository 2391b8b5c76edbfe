// Reads the small urlencoded bodies our forms send, only on our routes, with a hard size cap, so
// oidc-provider still reads its own request bodies and a huge post cannot tie up the server.
import type { Context } from 'koa';
import { PageError } from './errors.js';

export const FORM_LIMIT_BYTES = 16 * 1024;

const tooLarge = () => new PageError(413, 'invalid_request', 'The form sent was too large.');

export async function readForm(ctx: Context, limit = FORM_LIMIT_BYTES): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new PageError(415, 'invalid_request', 'The form was not sent in the expected format.');
  }
  const encoding = ctx.get('Content-Encoding').toLowerCase();
  if (encoding && encoding !== 'identity') {
    throw new PageError(415, 'invalid_request', 'The form was not sent in the expected format.');
  }
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limit) throw tooLarge();

  const raw = await new Promise<Buffer>((resolve, reject) => {
    const { req } = ctx;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    // After a failure the listeners stay attached so the rest of the body is read and discarded.
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limit) settle(tooLarge());
      else chunks.push(chunk);
    });
    req.on('end', () => settle());
    req.on('error', () => settle(new PageError(400, 'invalid_request', 'The form could not be read.')));
    req.on('aborted', () => settle(new PageError(400, 'invalid_request', 'The form could not be read.')));
  });
  return new URLSearchParams(raw.toString('utf8'));
}

