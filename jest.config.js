// Two projects: unit tests beside the code (no cluster, no network) and integration/e2e suites
// under test/ that run against the real local control plane started by the global setup.
import { existsSync } from "node:fs";

// jest refuses a root that does not exist; test/unit and test/e2e come and go with the work.
const existing = dirs => dirs.filter(dir => existsSync(new URL(dir, import.meta.url)));
const roots = dirs => existing(dirs).map(dir => `<rootDir>/${dir}`);

const common = {
  preset: "ts-jest/presets/default-esm",
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: {
    "^.+\\.ts$": ["ts-jest", { useESM: true, tsconfig: "tsconfig.json" }],
  },
};

export default {
  // Integration suites share one control plane and some stop its apiserver: they must run one
  // at a time. jest reads maxWorkers only here, for all projects (2 cores: unit loses nothing).
  maxWorkers: 1,
  projects: [
    {
      ...common,
      displayName: "unit",
      roots: roots(["webhook", "operator", "test/unit"]),
      testMatch: ["**/*.test.ts"],
    },
    {
      ...common,
      displayName: "integration",
      roots: roots(["test/integration", "test/e2e", "test/reliability"]),
      testMatch: ["**/*.test.ts"],
      globalSetup: "<rootDir>/test/cluster/global-setup.mjs",
      globalTeardown: "<rootDir>/test/cluster/global-teardown.mjs",
      setupFilesAfterEnv: ["<rootDir>/test/cluster/jest-timeout.ts"],
    },
  ],
};
