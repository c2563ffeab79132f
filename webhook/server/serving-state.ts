import type { SwapTable } from "../swap/types.js";

/**
 * What the webhook needs from the rest of the process, kept to two small interfaces so that the
 * webhook never imports the operator: in operator mode informers fill them, in standalone mode
 * files do.
 */

/** Read-only view of namespace labels, filled by the operator's Namespace informer. */
export interface NamespaceView {
  /** The namespace's labels, or `undefined` when the cache has not seen it (yet). */
  labels(namespace: string): Readonly<Record<string, string>> | undefined;
}

/** One consistent snapshot: a request reads it once and uses it from start to end. */
export interface ServingState {
  readonly table: SwapTable;
  /** `null` in standalone mode: every request that reaches the webhook is served. */
  readonly namespaces: NamespaceView | null;
}

/** Holds the current state; publishing replaces the reference atomically. */
export class StateHolder {
  private state: ServingState | undefined;
  private readonly listeners: Array<(state: ServingState) => void> = [];

  current(): ServingState | undefined {
    return this.state;
  }

  publish(state: ServingState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }

  /** Called after every publish, e.g. to update the table gauges. */
  onPublish(listener: (state: ServingState) => void): void {
    this.listeners.push(listener);
  }
}

export interface PemPair {
  cert: string;
  key: string;
}

/**
 * Receives serving certificates: from watched files (standalone, or a mounted Secret) or from the
 * operator's Secret informer. Returns false, keeping the old pair, when the new one is unusable.
 */
export interface CertificateSink {
  update(pair: PemPair, source: string): boolean;
}
