// Lets the jest global setup and teardown import the harness's TypeScript. jest loads those two
// files with Node's own loader, not its module registry: ts-jest's output there keeps the
// `./x.js` specifiers that only jest's moduleNameMapper maps to `./x.ts`, so Node fails with
// ERR_MODULE_NOT_FOUND. These hooks do that mapping and transpile .ts files (types stripped,
// no type check: the typecheck step covers that). Imported once: ESM modules are singletons.
import { register } from "node:module";

register("./ts-hooks.mjs", import.meta.url);
