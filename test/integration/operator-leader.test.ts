import { CoordinationV1Api, V1MicroTime } from "@kubernetes/client-node";
import { deleteTestNamespace, kubeConfig, newTestNamespace, waitFor } from "../cluster/test-env.js";
import { metricValue } from "../fixtures/admission/harness.js";
import {
  installCrd,
  readLease,
  startTestOperator,
  stopAll,
  withLogTail,
  type TestOperator,
} from "./operator-support.js";

// Three replicas in this process, one Lease (4 s duration, 3 s renew deadline, 1 s retry).
// Each test continues from the state the previous one left: A leads, then B, then C.

const LEASE = "imageswap-leader";

describe("leader election between operator replicas", () => {
  let namespace: string;
  let a: TestOperator | undefined;
  let b: TestOperator | undefined;
  let c: TestOperator | undefined;

  const leaderGauge = (t: TestOperator): Promise<number> =>
    metricValue(t.metrics, "imageswap_leader");
  const holder = async (): Promise<string | undefined> =>
    (await readLease(namespace, LEASE)).spec?.holderIdentity;

  beforeAll(async () => {
    await installCrd();
    namespace = await newTestNamespace("op-leader");
    a = await startTestOperator({ namespace, identity: "replica-a" });
    await withLogTail(
      a,
      waitFor(() => a!.operator.isLeader(), { what: "a leads" }),
    );
    b = await startTestOperator({ namespace, identity: "replica-b", releaseLeaseOnStop: false });
  });

  afterAll(async () => {
    await stopAll([a, b, c]);
    if (namespace) await deleteTestNamespace(namespace);
  });

  it("has exactly one leader, named in the Lease", async () => {
    await waitFor(() =>
      b!.lines.some(l => l.message === "leader observed" && l.holder === "replica-a"),
    );

    const samples: boolean[][] = [];
    for (let i = 0; i < 5; i++) {
      samples.push([a!.operator.isLeader(), b!.operator.isLeader()]);
      await new Promise(resolve => setTimeout(resolve, 400));
    }

    expect(samples).toEqual(Array(5).fill([true, false]));
    expect(await holder()).toBe("replica-a");
    expect(await leaderGauge(a!)).toBe(1);
    expect(await leaderGauge(b!)).toBe(0);
  });

  it("hands the lease over when the leader stops gracefully", async () => {
    await a!.operator.stop();

    await withLogTail(
      b,
      waitFor(() => b!.operator.isLeader(), { what: "b takes over" }),
    );
    expect(await holder()).toBe("replica-b");
    expect(a!.lines.some(l => l.message === "leader released")).toBe(true);
    expect((await readLease(namespace, LEASE)).spec?.leaseTransitions).toBeGreaterThanOrEqual(1);
  });

  it("takes over a lease its holder stopped renewing once it expires", async () => {
    c = await startTestOperator({ namespace, identity: "replica-c" });
    await waitFor(() =>
      c!.lines.some(l => l.message === "leader observed" && l.holder === "replica-b"),
    );

    await b!.operator.stop();
    const holderAfterCrash = await holder();

    await withLogTail(
      c,
      waitFor(() => c!.operator.isLeader(), { what: "c takes over" }),
    );
    expect(holderAfterCrash).toBe("replica-b");
    expect(await holder()).toBe("replica-c");
  });

  it("stops leader work and asks to exit when another holder takes the lease", async () => {
    const coordination = kubeConfig().makeApiClient(CoordinationV1Api);
    const lease = await readLease(namespace, LEASE);
    const now = new V1MicroTime(Date.now());

    await coordination.replaceNamespacedLease({
      name: LEASE,
      namespace,
      body: {
        metadata: lease.metadata,
        spec: {
          ...lease.spec,
          holderIdentity: "intruder",
          leaseDurationSeconds: 3600,
          renewTime: now,
        },
      },
    });

    const reason = await withLogTail(c, c!.operator.exit);
    expect(reason).toBe("leadership-lost");
    expect(c!.operator.isLeader()).toBe(false);
    expect(await leaderGauge(c!)).toBe(0);
    expect(c!.lines.some(l => l.message === "leader lost" && l.level === "warn")).toBe(true);
    expect(await holder()).toBe("intruder");
  });
});
