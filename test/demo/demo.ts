#!/usr/bin/env node
import { createWriteStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "yaml";
import { TerminalError } from "../../webhook/errors.js";
import { findRepoRoot } from "../cluster/bins.js";
import { startControlPlane, type ControlPlane } from "../cluster/control-plane.js";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.js";
import { formatTable, imageRows, type PodView } from "./image-table.js";

/**
 * `make demo`: the newcomer's first run. Starts the local control plane, installs the CRD, runs
 * the operator as a child process (the apiserver calls its webhook on 127.0.0.1), applies the
 * Harbor sample policy, opts namespace test1 in, creates Deployment hello-world, and prints each
 * Pod's original and swapped images. Then tears everything down, or with --keep waits for
 * Ctrl-C so that kubectl can look around first.
 */

const NAMESPACE = "test1";
const OPERATOR_NAMESPACE = "imageswap-system";
const NAMESPACE_LABEL = "k8s.twr.io/imageswap";
const ORIGINAL_IMAGES_ANNOTATION = "k8s.twr.io/imageswap-original-images";
const SAMPLE = "harbor-dockerhub.yaml";
const DEPLOYMENT = "hello-world";
const HELLO_WORLD = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: DEPLOYMENT, namespace: NAMESPACE },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: DEPLOYMENT } },
    template: {
      metadata: { labels: { app: DEPLOYMENT } },
      spec: {
        containers: [
          { name: "web", image: "nginx:1.25" },
          { name: "sidecar", image: "busybox:1.36", command: ["sleep", "infinity"] },
        ],
      },
    },
  },
};

const repoRoot = findRepoRoot();

function step(text: string): void {
  process.stdout.write(`==> ${text}\n`);
}

async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const value = await fn().catch((err: unknown) => ((last = err), undefined));
    if (value !== undefined && value !== false) return value;
    await sleep(250);
  }
  throw new TerminalError(`timed out waiting for ${what}`, { cause: last });
}

async function getJson<T>(plane: ControlPlane, args: string[]): Promise<T> {
  return JSON.parse(await plane.kubectl(["get", ...args, "-o", "json"])) as T;
}

async function installCrd(plane: ControlPlane): Promise<void> {
  step("installing the ImageSwapPolicy CRD");
  await plane.kubectl(["apply", "--server-side", "-f", join(repoRoot, "crds")]);
  await plane.kubectl(["wait", "--for=condition=Established", "crd/imageswappolicies.k8s.twr.io"]);
}

async function runOperator(plane: ControlPlane): Promise<OperatorProcess> {
  step("running the operator (webhook on 127.0.0.1, log in operator.log)");
  await plane.kubectl(["create", "namespace", OPERATOR_NAMESPACE]);
  const log = createWriteStream(join(plane.dir, "operator.log"));
  const operator = await startOperatorProcess({
    kubeconfigPath: plane.kubeconfigPath,
    env: { IMAGESWAP_NAMESPACE: OPERATOR_NAMESPACE, IMAGESWAP_EXTRA_SANS: "127.0.0.1" },
    onOutput: chunk => log.write(chunk),
  });
  await operator.waitReady();
  await waitUntil("the webhook configuration", async () => {
    const mwc = await getJson<{ webhooks?: Array<{ clientConfig: { caBundle?: string } }> }>(
      plane,
      ["mutatingwebhookconfiguration", "imageswap-webhook"],
    );
    return mwc.webhooks?.[0]?.clientConfig.caBundle !== undefined;
  });
  return operator;
}

async function applyPolicy(plane: ControlPlane): Promise<string> {
  const file = join(repoRoot, "config", "samples", SAMPLE);
  const name = (parse(readFileSync(file, "utf8")) as { metadata: { name: string } }).metadata.name;
  step(`applying the sample policy config/samples/${SAMPLE}`);
  await plane.kubectl(["apply", "-f", file]);
  await waitUntil(`policy ${name} Ready`, async () => {
    const policy = await getJson<{
      status?: { conditions?: Array<{ type: string; status: string }> };
    }>(plane, ["imageswappolicy", name]);
    return policy.status?.conditions?.some(c => c.type === "Ready" && c.status === "True");
  });
  process.stdout.write(await plane.kubectl(["get", "imageswappolicies"]));
  return name;
}

async function enableNamespace(plane: ControlPlane): Promise<void> {
  step(`labelling namespace ${NAMESPACE} ${NAMESPACE_LABEL}=enabled`);
  await plane.kubectl(["create", "namespace", NAMESPACE]);
  await plane.kubectl(["label", "namespace", NAMESPACE, `${NAMESPACE_LABEL}=enabled`]);
  await waitUntil("the default ServiceAccount", () =>
    getJson(plane, ["serviceaccount", "default", "-n", NAMESPACE]),
  );
  // The apiserver loads webhook configurations asynchronously: wait until a dry run is swapped.
  const probe = JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "probe", namespace: NAMESPACE },
    spec: { containers: [{ name: "probe", image: "nginx:1.25" }] },
  });
  await waitUntil("the webhook to answer", async () => {
    const out = await plane.kubectl(["create", "--dry-run=server", "-o", "json", "-f", "-"], {
      input: probe,
    });
    const pod = JSON.parse(out) as PodView;
    return pod.spec.containers[0]?.image !== "nginx:1.25";
  });
}

async function createHelloWorld(plane: ControlPlane): Promise<PodView[]> {
  step(`creating Deployment ${DEPLOYMENT} (nginx:1.25 + busybox:1.36 sidecar)`);
  await plane.kubectl(["apply", "-f", "-"], { input: JSON.stringify(HELLO_WORLD) });
  // No kubelet runs here: the Pods stay Pending, but they are stored as the webhook left them.
  return waitUntil("the hello-world Pods", async () => {
    const list = await getJson<{ items: PodView[] }>(plane, [
      "pods",
      "-n",
      NAMESPACE,
      "-l",
      `app=${DEPLOYMENT}`,
    ]);
    return list.items.length === HELLO_WORLD.spec.replicas ? list.items : undefined;
  });
}

/** The annotation in which the webhook keeps each Pod's original images. */
function describeAnnotation(pod: PodView): string {
  const value = pod.metadata.annotations?.[ORIGINAL_IMAGES_ANNOTATION];
  if (value === undefined) return `(no ${ORIGINAL_IMAGES_ANNOTATION} on ${pod.metadata.name})`;
  return `${pod.metadata.name} keeps the originals in an annotation:\n  ${ORIGINAL_IMAGES_ANNOTATION}: ${value}`;
}

async function keepRunning(plane: ControlPlane, operator: OperatorProcess): Promise<void> {
  process.stdout.write(
    `\nThe cluster keeps running. In another terminal:\n` +
      `  export KUBECONFIG=${plane.kubeconfigPath}\n` +
      `  alias kubectl=${join(plane.binDir, "kubectl")}\n` +
      `  kubectl get pods -n ${NAMESPACE} -o wide\n` +
      `  kubectl get imageswappolicies\n` +
      `Operator pid ${operator.pid}, log ${join(plane.dir, "operator.log")}.\n` +
      `Press Ctrl-C here to tear everything down.\n`,
  );
  await new Promise<void>(resolve => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

async function demo(keep: boolean): Promise<void> {
  step("starting the local control plane (etcd, kube-apiserver, kube-controller-manager)");
  const plane = await startControlPlane();
  let operator: OperatorProcess | undefined;
  try {
    await installCrd(plane);
    operator = await runOperator(plane);
    await applyPolicy(plane);
    await enableNamespace(plane);
    const pods = await createHelloWorld(plane);
    const rows = imageRows(pods, HELLO_WORLD.spec.template.spec.containers);
    process.stdout.write(`\n${formatTable(rows)}\n${describeAnnotation(pods[0]!)}\n\n`);
    if (keep) await keepRunning(plane, operator);
  } catch (err) {
    const tail = operator?.output().trim().split("\n").slice(-15).join("\n");
    if (tail) process.stderr.write(`last operator output:\n${tail}\n`);
    throw err;
  } finally {
    step("tearing down");
    await operator?.stop();
    await plane.stop();
  }
}

const keep = process.argv.includes("--keep");
demo(keep).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof Error && err.cause) process.stderr.write(`  cause: ${String(err.cause)}\n`);
    process.exit(1);
  },
);
