/**
 * `docker build` cannot run here, so these check what the image depends on:
 * the bundle the build produces as its only content and entry point, the user
 * the Deployment expects, and the sources the build stage is given.
 * test/build/bundle.test.ts runs that bundle with no node_modules in reach.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import t from 'tap';
import { DEFAULT_METRICS_PORT, DEFAULT_PORT } from '../../server/config.js';
import { DEFAULT_OUTFILE, ENTRY, NODE_FLAGS } from '../../build/bundle.js';
import { repoPath } from '../helpers/crd.js';
import { find, installed } from './manifests.js';

const dockerfile = readFileSync(repoPath('Dockerfile'), 'utf8');
const lines = dockerfile
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'));
const stages = lines.filter((line) => /^FROM /i.test(line));
const runtime = lines.slice(lines.lastIndexOf(stages.at(-1)!));
const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};
const tsconfigBuild = JSON.parse(readFileSync(repoPath('tsconfig.build.json'), 'utf8')) as {
  include: string[];
};

t.test('multi-stage: build with dev dependencies, run the bundle alone', async (t) => {
  t.equal(stages.length, 2);
  t.match(stages[0], /^FROM node:\d+-slim AS build$/);
  t.match(stages[1], /^FROM (node:\d+-slim|gcr\.io\/distroless\/nodejs\d+)/);
  const build = lines.slice(0, lines.indexOf(stages[1]!)).join('\n');
  t.match(build, /RUN npm ci\b/);
  t.match(build, /npm run build/);
  t.ok(pkg.scripts.build?.includes('tsconfig.build.json'), 'npm run build compiles tsconfig.build.json');
  t.ok(pkg.scripts.postbuild?.includes('node build/bundle.js'), 'and then bundles the server');
  const copies = runtime.filter((line) => line.startsWith('COPY'));
  t.same(
    copies,
    [`COPY --from=build --chown=root:root /app/${DEFAULT_OUTFILE} ./${DEFAULT_OUTFILE}`],
    'the runtime stage gets the bundle and nothing else: no node_modules, no sources',
  );
});

t.test('the entry point is the bundle the build writes and npm start runs', async (t) => {
  const cmd = runtime.find((line) => line.startsWith('CMD'));
  const argv = ['node', ...NODE_FLAGS, DEFAULT_OUTFILE];
  t.equal(
    cmd,
    `CMD ${JSON.stringify(argv).replaceAll('","', '", "')}`,
    'exec form, so node gets SIGTERM itself',
  );
  t.equal(pkg.scripts.start, argv.join(' '), 'npm start runs it as the image does');
  t.ok(readdirSync(repoPath('server')).includes(ENTRY.replace(/^server\//, '')), `${ENTRY} exists`);
  // The CLI and `main` stay on tsc's output, which maps server/main.ts to dist/server/main.js.
  t.equal(pkg.main, 'dist/server/main.js');
  t.ok(
    tsconfigBuild.include.some((glob) => glob.startsWith(ENTRY.split('/')[0]!)),
    `tsconfig.build.json compiles ${ENTRY}`,
  );
});

t.test('non-root by number, the ports the Deployment uses', async (t) => {
  const user = runtime.find((line) => line.startsWith('USER'));
  const deployment = find<{ spec: { template: { spec: { securityContext: { runAsUser: number } } } } }>(
    installed(),
    'Deployment',
    'canary-hooks',
  );
  t.equal(user, `USER ${deployment.spec.template.spec.securityContext.runAsUser}:1000`);
  // The hooks' port and, apart, the metrics port (docs/design.md §12).
  t.ok(runtime.includes(`EXPOSE ${DEFAULT_PORT} ${DEFAULT_METRICS_PORT}`));
});

t.test('.dockerignore lets in exactly the sources the build compiles and bundles', async (t) => {
  const rules = readFileSync(repoPath('.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  t.equal(rules[0], '*', 'everything else stays out, node_modules and dist included');
  const admitted = rules.filter((r) => r.startsWith('!')).map((r) => r.slice(1).replace(/\/(\*\*)?$/, ''));
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
    t.ok(admitted.includes(file), file);
  }
  for (const glob of tsconfigBuild.include) {
    const dir = glob.split('/')[0]!;
    t.ok(admitted.includes(dir), `${dir}/ is admitted`);
  }
  t.ok(admitted.includes('build'), 'build/ is admitted: npm run build runs build/bundle.js');
});

function sourceFiles(dir: string): string[] {
  return readdirSync(repoPath(dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

// The bundle would take a dev dependency in as readily as any other; `main`
// (dist/server/main.js) and a production-only install need this to hold.
t.test('the server needs no dev dependency at run time', async (t) => {
  const builtins = new Set(builtinModules);
  const imported = new Set<string>();
  for (const file of [...sourceFiles('hooks'), ...sourceFiles('server')]) {
    const text = readFileSync(repoPath(file), 'utf8');
    // Type-only imports vanish in the build; value imports must resolve in the image.
    for (const [, spec] of text.matchAll(/^import (?!type )[^'"]*['"]([^'"]+)['"]/gm)) {
      if (!spec || spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
      imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  t.ok(imported.size > 0, `imports found: ${[...imported].join(', ')}`);
  for (const name of imported) t.ok(pkg.dependencies[name], `${name} is a production dependency`);
});
