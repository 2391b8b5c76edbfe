// How many argon2id verifications per second the server core manages at Gatehouse's configured
// cost, the ceiling for sign-ins. Four callers keep verifications queued, and they go through the
// server's own PasswordHasher, pinned like the server: the same concurrency the server allows on
// that core (argon2Slots), so the rate is the one sign-ins could reach there.
import { loadConfig } from '../../src/config/env.js';
import { PasswordHasher } from '../../src/accounts/passwords.js';

/** More than the server would ever run at once on the benchmark's single server core. */
const CALLERS = 4;

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const hasher = new PasswordHasher(loadConfig(process.env).argon2);
  const hash = await hasher.hash('a long bench passphrase');
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, async () => {
    while (performance.now() < deadline) {
      if (!(await hasher.verify(hash, 'a long bench passphrase'))) throw new Error('verify failed');
      done += 1;
    }
  }));
  process.stdout.write(`${JSON.stringify({ perSecond: done / ((performance.now() - started) / 1000) })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
