import t from 'tap';
import {
  clampPosition,
  completesOnEntry,
  newReplicasAt,
  rolloutOf,
  totalSteps,
} from '../../../hooks/steps/rollout.js';

/** The shorthand as the sync reads it: the split at step k of the list it stands for. */
function splitAt(sizing: { totalReplicas: number; stepReplicas: number }, k: number) {
  const newReplicas = newReplicasAt(rolloutOf({ ...sizing, steps: undefined }), k);
  return { oldReplicas: sizing.totalReplicas - newReplicas, newReplicas };
}

t.test('the split of every step keeps old + new == total (docs/design.md §3)', async (t) => {
  const cases = [
    {
      total: 10,
      step: 2,
      splits: [
        [10, 0],
        [8, 2],
        [6, 4],
        [4, 6],
        [2, 8],
        [0, 10],
      ],
    },
    {
      total: 10,
      step: 3,
      splits: [
        [10, 0],
        [7, 3],
        [4, 6],
        [1, 9],
        [0, 10],
      ],
    },
    {
      total: 1,
      step: 1,
      splits: [
        [1, 0],
        [0, 1],
      ],
    },
    {
      total: 5,
      step: 5,
      splits: [
        [5, 0],
        [0, 5],
      ],
    },
    {
      total: 7,
      step: 1,
      splits: [
        [7, 0],
        [6, 1],
        [5, 2],
        [4, 3],
        [3, 4],
        [2, 5],
        [1, 6],
        [0, 7],
      ],
    },
  ];
  for (const c of cases) {
    const sizing = { totalReplicas: c.total, stepReplicas: c.step };
    t.equal(totalSteps(sizing), c.splits.length - 1, `${c.total}/${c.step}: ${c.splits.length - 1} steps`);
    t.same(
      c.splits.map((_, k) => {
        const s = splitAt(sizing, k);
        return [s.oldReplicas, s.newReplicas];
      }),
      c.splits,
      `${c.total}/${c.step} splits`,
    );
    const rollout = rolloutOf({ ...sizing, steps: undefined });
    t.ok(completesOnEntry(rollout, c.splits.length - 1));
    t.notOk(completesOnEntry(rollout, c.splits.length - 2));
  }
});

t.test('a step outside the range is clamped, never over-scaled', async (t) => {
  const sizing = { totalReplicas: 10, stepReplicas: 3 };
  const rollout = rolloutOf({ ...sizing, steps: undefined });
  t.equal(clampPosition(rollout, -1), 0);
  t.equal(clampPosition(rollout, 9), 4);
  t.same(splitAt(sizing, 12), { oldReplicas: 0, newReplicas: 10 });
});
