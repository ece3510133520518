/** A file's text, bundled (esbuild's text loader, scripts/bundle-options.mjs; vite's `?raw` in tests). */
declare module "*?raw" {
  const text: string
  export default text
}
