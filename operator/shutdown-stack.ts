import { errorFields, type Logger } from "../webhook/telemetry/logger.js";

/** Stop functions run last-in first-out, each once; one failing does not keep the rest running. */
export class ShutdownStack {
  private readonly entries: Array<{ name: string; stop: () => Promise<void> }> = [];
  private unwinding: Promise<void> | undefined;

  constructor(private readonly log: Logger) {}

  push(name: string, stop: () => Promise<void>): void {
    this.entries.push({ name, stop });
  }

  unwind(): Promise<void> {
    this.unwinding ??= this.run().finally(() => (this.unwinding = undefined));
    return this.unwinding;
  }

  private async run(): Promise<void> {
    for (let entry = this.entries.pop(); entry; entry = this.entries.pop()) {
      try {
        await entry.stop();
      } catch (err) {
        this.log.warn("stop failed", { name: entry.name, err: errorFields(err) });
      }
    }
  }
}
