// Path globs for API rules (`--path /orders/*/items`, `--path /admin/**`), matched against the
// original request's path. `*` matches within one segment, `**` across any number of them; all else
// is literal. No `?` wildcard: in a URL it reads as the start of a query.
import { PolicyInputError } from './requirement.js';

export interface PathGlob {
  glob: string;
  /** Characters that are not wildcards: more of them means a more specific rule. */
  literalLength: number;
  wildcards: number;
  deepWildcards: number;
  matches(path: string): boolean;
}

const escapeRegExp = (text: string) => text.replace(/[.+^${}()|[\]\\?]/g, '\\$&');

export function parsePathGlob(raw: string): PathGlob {
  const glob = raw.trim();
  if (!glob.startsWith('/') || /[\s?#]/.test(glob) || glob.length > 1000) {
    throw new PolicyInputError(`--path must be a URL path starting with "/" (wildcards * and **), without query or spaces, got "${raw}"`);
  }
  if (/\*{3,}/.test(glob)) throw new PolicyInputError(`--path "${raw}": use * for one segment or ** for any number, not ***`);
  const tokens = glob.split(/(\*\*|\*)/).filter((token) => token !== '');
  const source = tokens.map((token) => (token === '**' ? '.*' : token === '*' ? '[^/]*' : escapeRegExp(token))).join('');
  const regex = new RegExp(`^${source}$`);
  return {
    glob,
    literalLength: tokens.filter((token) => token !== '*' && token !== '**').join('').length,
    wildcards: tokens.filter((token) => token === '*' || token === '**').length,
    deepWildcards: tokens.filter((token) => token === '**').length,
    matches: (path) => regex.test(path),
  };
}

/**
 * Negative when `a` is more specific than `b`: a path without wildcards first, then the one with
 * more literal characters, then fewer `**`, then fewer wildcards.
 */
export function compareSpecificity(a: PathGlob, b: PathGlob): number {
  return (Number(a.wildcards > 0) - Number(b.wildcards > 0))
    || (b.literalLength - a.literalLength)
    || (a.deepWildcards - b.deepWildcards)
    || (a.wildcards - b.wildcards);
}
