/**
 * The chart's dashboard and alert files, read as Grafana and Prometheus read
 * them. Their queries run against a real Prometheus in
 * test/e2e/monitoring.e2e.ts and the rules under promtool in
 * test/integration/chart.itest.ts; this checks, without those tools, what a
 * change to the files most easily breaks.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (...path: string[]) => readFileSync(join(REPO, ...path), 'utf8');

interface Panel {
  title: string;
  type: string;
  datasource?: { uid: string };
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(read('charts', 'canary-hooks', 'files', 'dashboard.json')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
};
const queries = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((target) => ({ panel: p.title, expr: target.expr })),
);

/** The gauges each replica of the service keeps per Canary, stale on a pod that has not synced it lately. */
const PER_CANARY_GAUGES = [
  'canary_state',
  'canary_current_step',
  'canary_total_steps',
  'canary_replicas',
  'canary_traffic_weight',
  'canary_next_step_timestamp_seconds',
  'canary_last_step_timestamp_seconds',
  'canary_rollback_timestamp_seconds',
];

t.test('the dashboard in docs/ is the chart’s, byte for byte', (t) => {
  t.equal(
    read('docs', 'monitoring', 'grafana-dashboard.json'),
    read('charts', 'canary-hooks', 'files', 'dashboard.json'),
  );
  t.end();
});

t.test('every panel queries the chosen data source with known variables only', (t) => {
  const variables = new Set(dashboard.templating.list.map((v) => v.name));
  t.same([...variables].sort(), ['datasource', 'job', 'namespace']);
  t.ok(queries.length >= 15, `${queries.length} queries`);
  for (const p of dashboard.panels.filter((p) => p.type !== 'row')) {
    t.equal(p.datasource?.uid, '${datasource}', `${p.title} uses $datasource`);
    t.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
  }
  for (const q of queries) {
    const used = [...q.expr.matchAll(/\$(\w+)/g)].map((m) => m[1] ?? '');
    for (const name of used)
      t.ok(name === '__rate_interval' || variables.has(name), `${q.panel}: $${name} is defined`);
  }
  t.end();
});

t.test('per-Canary gauges are read through max by (namespace, name), across the pods', (t) => {
  for (const q of queries) {
    for (const gauge of PER_CANARY_GAUGES) {
      if (!new RegExp(`\\b${gauge}\\b`).test(q.expr)) continue;
      t.match(
        q.expr,
        new RegExp(`max by \\(namespace, name[^)]*\\) \\(${gauge}\\{namespace=~"\\$namespace"\\}\\)`),
        `${q.panel}: ${gauge}`,
      );
    }
  }
  t.end();
});

t.test('every alert has a severity, a summary and a description', (t) => {
  const rules = parse(read('charts', 'canary-hooks', 'files', 'alerts.yaml')) as {
    groups: {
      rules: {
        alert: string;
        expr: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      }[];
    }[];
  };
  const alerts = rules.groups.flatMap((g) => g.rules);
  t.same(alerts.map((a) => a.alert).sort(), [
    'CanaryHooksFailing',
    'CanaryHooksSlow',
    'CanaryInError',
    'CanaryRolledBack',
    'CanaryStuck',
  ]);
  for (const a of alerts) {
    t.match(a.labels?.severity, /^(warning|critical)$/, `${a.alert} severity`);
    t.ok(a.annotations?.summary, `${a.alert} summary`);
    t.ok(a.annotations?.description, `${a.alert} description`);
  }
  t.end();
});
