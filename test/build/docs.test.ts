/**
 * docs/ stays true to the code: the generated pages are what build/docs.ts
 * writes now, and every relative link and anchor in README.md and docs/
 * resolves.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { posix } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { GENERATED, renderApiReference, renderCliReference, withGenerated } from '../../build/docs.js';
import { COMMAND_HELP } from '../../cli/help.js';
import { anchorsOf, linksOf, slugsOf } from '../helpers/markdown.js';

t.test('the generated pages are up to date (else: npm run docs)', async (t) => {
  for (const g of GENERATED) {
    const page = readFileSync(g.page, 'utf8');
    t.equal(withGenerated(page, g.name, g.render()), page, `${g.page} is what npm run docs writes`);
  }
});

t.test('the API reference lists every field of the CRD, with its description', async (t) => {
  const crdText = readFileSync('manifests/crd-canary.yaml', 'utf8');
  const text = renderApiReference(crdText);
  const crd = parse(crdText) as {
    spec: {
      versions: { schema: { openAPIV3Schema: { properties: Record<string, { properties: object }> } } }[];
    };
  };
  const root = crd.spec.versions[0]!.schema.openAPIV3Schema.properties;
  for (const part of ['spec', 'status']) {
    for (const field of Object.keys(root[part]!.properties)) {
      t.match(text, `| \`${part}.${field}\` |`, `${part}.${field} has a row`);
    }
  }
  t.match(text, /\| `spec\.steps\[\]\.pause\.duration` \|/, 'nested fields, through arrays');
  t.match(text, /`spec\.surge` \| boolean \|\s+\| .*default `true`/, 'defaults');
  t.match(
    text,
    /checked: oldDeployment and newDeployment must name two different Deployments/,
    'CEL messages',
  );
});

t.test('the CLI reference has every command help page', async (t) => {
  const text = renderCliReference();
  for (const [name, help] of Object.entries(COMMAND_HELP)) {
    t.match(text, `### \`kubectl canary ${name}\``, name);
    t.ok(text.includes(help.trimEnd()), `${name}: its help, whole`);
  }
});

t.test('withGenerated replaces only what is between the markers, and needs them', async (t) => {
  const page =
    'before\n<!-- generated:x by build/docs.ts (npm run docs); do not edit by hand -->\nold\n<!-- end generated:x -->\nafter\n';
  t.equal(
    withGenerated(page, 'x', 'new'),
    'before\n<!-- generated:x by build/docs.ts (npm run docs); do not edit by hand -->\n\nnew\n\n<!-- end generated:x -->\nafter\n',
  );
  t.throws(() => withGenerated('no markers', 'x', 'new'), /no markers for x/);
});

const PAGES = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

t.test('every relative link and anchor in README.md and docs/ resolves', async (t) => {
  const anchors = new Map(PAGES.map((p) => [p, anchorsOf(readFileSync(p, 'utf8'))]));
  for (const page of PAGES) {
    const dir = page.includes('/') ? page.slice(0, page.lastIndexOf('/') + 1) : '';
    for (const { target, line } of linksOf(readFileSync(page, 'utf8'))) {
      if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
      const [path = '', anchor] = target.split('#', 2);
      const file = path === '' ? page : posix.normalize(posix.join(dir, decodeURI(path)));
      const where = `${page}:${line}: ${target}`;
      if (file.startsWith('../')) {
        t.fail(`${where}: outside the repository`);
        continue;
      }
      if (!existsSync(file)) {
        t.fail(`${where}: no file ${file}`);
        continue;
      }
      if (anchor === undefined) continue;
      const known =
        anchors.get(file) ?? (file.endsWith('.md') ? anchorsOf(readFileSync(file, 'utf8')) : new Set());
      t.ok(known.has(anchor), `${where}: anchor #${anchor}`);
    }
  }
  t.notOk(
    PAGES.some((p) => /\.\.\/shared|SPEC\.md/.test(readFileSync(p, 'utf8'))),
    'no page points outside the repository at the working contract',
  );
});

t.test('anchors and links, as GitHub reads them', async (t) => {
  t.same(
    slugsOf([
      '5. Automatic rollback',
      '7a. Surge first',
      'The API: `canary.k8shuginn.io/v1alpha1`, kind `Canary`',
      'Commands',
      'Commands',
    ]),
    [
      '5-automatic-rollback',
      '7a-surge-first',
      'the-api-canaryk8shuginniov1alpha1-kind-canary',
      'commands',
      'commands-1',
    ],
  );
  const page =
    '# A `b` c\n\n```sh\n# not a heading [x](nowhere.md)\n```\n\nSee [the\ndesign](design.md#1-what-it-is) and `[code](no.md)`.\n';
  t.same([...anchorsOf(page)], ['a-b-c'], 'a heading in a code block is none');
  t.same(
    linksOf(page),
    [{ target: 'design.md#1-what-it-is', line: 7 }],
    'links in code are none; link text may wrap',
  );
});
