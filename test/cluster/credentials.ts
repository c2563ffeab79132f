import { generateKeyPairSync, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";

/** The admin identity of the token file: in `system:masters`, so RBAC allows it everything. */
export const ADMIN_USER = "imageswap-admin";

/** Paths of the files the control plane's processes read, all inside its directory. */
export interface CredentialFiles {
  /** Signs ServiceAccount tokens (apiserver, KCM's token controller). */
  saKeyFile: string;
  /** Verifies them (apiserver). */
  saPubFile: string;
  /** `token,user,uid,group` lines for `--token-auth-file`. */
  tokenFile: string;
  token: string;
}

/**
 * Writes a fresh ServiceAccount signing key pair and an admin bearer token into `dir`. Node's
 * crypto makes the pair, so no openssl is needed. ECDSA P-256 (tokens signed ES256) is made in
 * a millisecond where RSA 2048 takes up to a second; the apiserver and KCM read PKCS#8 and SPKI.
 */
export function writeCredentials(dir: string): CredentialFiles {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const saKeyFile = join(dir, "sa.key");
  const saPubFile = join(dir, "sa.pub");
  writeFileSync(saKeyFile, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(saPubFile, publicKey.export({ type: "spki", format: "pem" }));

  const token = randomBytes(24).toString("hex");
  const tokenFile = join(dir, "tokens.csv");
  writeFileSync(tokenFile, `${token},${ADMIN_USER},${ADMIN_USER},system:masters\n`, {
    mode: 0o600,
  });
  return { saKeyFile, saPubFile, tokenFile, token };
}

export interface KubeconfigOptions {
  server: string;
  caFile: string;
  token: string;
  /** @default "imageswap-local" */
  contextName?: string;
}

/** Writes an admin kubeconfig (mode 0600: it holds the token) and returns its path. */
export function writeKubeconfig(path: string, options: KubeconfigOptions): string {
  const name = options.contextName ?? "imageswap-local";
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name, cluster: { server: options.server, "certificate-authority": options.caFile } },
    ],
    users: [{ name: ADMIN_USER, user: { token: options.token } }],
    contexts: [{ name, context: { cluster: name, user: ADMIN_USER, namespace: "default" } }],
    "current-context": name,
    preferences: {},
  };
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}
