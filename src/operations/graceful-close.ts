// Closes the HTTP server the way a rolling deploy needs: stop accepting new connections, close idle
// keep-alive ones, let requests in flight finish, and after the timeout cut whatever is left so the
// process always exits in bounded time.
import type { Server } from 'node:http';

/** Resolves once the server is closed; returns how many busy connections had to be cut. */
export async function closeGracefully(server: Server, timeoutMs: number): Promise<number> {
  // Keep-alive clients are told to reconnect (to another instance) with their next response.
  server.on('request', (_req, res) => res.setHeader('Connection', 'close'));
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // A keep-alive connection whose request finishes becomes idle: close it then, not at its keep-alive timeout.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  let cut = 0;
  const timer = setTimeout(() => {
    server.getConnections((_error, count) => {
      cut = count;
      server.closeAllConnections();
    });
  }, timeoutMs);
  await closed;
  clearInterval(sweep);
  clearTimeout(timer);
  return cut;
}
