/** Reading a line of `kubectl get -w` output; no cluster needed, so unit tests can import it. */

/**
 * A line of `kubectl get -w`: each is printed on its own, with its own column
 * widths, so cells are cut at runs of two or more spaces (no cell of these
 * tables holds two spaces in a row).
 */
export function watchRow(line: string, header: readonly string[]): Record<string, string> | undefined {
  const cells = line.trim().split(/\s{2,}/);
  // NEXTSTEP is the one cell that can be empty (no step due: the status leaves
  // nextStepTime out), and an empty cell leaves no text to split on.
  const nextStep = header.indexOf('NEXTSTEP');
  if (cells.length === header.length - 1 && nextStep >= 0) cells.splice(nextStep, 0, '');
  if (cells.length !== header.length) return undefined;
  return Object.fromEntries(header.map((h, i) => [h, cells[i] as string]));
}
