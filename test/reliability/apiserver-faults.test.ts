import {
  deleteTestNamespace,
  newTestNamespace,
  testControlPlane,
  waitFor,
} from "../cluster/test-env.js";
import { metricValue } from "../fixtures/admission/harness.js";
import {
  NAMESPACE_LABEL,
  admittedImage,
  applyPolicy,
  deletePolicies,
  installCrd,
  startTestOperator,
  stopAll,
  uniqueName,
  withLogTail,
  type TestOperator,
} from "../integration/operator-support.js";
import { startAnswerLoad, valueRuns, type AnswerLoad } from "./answer-load.js";
import { deletePolicy, writePolicySpec } from "./etcd-peer.js";
import { httpsStatus } from "./probes.js";

// The operator (in this process, informer backoff 200 ms-2 s) under steady HTTPS admission load
// while the shared apiserver stops and starts again, and while its watches expire (410 Gone).
// Policy changes "made while the apiserver was down" are written straight into etcd, as a second
// apiserver of an HA control plane would write them. The apiserver is always started again in a
// finally block: the next suite needs it.

const WORKERS = 4;

describe("operator through apiserver faults under load", () => {
  let t: TestOperator | undefined;
  let leaseNamespace: string;
  let appNamespace: string;
  let load: AnswerLoad | undefined;
  let notReady = 0;
  let probing = true;
  let prober: Promise<void> | undefined;
  const main = uniqueName("faults");
  const other = uniqueName("faults-other");
  const image = `${main}.example.com/app:1`;
  const otherImage = `${other}.example.com/app:1`;
  const registry = (source: string, target: string) => ({ registries: [{ source, target }] });
  const mainSpec = (target: string) => registry(`${main}.example.com`, target);

  const answer = (img = image): Promise<string> => admittedImage(t!, appNamespace, img);
  const served =
    (target: string, img = image) =>
    async () =>
      (await answer(img)) === `${target}/app:1`;
  const restarts = (): Promise<number> =>
    metricValue(t!.metrics, "imageswap_informer_restarts_total", { resource: "imageswappolicies" });
  const logged = (message: string): number => t!.lines.filter(l => l.message === message).length;
  const listings = (): number =>
    t!.lines.filter(l => l.message === "informer listed" && l.resource === "imageswappolicies")
      .length;

  beforeAll(async () => {
    await installCrd();
    leaseNamespace = await newTestNamespace("faults");
    appNamespace = await newTestNamespace("faults-app", { [NAMESPACE_LABEL]: "enabled" });
    t = await startTestOperator({ namespace: leaseNamespace });
    await applyPolicy(main, mainSpec("v1.example.com/m"));
    await applyPolicy(other, registry(`${other}.example.com`, "other.example.com/m"));
    await withLogTail(t, waitFor(served("v1.example.com/m"), { what: "v1 served" }));
    await waitFor(served("other.example.com/m", otherImage), { what: "other served" });
    load = startAnswerLoad(() => answer(), WORKERS);
    prober = (async () => {
      while (probing) {
        if ((await httpsStatus(t!.operator.server.port, "/readyz")) !== 200) notReady += 1;
        await new Promise(resolve => setTimeout(resolve, 100));
      }
    })();
    await load.waitForMore(50);
  });

  afterAll(async () => {
    probing = false;
    await load?.stop();
    await prober;
    await stopAll([t]);
    await deletePolicies([main, other]);
    await Promise.all([leaseNamespace, appNamespace].map(ns => ns && deleteTestNamespace(ns)));
  });

  it("answers from its table while the apiserver is down and serves what changed meanwhile once it is back", async () => {
    const plane = testControlPlane();
    const restartsBefore = await restarts();
    let outageMark = 0;
    let outageEnd = 0;

    await plane.stopApiserver();
    try {
      await waitFor(async () => (await restarts()) > restartsBefore, { what: "watch broken" });
      await writePolicySpec(plane.etcdUrl, main, mainSpec("v2.example.com/m"));
      outageMark = load!.mark();
      await load!.waitForMore(100);
      outageEnd = load!.mark();
    } finally {
      await plane.startApiserver();
    }
    await withLogTail(t, waitFor(served("v2.example.com/m"), { what: "peer's change served" }));
    const afterMark = load!.mark();
    await load!.waitForMore(100);

    const during = load!.answers.slice(outageMark, outageEnd);
    expect(during.length).toBeGreaterThanOrEqual(100);
    expect(valueRuns(during)).toEqual(["v1.example.com/m/app:1"]);
    expect(valueRuns(load!.since(afterMark))).toEqual(["v2.example.com/m/app:1"]);
    expect(load!.answers.filter(a => a.error !== undefined)).toEqual([]);
    expect(notReady).toBe(0);
    expect(logged("informer reconnected")).toBeGreaterThan(0);
  });

  it("keeps watching after the restart: a change made through the apiserver is served", async () => {
    await applyPolicy(main, mainSpec("v3.example.com/m"));

    await withLogTail(t, waitFor(served("v3.example.com/m"), { what: "v3 served" }));
    expect(load!.answers.filter(a => a.error !== undefined)).toEqual([]);
  });

  it("relists after 410 Gone and reflects a change and a deletion made while its watch was gone", async () => {
    const plane = testControlPlane();
    const listedBefore = listings();

    await plane.stopApiserver();
    try {
      await writePolicySpec(plane.etcdUrl, main, mainSpec("v4.example.com/m"));
      await deletePolicy(plane.etcdUrl, other);
      // Compaction past every revision the informers saw: resuming them must meet 410 Gone.
      await plane.compactEtcd();
    } finally {
      await plane.startApiserver();
    }

    await withLogTail(t, waitFor(served("v4.example.com/m"), { what: "v4 served" }));
    await withLogTail(
      t,
      // Another suite's policy with a default may still swap it, but never to the deleted target.
      waitFor(async () => (await answer(otherImage)) !== "other.example.com/m/app:1", {
        what: "deleted policy no longer served",
      }),
    );
    expect(listings()).toBeGreaterThan(listedBefore);
    expect(load!.answers.filter(a => a.error !== undefined)).toEqual([]);
    expect(notReady).toBe(0);
  });

  it("printed what the load saw", async () => {
    const answers = await load!.stop();
    const runs = valueRuns(answers).map(v => v.split("/")[0]);
    const failures = answers.filter(a => a.error !== undefined).length;

    console.log(
      `apiserver faults: ${answers.length} admissions over ${answers.at(-1)!.atMs} ms, ` +
        `${failures} failed, not-ready probes ${notReady}, targets in order: ${runs.join(" -> ")}`,
    );
    expect(runs.at(-1)).toBe("v4.example.com");
  });
});
