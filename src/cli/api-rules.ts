// `gatehouse resource rule ...`: what parts of an API require at the gateway check, by path glob
// and optionally method. The most specific matching rule wins over the API's own --require.
import { ApiRules, type ApiRule } from '../api-policy/api-rules.js';
import { formatRequirement, parseRequirement } from '../api-policy/requirement.js';
import { parsePathGlob } from '../api-policy/path-glob.js';
import { optionalString, requiredString, type Command } from './command.js';
import { failure, formatDate, table } from './output.js';

function describe(rule: ApiRule) {
  return {
    id: rule.id,
    resource: rule.resource,
    path: rule.path,
    method: rule.method ?? null,
    require: formatRequirement(rule.requirement),
    scope: rule.scopes.length ? rule.scopes.join(' ') : null,
    created_at: rule.createdAt.toISOString(),
  };
}

export const ruleCommands: Record<string, Command> = {
  'rule add': {
    synopsis: 'IDENTIFIER --path GLOB [--method METHOD] --require api_key|access_token|signature|api_key,access_token|signature,access_token [--scope "SCOPE ..."]',
    description:
      'Say what calls to matching paths of an API require: * matches within a path segment, ** across '
      + 'segments. The most specific rule wins: exact paths, then more literal characters, then a rule for '
      + 'the method over one for any method. --scope: scopes the caller\'s token or key must have',
    options: { path: { type: 'string' }, method: { type: 'string' }, require: { type: 'string' }, scope: { type: 'string' } },
    positionals: ['IDENTIFIER'],
    prepare(values, [resource]) {
      const path = requiredString(values, 'path');
      parsePathGlob(path);
      const require = requiredString(values, 'require');
      parseRequirement(require);
      const method = optionalString(values, 'method');
      const scope = optionalString(values, 'scope');
      return async (ctx) => {
        const rule = await new ApiRules(ctx.db).add({
          resource, path, require, ...(method === undefined ? {} : { method }), ...(scope === undefined ? {} : { scope }),
        });
        if (!rule) throw failure(`no resource with identifier "${resource}"`);
        ctx.out.result(
          describe(rule),
          `Added rule ${rule.id}: ${rule.method ?? 'any method'} ${rule.resource} ${rule.path} requires ${formatRequirement(rule.requirement).replace(',', ' and ')}`
          + (rule.scopes.length ? ` with scope ${rule.scopes.join(' ')}` : ''),
        );
      };
    },
  },

  'rule list': {
    synopsis: 'IDENTIFIER',
    description: "List an API's rules, oldest first",
    options: {},
    positionals: ['IDENTIFIER'],
    prepare(_values, [resource]) {
      return async (ctx) => {
        const rules = await new ApiRules(ctx.db).list(resource);
        ctx.out.result(
          { rules: rules.map(describe) },
          rules.length === 0
            ? `No rules for ${resource}.`
            : table(
              ['ID', 'METHOD', 'PATH', 'REQUIRES', 'SCOPE', 'CREATED'],
              rules.map((r) => [r.id, r.method ?? '*', r.path, formatRequirement(r.requirement), r.scopes.join(' ') || '-', formatDate(r.createdAt)]),
            ),
        );
      };
    },
  },

  'rule delete': {
    synopsis: 'RULE_ID',
    description: 'Delete a rule (see rule list for ids)',
    options: {},
    positionals: ['RULE_ID'],
    prepare(_values, [id]) {
      return async (ctx) => {
        if (!(await new ApiRules(ctx.db).delete(id))) throw failure(`no rule with id "${id}"`);
        ctx.out.result({ id, deleted: true }, `Deleted rule ${id}`);
      };
    },
  },
};
