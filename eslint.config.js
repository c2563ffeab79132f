import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Shape limits follow the house style (pepr's): warnings, not errors; floating promises are
// errors because an unawaited promise in a webhook loses its failure silently.
export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "charts/", "jest.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { project: "./tsconfig.json", tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/explicit-module-boundary-types": "warn",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      complexity: ["warn", 10],
      "max-depth": ["warn", 3],
      "max-params": ["warn", 4],
      "max-statements": ["warn", 20],
    },
  },
  {
    files: ["**/*.test.ts", "test/**/*.ts"],
    rules: { "max-statements": "off", "@typescript-eslint/no-non-null-assertion": "off" },
  },
);
