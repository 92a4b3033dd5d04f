import t from 'tap';
import { ApiException } from '@kubernetes/client-node';
import { createKubeApi, describeApiError } from '../../server/kube.js';
import { kubeConfigFor, kubeStatus, sendJson, startKubeStandIn } from './support.js';

t.test('API errors are described in one line a log reader understands', async (t) => {
  const cases: [unknown, string][] = [
    [
      new ApiException(403, 'Forbidden', JSON.stringify(kubeStatus(403, 'Forbidden', 'cannot patch')), {}),
      'HTTP 403: cannot patch',
    ],
    [
      new ApiException(502, 'Bad Gateway', '<html>upstream down</html>', {}),
      'HTTP 502: <html>upstream down</html>',
    ],
    [new ApiException(500, 'x', { message: 'from an object body' }, {}), 'HTTP 500: from an object body'],
    [new ApiException(500, 'x', JSON.stringify({ kind: 'Status' }), {}), 'HTTP 500: {"kind":"Status"}'],
    [new Error('connect ECONNREFUSED 127.0.0.1:6443'), 'connect ECONNREFUSED 127.0.0.1:6443'],
    ['a thrown string', 'a thrown string'],
  ];
  for (const [err, line] of cases) t.equal(describeApiError(err), line);
});

t.test('a failing read is not mistaken for a released Deployment', async (t) => {
  const api = await startKubeStandIn((_req, res) =>
    sendJson(res, 500, kubeStatus(500, 'InternalError', 'etcdserver: request timed out')),
  );
  t.teardown(() => api.close());
  const kube = createKubeApi(kubeConfigFor(api.url));
  await t.rejects(kube.releaseDeployment('default', 'my-app-v1', 'uid'), { code: 500 });
  t.equal(api.requests.length, 1, 'no patch after a failed read');
});

t.test('an unreachable API server rejects, so finalize answers finalized: false', async (t) => {
  const api = await startKubeStandIn((_req, res) => sendJson(res, 200, {}));
  const url = api.url;
  await api.close();
  const kube = createKubeApi(kubeConfigFor(url));
  const err = await kube.releaseDeployment('default', 'my-app-v1', 'uid').then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err, 'rejected');
  t.match(describeApiError(err), /ECONNREFUSED|connect|fetch failed/i);
});
