/**
 * Parses the ASCII tables `cinder` prints (Python prettytable: `+---+` borders, `|` cells), so the
 * e2e tests can assert on cells instead of grepping text.
 */

/** One table: its header cells and its body rows, each keyed by header. */
export interface ParsedTable {
  header: string[];
  rows: Record<string, string>[];
}

/** Column [start, end) character ranges taken from a `+----+---+` border line. */
function columnRanges(border: string): [number, number][] {
  const plus: number[] = [];
  for (let i = 0; i < border.length; i++) if (border[i] === '+') plus.push(i);
  const ranges: [number, number][] = [];
  for (let i = 0; i + 1 < plus.length; i++) ranges.push([plus[i]! + 1, plus[i + 1]!]);
  return ranges;
}

/**
 * Parses the first table in `text` (lines before its first border, such as warnings, are
 * ignored). Throws when there is no table.
 */
export function parseTable(text: string): ParsedTable {
  const lines = text.split('\n').map((l) => l.trimEnd());
  const first = lines.findIndex((l) => /^\+-[-+]*\+$/.test(l));
  if (first < 0) throw new Error(`no table in output:\n${text}`);
  const border = lines[first]!;
  const ranges = columnRanges(border);
  const cells = (line: string): string[] => ranges.map(([a, b]) => line.slice(a, b).trim());
  const header: string[] = [];
  const rows: Record<string, string>[] = [];
  let borders = 1;
  for (const line of lines.slice(first + 1)) {
    if (line === border || /^\+-[-+]*\+$/.test(line)) {
      borders++;
      if (borders === 3) break;
      continue;
    }
    if (!line.startsWith('|')) break;
    if (borders === 1) {
      header.push(...cells(line));
      continue;
    }
    const values = cells(line);
    rows.push(Object.fromEntries(header.map((h, i) => [h, values[i] ?? ''])));
  }
  return { header, rows };
}

/** Parses a two-column `Property | Value` table (as `cinder show` prints) into a map. */
export function parseProperties(text: string): Record<string, string> {
  const { header, rows } = parseTable(text);
  const [keyCol, valueCol] = header;
  if (keyCol === undefined || valueCol === undefined) throw new Error(`not a two-column table:\n${text}`);
  return Object.fromEntries(rows.map((r) => [r[keyCol] ?? '', r[valueCol] ?? '']));
}
