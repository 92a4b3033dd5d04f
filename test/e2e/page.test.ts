/** The walkthrough pages read as the e2e tests read them (test/e2e/lib/page.ts). */
import t from 'tap';
import { argv, commandsOf, readPage, stepCommands } from './lib/page.js';

t.test('argv splits as a shell does', async (t) => {
  t.same(argv(`kubectl get canary my-app -o jsonpath='{.status.rollback}{"\\n"}'`), [
    'kubectl',
    'get',
    'canary',
    'my-app',
    '-o',
    'jsonpath={.status.rollback}{"\\n"}',
  ]);
  t.same(argv('a "b c" d'), ['a', 'b c', 'd']);
});

t.test('the walkthrough pages have their numbered steps and commands', async (t) => {
  const page = readPage('docs/getting-started.md');
  for (let step = 1; step <= 7; step++) t.ok(stepCommands(page, step).length > 0, `step ${step}`);
  t.throws(() => stepCommands(page, 8), /no step 8/);
  t.same(stepCommands(page, 1), ['kubectl apply -k manifests/examples/', 'kubectl get canaries -o wide']);
  t.same(commandsOf(readPage('docs/step-lists.md')).slice(0, 3), [
    'kubectl apply -k manifests/examples-steps/',
    'kubectl canary apply my-app',
    'kubectl get canaries -o wide -w',
  ]);
});
