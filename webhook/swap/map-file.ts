import type { PolicyInput } from "./types.js";

/** One problem in a map file, at a 1-based line. */
export interface MapFileDiagnostic {
  line: number;
  severity: "error" | "warning";
  message: string;
}

export type MapFileEntryKind = "default" | "registry" | "noSwap" | "exact" | "replace";

/** One accepted `key::value` line. */
export interface MapFileEntry {
  line: number;
  kind: MapFileEntryKind;
  key: string;
  value: string;
}

export interface MapFile {
  entries: MapFileEntry[];
  diagnostics: MapFileDiagnostic[];
}

export interface MapFilePolicyResult {
  input: PolicyInput;
  diagnostics: MapFileDiagnostic[];
}

// TODO(#3): first version so that callers compile; the parser lands next.
export function parseMapFile(_text: string): MapFile {
  return { entries: [], diagnostics: [] };
}

export function policyFromMapFile(text: string, name: string): MapFilePolicyResult {
  return { input: { name, spec: { mapFile: text } }, diagnostics: parseMapFile(text).diagnostics };
}
