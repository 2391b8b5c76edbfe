// Real gateways in front of a tiny upstream, each asking Gatehouse on every call: Debian's nginx
// with auth_request, and Caddy with forward_auth, on free loopback ports. Their configurations are
// the ones docs/gateways.md shows. The upstream answers with the method, URL and headers it got, so
// a test sees exactly what an API behind the gateway would.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './gatehouse-process.js';

export interface Upstream {
  url: string;
  close(): Promise<void>;
}

/** What the upstream saw of one request. */
export interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface Gateway {
  name: 'nginx' | 'caddy';
  /** Where callers send their API calls, e.g. http://127.0.0.1:PORT. */
  url: string;
  /** Everything the gateway wrote to stdout, stderr and its error log so far. */
  output(): Promise<string>;
  stop(): Promise<void>;
}

export async function startUpstream(): Promise<Upstream> {
  const port = await freePort();
  const server: Server = createServer((req, res) => {
    const echo: Echo = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(echo));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function waitForPort(port: number, child: ChildProcess, output: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${await output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gateway did not listen on ${port}:\n${await output()}`);
}

/** The identity headers Gatehouse answers an allowed check with, which the gateway copies upstream. */
export const IDENTITY_HEADERS = ['X-Gatehouse-Client-Id', 'X-Gatehouse-Subject', 'X-Gatehouse-Scope', 'X-Gatehouse-Api-Key-Id'] as const;

/** How nginx names a response header in variables: X-Gatehouse-Client-Id is x_gatehouse_client_id. */
const nginxName = (header: string) => header.toLowerCase().replace(/-/g, '_');
/** Our variable for an identity header: $gh_client_id. */
const variableFor = (header: string) => `$gh_${nginxName(header).replace(/^x_gatehouse_/, '')}`;

/**
 * nginx: auth_request only passes 2xx, 401 and 403 on, any other answer becomes a 500, and it never
 * passes the check's body, nor any header but a 401's WWW-Authenticate. So the check's status and
 * headers (its JSON error body among them, in X-Gatehouse-Error-Body) are kept in variables, and
 * nginx's own 401, 403 and 500 are answered again from them: the caller sees the check's status
 * (429 included), challenge, Retry-After, RateLimit fields, DPoP nonce and JSON body. Every
 * identity header is set from the check's answer, which replaces whatever the caller sent under
 * that name (and sends none when empty).
 */
export function nginxConfig(dir: string, port: number, gatehouse: string, upstream: string, user: string | undefined): string {
  const identity = IDENTITY_HEADERS.map((h) => `      auth_request_set ${variableFor(h)} $upstream_http_${nginxName(h)};\n      proxy_set_header ${h} ${variableFor(h)};`).join('\n');
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

  # nginx passes a 401's WWW-Authenticate on by itself, but drops a 403's (insufficient_scope).
  map $gh_status $gh_403_challenge { 403 $gh_www_authenticate; default ""; }

  upstream gatehouse { server ${new URL(gatehouse).host}; keepalive 16; }
  upstream api { server ${new URL(upstream).host}; keepalive 16; }

  server {
    listen 127.0.0.1:${port};

    location / {
      auth_request /_gatehouse_check;
${identity}
      auth_request_set $gh_status $upstream_status;
      auth_request_set $gh_error_body $upstream_http_x_gatehouse_error_body;
      auth_request_set $gh_www_authenticate $upstream_http_www_authenticate;
      auth_request_set $gh_dpop_nonce $upstream_http_dpop_nonce;
      auth_request_set $gh_retry_after $upstream_http_retry_after;
      auth_request_set $gh_ratelimit_limit $upstream_http_ratelimit_limit;
      auth_request_set $gh_ratelimit_remaining $upstream_http_ratelimit_remaining;
      auth_request_set $gh_ratelimit_reset $upstream_http_ratelimit_reset;
      error_page 401 403 500 = @gatehouse_refused;
      proxy_set_header Host $http_host;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://api;
    }

    location = /_gatehouse_check {
      internal;
      proxy_pass http://gatehouse/api/authz/auth-request;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }

    location @gatehouse_refused {
      internal;
      default_type application/json;
      add_header Cache-Control no-store always;
      add_header WWW-Authenticate $gh_403_challenge always;
      add_header DPoP-Nonce $gh_dpop_nonce always;
      add_header Retry-After $gh_retry_after always;
      add_header RateLimit-Limit $gh_ratelimit_limit always;
      add_header RateLimit-Remaining $gh_ratelimit_remaining always;
      add_header RateLimit-Reset $gh_ratelimit_reset always;
      if ($gh_status = 401) { return 401 $gh_error_body; }
      if ($gh_status = 403) { return 403 $gh_error_body; }
      if ($gh_status = 429) { return 429 $gh_error_body; }
      if ($gh_status = 400) { return 400 $gh_error_body; }
      # Gatehouse unreachable or failing: refuse, never pass the call on.
      return 500;
    }
  }
}
`;
}

/**
 * Caddy: forward_auth sends the check X-Forwarded-Method/-Uri/-Host/-Proto and passes any non-2xx
 * answer (status, headers, body) straight to the caller. The caller's own X-Gatehouse-* headers
 * are removed first; Caddy 2.6 copies an absent header as its unresolved placeholder text, so
 * those are removed after the check.
 */
export function caddyConfig(port: number, gatehouse: string, upstream: string): string {
  const unresolved = IDENTITY_HEADERS.map((h, i) => `    @unresolved${i} header_regexp ${h} ^\\{http\\.
    request_header @unresolved${i} -${h}`).join('\n');
  return `{
  admin off
  auto_https off
}

http://127.0.0.1:${port} {
  route {
    request_header -X-Gatehouse-*
    forward_auth ${new URL(gatehouse).host} {
      uri /api/authz/forward-auth
      copy_headers ${IDENTITY_HEADERS.join(' ')}
    }
${unresolved}
    reverse_proxy ${new URL(upstream).host}
  }
}
`;
}

function collect(child: ChildProcess, log: string[]): void {
  child.stdout?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // nginx: SIGQUIT is its graceful stop; Caddy stops on SIGTERM. Both end on SIGTERM.
  child.kill('SIGTERM');
  await exited;
}

export async function startNginx(gatehouse: string, upstream: string): Promise<Gateway> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-nginx-'));
  // Workers run as www-data when nginx starts as root, and must reach the temp folders.
  await chmod(dir, 0o755);
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, nginxConfig(dir, port, gatehouse, upstream, process.getuid?.() === 0 ? 'www-data' : undefined));
  const log: string[] = [];
  const child = spawn('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  collect(child, log);
  const output = async () => {
    const errors = await readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
    return log.join('') + errors;
  };
  await waitForPort(port, child, output);
  return {
    name: 'nginx',
    url: `http://127.0.0.1:${port}`,
    output,
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function startCaddy(gatehouse: string, upstream: string): Promise<Gateway> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-caddy-'));
  const port = await freePort();
  const conf = join(dir, 'Caddyfile');
  await writeFile(conf, caddyConfig(port, gatehouse, upstream));
  const log: string[] = [];
  const child = spawn('caddy', ['run', '--config', conf, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') },
  });
  collect(child, log);
  const output = async () => log.join('');
  await waitForPort(port, child, output);
  return {
    name: 'caddy',
    url: `http://127.0.0.1:${port}`,
    output,
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
