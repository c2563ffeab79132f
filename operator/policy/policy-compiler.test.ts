import type { KubernetesObject, V1Namespace } from "@kubernetes/client-node";
import { StateHolder } from "../../webhook/server/serving-state.js";
import type { ImageSwapPolicySpec } from "../../webhook/swap/types.js";
import { createSilentLogger } from "../../webhook/telemetry/logger.js";
import type { ReadCache } from "../k8s/informer.js";
import type { ImageSwapPolicy } from "../k8s/resources.js";
import { PolicyCompiler } from "./policy-compiler.js";

/** The read side of an informer over plain objects: the compiler's only input. */
class MapCache<T extends KubernetesObject> implements ReadCache<T> {
  readonly objects = new Map<string, T>();

  set(obj: T): void {
    this.objects.set(obj.metadata!.name!, obj);
  }

  get(name: string): T | undefined {
    return this.objects.get(name);
  }

  list(): readonly T[] {
    return [...this.objects.values()];
  }

  hasSynced(): boolean {
    return true;
  }
}

function policy(name: string, generation: number, spec: ImageSwapPolicySpec): ImageSwapPolicy {
  return { metadata: { name, generation, resourceVersion: `${generation}` }, spec };
}

const mirrorHub = { registries: [{ source: "docker.io", target: "mirror.example.com/hub" }] };
const badRegex = {
  registries: [{ source: "docker.io", target: "other.example.com/hub" }],
  patterns: [{ regex: "^quay\\.io/(.+$", target: "mirror.example.com/quay/$1" }],
};

function setup(): {
  policies: MapCache<ImageSwapPolicy>;
  namespaces: MapCache<V1Namespace>;
  state: StateHolder;
  compiler: PolicyCompiler;
} {
  const policies = new MapCache<ImageSwapPolicy>();
  const namespaces = new MapCache<V1Namespace>();
  const state = new StateHolder();
  const compiler = new PolicyCompiler({ policies, namespaces, state, log: createSilentLogger() });
  return { policies, namespaces, state, compiler };
}

function swap(state: StateHolder, image: string): string {
  return state.current()!.table.swap(image, {}).output;
}

describe("PolicyCompiler", () => {
  it("publishes a table that serves every policy", () => {
    const { policies, state, compiler } = setup();
    policies.set(policy("hub", 1, mirrorHub));

    const summary = compiler.compile();

    expect(summary.published).toBe(true);
    expect(swap(state, "docker.io/acme/app:1")).toBe("mirror.example.com/hub/acme/app:1");
    expect(compiler.outcome("hub")).toMatchObject({ served: true, servedGeneration: 1 });
  });

  it("keeps serving the last good generation when an update is rejected", () => {
    const { policies, state, compiler } = setup();
    policies.set(policy("hub", 1, mirrorHub));
    compiler.compile();

    policies.set(policy("hub", 2, badRegex));
    const summary = compiler.compile();

    expect(summary.published).toBe(false);
    expect(swap(state, "docker.io/acme/app:1")).toBe("mirror.example.com/hub/acme/app:1");
    const outcome = compiler.outcome("hub")!;
    expect(outcome.report).toMatchObject({ generation: 2, ready: false, rejected: 1 });
    expect(outcome).toMatchObject({ served: true, servedGeneration: 1 });
  });

  it("serves the fixed generation once the policy compiles again", () => {
    const { policies, state, compiler } = setup();
    policies.set(policy("hub", 1, mirrorHub));
    compiler.compile();
    policies.set(policy("hub", 2, badRegex));
    compiler.compile();

    policies.set(policy("hub", 3, { ...badRegex, patterns: [] }));
    const summary = compiler.compile();

    expect(summary.published).toBe(true);
    expect(swap(state, "docker.io/acme/app:1")).toBe("other.example.com/hub/acme/app:1");
    expect(compiler.outcome("hub")).toMatchObject({ served: true, servedGeneration: 3 });
  });

  it("does not serve a policy that never compiled, and serves the others", () => {
    const { policies, state, compiler } = setup();
    policies.set(policy("bad", 1, badRegex));
    policies.set(policy("hub", 1, mirrorHub));

    compiler.compile();

    expect(state.current()!.table.policies).toEqual(["hub"]);
    expect(swap(state, "docker.io/acme/app:1")).toBe("mirror.example.com/hub/acme/app:1");
    expect(compiler.outcome("bad")).toMatchObject({ served: false });
  });

  it("drops a deleted policy and its last good version", () => {
    const { policies, state, compiler } = setup();
    policies.set(policy("hub", 1, mirrorHub));
    compiler.compile();

    policies.objects.delete("hub");
    compiler.compile();
    policies.set(policy("hub", 2, badRegex));
    compiler.compile();

    expect(swap(state, "docker.io/acme/app:1")).toBe("docker.io/acme/app:1");
    expect(compiler.outcome("hub")).toMatchObject({ served: false });
  });

  it("does not republish for a change that leaves the generation alone", () => {
    const { policies, state, compiler } = setup();
    policies.set(policy("hub", 1, mirrorHub));
    compiler.compile();
    const first = state.current();

    policies.set({ ...policy("hub", 1, mirrorHub), status: { observedGeneration: 1 } });
    const summary = compiler.compile();

    expect(summary.published).toBe(false);
    expect(state.current()).toBe(first);
  });

  it("numbers each published table one higher", () => {
    const { policies, state, compiler } = setup();
    compiler.compile();
    policies.set(policy("hub", 1, mirrorHub));
    compiler.compile();

    expect(state.current()!.table.generation).toBe(2);
  });

  it("attributes a conflict to the policy that lost the key", () => {
    const { policies, compiler } = setup();
    policies.set(policy("a-high", 1, { ...mirrorHub, priority: 10 }));
    policies.set(policy("b-low", 1, { registries: [{ source: "docker.io", skip: true }] }));

    compiler.compile();

    expect(compiler.outcome("b-low")!.lostKeys).toEqual([
      expect.objectContaining({ winner: "a-high", loser: "b-low" }),
    ]);
    expect(compiler.outcome("a-high")!.lostKeys).toEqual([]);
  });

  it("answers namespace labels live from the cache", () => {
    const { namespaces, state, compiler } = setup();
    compiler.compile();
    const view = state.current()!.namespaces!;
    namespaces.set({ metadata: { name: "shop", labels: { "k8s.twr.io/imageswap": "enabled" } } });
    const before = view.labels("shop");

    namespaces.set({ metadata: { name: "shop", labels: {} } });

    expect(before).toEqual({ "k8s.twr.io/imageswap": "enabled" });
    expect(view.labels("shop")).toEqual({});
    expect(view.labels("unknown")).toBeUndefined();
  });
});
