/**
 * The plugin's help: the whole page (`kubectl canary --help`) and one page
 * per command (`kubectl canary plan --help`). docs/cli.md is generated from
 * these texts (build/docs.js), so the two never disagree.
 */

const GLOBAL_FLAGS = `Cluster flags (every command but plan):
  --kubeconfig PATH             kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME                kubeconfig context (default: the current context)
  -n, --namespace NS            namespace (default: the context's, else "default")`;

const EXIT_CODES = `Exit codes: 0 ok, 1 usage, 2 not found, 3 unauthorized or forbidden, 4 invalid input,
            5 no kubeconfig or cluster unreachable, 6 other failure (API error, timeout)`;

export const USAGE = `Usage: kubectl canary COMMAND [flags]

Commands:
  list                          Canaries with replicas, step, state and next step time
  status NAME [-w|--watch]      Progress, replicas asked and available, next step, last rollback, conditions
  apply NAME                    Start or resume the rollout       (command annotation: apply)
  stop NAME                     Hold it at the current step       (command annotation: stop)
  rollback NAME                 Go back to step 0, all old        (command annotation: rollback)
  complete NAME                 Jump to the last step, all new    (command annotation: completion)
  promote NAME                  End the pause, or take the step waiting for its tick (annotation: promote)
  plan -f FILE [--from TIME]    Offline: when each step would happen and its replica split
  dashboard [--port N] [--address IP] [--allowed-host NAME]
                                A live web page of every Canary, with the commands as buttons. Open the
                                URL it prints: it carries the run's access token (after #token=), which
                                the buttons need and the pages never show

Flags:
  --kubeconfig PATH             kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
  --context NAME                kubeconfig context (default: the current context)
  -n, --namespace NS            namespace (default: the context's, else "default")
  -A, --all-namespaces          list, dashboard: every namespace
  -f, --filename FILE           plan: the Canary manifest, "-" for stdin
      --from TIME               plan: when apply happens (RFC 3339, or wall time in the Canary's zone; default now)
      --timeout SECONDS         apply|stop|rollback|complete|promote (and the dashboard's buttons): how long to
                                wait for canary-hooks (default 60)
      --port N                  dashboard: the port to serve on (default 3100)
      --address IP              dashboard: the address to listen on (default 127.0.0.1, this machine only)
      --allowed-host NAME       dashboard: a host name (or NAME:PORT) the dashboard may be reached by, beyond
                                the address itself; repeatable or comma-separated. Any other Host header is
                                refused. Required with --address 0.0.0.0 or ::
  -h, --help                    this help; COMMAND --help for one command's
      --version                 the plugin's version

${EXIT_CODES}
`;

/** The command annotation a command sets, and what it does. */
function annotationHelp(command: string, value: string, what: string): string {
  return `Usage: kubectl canary ${command} NAME [--timeout SECONDS] [flags]

${what}

Sets the annotation canary.k8shuginn.io/command=${value} with a merge patch; other
annotations are kept. A command acts when its value differs from
status.observedCommand: when ${value} is the value last acted on, the plugin removes
the annotation, waits until canary-hooks has recorded that, then sets it again.

Flags:
      --timeout SECONDS         how long to wait for canary-hooks to record the removal (default 60)
${GLOBAL_FLAGS}

${EXIT_CODES}
`;
}

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  list: `Usage: kubectl canary list [-A] [flags]

Each Canary's replicas asked of the old and new Deployment, the weight asked of the
new version, its step, state and when the next step is due. "-" means the service
has not written that part of the status yet. No Canaries: a note on stderr, exit 0.

Flags:
  -A, --all-namespaces          every namespace (adds a NAMESPACE column)
${GLOBAL_FLAGS}

${EXIT_CODES}
`,
  status: `Usage: kubectl canary status NAME [-w|--watch] [flags]

The progress bar (one block per step), the total and who sets it, the replicas the
Canary asks of each Deployment next to what that Deployment has, the schedule, the
last and next step, the command annotated and the one acted on, the last rollback
and why, the route's weights (with traffic routing) and the conditions.

Flags:
  -w, --watch                   redraw whenever the Canary or one of its Deployments changes;
                                Ctrl-C ends it (exit 0), deleting the Canary ends it (exit 2)
${GLOBAL_FLAGS}

${EXIT_CODES}
`,
  apply: annotationHelp(
    'apply',
    'apply',
    'Start the rollout (step 1 at once) or resume a stopped one from its step.',
  ),
  stop: annotationHelp(
    'stop',
    'stop',
    'Hold a running rollout at its current step; the replicas stay where they are.',
  ),
  rollback: annotationHelp(
    'rollback',
    'rollback',
    'Go back to step 0 at once: every replica on the old version.',
  ),
  complete: annotationHelp(
    'complete',
    'completion',
    'Skip the remaining steps: every replica on the new version (the old Deployment follows as\nthe new replicas become available).',
  ),
  promote: annotationHelp(
    'promote',
    'promote',
    'End the current pause now, or take the step that waits only for its cron tick. It never\nskips the wait for the new replicas to be available.',
  ),
  plan: `Usage: kubectl canary plan -f FILE [--from TIME]

Offline, no cluster needed: when each step would happen and its replica split,
computed by the same functions the service uses. Step 1 happens at apply (--from,
default now); each next step at the first tick of cronSchedule in timeZone after
the step before. A step list is planned step by step, each pause with how and when
it ends. Every Canary in a multi-document file is planned; an invalid spec is
reported with the message the service would put in its status.

Flags:
  -f, --filename FILE           the Canary manifest, "-" for stdin
      --from TIME               when apply happens: RFC 3339 (2026-11-20T10:00:00Z) or a wall-clock
                                time read in the Canary's zone (2026-11-20T19:00); default now

${EXIT_CODES}
`,
  dashboard: `Usage: kubectl canary dashboard [-A] [--port N] [--address IP] [--allowed-host NAME] [flags]

Serves a live web page of every Canary, with the commands as buttons, until Ctrl-C.
It listens on 127.0.0.1 unless --address says otherwise. Open the URL it prints: it
carries the run's access token (after #token=), which the buttons need and no page
ever shows. Requests whose Host header is not the address, a loopback name (when
listening on loopback or every interface) or an --allowed-host name are refused.

Flags:
  -A, --all-namespaces          every namespace
      --port N                  the port to serve on (default 3100)
      --address IP              the address to listen on (default 127.0.0.1, this machine only)
      --allowed-host NAME       a host name (or NAME:PORT) it may be reached by, beyond the address
                                itself; repeatable or comma-separated. Required with --address 0.0.0.0 or ::
      --timeout SECONDS         how long a button waits for canary-hooks (default 60)
${GLOBAL_FLAGS}

${EXIT_CODES}
`,
};

/** The help for `command`, or the whole page for none or one the plugin does not have. */
export function helpFor(command: string | undefined): string {
  return (command !== undefined && COMMAND_HELP[command]) || USAGE;
}
