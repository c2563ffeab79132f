import { Agent } from "node:https";
import type { ImageSwapPolicySpec } from "../../webhook/swap/index.js";
import { loadReview } from "../fixtures/admission/load.js";
import type { Harness } from "../fixtures/admission/harness.js";
import {
  metricValue,
  patchOf,
  post,
  startHarness,
  untilCount,
} from "../fixtures/admission/harness.js";

/** Every image of the fixture Pod to one mirror host, so a response names the table it used. */
function mirrorTo(host: string): ImageSwapPolicySpec {
  return {
    registries: [
      { source: "docker.io/library", target: `${host}/library` },
      { source: "ghcr.io", target: `${host}/ghcr` },
      { source: "quay.io", target: `${host}/quay` },
    ],
  };
}

function hostsOf(patch: Array<{ path: string; value: unknown }>): Set<string> {
  const images = patch.filter(op => !op.path.startsWith("/metadata")).map(op => String(op.value));
  return new Set(images.map(image => image.split("/")[0]!));
}

describe("webhook swap table hot swap", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    h.publish({ mirror: mirrorTo("a.example.com") }, 1);
  });

  afterAll(async () => {
    await h.server.close();
  });

  it("serves each request from exactly one table while tables are replaced under load", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const hostSets: Array<Set<string>> = [];
    const failures: unknown[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        await post(h.server.port, loadReview("pod-create"), { ca: h.certificate.ca, agent }).then(
          res =>
            res.status === 200 ? hostSets.push(hostsOf(patchOf(res))) : failures.push(res.status),
          err => failures.push(err),
        );
      }
    };
    const workers = Array.from({ length: 8 }, worker);

    // A new table every 5 answers: requests are in flight across every publish.
    const answered = () => hostSets.length + failures.length;
    for (let generation = 2; generation <= 41; generation++) {
      await untilCount(answered, (generation - 1) * 5);
      const host = generation % 2 === 0 ? "b.example.com" : "a.example.com";
      h.publish({ mirror: mirrorTo(host) }, generation);
    }
    await untilCount(answered, 210);
    running = false;
    await Promise.all(workers);
    agent.destroy();

    expect(failures).toEqual([]);
    expect(hostSets.every(hosts => hosts.size === 1)).toBe(true);
    const served = new Set(hostSets.map(hosts => [...hosts][0]));
    expect(served).toEqual(new Set(["a.example.com", "b.example.com"]));
  });

  it("serves the newest table to the next request and exports its generation and rules", async () => {
    h.publish(
      { mirror: mirrorTo("c.example.com"), extra: { exact: [{ source: "x:1", target: "y/x:1" }] } },
      42,
    );

    const res = await post(h.server.port, loadReview("pod-create"), { ca: h.certificate.ca });

    expect(hostsOf(patchOf(res))).toEqual(new Set(["c.example.com"]));
    expect(await metricValue(h.metrics, "imageswap_swap_table_generation")).toBe(42);
    expect(await metricValue(h.metrics, "imageswap_swap_table_rules")).toBe(4);
  });
});
