// The regularization demo: it trains, the loss it plots falls, the penalty is a visible part of
// it, and the page renders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserSession, type OpenPage, screenshot, startBrowser, waitInPage } from './harness';

const EPOCHS = 20;
let session: BrowserSession;
let demo: OpenPage;
let state: Window['__demo'];

beforeAll(async () => {
  session = await startBrowser();
  demo = await session.open(`demo.html?autostart=1&maxEpochs=${EPOCHS}&l1=0.0001&l2=0.001`);
  state = await waitInPage(
    demo.page,
    () => (window.__demo?.state === 'error' || window.__demo?.state === 'paused') && window.__demo,
    240_000,
    'the demo to train',
  );
}, 300_000);

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

  it('logs no errors', () => {
    expect(demo.errors).toEqual([]);
  });
});
