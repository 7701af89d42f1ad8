// The esbuild settings both start-up bundles share (twlab's commands, twproxy): ES modules for
// node 20, split into chunks that load when first imported, minified.
/** esbuild options for a node ES module bundle; `requireName` names the createRequire import in its banner. */
export function esmBundleOptions(requireName) {
  return {
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    // CommonJS libraries inside an ES module bundle still call require() for node's modules
    banner: {js: `import {createRequire as ${requireName}} from 'node:module'; const require = ${requireName}(import.meta.url);`},
  }
}
