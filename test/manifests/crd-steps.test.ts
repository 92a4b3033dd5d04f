/**
 * The CRD's rules for step lists (docs/design.md §8): what the API server
 * refuses before a Canary is stored, each with a sentence naming the field.
 * test/integration/crd.itest.ts applies the same cases to a real API server.
 */
import t from 'tap';
import { canaryCrd, validateCanary } from '../helpers/crd.js';
import { BAD_STEP_LISTS, listCanary, SEED_STEPS } from '../helpers/step-lists.js';

t.test('valid step lists are accepted, with and without a cron gate', async (t) => {
  t.same(validateCanary(listCanary({ steps: SEED_STEPS })), [], 'the seed list');
  t.same(
    validateCanary(
      listCanary({
        cronSchedule: '*/5 * * * *',
        steps: [
          { setWeight: 10 },
          { pause: {} },
          { setReplicas: 5 },
          { pause: { duration: '1h30m' } },
          { pause: { untilSchedule: '0 9 * * 1-5' } },
          { setWeight: 0 },
          { setWeight: 100 },
          { setReplicas: 10 },
        ],
      }),
    ),
    [],
    'every kind of step, the bounds included',
  );
});

t.test('each invalid list is refused with a sentence naming what is wrong', async (t) => {
  for (const { name, spec, drop, at, message } of BAD_STEP_LISTS) {
    const errors = validateCanary(listCanary(spec, drop));
    t.equal(errors.length, 1, `${name}: one error (${errors.join('; ')})`);
    // Offline the path is the rule's place with dotted indexes; the API server also applies fieldPath.
    const [path, sentence] = (errors[0] ?? '').split(/: (.*)/s);
    t.equal(sentence, message, `${name}: the sentence`);
    t.ok(at.startsWith(String(path).replace(/\.(\d+)/g, '[$1]')), `${name}: names ${at} (${path})`);
  }
});

t.test('the WEIGHT column follows the original five, in -o wide', async (t) => {
  const columns = canaryCrd().spec.versions[0]!.additionalPrinterColumns ?? [];
  t.same(
    columns.slice(0, 6).map((c) => c.name),
    ['OldReplicas', 'NewReplicas', 'CurrentStep', 'State', 'Message', 'Weight'],
  );
  t.match(columns[5], { jsonPath: '.status.weight', type: 'integer', priority: 1 });
});
