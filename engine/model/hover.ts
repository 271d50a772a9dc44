/**
 * Hover text for a finding, as markdown. Produced by the engine so that every
 * editor shows the same words; the server passes it on unchanged.
 */
import type { Estimate, Finding } from '../types';
import { formatMs } from './index';

export function estimateMarkdown(e: Estimate): string {
  const ratio = e.fixedMs > 0 ? e.currentMs / e.fixedMs : Infinity;
  const lines = [
    `**Estimated cost:** ${formatMs(e.currentMs)} → ${formatMs(e.fixedMs)} after the fix (${Number.isFinite(ratio) ? `${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}× faster` : 'free'})`,
    '',
    e.summary,
    '',
    '| input | value | source |',
    '| --- | --- | --- |',
  ];
  for (const a of e.assumptions) {
    const v = typeof a.value === 'number' ? `${+a.value.toPrecision(4)}${a.unit ? ` ${a.unit}` : ''}` : a.value;
    const src = a.source === 'default' ? '**default** — set it' : a.source;
    lines.push(`| ${a.name} | ${v} | ${src}${a.note ? `: ${a.note.replace(/\|/g, '\\|')}` : ''} |`);
  }
  return lines.join('\n');
}

export function hoverMarkdown(f: Omit<Finding, 'hover'>, detail?: string): string {
  const parts = [`**querylens · ${f.ruleId}**: ${f.message}`];
  if (f.estimate) parts.push(estimateMarkdown(f.estimate));
  if (detail) parts.push(detail);
  if (f.fixes.length) parts.push(`Quick fix${f.fixes.length > 1 ? 'es' : ''}: ${f.fixes.map((x) => x.title).join('; ')}`);
  return parts.join('\n\n');
}
