/**
 * The walkthrough pages as a user reads them: docs/getting-started.md and
 * docs/step-lists.md. The e2e tests type the commands these pages show, so a
 * page that drifts from what the engine does fails a test.
 */
import { readFileSync } from 'node:fs';

export interface PageBlock {
  lang: string;
  lines: string[];
}

/** The fenced blocks of a page, in order. */
export function blocksOf(text: string): PageBlock[] {
  const out: PageBlock[] = [];
  let open: PageBlock | undefined;
  for (const line of text.split('\n')) {
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence && !open) open = { lang: fence[1] ?? '', lines: [] };
    else if (fence && open) {
      out.push(open);
      open = undefined;
    } else open?.lines.push(line);
  }
  return out;
}

/** The commands of the `sh` blocks, in order: comments and blank lines dropped. */
export function commandsOf(text: string): string[] {
  return blocksOf(text)
    .filter((b) => b.lang === 'sh')
    .flatMap((b) => b.lines)
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** A command line as a shell splits it: words, with '...' and "..." quoting inside a word. */
export function argv(command: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (quote === '"' && c === '\\' && i + 1 < command.length) word = (word ?? '') + command[++i];
      else word = (word ?? '') + c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) out.push(word);
  return out;
}

/** The commands of the numbered step (`**N. Title.**`) of a walkthrough page. */
export function stepCommands(text: string, step: number): string[] {
  const parts = text.split(/^\*\*(\d+)\. /m);
  const at = parts.findIndex((p, i) => i % 2 === 1 && Number(p) === step);
  if (at < 0) throw new Error(`the page has no step ${step}`);
  return commandsOf(parts[at + 1] ?? '');
}

export function readPage(path: string): string {
  return readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
}
