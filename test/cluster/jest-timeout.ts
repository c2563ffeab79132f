import { jest } from "@jest/globals";

// The integration project's per-test budget. jest-circus reads `testTimeout` only from the
// root config (a project-level value is silently ignored), and a root value would also let a
// hung unit test wait two minutes, so the integration project sets it here.
jest.setTimeout(120_000);
