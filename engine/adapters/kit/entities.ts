/** Reading entity declarations: the name conventions and column options the class-based ORMs share. */

/** A map past this size comes from generated code: stop filling it. */
export const LARGE_MAP_GUARD = 5000;

export function snakeCase(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** `@Column({ name: 'created_at' }) createdAt` and `createdAt: { field: 'created_at' }` → createdAt → created_at. */
export function classColumns(text: string, classStart: number): Map<string, string> {
  const out = new Map<string, string>();
  const body = text.slice(classStart, classStart + 20000);
  const re = /@(?:Column|PrimaryColumn|PrimaryGeneratedColumn|CreateDateColumn|UpdateDateColumn)\(\s*\{[^}]*?\bname:\s*['"]([^'"]+)['"][^}]*\}\s*\)\s*(?:public\s+|readonly\s+|declare\s+)*(\w+)/g;
  for (let m = re.exec(body); m; m = re.exec(body)) out.set(m[2], m[1]);
  const fre = /(\w+)\s*:\s*\{[^{}]*?\bfield:\s*['"]([^'"]+)['"]/g;
  for (let m = fre.exec(body); m; m = fre.exec(body)) out.set(m[1], m[2]);
  return out;
}

/** `class Name` in a file, or -1. */
export function classIndex(text: string, name: string): number {
  const esc = name.replace(/[$]/g, '\\$');
  const cm = new RegExp(`class\\s+${esc}\\b`).exec(text);
  return cm ? cm.index : -1;
}

/** The text before `class Name` where its decorators sit. */
export function decoratorsBefore(text: string, classStart: number): string {
  return text.slice(Math.max(0, classStart - 600), classStart);
}
