/** The plugin's version: the one in package.json, from the source tree or from dist/. */
import { readFileSync } from 'node:fs';

// cli/version.ts runs from cli/ (tests) and from dist/cli/ (the built plugin).
const CANDIDATES = ['../package.json', '../../package.json'];

export function version(): string {
  for (const candidate of CANDIDATES) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'canary-hooks' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not there from this folder; try the next.
    }
  }
  return 'unknown';
}
