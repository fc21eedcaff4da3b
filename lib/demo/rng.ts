/**
 * A small seeded pseudo-random generator (sfc32) with the draws the demo generator needs.
 *
 * Same seed, same sequence, on every machine: no `Math.random`, no clock.
 *
 * @module
 */

/** A seeded random source. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /**
   * Creates a generator from a seed and an optional stream name, so independent parts of the
   * generator draw from independent streams.
   *
   * @example
   * ```ts
   * import { equal } from "node:assert/strict";
   * import { Rng } from "./rng.ts";
   * equal(new Rng(7).next(), new Rng(7).next());
   * ```
   */
  constructor(seed: number, stream = "") {
    let h = 1779033703 ^ stream.length;
    for (let i = 0; i < stream.length; i++) {
      h = Math.imul(h ^ stream.charCodeAt(i), 3432918353);
      h = (h << 13) | (h >>> 19);
    }
    this.#a = seed >>> 0;
    this.#b = h >>> 0;
    this.#c = 0x9e3779b9 ^ (seed * 31);
    this.#d = 0x85ebca6b ^ h;
    for (let i = 0; i < 16; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const a = this.#a, b = this.#b, c = this.#c, d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.#c = (r + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** A log-normal draw with the given median and spread (sigma of the log). */
  logNormal(median: number, sigma: number): number {
    const u1 = Math.max(this.next(), 1e-12);
    const u2 = this.next();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return median * Math.exp(sigma * z);
  }

  /** An exponential draw with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /**
   * A version-4-shaped UUID string (128 random bits less the version and variant nibbles).
   *
   * @example
   * ```ts
   * import { match } from "node:assert/strict";
   * import { Rng } from "./rng.ts";
   * match(new Rng(1).uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
   * ```
   */
  uuid(): string {
    const h = this.hex(32);
    const variant = (8 + Math.floor(this.next() * 4)).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${
      h.slice(20, 32)
    }`;
  }

  /** A lower-case hex string of n characters. */
  hex(n: number): string {
    let s = "";
    while (s.length < n) s += Math.floor(this.next() * 4294967296).toString(16).padStart(8, "0");
    return s.slice(0, n);
  }
}

/**
 * A Poisson-distributed count with the given mean (a rounded normal approximation above 30).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { poisson, Rng } from "./rng.ts";
 * equal(poisson(new Rng(1), 0), 0);
 * equal(poisson(new Rng(1), 2), poisson(new Rng(1), 2));
 * ```
 */
export function poisson(r: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) {
    return Math.max(
      0,
      Math.round(mean + Math.sqrt(mean) * (r.next() + r.next() + r.next() - 1.5) * 2),
    );
  }
  const l = Math.exp(-mean);
  let k = 0, p = 1;
  do {
    k++;
    p *= r.next();
  } while (p > l);
  return k - 1;
}

/**
 * One of `items`, picked with probability proportional to `weight`.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * import { Rng, weightedPick } from "./rng.ts";
 * equal(weightedPick(new Rng(3), ["a", "b"], (x) => (x === "a" ? 0 : 1)), "b");
 * ```
 */
export function weightedPick<T>(r: Rng, items: readonly T[], weight: (t: T) => number): T {
  const total = items.reduce((a, t) => a + weight(t), 0);
  let x = r.next() * total;
  for (const t of items) {
    x -= weight(t);
    if (x < 0) return t;
  }
  return items[items.length - 1];
}
