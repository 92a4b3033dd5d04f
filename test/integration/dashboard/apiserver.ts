/**
 * A second, throwaway control plane for the one test that restarts its API
 * server: run.sh starts the shared one and offers no way to restart it, and
 * stopping that one would break every other test file. This one is etcd and
 * kube-apiserver from the same binaries, on loopback, with their own
 * certificates, token and data; the API server can be stopped and started
 * again on the same port over the same etcd, as a restart on a real cluster
 * (an upgrade, a crash) leaves it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { KUBECTL, REPO, kubectl, waitFor } from '../helpers.js';

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Every process group this file started, killed even if a test dies half-way. */
const groups = new Set<number>();
process.on('exit', () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function startProcess(command: string, args: string[], log: string, env: NodeJS.ProcessEnv): ChildProcess {
  const out = openSync(log, 'a');
  // Its own process group (detached), so the whole of it can be signalled.
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env });
  if (child.pid) groups.add(child.pid);
  return child;
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = once(child, 'exit');
  process.kill(-child.pid, signal);
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, 'SIGKILL'), 60_000);
  await exited;
  clearTimeout(timer);
  groups.delete(child.pid);
}

export class ThrowawayCluster {
  private apiserver: ChildProcess | undefined;

  private constructor(
    readonly dir: string,
    private readonly etcd: ChildProcess,
    private readonly apiArgs: string[],
    readonly server: string,
    readonly kubeconfig: string,
  ) {}

  static async start(): Promise<ThrowawayCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'canary-throwaway-'));
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD_')));
    const etcd = startProcess(
      'etcd',
      [
        '--name=throwaway',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=throwaway=http://127.0.0.1:${peerPort}`,
        '--unsafe-no-fsync',
      ],
      join(dir, 'etcd.log'),
      env,
    );
    const pki = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    pki(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=throwaway-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
    );
    pki(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=kube-apiserver',
      '-keyout',
      'api.key',
      '-out',
      'api.csr',
    );
    writeFileSync(
      join(dir, 'api.ext'),
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
    pki(
      'x509',
      '-req',
      '-in',
      'api.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'api.ext',
      '-out',
      'api.crt',
    );
    pki('genrsa', '-out', 'sa.key', '2048');
    pki('rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub');
    const token = execFileSync('openssl', ['rand', '-hex', '24'], { encoding: 'utf8' }).trim();
    writeFileSync(join(dir, 'tokens.csv'), `${token},throwaway-admin,throwaway-admin,"system:masters"\n`);

    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = join(dir, 'kubeconfig');
    const ca = readFileSync(join(dir, 'ca.crt')).toString('base64');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: throwaway\n  cluster:\n    server: ${server}\n    certificate-authority-data: ${ca}\n` +
        `users:\n- name: admin\n  user:\n    token: ${token}\ncontexts:\n- name: throwaway\n  context:\n    cluster: throwaway\n    user: admin\n    namespace: default\n` +
        'current-context: throwaway\n',
    );
    const apiArgs = [
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${join(dir, 'api.crt')}`,
      `--tls-private-key-file=${join(dir, 'api.key')}`,
      `--client-ca-file=${join(dir, 'ca.crt')}`,
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${join(dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
      '--api-audiences=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.96.0.0/16',
      '--disable-admission-plugins=ServiceAccount',
      '--enable-priority-and-fairness=false',
      '--endpoint-reconciler-type=none',
      '--profiling=false',
      '--v=1',
    ];
    const cluster = new ThrowawayCluster(dir, etcd, apiArgs, server, kubeconfig);
    await cluster.startApiServer();
    await cluster.kubectlOk(['apply', '-f', join(REPO, 'manifests', 'crd-canary.yaml')]);
    await cluster.kubectlOk([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/canaries.canary.k8shuginn.io',
    ]);
    await waitFor(
      'the Canary API to be served',
      async () => (await cluster.kubectl(['get', 'canaries', '-o', 'name'])).code === 0,
      {
        timeoutMs: 60_000,
      },
    );
    return cluster;
  }

  kubectl(args: string[], input?: string) {
    return kubectl(['--kubeconfig', this.kubeconfig, ...args], input);
  }

  async kubectlOk(args: string[], input?: string): Promise<string> {
    const r = await this.kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /** Starts kube-apiserver (again) and waits until it serves, the built-in namespaces included. */
  async startApiServer(): Promise<void> {
    const binary = join(dirname(KUBECTL), 'kube-apiserver');
    this.apiserver = startProcess(binary, this.apiArgs, join(this.dir, 'kube-apiserver.log'), process.env);
    const child = this.apiserver;
    try {
      await waitFor(
        'the throwaway kube-apiserver',
        async () => {
          if (child.exitCode !== null) throw new Error(`kube-apiserver exited ${child.exitCode}`);
          const ready = await this.kubectl(['get', '--raw=/readyz']);
          return ready.code === 0 && (await this.kubectl(['get', 'namespace', 'default'])).code === 0;
        },
        { timeoutMs: 180_000, intervalMs: 500 },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.logTail('kube-apiserver.log')}`);
    }
  }

  /** Stops kube-apiserver as a restart does (SIGTERM: it closes its watches and exits). */
  async stopApiServer(): Promise<void> {
    if (this.apiserver) await stopProcess(this.apiserver);
  }

  logTail(file: string): string {
    try {
      return readFileSync(join(this.dir, file), 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '';
    }
  }

  async close(): Promise<void> {
    if (this.apiserver) await stopProcess(this.apiserver);
    await stopProcess(this.etcd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
