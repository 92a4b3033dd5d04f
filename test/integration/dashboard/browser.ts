/**
 * Debian's chromium, driven by playwright-core: installed by
 * ensure-chromium.sh when missing (never a browser download of
 * playwright's own), headless, with a fresh profile each launch.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO } from '../helpers.js';

/** Generous: a shared 2-core machine under other builds can take seconds per paint. */
export const UI_TIMEOUT_MS = 60_000;

export function chromiumPath(): string {
  const out = execFileSync('bash', [join(REPO, 'test', 'integration', 'ensure-chromium.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const path = out.trim().split('\n').pop();
  if (!path) throw new Error('ensure-chromium.sh printed no path');
  return path;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/**
 * `resolve` maps host names to addresses inside this browser only (Chrome's
 * host resolver rules): how a DNS-rebinding attacker's name that now points
 * at 127.0.0.1 is played without any DNS. It also turns off Chrome's own
 * local-network checks, which would stop such a page's requests before they
 * reach the dashboard: other browsers and older Chromes have none, and a user
 * can allow them at a prompt, so the dashboard must refuse on its own, and
 * the test must see it do so.
 */
export async function launch(options: { resolve?: Record<string, string> } = {}): Promise<Browser> {
  const rules = Object.entries(options.resolve ?? {}).map(([name, address]) => `MAP ${name} ${address}`);
  const resolving =
    rules.length === 0
      ? []
      : [
          `--host-resolver-rules=${rules.join(', ')}`,
          '--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,' +
            'PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults',
        ];
  const profile = mkdtempSync(join(tmpdir(), 'canary-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    // Only loopback traffic: nothing of Chrome's own calls home.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...resolving,
    ],
    viewport: { width: 1360, height: 820 },
    timeout: 120_000,
  });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the element's text matches: the page updates on its own time, never on a fixed sleep. */
export async function waitForText(
  page: Page,
  selector: string,
  pattern: RegExp,
  timeout = UI_TIMEOUT_MS,
): Promise<string> {
  const handle = await page.waitForFunction(
    ([sel, source, flags]) => {
      // Runs in the page; the project is typed for Node, so the one DOM call is typed here.
      const doc = (
        globalThis as unknown as {
          document: { querySelector(s: string): { textContent: string | null } | null };
        }
      ).document;
      const text = doc.querySelector(sel)?.textContent ?? '';
      return new RegExp(source, flags).test(text) ? text : false;
    },
    [selector, pattern.source, pattern.flags] as const,
    { timeout, polling: 100 },
  );
  return (await handle.jsonValue()) as string;
}

/** A row of the overview, by its Canary: `#row-<namespace>/<name>` (the slash escaped for CSS). */
export function rowSelector(namespace: string, name: string): string {
  return `[id="row-${namespace}/${name}"]`;
}
