// jest globalSetup entry of the "integration" project; the logic is in global-setup.ts.
import "./register-ts.mjs";

export default async function globalSetup() {
  const { default: setup } = await import("./global-setup.ts");
  await setup();
}
