/**
 * Just enough Markdown for the link check: the links of a page (outside code)
 * and the anchors GitHub gives its headings.
 */

/** Lines that are not inside a fenced code block, with their 1-based numbers. */
function proseLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((raw, i) => {
    const open = /^\s*(```+|~~~+)/.exec(raw);
    if (open) {
      const mark = open[1] as string;
      if (fence === undefined) fence = mark[0] as string;
      else if (mark[0] === fence) fence = undefined;
      return;
    }
    if (fence === undefined) out.push({ line: i + 1, text: raw });
  });
  return out;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
export function slugsOf(headings: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return headings.map((heading) => {
    const base = heading
      .trim()
      .toLowerCase()
      .replace(/<[^>]*>/g, '')
      .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  });
}

export function anchorsOf(text: string): Set<string> {
  const headings = proseLines(text)
    .map((l) => /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l.text)?.[1])
    .filter((h): h is string => h !== undefined)
    // Inline code and link text count by their words, as GitHub renders them.
    .map((h) => h.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, ''));
  return new Set(slugsOf(headings));
}

/** Inline links and images `[text](target)`, outside code blocks and code spans; text may wrap. */
export function linksOf(text: string): { target: string; line: number }[] {
  const lines = text.split('\n').map(() => '');
  for (const { line, text: raw } of proseLines(text)) lines[line - 1] = raw;
  const prose = lines.join('\n').replace(/`[^`\n]*`/g, (span) => span.replace(/[^\n]/g, ' '));
  const out: { target: string; line: number }[] = [];
  for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    out.push({ target: m[1] as string, line: prose.slice(0, m.index).split('\n').length });
  }
  return out;
}
