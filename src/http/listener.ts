// The server Gatehouse listens with: plain HTTP behind a TLS-terminating proxy, or HTTPS when it
// terminates TLS itself (TLS_CERT_FILE, TLS_KEY_FILE). Then it asks every client for a certificate
// but lets the handshake succeed without one, or with one no CA vouches for: self-signed
// certificates are how self_signed_tls_client_auth clients authenticate, and browsers must still
// reach the sign-in pages. What a certificate proves is decided per request (src/mtls).
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Config } from '../config/env.js';

export function createListener(config: Pick<Config, 'tls' | 'mtls'>, handle: RequestListener): Server {
  if (!config.tls) return createServer(handle);
  return createTlsServer({
    cert: config.tls.certPem,
    key: config.tls.keyPem,
    requestCert: true,
    rejectUnauthorized: false,
    // Sent as the acceptable CAs, so a client with several certificates offers the right one.
    ...(config.mtls.clientCaPems.length ? { ca: config.mtls.clientCaPems } : {}),
  }, handle);
}
