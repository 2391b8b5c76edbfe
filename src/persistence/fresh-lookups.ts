// Answers of a lookup kept in memory for at most `maxAgeMs`, with one query in flight per key: the
// gateway check asks the same questions (is this API key, this client, this grant still good?) on
// every call, and may answer from memory only as long as a revocation is allowed to take.
const MAX_ENTRIES = 10_000;

interface Entry<V> {
  value: V;
  fetchedAt: number;
}

export class FreshLookups<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private readonly inFlight = new Map<string, Promise<Entry<V>>>();

  constructor(private readonly maxAgeMs: number) {}

  /** `load` answers for `key` when memory cannot; the key may be a digest of what `load` looks up. */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    const cached = this.entries.get(key);
    if (cached && Date.now() - cached.fetchedAt < this.maxAgeMs) return cached.value;
    let pending = this.inFlight.get(key);
    if (!pending) {
      // Timed from before the query: what it reads is no fresher than that.
      const fetchedAt = Date.now();
      pending = load().then((value) => ({ value, fetchedAt })).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    const entry = await pending;
    this.entries.delete(key);
    // Map order is insertion order: the first entry is the one refreshed longest ago.
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, entry);
    return entry.value;
  }
}
