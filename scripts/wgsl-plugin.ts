import { readFileSync } from 'node:fs';

/** Loads `shaders/*.wgsl` as a default-exported string, the way esbuild's text loader does. */
export function wgslText() {
  return {
    name: 'wgsl-text',
    enforce: 'pre' as const,
    load(id: string) {
      if (!id.endsWith('.wgsl')) return null;
      return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
    },
  };
}
