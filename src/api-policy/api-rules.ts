// The rules that refine what an API requires per path glob and method (`gatehouse resource rule`).
import { randomBytes } from 'node:crypto';
import type { Database } from '../persistence/prisma-client.js';
import { parseScopes } from '../resources/resources.js';
import { parsePathGlob } from './path-glob.js';
import { formatRequirement, parseRequirement, PolicyInputError, type Requirement } from './requirement.js';

export interface ApiRule {
  id: string;
  resource: string;
  path: string;
  /** Upper-case; undefined: any method. */
  method: string | undefined;
  requirement: Requirement;
  /** Scopes a caller must have; empty: none beyond access to the API. */
  scopes: string[];
  createdAt: Date;
}

export interface ApiRuleRequest {
  resource: string;
  path: string;
  method?: string;
  require: string;
  scope?: string;
}

type RuleRow = { id: string; resource: string; path: string; method: string | null; requirement: string; scope: string | null; createdAt: Date };

export function toApiRule(row: RuleRow): ApiRule {
  return {
    id: row.id,
    resource: row.resource,
    path: row.path,
    method: row.method ?? undefined,
    requirement: parseRequirement(row.requirement),
    scopes: row.scope ? row.scope.split(' ') : [],
    createdAt: row.createdAt,
  };
}

function parseMethod(raw: string): string {
  const method = raw.trim().toUpperCase();
  // RFC 9110 token characters; methods are case-sensitive but every common one is upper-case.
  if (!/^[A-Z0-9!#$%&'*+.^_`|~-]{1,32}$/.test(method)) throw new PolicyInputError(`--method must be an HTTP method such as GET, got "${raw}"`);
  return method;
}

export class ApiRules {
  constructor(private readonly db: Database) {}

  /** Throws PolicyInputError for bad input; undefined when there is no such API. */
  async add(request: ApiRuleRequest): Promise<ApiRule | undefined> {
    const path = parsePathGlob(request.path).glob;
    const method = request.method === undefined ? null : parseMethod(request.method);
    const requirement = formatRequirement(parseRequirement(request.require));
    const resource = await this.db.resourceServer.findUnique({ where: { identifier: request.resource } });
    if (!resource) return undefined;
    let scope: string | null = null;
    if (request.scope !== undefined) {
      const scopes = parseScopes(request.scope);
      const apiScopes = resource.scope.split(' ');
      const unknown = scopes.filter((s) => !apiScopes.includes(s));
      if (unknown.length) throw new PolicyInputError(`--scope "${unknown.join(' ')}" is not a scope of ${resource.identifier} (it has: ${resource.scope})`);
      scope = scopes.join(' ');
    }
    const duplicate = await this.db.apiRule.findFirst({ where: { resource: resource.identifier, path, method } });
    if (duplicate) {
      throw new PolicyInputError(`${resource.identifier} already has rule ${duplicate.id} for ${method ?? 'any method'} ${path}; delete it first`);
    }
    const row = await this.db.apiRule.create({
      data: { id: `rule_${randomBytes(6).toString('hex')}`, resource: resource.identifier, path, method, requirement, scope },
    });
    return toApiRule(row);
  }

  async list(resource?: string): Promise<ApiRule[]> {
    const rows = await this.db.apiRule.findMany({
      where: resource === undefined ? {} : { resource },
      orderBy: [{ resource: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toApiRule);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.db.apiRule.deleteMany({ where: { id } })).count > 0;
  }
}
