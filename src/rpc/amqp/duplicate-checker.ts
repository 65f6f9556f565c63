/**
 * Remembers the `_unique_id` of the last messages a consumer took, so a redelivery of one it has
 * already handled (its ack was lost with the connection) is acked and dropped instead of run twice.
 * oslo.messaging's rabbit driver keeps the same kind of window.
 */
export class DuplicateChecker {
  readonly #seen = new Set<string>();

  constructor(readonly size = 1024) {}

  /** True if `id` was seen before; otherwise records it and returns false. Empty ids never match. */
  seen(id: string): boolean {
    if (!id) return false;
    if (this.#seen.has(id)) return true;
    this.#seen.add(id);
    // NOTE: a Set iterates in insertion order, so the first entry is the oldest.
    if (this.#seen.size > this.size) this.#seen.delete(this.#seen.values().next().value as string);
    return false;
  }
}
