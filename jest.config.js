// Two projects: unit tests beside the code (no cluster, no network) and integration/e2e suites
// under test/ that run against the real local control plane started by the global setup.
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
  projects: [
    {
      ...common,
      displayName: "unit",
      roots: ["<rootDir>/webhook", "<rootDir>/operator", "<rootDir>/test/unit"],
      testMatch: ["**/*.test.ts"],
    },
    {
      ...common,
      displayName: "integration",
      roots: ["<rootDir>/test/integration", "<rootDir>/test/e2e"],
      testMatch: ["**/*.test.ts"],
      globalSetup: "<rootDir>/test/cluster/global-setup.ts",
      globalTeardown: "<rootDir>/test/cluster/global-teardown.ts",
      testTimeout: 120000,
      maxWorkers: 1,
    },
  ],
};
