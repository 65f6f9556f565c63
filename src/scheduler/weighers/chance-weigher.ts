/**
 * ChanceWeigher: random weights, to spread volumes randomly over equally suitable pools.
 */
import { BaseWeigher } from './backend-weigher.js';

/** Weight = a random number in [0, 1). */
export class ChanceWeigher extends BaseWeigher {
  readonly name: string = 'ChanceWeigher';
  readonly #random: () => number;

  /** @param random source of randomness (tests inject a fixed sequence) */
  constructor(random: () => number = Math.random) {
    super();
    this.#random = random;
  }

  protected weighObject(): number {
    return this.#random();
  }
}
