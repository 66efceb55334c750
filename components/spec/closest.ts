// "Did you mean ...?" for misspelled keys and namespaces: edit distance on plain strings.

/** Levenshtein distance (insertions, deletions, substitutions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[y.length];
}

/** Spelling-insensitive form: case, '-', '_' and spaces do not count. */
const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, "");

/**
 * The known name a word is a near miss of: the same once case and separators are ignored, or
 * within 2 edits (1 for names under 6 characters). Undefined when nothing is that close.
 */
export function nearMiss(word: string, known: readonly string[]): string | undefined {
  const same = known.find((k) => squash(k) === squash(word));
  if (same) return same;
  const ranked = known
    .map((k) => ({ k, d: editDistance(squash(word), squash(k)) }))
    .sort((a, b) => a.d - b.d);
  const best = ranked[0];
  if (!best) return undefined;
  return best.d <= (best.k.length < 6 ? 1 : 2) ? best.k : undefined;
}
