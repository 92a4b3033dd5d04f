/** spec.selector as the selector string of the scale subresource (docs/design.md §10), as the API server writes it. */
import t from 'tap';
import { selectorString } from '../../../hooks/k8s/selectors.js';

t.test('spec.selector as the selector string the scale subresource shows', async (t) => {
  const cases: [unknown, string, string][] = [
    [{ matchLabels: { app: 'my-app' } }, 'app=my-app', 'one label'],
    [{ matchLabels: { tier: 'web', app: 'my-app' } }, 'app=my-app,tier=web', 'labels sorted by key'],
    [
      { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'canary'] }] },
      'env in (canary,prod)',
      'In, values sorted',
    ],
    [{ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, 'env notin (dev)', 'NotIn'],
    [{ matchExpressions: [{ key: 'canary', operator: 'Exists' }] }, 'canary', 'Exists'],
    [
      { matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist', values: [] }] },
      '!legacy',
      'DoesNotExist',
    ],
    [
      {
        matchLabels: { version: 'v2', app: 'my-app' },
        matchExpressions: [
          { key: 'app', operator: 'Exists' },
          { key: 'example.com/team', operator: 'In', values: ['b', 'a'] },
        ],
      },
      'app=my-app,app,example.com/team in (a,b),version=v2',
      'all sorted by key, labels before expressions of the same key',
    ],
    [{ matchLabels: { app: '' } }, 'app=', 'an empty label value is a value'],
  ];
  for (const [selector, expected, why] of cases) t.equal(selectorString(selector), expected, why);

  const unusable: [unknown, string][] = [
    [undefined, 'no selector'],
    [null, 'null'],
    ['app=my-app', 'a string, not a LabelSelector'],
    [{}, 'empty: would select every pod'],
    [{ matchLabels: {}, matchExpressions: [] }, 'empty lists'],
    [{ matchLabels: { app: 'my app' } }, 'a label value with a space'],
    [{ matchLabels: { 'bad key!': 'x' } }, 'a label key the API server refuses'],
    [{ matchLabels: { app: 7 } }, 'a number for a value'],
    [{ matchLabels: { app: 'a'.repeat(64) } }, 'a value over 63 characters'],
    [{ matchExpressions: [{ key: 'env', operator: 'In' }] }, 'In without values'],
    [{ matchExpressions: [{ key: 'env', operator: 'Exists', values: ['x'] }] }, 'Exists with values'],
    [{ matchExpressions: [{ key: 'env', operator: 'Like', values: ['x'] }] }, 'an unknown operator'],
    [{ matchExpressions: 'env' }, 'expressions not a list'],
  ];
  for (const [selector, why] of unusable) t.equal(selectorString(selector), '', why);
});
