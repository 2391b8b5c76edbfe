// Debian's nginx terminating TLS in front of Gatehouse and of an API, the way docs/mutual-tls.md
// configures it: it asks every client for a certificate without requiring one or checking who issued
// it (ssl_verify_client optional_no_ca), and sets X-SSL-Client-Cert to the certificate it got
// ($ssl_client_escaped_cert), which replaces any header of that name the client sent. The APIs under
// /orders/ and /ledger/ are guarded by the gateway check, which gets the same header.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import type { Certificate } from './certificates.js';

export const CERTIFICATE_HEADER = 'X-SSL-Client-Cert';

export interface TlsProxy {
  url: string;
  output(): Promise<string>;
  stop(): Promise<void>;
}

export function mtlsNginxConfig(dir: string, port: number, server: Certificate, gatehouse: string, api: string, user: string | undefined): string {
  return `${user ? `user ${user};\n` : ''}daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;

  upstream gatehouse { server ${new URL(gatehouse).host}; keepalive 16; }
  upstream api { server ${new URL(api).host}; keepalive 16; }

  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${server.certFile};
    ssl_certificate_key ${server.keyFile};
    ssl_verify_client optional_no_ca;

    proxy_http_version 1.1;

    # proxy_set_header is inherited only by locations that set none of their own, so each sets all.
    # X-SSL-Client-Cert is always set, so a client's own header of that name never gets through
    # (an empty value, no certificate, sends none).
    location / {
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header ${CERTIFICATE_HEADER} $ssl_client_escaped_cert;
      proxy_pass http://gatehouse;
    }

    location ~ ^/(orders|ledger)/ {
      auth_request /_gatehouse_check;
      auth_request_set $gh_client_id $upstream_http_x_gatehouse_client_id;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Gatehouse-Client-Id $gh_client_id;
      proxy_set_header ${CERTIFICATE_HEADER} $ssl_client_escaped_cert;
      proxy_pass http://api;
    }

    location = /_gatehouse_check {
      internal;
      proxy_pass http://gatehouse/api/authz/auth-request;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Connection "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URL https://$http_host$request_uri;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header ${CERTIFICATE_HEADER} $ssl_client_escaped_cert;
    }
  }
}
`;
}

async function waitForPort(port: number, exited: () => boolean, output: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`nginx exited:\n${await output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on ${port}:\n${await output()}`);
}

export async function startMtlsNginx(port: number, server: Certificate, gatehouse: string, api: string): Promise<TlsProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-mtls-nginx-'));
  await chmod(dir, 0o755);
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, mtlsNginxConfig(dir, port, server, gatehouse, api, process.getuid?.() === 0 ? 'www-data' : undefined));
  const log: string[] = [];
  const child = spawn('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const output = async () => log.join('') + await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
  await waitForPort(port, () => child.exitCode !== null, output);
  return {
    url: `https://127.0.0.1:${port}`,
    output,
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
