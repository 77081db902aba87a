// Jest transformer: TypeScript and ESM → CommonJS through esbuild, with inline source maps.
const { transformSync } = require('esbuild');

module.exports = {
  process(sourceText, sourcePath) {
    const loader = /\.[cm]?ts$/.test(sourcePath) ? 'ts' : 'js';
    const result = transformSync(sourceText, {
      loader,
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: sourcePath,
      supported: { 'dynamic-import': false },
    });
    return { code: result.code };
  },
};
