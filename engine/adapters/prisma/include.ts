/**
 * Prisma `include`: a read that loads relations beside its row still fetches every scalar column of the model.
 * Over-fetching judges that row (AdapterRules.loadedRelations) and offers the selection with `include` turned
 * into `select` (AdapterRules.selectColumns).
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import type { Fix } from '../../types';
import { propName, unparen } from '../kit/chain';
import * as fx from '../kit/fix';

/** The `include: { … }` property of a read's options written out (an object literal without spreads), if any. */
function includeProperty(call: ts.CallExpression): ts.PropertyAssignment | undefined {
  const a = call.arguments[0] && unparen(call.arguments[0]);
  if (!a || !ts.isObjectLiteralExpression(a) || a.properties.some(ts.isSpreadAssignment)) return undefined;
  const p = a.properties.find((x): x is ts.PropertyAssignment => ts.isPropertyAssignment(x) && propName(x) === 'include');
  const v = p && unparen(p.initializer);
  return p && v && ts.isObjectLiteralExpression(v) && !v.properties.some(ts.isSpreadAssignment) ? p : undefined;
}

/**
 * Relations `include` loads beside the row (`include: { tracks: true, _count: … }`): Prisma still fetches every
 * scalar column of the model itself. Undefined when there is no written-out include.
 */
export function includedRelations(call: ts.CallExpression): string[] | undefined {
  const p = includeProperty(call);
  if (!p) return undefined;
  const names = (unparen(p.initializer) as ts.ObjectLiteralExpression).properties.map(propName);
  return names.every((n): n is string => !!n) ? names : undefined;
}

/**
 * The selection of an include read: `include` becomes `select` with the scalar fields read first
 * (`select: { title: true, tracks: true }`). A relation under `select` takes the same arguments as under
 * `include` and returns the same rows, so the relations load as before.
 */
export function includeAsSelect(call: ts.CallExpression, fields: string[], file: string): Fix | undefined {
  const p = includeProperty(call);
  if (!p || !ts.isIdentifier(p.name) || !fields.length) return undefined;
  const obj = unparen(p.initializer) as ts.ObjectLiteralExpression;
  const at = obj.getStart() + 1;
  return {
    title: `${fx.selectTitle(fields)} (include becomes select)`,
    safety: 'suggestion',
    // One edit from the key through the opening brace: `include: {` → `select: { title: true,`.
    edits: [{ file, range: { start: p.name.getStart(), end: at }, newText: `select: { ${fields.map((f) => `${f}: true`).join(', ')},` }],
  };
}
