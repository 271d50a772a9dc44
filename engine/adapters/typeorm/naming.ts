/**
 * TypeORM's DefaultNamingStrategy (typeorm/src/naming-strategy/DefaultNamingStrategy.ts): table
 * names from class names, join column and junction table names, and the hashed constraint names
 * (`PK_`, `UQ_`, `IDX_`, `FK_`, `REL_` + a SHA-1 prefix of `<table>_<sorted columns>[_<where>]`), so
 * the indexes querylens reads from entities carry the names TypeORM gives them in the database.
 */

/** TypeORM's StringUtils.snakeCase. */
export function typeormSnakeCase(s: string): string {
  return s
    .replace(/([A-Z])([A-Z])([a-z])/g, '$1_$2$3')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** TypeORM's StringUtils.camelCase. */
export function typeormCamelCase(s: string): string {
  return s.replace(/^([A-Z])|[\s\-_](\w)/g, (_m, p1: string | undefined, p2: string | undefined) => (p2 ? p2.toUpperCase() : (p1 ?? '').toLowerCase()));
}

/** SHA-1 of a string's UTF-8 bytes, as lower-case hex (FIPS 180-4; TypeORM hashes names with it). */
export function sha1Hex(text: string): string {
  const bytes = new TextEncoder().encode(text);
  const bitLen = bytes.length * 8;
  const padded = new Uint8Array(((bytes.length + 9 + 63) >> 6) << 6);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLen / 0x100000000));
  view.setUint32(padded.length - 4, bitLen >>> 0);
  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;
  const w = new Uint32Array(80);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let i = 0; i < 80; i++) {
      const f = i < 20 ? (b & c) | (~b & d) : i < 40 ? b ^ c ^ d : i < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
      const k = i < 20 ? 0x5a827999 : i < 40 ? 0x6ed9eba1 : i < 60 ? 0x8f1bbcdc : 0xca62c1d6;
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) >>> 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h0 = (h0 + a) >>> 0;
    h1 = (h1 + b) >>> 0;
    h2 = (h2 + c) >>> 0;
    h3 = (h3 + d) >>> 0;
    h4 = (h4 + e) >>> 0;
  }
  return [h0, h1, h2, h3, h4].map((h) => h.toString(16).padStart(8, '0')).join('');
}

function key(table: string, columns: readonly string[], where?: string): string {
  const t = (table.split('.').pop() ?? table).replace('.', '_');
  let k = `${t}_${[...columns].sort().join('_')}`;
  if (where) k += `_${where}`;
  return k;
}

export const typeormNames = {
  primaryKey: (table: string, columns: readonly string[]) => `PK_${sha1Hex(key(table, columns)).slice(0, 27)}`,
  unique: (table: string, columns: readonly string[]) => `UQ_${sha1Hex(key(table, columns)).slice(0, 27)}`,
  relation: (table: string, columns: readonly string[], where?: string) => `REL_${sha1Hex(key(table, columns, where)).slice(0, 26)}`,
  foreignKey: (table: string, columns: readonly string[]) => `FK_${sha1Hex(key(table, columns)).slice(0, 27)}`,
  index: (table: string, columns: readonly string[], where?: string) => `IDX_${sha1Hex(key(table, columns, where)).slice(0, 26)}`,
  table: (className: string, given?: string) => given ?? typeormSnakeCase(className),
  joinColumn: (relation: string, referenced: string) => typeormCamelCase(`${relation}_${referenced}`),
  joinTable: (first: string, second: string, firstProperty: string) => typeormSnakeCase(`${first}_${firstProperty.replace(/\./g, '_')}_${second}`),
  joinTableColumn: (table: string, propertyOrColumn: string) => typeormCamelCase(`${table}_${propertyOrColumn}`),
};
