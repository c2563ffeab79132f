import { V1MicroTime, type V1Lease } from "@kubernetes/client-node";
import { errorFields, type Logger } from "../../webhook/telemetry/logger.js";
import type { Metrics } from "../../webhook/telemetry/metrics.js";
import { callApi, isConflict, isNotFound } from "../k8s/api-errors.js";
import { sleep as realSleep, type Sleep } from "../k8s/backoff.js";
import type { KubeClients } from "../k8s/kube-config.js";

export interface LeaderElectorOptions {
  clients: Pick<KubeClients, "coordination">;
  /** Namespace of the Lease (the operator's own). */
  namespace: string;
  /** @default "imageswap-leader" in config */
  leaseName: string;
  /** Unique per replica; the Pod name in a cluster. */
  identity: string;
  /** How long a lease stays valid after its last renewal, as seen by the others. */
  leaseDurationSec: number;
  /** The leader gives up when it has not renewed for this long; must be < leaseDurationSec. */
  renewDeadlineSec: number;
  /** Wait between attempts to acquire or renew. */
  retryPeriodSec: number;
  /** Hand the lease over on `stop()` instead of letting it expire. @default true */
  releaseOnStop?: boolean;
  log: Logger;
  metrics: Metrics;
  /** Injected in tests. @default Date.now */
  now?: () => number;
  /** Injected in tests. @default an abortable setTimeout */
  sleep?: Sleep;
}

export interface LeaderCallbacks {
  /** Leader work starts here (reconcilers, status writers). */
  onStartedLeading(): void;
  /**
   * The lease is lost: leader work must stop at once. The elector does not try again; the
   * process is expected to exit (a fresh replica rejoins the election cleanly).
   */
  onStoppedLeading(): void;
}

// client-go's factor: spreads the followers' attempts so they do not hit the apiserver together.
const JITTER_FACTOR = 1.2;

/**
 * Leader election over a coordination.k8s.io/v1 Lease, following client-go's algorithm:
 * a follower takes the lease when its holder is empty or has not renewed it for
 * `leaseDurationSec`, judged by the LOCAL time at which this replica last saw the record change
 * (so clocks of different nodes are never compared). Writes use the Lease's resourceVersion, so of
 * two replicas racing for an expired lease exactly one wins (the other gets 409).
 */
export class LeaderElector {
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private stopped = false;
  private leader = false;
  private observed: { key: string; at: number } | undefined;
  private lastHolder: string | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** Starts competing in the background; callbacks run at most once each. */
  start(callbacks: LeaderCallbacks): void {
    if (this.loop || this.stopped) return;
    this.options.metrics.leader.set(0);
    this.loop = this.run(callbacks);
  }

  /** Stops competing; a leader releases the lease (unless `releaseOnStop` is false). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    await this.loop;
    if (this.leader && this.options.releaseOnStop !== false) await this.release();
    this.setLeader(false);
  }

  private async run(callbacks: LeaderCallbacks): Promise<void> {
    if (!(await this.acquire())) return;
    this.setLeader(true);
    this.options.log.info("leader acquired", this.fields());
    callbacks.onStartedLeading();

    await this.renewUntilLost();
    if (this.stopped) return;
    this.setLeader(false);
    this.options.log.warn("leader lost", this.fields());
    callbacks.onStoppedLeading();
  }

  /** Tries every retry period (jittered) until it holds the lease; false when stopped. */
  private async acquire(): Promise<boolean> {
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew()) return true;
      const waitMs = this.options.retryPeriodSec * 1000 * (1 + Math.random() * JITTER_FACTOR);
      await this.sleep(waitMs, this.abort.signal);
    }
    return false;
  }

  /** Renews every retry period; returns when stopped or after renewDeadline without success. */
  private async renewUntilLost(): Promise<void> {
    const deadlineMs = this.options.renewDeadlineSec * 1000;
    let renewedAt = this.now();
    while (!this.stopped) {
      await this.sleep(this.options.retryPeriodSec * 1000, this.abort.signal);
      if (this.stopped) return;

      // A hung request must not outlive the deadline: the lease would expire under us unnoticed.
      const remainingMs = Math.max(deadlineMs - (this.now() - renewedAt), 0);
      const renewed = await this.withTimeout(this.tryAcquireOrRenew(), remainingMs);
      if (renewed) renewedAt = this.now();
      else if (this.now() - renewedAt >= deadlineMs || this.isHeldByOther()) return;
    }
  }

  private async withTimeout(attempt: Promise<boolean>, ms: number): Promise<boolean> {
    const timeout = new AbortController();
    const signal = AbortSignal.any([timeout.signal, this.abort.signal]);
    const expired = this.sleep(ms, signal).then(() => false);
    try {
      return await Promise.race([attempt, expired]);
    } finally {
      timeout.abort();
    }
  }

  /** One read-decide-write round; true when this replica holds the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    try {
      const lease = await this.read();
      if (!lease) return await this.create();
      if (!this.canTake(lease)) return false;
      await this.write(lease);
      return true;
    } catch (err) {
      // Conflicts are the normal outcome of a race; anything else is worth a look when it lasts.
      if (!isConflict(err)) {
        this.options.log.warn("lease update failed", { ...this.fields(), err: errorFields(err) });
      }
      return false;
    }
  }

  private canTake(lease: V1Lease): boolean {
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const key = `${holder}|${lease.metadata?.resourceVersion ?? ""}`;
    const now = this.now();
    if (this.observed?.key !== key) this.observed = { key, at: now };
    this.noteHolder(holder);
    if (holder === "" || holder === this.options.identity) return true;

    const durationMs = (spec.leaseDurationSeconds ?? this.options.leaseDurationSec) * 1000;
    return now - this.observed.at >= durationMs;
  }

  /** Another replica holds the lease now: it took over, so waiting out the deadline is moot. */
  private isHeldByOther(): boolean {
    return !!this.lastHolder && this.lastHolder !== this.options.identity;
  }

  private noteHolder(holder: string): void {
    if (holder === this.lastHolder) return;
    this.lastHolder = holder;
    if (holder !== this.options.identity) {
      this.options.log.info("leader observed", { ...this.fields(), holder: holder || null });
    }
  }

  private async read(): Promise<V1Lease | undefined> {
    const { namespace, leaseName: name } = this.options;
    try {
      return await callApi(`read lease ${namespace}/${name}`, () =>
        this.options.clients.coordination.readNamespacedLease({ name, namespace }),
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async create(): Promise<boolean> {
    const { namespace, leaseName: name } = this.options;
    const body: V1Lease = { metadata: { name, namespace }, spec: this.spec(undefined) };
    await callApi(`create lease ${namespace}/${name}`, () =>
      this.options.clients.coordination.createNamespacedLease({ namespace, body }),
    );
    return true;
  }

  private async write(lease: V1Lease): Promise<void> {
    const { namespace, leaseName: name } = this.options;
    const body: V1Lease = { metadata: lease.metadata, spec: this.spec(lease) };
    const updated = await callApi(`update lease ${namespace}/${name}`, () =>
      this.options.clients.coordination.replaceNamespacedLease({ name, namespace, body }),
    );
    // Our own write changed the record: restart the observation clock from it.
    this.observed = {
      key: `${this.options.identity}|${updated.metadata?.resourceVersion ?? ""}`,
      at: this.now(),
    };
  }

  private spec(previous: V1Lease | undefined): V1Lease["spec"] {
    const now = new V1MicroTime(this.now());
    const before = previous?.spec ?? {};
    const held = before.holderIdentity === this.options.identity;
    const transitions = before.leaseTransitions ?? 0;
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.ceil(this.options.leaseDurationSec),
      acquireTime: held ? before.acquireTime : now,
      renewTime: now,
      // A first holder is no transition; each change of holder after that is one.
      leaseTransitions: held || !previous ? transitions : transitions + 1,
    };
  }

  /** Hands the lease over: an empty holder lets any follower take it on its next attempt. */
  private async release(): Promise<void> {
    try {
      const lease = await this.read();
      if (lease?.spec?.holderIdentity !== this.options.identity) return;
      const now = new V1MicroTime(this.now());
      const spec = {
        ...lease.spec,
        holderIdentity: undefined,
        leaseDurationSeconds: 1,
        renewTime: now,
      };
      const { namespace, leaseName: name } = this.options;
      await callApi(`release lease ${namespace}/${name}`, () =>
        this.options.clients.coordination.replaceNamespacedLease({
          name,
          namespace,
          body: { metadata: lease.metadata, spec },
        }),
      );
      this.options.log.info("leader released", this.fields());
    } catch (err) {
      // The lease then simply expires after leaseDurationSec.
      this.options.log.warn("lease release failed", { ...this.fields(), err: errorFields(err) });
    }
  }

  private setLeader(leader: boolean): void {
    this.leader = leader;
    this.options.metrics.leader.set(leader ? 1 : 0);
  }

  private fields(): Record<string, unknown> {
    const { namespace, leaseName, identity } = this.options;
    return { namespace, name: leaseName, identity };
  }
}
