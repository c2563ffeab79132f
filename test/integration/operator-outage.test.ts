import {
  deleteTestNamespace,
  newTestNamespace,
  testControlPlane,
  waitFor,
} from "../cluster/test-env.js";
import { metricValue, post } from "../fixtures/admission/harness.js";
import {
  NAMESPACE_LABEL,
  admittedImage,
  applyPolicy,
  deletePolicies,
  installCrd,
  withLogTail,
  startTestOperator,
  stopAll,
  uniqueName,
  type TestOperator,
} from "./operator-support.js";

// Stops the shared apiserver: this suite must leave it running (finally blocks) for the next.

describe("operator through apiserver outages", () => {
  let t: TestOperator | undefined;
  let leaseNamespace: string;
  let appNamespace: string;
  const name = uniqueName("outage");
  const source = `${name}.example.com`;
  const image = `${source}/app:1`;

  const listings = (resource: string): number =>
    t!.lines.filter(l => l.message === "informer listed" && l.resource === resource).length;
  const answer = (): Promise<string> => admittedImage(t!, appNamespace, image);
  const answersWith = (target: string) => async () => (await answer()) === `${target}/app:1`;

  beforeAll(async () => {
    await installCrd();
    leaseNamespace = await newTestNamespace("op-outage");
    appNamespace = await newTestNamespace("op-outage-app", { [NAMESPACE_LABEL]: "enabled" });
    t = await startTestOperator({ namespace: leaseNamespace });
    await applyPolicy(name, { registries: [{ source, target: "before.example.com/m" }] });
    await withLogTail(t, waitFor(answersWith("before.example.com/m"), { what: "first served" }));
  });

  afterAll(async () => {
    await stopAll([t]);
    await deletePolicies([name]);
    await Promise.all([leaseNamespace, appNamespace].map(ns => ns && deleteTestNamespace(ns)));
  });

  it("answers from its last table while the apiserver is down, then resumes watching", async () => {
    const plane = testControlPlane();
    const restartsBefore = await metricValue(t!.metrics, "imageswap_informer_restarts_total", {
      resource: "imageswappolicies",
    });

    await plane.stopApiserver();
    let duringOutage: string[] = [];
    let readyDuringOutage = 0;
    try {
      await waitFor(
        async () =>
          (await metricValue(t!.metrics, "imageswap_informer_restarts_total", {
            resource: "imageswappolicies",
          })) > restartsBefore,
        { what: "informer restart counted" },
      );
      duringOutage = await Promise.all([answer(), answer(), answer()]);
      const ready = await post(t!.operator.server.port, "", {
        ca: t!.certificate.ca,
        path: "/readyz",
        method: "GET",
      });
      readyDuringOutage = ready.status;
    } finally {
      await plane.startApiserver();
    }

    expect(duringOutage).toEqual(Array(3).fill("before.example.com/m/app:1"));
    expect(readyDuringOutage).toBe(200);
    const warned = t!.lines.filter(l => l.message === "informer restarting" && l.level === "warn");
    expect(warned.length).toBeGreaterThan(0);

    await applyPolicy(name, { registries: [{ source, target: "after.example.com/m" }] });
    await waitFor(answersWith("after.example.com/m"), { what: "update after the outage served" });
    expect(t!.lines.some(l => l.message === "informer reconnected")).toBe(true);
  });

  it("relists when its resumed watch is too old (410 Gone) and keeps up with changes", async () => {
    const listedBefore = listings("imageswappolicies");

    await testControlPlane().expireWatches();
    await applyPolicy(name, { registries: [{ source, target: "relisted.example.com/m" }] });

    await waitFor(answersWith("relisted.example.com/m"), { what: "update after 410 served" });
    expect(listings("imageswappolicies")).toBeGreaterThan(listedBefore);
    expect(listings("namespaces")).toBeGreaterThan(1);
  });
});
