// One seeded generator of numbers on the CPU, for everything that must be reproducible from a
// seed without the GPU: fit's shuffles, the tests' data and the benchmark's workloads.

/**
 * A reproducible stream of numbers in [0, 1) from a 32-bit seed (mulberry32).
 * @internal
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
