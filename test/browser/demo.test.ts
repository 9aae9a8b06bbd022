// The regularization demo: it trains, the loss it plots falls, the penalty is a visible part of
// it, and the page renders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Also brings in the page's `window.__demo` declaration.
import type { DemoState } from '../../bench/demo/demo';
import { type BrowserSession, type OpenPage, screenshot, startBrowser, waitInPage } from './harness';

const EPOCHS = 20;
let session: BrowserSession;
let demo: OpenPage;
let state: DemoState;

beforeAll(async () => {
  session = await startBrowser();
  demo = await session.open(`demo.html?autostart=1&epochs=${EPOCHS}&l1=0.0001&l2=0.001`);
  state = await pause(demo);
}, 300_000);

/** Waits for the demo to stop after its epochs (or fail), and returns its state. */
const pause = ({ page }: OpenPage) =>
  waitInPage(page, () => (window.__demo?.state === 'error' || window.__demo?.state === 'paused') && window.__demo, 240_000, 'the demo to train');

afterAll(async () => {
  await session?.close();
});

describe('regularization demo', () => {
  it(`trains ${EPOCHS} epochs without error`, () => {
    expect(state.error).toBeUndefined();
    expect(state.epoch).toBe(EPOCHS);
  });

  it('plots a prediction loss that falls, a positive penalty and a validation loss', () => {
    const { predictionLoss, regularizationLoss, validationLoss } = state;
    expect(predictionLoss).toHaveLength(EPOCHS);
    expect(predictionLoss.at(-1)!).toBeLessThan(0.6 * predictionLoss[0]);
    expect(regularizationLoss.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    expect(validationLoss.every(Number.isFinite)).toBe(true);
    expect(validationLoss.at(-1)!).toBeLessThan(validationLoss[0]);
  });

  it('learns the flowers: validation accuracy well above chance', () => {
    expect(state.validationAccuracy.at(-1)!).toBeGreaterThan(0.8);
  });

  it('renders its charts, and its screenshot is not blank', async () => {
    expect(await demo.page.$$eval('.uplot canvas', (cs) => cs.length)).toBe(3);
    expect(await demo.page.$eval('#stats', (el) => el.textContent)).toContain(`epoch ${EPOCHS}`);
    const shot = await screenshot(demo.page, 'test-demo');
    expect(shot.colours).toBeGreaterThan(40);
    expect(shot.inked).toBeGreaterThan(0.03);
  });

  it('a stronger L2 penalty, set with its slider mid-training, raises the penalty and shrinks the weights', async () => {
    await demo.page.$eval('#l2', (el) => {
      const input = el as HTMLInputElement;
      input.value = input.max;
      input.dispatchEvent(new Event('input'));
    });
    await demo.page.click('#toggle');
    await waitInPage(demo.page, () => window.__demo.state !== 'paused', 10_000, 'training to resume');
    const after = await pause(demo);
    expect(after.error).toBeUndefined();
    expect(after.epoch).toBe(2 * EPOCHS);
    // L2 goes from 0.001 to 0.1: the first epoch under it starts from the same weights.
    expect(after.regularizationLoss[EPOCHS]).toBeGreaterThan(20 * after.regularizationLoss[EPOCHS - 1]);
    expect(after.weightL1.at(-1)!).toBeLessThan(0.8 * after.weightL1[EPOCHS - 1]);
    expect(after.regularizationLoss.at(-1)!).toBeLessThan(after.regularizationLoss[EPOCHS]);
  });

  it('logs no errors', () => {
    expect(demo.errors).toEqual([]);
  });
});
