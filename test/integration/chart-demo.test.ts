import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./chart-support.js";

// `make demo` is the newcomer's first command: its program (compiled by `npm run build`) must
// start its own control plane, swap the hello-world images and tear everything down again.

const run = promisify(execFile);

describe("the demo program", () => {
  it("prints each hello-world Pod's original and swapped images, then exits cleanly", async () => {
    const demo = join(REPO_ROOT, "dist", "test", "demo", "demo.js");

    const { stdout } = await run(process.execPath, [demo], { timeout: 110_000 });

    const rows = stdout.split("\n").filter(line => /^hello-world-\S+ {2}/.test(line));
    expect(rows).toHaveLength(4);
    expect(
      rows.filter(r =>
        r.includes("nginx:1.25    harbor.example.com/dockerhub-proxy/library/nginx:1.25"),
      ),
    ).toHaveLength(2);
    expect(
      rows.filter(r =>
        r.includes("busybox:1.36  harbor.example.com/dockerhub-proxy/library/busybox:1.36"),
      ),
    ).toHaveLength(2);
    expect(stdout).toContain("k8s.twr.io/imageswap-original-images");
    expect(stdout.trimEnd().endsWith("==> tearing down")).toBe(true);
  });
});
