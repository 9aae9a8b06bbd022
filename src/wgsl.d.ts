/** WGSL sources are imported as text: esbuild's text loader in the bundle, a Vite plugin in tests. */
declare module '*.wgsl' {
  const source: string;
  export default source;
}
