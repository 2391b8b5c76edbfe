// Where a request's client certificate comes from. A request over Gatehouse's own TLS listener
// (TLS_CERT_FILE) has only its connection's certificate. Any other request has the one its
// TLS-terminating proxy put in MTLS_CERTIFICATE_HEADER, and only with TRUST_PROXY=true; without
// both, no header is believed, so a certificate (public, anyone can copy it) sent in a header
// straight to Gatehouse authenticates no one.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { certificateFromHeader, checkValidity, type PresentedCertificate } from './presented-certificate.js';

export class ClientCertificateSource {
  /** One reading per request: oidc-provider asks several times while it handles one. */
  private readonly seen = new WeakMap<IncomingMessage, PresentedCertificate | undefined>();

  /** `header`: the lower-case header name to trust, or undefined when none is. */
  constructor(private readonly header: string | undefined) {}

  of(req: IncomingMessage): PresentedCertificate | undefined {
    if (this.seen.has(req)) return this.seen.get(req);
    const socket = req.socket as Partial<TLSSocket>;
    const presented = socket.encrypted ? fromConnection(socket as TLSSocket) : this.fromHeaders(req.headers);
    this.seen.set(req, presented);
    return presented;
  }

  /** The certificate in a trusted header of these headers (a gateway check's original request). */
  fromHeaders(headers: IncomingHttpHeaders): PresentedCertificate | undefined {
    if (!this.header) return undefined;
    const value = headers[this.header];
    if (Array.isArray(value)) return { usable: false, problem: `came in more than one ${this.header} header` };
    if (value === undefined || value.trim() === '') return undefined;
    return certificateFromHeader(value);
  }
}

function fromConnection(socket: TLSSocket): PresentedCertificate | undefined {
  const certificate = socket.getPeerX509Certificate();
  return certificate ? checkValidity(certificate, new Date()) : undefined;
}
