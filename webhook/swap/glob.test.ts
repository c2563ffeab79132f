import { describe, expect, it } from "@jest/globals";
import { globToRegExp } from "./glob.js";

describe("globToRegExp", () => {
  it.each([
    ["hello-*", "hello-world", true],
    ["hello-*", "x/hello-world", false],
    ["*mysql-server:5.6", "mysql/mysql-server:5.6", true],
    ["ghcr.io/public*", "ghcr.io/public-x/y:1", true],
    ["ghcr.io/public*", "ghcrxio/public", false],
    ["hello:v1.?", "hello:v1.1", true],
    ["hello:v1.?", "hello:v1.10", false],
    ["app:[0-9]", "app:7", true],
    ["app:[!0-9]", "app:7", false],
    ["app:[!0-9]", "app:x", true],
    ["a[]]b", "a]b", true],
    ["a[b", "a[b", true],
    ["a+b(c)", "a+b(c)", true],
    ["Nginx", "nginx", false],
    ["a*", "a\nb", true],
  ])("should match %j against %j: %s", (glob, subject, expected) => {
    expect(globToRegExp(glob).test(subject)).toBe(expected);
  });
});
