/** Text (SQL, or any) assembled from pieces of a file, each offset mapped back to the file: string literals, psql variables substituted. */
export interface MappedText {
  text: string;
  /** File offset of an offset in `text` (pieces from other files map to the expression that brought them in). */
  offsetOf(i: number): number;
}

/**
 * Text joined from pieces, each with the file offset it came from: an exact piece maps offset by offset, any other
 * (a substituted value) maps every offset to where it came from.
 */
export function mappedText(pieces: readonly { text: string; file: number; exact: boolean }[]): MappedText {
  const starts: number[] = [];
  let acc = 0;
  for (const p of pieces) {
    starts.push(acc);
    acc += p.text.length;
  }
  return {
    text: pieces.map((p) => p.text).join(''),
    offsetOf(i: number): number {
      let k = starts.length - 1;
      while (k > 0 && starts[k] > i) k--;
      const p = pieces[k];
      return p.exact ? p.file + Math.min(i - starts[k], p.text.length) : p.file;
    },
  };
}
