// RFC 9421 HTTP Message Signatures on a request: the Signature-Input and Signature fields read with
// a structured-field parser (structured-headers, RFC 8941/9651), the signature base built from the
// covered components (§2.5), and the hmac-sha256 check (§3.3.3). What a deployment demands on top
// (which components, how fresh, single-use nonces) is the caller's policy, not this module's.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isInnerList, parseDictionary, serializeInnerList, serializeItem, type BareItem, type InnerList } from 'structured-headers';
import { signatureError } from './signature-error.js';

export interface SignedRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
}

/** One signature of a request, as its Signature-Input member describes it. */
export interface MessageSignature {
  label: string;
  /** Component identifiers as sent: "@method", "content-digest". */
  components: string[];
  created: number | undefined;
  expires: number | undefined;
  nonce: string | undefined;
  keyid: string | undefined;
  alg: string | undefined;
  /** The Signature-Input member, kept for @signature-params. */
  input: InnerList;
  /** The signature bytes from the Signature field. */
  value: Buffer;
}

const DERIVED: Record<string, (request: SignedRequest) => string> = {
  '@method': (request) => request.method,
  '@target-uri': (request) => request.url.href,
  '@authority': (request) => request.url.host,
  '@scheme': (request) => request.url.protocol.slice(0, -1),
  '@request-target': (request) => request.url.pathname + request.url.search,
  '@path': (request) => request.url.pathname,
  // "?" alone when there is no query (§2.2.7).
  '@query': (request) => `?${request.url.search.slice(1)}`,
};

function fieldLine(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  // Several lines of one field are combined with ", " (§2.1); Node has combined them already.
  return (Array.isArray(value) ? value : [value]).map((v) => v.trim()).join(', ');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function dictionaryOf(raw: string, field: string): ReturnType<typeof parseDictionary> {
  try {
    return parseDictionary(raw);
  } catch {
    signatureError('signature_malformed', `the ${field} header is not a valid structured field dictionary (RFC 8941)`);
  }
}

function integerParam(value: BareItem | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) signatureError('signature_malformed', `the signature's ${name} parameter must be an integer (seconds since the epoch)`);
  return value;
}

function stringParam(value: BareItem | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') signatureError('signature_malformed', `the signature's ${name} parameter must be a string`);
  return value;
}

/** Every signature the request carries, in Signature-Input order; none when it has no Signature-Input. */
export function readSignatures(headers: IncomingHttpHeaders): MessageSignature[] {
  const inputRaw = header(headers, 'signature-input');
  if (inputRaw === undefined) return [];
  const signatureRaw = header(headers, 'signature');
  if (signatureRaw === undefined) signatureError('signature_missing', 'the request has Signature-Input but no Signature header');
  const inputs = dictionaryOf(inputRaw, 'Signature-Input');
  const values = dictionaryOf(signatureRaw, 'Signature');
  return [...inputs].map(([label, member]): MessageSignature => {
    if (!isInnerList(member)) signatureError('signature_malformed', `Signature-Input ${label} must be an inner list of components`);
    const [items, params] = member;
    const components = items.map(([name, componentParams]) => {
      if (typeof name !== 'string') signatureError('signature_malformed', `Signature-Input ${label} lists a component that is not a string`);
      if (componentParams.size > 0) signatureError('signature_component_unsupported', `component parameters (such as ;sf, ;key, ;bs, ;req) are not supported, on ${name}`);
      return name;
    });
    if (new Set(components).size !== components.length) signatureError('signature_malformed', `Signature-Input ${label} lists a component twice`);
    const value = values.get(label);
    if (!value || isInnerList(value) || !(value[0] instanceof ArrayBuffer)) {
      signatureError('signature_malformed', `the Signature header has no byte sequence for ${label}`);
    }
    return {
      label,
      components,
      created: integerParam(params.get('created'), 'created'),
      expires: integerParam(params.get('expires'), 'expires'),
      nonce: stringParam(params.get('nonce'), 'nonce'),
      keyid: stringParam(params.get('keyid'), 'keyid'),
      alg: stringParam(params.get('alg'), 'alg'),
      input: member,
      value: Buffer.from(value[0]),
    };
  });
}

function componentValue(request: SignedRequest, name: string): string {
  if (name.startsWith('@')) {
    const derive = DERIVED[name];
    if (!derive) signatureError('signature_component_unsupported', `the component ${name} is not supported on a request`);
    return derive(request);
  }
  if (name !== name.toLowerCase()) signatureError('signature_malformed', `header components must be lower-case, got ${name}`);
  const value = fieldLine(request.headers, name);
  if (value === undefined) signatureError('signature_header_missing', `the signature covers the ${name} header, which the request does not carry`);
  return value;
}

/** The signature base (RFC 9421 §2.5): one line per covered component, then @signature-params. */
export function signatureBase(request: SignedRequest, signature: MessageSignature): string {
  const lines = signature.components.map((name) => `${serializeItem(name, new Map())}: ${componentValue(request, name)}`);
  lines.push(`"@signature-params": ${serializeInnerList(signature.input)}`);
  return lines.join('\n');
}

/** True when `signature` is the hmac-sha256 of the request's signature base under `key`. */
export function hmacSha256Matches(request: SignedRequest, signature: MessageSignature, key: Buffer): boolean {
  const expected = createHmac('sha256', key).update(signatureBase(request, signature), 'utf8').digest();
  return expected.length === signature.value.length && timingSafeEqual(expected, signature.value);
}
