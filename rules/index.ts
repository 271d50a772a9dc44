/**
 * The rule registry. Adding a rule: create `rules/<id>.ts` with defineRule,
 * add it here, add fixtures under `fixtures/<id>/`, run `npm run docs`.
 */
import type { Rule } from './define-rule';
import cartesianJoin from './cartesian-join';
import overFetching from './over-fetching';
import unindexedPredicate from './unindexed-predicate';
import nPlusOne from './n-plus-one';
import latencyBudget from './latency-budget';

export const allRules: Rule[] = [
  cartesianJoin,
  overFetching,
  unindexedPredicate,
  nPlusOne,
  latencyBudget,
];

export function ruleById(id: string): Rule | undefined {
  return allRules.find((r) => r.id === id);
}

export const ruleIds = (): string[] => allRules.map((r) => r.id);
