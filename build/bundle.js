/**
 * The production server as one ESM file: server/main.ts and every dependency
 * it reaches, tree-shaken by esbuild. Unbundled, @kubernetes/client-node loads
 * its whole generated API at import; the bundle keeps what the service uses
 * and idles at 85 MB against 152 MB. It runs with no node_modules beside it.
 *
 *   node build/bundle.js [outfile]     (default dist/server.mjs)
 *
 * Whitespace and comments are stripped, names are not: V8 keeps a script's
 * whole source in memory, and a single comment character beyond Latin-1 (an
 * en dash in luxon's docs) made all of it two bytes a character, 15 MB for
 * the unminified bundle against 4 MB now. Stack traces still name the
 * functions; their line numbers point into one long line.
 */
import { readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { relative, resolve } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export const ENTRY = 'server/main.ts';
export const DEFAULT_OUTFILE = 'dist/server.mjs';

/**
 * Node flags the bundle runs with, wherever it runs (the image's CMD, npm
 * start, the bench). V8's young generation grows to 32 MB under a sync load,
 * though little of each request outlives it; capped at 16 MB the server peaks
 * about 15 MB lower at 0 and 20 pods for no measurable CPU (bench/README.md).
 */
export const NODE_FLAGS = ['--max-semi-space-size=8'];

/**
 * Optional native speed-ups that `ws` requires inside try/catch and does
 * without when they are missing; likewise node-fetch's `encoding`. They stay
 * outside the bundle and are absent at run time, which is fine.
 */
export const OPTIONAL_EXTERNALS = ['bufferutil', 'utf-8-validate', 'encoding'];

/**
 * The dependencies are CommonJS and call require() for node builtins, which an
 * ES module does not have; a few also name __filename or __dirname (pino's
 * transport workers, unused here). The aliases keep the banner's own imports
 * from clashing with names in the bundle.
 */
const BANNER = [
  "import { createRequire as __bundleCreateRequire } from 'node:module';",
  "import { dirname as __bundleDirname } from 'node:path';",
  "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
  'const require = __bundleCreateRequire(import.meta.url);',
  'const __filename = __bundleFileURLToPath(import.meta.url);',
  'const __dirname = __bundleDirname(__filename);',
].join('\n');

const builtins = new Set(builtinModules);

/**
 * What the bundle would still load from node_modules at run time: every
 * external import that is neither a node builtin nor optional.
 *
 * @param {readonly { path: string, kind: string, external?: boolean }[]} imports from esbuild's metafile
 * @returns {string[]}
 */
export function unbundledPackages(imports) {
  return imports
    .filter((i) => i.external && !i.path.startsWith('node:') && !builtins.has(i.path))
    .filter((i) => !OPTIONAL_EXTERNALS.includes(i.path))
    .map((i) => `${i.path} (${i.kind})`);
}

/**
 * Calls to require() with a computed name, as `line: code`. esbuild leaves
 * them to run time without a warning (it cannot know the name), and without
 * node_modules they fail there unless the name is a builtin. esbuild calls
 * require `__require` in its output.
 *
 * @param {string} code the bundle
 * @returns {string[]}
 */
export function computedRequires(code) {
  return code
    .split('\n')
    .flatMap((text, i) => (/\b__require\(\s*[^\s"']/.test(text) ? [`${i + 1}: ${text.trim()}`] : []));
}

/**
 * Bundles the server into `outfile`. Throws, after printing what esbuild said,
 * when esbuild warns, when the bundle would require a package at run time
 * that is not a node builtin or one of OPTIONAL_EXTERNALS, or when it calls
 * require with a computed name: any of these could fail in the image, where
 * no node_modules exist.
 *
 * @param {string} outfile
 * @returns {Promise<{ outfile: string, bytes: number }>}
 */
export async function bundleServer(outfile) {
  const out = resolve(outfile);
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [ENTRY],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    banner: { js: BANNER },
    // tr46 (client-node -> node-fetch -> whatwg-url) requires node's punycode,
    // which Node 22, the image's runtime, warns is deprecated when code outside
    // node_modules loads it, as the bundle is. The npm package is the same code.
    alias: { punycode: 'punycode/' },
    minifyWhitespace: true,
    metafile: true,
    // Messages are printed below, once, and decide whether the build passes.
    logLevel: 'silent',
  });

  const problems = [];
  if (result.warnings.length > 0) {
    const text = await esbuild.formatMessages(result.warnings, { kind: 'warning', color: false });
    process.stderr.write(text.join(''));
    problems.push(`esbuild warned ${result.warnings.length} time(s); see above`);
  }
  const output = result.metafile.outputs[relative(root, out).split('\\').join('/')];
  if (!output) throw new Error(`esbuild did not report the output ${out}`);
  const unbundled = unbundledPackages(output.imports);
  if (unbundled.length > 0) {
    problems.push(`the bundle would load these from node_modules at run time: ${unbundled.join(', ')}`);
  }
  const computed = computedRequires(readFileSync(out, 'utf8'));
  if (computed.length > 0) {
    problems.push(`require() with a computed name, by line of the bundle:\n    ${computed.join('\n    ')}`);
  }
  if (problems.length > 0) {
    // Leave nothing that npm start or the image could run by mistake.
    rmSync(out, { force: true });
    throw new Error(`bundling ${ENTRY} failed:\n  ${problems.join('\n  ')}`);
  }

  return { outfile: out, bytes: statSync(out).size };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const target = process.argv[2] ?? resolve(root, DEFAULT_OUTFILE);
  try {
    const { outfile, bytes } = await bundleServer(target);
    process.stdout.write(`${relative(process.cwd(), outfile)}: ${(bytes / 1024 / 1024).toFixed(1)} MB\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
