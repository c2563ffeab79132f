import { setTimeout as sleep } from "node:timers/promises";

/**
 * Steady load on a webhook while something breaks around it: `workers` loops each awaiting one
 * request after another, recording every answer or failure with the time it came back.
 */

export interface Answer {
  /** ms since the load started. */
  atMs: number;
  value?: string;
  error?: string;
}

export interface AnswerLoad {
  readonly answers: readonly Answer[];
  /** Answers recorded from now on; earlier ones stay in `answers`. */
  since(mark: number): Answer[];
  /** Index of the next answer, to pass to `since` later. */
  mark(): number;
  /** Resolves once `count` more answers (or failures) have come back. */
  waitForMore(count: number): Promise<void>;
  stop(): Promise<Answer[]>;
}

/** Starts the loops; `ask` resolves to the answer's value or rejects. */
export function startAnswerLoad(ask: () => Promise<string>, workers: number): AnswerLoad {
  const answers: Answer[] = [];
  const started = Date.now();
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      try {
        const value = await ask();
        answers.push({ atMs: Date.now() - started, value });
      } catch (err) {
        answers.push({ atMs: Date.now() - started, error: (err as Error).message.slice(0, 200) });
      }
    }
  };
  const loops = Array.from({ length: workers }, loop);
  return {
    answers,
    since: mark => answers.slice(mark),
    mark: () => answers.length,
    async waitForMore(count) {
      const target = answers.length + count;
      while (answers.length < target) await sleep(20);
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

/** Values in the order they first appeared, e.g. `["a", "b"]` for a, a, b, b: a clean switch. */
export function valueRuns(answers: readonly Answer[]): string[] {
  const runs: string[] = [];
  for (const { value } of answers)
    if (value !== undefined && runs.at(-1) !== value) runs.push(value);
  return runs;
}
