// The drawing pad and the preprocessing that makes a drawing look like an MNIST digit, and the
// pictures of digits and filters the page shows.

export const SIDE = 28;

/**
 * A drawing as MNIST prepared its digits: the ink's bounding box scaled to fit a 20×20 box
 * (aspect kept), placed in a 28×28 image so that the centre of mass falls on the centre, and
 * scaled so the darkest pixel is 1. `ink` is w·h coverage values in [0, 1] (row-major). Each
 * source pixel adds its ink, times its area in target pixels (s²), to the target pixel it lands
 * in: a box-filtered downscale. Returns null for an empty drawing.
 */
export function toMnist(ink: ArrayLike<number>, w: number, h: number): Float32Array | null {
  let [x0, y0, x1, y1] = [w, h, -1, -1];
  let [mass, mx, my] = [0, 0, 0];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const a = ink[y * w + x];
      if (a <= 0) continue;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      mass += a;
      mx += a * (x + 0.5);
      my += a * (y + 0.5);
    }
  }
  if (mass === 0) return null;
  const s = 20 / Math.max(x1 - x0 + 1, y1 - y0 + 1);
  // Target u = SIDE/2 + s·(x − centre of mass): the centre of mass lands on (14, 14).
  const [cx, cy] = [mx / mass, my / mass];
  const out = new Float32Array(SIDE * SIDE);
  for (let y = y0; y <= y1; y++) {
    const v = Math.floor(SIDE / 2 + s * (y + 0.5 - cy));
    if (v < 0 || v >= SIDE) continue;
    for (let x = x0; x <= x1; x++) {
      const u = Math.floor(SIDE / 2 + s * (x + 0.5 - cx));
      if (u >= 0 && u < SIDE) out[v * SIDE + u] += ink[y * w + x] * s * s;
    }
  }
  let peak = 0;
  for (const v of out) peak = Math.max(peak, v);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, out[i] / peak);
  return out;
}

/** A pad drawn on with a mouse, pen or finger; `onStroke` runs after every stroke ends. */
export function drawingPad(canvas: HTMLCanvasElement, onStroke: () => void) {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.lineCap = ctx.lineJoin = 'round';
  ctx.lineWidth = canvas.width / 13;
  ctx.strokeStyle = '#111';
  let last: [number, number] | null = null;
  const at = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * canvas.width, ((e.clientY - r.top) / r.height) * canvas.height];
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    // A dot for a tap: a zero-length round-capped line.
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...last);
    ctx.stroke();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const next = at(e);
    ctx.beginPath();
    ctx.moveTo(...last);
    ctx.lineTo(...next);
    ctx.stroke();
    last = next;
  });
  const end = () => {
    if (!last) return;
    last = null;
    onStroke();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return {
    /** The pad's ink coverage (its alpha channel) in [0, 1]. */
    ink(): Float32Array {
      const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
      const ink = new Float32Array(canvas.width * canvas.height);
      for (let i = 0; i < ink.length; i++) ink[i] = data[i * 4 + 3] / 255;
      return ink;
    },
    clear() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
    },
  };
}

/** Dark ink on white: pixel value v ∈ [0, 1] → grey 255·(1 − v). */
export function digitImage(pixels: ArrayLike<number>, scale: 1 | 255): ImageData {
  const img = new ImageData(SIDE, SIDE);
  for (let i = 0; i < SIDE * SIDE; i++) {
    const grey = 255 - Math.round((pixels[i] / scale) * 255);
    img.data.set([grey, grey, grey, 255], i * 4);
  }
  return img;
}

/**
 * Draws digits in a grid of cells (each image scaled up, a caption below); a wrong prediction
 * gets a red frame and caption.
 */
export function digitGrid(
  canvas: HTMLCanvasElement,
  cells: Array<{ pixels: ArrayLike<number>; predicted: number; label: number }>,
  columns: number,
) {
  const ctx = canvas.getContext('2d')!;
  const cellW = canvas.width / columns;
  const size = Math.min(cellW - 6, 2 * SIDE);
  const cellH = size + 18;
  const scratch = new OffscreenCanvas(SIDE, SIDE);
  const sctx = scratch.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = false;
  ctx.font = '12px system-ui, sans-serif';
  ctx.textAlign = 'center';
  cells.forEach(({ pixels, predicted, label }, k) => {
    const x = (k % columns) * cellW + (cellW - size) / 2;
    const y = Math.floor(k / columns) * cellH;
    if (y + cellH > canvas.height) return;
    sctx.putImageData(digitImage(pixels, 255), 0, 0);
    ctx.drawImage(scratch, x, y, size, size);
    const wrong = predicted !== label;
    ctx.strokeStyle = wrong ? '#e03131' : '#d9dee3';
    ctx.lineWidth = wrong ? 2 : 1;
    ctx.strokeRect(x, y, size, size);
    ctx.fillStyle = wrong ? '#e03131' : '#1b1f24';
    ctx.fillText(wrong ? `${predicted} (${label})` : String(predicted), x + size / 2, y + size + 13);
  });
}

/**
 * Draws kernels [k, k, 1, filters] (the layout conv2d's kernel has, row-major) side by side on
 * one colour scale: red positive, blue negative, white zero, full colour at the largest |w|.
 */
export function drawFilters(canvas: HTMLCanvasElement, kernel: Float32Array, k: number, filters: number) {
  const ctx = canvas.getContext('2d')!;
  let reach = 1e-6;
  for (const v of kernel) reach = Math.max(reach, Math.abs(v));
  const gap = 8;
  const size = Math.min(canvas.height - 4, (canvas.width - gap * (filters - 1)) / filters);
  const cell = size / k;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (let f = 0; f < filters; f++) {
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const t = kernel[(i * k + j) * filters + f] / reach;
        const fade = Math.round(255 * (1 - Math.abs(t)));
        ctx.fillStyle = t >= 0 ? `rgb(255,${fade},${fade})` : `rgb(${fade},${fade},255)`;
        ctx.fillRect(f * (size + gap) + j * cell, i * cell, Math.ceil(cell), Math.ceil(cell));
      }
    }
    ctx.strokeStyle = '#adb5bd';
    ctx.strokeRect(f * (size + gap), 0, size, size);
  }
}
