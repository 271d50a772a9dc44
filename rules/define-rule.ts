/**
 * The shape of a rule: stable id, metadata (which feeds docs, SARIF and the
 * editor), and a `check` that asks the context for what it needs and
 * reports findings. Parsing, files and configuration stay in the engine.
 */
import type { RuleContext } from '../engine/context';
import type { Severity } from '../engine/types';

export interface DocExample {
  /** 'ts' or 'sql'. */
  language: 'ts' | 'sql';
  code: string;
  /** Schema the example runs against (SQL DDL), e.g. for unindexed-predicate. */
  schema?: string;
  /** Config the example runs with (querylens.config.json content), e.g. budgets. */
  config?: Record<string, unknown>;
}

/** Every field is required (but `whenNotToUse`): a rule without docs does not compile. */
export interface RuleDocs {
  /** What the rule flags, one paragraph. */
  what: string;
  /** Why it is slow: the planner or protocol fact behind it. */
  why: string;
  /** Code that gives exactly one finding of this rule (checked by test/docs.test.ts). */
  example: DocExample;
  /** The better form of `example`; gives no finding. */
  useInstead: DocExample;
  /** What the fixes do and when they are safe. */
  fixSafety: string;
  /** The model inputs of the estimate, defaults marked. */
  estimate: string;
  whenNotToUse?: string;
}

export interface RuleMeta {
  /** One line. */
  summary: string;
  defaultSeverity: Severity;
  fix: 'never' | 'sometimes' | 'always';
  /** Which sources the rule reads: SQL text, ORM call sites, or both. */
  languages: ('sql' | 'ts')[];
  /**
   * What the rule cannot say without a schema (no migrations, dump, schema.prisma or TypeScript
   * schema found): 'all' when it stays silent, else a phrase naming the part that does. Named in the
   * missing-schema problem.
   */
  needsSchema?: 'all' | string;
  docs: RuleDocs;
}

export interface Rule {
  /** Stable, kebab-case, equal to the file name. Suppressions and SARIF consumers depend on it. */
  id: string;
  meta: RuleMeta;
  check(ctx: RuleContext): void;
}

export function defineRule(rule: Rule): Rule {
  return rule;
}
