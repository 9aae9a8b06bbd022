// The MNIST page: its CNN learns real digits (accuracy on digits it never trained on), the plots
// follow the two parts of the loss, a digit drawn on the pad with the mouse is read correctly,
// and the page renders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Also brings in the page's `window.__mnist` declaration.
import type { MnistState } from '../../bench/mnist/mnist';
import { type BrowserSession, type OpenPage, screenshot, startBrowser, waitInPage } from './harness';

// 3000 digits for 2 epochs: 94.6% of the 2000 held-out ones right with the page's seeds, for
// about 26 CPU-seconds of the browser on SwiftShader (launch included).
const SAMPLES = 3000;
const EPOCHS = 2;
const BATCH = 64;
let session: BrowserSession;
let page: OpenPage;
let state: MnistState;

beforeAll(async () => {
  session = await startBrowser();
  page = await session.open(`mnist.html?autostart=1&samples=${SAMPLES}&epochs=${EPOCHS}&l2=0.0001`);
  state = await waitInPage(
    page.page,
    () => (window.__mnist?.state === 'error' || window.__mnist?.state === 'paused') && window.__mnist,
    240_000,
    'the CNN to train',
  );
}, 300_000);

afterAll(async () => {
  await session?.close();
});

describe('MNIST page', () => {
  it(`trains ${EPOCHS} epochs on ${SAMPLES} digits without error`, () => {
    expect(state.error).toBeUndefined();
    expect(state.trainSamples).toBe(SAMPLES);
    expect(state.epoch).toBe(EPOCHS);
  });

  it('classifies more than 90% of the 2000 held-out digits right', () => {
    expect(state.testSamples).toBe(2000);
    expect(state.testAccuracy).toHaveLength(EPOCHS);
    console.log(`held-out accuracy per epoch: ${state.testAccuracy.map((a) => `${(100 * a).toFixed(1)}%`).join(', ')}`);
    expect(state.testAccuracy.at(-1)!).toBeGreaterThan(0.9);
  });

  it('plots the prediction loss and the L2 penalty apart, per batch, and they add up to the epoch means', () => {
    const batches = EPOCHS * Math.ceil(SAMPLES / BATCH);
    const { batchPredictionLoss: pred, batchRegularizationLoss: reg } = state;
    expect(pred).toHaveLength(batches);
    expect(reg).toHaveLength(batches);
    expect(reg.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    // Ten classes at chance cost ln 10 ≈ 2.3; the last batches cost a fraction of it.
    expect(pred[0]).toBeGreaterThan(1.5);
    expect(pred.slice(-10).reduce((a, v) => a + v, 0) / 10).toBeLessThan(0.5);
    // The epoch's mean (fit's log) is the batch values weighted by batch size.
    const steps = Math.ceil(SAMPLES / BATCH);
    const sizes = Array.from({ length: steps }, (_, b) => Math.min(BATCH, SAMPLES - b * BATCH));
    for (let e = 0; e < EPOCHS; e++) {
      const mean = (xs: number[]) => xs.slice(e * steps, (e + 1) * steps).reduce((a, v, b) => a + v * sizes[b], 0) / SAMPLES;
      expect(mean(pred)).toBeCloseTo(state.predictionLoss[e], 3);
      expect(mean(reg)).toBeCloseTo(state.regularizationLoss[e], 5);
    }
  });

  it('reads a "1" drawn with the mouse, centred and scaled like MNIST', async () => {
    const box = (await page.page.$('#pad'))!;
    const { x, y, width, height } = (await box.boundingBox())!;
    await page.page.mouse.move(x + 0.55 * width, y + 0.15 * height);
    await page.page.mouse.down();
    for (let k = 1; k <= 10; k++) await page.page.mouse.move(x + (0.55 - 0.02 * k) * width, y + (0.15 + 0.07 * k) * height);
    await page.page.mouse.up();
    const drawn = await waitInPage(page.page, () => window.__mnist.drawn, 30_000, 'the drawing to be classified');
    expect(drawn.predicted).toBe(1);
    expect(drawn.probabilities.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    // MNIST's preprocessing: the darkest pixel is 1 and the centre of mass sits at (14, 14).
    const mass = drawn.pixels.reduce((a, v) => a + v, 0);
    const [cx, cy] = [0, 1].map((axis) => drawn.pixels.reduce((a, v, i) => a + v * ((axis ? Math.floor(i / 28) : i % 28) + 0.5), 0) / mass);
    expect(Math.max(...drawn.pixels)).toBe(1);
    expect(Math.abs(cx - 14)).toBeLessThan(1);
    expect(Math.abs(cy - 14)).toBeLessThan(1);
  });

  it('renders its charts, digits and filters, and its screenshot is not blank', async () => {
    expect(await page.page.$$eval('.uplot canvas', (cs) => cs.length)).toBe(2);
    expect(await page.page.$eval('#stats', (el) => el.textContent)).toContain(`epoch ${EPOCHS}`);
    const shot = await screenshot(page.page, 'test-mnist');
    expect(shot.colours).toBeGreaterThan(40);
    expect(shot.inked).toBeGreaterThan(0.03);
  });

  it('logs no errors', () => {
    expect(page.errors).toEqual([]);
  });
});
