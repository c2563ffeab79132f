import { attachControlPlane } from "./control-plane.js";
import { ENV_OWNED } from "./global-setup.js";
import { ENV_CLUSTER_DIR } from "./test-env.js";

/** jest global teardown: stops the control plane the setup started (jest runs it on failures). */
export default async function globalTeardown(): Promise<void> {
  const dir = process.env[ENV_CLUSTER_DIR];
  if (process.env[ENV_OWNED] !== "true" || !dir) {
    return;
  }
  await attachControlPlane(dir).stop();
}
