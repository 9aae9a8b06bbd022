// Where artifacts are stored, by URL scheme, in TensorFlow.js's layouts, so that either library
// reads what the other wrote:
//   file://dir         Node: dir/model.json + dir/weights.bin
//   http(s)://…/x.json  loading only: model.json, then its weight files relative to it
//   indexeddb://name   browser: TensorFlow.js's 'tensorflowjs' database
//   downloads://name   browser, saving only: name.json + name.weights.bin as downloads
import { InvalidArgumentError, ModelIOError, show } from '../errors';
import { artifactsOfModelJSON, formatError, joinBuffers, type ModelArtifacts, modelJSONOf } from './artifacts';

type Fs = typeof import('node:fs/promises');

/** Node's fs, reached without an import statement so that browser bundles do not look for it. */
function nodeFs(): Fs | undefined {
  if (typeof process === 'undefined') return undefined;
  return (process as unknown as { getBuiltinModule?(id: string): Fs }).getBuiltinModule?.('node:fs/promises');
}

const schemes = ['file://', 'indexeddb://', 'downloads://', 'http://', 'https://'] as const;
type Scheme = (typeof schemes)[number];

function schemeOf(url: string): Scheme | undefined {
  return schemes.find((s) => url.startsWith(s));
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// ---------------------------------------------------------------------------------------------
// Saving

/** Checks a save URL before any work starts. */
export function checkSaveUrl(url: unknown): string {
  const scheme = typeof url === 'string' ? schemeOf(url) : undefined;
  const named = scheme === 'downloads://' || url !== scheme;
  if (!scheme || scheme === 'http://' || scheme === 'https://' || !named) {
    throw new InvalidArgumentError(`save: expects 'file://dir', 'indexeddb://name' or 'downloads://name', got ${show(url)}.`);
  }
  return url as string;
}

export async function writeArtifacts(url: string, artifacts: ModelArtifacts): Promise<void> {
  const scheme = schemeOf(url)!;
  const path = url.slice(scheme.length);
  if (scheme === 'file://') await saveFiles(path, artifacts);
  else if (scheme === 'indexeddb://') await indexedDbAction(path, `save(${url})`, artifacts);
  else await saveDownloads(path, artifacts);
}

/**
 * Writes dir/model.json and dir/weights.bin. Each is written under a temporary name and renamed
 * over the old file, so an interrupted save never leaves a half-written file in place.
 */
async function saveFiles(dir: string, artifacts: ModelArtifacts): Promise<void> {
  const fs = nodeFs();
  if (!fs) throw new ModelIOError(`save(file://${dir}): file:// needs Node.js; in a browser use indexeddb:// or downloads://.`);
  const files: Array<[string, string | Uint8Array]> = [
    ['weights.bin', new Uint8Array(joinBuffers(artifacts.weightData ?? new ArrayBuffer(0)))],
    ['model.json', JSON.stringify(modelJSONOf(artifacts, ['weights.bin']))],
  ];
  const temporary = (name: string) => `${dir}/.${name}.${Date.now()}.tmp`;
  const written: string[] = [];
  try {
    await fs.mkdir(dir, { recursive: true });
    for (const [name, content] of files) {
      const tmp = temporary(name);
      written.push(tmp);
      await fs.writeFile(tmp, content);
      await fs.rename(tmp, `${dir}/${name}`);
    }
  } catch (e) {
    await Promise.all(written.map((f) => fs.rm(f, { force: true }).catch(() => undefined)));
    throw new ModelIOError(`save(file://${dir}): ${errorText(e)}`);
  }
}

/** TensorFlow.js's downloads: a click on a link to each file. */
async function saveDownloads(name: string, artifacts: ModelArtifacts): Promise<void> {
  if (typeof document === 'undefined' || typeof URL.createObjectURL !== 'function') {
    throw new ModelIOError(`save(downloads://${name}): downloads:// needs a browser page.`);
  }
  const prefix = name || 'model';
  const weightsFile = `${prefix}.weights.bin`;
  const json = JSON.stringify(modelJSONOf(artifacts, [`./${weightsFile}`]));
  const files: Array<[string, Blob]> = [
    [`${prefix}.json`, new Blob([json], { type: 'application/json' })],
    [weightsFile, new Blob([joinBuffers(artifacts.weightData ?? new ArrayBuffer(0))], { type: 'application/octet-stream' })],
  ];
  for (const [file, blob] of files) {
    const link = document.createElement('a');
    link.download = file;
    link.href = URL.createObjectURL(blob);
    // One task per click: browsers drop a second download started in the same task.
    await new Promise((resolve) => setTimeout(resolve, 0));
    link.dispatchEvent(new MouseEvent('click'));
  }
}

// ---------------------------------------------------------------------------------------------
// IndexedDB, in TensorFlow.js's schema: database 'tensorflowjs' version 1, the artifacts in
// 'models_store' and a summary in 'model_info_store', both keyed by 'modelPath'.

const DATABASE = 'tensorflowjs';
const MODELS = 'models_store';
const INFO = 'model_info_store';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** Saves `artifacts` under `path`, or, without them, reads the artifacts saved there. */
async function indexedDbAction(path: string, where: string, artifacts?: ModelArtifacts): Promise<ModelArtifacts | undefined> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory) throw new ModelIOError(`${where}: indexeddb:// needs a browser with IndexedDB.`);
  let db: IDBDatabase | undefined;
  try {
    const open = factory.open(DATABASE, 1);
    open.onupgradeneeded = () => {
      open.result.createObjectStore(MODELS, { keyPath: 'modelPath' });
      open.result.createObjectStore(INFO, { keyPath: 'modelPath' });
    };
    db = await request(open);
    if (!artifacts) {
      const record = await request(db.transaction(MODELS, 'readonly').objectStore(MODELS).get(path));
      if (!record) throw new ModelIOError(`${where}: no model is saved under this name.`);
      return record.modelArtifacts as ModelArtifacts;
    }
    const stored = { ...artifacts, weightData: joinBuffers(artifacts.weightData ?? new ArrayBuffer(0)) };
    const modelArtifactsInfo = {
      dateSaved: new Date(),
      modelTopologyType: 'JSON',
      modelTopologyBytes: new TextEncoder().encode(JSON.stringify(stored.modelTopology)).byteLength,
      weightSpecsBytes: new TextEncoder().encode(JSON.stringify(stored.weightSpecs)).byteLength,
      weightDataBytes: stored.weightData.byteLength,
    };
    const tx = db.transaction([INFO, MODELS], 'readwrite');
    tx.objectStore(INFO).put({ modelPath: path, modelArtifactsInfo });
    tx.objectStore(MODELS).put({ modelPath: path, modelArtifacts: stored, modelArtifactsInfo });
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    return undefined;
  } catch (e) {
    if (e instanceof ModelIOError) throw e;
    throw new ModelIOError(`${where}: ${errorText(e)}`);
  } finally {
    db?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

/** How a source is named in error messages. */
export function describeSource(source: unknown): string {
  return typeof source === 'string' ? source : 'artifacts';
}

/** The artifacts themselves, or those read from a URL (see `readArtifacts`). */
export async function artifactsFrom(source: unknown, where: string): Promise<ModelArtifacts> {
  if (typeof source === 'string') return readArtifacts(source, where);
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw formatError(where, `expects ModelArtifacts ({ modelTopology, weightSpecs, weightData }) or a URL, got ${source === null ? 'null' : typeof source}.`);
  }
  return source as ModelArtifacts;
}

/** Artifacts from a URL: file://path (to model.json or its folder), http(s)://, indexeddb://name. */
export async function readArtifacts(url: string, where: string): Promise<ModelArtifacts> {
  const scheme = schemeOf(url);
  if (scheme === 'file://') return loadFiles(url.slice(scheme.length), where);
  if (scheme === 'indexeddb://') return (await indexedDbAction(url.slice(scheme.length), where))!;
  if (scheme === 'http://' || scheme === 'https://') return loadHttp(url, where);
  if (scheme === undefined && typeof location !== 'undefined') return loadHttp(new URL(url, location.href).href, where);
  throw new InvalidArgumentError(`${where}: expects artifacts or a 'file://…', 'http(s)://…' or 'indexeddb://…' URL, got ${show(url)}.`);
}

function parseJSON(bytes: ArrayBuffer, where: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw formatError(where, `model.json is not valid JSON (${errorText(e)}).`);
  }
}

async function loadFiles(path: string, where: string): Promise<ModelArtifacts> {
  const fs = nodeFs();
  if (!fs) throw new ModelIOError(`${where}: file:// needs Node.js.`);
  const read = async (file: string): Promise<ArrayBuffer> => {
    try {
      const bytes = await fs.readFile(file);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    } catch (e) {
      throw new ModelIOError(`${where}: cannot read ${file} (${errorText(e)}).`);
    }
  };
  let jsonPath = path;
  if (await fs.stat(path).then((s) => s.isDirectory(), () => false)) jsonPath = `${path.replace(/\/+$/, '')}/model.json`;
  const dir = jsonPath.includes('/') ? jsonPath.slice(0, jsonPath.lastIndexOf('/') + 1) : '';
  return artifactsOfModelJSON(parseJSON(await read(jsonPath), where), where, (p) => read(dir + p));
}

async function loadHttp(url: string, where: string): Promise<ModelArtifacts> {
  const get = async (target: string): Promise<ArrayBuffer> => {
    let response: Response;
    try {
      response = await fetch(target);
    } catch (e) {
      throw new ModelIOError(`${where}: cannot fetch ${target} (${errorText(e)}).`);
    }
    if (!response.ok) throw new ModelIOError(`${where}: ${target} answered HTTP ${response.status} ${response.statusText}.`);
    return response.arrayBuffer();
  };
  const folder = new URL('.', url);
  return artifactsOfModelJSON(parseJSON(await get(url), where), where, (p) => {
    // The paths were checked to be relative already; this holds the resolved URL to that too.
    const target = new URL(p, url);
    if (target.origin !== folder.origin || !target.pathname.startsWith(folder.pathname)) {
      throw formatError(where, `weight path ${show(p)} resolves to ${target.href}, outside ${folder.href}.`);
    }
    return get(target.href);
  });
}
