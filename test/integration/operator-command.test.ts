import { Writable } from "node:stream";
import { CoreV1Api } from "@kubernetes/client-node";
import { run } from "../../operator/cli/operator-command.js";
import {
  deleteTestNamespace,
  kubeConfig,
  newTestNamespace,
  testCluster,
  waitFor,
} from "../cluster/test-env.js";
import { post } from "../fixtures/admission/harness.js";
import { installCrd, readLease } from "./operator-support.js";

// The real entry point, `imageswap operator`, in this process: flags in, JSON log lines out,
// SIGTERM to stop. As leader it creates its certificate Secret, which every replica's watcher
// then loads into the webhook server.

describe("imageswap operator", () => {
  let namespace: string;
  const lines: Array<Record<string, unknown>> = [];
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n"))
        if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  const stderr = new Writable({ write: (_c, _e, done) => done() });

  beforeAll(async () => {
    await installCrd();
    namespace = await newTestNamespace("op-command");
  });

  afterAll(async () => {
    if (namespace) await deleteTestNamespace(namespace);
  });

  it("starts, serves with the certificate it created as leader, and stops on SIGTERM", async () => {
    const argv = [
      `--kubeconfig=${testCluster().kubeconfigPath}`,
      `--namespace=${namespace}`,
      "--port=0",
      "--metrics-port=0",
      "--bind-address=127.0.0.1",
      "--identity=command-test",
      "--manage-webhook-config=false",
      "--extra-san=127.0.0.1",
      "--lease-duration-sec=4",
      "--renew-deadline-sec=3",
      "--retry-period-sec=1",
    ];

    const running = run(argv, { stdout, stderr, env: {} });
    let ready;
    try {
      const started = await waitFor(() => lines.find(l => l.message === "operator started"));
      const core = kubeConfig().makeApiClient(CoreV1Api);
      const secret = await waitFor(() =>
        core.readNamespacedSecret({ name: "imageswap-tls", namespace }),
      );
      const ca = Buffer.from(secret.data!["ca.crt"]!, "base64").toString();
      ready = await waitFor(async () => {
        const res = await post(started.port as number, "", { ca, path: "/readyz", method: "GET" });
        return res.status === 200 ? res : undefined;
      });
    } finally {
      process.emit("SIGTERM");
    }
    const code = await running;

    expect(ready.status).toBe(200);
    expect(code).toBe(0);
    const configLines = lines.filter(l => l.message === "configuration");
    expect(configLines).toHaveLength(1);
    expect(configLines[0]!.config).toMatchObject({ namespace, leaseName: "imageswap-leader" });
    expect(lines.some(l => l.message === "leader acquired")).toBe(true);
    expect(lines.at(-1)?.message).toBe("operator stopped");
    expect((await readLease(namespace, "imageswap-leader")).spec?.holderIdentity).toBeUndefined();
  });
});
