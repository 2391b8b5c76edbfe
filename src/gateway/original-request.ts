// The request a gateway asks about, read from what each gateway dialect sends: nginx auth_request
// (X-Original-Method, X-Original-URL), Traefik / Caddy / HAProxy forward auth (X-Forwarded-Method,
// -Proto, -Host, -Uri), and Envoy ext_authz (the original method and Host, the original path after
// the check's prefix). The method, URL and headers; the body only where the gateway forwards it
// (Envoy with_request_body, Traefik forwardBody), for a signed request's Content-Digest.
import type { IncomingHttpHeaders } from 'node:http';
import { refuse } from './refusal.js';

export type Dialect = 'auth-request' | 'forward-auth' | 'ext-authz';

export interface OriginalRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  /** The original body, when the gateway forwarded one with the check. */
  body?: ForwardedBody | undefined;
}

export interface ForwardedBody {
  bytes: Buffer;
  /** The gateway sent only the start of it (Envoy's allow_partial_message), or it was too long to read. */
  partial: boolean;
}

export const EXT_AUTHZ_PREFIX = '/api/authz/ext-authz';

const METHOD = /^[A-Z]{1,16}$/;

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function required(headers: IncomingHttpHeaders, name: string): string {
  const value = single(headers, name)?.trim();
  if (!value) refuse({ status: 400, error: 'invalid_request', description: `the gateway did not send ${name}`, reason: 'gateway_request' });
  return value;
}

function methodFrom(raw: string): string {
  const method = raw.toUpperCase();
  if (!METHOD.test(method)) refuse({ status: 400, error: 'invalid_request', description: 'the original method is not an HTTP method', reason: 'gateway_request' });
  return method;
}

function urlFrom(raw: string): URL {
  const url = URL.parse(raw);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    refuse({ status: 400, error: 'invalid_request', description: 'the original URL is not an absolute http(s) URL', reason: 'gateway_request' });
  }
  return url;
}

/** Host may arrive as a list when proxies chain; the first is the one the caller used. */
function firstOf(value: string): string {
  return value.split(',')[0].trim();
}

function originFor(headers: IncomingHttpHeaders, proto: string | undefined): string {
  const scheme = firstOf(proto ?? 'https').toLowerCase();
  if (scheme !== 'https' && scheme !== 'http') refuse({ status: 400, error: 'invalid_request', description: 'the original scheme must be http or https', reason: 'gateway_request' });
  return `${scheme}://${firstOf(single(headers, 'x-forwarded-host') ?? required(headers, 'host'))}`;
}

/** `method` and `path` are the check request's own (Envoy sends the original's). */
export function readOriginalRequest(dialect: Dialect, headers: IncomingHttpHeaders, method: string, path: string): OriginalRequest {
  switch (dialect) {
    case 'auth-request':
      return { method: methodFrom(required(headers, 'x-original-method')), url: urlFrom(required(headers, 'x-original-url')), headers };
    case 'forward-auth': {
      const uri = required(headers, 'x-forwarded-uri');
      if (!uri.startsWith('/')) refuse({ status: 400, error: 'invalid_request', description: 'X-Forwarded-Uri must be a path', reason: 'gateway_request' });
      const origin = originFor({ host: required(headers, 'x-forwarded-host') }, single(headers, 'x-forwarded-proto'));
      return { method: methodFrom(required(headers, 'x-forwarded-method')), url: urlFrom(origin + uri), headers };
    }
    case 'ext-authz': {
      const originalPath = path.slice(EXT_AUTHZ_PREFIX.length) || '/';
      return { method: methodFrom(method), url: urlFrom(originFor(headers, single(headers, 'x-forwarded-proto')) + originalPath), headers };
    }
  }
}
