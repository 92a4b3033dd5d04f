/**
 * The pages' one script, served as /assets/dashboard.js: the function's own
 * source text, so it is type-checked and linted with the rest, and so it
 * must not use anything from outside its body (no imports, no module
 * variables). It does four things and renders nothing itself:
 * - follows the server's event stream, swapping in the rows and the Canary
 *   panel the server rendered, and showing the connection notice;
 * - filters and sorts the overview's rows (kept in the URL's query);
 * - keeps relative times ("in 4m 30s") ticking;
 * - asks for confirmation, then POSTs a command with the run's token, which
 *   it takes from its own URL's fragment (the URL the dashboard prints), keeps
 *   for its origin, and drops from the address bar.
 * The project is typed for Node, not the DOM, so the few browser interfaces
 * it touches are declared below, narrowly.
 */

import { formatDuration as durationText } from '../time.js';

/** cli/time.ts's formatDuration, declared by the served script beside the client (CLIENT_SCRIPT). */
declare const formatDuration: typeof durationText;

interface El {
  id: string;
  hidden: boolean;
  disabled: boolean;
  value: string;
  textContent: string | null;
  innerHTML: string;
  outerHTML: string;
  className: string;
  returnValue: string;
  dataset: Record<string, string | undefined>;
  content: El;
  firstElementChild: El | null;
  children: ArrayLike<El>;
  parentElement: El | null;
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): ArrayLike<El>;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  addEventListener(
    type: string,
    listener: (event: { data?: string }) => void,
    options?: { once: boolean },
  ): void;
  appendChild(child: El): void;
  replaceWith(child: El): void;
  remove(): void;
  showModal(): void;
}

interface BrowserWindow {
  document: El & {
    body: El;
    getElementById(id: string): El | null;
    createElement(tag: string): El;
  };
  location: { search: string; pathname: string; hash: string; reload(): void };
  localStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  history: { replaceState(state: null, title: string, url: string): void };
  EventSource: new (url: string) => El & { readyState: number };
  fetch(
    url: string,
    init: { method: string; headers: Record<string, string>; body: string },
  ): Promise<{ status: number; json(): Promise<unknown> }>;
  setInterval(fn: () => void, ms: number): void;
}

interface CommandAnswer {
  ok?: boolean;
  output?: string[];
  notes?: string[];
  error?: string;
}

/* c8 ignore start -- runs in the browser: test/integration/dashboard.itest.ts drives it in chromium */
export function dashboardClient(): void {
  const w = globalThis as unknown as BrowserWindow;
  const doc = w.document;
  const body = doc.body;
  const byId = (id: string) => doc.getElementById(id);
  const all = (root: El, selector: string) => Array.from(root.querySelectorAll(selector));

  // ------------------------------------------------------ the token
  // The printed URL carries it after #token=; the server never writes it into a page. Kept
  // in this origin's storage, so the Canary pages and a reload have it, and taken out of the
  // address bar, so it is not in a screenshot, a copied link or the history. Each run
  // makes a new one, so a stale one from an earlier run is refused and replaced on the
  // next visit of the printed URL.
  const TOKEN_KEY = 'canary-dashboard-token';
  const fromUrl = new URLSearchParams(w.location.hash.replace(/^#/, '')).get('token');
  let token = '';
  try {
    if (fromUrl) w.localStorage.setItem(TOKEN_KEY, fromUrl);
    token = fromUrl ?? w.localStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    token = fromUrl ?? '';
  }
  if (fromUrl !== null) w.history.replaceState(null, '', `${w.location.pathname}${w.location.search}`);

  // ------------------------------------------------------ relative times
  // In the words of cli/time.ts: formatDuration is served in the same script (CLIENT_SCRIPT).
  const relative = (at: number, mode: string | undefined) => {
    const delta = at - Date.now();
    if (Math.abs(delta) < 1000) return 'now';
    if (delta > 0) return `in ${formatDuration(delta)}`;
    return `${mode === 'next' ? 'due ' : ''}${formatDuration(-delta)} ago`;
  };
  const tick = (root: El) => {
    for (const t of all(root, 'time.rel')) t.textContent = relative(Number(t.dataset.at), t.dataset.mode);
  };
  // Rows rendered (and cached) a while ago say what was true then: correct them at once.
  tick(doc);
  w.setInterval(() => tick(doc), 1000);

  // ------------------------------------------------------ overview: filter and sort
  const table = byId('canaries');
  const tbody = table?.querySelector('tbody') ?? null;
  const filter = byId('filter');
  const stateFilter = byId('state-filter');
  const query = new URLSearchParams(w.location.search);
  let sortKey = query.get('sort') ?? 'name';
  let sortDir = query.get('dir') === 'desc' ? -1 : 1;
  if (filter) filter.value = query.get('q') ?? '';
  if (stateFilter) stateFilter.value = query.get('state') ?? '';

  const numeric = new Set(['progress', 'weight', 'next']);
  const sortValue = (tr: El) => tr.dataset[sortKey] ?? '';
  const compare = (a: El, b: El) => {
    const x = sortValue(a);
    const y = sortValue(b);
    let c: number;
    if (numeric.has(sortKey)) {
      // Empty (no next step) sorts last whichever the direction.
      if (x === '' || y === '') c = x === y ? 0 : x === '' ? 1 : -1;
      else c = sortDir * (Number(x) - Number(y));
    } else c = sortDir * x.localeCompare(y);
    return c || (a.dataset.key ?? '').localeCompare(b.dataset.key ?? '');
  };
  const keepInUrl = () => {
    const q = new URLSearchParams();
    if (filter?.value) q.set('q', filter.value);
    if (stateFilter?.value) q.set('state', stateFilter.value);
    if (sortKey !== 'name') q.set('sort', sortKey);
    if (sortDir < 0) q.set('dir', 'desc');
    const search = q.toString();
    w.history.replaceState(null, '', `${w.location.pathname}${search ? `?${search}` : ''}`);
  };
  const refresh = () => {
    if (!tbody) return;
    const rows = Array.from(tbody.children);
    const text = (filter?.value ?? '').trim().toLowerCase();
    const state = stateFilter?.value ?? '';
    let shown = 0;
    for (const tr of rows) {
      const name = `${tr.dataset.namespace ?? ''}/${tr.dataset.name ?? ''}`.toLowerCase();
      tr.hidden = (text !== '' && !name.includes(text)) || (state !== '' && tr.dataset.state !== state);
      if (!tr.hidden) shown += 1;
    }
    const sorted = [...rows].sort(compare);
    // Move rows only when the order changed: a thousand moves per update would be felt.
    if (sorted.some((tr, i) => tr !== rows[i])) for (const tr of sorted) tbody.appendChild(tr);
    for (const th of all(doc, 'th[data-sort]')) {
      const on = th.dataset.sort === sortKey;
      th.setAttribute('aria-sort', on ? (sortDir > 0 ? 'ascending' : 'descending') : 'none');
    }
    const count = byId('count');
    if (count) count.textContent = `${shown} of ${rows.length}`;
    const empty = byId('empty');
    if (empty) empty.hidden = rows.length > 0;
  };
  for (const th of all(doc, 'th[data-sort]')) {
    th.querySelector('button')?.addEventListener('click', () => {
      if (sortKey === th.dataset.sort) sortDir = -sortDir;
      else {
        sortKey = th.dataset.sort ?? 'name';
        sortDir = 1;
      }
      keepInUrl();
      refresh();
    });
  }
  filter?.addEventListener('input', () => {
    keepInUrl();
    refresh();
  });
  stateFilter?.addEventListener('change', () => {
    keepInUrl();
    refresh();
  });
  refresh();

  const fragment = (html: string) => {
    const template = doc.createElement('template');
    template.innerHTML = html;
    return template.content.firstElementChild;
  };
  const applyRows = (data: { rows: [string, string][]; removed: string[] }) => {
    for (const key of data.removed) byId(`row-${key}`)?.remove();
    for (const [key, html] of data.rows) {
      const tr = fragment(html);
      if (!tr || !tbody) continue;
      const old = byId(`row-${key}`);
      if (old) old.replaceWith(tr);
      else tbody.appendChild(tr);
      tick(tr);
    }
    refresh();
  };

  // ------------------------------------------------------ one Canary
  const live = byId('canary-live');
  const buttons = all(doc, 'button.command');
  const applyDetail = (data: { html?: string; gone?: boolean }) => {
    if (!live) return;
    if (data.gone) {
      live.innerHTML = '<p class="notice reconnecting">This Canary was deleted.</p>';
      for (const b of buttons) b.disabled = true;
      return;
    }
    live.innerHTML = data.html ?? '';
    tick(live);
    // A Canary deleted and created again under its name is steerable again.
    for (const b of buttons) b.disabled = b.dataset.unavailable !== undefined;
  };

  // ------------------------------------------------------ the stream
  const streamState = byId('stream-state');
  const setStream = (state: string, text: string) => {
    if (!streamState) return;
    streamState.className = `stream-state ${state}`;
    streamState.textContent = text;
  };
  const view = body.dataset.view ?? '';
  // A page about a Canary that is not there has nothing to follow.
  if (view !== 'overview' && view !== 'canary') return;
  const params = new URLSearchParams({ view, since: body.dataset.since ?? '' });
  if (body.dataset.canary) params.set('key', body.dataset.canary);
  const source = new w.EventSource(`/api/stream?${params.toString()}`);
  source.addEventListener('open', () => setStream('', 'live'));
  source.addEventListener('error', () => setStream('offline', 'dashboard unreachable: retrying'));
  source.addEventListener('reload', () => w.location.reload());
  source.addEventListener('connection', (m) => {
    const notice = fragment((JSON.parse(m.data ?? '{}') as { html: string }).html);
    const old = byId('connection');
    if (notice && old) old.replaceWith(notice);
  });
  source.addEventListener('rows', (m) => applyRows(JSON.parse(m.data ?? '{}')));
  source.addEventListener('detail', (m) => applyDetail(JSON.parse(m.data ?? '{}')));

  // ------------------------------------------------------ commands
  const dialog = byId('confirm');
  const result = byId('result');
  const show = (kind: string, text: string) => {
    if (!result) return;
    result.hidden = false;
    result.className = `result ${kind}`;
    result.textContent = text;
  };
  const send = async (command: string) => {
    const key = body.dataset.canary ?? '';
    const [namespace = '', name = ''] = key.split('/');
    show('working', `${command}: working…`);
    for (const b of buttons) b.disabled = true;
    try {
      const response = await w.fetch(
        `/api/canaries/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(command)}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-dashboard-token': token },
          body: '{}',
        },
      );
      const answer = (await response.json()) as CommandAnswer;
      const lines = [
        ...(answer.output ?? []),
        ...(answer.notes ?? []),
        ...(answer.error ? [answer.error] : []),
      ];
      show(answer.ok ? 'ok' : 'error', lines.join('\n') || `HTTP ${response.status}`);
    } catch (err) {
      show('error', `The dashboard did not answer: ${String(err)}`);
    } finally {
      for (const b of buttons) b.disabled = b.dataset.unavailable !== undefined;
    }
  };
  for (const b of buttons) {
    if (b.disabled) b.dataset.unavailable = 'true';
    b.addEventListener('click', () => {
      const command = b.dataset.command ?? '';
      const text = byId('confirm-text');
      if (!dialog || !text) return;
      text.textContent = b.dataset.confirm ?? command;
      dialog.returnValue = '';
      dialog.addEventListener(
        'close',
        () => {
          if (dialog.returnValue === 'ok') void send(command);
        },
        { once: true },
      );
      dialog.showModal();
    });
  }
}
/* c8 ignore stop */

/**
 * The script as served: the function above, called, and the one function of
 * cli/time.ts it uses, as a global declaration (hoisted, so it may follow).
 */
export const CLIENT_SCRIPT = `"use strict";(${dashboardClient.toString()})();\n${durationText.toString()}\n`;
