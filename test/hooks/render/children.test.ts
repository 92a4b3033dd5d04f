/**
 * Where a decision's record is stamped (hooks/render/children.ts): only on the
 * Deployments the answer writes anyway, and a Deployment left unstamped
 * keeps the record it carries, since Metacontroller would delete an
 * annotation the answer leaves out.
 */
import t from 'tap';
import { desiredChildren, stampWhereWritten } from '../../../hooks/render/children.js';
import { DECISION_ANNOTATION } from '../../../hooks/observed/record.js';
import type { Deployment } from '../../../hooks/wire/index.js';
import { canary, deployment } from '../../fixtures/cluster.js';

const OLD = 'my-app-v1';
const NEW = 'my-app-v2';
const RECORD = '{"sequence":7}';

function withRecord(d: Deployment, record: string): Deployment {
  return {
    ...d,
    metadata: { ...d.metadata, annotations: { ...d.metadata.annotations, [DECISION_ANNOTATION]: record } },
  };
}

const observed = (oldReplicas: number, newReplicas: number, records: [string?, string?] = []) =>
  new Map<string, Deployment>(
    (
      [
        [OLD, deployment({ name: OLD, replicas: oldReplicas }), records[0]],
        [NEW, deployment({ name: NEW, replicas: newReplicas }), records[1]],
      ] as const
    ).map(([name, d, record]) => [name, record === undefined ? d : withRecord(d, record)]),
  );

t.test('the record goes where the replicas change, else on the new Deployment', async (t) => {
  const cases: [why: string, seen: [number, number], asked: [number, number], stamped: string[]][] = [
    ['a surge step scales only v2 up', [10, 0], [10, 2], [NEW]],
    ['the old steps down once the new are available', [10, 2], [8, 2], [OLD]],
    ['both change: a rollback, or a step without surge', [8, 2], [10, 0], [OLD, NEW]],
    ['nothing changes (a pause begins, a command): on v2', [8, 2], [8, 2], [NEW]],
  ];
  for (const [why, [o, n], [ao, an], stamped] of cases) {
    const stamp = stampWhereWritten(
      canary(),
      observed(o, n),
      new Map([
        [OLD, ao],
        [NEW, an],
      ]),
      [NEW, OLD],
      RECORD,
    );
    t.same([...(stamp?.names ?? [])].sort(), [...stamped].sort(), why);
    t.equal(stamp?.value, RECORD, `${why}: this decision's record`);
  }
});

t.test('with the new Deployment missing, a decision with no replica change goes on the old', async (t) => {
  const seen = new Map([[OLD, deployment({ name: OLD, replicas: 10 })]]);
  const stamp = stampWhereWritten(canary(), seen, new Map([[OLD, 10]]), [NEW, OLD], RECORD);
  t.same([...(stamp?.names ?? [])], [OLD]);
});

t.test('no stamp without a uid to tell Canaries apart', async (t) => {
  const parent = canary();
  delete parent.metadata.uid;
  t.equal(stampWhereWritten(parent, observed(10, 0), new Map([[NEW, 2]]), [NEW, OLD], RECORD), undefined);
});

t.test('an unstamped Deployment keeps the record it carries, byte for byte', async (t) => {
  const earlier = '{"sequence":6}';
  const seen = observed(10, 0, [earlier, earlier]);
  const children = desiredChildren(
    seen,
    new Map([
      [OLD, 10],
      [NEW, 2],
    ]),
    { names: new Set([NEW]), value: RECORD },
  );
  const annotation = (name: string) =>
    children.find((c) => c.metadata.name === name)?.metadata.annotations?.[DECISION_ANNOTATION];
  t.equal(annotation(NEW), RECORD, 'the written one carries the new record');
  t.equal(annotation(OLD), earlier, 'the other is returned as observed: no write, nothing deleted');
  const bare = desiredChildren(observed(10, 0), new Map([[NEW, 2]]), {
    names: new Set([NEW]),
    value: RECORD,
  });
  t.equal(
    bare.find((c) => c.metadata.name === OLD)?.metadata.annotations,
    undefined,
    'and one that carries none gets none',
  );
});

t.test('a stamped Deployment its controller is busy with: the record goes on both', async (t) => {
  const busy = (d: Deployment): Deployment => ({ ...d, metadata: { ...d.metadata, generation: 9 } });
  const cases: [why: string, seen: Map<string, Deployment>, stamped: string[]][] = [
    [
      'v2 has a new pod template its controller has not seen',
      new Map([...observed(10, 0)].map(([n, d]) => [n, n === NEW ? busy(d) : d])),
      [OLD, NEW],
    ],
    [
      'v2 still starting pods',
      new Map(
        [...observed(10, 0)].map(([n, d]) => [
          n,
          n === NEW ? { ...d, status: { ...d.status, availableReplicas: 0, replicas: 1 } } : d,
        ]),
      ),
      [OLD, NEW],
    ],
    ['v2 at rest', observed(10, 0), [NEW]],
    [
      'busy, but a Deployment carries this record already: nothing to spread',
      new Map([...observed(10, 0, [RECORD])].map(([n, d]) => [n, n === NEW ? busy(d) : d])),
      [NEW],
    ],
  ];
  for (const [why, seen, stamped] of cases) {
    const stamp = stampWhereWritten(
      canary(),
      seen,
      new Map([
        [OLD, 10],
        [NEW, 2],
      ]),
      [NEW, OLD],
      RECORD,
    );
    t.same([...(stamp?.names ?? [])].sort(), [...stamped].sort(), why);
  }
});
