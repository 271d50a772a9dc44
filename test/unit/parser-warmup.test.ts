import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { WARM_UP_SAMPLE } from '../../engine/sources/parser-warmup';

const OPTIONS: ts.CreateSourceFileOptions = { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone };
const KINDS = [ts.ScriptKind.TS, ts.ScriptKind.TSX, ts.ScriptKind.JS];

/** A tree as text: every node's kind and span, then the parser's syntax errors. */
function shape(sf: ts.SourceFile): string {
  const out: string[] = [];
  const visit = (n: ts.Node, depth: number): void => {
    out.push(`${depth} ${ts.SyntaxKind[n.kind]} ${n.pos}-${n.end} ${n.flags}`);
    ts.forEachChild(n, (c) => visit(c, depth + 1));
  };
  visit(sf, 0);
  const diags = (sf as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics;
  for (const d of diags) out.push(`error ${d.start} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  return out.join('\n');
}

describe('parser warm-up (engine/sources/parser-warmup.ts)', () => {
  it('parsing the sample changes no later parse: the same trees and syntax errors before and after', () => {
    const dir = path.join(__dirname, '..', '..', 'fixtures', 'n-plus-one', 'flagged');
    const texts: [string, string][] = fs
      .readdirSync(dir)
      .filter((f) => /\.tsx?$/.test(f))
      .slice(0, 20)
      .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]);
    // Syntax errors of several kinds too: the parser's recovery paths.
    texts.push(['broken.ts', 'const x = ;\nfunction (a, { b }) {\nclass { m( }\n<<<<<<< HEAD\n'], ['broken.tsx', 'const e = <div><span></div>;\nlet n = 0x;\nlet s = `${;\n']);
    assert.ok(texts.length >= 10);
    const parseAll = (): string[] => texts.flatMap(([f, t]) => KINDS.map((k) => shape(ts.createSourceFile(f, t, OPTIONS, true, k))));
    const before = parseAll();
    for (const k of KINDS) ts.createSourceFile('warm-up.tsx', WARM_UP_SAMPLE, OPTIONS, true, k);
    assert.deepEqual(parseAll(), before);
  });

  it('the sample holds the syntax whose first sight would make V8 compile the scanner again', () => {
    const sf = ts.createSourceFile('warm-up.tsx', WARM_UP_SAMPLE, OPTIONS, true, ts.ScriptKind.TSX);
    const kinds = new Set<ts.SyntaxKind>();
    const operators = new Set<ts.SyntaxKind>();
    const visit = (n: ts.Node): void => {
      kinds.add(n.kind);
      if (ts.isBinaryExpression(n)) operators.add(n.operatorToken.kind);
      if (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) operators.add(n.operator);
      ts.forEachChild(n, visit);
    };
    visit(sf);
    const literal = (k: ts.SyntaxKind, text: string) => {
      const found: string[] = [];
      const walk = (n: ts.Node): void => {
        if (n.kind === k) found.push(n.getText(sf));
        ts.forEachChild(n, walk);
      };
      walk(sf);
      assert.ok(found.includes(text), `${ts.SyntaxKind[k]} ${text} (found: ${found.slice(0, 12).join(' ')})`);
    };
    for (const k of [
      ts.SyntaxKind.BigIntLiteral,
      ts.SyntaxKind.RegularExpressionLiteral,
      ts.SyntaxKind.TemplateExpression,
      ts.SyntaxKind.NoSubstitutionTemplateLiteral,
      ts.SyntaxKind.JsxElement,
      ts.SyntaxKind.JsxFragment,
      ts.SyntaxKind.JsxSelfClosingElement,
      ts.SyntaxKind.JsxText,
      ts.SyntaxKind.JsxSpreadAttribute,
      ts.SyntaxKind.JsxNamespacedName,
      ts.SyntaxKind.PrivateIdentifier,
      ts.SyntaxKind.Decorator,
      ts.SyntaxKind.ClassStaticBlockDeclaration,
      ts.SyntaxKind.ModuleDeclaration,
      ts.SyntaxKind.EnumDeclaration,
      ts.SyntaxKind.ConditionalType,
      ts.SyntaxKind.MappedType,
      ts.SyntaxKind.TemplateLiteralType,
      ts.SyntaxKind.NamedTupleMember,
      ts.SyntaxKind.InferType,
      ts.SyntaxKind.SatisfiesExpression,
      ts.SyntaxKind.MetaProperty,
      ts.SyntaxKind.LabeledStatement,
      ts.SyntaxKind.ExportAssignment,
      ts.SyntaxKind.NamespaceExportDeclaration,
    ])
      assert.ok(kinds.has(k), ts.SyntaxKind[k]);
    for (const text of ['0x1F', '0o17', '0b1010', '1_000_000', '1.5e-10', '.5', '08']) literal(ts.SyntaxKind.NumericLiteral, text);
    for (const op of [
      ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
      ts.SyntaxKind.AsteriskAsteriskEqualsToken,
      ts.SyntaxKind.QuestionQuestionEqualsToken,
      ts.SyntaxKind.BarBarEqualsToken,
      ts.SyntaxKind.AmpersandAmpersandEqualsToken,
      ts.SyntaxKind.CaretEqualsToken,
      ts.SyntaxKind.QuestionQuestionToken,
      ts.SyntaxKind.AsteriskAsteriskToken,
      ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken,
      ts.SyntaxKind.PlusPlusToken,
      ts.SyntaxKind.TildeToken,
    ])
      assert.ok(operators.has(op), ts.SyntaxKind[op]);
  });
});
