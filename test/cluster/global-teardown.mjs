// jest globalTeardown entry of the "integration" project; the logic is in global-teardown.ts.
import "./register-ts.mjs";

export default async function globalTeardown() {
  const { default: teardown } = await import("./global-teardown.ts");
  await teardown();
}
