/**
 * A linear flow: tasks (and nested flows) that run one after the other, after taskflow's
 * `linear_flow.Flow` (`volume:create`, `volume:create:api`, …).
 */
import type { AnyTask } from './task.js';

/** Something a flow can hold. */
export type FlowItem = AnyTask | LinearFlow;

/** An ordered list of tasks and nested flows. */
export class LinearFlow {
  readonly #items: FlowItem[] = [];

  /** `name` is reported to listeners (Cinder uses names like `volume:create`). */
  constructor(
    readonly name: string,
    ...items: FlowItem[]
  ) {
    this.add(...items);
  }

  /** Append items in order; returns the flow for chaining. */
  add(...items: FlowItem[]): this {
    for (const item of items) {
      if (item === this) throw new Error(`Flow '${this.name}' cannot contain itself`);
      this.#items.push(item);
    }
    return this;
  }

  /** Direct children, in order. */
  get items(): readonly FlowItem[] {
    return this.#items;
  }

  /** Every task in execution order, nested flows expanded. */
  tasks(): AnyTask[] {
    return this.#items.flatMap((item) => (item instanceof LinearFlow ? item.tasks() : [item]));
  }
}
