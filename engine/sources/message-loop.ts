/**
 * A `for await` over a connection's messages: each pass handles one message arriving over time (a job, an
 * event), not one element of a collection the code holds, so a query per pass is a query per job, not an N+1.
 * Found on tianji: `const sock = new zmq.Pull(); sock.connect(url); for await (const [type, msg] of sock) await
 * runWorker(msg)` (three false positives at round 7).
 *
 * Read from syntax only: the iterable is a local the function connects or subscribes before the loop
 * (`sock.connect(…)`, `.bind(…)`, `.subscribe(…)` called on it), the result of a `.subscribe(…)` call (a
 * subscription), or Node's `on(emitter, 'event')`. A stream read to its end (`readline` over a file, a query
 * cursor) is a collection and stays one element per pass.
 */
// A plain require: esbuild's ESM interop would put a getter in front of every ts.* access.
import ts = require('typescript');
import { variableDeclaredBefore } from './local-values';
import { skipParens } from './ts-expr';

/** Calls that open a message source on an object: it then hands out messages for as long as it is connected. */
const CONNECTS = /^(connect|bind|subscribe)$/;

export function isMessageLoop(loop: ts.ForOfStatement): boolean {
  if (!loop.awaitModifier) return false;
  const e = skipParens(loop.expression);
  if (ts.isCallExpression(e)) return subscription(e) || eventIterator(e);
  if (!ts.isIdentifier(e)) return false;
  const scope = enclosingBody(loop);
  if (!scope) return false;
  const decl = variableDeclaredBefore(scope, e.text, loop.getStart());
  if (!decl) return false;
  if (decl.initializer && ts.isCallExpression(skipParens(decl.initializer)) && subscription(skipParens(decl.initializer) as ts.CallExpression)) return true;
  // `sock.connect(url)` (or bind/subscribe) before the loop, in the function that declares it.
  let connected = false;
  const visit = (n: ts.Node): void => {
    if (connected || n.getStart() >= loop.getStart()) return;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && CONNECTS.test(n.expression.name.text)) {
      const recv = skipParens(n.expression.expression);
      if (ts.isIdentifier(recv) && recv.text === e.text) connected = true;
    }
    if (!ts.isFunctionLike(n)) ts.forEachChild(n, visit);
  };
  ts.forEachChild(scope, visit);
  return connected;
}

/** `client.subscribe(…)` as the iterable: a subscription's messages. */
function subscription(call: ts.CallExpression): boolean {
  return ts.isPropertyAccessExpression(call.expression) && call.expression.name.text === 'subscribe';
}

/** `on(emitter, 'message')` imported from Node's `events`: every event the emitter will emit. */
function eventIterator(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (!ts.isIdentifier(callee) || call.arguments.length < 2) return false;
  for (const st of callee.getSourceFile().statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || !/^(node:)?events$/.test(st.moduleSpecifier.text)) continue;
    const named = st.importClause?.namedBindings;
    if (named && ts.isNamedImports(named) && named.elements.some((el) => el.name.text === callee.text && (el.propertyName ?? el.name).text === 'on')) return true;
  }
  return false;
}

function enclosingBody(n: ts.Node): ts.Node | undefined {
  for (let p = n.parent; p; p = p.parent) {
    if (ts.isFunctionLike(p)) return (p as ts.FunctionLikeDeclaration).body;
    if (ts.isSourceFile(p)) return p;
  }
  return undefined;
}
