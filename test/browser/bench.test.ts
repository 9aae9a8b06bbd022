// The benchmark page, on tiny workloads: it finishes, every engine has a number on every row,
// the three engines train the same model (same first loss), and nothing logs an error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/page';
import { type BrowserSession, type OpenPage, screenshot, startBrowser, waitInPage } from './harness';

const QUERY = 'matmul=64,96&steps=32-16-4x8:ce,8-8-1x4:mse&fit=16-8-3x8:ce&samples=40&conv=6x5x3-4x2&cnn=2-2x2&cnnFit=none&transformer=16x2&budget=60&minRuns=2&maxRuns=3';
const ENGINES = ['webgrad', 'tfjs', 'jax'] as const;

let session: BrowserSession;
let bench: OpenPage;
let result: BenchResult;

beforeAll(async () => {
  session = await startBrowser();
  bench = await session.open(`index.html?${QUERY}`);
  const state = await waitInPage(bench.page, () => window.__bench?.state !== 'running' && window.__bench, 240_000, 'the benchmark page');
  expect(state.error).toBeUndefined();
  result = state.result!;
}, 300_000);

afterAll(async () => {
  await session?.close();
});

describe('benchmark page', () => {
  it('runs every workload on all three engines', () => {
    expect(result.rows.map((r) => r.id)).toEqual(['matmul-64', 'matmul-96', 'step-32-16-4-b8', 'step-8-8-1-b4', 'fit-16-8-3-n40', 'conv-6x5x3-4x2', 'cnn-step-2-2-b2', 'transformer-c16-b2']);
    for (const row of result.rows) {
      for (const id of ENGINES) {
        const m = row.results[id];
        expect(m, `${id} on ${row.label}`).toBeDefined();
        expect(m!.error, `${id} on ${row.label}`).toBeUndefined();
        expect(m!.ms).toBeGreaterThan(0);
        expect(Number.isFinite(m!.rate)).toBe(true);
        expect(m!.runs).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it('trains the same model in every engine: equal loss after the first step', () => {
    for (const row of result.rows.filter((r) => r.kind === 'step' || r.kind === 'fit')) {
      const [own, tf, jax] = ENGINES.map((id) => row.results[id]!.firstLoss!);
      expect(Number.isFinite(own)).toBe(true);
      expect(Math.abs(own - tf), row.label).toBeLessThan(1e-4 * Math.max(1, Math.abs(tf)));
      expect(Math.abs(own - jax), row.label).toBeLessThan(1e-4 * Math.max(1, Math.abs(jax)));
    }
  });

  it("counts webgrad's dispatches per training step", () => {
    for (const row of result.rows.filter((r) => r.kind === 'step')) {
      expect(row.results.webgrad!.dispatchesPerUnit).toBeGreaterThan(0);
    }
  });

  it("measures the adapter's raw round trip: a copy alone, after 1 and after 20 dispatches", async () => {
    const rt = result.roundTrip!;
    // Medians of timer readings, which a browser may coarsen to 0.1 ms: finite and not negative.
    for (const ms of [rt.copyOnlyMs, rt.oneDispatchMs, rt.twentyDispatchesMs]) expect(ms >= 0 && Number.isFinite(ms)).toBe(true);
    expect(await bench.page.$eval('#round-trip', (el) => el.textContent)).toMatch(/after 20/);
  });

  it('shows the table with a number in every engine column, and a markdown copy', async () => {
    const cells = await bench.page.$$eval('#results tbody tr', (trs) => trs.map((tr) => Array.from(tr.children, (td) => td.textContent ?? '')));
    expect(cells).toHaveLength(result.rows.length);
    for (const row of cells) {
      for (const text of row.slice(2, 5)) expect(Number.isFinite(Number(text)), `cell "${text}"`).toBe(true);
      expect(row[5]).toMatch(/^\d+(\.\d+)?×$/);
    }
    expect(result.markdown.split('\n')).toHaveLength(2 + result.rows.length);
  });

  it('draws both charts, and its screenshot is not blank', async () => {
    expect(await bench.page.$$eval('.uplot canvas', (cs) => cs.length)).toBe(2);
    const shot = await screenshot(bench.page, 'test-bench');
    expect(shot.width).toBeGreaterThan(600);
    expect(shot.colours).toBeGreaterThan(40);
    expect(shot.inked).toBeGreaterThan(0.03);
  });

  it('logs no errors', () => {
    expect(bench.errors).toEqual([]);
  });
});
