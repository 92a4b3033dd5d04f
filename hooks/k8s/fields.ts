/**
 * Owns how a wrong field of a spec is reported: its path (`spec.steps[2].pause`)
 * and a message that starts with it, as the API server names a field it
 * refuses. Every parser of a spec block (hooks/spec/, each router) fails the
 * same way and is caught in one place.
 */

export interface FieldProblem {
  /** The path below `spec.`: `steps[2].pause`. */
  field: string;
  message: string;
}

export class FieldError extends Error {
  constructor(readonly problem: FieldProblem) {
    super(problem.message);
  }
}

/** Stops a parse at the first wrong field: `spec.<field> <message>`. */
export function failField(field: string, message: string): never {
  throw new FieldError({ field, message: `spec.${field} ${message}` });
}

/** Runs a parse that fails with failField: its value, or the problem of the first wrong field. */
export function parseFields<T>(
  parse: () => T,
): { ok: true; value: T } | { ok: false; problem: FieldProblem } {
  try {
    return { ok: true, value: parse() };
  } catch (err) {
    if (err instanceof FieldError) return { ok: false, problem: err.problem };
    throw err;
  }
}
