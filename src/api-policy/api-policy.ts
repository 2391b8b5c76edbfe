// Which API an original request is for, and what it must present: the gateway check asks this on
// every call. The API is the registered resource whose identifier is the longest prefix of the
// original URL (at a path-segment boundary: `/orders` covers `/orders/42` but not `/orders2`); its
// most specific matching rule says what is required, else the API's own setting, else an access
// token. The APIs and rules are read at most every POLICY_CACHE_MS, so a change made with the CLI
// (or on another instance) applies everywhere within that bound, without a query per call.
import type { Database } from '../persistence/prisma-client.js';
import { toApiRule, type ApiRule } from './api-rules.js';
import { compareSpecificity, parsePathGlob, type PathGlob } from './path-glob.js';
import { storedRequirement, type Requirement } from './requirement.js';

/** Below the 1 s bound on revocation, with room for the query that refreshes it. */
export const POLICY_CACHE_MS = 500;

export interface PolicyResource {
  identifier: string;
  scopes: string[];
  /** Default calls per second per key (or per client, for token-only calls); null: unlimited. */
  rateLimitPerSecond: number | null;
  quotaPerDay: number | null;
}

export interface ResolvedPolicy {
  resource: PolicyResource;
  requirement: Requirement;
  /** Scopes the matching rule requires; empty without one. */
  scopes: string[];
  /** The rule that decided, if any. */
  ruleId: string | undefined;
}

interface CompiledRule {
  rule: ApiRule;
  glob: PathGlob;
}

interface CompiledApi {
  resource: PolicyResource;
  origin: string;
  /** The identifier's path without a trailing slash ("" for the root). */
  path: string;
  requirement: Requirement;
  rules: CompiledRule[];
}

function covers(api: CompiledApi, url: URL): boolean {
  if (url.origin !== api.origin) return false;
  const path = url.pathname;
  return api.path === '' || path === api.path || path.startsWith(`${api.path}/`);
}

/** Exact paths before wildcards, then the glob rule above; a rule for the method before one for any method. */
function byPrecedence(a: CompiledRule, b: CompiledRule): number {
  return compareSpecificity(a.glob, b.glob)
    || (Number(a.rule.method === undefined) - Number(b.rule.method === undefined))
    || (a.rule.createdAt.getTime() - b.rule.createdAt.getTime());
}

export class ApiPolicy {
  private snapshot: { apis: CompiledApi[]; loadedAt: number } | undefined;
  private loading: Promise<CompiledApi[]> | undefined;

  constructor(private readonly db: Database, private readonly cacheMs = POLICY_CACHE_MS) {}

  async resolve(originalUrl: URL, method: string): Promise<ResolvedPolicy | undefined> {
    const apis = await this.apis();
    const api = apis.find((candidate) => covers(candidate, originalUrl));
    if (!api) return undefined;
    const upper = method.toUpperCase();
    const rule = api.rules.find(({ rule: r, glob }) => (r.method === undefined || r.method === upper) && glob.matches(originalUrl.pathname));
    return {
      resource: api.resource,
      requirement: rule ? rule.rule.requirement : api.requirement,
      scopes: rule ? rule.rule.scopes : [],
      ruleId: rule?.rule.id,
    };
  }

  private async apis(): Promise<CompiledApi[]> {
    const now = Date.now();
    if (this.snapshot && now - this.snapshot.loadedAt < this.cacheMs) return this.snapshot.apis;
    // One query at a time refreshes it for every waiting check.
    this.loading ??= this.load().finally(() => { this.loading = undefined; });
    return this.loading;
  }

  private async load(): Promise<CompiledApi[]> {
    const startedAt = Date.now();
    const [resources, rules] = await Promise.all([
      this.db.resourceServer.findMany(),
      this.db.apiRule.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
    ]);
    const apis = resources.map((row): CompiledApi => {
      const url = new URL(row.identifier);
      return {
        resource: { identifier: row.identifier, scopes: row.scope.split(' '), rateLimitPerSecond: row.rateLimit, quotaPerDay: row.dailyQuota },
        origin: url.origin,
        path: url.pathname.replace(/\/+$/, ''),
        requirement: storedRequirement(row.requirement),
        rules: rules
          .filter((rule) => rule.resource === row.identifier)
          .map((rule) => ({ rule: toApiRule(rule), glob: parsePathGlob(rule.path) }))
          .sort(byPrecedence),
      };
    });
    // Longest identifier path first, so the first API that covers a URL is the longest prefix.
    apis.sort((a, b) => b.path.length - a.path.length);
    // Timed from the start of the query: what it read is no fresher than that.
    this.snapshot = { apis, loadedAt: startedAt };
    return apis;
  }
}
