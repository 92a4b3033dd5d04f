/**
 * `docker build` cannot run here, so these check what the image depends on:
 * the entry point the build produces, the user the Deployment expects, and
 * that production dependencies alone can run the server.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import t from 'tap';
import { DEFAULT_PORT } from '../../server/config.js';
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

t.test('multi-stage: build with dev dependencies, run with production ones', async (t) => {
  t.equal(stages.length, 2);
  t.match(stages[0], /^FROM node:\d+-slim AS build$/);
  t.match(stages[1], /^FROM (node:\d+-slim|gcr\.io\/distroless\/nodejs\d+)/);
  const build = lines.slice(0, lines.indexOf(stages[1]!)).join('\n');
  t.match(build, /RUN npm ci\b/);
  t.match(build, /npm run build/);
  t.match(build, /npm prune --omit=dev|npm ci --omit=dev/);
  t.ok(pkg.scripts.build?.includes('tsconfig.build.json'), 'npm run build compiles tsconfig.build.json');
  for (const from of ['node_modules', 'dist']) {
    t.match(runtime.join('\n'), new RegExp(`COPY --from=build .*/app/${from} `), `runtime gets ${from}`);
  }
  t.notMatch(runtime.join('\n'), /COPY (?!--from)/, 'no sources in the runtime stage');
});

t.test('the entry point is what the build produces and package.json names', async (t) => {
  const cmd = runtime.find((line) => line.startsWith('CMD'));
  t.equal(cmd, `CMD ["node", "${pkg.main}"]`, 'exec form, so node gets SIGTERM itself');
  // tsc with rootDir "." and outDir dist maps server/main.ts to dist/server/main.js.
  const source = pkg.main.replace(/^dist\//, '').replace(/\.js$/, '.ts');
  t.ok(readdirSync(repoPath('server')).includes('main.ts'), `${source} exists`);
  t.ok(
    tsconfigBuild.include.some((glob) => glob.startsWith(source.split('/')[0]!)),
    `tsconfig.build.json compiles ${source}`,
  );
});

t.test('non-root by number, the port the Deployment uses', async (t) => {
  const user = runtime.find((line) => line.startsWith('USER'));
  const deployment = find<{ spec: { template: { spec: { securityContext: { runAsUser: number } } } } }>(
    installed(),
    'Deployment',
    'canary-hooks',
  );
  t.equal(user, `USER ${deployment.spec.template.spec.securityContext.runAsUser}:1000`);
  t.ok(runtime.includes(`EXPOSE ${DEFAULT_PORT}`));
});

t.test('.dockerignore lets in exactly the sources the build compiles', async (t) => {
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
});

function sourceFiles(dir: string): string[] {
  return readdirSync(repoPath(dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

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
