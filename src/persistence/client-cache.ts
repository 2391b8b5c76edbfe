// Client metadata is read on every token, introspection and authorization request but changes only
// through the CLI, in another process. The cache is dropped whenever SQLite's `data_version` says
// another connection committed anything, so a deleted client or rotated secret takes effect at once.
import type { Database } from './prisma-client.js';

/** Enough for every client of a large deployment; unknown ids are never cached (no memory to fill). */
const MAX_ENTRIES = 10_000;

export class ClientCache {
  #metadata = new Map<string, string>();
  #version: number | undefined;

  constructor(private readonly db: Database) {}

  /** Empties the cache if any other connection (the CLI, another server) changed the database. */
  async revalidate(): Promise<void> {
    const [row] = await this.db.$queryRawUnsafe<{ data_version: number | bigint }[]>('PRAGMA data_version');
    const version = Number(row?.data_version);
    if (version !== this.#version) {
      this.#metadata.clear();
      this.#version = version;
    }
  }

  get(id: string): string | undefined {
    return this.#metadata.get(id);
  }

  set(id: string, metadata: string): void {
    if (this.#metadata.size >= MAX_ENTRIES) this.#metadata.clear();
    this.#metadata.set(id, metadata);
  }

  forget(id: string): void {
    this.#metadata.delete(id);
  }
}
