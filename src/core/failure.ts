/**
 * A failure the action understands: its message says what failed; `nextRun` says what the next
 * run will do about it. The report adds the state both systems were left in.
 */
export class RunFailure extends Error {
  constructor(
    message: string,
    readonly detail: { changedNothing?: boolean; nextRun?: string },
  ) {
    super(message);
    this.name = 'RunFailure';
  }
}
