// Caddy (Debian 2.6.2) terminating TLS in front of Gatehouse, as docs/mutual-tls.md configures it:
// it asks for a client certificate without verifying it (client_auth mode request), always removes
// the client's own X-SSL-Client-Cert, and sets it to the certificate (base64 DER) only when there
// is one: Caddy 2.6 would otherwise send the unresolved placeholder text. The API under /orders/
// is guarded by forward_auth, whose check request carries the same header.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import type { Certificate } from './certificates.js';
import { CERTIFICATE_HEADER, type TlsProxy } from './mtls-nginx.js';

export function mtlsCaddyConfig(port: number, server: Certificate, gatehouse: string, api: string): string {
  return `{
  admin off
  auto_https off
}

https://localhost:${port} {
  tls ${server.certFile} ${server.keyFile} {
    client_auth {
      mode request
    }
  }
  route {
    request_header -${CERTIFICATE_HEADER}
    @client_certificate vars_regexp {http.request.tls.client.fingerprint} ^[0-9a-f]{64}$
    request_header @client_certificate ${CERTIFICATE_HEADER} {http.request.tls.client.certificate_der_base64}
    handle /orders/* {
      forward_auth ${new URL(gatehouse).host} {
        uri /api/authz/forward-auth
      }
      reverse_proxy ${new URL(api).host}
    }
    reverse_proxy ${new URL(gatehouse).host}
  }
}
`;
}

export async function startMtlsCaddy(port: number, server: Certificate, gatehouse: string, api: string): Promise<TlsProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-mtls-caddy-'));
  const conf = join(dir, 'Caddyfile');
  await writeFile(conf, mtlsCaddyConfig(port, server, gatehouse, api));
  const log: string[] = [];
  const child = spawn('caddy', ['run', '--config', conf, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') },
  });
  child.stdout.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`caddy exited:\n${log.join('')}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) throw new Error(`caddy did not listen on ${port}:\n${log.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `https://localhost:${port}`,
    output: async () => log.join(''),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
