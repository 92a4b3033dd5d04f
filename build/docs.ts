/**
 * Generates the parts of docs/ whose source of truth is code: the API
 * reference from the Canary CRD's schema (manifests/crd-canary.yaml) and the
 * CLI reference from the plugin's own help (cli/help.ts). Each goes between
 * two markers in its page; the text around them is written by hand.
 *
 *   npm run docs
 *
 * test/build/docs.test.ts fails when a committed page differs from what this
 * would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { COMMAND_HELP, USAGE } from '../cli/help.js';

interface Schema {
  type?: string;
  format?: string;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  'x-kubernetes-validations'?: { message?: string }[];
}

const ROOT = new URL('../', import.meta.url);

/** One line of a table cell: no pipes, no line breaks. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}

function typeOf(s: Schema): string {
  if (s.type === 'array') return `array of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object')
    return `map of ${typeOf(s.additionalProperties)}`;
  const base = s.format ? `${s.type ?? 'any'} (${s.format})` : (s.type ?? 'any');
  return s.nullable ? `${base} or null` : base;
}

function constraints(s: Schema): string[] {
  const out: string[] = [];
  if (s.default !== undefined) out.push(`default \`${JSON.stringify(s.default)}\``);
  if (s.minimum !== undefined) out.push(`at least ${s.minimum}`);
  if (s.maximum !== undefined) out.push(`at most ${s.maximum}`);
  if (s.enum) out.push(`one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  for (const rule of s['x-kubernetes-validations'] ?? [])
    if (rule.message) out.push(`checked: ${rule.message}`);
  return out;
}

/** The rows of a field table: every field under `schema`, depth first, by path. */
function rows(schema: Schema, prefix: string): string[] {
  const out: string[] = [];
  const required = new Set(schema.required ?? []);
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${name}`;
    const what = [field.description ?? '', ...constraints(field)].filter((x) => x !== '').join('; ');
    out.push(`| \`${path}\` | ${cell(typeOf(field))} | ${required.has(name) ? 'yes' : ''} | ${cell(what)} |`);
    const inner = field.type === 'array' ? field.items : field;
    if (inner?.properties) out.push(...rows(inner, field.type === 'array' ? `${path}[].` : `${path}.`));
  }
  return out;
}

function table(schema: Schema, prefix: string): string {
  return ['| field | type | required | meaning |', '| --- | --- | --- | --- |', ...rows(schema, prefix)].join(
    '\n',
  );
}

export function renderApiReference(crdText: string): string {
  const crd = parse(crdText) as {
    spec: {
      group: string;
      names: { kind: string; shortNames?: string[] };
      versions: {
        name: string;
        additionalPrinterColumns?: {
          name: string;
          jsonPath: string;
          priority?: number;
          description?: string;
        }[];
        schema: { openAPIV3Schema: Schema };
      }[];
    };
  };
  const version = crd.spec.versions[0];
  if (!version) throw new Error('the CRD has no version');
  const root = version.schema.openAPIV3Schema;
  const spec = root.properties?.spec;
  const status = root.properties?.status;
  if (!spec || !status) throw new Error('the CRD schema has no spec or status');
  const columns = (version.additionalPrinterColumns ?? []).map(
    (c) =>
      `| \`${c.name.toUpperCase()}\` | \`${c.jsonPath}\` | ${c.priority ? '`-o wide` only' : 'always'} | ${cell(c.description ?? '')} |`,
  );
  return [
    `\`apiVersion: ${crd.spec.group}/${version.name}\`, \`kind: ${crd.spec.names.kind}\`` +
      (crd.spec.names.shortNames?.length
        ? ` (short name \`${crd.spec.names.shortNames.join('`, `')}\`).`
        : '.'),
    '',
    cell(root.description ?? ''),
    '',
    '### spec',
    '',
    ...(spec['x-kubernetes-validations'] ?? []).map((r) => `- checked: ${cell(r.message ?? '')}`),
    '',
    table(spec, 'spec.'),
    '',
    '### status',
    '',
    cell(status.description ?? ''),
    '',
    table(status, 'status.'),
    '',
    '### `kubectl get canaries` columns',
    '',
    '| column | from | shown | meaning |',
    '| --- | --- | --- | --- |',
    ...columns,
  ].join('\n');
}

export function renderCliReference(): string {
  const pages = Object.entries(COMMAND_HELP).map(([name, text]) =>
    [`### \`kubectl canary ${name}\``, '', '```text', text.trimEnd(), '```'].join('\n'),
  );
  return [
    '### `kubectl canary --help`',
    '',
    '```text',
    USAGE.trimEnd(),
    '```',
    '',
    ...pages.join('\n\n').split('\n'),
  ].join('\n');
}

const begin = (name: string) =>
  `<!-- generated:${name} by build/docs.ts (npm run docs); do not edit by hand -->`;
const end = (name: string) => `<!-- end generated:${name} -->`;

/** `page` with the text between its two markers for `name` replaced by `block`. */
export function withGenerated(page: string, name: string, block: string): string {
  const from = page.indexOf(begin(name));
  const to = page.indexOf(end(name));
  if (from < 0 || to < from) throw new Error(`the page has no markers for ${name}`);
  return `${page.slice(0, from)}${begin(name)}\n\n${block}\n\n${page.slice(to)}`;
}

export const GENERATED: { page: string; name: string; render: () => string }[] = [
  {
    page: 'docs/api-reference.md',
    name: 'crd',
    render: () => renderApiReference(readFileSync(new URL('manifests/crd-canary.yaml', ROOT), 'utf8')),
  },
  { page: 'docs/cli.md', name: 'cli-help', render: renderCliReference },
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const g of GENERATED) {
    const url = new URL(g.page, ROOT);
    const before = readFileSync(url, 'utf8');
    const after = withGenerated(before, g.name, g.render());
    if (after !== before) writeFileSync(url, after);
    console.log(`${g.page}: ${after === before ? 'up to date' : 'written'}`);
  }
}
