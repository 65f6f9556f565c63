/** Cinder's `utils.build_or_str`: `a`, `a or b`, `a or b or c` (every element joined by ' or '). */
export function buildOrStr(elements: readonly string[] | string): string {
  return typeof elements === 'string' ? elements : elements.join(' or ');
}
