// A tiny reverse proxy standing in for a load balancer in front of several Gatehouse instances. The
// test chooses which instance serves the next requests, so it can prove that state begun on one
// instance is honoured by another, and it records which instance served each request.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from './gatehouse-process.js';

export interface SwitchProxy {
  url: string;
  port: number;
  /** Sends every following request to this backend (its base URL). */
  use(backend: string): void;
  /** Requests served so far, as "backend path". */
  served: string[];
  close(): Promise<void>;
}

/** freshConnections: one upstream connection per request, so a cluster hands each request to its next worker. */
function forward(backend: URL, req: IncomingMessage, res: ServerResponse, freshConnections: boolean): void {
  const upstream = request(
    { host: backend.hostname, port: backend.port, method: req.method, path: req.url, headers: req.headers, ...(freshConnections ? { agent: false } : {}) },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    res.writeHead(502).end();
  });
  req.pipe(upstream);
}

/** Listens on a port of its own, chosen before the backends start so their ISSUER can name it. */
export async function createSwitchProxy(port?: number, { freshConnections = false } = {}): Promise<SwitchProxy> {
  const listenPort = port ?? await freePort();
  let current: URL | undefined;
  const served: string[] = [];
  const server: Server = createServer((req, res) => {
    if (!current) {
      res.writeHead(502).end('no backend selected');
      return;
    }
    served.push(`${current.origin} ${req.method} ${req.url?.split('?')[0]}`);
    forward(current, req, res, freshConnections);
  });
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${listenPort}`,
    port: listenPort,
    use(backend) {
      current = new URL(backend);
    },
    served,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
