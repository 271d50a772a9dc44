/**
 * The ORM halves of `over-fetching` and `unindexed-predicate`: the rule
 * modules call these for TypeScript files so each rule stays one module with
 * one id. Owned by the "ORM call sites and n-plus-one" work item.
 */
import type { RuleContext } from '../engine/context';

export function checkOrmOverFetching(ctx: RuleContext): void {
  void ctx;
}

export function checkOrmUnindexed(ctx: RuleContext): void {
  void ctx;
}
