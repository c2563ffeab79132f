import type { PolicyInput } from "./types.js";

/** A problem located in a source file, e.g. `policies.yaml:12`. */
export interface SourceDiagnostic {
  file: string;
  line: number;
  severity: "error" | "warning";
  message: string;
}

export interface PolicyDocuments {
  inputs: PolicyInput[];
  /** Documents that are not usable ImageSwapPolicies; each names file and line. */
  diagnostics: SourceDiagnostic[];
  /** The line of a compile diagnostic's `field` (`registries[2]`, `mapFile:3`) in a policy. */
  lineOf(policy: string, field: string): number | undefined;
}

// TODO(#3): first version so that callers compile; the YAML loader lands next.
export function loadPolicyDocuments(_yamlText: string, _fileName: string): PolicyDocuments {
  return { inputs: [], diagnostics: [], lineOf: () => undefined };
}
